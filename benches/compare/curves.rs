//! Issue #21's workload, "Curves, not points": import time and peak memory
//! and five representative queries at three sizes of synthetic results —
//! 1M, 3M and 10M (10k, 30k and 100k at `--scale small`) — evident against
//! SQLite in the same run, as rows of the table, a compact curves table and
//! an SVG plot (`target/bench-curves.svg`).
//!
//! - `curves-1M-import`, …: `evident import` against the SQLite sub-mode,
//!   each into a fresh database (process time, peak RSS).
//! - `curves-1M-point`, `-model`, `-substring`, `-group`, `-asof`: a lookup
//!   by id, an indexed filter returning about the same rows at every size, a
//!   substring scan, a group over every result, and an `as of` view that
//!   derives benchmark evidence (each statement's own time, `--timer`).
//!
//! It runs only when `--only` names it (`--only curves`, `--only curves-3M`),
//! never in a default run: at full scale it takes many minutes and leaves
//! about 12 GB of files and databases in `target/bench-compare/`.

use super::synth::{Rng, Zipf, date};
use super::*;

/// The prefix of every workload of this module; `--only` must start with it.
const CURVES: &str = "curves";

/// One point of the curves: a data set of `results` results.
struct Size {
    /// Its workloads' prefix and its files' stem.
    name: &'static str,
    /// The size as the tables and the plot print it.
    label: &'static str,
    results: usize,
}

const FULL_SIZES: [Size; 3] = [
    Size {
        name: "curves-1M",
        label: "1M",
        results: 1_000_000,
    },
    Size {
        name: "curves-3M",
        label: "3M",
        results: 3_000_000,
    },
    Size {
        name: "curves-10M",
        label: "10M",
        results: 10_000_000,
    },
];
const SMALL_SIZES: [Size; 3] = [
    Size {
        name: "curves-10k",
        label: "10k",
        results: 10_000,
    },
    Size {
        name: "curves-30k",
        label: "30k",
        results: 30_000,
    },
    Size {
        name: "curves-100k",
        label: "100k",
        results: 100_000,
    },
];

/// The rows the model filter should return at every size: the model whose
/// count is nearest is asked for, so an indexed lookup can stay flat while
/// the table grows.
const MODEL_ROWS_FULL: usize = 1_000;
const MODEL_ROWS_SMALL: usize = 100;

/// The day of the `as of` workload: three quarters into the results' dates.
const CURVES_AS_OF: &str = "2024-06-30";

/// The import's suffix and the five queries', in the tables' order.
const IMPORT: &str = "import";
const QUERIES: [&str; 5] = ["point", "model", "substring", "group", "asof"];

/// Whether `--only` names a workload of this module that `name` matches:
/// a bare `--only import` or `--only point` must not start a run of many
/// minutes, so the name given has to start with `curves`.
fn asked(opts: &Options, name: &str) -> bool {
    opts.only
        .iter()
        .any(|o| o.starts_with(CURVES) && name.contains(o.as_str()))
}

// ---------------------------------------------------------------------------
// Data

const ORG_WORDS: [&str; 20] = [
    "astra", "boreal", "cobalt", "delta", "ember", "fathom", "granite", "helix", "ion", "juniper",
    "kestrel", "lumen", "meridian", "nimbus", "onyx", "pioneer", "quasar", "redwood", "summit",
    "tundra",
];
const ORG_KINDS: [&str; 12] = [
    "ai",
    "labs",
    "research",
    "nlp",
    "ml",
    "systems",
    "foundation",
    "group",
    "tech",
    "inc",
    "collective",
    "institute",
];
const FAMILIES: [&str; 12] = [
    "embed",
    "retriever",
    "encoder",
    "e5",
    "gte",
    "bge",
    "minilm",
    "mpnet",
    "sbert",
    "colbert",
    "instructor",
    "nomic",
];
const MODEL_SIZES: [&str; 5] = ["small", "base", "large", "xl", "mini"];
const DOMAINS: [&str; 15] = [
    "Amazon",
    "News",
    "Legal",
    "Medical",
    "Finance",
    "Code",
    "Scientific",
    "Twitter",
    "Wiki",
    "Patent",
    "Arxiv",
    "Reddit",
    "StackExchange",
    "Quora",
    "Movie",
];
/// Two of the ten are matched by the substring scan (`~ "retrieval"`).
const TASKS: [&str; 10] = [
    "Classification",
    "Clustering",
    "PairClassification",
    "Reranking",
    "Retrieval",
    "STS",
    "Summarization",
    "BitextMining",
    "InstructionRetrieval",
    "MultilabelClassification",
];
const SPLITS: [&str; 2] = ["test", "dev"];
/// Half the results report the first; the rest one of the others.
const METRICS: [&str; 10] = [
    "main_score",
    "ndcg_at_10",
    "map_at_10",
    "mrr_at_10",
    "recall_at_100",
    "precision_at_1",
    "accuracy",
    "f1",
    "v_measure",
    "spearman",
];
const MODELS: usize = 3_000;

