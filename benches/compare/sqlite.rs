//! The SQLite side: schema, loader and query runner, run as child-process
//! sub-modes of this binary (`--sqlite-import`, `--sqlite-query`).

use super::*;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement, params};
use serde::Deserialize;

/// Every table is keyed by the record id (WITHOUT ROWID: clustered on the
/// id, like evident's id-keyed trees, and every index carries the id so
/// `ORDER BY id` after an index lookup needs no sort). Lists are JSON text.
pub const SCHEMA: &str = "
        CREATE TABLE sources (
            id TEXT PRIMARY KEY NOT NULL,
            title TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'other',
            publisher TEXT,
            url TEXT,
            published TEXT,
            affiliations TEXT NOT NULL DEFAULT '[]',
            reliability REAL NOT NULL DEFAULT 0.5
        ) WITHOUT ROWID;
        CREATE TABLE claims (
            id TEXT PRIMARY KEY NOT NULL,
            text TEXT NOT NULL,
            subject TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            created TEXT,
            status TEXT NOT NULL DEFAULT 'unresolved',
            confidence REAL NOT NULL DEFAULT 0.5,
            support REAL NOT NULL DEFAULT 0,
            refute REAL NOT NULL DEFAULT 0,
            independent_support REAL NOT NULL DEFAULT 0,
            independent_refute REAL NOT NULL DEFAULT 0,
            evidence_count INTEGER NOT NULL DEFAULT 0,
            -- benchmark claims (SPEC 8.1), NULL on other claims
            model TEXT, benchmark TEXT, metric TEXT, comparator TEXT, value REAL, unit TEXT,
            tolerance REAL, split TEXT, harness TEXT, shots INTEGER, attempts INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE evidence (
            id TEXT NOT NULL UNIQUE,
            claim TEXT NOT NULL,
            source TEXT NOT NULL,
            stance TEXT NOT NULL,
            strength REAL NOT NULL DEFAULT 1.0,
            date TEXT,
            note TEXT,
            result TEXT,
            -- evidence derived from a result (SPEC 8.3), stored by the import
            derived INTEGER NOT NULL DEFAULT 0,
            gap REAL,
            PRIMARY KEY (claim, id)
        ) WITHOUT ROWID;
        CREATE TABLE results (
            id TEXT PRIMARY KEY NOT NULL,
            model TEXT NOT NULL,
            benchmark TEXT NOT NULL,
            value REAL NOT NULL,
            metric TEXT NOT NULL DEFAULT 'score',
            unit TEXT,
            date TEXT,
            source TEXT,
            note TEXT,
            split TEXT, harness TEXT, shots INTEGER, attempts INTEGER, stderr REAL, cites TEXT
        ) WITHOUT ROWID;";

/// The columns of `results`, in order: the fields a result line may have.
pub const RESULT_FIELDS: [&str; 15] = [
    "id",
    "model",
    "benchmark",
    "value",
    "metric",
    "unit",
    "date",
    "source",
    "note",
    "split",
    "harness",
    "shots",
    "attempts",
    "stderr",
    "cites",
];

/// The results' indexes, built after the rows are in (faster than
/// maintaining them row by row); the `sqlite3` shell's import builds the
/// same (`import-*-shell`).
pub const RESULT_INDEXES: &str = "
        CREATE INDEX results_model ON results(model);
        CREATE INDEX results_benchmark ON results(benchmark);
        CREATE INDEX results_source ON results(source);";

/// The other tables' indexes, built with [`RESULT_INDEXES`].
pub const INDEXES: &str = "
        CREATE INDEX claims_subject ON claims(subject);
        CREATE INDEX evidence_source ON evidence(source);
        CREATE INDEX evidence_result ON evidence(result);
        CREATE INDEX sources_kind ON sources(kind);";

/// Built, with the derived evidence, only when the file has benchmark
/// claims: the lookup of results by (model, benchmark, metric) ignoring
/// ASCII case (SPEC 8.2), as evident keeps benchmark claims by that triple;
/// and derived evidence by stance, as `evidence where derived and stance
/// = refutes` asks.
pub const BENCH_INDEXES: &str = "
        CREATE INDEX results_triple ON results(lower(model), lower(benchmark), lower(metric));
        CREATE INDEX evidence_derived ON evidence(stance, id) WHERE derived;";

/// The judged candidates of SPEC 8.2–8.3: for each benchmark claim, the
/// results with its (model, benchmark, metric) ignoring ASCII case; steps
/// 1–5 are the `WHERE` (with `{visible}`, more conditions: the recorded
/// evidence that excludes a result, and for a view its day); step 6 (one
/// source, one voice: latest date, dated over undated, smaller id) is the
/// window, kept where `voice = 1`; the stance is computed in 64-bit floats
/// in the order SPEC 8.3 gives. Columns: claim, result, source, date,
/// stance, g (the gap), voice.
const JUDGED_CANDIDATES: &str = "
        SELECT claim, result, source, date,
               CASE WHEN (comparator = '=' AND abs(g) <= t)
                      OR (comparator = '>=' AND g >= -t)
                      OR (comparator = '<=' AND g <= t)
                    THEN 'supports' ELSE 'refutes' END AS stance,
               g,
               row_number() OVER (PARTITION BY claim, source
                                  ORDER BY date IS NULL, date DESC, result) AS voice
        FROM (
            SELECT claim, result, source, date, comparator,
                   CASE conv WHEN 1 THEN value WHEN 2 THEN value * 100.0 ELSE value / 100.0 END
                       - claimed AS g,
                   max(tolerance, 2.0 * CASE conv WHEN 1 THEN stderr WHEN 2 THEN stderr * 100.0
                                                  ELSE stderr / 100.0 END) AS t
            FROM (
                SELECT c.id AS claim, r.id AS result, r.source AS source, r.date AS date,
                       c.comparator AS comparator, c.value AS claimed, c.tolerance AS tolerance,
                       r.value AS value, coalesce(r.stderr, 0.0) AS stderr,
                       CASE WHEN (c.unit IS NULL AND r.unit IS NULL) OR lower(c.unit) = lower(r.unit) THEN 1
                            WHEN lower(c.unit) = '%' AND lower(r.unit) = 'fraction' THEN 2
                            WHEN lower(c.unit) = 'fraction' AND lower(r.unit) = '%' THEN 3
                       END AS conv
                FROM claims c
                JOIN results r ON lower(r.model) = lower(c.model)
                              AND lower(r.benchmark) = lower(c.benchmark)
                              AND lower(r.metric) = lower(c.metric)
                WHERE c.model IS NOT NULL
                  AND r.source IS NOT NULL
                  AND r.cites IS NULL
                  AND (c.split IS NULL OR lower(r.split) = lower(c.split))
                  AND (c.harness IS NULL OR lower(r.harness) = lower(c.harness))
                  AND (c.shots IS NULL OR r.shots = c.shots)
                  AND (c.attempts IS NULL OR r.attempts = c.attempts)
                  {visible})
            WHERE conv IS NOT NULL)";

/// [`JUDGED_CANDIDATES`] with `visible`'s conditions.
pub fn judged_candidates_sql(visible: &str) -> String {
    JUDGED_CANDIDATES.replace("{visible}", visible)
}

/// The derived evidence of SPEC 8.2–8.3 (the judged candidates that are
/// their source's voice, where no recorded evidence names the result),
/// stored before the claims' derived columns (which then count it like
/// any evidence).
fn derive_evidence_sql() -> String {
    format!(
        "INSERT INTO evidence (id, claim, source, stance, strength, date, result, derived, gap)
         SELECT claim || '~' || result, claim, source, stance, 1.0, date, result, 1, g
         FROM ({}) WHERE voice = 1",
        judged_candidates_sql(
            "AND NOT EXISTS (SELECT 1 FROM evidence e WHERE e.claim = c.id AND e.result = r.id)"
        )
    )
}

/// What the `sqlite3` shell's import (`import-*-shell`) loads into each
/// table: the sub-mode's rows, exported as CSV, in the table's column
/// order, NULL as an empty cell. A claim's derived columns are reset to
/// their defaults (the shell's script derives them) and evidence derived
/// from results is left out (neither data set has benchmark claims).
pub const SHELL_TABLES: [(&str, &str); 4] = [
    ("sources", "SELECT * FROM sources"),
    (
        "claims",
        "SELECT id, text, subject, tags, created, 'unresolved', 0.5, 0.0, 0.0, 0.0, 0.0, 0,
                model, benchmark, metric, comparator, value, unit, tolerance, split, harness,
                shots, attempts
         FROM claims",
    ),
    ("evidence", "SELECT * FROM evidence WHERE NOT derived"),
    ("results", "SELECT * FROM results"),
];

/// Built after the derived columns are computed.
pub const DERIVED_INDEXES: &str = "
        CREATE INDEX claims_status ON claims(status);
        CREATE INDEX claims_confidence ON claims(confidence DESC, id);";

/// Each evidence row with its weight and independence (SPEC §2);
/// `{visible}` is replaced by an extra condition for `as of` views.
/// Case-insensitive comparison uses SQLite's `lower`, which folds ASCII only.
const WEIGHTED_EVIDENCE: &str = "
        SELECT e.id AS id, e.claim AS claim, e.stance AS stance,
               e.strength * s.reliability AS w,
               (c.subject IS NULL OR s.affiliations = '[]' OR NOT EXISTS (
                    SELECT 1 FROM json_each(s.affiliations) a
                    WHERE lower(a.value) = lower(c.subject))) AS ind
        FROM evidence e
        JOIN sources s ON s.id = e.source
        JOIN claims c ON c.id = e.claim
        {visible}";

const STATUS_CASE: &str = "CASE
            WHEN {is} >= 0.7 AND {ir} < 0.3 THEN 'verified'
            WHEN {ir} >= 0.7 AND {is} < 0.3 THEN 'refuted'
            WHEN {is} >= 0.3 AND {ir} >= 0.3 THEN 'contested'
            ELSE 'unresolved' END";

fn status_case(is: &str, ir: &str) -> String {
    STATUS_CASE.replace("{is}", is).replace("{ir}", ir)
}

fn weighted_evidence(visible: &str) -> String {
    WEIGHTED_EVIDENCE.replace("{visible}", visible)
}

/// The derived claim columns of SPEC §2, computed in one pass over the
/// evidence and stored, as evident materialises them on import.
pub fn derive_sql() -> String {
    derive_sql_with(|w| format!("noisy_or(id, {w})"))
}

/// [`derive_sql`] for the `sqlite3` shell, which has no `noisy_or`:
/// `1 − Π(1 − w)` as `1 − exp(Σ ln(1 − w))`, a weight of 1 making it 1
/// (SQLite's `ln(0)` is NULL). The shell sums in its own order, so the
/// last bits may differ from evident's; the work is the same.
pub fn shell_derive_sql() -> String {
    derive_sql_with(|w| {
        format!(
            "CASE WHEN max({w}) >= 1.0 THEN 1.0 \
             ELSE 1.0 - exp(coalesce(sum(ln(1.0 - ({w}))), 0.0)) END"
        )
    })
}

/// The claims' `UPDATE`, `noisy_or` giving the expression that combines
/// the weights `w` of a claim's evidence.
fn derive_sql_with(noisy_or: impl Fn(&str) -> String) -> String {
    format!(
        "UPDATE claims SET
                support = d.s, refute = d.r,
                independent_support = d.i_s, independent_refute = d.i_r,
                evidence_count = d.n,
                confidence = (1.0 + d.s - d.r) / 2.0,
                status = {status}
             FROM (
                SELECT claim,
                    {s} AS s,
                    {r} AS r,
                    {i_s} AS i_s,
                    {i_r} AS i_r,
                    count(*) AS n
                FROM ({evidence})
                GROUP BY claim) AS d
             WHERE claims.id = d.claim",
        s = noisy_or("CASE WHEN stance = 'supports' THEN w END"),
        r = noisy_or("CASE WHEN stance = 'refutes' THEN w END"),
        i_s = noisy_or("CASE WHEN stance = 'supports' AND ind THEN w END"),
        i_r = noisy_or("CASE WHEN stance = 'refutes' AND ind THEN w END"),
        status = status_case("d.i_s", "d.i_r"),
        evidence = weighted_evidence(""),
    )
}

/// `count claims as of DATE group by status`, recomputed from the
/// evidence visible on that day (effective date = evidence date, else the
/// source's publication date; none: not visible).
pub fn as_of_status_sql(date: &str) -> String {
    format!(
        "WITH d AS (
                SELECT claim,
                    noisy_or(id, CASE WHEN stance = 'supports' AND ind THEN w END) AS i_s,
                    noisy_or(id, CASE WHEN stance = 'refutes' AND ind THEN w END) AS i_r
                FROM ({evidence})
                GROUP BY claim)
             SELECT status, count(*) AS count FROM (
                SELECT {status} AS status
                FROM claims LEFT JOIN d ON d.claim = claims.id
                -- a claim created after D is not in the view (SPEC 2)
                WHERE claims.created IS NULL OR claims.created <= '{date}')
             GROUP BY status ORDER BY status",
        evidence = weighted_evidence(&format!("WHERE coalesce(e.date, s.published) <= '{date}'")),
        status = status_case("coalesce(d.i_s, 0)", "coalesce(d.i_r, 0)"),
    )
}

