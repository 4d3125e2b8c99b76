//! `show ID` and `explain ID`: one record, and how a claim got its status.

use super::QueryError;
use super::eval::Ctx;
use super::output::{Output, Value, format_number};
use crate::model::derive::status_rule;
use crate::model::{Kind, Record, fields};
use crate::query::ast::Span;
use crate::store::{SourceCache, Store};

fn not_found(store: &Store, id: &str, span: &Span) -> crate::Error {
    let _ = store;
    QueryError::at(span, format!("no record has the id \"{id}\""), None).into()
}

/// One line per piece of evidence: what it is and what it weighs.
struct Step {
    evidence: String,
    source: String,
    source_title: String,
    supports: bool,
    strength: f64,
    reliability: f64,
    weight: f64,
    independent: bool,
    /// The evidence's own date.
    date: Option<crate::model::Date>,
    /// The date `as of` goes by: its own, else its source's publication.
    effective_date: Option<crate::model::Date>,
    note: Option<String>,
    result: Option<String>,
}

fn steps(store: &Store, claim: &crate::model::Claim) -> Result<Vec<Step>, crate::Error> {
    let mut sources = SourceCache::default();
    let mut ctx = Ctx::new(store, None);
    let mut out = Vec::new();
    for fact in store.evidence_facts(claim.id.as_str())? {
        let (date, effective_date, note, result) =
            match store.get_of_kind(Kind::Evidence, &fact.evidence)? {
                Some(Record::Evidence(e)) => (
                    e.date,
                    ctx.effective_date(&e)?,
                    e.note,
                    e.result.map(|r| r.to_string()),
                ),
                _ => (None, None, None, None),
            };
        let title = match store.get_of_kind(Kind::Source, &fact.source)? {
            Some(Record::Source(s)) => s.title,
            _ => String::new(),
        };
        let Some(source) = sources.get(store, &fact.source)? else {
            continue;
        };
        out.push(Step {
            evidence: fact.evidence,
            source: fact.source,
            source_title: title,
            supports: fact.supports,
            strength: fact.strength,
            reliability: source.reliability,
            weight: fact.strength * source.reliability,
            independent: source.independent_of(claim.subject.as_deref()),
            date,
            effective_date,
            note,
            result,
        });
    }
    Ok(out)
}

/// The one-line reason a claim has its status, in plain words.
fn reason(claim: &crate::model::Claim, d: &crate::model::Derived, steps: &[Step]) -> String {
    let (status, rule) = status_rule(d.independent_support, d.independent_refute);
    if steps.is_empty() {
        return format!("{}: there is no evidence", status.name());
    }
    let dependent = steps.iter().filter(|s| !s.independent).count();
    if status == crate::model::Status::Unresolved
        && d.independent_support == 0.0
        && d.independent_refute == 0.0
        && dependent > 0
    {
        let subject = claim.subject.as_deref().unwrap_or("the subject");
        return format!(
            "{}: all evidence comes from sources affiliated with {subject}, which are not independent",
            status.name()
        );
    }
    format!(
        "{}: {rule} (independent support {}, independent refutation {})",
        status.name(),
        format_number(d.independent_support),
        format_number(d.independent_refute)
    )
}

