//! `evident import --from eee`: Every Eval Ever records (evaleval's
//! `eval.schema.json`, schema versions 0.2.0 to 0.3.0) as sources and
//! results. A file is one record (`.json`), or one record per line
//! (`.jsonl`); a directory stands for the `.json`/`.jsonl` files in it. All
//! the files of one command are one atomic import.
//!
//! **Sources**: one per `source_metadata.source_organization_name`, id
//! `s:eee/<organisation as an id>`, title the organisation (and its
//! `source_name` when that differs, as the publisher's platform), url the
//! organisation's, kind `benchmark` for an `evaluation_run` and `leaderboard`
//! for `documentation`. Affiliations: the organisation, and for a record
//! whose `evaluator_relationship` is `first_party` or `collaborative` the
//! model's `developer` too (a developer evaluating its own model speaks for
//! it; a collaboration is not independent either). Independence is then
//! derived per claim from these, as SPEC 2 does, rather than trusted from the
//! label. Reliability: 0.75 for a source whose every record is
//! `third_party`, else 0.5 (the default), in this import and those before
//! it (a stored source keeps what earlier imports said of it).
//!
//! **Results**: one per entry of `evaluation_results`: id
//! `r:eee/<evaluation_id>/<evaluation_result_id, or the entry's position>`
//! (as ids; an `evaluation_id` too long for its 80 characters ends in a
//! hash of it), `model` the `model_info.id` (Hugging Face style, as EEE names
//! models), `benchmark` the `evaluation_name`, `metric` the
//! `metric_config.metric_kind`, else `metric_name`, else `score`; `value` the
//! `score_details.score`; unit `fraction` for a 0–1 score (`min_score` 0 and
//! `max_score` 1, or `metric_unit` `proportion`), `%` for 0–100, else
//! `metric_unit` as written. `stderr`: `uncertainty.standard_error.value`,
//! else the confidence interval's half-width over the normal quantile of its
//! `confidence_level` (0.95 when absent). Some files write the interval as
//! bounds (`lower ≤ score ≤ upper`) and some as ± deltas around the score
//! (`lower ≤ 0 ≤ upper`): both are read, and an interval that is neither is
//! an error. `attempts` from `generation_args.max_attempts`, `shots` from an
//! `N-shot` in the result's `prompt_style`, `harness` the `eval_library`
//! name (unless `unknown`), `date` the day of `evaluation_timestamp` (the
//! result's, else the record's; Unix seconds or an ISO date). A record of
//! another schema version is refused: its fields may mean something else.

use super::converted::{Converted, Origin, distinct_slug, expand_paths, number, read_text, slug};
use crate::model::{Kind, Record, Source};
use crate::store::{Store, StoreError};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

/// The schema versions whose fields this reader knows.
pub(crate) const SCHEMA_VERSIONS: [&str; 4] = ["0.2.0", "0.2.1", "0.2.2", "0.3.0"];

/// Reads Every Eval Ever files into records; an organisation's source
/// already in `store` is merged with what the files say of it.
pub(crate) fn read(
    paths: &[PathBuf],
    store: &Store,
    progress: &mut dyn FnMut(u64),
) -> Result<Converted, crate::Error> {
    let files = expand_paths(
        paths,
        &|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"),
        "Every Eval Ever files (.json or .jsonl)",
    )?;
    let mut out = Converted::default();
    let mut sources = Sources::default();
    let mut bytes = 0u64;
    for path in &files {
        let text = read_text(path)?;
        bytes += text.len() as u64;
        let file = out.add_file(path.display().to_string());
        if path.extension().is_some_and(|e| e == "jsonl") {
            for (i, line) in text.lines().enumerate() {
                let trimmed = line.trim();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let at = Origin {
                    file,
                    line: i as u64 + 1,
                };
                read_record(trimmed, at, &|_| at.line, &mut sources, &mut out);
            }
        } else {
            let at = Origin { file, line: 1 };
            let lines = ResultLines::of(&text);
            read_record(&text, at, &|i| lines.line(i), &mut sources, &mut out);
        }
        progress(bytes);
    }
    sources.emit(
        &|id| match store.get(id)? {
            Some(Record::Source(stored)) => Ok(Some(stored)),
            _ => Ok(None),
        },
        &mut out,
    )?;
    Ok(out)
}

