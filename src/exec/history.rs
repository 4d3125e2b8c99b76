//! `history ID` and `changes [since T1] [until T2] [where …]` (SPEC 9):
//! rows from the status log the store keeps with every write.

use super::QueryError;
use super::eval::{compare, contains_ignoring_case, op_holds, output_value};
use super::output::{Output, RowSink, Value, write_error};
use crate::model::time::{format_time, parse_time};
use crate::model::{Id, Kind, Record, fields};
use crate::query::ast::{Changes, Expr, Field, Literal, Span};
use crate::store::{HistoryAction, SeqWindow, Store, Verdict};
use std::cmp::Ordering;
use std::collections::HashMap;

/// The members of a `changes` row, in order.
const CHANGES_COLUMNS: [&str; 7] = [
    "id",
    "text",
    "status_before",
    "status",
    "confidence_before",
    "confidence",
    "changed",
];

/// A record as `export` writes it: `type`, then the stored fields present,
/// in the order of the field table (empty lists left out).
fn record_value(record: &Record) -> Value {
    let mut members = vec![(
        "type".to_owned(),
        Value::String(record.kind().name().to_owned()),
    )];
    for def in fields::fields(record.kind()) {
        let Some(get) = def.stored_get() else {
            continue;
        };
        match output_value(get(record)) {
            Value::Null => {}
            Value::List(items) if items.is_empty() => {}
            v => members.push((def.name.to_owned(), v)),
        }
    }
    Value::Object(members)
}

fn time_value(ms: Option<u64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(format_time(ms)))
}

fn verdict_values(v: Option<Verdict>) -> [Value; 2] {
    match v {
        Some((status, confidence)) => [
            Value::String(status.name().to_owned()),
            Value::Number(confidence),
        ],
        None => [Value::Null, Value::Null],
    }
}

/// `history ID`: one row per recorded write of the record, oldest first.
pub fn run_history(store: &Store, id: &str, span: &Span) -> Result<Output, crate::Error> {
    super::refuse_derived(store, id, "trace the history of", span)?;
    let writes = store.history(id)?;
    if writes.is_empty() {
        return Err(QueryError::at(span, format!("no record has the id \"{id}\""), None).into());
    }
    let is_claim = writes.iter().any(|w| w.entry.kind == Kind::Claim);
    let mut columns: Vec<String> = ["recorded", "action", "record"].map(str::to_owned).to_vec();
    if is_claim {
        columns.extend(["status", "confidence"].map(str::to_owned));
    }
    let rows = writes
        .iter()
        .map(|w| {
            let mut row = vec![
                time_value(w.recorded_ms),
                Value::String(w.entry.action.name().to_owned()),
                w.record.as_ref().map_or(Value::Null, record_value),
            ];
            if is_claim {
                row.extend(verdict_values(w.entry.after));
            }
            row
        })
        .collect();
    Ok(Output {
        columns,
        rows,
        ..Output::default()
    })
}

