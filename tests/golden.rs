//! Golden files: every `fixtures/queries/NAME.evq` runs against the seed
//! fixture, every `fixtures/queries/liar2/NAME.evq` against LIAR2, and its output (rows as JSON Lines, each
//! statement's notes after its rows as `-- note: …` lines, then any error exactly as
//! the command line prints it) must equal `NAME.out`. Run with
//! `UPDATE_GOLDEN=1` to rewrite the `.out` files, then read the diff.

use evident::Database;
use evident::render::{self, Format, TableStyle};
use std::path::Path;

fn run(db: &Database, script: &str) -> String {
    let mut out = Vec::new();
    let result = db.run_each(script, &mut |output| {
        if let Some(message) = &output.message {
            out.extend_from_slice(format!("-- {message}\n").as_bytes());
        }
        render::write_output(&mut out, &output, Format::Jsonl, TableStyle { width: None })
            .expect("writes");
        for note in &output.notes {
            out.extend_from_slice(format!("-- note: {note}\n").as_bytes());
        }
    });
    let mut text = String::from_utf8(out).expect("utf-8");
    if let Err(e) = result {
        text.push_str(&e.render(script));
        text.push('\n');
    }
    text
}

/// Runs every `.evq` file of `dir` on the database `open` gives (called
/// once per file: some files write) and compares with its `.out`.
fn check_dir(dir: &Path, open: &dyn Fn() -> (tempfile::TempDir, Database)) -> usize {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("a golden directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "evq"))
        .collect();
    entries.sort();
    for path in &entries {
        let (_tmp, db) = open();
        let script = std::fs::read_to_string(path).expect("reads");
        let got = run(&db, &script);
        let expected_path = path.with_extension("out");
        if update {
            std::fs::write(&expected_path, &got).expect("writes");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    entries.len()
}

fn database_of(data: &[u8]) -> (tempfile::TempDir, Database) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let db = Database::open(tmp.path().join("db")).expect("opens");
    // Known recorded times for `history` and `changes` (each later write
    // takes the last one's time plus 1 ms).
    let clock = evident::model::time::parse_time("2026-12-01T09:00:00Z").expect("a time");
    db.set_clock(Some(clock));
    db.import_jsonl(data).expect("imports");
    (tmp, db)
}

#[test]
fn golden_queries_on_the_seed() {
    let seed = include_str!("../fixtures/seed.jsonl").as_bytes();
    let n = check_dir(Path::new("fixtures/queries"), &|| database_of(seed));
    assert!(n >= 10, "found only {n} golden files");
}

#[test]
fn golden_queries_on_liar2() {
    let Ok(liar2) = std::fs::read("../shared/data/liar2.jsonl") else {
        eprintln!("skipping: ../shared/data/liar2.jsonl is not beside the repository");
        return;
    };
    let n = check_dir(Path::new("fixtures/queries/liar2"), &|| database_of(&liar2));
    assert!(n >= 5, "found only {n} golden files");
}
