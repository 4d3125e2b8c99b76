//! `evident import --from epoch|eee|csv`: the real data, hand-checked cases,
//! and bad input (clear errors, nothing stored, no panic).

use evident::model::Kind;
use evident::{Database, ImportFormat, ImportOptions, Value};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EPOCH: &str = "../shared/data/epoch-benchmarks";
const EEE: &str = "../shared/data/eee/samples";

fn temp_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    (dir, db)
}

fn import(
    db: &Database,
    format: &ImportFormat,
    paths: &[PathBuf],
) -> Result<evident::ImportReport, evident::Error> {
    db.import_files_with(format, "test", paths, ImportOptions::default(), &mut |_| {})
}

fn epoch() -> ImportFormat {
    ImportFormat::Epoch { makers: None }
}

/// The one value a query gives.
fn single(db: &Database, query: &str) -> Value {
    let mut out = db.query(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    assert_eq!(out.rows.len(), 1, "{query}: {:?}", out.rows);
    out.rows.remove(0).remove(0)
}

fn count(db: &Database, query: &str) -> i64 {
    match single(db, query) {
        Value::Integer(n) => n,
        other => panic!("{query}: {other:?}"),
    }
}

fn records(db: &Database) -> u64 {
    let c = db.counters().expect("counters");
    Kind::ALL.iter().map(|k| c.of_kind(*k)).sum()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes");
    path
}

/// A folder `folder` of `dir` holding one file `name` with `text`, as an
/// Epoch import reads it: (the folder, the file).
fn folder_with(dir: &Path, folder: &str, name: &str, text: &str) -> (PathBuf, PathBuf) {
    let folder = dir.join(folder);
    std::fs::create_dir(&folder).expect("dir");
    let file = write(&folder, name, text);
    (folder, file)
}

/// The counts `tools/epoch_count.py` makes of the CSVs, reading them
/// independently of the importer (Python's csv module and the rules the
/// importer's documentation states). Run when Python is there, else the
/// figures it gave when this test was written.
fn independent_epoch_counts() -> serde_json::Value {
    let run = Command::new("python3")
        .arg("tools/epoch_count.py")
        .arg(EPOCH)
        .arg("data/epoch-makers.csv")
        .output();
    match run {
        Ok(out) if out.status.success() => {
            serde_json::from_slice(&out.stdout).expect("the counter prints JSON")
        }
        _ => {
            serde_json::json!({"results": 2687, "claims": 550, "sources": 65, "runs": 541, "undated_runs": 2})
        }
    }
}

#[test]
fn the_whole_epoch_data_set_imports_with_the_independently_counted_records() {
    if !Path::new(EPOCH).exists() {
        eprintln!("skipping: {EPOCH} is not beside the repository");
        return;
    }
    let expected = independent_epoch_counts();
    // The research note counted 550 self-reported rows by its own table.
    assert_eq!(expected["claims"], 550);
    let (_dir, db) = temp_db();
    let report = import(&db, &epoch(), &[PathBuf::from(EPOCH)]).expect("imports");
    let c = db.counters().expect("counters");
    let got = serde_json::json!({
        "results": c.of_kind(Kind::Result),
        "claims": c.of_kind(Kind::Claim),
        "sources": c.of_kind(Kind::Source),
        "runs": count(&db, r#"count results where source = "s:epoch/hub" or source = "s:epoch/hub-frontiermath""#),
    });
    for key in ["results", "claims", "sources", "runs"] {
        assert_eq!(got[key], expected[key], "{key}: {got} vs {expected}");
    }
    assert_eq!(report.read, [65, 550, 0, 2687]);
    for (subject, n) in expected["claims_by_subject"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let q = format!(r#"count claims where tags has "self-reported" and subject = "{subject}""#);
        assert_eq!(serde_json::json!(count(&db, &q)), *n, "{subject}");
    }
    // Publisher aliases are one source; Epoch's runs are dated fractions.
    assert_eq!(
        count(
            &db,
            r#"count sources where title = "Standford HELM" or title = "Stanford CRFM Leaderboard""#
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            r#"count results where source = "s:epoch/Stanford-HELM""#
        ),
        // HELM's 248 rows under three names, 127 of them naming a model.
        127
    );
    assert_eq!(
        count(
            &db,
            r#"count results where source = "s:epoch/hub" and (unit != "fraction" or stderr is null)"#
        ),
        0
    );
    // Four runs have no started_at: undated, not invented.
    assert_eq!(
        serde_json::json!(count(
            &db,
            r#"count results where id ~ "r:epoch/runs/" and date is null"#
        )),
        expected["undated_runs"]
    );
    let check = db.check().expect("checks");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    // Importing it again changes nothing.
    let again = import(&db, &epoch(), &[PathBuf::from(EPOCH)]).expect("imports again");
    assert_eq!(again.written.unchanged, 65 + 550 + 2687);
}

/// `fixtures/importers/epoch_cases.tsv`: claim, result, expectation.
#[test]
fn hand_checked_epoch_cases() {
    if !Path::new(EPOCH).exists() {
        return;
    }
    let (_dir, db) = temp_db();
    import(&db, &epoch(), &[PathBuf::from(EPOCH)]).expect("imports");
    let cases = std::fs::read_to_string("fixtures/importers/epoch_cases.tsv").expect("cases");
    let mut checked = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [claim, result, expect, why] = fields[..] else {
            panic!("a case is claim, result, expect, why: {line}");
        };
        let got = if result == "-" {
            single(
                &db,
                &format!(r#"claims where id = "{claim}" select status"#),
            )
        } else {
            // `explain` lists every candidate: its stance, or why it is ignored.
            let explained =
                serde_json::to_value(db.query(&format!("explain {claim}")).expect("explains"))
                    .expect("json");
            let candidate = explained[0]["candidates"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["result"] == result)
                .unwrap_or_else(|| panic!("{result} is no candidate of {claim}: {explained}"));
            match (&candidate["stance"], &candidate["ignored"]) {
                (serde_json::Value::String(stance), _) => Value::String(stance.clone()),
                (_, serde_json::Value::String(why)) => Value::String(format!("ignored: {why}")),
                _ => panic!("{candidate}"),
            }
        };
        assert_eq!(got, Value::String(expect.into()), "{claim} {result}: {why}");
        checked += 1;
    }
    assert!(checked >= 10, "{checked} cases");
}

/// The engine's statuses of the Epoch data against `tools/derive_check.py`
/// (the independent oracle of SPEC 2 and 8) on its export, to the last
/// bit. Runs once the oracle knows section 8 (`--derived`).
#[test]
fn epoch_statuses_match_the_oracle() {
    if !Path::new(EPOCH).exists() {
        return;
    }
    let oracle_help = Command::new("python3")
        .args(["tools/derive_check.py", "--help"])
        .output();
    if !oracle_help.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--derived")) {
        eprintln!("skipping: tools/derive_check.py (or python3) does not know section 8 yet");
        return;
    }
    let (dir, db) = temp_db();
    import(&db, &epoch(), &[PathBuf::from(EPOCH)]).expect("imports");
    let export = dir.path().join("epoch.jsonl");
    let mut file = std::fs::File::create(&export).expect("creates");
    db.export_jsonl(&mut file).expect("exports");
    drop(file);
    let oracle = Command::new("python3")
        .arg("tools/derive_check.py")
        .arg("--no-header")
        .arg(&export)
        .output()
        .expect("runs the oracle");
    assert!(oracle.status.success(), "{}", stderr(&oracle));
    let expected = String::from_utf8_lossy(&oracle.stdout).into_owned();
    let out = db
        .query("claims select id, status, confidence, support, refute, independent_support, independent_refute, evidence_count")
        .expect("claims");
    let number = |v: &Value| match v {
        Value::Number(n) => format!("{n:?}"),
        Value::Integer(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    };
    let got: String = out
        .rows
        .iter()
        .map(|row| row.iter().map(number).collect::<Vec<_>>().join("\t") + "\n")
        .collect();
    assert_eq!(got.lines().count(), 550);
    assert!(got == expected, "the engine and the oracle differ");
}

#[test]
fn eee_samples_import_one_source_per_organisation() {
    if !Path::new(EEE).exists() {
        return;
    }
    let (_dir, db) = temp_db();
    let report = import(&db, &ImportFormat::Eee, &[PathBuf::from(EEE)]).expect("imports");
    // Three files: an aggregator's demo, Hugging Face's Open LLM v2 (6
    // results), TIGER-Lab's MMLU-Pro (15 results).
    assert_eq!(report.read, [3, 0, 0, 1 + 6 + 15]);
    assert_eq!(
        single(
            &db,
            r#"sources where id = "s:eee/TIGER-Lab" select reliability"#
        ),
        Value::Number(0.75)
    );
    assert_eq!(
        count(
            &db,
            r#"count results where model = "01-ai/yi-1.5-34b-chat" and unit = "fraction" and shots = 5"#
        ),
        15
    );
}

#[test]
fn a_csv_of_results_keeps_its_numbers_exactly() {
    let dir = tempfile::tempdir().expect("dir");
    let (_db_dir, db) = temp_db();
    let sources = write(
        dir.path(),
        "s.csv",
        "id,title,kind,affiliations,reliability\ns:board,Board,leaderboard,Board Inc; Other,B\n",
    );
    let results = write(
        dir.path(),
        "r.csv",
        "id,model,benchmark,value,unit,source,note\nr1,m,MMLU,68.9,%,s:board,\"a, quoted\nnote\"\nr2,m,MMLU,0.1,,,\n",
    );
    import(&db, &ImportFormat::Csv(Kind::Source), &[sources]).expect("sources");
    import(&db, &ImportFormat::Csv(Kind::Result), &[results]).expect("results");
    assert_eq!(
        single(&db, r#"results where id = "r1" select value"#),
        Value::Number(68.9)
    );
    assert_eq!(
        single(&db, r#"results where id = "r2" select value"#),
        Value::Number(0.1)
    );
    assert_eq!(
        single(&db, r#"results where id = "r1" select note"#),
        Value::String("a, quoted\nnote".into())
    );
    assert_eq!(
        single(&db, r#"sources where id = "s:board" select reliability"#),
        Value::Number(0.75)
    );
}

/// Runs `evident import` on a fresh database path.
fn evident_import(dir: &Path, args: &[&str]) -> (Output, PathBuf) {
    let db = dir.join("cli.db");
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(&db)
        .arg("import")
        .args(args)
        .output()
        .expect("runs");
    (out, db)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `evident import ARGS` and checks that it fails (exit 1), says
/// `FILE:LINE: …` as `expected` gives it after the file's name, and leaves no
/// database behind.
#[track_caller]
fn assert_refused(dir: &Path, args: &[&str], file: &Path, expected: &str) {
    let (out, db) = evident_import(dir, args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let needle = format!("{}{expected}", file.display());
    assert!(
        stderr(&out).contains(&needle),
        "expected {needle:?} in:\n{}",
        stderr(&out)
    );
    assert!(
        !db.exists(),
        "a failed import into a new database leaves none"
    );
}

#[test]
fn bad_input_is_a_located_error_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let path = |p: &PathBuf| p.display().to_string();
    // A CSV with a missing column.
    let missing = write(d, "missing.csv", "id,model,benchmark\nr1,m,b\n");
    let args = ["--from", "csv", "--type", "result", &path(&missing)];
    let reason = ":1: value: missing column: every result has a value";
    assert_refused(d, &args, &missing, reason);
    // A non-numeric score, among good rows: nothing of the file is stored.
    let bad_score = write(
        d,
        "score.csv",
        "id,model,benchmark,value\nr1,m,b,1\nr2,m,b,high\n",
    );
    let args = ["--from", "csv", "--type", "result", &path(&bad_score)];
    assert_refused(d, &args, &bad_score, ":3: value: \"high\" is not a number");
    // --skip-invalid imports the good row and reports the bad one.
    let (out, db) = evident_import(
        d,
        &[
            "--from",
            "csv",
            "--type",
            "result",
            "--skip-invalid",
            &path(&bad_score),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(":3: value: \"high\" is not a number"),
        "{}",
        stderr(&out)
    );
    let skipped = Database::open_existing(&db).expect("opens");
    assert_eq!(records(&skipped), 1);
    drop(skipped);
    std::fs::remove_dir_all(&db).expect("removes");
    // An unknown --from, and --from csv without --type: a bad command line.
    let (out, _) = evident_import(d, &["--from", "xlsx", &path(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("xlsx") && stderr(&out).contains("epoch"),
        "{}",
        stderr(&out)
    );
    let (out, _) = evident_import(d, &["--from", "csv", &path(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--type"), "{}", stderr(&out));
    // An EEE file of an unknown schema version.
    let eee = write(
        d,
        "future.json",
        r#"{"schema_version": "9.0.0", "evaluation_id": "x", "evaluation_results": []}"#,
    );
    let reason = ":1: schema_version: unknown schema version \"9.0.0\"";
    assert_refused(d, &["--from", "eee", &path(&eee)], &eee, reason);
    // An Epoch file with a bad cell names its file and line, even when the
    // import is a whole directory.
    let (epoch_dir, mmlu) = folder_with(
        d,
        "epoch",
        "external_benchmark_mmlu.csv",
        "id,Name,EM,Model version,Shots,Source,Source link,Notes\nrec1,x,60%,m,5,S,,\nrec2,x,sixty,m,5,S,,\n",
    );
    let args = ["--from", "epoch", &path(&epoch_dir)];
    assert_refused(d, &args, &mmlu, ":3: EM: \"sixty\" is not a number");
}

/// Line ends and cut files, from a review: CRLF rows (Excel's) and lone-CR
/// rows are on their own lines, so an Epoch file saved with CRLF gives the
/// same line-based ids as with LF; a row cut short is an error, not a
/// record; a directory with none of the format's files is an error.
#[test]
fn line_ends_cut_rows_and_empty_directories_of_the_other_formats() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let path = |p: &PathBuf| p.display().to_string();
    for (name, end) in [("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let text = [
            "id,model,benchmark,value",
            "r1,m,b,1",
            "r2,m,b,x",
            "r3,m,b,y",
        ]
        .join(end);
        let file = write(d, name, &text);
        let args = ["--from", "csv", "--type", "result", &path(&file)];
        assert_refused(d, &args, &file, ":3: value: \"x\" is not a number");
        assert_refused(d, &args, &file, ":4: value: \"y\" is not a number");
    }
    // A byte that is not UTF-8 is named by its line; a cell of megabytes is
    // not printed whole in the problem that quotes it.
    let latin1 = d.join("latin1.csv");
    std::fs::write(&latin1, b"id,model,benchmark,value\nr1,caf\xe9,b,1\n").expect("writes");
    let args = ["--from", "csv", "--type", "result", &path(&latin1)];
    assert_refused(d, &args, &latin1, ": is not valid UTF-8 (line 2;");
    let huge = write(
        d,
        "huge.csv",
        &format!(
            "id,model,benchmark,value\nr1,m,b,{}\n",
            "9x".repeat(500_000)
        ),
    );
    let (out, _) = evident_import(d, &["--from", "csv", "--type", "result", &path(&huge)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.len() < 2000,
        "{} bytes of stderr",
        out.stderr.len()
    );
    let Ok(real) = std::fs::read_to_string(Path::new(EPOCH).join("external_benchmark_mmlu.csv"))
    else {
        return;
    };
    let (lf, crlf, cut) = (d.join("lf"), d.join("crlf"), d.join("cut"));
    for (folder, text) in [
        (&lf, real.clone()),
        (&crlf, real.replace('\n', "\r\n")),
        (&cut, real[..real.len() - 40].to_owned()),
    ] {
        std::fs::create_dir(folder).expect("dir");
        write(folder, "external_benchmark_mmlu.csv", &text);
    }
    let (_db_dir, db) = temp_db();
    import(&db, &epoch(), &[lf]).expect("imports");
    let again = import(&db, &epoch(), &[crlf]).expect("imports");
    assert_eq!(
        (again.written.added, again.written.replaced),
        ([0; 4], [0; 4]),
        "CRLF rows are the same rows"
    );
    let lines = real.trim_end().lines().count();
    let file = cut.join("external_benchmark_mmlu.csv");
    assert_refused(
        d,
        &["--from", "epoch", &path(&cut)],
        &file,
        &format!(":{lines}: has "),
    );
    // A run whose best score Rust reads as NaN is a problem of that cell
    // (it was an absent value: "value: missing").
    if let Ok(runs) = std::fs::read_to_string(Path::new(EPOCH).join("benchmarks_runs.csv")) {
        let mut lines = runs.lines();
        let (header, row) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        let mut cells: Vec<&str> = row.split(',').collect();
        cells[3] = "NaN";
        let (nan, file) = folder_with(
            d,
            "nan",
            "benchmarks_runs.csv",
            &format!("{header}\n{}\n", cells.join(",")),
        );
        let reason = ":2: Best score (across scorers): \"NaN\" is not a finite number";
        assert_refused(d, &["--from", "epoch", &path(&nan)], &file, reason);
    }
    // A column named twice in a header refuses the file, in every format
    // read from CSV (Epoch's rows took the last of the two cells).
    let (twice, file) = folder_with(
        d,
        "twice",
        "external_benchmark_mmlu.csv",
        "id,Name,EM,Model version,EM\nrec1,x,60%,m,70%\n",
    );
    let reason = ":1: EM: is named twice in the header";
    assert_refused(d, &["--from", "epoch", &path(&twice)], &file, reason);
    let file = write(
        d,
        "twice.csv",
        "id,model,model,benchmark,value\nr1,m,n,b,1\n",
    );
    let args = ["--from", "csv", "--type", "result", &path(&file)];
    assert_refused(d, &args, &file, ":1: model: is named twice in the header");
    let empty = d.join("empty");
    std::fs::create_dir(&empty).expect("dir");
    for format in ["epoch", "eee"] {
        let (out, db) = evident_import(d, &["--from", format, &path(&empty)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is a directory with no"),
            "{}",
            stderr(&out)
        );
        assert!(!db.exists());
    }
}

/// Every Eval Ever, from a review: a byte-order mark is ignored; two long
/// evaluation ids alike in their first 80 characters make two sets of
/// results (one replaced the other); and importing an organisation's files
/// one at a time gives the source that importing them together does (the
/// last file alone rewrote it: a first-party evaluation read before became
/// independent).
#[test]
fn every_eval_ever_files_one_at_a_time_or_together() {
    let Ok(sample) = std::fs::read_to_string(Path::new(EEE).join("demo-source-demo-model.json"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let base: serde_json::Value = serde_json::from_str(&sample).expect("JSON");
    let variant = |id: &str, relationship: &str| {
        let mut v = base.clone();
        v["evaluation_id"] = serde_json::json!(id);
        v["source_metadata"]["evaluator_relationship"] = serde_json::json!(relationship);
        v.to_string()
    };
    let long = "x".repeat(90);
    let first = write(
        d,
        "a.json",
        &format!("\u{feff}{}", variant(&format!("{long}/1"), "first_party")),
    );
    let second = write(d, "b.json", &variant(&format!("{long}/2"), "third_party"));
    let sources = |db: &Database| {
        db.query("sources select id, affiliations, reliability")
            .expect("runs")
            .rows
    };
    let (_one_dir, one_at_a_time) = temp_db();
    for file in [&first, &second] {
        import(
            &one_at_a_time,
            &ImportFormat::Eee,
            std::slice::from_ref(file),
        )
        .expect("imports");
    }
    let (_both_dir, together) = temp_db();
    import(&together, &ImportFormat::Eee, &[first, second]).expect("imports");
    assert_eq!(sources(&one_at_a_time), sources(&together));
    assert_eq!(
        single(&together, "sources select reliability"),
        Value::Number(0.5),
        "a first-party record: not independent"
    );
    for db in [&one_at_a_time, &together] {
        assert_eq!(
            count(db, "count results"),
            2,
            "two evaluations, two results"
        );
    }
}

#[test]
fn a_result_whose_cites_loop_is_refused_and_nothing_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let (_db_dir, db) = temp_db();
    let loop_csv = write(
        dir.path(),
        "loop.csv",
        "id,model,benchmark,value,cites\nr1,m,b,1,r2\nr2,m,b,1,r1\n",
    );
    let err = import(&db, &ImportFormat::Csv(Kind::Result), &[loop_csv])
        .expect_err("a loop of cites is refused")
        .to_string();
    assert!(
        err.contains("loop.csv:2: cites") || err.contains("loop.csv:3: cites"),
        "{err}"
    );
    assert_eq!(records(&db), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// No file makes a reader panic: whatever the bytes, an import either
    /// succeeds or fails with an error.
    #[test]
    fn no_file_makes_a_reader_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        text in "[a-z0-9,\"%.\n{}\\[\\]: -]{0,300}",
    ) {
        let dir = tempfile::tempdir().expect("dir");
        let (_db_dir, db) = temp_db();
        for content in [bytes.clone(), text.clone().into_bytes(),
                        format!("id,model,benchmark,value\n{text}").into_bytes(),
                        format!("{{\"schema_version\":\"0.3.0\",{text}").into_bytes()] {
            for (name, format) in [
                ("external_benchmark_mmlu.csv", epoch()),
                ("benchmarks_runs.csv", epoch()),
                ("x.json", ImportFormat::Eee),
                ("x.jsonl", ImportFormat::Eee),
                ("x.csv", ImportFormat::Csv(Kind::Result)),
                ("y.csv", ImportFormat::Csv(Kind::Source)),
            ] {
                let path = dir.path().join(name);
                std::fs::write(&path, &content).expect("writes");
                let _ = import(&db, &format, &[path]);
            }
        }
    }
}
