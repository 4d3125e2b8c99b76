//! What a statement returns: rows of values, plus a message for the user.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// One value in a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Absent.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number (counts).
    Integer(i64),
    /// A number.
    Number(f64),
    /// Text (also ids, statuses, stances).
    String(String),
    /// A calendar day.
    Date(crate::model::Date),
    /// A list.
    List(Vec<Value>),
    /// A nested object (evidence inside `show` and `explain`).
    Object(Vec<(String, Value)>),
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Integer(n) => s.serialize_i64(*n),
            Value::Number(n) => s.serialize_f64(*n),
            Value::String(t) => s.serialize_str(t),
            Value::Date(d) => s.collect_str(d),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl Value {
    /// The value as plain text, for tables and CSV (`""` for absent).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Integer(n) => n.to_string(),
            Value::Number(n) => format_number(*n),
            Value::String(t) => t.clone(),
            Value::Date(d) => d.to_string(),
            Value::List(items) => items
                .iter()
                .map(Value::to_text)
                .collect::<Vec<_>>()
                .join(", "),
            Value::Object(_) => serde_json::to_string(self).unwrap_or_default(),
        }
    }
}

/// Numbers in tables: at most 4 decimals, trailing zeros trimmed.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    let text = format!("{n:.4}");
    let trimmed = text.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "0" || trimmed == "-0" {
        format!("{n:e}")
    } else {
        trimmed.to_owned()
    }
}

/// The result of one statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Column names, in output order.
    pub columns: Vec<String>,
    /// Rows, each with one value per column.
    pub rows: Vec<Vec<Value>>,
    /// A report for people (`show`, `explain`): printed in table format in
    /// place of the rows.
    pub report: Option<String>,
    /// What a write did (`added claim c21`), for standard error.
    pub message: Option<String>,
    /// Hints for people, for standard error after the rows: a query that
    /// found nothing because of a value's case gets `no claim has subject
    /// "Donald Trump"; did you mean "donald trump"?`. Never part of the
    /// rows, so programs reading the output see no difference.
    pub notes: Vec<String>,
}

/// Takes each statement's output, and a query's rows as they are found, so
/// that output neither waits for nor holds all of them (a plain `results`
/// is 1.29M rows). Rows come one by one only for queries whose order is the
/// id order the plan walks; a query that must sort, and every other
/// statement, hands its rows over in the [`Output`].
pub trait RowSink {
    /// A query's columns, before its first streamed row.
    fn begin(&mut self, columns: &[String]) -> std::io::Result<()>;
    /// One streamed row, one value per column of `begin`.
    fn row(&mut self, row: &[Value]) -> std::io::Result<()>;
    /// The statement's output, after any streamed rows (which it lacks).
    fn done(&mut self, output: Output);
}

/// A failed write of streamed rows; it ends the statement.
pub(super) fn write_error(e: std::io::Error) -> crate::Error {
    crate::Error::io("write the output", e)
}

/// `json` format (SPEC 4.3): an array of row objects.
impl Serialize for Output {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&RowRef {
                columns: &self.columns,
                row,
            })?;
        }
        seq.end()
    }
}

/// One row as a JSON object (the `jsonl` format writes these one per line).
pub struct RowRef<'a> {
    /// Column names.
    pub columns: &'a [String],
    /// The values.
    pub row: &'a [Value],
}

impl Serialize for RowRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.columns.len()))?;
        for (name, value) in self.columns.iter().zip(self.row) {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}
