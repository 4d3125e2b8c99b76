//! Runs parsed statements against the store: checks fields and types first,
//! picks an index where one answers part of the filter, then evaluates.

mod access;
mod bench_report;
mod bind;
mod check_types;
mod columns;
mod count;
mod eval;
mod group;
mod history;
pub mod output;
mod parallel;
mod plan;
mod query;
mod report;

pub(crate) use bind::bind_script;
pub use history::export_history;
pub use output::{Output, RowSink, Value};

use crate::model::{Kind, Record, fields};
use crate::query::ast::{Expr, Span, Statement, StatementKind};
use crate::store::{Change, ChangeSet, Store, StoreError};
use eval::Ctx;

/// A statement that parsed but cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Something in the statement is wrong; the span points at it.
    #[error("{message}")]
    At {
        /// What is wrong.
        message: String,
        /// Where.
        span: Span,
        /// A suggestion, if there is one.
        help: Option<String>,
    },
    /// A script's parameters do not fit it as a whole: a binding that no
    /// `$name` of the script uses (SPEC 4.2).
    #[error("{message}{}", .help.as_ref().map(|h| format!("\n  = help: {h}")).unwrap_or_default())]
    Params {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: Option<String>,
    },
    /// `Database::query` takes exactly one statement.
    #[error(
        "Database::query runs one statement, but the text holds {0}; use run_script for several"
    )]
    NotOneStatement(usize),
}

impl QueryError {
    pub(crate) fn at(span: &Span, message: impl Into<String>, help: Option<String>) -> QueryError {
        QueryError::At {
            message: message.into(),
            span: span.clone(),
            help,
        }
    }

    /// The error with the statement and a caret under the mistake.
    pub fn render(&self, script: &str) -> String {
        match self {
            QueryError::At {
                message,
                span,
                help,
            } => crate::query::diagnostic::render(script, span.clone(), message, help.as_deref()),
            other => other.to_string(),
        }
    }
}

/// Runs one statement. A query in id order hands its rows to `rows`, when
/// given, as it finds them, and returns an [`Output`] without rows.
pub fn execute(
    store: &Store,
    script: &str,
    statement: &Statement,
    rows: Option<&mut dyn RowSink>,
) -> Result<Output, crate::Error> {
    let _ = script;
    let as_of = match &statement.kind {
        StatementKind::Query(q) => q.as_of.as_ref(),
        StatementKind::Count(c) => c.as_of.as_ref(),
        _ => None,
    };
    let mut output = run_statement(store, statement, rows)?;
    if let Some(day) = as_of {
        history::note_undated_evidence(store, *bind::value_of(day)?, &mut output)?;
    }
    Ok(output)
}

fn run_statement(
    store: &Store,
    statement: &Statement,
    rows: Option<&mut dyn RowSink>,
) -> Result<Output, crate::Error> {
    match &statement.kind {
        StatementKind::Query(q) => {
            check_types::check_query(q)?;
            query::run_query(store, q, plan::plan_query(q), rows)
        }
        StatementKind::Count(c) => {
            check_types::check_count(c)?;
            count::run_count(store, c, plan::plan_count(c))
        }
        StatementKind::Show(id) => report::show(store, bind::value_of(id)?, &id.span),
        StatementKind::Explain(id) => report::explain(store, bind::value_of(id)?, &id.span),
        StatementKind::Add(add) => run_add(store, add),
        StatementKind::Retract(id) => run_retract(store, bind::value_of(id)?, &id.span),
        StatementKind::History(id) => history::run_history(store, bind::value_of(id)?, &id.span),
        StatementKind::Changes(c) => history::run_changes(store, c, rows),
    }
}

