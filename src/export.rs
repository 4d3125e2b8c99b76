//! JSON Lines export (SPEC section 3): sources, claims, results, evidence,
//! each in id order, so export → import → export is byte-identical.

use crate::model::fields::{self, FieldValue};
use crate::model::{Kind, Record};
use crate::store::Store;
use std::fmt::Write as _;
use std::io::Write;

/// Writes every record; returns how many.
pub fn export(store: &Store, out: &mut dyn Write) -> Result<u64, crate::Error> {
    let mut written = 0;
    let mut line = String::new();
    for kind in Kind::EXPORT_ORDER {
        let mut scan = store.scan(kind)?;
        while let Some((record, _)) = scan.next_record()? {
            // SPEC 8.3: derived evidence is never exported; importing the
            // results and claims derives it again.
            if record.id().is_derived() {
                continue;
            }
            line.clear();
            record_json(&record, &mut line);
            line.push('\n');
            out.write_all(line.as_bytes())
                .map_err(|e| crate::Error::io("write the export", e))?;
            written += 1;
        }
    }
    out.flush()
        .map_err(|e| crate::Error::io("write the export", e))?;
    Ok(written)
}

/// Appends one record as a JSON object: `type` first, then the stored
/// fields in the order of the field table (SPEC section 1). Absent optional
/// fields and empty lists are left out; defaulted fields are always written.
pub fn record_json(record: &Record, out: &mut String) {
    let mut obj = JsonObject::new(out);
    obj.string("type", record.kind().name());
    for def in fields::fields(record.kind()) {
        if let Some(get) = def.stored_get() {
            obj.value(def.name, get(record));
        }
    }
    obj.close();
}

struct JsonObject<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> JsonObject<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        JsonObject { out, first: true }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_json_string(self.out, name);
        self.out.push(':');
    }

    fn string(&mut self, name: &str, value: &str) {
        self.key(name);
        push_json_string(self.out, value);
    }

    /// Writes a member for a field's value, or nothing for an absent value
    /// or an empty list.
    fn value(&mut self, name: &str, value: FieldValue<'_>) {
        match value {
            FieldValue::Absent => {}
            FieldValue::Text(text) => self.string(name, text),
            FieldValue::Number(n) => self.number(name, n),
            FieldValue::Integer(n) => {
                self.key(name);
                // Writing to a String cannot fail.
                let _ = write!(self.out, "{n}");
            }
            FieldValue::Bool(b) => {
                self.key(name);
                self.out.push_str(if b { "true" } else { "false" });
            }
            // A `Date`'s `Display` is `YYYY-MM-DD`, which needs no escaping.
            FieldValue::Date(d) => {
                self.key(name);
                let _ = write!(self.out, "\"{d}\"");
            }
            FieldValue::List(items) => self.list(name, items),
        }
    }

    fn number(&mut self, name: &str, value: f64) {
        self.key(name);
        push_json_number(self.out, value);
    }

    fn list(&mut self, name: &str, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.key(name);
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_json_string(self.out, item);
        }
        self.out.push(']');
    }

    fn close(self) {
        self.out.push('}');
    }
}

/// Appends a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    // serde_json cannot fail on a &str.
    match serde_json::to_string(s) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("\"\""),
    }
}

/// Appends a finite number the way serde_json writes an f64 (shortest
/// round-tripping form, so re-import gives the same bits).
pub fn push_json_number(out: &mut String, n: f64) {
    match serde_json::to_string(&n) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("null"),
    }
}
