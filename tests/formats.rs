//! Golden files for the output formats: `fixtures/formats/script.evq` runs
//! through the real binary (`evident query --format F`, into a pipe) on a
//! fresh copy of the seed fixture, once per format, and standard output
//! must equal `fixtures/formats/F.out`. Run with `UPDATE_GOLDEN=1` to
//! rewrite the `.out` files, then read the diff.

mod common;
use common::evident;
use std::path::Path;

const FORMATS: [&str; 7] = ["table", "json", "jsonl", "csv", "tsv", "markdown", "line"];

#[test]
fn every_format_on_the_seed() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for format in FORMATS {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("seed.db");
        let imported = evident(&db, &["import", "fixtures/seed.jsonl"]);
        assert!(imported.status.success(), "{imported:?}");
        let out = evident(
            &db,
            &[
                "query",
                "--file",
                "fixtures/formats/script.evq",
                "--format",
                format,
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {stderr}");
        assert_eq!(stderr, "added claim c:fmt\n", "{format}");
        let got = String::from_utf8(out.stdout).expect("utf-8");
        let expected_path = Path::new("fixtures/formats").join(format!("{format}.out"));
        if update {
            std::fs::write(&expected_path, &got).expect("writes");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{format}:\n--- expected\n{expected}\n--- got\n{got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} formats differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The numbers of every format but `table` are those of `jsonl`, digit for digit.
#[test]
fn numbers_are_written_as_jsonl_writes_them() {
    let read = |format: &str| {
        std::fs::read_to_string(format!("fixtures/formats/{format}.out")).expect("golden file")
    };
    let jsonl = read("jsonl");
    // The weight 0.5 × 0.6 of `c:training-has-moved-on`'s refutation.
    let exact = "0.3";
    assert!(jsonl.contains("\"weight\":0.3"), "{jsonl}");
    for format in ["csv", "tsv", "markdown", "line"] {
        assert!(read(format).contains(exact), "{format}");
    }
    // The claim's confidence, which the table rounds.
    let confidence = jsonl
        .split("\"confidence\":")
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .expect("a confidence");
    for format in ["csv", "tsv", "markdown", "line"] {
        assert!(read(format).contains(confidence), "{format}: {confidence}");
    }
}
