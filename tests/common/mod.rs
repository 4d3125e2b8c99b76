//! Helpers the engine-level test binaries share (each `tests/*.rs` is its
//! own crate; this module is included by `mod common;`).

use evident::{Database, Error, ImportOptions};

/// A fresh database in a temporary directory (kept alive by the guard).
pub fn temp_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    (dir, db)
}

/// Imports JSON Lines text, named `test.jsonl` in messages.
pub fn import_str(db: &Database, text: &str) -> Result<evident::ImportReport, Error> {
    db.import_jsonl_with(
        "test.jsonl",
        text.as_bytes(),
        ImportOptions::default(),
        &mut |_| {},
    )
}

/// The database's JSON Lines export.
pub fn export_string(db: &Database) -> String {
    let mut out = Vec::new();
    db.export_jsonl(&mut out).expect("exports");
    String::from_utf8(out).expect("utf-8")
}