/// The line on which each entry of a whole-file record's
/// `evaluation_results` begins, so that a problem names its line.
struct ResultLines(Vec<u64>);

impl ResultLines {
    /// Scans the JSON text: strings are skipped, depth counted; the entries
    /// are the values at depth 2 inside the top-level `evaluation_results`.
    fn of(text: &str) -> ResultLines {
        let bytes = text.as_bytes();
        let mut lines = Vec::new();
        let (mut depth, mut line, mut i) = (0usize, 1u64, 0usize);
        let mut last_key: Option<(usize, usize)> = None;
        let mut in_results = false;
        let mut expect_entry = false;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line += 1,
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        } else if bytes[i] == b'\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                    if depth == 1 {
                        last_key = Some((start, i.min(bytes.len())));
                    }
                    if in_results && depth == 2 && expect_entry {
                        lines.push(line);
                        expect_entry = false;
                    }
                }
                b'[' | b'{' => {
                    if in_results && depth == 2 && expect_entry {
                        lines.push(line);
                        expect_entry = false;
                    }
                    depth += 1;
                    if depth == 2 && bytes[i] == b'[' {
                        in_results =
                            last_key.is_some_and(|(s, e)| &bytes[s..e] == b"evaluation_results");
                        expect_entry = in_results;
                    }
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth < 2 {
                        in_results = false;
                    }
                }
                b',' if in_results && depth == 2 => expect_entry = true,
                c if in_results && depth == 2 && expect_entry && !c.is_ascii_whitespace() => {
                    lines.push(line);
                    expect_entry = false;
                }
                _ => {}
            }
            i += 1;
        }
        ResultLines(lines)
    }

    fn line(&self, entry: usize) -> u64 {
        self.0.get(entry).copied().unwrap_or(1)
    }
}

/// One organisation's source, as its records describe it.
struct SourceEntry {
    title: String,
    platform: Option<String>,
    url: Option<String>,
    kind: &'static str,
    affiliations: Vec<String>,
    all_third_party: bool,
    at: Origin,
}

#[derive(Default)]
struct Sources {
    by_id: HashMap<String, SourceEntry>,
    order: Vec<String>,
}

impl Sources {
    /// The sources as records. One already stored (`stored`) keeps what an
    /// earlier import learnt of it: its affiliations, and being affiliated
    /// at all (reliability 0.75 only while every record of it, in every
    /// import, is third-party). Importing an organisation's files one at a
    /// time otherwise rewrote its source from the last file alone, and a
    /// first-party evaluation read before counted as independent.
    fn emit(
        self,
        stored: &dyn Fn(&str) -> Result<Option<Source>, StoreError>,
        out: &mut Converted,
    ) -> Result<(), crate::Error> {
        for id in &self.order {
            let Some(s) = self.by_id.get(id) else {
                continue;
            };
            let mut affiliations = s.affiliations.clone();
            let mut all_third_party = s.all_third_party;
            if let Some(before) = stored(id)? {
                for a in before.affiliations {
                    if !affiliations.iter().any(|b| b.eq_ignore_ascii_case(&a)) {
                        affiliations.push(a);
                    }
                }
                all_third_party &= before.reliability == THIRD_PARTY_RELIABILITY;
            }
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            let title = match &s.platform {
                Some(p) if !p.eq_ignore_ascii_case(&s.title) => format!("{p} ({})", s.title),
                _ => s.title.clone(),
            };
            m.insert("title".into(), json!(title));
            m.insert("kind".into(), json!(s.kind));
            m.insert("publisher".into(), json!(s.title));
            if let Some(url) = &s.url {
                m.insert("url".into(), json!(url));
            }
            m.insert("affiliations".into(), json!(affiliations));
            if all_third_party {
                m.insert("reliability".into(), json!(THIRD_PARTY_RELIABILITY));
            }
            out.record(s.at, Kind::Source, m);
        }
        Ok(())
    }
}

