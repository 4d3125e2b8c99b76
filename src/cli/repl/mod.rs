//! The interactive shell: `evident repl` (and `evident demo`).
//!
//! - On a terminal: a line editor (rustyline) where a statement runs when it
//!   is complete (`;` optional) and Enter inside an unfinished one continues
//!   it on the next line (`validate`); Tab completes what fits where the
//!   cursor is (`complete`); the input is coloured as it is typed
//!   (`highlight`); whole statements are kept in a history file across
//!   sessions (`history`); lines starting with `.` are meta commands
//!   (`meta`). Ctrl-C abandons the input, Ctrl-D leaves. Lines typed ahead
//!   while a statement runs, or pasted, are kept and run in turn (rustyline
//!   keeps what it read past a line for the next prompt); a paste of
//!   statements on their own lines runs them one by one, `;` or not.
//! - On a dumb terminal (`TERM=dumb`): the same, read line by line with
//!   plain prompts and no editing.
//! - When standard input is not a terminal: the whole input runs as a script,
//!   as `evident query --file` would run it, except that lines starting with
//!   `.` are meta commands; it stops with exit status 1 at the first failure.
//!
//! Everything a session does goes through [`Session`], which reads complete
//! inputs and writes to any `Write`, so tests drive it without a terminal.

mod complete;
mod highlight;
mod history;
mod lex;
mod meta;
mod validate;

use super::{EXIT_ERROR, format_duration, run};
use complete::CatalogCache;
use evident::query::ast::StatementKind;
use evident::render::{Format, TableStyle};
use evident::{Database, Params};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{
    Behavior, ColorMode, CompletionType, Editor, EventHandler, KeyCode, KeyEvent, Modifiers,
};
use std::borrow::Cow;
use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use validate::Completeness;

/// Longest input read from a pipe (as `evident query` reads).
const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;
/// Scripts read with `.read` may read others, this deep.
const MAX_READ_DEPTH: usize = 16;
/// Line numbers in error messages count from the start of a script only up
/// to here; past it, a statement's errors count from the last meta command
/// (padding the statement with that many line breaks would cost too much).
const MAX_PADDED_LINES: usize = 50_000;

/// Runs the shell on `db`. `format` defaults to a table on a terminal and
/// JSON Lines otherwise; `banner` replaces the greeting.
pub fn run(db: &Database, format: Option<Format>, banner: Option<&str>) -> ExitCode {
    let format = format.unwrap_or_else(|| run::default_format(None));
    let mut session = Session::new(db, format);
    // Results go to this process's standard output (`handle_line`'s `out`).
    session.terminal = io::stdout().is_terminal();
    if !io::stdin().is_terminal() {
        return run_piped(&mut session);
    }
    let greeting = match banner {
        Some(banner) => banner.to_owned(),
        None => format!(
            "evident {} on {}\nType .help for help, Ctrl-D or .quit to leave.",
            env!("CARGO_PKG_VERSION"),
            db.path().display()
        ),
    };
    eprintln!("{greeting}");
    let term = std::env::var("TERM").ok();
    if term.as_deref() == Some("dumb") {
        return run_plain(&mut session);
    }
    let no_color = std::env::var("NO_COLOR").ok();
    let colors = highlight::colors_wanted(
        io::stdout().is_terminal(),
        term.as_deref(),
        no_color.as_deref(),
    );
    run_editor(&mut session, colors)
}

/// What a session should do after an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on reading.
    Continue,
    /// Something failed (and was reported); a script stops here, the
    /// interactive shell goes on.
    Failed,
    /// `.quit` / `.exit`.
    Quit,
}

/// One shell session: its database, settings, and the catalog completion
/// offers from.
pub struct Session<'db> {
    db: &'db Database,
    format: Format,
    timer: bool,
    catalog: Rc<CatalogCache<'db>>,
    /// The scripts being read with `.read`, innermost last.
    reading: Vec<PathBuf>,
    /// `.pager`: whether long results go through a pager (on a terminal).
    pager: bool,
    /// Whether the `out` the session is given is a terminal (then results
    /// may be paged); never in tests.
    terminal: bool,
    /// `.output FILE`: where results go instead of `out`.
    output: Option<Redirect>,
    /// `.once FILE`: where the next results go.
    once: Option<Redirect>,
}

/// A file results are sent to (`.output`, `.once`).
struct Redirect {
    file: std::fs::File,
}

impl Redirect {
    fn create(path: &std::path::Path) -> Result<Redirect, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Redirect { file })
    }
}

