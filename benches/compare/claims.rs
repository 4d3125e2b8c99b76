//! Issue #15's workloads: benchmark claims (SPEC 8) generated over the
//! MTEB results, imported, updated and queried.
//!
//! - `import-bench-claims`: results + claims against the results alone,
//!   evident against itself (goal ≤ 1.2×); `import-bench-claims-sqlite`
//!   prints SQLite importing the same, derived evidence included, for context.
//! - `bench-claims-update`: 1,000 new results that hit existing claims,
//!   imported into the full database and into one twice its size (goal:
//!   the same time, ≤ 1.5×); `bench-claims-update-prefix` prints the full
//!   database against one of a 10% prefix with its own claims, for context.
//! - `bench-claims-verified-selfreported`, `bench-claims-derived-refutes`:
//!   two queries against SQLite reading its precomputed status and derived
//!   evidence (goal ≤ 1.0×).

use super::synth::Rng;
use super::*;
use serde::Deserialize;

/// The workloads of this module, for `--only`.
const IMPORT: &str = "import-bench-claims";
const IMPORT_SQLITE: &str = "import-bench-claims-sqlite";
const UPDATE: &str = "bench-claims-update";
const UPDATE_PREFIX: &str = "bench-claims-update-prefix";

/// How many claims and update results each scale generates.
struct ClaimScale {
    claims: usize,
    /// Results added by one `bench-claims-update` run.
    update: usize,
}

const FULL_CLAIMS: ClaimScale = ClaimScale {
    claims: 100_000,
    update: 1_000,
};
const SMALL_CLAIMS: ClaimScale = ClaimScale {
    claims: 2_000,
    update: 100,
};

/// The share of the results (and of the claims) in the smaller database
/// of `bench-claims-update`.
const PREFIX_SHARE: usize = 10;

/// A result line of the MTEB file, as far as claims need it.
#[derive(Deserialize)]
struct ResultLine {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    model: Option<String>,
    benchmark: Option<String>,
    metric: Option<String>,
    value: Option<f64>,
}

/// The result a claim on a (model, benchmark, metric) triple is judged
/// against: all MTEB results share one undated source, so SPEC 8.2 step 6
/// keeps the one with the byte-wise smallest id.
struct Winner {
    id: String,
    model: String,
    benchmark: String,
    metric: String,
    value: f64,
}

/// A claim that later results can hit: its triple, value and tolerance.
pub struct Target {
    model: String,
    benchmark: String,
    metric: String,
    value: f64,
    tolerance: f64,
}

/// What `generate` wrote.
pub struct ClaimSet {
    pub claims: usize,
    /// Distinct (model, benchmark, metric) triples among the results.
    pub triples: usize,
    /// The `=` claims that have a candidate: the update's targets.
    pub targets: Vec<Target>,
}

/// The winner of every (model, benchmark, metric) triple of `results`,
/// keyed by the triple in ASCII lower case (SPEC 8.2 compares so), in key
/// order so the choice below is the same on every run.
fn winners(results: &Path) -> Res<Vec<Winner>> {
    let reader = BufReader::with_capacity(1 << 20, fs::File::open(results)?);
    let mut best: HashMap<String, Winner> = HashMap::new();
    for line in reader.lines() {
        let line = line?;
        let Ok(r) = serde_json::from_str::<ResultLine>(&line) else {
            continue;
        };
        let (true, Some(id), Some(model), Some(benchmark), Some(value)) =
            (r.kind == "result", r.id, r.model, r.benchmark, r.value)
        else {
            continue;
        };
        let metric = r.metric.unwrap_or_else(|| "score".into());
        let key = format!("{model}\u{0}{benchmark}\u{0}{metric}").to_ascii_lowercase();
        match best.get_mut(&key) {
            Some(w) if w.id.as_bytes() <= id.as_bytes() => {}
            Some(w) => {
                w.id = id;
                w.value = value;
            }
            None => {
                best.insert(
                    key,
                    Winner {
                        id,
                        model,
                        benchmark,
                        metric,
                        value,
                    },
                );
            }
        }
    }
    let mut all: Vec<(String, Winner)> = best.into_iter().collect();
    all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(all.into_iter().map(|(_, w)| w).collect())
}

/// `count` distinct indices below `n` (all of them if `count ≥ n`), by a
/// partial Fisher–Yates shuffle, in the order drawn.
fn distinct(rng: &mut Rng, n: usize, count: usize) -> Vec<usize> {
    let mut all: Vec<usize> = (0..n).collect();
    let count = count.min(n);
    for i in 0..count {
        let j = i + rng.below(n - i);
        all.swap(i, j);
    }
    all.truncate(count);
    all
}