/// `noisy_or(id, w)` = `1 − Π(1 − w)` over the rows whose `w` is not
/// null, multiplied in ascending id order (SPEC §2), whatever order
/// SQLite feeds the rows in, so the bits agree with evident's.
struct NoisyOr;

impl Aggregate<Vec<(String, f64)>, f64> for NoisyOr {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Vec<(String, f64)>> {
        Ok(Vec::new())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<(String, f64)>) -> rusqlite::Result<()> {
        if let Some(w) = ctx.get::<Option<f64>>(1)? {
            acc.push((ctx.get::<String>(0)?, w));
        }
        Ok(())
    }
    fn finalize(
        &self,
        _: &mut Context<'_>,
        acc: Option<Vec<(String, f64)>>,
    ) -> rusqlite::Result<f64> {
        let mut ws = acc.unwrap_or_default();
        ws.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(1.0 - ws.iter().fold(1.0, |product, (_, w)| product * (1.0 - w)))
    }
}

fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_aggregate_function(
        "noisy_or",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        NoisyOr,
    )
}

/// One line of an import file: the union of all record fields, so that
/// serde rejects unknown names and the per-type check rejects misplaced ones.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(rename = "type")]
    record: String,
    id: Option<String>,
    // source
    title: Option<String>,
    kind: Option<String>,
    publisher: Option<String>,
    url: Option<String>,
    published: Option<String>,
    affiliations: Option<Vec<String>>,
    reliability: Option<Reliability>,
    // claim
    text: Option<String>,
    subject: Option<String>,
    tags: Option<Vec<String>>,
    created: Option<String>,
    // evidence
    claim: Option<String>,
    source: Option<String>,
    stance: Option<String>,
    strength: Option<f64>,
    date: Option<String>,
    note: Option<String>,
    result: Option<String>,
    // result
    model: Option<String>,
    benchmark: Option<String>,
    value: Option<f64>,
    metric: Option<String>,
    unit: Option<String>,
    // benchmark claims and results (SPEC 8.1)
    comparator: Option<String>,
    tolerance: Option<f64>,
    split: Option<String>,
    harness: Option<String>,
    shots: Option<f64>,
    attempts: Option<f64>,
    stderr: Option<f64>,
    cites: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Reliability {
    Number(f64),
    Letter(String),
}

fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    (1..=128).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._:/-".contains(c))
}

struct Inserts<'c> {
    source: Statement<'c>,
    claim: Statement<'c>,
    evidence: Statement<'c>,
    result: Statement<'c>,
}

/// The checks of SPEC §1 that every kind shares: a valid id, no overlong
/// string, real dates. Returns the id.
fn check_shared(l: &Line) -> Result<&str, String> {
    let id = l.id.as_deref().ok_or("id: missing")?;
    if !valid_id(id) {
        return Err(format!("id: invalid id {id:?}"));
    }
    let too_long = [&l.title, &l.text, &l.note, &l.publisher, &l.url]
        .into_iter()
        .flatten()
        .any(|s| s.len() > 65_536);
    if too_long {
        return Err("string longer than 64 KiB".into());
    }
    for (name, d) in [
        ("published", &l.published),
        ("created", &l.created),
        ("date", &l.date),
    ] {
        // The engine's own calendar, so both sides reject the same dates.
        if let Some(d) = d
            && evident::model::Date::parse(d).is_none()
        {
            return Err(format!("{name}: not a date: {d:?}"));
        }
    }
    Ok(id)
}

/// Fails on the first field given that `l`'s kind does not have.
fn only_fields(l: &Line, allowed: &[&str]) -> Result<(), String> {
    let present = [
        ("title", l.title.is_some()),
        ("kind", l.kind.is_some()),
        ("publisher", l.publisher.is_some()),
        ("url", l.url.is_some()),
        ("published", l.published.is_some()),
        ("affiliations", l.affiliations.is_some()),
        ("reliability", l.reliability.is_some()),
        ("text", l.text.is_some()),
        ("subject", l.subject.is_some()),
        ("tags", l.tags.is_some()),
        ("created", l.created.is_some()),
        ("claim", l.claim.is_some()),
        ("source", l.source.is_some()),
        ("stance", l.stance.is_some()),
        ("strength", l.strength.is_some()),
        ("date", l.date.is_some()),
        ("note", l.note.is_some()),
        ("result", l.result.is_some()),
        ("model", l.model.is_some()),
        ("benchmark", l.benchmark.is_some()),
        ("value", l.value.is_some()),
        ("metric", l.metric.is_some()),
        ("unit", l.unit.is_some()),
        ("comparator", l.comparator.is_some()),
        ("tolerance", l.tolerance.is_some()),
        ("split", l.split.is_some()),
        ("harness", l.harness.is_some()),
        ("shots", l.shots.is_some()),
        ("attempts", l.attempts.is_some()),
        ("stderr", l.stderr.is_some()),
        ("cites", l.cites.is_some()),
    ];
    match present.iter().find(|(n, set)| *set && !allowed.contains(n)) {
        Some((n, _)) => Err(format!("{n}: unknown field for a {}", l.record)),
        None => Ok(()),
    }
}

