//! JSON Lines import (SPEC section 3) and the one validator that turns
//! named field values into a [`Record`] — used by import and by `add`.

use crate::model::{
    BenchResult, Claim, Date, Evidence, Id, Kind, MAX_STRING_BYTES, Record, Source, Stance,
    admiralty_reliability,
};
use crate::store::{Change, ChangeSet, Rejection, Store, StoreError, WriteSummary};
use serde_json::{Map, Value};
use std::io::BufRead;

/// Most problems listed for one import; the count of the rest follows.
const MAX_REPORTED: usize = 100;
/// Longest line accepted (a record is at most a few 64 KiB strings).
const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Most elements in a list field.
const MAX_LIST_LEN: usize = 1000;

/// One problem with one input line.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    /// The field at fault, if any.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// An import that failed: nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Lines were invalid.
    #[error("{}", render_problems(.file, .problems, *.total))]
    Invalid {
        /// The file's name as given.
        file: String,
        /// The problems (at most [`MAX_REPORTED`]).
        problems: Vec<Problem>,
        /// How many there were in all.
        total: usize,
    },
    /// Reading failed.
    #[error("{file}: {error}")]
    Read {
        /// The file's name as given.
        file: String,
        /// What went wrong.
        error: std::io::Error,
    },
}

fn render_problems(file: &str, problems: &[Problem], total: usize) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| match &p.field {
            Some(field) => format!("{file}:{}: {field}: {}", p.line, p.reason),
            None => format!("{file}:{}: {}", p.line, p.reason),
        })
        .collect();
    if total > problems.len() {
        lines.push(format!("… and {} more problems", total - problems.len()));
    }
    lines.push(format!(
        "{file}: nothing was imported ({total} invalid line{}; --skip-invalid imports the rest)",
        if total == 1 { "" } else { "s" }
    ));
    lines.join("\n")
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Records read, by kind (source, claim, evidence, result).
    pub read: [u64; 4],
    /// What the store did with them.
    pub written: WriteSummary,
    /// Lines skipped with `skip_invalid` and why.
    pub skipped: Vec<Problem>,
    /// Invalid lines in all (more than `skipped` holds when there were many).
    pub skipped_total: usize,
}

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Import the valid lines and report the rest, instead of nothing.
    pub skip_invalid: bool,
}

