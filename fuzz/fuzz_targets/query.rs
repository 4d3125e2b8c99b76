#![no_main]
use evident::Database;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static DB: OnceLock<(tempfile::TempDir, Database)> = OnceLock::new();

fn db() -> &'static Database {
    &DB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("fuzz.db")).unwrap();
        let seed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/seed.jsonl")).unwrap();
        db.import_jsonl(&seed[..]).unwrap();
        (dir, db)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let db = db();
    match db.run_script(src) {
        Ok(outs) => {
            for o in outs {
                use evident::render::{write_output, Format, TableStyle};
                for f in [Format::Table, Format::Json, Format::Jsonl, Format::Csv] {
                    let mut buf = Vec::new();
                    write_output(&mut buf, &o, f, TableStyle { width: Some(80) }).unwrap();
                }
            }
        }
        Err(e) => {
            let _ = e.render(src);
        }
    }
});
