//! Golden files: every `fixtures/queries/NAME.evq` runs against the seed
//! fixture and its output (rows as JSON Lines, then any error exactly as
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
    });
    let mut text = String::from_utf8(out).expect("utf-8");
    if let Err(e) = result {
        text.push_str(&e.render(script));
        text.push('\n');
    }
    text
}

#[test]
fn golden_queries() {
    let dir = Path::new("fixtures/queries");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures/queries")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "evq"))
    {
        // A fresh database per file: some files add and retract.
        let tmp = tempfile::tempdir().expect("temp dir");
        let db = Database::open(tmp.path().join("db")).expect("opens");
        db.import_jsonl(include_str!("../fixtures/seed.jsonl").as_bytes())
            .expect("seed imports");
        let script = std::fs::read_to_string(&path).expect("reads");
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
        n += 1;
    }
    assert!(n >= 10, "found only {n} golden files");
    assert!(
        failures.is_empty(),
        "{} golden files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