/// The results' dates: 2020-01-01 (day 1826 after 2015-01-01, where
/// `synth::date` counts from) to 2025-12-31, skewed towards recent years.
const FIRST_DAY: usize = 1_826;
const DAYS: usize = 2_192;

/// How far a result lies from its triple's true score, at most.
const NOISE: f64 = 0.006;

/// About one claim per this many results.
const RESULTS_PER_CLAIM: f64 = 100.0;

/// A source of results. The vendors speak for the organisations of the
/// most popular models (`speaks_for`, model ranks), so their reports on
/// those models are not independent.
struct SourceSpec {
    id: &'static str,
    title: &'static str,
    kind: &'static str,
    publisher: &'static str,
    reliability: f64,
    /// The share of the results it reports.
    share: f64,
    speaks_for: std::ops::Range<usize>,
}

const SOURCES: [SourceSpec; 6] = [
    SourceSpec {
        id: "mteb-leaderboard",
        title: "MTEB leaderboard",
        kind: "leaderboard",
        publisher: "embeddings-benchmark",
        reliability: 0.75,
        share: 0.35,
        speaks_for: 0..0,
    },
    SourceSpec {
        id: "hf-open-evals",
        title: "Open embedding evaluations",
        kind: "leaderboard",
        publisher: "Hugging Face",
        reliability: 0.7,
        share: 0.20,
        speaks_for: 0..0,
    },
    SourceSpec {
        id: "arxiv-papers",
        title: "Scores reported in papers",
        kind: "paper",
        publisher: "arXiv",
        reliability: 0.6,
        share: 0.15,
        speaks_for: 0..0,
    },
    SourceSpec {
        id: "rerun-collective",
        title: "Independent re-runs",
        kind: "benchmark",
        publisher: "Rerun Collective",
        reliability: 0.65,
        share: 0.10,
        speaks_for: 0..0,
    },
    SourceSpec {
        id: "vendor-reports-a",
        title: "Model cards of the first vendors",
        kind: "statement",
        publisher: "Vendor consortium A",
        reliability: 0.5,
        share: 0.12,
        speaks_for: 0..4,
    },
    SourceSpec {
        id: "vendor-reports-b",
        title: "Launch posts of the second vendors",
        kind: "blog",
        publisher: "Vendor consortium B",
        reliability: 0.4,
        share: 0.08,
        speaks_for: 4..8,
    },
];

/// Names and samplers shared by every size.
struct Catalogue {
    /// `org/family-size-vN`, by Zipf rank.
    models: Vec<String>,
    /// Each model's organisation: its claims' subject.
    orgs: Vec<String>,
    benchmarks: Vec<String>,
    dates: Vec<String>,
    model_zipf: Zipf,
    benchmark_zipf: Zipf,
    /// Per model, the chance that one of its results starts a claim:
    /// proportional to the inverse of the model's share, so claims spread
    /// evenly over models. Drawn in proportion to results instead, claims
    /// would pile onto the popular triples, whose results grow with the
    /// size: derived evidence would grow with its square, and the import
    /// curve would show the data rather than the engine.
    claim_chance: Vec<f64>,
}

impl Catalogue {
    fn new() -> Catalogue {
        let org = |i: usize| {
            let i = (i * 7) % (ORG_WORDS.len() * ORG_KINDS.len());
            format!(
                "{}-{}",
                ORG_WORDS[i % ORG_WORDS.len()],
                ORG_KINDS[i / ORG_WORDS.len()]
            )
        };
        let orgs: Vec<String> = (0..MODELS).map(org).collect();
        let models = (0..MODELS)
            .map(|j| {
                let family = FAMILIES[j % FAMILIES.len()];
                let size = MODEL_SIZES[(j / FAMILIES.len()) % MODEL_SIZES.len()];
                let version = j / (FAMILIES.len() * MODEL_SIZES.len()) + 1;
                format!("{}/{family}-{size}-v{version}", orgs[j])
            })
            .collect();
        let benchmarks = (0..DOMAINS.len() * TASKS.len() * SPLITS.len())
            .map(|b| {
                let task = TASKS[b % TASKS.len()];
                let domain = DOMAINS[(b / TASKS.len()) % DOMAINS.len()];
                let split = SPLITS[b / (TASKS.len() * DOMAINS.len())];
                format!("{domain}{task} ({split})")
            })
            .collect::<Vec<_>>();
        // Zipf with s = 1: rank k's share is 1 / (k · H).
        let harmonic: f64 = (1..=MODELS).map(|k| 1.0 / k as f64).sum();
        let claim_chance = (1..=MODELS)
            .map(|k| (k as f64 * harmonic / (RESULTS_PER_CLAIM * MODELS as f64)).min(1.0))
            .collect();
        Catalogue {
            models,
            orgs,
            benchmark_zipf: Zipf::new(benchmarks.len(), 0.6),
            benchmarks,
            dates: (0..DAYS).map(|d| date(FIRST_DAY + d)).collect(),
            model_zipf: Zipf::new(MODELS, 1.0),
            claim_chance,
        }
    }
}