/// `changes [since T1] [until T2] [where …]`: claims whose status after the
/// writes recorded at or before T1 differs from their status after those
/// at or before T2, in id order.
/// Rows go to `stream` as they are found when there is one (the output
/// then holds none), as a query's do.
pub fn run_changes(
    store: &Store,
    changes: &Changes,
    mut stream: Option<&mut dyn RowSink>,
) -> Result<Output, crate::Error> {
    // Bound before the statement runs (`bind::bind_script`).
    let since = super::bind::optional(&changes.since)?;
    let until = super::bind::optional(&changes.until)?;
    if let (Some(since_ms), Some(until_ms), Some(since), Some(until)) =
        (since, until, &changes.since, &changes.until)
        && since_ms > until_ms
    {
        return Err(QueryError::at(
            &(since.span.start..until.span.end),
            format!(
                "since {} is after until {}",
                format_time(since_ms),
                format_time(until_ms)
            ),
            Some("changes since T1 until T2 needs T1 at or before T2".into()),
        )
        .into());
    }
    let last_seq = store.last_seq()?;
    // Without `until`, T2 is now: the clock, or the last write's time if a
    // fixed clock is behind it (writes go 1 ms past the last).
    if let (Some(since_ms), None, Some(since)) = (since, until, &changes.since) {
        let now = (store.clock_ms()).max(store.recorded_ms(last_seq)?.unwrap_or(0));
        if since_ms > now {
            return Err(QueryError::at(
                &since.span,
                format!(
                    "since {} is after now ({})",
                    format_time(since_ms),
                    format_time(now)
                ),
                Some("changes since T1 compares T1 with now: T1 must not be later".into()),
            )
            .into());
        }
    }
    if let Some(filter) = &changes.filter {
        check_filter(filter)?;
    }
    let window = SeqWindow {
        after_seq: since.map(|t| store.last_seq_at_or_before(t)).transpose()?,
        through_seq: match until {
            Some(t) => store.last_seq_at_or_before(t)?,
            None => last_seq,
        },
    };
    let mut rows = Vec::new();
    // Up to now, each claim is its stored record, read in id order like a
    // scan; up to an earlier write, the version that write left.
    let up_to_now = window.through_seq >= last_seq;
    // The status log holds most rows' text; the record is read only for a
    // filter on the claim's other stored fields (or where the log has none).
    let filter_reads_records = changes.filter.as_ref().is_some_and(reads_stored_fields);
    // Made when a row first needs its record: most need none.
    let mut current = None;
    let mut times: HashMap<u64, Value> = HashMap::new();
    let columns = CHANGES_COLUMNS.map(str::to_owned).to_vec();
    if let Some(sink) = stream.as_deref_mut() {
        sink.begin(&columns).map_err(write_error)?;
    }
    store.each_status_change(window, &mut |change| -> Result<(), crate::Error> {
        store.check_interrupt()?;
        let needs_record = filter_reads_records || change.text.is_none();
        let stored = match up_to_now && needs_record {
            true => match &mut current {
                Some(claims) => claims,
                None => current.insert(store.claims_in_order()?),
            }
            .get(&change.id)?,
            false => None,
        };
        let record = match stored {
            Some(r) => Some(r),
            None if needs_record => store.record_after(&change.id, window.through_seq)?,
            None => None,
        };
        let changed = match times.get(&change.changed_seq) {
            Some(t) => t.clone(),
            None => {
                let t = time_value(store.recorded_ms(change.changed_seq)?);
                times.insert(change.changed_seq, t.clone());
                t
            }
        };
        let [status_before, confidence_before] = verdict_values(change.before);
        let [status, confidence] = verdict_values(change.after);
        let text = match (change.text, &record) {
            (Some(text), _) => Value::String(text),
            (None, Some(Record::Claim(c))) => Value::String(c.text.clone()),
            _ => Value::Null,
        };
        let row = vec![
            Value::String(change.id),
            text,
            status_before,
            status,
            confidence_before,
            confidence,
            changed,
        ];
        let keep = match &changes.filter {
            Some(filter) => matches(filter, &row, record.as_ref()),
            None => true,
        };
        if keep {
            match stream.as_deref_mut() {
                Some(sink) => sink.row(&row).map_err(write_error)?,
                None => rows.push(row),
            }
        }
        Ok(())
    })?;
    Ok(Output {
        columns,
        rows,
        ..Output::default()
    })
}

/// Whether a `changes` filter reads a stored field of the claim other than
/// its id and text (which the rows hold).
fn reads_stored_fields(expr: &Expr) -> bool {
    let stored = |field: &Field| matches!(resolve(field), Ok(ChangesField::Stored(def)) if def.name != "id" && def.name != "text");
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => reads_stored_fields(a) || reads_stored_fields(b),
        Expr::Not(a, _) => reads_stored_fields(a),
        Expr::Compare { field, .. }
        | Expr::Has { field, .. }
        | Expr::In { field, .. }
        | Expr::Contains { field, .. }
        | Expr::IsNull { field, .. }
        | Expr::Truthy(field) => stored(field),
        Expr::Quantified { .. } => false,
    }
}

