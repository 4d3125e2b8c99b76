//! One function per command of SPEC section 6.

use super::run::{self, Paging, default_format, pager_from_env, run_script};
use super::{EXIT_ERROR, files, repl};
use evident::render::Format;
use evident::{Database, ImportOptions};
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The seed article's world, built into the binary for `evident demo`.
pub const SEED_FIXTURE: &str = include_str!("../../fixtures/seed.jsonl");

/// The exit status of a command stopped by Ctrl-C (128 + SIGINT, as a
/// shell reports a process the signal ended).
const EXIT_INTERRUPTED: i32 = 130;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(EXIT_ERROR)
}

pub fn query(
    db_path: &Path,
    script: Option<String>,
    file: Option<std::path::PathBuf>,
    format: Option<&str>,
    timer: bool,
) -> ExitCode {
    let text = match (script, file) {
        (Some(s), None) if s != "-" => s,
        (_, Some(path)) => match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    return fail(format!("{}: the script is not valid UTF-8", path.display()));
                }
            },
            Err(e) => return fail(format!("{}: {e}", path.display())),
        },
        (script, None) => {
            if let Some(hint) = stdin_hint(script.is_none(), io::stdin().is_terminal()) {
                eprintln!("{hint}");
            }
            let mut bytes = Vec::new();
            if let Err(e) = io::stdin()
                .lock()
                .take(64 * 1024 * 1024)
                .read_to_end(&mut bytes)
            {
                return fail(format!("could not read standard input: {e}"));
            }
            match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => return fail("the script on standard input is not valid UTF-8"),
            }
        }
    };
    let opening = Instant::now();
    let (db, _copy) = match open_to_read(db_path) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let opened = opening.elapsed();
    let format = default_format(format);
    let running = Instant::now();
    let mut stdout = io::stdout().lock();
    let ok = match pager_from_env(true) {
        Some(pager) => {
            // Ctrl-C reaches the pager too, which stays: stop the query
            // instead of the process, so that the pager is waited for and
            // the terminal is not left to two programs.
            let interrupt = db.interrupt_handle();
            let _ = ctrlc::set_handler(move || interrupt.interrupt());
            let mut paging = Paging::new(&mut stdout, pager);
            let ok = run_script(&db, &text, format, &mut paging, &mut io::stderr());
            // The user may quit the pager early: not an error.
            let _ = paging.finish();
            ok
        }
        None => run_script(&db, &text, format, &mut stdout, &mut io::stderr()),
    };
    if timer {
        // Standard output is flushed by now, so the time includes writing it.
        eprintln!("{}", run::timer_line(opened, running.elapsed()));
    }
    // Every write was flushed to disk when it committed, so closing sled
    // would only sync again and stop its threads: ~2 ms of a one-shot
    // query's ~15. Leaving without it is, to sled, a crash after a flush,
    // which it is built to survive (`a_one_shot_write_is_there_for_the_next_process`).
    std::mem::forget(db);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ERROR)
    }
}

/// What `evident query` says before it reads the script from standard
/// input: on a terminal, with no script given, it would otherwise wait in
/// silence for a script the user does not know to type. Nothing when the
/// script is piped in (or asked for with `-`), so scripts behave as ever.
fn stdin_hint(no_script: bool, stdin_is_terminal: bool) -> Option<&'static str> {
    const HINT: &str = if cfg!(windows) {
        "reading a script from standard input; end it with Ctrl-Z then Enter (or give it as an argument: evident query \"count claims\")"
    } else {
        "reading a script from standard input; end it with Ctrl-D on a line of its own (or give it as an argument: evident query \"count claims\")"
    };
    (no_script && stdin_is_terminal).then_some(HINT)
}

pub fn repl(db_path: &Path, format: Option<&str>) -> ExitCode {
    // The shell may add records, so it opens (and if need be creates) the database.
    match Database::open(db_path) {
        Ok(db) => repl::run(&db, format.and_then(Format::from_name), None),
        Err(e) => fail(e),
    }
}