/// What one generated file holds, as far as the queries need it.
struct Generated {
    lines: usize,
    claims: usize,
    point_id: String,
    model: String,
    model_rows: usize,
}

/// One result as drawn: model rank, benchmark, metric, day.
struct Drawn {
    model: usize,
    benchmark: usize,
    metric: usize,
    day: usize,
}

/// The score every result of a (model, benchmark, metric) triple scatters
/// around, in [0.2, 0.95]: the same wherever and whenever it is drawn.
fn true_score(d: &Drawn) -> f64 {
    let key = ((d.model as u64) << 32) ^ ((d.benchmark as u64) << 8) ^ d.metric as u64;
    0.2 + 0.75 * Rng::new(key ^ 0x021C_02E5).unit()
}

/// `x` rounded to 6 decimals, as MTEB writes its scores.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Writes `results` MTEB-shaped results (`curves:1…`) to `path`, with the
/// sources first and a benchmark claim after about one result in 100, on
/// that result's triple. Seeded and streamed: the same bytes on every run,
/// each smaller size a prefix of the larger (one random stream), memory
/// bounded by the catalogue. `model_rows` chooses the filter's model.
fn generate(cat: &Catalogue, results: usize, model_rows: usize, path: &Path) -> Res<Generated> {
    let mut rng = Rng::new(0x21_0000);
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
    for s in &SOURCES {
        write!(
            w,
            r#"{{"type":"source","id":"{}","title":"{}","kind":"{}","publisher":"{}","published":"2019-06-01","reliability":{}"#,
            s.id, s.title, s.kind, s.publisher, s.reliability
        )?;
        if !s.speaks_for.is_empty() {
            let orgs: Vec<String> = s
                .speaks_for
                .clone()
                .map(|m| format!("\"{}\"", cat.orgs[m]))
                .collect();
            write!(w, r#","affiliations":[{}]"#, orgs.join(","))?;
        }
        w.write_all(b"}\n")?;
    }
    let mut per_model = vec![0usize; MODELS];
    let mut claims = 0;
    for n in 1..=results {
        let d = Drawn {
            model: cat.model_zipf.sample(&mut rng),
            benchmark: cat.benchmark_zipf.sample(&mut rng),
            metric: if rng.chance(0.5) {
                0
            } else {
                1 + rng.below(METRICS.len() - 1)
            },
            day: ((DAYS as f64 * rng.unit().sqrt()) as usize).min(DAYS - 1),
        };
        let source = pick_source(&mut rng);
        let value = round6(true_score(&d) + NOISE * (2.0 * rng.unit() - 1.0));
        writeln!(
            w,
            r#"{{"type":"result","id":"curves:{n}","model":"{}","benchmark":"{}","value":{value},"metric":"{}","date":"{}","source":"{source}"}}"#,
            cat.models[d.model], cat.benchmarks[d.benchmark], METRICS[d.metric], cat.dates[d.day],
        )?;
        per_model[d.model] += 1;
        if rng.chance(cat.claim_chance[d.model]) {
            claims += 1;
            write_claim(&mut w, &mut rng, cat, claims, &d)?;
        }
    }
    w.flush()?;
    // The model nearest the wanted count; on a tie, the more popular.
    let (model, &rows) = per_model
        .iter()
        .enumerate()
        .min_by_key(|&(_, &c)| c.abs_diff(model_rows))
        .ok_or("no models")?;
    Ok(Generated {
        lines: SOURCES.len() + results + claims,
        claims,
        point_id: format!("curves:{}", (results * 3 / 4).max(1)),
        model: cat.models[model].clone(),
        model_rows: rows,
    })
}

fn pick_source(rng: &mut Rng) -> &'static str {
    let mut u = rng.unit();
    for s in &SOURCES {
        if u < s.share {
            return s.id;
        }
        u -= s.share;
    }
    SOURCES[0].id
}