/// Reads a whole JSON Lines stream and imports it atomically. `progress` is
/// called now and then with the number of bytes read so far.
pub fn import(
    store: &Store,
    file: &str,
    reader: impl BufRead,
    options: ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, crate::Error> {
    let mut report = ImportReport::default();
    let mut problems = ProblemList::default();
    let mut changes = ChangeSet::new();
    // The line of each change, to name it if the store refuses it. As u32
    // (saturating) a 4M-line import holds 16 MiB less while it writes.
    let mut lines_of_changes: Vec<u32> = Vec::new();
    // Records without an id get one once every id in the file is known.
    let mut without_id: Vec<(u64, Record)> = Vec::new();
    let mut bytes_read = 0u64;
    let mut handle =
        |parsed: Vec<(u64, Parsed)>, problems: &mut ProblemList| -> Result<(), crate::Error> {
            for (line, outcome) in parsed {
                match outcome {
                    Parsed::Skip => {}
                    Parsed::Record(record) => {
                        report.read[record.kind() as usize] += 1;
                        if record.id().is_unassigned() {
                            without_id.push((line, record));
                        } else {
                            // Encoded at once: memory holds compact bytes, not structs.
                            changes.push(Change::Put(record))?;
                            lines_of_changes.push(u32::try_from(line).unwrap_or(u32::MAX));
                        }
                    }
                    Parsed::Problems(errs) => {
                        for (field, reason) in errs {
                            problems.add(Problem {
                                line,
                                field,
                                reason,
                            });
                        }
                    }
                }
            }
            Ok(())
        };
    // JSON parsing is most of an import's reading time: two workers parse
    // batches of lines while this thread reads the next ones. Batches are
    // handled in file order, so line numbers and "first id wins" hold.
    std::thread::scope(|scope| -> Result<(), crate::Error> {
        const WORKERS: usize = 2;
        const IN_FLIGHT: usize = 2 * WORKERS;
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<Vec<(u64, Vec<u8>)>>(2);
                let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Vec<(u64, Parsed)>>(2);
                scope.spawn(move || {
                    for batch in batch_rx {
                        let parsed = batch
                            .into_iter()
                            .map(|(line, bytes)| (line, parse_bytes(&bytes)))
                            .collect();
                        if done_tx.send(parsed).is_err() {
                            break;
                        }
                    }
                });
                (batch_tx, done_rx)
            })
            .collect();
        let receive = |n: usize| -> Result<Vec<(u64, Parsed)>, crate::Error> {
            workers[n % WORKERS]
                .1
                .recv()
                .map_err(|_| crate::Error::Internal("an import worker stopped unexpectedly".into()))
        };
        let (mut sent, mut received) = (0usize, 0usize);
        let mut reader = reader;
        let mut line_no = 0u64;
        loop {
            let mut batch = Vec::with_capacity(BATCH_LINES);
            while batch.len() < BATCH_LINES {
                let mut buf = Vec::new();
                let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
                    .read_until(b'\n', &mut buf)
                    .map_err(|error| ImportError::Read {
                        file: file.to_owned(),
                        error,
                    })?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                bytes_read += n as u64;
                if buf.len() > MAX_LINE_BYTES {
                    problems.add(Problem {
                        line: line_no,
                        field: None,
                        reason: format!("line longer than {MAX_LINE_BYTES} bytes"),
                    });
                    // Skip the rest of the over-long line, a bounded piece at a time.
                    loop {
                        let mut rest = Vec::new();
                        let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64)
                            .read_until(b'\n', &mut rest)
                            .map_err(|error| ImportError::Read {
                                file: file.to_owned(),
                                error,
                            })?;
                        if n == 0 || rest.last() == Some(&b'\n') {
                            break;
                        }
                    }
                    continue;
                }
                batch.push((line_no, buf));
            }
            if batch.is_empty() {
                break;
            }
            progress(bytes_read);
            workers[sent % WORKERS].0.send(batch).map_err(|_| {
                crate::Error::Internal("an import worker stopped unexpectedly".into())
            })?;
            sent += 1;
            while sent - received >= IN_FLIGHT {
                handle(receive(received)?, &mut problems)?;
                received += 1;
            }
        }
        while received < sent {
            handle(receive(received)?, &mut problems)?;
            received += 1;
        }
        Ok(())
    })?;
    progress(bytes_read);
    if !without_id.is_empty() {
        assign_ids(store, &changes, &mut without_id)?;
        for (line, record) in without_id {
            changes
                .push(Change::Put(record))
                .map_err(crate::Error::Store)?;
            lines_of_changes.push(u32::try_from(line).unwrap_or(u32::MAX));
        }
    }
    if problems.total > 0 && !options.skip_invalid {
        return Err(ImportError::Invalid {
            file: file.to_owned(),
            total: problems.total,
            problems: problems.sorted(),
        }
        .into());
    }
    let action = format!("import {file}");
    loop {
        match store.write(&action, &mut changes) {
            Ok(written) => {
                report.written = written;
                break;
            }
            Err(StoreError::Rejected(rejections)) => {
                let bad: Vec<u32> = rejections.iter().filter_map(|r| r.position).collect();
                for p in rejection_problems(&rejections, &lines_of_changes) {
                    problems.add(p);
                }
                if !options.skip_invalid || bad.is_empty() {
                    return Err(ImportError::Invalid {
                        file: file.to_owned(),
                        total: problems.total,
                        problems: problems.sorted(),
                    }
                    .into());
                }
                // Drop the rejected changes and try again: dropping a claim
                // may reject its evidence in the next round.
                changes.remove_positions(&bad);
            }
            Err(e) => return Err(e.into()),
        }
    }
    report.skipped_total = problems.total;
    report.skipped = problems.sorted();
    Ok(report)
}

fn rejection_problems(rejections: &[Rejection], lines: &[u32]) -> Vec<Problem> {
    rejections
        .iter()
        .map(|r| Problem {
            line: r
                .position
                .and_then(|p| lines.get(p as usize).map(|&line| u64::from(line)))
                .unwrap_or(0),
            field: r.field.map(str::to_owned),
            reason: r.reason.clone(),
        })
        .collect()
}