pub fn import(db_path: &Path, files: &[std::path::PathBuf], skip_invalid: bool) -> ExitCode {
    // Check the files exist before creating a database for them.
    for path in files {
        if let Err(e) = File::open(path) {
            return fail(format!("{}: {e}", path.display()));
        }
    }
    // A database this import creates is removed again if nothing comes of
    // it (every file refused, or Ctrl-C): an empty database of a failed
    // import is only clutter, and a large import's can be 100s of MB. One
    // that existed before is never removed.
    let created = !db_path.exists();
    let db = match Database::open(db_path) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    // Set once a file is imported: the database then holds something.
    let kept = Arc::new(AtomicBool::new(false));
    if created {
        let path = db_path.to_owned();
        let kept = Arc::clone(&kept);
        // Only then is Ctrl-C caught; otherwise it ends the process as
        // before, and the unfinished write is rolled back when the database
        // is next opened.
        let _ = ctrlc::set_handler(move || {
            if kept.load(Ordering::SeqCst) {
                eprintln!("interrupted: the files imported before are kept");
            } else {
                let _ = std::fs::remove_dir_all(&path);
                eprintln!("interrupted: nothing was imported");
            }
            std::process::exit(EXIT_INTERRUPTED);
        });
    }
    let mut ok = true;
    let mut imported_any = false;
    for path in files {
        let name = path.display().to_string();
        let reader = match files::open_input(path) {
            Ok(r) => r,
            Err(e) => return fail(format!("{name}: {e}")),
        };
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let bar = progress_bar(size, &name, path.extension().is_some_and(|e| e == "gz"));
        let started = Instant::now();
        let result = db.import_jsonl_with(
            &name,
            reader,
            ImportOptions { skip_invalid },
            &mut |bytes| bar.set_position(bytes),
        );
        bar.finish_and_clear();
        match result {
            Ok(report) => {
                imported_any = true;
                kept.store(true, Ordering::SeqCst);
                files::write_import_report(&mut io::stderr(), &name, &report, started.elapsed())
            }
            Err(e) => {
                eprintln!("{e}");
                ok = false;
                break;
            }
        }
    }
    drop(db);
    if created && !imported_any {
        let _ = std::fs::remove_dir_all(db_path);
    }
    if ok {
        // sled writes its recovery snapshot only when a database is opened,
        // so the first process after a large import would replay the whole
        // import's log (~80 ms for 1.29M results). Pay that here, once.
        // Its error is the user's to know: the next command would meet it.
        match Database::open_existing(db_path) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail(format!(
                "the import finished, but reopening the database failed: {e}"
            )),
        }
    } else {
        ExitCode::from(EXIT_ERROR)
    }
}

fn progress_bar(size: u64, name: &str, compressed: bool) -> indicatif::ProgressBar {
    if !io::stderr().is_terminal() || compressed {
        // Bytes of a gzip stream do not map to the file size; show a spinner.
        let bar = if io::stderr().is_terminal() {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_message(format!("importing {name}"));
        return bar;
    }
    let bar = indicatif::ProgressBar::new(size);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("importing {name}"));
    bar
}

