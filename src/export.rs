//! JSON Lines export (SPEC section 3): sources, claims, results, evidence,
//! each in id order, so export → import → export is byte-identical.

use crate::model::{Kind, Record};
use crate::store::Store;
use std::io::Write;

/// Writes every record; returns how many.
pub fn export(store: &Store, out: &mut dyn Write) -> Result<u64, crate::Error> {
    let mut written = 0;
    let mut line = String::new();
    for kind in Kind::EXPORT_ORDER {
        let mut scan = store.scan(kind)?;
        while let Some((record, _)) = scan.next_record()? {
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

/// Appends one record as a JSON object: `type` first, then the fields of
/// SPEC section 1 in order. Absent optional fields and empty lists are
/// left out; defaulted fields are always written.
pub fn record_json(record: &Record, out: &mut String) {
    let mut obj = JsonObject::new(out);
    obj.string("type", record.kind().name());
    match record {
        Record::Source(s) => {
            obj.string("id", s.id.as_str());
            obj.string("title", &s.title);
            obj.string("kind", &s.kind);
            obj.opt_string("publisher", s.publisher.as_deref());
            obj.opt_string("url", s.url.as_deref());
            obj.opt_string("published", s.published.map(|d| d.to_string()).as_deref());
            obj.list("affiliations", &s.affiliations);
            obj.number("reliability", s.reliability);
        }
        Record::Claim(c) => {
            obj.string("id", c.id.as_str());
            obj.string("text", &c.text);
            obj.opt_string("subject", c.subject.as_deref());
            obj.list("tags", &c.tags);
            obj.opt_string("created", c.created.map(|d| d.to_string()).as_deref());
        }
        Record::Evidence(e) => {
            obj.string("id", e.id.as_str());
            obj.string("claim", e.claim.as_str());
            obj.string("source", e.source.as_str());
            obj.string("stance", e.stance.name());
            obj.number("strength", e.strength);
            obj.opt_string("date", e.date.map(|d| d.to_string()).as_deref());
            obj.opt_string("note", e.note.as_deref());
            obj.opt_string("result", e.result.as_ref().map(|r| r.as_str()));
        }
        Record::Result(r) => {
            obj.string("id", r.id.as_str());
            obj.string("model", &r.model);
            obj.string("benchmark", &r.benchmark);
            obj.number("value", r.value);
            obj.string("metric", &r.metric);
            obj.opt_string("unit", r.unit.as_deref());
            obj.opt_string("date", r.date.map(|d| d.to_string()).as_deref());
            obj.opt_string("source", r.source.as_ref().map(|s| s.as_str()));
            obj.opt_string("note", r.note.as_deref());
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

    fn opt_string(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.string(name, v);
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