/// `x` rounded to 6 decimals, as MTEB writes its scores.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Writes `count` benchmark claims `c:bench/1…` over the results of
/// `results` to `out`, seeded, so every run writes the same bytes.
///
/// Each claim names a triple that exists among the results, the model's
/// organisation (`org/name`) as its subject, and no unit (MTEB scores have
/// none), so an explicit tolerance (0.005, 0.01 or 0.02; 15% give none:
/// exact) does the judging. The shares: 55% state the winner's value within
/// tolerance (verified), 25% miss it by 1.5–4.5 tolerances (refuted), 10%
/// are `>=`/`<=` bounds either side, and 10% have no usable candidate
/// (unresolved): a shot count the results do not state, a `%` unit the
/// results lack, or a model name no result uses. 40% are tagged
/// `self-reported` (the maker's own figure), 30% `press`.
pub fn generate(results: &Path, count: usize, seed: u64, out: &Path) -> Res<ClaimSet> {
    let winners = winners(results)?;
    if winners.is_empty() {
        return fail(format!("no results in {}", results.display()));
    }
    let mut rng = Rng::new(seed);
    let picks = distinct(&mut rng, winners.len(), count);
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(out)?);
    let mut targets = Vec::new();
    for (n, &pick) in picks.iter().enumerate() {
        let r = &winners[pick];
        let subject = r
            .model
            .split_once('/')
            .map_or(r.model.as_str(), |(org, _)| org);
        let tags: &[&str] = match rng.unit() {
            u if u < 0.4 => &["self-reported"],
            u if u < 0.7 => &["press"],
            _ => &[],
        };
        let tolerance = match rng.below(20) {
            0..=2 => None,
            3..=8 => Some(0.005),
            9..=15 => Some(0.01),
            _ => Some(0.02),
        };
        let tol = tolerance.unwrap_or(0.0);
        let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let mut claim = serde_json::json!({
            "type": "claim",
            "id": format!("c:bench/{}", n + 1),
            "subject": subject,
            "tags": tags,
            "model": r.model,
            "benchmark": r.benchmark,
            "metric": r.metric,
        });
        let (comparator, value) = match rng.unit() {
            // Exact claims (no tolerance) copy the value, digits and all.
            _ if tolerance.is_none() && rng.chance(0.55) => ("=", r.value),
            u if u < 0.55 => ("=", round6(r.value + sign * rng.unit() * 0.8 * tol)),
            u if u < 0.80 => (
                "=",
                round6(r.value + sign * tol.max(0.005) * (1.5 + 3.0 * rng.unit())),
            ),
            u if u < 0.90 => {
                let comparator = if rng.chance(0.6) { ">=" } else { "<=" };
                (comparator, round6(r.value + sign * 2.0 * tol.max(0.005)))
            }
            u if u < 0.94 => {
                claim["shots"] = 5.into();
                ("=", r.value)
            }
            u if u < 0.97 => {
                claim["unit"] = "%".into();
                ("=", round6(r.value * 100.0))
            }
            _ => {
                claim["model"] = format!("{}-preview", r.model).into();
                ("=", r.value)
            }
        };
        let with_candidate = claim.get("shots").is_none()
            && claim.get("unit").is_none()
            && claim["model"] == r.model.as_str();
        if comparator == "=" && with_candidate {
            targets.push(Target {
                model: r.model.clone(),
                benchmark: r.benchmark.clone(),
                metric: r.metric.clone(),
                value,
                tolerance: tol,
            });
        }
        if comparator != "=" {
            claim["comparator"] = comparator.into();
        }
        claim["value"] = value.into();
        if let Some(t) = tolerance {
            claim["tolerance"] = t.into();
        }
        let words = match comparator {
            ">=" => "at least ",
            "<=" => "at most ",
            _ => "",
        };
        claim["text"] = format!(
            "{} scores {words}{value} {} on {}",
            claim["model"].as_str().unwrap_or_default(),
            r.metric,
            r.benchmark
        )
        .into();
        serde_json::to_writer(&mut w, &claim)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(ClaimSet {
        claims: picks.len(),
        triples: winners.len(),
        targets,
    })
}