pub fn export(db_path: &Path, output: Option<&Path>) -> ExitCode {
    let (db, _copy) = match open_to_read(db_path) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let result = match output {
        Some(path) => files::export_to_file(&db, path),
        None => match db.export_jsonl(&mut io::BufWriter::new(io::stdout().lock())) {
            // The reader went away (`| head`): it has what it wanted, as
            // `query | head` ends.
            Err(evident::Error::Io { source, .. })
                if source.kind() == io::ErrorKind::BrokenPipe =>
            {
                return ExitCode::SUCCESS;
            }
            other => other.map_err(|e| e.to_string()),
        },
    };
    match result {
        Ok(n) => {
            eprintln!("exported {n} records");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

pub fn check(db_path: &Path) -> ExitCode {
    let (db, _copy) = match open_to_read(db_path) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    match db.check() {
        Ok(report) => {
            for line in &report.checked {
                eprintln!("ok: {line}");
            }
            for problem in &report.problems {
                eprintln!("problem: {problem}");
            }
            if report.problems.is_empty() {
                eprintln!("the database is consistent");
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "{} problem{} found",
                    report.problems.len(),
                    if report.problems.len() == 1 { "" } else { "s" }
                );
                ExitCode::from(EXIT_ERROR)
            }
        }
        Err(e) => fail(e),
    }
}

/// A copy of a database made to read it, removed when dropped.
struct ScratchCopy(std::path::PathBuf);

impl Drop for ScratchCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Opens an existing database for a command that only reads. Where it
/// cannot be opened in place for want of write access or space (sled
/// writes whenever it opens a database), it reads a copy made in the
/// temporary directory instead, saying so on standard error.
fn open_to_read(db_path: &Path) -> Result<(Database, Option<ScratchCopy>), ExitCode> {
    let e = match Database::open_existing(db_path) {
        Ok(db) => return Ok((db, None)),
        Err(evident::Error::Store(e)) if e.wants_a_copy() => e,
        Err(e) => return Err(fail(e)),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let scratch = std::env::temp_dir().join(format!("evident-copy-{}-{nanos}", std::process::id()));
    let copy = ScratchCopy(scratch.clone());
    match Database::open_copy(db_path, &scratch) {
        Ok(db) => {
            eprintln!(
                "note: {e}\nnote: reading a copy of it made in {} instead, removed afterwards \
                 (set TMPDIR to make it elsewhere)",
                scratch.display()
            );
            Ok((db, Some(copy)))
        }
        Err(copy_failed) => {
            drop(copy);
            Err(fail(format!(
                "{e}\n(reading a copy in {} failed too: {copy_failed}; set TMPDIR to a \
                 directory with room for a copy)",
                std::env::temp_dir().display()
            )))
        }
    }
}

/// Example questions shown by `evident demo` and run when it is not on a terminal.
pub const DEMO_QUESTIONS: &[&str] = &[
    "count claims group by status",
    "claims where status = verified select id, text, confidence",
    "claims where status = unresolved and subject = \"SpaceX\" select id, text",
    "claims where any evidence (source.kind = memo) select id, status, text",
    "explain c:spacex-model-swebench-74",
];

pub fn demo() -> ExitCode {
    let dir = std::env::temp_dir().join(format!("evident-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = match Database::open(&dir) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    if let Err(e) = db.import_jsonl_with(
        "fixtures/seed.jsonl",
        SEED_FIXTURE.as_bytes(),
        ImportOptions::default(),
        &mut |_| {},
    ) {
        return fail(e);
    }
    let code = if io::stdin().is_terminal() && io::stdout().is_terminal() {
        let mut banner = String::from(
            "evident demo: the claims of the seed article (SpaceX, xAI, Cursor), with their evidence.\nTry:\n",
        );
        for q in DEMO_QUESTIONS {
            banner.push_str(&format!("  {q};\n"));
        }
        banner.push_str("Type .help for help, .quit to leave.");
        repl::run(&db, None, Some(&banner))
    } else {
        let mut ok = true;
        let mut out = io::stdout().lock();
        for q in DEMO_QUESTIONS {
            match writeln!(out, "-- {q}") {
                Ok(()) => {}
                // The reader went away (`| head`): not an error of ours.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break,
                Err(e) => {
                    eprintln!("could not write the output: {e}");
                    ok = false;
                    break;
                }
            }
            ok &= run_script(&db, q, Format::Table, &mut out, &mut io::stderr());
        }
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_ERROR)
        }
    };
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    code
}

#[cfg(test)]
mod tests {
    use super::stdin_hint;

    #[test]
    fn only_a_terminal_with_no_script_is_told_how_to_end_it() {
        let hint = stdin_hint(true, true).expect("a hint on a terminal");
        assert!(hint.starts_with("reading a script from standard input; end it with Ctrl-"));
        // Piped in, or asked for with `-`: as silent as ever.
        assert_eq!(stdin_hint(true, false), None);
        assert_eq!(stdin_hint(false, true), None);
        assert_eq!(stdin_hint(false, false), None);
    }
}
