//! The protocol's JSON, written by the server and read by the client, so
//! that both sides agree on every member (SPEC 10 fixes `row`, `done`,
//! `error` and `note`; `README.md` documents the rest).

use crate::exec::{Output, Value};
use crate::import::{ImportReport, Problem};
use crate::store::{CheckReport, WriteSummary};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

#[cfg(feature = "serve")]
/// `{"row": R}`, R exactly as the `jsonl` format writes the row.
pub fn row_line(columns: &[String], row: &[Value]) -> Vec<u8> {
    let mut line = b"{\"row\":".to_vec();
    // A row of values always serialises.
    let _ = serde_json::to_writer(&mut line, &crate::exec::output::RowRef { columns, row });
    line.extend_from_slice(b"}\n");
    line
}

#[cfg(feature = "serve")]
/// `{"done": D}` after statement number `statement` (from 1): D carries the
/// statement's columns, and what the command line shows of it besides its
/// rows (a `show`/`explain` report, a write's message, notes), so that a
/// client can print exactly what the command line prints.
pub fn done_line(statement: usize, output: &Output) -> Vec<u8> {
    /// Members in this order (a JSON map would sort them).
    #[derive(serde::Serialize)]
    struct Done<'a> {
        statement: usize,
        columns: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        report: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'a str>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        notes: &'a [String],
    }
    #[derive(serde::Serialize)]
    struct Line<'a> {
        done: Done<'a>,
    }
    let done = Done {
        statement,
        columns: &output.columns,
        report: output.report.as_deref(),
        message: output.message.as_deref(),
        notes: &output.notes,
    };
    let mut bytes = serde_json::to_vec(&Line { done }).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(feature = "serve")]
/// `{"error": {"message": M}}`.
pub fn error_line(message: &str) -> Vec<u8> {
    line(&serde_json::json!({ "error": { "message": message } }))
}

#[cfg(feature = "serve")]
/// `{"note": N}`: N is a line the command line prints on standard error.
pub fn note_line(text: &str) -> Vec<u8> {
    line(&serde_json::json!({ "note": text }))
}