/// A source's reliability: a number in [0, 1] or a grade A–F; 0.5 if absent.
fn reliability(l: &Line) -> Result<f64, String> {
    Ok(match &l.reliability {
        None => 0.5,
        Some(Reliability::Number(r)) if (0.0..=1.0).contains(r) => *r,
        Some(Reliability::Number(r)) => {
            return Err(format!("reliability: {r} is outside [0, 1]"));
        }
        Some(Reliability::Letter(s)) => match s.as_str() {
            "A" => 0.9,
            "B" => 0.75,
            "C" | "F" => 0.5,
            "D" => 0.25,
            "E" => 0.1,
            _ => return Err(format!("reliability: not a number or A–F: {s:?}")),
        },
    })
}

/// Checks one parsed line as SPEC §1 asks and stores it; `Err` is the
/// `field: reason` part of an import error.
fn store(ins: &mut Inserts<'_>, l: Line) -> Result<(), String> {
    let id = check_shared(&l)?;
    let sql = |e: rusqlite::Error| format!("id: cannot store: {e}");
    match l.record.as_str() {
        "source" => {
            only_fields(
                &l,
                &[
                    "title",
                    "kind",
                    "publisher",
                    "url",
                    "published",
                    "affiliations",
                    "reliability",
                ],
            )?;
            let title = l.title.as_deref().ok_or("title: missing")?;
            let kind = l.kind.as_deref().unwrap_or("other");
            if kind.is_empty() || !kind.bytes().all(|c| c.is_ascii_lowercase()) {
                return Err(format!("kind: not a lowercase word: {kind:?}"));
            }
            let reliability = reliability(&l)?;
            let affiliations = serde_json::to_string(l.affiliations.as_deref().unwrap_or(&[]))
                .map_err(|e| format!("affiliations: {e}"))?;
            ins.source
                .execute(params![
                    id,
                    title,
                    kind,
                    l.publisher,
                    l.url,
                    l.published,
                    affiliations,
                    reliability
                ])
                .map_err(sql)?;
        }
        "claim" => {
            only_fields(
                &l,
                &[
                    "text",
                    "subject",
                    "tags",
                    "created",
                    "model",
                    "benchmark",
                    "metric",
                    "comparator",
                    "value",
                    "unit",
                    "tolerance",
                    "split",
                    "harness",
                    "shots",
                    "attempts",
                ],
            )?;
            let text = l.text.as_deref().ok_or("text: missing")?;
            let tags = serde_json::to_string(l.tags.as_deref().unwrap_or(&[]))
                .map_err(|e| format!("tags: {e}"))?;
            let bench = bench_claim(&l)?;
            ins.claim
                .execute(params![
                    id,
                    text,
                    l.subject,
                    tags,
                    l.created,
                    l.model,
                    l.benchmark,
                    l.metric.as_deref().or(bench.as_ref().map(|_| "score")),
                    bench.as_ref().map(|b| b.comparator),
                    l.value,
                    l.unit,
                    bench.as_ref().map(|b| b.tolerance),
                    l.split,
                    l.harness,
                    count_field("shots", l.shots, 0)?,
                    count_field("attempts", l.attempts, 1)?,
                ])
                .map_err(sql)?;
        }
        "evidence" => {
            only_fields(
                &l,
                &[
                    "claim", "source", "stance", "strength", "date", "note", "result",
                ],
            )?;
            let claim = l.claim.as_deref().ok_or("claim: missing")?;
            let source = l.source.as_deref().ok_or("source: missing")?;
            let stance = l.stance.as_deref().ok_or("stance: missing")?;
            if stance != "supports" && stance != "refutes" {
                return Err(format!(
                    "stance: must be supports or refutes, not {stance:?}"
                ));
            }
            let strength = l.strength.unwrap_or(1.0);
            if !(0.0..=1.0).contains(&strength) {
                return Err(format!("strength: {strength} is outside [0, 1]"));
            }
            ins.evidence
                .execute(params![
                    id, claim, source, stance, strength, l.date, l.note, l.result
                ])
                .map_err(sql)?;
        }
        "result" => {
            // Every column but the id.
            only_fields(&l, &RESULT_FIELDS[1..])?;
            let model = l.model.as_deref().ok_or("model: missing")?;
            let benchmark = l.benchmark.as_deref().ok_or("benchmark: missing")?;
            let value = l.value.ok_or("value: missing")?;
            let metric = l.metric.as_deref().unwrap_or("score");
            if l.stderr.is_some_and(|s| s < 0.0) {
                return Err("stderr: must be ≥ 0".into());
            }
            ins.result
                .execute(params![
                    id,
                    model,
                    benchmark,
                    value,
                    metric,
                    l.unit,
                    l.date,
                    l.source,
                    l.note,
                    l.split,
                    l.harness,
                    count_field("shots", l.shots, 0)?,
                    count_field("attempts", l.attempts, 1)?,
                    l.stderr,
                    l.cites
                ])
                .map_err(sql)?;
        }
        other => return Err(format!("type: unknown record type {other:?}")),
    }
    Ok(())
}