/// What a field of a `changes` filter is: a row member, or a stored
/// field of the claim.
enum ChangesField {
    Member(usize),
    Stored(&'static fields::FieldDef),
}

fn resolve(field: &Field) -> Result<ChangesField, QueryError> {
    let first = &field.path[0];
    if field.path.len() > 1 {
        return Err(QueryError::at(
            &field.span,
            "changes can filter on the row's members and the claim's own fields, not on other records"
                .to_string(),
            None,
        ));
    }
    if let Some(n) = CHANGES_COLUMNS.iter().position(|c| *c == first.node) {
        return Ok(ChangesField::Member(n));
    }
    if let Some(def) = fields::field(Kind::Claim, &first.node)
        && def.stored_get().is_some()
    {
        return Ok(ChangesField::Stored(def));
    }
    let known = CHANGES_COLUMNS.iter().copied().chain(
        fields::fields(Kind::Claim)
            .iter()
            .filter(|d| d.stored_get().is_some())
            .map(|d| d.name),
    );
    let help =
        crate::suggest::did_you_mean(&first.node, known).map(|s| format!("did you mean \"{s}\"?"));
    Err(QueryError::at(
        &first.span,
        format!("unknown field \"{}\" in changes", first.node),
        help.or_else(|| {
            Some(format!(
                "changes rows have {}, and the claim's stored fields",
                CHANGES_COLUMNS.join(", ")
            ))
        }),
    ))
}

/// Checks a `changes` filter before anything runs: known fields, numbers
/// compared with numbers, times with times, no quantifiers.
fn check_filter(expr: &Expr) -> Result<(), QueryError> {
    let check_value = |field: &Field, lit: &Literal, span: &Span| -> Result<(), QueryError> {
        let wanted = match resolve(field)? {
            ChangesField::Member(4 | 5) => "a number",
            ChangesField::Member(6) => "a time",
            ChangesField::Member(_) => "a string",
            ChangesField::Stored(def) => {
                return match (def.ty, lit) {
                    (fields::FieldType::Date, Literal::Date(_)) => Ok(()),
                    (fields::FieldType::Date, _) => Err(QueryError::at(
                        span,
                        format!("{} is a date; compare it with a date", def.name),
                        None,
                    )),
                    _ => Ok(()),
                };
            }
        };
        let fits = match (wanted, lit) {
            ("a number", Literal::Number(_)) => true,
            ("a time", Literal::Date(_)) => true,
            ("a time", Literal::String(s)) => parse_time(s).is_ok(),
            ("a string", Literal::String(_)) => true,
            _ => false,
        };
        if fits {
            Ok(())
        } else {
            Err(QueryError::at(
                span,
                format!("{} is {wanted}", field.path[0].node),
                (wanted == "a time").then(|| {
                    "write a day (2026-12-05) or a quoted time (\"2026-12-05T09:30:00Z\")".into()
                }),
            ))
        }
    };
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => {
            check_filter(a)?;
            check_filter(b)
        }
        Expr::Not(a, _) => check_filter(a),
        Expr::Compare { field, value, .. } | Expr::Has { field, value } => {
            check_value(field, &value.node, &value.span)
        }
        Expr::In { field, values, .. } => values
            .iter()
            .try_for_each(|v| check_value(field, &v.node, &v.span)),
        Expr::Contains { field, .. } | Expr::IsNull { field, .. } | Expr::Truthy(field) => {
            resolve(field).map(drop)
        }
        Expr::Quantified { span, .. } => Err(QueryError::at(
            span,
            "quantifiers are not allowed in changes",
            Some("filter on the row's members or the claim's own fields".into()),
        )),
    }
}

/// The value of a (checked) field on a `changes` row.
fn value_of(field: &Field, row: &[Value], record: Option<&Record>) -> Value {
    match resolve(field) {
        Ok(ChangesField::Member(n)) => row[n].clone(),
        Ok(ChangesField::Stored(def)) => match (def.stored_get(), record) {
            (Some(get), Some(record)) => output_value(get(record)),
            _ => Value::Null,
        },
        Err(_) => Value::Null,
    }
}

/// Compares a value with a literal; `changed` (a time) with a day or a time.
fn compare_member(field: &Field, value: &Value, lit: &Literal) -> Option<Ordering> {
    if field.path[0].node == "changed" {
        let Value::String(changed) = value else {
            return None;
        };
        let other = match lit {
            Literal::Date(d) => parse_time(&d.to_string()).ok()?,
            Literal::String(s) => parse_time(s).ok()?,
            _ => return None,
        };
        return Some(changed.as_str().cmp(format_time(other).as_str()));
    }
    compare(value, lit)
}

