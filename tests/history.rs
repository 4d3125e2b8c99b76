//! History (SPEC 9): the status log replayed equals the derived values
//! after any sequence of writes; recorded times strictly increase even when
//! the clock steps back; `changes` agrees with snapshots taken between
//! writes; `export --history` holds every write.

use evident::Database;

mod common;
use proptest::prelude::*;
use serde_json::Value;

fn rows(db: &Database, statement: &str) -> Vec<Value> {
    match serde_json::to_value(db.query(statement).expect(statement)).expect("json") {
        Value::Array(rows) => rows,
        other => panic!("not rows: {other}"),
    }
}

fn statuses(db: &Database) -> std::collections::BTreeMap<String, (Value, Value)> {
    rows(db, "claims select id, status, confidence")
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                (r["status"].clone(), r["confidence"].clone()),
            )
        })
        .collect()
}

/// One random write: an evidence put or retraction, a claim put or
/// retraction, or a source's reliability changed.
#[derive(Clone, Debug)]
enum Write {
    Evidence {
        n: u8,
        claim: u8,
        source: u8,
        refutes: bool,
        strength: u8,
    },
    RetractEvidence(u8),
    Claim(u8, bool),
    RetractClaim(u8),
    Reliability(u8, u8),
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        4 => (0..12u8, 0..4u8, 0..3u8, any::<bool>(), 1..=10u8).prop_map(|(n, claim, source, refutes, strength)| Write::Evidence { n, claim, source, refutes, strength }),
        2 => (0..12u8).prop_map(Write::RetractEvidence),
        1 => (0..4u8, any::<bool>()).prop_map(|(c, s)| Write::Claim(c, s)),
        1 => (0..4u8).prop_map(Write::RetractClaim),
        1 => (0..3u8, 1..=9u8).prop_map(|(s, r)| Write::Reliability(s, r)),
    ]
}

fn script(w: &Write) -> String {
    match w {
        Write::Evidence {
            n,
            claim,
            source,
            refutes,
            strength,
        } => format!(
            "add evidence {{id: e{n}, claim: c{claim}, source: s{source}, stance: {}, strength: 0.{strength}}}",
            if *refutes { "refutes" } else { "supports" }
        ),
        Write::RetractEvidence(n) => format!("retract e{n}"),
        Write::Claim(c, subject) => format!(
            "add claim {{id: c{c}, text: \"claim {c}\"{}}}",
            if *subject { ", subject: S0" } else { "" }
        ),
        Write::RetractClaim(c) => format!("retract c{c}"),
        Write::Reliability(s, r) => format!(
            "add source {{id: s{s}, title: \"source {s}\", reliability: 0.{r}, affiliations: [S0]}}"
        ),
    }
}