/// Gives records without an id the first free `c<N>`, `s<N>`, … (SPEC 1).
fn assign_ids(
    store: &Store,
    changes: &ChangeSet,
    records: &mut [(u64, Record)],
) -> Result<(), crate::Error> {
    let mut next = [1u64; 4];
    let in_file = changes.ids();
    let taken_in_file = |id: &str| in_file.contains(id.as_bytes());
    for (_, record) in records.iter_mut() {
        let kind = record.kind();
        loop {
            let candidate = format!("{}{}", kind.id_prefix(), next[kind as usize]);
            next[kind as usize] += 1;
            if !taken_in_file(&candidate) && store.get(&candidate)?.is_none() {
                record.set_id(
                    Id::new(&candidate)
                        .map_err(|e| crate::Error::Store(StoreError::Encode(Box::new(e))))?,
                );
                break;
            }
        }
    }
    Ok(())
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

/// The problems of one import: the first [`MAX_REPORTED`], and how many in all.
#[derive(Default)]
struct ProblemList {
    kept: Vec<Problem>,
    total: usize,
}

impl ProblemList {
    fn add(&mut self, p: Problem) {
        self.total += 1;
        if self.kept.len() < MAX_REPORTED {
            self.kept.push(p);
        }
    }

    fn sorted(mut self) -> Vec<Problem> {
        self.kept.sort_by_key(|p| p.line);
        self.kept
    }
}

/// Lines handed to a parse worker at a time.
const BATCH_LINES: usize = 2048;

/// What one input line amounts to.
enum Parsed {
    /// Blank or a `#` comment.
    Skip,
    /// A valid record.
    Record(Record),
    /// What is wrong with it: (field, reason).
    Problems(Vec<(Option<String>, String)>),
}

fn parse_bytes(bytes: &[u8]) -> Parsed {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Parsed::Problems(vec![(None, "not valid UTF-8".into())]);
    };
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Parsed::Skip;
    }
    match parse_line(trimmed) {
        Ok(record) => Parsed::Record(record),
        Err(errs) => Parsed::Problems(errs),
    }
}

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
    fields: &mut dyn Fields,
) -> Result<Record, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let allowed = crate::model::schema::fields(kind)
        .iter()
        .filter(|f| !f.derived)
        .map(|f| f.name)
        .collect::<Vec<_>>();
    for name in fields.names() {
        if !allowed.contains(&name.as_str()) {
            let hint = crate::query::suggest::did_you_mean(&name, allowed.iter().copied())
                .map(|s| format!(" — did you mean \"{s}\"?"))
                .unwrap_or_default();
            let derived = crate::model::schema::field(kind, &name).is_some_and(|f| f.derived);
            let reason = if derived {
                "is derived by the engine and cannot be set".to_string()
            } else {
                format!("unknown field for a {}{hint}", kind.name())
            };
            errors.push((name.clone(), reason));
        }
    }
    let mut take = |name: &str| fields.take(name).filter(|v| !v.is_null());
    let mut f = FieldReader {
        errors: &mut errors,
    };
    let id = match take("id") {
        Some(v) => f.id("id", v).unwrap_or_else(placeholder_id),
        None => placeholder_id(),
    };
    let record = match kind {
        Kind::Source => {
            let reliability = match take("reliability") {
                None => 0.5,
                Some(Value::String(letter)) => {
                    admiralty_reliability(&letter).unwrap_or_else(|| {
                        f.err(
                            "reliability",
                            format!(
                                "\"{letter}\" is not a number in [0, 1] or an Admiralty letter A–F"
                            ),
                        );
                        0.5
                    })
                }
                Some(v) => f.unit_number("reliability", v),
            };
            Record::Source(Source {
                id,
                title: f.required_string("title", take("title")),
                kind: match take("kind") {
                    Some(v) => f.word("kind", v),
                    None => "other".into(),
                },
                publisher: take("publisher").map(|v| f.string("publisher", v)),
                url: take("url").map(|v| f.string("url", v)),
                published: take("published").and_then(|v| f.date("published", v)),
                affiliations: take("affiliations")
                    .map(|v| f.list("affiliations", v))
                    .unwrap_or_default(),
                reliability,
            })
        }
        Kind::Claim => Record::Claim(Claim {
            id,
            text: f.required_string("text", take("text")),
            subject: take("subject").map(|v| f.string("subject", v)),
            tags: take("tags").map(|v| f.list("tags", v)).unwrap_or_default(),
            created: take("created").and_then(|v| f.date("created", v)),
        }),
        Kind::Evidence => Record::Evidence(Evidence {
            id,
            claim: f.required_id("claim", take("claim")),
            source: f.required_id("source", take("source")),
            stance: match take("stance") {
                Some(Value::String(s)) => Stance::from_name(&s).unwrap_or_else(|| {
                    let hint = crate::query::suggest::did_you_mean(&s, ["supports", "refutes"])
                        .map(|s| format!(" — did you mean \"{s}\"?"))
                        .unwrap_or_default();
                    f.err(
                        "stance",
                        format!("\"{s}\" is not a stance (supports or refutes){hint}"),
                    );
                    Stance::Supports
                }),
                Some(_) => {
                    f.err("stance", "must be \"supports\" or \"refutes\"".into());
                    Stance::Supports
                }
                None => {
                    f.err("stance", "missing (supports or refutes)".into());
                    Stance::Supports
                }
            },
            strength: take("strength").map_or(1.0, |v| f.unit_number("strength", v)),
            date: take("date").and_then(|v| f.date("date", v)),
            note: take("note").map(|v| f.string("note", v)),
            result: take("result").and_then(|v| f.id("result", v)),
        }),
        Kind::Result => Record::Result(BenchResult {
            id,
            model: f.required_string("model", take("model")),
            benchmark: f.required_string("benchmark", take("benchmark")),
            value: match take("value") {
                Some(v) => f.number("value", v),
                None => {
                    f.err("value", "missing (a number)".into());
                    0.0
                }
            },
            metric: take("metric").map_or_else(|| "score".into(), |v| f.string("metric", v)),
            unit: take("unit").map(|v| f.string("unit", v)),
            date: take("date").and_then(|v| f.date("date", v)),
            source: take("source").and_then(|v| f.id("source", v)),
            note: take("note").map(|v| f.string("note", v)),
        }),
    };
    if errors.is_empty() {
        Ok(record)
    } else {
        Err(errors)
    }
}

