//! Running a script and writing its outputs: shared by the commands
//! (`evident query`, `evident demo`) and the shell, which both depend on
//! this module and not on each other.

use evident::render::{self, Format, TableStyle};
use evident::{Database, Output, Params, RowSink, Value};
use std::io::{self, IsTerminal, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The format to use when none is given: a table for people, JSON Lines for programs.
pub fn default_format(format: Option<&str>) -> Format {
    match format.and_then(Format::from_name) {
        Some(f) => f,
        None if io::stdout().is_terminal() => Format::Table,
        None => Format::Jsonl,
    }
}

/// Table layout for standard output: fit the terminal, never truncate into a pipe.
pub fn table_style() -> TableStyle {
    let width = io::stdout().is_terminal().then(terminal_width);
    TableStyle { width }
}

/// The width to fit: `$COLUMNS` if set (as psql and ls take it), else the
/// terminal's, else 100.
fn terminal_width() -> u16 {
    let columns = std::env::var("COLUMNS").ok();
    let reported = console::Term::stdout().size_checked().map(|(_, cols)| cols);
    width_of(columns.as_deref(), reported)
}

/// [`terminal_width`]'s choice. A width of 0 (a pty nobody sized, as under
/// some CI runners) is no width at all: it would cut every column to `sta…`.
fn width_of(columns: Option<&str>, reported: Option<u16>) -> u16 {
    columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .into_iter()
        .chain(reported)
        .find(|&w| w > 0)
        .unwrap_or(100)
}

/// What `query --timer` prints: the whole time, then its two parts, so
/// that the parts add up to it (`time: 3.14 ms (opening the database
/// 0.40 ms + running the script 2.74 ms)`). Running includes writing the
/// output.
pub fn timer_line(opening: std::time::Duration, running: std::time::Duration) -> String {
    format!(
        "time: {} (opening the database {} + running the script {})",
        super::format_duration(opening + running),
        super::format_duration(opening),
        super::format_duration(running)
    )
}

/// Runs a script, printing each statement's output as it completes;
/// stops at the first error, which it prints with a caret under the mistake.
/// A table fits the terminal if standard output is one.
pub fn run_script(
    db: &Database,
    script: &str,
    params: &Params,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let style = if format == Format::Table {
        table_style()
    } else {
        TableStyle { width: None }
    };
    run_script_styled(db, script, params, format, style, out, err)
}

/// [`run_script`] with the table layout given: a file gets whole cells
/// whatever standard output is.
pub fn run_script_styled(
    db: &Database,
    script: &str,
    params: &Params,
    format: Format,
    style: TableStyle,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let mut sink = ScriptOutput {
        // Standard output is line-buffered even into a pipe: one write per
        // row otherwise.
        out: io::BufWriter::with_capacity(1 << 16, out),
        err,
        format,
        style,
        rows: None,
        write_failed: None,
    };
    let result = db.run_each_streaming_with(script, params, &super::stop::fresh(), &mut sink);
    let _ = sink.out.flush();
    match (result, sink.write_failed) {
        // The reader went away (`| head`): not an error of ours.
        (_, Some(e)) if e.kind() == io::ErrorKind::BrokenPipe => true,
        (_, Some(e)) => {
            let _ = writeln!(sink.err, "could not write the output: {e}");
            false
        }
        (Err(e), None) => {
            let _ = writeln!(sink.err, "{}", e.render(script));
            false
        }
        (Ok(()), None) => true,
    }
}

/// Where a script's outputs go: rows to standard output as they are found,
/// messages to standard error.
struct ScriptOutput<'a> {
    out: io::BufWriter<&'a mut dyn Write>,
    err: &'a mut dyn Write,
    format: Format,
    style: TableStyle,
    /// The rows being streamed for the current statement, if any.
    rows: Option<render::RowWriter>,
    /// The first failed write; nothing more is written after it.
    write_failed: Option<io::Error>,
}

impl ScriptOutput<'_> {
    /// Keeps the first write error, and hands it back to stop the query.
    fn note(&mut self, result: io::Result<()>) -> io::Result<()> {
        if let Err(e) = &result
            && self.write_failed.is_none()
        {
            self.write_failed = Some(io::Error::new(e.kind(), e.to_string()));
        }
        result
    }
}

impl RowSink for ScriptOutput<'_> {
    fn begin(&mut self, columns: &[String]) -> io::Result<()> {
        let begun = render::RowWriter::with_style(&mut self.out, self.format, columns, self.style);
        let begun = begun.map(|w| self.rows = Some(w));
        self.note(begun)
    }

    fn row(&mut self, row: &[Value]) -> io::Result<()> {
        let written = match &mut self.rows {
            Some(rows) => rows.row(&mut self.out, row),
            None => Ok(()),
        };
        self.note(written)
    }

    fn done(&mut self, output: Output) {
        if let Some(message) = &output.message {
            let _ = writeln!(self.err, "{message}");
        }
        if self.write_failed.is_some() {
            return;
        }
        let written = match self.rows.take() {
            Some(rows) => rows.finish(&mut self.out),
            None => render::write_output(&mut self.out, &output, self.format, self.style),
        };
        // Flushed after each statement so that its output comes before the
        // next statement's messages on a shared terminal.
        let written = written.and_then(|()| self.out.flush());
        let _ = self.note(written);
        // After the rows (`(0 rows)`), which they explain.
        for note in &output.notes {
            let _ = writeln!(self.err, "note: {note}");
        }
    }
}