fn seeded() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    let mut lines = String::new();
    for s in 0..3 {
        lines += &format!(
            "{{\"type\":\"source\",\"id\":\"s{s}\",\"title\":\"source {s}\",\"reliability\":0.{}}}\n",
            s * 3 + 2
        );
    }
    for c in 0..4 {
        lines += &format!("{{\"type\":\"claim\",\"id\":\"c{c}\",\"text\":\"claim {c}\"}}\n");
    }
    db.import_jsonl(lines.as_bytes()).expect("imports");
    (dir, db)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// After every write of a random sequence: `check` (which replays the
    /// status log against the records and derived values) passes, the last
    /// row of each claim's `history` has its current status and confidence,
    /// and `changes since` the previous write gives exactly the claims whose
    /// status the write changed.
    #[test]
    fn the_status_log_replayed_equals_the_derived_values(writes in proptest::collection::vec(write(), 1..14)) {
        let (_dir, db) = seeded();
        let mut before = statuses(&db);
        let initial = before.clone();
        let start = db.log().expect("log").last().map(|e| e.recorded_ms).expect("a write");
        let start = evident::model::time::format_time(start);
        for w in &writes {
            let last = db.log().expect("log").last().map(|e| e.recorded_ms).expect("a write");
            // Refused writes (a retraction with referrers, a reference to
            // a retracted record) change nothing and record nothing.
            let _ = db.query(&script(w));
            let report = db.check().expect("checks");
            prop_assert!(report.problems.is_empty(), "{:?} after {:?}", report.problems, w);
            let after = statuses(&db);
            for (id, (status, confidence)) in &after {
                let history = rows(&db, &format!("history {id}"));
                let row = history.last().expect("a claim has history");
                prop_assert_eq!(&row["status"], status);
                prop_assert_eq!(&row["confidence"], confidence);
            }
            let since = evident::model::time::format_time(last);
            let changed_ids = |since: &str| -> Vec<String> {
                rows(&db, &format!("changes since {since}"))
                    .iter()
                    .map(|r| r["id"].as_str().expect("id").to_owned())
                    .collect()
            };
            let status = |m: &std::collections::BTreeMap<String, (Value, Value)>, id: &str| {
                m.get(id).map(|v| v.0.clone()).unwrap_or(Value::Null)
            };
            let differing = |from: &std::collections::BTreeMap<String, (Value, Value)>| -> Vec<String> {
                from.keys()
                    .chain(after.keys())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .filter(|id| status(from, id) != status(&after, id))
                    .cloned()
                    .collect()
            };
            prop_assert_eq!(changed_ids(&since), differing(&before), "after {:?}", w);
            // And over every write so far: a claim whose status went and
            // came back is no change.
            prop_assert_eq!(changed_ids(&start), differing(&initial), "since the start, after {:?}", w);
            // Each row of both windows: the values at both ends, and the
            // claim's text as last written (in a window of several writes,
            // the last write of a claim need not be the one that flipped it;
            // a window of one write is read straight from the log).
            let value = |m: &std::collections::BTreeMap<String, (Value, Value)>, id: &str| {
                m.get(id).cloned().unwrap_or((Value::Null, Value::Null))
            };
            for (window_start, then) in [(&since, &before), (&start, &initial)] {
                for row in rows(&db, &format!("changes since {window_start}")) {
                    let id = row["id"].as_str().expect("id");
                    let (status_then, confidence_then) = value(then, id);
                    prop_assert_eq!(&row["status_before"], &status_then, "{} since {}", id, window_start);
                    prop_assert_eq!(&row["confidence_before"], &confidence_then, "{} since {}", id, window_start);
                    let (status_now, confidence_now) = value(&after, id);
                    prop_assert_eq!(&row["status"], &status_now, "{} since {}", id, window_start);
                    prop_assert_eq!(&row["confidence"], &confidence_now, "{} since {}", id, window_start);
                    if !status_now.is_null() {
                        prop_assert_eq!(&row["text"], &Value::from(format!("claim {}", &id[1..])));
                    }
                }
            }
            before = after;
        }
    }
}

/// SPEC 9: a clock that steps back still gives strictly increasing times,
/// and an identical write records nothing.
#[test]
fn recorded_times_increase_when_the_clock_steps_back() {
    let (_dir, db) = seeded();
    let at = |t: &str| evident::model::time::parse_time(t).expect("time");
    db.set_clock(Some(at("2030-01-05T10:00:00Z")));
    db.query("add claim {id: c9, text: \"nine\"}")
        .expect("adds");
    db.set_clock(Some(at("2026-12-01T00:00:00Z")));
    db.query("add claim {id: c9, text: \"nine, again\"}")
        .expect("replaces");
    db.query("add claim {id: c9, text: \"nine, again\"}")
        .expect("unchanged");
    let history = rows(&db, "history c9");
    let times: Vec<&str> = history
        .iter()
        .map(|r| r["recorded"].as_str().expect("time"))
        .collect();
    assert_eq!(
        times,
        ["2030-01-05T10:00:00.000Z", "2030-01-05T10:00:00.001Z"]
    );
    assert_eq!(history[1]["action"], "replace");
    assert_eq!(history[1]["record"]["text"], "nine, again");
    assert_eq!(history[0]["record"]["text"], "nine");
    // `changes since T1` runs to now, which is the clock or, with a clock
    // behind the last write, that write's time: T1 may be that late, not
    // later (SPEC 9: T1 after T2 is an error).
    assert!(rows(&db, "changes since 2030-01-05T10:00:00.001Z").is_empty());
    let err = db
        .query("changes since 2030-01-05T10:00:00.002Z")
        .expect_err("after now")
        .to_string();
    assert!(
        err.contains("is after now (2030-01-05T10:00:00.001Z)"),
        "{err}"
    );
}

