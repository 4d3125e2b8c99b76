//! One writer and several readers on one `Database` (SPEC 7 and 10): every
//! statement must see the database before a write or after it, never
//! between its phases. The readers check what must hold inside any single
//! answer, over thousands of statements while the writer never pauses
//! (the reliability probe's findings A1–A3):
//! - a full scan's ids are strictly ascending (no duplicate, none out of
//!   order) and as many as some committed state has;
//! - a claim added with its evidence in one import is never seen without
//!   it, and no evidence names a claim that is not there;
//! - group counts add up to a total some committed state has, and no claim
//!   is without a subject;
//! - `explain`'s steps give its totals;
//! - an export taken during writes imports again, whole;
//! - `check` reports nothing.
//!
//! Run in release: `cargo test --release --test concurrency` (about 15 s).

use evident::Database;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Claims present before the writer starts.
const BASE: u64 = 2000;
/// Claims each `add` write brings (with two pieces of evidence each).
const BATCH: u64 = 1500;
/// `add` writes at most; later rounds only rederive and resubject.
const MAX_BATCHES: u64 = 8;
/// How long the writer writes (in a debug build the rounds are fewer).
const WRITING: Duration = Duration::from_secs(10);
const READERS: usize = 3;

fn base_data() -> String {
    let mut lines = String::new();
    for (id, reliability) in [("lab", 0.9), ("blog", 0.6), ("paper", 0.8)] {
        lines += &format!(
            r#"{{"type":"source","id":"{id}","title":"{id}","kind":"paper","reliability":{reliability}}}"#
        );
        lines.push('\n');
    }
    lines += &claims("b", BASE, "S");
    lines
}

/// `n` claims `PREFIX:i`, each with subject `SUBJECT<i % 5>` and two
/// pieces of evidence, one supporting (lab), one refuting or supporting.
fn claims(prefix: &str, n: u64, subject: &str) -> String {
    let mut lines = String::new();
    for i in 0..n {
        lines += &format!(
            r#"{{"type":"claim","id":"{prefix}:{i:05}","text":"claim {prefix} {i}","subject":"{subject}{}"}}"#,
            i % 5
        );
        lines.push('\n');
        let stance = if i % 3 == 0 { "refutes" } else { "supports" };
        let second = if i % 2 == 0 { "blog" } else { "paper" };
        lines += &format!(
            r#"{{"type":"evidence","id":"{prefix}:{i:05}:a","claim":"{prefix}:{i:05}","source":"lab","stance":"supports"}}"#
        );
        lines.push('\n');
        lines += &format!(
            r#"{{"type":"evidence","id":"{prefix}:{i:05}:b","claim":"{prefix}:{i:05}","source":"{second}","stance":"{stance}"}}"#
        );
        lines.push('\n');
    }
    lines
}