/// Writes batch `batch` of the update: a new source `rerun-B` (an
/// independent re-run, reliability 0.6) and `count` dated results of it,
/// each on the triple of a random target claim, half within its tolerance
/// (supports) and half well outside (refutes). Every result is a new
/// candidate of its claim, so each changes that claim's derived evidence.
fn write_update(targets: &[Target], batch: usize, count: usize, out: &Path) -> Res<()> {
    if targets.is_empty() {
        return fail("no claims for the update to hit");
    }
    let mut rng = Rng::new(0x15_0000 + batch as u64);
    let mut w = BufWriter::new(fs::File::create(out)?);
    let source = format!("rerun-{batch}");
    serde_json::to_writer(
        &mut w,
        &serde_json::json!({
            "type": "source", "id": source, "title": format!("Independent re-run {batch}"),
            "kind": "benchmark", "reliability": 0.6, "published": "2026-01-15",
        }),
    )?;
    w.write_all(b"\n")?;
    for i in 1..=count {
        let t = &targets[rng.below(targets.len())];
        let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let off = if rng.chance(0.5) {
            rng.unit() * 0.5 * t.tolerance
        } else {
            t.tolerance.max(0.005) * (2.0 + rng.unit())
        };
        serde_json::to_writer(
            &mut w,
            &serde_json::json!({
                "type": "result", "id": format!("{source}:{i}"), "model": t.model,
                "benchmark": t.benchmark, "metric": t.metric,
                "value": round6(t.value + sign * off), "date": "2026-01-15", "source": source,
            }),
        )?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// The first `1/PREFIX_SHARE` of the lines of `from` (the source line
/// first), for the smaller database of the update.
fn write_prefix(from: &Path, lines: usize, to: &Path) -> Res<usize> {
    let keep = (lines / PREFIX_SHARE).max(1);
    let reader = BufReader::with_capacity(1 << 20, fs::File::open(from)?);
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(to)?);
    for line in reader.lines().take(keep) {
        w.write_all(line?.as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(keep)
}

fn claim_queries() -> Vec<QuerySpec> {
    vec![
        QuerySpec {
            name: "bench-claims-verified-selfreported",
            kind: Kind::Query,
            evident: "claims where tags has \"self-reported\" and status = verified".into(),
            // `status` is the column the import stored (index claims_status).
            sql: format!(
                "SELECT {CLAIM_COLUMNS} FROM claims WHERE status = 'verified'
                   AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = 'self-reported')
                 ORDER BY id"
            ),
            check: Check::Ids,
        },
        QuerySpec {
            name: "bench-claims-derived-refutes",
            kind: Kind::Query,
            evident: "evidence where derived and stance = refutes".into(),
            // The derived evidence the import stored (partial index
            // evidence_derived), with evident's default evidence row.
            sql: "SELECT e.id, e.claim, e.source, e.stance, e.strength, e.date, e.note, e.result,
                    e.strength * s.reliability AS weight,
                    (c.subject IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(s.affiliations) a
                        WHERE lower(a.value) = lower(c.subject))) AS independent,
                    coalesce(e.date, s.published) AS effective_date
                  FROM evidence e JOIN sources s ON s.id = e.source JOIN claims c ON c.id = e.claim
                  WHERE e.derived AND e.stance = 'refutes'
                  ORDER BY e.id"
                .into(),
            check: Check::Ids,
        },
    ]
}

/// The four workloads' names, to know whether any is selected.
fn wanted(opts: &Options) -> bool {
    [IMPORT, IMPORT_SQLITE, UPDATE]
        .iter()
        .any(|n| opts.selected(n))
        || claim_queries().iter().any(|q| opts.selected(q.name))
}

/// Issue #15's workloads, when selected and the MTEB file is there.
pub(super) fn run(opts: &Options, work: &Path, small: bool, found: &mut Found) -> Res<()> {
    if !wanted(opts) {
        return Ok(());
    }
    let src = mteb_source();
    if !src.exists() {
        found.notes.push(format!(
            "MTEB data not found at {}: the benchmark-claim workloads were skipped",
            src.display()
        ));
        return Ok(());
    }
    let tag = if small { "small" } else { "full" };
    let scale = if small { &SMALL_CLAIMS } else { &FULL_CLAIMS };
    let (results, lines, _) = prepared_mteb(found, &src, work, small)?;
    let t = Instant::now();
    let claims_file = work.join(format!("bench-claims-{tag}.jsonl"));
    let set = generate(&results, scale.claims, 0x15, &claims_file)?;
    eprintln!(
        "bench claims: {} claims over {} triples of {lines} lines in {:.1?}",
        set.claims,
        set.triples,
        t.elapsed()
    );
    let ds = Dataset {
        label: "bench-claims",
        file: claims_file.clone(),
        evident_db: work.join(format!("bench-claims-{tag}.evident")),
        sqlite_db: work.join(format!("bench-claims-{tag}.sqlite")),
        evident_ok: true,
        sqlite_ok: true,
    };
    let both = [results.as_path(), claims_file.as_path()];
    if opts.selected(IMPORT) {
        found
            .rows
            .extend(time_imports(&ds, &results, &both, opts.runs)?);
    } else if !(opts.reuse && ds.evident_db.join("db").exists() && ds.sqlite_db.exists()) {
        eprintln!("  importing results and claims (untimed)");
        evident_import(&ds.evident_db, &both)?;
        sqlite_import(&ds.sqlite_db, &both)?;
    }
    found.notes.push(statuses(&ds.evident_db, &set, lines));
    for q in claim_queries().iter().filter(|q| opts.selected(q.name)) {
        eprintln!("  {}", q.name);
        found.rows.push(run_query(&ds, q, opts.runs)?);
    }
    // Last: the update changes statuses the queries read.
    if opts.selected(UPDATE) {
        eprintln!("  {UPDATE}");
        time_updates(
            &ds, &results, lines, &set, scale, work, tag, opts.runs, found,
        )?;
    }
    Ok(())
}

/// `bench-claims-update` and its context row. Each run imports the same
/// kind of update into fresh copies of three databases: the full one, one
/// twice its size and one of a 10% prefix with its own claims.
///
/// The twice-as-large database holds the full one's results and claims
/// and a renamed copy of each (ids `ID.2`, models `MODEL~2`), so the same
/// update file, on the full database's claims, hits the same claims in
/// both: only the size differs. The prefix compares sizes too, but its
/// 1,000 results land on 1,000 of its 10,000 claims, so most share a
/// block with another (each block holds dozens), where in the full
/// database nearly every one has a block of its own: it shows what an
/// update gains when it is dense, for context.
#[allow(clippy::too_many_arguments)]
fn time_updates(
    ds: &Dataset,
    results: &Path,
    lines: usize,
    set: &ClaimSet,
    scale: &ClaimScale,
    work: &Path,
    tag: &str,
    runs: usize,
    found: &mut Found,
) -> Res<()> {
    let prefix = work.join(format!("mteb-{tag}-prefix.jsonl"));
    let prefix_lines = write_prefix(results, lines, &prefix)?;
    let prefix_claims = work.join(format!("bench-claims-{tag}-prefix.jsonl"));
    let prefix_set = generate(
        &prefix,
        scale.claims / PREFIX_SHARE,
        0x15 + 1,
        &prefix_claims,
    )?;
    let prefix_db = work.join(format!("bench-claims-{tag}-prefix.evident"));
    evident_import(&prefix_db, &[prefix.as_path(), prefix_claims.as_path()])?;
    let double_results = work.join(format!("mteb-{tag}-double.jsonl"));
    let double_claims = work.join(format!("bench-claims-{tag}-double.jsonl"));
    let copied = write_renamed_copy(results, &double_results)?;
    write_renamed_copy(&ds.file, &double_claims)?;
    let double_db = work.join(format!("bench-claims-{tag}-double.evident"));
    evident_import(
        &double_db,
        &[
            results,
            double_results.as_path(),
            ds.file.as_path(),
            double_claims.as_path(),
        ],
    )?;
    // Updated copies, so every run starts from the same databases.
    let copy = |db: &Path| db.with_extension("updated.evident");
    let mut sized = versus_row(UPDATE, Kind::Import, "evident, full database");
    let mut dense = versus_row(UPDATE_PREFIX, Kind::Import, "evident, 10% prefix");
    for run in 0..runs {
        let full_file = work.join(format!("bench-update-{tag}-{run}.jsonl"));
        let prefix_file = work.join(format!("bench-update-{tag}-prefix-{run}.jsonl"));
        write_update(&set.targets, run, scale.update, &full_file)?;
        write_update(&prefix_set.targets, run, scale.update, &prefix_file)?;
        // A process that cannot start is this benchmark's failure; one that
        // fails is recorded as the row's.
        let timed = |db: &Path, file: &Path| -> Res<Measured> {
            copy_database(db, &copy(db))?;
            let mut cmd = evident_cmd(&copy(db));
            cmd.arg("import").arg(file);
            Ok(measure(&mut cmd)?)
        };
        let full = timed(&ds.evident_db, &full_file)?;
        let double = timed(&double_db, &full_file)?;
        let part = timed(&prefix_db, &prefix_file)?;
        sized
            .evident
            .record("evident update (twice the size)", Ok(double));
        sized
            .sqlite
            .record("evident update (full)", Ok(full.clone()));
        dense.evident.record("evident update (full)", Ok(full));
        dense.sqlite.record("evident update (prefix)", Ok(part));
    }
    for db in [&ds.evident_db, &double_db, &prefix_db] {
        remove_db(&copy(db))?;
    }
    let (claims, double_lines) = (set.claims, lines + copied);
    found.notes.push(format!(
        "{UPDATE}: each run imports {} new dated results of a new source, each on the triple of an \
         existing `=` claim, into a fresh copy of the full database ({lines} lines + {claims} \
         claims) and of one twice its size ({double_lines} lines + {} claims: a renamed copy of \
         each result and claim added)",
        scale.update,
        2 * claims
    ));
    found.notes.push(format!(
        "{UPDATE_PREFIX}: for context, the same kind of update into the full database and into a \
         {PREFIX_SHARE}% prefix ({prefix_lines} lines + {} claims over it), where the {} \
         results hit a tenth of the claims and share their blocks",
        prefix_set.claims, scale.update
    ));
    found.rows.extend([sized, dense]);
    Ok(())
}

/// Copies `from`'s records but its sources to `to`, with every id renamed
/// `ID.2` and every model `MODEL~2`: the same data again, under names of
/// its own, citing the same sources. Returns how many lines it wrote.
fn write_renamed_copy(from: &Path, to: &Path) -> Res<usize> {
    let reader = BufReader::with_capacity(1 << 20, fs::File::open(from)?);
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(to)?);
    let mut written = 0;
    for line in reader.lines() {
        let mut record: serde_json::Value = serde_json::from_str(&line?)?;
        if record["type"] == "source" {
            continue;
        }
        for (field, suffix) in [("id", ".2"), ("model", "~2")] {
            if let Some(name) = record[field].as_str() {
                record[field] = format!("{name}{suffix}").into();
            }
        }
        serde_json::to_writer(&mut w, &record)?;
        w.write_all(b"\n")?;
        written += 1;
    }
    w.flush()?;
    Ok(written)
}