#[cfg(feature = "serve")]
fn line(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

/// One line of a query's answer, as the client reads it.
#[derive(Debug)]
pub enum Line {
    /// A row: (column, value) in column order.
    Row(Vec<(String, Value)>),
    /// The end of a statement: its output without rows.
    Done(Output),
    /// The statement failed with this message.
    Error(String),
    /// A message for standard error (also in `Done`, which the client uses).
    Note,
}

/// Reads one line of a query's answer; `None` if it is not one.
pub fn parse_line(text: &str) -> Option<Line> {
    let Value::Object(mut members) = parse_value(text)? else {
        return None;
    };
    if members.len() != 1 {
        return None;
    }
    let (key, value) = members.pop()?;
    match (key.as_str(), value) {
        ("row", Value::Object(row)) => Some(Line::Row(row)),
        ("done", Value::Object(done)) => {
            let mut output = Output::default();
            for (name, value) in done {
                match (name.as_str(), value) {
                    ("columns", Value::List(columns)) => {
                        output.columns = columns.into_iter().filter_map(text_of).collect();
                    }
                    ("report", Value::String(report)) => output.report = Some(report),
                    ("message", Value::String(message)) => output.message = Some(message),
                    ("notes", Value::List(notes)) => {
                        output.notes = notes.into_iter().filter_map(text_of).collect();
                    }
                    _ => {}
                }
            }
            Some(Line::Done(output))
        }
        ("error", Value::Object(error)) => error.into_iter().find_map(|(name, value)| {
            (name == "message")
                .then(|| text_of(value))
                .flatten()
                .map(Line::Error)
        }),
        ("note", _) => Some(Line::Note),
        _ => None,
    }
}

fn text_of(value: Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// Parses JSON into a [`Value`], keeping the order of object members (a
/// row's columns) and telling whole numbers (`3`) from others (`3.0`) as
/// the `jsonl` format wrote them.
pub fn parse_value(text: &str) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let OrderedValue(value) = de::Deserialize::deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(value)
}

struct OrderedValue(Value);

impl<'de> de::Deserialize<'de> for OrderedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(OrderedVisitor)
            .map(OrderedValue)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Integer(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(i64::try_from(n).map_or(Value::Number(n as f64), Value::Integer))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(OrderedValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some((key, OrderedValue(value))) = map.next_entry::<String, OrderedValue>()? {
            members.push((key, value));
        }
        Ok(Value::Object(members))
    }
}

#[cfg(feature = "serve")]
/// An import's report as the server answers it.
pub fn import_report_json(report: &ImportReport) -> serde_json::Value {
    let skipped: Vec<serde_json::Value> = report
        .skipped
        .iter()
        .map(|p| serde_json::json!({ "file": p.file, "line": p.line, "field": p.field, "reason": p.reason }))
        .collect();
    serde_json::json!({ "report": {
        "read": report.read,
        "written": report.written,
        "skipped": skipped,
        "skipped_total": report.skipped_total,
    }})
}

/// Reads [`import_report_json`]'s answer.
pub fn import_report_from(answer: &serde_json::Value) -> Option<ImportReport> {
    let report = answer.get("report")?;
    let skipped = report
        .get("skipped")?
        .as_array()?
        .iter()
        .map(|p| {
            Some(Problem {
                file: p.get("file").and_then(|f| f.as_str()).map(str::to_owned),
                line: p.get("line")?.as_u64()?,
                field: p.get("field")?.as_str().map(str::to_owned),
                reason: p.get("reason")?.as_str()?.to_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(ImportReport {
        read: serde_json::from_value(report.get("read")?.clone()).ok()?,
        written: serde_json::from_value::<WriteSummary>(report.get("written")?.clone()).ok()?,
        skipped,
        skipped_total: usize::try_from(report.get("skipped_total")?.as_u64()?).ok()?,
    })
}

#[cfg(feature = "serve")]
/// `check`'s report as the server answers it.
pub fn check_report_json(report: &CheckReport) -> serde_json::Value {
    serde_json::json!({ "checked": report.checked, "problems": report.problems })
}

/// Reads [`check_report_json`]'s answer.
pub fn check_report_from(answer: &serde_json::Value) -> Option<CheckReport> {
    let lines = |name: &str| -> Option<Vec<String>> {
        answer
            .get(name)?
            .as_array()?
            .iter()
            .map(|line| line.as_str().map(str::to_owned))
            .collect()
    };
    Some(CheckReport {
        checked: lines("checked")?,
        problems: lines("problems")?,
    })
}

/// `%`-encodes a query string value (everything but unreserved characters).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(feature = "serve")]
/// Decodes [`percent_encode`]'s text (and `+` as a space, as forms send
/// it); `None` for a bad escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(all(test, feature = "serve"))]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_column_order_and_number_kinds() {
        let columns = vec!["z".to_owned(), "a".to_owned(), "n".to_owned()];
        let row = vec![
            Value::Integer(3),
            Value::Number(3.0),
            Value::Number(0.1 + 0.2),
        ];
        let text = String::from_utf8(row_line(&columns, &row)).expect("utf-8");
        assert_eq!(
            text,
            "{\"row\":{\"z\":3,\"a\":3.0,\"n\":0.30000000000000004}}\n"
        );
        let Some(Line::Row(members)) = parse_line(text.trim_end()) else {
            panic!("a row");
        };
        let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["z", "a", "n"]);
        let values: Vec<Value> = members.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, row);
    }

    #[test]
    fn percent_encoding_round_trips() {
        let name = "data/files 1/ü%+.jsonl";
        assert_eq!(percent_decode(&percent_encode(name)).as_deref(), Some(name));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }
}