/// The reliability of an organisation whose every record is third-party.
const THIRD_PARTY_RELIABILITY: f64 = 0.75;

/// A member as text, trimmed, `None` when absent, blank or not text.
fn text<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    get(v, path)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, key| v.get(key))
}

/// Reads one EEE record; `line_of(i)` is the line of its i-th result.
fn read_record(
    json_text: &str,
    at: Origin,
    line_of: &dyn Fn(usize) -> u64,
    sources: &mut Sources,
    out: &mut Converted,
) {
    let record: Value = match serde_json::from_str(json_text) {
        Ok(v) => v,
        Err(e) => {
            let line = if e.line() > 0 && at.line == 1 {
                e.line() as u64
            } else {
                at.line
            };
            out.problem(Origin { line, ..at }, None, format!("invalid JSON: {e}"));
            return;
        }
    };
    if !record.is_object() {
        out.problem(at, None, "an Every Eval Ever record is a JSON object");
        return;
    }
    match record.get("schema_version") {
        Some(Value::String(v)) if SCHEMA_VERSIONS.contains(&v.as_str()) => {}
        Some(Value::String(v)) => {
            out.problem(
                at,
                Some("schema_version"),
                format!(
                    "unknown schema version \"{v}\": this evident reads {}",
                    SCHEMA_VERSIONS.join(", ")
                ),
            );
            return;
        }
        _ => {
            out.problem(
                at,
                Some("schema_version"),
                "missing: an Every Eval Ever record names its schema version",
            );
            return;
        }
    }
    let mut missing = Vec::new();
    let required = [
        ("evaluation_id", &["evaluation_id"][..]),
        (
            "source_metadata.source_organization_name",
            &["source_metadata", "source_organization_name"][..],
        ),
        ("model_info.id", &["model_info", "id"][..]),
    ];
    for (name, path) in required {
        if text(&record, path).is_none() {
            missing.push(name);
        }
    }
    let Some(results) = record.get("evaluation_results").and_then(Value::as_array) else {
        missing.push("evaluation_results");
        for name in &missing {
            out.problem(at, Some(name), "missing or not of the schema's type");
        }
        return;
    };
    if !missing.is_empty() {
        for name in &missing {
            out.problem(at, Some(name), "missing or not of the schema's type");
        }
        return;
    }
    let evaluation_id = text(&record, &["evaluation_id"]).unwrap_or_default();
    let organisation =
        text(&record, &["source_metadata", "source_organization_name"]).unwrap_or_default();
    let model = text(&record, &["model_info", "id"]).unwrap_or_default();
    let relationship =
        text(&record, &["source_metadata", "evaluator_relationship"]).unwrap_or("other");
    if !["first_party", "third_party", "collaborative", "other"].contains(&relationship) {
        out.problem(
            at,
            Some("source_metadata.evaluator_relationship"),
            format!("\"{relationship}\" is not first_party, third_party, collaborative or other"),
        );
        return;
    }
    let source_id = format!("s:eee/{}", slug(organisation));
    let entry = sources.by_id.entry(source_id.clone()).or_insert_with(|| {
        sources.order.push(source_id.clone());
        SourceEntry {
            title: organisation.to_owned(),
            platform: text(&record, &["source_metadata", "source_name"]).map(str::to_owned),
            url: text(&record, &["source_metadata", "source_organization_url"]).map(str::to_owned),
            kind: if text(&record, &["source_metadata", "source_type"]) == Some("evaluation_run") {
                "benchmark"
            } else {
                "leaderboard"
            },
            affiliations: vec![organisation.to_owned()],
            all_third_party: true,
            at,
        }
    });
    entry.all_third_party &= relationship == "third_party";
    if matches!(relationship, "first_party" | "collaborative")
        && let Some(developer) = text(&record, &["model_info", "developer"])
        && !entry
            .affiliations
            .iter()
            .any(|a| a.eq_ignore_ascii_case(developer))
    {
        entry.affiliations.push(developer.to_owned());
    }
    let harness =
        text(&record, &["eval_library", "name"]).filter(|n| !n.eq_ignore_ascii_case("unknown"));
    let record_date = record.get("evaluation_timestamp");
    for (i, result) in results.iter().enumerate() {
        let at = Origin {
            line: line_of(i),
            ..at
        };
        let column = |name: &str| format!("evaluation_results[{i}].{name}");
        let Some(benchmark) = text(result, &["evaluation_name"]) else {
            out.problem(at, Some(&column("evaluation_name")), "missing");
            continue;
        };
        let Some(score) = get(result, &["score_details", "score"]) else {
            out.problem(at, Some(&column("score_details.score")), "missing");
            continue;
        };
        let Some(value) = score.as_f64().filter(|v| v.is_finite()) else {
            out.problem(
                at,
                Some(&column("score_details.score")),
                format!("{score} is not a number"),
            );
            continue;
        };
        let config = result.get("metric_config").unwrap_or(&Value::Null);
        let mut m = Map::new();
        let result_key =
            text(result, &["evaluation_result_id"]).map_or_else(|| i.to_string(), slug);
        m.insert(
            "id".into(),
            json!(format!(
                "r:eee/{}/{result_key}",
                distinct_slug(evaluation_id)
            )),
        );
        m.insert("model".into(), json!(model));
        m.insert("benchmark".into(), json!(benchmark));
        let metric = text(config, &["metric_kind"])
            .or_else(|| text(config, &["metric_name"]))
            .unwrap_or("score");
        m.insert("metric".into(), json!(metric));
        m.insert("value".into(), number(value));
        if let Some(unit) = unit_of(config) {
            m.insert("unit".into(), json!(unit));
        }
        match stderr_of(
            result
                .get("score_details")
                .and_then(|d| d.get("uncertainty")),
            value,
        ) {
            Ok(Some(se)) => {
                m.insert("stderr".into(), number(se));
            }
            Ok(None) => {}
            Err(reason) => {
                out.problem(at, Some(&column("score_details.uncertainty")), reason);
                continue;
            }
        }
        let args = get(result, &["generation_config", "generation_args"]).unwrap_or(&Value::Null);
        if let Some(attempts) = args.get("max_attempts").and_then(Value::as_u64) {
            m.insert("attempts".into(), json!(attempts));
        }
        let prompt_style = text(config, &["additional_details", "prompt_style"]).or_else(|| {
            text(
                result,
                &["source_data", "additional_details", "prompt_style"],
            )
        });
        if let Some(shots) = prompt_style.and_then(shots_in) {
            m.insert("shots".into(), json!(shots));
        }
        if let Some(harness) = harness {
            m.insert("harness".into(), json!(harness));
        }
        match date_of(result.get("evaluation_timestamp").or(record_date)) {
            Ok(Some(date)) => {
                m.insert("date".into(), json!(date));
            }
            Ok(None) => {}
            Err(reason) => {
                out.problem(at, Some("evaluation_timestamp"), reason);
                continue;
            }
        }
        if let Some(description) = text(config, &["evaluation_description"]) {
            m.insert("note".into(), json!(description));
        }
        m.insert("source".into(), json!(source_id));
        out.record(at, Kind::Result, m);
    }
}