fn run_add(store: &Store, add: &crate::query::ast::Add) -> Result<Output, crate::Error> {
    // Under the writer lock from the first read: the status changes it
    // reports are between the state it read and the one it wrote.
    let writer = store.lock_writer()?;
    let kind = add.kind.node;
    let mut fields = Vec::with_capacity(add.members.len());
    for (name, value) in &add.members {
        if fields
            .iter()
            .any(|(n, _): &(String, serde_json::Value)| *n == name.node)
        {
            return Err(QueryError::at(
                &name.span,
                format!("field \"{}\" is given twice", name.node),
                None,
            )
            .into());
        }
        fields.push((name.node.clone(), literal_json(&value.node)));
    }
    let mut fields: serde_json::Map<String, serde_json::Value> = fields.into_iter().collect();
    let mut record = crate::import::record_from_fields(kind, &mut fields).map_err(|errors| {
        let (field, reason) = errors.into_iter().next().unwrap_or_default();
        let span = add
            .members
            .iter()
            .find(|(n, _)| n.node == field)
            .map_or(add.record_span.clone(), |(_, v)| v.span.clone());
        QueryError::at(&span, format!("{field}: {reason}"), None)
    })?;
    if record.id().is_unassigned() {
        let id = first_free_id(store, kind)?;
        record.set_id(id);
    }
    let id = record.id().to_string();
    // Evidence changes its claim's status: say how (the claim it named
    // before too, when a replacement moves it to another).
    let mut claims = evidence_claim(Some(&record));
    for old in evidence_claim(store.get(&id)?.as_ref()) {
        if !claims.contains(&old) {
            claims.push(old);
        }
    }
    let before = claims_before(store, &claims)?;
    let mut changes = ChangeSet::new();
    changes.push(Change::Put(record.clone()))?;
    let summary = store
        .write_locked(&writer, &format!("add {} {id}", kind.name()), &mut changes)
        .map_err(|e| rejected_at(&add.record_span, e))?;
    let verb = if summary.unchanged > 0 {
        "unchanged"
    } else if summary.replaced.iter().sum::<u64>() > 0 {
        "replaced"
    } else {
        "added"
    };
    let mut ctx = Ctx::new(store, None);
    let derived = match kind {
        Kind::Claim => store.derived(&id)?,
        _ => None,
    };
    let columns: Vec<String> = fields::default_row(kind)
        .map(|f| f.name.to_owned())
        .collect();
    let row = columns
        .iter()
        .map(|c| ctx.value(&record, derived.as_ref(), &[c.as_str()]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Output {
        columns,
        rows: vec![row],
        notes: Vec::new(),
        report: None,
        message: Some(format!(
            "{verb} {} {id}{}",
            kind.name(),
            status_changes(store, &before)?
        )),
    })
}

/// A statement's write refused by the store, as an error pointing at the
/// statement (`add`'s record, `retract`'s id); other store errors as they are.
fn rejected_at(span: &Span, e: StoreError) -> crate::Error {
    match e {
        StoreError::Rejected(r) => {
            let text = r
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            crate::Error::Query(QueryError::at(span, text, None))
        }
        other => other.into(),
    }
}

/// The claim a piece of evidence bears on, if `record` is evidence.
fn evidence_claim(record: Option<&Record>) -> Vec<String> {
    match record {
        Some(Record::Evidence(e)) => vec![e.claim.to_string()],
        _ => Vec::new(),
    }
}

/// Each claim's derived status and confidence before a write.
fn claims_before(
    store: &Store,
    claims: &[String],
) -> Result<Vec<(String, Option<crate::model::Derived>)>, crate::Error> {
    claims
        .iter()
        .map(|c| Ok((c.clone(), store.derived(c)?)))
        .collect()
}

/// One line per claim, each after a line break, saying what a write did to
/// its status: `c1: unresolved → verified (confidence 0.5 → 0.95)`, or
/// `c1: still verified (confidence 0.95)` when nothing changed.
fn status_changes(
    store: &Store,
    before: &[(String, Option<crate::model::Derived>)],
) -> Result<String, crate::Error> {
    let mut text = String::new();
    for (claim, old) in before {
        let (Some(old), Some(new)) = (old, store.derived(claim)?) else {
            continue;
        };
        let (from, to) = (short(old.confidence), short(new.confidence));
        let confidence = if from == to {
            format!("confidence {to}")
        } else {
            format!("confidence {from} → {to}")
        };
        text.push_str(&if old.status == new.status {
            format!("\n{claim}: still {} ({confidence})", new.status.name())
        } else {
            format!(
                "\n{claim}: {} → {} ({confidence})",
                old.status.name(),
                new.status.name()
            )
        });
    }
    Ok(text)
}

/// A confidence for people: at most four decimals, no float noise
/// (`0.9500000000000001` is `0.95`).
fn short(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_owned()
}

fn first_free_id(store: &Store, kind: Kind) -> Result<crate::model::Id, crate::Error> {
    for n in 1u64.. {
        let candidate = format!("{}{n}", kind.id_prefix());
        if store.get(&candidate)?.is_none() {
            return crate::model::Id::new(&candidate).map_err(|e| {
                crate::Error::Internal(format!("the new id \"{candidate}\" is not valid: {e}"))
            });
        }
    }
    Err(crate::Error::NoFreeId(kind))
}

/// Refuses `doing` something to derived evidence (SPEC 8.3), which only
/// its result and claim change; an id of its shape that no derived evidence
/// has is no record.
fn refuse_derived(store: &Store, id: &str, doing: &str, span: &Span) -> Result<(), crate::Error> {
    let Some(why) = crate::model::bench::derived_refusal(id, doing) else {
        return Ok(());
    };
    let why = match store.get(id)? {
        Some(_) => why,
        None => format!("no record has the id \"{id}\""),
    };
    Err(QueryError::at(span, why, None).into())
}

fn run_retract(store: &Store, id: &str, span: &Span) -> Result<Output, crate::Error> {
    refuse_derived(store, id, "retract", span)?;
    let Ok(parsed) = crate::model::Id::new(id) else {
        return Err(QueryError::at(span, format!("\"{id}\" is not a valid id"), None).into());
    };
    // Under the writer lock from the first read, as `add`.
    let writer = store.lock_writer()?;
    let Some(record) = store.get(id)? else {
        return Err(QueryError::at(span, format!("no record has the id \"{id}\""), None).into());
    };
    let before = claims_before(store, &evidence_claim(Some(&record)))?;
    let mut changes = ChangeSet::new();
    changes.push(Change::Retract(parsed))?;
    store
        .write_locked(&writer, &format!("retract {id}"), &mut changes)
        .map_err(|e| rejected_at(span, e))?;
    Ok(Output {
        message: Some(format!(
            "retracted {} {id}{}",
            record.kind().name(),
            status_changes(store, &before)?
        )),
        ..Output::default()
    })
}

fn literal_json(lit: &crate::query::ast::Literal) -> serde_json::Value {
    use crate::query::ast::Literal;
    match lit {
        Literal::String(s) => serde_json::Value::String(s.clone()),
        Literal::Number(n) => serde_json::Number::from_f64(*n)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Literal::Date(d) => serde_json::Value::String(d.to_string()),
        Literal::Bool(b) => serde_json::Value::Bool(*b),
        Literal::List(items) => {
            serde_json::Value::Array(items.iter().map(|i| literal_json(&i.node)).collect())
        }
        // Bound before the statement runs (`bind::bind_script`): never here.
        Literal::Param(_) => serde_json::Value::Null,
    }
}

/// Whether a record is visible in an `as of` view (SPEC section 2).
fn visible(ctx: &mut Ctx<'_>, record: &Record) -> Result<bool, crate::Error> {
    let Some(day) = ctx.as_of else {
        return Ok(true);
    };
    Ok(match record {
        Record::Claim(c) => c.created.is_none_or(|d| d <= day),
        Record::Source(s) => s.published.is_some_and(|d| d <= day),
        Record::Result(r) => r.date.is_some_and(|d| d <= day),
        Record::Evidence(e) => ctx.evidence_visible(e)?,
    })
}

/// The conjuncts of a filter's top-level `and`s.
fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::And(a, b) => {
            let mut out = conjuncts(a);
            out.extend(conjuncts(b));
            out
        }
        other => vec![other],
    }
}
