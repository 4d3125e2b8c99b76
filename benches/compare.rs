//! `cargo bench --bench compare -- [--scale small|full] [--runs N] [--only NAME] [--reuse]`
//!
//! Compares the `evident` command line with SQLite (through rusqlite) on the
//! same JSON Lines files: bulk import, one-shot point and count queries,
//! indexed filters, scans, groupings and an `as of` view. Every workload runs
//! as a fresh child process on both sides — `evident --db X …` against this
//! very binary in a hidden SQLite sub-mode — so wall time, peak memory (RSS)
//! and disk size are measured the same way. See `benches/README.md`.
//!
//! Speed is reported, never asserted: a failing or missing `evident` command
//! marks its row as failed and the run goes on.

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn Error>>;

const USAGE: &str = "usage: cargo bench --bench compare -- [--scale small|full] [--runs N] [--only NAME[,NAME…]] [--reuse]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        // Hidden sub-modes: the SQLite side, run as a child process of the harness.
        Some("--sqlite-import") => sqlite::import_main(&args[1..]),
        Some("--sqlite-query") => sqlite::query_main(&args[1..]),
        _ => harness::main(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compare: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A message error for the few places that have no underlying error value.
fn fail<T>(msg: impl Into<String>) -> Res<T> {
    Err(msg.into().into())
}

// ---------------------------------------------------------------------------
// Deterministic synthetic data.

mod synth {
    use super::*;

    /// Sizes of one synthetic data set.
    pub struct Scale {
        pub sources: usize,
        pub claims: usize,
        pub evidence: usize,
        pub subjects: usize,
    }

    pub const FULL: Scale = Scale {
        sources: 50_000,
        claims: 1_000_000,
        evidence: 3_000_000,
        subjects: 20_000,
    };
    pub const SMALL: Scale = Scale {
        sources: 200,
        claims: 2_000,
        evidence: 6_000,
        subjects: 100,
    };

    /// The Zipf rank (0-based) of the subject the subject filter asks for:
    /// common, but not the single most prolific one.
    pub const COMMON_SUBJECT_RANK: usize = 9;

    /// SplitMix64: tiny, fast, and the same stream on every machine.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Rng(seed)
        }
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        pub fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
        /// Uniform in 0..n.
        pub fn below(&mut self, n: usize) -> usize {
            ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
        }
        pub fn chance(&mut self, p: f64) -> bool {
            self.unit() < p
        }
    }

    /// Zipf-like sampler over ranks 0..n with exponent s (rank 0 is the most likely).
    pub struct Zipf {
        cdf: Vec<f64>,
    }

    impl Zipf {
        pub fn new(n: usize, s: f64) -> Self {
            let mut total = 0.0;
            let cdf = (1..=n)
                .map(|k| {
                    total += 1.0 / (k as f64).powf(s);
                    total
                })
                .collect();
            Zipf { cdf }
        }
        pub fn sample(&self, rng: &mut Rng) -> usize {
            let total = self.cdf.last().copied().unwrap_or(0.0);
            let u = rng.unit() * total;
            self.cdf
                .partition_point(|&c| c <= u)
                .min(self.cdf.len() - 1)
        }
    }

    const DAYS: usize = 3653; // 2015-01-01 ..= 2024-12-31
    const EPOCH_2015: i64 = 16_436; // days from 1970-01-01 to 2015-01-01

    /// A day in 2015–2024, skewed towards recent years (more is written lately).
    fn recent_day(rng: &mut Rng) -> usize {
        ((DAYS as f64) * rng.unit().sqrt()) as usize
    }

    /// `YYYY-MM-DD` for a day offset from 2015-01-01 (Howard Hinnant's civil_from_days).
    pub fn date(day: usize) -> String {
        let z = EPOCH_2015 + day as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}")
    }

    const PREFIX: [&str; 26] = [
        "Astra", "Boreal", "Cobalt", "Delta", "Ember", "Fathom", "Granite", "Helix", "Ion",
        "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quasar",
        "Redwood", "Summit", "Tundra", "Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr",
    ];
    const MIDDLE: [&str; 27] = [
        "", "Bay", "Bridge", "Crest", "Dale", "Field", "Forge", "Gate", "Grove", "Harbor", "Hill",
        "Lake", "Line", "Mark", "Mill", "Point", "Port", "Ridge", "Rock", "Shore", "Spring",
        "Stone", "Vale", "View", "Water", "Wood", "Works",
    ];
    const SUFFIX: [&str; 30] = [
        "AI",
        "Labs",
        "Systems",
        "Dynamics",
        "Robotics",
        "Energy",
        "Capital",
        "Health",
        "Networks",
        "Motors",
        "Aerospace",
        "Foods",
        "Bank",
        "Media",
        "Pharma",
        "Semiconductor",
        "Telecom",
        "Logistics",
        "Games",
        "Cloud",
        "Security",
        "Materials",
        "Mining",
        "Insurance",
        "Retail",
        "Software",
        "Ventures",
        "Institute",
        "Party",
        "Foundation",
    ];
    const TAGS: [&str; 50] = [
        "ai",
        "gpu",
        "benchmarks",
        "funding",
        "safety",
        "hiring",
        "revenue",
        "compute",
        "datacenter",
        "energy",
        "chips",
        "regulation",
        "lawsuit",
        "product",
        "launch",
        "security",
        "privacy",
        "open-source",
        "research",
        "partnership",
        "acquisition",
        "valuation",
        "layoffs",
        "climate",
        "health",
        "elections",
        "economy",
        "trade",
        "space",
        "robotics",
        "autonomy",
        "education",
        "labor",
        "supply-chain",
        "earnings",
        "guidance",
        "outage",
        "breach",
        "patent",
        "merger",
        "ipo",
        "debt",
        "subsidy",
        "emissions",
        "recall",
        "leadership",
        "strategy",
        "pricing",
        "customers",
        "roadmap",
    ];
    const KINDS: [(&str, f64); 13] = [
        ("article", 0.28),
        ("blog", 0.18),
        ("statement", 0.10),
        ("memo", 0.06),
        ("filing", 0.05),
        ("paper", 0.08),
        ("report", 0.07),
        ("benchmark", 0.03),
        ("leaderboard", 0.02),
        ("dataset", 0.02),
        ("factcheck", 0.03),
        ("encyclopedia", 0.02),
        ("other", 0.06),
    ];
    const VERBS: [&str; 12] = [
        "reports",
        "plans",
        "denies",
        "claims",
        "achieved",
        "will ship",
        "has raised",
        "is training",
        "lost",
        "operates",
        "scores",
        "hired",
    ];
    const OBJECTS: [&str; 12] = [
        "a new frontier model",
        "100,000 GPUs in one cluster",
        "72% on SWE-bench Verified",
        "record quarterly revenue",
        "a data breach last year",
        "regulatory approval",
        "1.2 GW of new power",
        "a production-grade assistant",
        "half of its research staff",
        "profitability by next year",
        "an independent safety audit",
        "its emissions target",
    ];

    pub fn subject_name(i: usize) -> String {
        let p = PREFIX[i % PREFIX.len()];
        let m = MIDDLE[(i / PREFIX.len()) % MIDDLE.len()];
        let s = SUFFIX[(i / (PREFIX.len() * MIDDLE.len())) % SUFFIX.len()];
        let lap = i / (PREFIX.len() * MIDDLE.len() * SUFFIX.len());
        if lap == 0 {
            format!("{p}{m} {s}")
        } else {
            format!("{p}{m} {s} {lap}")
        }
    }

    fn pick_kind(rng: &mut Rng) -> &'static str {
        let mut u = rng.unit();
        for (k, p) in KINDS {
            if u < p {
                return k;
            }
            u -= p;
        }
        "other"
    }

    /// A typical reliability range per kind: fact-checkers and encyclopedias
    /// rank high, blogs and self-interested statements low.
    fn reliability_range(kind: &str) -> (f64, f64) {
        match kind {
            "factcheck" => (0.8, 0.95),
            "encyclopedia" | "leaderboard" | "dataset" => (0.65, 0.9),
            "paper" | "filing" | "report" | "benchmark" => (0.55, 0.9),
            "article" => (0.35, 0.8),
            "statement" | "memo" => (0.3, 0.65),
            _ => (0.15, 0.6),
        }
    }

    fn round2(x: f64) -> f64 {
        (x * 100.0).round() / 100.0
    }

    /// What the harness needs to know about a generated file.
    pub struct Info {
        pub common_subject: String,
        pub lines: usize,
    }

    /// Writes sources, then claims, then evidence as JSON Lines (SPEC §3).
    /// Every string is built from plain ASCII words, so nothing needs escaping.
    pub fn generate(scale: &Scale, path: &Path) -> Res<Info> {
        let mut rng = Rng::new(0x00E1_D3E7_2025);
        let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
        let subject_zipf = Zipf::new(scale.subjects, 1.0);
        let tag_zipf = Zipf::new(TAGS.len(), 0.9);
        let source_zipf = Zipf::new(scale.sources, 1.07);
        let hot_claims = Zipf::new(scale.claims, 1.0);
        let subjects: Vec<String> = (0..scale.subjects).map(subject_name).collect();
        let mut affiliated: Vec<Vec<u32>> = vec![Vec::new(); scale.subjects];
        let mut lines = 0;

        for s in 0..scale.sources {
            let kind = pick_kind(&mut rng);
            let sid = s + 1;
            write!(
                w,
                r#"{{"type":"source","id":"s{sid}","title":"{kind} {sid}"#
            )?;
            let publisher = rng.chance(0.7).then(|| rng.below(2_000));
            if let Some(p) = publisher {
                write!(w, r#" by Publisher {p}","publisher":"Publisher {p}""#)?;
            } else {
                w.write_all(b"\"")?;
            }
            write!(w, r#","kind":"{kind}""#)?;
            if rng.chance(0.6) {
                write!(w, r#","url":"https://example.org/{kind}/{sid}""#)?;
            }
            if rng.chance(0.85) {
                write!(w, r#","published":"{}""#, date(recent_day(&mut rng)))?;
            }
            // Parties speak for themselves in statements, memos and filings;
            // a few other sources are affiliated too.
            let self_interested = matches!(kind, "statement" | "memo" | "filing");
            let p_aff = if self_interested { 0.9 } else { 0.05 };
            if rng.chance(p_aff) {
                let n = if rng.chance(0.3) { 2 } else { 1 };
                w.write_all(br#","affiliations":["#)?;
                for k in 0..n {
                    let subj = subject_zipf.sample(&mut rng);
                    affiliated[subj].push(s as u32);
                    let name = &subjects[subj];
                    // Independence ignores case: exercise that.
                    let shown = match rng.below(10) {
                        0 => name.to_lowercase(),
                        1 => name.to_uppercase(),
                        _ => name.clone(),
                    };
                    let sep = if k == 0 { "" } else { "," };
                    write!(w, r#"{sep}"{shown}""#)?;
                }
                w.write_all(b"]")?;
            }
            let r = rng.unit();
            if r < 0.05 {
                let letter = b"ABCDEF"[rng.below(6)] as char;
                write!(w, r#","reliability":"{letter}""#)?;
            } else if r < 0.92 {
                let (lo, hi) = reliability_range(kind);
                write!(
                    w,
                    r#","reliability":{}"#,
                    round2(lo + (hi - lo) * rng.unit())
                )?;
            } // else: absent, the default 0.5
            w.write_all(b"}\n")?;
            lines += 1;
        }

        let mut claim_subject: Vec<u32> = Vec::with_capacity(scale.claims);
        let mut claim_created: Vec<u16> = Vec::with_capacity(scale.claims);
        for c in 0..scale.claims {
            let cid = c + 1;
            let subj = if rng.chance(0.95) {
                Some(subject_zipf.sample(&mut rng))
            } else {
                None
            };
            let verb = VERBS[rng.below(VERBS.len())];
            let object = OBJECTS[rng.below(OBJECTS.len())];
            let who = subj.map_or("Someone", |s| subjects[s].as_str());
            write!(
                w,
                r#"{{"type":"claim","id":"c{cid}","text":"{who} {verb} {object} (claim {cid})""#
            )?;
            if let Some(s) = subj {
                write!(w, r#","subject":"{}""#, subjects[s])?;
            }
            let ntags = 1 + rng.below(3);
            let mut tags: Vec<usize> = Vec::with_capacity(ntags);
            while tags.len() < ntags {
                let t = tag_zipf.sample(&mut rng);
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            w.write_all(br#","tags":["#)?;
            for (k, t) in tags.iter().enumerate() {
                let sep = if k == 0 { "" } else { "," };
                write!(w, r#"{sep}"{}""#, TAGS[*t])?;
            }
            w.write_all(b"]")?;
            let created = if rng.chance(0.9) {
                let d = recent_day(&mut rng);
                write!(w, r#","created":"{}""#, date(d))?;
                d as u16
            } else {
                u16::MAX
            };
            w.write_all(b"}\n")?;
            claim_subject.push(subj.map_or(u32::MAX, |s| s as u32));
            claim_created.push(created);
            lines += 1;
        }

        for e in 0..scale.evidence {
            let eid = e + 1;
            // Most claims get a few pieces of evidence; a few hot claims get many.
            let claim = if rng.chance(0.7) {
                rng.below(scale.claims)
            } else {
                hot_claims.sample(&mut rng)
            };
            let subj = claim_subject[claim];
            let own = (subj != u32::MAX)
                .then(|| &affiliated[subj as usize])
                .filter(|v| !v.is_empty());
            let (source, self_serving) = match own {
                Some(v) if rng.chance(0.2) => (v[rng.below(v.len())] as usize, true),
                _ => (source_zipf.sample(&mut rng), false),
            };
            let supports = rng.chance(if self_serving { 0.95 } else { 0.75 });
            let stance = if supports { "supports" } else { "refutes" };
            write!(
                w,
                r#"{{"type":"evidence","id":"e{eid}","claim":"c{}","source":"s{}","stance":"{stance}""#,
                claim + 1,
                source + 1
            )?;
            if rng.chance(0.9) {
                write!(w, r#","strength":{}"#, round2(0.3 + 0.7 * rng.unit()))?;
            }
            if rng.chance(0.85) {
                let created = claim_created[claim];
                let day = if created == u16::MAX {
                    recent_day(&mut rng)
                } else {
                    (created as usize + rng.below(400)).min(DAYS - 1)
                };
                write!(w, r#","date":"{}""#, date(day))?;
            }
            if rng.chance(0.25) {
                write!(w, r#","note":"excerpt {eid}: as reported at the time""#)?;
            }
            w.write_all(b"}\n")?;
            lines += 1;
        }
        w.flush()?;
        let common = subject_zipf_rank_name(&subjects);
        Ok(Info {
            common_subject: common,
            lines,
        })
    }

    fn subject_zipf_rank_name(subjects: &[String]) -> String {
        let rank = COMMON_SUBJECT_RANK.min(subjects.len().saturating_sub(1));
        subjects.get(rank).cloned().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// The SQLite side: schema, loader and query runner (child-process sub-modes).

mod sqlite {
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
            evidence_count INTEGER NOT NULL DEFAULT 0
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
            note TEXT
        ) WITHOUT ROWID;";

    /// Built after the rows are in (faster than maintaining them row by row).
    pub const INDEXES: &str = "
        CREATE INDEX results_model ON results(model);
        CREATE INDEX results_benchmark ON results(benchmark);
        CREATE INDEX results_source ON results(source);
        CREATE INDEX claims_subject ON claims(subject);
        CREATE INDEX evidence_source ON evidence(source);
        CREATE INDEX evidence_result ON evidence(result);
        CREATE INDEX sources_kind ON sources(kind);";

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
        format!(
            "UPDATE claims SET
                support = d.s, refute = d.r,
                independent_support = d.i_s, independent_refute = d.i_r,
                evidence_count = d.n,
                confidence = (1.0 + d.s - d.r) / 2.0,
                status = {status}
             FROM (
                SELECT claim,
                    noisy_or(id, CASE WHEN stance = 'supports' THEN w END) AS s,
                    noisy_or(id, CASE WHEN stance = 'refutes' THEN w END) AS r,
                    noisy_or(id, CASE WHEN stance = 'supports' AND ind THEN w END) AS i_s,
                    noisy_or(id, CASE WHEN stance = 'refutes' AND ind THEN w END) AS i_r,
                    count(*) AS n
                FROM ({evidence})
                GROUP BY claim) AS d
             WHERE claims.id = d.claim",
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
                FROM claims LEFT JOIN d ON d.claim = claims.id)
             GROUP BY status ORDER BY status",
            evidence =
                weighted_evidence(&format!("WHERE coalesce(e.date, s.published) <= '{date}'")),
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
        fn step(
            &self,
            ctx: &mut Context<'_>,
            acc: &mut Vec<(String, f64)>,
        ) -> rusqlite::Result<()> {
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

    fn valid_date(d: &str) -> bool {
        let b = d.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return false;
        }
        let num = |r: std::ops::Range<usize>| d.get(r).and_then(|s| s.parse::<u32>().ok());
        let (Some(y), Some(m), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
            return false;
        };
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        (1..=len).contains(&day)
    }

    struct Inserts<'c> {
        source: Statement<'c>,
        claim: Statement<'c>,
        evidence: Statement<'c>,
        result: Statement<'c>,
    }

    /// Checks one parsed line as SPEC §1 asks and stores it; `Err` is the
    /// `field: reason` part of an import error.
    fn store(ins: &mut Inserts<'_>, l: Line) -> Result<(), String> {
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
            if let Some(d) = d
                && !valid_date(d)
            {
                return Err(format!("{name}: not a date: {d:?}"));
            }
        }
        let has = |names: &[(&str, bool)], allowed: &[&str]| -> Result<(), String> {
            match names.iter().find(|(n, set)| *set && !allowed.contains(n)) {
                Some((n, _)) => Err(format!("{n}: unknown field for a {}", l.record)),
                None => Ok(()),
            }
        };
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
        ];
        let sql = |e: rusqlite::Error| format!("id: cannot store: {e}");
        match l.record.as_str() {
            "source" => {
                has(
                    &present,
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
                let reliability = match &l.reliability {
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
                };
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
                has(&present, &["text", "subject", "tags", "created"])?;
                let text = l.text.as_deref().ok_or("text: missing")?;
                let tags = serde_json::to_string(l.tags.as_deref().unwrap_or(&[]))
                    .map_err(|e| format!("tags: {e}"))?;
                ins.claim
                    .execute(params![id, text, l.subject, tags, l.created])
                    .map_err(sql)?;
            }
            "evidence" => {
                has(
                    &present,
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
                has(
                    &present,
                    &[
                        "model",
                        "benchmark",
                        "value",
                        "metric",
                        "unit",
                        "date",
                        "source",
                        "note",
                    ],
                )?;
                let model = l.model.as_deref().ok_or("model: missing")?;
                let benchmark = l.benchmark.as_deref().ok_or("benchmark: missing")?;
                let value = l.value.ok_or("value: missing")?;
                let metric = l.metric.as_deref().unwrap_or("score");
                ins.result
                    .execute(params![
                        id, model, benchmark, value, metric, l.unit, l.date, l.source, l.note
                    ])
                    .map_err(sql)?;
            }
            other => return Err(format!("type: unknown record type {other:?}")),
        }
        Ok(())
    }

    /// Reference and cross-kind uniqueness checks, run once over the stored
    /// rows (references may point forward, so they cannot be checked per line).
    const INTEGRITY: [(&str, &str); 10] = [
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
                    "INSERT OR REPLACE INTO claims (id, text, subject, tags, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?,
                evidence: tx.prepare(
                    "INSERT OR REPLACE INTO evidence (id, claim, source, stance, strength, date, note, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?,
                result: tx.prepare(
                    "INSERT OR REPLACE INTO results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
        tx.execute_batch(INDEXES)?;
        phase("indexed");
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
                    ValueRef::Text(t) => {
                        serde_json::to_writer(&mut out, &String::from_utf8_lossy(t))?
                    }
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
}

// ---------------------------------------------------------------------------
// The harness: data preparation, child processes, measurement, report.

mod harness {
    use super::*;

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum ScaleName {
        Small,
        Full,
    }

    struct Options {
        scale: ScaleName,
        runs: usize,
        only: Vec<String>,
        /// Query the databases a previous run left instead of importing
        /// again, when no import is timed (for working on queries).
        reuse: bool,
    }

    impl Options {
        fn parse(args: &[String]) -> Res<Options> {
            let mut o = Options {
                scale: ScaleName::Full,
                runs: 3,
                only: Vec::new(),
                reuse: false,
            };
            let mut it = args.iter();
            while let Some(a) = it.next() {
                let (flag, inline) = match a.split_once('=') {
                    Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                    _ => (a.as_str(), None),
                };
                let mut value = |name: &str| -> Res<String> {
                    match inline.clone().or_else(|| it.next().cloned()) {
                        Some(v) => Ok(v),
                        None => fail(format!("{name} needs a value\n{USAGE}")),
                    }
                };
                match flag {
                    // cargo passes --bench to harness = false targets.
                    "--bench" => {}
                    "--scale" => {
                        o.scale = match value("--scale")?.as_str() {
                            "small" => ScaleName::Small,
                            "full" => ScaleName::Full,
                            other => return fail(format!("unknown scale {other:?}\n{USAGE}")),
                        }
                    }
                    "--runs" => {
                        let v = value("--runs")?;
                        o.runs = match v.parse::<usize>() {
                            Ok(n) if n >= 1 => n,
                            _ => return fail(format!("--runs wants a positive number, not {v:?}")),
                        }
                    }
                    "--only" => o.only.extend(
                        value("--only")?
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                    ),
                    "--reuse" => o.reuse = true,
                    "-h" | "--help" => {
                        println!("{USAGE}");
                        std::process::exit(0);
                    }
                    other => return fail(format!("unknown argument {other:?}\n{USAGE}")),
                }
            }
            Ok(o)
        }

        fn selected(&self, name: &str) -> bool {
            self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
        }
    }

    /// One measured child process.
    struct Measured {
        wall: Duration,
        peak_kib: Option<u64>,
        status: ExitStatus,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    }

    /// Peak resident set size so far (`VmHWM`), in KiB.
    fn vm_hwm_kib(pid: u32) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
        line.trim().trim_end_matches("kB").trim().parse().ok()
    }

    fn drain(mut from: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
        thread::spawn(move || {
            let mut buf = Vec::new();
            // A read error only truncates what the harness sees; the exit status still tells.
            let _ = from.read_to_end(&mut buf);
            buf
        })
    }

    /// Runs `cmd` to completion: wall time from spawn to exit, stdout and
    /// stderr read through pipes, peak RSS polled from /proc (a spike
    /// shorter than the polling interval can be missed).
    fn measure(cmd: &mut Command) -> io::Result<Measured> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let done = Arc::new(AtomicBool::new(false));
        let (pid_tx, pid_rx) = std::sync::mpsc::channel::<u32>();
        // Started before the child, so it is running when the child is.
        let poller = {
            let done = Arc::clone(&done);
            thread::spawn(move || {
                let pid = pid_rx.recv().ok()?;
                let mut peak = None;
                let polling = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    if let Some(v) = vm_hwm_kib(pid) {
                        peak = Some(peak.map_or(v, |p: u64| p.max(v)));
                    }
                    // Often at first, so one-shot processes of a few
                    // milliseconds are seen at all; rarely for long imports.
                    let since = polling.elapsed();
                    thread::sleep(if since < Duration::from_millis(50) {
                        Duration::from_micros(200)
                    } else if since < Duration::from_secs(2) {
                        Duration::from_millis(1)
                    } else {
                        Duration::from_millis(5)
                    });
                }
                peak
            })
        };
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        // The poller only ends early if this send fails, i.e. never.
        let _ = pid_tx.send(child.id());
        let out = child.stdout.take().map(drain);
        let err = child.stderr.take().map(drain);
        let status = child.wait()?;
        let wall = start.elapsed();
        done.store(true, Ordering::Relaxed);
        let join = |h: Option<thread::JoinHandle<Vec<u8>>>| {
            h.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        Ok(Measured {
            wall,
            peak_kib: poller.join().ok().flatten(),
            status,
            stdout: join(out),
            stderr: join(err),
        })
    }

    /// Runs below this median are too short for polling to catch their peak
    /// reliably; they get one more, untimed, run under GNU time.
    const SHORT_RUN: Duration = Duration::from_millis(100);

    /// The exact peak RSS of one run of `cmd`, from `/usr/bin/time -f %M`
    /// (which has it from `wait4`), if that program is installed.
    fn exact_peak_kib(cmd: &Command) -> Option<u64> {
        let time = Path::new("/usr/bin/time");
        if !time.exists() {
            return None;
        }
        let report = target_dir().join("bench-compare").join("peak-rss.txt");
        let status = Command::new(time)
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let text = fs::read_to_string(&report).ok()?;
        text.lines().last()?.trim().parse().ok()
    }

    /// What one side of a workload came to over all its runs.
    #[derive(Default)]
    struct Side {
        /// Wall time of each run's process, spawn to exit.
        times: Vec<Duration>,
        /// Each query run's own report of the time it took with the
        /// database open (`time:` on standard error): the engine's work
        /// without process start-up and opening the database.
        query_times: Vec<Duration>,
        peak_kib: Option<u64>,
        error: Option<String>,
        /// Standard output of the first successful run, for the cross-check.
        first_output: Option<Vec<u8>>,
    }

    impl Side {
        /// Where polling may have missed the peak, measure it exactly once
        /// more; `prepare` restores the starting state (a fresh database).
        fn refine_peak(&mut self, cmd: &Command, prepare: impl FnOnce() -> io::Result<()>) {
            let Some(median) = self.median() else { return };
            if median >= SHORT_RUN && self.peak_kib.is_some() {
                return;
            }
            if prepare().is_err() {
                return;
            }
            if let Some(k) = exact_peak_kib(cmd) {
                self.peak_kib = Some(self.peak_kib.map_or(k, |p| p.max(k)));
            }
        }

        fn median(&self) -> Option<Duration> {
            median_of(&self.times).filter(|_| self.error.is_none())
        }

        fn query_median(&self) -> Option<Duration> {
            median_of(&self.query_times).filter(|_| self.error.is_none())
        }

        fn record(&mut self, label: &str, m: io::Result<Measured>) {
            if self.error.is_some() {
                return;
            }
            match m {
                Ok(m) if m.status.success() => {
                    self.times.push(m.wall);
                    if let Some(t) = reported_time(&m.stderr) {
                        self.query_times.push(t);
                    }
                    self.peak_kib = match (self.peak_kib, m.peak_kib) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    if self.first_output.is_none() {
                        self.first_output = Some(m.stdout);
                    }
                }
                Ok(m) => {
                    let stderr = String::from_utf8_lossy(&m.stderr);
                    let tail: Vec<&str> = stderr.lines().take(20).collect();
                    eprintln!("  {label} failed ({}):", m.status);
                    for l in &tail {
                        eprintln!("    {l}");
                    }
                    let first = tail.first().copied().unwrap_or("no message");
                    self.error = Some(format!("{} — {first}", m.status));
                }
                Err(e) => {
                    eprintln!("  {label} could not run: {e}");
                    self.error = Some(format!("could not run: {e}"));
                }
            }
        }
    }

    fn median_of(times: &[Duration]) -> Option<Duration> {
        let mut t = times.to_vec();
        t.sort();
        let n = t.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(t[n / 2]),
            _ => Some((t[n / 2 - 1] + t[n / 2]) / 2),
        }
    }

    /// The time in the last `time: 12.3 ms (…)` line of a run's standard
    /// error (`evident query --timer`, or the SQLite sub-mode).
    fn reported_time(stderr: &[u8]) -> Option<Duration> {
        let text = String::from_utf8_lossy(stderr);
        let line = text.lines().rev().find_map(|l| l.strip_prefix("time: "))?;
        let mut words = line.split_whitespace();
        let value: f64 = words.next()?.parse().ok()?;
        let seconds = match words.next()? {
            "ms" => value / 1e3,
            "s" => value,
            _ => return None,
        };
        Some(Duration::from_secs_f64(seconds))
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Import,
        OneShot,
        Query,
    }

    /// How the two outputs are compared.
    #[derive(Clone, Copy)]
    enum Check {
        /// Same ids in the same order.
        Ids,
        /// Same rows, numbers compared as numbers (counts and groups).
        Rows,
    }

    struct Row {
        name: String,
        kind: Kind,
        evident: Side,
        sqlite: Side,
        rows: Option<usize>,
        note: Option<String>,
    }

    struct Dataset {
        label: &'static str,
        file: PathBuf,
        evident_db: PathBuf,
        sqlite_db: PathBuf,
        evident_ok: bool,
        sqlite_ok: bool,
    }

    struct QuerySpec {
        name: &'static str,
        kind: Kind,
        evident: String,
        sql: String,
        check: Check,
    }

    fn target_dir() -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
    }

    fn evident_bin() -> PathBuf {
        std::env::var_os("EVIDENT_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_evident")))
    }

    fn mteb_source() -> PathBuf {
        std::env::var_os("EVIDENT_BENCH_MTEB")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mteb-results.jsonl.gz")
            })
    }

    fn remove_db(path: &Path) -> io::Result<()> {
        let rm = |p: &Path| match fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(p),
            Ok(_) => fs::remove_file(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        rm(path)?;
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut s = path.as_os_str().to_owned();
            s.push(suffix);
            rm(Path::new(&s))?;
        }
        Ok(())
    }

    fn disk_bytes(path: &Path) -> u64 {
        fn walk(p: &Path) -> u64 {
            match fs::symlink_metadata(p) {
                Ok(m) if m.is_dir() => fs::read_dir(p)
                    .map(|rd| rd.flatten().map(|e| walk(&e.path())).sum())
                    .unwrap_or(0),
                Ok(m) => m.len(),
                Err(_) => 0,
            }
        }
        let mut total = walk(path);
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut s = path.as_os_str().to_owned();
            s.push(suffix);
            total += walk(Path::new(&s));
        }
        total
    }

    /// Decompresses the MTEB file (all of it, or its first `limit` lines) and
    /// finds the model with the most rows.
    fn prepare_mteb(src: &Path, dst: &Path, limit: Option<usize>) -> Res<(usize, String)> {
        #[derive(serde::Deserialize)]
        struct ModelOnly {
            model: Option<String>,
        }
        let gz = flate2::read::GzDecoder::new(fs::File::open(src)?);
        let reader = BufReader::with_capacity(1 << 20, gz);
        let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(dst)?);
        let mut models: HashMap<String, usize> = HashMap::new();
        let mut lines = 0;
        for line in reader.lines() {
            if limit.is_some_and(|l| lines >= l) {
                break;
            }
            let line = line?;
            if let Ok(ModelOnly { model: Some(m) }) = serde_json::from_str(&line) {
                *models.entry(m).or_default() += 1;
            }
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            lines += 1;
        }
        w.flush()?;
        let top = models
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(m, _)| m)
            .unwrap_or_default();
        Ok((lines, top))
    }

    /// A query string literal for evident (SPEC §4.1 escapes).
    fn evq_string(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// An SQL string literal.
    fn sql_string(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    const RESULT_COLUMNS: &str = "id, model, benchmark, value, metric, unit, date, source, note";
    const CLAIM_COLUMNS: &str = "id, text, subject, tags, created, status, confidence, support, refute, \
         independent_support, independent_refute, evidence_count";
    const AS_OF: &str = "2019-06-30";

    fn mteb_queries(point_id: &str, model: &str) -> Vec<QuerySpec> {
        vec![
            QuerySpec {
                name: "mteb-point",
                kind: Kind::OneShot,
                evident: format!("results where id = {}", evq_string(point_id)),
                sql: format!(
                    "SELECT {RESULT_COLUMNS} FROM results WHERE id = {}",
                    sql_string(point_id)
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "mteb-count",
                kind: Kind::OneShot,
                evident: "count results".into(),
                sql: "SELECT count(*) AS count FROM results".into(),
                check: Check::Rows,
            },
            QuerySpec {
                name: "mteb-model",
                kind: Kind::Query,
                evident: format!("results where model = {}", evq_string(model)),
                sql: format!(
                    "SELECT {RESULT_COLUMNS} FROM results WHERE model = {} ORDER BY id",
                    sql_string(model)
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "mteb-substring",
                kind: Kind::Query,
                evident: "results where benchmark ~ \"retrieval\"".into(),
                // LIKE ignores ASCII case, as `~` ignores case.
                sql: format!(
                    "SELECT {RESULT_COLUMNS} FROM results WHERE benchmark LIKE '%retrieval%' ORDER BY id"
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "mteb-group-benchmark",
                kind: Kind::Query,
                evident: "count results group by benchmark".into(),
                sql: "SELECT benchmark, count(*) AS count FROM results GROUP BY benchmark ORDER BY benchmark"
                    .into(),
                check: Check::Rows,
            },
        ]
    }

    fn synth_queries(subject: &str) -> Vec<QuerySpec> {
        vec![
            QuerySpec {
                name: "synth-unresolved-subject",
                kind: Kind::Query,
                evident: format!(
                    "claims where status = unresolved and subject = {}",
                    evq_string(subject)
                ),
                sql: format!(
                    "SELECT {CLAIM_COLUMNS} FROM claims WHERE status = 'unresolved' AND subject = {} ORDER BY id",
                    sql_string(subject)
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "synth-top-confidence",
                kind: Kind::Query,
                evident: "claims order by confidence desc limit 20".into(),
                sql: format!(
                    "SELECT {CLAIM_COLUMNS} FROM claims ORDER BY confidence DESC, id LIMIT 20"
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "synth-asof-status",
                kind: Kind::Query,
                evident: format!("count claims as of {AS_OF} group by status"),
                sql: sqlite::as_of_status_sql(AS_OF),
                check: Check::Rows,
            },
            QuerySpec {
                name: "synth-memo-refutes",
                kind: Kind::Query,
                evident: "claims where any evidence (source.kind = memo and stance = refutes)"
                    .into(),
                sql: format!(
                    "SELECT {CLAIM_COLUMNS} FROM claims WHERE id IN (
                        SELECT e.claim FROM evidence e JOIN sources s ON s.id = e.source
                        WHERE s.kind = 'memo' AND e.stance = 'refutes')
                     ORDER BY id"
                ),
                check: Check::Ids,
            },
            QuerySpec {
                name: "synth-group-status",
                kind: Kind::Query,
                evident: "count claims group by status".into(),
                sql: "SELECT status, count(*) AS count FROM claims GROUP BY status ORDER BY status"
                    .into(),
                check: Check::Rows,
            },
        ]
    }

    fn parse_lines(out: &[u8]) -> Result<Vec<serde_json::Value>, String> {
        out.split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .map(|l| serde_json::from_slice(l).map_err(|e| format!("not JSON Lines: {e}")))
            .collect()
    }

    /// Numbers as f64, so `3` and `3.0` agree.
    fn normalise(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Number(n) => n
                .as_f64()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
            Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (k, normalise(v))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(normalise).collect()),
            other => other,
        }
    }

    /// Compares the two outputs; returns the row count and a warning, if any.
    fn cross_check(check: Check, evident: &[u8], sqlite: &[u8]) -> (Option<usize>, Option<String>) {
        let (e, s) = match (parse_lines(evident), parse_lines(sqlite)) {
            (Ok(e), Ok(s)) => (e, s),
            (Err(err), _) => return (None, Some(format!("evident output {err}"))),
            (_, Err(err)) => return (None, Some(format!("SQLite output {err}"))),
        };
        let rows = Some(e.len());
        if e.len() != s.len() {
            return (
                rows,
                Some(format!(
                    "row counts differ: evident {} vs SQLite {}",
                    e.len(),
                    s.len()
                )),
            );
        }
        let same = match check {
            Check::Ids => e.iter().zip(&s).all(|(a, b)| a.get("id") == b.get("id")),
            Check::Rows => e
                .into_iter()
                .map(normalise)
                .zip(s.into_iter().map(normalise))
                .all(|(a, b)| a == b),
        };
        let note = (!same).then(|| {
            match check {
                Check::Ids => "same row count, but the ids (or their order) differ",
                Check::Rows => "same row count, but the values differ",
            }
            .to_string()
        });
        (rows, note)
    }

    fn fmt_time(d: Option<Duration>) -> String {
        match d {
            None => "failed".into(),
            Some(d) if d.as_secs_f64() >= 1.0 => format!("{:.2} s", d.as_secs_f64()),
            Some(d) if d.as_secs_f64() < 0.01 => format!("{:.2} ms", d.as_secs_f64() * 1e3),
            Some(d) => format!("{:.1} ms", d.as_secs_f64() * 1e3),
        }
    }

    fn fmt_kib(k: Option<u64>) -> String {
        k.map_or("–".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
    }

    fn fmt_bytes(b: u64) -> String {
        format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
    }

    fn mark(ok: Option<bool>) -> &'static str {
        match ok {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "?",
        }
    }

    const MIB: u64 = 1024;

    fn ratio(e: Option<Duration>, s: Option<Duration>) -> Option<f64> {
        e.zip(s).map(|(e, s)| e.as_secs_f64() / s.as_secs_f64())
    }

    /// Which ratio a workload's goal is judged on: whole processes for the
    /// imports and the one-shot workloads (the issue asks for a fresh
    /// process there), the query with the database open for the others.
    fn judged_ratio(r: &Row) -> Option<f64> {
        match r.kind {
            Kind::Import | Kind::OneShot => ratio(r.evident.median(), r.sqlite.median()),
            Kind::Query => ratio(r.evident.query_median(), r.sqlite.query_median()),
        }
    }

    fn goals(r: &Row) -> String {
        if r.evident.error.is_some() {
            return "✗ evident failed".into();
        }
        let e = r.evident.median();
        let ratio_ok = judged_ratio(r).map(|x| x <= 1.0);
        let peak = |limit_mib: u64| {
            if e.is_none() {
                None
            } else {
                r.evident.peak_kib.map(|k| k <= limit_mib * MIB)
            }
        };
        match r.kind {
            Kind::Import => format!(
                "{} ratio ≤ 1.0, {} peak ≤ 512 MiB",
                mark(ratio_ok),
                mark(peak(512))
            ),
            Kind::OneShot => format!(
                "{} ratio ≤ 1.0, {} ≤ 50 ms, {} peak ≤ 256 MiB",
                mark(ratio_ok),
                mark(e.map(|d| d <= Duration::from_millis(50))),
                mark(peak(256))
            ),
            Kind::Query => format!(
                "{} ratio ≤ 1.0, {} peak ≤ 256 MiB",
                mark(ratio_ok),
                mark(peak(256))
            ),
        }
    }

    fn evident_cmd(db: &Path) -> Command {
        let mut c = Command::new(evident_bin());
        c.arg("--db").arg(db);
        c
    }

    fn self_cmd() -> io::Result<Command> {
        Ok(Command::new(std::env::current_exe()?))
    }

    /// Imports `ds.file` into fresh databases `runs` times on each side
    /// (alternating, so drift hits both alike); the last import stays for
    /// the queries.
    fn import(ds: &mut Dataset, runs: usize) -> Res<Row> {
        let mut row = Row {
            name: format!("import-{}", ds.label),
            kind: Kind::Import,
            evident: Side::default(),
            sqlite: Side::default(),
            rows: None,
            note: None,
        };
        let mut evident_import = evident_cmd(&ds.evident_db);
        evident_import.arg("import").arg(&ds.file);
        let mut sqlite_import = self_cmd()?;
        sqlite_import
            .arg("--sqlite-import")
            .arg(&ds.sqlite_db)
            .arg(&ds.file);
        for run in 0..runs {
            eprintln!("  {} run {}/{runs}", row.name, run + 1);
            remove_db(&ds.evident_db)?;
            if row.evident.error.is_none() {
                row.evident
                    .record("evident import", measure(&mut evident_import));
            }
            remove_db(&ds.sqlite_db)?;
            row.sqlite
                .record("SQLite import", measure(&mut sqlite_import));
        }
        row.evident
            .refine_peak(&evident_import, || remove_db(&ds.evident_db));
        row.sqlite
            .refine_peak(&sqlite_import, || remove_db(&ds.sqlite_db));
        ds.evident_ok = row.evident.error.is_none();
        ds.sqlite_ok = row.sqlite.error.is_none();
        if !ds.sqlite_ok {
            return fail(format!(
                "the SQLite import of {} failed (a bug in this benchmark): {}",
                ds.file.display(),
                row.sqlite.error.as_deref().unwrap_or("")
            ));
        }
        Ok(row)
    }

    /// Imports a data set (timed, if selected; or reused with `--reuse`)
    /// and runs its queries, adding their rows and its disk sizes.
    fn run_dataset(
        mut ds: Dataset,
        queries: &[QuerySpec],
        opts: &Options,
        rows: &mut Vec<Row>,
        disks: &mut Vec<(String, Option<u64>, u64)>,
    ) -> Res<()> {
        let timed = opts.selected(&format!("import-{}", ds.label));
        let row = if !timed && opts.reuse && reusable(&mut ds) {
            eprintln!(
                "  reusing {} and {}",
                ds.evident_db.display(),
                ds.sqlite_db.display()
            );
            None
        } else {
            Some(import(&mut ds, if timed { opts.runs } else { 1 })?)
        };
        if let (true, Some(row)) = (timed, row) {
            rows.push(row);
            disks.push((
                ds.label.to_string(),
                ds.evident_ok.then(|| disk_bytes(&ds.evident_db)),
                disk_bytes(&ds.sqlite_db),
            ));
        }
        for q in queries {
            eprintln!("  {}", q.name);
            rows.push(run_query(&ds, q, opts.runs)?);
        }
        Ok(())
    }

    /// Whether both databases of `ds` are there from an earlier run; marks
    /// them usable if so.
    fn reusable(ds: &mut Dataset) -> bool {
        let there = ds.evident_db.join("db").exists() && ds.sqlite_db.exists();
        ds.evident_ok = there;
        ds.sqlite_ok = there;
        there
    }

    fn run_query(ds: &Dataset, q: &QuerySpec, runs: usize) -> Res<Row> {
        let mut row = Row {
            name: q.name.to_string(),
            kind: q.kind,
            evident: Side::default(),
            sqlite: Side::default(),
            rows: None,
            note: None,
        };
        if !ds.evident_ok {
            row.evident.error = Some(format!("no evident database (import-{} failed)", ds.label));
        }
        let mut evident_query = evident_cmd(&ds.evident_db);
        evident_query
            .arg("query")
            .arg(&q.evident)
            .args(["--format", "jsonl", "--timer"]);
        let mut sqlite_query = self_cmd()?;
        sqlite_query
            .arg("--sqlite-query")
            .arg(&ds.sqlite_db)
            .arg(&q.sql);
        for _ in 0..runs {
            if row.evident.error.is_none() {
                row.evident.record(
                    &format!("evident query {:?}", q.evident),
                    measure(&mut evident_query),
                );
            }
            row.sqlite
                .record(&format!("SQLite {}", q.name), measure(&mut sqlite_query));
        }
        row.evident.refine_peak(&evident_query, || Ok(()));
        row.sqlite.refine_peak(&sqlite_query, || Ok(()));
        if let Some(err) = &row.sqlite.error {
            return fail(format!(
                "SQLite query {} failed (a bug in this benchmark): {err}",
                q.name
            ));
        }
        let sq = row.sqlite.first_output.take().unwrap_or_default();
        match row.evident.first_output.take() {
            Some(ev) => {
                let (rows, note) = cross_check(q.check, &ev, &sq);
                row.rows = rows;
                if let Some(n) = &note {
                    eprintln!("  warning: {}: {n}", q.name);
                }
                row.note = note;
            }
            None => row.rows = parse_lines(&sq).ok().map(|v| v.len()),
        }
        Ok(row)
    }

    fn report(
        opts: &Options,
        rows: &[Row],
        disks: &[(String, Option<u64>, u64)],
        notes: &[String],
    ) -> String {
        let mut s = String::new();
        let scale = match opts.scale {
            ScaleName::Small => "small",
            ScaleName::Full => "full",
        };
        let _ = writeln!(s, "# evident vs SQLite\n");
        let _ = writeln!(
            s,
            "scale `{scale}`, median of {} run(s), every run a fresh process; SQLite {}; {} CPU(s).\n",
            opts.runs,
            sqlite::version(),
            thread::available_parallelism().map_or(0, |n| n.get())
        );
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
        if !notes.is_empty() {
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "Query: the statement's own time with the database open (`evident query --timer`; \
             the SQLite sub-mode times the same span). Process: the whole child process, \
             spawn to exit. The goal's ratio (in bold) is the process one for imports and \
             one-shot workloads, the query one for the others.\n"
        );
        let _ = writeln!(
            s,
            "| workload | evident query | SQLite query | ratio | evident process | SQLite process | ratio | evident peak RSS | SQLite peak RSS | rows | goals |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        let fmt_ratio = |x: Option<f64>, judged: bool| match x {
            None => "–".to_string(),
            Some(x) if judged => format!("**{x:.2}×**"),
            Some(x) => format!("{x:.2}×"),
        };
        for r in rows {
            let e = r.evident.median();
            let q = r.sqlite.median();
            let (eq, sq) = (r.evident.query_median(), r.sqlite.query_median());
            let query_judged = r.kind == Kind::Query;
            let fmt_query = |d: Option<Duration>| {
                if r.kind == Kind::Import {
                    "–".to_string()
                } else {
                    fmt_time(d)
                }
            };
            let rows_cell = match (r.rows, &r.note) {
                (Some(n), None) => n.to_string(),
                (Some(n), Some(_)) => format!("{n} ⚠"),
                (None, Some(_)) => "⚠".into(),
                (None, None) => "–".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.name,
                fmt_query(eq),
                fmt_query(sq),
                fmt_ratio(ratio(eq, sq), query_judged),
                fmt_time(e),
                fmt_time(q),
                fmt_ratio(ratio(e, q), !query_judged),
                if e.is_some() {
                    fmt_kib(r.evident.peak_kib)
                } else {
                    "–".into()
                },
                fmt_kib(r.sqlite.peak_kib),
                rows_cell,
                goals(r),
            );
        }
        let _ = writeln!(
            s,
            "\n| database | evident on disk | SQLite on disk | ratio | goal |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---|");
        for (label, e, q) in disks {
            let (e_cell, ratio, ok) = match e {
                Some(e) => {
                    let x = *e as f64 / (*q).max(1) as f64;
                    (fmt_bytes(*e), format!("{x:.2}×"), Some(x <= 1.5))
                }
                None => ("failed".into(), "–".into(), None),
            };
            let _ = writeln!(
                s,
                "| {label} | {e_cell} | {} | {ratio} | {} ≤ 1.5× SQLite |",
                fmt_bytes(*q),
                mark(ok)
            );
        }
        let problems: Vec<String> = rows
            .iter()
            .flat_map(|r| {
                let e = r
                    .evident
                    .error
                    .as_ref()
                    .map(|e| format!("{}: evident: {e}", r.name));
                let n = r.note.as_ref().map(|n| format!("{}: ⚠ {n}", r.name));
                e.into_iter().chain(n)
            })
            .collect();
        if !problems.is_empty() {
            let _ = writeln!(s, "\n## Problems\n");
            for p in problems {
                let _ = writeln!(s, "- {}", p.replace('\n', " "));
            }
        }
        s
    }

    pub fn main(args: &[String]) -> Res<()> {
        // `cargo test --all-targets` runs bench binaries without `--bench`;
        // a benchmark has no place in a test run.
        if !args.iter().any(|a| a == "--bench") {
            println!("compare: not run (use `cargo bench --bench compare`)");
            return Ok(());
        }
        let opts = Options::parse(args)?;
        let small = opts.scale == ScaleName::Small;
        let work = target_dir().join("bench-compare");
        fs::create_dir_all(&work)?;
        let scale_tag = if small { "small" } else { "full" };
        let mut rows = Vec::new();
        let mut disks = Vec::new();
        let mut notes = Vec::new();
        eprintln!("evident: {}", evident_bin().display());
        if !evident_bin().exists() {
            notes.push(format!(
                "evident binary not found at {}",
                evident_bin().display()
            ));
        }

        // --- MTEB results.
        let mteb_qs_wanted = ["import-mteb", "mteb-"].iter().any(|n| opts.selected(n))
            || mteb_queries("", "").iter().any(|q| opts.selected(q.name));
        let src = mteb_source();
        if mteb_qs_wanted && !src.exists() {
            notes.push(format!(
                "MTEB data not found at {}: its workloads were skipped",
                src.display()
            ));
        } else if mteb_qs_wanted {
            let file = work.join(format!("mteb-{scale_tag}.jsonl"));
            let t = Instant::now();
            let (lines, model) = prepare_mteb(&src, &file, small.then_some(20_000))?;
            eprintln!(
                "mteb: {lines} lines to {} in {:.1?}; top model {model:?}",
                file.display(),
                t.elapsed()
            );
            let point = if small { "mteb:12345" } else { "mteb:123456" };
            let queries: Vec<QuerySpec> = mteb_queries(point, &model)
                .into_iter()
                .filter(|q| opts.selected(q.name))
                .collect();
            notes.push(format!(
                "mteb: {lines} lines; point id `{point}`; model filter `{model}`"
            ));
            let ds = Dataset {
                label: "mteb",
                file,
                evident_db: work.join(format!("mteb-{scale_tag}.evident")),
                sqlite_db: work.join(format!("mteb-{scale_tag}.sqlite")),
                evident_ok: false,
                sqlite_ok: false,
            };
            run_dataset(ds, &queries, &opts, &mut rows, &mut disks)?;
        }

        // --- Synthetic claims and evidence.
        let synth_wanted = opts.selected("import-synth")
            || synth_queries("").iter().any(|q| opts.selected(q.name));
        if synth_wanted {
            let file = work.join(format!("synth-{scale_tag}.jsonl"));
            let scale = if small { &synth::SMALL } else { &synth::FULL };
            let t = Instant::now();
            let info = synth::generate(scale, &file)?;
            eprintln!(
                "synth: {} lines to {} in {:.1?}",
                info.lines,
                file.display(),
                t.elapsed()
            );
            notes.push(format!(
                "synth: {} sources, {} claims, {} evidence; subject filter `{}`",
                scale.sources, scale.claims, scale.evidence, info.common_subject
            ));
            let queries: Vec<QuerySpec> = synth_queries(&info.common_subject)
                .into_iter()
                .filter(|q| opts.selected(q.name))
                .collect();
            let ds = Dataset {
                label: "synth",
                file,
                evident_db: work.join(format!("synth-{scale_tag}.evident")),
                sqlite_db: work.join(format!("synth-{scale_tag}.sqlite")),
                evident_ok: false,
                sqlite_ok: false,
            };
            run_dataset(ds, &queries, &opts, &mut rows, &mut disks)?;
        }

        if rows.is_empty() {
            return fail(format!("no workload matches --only {:?}", opts.only));
        }
        let text = report(&opts, &rows, &disks, &notes);
        println!("{text}");
        let out = target_dir().join("bench-results.md");
        fs::write(&out, &text)?;
        eprintln!("written to {}", out.display());
        Ok(())
    }
}
