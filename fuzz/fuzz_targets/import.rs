#![no_main]
use evident::Database;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path().join("fuzz.db")).unwrap();
    match db.import_jsonl(data) {
        Ok(_) => {
            let mut out = Vec::new();
            db.export_jsonl(&mut out).unwrap();
            let _ = db.check();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
