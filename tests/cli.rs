//! The real binary: exit codes, where output goes, and what a read never does.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn evident(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("runs")
}

fn with_stdin(db: &std::path::Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("writes");
    child.wait_with_output().expect("waits")
}

fn seeded() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("seed.db");
    let out = evident(&db, &["import", "fixtures/seed.jsonl"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, db)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails, showing the whole output, unless it contains `needle`.
#[track_caller]
fn assert_contains(output: &[u8], needle: &str) {
    let output = text(output);
    assert!(output.contains(needle), "expected {needle:?} in:\n{output}");
}

#[test]
fn json_output_has_the_fixed_shape_and_nothing_else_on_stdout() {
    let (_dir, db) = seeded();
    let out = evident(
        &db,
        &[
            "query",
            "count claims group by status; results where id = \"r:spacex-grok-code-2/swebv\"",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one array per statement: {stdout}");
    assert_eq!(
        lines[0],
        r#"[{"status":"contested","count":4},{"status":"refuted","count":3},{"status":"unresolved","count":9},{"status":"verified","count":10}]"#
    );
    // Section 1 order, absent values as null.
    assert!(lines[1].starts_with(r#"[{"id":"r:spacex-grok-code-2/swebv","model":"Grok Code 2","benchmark":"SWE-bench Verified","value":74.0,"metric":"#), "{}", lines[1]);
    let out = evident(
        &db,
        &[
            "query",
            "claims where status = refuted limit 1 select id, status",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(
        text(&out.stdout),
        "{\"id\":\"c:colossus-turbines-retired\",\"status\":\"refuted\"}\n"
    );
    let out = evident(
        &db,
        &[
            "query",
            "claims where status = refuted limit 1 select id, status",
            "--format",
            "csv",
        ],
    );
    assert_eq!(
        text(&out.stdout),
        "id,status\nc:colossus-turbines-retired,refuted\n"
    );
}

#[test]
fn piped_output_defaults_to_jsonl_and_tables_count_rows() {
    let (_dir, db) = seeded();
    let out = evident(&db, &["query", "count sources"]);
    assert_eq!(text(&out.stdout), "{\"count\":17}\n");
    let out = evident(
        &db,
        &["query", "sources limit 2 select id", "--format", "table"],
    );
    assert!(
        text(&out.stdout).ends_with("(2 rows)\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_failing_statement_stops_the_script_with_exit_1() {
    let (_dir, db) = seeded();
    let out = evident(&db, &["query", "count claims; count cliams; count sources"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"count\":26}\n",
        "the first statement ran, the third did not"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 1, column 21") && stderr.contains("did you mean \"claims\"?"),
        "{stderr}"
    );
}

#[test]
fn a_bad_command_line_is_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("x.db");
    assert_eq!(evident(&db, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        evident(&db, &["query", "--format", "yaml", "count claims"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(evident(&db, &["import"]).status.code(), Some(2));
}

#[test]
fn reading_commands_never_create_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("missing.db");
    for args in [&["query", "count claims"][..], &["export"], &["check"]] {
        let out = evident(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_contains(&out.stderr, "no database at");
        assert!(!db.exists(), "{args:?} created the database");
    }
}

#[test]
fn scripts_from_stdin_and_files_and_hostile_input() {
    let (dir, db) = seeded();
    let out = with_stdin(
        &db,
        &["query", "-"],
        b"count claims -- a comment\n; count sources",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"count\":26}\n{\"count\":17}\n");
    let script = dir.path().join("q.evq");
    std::fs::write(&script, "count evidence").expect("writes");
    let out = evident(
        &db,
        &["query", "--file", script.to_str().expect("utf-8 path")],
    );
    assert_eq!(text(&out.stdout), "{\"count\":72}\n");

    let out = with_stdin(&db, &["query", "-"], b"claims where text ~ \"\xff\xfe\"");
    assert_eq!(out.status.code(), Some(1));
    assert_contains(&out.stderr, "not valid UTF-8");
    let out = with_stdin(&db, &["query", "-"], b"claims where \0 = 1");
    assert_eq!(out.status.code(), Some(1), "NUL is an error, not a crash");
    let deep = format!(
        "claims where {}status = verified{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let out = with_stdin(&db, &["query", "-"], deep.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_contains(&out.stderr, "too");
}

#[test]
fn a_second_process_is_told_the_database_is_in_use() {
    let (_dir, db) = seeded();
    let held = evident::Database::open(&db).expect("opens");
    let out = evident(&db, &["query", "count claims"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("is in use by another evident process"),
        "{stderr}"
    );
    drop(held);
    assert!(evident(&db, &["query", "count claims"]).status.success());
}

#[test]
fn something_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "hello").expect("writes");
    let out = evident(&file, &["import", "fixtures/seed.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert_contains(&out.stderr, "is not an evident database");
    assert_eq!(std::fs::read_to_string(&file).expect("reads"), "hello");

    // A damaged store file: a clear error, no panic.
    let (_d, db) = seeded();
    let store_file = db.join("db");
    let mut bytes = std::fs::read(&store_file).expect("reads");
    for b in bytes.iter_mut().skip(64).step_by(7) {
        *b ^= 0x5A;
    }
    std::fs::write(&store_file, &bytes).expect("writes");
    let out = evident(&db, &["check"]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a damaged database does not pass check"
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn import_reports_every_bad_line_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"type\":\"claim\",\"id\":\"c1\"}\n# comment\n\n{\"type\":\"claim\",\"id\":\"c2\",\"text\":\"t\",\"created\":\"2023-13-01\"}\n").expect("writes");
    let out = evident(&db, &["import", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.jsonl:1: text: missing"), "{stderr}");
    assert!(stderr.contains("bad.jsonl:4: created:"), "{stderr}");
    let out = evident(
        &db,
        &["import", "--skip-invalid", bad.to_str().expect("utf-8")],
    );
    assert!(out.status.success());
    assert_contains(&out.stderr, "2 invalid lines skipped");
}

#[test]
fn database_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<evident::Database>();
}

#[test]
fn a_store_that_lost_finished_writes_is_refused() {
    // sled reads a damaged log segment as the torn end of its log and would
    // open an empty database; the write mark turns that into an error.
    let (_dir, db) = seeded();
    let store_file = db.join("db");
    let mut bytes = std::fs::read(&store_file).expect("reads");
    for b in bytes.iter_mut().skip(64).step_by(7) {
        *b ^= 0x5A;
    }
    std::fs::write(&store_file, &bytes).expect("writes");
    for args in [&["check"][..], &["query", "count claims"]] {
        let out = evident(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_contains(&out.stderr, "the database is damaged");
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    }
}

#[test]
fn streamed_rows_match_the_collected_formats() {
    let (_dir, db) = seeded();
    // In id order rows stream as found; sorted ones are collected. Both
    // must print the same bytes for the same rows.
    for format in ["json", "jsonl", "csv"] {
        let streamed = evident(
            &db,
            &[
                "query",
                "claims where status = refuted select id, status",
                "--format",
                format,
            ],
        );
        let collected = evident(
            &db,
            &[
                "query",
                "claims where status = refuted order by id select id, status",
                "--format",
                format,
            ],
        );
        assert!(streamed.status.success(), "{}", text(&streamed.stderr));
        assert_eq!(text(&streamed.stdout), text(&collected.stdout), "{format}");
        let none = evident(
            &db,
            &[
                "query",
                "claims where text ~ \"zzzz\" select id",
                "--format",
                format,
            ],
        );
        let expected = match format {
            "json" => "[]\n",
            "csv" => "id\n",
            _ => "",
        };
        assert_eq!(text(&none.stdout), expected, "{format}");
    }
}

/// Every file of a database directory with its bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("lists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("reads");
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn another_format_version_is_refused_and_left_untouched() {
    let (_dir, db) = seeded();
    std::fs::write(db.join("evident-format"), "evident format 99\n").expect("writes");
    let before = snapshot(&db);
    for args in [
        &["query", "count claims"][..],
        &["check"],
        &["import", "fixtures/seed.jsonl"],
    ] {
        let out = evident(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_contains(
            &out.stderr,
            "has format version 99, but this evident reads version",
        );
    }
    assert!(snapshot(&db) == before, "the database was changed");
}

#[test]
fn export_to_a_gz_file_imports_back() {
    let (dir, db) = seeded();
    let file = dir.path().join("all.jsonl.gz");
    let out = evident(&db, &["export", "-o", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_contains(&out.stderr, "exported 118 records");
    let bytes = std::fs::read(&file).expect("reads");
    assert!(bytes.starts_with(&[0x1f, 0x8b]), "gzip-compressed");
    assert!(!dir.path().join("all.jsonl.gz.partial").exists());
    let copy = dir.path().join("copy.db");
    let out = evident(&copy, &["import", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&evident(&copy, &["query", "count claims"]).stdout),
        "{\"count\":26}\n"
    );
}

#[test]
fn the_timer_goes_to_stderr_and_leaves_the_rows_alone() {
    let (_dir, db) = seeded();
    let plain = evident(&db, &["query", "count claims", "--format", "jsonl"]);
    let timed = evident(
        &db,
        &["query", "count claims", "--format", "jsonl", "--timer"],
    );
    assert!(timed.status.success(), "{}", text(&timed.stderr));
    assert_eq!(timed.stdout, plain.stdout);
    let stderr = text(&timed.stderr);
    let line = stderr.trim_end();
    assert!(
        line.starts_with("time: ")
            && line.contains(" (opening the database: ")
            && line.ends_with(')'),
        "{stderr}"
    );
    // A failing script is timed too, after its error.
    let failed = evident(&db, &["query", "count cliams", "--timer"]);
    assert_eq!(failed.status.code(), Some(1));
    assert_contains(&failed.stderr, "time: ");
}

#[test]
fn export_writes_into_a_pipe_or_through_a_link_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let (dir, db) = seeded();
    let expected = evident(&db, &["export"]).stdout;
    assert!(!expected.is_empty());

    // A named pipe (as /dev/stdout or /dev/null would be): written to, not replaced.
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).expect("reads the pipe"))
    };
    let out = evident(&db, &["export", "-o", fifo.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Checked before joining: a replaced pipe would leave the reader waiting.
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
    assert_eq!(reader.join().expect("reader"), expected);

    // A symbolic link: the file it names gets the export, the link stays.
    let real = dir.path().join("real.jsonl");
    std::fs::write(&real, b"old").expect("writes");
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(&real, &link).expect("links");
    let out = evident(&db, &["export", "-o", link.to_str().expect("utf-8 path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&real).expect("reads"), expected);

    // A dangling link: the file it names is made, the link stays.
    let missing = dir.path().join("missing.jsonl");
    let dangling = dir.path().join("dangling.jsonl");
    std::os::unix::fs::symlink(&missing, &dangling).expect("links");
    let out = evident(
        &db,
        &["export", "-o", dangling.to_str().expect("utf-8 path")],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let kind = std::fs::symlink_metadata(&dangling)
        .expect("link")
        .file_type();
    assert!(kind.is_symlink(), "the link was replaced by a {kind:?}");
    assert_eq!(std::fs::read(&missing).expect("reads"), expected);

    // `-o /dev/stdout` with standard output sent to a file: that file gets
    // the records and stays the same file (it is not renamed over).
    use std::os::unix::fs::MetadataExt;
    let target = dir.path().join("stdout.jsonl");
    let file = std::fs::File::create(&target).expect("creates");
    let inode = file.metadata().expect("metadata").ino();
    let status = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("--db")
        .arg(&db)
        .args(["export", "-o", "/dev/stdout"])
        .stdout(file)
        .status()
        .expect("runs");
    assert!(status.success());
    assert_eq!(std::fs::metadata(&target).expect("metadata").ino(), inode);
    assert_eq!(std::fs::read(&target).expect("reads"), expected);
}

#[test]
fn a_reader_that_leaves_early_is_not_an_error() {
    // `evident demo | head`: the pipe closes before the first line.
    for args in [&["demo"][..], &["query", "count claims; claims"]] {
        let (_dir, db) = seeded();
        let mut child = Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("waits");
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_one_shot_write_is_there_for_the_next_process() {
    // `query` exits without closing sled (every write is flushed when it
    // commits): what it wrote must be there for the next process, and the
    // database consistent.
    let (_dir, db) = seeded();
    let added = evident(
        &db,
        &[
            "query",
            "add claim { id: \"c:one-shot\", text: \"Written by a one-shot query\", subject: \"Acme\" }; \
             retract e:cursor-acquisition/cursor",
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let out = evident(
        &db,
        &[
            "query",
            "--format",
            "jsonl",
            "claims where subject = \"Acme\"",
        ],
    );
    assert_contains(&out.stdout, "Written by a one-shot query");
    let out = evident(
        &db,
        &[
            "query",
            "evidence where id = \"e:cursor-acquisition/cursor\"",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("cursor-acquisition/cursor"),
        "{}",
        text(&out.stdout)
    );
    let check = evident(&db, &["check"]);
    let report = [check.stdout, check.stderr].concat();
    assert!(check.status.success(), "{}", text(&report));
    assert_contains(&report, "the database is consistent");
}

#[test]
fn csv_numbers_keep_every_digit_that_jsonl_has() {
    let (_dir, db) = seeded();
    // 0.5 × 0.44 in f64: 0.22000000000000003.
    let query = "evidence where id = \"e:moved-on/article\" select id, weight";
    let jsonl = text(&evident(&db, &["query", query, "--format", "jsonl"]).stdout);
    let exact = jsonl
        .split("\"weight\":")
        .nth(1)
        .and_then(|rest| rest.strip_suffix("}\n"))
        .expect("a weight");
    assert!(exact.len() > 8, "a number with many digits: {exact}");
    let csv = evident(&db, &["query", query, "--format", "csv"]);
    assert_eq!(
        text(&csv.stdout),
        format!("id,weight\ne:moved-on/article,{exact}\n")
    );
    // The table alone rounds.
    let table = evident(&db, &["query", query, "--format", "table"]);
    assert_contains(&table.stdout, "┆ 0.22   │");
    assert!(!text(&table.stdout).contains(exact));
}

#[test]
fn the_new_formats_are_accepted_and_a_bad_one_lists_them() {
    let (_dir, db) = seeded();
    for format in ["tsv", "markdown", "line"] {
        let out = evident(&db, &["query", "count claims", "--format", format]);
        assert!(out.status.success(), "{format}: {}", text(&out.stderr));
    }
    let out = evident(&db, &["query", "count claims", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_contains(&out.stderr, "markdown");
}

/// Runs `command` (a shell command line) in a tmux terminal 100 × 20 and
/// returns the screen once it has printed `END`; `None` without tmux.
fn on_a_terminal(command: &str) -> Option<String> {
    let available = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("note: tmux is not installed (package `tmux`); skipping a terminal test");
        return None;
    }
    // A server of our own per call: a new one on the socket of one just
    // killed can fail to start.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let socket = format!("evident-cli-{}-{call}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let line = format!("{command}; echo \"END exit=$?\"; sleep 60");
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "100",
        "-y",
        "20",
        "sh",
        "-c",
        &line,
    ]);
    assert!(started.status.success(), "{started:?}");
    let since = std::time::Instant::now();
    let screen = loop {
        let screen = text(&tmux(&["capture-pane", "-t", "t", "-p"]).stdout);
        if screen.contains("END exit=") || since.elapsed() > std::time::Duration::from_secs(20) {
            break screen;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = tmux(&["kill-server"]);
    Some(screen)
}

#[test]
fn on_a_terminal_long_results_go_through_the_pager_and_short_ones_do_not() {
    let (_dir, db) = seeded();
    let evident = format!(
        "TERM=xterm {} --db '{}'",
        env!("CARGO_BIN_EXE_evident"),
        db.display()
    );
    // 26 claims: longer than the 20 rows of the screen.
    let Some(screen) = on_a_terminal(&format!(
        "PAGER='sed s/^/PAGED:/' {evident} query 'claims select id'"
    )) else {
        return;
    };
    assert!(screen.contains("PAGED:│ c:will-release-models"), "{screen}");
    assert!(screen.contains("PAGED:(26 rows)\n"), "{screen}");
    assert!(screen.contains("END exit=0"), "{screen}");
    // Short: straight to the terminal.
    let screen = on_a_terminal(&format!(
        "PAGER='sed s/^/PAGED:/' {evident} query 'count claims'"
    ))
    .unwrap_or_default();
    assert!(
        screen.contains("\n(1 row)\n") && !screen.contains("PAGED"),
        "{screen}"
    );
    // Into a pipe: never.
    let screen = on_a_terminal(&format!(
        "PAGER='sed s/^/PAGED:/' {evident} query --format table 'claims select id' | tail -1"
    ))
    .unwrap_or_default();
    assert!(screen.starts_with("(26 rows)\n"), "{screen}");
    // A pager quit early: the output ends quietly, with success.
    let screen = on_a_terminal(&format!(
        "PAGER='head -2' {evident} query 'evidence select id, note'"
    ))
    .unwrap_or_default();
    assert!(screen.starts_with("┌"), "{screen}");
    assert!(screen.contains("\nEND exit=0"), "{screen}");
    assert_eq!(screen.trim_end().lines().count(), 3, "{screen}");
    // A pager that cannot start: printed directly.
    let screen = on_a_terminal(&format!(
        "PAGER=/no/such/pager {evident} query 'claims select id'"
    ))
    .unwrap_or_default();
    assert!(screen.contains("\n(26 rows)\nEND exit=0"), "{screen}");
}
