//! SPEC section 8: benchmark claims and the evidence derived from results —
//! fields and their validation, derived evidence kept current by every
//! write, and the engine against the independent oracle
//! (`tools/derive_check.py`) to the last bit.

use evident::Database;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SEED: &str = include_str!("../fixtures/seed.jsonl");

mod common;
use common::{evident, export_string, import_str, temp_db};

fn rows(db: &Database, q: &str) -> Vec<Value> {
    match serde_json::to_value(db.query(q).unwrap_or_else(|e| panic!("{q}: {e}"))) {
        Ok(Value::Array(rows)) => rows,
        other => panic!("{q}: {other:?}"),
    }
}

fn run(db: &Database, q: &str) {
    db.query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
}

#[track_caller]
fn assert_consistent(db: &Database) {
    let report = db.check().expect("checks");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

/// The derived evidence of the database: (id, stance, gap), in id order.
fn derived(db: &Database) -> Vec<(String, String, f64)> {
    rows(db, "evidence where derived select id, stance, gap")
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["stance"].as_str().expect("stance").to_owned(),
                r["gap"].as_f64().expect("gap"),
            )
        })
        .collect()
}

const BASE: &str = r#"
{"type":"source","id":"maker","title":"Maker's model card","affiliations":["Maker"],"reliability":0.6}
{"type":"source","id":"board","title":"Leaderboard","kind":"leaderboard","reliability":0.9,"published":"2025-01-01"}
{"type":"source","id":"news","title":"News","kind":"article","reliability":0.8}
{"type":"claim","id":"c1","text":"M scores 74% on B","subject":"Maker","model":"M","benchmark":"B","value":74,"unit":"%"}
"#;