/// The stored fields of a benchmark claim (SPEC 8.1) that have defaults.
struct BenchClaim {
    comparator: &'static str,
    tolerance: f64,
}

/// A claim's benchmark fields checked, with their defaults; `None` for a
/// claim that has none of them.
fn bench_claim(l: &Line) -> Result<Option<BenchClaim>, String> {
    let any = l.model.is_some()
        || l.benchmark.is_some()
        || l.metric.is_some()
        || l.comparator.is_some()
        || l.value.is_some()
        || l.unit.is_some()
        || l.tolerance.is_some()
        || l.split.is_some()
        || l.harness.is_some()
        || l.shots.is_some()
        || l.attempts.is_some();
    if !any {
        return Ok(None);
    }
    for (name, missing) in [
        ("model", l.model.is_none()),
        ("benchmark", l.benchmark.is_none()),
        ("value", l.value.is_none()),
        ("subject", l.subject.is_none()),
    ] {
        if missing {
            return Err(format!("{name}: missing on a benchmark claim"));
        }
    }
    let comparator = match l.comparator.as_deref() {
        None | Some("=") => "=",
        Some(">=") => ">=",
        Some("<=") => "<=",
        Some(other) => return Err(format!("comparator: must be =, >= or <=, not {other:?}")),
    };
    let unit = l.unit.as_deref().map(str::to_ascii_lowercase);
    let tolerance = match (l.tolerance, unit.as_deref()) {
        (Some(t), _) if t >= 0.0 => t,
        (Some(t), _) => return Err(format!("tolerance: {t} is below 0")),
        (None, Some("%")) => 2.0,
        (None, Some("fraction")) => 0.02,
        (None, _) => 0.0,
    };
    Ok(Some(BenchClaim {
        comparator,
        tolerance,
    }))
}