/// Stands for "assign one"; replaced before anything is stored.
fn placeholder_id() -> Id {
    Id::unassigned()
}

/// Reads typed values, collecting errors instead of stopping at the first.
struct FieldReader<'e> {
    errors: &'e mut Vec<(String, String)>,
}

impl FieldReader<'_> {
    fn err(&mut self, field: &str, reason: String) {
        self.errors.push((field.to_owned(), reason));
    }

    fn string(&mut self, field: &str, value: Value) -> String {
        match value {
            Value::String(s) if s.len() <= MAX_STRING_BYTES => s,
            Value::String(s) => {
                self.err(
                    field,
                    format!("is {} bytes long; the limit is {MAX_STRING_BYTES}", s.len()),
                );
                String::new()
            }
            other => {
                self.err(
                    field,
                    format!("must be a string, not {}", json_type(&other)),
                );
                String::new()
            }
        }
    }

    fn required_string(&mut self, field: &str, value: Option<Value>) -> String {
        match value {
            Some(v) => self.string(field, v),
            None => {
                self.err(field, "missing (required)".into());
                String::new()
            }
        }
    }

    fn word(&mut self, field: &str, value: Value) -> String {
        let s = self.string(field, value);
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            self.err(
                field,
                format!("\"{s}\" must be one lowercase word, such as blog, memo or report"),
            );
        }
        s
    }

    fn id(&mut self, field: &str, value: Value) -> Option<Id> {
        let s = self.string(field, value);
        match Id::new(&s) {
            Ok(id) => Some(id),
            Err(e) => {
                self.err(
                    field,
                    format!("\"{}\" is not a valid id: {e}", truncate(&s)),
                );
                None
            }
        }
    }

    fn required_id(&mut self, field: &str, value: Option<Value>) -> Id {
        match value {
            Some(v) => self.id(field, v).unwrap_or_else(Id::unassigned),
            None => {
                self.err(field, "missing (required: the id of a record)".into());
                Id::unassigned()
            }
        }
    }

    fn number(&mut self, field: &str, value: Value) -> f64 {
        match value.as_f64() {
            Some(n) if n.is_finite() => n,
            _ => {
                self.err(
                    field,
                    format!("must be a number, not {}", json_type(&value)),
                );
                0.0
            }
        }
    }

    fn unit_number(&mut self, field: &str, value: Value) -> f64 {
        let n = self.number(field, value.clone());
        if value.is_number() && !(0.0..=1.0).contains(&n) {
            self.err(field, format!("{n} is outside [0, 1]"));
        }
        n
    }

    fn date(&mut self, field: &str, value: Value) -> Option<Date> {
        let s = self.string(field, value);
        let date = Date::parse(&s);
        if date.is_none() && !s.is_empty() {
            self.err(
                field,
                format!(
                    "\"{}\" is not a real date in the form YYYY-MM-DD",
                    truncate(&s)
                ),
            );
        }
        date
    }

    fn list(&mut self, field: &str, value: Value) -> Vec<String> {
        match value {
            Value::Array(items) if items.len() <= MAX_LIST_LEN => {
                items.into_iter().map(|v| self.string(field, v)).collect()
            }
            Value::Array(items) => {
                self.err(
                    field,
                    format!("has {} elements; the limit is {MAX_LIST_LEN}", items.len()),
                );
                Vec::new()
            }
            other => {
                self.err(
                    field,
                    format!("must be a list of strings, not {}", json_type(&other)),
                );
                Vec::new()
            }
        }
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
