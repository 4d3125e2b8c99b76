//! SPEC section 8: benchmark claims, the setup fields of results, and which
//! results bear on a benchmark claim as derived evidence. Pure: the store
//! hands in the candidates and the recorded evidence it can see, and keeps
//! what [`judge`] returns (`store/derived_evidence.rs`); `as of` views,
//! `explain` and `check` call the same function, so all of them agree to
//! the last bit.

use super::{BenchResult, Claim, Date, Evidence, Id, Stance};
use serde::{Deserialize, Serialize};

/// How a benchmark claim compares its value with a result's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparator {
    /// "scores 74%": within the tolerance either way.
    Equal,
    /// "above 60%": at least the value, less the tolerance.
    AtLeast,
    /// "below 10%": at most the value, plus the tolerance.
    AtMost,
}

impl Comparator {
    /// Every comparator, in the order SPEC 8.1 lists them.
    pub const ALL: [Comparator; 3] = [Comparator::Equal, Comparator::AtLeast, Comparator::AtMost];

    /// The comparator as written in files and statements.
    pub fn name(self) -> &'static str {
        match self {
            Comparator::Equal => "=",
            Comparator::AtLeast => ">=",
            Comparator::AtMost => "<=",
        }
    }

    /// Parses `=`, `>=` or `<=`.
    pub fn from_name(name: &str) -> Option<Comparator> {
        Comparator::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The comparator names, for suggestions and completion.
pub const COMPARATORS: &[&str] = &["=", ">=", "<="];

/// The fields that make a claim a benchmark claim (SPEC 8.1). Every one is
/// optional while a record is being filled; [`complete_claim`] then
/// requires `model`, `benchmark` and `value` and stores the defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimBenchmark {
    /// The model or system, as results name it.
    pub model: Option<String>,
    /// The benchmark, as results name it.
    pub benchmark: Option<String>,
    /// The metric (`score` by default).
    pub metric: Option<String>,
    /// `=`, `>=` or `<=` (`=` by default).
    pub comparator: Option<Comparator>,
    /// The claimed score.
    pub value: Option<f64>,
    /// Unit such as `%`.
    pub unit: Option<String>,
    /// How far a result may be from the value and still support it, in the
    /// claim's unit.
    pub tolerance: Option<f64>,
    /// The split the claim states.
    pub split: Option<String>,
    /// The agent scaffold or evaluation harness the claim states.
    pub harness: Option<String>,
    /// Few-shot examples.
    pub shots: Option<u32>,
    /// pass@k's k, or attempts allowed.
    pub attempts: Option<u32>,
}

/// The setup fields SPEC 8.1 adds to results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultSetup {
    /// The split measured.
    pub split: Option<String>,
    /// The agent scaffold or evaluation harness.
    pub harness: Option<String>,
    /// Few-shot examples.
    pub shots: Option<u32>,
    /// pass@k's k, or attempts allowed.
    pub attempts: Option<u32>,
    /// Standard error, in the result's unit.
    pub stderr: Option<f64>,
    /// The result this one merely re-reports.
    pub cites: Option<Id>,
}

/// The default tolerance of SPEC 8.1 for a claim in `unit`.
pub fn default_tolerance(unit: Option<&str>) -> f64 {
    match unit {
        Some(u) if u.eq_ignore_ascii_case("%") => 2.0,
        Some(u) if u.eq_ignore_ascii_case("fraction") => 0.02,
        _ => 0.0,
    }
}

