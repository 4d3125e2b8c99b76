//! The one validator that turns named field values into a [`Record`]: a
//! JSON line of an import, or the members of an `add` statement. What each
//! field accepts, and the reasons it gives, are in the field table
//! ([`crate::model::fields`]); this file walks that table.

use crate::model::fields::{self, Access};
use crate::model::{Kind, Record};
use serde_json::{Map, Value};

/// Parses one JSON line into a record; the errors are (field, reason).
pub fn parse_line(text: &str) -> Result<Record, Vec<(Option<String>, String)>> {
    let field_errors =
        |errs: Vec<(String, String)>| errs.into_iter().map(|(f, r)| (Some(f), r)).collect();
    // Fast path: a well-formed line of known field names.
    if let Ok(mut raw) = serde_json::from_str::<RawLine>(text) {
        let kind = parse_kind(Some(Value::String(std::mem::take(&mut raw.ty))))?;
        return record_from_fields(kind, &mut raw).map_err(field_errors);
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| vec![(None, format!("invalid JSON: {e}"))])?;
    let Value::Object(mut object) = value else {
        return Err(vec![(None, "a line must be a JSON object".into())]);
    };
    let kind = parse_kind(object.remove("type"))?;
    record_from_fields(kind, &mut object).map_err(field_errors)
}

/// Builds and validates a record of `kind` from named values. A missing id
/// is left empty for the caller to assign. Errors are (field, reason).
pub fn record_from_fields(
    kind: Kind,
    members: &mut dyn Fields,
) -> Result<Record, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let table = fields::fields(kind);
    let settable = || {
        table
            .iter()
            .filter(|f| matches!(f.access, Access::Stored { .. }))
            .map(|f| f.name)
    };
    for name in members.names() {
        match fields::field(kind, &name) {
            Some(def) if def.derived => errors.push((
                name,
                "is derived by the engine and cannot be set".to_string(),
            )),
            Some(_) => {}
            None => {
                let hint = crate::query::suggest::did_you_mean(&name, settable())
                    .map(|s| format!(" — did you mean \"{s}\"?"))
                    .unwrap_or_default();
                let reason = format!("unknown field for a {}{hint}", kind.name());
                errors.push((name, reason));
            }
        }
    }
    let mut record = Record::blank(kind);
    fields::fill(
        &mut record,
        &mut |name| members.take(name).filter(|v| !v.is_null()),
        &mut errors,
    );
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(errors)
    }
}

/// Named field values a record is built from: a JSON object, an `add`
/// statement's members, or the typed fast path of [`parse_line`].
pub trait Fields {
    /// The names present, in any order.
    fn names(&self) -> Vec<String>;
    /// Removes and returns a field's value.
    fn take(&mut self, name: &str) -> Option<Value>;
}

impl Fields for Map<String, Value> {
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.remove(name)
    }
}

/// Declares the typed line: every field any kind has, so serde parses a
/// line without building a map of names, and rejects unknown names (the
/// slow path then says which).
macro_rules! raw_line {
    ($($field:ident),* $(,)?) => {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawLine {
            #[serde(rename = "type")]
            ty: String,
            $(#[serde(default)] $field: Option<Value>,)*
        }

        impl Fields for RawLine {
            fn names(&self) -> Vec<String> {
                let mut names = Vec::new();
                $(if self.$field.is_some() { names.push(stringify!($field).to_owned()); })*
                names
            }

            fn take(&mut self, name: &str) -> Option<Value> {
                match name {
                    $(stringify!($field) => self.$field.take(),)*
                    _ => None,
                }
            }
        }
    };
}

raw_line!(
    id,
    title,
    kind,
    publisher,
    url,
    published,
    affiliations,
    reliability,
    text,
    subject,
    tags,
    created,
    claim,
    source,
    stance,
    strength,
    date,
    note,
    result,
    model,
    benchmark,
    value,
    metric,
    unit,
);

fn parse_kind(value: Option<Value>) -> Result<Kind, Vec<(Option<String>, String)>> {
    match value {
        Some(Value::String(t)) => Kind::from_name(&t).ok_or_else(|| {
            let hint =
                crate::query::suggest::did_you_mean(&t, ["source", "claim", "evidence", "result"])
                    .map(|s| format!(" — did you mean \"{s}\"?"))
                    .unwrap_or_default();
            vec![(
                Some("type".into()),
                format!("unknown type \"{t}\"{hint} (expected source, claim, evidence or result)"),
            )]
        }),
        Some(_) => Err(vec![(Some("type".into()), "must be a string".into())]),
        None => Err(vec![(
            Some("type".into()),
            "missing (expected source, claim, evidence or result)".into(),
        )]),
    }
}
