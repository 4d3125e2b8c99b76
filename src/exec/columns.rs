//! A row's columns, worked out once per statement, and its values: a
//! stored text field that no other column reads is moved out of the record
//! rather than copied.
//!
//! Measured (5906de6): copying those texts was a tenth of a query that
//! prints 8k results.

use super::eval::Ctx;
use super::output::Value;
use crate::model::schema::{self, FieldType};
use crate::model::{Derived, Kind, Record};

/// The values of a row's columns, taking the moved ones out of `record`.
pub(super) fn row_values(
    ctx: &mut Ctx<'_>,
    mut record: Record,
    derived: Option<Derived>,
    columns: &RowColumns<'_>,
) -> Result<Vec<Value>, crate::Error> {
    let mut row = Vec::with_capacity(columns.paths.len());
    for (path, &moved) in columns.paths.iter().zip(&columns.moved) {
        row.push(if moved {
            Value::Null
        } else {
            ctx.value(&record, derived.as_ref(), path)?
        });
    }
    // Moved last, once every other column has its value.
    for (i, path) in columns.paths.iter().enumerate() {
        if columns.moved[i] {
            row[i] = match take_stored_text(&mut record, path[0]) {
                Some(text) => text.map_or(Value::Null, Value::String),
                // Not one of the fields below: read it as any other.
                None => ctx.value(&record, derived.as_ref(), path)?,
            };
        }
    }
    Ok(row)
}

/// A query's columns as paths, worked out once per statement.
pub(super) struct RowColumns<'q> {
    paths: Vec<Vec<&'q str>>,
    /// Whether each column is a stored text field that no other column
    /// reads: it is moved out of the record rather than copied (copying
    /// was a tenth of a query that prints 8k results).
    moved: Vec<bool>,
}

impl<'q> RowColumns<'q> {
    pub(super) fn new(kind: Kind, columns: &'q [String]) -> RowColumns<'q> {
        let paths: Vec<Vec<&str>> = columns.iter().map(|c| c.split('.').collect()).collect();
        let moved = (0..paths.len())
            .map(|i| match paths[i].as_slice() {
                [name] => {
                    schema::field(kind, name).is_some_and(|f| {
                        f.ty == FieldType::String && !f.derived && !f.stored_as_code
                    }) && paths
                        .iter()
                        .enumerate()
                        .all(|(j, other)| j == i || other.first() != Some(name))
                }
                _ => false,
            })
            .collect();
        RowColumns { paths, moved }
    }
}

/// Moves a stored text field out of a record (`Some(None)`: the field is
/// not set); `None` for any other field.
fn take_stored_text(record: &mut Record, name: &str) -> Option<Option<String>> {
    let take = std::mem::take;
    Some(match (record, name) {
        (Record::Source(s), "title") => Some(take(&mut s.title)),
        (Record::Source(s), "kind") => Some(take(&mut s.kind)),
        (Record::Source(s), "publisher") => s.publisher.take(),
        (Record::Source(s), "url") => s.url.take(),
        (Record::Claim(c), "text") => Some(take(&mut c.text)),
        (Record::Claim(c), "subject") => c.subject.take(),
        (Record::Evidence(e), "note") => e.note.take(),
        (Record::Result(r), "model") => Some(take(&mut r.model)),
        (Record::Result(r), "benchmark") => Some(take(&mut r.benchmark)),
        (Record::Result(r), "metric") => Some(take(&mut r.metric)),
        (Record::Result(r), "unit") => r.unit.take(),
        (Record::Result(r), "note") => r.note.take(),
        _ => return None,
    })
}
