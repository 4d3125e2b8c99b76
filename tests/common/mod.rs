//! Helpers the test binaries share (each `tests/*.rs` is its own crate;
//! this module is included by `mod common;`): databases for the engine
//! tests, and copying and killing for the tests that damage databases
//! (`crash.rs`, `faults.rs`).

// Each test binary uses some of these, never all.
#![allow(dead_code)]

use evident::{Database, Error, ImportOptions};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs the `evident` binary on the database at `db` and waits for it.
pub fn evident(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("runs")
}

/// A temporary directory for a fixture that a `static` holds, removed when
/// the process exits. Statics are never dropped, so a `TempDir` kept in one
/// outlives the process: every run of the suite left its fixtures in /tmp,
/// and a machine that runs it often (CI) filled its disk with them.
pub fn static_temp_dir() -> std::path::PathBuf {
    use std::sync::Mutex;
    static DIRS: Mutex<Vec<tempfile::TempDir>> = Mutex::new(Vec::new());
    extern "C" fn remove_all() {
        if let Ok(mut dirs) = DIRS.lock() {
            dirs.clear();
        }
    }
    unsafe extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    let mut dirs = DIRS.lock().expect("not poisoned");
    if dirs.is_empty() {
        // SAFETY: `atexit` takes a function of no arguments that does not
        // unwind; `remove_all` neither panics nor unwinds.
        let registered = unsafe { atexit(remove_all) };
        assert_eq!(registered, 0, "atexit registers");
    }
    dirs.push(dir);
    path
}

/// A fresh database in a temporary directory (kept alive by the guard).
pub fn temp_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(dir.path().join("db")).expect("opens");
    (dir, db)
}

/// Imports JSON Lines text, named `test.jsonl` in messages.
pub fn import_str(db: &Database, text: &str) -> Result<evident::ImportReport, Error> {
    import_str_with(db, text, ImportOptions::default())
}

/// [`import_str`] with `options`.
pub fn import_str_with(
    db: &Database,
    text: &str,
    options: ImportOptions,
) -> Result<evident::ImportReport, Error> {
    db.import_jsonl_with("test.jsonl", text.as_bytes(), options, &mut |_| {})
}

/// The database's JSON Lines export.
pub fn export_string(db: &Database) -> String {
    let mut out = Vec::new();
    db.export_jsonl(&mut out).expect("exports");
    String::from_utf8(out).expect("utf-8")
}

/// Copies a database directory (sled's files are plain files).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("lists").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copies");
        }
    }
}

/// Runs a command and kills it (SIGKILL) after `delay`, if it is still
/// running then.
pub fn kill_after(cmd: &mut Command, delay: Duration) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `cmd` with `input` on its standard input, and its output captured.
pub fn with_input(cmd: &mut Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes())
        .expect("writes the input");
    child.wait_with_output().expect("ends")
}

/// Whether this process ignores SIGINT, as every child it starts then does
/// (a non-interactive shell starts background commands so: `.ci/run &`).
/// A child whose Ctrl-C ends it by the signal's default action cannot be
/// stopped by one then, and a test of that has nothing to test.
pub fn sigint_ignored() -> bool {
    // `SigIgn:` is a hexadecimal mask; SIGINT (2) is its second bit.
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("SigIgn:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << 1) != 0)
    })
}