/// `fraction`, `%`, or the metric's own unit.
fn unit_of(config: &Value) -> Option<String> {
    let min = config.get("min_score").and_then(Value::as_f64);
    let max = config.get("max_score").and_then(Value::as_f64);
    let unit = text(config, &["metric_unit"]);
    match (min, max, unit) {
        (_, _, Some(u)) if u.eq_ignore_ascii_case("proportion") => Some("fraction".into()),
        (_, _, Some(u)) if u.eq_ignore_ascii_case("percent") || u == "%" => Some("%".into()),
        (Some(lo), Some(hi), _) if lo == 0.0 && hi == 1.0 => Some("fraction".into()),
        (Some(lo), Some(hi), _) if lo == 0.0 && hi == 100.0 => Some("%".into()),
        (_, _, unit) => unit.map(str::to_owned),
    }
}

/// The standard error of a score from its `uncertainty`.
fn stderr_of(uncertainty: Option<&Value>, score: f64) -> Result<Option<f64>, String> {
    let Some(u) = uncertainty.filter(|u| !u.is_null()) else {
        return Ok(None);
    };
    if let Some(se) = get(u, &["standard_error", "value"]) {
        return match se.as_f64() {
            Some(se) if se.is_finite() && se >= 0.0 => Ok(Some(se)),
            _ => Err(format!("standard_error.value {se} is not a number ≥ 0")),
        };
    }
    let Some(ci) = u.get("confidence_interval").filter(|c| !c.is_null()) else {
        return Ok(None);
    };
    let (Some(lower), Some(upper)) = (
        ci.get("lower").and_then(Value::as_f64),
        ci.get("upper").and_then(Value::as_f64),
    ) else {
        return Err("confidence_interval needs numbers lower and upper".into());
    };
    let level = ci
        .get("confidence_level")
        .and_then(Value::as_f64)
        .unwrap_or(0.95);
    let is_interval = level > 0.0 && level < 1.0 && lower <= upper;
    if !is_interval {
        return Err(format!(
            "confidence_interval [{lower}, {upper}] at level {level} is not an interval"
        ));
    }
    // Bounds around the score, or ± deltas around zero: the half-width is
    // the same either way; an interval that holds neither is a mistake.
    let bounds = lower <= score && score <= upper;
    let deltas = lower <= 0.0 && 0.0 <= upper;
    if !bounds && !deltas {
        return Err(format!(
            "confidence_interval [{lower}, {upper}] holds neither the score {score} (bounds) nor 0 (± deltas)"
        ));
    }
    Ok(Some(
        (upper - lower) / 2.0 / normal_quantile(0.5 + level / 2.0),
    ))
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9: ample for a standard error).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// `5-shot CoT` → 5.
fn shots_in(style: &str) -> Option<u64> {
    let lower = style.to_ascii_lowercase();
    let end = lower.find("-shot")?;
    let digits: String = lower[..end]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// A timestamp (Unix seconds, as a number or text, or an ISO date) as its day.
fn date_of(v: Option<&Value>) -> Result<Option<String>, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let seconds = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim();
            if let Some(day) = s
                .get(..10)
                .filter(|d| crate::model::Date::parse(d).is_some())
            {
                return Ok(Some(day.to_owned()));
            }
            s.parse::<f64>().ok()
        }
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() && (0.0..253_402_300_800.0).contains(&s) => {
            Ok(day_of_unix(s as i64))
        }
        _ => Err(format!("{v} is not Unix seconds or a YYYY-MM-DD date")),
    }
}