/// The pager used when `$PAGER` is not set (as psql and git use it: quit
/// at once if it fits, pass colours, leave the screen as it is).
pub const DEFAULT_PAGER: &str = "less -FRX";

/// The pager command to send results through, or `None` to print them
/// directly: never unless paging is `wanted` and standard output is a
/// terminal that can run one (not `TERM=dumb`); `$PAGER` set but empty
/// turns it off.
pub fn pager_command(
    wanted: bool,
    stdout_is_terminal: bool,
    term: Option<&str>,
    pager: Option<&str>,
) -> Option<String> {
    if !wanted || !stdout_is_terminal || term == Some("dumb") {
        return None;
    }
    match pager.map(str::trim) {
        None => Some(DEFAULT_PAGER.to_owned()),
        Some("") => None,
        Some(command) => Some(command.to_owned()),
    }
}

/// [`pager_command`] for this process's standard output and environment.
pub fn pager_from_env(wanted: bool) -> Option<String> {
    pager_command(
        wanted,
        io::stdout().is_terminal(),
        std::env::var("TERM").ok().as_deref(),
        std::env::var("PAGER").ok().as_deref(),
    )
}

/// The terminal's size in rows and columns (`$LINES` and `$COLUMNS` first),
/// else 24 × 80.
fn screen_size() -> (usize, usize) {
    let reported = console::Term::stdout().size_checked();
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    let rows = var("LINES").or(reported.map(|(r, _)| usize::from(r)));
    let cols = var("COLUMNS").or(reported.map(|(_, c)| usize::from(c)));
    (rows.unwrap_or(24), cols.unwrap_or(80))
}

/// Standard output on a terminal, through a pager once a statement's output
/// is longer than the screen (psql's rule): output is held until then, and
/// a short output goes straight to the terminal with no pager started.
///
/// `flush` marks the end of a statement ([`run_script`] flushes after each):
/// held output that fitted is written to the terminal then. Once the pager
/// runs, the rest of the output goes to it. A pager that cannot start is
/// skipped (the output is printed directly); one the user quits makes
/// further writes fail with a broken pipe, which ends the output quietly.
pub struct Paging<'a> {
    out: &'a mut dyn Write,
    command: String,
    /// Screen rows and columns.
    screen: (usize, usize),
    held: Vec<u8>,
    /// Screen rows the held output takes, and the column the last one is at.
    rows: usize,
    col: usize,
    pager: Option<(Child, Option<ChildStdin>)>,
    /// The pager could not start: print directly.
    direct: bool,
}