/// Finishes a claim once its members are read: a benchmark claim must have
/// `model`, `benchmark`, `value` and a `subject`, and gets the defaults of
/// SPEC 8.1 stored. Problems are (field, reason).
pub fn complete_claim(claim: &mut Claim, errors: &mut Vec<(String, String)>) {
    let Some(bench) = claim.bench.as_deref_mut() else {
        return;
    };
    let missing: Vec<&str> = [
        ("model", bench.model.is_none()),
        ("benchmark", bench.benchmark.is_none()),
        ("value", bench.value.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    for name in &missing {
        errors.push((
            (*name).to_owned(),
            format!(
                "missing: a benchmark claim needs model, benchmark and value (this one lacks {})",
                missing.join(", ")
            ),
        ));
    }
    if claim.subject.is_none() {
        errors.push((
            "subject".to_owned(),
            "missing: a benchmark claim needs the party answerable for the model \
             (normally its maker), or the maker's own report would count as independent"
                .to_owned(),
        ));
    }
    bench.metric.get_or_insert_with(|| "score".to_owned());
    bench.comparator.get_or_insert(Comparator::Equal);
    if bench.tolerance.is_none() {
        bench.tolerance = Some(default_tolerance(bench.unit.as_deref()));
    }
}

/// The key that pairs benchmark claims with results (SPEC 8.2): model,
/// benchmark and metric, ignoring ASCII case. Its value in the benchmark
/// indexes is the store's `keys::bench_key_value`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BenchKey {
    /// Lowercased model.
    pub model: String,
    /// Lowercased benchmark.
    pub benchmark: String,
    /// Lowercased metric.
    pub metric: String,
}

impl BenchKey {
    fn new(model: &str, benchmark: &str, metric: &str) -> BenchKey {
        BenchKey {
            model: model.to_ascii_lowercase(),
            benchmark: benchmark.to_ascii_lowercase(),
            metric: metric.to_ascii_lowercase(),
        }
    }

    /// A benchmark claim's key; `None` for any other claim.
    pub fn of_claim(claim: &Claim) -> Option<BenchKey> {
        let b = claim.bench.as_deref()?;
        Some(BenchKey::new(
            b.model.as_deref()?,
            b.benchmark.as_deref()?,
            b.metric.as_deref().unwrap_or("score"),
        ))
    }

    /// A result's key.
    pub fn of_result(result: &BenchResult) -> BenchKey {
        BenchKey::new(&result.model, &result.benchmark, &result.metric)
    }

    /// Whether `result` has this key: [`BenchKey::of_result`] without
    /// building one (a write compares every candidate it reads).
    pub fn is_of_result(&self, result: &BenchResult) -> bool {
        // Each part is lowercased already, so an ASCII-case-insensitive
        // comparison is equality with the result's lowercased part.
        self.model.eq_ignore_ascii_case(&result.model)
            && self.benchmark.eq_ignore_ascii_case(&result.benchmark)
            && self.metric.eq_ignore_ascii_case(&result.metric)
    }
}

/// Why a candidate result does not count (SPEC 8.2), in the order the
/// reasons are tried.
#[derive(Clone, Debug, PartialEq)]
pub enum IgnoreReason {
    /// 1. No source to weigh.
    NoSource,
    /// 2. It re-reports another result.
    ReReports(Id),
    /// 3. Units that cannot be compared (claim's, result's).
    Units(Option<String>, Option<String>),
    /// 4. The claim states a setup field the result does not.
    Unstated(&'static str),
    /// 4. The result states a different value (field, result's, claim's).
    Differs(&'static str, String, String),
    /// 5. Recorded evidence of the claim already names the result.
    AlreadyEvidence(Id),
    /// 6. A result of the same source wins.
    SupersededBy(Id),
}

impl std::fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = |u: &Option<String>| u.clone().unwrap_or_else(|| "(none)".to_owned());
        match self {
            IgnoreReason::NoSource => write!(f, "no source to weigh"),
            IgnoreReason::ReReports(r) => write!(f, "re-reports {r}"),
            IgnoreReason::Units(claim, result) => {
                write!(f, "unit {} ≠ {}", unit(result), unit(claim))
            }
            IgnoreReason::Unstated(field) => write!(f, "result does not state {field}"),
            IgnoreReason::Differs(field, result, claim) => write!(f, "{field} {result} ≠ {claim}"),
            IgnoreReason::AlreadyEvidence(e) => write!(f, "already evidence {e}"),
            IgnoreReason::SupersededBy(r) => write!(f, "superseded by {r}"),
        }
    }
}

/// How a kept result bears on the claim (SPEC 8.3), in the claim's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bearing {
    /// The result's value in the claim's unit.
    pub value: f64,
    /// Its standard error in the claim's unit (0 if absent).
    pub stderr: f64,
    /// value − the claim's value.
    pub gap: f64,
    /// max(the claim's tolerance, 2 × stderr).
    pub tolerance: f64,
    /// Supports or refutes.
    pub stance: Stance,
}