#[test]
fn benchmark_fields_are_stored_with_their_defaults_and_round_trip() {
    let (_dir, db) = temp_db();
    import_str(&db, BASE).expect("imports");
    let text = r#"{"type":"result","id":"r1","model":"m","benchmark":"b","value":0.75,"unit":"fraction","source":"board","shots":5.0,"attempts":1,"stderr":0.01,"split":"test","harness":"swe-agent"}"#;
    import_str(&db, text).expect("imports");
    // Defaults stored; integers written without a fraction.
    let claim = rows(
        &db,
        "claims select id, metric, comparator, tolerance, shots, attempts",
    );
    assert_eq!(
        claim[0],
        serde_json::json!({"id":"c1","metric":"score","comparator":"=","tolerance":2.0,"shots":null,"attempts":null})
    );
    let export = export_string(&db);
    assert!(
        export.contains(r#""unit":"fraction","source":"board","split":"test","harness":"swe-agent","shots":5,"attempts":1,"stderr":0.01}"#),
        "{export}"
    );
    assert!(
        export.contains(r#""subject":"Maker","model":"M","benchmark":"B","metric":"score","comparator":"=","value":74.0,"unit":"%","tolerance":2.0}"#),
        "{export}"
    );
    assert!(!export.contains('~'), "derived evidence is never exported");
    // Not in the default rows.
    let row = &rows(&db, "claims")[0];
    assert!(row.get("model").is_none(), "{row}");
    let row = &rows(&db, "results")[0];
    assert!(row.get("shots").is_none(), "{row}");
    let row = &rows(&db, "evidence")[0];
    assert!(
        row.get("derived").is_none() && row.get("gap").is_none(),
        "{row}"
    );
    // where and order by use them.
    assert_eq!(
        rows(&db, "results where shots = 5 and split = test").len(),
        1
    );
    assert_eq!(
        rows(&db, "claims where tolerance > 1 order by value desc").len(),
        1
    );
    // export → import → export is byte-identical.
    let (_dir2, again) = temp_db();
    import_str(&again, &export).expect("re-imports");
    assert_eq!(export_string(&again), export);
    assert_eq!(derived(&again), derived(&db));
    // The stored fraction claim defaults to 0.02.
    run(
        &db,
        r#"add claim {id: c2, text: "x", subject: "Maker", model: "M", benchmark: "B", value: 0.7, unit: "Fraction"}"#,
    );
    assert_eq!(
        rows(&db, "claims where id = c2 select tolerance")[0]["tolerance"],
        0.02
    );
}

#[test]
fn bad_benchmark_fields_are_located_errors_and_store_nothing() {
    let (_dir, db) = temp_db();
    import_str(&db, BASE).expect("imports");
    let before = export_string(&db);
    let cases = [
        (
            r#"{"type":"claim","id":"c9","text":"t","subject":"S","value":3}"#,
            "test.jsonl:1: model: missing",
        ),
        (
            r#"{"type":"claim","id":"c9","text":"t","model":"M","benchmark":"B","value":3}"#,
            "test.jsonl:1: subject: missing",
        ),
        (
            r#"{"type":"claim","id":"c9","text":"t","subject":"S","model":"M","benchmark":"B","value":3,"comparator":"~"}"#,
            "test.jsonl:1: comparator: \"~\" is not a comparator",
        ),
        (
            r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"shots":-1}"#,
            "test.jsonl:1: shots: -1 is not a whole number ≥ 0",
        ),
        (
            r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"attempts":1.5}"#,
            "test.jsonl:1: attempts: 1.5 is not a whole number ≥ 1",
        ),
        (
            r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"shots":4294967296}"#,
            "test.jsonl:1: shots: 4294967296 is too large (at most 4294967295)",
        ),
        (
            r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"cites":"nothing"}"#,
            "cites: no result has the id nothing",
        ),
        (
            r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"cites":"r9"}"#,
            "cites: a result cannot cite itself",
        ),
        (
            concat!(
                r#"{"type":"result","id":"r8","model":"M","benchmark":"B","value":3}"#,
                "\n",
                r#"{"type":"result","id":"r9","model":"M","benchmark":"B","value":3,"cites":"r8"}"#,
                "\n",
                r#"{"type":"result","id":"r10","model":"M","benchmark":"B","value":3,"cites":"r9"}"#,
            ),
            "r9 itself re-reports r8",
        ),
    ];
    for (text, want) in cases {
        let err = import_str(&db, text).expect_err(text).to_string();
        assert!(err.contains(want), "{text}\n{err}");
        assert_eq!(export_string(&db), before, "{text} stored nothing");
    }
    // A cited result may not start citing: checked on a write of either.
    import_str(
        &db,
        concat!(
            r#"{"type":"result","id":"r1","model":"M","benchmark":"B","value":3}"#,
            "\n",
            r#"{"type":"result","id":"r2","model":"M","benchmark":"B","value":3}"#,
            "\n",
            r#"{"type":"result","id":"r3","model":"M","benchmark":"B","value":3,"cites":"r1"}"#,
        ),
    )
    .expect("imports");
    let err = db
        .query(r#"add result {id: r1, model: "M", benchmark: "B", value: 3, cites: r2}"#)
        .expect_err("r1 is cited")
        .to_string();
    assert!(err.contains("r3 cites r1, so it cannot cite"), "{err}");
    let err = db
        .query(r#"add claim {id: c9, text: "t", subject: "S", value: 3, shots: -1}"#)
        .expect_err("bad add")
        .to_string();
    assert!(err.contains("shots"), "{err}");
    assert_consistent(&db);
}

#[test]
fn every_write_keeps_the_derived_evidence_current() {
    let (_dir, db) = temp_db();
    import_str(&db, BASE).expect("imports");
    let status =
        |db: &Database| rows(db, "claims where id = c1 select status")[0]["status"].clone();
    assert_eq!(derived(&db), []);
    // A result arrives: supports within 2 points.
    run(
        &db,
        r#"add result {id: r1, model: "m", benchmark: "b", value: 0.73, unit: "fraction", source: board, date: 2025-02-01}"#,
    );
    assert_eq!(derived(&db), [("c1~r1".into(), "supports".into(), -1.0)]);
    assert_eq!(status(&db), "verified");
    assert_consistent(&db);
    // A later result of the same source supersedes it: one source, one voice.
    run(
        &db,
        r#"add result {id: r2, model: "M", benchmark: "B", value: 60, unit: "%", source: board, date: 2025-03-01}"#,
    );
    assert_eq!(derived(&db), [("c1~r2".into(), "refutes".into(), -14.0)]);
    assert_eq!(status(&db), "refuted");
    // as of a day before r2, the derivation runs on that view.
    assert_eq!(
        rows(&db, "claims as of 2025-02-15 select status, evidence_count")[0],
        serde_json::json!({"status":"verified","evidence_count":1})
    );
    // Its evidence is the view's own: c1~r1, stored nowhere (today's is
    // c1~r2, not visible then).
    assert_eq!(
        rows(&db, "evidence as of 2025-02-15 where derived select id"),
        [serde_json::json!({"id": "c1~r1"})]
    );
    // Changing the claim's value flips the stance.
    run(
        &db,
        r#"add claim {id: c1, text: "M scores 60% on B", subject: "Maker", model: "M", benchmark: "B", value: 60, unit: "%"}"#,
    );
    assert_eq!(derived(&db), [("c1~r2".into(), "supports".into(), 0.0)]);
    // A source's reliability reaches the claim through its derived evidence.
    run(
        &db,
        r#"add source {id: board, title: "Leaderboard", kind: leaderboard, reliability: 0.2, published: 2025-01-01}"#,
    );
    assert_eq!(status(&db), "unresolved");
    // Evidence recorded by hand that names the result stands instead.
    run(
        &db,
        r#"add evidence {id: e1, claim: c1, source: news, stance: refutes, result: r2}"#,
    );
    assert_eq!(
        derived(&db)
            .iter()
            .map(|d| d.0.as_str())
            .collect::<Vec<_>>(),
        ["c1~r1"]
    );
    run(&db, "retract e1");
    assert_eq!(derived(&db)[0].0, "c1~r2");
    // Derived evidence cannot be retracted; retracting its result removes it.
    let err = db.query("retract c1~r2").expect_err("derived").to_string();
    assert!(err.contains("change or retract result r2"), "{err}");
    // Nor does it have a history: it is never exported, with the history
    // either, and a write records no rows of it.
    let err = db
        .query("history \"c1~r2\"")
        .expect_err("derived")
        .to_string();
    assert!(
        err.contains("cannot trace the history of c1~r2") && err.contains("result r2"),
        "{err}"
    );
    // An id of that shape that no derived evidence has is no record.
    for statement in ["retract \"c1~r9\"", "history \"c1~r9\""] {
        let err = db.query(statement).expect_err("no record").to_string();
        assert!(err.contains("no record has the id \"c1~r9\""), "{err}");
    }
    let mut history = Vec::new();
    db.export_history_jsonl(&mut history).expect("exports");
    let history = String::from_utf8(history).expect("UTF-8");
    assert!(
        history.contains("\"id\":\"r2\"") && !history.contains('~'),
        "{history}"
    );
    run(&db, "retract r2");
    assert_eq!(derived(&db)[0].0, "c1~r1");
    assert_consistent(&db);
    // Retracting the claim takes its derived evidence with it.
    run(&db, "retract c1");
    assert_eq!(derived(&db), []);
    assert_eq!(rows(&db, "count evidence")[0]["count"], 0);
    assert_consistent(&db);
}

#[test]
fn derived_evidence_of_the_longest_ids_is_stored_whole() {
    let (_dir, db) = temp_db();
    import_str(&db, BASE).expect("imports");
    // `C~R` of two 128-byte ids is 257 bytes, longer than any recorded id.
    let (claim, result) = ("c".repeat(128), "r".repeat(128));
    let text = format!(
        r#"{{"type":"claim","id":"{claim}","text":"t","subject":"Maker","model":"M","benchmark":"B","value":74,"unit":"%"}}
{{"type":"result","id":"{result}","model":"M","benchmark":"B","value":74,"unit":"%","source":"board"}}"#
    );
    import_str(&db, &text).expect("imports");
    let id = format!("{claim}~{result}");
    assert!(derived(&db).iter().any(|d| d.0 == id), "{:?}", derived(&db));
    assert_eq!(
        rows(&db, &format!("show {id}"))[0]["result"],
        result.as_str()
    );
    assert_consistent(&db);
    run(&db, &format!("retract {result}"));
    assert_eq!(derived(&db).len(), 0);
    assert_consistent(&db);
}

#[test]
fn show_and_explain_tell_derived_evidence_and_every_candidate() {
    let (_dir, db) = temp_db();
    import_str(&db, SEED).expect("seed imports");
    let id = "c:cursor-composer-swebench-60~r:cursor-composer/swebv-indie";
    let shown = &rows(&db, &format!("show {id}"))[0];
    assert_eq!(shown["derived"], true);
    assert_eq!(shown["result"], "r:cursor-composer/swebv-indie");
    let claim = db
        .query("show c:cursor-composer-swebench-60")
        .expect("show");
    let report = claim.report.expect("a report");
    assert!(
        report.contains(&format!("{id} supports src:indie-evals (Independent agentic coding evals: SWE-bench Verified re-runs) — derived from result r:cursor-composer/swebv-indie")),
        "{report}"
    );
    let explained = &rows(&db, "explain c:spacex-model-swebench-74")[0];
    let reasons: Vec<&str> = explained["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["ignored"].as_str().expect("ignored"))
        .collect();
    assert_eq!(
        reasons,
        [
            "re-reports r:spacex-grok-code-2/swebv",
            "already evidence e:grok-code-74/model-card",
            "attempts 8 ≠ 1"
        ]
    );
    let text = db
        .query("explain c:spacex-model-swebench-74")
        .expect("explain")
        .report
        .expect("text");
    assert!(
        text.contains("no independent measurement of Grok Code 2 on SWE-bench Verified counts yet"),
        "{text}"
    );
    let cursor = &rows(&db, "explain c:cursor-composer-swebench-60")[0]["candidates"][1];
    assert_eq!(
        *cursor,
        serde_json::json!({"result":"r:cursor-composer/swebv-indie","source":"src:indie-evals","value":59.8,"gap":-0.20000000000000284,"tolerance":4.2,"stance":"supports","ignored":null})
    );
}

/// Runs the oracle on a JSON Lines file: its TSV rows, header dropped.
fn oracle(file: &Path, args: &[&str]) -> Vec<Vec<String>> {
    let out = Command::new("python3")
        .arg("tools/derive_check.py")
        .arg(file)
        .args(args)
        .output()
        .expect("python3 runs the oracle");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// The engine against the oracle to the last bit: every claim's derived
/// values, in the whole database and as of each of `days`, and the
/// derived evidence. The oracle reads the database's own export, so this
/// works for data imported by any route (the Epoch importer's too).
pub fn assert_engine_matches_oracle(db: &Database, days: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, export_string(db)).expect("writes the export");
    for day in std::iter::once(None).chain(days.iter().map(Some)) {
        let (args, query) = match day {
            None => (vec![], "claims".to_owned()),
            Some(d) => (vec!["--as-of", *d], format!("claims as of {d}")),
        };
        let expected = oracle(&file, &args);
        let got = rows(
            db,
            &format!(
                "{query} select id, status, confidence, support, refute, independent_support, independent_refute, evidence_count"
            ),
        );
        assert_eq!(expected.len(), got.len(), "{query}");
        for (want, row) in expected.iter().zip(&got) {
            let number = |i: usize| want[i].parse::<f64>().expect("a number");
            assert_eq!(row["id"], want[0], "{query}");
            assert_eq!(row["status"], want[1], "{query}: {}", want[0]);
            for (i, field) in [
                "confidence",
                "support",
                "refute",
                "independent_support",
                "independent_refute",
            ]
            .iter()
            .enumerate()
            {
                assert_eq!(
                    row[field].as_f64().map(f64::to_bits),
                    Some(number(i + 2).to_bits()),
                    "{query}: {field} of {}",
                    want[0]
                );
            }
            assert_eq!(
                row["evidence_count"].to_string(),
                want[7],
                "{query}: {}",
                want[0]
            );
        }
    }
    let expected = oracle(&file, &["--derived"]);
    let got = derived(db);
    assert_eq!(expected.len(), got.len());
    for (want, (id, stance, gap)) in expected.iter().zip(&got) {
        assert_eq!((&want[0], &want[1]), (id, stance));
        let want_gap = want[2].parse::<f64>().expect("a gap");
        assert_eq!(want_gap.to_bits(), gap.to_bits(), "gap of {id}");
    }
}

#[test]
fn the_seed_matches_the_oracle_to_the_last_bit() {
    let (_dir, db) = temp_db();
    import_str(&db, SEED).expect("seed imports");
    assert_engine_matches_oracle(&db, &["2026-06-20", "2026-06-30", "2026-07-10"]);
}

/// A small deterministic generator (an LCG), so the fixture is the same on
/// every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Benchmark claims and results that exercise every rule of SPEC 8.2–8.3:
/// case-folded keys, units, setups, sources with and without affiliation,
/// dates and re-reports.
fn generated_fixture() -> String {
    let mut rng = Lcg(7);
    let mut out = String::new();
    let models = ["Alpha", "alpha", "Beta"];
    let benches = ["Bench", "BENCH"];
    let units = ["\"%\"", "\"fraction\"", "\"points\"", "null"];
    for s in 0..6 {
        out += &format!(
            r#"{{"type":"source","id":"s{s}","title":"source {s}","reliability":0.{},"affiliations":{},"published":"2025-0{}-01"}}"#,
            rng.next(9) + 1,
            if s % 3 == 0 { r#"["Maker"]"# } else { "[]" },
            s % 6 + 1
        );
        out.push('\n');
    }
    // Each claim's (model, benchmark, unit, shots), for results made to match.
    let mut keys = Vec::new();
    for c in 0..12 {
        let unit = units[rng.next(4) as usize];
        let value = if unit == "\"fraction\"" {
            0.5 + rng.next(40) as f64 / 100.0
        } else {
            50.0 + rng.next(40) as f64
        };
        let comparator = ["=", ">=", "<="][rng.next(3) as usize];
        let shots = if rng.next(4) == 0 {
            format!(r#","shots":{}"#, rng.next(3))
        } else {
            String::new()
        };
        let tolerance = if rng.next(3) == 0 {
            format!(r#","tolerance":{}"#, rng.next(5))
        } else {
            String::new()
        };
        let (model, bench) = (models[rng.next(3) as usize], benches[rng.next(2) as usize]);
        out += &format!(
            r#"{{"type":"claim","id":"c{c}","text":"claim {c}","subject":"Maker","model":"{model}","benchmark":"{bench}","value":{value},"unit":{unit},"comparator":"{comparator}"{shots}{tolerance}}}"#,
        );
        keys.push((model, bench, unit, shots, value));
        out.push('\n');
    }
    for r in 0..60 {
        let unit = units[rng.next(4) as usize];
        let value = if unit == "\"fraction\"" {
            0.4 + rng.next(60) as f64 / 100.0 + 0.001 * rng.next(10) as f64
        } else {
            40.0 + rng.next(60) as f64 + 0.1 * rng.next(10) as f64
        };
        let source = match rng.next(7) {
            6 => String::new(),
            s => format!(r#","source":"s{s}""#),
        }
        .replace("s6", "s5");
        let date = match rng.next(5) {
            0 => String::new(),
            d => format!(r#","date":"2025-0{}-1{}""#, d + 1, rng.next(3)),
        };
        let stderr = if rng.next(3) == 0 {
            format!(r#","stderr":{}"#, rng.next(30) as f64 / 10.0)
        } else {
            String::new()
        };
        let shots = if rng.next(2) == 0 {
            format!(r#","shots":{}"#, rng.next(3))
        } else {
            String::new()
        };
        let cites = if r > 10 && rng.next(8) == 0 {
            format!(r#","cites":"r{}""#, rng.next(5))
        } else {
            String::new()
        };
        out += &format!(
            r#"{{"type":"result","id":"r{r}","model":"{}","benchmark":"{}","value":{value},"unit":{unit}{source}{date}{stderr}{shots}{cites}}}"#,
            models[rng.next(3) as usize],
            benches[rng.next(2) as usize],
        );
        out.push('\n');
    }
    // Results made to count for a claim, and evidence recorded by hand that
    // names them (step 5), or names another claim's result.
    for (e, (model, bench, unit, shots, value)) in keys.iter().take(8).enumerate() {
        out += &format!(
            r#"{{"type":"result","id":"rx{e}","model":"{model}","benchmark":"{bench}","value":{value},"unit":{unit},"source":"s{}"{shots}}}"#,
            e % 5 + 1
        );
        out.push('\n');
        let claim = if e % 4 == 3 { e + 1 } else { e };
        out += &format!(
            r#"{{"type":"evidence","id":"e{e}","claim":"c{claim}","source":"s{}","stance":"supports","result":"rx{e}","date":"2025-03-0{}"}}"#,
            rng.next(6),
            e % 9 + 1
        );
        out.push('\n');
    }
    out
}

#[test]
fn generated_benchmark_claims_match_the_oracle_to_the_last_bit() {
    let (_dir, db) = temp_db();
    let fixture = generated_fixture();
    import_str(&db, &fixture).expect("the generated fixture imports");
    assert!(derived(&db).len() >= 5, "the fixture derives evidence");
    // Every reason of SPEC 8.2 occurs, and both stances.
    let mut reasons = std::collections::BTreeSet::new();
    for c in 0..12 {
        for candidate in rows(&db, &format!("explain c{c}"))[0]["candidates"]
            .as_array()
            .expect("candidates")
        {
            let reason = match candidate["ignored"].as_str() {
                Some(r) => r.split(' ').next().expect("a word").to_owned(),
                None => candidate["stance"].as_str().expect("a stance").to_owned(),
            };
            reasons.insert(reason);
        }
    }
    assert_eq!(
        reasons.into_iter().collect::<Vec<_>>(),
        [
            "already",
            "no",
            "re-reports",
            "refutes",
            "result",
            "shots",
            "superseded",
            "supports",
            "unit"
        ]
    );
    assert_engine_matches_oracle(&db, &["2025-02-15", "2025-04-12", "2025-06-30"]);
    assert_consistent(&db);
    // The same, with the results written one at a time after the claims,
    // then the evidence: every write keeps the derived evidence current.
    let (_dir2, one_by_one) = temp_db();
    let of_type = |t: &str| -> Vec<&str> {
        fixture
            .lines()
            .filter(|l| l.contains(&format!("\"type\":\"{t}\"")))
            .collect()
    };
    let first: Vec<&str> = [of_type("source"), of_type("claim")].concat();
    import_str(&one_by_one, &first.join("\n")).expect("sources and claims import");
    for line in of_type("result") {
        import_str(&one_by_one, line).expect("a result imports");
    }
    import_str(&one_by_one, &of_type("evidence").join("\n")).expect("evidence imports");
    assert_eq!(derived(&one_by_one), derived(&db));
    assert_eq!(export_string(&one_by_one), export_string(&db));
    assert_consistent(&one_by_one);
}

/// The Epoch AI data through `import --from epoch` (the importers branch):
/// the engine against the oracle, which reads the database's export, so
/// the importer's mapping is not under test here, only the derivation.
#[test]
fn epoch_data_matches_the_oracle_to_the_last_bit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("db");
    let out = evident(
        &db_path,
        &[
            "import",
            "--from",
            "epoch",
            "../shared/data/epoch-benchmarks",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = Database::open(&db_path).expect("opens");
    let derived_count = derived(&db).len();
    assert!(
        derived_count > 100,
        "only {derived_count} pieces of derived evidence"
    );
    assert_engine_matches_oracle(&db, &["2023-06-30", "2024-06-30"]);
}

/// SPEC 2 and 8.3: an `as of` view derives its own evidence from the
/// results it sees, and that evidence is the view's everywhere — in the
/// `evidence` collection, its counts and groups, and quantifiers — not
/// today's derived evidence filtered by date. Today `r-new` supersedes
/// `r-old` (same source, later date); on 2026-04-15 only `r-old` is
/// visible, so the view holds `k~r-old`, which is stored nowhere.
#[test]
fn an_as_of_view_has_its_own_derived_evidence() {
    let (_dir, db) = temp_db();
    import_str(
        &db,
        r#"{"type":"source","id":"s1","title":"one","reliability":0.8,"published":"2026-01-01"}
{"type":"claim","id":"k","text":"M scores 70% on B","subject":"Z","model":"M","benchmark":"B","value":70,"unit":"%"}
{"type":"result","id":"r-old","model":"M","benchmark":"B","value":70,"unit":"%","source":"s1","date":"2026-04-01"}
{"type":"result","id":"r-new","model":"M","benchmark":"B","value":90,"unit":"%","source":"s1","date":"2026-05-01"}
{"type":"evidence","id":"e1","claim":"k","source":"s1","stance":"supports","date":"2026-03-01"}
{"type":"evidence","id":"z1","claim":"k","source":"s1","stance":"refutes","date":"2026-04-10"}"#,
    )
    .expect("imports");
    let ids = |q: &str| -> Vec<String> {
        rows(&db, q)
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(ids("evidence select id"), ["e1", "k~r-new", "z1"]);
    let day = "as of 2026-04-15";
    assert_eq!(
        ids(&format!("evidence {day} select id")),
        ["e1", "k~r-old", "z1"]
    );
    assert_eq!(
        ids(&format!("evidence {day} where derived select id")),
        ["k~r-old"]
    );
    assert_eq!(
        ids(&format!("evidence {day} where claim = k limit 2 select id")),
        ["e1", "k~r-old"]
    );
    let claim = &rows(&db, &format!("claims {day} select evidence_count"))[0];
    assert_eq!(claim["evidence_count"], 3);
    assert_eq!(rows(&db, &format!("count evidence {day}"))[0]["count"], 3);
    assert_eq!(
        rows(&db, &format!("count evidence {day} group by stance")),
        [
            serde_json::json!({"stance": "refutes", "count": 1}),
            serde_json::json!({"stance": "supports", "count": 2}),
        ]
    );
    // Quantifiers see the view's derived evidence: k~r-old's gap is 0,
    // k~r-new's (today's) 20.
    assert_eq!(
        ids(&format!(
            "claims {day} where any evidence (gap = 0) select id"
        )),
        ["k"]
    );
    assert!(
        ids(&format!(
            "claims {day} where any evidence (gap > 10) select id"
        ))
        .is_empty()
    );
    assert_eq!(ids("claims where any evidence (gap > 10) select id"), ["k"]);
    // A statement naming ids or a claim judges only the claims it reaches,
    // and still finds the view's own.
    assert_eq!(
        ids(&format!("evidence {day} where id = \"k~r-old\" select id")),
        ["k~r-old"]
    );
    assert!(ids(&format!("evidence {day} where id = \"k~r-new\" select id")).is_empty());
    assert_eq!(
        ids(&format!(
            "evidence {day} where id in (\"z1\", \"k~r-old\", e1) select id"
        )),
        ["e1", "k~r-old", "z1"]
    );
    assert_eq!(
        ids(&format!("evidence {day} where claim = k select id")),
        ["e1", "k~r-old", "z1"]
    );
    assert_eq!(
        ids(&format!(
            "evidence {day} where source = s1 and stance = supports select id"
        )),
        ["e1", "k~r-old"]
    );
    // And so do a source's.
    assert_eq!(
        ids(&format!(
            "sources {day} where any evidence (gap = 0) select id"
        )),
        ["s1"]
    );
    assert!(ids("sources where any evidence (gap = 0) select id").is_empty());
}

/// SPEC 2: the note of an `as of` statement counts recorded evidence
/// without an effective date; derived evidence of undated results is not
/// recorded evidence, and an `as of` view derives its own.
#[test]
fn the_as_of_note_counts_recorded_evidence_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let file = dir.path().join("undated.jsonl");
    std::fs::write(
        &file,
        r#"{"type":"source","id":"s1","title":"one"}
{"type":"claim","id":"k","text":"M scores 70% on B","subject":"Z","model":"M","benchmark":"B","value":70,"unit":"%"}
{"type":"result","id":"r1","model":"M","benchmark":"B","value":70,"unit":"%","source":"s1"}
"#,
    )
    .expect("writes");
    let evident = |args: &[&str]| evident(&db, args);
    assert!(
        evident(&["import", file.to_str().expect("UTF-8")])
            .status
            .success()
    );
    let out = evident(&["query", "count evidence; count claims as of 2025-01-01"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"count\":1}\n{\"count\":1}\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no recorded evidence, no note"
    );
    // One undated piece recorded by hand is noted.
    let out = evident(&[
        "query",
        "add evidence {id: e1, claim: k, source: s1, stance: refutes}; count claims as of 2025-01-01",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 piece of evidence has no date"), "{err}");
}
