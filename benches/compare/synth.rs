//! Deterministic synthetic data: sources, claims, evidence and results
//! written as JSON Lines, the same bytes for the same scale and seed.

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

/// `YYYY-MM-DD` for a day offset from 2015-01-01.
pub fn date(day: usize) -> String {
    evident::model::Date::from_unix_days(EPOCH_2015 + day as i64)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

const PREFIX: [&str; 26] = [
    "Astra", "Boreal", "Cobalt", "Delta", "Ember", "Fathom", "Granite", "Helix", "Ion", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quasar", "Redwood", "Summit",
    "Tundra", "Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr",
];
const MIDDLE: [&str; 27] = [
    "", "Bay", "Bridge", "Crest", "Dale", "Field", "Forge", "Gate", "Grove", "Harbor", "Hill",
    "Lake", "Line", "Mark", "Mill", "Point", "Port", "Ridge", "Rock", "Shore", "Spring", "Stone",
    "Vale", "View", "Water", "Wood", "Works",
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
    let subjects: Vec<String> = (0..scale.subjects).map(subject_name).collect();
    // One random stream in a fixed order (sources, claims, evidence): the
    // same scale always writes the same bytes.
    let affiliated = write_sources(&mut w, &mut rng, scale, &subject_zipf, &subjects)?;
    let claims = write_claims(&mut w, &mut rng, scale, &subject_zipf, &subjects)?;
    write_evidence(&mut w, &mut rng, scale, &affiliated, &claims)?;
    w.flush()?;
    let common = subject_zipf_rank_name(&subjects);
    Ok(Info {
        common_subject: common,
        lines: scale.sources + scale.claims + scale.evidence,
    })
}

/// What evidence needs to know of the claims written before it: each
/// claim's subject (`u32::MAX`: none) and creation day (`u16::MAX`: none).
struct Claims {
    subject: Vec<u32>,
    created: Vec<u16>,
}

/// Writes the sources; returns, per subject, the sources affiliated with it.
fn write_sources(
    w: &mut impl Write,
    rng: &mut Rng,
    scale: &Scale,
    subject_zipf: &Zipf,
    subjects: &[String],
) -> Res<Vec<Vec<u32>>> {
    let mut affiliated: Vec<Vec<u32>> = vec![Vec::new(); scale.subjects];
    for s in 0..scale.sources {
        let kind = pick_kind(rng);
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
            write!(w, r#","published":"{}""#, date(recent_day(rng)))?;
        }
        // Parties speak for themselves in statements, memos and filings;
        // a few other sources are affiliated too.
        let self_interested = matches!(kind, "statement" | "memo" | "filing");
        let p_aff = if self_interested { 0.9 } else { 0.05 };
        if rng.chance(p_aff) {
            let n = if rng.chance(0.3) { 2 } else { 1 };
            w.write_all(br#","affiliations":["#)?;
            for k in 0..n {
                let subj = subject_zipf.sample(rng);
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
    }
    Ok(affiliated)
}

/// Writes the claims.
fn write_claims(
    w: &mut impl Write,
    rng: &mut Rng,
    scale: &Scale,
    subject_zipf: &Zipf,
    subjects: &[String],
) -> Res<Claims> {
    let tag_zipf = Zipf::new(TAGS.len(), 0.9);
    let mut claim_subject: Vec<u32> = Vec::with_capacity(scale.claims);
    let mut claim_created: Vec<u16> = Vec::with_capacity(scale.claims);
    for c in 0..scale.claims {
        let cid = c + 1;
        let subj = if rng.chance(0.95) {
            Some(subject_zipf.sample(rng))
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
            let t = tag_zipf.sample(rng);
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
            let d = recent_day(rng);
            write!(w, r#","created":"{}""#, date(d))?;
            d as u16
        } else {
            u16::MAX
        };
        w.write_all(b"}\n")?;
        claim_subject.push(subj.map_or(u32::MAX, |s| s as u32));
        claim_created.push(created);
    }
    Ok(Claims {
        subject: claim_subject,
        created: claim_created,
    })
}

/// Writes the evidence: a few pieces for most claims, many for a few hot
/// ones, some from the claim's own subject's affiliated sources.
fn write_evidence(
    w: &mut impl Write,
    rng: &mut Rng,
    scale: &Scale,
    affiliated: &[Vec<u32>],
    claims: &Claims,
) -> Res<()> {
    let source_zipf = Zipf::new(scale.sources, 1.07);
    let hot_claims = Zipf::new(scale.claims, 1.0);
    let (claim_subject, claim_created) = (&claims.subject, &claims.created);
    for e in 0..scale.evidence {
        let eid = e + 1;
        // Most claims get a few pieces of evidence; a few hot claims get many.
        let claim = if rng.chance(0.7) {
            rng.below(scale.claims)
        } else {
            hot_claims.sample(rng)
        };
        let subj = claim_subject[claim];
        let own = (subj != u32::MAX)
            .then(|| &affiliated[subj as usize])
            .filter(|v| !v.is_empty());
        let (source, self_serving) = match own {
            Some(v) if rng.chance(0.2) => (v[rng.below(v.len())] as usize, true),
            _ => (source_zipf.sample(rng), false),
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
                recent_day(rng)
            } else {
                (created as usize + rng.below(400)).min(DAYS - 1)
            };
            write!(w, r#","date":"{}""#, date(day))?;
        }
        if rng.chance(0.25) {
            write!(w, r#","note":"excerpt {eid}: as reported at the time""#)?;
        }
        w.write_all(b"}\n")?;
    }
    Ok(())
}

fn subject_zipf_rank_name(subjects: &[String]) -> String {
    let rank = COMMON_SUBJECT_RANK.min(subjects.len().saturating_sub(1));
    subjects.get(rank).cloned().unwrap_or_default()
}