/// What became of one candidate result.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// The candidate.
    pub result: BenchResult,
    /// Its value in the claim's unit, when the units compare.
    pub converted: Option<f64>,
    /// Kept (with its bearing) or ignored (with why).
    pub verdict: Result<Bearing, IgnoreReason>,
}

/// Converts a result's number to the claim's unit (SPEC 8.2 step 3), or
/// says the units do not compare.
fn unit_factor(claim: Option<&str>, result: Option<&str>) -> Option<Conversion> {
    let lower = |u: Option<&str>| u.map(str::to_ascii_lowercase);
    match (lower(claim).as_deref(), lower(result).as_deref()) {
        (c, r) if c == r => Some(Conversion::Same),
        (Some("%"), Some("fraction")) => Some(Conversion::Times100),
        (Some("fraction"), Some("%")) => Some(Conversion::Over100),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Conversion {
    Same,
    Times100,
    Over100,
}

impl Conversion {
    fn apply(self, n: f64) -> f64 {
        match self {
            Conversion::Same => n,
            Conversion::Times100 => n * 100.0,
            Conversion::Over100 => n / 100.0,
        }
    }
}

/// Step 4 for one setup field: the reason to ignore, if any.
fn setup_mismatch(
    field: &'static str,
    claim: Option<String>,
    result: Option<String>,
    strings: bool,
) -> Option<IgnoreReason> {
    let claim = claim?;
    match result {
        None => Some(IgnoreReason::Unstated(field)),
        Some(r) if strings && r.eq_ignore_ascii_case(&claim) => None,
        Some(r) if !strings && r == claim => None,
        Some(r) => Some(IgnoreReason::Differs(field, r, claim)),
    }
}

/// Judges every candidate of a benchmark claim (SPEC 8.2–8.3).
///
/// `candidates` are the results visible in the view whose key equals the
/// claim's, in ascending id order; `recorded` is the claim's recorded
/// (not derived) evidence visible in the view, as (evidence id, result it
/// names). Returns one judgement per candidate, in the candidates' order;
/// an empty list for a claim that is not a benchmark claim.
pub fn judge<R: std::borrow::Borrow<BenchResult>>(
    claim: &Claim,
    candidates: &[R],
    recorded: &[(Id, Id)],
) -> Vec<Judgement> {
    let Some(bench) = claim.bench.as_deref() else {
        return Vec::new();
    };
    let Some(claimed) = bench.value else {
        return Vec::new();
    };
    let tolerance = bench
        .tolerance
        .unwrap_or_else(|| default_tolerance(bench.unit.as_deref()));
    let comparator = bench.comparator.unwrap_or(Comparator::Equal);
    let mut out: Vec<Judgement> = candidates
        .iter()
        .map(|r| {
            let r: &BenchResult = r.borrow();
            let setup = r.setup.as_deref().cloned().unwrap_or_default();
            let conversion = unit_factor(bench.unit.as_deref(), r.unit.as_deref());
            let converted = conversion.map(|c| c.apply(r.value));
            let number = |n: Option<u32>| n.map(|n| n.to_string());
            let reason = if r.source.is_none() {
                Some(IgnoreReason::NoSource)
            } else if let Some(cited) = &setup.cites {
                Some(IgnoreReason::ReReports(cited.clone()))
            } else if conversion.is_none() {
                Some(IgnoreReason::Units(bench.unit.clone(), r.unit.clone()))
            } else {
                setup_mismatch("split", bench.split.clone(), setup.split.clone(), true)
                    .or_else(|| {
                        setup_mismatch(
                            "harness",
                            bench.harness.clone(),
                            setup.harness.clone(),
                            true,
                        )
                    })
                    .or_else(|| {
                        setup_mismatch("shots", number(bench.shots), number(setup.shots), false)
                    })
                    .or_else(|| {
                        setup_mismatch(
                            "attempts",
                            number(bench.attempts),
                            number(setup.attempts),
                            false,
                        )
                    })
                    .or_else(|| {
                        recorded
                            .iter()
                            .filter(|(_, result)| *result == r.id)
                            .map(|(e, _)| e)
                            .min()
                            .map(|e| IgnoreReason::AlreadyEvidence(e.clone()))
                    })
            };
            let verdict = match (reason, conversion) {
                (Some(reason), _) => Err(reason),
                (None, Some(conversion)) => {
                    let value = conversion.apply(r.value);
                    let stderr = conversion.apply(setup.stderr.unwrap_or(0.0));
                    let gap = value - claimed;
                    let tolerance = tolerance.max(2.0 * stderr);
                    let supports = match comparator {
                        Comparator::Equal => gap.abs() <= tolerance,
                        Comparator::AtLeast => gap >= -tolerance,
                        Comparator::AtMost => gap <= tolerance,
                    };
                    Ok(Bearing {
                        value,
                        stderr,
                        gap,
                        tolerance,
                        stance: if supports {
                            Stance::Supports
                        } else {
                            Stance::Refutes
                        },
                    })
                }
                (None, None) => Err(IgnoreReason::Units(bench.unit.clone(), r.unit.clone())),
            };
            Judgement {
                result: r.clone(),
                converted,
                verdict,
            }
        })
        .collect();
    // Step 6: one source, one derived voice — the latest date, a dated
    // result over an undated one, then the smaller id.
    let better = |a: &BenchResult, b: &BenchResult| -> bool {
        match (a.date, b.date) {
            (Some(x), Some(y)) if x != y => x > y,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            _ => a.id < b.id,
        }
    };
    let mut winners: std::collections::HashMap<Id, usize> = std::collections::HashMap::new();
    for (i, j) in out.iter().enumerate() {
        if let (Ok(_), Some(source)) = (&j.verdict, &j.result.source) {
            let winner = winners.entry(source.clone()).or_insert(i);
            if better(&j.result, &out[*winner].result) {
                *winner = i;
            }
        }
    }
    for i in 0..out.len() {
        let Some(source) = out[i].result.source.clone() else {
            continue;
        };
        if out[i].verdict.is_ok()
            && let Some(&w) = winners.get(&source)
            && w != i
        {
            let winner = out[w].result.id.clone();
            out[i].verdict = Err(IgnoreReason::SupersededBy(winner));
        }
    }
    out
}

/// The derived evidence of a kept judgement (SPEC 8.3): `C~R`, strength 1,
/// the result's source and date, and the gap.
pub fn derived_evidence(claim: &Id, judgement: &Judgement) -> Option<Evidence> {
    let bearing = judgement.verdict.as_ref().ok()?;
    let r = &judgement.result;
    Some(Evidence {
        id: Id::derived_evidence(claim, &r.id),
        claim: claim.clone(),
        source: r.source.clone()?,
        stance: bearing.stance,
        strength: 1.0,
        date: r.date,
        note: None,
        result: Some(r.id.clone()),
        gap: Some(bearing.gap),
    })
}

/// Why a statement cannot change or trace derived evidence `id` (SPEC 8.3:
/// `retract` and `history` of `C~R` are errors that name the result to
/// change instead); `None` for any other id. `doing` is the statement's
/// verb ("retract", "trace the history of").
pub fn derived_refusal(id: &str, doing: &str) -> Option<String> {
    let (claim, result) = Id::split_derived(id)?;
    Some(format!(
        "cannot {doing} {id}: it is evidence the engine derives from result {result} for \
         benchmark claim {claim}; change or retract result {result} (or the claim) instead"
    ))
}

/// A result is visible on `day` when its date is on or before it (SPEC 2).
pub fn result_visible(result: &BenchResult, day: Option<Date>) -> bool {
    match day {
        None => true,
        Some(day) => result.date.is_some_and(|d| d <= day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(value: f64, unit: Option<&str>, comparator: Comparator) -> Claim {
        let mut c = Claim {
            id: Id::new("c").expect("id"),
            text: "t".into(),
            subject: Some("Maker".into()),
            tags: Vec::new(),
            created: None,
            bench: Some(Box::new(ClaimBenchmark {
                model: Some("M".into()),
                benchmark: Some("B".into()),
                value: Some(value),
                unit: unit.map(str::to_owned),
                comparator: Some(comparator),
                ..ClaimBenchmark::default()
            })),
        };
        complete_claim(&mut c, &mut Vec::new());
        c
    }

    fn result(id: &str, value: f64, unit: Option<&str>, source: Option<&str>) -> BenchResult {
        BenchResult {
            id: Id::new(id).expect("id"),
            model: "m".into(),
            benchmark: "b".into(),
            value,
            metric: "SCORE".into(),
            unit: unit.map(str::to_owned),
            date: None,
            source: source.map(|s| Id::new(s).expect("id")),
            note: None,
            setup: None,
        }
    }

    /// The comparison a write makes of every candidate agrees with
    /// building the result's key, whatever the case of either side.
    #[test]
    fn a_key_recognises_its_results_without_building_theirs() {
        let mut r = result("r", 1.0, None, None);
        for (model, benchmark, metric) in [
            ("m", "b", "SCORE"),
            ("M", "B", "score"),
            ("m", "b", "scores"),
            ("mm", "b", "score"),
            ("m", "é", "score"),
            ("m", "B ", "score"),
        ] {
            (r.model, r.benchmark, r.metric) = (model.into(), benchmark.into(), metric.into());
            let key = BenchKey::new("M", "b", "Score");
            assert_eq!(
                key.is_of_result(&r),
                key == BenchKey::of_result(&r),
                "{model} {benchmark} {metric}"
            );
        }
        let key = BenchKey::new("M", "b", "Score");
        r.metric = "score".into();
        (r.model, r.benchmark) = ("m".into(), "b".into());
        assert!(key.is_of_result(&r));
    }

    #[test]
    fn defaults_follow_the_unit() {
        let c = claim(74.0, Some("%"), Comparator::Equal);
        let b = c.bench.as_deref().expect("bench");
        assert_eq!(b.tolerance, Some(2.0));
        assert_eq!(b.metric.as_deref(), Some("score"));
        assert_eq!(
            claim(0.7, Some("Fraction"), Comparator::Equal)
                .bench
                .expect("b")
                .tolerance,
            Some(0.02)
        );
        assert_eq!(
            claim(7.0, None, Comparator::Equal)
                .bench
                .expect("b")
                .tolerance,
            Some(0.0)
        );
    }

    #[test]
    fn units_convert_and_tolerance_decides() {
        let c = claim(74.0, Some("%"), Comparator::Equal);
        let js = judge(
            &c,
            &[
                result("r1", 0.73, Some("fraction"), Some("s1")),
                result("r2", 70.0, Some("%"), Some("s2")),
                result("r3", 70.0, Some("points"), Some("s3")),
                result("r4", 74.0, Some("%"), None),
            ],
            &[],
        );
        assert_eq!(
            js[0].verdict.as_ref().expect("kept").stance,
            Stance::Supports
        );
        assert_eq!(
            js[1].verdict.as_ref().expect("kept").stance,
            Stance::Refutes
        );
        assert_eq!(js[1].verdict.as_ref().expect("kept").gap, -4.0);
        assert_eq!(
            js[2].verdict.as_ref().expect_err("units").to_string(),
            "unit points ≠ %"
        );
        assert_eq!(js[3].verdict, Err(IgnoreReason::NoSource));
        // `>=` accepts anything above the value less the tolerance.
        let at_least = claim(60.0, Some("%"), Comparator::AtLeast);
        let js = judge(&at_least, &[result("r", 90.0, Some("%"), Some("s"))], &[]);
        assert_eq!(
            js[0].verdict.as_ref().expect("kept").stance,
            Stance::Supports
        );
    }

    #[test]
    fn one_source_one_voice_and_recorded_evidence_stands() {
        let c = claim(74.0, Some("%"), Comparator::Equal);
        let mut old = result("r1", 74.0, Some("%"), Some("s"));
        old.date = Date::parse("2025-01-01");
        let mut new = result("r2", 60.0, Some("%"), Some("s"));
        new.date = Date::parse("2025-06-01");
        let undated = result("r0", 74.0, Some("%"), Some("s"));
        let cited = result("r3", 74.0, Some("%"), Some("t"));
        let js = judge(
            &c,
            &[undated, old, new, cited],
            &[(Id::new("e9").expect("id"), Id::new("r3").expect("id"))],
        );
        let reasons: Vec<String> = js
            .iter()
            .map(|j| match &j.verdict {
                Ok(b) => b.stance.name().to_owned(),
                Err(r) => r.to_string(),
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "superseded by r2",
                "superseded by r2",
                "refutes",
                "already evidence e9"
            ]
        );
    }
}