/// `show ID`.
pub fn show(store: &Store, id: &str, span: &Span) -> Result<Output, crate::Error> {
    let Some(record) = store.get(id)? else {
        return Err(not_found(store, id, span));
    };
    let kind = record.kind();
    let derived = if kind == Kind::Claim {
        store.derived(id)?
    } else {
        None
    };
    let mut ctx = Ctx::new(store, None);
    // Every field, not only the default row: `show` lists all those present.
    let mut columns: Vec<String> = fields::fields(kind)
        .iter()
        .map(|f| f.name.to_owned())
        .collect();
    let mut row = Vec::with_capacity(columns.len() + 2);
    for c in &columns {
        row.push(ctx.value(&record, derived.as_ref(), &[c.as_str()])?);
    }
    // The fields of SPEC 8, outside the default row, only where present.
    let listed = |name: &str, v: &Value| {
        fields::field(kind, name).is_none_or(|f| f.in_default_row)
            || !matches!(v, Value::Null | Value::Bool(false))
    };
    (columns, row) = columns
        .into_iter()
        .zip(row)
        .filter(|(c, v)| listed(c, v))
        .unzip();
    let mut report = String::new();
    for (c, v) in columns.iter().zip(&row) {
        if *v != Value::Null {
            report.push_str(&format!("{c:>20}: {}\n", v.to_text()));
        }
    }
    if let (Record::Claim(claim), Some(d)) = (&record, derived.as_ref()) {
        let steps = steps(store, claim)?;
        let why = reason(claim, d, &steps);
        report.push_str(&format!("\nwhy: {why}\n"));
        if !steps.is_empty() {
            report.push_str("\nevidence:\n");
        }
        let mut evidence = Vec::new();
        for s in &steps {
            report.push_str(&format!(
                "  {} {} {} ({}){}{}\n",
                s.evidence,
                if s.supports { "supports" } else { "refutes " },
                s.source,
                s.source_title,
                if s.independent {
                    ""
                } else {
                    " — not independent"
                },
                derived_from(s)
            ));
            evidence.push(step_value(s, false));
        }
        columns.push("evidence".into());
        row.push(Value::List(evidence));
        columns.push("why".into());
        row.push(Value::String(why));
    }
    Ok(Output {
        columns,
        rows: vec![row],
        report: Some(report.trim_end().to_owned()),
        message: None,
        notes: Vec::new(),
    })
}

/// How `show` marks derived evidence (SPEC 8.3): the result it comes from.
fn derived_from(s: &Step) -> String {
    match (crate::model::Id::split_derived(&s.evidence), &s.result) {
        (Some(_), Some(result)) => format!(" — derived from result {result}"),
        _ => String::new(),
    }
}

/// A step as a value; `details` adds the date, note and result (`explain`
/// has them, `show` keeps its shape).
fn step_value(s: &Step, details: bool) -> Value {
    let mut members = vec![
        ("id".into(), Value::String(s.evidence.clone())),
        ("source".into(), Value::String(s.source.clone())),
        (
            "stance".into(),
            Value::String(if s.supports { "supports" } else { "refutes" }.into()),
        ),
        ("strength".into(), Value::Number(s.strength)),
        ("reliability".into(), Value::Number(s.reliability)),
        ("weight".into(), Value::Number(s.weight)),
        ("independent".into(), Value::Bool(s.independent)),
    ];
    if !details && crate::model::Id::split_derived(&s.evidence).is_some() {
        // `show` marks derived evidence with the result it comes from.
        members.push((
            "result".into(),
            s.result.clone().map_or(Value::Null, Value::String),
        ));
    }
    if details {
        let date = |d: Option<crate::model::Date>| d.map_or(Value::Null, Value::Date);
        let text = |t: &Option<String>| t.clone().map_or(Value::Null, Value::String);
        members.extend([
            ("date".into(), date(s.date)),
            ("effective_date".into(), date(s.effective_date)),
            ("note".into(), text(&s.note)),
            ("result".into(), text(&s.result)),
        ]);
    }
    Value::Object(members)
}

/// The date, result and note of a step, for the text of `explain`; empty
/// when it has none.
fn step_details(s: &Step) -> String {
    let mut parts = Vec::new();
    match (s.date, s.effective_date) {
        (Some(d), _) => parts.push(format!("dated {d}")),
        (None, Some(d)) => parts.push(format!("dated {d} (the source's publication date)")),
        (None, None) => {}
    }
    if let Some(r) = &s.result {
        parts.push(format!("result {r}"));
    }
    if let Some(note) = &s.note {
        // One line per step, whatever the note holds.
        parts.push(format!("note: {}", note.replace(['\n', '\r'], " ")));
    }
    parts.join("; ")
}

