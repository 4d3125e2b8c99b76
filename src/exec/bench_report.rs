//! `explain` on a benchmark claim (SPEC 8.3): every candidate result in id
//! order, with its value in the claim's unit, its gap, the tolerance used
//! and its stance — or the reason it was ignored.

use super::output::{Value, format_number};
use crate::model::Claim;
use crate::model::bench::Judgement;
use crate::store::Store;

/// Writes the candidates of a benchmark claim to the text of `explain` and
/// returns them as a value (`None` for any other claim).
pub(super) fn candidates(
    store: &Store,
    claim: &Claim,
    text: &mut String,
) -> Result<Option<Value>, crate::Error> {
    let Some(bench) = claim.bench.as_deref() else {
        return Ok(None);
    };
    let n = format_number;
    let unit = bench.unit.as_deref().unwrap_or("");
    let spaced_unit = match unit {
        "" | "%" => unit.to_owned(),
        u => format!(" {u}"),
    };
    text.push_str(&format!(
        "\nbenchmark claim: {} {} {}{} on {} ({}{}), tolerance {}\n",
        bench.model.as_deref().unwrap_or(""),
        bench.comparator.map_or("=", |c| c.name()),
        bench.value.map(n).unwrap_or_default(),
        spaced_unit,
        bench.benchmark.as_deref().unwrap_or(""),
        bench.metric.as_deref().unwrap_or("score"),
        setup_text(claim),
        bench.tolerance.map(n).unwrap_or_default(),
    ));
    let judgements = store.judge_claim(claim, None)?;
    if judgements.is_empty() {
        text.push_str("no result names this model, benchmark and metric\n");
    } else {
        text.push_str(&format!(
            "{} candidate result{}, in id order:\n",
            judgements.len(),
            if judgements.len() == 1 { "" } else { "s" }
        ));
    }
    let mut values = Vec::with_capacity(judgements.len());
    for (i, j) in judgements.iter().enumerate() {
        let r = &j.result;
        let mut about = Vec::new();
        if let Some(source) = &r.source {
            about.push(format!("source {source}"));
        }
        if let Some(date) = r.date {
            about.push(format!("dated {date}"));
        }
        let given = format!(
            "{}{}",
            n(r.value),
            match r.unit.as_deref() {
                None | Some("") => String::new(),
                Some("%") => "%".to_owned(),
                Some(u) => format!(" {u}"),
            }
        );
        let about = if about.is_empty() {
            String::new()
        } else {
            format!(" ({})", about.join(", "))
        };
        match &j.verdict {
            Ok(b) => text.push_str(&format!(
                "  {}. {}{about}: {given} = {}{spaced_unit}, gap {}, tolerance {}: {} — evidence {}~{}\n",
                i + 1,
                r.id,
                n(b.value),
                n(b.gap),
                n(b.tolerance),
                b.stance.name(),
                claim.id,
                r.id
            )),
            Err(reason) => text.push_str(&format!(
                "  {}. {}{about}: {given}: ignored — {reason}\n",
                i + 1,
                r.id
            )),
        }
        values.push(judgement_value(j));
    }
    Ok(Some(Value::List(values)))
}

/// The setup the claim states, for the heading: ", split …, shots 5".
fn setup_text(claim: &Claim) -> String {
    let Some(b) = claim.bench.as_deref() else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(s) = &b.split {
        parts.push(format!(", split {s}"));
    }
    if let Some(h) = &b.harness {
        parts.push(format!(", harness {h}"));
    }
    if let Some(s) = b.shots {
        parts.push(format!(", shots {s}"));
    }
    if let Some(a) = b.attempts {
        parts.push(format!(", attempts {a}"));
    }
    parts.concat()
}

/// One candidate as a value: the result, its value in the claim's unit,
/// and either gap, tolerance and stance or why it was ignored.
fn judgement_value(j: &Judgement) -> Value {
    let number = |n: Option<f64>| n.map_or(Value::Null, Value::Number);
    let text = |t: Option<String>| t.map_or(Value::Null, Value::String);
    let bearing = j.verdict.as_ref().ok();
    Value::Object(vec![
        ("result".into(), Value::String(j.result.id.to_string())),
        (
            "source".into(),
            text(j.result.source.as_ref().map(|s| s.to_string())),
        ),
        ("value".into(), number(j.converted)),
        ("gap".into(), number(bearing.map(|b| b.gap))),
        ("tolerance".into(), number(bearing.map(|b| b.tolerance))),
        (
            "stance".into(),
            text(bearing.map(|b| b.stance.name().to_owned())),
        ),
        (
            "ignored".into(),
            text(j.verdict.as_ref().err().map(|r| r.to_string())),
        ),
    ])
}
