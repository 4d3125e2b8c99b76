//! One function per command of SPEC section 6.

use super::run::{self, Paging, default_format, pager_from_env, run_script};
use super::{EXIT_ERROR, files, repl};
use evident::render::Format;
use evident::serve::{ServeOptions, Server, read_token_file};
use evident::{Connection, Database, ImportFormat, ImportOptions};
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
    params: &evident::Params,
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
            let _ = super::stop::on_ctrl_c();
            let mut paging = Paging::new(&mut stdout, pager);
            let ok = run_script(&db, &text, params, format, &mut paging, &mut io::stderr());
            // The user may quit the pager early: not an error.
            let _ = paging.finish();
            ok
        }
        None => run_script(&db, &text, params, format, &mut stdout, &mut io::stderr()),
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
    // The shell may add records, so it opens (and if need be creates) the
    // database, or works through the process that holds it.
    let db = match Connection::open(db_path) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    say_if_upgraded(&db, db_path);
    // While it is open, the shell serves the database to other processes
    // as `evident serve` does (SPEC 10).
    let server = db.database().and_then(|held| {
        Server::start(Arc::clone(held), &ServeOptions::default())
            .inspect_err(|e| {
                eprintln!(
                    "note: other processes cannot use the database while the shell is open: {e}"
                )
            })
            .ok()
    });
    let code = repl::run(&db, format.and_then(Format::from_name), None);
    drop(server);
    code
}

/// `evident serve`: holds the database and answers other processes until
/// stopped (Ctrl-C, or a signal to end).
pub fn serve(db_path: &Path, listen: Option<String>, token_file: Option<&Path>) -> ExitCode {
    let token = match token_file.map(read_token_file) {
        Some(Ok(token)) => Some(token),
        Some(Err(e)) => return fail(e),
        None => None,
    };
    if listen.is_some() && token.is_none() {
        eprintln!(
            "--listen needs --token-file FILE: every TCP request must carry the token in the file"
        );
        return ExitCode::from(super::EXIT_USAGE);
    }
    let db = match Connection::open(db_path) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    say_if_upgraded(&db, db_path);
    let Some(held) = db.database() else {
        return fail(format!(
            "the database at {} is already served by another process ({})",
            db_path.display(),
            db.holder().unwrap_or_default()
        ));
    };
    let server = match Server::start(Arc::clone(held), &ServeOptions { listen, token }) {
        Ok(server) => server,
        Err(e) => return fail(e),
    };
    let (stop, stopped) = std::sync::mpsc::channel();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = stop.send(());
    }) {
        eprintln!(
            "note: the socket will be left behind on Ctrl-C ({e}); the next process to open the database removes it"
        );
    }
    match server.tcp_address() {
        Some(address) => eprintln!(
            "serving {} on {} and http://{address} (Ctrl-C to stop)",
            db_path.display(),
            server.socket().display()
        ),
        None => eprintln!(
            "serving {} on {} (Ctrl-C to stop)",
            db_path.display(),
            server.socket().display()
        ),
    }
    let _ = stopped.recv();
    server.stop();
    eprintln!("stopped serving {}", db_path.display());
    ExitCode::SUCCESS
}

/// The format `--from` (with `--type` and `--makers`) names; `None` for
/// JSON Lines. An error is a bad command line.
pub fn import_format(
    from: &str,
    kind: Option<&str>,
    makers: Option<std::path::PathBuf>,
) -> Result<Option<ImportFormat>, String> {
    if makers.is_some() && from != "epoch" {
        return Err("--makers goes with --from epoch".into());
    }
    if kind.is_some() && from != "csv" {
        return Err("--type goes with --from csv".into());
    }
    Ok(match from {
        "jsonl" => None,
        "epoch" => Some(ImportFormat::Epoch { makers }),
        "eee" => Some(ImportFormat::Eee),
        "csv" => {
            let kind = kind
                .and_then(evident::model::Kind::from_name)
                .ok_or("--from csv needs --type KIND: the kind of record each row is (source, claim, evidence or result)")?;
            Some(ImportFormat::Csv(kind))
        }
        other => {
            return Err(format!(
                "unknown import format \"{other}\": --from takes {}",
                ImportFormat::NAMES.join(", ")
            ));
        }
    })
}