impl<'db> Session<'db> {
    /// A session on `db` printing in `format`.
    pub fn new(db: &'db Database, format: Format) -> Session<'db> {
        Session {
            db,
            format,
            timer: false,
            catalog: Rc::new(CatalogCache::new(db)),
            reading: Vec::new(),
            pager: true,
            terminal: false,
            output: None,
            once: None,
        }
    }

    /// Writes results (a statement's, or a meta command's) where they go:
    /// to `.once`'s file, else `.output`'s, else to `out`, through the pager
    /// when they are long and `out` is a terminal. A file gets whole table
    /// cells and no pager. `write` says whether it succeeded.
    fn results_to(
        &mut self,
        out: &mut dyn Write,
        write: &mut dyn FnMut(&mut dyn Write, TableStyle) -> bool,
    ) -> bool {
        let whole = TableStyle { width: None };
        if let Some(mut once) = self.once.take() {
            return write(&mut once.file, whole);
        }
        if let Some(output) = &mut self.output {
            return write(&mut output.file, whole);
        }
        let style = if self.format == Format::Table {
            run::table_style()
        } else {
            whole
        };
        match run::pager_from_env(self.pager && self.terminal) {
            Some(pager) => {
                let mut paging = run::Paging::new(out, pager);
                let ok = write(&mut paging, style);
                // The user may quit the pager early: not an error.
                let _ = paging.finish();
                ok
            }
            None => write(out, style),
        }
    }

    /// Handles one complete input, as the line editor returns it: a meta
    /// command, or one or more statements. Results go to `out`; messages
    /// and errors (rendered exactly as `evident query` renders them) to `err`.
    /// Text pasted at the prompt may hold several statements on their own
    /// lines without `;` between them: they run one by one.
    pub fn handle_line(&mut self, input: &str, out: &mut dyn Write, err: &mut dyn Write) -> Flow {
        self.run_input(input, true, out, err)
    }

    /// Runs a script: lines starting with `.` are meta commands, the lines
    /// between them run as statements (as `evident query --file` runs them).
    /// Stops at the first failure.
    pub fn run_text(&mut self, text: &str, out: &mut dyn Write, err: &mut dyn Write) -> Flow {
        self.run_input(text, false, out, err)
    }

    /// [`Session::run_text`], and with `pasted`, statements on their own
    /// lines need no `;` between them.
    fn run_input(
        &mut self,
        text: &str,
        pasted: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Flow {
        let mut chunk = String::new();
        let mut chunk_line = 0;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            if !meta::is_meta_line(line, &chunk) {
                chunk.push_str(line);
                continue;
            }
            let flow = self.run_chunk(&chunk, chunk_line, pasted, out, err);
            chunk.clear();
            if flow != Flow::Continue {
                return flow;
            }
            let flow = self.meta(line.trim(), out, err);
            if flow != Flow::Continue {
                return flow;
            }
            chunk_line = index + 1;
        }
        self.run_chunk(&chunk, chunk_line, pasted, out, err)
    }

    /// Runs the statements between two meta commands, which start on line
    /// `first_line` (0-based); with `pasted`, split where `;` was left out.
    fn run_chunk(
        &mut self,
        text: &str,
        first_line: usize,
        pasted: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Flow {
        if !pasted {
            return self.run_statements(text, first_line, out, err);
        }
        for (line, piece) in validate::split_pasted(text) {
            let flow = self.run_statements(piece, first_line + line, out, err);
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    }

    /// Runs statements that start on line `first_line` (0-based) of the
    /// input, so that errors give the line in the whole input.
    fn run_statements(
        &mut self,
        text: &str,
        first_line: usize,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Flow {
        if lex::is_blank(text) {
            return Flow::Continue;
        }
        let padded;
        let script = if first_line > 0
            && first_line <= MAX_PADDED_LINES
            && text.len() + first_line <= evident::query::MAX_SCRIPT_BYTES
        {
            padded = format!("{}{text}", "\n".repeat(first_line));
            padded.as_str()
        } else {
            text
        };
        let started = Instant::now();
        let (db, format) = (self.db, self.format);
        let ok = self.results_to(out, &mut |out, style| {
            run::run_script_styled(db, script, &Params::new(), format, style, out, err)
        });
        let elapsed = started.elapsed();
        if self.timer {
            let _ = writeln!(err, "time: {}", format_duration(elapsed));
        }
        if changes_data(script) {
            self.catalog.invalidate();
        }
        if ok { Flow::Continue } else { Flow::Failed }
    }
}

/// Whether a script adds or retracts records (the catalog is then stale).
fn changes_data(script: &str) -> bool {
    evident::query::parse_script(script).is_ok_and(|statements| {
        statements
            .iter()
            .any(|s| matches!(s.kind, StatementKind::Add(_) | StatementKind::Retract(_)))
    })
}

/// Standard input is not a terminal: run it all as a script.
fn run_piped(session: &mut Session) -> ExitCode {
    let mut bytes = Vec::new();
    if let Err(e) = io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES)
        .read_to_end(&mut bytes)
    {
        eprintln!("could not read standard input: {e}");
        return ExitCode::from(EXIT_ERROR);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("the script on standard input is not valid UTF-8");
        return ExitCode::from(EXIT_ERROR);
    };
    let flow = session.run_text(&text, &mut io::stdout().lock(), &mut io::stderr());
    if flow == Flow::Failed {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// Adds a statement to the history (and its file), warning once if the file
/// cannot be written.
struct HistoryKeeper {
    path: Option<PathBuf>,
    warned: bool,
}

impl HistoryKeeper {
    fn new() -> HistoryKeeper {
        HistoryKeeper {
            path: history::default_path(),
            warned: false,
        }
    }

    fn load(&mut self, history: &mut FileHistory) {
        if let Some(path) = &self.path
            && let Err(e) = history::load(history, path)
        {
            eprintln!("{e}");
        }
    }

    fn record(&mut self, history: &mut FileHistory, entry: &str) {
        let result = match &self.path {
            Some(path) => history::record(history, path, entry).map(|_| ()),
            None => rustyline::history::History::add(history, entry)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = result
            && !self.warned
        {
            eprintln!("{e}");
            self.warned = true;
        }
    }
}

/// A dumb terminal: lines read one by one, plain prompts, no editing.
fn run_plain(session: &mut Session) -> ExitCode {
    let mut keeper = HistoryKeeper::new();
    let mut history = FileHistory::with_config(&history::config().build());
    keeper.load(&mut history);
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            validate::PROMPT
        } else {
            validate::CONTINUATION_PROMPT
        };
        print!("{prompt}");
        let _ = io::stdout().flush();
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => {
                println!();
                return ExitCode::SUCCESS;
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("could not read standard input: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
        pending.push_str(&String::from_utf8_lossy(&line));
        let entry = pending.trim_end().to_owned();
        match validate::check(&entry) {
            Completeness::Incomplete => continue,
            Completeness::Blank => {}
            Completeness::Complete => {
                keeper.record(&mut history, &entry);
                if session.handle_line(&entry, &mut io::stdout(), &mut io::stderr()) == Flow::Quit {
                    return ExitCode::SUCCESS;
                }
            }
        }
        pending.clear();
    }
}

/// A terminal: the line editor.
fn run_editor(session: &mut Session, colors: bool) -> ExitCode {
    let mut config = history::config()
        .completion_type(CompletionType::List)
        // The highlighter also draws the continuation prompt, so it always runs;
        // it leaves colours out itself when they are not wanted.
        .color_mode(ColorMode::Forced);
    if !io::stdout().is_terminal() {
        // Keep prompts and editing on the terminal, results in the pipe.
        config = config.behavior(Behavior::PreferTerm);
    }
    let mut editor: Editor<ReplHelper, FileHistory> = match Editor::with_config(config.build()) {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("could not start the line editor: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    editor.set_helper(Some(ReplHelper {
        catalog: Rc::clone(&session.catalog),
        hinter: HistoryHinter::new(),
        files: FilenameCompleter::new(),
        colors,
    }));
    // Ctrl-J too: it is what Enter arrives as when typed ahead while a
    // statement runs (the terminal, not in raw mode then, turns CR into LF).
    for key in [
        KeyEvent(KeyCode::Enter, Modifiers::NONE),
        KeyEvent::ctrl('J'),
    ] {
        editor.bind_sequence(
            key,
            EventHandler::Conditional(Box::new(validate::ContinueOnEnter)),
        );
    }
    // Ctrl-C abandons the input by submitting it flagged, not through
    // rustyline's `Interrupt`: an interrupted `readline` drops the keys it
    // has read ahead (typed or pasted after the Ctrl-C), a submitted one
    // keeps them for the next prompt.
    let abandoned = Arc::new(AtomicBool::new(false));
    editor.bind_sequence(
        KeyEvent::ctrl('C'),
        EventHandler::Conditional(Box::new(validate::Abandon(Arc::clone(&abandoned)))),
    );
    // While a statement runs the terminal is not in raw mode, so Ctrl-C is a
    // signal: it stops the statement, not the shell. (While a line is being
    // edited, rustyline reads Ctrl-C as a key and abandons the input.)
    if let Err(e) = super::stop::on_ctrl_c() {
        eprintln!("note: Ctrl-C will end the shell ({e})");
    }
    let mut keeper = HistoryKeeper::new();
    keeper.load(editor.history_mut());
    let prompt = if colors {
        (
            validate::PROMPT.to_owned(),
            format!(
                "{}{}{}",
                highlight::PROMPT,
                validate::PROMPT,
                highlight::RESET
            ),
        )
    } else {
        (validate::PROMPT.to_owned(), validate::PROMPT.to_owned())
    };
    loop {
        match editor.readline(&prompt) {
            Ok(_) if abandoned.swap(false, Ordering::Relaxed) => continue,
            Ok(input) => {
                let entry = input.trim_end();
                if validate::check(entry) == Completeness::Blank {
                    continue;
                }
                keeper.record(editor.history_mut(), entry);
                if session.handle_line(entry, &mut io::stdout(), &mut io::stderr()) == Flow::Quit {
                    return ExitCode::SUCCESS;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("the line editor failed: {e}");
                return ExitCode::from(EXIT_ERROR);
            }
        }
    }
}

/// What the line editor asks of the shell: completions, hints, colours and
/// whether Enter runs the input.
struct ReplHelper<'db> {
    catalog: Rc<CatalogCache<'db>>,
    hinter: HistoryHinter,
    files: FilenameCompleter,
    colors: bool,
}

impl Completer for ReplHelper<'_> {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if meta::takes_file(line, pos) {
            return self.files.complete(line, pos, ctx);
        }
        let catalog = self.catalog.get();
        let (start, candidates) = complete::complete(line, pos, &catalog);
        let pairs = candidates
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper<'_> {
    type Hint = String;

    /// The rest of the latest statement in the history that starts with
    /// what is typed, up to the end of its line.
    fn hint(&self, line: &str, pos: usize, ctx: &rustyline::Context<'_>) -> Option<String> {
        let hint = self.hinter.hint(line, pos, ctx)?;
        let first_line = hint.split('\n').next().unwrap_or_default();
        (!first_line.is_empty()).then(|| first_line.to_owned())
    }
}

impl Highlighter for ReplHelper<'_> {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colors && !line.contains('\n') {
            return Cow::Borrowed(line);
        }
        Cow::Owned(highlight::highlight(line, self.colors))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colors {
            Cow::Owned(format!("{}{hint}{}", highlight::DIM, highlight::RESET))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.colors || line.contains('\n')
    }
}

impl Validator for ReplHelper<'_> {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        validate::StatementValidator.validate(ctx)
    }
}

