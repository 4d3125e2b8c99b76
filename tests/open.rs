//! What opening a database writes. sled 0.34 blanked every free segment of
//! its file, whole, at every open, so a read-only query of a database with
//! many free segments wrote hundreds of megabytes; the vendored copy
//! (`vendor/sled/EVIDENT.md`) leaves a segment that is already blank as it
//! is, and the log's tail too. Its own file: it counts what this process
//! writes.

#![cfg(target_os = "linux")]

use evident::Database;
use std::path::Path;

/// The bytes this process has passed to write calls (`wchar` in
/// `/proc/self/io`), every thread counted.
fn written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").expect("/proc/self/io");
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("a wchar line")
}

/// Claims whose texts change with `round`, enough to rewrite megabytes.
fn claims(round: u32) -> String {
    (0..20_000)
        .map(|c| {
            format!(
                "{{\"type\":\"claim\",\"id\":\"c{c}\",\"text\":\"claim {c}, version {round}: {}\"}}\n",
                "words enough to make each record take some room ".repeat(3)
            )
        })
        .collect()
}

/// What opening the database at `path` and counting its claims writes.
fn written_by_an_open(path: &Path) -> u64 {
    let before = written();
    let db = Database::open(path).expect("opens");
    db.query("count claims").expect("counts");
    drop(db);
    written() - before
}

#[test]
fn an_open_does_not_rewrite_blank_free_segments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).expect("creates");
        for round in 0..3 {
            db.import_jsonl(claims(round).as_bytes()).expect("imports");
        }
    }
    // The rewrites freed segments, which the next open blanks (512 KiB each).
    let first = written_by_an_open(&path);
    assert!(
        first >= 2 * 512 * 1024,
        "the first open after the rewrites wrote {first} bytes: no free segment to blank"
    );
    // They are blank now: later opens leave them so, and so is the tail of
    // the log's last segment, which sled shredded (and synced) at every open
    // until the vendored copy left an already shredded tail alone. A
    // read-only open writes nothing (an open may still blank a segment the
    // one before freed: the least of three).
    let later = (0..3).map(|_| written_by_an_open(&path)).min().unwrap_or(0);
    assert!(
        later < 4096 && later * 4 < first,
        "later opens wrote at least {later} bytes (the first {first})"
    );
}