/// The bytes under a path: a file's size, or a directory's files' sizes.
fn size_under(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

pub fn import(
    db_path: &Path,
    files: &[std::path::PathBuf],
    skip_invalid: bool,
    format: Option<&ImportFormat>,
) -> ExitCode {
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
    let missing = !db_path.exists();
    let db = match Connection::open(db_path) {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    say_if_upgraded(&db, db_path);
    // Another process may have created it at the same moment, and filled
    // it before this one got in: only a database held here and empty when
    // opened is this import's to remove.
    let created = missing
        && db.holder().is_none()
        && db
            .counters()
            .is_ok_and(|c| c.records.iter().all(|&n| n == 0));
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
    // Each file is one import, but the files of a format that shares
    // records between them (Epoch, Every Eval Ever) are one together.
    let units: Vec<&[std::path::PathBuf]> = match format {
        Some(f) if f.is_one_import() => vec![files],
        _ => files.chunks(1).collect(),
    };
    for unit in units {
        let name = unit
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let size = unit.iter().map(|p| size_under(p)).sum();
        let compressed = format.is_none()
            && unit
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "gz"));
        let bar = progress_bar(size, &name, compressed);
        let started = Instant::now();
        let options = ImportOptions { skip_invalid };
        let result = match (format, unit) {
            (Some(format), _) => db
                .import_files_with(format, &name, unit, options, &mut |bytes| {
                    bar.set_position(bytes)
                })
                .map_err(|e| e.to_string()),
            (None, [path]) => match files::open_input(path) {
                Ok(reader) => db
                    .import_jsonl_with(&name, reader, options, &mut |bytes| bar.set_position(bytes))
                    .map_err(|e| e.to_string()),
                // One that cannot be read (a directory) fails alone too.
                Err(e) => Err(format!("{name}: {e}")),
            },
            (None, _) => return fail("internal: one JSON Lines file at a time"),
        };
        bar.finish_and_clear();
        match result {
            Ok(report) => {
                imported_any = true;
                kept.store(true, Ordering::SeqCst);
                files::write_import_report(&mut io::stderr(), &name, &report, started.elapsed())
            }
            // Each file is an import of its own (SPEC 3): the next is
            // still imported.
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    let local = db.holder().is_none();
    if created && !imported_any {
        // Removed while still held here, so no other process has opened it
        // since (one waiting for it finds no database, and makes its own).
        let _ = std::fs::remove_dir_all(db_path);
    }
    drop(db);
    if !ok {
        return ExitCode::from(EXIT_ERROR);
    }
    if !local {
        return ExitCode::SUCCESS;
    }
    // sled writes its recovery snapshot only when a database is opened,
    // so the first process after a large import would replay the whole
    // import's log (~80 ms for 1.29M results). Pay that here, once.
    // Its error is the user's to know: the next command would meet it.
    // "In use" is not: another process opened it since (and pays the
    // replay itself).
    match Database::open_existing(db_path) {
        Ok(_) | Err(evident::Error::Store(evident::StoreError::InUse(_))) => ExitCode::SUCCESS,
        Err(e) => fail(format!(
            "the import finished, but reopening the database failed: {e}"
        )),
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

/// `evident export [-o FILE] [--history]`: the records as JSON Lines, or
/// with `history` every recorded write (SPEC 9).
pub fn export(db_path: &Path, output: Option<&Path>, history: bool) -> ExitCode {
    let (db, _copy) = match open_to_read(db_path) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let write = |out: &mut dyn Write| match history {
        true => db.export_history_jsonl(out),
        false => db.export_jsonl(out),
    };
    let result = match output {
        Some(path) if history => std::fs::File::create(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|file| write(&mut io::BufWriter::new(file)).map_err(|e| e.to_string())),
        Some(path) => files::export_to_file(&db, path),
        None => match write(&mut io::BufWriter::new(io::stdout().lock())) {
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
        Ok(n) if history => {
            eprintln!("exported {n} recorded writes");
            ExitCode::SUCCESS
        }
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
fn open_to_read(db_path: &Path) -> Result<(Connection, Option<ScratchCopy>), ExitCode> {
    let e = match Connection::open_existing(db_path) {
        Ok(db) => {
            say_if_upgraded(&db, db_path);
            return Ok((db, None));
        }
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
            let db = Connection::local(db);
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
        Ok(db) => Connection::local(db),
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
            ok &= run_script(
                &db,
                q,
                &evident::Params::new(),
                Format::Table,
                &mut out,
                &mut io::stderr(),
            );
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

/// SPEC 5: a database of an earlier format is upgraded in place when it is
/// opened, saying so on standard error (by the process that opened it: a
/// holder has said so already).
fn say_if_upgraded(db: &Connection, path: &Path) {
    if let Some(from) = db.database().and_then(|held| held.upgraded_from()) {
        eprintln!(
            "upgraded {} from format {from} to the current format (benchmark-claim indexes built)",
            path.display()
        );
    }
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