/// `import-bench-claims` and its SQLite context row: per run, the
/// results alone, then results + claims, into fresh evident databases,
/// then results + claims into a fresh SQLite one. The last databases stay.
fn time_imports(ds: &Dataset, results: &Path, both: &[&Path], runs: usize) -> Res<Vec<Row>> {
    let alone_db = ds.evident_db.with_extension("results-only.evident");
    let mut alone = evident_cmd(&alone_db);
    alone.arg("import").arg(results);
    let mut with_claims = evident_cmd(&ds.evident_db);
    with_claims.arg("import").args(both);
    let mut sqlite = self_cmd()?;
    sqlite.arg("--sqlite-import").arg(&ds.sqlite_db).args(both);
    let mut row = versus_row(IMPORT, Kind::Import, "evident, results alone");
    let mut context = versus_row(IMPORT_SQLITE, Kind::Import, "SQLite, results + claims");
    for run in 0..runs {
        eprintln!("  {IMPORT} run {}/{runs}", run + 1);
        remove_db(&alone_db)?;
        row.sqlite
            .record("evident import (results)", measure(&mut alone));
        remove_db(&ds.evident_db)?;
        row.evident.record(
            "evident import (results + claims)",
            measure(&mut with_claims),
        );
        remove_db(&ds.sqlite_db)?;
        context
            .sqlite
            .record("SQLite import (results + claims)", measure(&mut sqlite));
    }
    remove_db(&alone_db)?;
    if let Some(e) = &context.sqlite.error {
        return fail(format!(
            "SQLite import of the benchmark claims failed (a bug in this benchmark): {e}"
        ));
    }
    if row.evident.error.is_some() {
        return fail("evident could not import the benchmark claims: no database to query");
    }
    context.evident = same_side(&row.evident);
    Ok(vec![row, context])
}

/// One line for the notes: the statuses evident gave the claims, so a
/// run shows that the generated values judge as intended.
fn statuses(db: &Path, set: &ClaimSet, lines: usize) -> String {
    let mut cmd = evident_cmd(db);
    cmd.arg("query")
        .arg("count claims group by status")
        .args(["--format", "jsonl"]);
    let counts = match measure(&mut cmd) {
        Ok(m) if m.status.success() => parse_lines(&m.stdout)
            .map(|rows| {
                rows.iter()
                    .map(|r| format!("{} {}", r["status"].as_str().unwrap_or("?"), r["count"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|e| e),
        Ok(m) => String::from_utf8_lossy(&m.stderr).trim().to_string(),
        Err(e) => e.to_string(),
    };
    format!(
        "bench-claims: {} claims `c:bench/N` over {} (model, benchmark, metric) triples of \
         {lines} MTEB lines; evident's statuses: {counts}",
        set.claims, set.triples
    )
}