/// An integer field (`shots` ≥ 0, `attempts` ≥ 1) given as a number
/// without a fraction.
fn count_field(name: &str, v: Option<f64>, least: i64) -> Result<Option<i64>, String> {
    match v {
        None => Ok(None),
        Some(x) if x.fract() == 0.0 && x >= least as f64 && x < 1e15 => Ok(Some(x as i64)),
        Some(x) => Err(format!("{name}: {x} is not a whole number ≥ {least}")),
    }
}

/// Reference and cross-kind uniqueness checks, run once over the stored
/// rows (references may point forward, so they cannot be checked per line).
const INTEGRITY: [(&str, &str); 12] = [
    (
        "evidence.claim: no such claim",
        "SELECT e.id FROM evidence e WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = e.claim)",
    ),
    (
        "evidence.source: no such source",
        "SELECT e.id FROM evidence e WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = e.source)",
    ),
    (
        "evidence.result: no such result",
        "SELECT e.id FROM evidence e WHERE e.result IS NOT NULL AND NOT EXISTS (SELECT 1 FROM results r WHERE r.id = e.result)",
    ),
    (
        "result.source: no such source",
        "SELECT r.id FROM results r WHERE r.source IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = r.source)",
    ),
    (
        "result.cites: no such result",
        "SELECT r.id FROM results r WHERE r.cites IS NOT NULL AND NOT EXISTS (SELECT 1 FROM results c WHERE c.id = r.cites)",
    ),
    (
        "result.cites: the cited result cites another",
        "SELECT r.id FROM results r JOIN results c ON c.id = r.cites WHERE c.cites IS NOT NULL",
    ),
    (
        "id: used by a claim and a source",
        "SELECT id FROM claims WHERE id IN (SELECT id FROM sources)",
    ),
    (
        "id: used by a claim and evidence",
        "SELECT id FROM claims WHERE id IN (SELECT id FROM evidence)",
    ),
    (
        "id: used by a claim and a result",
        "SELECT id FROM claims WHERE id IN (SELECT id FROM results)",
    ),
    (
        "id: used by a source and evidence",
        "SELECT id FROM sources WHERE id IN (SELECT id FROM evidence)",
    ),
    (
        "id: used by a source and a result",
        "SELECT id FROM sources WHERE id IN (SELECT id FROM results)",
    ),
    (
        "id: used by evidence and a result",
        "SELECT id FROM evidence WHERE id IN (SELECT id FROM results)",
    ),
];