/// `explain ID`: the derivation of SPEC section 2, step by step.
pub fn explain(store: &Store, id: &str, span: &Span) -> Result<Output, crate::Error> {
    let Some(record) = store.get(id)? else {
        return Err(not_found(store, id, span));
    };
    let Record::Claim(claim) = record else {
        return Err(QueryError::at(
            span,
            format!(
                "\"{id}\" is {}; explain works on claims",
                record.kind().one()
            ),
            Some(format!("try `show {id}`")),
        )
        .into());
    };
    let d = store.derived(id)?.unwrap_or_default();
    let steps = steps(store, &claim)?;
    let n = format_number;
    let mut r = String::new();
    r.push_str(&format!("claim {}: {}\n", claim.id, claim.text));
    match &claim.subject {
        Some(s) => r.push_str(&format!(
            "subject: {s} (sources affiliated with {s} are not independent)\n"
        )),
        None => r.push_str("subject: none (every source counts as independent)\n"),
    }
    r.push_str(&format!(
        "\n{} piece{} of evidence, in id order:\n",
        steps.len(),
        if steps.len() == 1 { "" } else { "s" }
    ));
    for (i, s) in steps.iter().enumerate() {
        r.push_str(&format!(
            "  {}. {} {} — source {} ({}), weight = strength {} × reliability {} = {}, {}\n",
            i + 1,
            s.evidence,
            if s.supports { "supports" } else { "refutes" },
            s.source,
            s.source_title,
            n(s.strength),
            n(s.reliability),
            n(s.weight),
            if s.independent {
                "independent"
            } else {
                "NOT independent (affiliated with the subject)"
            }
        ));
        let details = step_details(s);
        if !details.is_empty() {
            r.push_str(&format!("     {details}\n"));
        }
    }
    let product = |supports: bool, independent_only: bool| -> String {
        let terms: Vec<String> = steps
            .iter()
            .filter(|s| s.supports == supports && (s.independent || !independent_only))
            .map(|s| format!("(1 − {})", n(s.weight)))
            .collect();
        if terms.is_empty() {
            "0 (no such evidence)".into()
        } else {
            format!("1 − {}", terms.join(" × "))
        }
    };
    r.push('\n');
    r.push_str(&format!(
        "support             = {} = {}\n",
        product(true, false),
        n(d.support)
    ));
    r.push_str(&format!(
        "refute              = {} = {}\n",
        product(false, false),
        n(d.refute)
    ));
    r.push_str(&format!(
        "independent support = {} = {}\n",
        product(true, true),
        n(d.independent_support)
    ));
    r.push_str(&format!(
        "independent refute  = {} = {}\n",
        product(false, true),
        n(d.independent_refute)
    ));
    r.push_str(&format!(
        "confidence          = (1 + {} − {}) / 2 = {}\n",
        n(d.support),
        n(d.refute),
        n(d.confidence)
    ));
    let candidates = super::bench_report::candidates(store, &claim, &mut r)?;
    let (_, rule) = status_rule(d.independent_support, d.independent_refute);
    r.push_str(&format!("\nstatus {}: {rule}\n", d.status.name()));
    let why = reason(&claim, &d, &steps);
    r.push_str(&format!("why: {why}"));
    let mut columns = vec![
        "id",
        "status",
        "confidence",
        "support",
        "refute",
        "independent_support",
        "independent_refute",
        "evidence_count",
        "rule",
        "why",
        "evidence",
    ];
    let row = vec![
        Value::String(claim.id.to_string()),
        Value::String(d.status.name().into()),
        Value::Number(d.confidence),
        Value::Number(d.support),
        Value::Number(d.refute),
        Value::Number(d.independent_support),
        Value::Number(d.independent_refute),
        Value::Integer(i64::try_from(d.evidence_count).unwrap_or(i64::MAX)),
        Value::String(rule.into()),
        Value::String(why),
        Value::List(steps.iter().map(|s| step_value(s, true)).collect()),
    ];
    let mut row = row;
    if let Some(candidates) = candidates {
        columns.push("candidates");
        row.push(candidates);
    }
    Ok(Output {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows: vec![row],
        report: Some(r),
        message: None,
        notes: Vec::new(),
    })
}