/// Claim `c:curves/K` on the triple of `d`, made the day of that result,
/// its subject the model's organisation, with an explicit tolerance: 55%
/// state the true score within half a tolerance (mostly supported), 25%
/// miss it by 2–4 tolerances (mostly refuted), 20% are `>=`/`<=` bounds
/// two tolerances either side. 40% are tagged `self-reported`.
fn write_claim(
    w: &mut impl Write,
    rng: &mut Rng,
    cat: &Catalogue,
    k: usize,
    d: &Drawn,
) -> io::Result<()> {
    let truth = true_score(d);
    let tolerance = [0.005, 0.01, 0.02][rng.below(3)];
    let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
    let (comparator, value) = match rng.unit() {
        u if u < 0.55 => ("=", truth + sign * rng.unit() * 0.5 * tolerance),
        u if u < 0.80 => ("=", truth + sign * tolerance * (2.0 + 2.0 * rng.unit())),
        u if u < 0.90 => (">=", truth + sign * 2.0 * tolerance),
        _ => ("<=", truth + sign * 2.0 * tolerance),
    };
    let value = round6(value);
    let words = match comparator {
        ">=" => "at least ",
        "<=" => "at most ",
        _ => "",
    };
    let (model, benchmark, metric) = (
        &cat.models[d.model],
        &cat.benchmarks[d.benchmark],
        METRICS[d.metric],
    );
    write!(
        w,
        r#"{{"type":"claim","id":"c:curves/{k}","text":"{model} scores {words}{value} {metric} on {benchmark}","subject":"{}""#,
        cat.orgs[d.model]
    )?;
    if rng.chance(0.4) {
        w.write_all(br#","tags":["self-reported"]"#)?;
    }
    write!(
        w,
        r#","created":"{}","model":"{model}","benchmark":"{benchmark}","metric":"{metric}""#,
        cat.dates[d.day]
    )?;
    if comparator != "=" {
        write!(w, r#","comparator":"{comparator}""#)?;
    }
    writeln!(w, r#","value":{value},"tolerance":{tolerance}}}"#)
}

// ---------------------------------------------------------------------------
// Queries

fn queries(g: &Generated) -> [QuerySpec; 5] {
    let [point, model, substring, group, asof] = QUERIES;
    [
        QuerySpec {
            name: point,
            kind: Kind::Query,
            evident: format!("results where id = {}", evq_string(&g.point_id)),
            sql: format!(
                "SELECT {RESULT_COLUMNS} FROM results WHERE id = {}",
                sql_string(&g.point_id)
            ),
            check: Check::Ids,
        },
        QuerySpec {
            name: model,
            kind: Kind::Query,
            evident: format!("results where model = {}", evq_string(&g.model)),
            sql: format!(
                "SELECT {RESULT_COLUMNS} FROM results WHERE model = {} ORDER BY id",
                sql_string(&g.model)
            ),
            check: Check::Ids,
        },
        QuerySpec {
            name: substring,
            kind: Kind::Query,
            // A count, so that writing a fifth of the rows does not swamp
            // the scan; LIKE ignores ASCII case, as `~` ignores case.
            evident: "count results where benchmark ~ \"retrieval\"".into(),
            sql: "SELECT count(*) AS count FROM results WHERE benchmark LIKE '%retrieval%'".into(),
            check: Check::Rows,
        },
        group_by_metric(group),
        QuerySpec {
            name: asof,
            kind: Kind::Query,
            evident: format!("count claims as of {CURVES_AS_OF} group by status"),
            sql: as_of_bench_status_sql(CURVES_AS_OF),
            check: Check::Rows,
        },
    ]
}

/// `count claims as of DATE group by status` where claims are benchmark
/// claims. `sqlite::as_of_status_sql` reads the derived evidence the import
/// stored, for which SPEC 8.2 step 6 chose each source's latest result of
/// all; in a view the choice is among the results visible on the day (an
/// earlier result of the source, when its latest is later). So this derives
/// the evidence again from the visible results with the import's steps
/// and stance (`sqlite::judged_candidates_sql`), adds the recorded
/// evidence visible on the day, and judges the visible claims as SPEC 2
/// says.
fn as_of_bench_status_sql(day: &str) -> String {
    let candidates = sqlite::judged_candidates_sql(&format!(
        "AND (c.created IS NULL OR c.created <= '{day}')
         AND r.date <= '{day}'
         AND NOT EXISTS (
             SELECT 1 FROM evidence e JOIN sources s ON s.id = e.source
             WHERE e.claim = c.id AND e.result = r.id AND NOT e.derived
               AND coalesce(e.date, s.published) <= '{day}')"
    ));
    format!(
        "WITH derived AS (
            SELECT claim || '~' || result AS id, claim, source, stance, 1.0 AS strength
            FROM ({candidates})
            WHERE voice = 1),
        recorded AS (
            SELECT e.id, e.claim, e.source, e.stance, e.strength
            FROM evidence e JOIN sources s ON s.id = e.source
            WHERE NOT e.derived AND coalesce(e.date, s.published) <= '{day}'),
        weighted AS (
            SELECT v.id, v.claim, v.stance, v.strength * s.reliability AS w,
                   (c.subject IS NULL OR s.affiliations = '[]' OR NOT EXISTS (
                        SELECT 1 FROM json_each(s.affiliations) a
                        WHERE lower(a.value) = lower(c.subject))) AS ind
            FROM (SELECT * FROM derived UNION ALL SELECT * FROM recorded) v
            JOIN sources s ON s.id = v.source
            JOIN claims c ON c.id = v.claim),
        d AS (
            SELECT claim,
                noisy_or(id, CASE WHEN stance = 'supports' AND ind THEN w END) AS i_s,
                noisy_or(id, CASE WHEN stance = 'refutes' AND ind THEN w END) AS i_r
            FROM weighted
            GROUP BY claim)
        SELECT status, count(*) AS count FROM (
            SELECT CASE
                WHEN coalesce(d.i_s, 0) >= 0.7 AND coalesce(d.i_r, 0) < 0.3 THEN 'verified'
                WHEN coalesce(d.i_r, 0) >= 0.7 AND coalesce(d.i_s, 0) < 0.3 THEN 'refuted'
                WHEN coalesce(d.i_s, 0) >= 0.3 AND coalesce(d.i_r, 0) >= 0.3 THEN 'contested'
                ELSE 'unresolved' END AS status
            FROM claims LEFT JOIN d ON d.claim = claims.id
            -- a claim created after the day is not in the view (SPEC 2)
            WHERE claims.created IS NULL OR claims.created <= '{day}')
        GROUP BY status ORDER BY status"
    )
}

// ---------------------------------------------------------------------------
// Running

/// One measure at one size, in its unit.
struct Figure {
    measure: &'static str,
    unit: &'static str,
    evident: Option<f64>,
    sqlite: Option<f64>,
    rows: Option<usize>,
}

/// The figures of one size.
struct Point {
    label: &'static str,
    results: usize,
    figures: Vec<Figure>,
}

/// Issue #21's curves, when `--only` names them: rows for the table, the
/// notes, and the curves table to append to the report (the plot is
/// written to `target/bench-curves.svg`).
pub(super) fn run(
    opts: &Options,
    work: &Path,
    small: bool,
    found: &mut Found,
) -> Res<Option<String>> {
    let sizes = if small { &SMALL_SIZES } else { &FULL_SIZES };
    let wanted: Vec<&Size> = sizes
        .iter()
        .filter(|s| {
            std::iter::once(IMPORT)
                .chain(QUERIES)
                .any(|w| asked(opts, &format!("{}-{w}", s.name)))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    let cat = Catalogue::new();
    let model_rows = if small {
        MODEL_ROWS_SMALL
    } else {
        MODEL_ROWS_FULL
    };
    let mut points = Vec::new();
    for size in wanted {
        points.push(run_size(opts, work, &cat, size, model_rows, found)?);
    }
    let plot = target_dir().join("bench-curves.svg");
    fs::write(&plot, svg(&points))?;
    eprintln!("curves: plot written to {}", plot.display());
    Ok(Some(curves_table(&points, opts.runs)))
}

/// One size: its file generated, imported (timed if asked), its queries.
fn run_size(
    opts: &Options,
    work: &Path,
    cat: &Catalogue,
    size: &Size,
    model_rows: usize,
    found: &mut Found,
) -> Res<Point> {
    let file = work.join(format!("{}.jsonl", size.name));
    let t = Instant::now();
    let g = generate(cat, size.results, model_rows, &file)?;
    eprintln!(
        "{}: {} lines ({} claims) to {} in {:.1?}",
        size.name,
        g.lines,
        g.claims,
        file.display(),
        t.elapsed()
    );
    let mut ds = Dataset {
        label: size.name,
        file,
        evident_db: work.join(format!("{}.evident", size.name)),
        sqlite_db: work.join(format!("{}.sqlite", size.name)),
        evident_ok: false,
        sqlite_ok: false,
    };
    let mut point = Point {
        label: size.label,
        results: size.results,
        figures: Vec::new(),
    };
    // As `run_dataset` does, under this module's names.
    let import_name = format!("{}-{IMPORT}", size.name);
    if asked(opts, &import_name) {
        let mut row = import(&mut ds, opts.runs)?;
        row.name = import_name;
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let mib = |side: &Side| side.median().and(side.peak_kib).map(|k| k as f64 / 1024.0);
        point.figures.push(Figure {
            measure: IMPORT,
            unit: "s",
            evident: secs(row.evident.median()),
            sqlite: secs(row.sqlite.median()),
            rows: None,
        });
        point.figures.push(Figure {
            measure: "import peak RSS",
            unit: "MiB",
            evident: mib(&row.evident),
            sqlite: mib(&row.sqlite),
            rows: None,
        });
        found.rows.push(row);
        found.disks.push((
            size.name.to_string(),
            ds.evident_ok.then(|| disk_bytes(&ds.evident_db)),
            disk_bytes(&ds.sqlite_db),
        ));
    } else if opts.reuse && reusable(&mut ds) {
        eprintln!(
            "  reusing {} and {}",
            ds.evident_db.display(),
            ds.sqlite_db.display()
        );
    } else {
        eprintln!("  importing {} (untimed)", size.name);
        import(&mut ds, 1)?;
    }
    for q in queries(&g) {
        let name = format!("{}-{}", size.name, q.name);
        if !asked(opts, &name) {
            continue;
        }
        eprintln!("  {name}");
        let mut row = run_query(&ds, &q, opts.runs)?;
        row.name = name;
        let ms = |d: Option<Duration>| d.map(|d| d.as_secs_f64() * 1e3);
        point.figures.push(Figure {
            measure: q.name,
            unit: "ms",
            evident: ms(row.evident.query_median()),
            sqlite: ms(row.sqlite.query_median()),
            rows: row.rows,
        });
        found.rows.push(row);
    }
    found.notes.push(format!(
        "{}: {} results and {} benchmark claims ({} lines); point id `{}`; model filter `{}` \
         ({} rows); evident's statuses today: {}",
        size.name,
        size.results,
        g.claims,
        g.lines,
        g.point_id,
        g.model,
        g.model_rows,
        statuses(&ds)
    ));
    Ok(point)
}

/// Evident's claim statuses today, one phrase for the notes, so a run shows
/// that the generated claims judge as a mix.
fn statuses(ds: &Dataset) -> String {
    if !ds.evident_ok {
        return "no database".into();
    }
    let mut cmd = evident_cmd(&ds.evident_db);
    cmd.arg("query")
        .arg("count claims group by status")
        .args(["--format", "jsonl"]);
    match measure(&mut cmd) {
        Ok(m) if m.status.success() => match parse_lines(&m.stdout) {
            Ok(rows) => rows
                .iter()
                .map(|r| format!("{} {}", r["status"].as_str().unwrap_or("?"), r["count"]))
                .collect::<Vec<_>>()
                .join(", "),
            Err(e) => e,
        },
        Ok(m) => String::from_utf8_lossy(&m.stderr).trim().to_string(),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Output

/// A figure for the curves table: three significant digits or so.
fn number(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

/// `a / b` as a ratio cell.
fn times(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".into(),
    }
}

/// The measures in the order of the sizes' figures, first seen first.
fn measures(points: &[Point]) -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<(&'static str, &'static str)> = Vec::new();
    for f in points.iter().flat_map(|p| &p.figures) {
        if !all.contains(&(f.measure, f.unit)) {
            all.push((f.measure, f.unit));
        }
    }
    all
}

fn figure<'p>(p: &'p Point, measure: &str) -> Option<&'p Figure> {
    p.figures.iter().find(|f| f.measure == measure)
}

/// The compact table: per measure, its figures at each size; growth is
/// each side's figure over its own at the first size measured.
fn curves_table(points: &[Point], runs: usize) -> String {
    let mut s = String::new();
    let sizes: Vec<&str> = points.iter().map(|p| p.label).collect();
    let _ = writeln!(s, "\n## Curves ({} results)\n", sizes.join(", "));
    let _ = writeln!(
        s,
        "Median of {runs} run(s). Import: the whole process and its peak RSS; queries: the \
         statement's own time with the database open (`evident query --timer`, the SQLite \
         sub-mode timing the same span). Growth: a side's figure over its own at {} results \
         (linear is the sizes' ratio, flat is 1). Plot: `target/bench-curves.svg`.\n",
        sizes.first().copied().unwrap_or("the first")
    );
    let _ = writeln!(
        s,
        "| measure | size | evident | SQLite | ratio | evident growth | SQLite growth | rows |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (measure, unit) in measures(points) {
        let first = points.iter().find_map(|p| figure(p, measure));
        for p in points {
            let Some(f) = figure(p, measure) else {
                continue;
            };
            let _ = writeln!(
                s,
                "| {measure} ({unit}) | {} | {} | {} | {} | {} | {} | {} |",
                p.label,
                number(f.evident),
                number(f.sqlite),
                times(f.evident, f.sqlite),
                times(f.evident, first.and_then(|f| f.evident)),
                times(f.sqlite, first.and_then(|f| f.sqlite)),
                f.rows.map_or("–".into(), |n| n.to_string()),
            );
        }
    }
    s
}

// ---------------------------------------------------------------------------
// The plot: hand-written SVG, two panels side by side.

/// One axis's range, linear from `lo` in steps of `step`, or logarithmic
/// (`step` 0) over whole decades.
struct Axis {
    lo: f64,
    hi: f64,
    step: f64,
}

impl Axis {
    /// From 0 to a round number above `max`, in about four steps.
    fn linear(max: f64) -> Axis {
        // Nothing measured: an axis from 0 to 1 all the same.
        let max = if max > 0.0 { max } else { 1.0 };
        let raw = max / 4.0;
        let decade = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * decade)
            .find(|&s| s >= raw)
            .unwrap_or(10.0 * decade);
        Axis {
            lo: 0.0,
            hi: (max / step).ceil().max(1.0) * step,
            step,
        }
    }
    /// From the decade at or below `min` to the one above `max`.
    fn log(min: f64, max: f64) -> Axis {
        let lo = min.log10().floor();
        let hi = max.log10().ceil().max(lo + 1.0);
        Axis {
            lo: 10f64.powf(lo),
            hi: 10f64.powf(hi),
            step: 0.0,
        }
    }
    fn is_log(&self) -> bool {
        self.step == 0.0
    }
    /// Where `v` falls, from 0 (at `lo`) to 1 (at `hi`).
    fn at(&self, v: f64) -> f64 {
        if self.is_log() {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
    /// The ticks and their labels.
    fn ticks(&self) -> Vec<(f64, String)> {
        let (first, last) = if self.is_log() {
            (
                self.lo.log10().round() as i32,
                self.hi.log10().round() as i32,
            )
        } else {
            (0, (self.hi / self.step).round() as i32)
        };
        (first..=last)
            .map(|i| {
                let (v, decimals) = if self.is_log() {
                    (10f64.powi(i), (-i).max(0) as usize)
                } else {
                    let decimals = (-self.step.log10().floor()).max(0.0) as usize;
                    (f64::from(i) * self.step, decimals)
                };
                (v, format!("{v:.decimals$}"))
            })
            .collect()
    }
}

/// A measure drawn on a panel: evident solid, SQLite dashed.
struct Series {
    label: &'static str,
    color: &'static str,
    /// On the panel's right-hand axis.
    right: bool,
    evident: Vec<(f64, f64)>,
    sqlite: Vec<(f64, f64)>,
}

impl Series {
    fn new(points: &[Point], measure: &str, label: &'static str, color: &'static str) -> Series {
        let side = |of: fn(&Figure) -> Option<f64>| -> Vec<(f64, f64)> {
            points
                .iter()
                .filter_map(|p| Some((p.results as f64, of(figure(p, measure)?)?)))
                .collect()
        };
        Series {
            label,
            color,
            right: false,
            evident: side(|f| f.evident),
            sqlite: side(|f| f.sqlite),
        }
    }
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.evident.iter().chain(&self.sqlite).map(|p| p.1)
    }
}

struct Panel {
    /// The panel's left edge in the picture.
    left: f64,
    title: &'static str,
    x: Axis,
    x_title: &'static str,
    y: Axis,
    y_title: &'static str,
    right: Option<(Axis, &'static str)>,
    series: Vec<Series>,
}

const COLORS: [&str; 5] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];
const PEAK_COLOR: &str = "#d62728";
/// The plot area within a panel, and the picture's size.
const PLOT_LEFT: f64 = 70.0;
const PLOT_TOP: f64 = 50.0;
const PLOT_W: f64 = 340.0;
const PLOT_H: f64 = 280.0;
const PANEL_W: f64 = 500.0;
const HEIGHT: f64 = 460.0;

/// The plot: import time and peak RSS against size (linear axes, where
/// linear growth is a straight line through the origin), and the query
/// times against size (logarithmic axes, where flat is flat and linear is
/// a slope of one decade per decade).
fn svg(points: &[Point]) -> String {
    let sizes = points.iter().map(|p| p.results as f64);
    let (min_size, max_size) = sizes.fold((f64::INFINITY, 1.0_f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let import = Series::new(points, IMPORT, "import time (left)", COLORS[0]);
    let peak = Series {
        right: true,
        ..Series::new(points, "import peak RSS", "peak RSS (right)", PEAK_COLOR)
    };
    let largest = |s: &Series| s.values().fold(0.0, f64::max);
    let queries: Vec<Series> = QUERIES
        .iter()
        .zip(COLORS)
        .map(|(&q, color)| Series::new(points, q, q, color))
        .collect();
    let times = queries.iter().flat_map(Series::values).filter(|&v| v > 0.0);
    let (fastest, slowest) = times.fold((f64::INFINITY, 0.0_f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let panels = [
        Panel {
            left: 0.0,
            title: "Import",
            x: Axis::linear(max_size),
            x_title: "results",
            y: Axis::linear(largest(&import)),
            y_title: "import time (s)",
            right: Some((Axis::linear(largest(&peak)), "peak RSS (MiB)")),
            series: vec![import, peak],
        },
        Panel {
            left: PANEL_W,
            title: "Queries",
            x: Axis {
                lo: min_size.min(max_size) / 1.5,
                hi: max_size * 1.5,
                step: 0.0,
            },
            x_title: "results (log scale)",
            y: if slowest > 0.0 {
                Axis::log(fastest, slowest)
            } else {
                Axis::log(1.0, 10.0)
            },
            y_title: "statement time (ms, log scale)",
            right: None,
            series: queries,
        },
    ];
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{HEIGHT}" viewBox="0 0 {w} {HEIGHT}" font-family="sans-serif" font-size="12">"#,
        w = 2.0 * PANEL_W
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for panel in &panels {
        draw_panel(&mut s, panel, points);
    }
    s.push_str("</svg>\n");
    s
}

fn draw_panel(s: &mut String, p: &Panel, points: &[Point]) {
    let x0 = p.left + PLOT_LEFT;
    let bottom = PLOT_TOP + PLOT_H;
    let px = |v: f64| x0 + PLOT_W * p.x.at(v);
    let py = |axis: &Axis, v: f64| bottom - PLOT_H * axis.at(v);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{}</text>"#,
        x0 + PLOT_W / 2.0,
        p.title
    );
    // Grid and ticks of the left axis, then the right one, then the sizes.
    for (v, label) in p.y.ticks() {
        let y = py(&p.y, v);
        let _ = writeln!(
            s,
            r##"<line x1="{x0}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{label}</text>"##,
            x0 + PLOT_W,
            x0 - 6.0,
            y + 4.0
        );
    }
    if let Some((axis, title)) = &p.right {
        for (v, label) in axis.ticks() {
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{:.1}" fill="{PEAK_COLOR}">{label}</text>"#,
                x0 + PLOT_W + 6.0,
                py(axis, v) + 4.0
            );
        }
        axis_title(s, x0 + PLOT_W + 60.0, PLOT_TOP + PLOT_H / 2.0, 90, title);
    }
    // The sizes along the bottom; a linear axis starts at no results.
    let origin = (!p.x.is_log()).then_some((p.x.lo, "0"));
    let sizes = points
        .iter()
        .map(|point| (point.results as f64, point.label));
    for (results, label) in origin.into_iter().chain(sizes) {
        let x = px(results);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{bottom}" x2="{x:.1}" y2="{}" stroke="#333"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"##,
            bottom + 5.0,
            bottom + 18.0,
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{x0}" y="{PLOT_TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        x0 + PLOT_W / 2.0,
        bottom + 36.0,
        p.x_title
    );
    axis_title(s, x0 - 50.0, PLOT_TOP + PLOT_H / 2.0, -90, p.y_title);
    // The curves.
    for series in &p.series {
        let axis = match (&p.right, series.right) {
            (Some((axis, _)), true) => axis,
            _ => &p.y,
        };
        for (line, dashed) in [(&series.evident, false), (&series.sqlite, true)] {
            let at: Vec<(f64, f64)> = line.iter().map(|&(x, v)| (px(x), py(axis, v))).collect();
            curve(s, &at, series.color, dashed);
        }
    }
    // The legend: the measures in rows of two or three (as long as their
    // labels allow), then a row saying what solid and dashed mean.
    let columns = if p.series.iter().any(|s| s.label.len() > 12) {
        2
    } else {
        3
    };
    let rows = p.series.len().div_ceil(columns);
    let measures = p
        .series
        .iter()
        .enumerate()
        .map(|(i, series)| (i % columns, i / columns, series.label, series.color, false));
    let styles = [
        (0, rows, "evident", "#555", false),
        (1, rows, "SQLite", "#555", true),
    ];
    for (column, row, label, color, dashed) in measures.chain(styles) {
        let x = x0 + PLOT_W / columns as f64 * column as f64;
        let y = bottom + 62.0 + 20.0 * row as f64;
        curve(s, &[(x, y - 4.0), (x + 26.0, y - 4.0)], color, dashed);
        let _ = writeln!(s, r#"<text x="{}" y="{y}">{label}</text>"#, x + 32.0);
    }
}

/// A polyline through `at` (pixels) with a marker at each point.
fn curve(s: &mut String, at: &[(f64, f64)], color: &str, dashed: bool) {
    let dash = if dashed {
        r#" stroke-dasharray="6 4""#
    } else {
        ""
    };
    let fill = if dashed { "white" } else { color };
    if at.len() > 1 {
        let path: Vec<String> = at.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"#,
            path.join(" ")
        );
    }
    for (x, y) in at {
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{fill}" stroke="{color}"/>"#
        );
    }
}

/// A y axis's title, turned by `degrees` around its own centre.
fn axis_title(s: &mut String, x: f64, y: f64, degrees: i32, title: &str) {
    let _ = writeln!(
        s,
        r#"<text x="{x}" y="{y}" text-anchor="middle" transform="rotate({degrees} {x} {y})">{title}</text>"#
    );
}