/// The claims of batch `k`, moved to other subjects (the count stays).
fn resubjected(k: u64, round: u64) -> String {
    let subject = if round % 2 == 0 { "T" } else { "S" };
    claims(&format!("w{k:02}"), BATCH, subject)
        .lines()
        .filter(|l| l.contains(r#""type":"claim""#))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn json(db: &Database, statement: &str) -> serde_json::Value {
    let out = db
        .query(statement)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    serde_json::to_value(&out).expect("serialises")
}

fn is_total(n: u64, batches: u64) -> bool {
    n >= BASE && (n - BASE) % BATCH == 0 && (n - BASE) / BATCH <= batches
}

/// What the readers saw that no committed state has.
#[derive(Default)]
struct Findings(std::sync::Mutex<Vec<String>>);

impl Findings {
    fn add(&self, what: String) {
        self.0.lock().expect("findings").push(what);
    }
}

#[test]
fn every_statement_sees_the_database_before_or_after_each_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    db.import_jsonl(base_data().as_bytes()).expect("imports");
    let writing = AtomicBool::new(true);
    let batches = AtomicU64::new(0);
    let findings = Findings::default();
    let checks = AtomicU64::new(0);
    let writes = AtomicU64::new(0);

    std::thread::scope(|scope| {
        scope.spawn(|| {
            let started = Instant::now();
            let mut round = 0u64;
            while started.elapsed() < WRITING {
                let k = batches.load(Ordering::SeqCst);
                let data = match round % 3 {
                    0 if k < MAX_BATCHES => {
                        // Announced first: a reader may see it from now on.
                        batches.store(k + 1, Ordering::SeqCst);
                        claims(&format!("w{k:02}"), BATCH, "S")
                    }
                    1 | 0 => {
                        let reliability = if round % 2 == 0 { 0.62 } else { 0.9 };
                        format!(
                            r#"{{"type":"source","id":"lab","title":"lab","kind":"paper","reliability":{reliability}}}"#
                        )
                    }
                    _ if k > 0 => resubjected(round % k, round),
                    _ => String::new(),
                };
                if !data.is_empty() {
                    db.import_jsonl(data.as_bytes()).expect("the writer's import");
                    writes.fetch_add(1, Ordering::SeqCst);
                }
                round += 1;
            }
            writing.store(false, Ordering::SeqCst);
        });
        for reader in 0..READERS {
            let (db, writing, batches, findings, checks) =
                (&db, &writing, &batches, &findings, &checks);
            scope.spawn(move || {
                let mut turn = reader as u64;
                while writing.load(Ordering::SeqCst) {
                    read_and_check(db, turn, batches, findings);
                    checks.fetch_add(1, Ordering::SeqCst);
                    turn += 1;
                }
            });
        }
    });

    let findings = findings.0.into_inner().expect("findings");
    let checks = checks.load(Ordering::SeqCst);
    eprintln!(
        "{checks} statements checked during {} writes",
        writes.load(Ordering::SeqCst)
    );
    assert!(
        findings.is_empty(),
        "{} of {checks} answers saw a state between a write's phases; the first:\n{}",
        findings.len(),
        findings
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(db.check().expect("checks").problems.is_empty());
}

/// One statement of the turn's kind, and what must hold in its answer.
fn read_and_check(db: &Database, turn: u64, batches: &AtomicU64, findings: &Findings) {
    // Read before the statement: the batches it can see are at most these.
    let most = batches.load(Ordering::SeqCst);
    match turn % 8 {
        0 | 4 => {
            let rows = json(db, "claims select id");
            let ids: Vec<&str> = rows
                .as_array()
                .expect("rows")
                .iter()
                .filter_map(|r| r["id"].as_str())
                .collect();
            if let Some(w) = ids.windows(2).find(|w| w[0] >= w[1]) {
                findings.add(format!("scan: {} then {}", w[0], w[1]));
            }
            if !is_total(ids.len() as u64, most) {
                findings.add(format!("scan: {} claims, which no state had", ids.len()));
            }
        }
        1 => {
            let groups = json(db, "count claims group by subject");
            let mut total = 0;
            for g in groups.as_array().expect("rows") {
                if g["subject"].is_null() {
                    findings.add(format!("a group without a subject: {g}"));
                }
                total += g["count"].as_u64().unwrap_or(0);
            }
            if !is_total(total, most) {
                findings.add(format!(
                    "group counts add up to {total}, which no state had"
                ));
            }
            let statuses = json(db, "count claims group by status");
            let total: u64 = statuses
                .as_array()
                .expect("rows")
                .iter()
                .map(|g| g["count"].as_u64().unwrap_or(0))
                .sum();
            if !is_total(total, most) {
                findings.add(format!("status counts add up to {total}: {statuses}"));
            }
        }
        2 => {
            let alone = json(db, "claims where evidence_count < 2 select id limit 3");
            if alone.as_array().is_some_and(|r| !r.is_empty()) {
                findings.add(format!("claims seen without their evidence: {alone}"));
            }
            let dangling = json(db, "evidence where claim.text is null select id limit 3");
            if dangling.as_array().is_some_and(|r| !r.is_empty()) {
                findings.add(format!("evidence naming no claim: {dangling}"));
            }
        }
        3 | 7 => {
            let id = match most {
                0 => format!("b:{:05}", turn % BASE),
                k => format!("w{:02}:{:05}", turn % k, turn % BATCH),
            };
            explain_agrees(db, &id, findings);
            explain_agrees(db, &format!("b:{:05}", turn % BASE), findings);
        }
        5 => {
            let mut export = Vec::new();
            db.export_jsonl(&mut export).expect("exports");
            let copy_dir = tempfile::tempdir().expect("temp dir");
            let copy = Database::open(copy_dir.path().join("copy")).expect("opens");
            match copy.import_jsonl(export.as_slice()) {
                Ok(report) => {
                    let claims = report.read[1];
                    if !is_total(claims, most) {
                        findings.add(format!("an export with {claims} claims"));
                    }
                }
                Err(e) => findings.add(format!("an export that does not import: {e}")),
            }
        }
        _ => {
            let report = db.check().expect("check runs");
            for p in report.problems.iter().take(3) {
                findings.add(format!("check during a write: {p}"));
            }
        }
    }
}

/// `explain ID`'s support and refute are what its evidence's weights give:
/// 1 − Π(1 − weight) over each side.
fn explain_agrees(db: &Database, id: &str, findings: &Findings) {
    let rows = json(db, &format!("explain \"{id}\""));
    let Some(row) = rows.as_array().and_then(|r| r.first()) else {
        return;
    };
    let mut left = [1.0f64, 1.0];
    let mut seen = BTreeSet::new();
    for e in row["evidence"].as_array().into_iter().flatten() {
        let side = usize::from(e["stance"] == "refutes");
        left[side] *= 1.0 - e["weight"].as_f64().unwrap_or(0.0);
        seen.insert(e["id"].as_str().unwrap_or_default().to_owned());
    }
    for (side, name) in [(0, "support"), (1, "refute")] {
        let total = row[name].as_f64().unwrap_or(-1.0);
        if (total - (1.0 - left[side])).abs() > 1e-9 {
            findings.add(format!(
                "explain {id}: {name} = {total} but its steps give {}",
                1.0 - left[side]
            ));
        }
    }
    if seen.len() != 2 {
        findings.add(format!(
            "explain {id} shows {} pieces of evidence",
            seen.len()
        ));
    }
}