const MAX_ERRORS: usize = 100;

/// `compare --sqlite-import DB FILE...`: parse, validate and store every
/// line in one transaction, derive the claim columns, build the indexes.
pub fn import_main(args: &[String]) -> Res<()> {
    let [db, files @ ..] = args else {
        return fail("usage: compare --sqlite-import DB FILE...");
    };
    let mut conn = Connection::open(db)?;
    register(&conn)?;
    // A bulk-load cache comparable to what evident may use; durability
    // (journal, fsync on commit) stays at SQLite's defaults.
    conn.execute_batch("PRAGMA cache_size = -65536;")?;
    let started = Instant::now();
    let phase = |what: &str| eprintln!("{what}: {:.2?}", started.elapsed());
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    let mut errors: Vec<String> = Vec::new();
    let mut stored = 0u64;
    {
        let mut ins = Inserts {
                source: tx.prepare(
                    "INSERT OR REPLACE INTO sources VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?,
                claim: tx.prepare(
                    "INSERT OR REPLACE INTO claims (id, text, subject, tags, created, model, benchmark, metric, comparator, value, unit, tolerance, split, harness, shots, attempts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                )?,
                evidence: tx.prepare(
                    "INSERT OR REPLACE INTO evidence (id, claim, source, stance, strength, date, note, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?,
                result: tx.prepare(
                    "INSERT OR REPLACE INTO results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )?,
            };
        for file in files {
            let reader = BufReader::with_capacity(1 << 20, fs::File::open(file)?);
            for (n, line) in reader.lines().enumerate() {
                let line = match line {
                    Ok(line) => line,
                    Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                        if errors.len() < MAX_ERRORS {
                            errors.push(format!("{file}:{}: line: not UTF-8", n + 1));
                        }
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                let t = line.trim_start();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                let outcome = serde_json::from_str::<Line>(&line)
                    .map_err(|e| format!("line: {e}"))
                    .and_then(|l| store(&mut ins, l));
                match outcome {
                    Ok(()) => stored += 1,
                    Err(e) if errors.len() < MAX_ERRORS => {
                        errors.push(format!("{file}:{}: {e}", n + 1));
                    }
                    Err(_) => {}
                }
            }
        }
    }
    phase("parsed and inserted");
    for (what, query) in INTEGRITY {
        let mut stmt = tx.prepare(query)?;
        let bad: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .take(MAX_ERRORS)
            .collect::<rusqlite::Result<_>>()?;
        errors.extend(bad.into_iter().map(|id| format!("{id}: {what}")));
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        // Dropping the transaction rolls it back: nothing is imported.
        return fail(format!("{} problem(s); nothing imported", errors.len()));
    }
    phase("checked references and ids");
    tx.execute_batch(RESULT_INDEXES)?;
    tx.execute_batch(INDEXES)?;
    phase("indexed");
    let bench_claims: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM claims WHERE model IS NOT NULL)",
        [],
        |r| r.get(0),
    )?;
    if bench_claims {
        tx.execute_batch(BENCH_INDEXES)?;
        let derived = tx.execute(&derive_evidence_sql(), [])?;
        phase(&format!(
            "derived {derived} pieces of evidence from results"
        ));
    }
    tx.execute(&derive_sql(), [])?;
    phase("derived");
    tx.execute_batch(DERIVED_INDEXES)?;
    phase("indexed derived columns");
    // Statistics, so the planner picks the selective index (as SQLite
    // recommends after a bulk load; sampled ones misled it here).
    tx.execute_batch("ANALYZE;")?;
    phase("analysed");
    tx.commit()?;
    phase("committed");
    eprintln!("imported {stored} records");
    Ok(())
}

/// `compare --sqlite-query DB SQL`: open an existing database read-only,
/// run one statement and print each row as a JSON object, as `evident
/// query --format jsonl` does.
pub fn query_main(args: &[String]) -> Res<()> {
    let [db, sql] = args else {
        return fail("usage: compare --sqlite-query DB SQL");
    };
    let opening = Instant::now();
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    register(&conn)?;
    let opened = opening.elapsed();
    // From here to the flushed output is the query time, as `evident
    // query --timer` measures it (SQLite reads its schema lazily, at the
    // first prepare, so that counts here).
    let running = Instant::now();
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    // List columns hold JSON text already: copied as they are.
    let is_list: Vec<bool> = names
        .iter()
        .map(|n| n == "tags" || n == "affiliations")
        .collect();
    let keys: Vec<String> = names
        .iter()
        .map(|n| serde_json::to_string(n).map(|k| format!("{k}:")))
        .collect::<Result<_, _>>()?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        out.write_all(b"{")?;
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(key.as_bytes())?;
            match row.get_ref(i)? {
                ValueRef::Null => out.write_all(b"null")?,
                ValueRef::Integer(v) => write!(out, "{v}")?,
                ValueRef::Real(v) => serde_json::to_writer(&mut out, &v)?,
                ValueRef::Text(t) if is_list[i] => out.write_all(t)?,
                ValueRef::Text(t) => serde_json::to_writer(&mut out, &String::from_utf8_lossy(t))?,
                ValueRef::Blob(_) => out.write_all(b"null")?,
            }
        }
        out.write_all(b"}\n")?;
    }
    out.flush()?;
    eprintln!(
        "time: {:.3} ms (opening the database: {:.3} ms)",
        running.elapsed().as_secs_f64() * 1e3,
        opened.as_secs_f64() * 1e3
    );
    Ok(())
}

/// The SQLite library version, for the report header.
pub fn version() -> &'static str {
    rusqlite::version()
}
