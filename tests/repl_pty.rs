//! The shell end to end. Through a real terminal: tmux runs `evident repl`,
//! the test types into it and reads the screen. And with standard input
//! from a pipe, where it runs the input as a script.
//!
//! The terminal test needs tmux (Debian/Ubuntu package `tmux`; `.ci/run`
//! installs it). Without it the test prints a note and passes.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long to wait for the screen to show something.
const PATIENCE: Duration = Duration::from_secs(20);

/// A tmux server of our own (its own socket), killed when the test ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn send_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "repl", "-l", text])
                .status
                .success()
        );
    }

    fn send_key(&self, key: &str) {
        assert!(self.run(&["send-keys", "-t", "repl", key]).status.success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-t", "repl", "-p"]).stdout)
            .into_owned()
    }

    /// Waits until the screen satisfies `ok`; fails with the screen if it never does.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if started.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn session_alive(&self) -> bool {
        self.run(&["has-session", "-t", "repl"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Single-quotes a path for the shell tmux runs the command with.
fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

const DATA: &str = r#"{"type":"source","id":"lab","title":"Independent lab","kind":"report","reliability":0.9}
{"type":"source","id":"ceo","title":"CEO statement","kind":"statement","affiliations":["Acme"]}
{"type":"claim","id":"c1","text":"Model X is fast","subject":"Model X"}
{"type":"claim","id":"c2","text":"Acme is profitable","subject":"Acme"}
{"type":"evidence","id":"e1","claim":"c1","source":"lab","stance":"supports"}
{"type":"evidence","id":"e2","claim":"c2","source":"ceo","stance":"supports"}
"#;

/// Starts `evident repl` on `db` in a tmux session of its own (`name` keeps
/// the sockets of tests running at once apart) and waits for the prompt.
fn start_repl(name: &str, xdg: &Path, db: &Path) -> Tmux {
    let tmux = Tmux {
        socket: format!("evident-test-{name}-{}", std::process::id()),
    };
    let command = format!(
        "env XDG_DATA_HOME={} TERM=xterm-256color COLUMNS=100 {} --db {} repl",
        shell_quote(xdg),
        shell_quote(Path::new(env!("CARGO_BIN_EXE_evident"))),
        shell_quote(db)
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "repl",
        "-x",
        "120",
        "-y",
        "50",
        &command,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    tmux.wait_for("the prompt", |s| s.contains("evident>"));
    tmux
}

#[test]
fn a_session_at_a_terminal() {
    if !tmux_available() {
        eprintln!("note: tmux is not installed (package `tmux`); skipping the terminal test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("small.jsonl");
    std::fs::write(&data, DATA).expect("writes the data");
    let xdg = dir.path().join("xdg");
    let db = dir.path().join("db");
    let tmux = start_repl("session", &xdg, &db);

    // Import through the meta command.
    tmux.send_text(&format!(".import {}", data.display()));
    tmux.send_key("Enter");
    tmux.wait_for("the import summary", |s| {
        s.contains("2 claims") && s.contains("6 added")
    });

    // A statement over two lines: Enter after `where` continues it.
    tmux.send_key("C-l");
    tmux.send_text("claims where");
    tmux.send_key("Enter");
    tmux.wait_for("the continuation prompt", |s| s.contains("...>"));
    tmux.send_text("status = unresolved select id, subject");
    tmux.send_key("Enter");
    let screen = tmux.wait_for("the rows", |s| s.contains("(1 row)"));
    assert!(
        screen.contains("evident> claims where\n    ...> status = unresolved select id, subject"),
        "{screen}"
    );
    assert!(screen.contains("c2") && screen.contains("Acme"), "{screen}");
    assert!(!screen.contains("c1 "), "c1 is verified: {screen}");

    // Tab completes `cou` to `count`.
    tmux.send_key("C-l");
    tmux.send_text("cou");
    tmux.send_key("Tab");
    tmux.wait_for("the completion", |s| {
        s.lines().any(|l| l.trim_end() == "evident> count")
    });
    tmux.send_text(" claims group by status");
    tmux.send_key("Enter");
    let screen = tmux.wait_for("the count", |s| s.contains("(2 rows)"));
    assert!(
        screen.contains("unresolved") && screen.contains("verified"),
        "{screen}"
    );

    // A mistake is reported as the one-shot command reports it, and the session goes on.
    tmux.send_key("C-l");
    tmux.send_text("claims where staus = verified");
    tmux.send_key("Enter");
    tmux.wait_for("the error", |s| s.contains("did you mean \"status\"?"));
    tmux.wait_for("the next prompt", |s| s.trim_end().ends_with("evident>"));

    // Ctrl-C abandons the input; Up brings the two-line statement back whole.
    tmux.send_key("C-l");
    tmux.send_text("claims where (status");
    // The keys after Ctrl-C go at once: the shell must not lose those it
    // reads together with the Ctrl-C.
    assert!(
        tmux.run(&["send-keys", "-t", "repl", "C-c", "Up", "Up", "Up"])
            .status
            .success()
    );
    tmux.wait_for("the statement from history", |s| {
        s.contains("evident> claims where\n    ...> status = unresolved select id, subject")
    });
    tmux.send_key("C-c");
    // Keys typed before the editor is back on a fresh line can be dropped
    // by the terminal as it switches modes: wait for the prompt.
    tmux.wait_for("a fresh prompt", |s| s.trim_end().ends_with("evident>"));

    tmux.send_text(".quit");
    tmux.send_key("Enter");
    let started = Instant::now();
    while tmux.session_alive() {
        assert!(
            started.elapsed() < PATIENCE,
            "the shell did not leave: {}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // The history was kept, whole statements, readable by the owner only.
    let history_file = xdg.join("evident").join("history");
    let history = std::fs::read_to_string(&history_file).expect("the history file");
    assert!(
        history.contains("claims where\\n         status = unresolved select id, subject"),
        "{history}"
    );
    assert!(
        history.contains("count claims group by status"),
        "{history}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&history_file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn lines_typed_ahead_or_pasted_all_run() {
    if !tmux_available() {
        eprintln!("note: tmux is not installed (package `tmux`); skipping the terminal test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("small.jsonl");
    std::fs::write(&data, DATA).expect("writes the data");
    let xdg = dir.path().join("xdg");
    let db = dir.path().join("db");
    // Keys typed while a statement runs are kept too: the import and the
    // lines after it go in one burst, without waiting for a prompt.
    let tmux = start_repl("burst", &xdg, &db);
    let import = format!(".import {}", data.display());
    let keys = [
        ".format csv",
        "Enter",
        &import,
        "Enter",
        "count claims",
        "Enter",
        "count sources",
        "Enter",
        "count evidence",
        "Enter",
    ];
    let sent = tmux.run(&[&["send-keys", "-t", "repl"][..], &keys[..]].concat());
    assert!(sent.status.success());
    let screen = tmux.wait_for("three counts", |s| {
        s.lines().filter(|l| l.trim() == "2").count() >= 3 && s.trim_end().ends_with("evident>")
    });
    let counts: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("6 added"))
        .filter(|l| l.trim() == "2")
        .collect();
    assert_eq!(counts.len(), 3, "{screen}");

    // A bracketed paste of statements on their own lines, without `;`,
    // runs them one by one once Enter is pressed.
    tmux.wait_for("the next prompt", |s| s.trim_end().ends_with("evident>"));
    tmux.send_key("C-l");
    tmux.wait_for("a clear screen", |s| s.trim() == "evident>");
    let buffer = tmux.run(&[
        "set-buffer",
        "claims where status = verified select id\nsources where id = lab select title",
    ]);
    assert!(buffer.status.success());
    assert!(
        tmux.run(&["paste-buffer", "-p", "-t", "repl"])
            .status
            .success()
    );
    tmux.send_key("Enter");
    let screen = tmux.wait_for("both results", |s| {
        s.contains("Independent lab") && s.trim_end().ends_with("evident>")
    });
    assert!(
        screen.contains("\nid\nc1\n") && !screen.contains("error"),
        "{screen}"
    );
    tmux.send_text(".quit");
    tmux.send_key("Enter");
}

/// Ctrl-C stops the statement running, and only it: the shell goes on, and
/// the next statement and `.export` run whole (one interrupt flag for the
/// whole database once stayed set, and `.export` kept saying "interrupted").
#[test]
fn ctrl_c_stops_the_running_statement_and_the_next_ones_run() {
    if !tmux_available() {
        eprintln!("note: tmux is not installed (package `tmux`); skipping the terminal test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let xdg = dir.path().join("xdg");
    // Enough evidence that following each one's claim takes seconds, even
    // on an idle machine (40,000 took under the 300 ms the test waits).
    let mut data =
        String::from(r#"{"type":"source","id":"lab","title":"Independent lab","reliability":0.9}"#);
    data.push('\n');
    for i in 0..200_000 {
        data += &format!(
            "{{\"type\":\"claim\",\"id\":\"c{i}\",\"text\":\"claim {i}\",\"subject\":\"S\"}}\n\
             {{\"type\":\"evidence\",\"id\":\"e{i}\",\"claim\":\"c{i}\",\"source\":\"lab\",\"stance\":\"supports\"}}\n"
        );
    }
    evident::Database::open(&db)
        .expect("opens")
        .import_jsonl(data.as_bytes())
        .expect("imports");
    let tmux = start_repl("ctrlc", &xdg, &db);
    for _ in 0..3 {
        tmux.send_text(
            "count evidence where claim.text ~ \"nowhere\" or claim.subject ~ \"nowhere\" or source.title ~ \"nowhere\"",
        );
        tmux.send_key("Enter");
        std::thread::sleep(Duration::from_millis(300));
        tmux.send_key("C-c");
        tmux.wait_for("the statement stopped", |s| s.contains("interrupted"));
        tmux.send_key("C-l");
        tmux.wait_for("a clear screen", |s| !s.contains("interrupted"));
    }
    let export = dir.path().join("all.jsonl");
    tmux.send_text(&format!(".export {}", export.display()));
    tmux.send_key("Enter");
    tmux.wait_for("the export", |s| s.contains("exported 400001 records"));
    tmux.send_text("count claims");
    tmux.send_key("Enter");
    tmux.wait_for("the count", |s| s.contains("200000"));
    assert!(tmux.session_alive());
}

/// Runs `evident --db DB repl` with `input` on standard input.
fn run_piped(db: &Path, input: &str) -> Output {
    common::with_input(
        Command::new(env!("CARGO_BIN_EXE_evident"))
            .arg("--db")
            .arg(db)
            .arg("repl")
            .env_remove("NO_COLOR"),
        input,
    )
}

#[test]
fn piped_input_runs_as_a_script() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("small.jsonl");
    std::fs::write(&data, DATA).expect("writes the data");
    let db = dir.path().join("db");
    let script = format!(
        ".import {}\ncount claims;\n.format csv\nclaims where\n  status = unresolved\n  select id, subject\n",
        data.display()
    );
    let out = run_piped(&db, &script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // No prompt, no banner, no colour: only the results on standard output.
    assert_eq!(stdout, "{\"count\":2}\nid,subject\nc2,Acme\n");
    assert!(stderr.contains("6 added"), "{stderr}");
    assert!(
        !stderr.contains("evident>") && !stderr.contains('\x1b'),
        "{stderr}"
    );
}

#[test]
fn piped_input_stops_at_the_first_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let out = run_piped(
        &db,
        &format!(
            "{}\ncount claims;\nclaims where staus = verified;\ncount sources\n",
            "-- a script"
        ),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // The statement after the failing one does not run.
    assert_eq!(stdout, "{\"count\":0}\n");
    assert!(
        stderr.contains("line 3") && stderr.contains("did you mean \"status\"?"),
        "{stderr}"
    );

    let out = run_piped(&db, "count claims\n.frobnicate\ncount sources\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"count\":0}\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown command \".frobnicate\""));
}

/// `evident query` with no script, at a terminal, says it is reading one
/// and how to end it, instead of waiting in silence; then runs what was typed.
#[test]
fn query_without_a_script_at_a_terminal_says_how_to_end_it() {
    if !tmux_available() {
        eprintln!("note: tmux is not installed (package `tmux`); skipping the terminal test");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let data = dir.path().join("small.jsonl");
    std::fs::write(&data, DATA).expect("writes the data");
    let bin = Path::new(env!("CARGO_BIN_EXE_evident"));
    let imported = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&data)
        .output()
        .expect("imports");
    assert!(imported.status.success());
    let tmux = Tmux {
        socket: format!("evident-test-query-{}", std::process::id()),
    };
    // The shell stays after evident exits, so its output can be read.
    let command = format!(
        "{} --db {} query --format jsonl; echo exited $?; sleep 30",
        shell_quote(bin),
        shell_quote(&db)
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "repl",
        "-x",
        "200",
        "-y",
        "20",
        &command,
    ]);
    assert!(started.status.success());
    tmux.wait_for("the hint", |s| {
        s.contains("reading a script from standard input; end it with Ctrl-D")
    });
    tmux.send_text("count claims");
    tmux.send_key("Enter");
    tmux.send_key("C-d");
    let screen = tmux.wait_for("the count", |s| s.contains("exited 0"));
    assert!(screen.contains("{\"count\":2}"), "{screen}");
}