/// The UTC day of Unix seconds.
fn day_of_unix(seconds: i64) -> Option<String> {
    crate::model::Date::from_unix_days(seconds.div_euclid(86_400)).map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Converted {
        let mut out = Converted::default();
        let file = out.add_file("t.json".into());
        let lines = ResultLines::of(text);
        let mut sources = Sources::default();
        read_record(
            text,
            Origin { file, line: 1 },
            &|i| lines.line(i),
            &mut sources,
            &mut out,
        );
        sources
            .emit(&|_| Ok(None), &mut out)
            .expect("nothing stored");
        out
    }

    fn record(version: &str, relationship: &str, uncertainty: Value) -> String {
        serde_json::to_string_pretty(&json!({
            "schema_version": version,
            "evaluation_id": "board/org_m/1750000000",
            "evaluation_timestamp": "1750000000",
            "retrieved_timestamp": "1750000001",
            "source_metadata": {"source_name": "Board", "source_type": "documentation",
                "source_organization_name": "Org", "evaluator_relationship": relationship},
            "eval_library": {"name": "lm-eval", "version": "0.4"},
            "model_info": {"name": "m", "id": "dev/m", "developer": "dev"},
            "evaluation_results": [
                {"evaluation_name": "MMLU", "metric_config": {"lower_is_better": false, "min_score": 0.0, "max_score": 1.0},
                 "score_details": {"score": 0.5, "uncertainty": uncertainty}},
                {"evaluation_name": "GSM8K", "metric_config": {"lower_is_better": false},
                 "score_details": {"score": "high"}}
            ]
        }))
        .expect("json")
    }

    #[test]
    fn results_sources_and_both_kinds_of_interval() {
        let bounds = convert(&record(
            "0.2.1",
            "third_party",
            json!({"confidence_interval": {"lower": 0.4, "upper": 0.6, "confidence_level": 0.95}}),
        ));
        let deltas = convert(&record(
            "0.3.0",
            "first_party",
            json!({"confidence_interval": {"lower": -0.1, "upper": 0.1}}),
        ));
        for c in [&bounds, &deltas] {
            let r = &c.records[0].2;
            assert_eq!(r["id"], "r:eee/board-org_m-1750000000/0");
            assert_eq!(r["unit"], "fraction");
            assert_eq!(r["date"], "2025-06-15");
            assert_eq!(r["harness"], "lm-eval");
            let se = r["stderr"].as_f64().expect("stderr");
            assert!((se - 0.1 / 1.959_963_985).abs() < 1e-9, "{se}");
            // The second result's score is not a number: located on its line.
            let (at, col, reason) = &c.problems[0];
            assert_eq!(
                col.as_deref(),
                Some("evaluation_results[1].score_details.score")
            );
            assert_eq!(reason, "\"high\" is not a number");
            assert!(at.line > 20, "{}", at.line);
        }
        let third = &bounds.records[1].2;
        assert_eq!(
            (third["affiliations"].clone(), third["reliability"].clone()),
            (json!(["Org"]), json!(0.75))
        );
        let first = &deltas.records[1].2;
        assert_eq!(first["affiliations"], json!(["Org", "dev"]));
        assert!(!first.contains_key("reliability"));
    }

    #[test]
    fn refusals() {
        let c = convert(&record("0.9.0", "third_party", Value::Null));
        assert_eq!(c.problems.len(), 1);
        assert!(
            c.problems[0]
                .2
                .starts_with("unknown schema version \"0.9.0\""),
            "{:?}",
            c.problems
        );
        assert!(c.records.is_empty());
        let c = convert(&record(
            "0.2.0",
            "third_party",
            json!({"confidence_interval": {"lower": 0.7, "upper": 0.8}}),
        ));
        assert!(
            c.problems[0].2.contains("holds neither"),
            "{:?}",
            c.problems
        );
        assert_eq!(convert("{\"schema_version\": ").problems.len(), 1);
        assert_eq!(convert("[]").problems.len(), 1);
    }

    #[test]
    fn helpers() {
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-8);
        assert!((normal_quantile(0.95) - 1.644_853_627).abs() < 1e-8);
        assert_eq!(shots_in("5-shot CoT"), Some(5));
        assert_eq!(shots_in("zero-shot"), None);
        assert_eq!(day_of_unix(0).as_deref(), Some("1970-01-01"));
        assert_eq!(day_of_unix(1_777_613_486).as_deref(), Some("2026-05-01"));
    }
}
