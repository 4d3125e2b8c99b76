//! Running a script and writing its outputs: shared by the commands
//! (`evident query`, `evident demo`) and the shell, which both depend on
//! this module and not on each other.

use evident::render::{self, Format, TableStyle};
use evident::{Database, Output, RowSink, Value};
use std::io::{self, IsTerminal, Write};

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

/// Runs a script, printing each statement's output as it completes;
/// stops at the first error, which it prints with a caret under the mistake.
pub fn run_script(
    db: &Database,
    script: &str,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let style = if format == Format::Table {
        table_style()
    } else {
        TableStyle { width: None }
    };
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
    let result = db.run_each_streaming(script, &mut sink);
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