/// `export --history` has one line per own write, with the record after it.
#[test]
fn exported_history_holds_every_write() {
    let (_dir, db) = seeded();
    db.query("add evidence {id: e1, claim: c1, source: s1, stance: supports}")
        .expect("adds");
    db.query("retract e1").expect("retracts");
    let mut out = Vec::new();
    let n = db.export_history_jsonl(&mut out).expect("exports");
    let lines: Vec<Value> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(n as usize, lines.len());
    assert_eq!(lines.len(), 3 + 4 + 2);
    let e1: Vec<&Value> = lines.iter().filter(|l| l["id"] == "e1").collect();
    assert_eq!(e1[0]["action"], "add");
    assert_eq!(e1[0]["record"]["claim"], "c1");
    assert_eq!(e1[1]["action"], "retract");
    assert_eq!(e1[1]["record"], Value::Null);
    // A snapshot export is untouched by history.
    let mut snapshot = Vec::new();
    db.export_jsonl(&mut snapshot).expect("exports");
    assert!(!String::from_utf8(snapshot).expect("utf-8").contains("e1"));
}

/// SPEC 5 and 9: a database of format 6 (no status log) is upgraded in
/// place when opened; its records' writes from before show `recorded`
/// `null`, first, and new writes follow with their times.
/// A copy of the format-6 fixture (a database made before the status log)
/// at `dir/db`.
fn format_6_copy(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Read;
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/format6");
    let db_dir = dir.join("db");
    std::fs::create_dir_all(db_dir.join("blobs")).expect("mkdir");
    for entry in std::fs::read_dir(&fixture).expect("fixture") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            "README.md" => {}
            "db.gz" => {
                let mut bytes = Vec::new();
                flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("opens"))
                    .read_to_end(&mut bytes)
                    .expect("gunzips");
                std::fs::write(db_dir.join("db"), bytes).expect("writes");
            }
            _ => {
                std::fs::copy(&path, db_dir.join(&name)).expect("copies");
            }
        }
    }
    db_dir
}

#[test]
fn a_format_6_database_is_upgraded_with_unrecorded_times_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_dir = format_6_copy(dir.path());
    let db = Database::open(&db_dir).expect("opens and upgrades");
    assert_eq!(db.upgraded_from(), Some(6));
    let format = std::fs::read_to_string(db_dir.join("evident-format")).expect("format file");
    assert!(format.contains("format 7"), "{format}");
    db.set_clock(Some(
        evident::model::time::parse_time("2030-01-01T00:00:00Z").expect("time"),
    ));
    db.query("add evidence {id: e3, claim: c1, source: s1, stance: refutes, strength: 0.9}")
        .expect("adds");
    let history = rows(&db, "history c1");
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["recorded"], Value::Null);
    assert_eq!(history[0]["action"], "add");
    assert_eq!(history[0]["record"]["text"], "a claim");
    assert_eq!(history[1]["recorded"], "2030-01-01T00:00:00.000Z");
    assert_eq!(history[1]["action"], "derive");
    let e1 = rows(&db, "history e1");
    assert_eq!(e1[0]["recorded"], Value::Null);
    let report = db.check().expect("checks");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    drop(db);
    let again = Database::open(&db_dir).expect("opens");
    assert_eq!(again.upgraded_from(), None);
}

/// SPEC 5: whichever command opens a database of an earlier format
/// upgrades it saying so on standard error, once.
#[test]
fn every_command_says_it_upgraded_a_database() {
    for command in [&["query", "count claims"][..], &["export"], &["check"]] {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_dir = format_6_copy(dir.path());
        let run = || common::evident(&db_dir, command);
        let first = run();
        assert!(first.status.success(), "{command:?}: {first:?}");
        let said = String::from_utf8_lossy(&first.stderr);
        assert!(
            said.contains("from format 6 to the current format"),
            "{command:?}: {said}"
        );
        let again = String::from_utf8_lossy(&run().stderr).into_owned();
        assert!(!again.contains("upgraded"), "{command:?}: {again}");
    }
}