impl<'a> Paging<'a> {
    /// Pages what is written through `command` (a command line: run by
    /// `sh -c` if it has shell syntax, else split at spaces).
    pub fn new(out: &'a mut dyn Write, command: String) -> Paging<'a> {
        Paging::with_screen(out, command, screen_size())
    }

    fn with_screen(out: &'a mut dyn Write, command: String, screen: (usize, usize)) -> Paging<'a> {
        Paging {
            out,
            command,
            screen,
            held: Vec::new(),
            rows: 0,
            col: 0,
            pager: None,
            direct: false,
        }
    }

    /// Counts the screen rows `bytes` take (a character is a column; long
    /// lines wrap).
    fn count(&mut self, bytes: &[u8]) {
        let cols = self.screen.1.max(1);
        for &b in bytes {
            if b == b'\n' {
                self.rows += 1;
                self.col = 0;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
                if self.col > cols {
                    self.rows += 1;
                    self.col = 1;
                }
            }
        }
    }

    fn spawn(&self) -> io::Result<Child> {
        let command = self.command.trim();
        let mut child = if command.contains(|c: char| "|&;<>()$`\\\"'*?[]#~=%{}".contains(c)) {
            let mut sh = Command::new("sh");
            sh.arg("-c").arg(command);
            sh
        } else {
            let mut words = command.split_whitespace();
            let mut direct = Command::new(words.next().unwrap_or("less"));
            direct.args(words);
            direct
        };
        child.stdin(Stdio::piped()).spawn()
    }

    /// Starts the pager and hands it what was held; if it cannot start,
    /// prints what was held directly.
    fn start(&mut self) -> io::Result<()> {
        // What the terminal already has must come before the pager's screen.
        self.out.flush()?;
        let held = std::mem::take(&mut self.held);
        match self.spawn() {
            Ok(mut child) => {
                let stdin = child.stdin.take();
                self.pager = Some((child, stdin));
                self.write_all(&held)
            }
            Err(_) => {
                self.direct = true;
                self.out.write_all(&held)
            }
        }
    }

    /// Ends the output: writes what is held, or lets the pager finish and
    /// waits for the user to leave it.
    pub fn finish(mut self) -> io::Result<()> {
        self.end()
    }

    fn end(&mut self) -> io::Result<()> {
        if let Some((mut child, stdin)) = self.pager.take() {
            drop(stdin);
            child.wait()?;
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        self.out.write_all(&held)?;
        self.out.flush()
    }
}

impl Drop for Paging<'_> {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

impl Write for Paging<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some((_, stdin)) = &mut self.pager {
            return match stdin {
                Some(stdin) => stdin.write(buf),
                None => Err(io::ErrorKind::BrokenPipe.into()),
            };
        }
        if self.direct {
            return self.out.write(buf);
        }
        self.held.extend_from_slice(buf);
        self.count(buf);
        // Lines that fit leave a row for the prompt after them.
        if self.rows >= self.screen.0 {
            self.start()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some((_, Some(stdin))) = &mut self.pager {
            return stdin.flush();
        }
        // The statement fitted: it goes to the terminal, and the next
        // statement is measured on its own.
        let held = std::mem::take(&mut self.held);
        (self.rows, self.col) = (0, 0);
        self.out.write_all(&held)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pager_runs_only_on_a_terminal_when_wanted() {
        let choose = |wanted, tty, term, pager| pager_command(wanted, tty, term, pager);
        assert_eq!(
            choose(true, true, Some("xterm"), None).as_deref(),
            Some("less -FRX")
        );
        assert_eq!(
            choose(true, true, None, Some("most -s ")).as_deref(),
            Some("most -s")
        );
        assert_eq!(
            choose(true, false, Some("xterm"), None),
            None,
            "into a pipe or file"
        );
        assert_eq!(choose(false, true, Some("xterm"), None), None, ".pager off");
        assert_eq!(choose(true, true, Some("dumb"), None), None);
        assert_eq!(
            choose(true, true, Some("xterm"), Some(" ")),
            None,
            "PAGER= turns it off"
        );
    }

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("line {i}\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn short_output_goes_straight_to_the_terminal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paged = dir.path().join("paged");
        let mut out = Vec::new();
        let command = format!("cat > '{}'", paged.display());
        let mut paging = Paging::with_screen(&mut out, command, (24, 80));
        paging.write_all(&lines(10)).expect("writes");
        paging.flush().expect("flushes");
        // Each statement is measured on its own; 23 lines and the prompt
        // fit 24 rows.
        paging.write_all(&lines(23)).expect("writes");
        paging.finish().expect("ends");
        assert_eq!(out, [lines(10), lines(23)].concat());
        assert!(!paged.exists(), "no pager was started");
    }

    #[test]
    fn long_output_goes_through_the_pager() {
        let dir = tempfile::tempdir().expect("temp dir");
        let paged = dir.path().join("paged");
        let mut out = Vec::new();
        let command = format!("cat > '{}'", paged.display());
        let mut paging = Paging::with_screen(&mut out, command, (24, 80));
        paging
            .write_all(b"a line far wider than the screen, ")
            .expect("writes");
        paging.write_all(&[b'x'; 2000]).expect("writes");
        paging.write_all(&lines(30)).expect("writes");
        paging.flush().expect("flushes");
        paging.write_all(b"next\n").expect("writes");
        paging.finish().expect("ends");
        assert!(out.is_empty());
        let expected = [
            b"a line far wider than the screen, ".to_vec(),
            vec![b'x'; 2000],
            lines(30),
            b"next\n".to_vec(),
        ]
        .concat();
        assert_eq!(std::fs::read(&paged).expect("the pager wrote"), expected);
    }

    #[test]
    fn a_pager_that_cannot_start_is_skipped() {
        let mut out = Vec::new();
        let mut paging = Paging::with_screen(&mut out, "/no/such/pager -x".into(), (5, 80));
        paging.write_all(&lines(100)).expect("writes");
        paging.finish().expect("ends");
        assert_eq!(out, lines(100));
    }

    #[test]
    fn a_pager_quit_early_is_a_broken_pipe() {
        let mut out = Vec::new();
        let mut paging = Paging::with_screen(&mut out, "true".into(), (5, 80));
        let mut written = Ok(());
        for _ in 0..1000 {
            written = paging.write_all(&lines(100));
            if written.is_err() {
                break;
            }
        }
        let e = written.expect_err("the pager left");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        paging.finish().expect("ends quietly");
        assert!(out.is_empty());
    }

    #[test]
    fn the_width_comes_from_columns_then_the_terminal_and_is_never_zero() {
        assert_eq!(width_of(Some("120"), Some(80)), 120);
        assert_eq!(width_of(None, Some(80)), 80);
        assert_eq!(width_of(Some("wide"), Some(80)), 80);
        assert_eq!(width_of(Some("0"), Some(0)), 100);
        assert_eq!(width_of(Some(""), None), 100);
        assert_eq!(width_of(None, None), 100);
    }
}