impl rustyline::Helper for ReplHelper<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const DATA: &str = r#"{"type":"source","id":"lab","title":"Independent lab","kind":"report","reliability":0.9}
{"type":"source","id":"ceo","title":"CEO statement","kind":"statement","affiliations":["Acme"]}
{"type":"claim","id":"c1","text":"Model X scores 72%","subject":"Model X","tags":["benchmark"]}
{"type":"claim","id":"c2","text":"Acme is profitable","subject":"Acme"}
{"type":"evidence","id":"e1","claim":"c1","source":"lab","stance":"supports"}
{"type":"evidence","id":"e2","claim":"c2","source":"ceo","stance":"supports"}
"#;

    /// A database holding [`DATA`], in a directory that lives as long as it.
    pub(super) fn test_db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(dir.path().join("db")).unwrap();
        db.import_jsonl(DATA.as_bytes()).unwrap();
        (dir, db)
    }

    /// Runs `input` through a fresh session; returns the flow, stdout and stderr.
    pub(super) fn run(db: &Database, input: &str) -> (Flow, String, String) {
        let mut session = Session::new(db, Format::Jsonl);
        run_in(&mut session, input)
    }

    pub(super) fn run_in(session: &mut Session, input: &str) -> (Flow, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let flow = session.handle_line(input, &mut out, &mut err);
        (
            flow,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn statements_print_like_the_one_shot_command() {
        let (_dir, db) = test_db();
        let (flow, out, err) = run(&db, "claims where status = verified select id");
        assert_eq!(
            (flow, out.as_str(), err.as_str()),
            (Flow::Continue, "{\"id\":\"c1\"}\n", "")
        );
        // `;` is optional, and several statements may come at once.
        let (flow, out, _) = run(&db, "count claims; count sources;");
        assert_eq!(
            (flow, out.as_str()),
            (Flow::Continue, "{\"count\":2}\n{\"count\":2}\n")
        );
        // Errors are rendered as `evident query` renders them, and are not the end.
        let (flow, out, err) = run(&db, "claims where staus = verified");
        assert_eq!(flow, Flow::Failed);
        assert_eq!(out, "");
        let mut expected = Vec::new();
        assert!(!run::run_script(
            &db,
            "claims where staus = verified",
            &Params::new(),
            Format::Jsonl,
            &mut Vec::new(),
            &mut expected
        ));
        assert_eq!(err, String::from_utf8(expected).unwrap());
        assert!(err.contains("did you mean \"status\"?"), "{err}");
    }

    #[test]
    fn pasted_statements_need_no_semicolons_but_scripts_do() {
        let (_dir, db) = test_db();
        let pasted = "count claims\ncount sources\nclaims where status = verified select id\n";
        let (flow, out, err) = run(&db, pasted);
        assert_eq!(flow, Flow::Continue, "{err}");
        assert_eq!(out, "{\"count\":2}\n{\"count\":2}\n{\"id\":\"c1\"}\n");
        // A mistake in the third statement of a paste is on line 3.
        let (flow, out, err) = run(&db, "count claims\ncount sources\nclaims wher x\n");
        assert_eq!(flow, Flow::Failed);
        assert_eq!(out, "{\"count\":2}\n{\"count\":2}\n");
        assert!(err.contains("line 3"), "{err}");
        // A script (piped, or `.read`) is read as `query --file` reads it.
        let mut session = Session::new(&db, Format::Jsonl);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(session.run_text(pasted, &mut out, &mut err), Flow::Failed);
        assert!(out.is_empty());
    }

    #[test]
    fn blank_input_does_nothing() {
        let (_dir, db) = test_db();
        assert_eq!(run(&db, ""), (Flow::Continue, String::new(), String::new()));
        assert_eq!(
            run(&db, "  -- a comment\n"),
            (Flow::Continue, String::new(), String::new())
        );
    }

    #[test]
    fn writes_refresh_the_completion_catalog() {
        let (_dir, db) = test_db();
        let mut session = Session::new(&db, Format::Jsonl);
        assert_eq!(
            session
                .catalog
                .get()
                .values_of(evident::model::Kind::Claim, "subject"),
            vec!["Acme", "Model X"]
        );
        let (flow, _, err) = run_in(
            &mut session,
            r#"add claim {id: c3, text: "t", subject: "Zeta"}"#,
        );
        assert_eq!(flow, Flow::Continue, "{err}");
        assert_eq!(
            session
                .catalog
                .get()
                .values_of(evident::model::Kind::Claim, "subject"),
            vec!["Acme", "Model X", "Zeta"]
        );
        let (flow, _, _) = run_in(&mut session, "retract c3");
        assert_eq!(flow, Flow::Continue);
        assert_eq!(
            session
                .catalog
                .get()
                .values_of(evident::model::Kind::Claim, "subject"),
            vec!["Acme", "Model X"]
        );
    }

    #[test]
    fn scripts_mix_meta_commands_and_statements() {
        let (_dir, db) = test_db();
        let script = "-- a script\n.format csv\ncount claims\n  where status = verified;\n.format jsonl\nsources select id\n";
        let (flow, out, err) = run(&db, script);
        assert_eq!(flow, Flow::Continue, "{err}");
        assert_eq!(out, "count\n1\n{\"id\":\"ceo\"}\n{\"id\":\"lab\"}\n");
    }

    #[test]
    fn scripts_stop_at_the_first_failure_with_the_line_of_the_whole_script() {
        let (_dir, db) = test_db();
        let script = "count claims\n.timer on\n\nclaims where staus = x;\ncount sources\n";
        let (flow, out, err) = run(&db, script);
        assert_eq!(flow, Flow::Failed);
        assert_eq!(
            out, "{\"count\":2}\n",
            "the statement after the failure does not run"
        );
        assert!(err.contains("line 4"), "{err}");
        // A failing meta command stops a script too.
        let (flow, out, err) = run(&db, ".frobnicate\ncount claims\n");
        assert_eq!((flow, out.as_str()), (Flow::Failed, ""));
        assert!(err.contains("unknown command"), "{err}");
        // `.quit` ends it early, successfully.
        let (flow, out, _) = run(&db, "count claims\n.quit\ncount sources\n");
        assert_eq!((flow, out.as_str()), (Flow::Quit, "{\"count\":2}\n"));
    }

    #[test]
    fn a_dot_line_inside_a_string_is_not_a_meta_command() {
        let (_dir, db) = test_db();
        let script = "add claim {id: c9, text: \"first line\n.second line\"};\nclaims where id = c9 select text\n";
        let (flow, out, err) = run(&db, script);
        assert_eq!(flow, Flow::Continue, "{err}");
        assert!(
            out.ends_with("\n{\"text\":\"first line\\n.second line\"}\n"),
            "{out}"
        );
    }
}