fn matches(expr: &Expr, row: &[Value], record: Option<&Record>) -> bool {
    match expr {
        Expr::Or(a, b) => matches(a, row, record) || matches(b, row, record),
        Expr::And(a, b) => matches(a, row, record) && matches(b, row, record),
        Expr::Not(a, _) => !matches(a, row, record),
        Expr::Compare { field, op, value } => {
            compare_member(field, &value_of(field, row, record), &value.node)
                .is_some_and(|ord| op_holds(op.node, ord))
        }
        Expr::In {
            field,
            negated,
            values,
        } => {
            let v = value_of(field, row, record);
            let found = values
                .iter()
                .any(|lit| compare_member(field, &v, &lit.node) == Some(Ordering::Equal));
            v != Value::Null && found != *negated
        }
        Expr::Contains { field, needle } => {
            // Bound before the statement runs (`bind::bind_script`).
            let Ok(needle) = needle.node.written() else {
                return false;
            };
            let needle = needle.to_lowercase();
            match value_of(field, row, record) {
                Value::String(t) => contains_ignoring_case(&t, &needle),
                Value::List(items) => items
                    .iter()
                    .any(|i| matches!(i, Value::String(t) if contains_ignoring_case(t, &needle))),
                _ => false,
            }
        }
        Expr::Has { field, value } => match (value_of(field, row, record), &value.node) {
            (Value::List(items), Literal::String(want)) => items
                .iter()
                .any(|i| matches!(i, Value::String(t) if t == want)),
            _ => false,
        },
        Expr::IsNull { field, negated } => {
            (value_of(field, row, record) == Value::Null) != *negated
        }
        Expr::Truthy(field) => value_of(field, row, record) == Value::Bool(true),
        Expr::Quantified { .. } => false,
    }
}

/// `evident export --history`: every recorded write, in the order it was
/// made, as JSON Lines `{"recorded", "action", "id", "record"}` (`record`
/// as `export` writes it, `null` after a retract; `recorded` `null` for
/// writes made before times were recorded). Derive rows are left out: they
/// follow from the writes; so is derived evidence, never exported (SPEC
/// 8.3), whose rows only databases written before this build hold.
/// Returns how many lines.
pub fn export_history(store: &Store, out: &mut dyn std::io::Write) -> Result<u64, crate::Error> {
    let mut written = 0u64;
    let mut failed: Option<crate::Error> = None;
    store.each_status_log_entry(&mut |seq, id, entry| {
        if entry.action == HistoryAction::Derive
            || Id::split_derived(id).is_some()
            || failed.is_some()
        {
            return Ok(());
        }
        let record = match entry.action {
            HistoryAction::Retract => None,
            _ => store.record_after(id, seq)?,
        };
        let line = Value::Object(vec![
            ("recorded".into(), time_value(store.recorded_ms(seq)?)),
            ("action".into(), Value::String(entry.action.name().into())),
            ("id".into(), Value::String(id.into())),
            (
                "record".into(),
                record.as_ref().map_or(Value::Null, record_value),
            ),
        ]);
        // `io::Error::from` keeps a write's own error kind (a broken pipe
        // ends `export --history | head` quietly, as `export | head` ends).
        let result = serde_json::to_writer(&mut *out, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        match result {
            Ok(()) => written += 1,
            Err(e) => failed = Some(crate::Error::io("write the history", e)),
        }
        Ok(())
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()
        .map_err(|e| crate::Error::io("write the history", e))?;
    Ok(written)
}

/// Adds the note SPEC 2 asks of a statement with `as of`: how many pieces
/// of recorded evidence have no effective date, when there are any
/// (`as of 2020-01-01: 8,079 pieces of evidence have no date and are not counted`).
pub fn note_undated_evidence(
    store: &Store,
    day: crate::model::Date,
    output: &mut Output,
) -> Result<(), crate::Error> {
    let undated_sources = store.undated_sources()?;
    let n: u64 = match undated_sources.is_empty() {
        // Every piece of evidence has a date, its own or its source's.
        true => 0,
        // The statement has ended: both cores walk the evidence.
        false => super::parallel::fold_dealt(true, &|deal| {
            Ok(store.count_undated_evidence(&undated_sources, deal)?)
        })?
        .into_iter()
        .sum(),
    };
    if n > 0 {
        let (count, verb) = match n {
            1 => ("1 piece of evidence".to_owned(), "has"),
            n => (format!("{} pieces of evidence", with_thousands(n)), "have"),
        };
        output.notes.push(format!(
            "as of {day}: {count} {verb} no date and {} not counted",
            if n == 1 { "is" } else { "are" }
        ));
    }
    Ok(())
}

/// `8079` as `8,079`.
fn with_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
