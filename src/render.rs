//! Writes statement outputs in the formats of SPEC 4.3 to any `Write`.
//!
//! Every format streams: [`RowWriter`] takes one row at a time and holds no
//! more than one row, except `table`, which holds the first
//! [`TABLE_HEAD_ROWS`] rows to size its columns and then writes each later
//! row as it comes (a plain `results` is 1.29M rows). The table is drawn
//! here rather than by a table crate because those need every row up front.
//!
//! Numbers keep every digit (as the `jsonl` format writes them) in every
//! format but `table`, which is for reading and rounds them to 4 decimals.
//!
//! The `table` format comes with the `table` feature (on by default,
//! through `cli`), which brings the Unicode display widths it pads by; a
//! build without the feature still has [`Format::Table`], and writing it
//! fails with an error that says why.

use crate::Value;
use crate::exec::output::Output;
use std::io::{self, Write};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for people, with a row count.
    Table,
    /// One JSON array per statement.
    Json,
    /// One JSON object per row, one per line.
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
    /// Tab-separated values with a header line; tabs, line breaks and
    /// backslashes in values are written `\t`, `\n` (`\r`) and `\\`.
    Tsv,
    /// A GitHub (pipe) table.
    Markdown,
    /// One `field = value` line per field, a blank line after each row.
    Line,
}

impl Format {
    /// Parses a format name.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "table" => Format::Table,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "markdown" => Format::Markdown,
            "line" => Format::Line,
            _ => return None,
        })
    }

    /// The format's name, as [`Format::from_name`] takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Markdown => "markdown",
            Format::Line => "line",
        }
    }

    /// Every format name.
    pub const NAMES: [&'static str; 7] =
        ["table", "json", "jsonl", "csv", "tsv", "markdown", "line"];
}

/// How a table is laid out.
#[derive(Clone, Copy, Debug)]
pub struct TableStyle {
    /// Width to fit, when writing to a terminal; `None` means never truncate.
    pub width: Option<u16>,
}

/// How many rows a table holds to size its columns before it writes any.
/// A later row wider than its column is cut (on a terminal) or wrapped
/// within the column (elsewhere, so that no character is lost).
pub const TABLE_HEAD_ROWS: usize = 1000;

/// Writes one statement's output.
pub fn write_output(
    out: &mut dyn Write,
    output: &Output,
    format: Format,
    style: TableStyle,
) -> io::Result<()> {
    if format == Format::Table
        && let Some(report) = &output.report
    {
        return writeln!(out, "{report}");
    }
    let mut rows = RowWriter::with_style(out, format, &output.columns, style)?;
    for row in &output.rows {
        rows.row(out, row)?;
    }
    rows.finish(out)
}

/// Writes rows one at a time, for queries whose rows are streamed; the
/// bytes are those [`write_output`] writes for the same rows.
pub struct RowWriter {
    format: Format,
    rows: u64,
    /// Each column's name as a JSON key (`"name":`), encoded once, not once
    /// per row; for the `line` format, each name right-aligned and followed
    /// by ` = `.
    keys: Vec<Vec<u8>>,
    /// One row's bytes, reused: a row reaches `out` in one write instead of
    /// one per token.
    buf: Vec<u8>,
    /// The table being drawn, for [`Format::Table`].
    #[cfg(feature = "table")]
    table: Option<table::Table>,
}

impl RowWriter {
    /// Writes what comes before the first row, for any format but
    /// [`Format::Table`] in its terminal layout: a table begun here is never
    /// cut to a width.
    pub fn begin(out: &mut dyn Write, format: Format, columns: &[String]) -> io::Result<RowWriter> {
        RowWriter::with_style(out, format, columns, TableStyle { width: None })
    }

    /// [`RowWriter::begin`], with the table layout to use for [`Format::Table`].
    pub fn with_style(
        out: &mut dyn Write,
        format: Format,
        columns: &[String],
        style: TableStyle,
    ) -> io::Result<RowWriter> {
        let mut keys = Vec::new();
        match format {
            Format::Json => write!(out, "[")?,
            Format::Csv if !columns.is_empty() => {
                let header: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
                writeln!(out, "{}", header.join(","))?;
            }
            Format::Tsv if !columns.is_empty() => {
                let header: Vec<String> = columns.iter().map(|c| tsv_field(c)).collect();
                writeln!(out, "{}", header.join("\t"))?;
            }
            Format::Markdown if !columns.is_empty() => {
                let header: Vec<String> = columns.iter().map(|c| markdown_field(c)).collect();
                writeln!(out, "| {} |", header.join(" | "))?;
                writeln!(out, "|{}", "---|".repeat(columns.len()))?;
            }
            Format::Line => {
                let widest = columns.iter().map(|c| display_width(c)).max().unwrap_or(0);
                keys = columns
                    .iter()
                    .map(|c| {
                        let pad = widest.saturating_sub(display_width(c));
                        format!("{}{c} = ", " ".repeat(pad)).into_bytes()
                    })
                    .collect();
            }
            Format::Table => {
                #[cfg(not(feature = "table"))]
                {
                    let _ = style;
                    return Err(no_table());
                }
            }
            _ => {}
        }
        if matches!(format, Format::Json | Format::Jsonl) {
            keys = columns
                .iter()
                .map(|c| {
                    let mut key = serde_json::to_vec(c)?;
                    key.push(b':');
                    Ok(key)
                })
                .collect::<io::Result<_>>()?;
        }
        Ok(RowWriter {
            format,
            rows: 0,
            keys,
            buf: Vec::new(),
            #[cfg(feature = "table")]
            table: (format == Format::Table).then(|| table::Table::new(columns, style.width)),
        })
    }

    /// Writes one row.
    pub fn row(&mut self, out: &mut dyn Write, row: &[Value]) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        let buf = &mut self.buf;
        buf.clear();
        match self.format {
            Format::Json | Format::Jsonl => {
                if self.format == Format::Json && !first {
                    buf.push(b',');
                }
                // The bytes of `RowRef`'s serialisation (the library's
                // `Serialize` of an output), with the keys encoded once.
                buf.push(b'{');
                for (i, (key, value)) in self.keys.iter().zip(row).enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(key);
                    serde_json::to_writer(&mut *buf, value)?;
                }
                buf.push(b'}');
                if self.format == Format::Jsonl {
                    buf.push(b'\n');
                }
            }
            Format::Csv => {
                let fields: Vec<String> = row.iter().map(|v| csv_field(&exact_text(v))).collect();
                writeln!(buf, "{}", fields.join(","))?;
            }
            Format::Tsv => {
                let fields: Vec<String> = row.iter().map(|v| tsv_field(&exact_text(v))).collect();
                writeln!(buf, "{}", fields.join("\t"))?;
            }
            Format::Markdown => {
                let fields: Vec<String> =
                    row.iter().map(|v| markdown_field(&exact_text(v))).collect();
                writeln!(buf, "| {} |", fields.join(" | "))?;
            }
            Format::Line => {
                for (key, value) in self.keys.iter().zip(row) {
                    let text = exact_text(value);
                    if text.is_empty() {
                        // `name =`, with no space left at the end of the line.
                        buf.extend_from_slice(&key[..key.len() - 1]);
                    } else {
                        buf.extend_from_slice(key);
                        if text.contains('\n') {
                            // Further lines of a value start under its first line.
                            let indent = format!("\n{}", " ".repeat(display_width_bytes(key)));
                            buf.extend_from_slice(text.replace('\n', &indent).as_bytes());
                        } else {
                            buf.extend_from_slice(text.as_bytes());
                        }
                    }
                    buf.push(b'\n');
                }
                // After each row rather than between rows, so that the rows
                // of the next statement are apart too.
                buf.push(b'\n');
            }
            Format::Table => {
                #[cfg(feature = "table")]
                if let Some(table) = &mut self.table {
                    return table.row(out, row);
                }
                return Ok(());
            }
        }
        out.write_all(buf)
    }

    /// Writes what comes after the last row.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Json => writeln!(out, "]"),
            #[cfg(feature = "table")]
            Format::Table => match self.table {
                Some(table) => table.finish(out),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}

/// Without the `table` feature there is nothing to measure a table's text with.
#[cfg(not(feature = "table"))]
fn no_table() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "the table format needs evident's \"table\" feature; use json, jsonl or csv",
    )
}

/// A value as text with every digit of its numbers, as `jsonl` writes them
/// (`0.7355323398454772`, `3.0`), for the formats other than `table`.
fn exact_text(value: &Value) -> String {
    match value {
        // serde_json writes what cannot be a JSON number as `null`, which is
        // an absent value in these formats too: empty.
        Value::Number(n) if !n.is_finite() => String::new(),
        Value::Number(n) => serde_json::to_string(n).unwrap_or_default(),
        Value::List(items) => items.iter().map(exact_text).collect::<Vec<_>>().join(", "),
        other => other.to_text(),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn tsv_field(text: &str) -> String {
    if !text.contains(['\\', '\t', '\n', '\r']) {
        return text.to_owned();
    }
    let mut field = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => field.push_str("\\\\"),
            '\t' => field.push_str("\\t"),
            '\n' => field.push_str("\\n"),
            '\r' => field.push_str("\\r"),
            c => field.push(c),
        }
    }
    field
}

/// A cell of a GitHub table: `|` would end the cell and a line break the
/// row, so they are escaped (`\|`, `<br>`); so is `\`, which would
/// otherwise escape what follows it.
fn markdown_field(text: &str) -> String {
    let mut field = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.push_str("\\\\"),
            '|' => field.push_str("\\|"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => field.push_str("<br>"),
            c => field.push(c),
        }
    }
    field
}

/// Columns a text takes on a terminal.
#[cfg(feature = "table")]
fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// Without the Unicode tables, a character is a column (the `line` format
/// only aligns its names with it).
#[cfg(not(feature = "table"))]
fn display_width(text: &str) -> usize {
    text.chars().count()
}

fn display_width_bytes(bytes: &[u8]) -> usize {
    display_width(&String::from_utf8_lossy(bytes))
}

/// The `table` format, drawn as comfy-table's `UTF8_FULL_CONDENSED` preset
/// drew it before (the README and the golden tests show it), but a row at a
/// time once the columns are sized.
#[cfg(feature = "table")]
mod table {
    use super::{TABLE_HEAD_ROWS, Value, display_width};
    use std::io::{self, Write};
    use unicode_width::UnicodeWidthChar;

    pub(super) struct Table {
        /// The terminal's width, when writing to one.
        width: Option<u16>,
        header: Vec<String>,
        /// The first rows' cells, until the columns are sized.
        head: Vec<Vec<String>>,
        /// Each column's content width, once the head is written.
        widths: Option<Vec<usize>>,
        rows: u64,
        line: String,
    }

    impl Table {
        pub(super) fn new(columns: &[String], width: Option<u16>) -> Table {
            let mut header = columns.to_vec();
            if width.is_some() {
                header.iter_mut().for_each(one_line);
            }
            Table {
                width,
                header,
                head: Vec::new(),
                widths: None,
                rows: 0,
                line: String::new(),
            }
        }

        pub(super) fn row(&mut self, out: &mut dyn Write, row: &[Value]) -> io::Result<()> {
            if self.header.is_empty() {
                return Ok(());
            }
            self.rows += 1;
            let mut cells: Vec<String> = row.iter().map(Value::to_text).collect();
            // A row of the wrong length still gets one cell per column.
            cells.resize(self.header.len(), String::new());
            if self.width.is_some() {
                cells.iter_mut().for_each(one_line);
            }
            match &self.widths {
                Some(_) => self.write_row(out, &cells),
                None => {
                    self.head.push(cells);
                    if self.head.len() >= TABLE_HEAD_ROWS {
                        self.write_head(out)?;
                    }
                    Ok(())
                }
            }
        }

        pub(super) fn finish(mut self, out: &mut dyn Write) -> io::Result<()> {
            if self.header.is_empty() {
                return Ok(());
            }
            if self.widths.is_none() {
                self.write_head(out)?;
            }
            let widths = self.widths.take().unwrap_or_default();
            border(out, &widths, ['└', '─', '┴', '┘'])?;
            let n = self.rows;
            writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })
        }

        /// Sizes the columns from the header and the rows held so far, and
        /// writes them.
        fn write_head(&mut self, out: &mut dyn Write) -> io::Result<()> {
            let natural: Vec<usize> = (0..self.header.len())
                .map(|i| {
                    let cells = self.head.iter().map(|r| r[i].as_str());
                    std::iter::once(self.header[i].as_str())
                        .chain(cells)
                        .flat_map(|cell| cell.split('\n'))
                        .map(display_width)
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let widths = match self.width {
                Some(width) => {
                    // "│ a ┆ b │": three columns per column and one to close.
                    let frame = 3 * self.header.len() + 1;
                    fit_columns(&natural, usize::from(width).saturating_sub(frame))
                }
                None => natural,
            };
            border(out, &widths, ['┌', '─', '┬', '┐'])?;
            self.widths = Some(widths);
            let header = std::mem::take(&mut self.header);
            self.write_row(out, &header)?;
            self.header = header;
            border(
                out,
                self.widths.as_deref().unwrap_or(&[]),
                ['╞', '═', '╪', '╡'],
            )?;
            for row in std::mem::take(&mut self.head) {
                self.write_row(out, &row)?;
            }
            Ok(())
        }

        /// Writes one row of cells in the sized columns: cut to the column
        /// on a terminal, else wrapped in it (over as many lines as it takes).
        fn write_row(&mut self, out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
            let Some(widths) = &self.widths else {
                return Ok(());
            };
            // Most rows are one line of cells that fit: written without
            // splitting any cell into lines.
            let line = &mut self.line;
            line.clear();
            line.push('│');
            let mut one_line = true;
            for (column, (cell, &w)) in cells.iter().zip(widths).enumerate() {
                if column > 0 {
                    line.push('┆');
                }
                line.push(' ');
                let cell_width = display_width(cell);
                if self.width.is_none() && (cell_width > w || cell.contains('\n')) {
                    one_line = false;
                    break;
                }
                let pad = if cell_width > w {
                    let shown = cut(cell, w);
                    line.push_str(&shown);
                    w.saturating_sub(display_width(&shown))
                } else {
                    line.push_str(cell);
                    w - cell_width
                };
                line.extend(std::iter::repeat_n(' ', pad));
                line.push(' ');
            }
            if one_line {
                line.push_str("│\n");
                return out.write_all(line.as_bytes());
            }
            let lines: Vec<Vec<&str>> = cells
                .iter()
                .zip(widths)
                .map(|(cell, &w)| match self.width {
                    Some(_) => vec![cell.as_str()],
                    None => cell.split('\n').flat_map(|l| wrap(l, w)).collect(),
                })
                .collect();
            let height = lines.iter().map(Vec::len).max().unwrap_or(1);
            let line = &mut self.line;
            for i in 0..height {
                line.clear();
                line.push('│');
                for (column, (cell, &w)) in lines.iter().zip(widths).enumerate() {
                    if column > 0 {
                        line.push('┆');
                    }
                    line.push(' ');
                    let text = cell.get(i).copied().unwrap_or("");
                    let shown = if self.width.is_some() && display_width(text) > w {
                        cut(text, w)
                    } else {
                        text.to_owned()
                    };
                    line.push_str(&shown);
                    let pad = w.saturating_sub(display_width(&shown));
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push(' ');
                }
                line.push_str("│\n");
                out.write_all(line.as_bytes())?;
            }
            Ok(())
        }
    }

    /// On a terminal every row stays on one line: control characters
    /// (line breaks, tabs) become spaces.
    fn one_line(cell: &mut String) {
        if cell.contains(char::is_control) {
            *cell = cell.replace(char::is_control, " ");
        }
    }

    fn border(
        out: &mut dyn Write,
        widths: &[usize],
        [left, fill, join, right]: [char; 4],
    ) -> io::Result<()> {
        let mut line = String::new();
        line.push(left);
        for (i, &w) in widths.iter().enumerate() {
            if i > 0 {
                line.push(join);
            }
            line.extend(std::iter::repeat_n(fill, w + 2));
        }
        line.push(right);
        line.push('\n');
        out.write_all(line.as_bytes())
    }

    fn char_width(c: char) -> usize {
        c.width().unwrap_or(0)
    }

    /// The start of `text` that fits `width` columns with an ellipsis after it.
    fn cut(text: &str, width: usize) -> String {
        let mut shown = String::new();
        let mut used = 0;
        for c in text.chars() {
            used += char_width(c);
            if used + 1 > width {
                break;
            }
            shown.push(c);
        }
        shown.push('…');
        shown
    }

    /// `line` in pieces of at most `width` columns (a piece holds at least
    /// one character, so a character wider than the column still shows).
    fn wrap(line: &str, width: usize) -> Vec<&str> {
        if display_width(line) <= width {
            return vec![line];
        }
        let mut pieces = Vec::new();
        let (mut start, mut used) = (0, 0);
        for (i, c) in line.char_indices() {
            let w = char_width(c);
            if used + w > width && i > start {
                pieces.push(&line[start..i]);
                (start, used) = (i, 0);
            }
            used += w;
        }
        pieces.push(&line[start..]);
        pieces
    }

    /// Column widths that fit `available` columns: columns that fit keep
    /// their natural width, and the widest share what is left equally (never
    /// below a few characters, so every column stays recognisable).
    pub(super) fn fit_columns(natural: &[usize], available: usize) -> Vec<usize> {
        const MIN: usize = 4;
        if natural.iter().sum::<usize>() <= available {
            return natural.to_vec();
        }
        // The largest cap with sum(min(natural, cap)) <= available.
        let fits = |cap: usize| natural.iter().map(|&n| n.min(cap)).sum::<usize>() <= available;
        let mut cap = natural.iter().copied().max().unwrap_or(0);
        while cap > MIN && !fits(cap) {
            cap -= 1;
        }
        natural.iter().map(|&n| n.min(cap.max(MIN))).collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn cutting_and_wrapping_count_display_columns() {
            assert_eq!(cut("abcdef", 4), "abc…");
            assert_eq!(cut("日本語テキスト", 5), "日本…");
            assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
            assert_eq!(wrap("日本語", 3), ["日", "本", "語"]);
            assert_eq!(wrap("abc", 0), ["a", "b", "c"]);
            assert_eq!(wrap("", 3), [""]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output_of(columns: &[&str], rows: Vec<Vec<Value>>) -> Output {
        Output {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
            report: None,
            message: None,
            notes: Vec::new(),
        }
    }

    fn written(output: &Output, format: Format, width: Option<u16>) -> String {
        let mut out = Vec::new();
        write_output(&mut out, output, format, TableStyle { width }).expect("writes");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    #[cfg(not(feature = "table"))]
    fn without_the_feature_a_table_is_an_error_not_a_panic() {
        let output = output_of(&["id"], vec![vec![Value::String("c:1".into())]]);
        let mut out = Vec::new();
        let written = write_output(&mut out, &output, Format::Table, TableStyle { width: None });
        let e = written.expect_err("no table renderer");
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        assert!(out.is_empty());
    }

    #[test]
    fn numbers_keep_every_digit_except_in_tables() {
        let output = output_of(
            &["value", "n", "list"],
            vec![vec![
                Value::Number(0.7355323398454772),
                Value::Number(3.0),
                Value::List(vec![Value::Number(0.1), Value::Number(0.30000000000000004)]),
            ]],
        );
        assert_eq!(
            written(&output, Format::Csv, None),
            "value,n,list\n0.7355323398454772,3.0,\"0.1, 0.30000000000000004\"\n"
        );
        assert_eq!(
            written(&output, Format::Jsonl, None),
            "{\"value\":0.7355323398454772,\"n\":3.0,\"list\":[0.1,0.30000000000000004]}\n"
        );
        assert!(written(&output, Format::Tsv, None).contains("0.7355323398454772\t3.0\t"));
        assert!(written(&output, Format::Markdown, None).contains("| 0.7355323398454772 |"));
        assert!(written(&output, Format::Line, None).contains("value = 0.7355323398454772\n"));
        #[cfg(feature = "table")]
        assert!(written(&output, Format::Table, None).contains("│ 0.7355 ┆ 3 "));
    }

    #[test]
    fn tsv_markdown_and_line_escape_what_would_break_them() {
        let output = output_of(
            &["a|b", "text"],
            vec![
                vec![
                    Value::String("x|y".into()),
                    Value::String("tab\there\\ \nnext\r\nend".into()),
                ],
                vec![Value::Null, Value::String("two\nlines".into())],
            ],
        );
        assert_eq!(
            written(&output, Format::Tsv, None),
            "a|b\ttext\nx|y\ttab\\there\\\\ \\nnext\\r\\nend\n\ttwo\\nlines\n"
        );
        assert_eq!(
            written(&output, Format::Markdown, None),
            "| a\\|b | text |\n|---|---|\n| x\\|y | tab\there\\\\ <br>next<br>end |\n|  | two<br>lines |\n"
        );
        assert_eq!(
            written(&output, Format::Line, None),
            " a|b = x|y\ntext = tab\there\\ \n       next\r\n       end\n\n a|b =\ntext = two\n       lines\n\n"
        );
        // No columns (a write's output): nothing at all.
        for format in [Format::Csv, Format::Tsv, Format::Markdown, Format::Line] {
            assert_eq!(written(&Output::default(), format, None), "", "{format:?}");
        }
    }

    #[test]
    fn format_names_round_trip() {
        for name in Format::NAMES {
            assert_eq!(Format::from_name(name).map(Format::name), Some(name));
        }
        assert_eq!(Format::from_name("xml"), None);
    }

    #[test]
    #[cfg(feature = "table")]
    fn columns_fit_the_width_by_capping_the_widest() {
        use table::fit_columns;
        assert_eq!(fit_columns(&[5, 10, 3], 40), [5, 10, 3]);
        assert_eq!(fit_columns(&[5, 50, 30], 40), [5, 17, 17]);
        assert_eq!(fit_columns(&[50, 50], 20), [10, 10]);
        // Too narrow for anything: every column keeps a few characters.
        assert_eq!(fit_columns(&[50, 50, 2], 3), [4, 4, 2]);
    }

    #[test]
    #[cfg(feature = "table")]
    fn terminal_tables_keep_each_row_on_one_line() {
        let output = output_of(
            &["id", "text"],
            vec![vec![
                Value::String("c:1".into()),
                Value::String(format!("line one\nline two {}", "long ".repeat(40))),
            ]],
        );
        let text = written(&output, Format::Table, Some(60));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
        assert!(
            lines[3].contains("line one line two") && lines[3].contains('…'),
            "{text}"
        );
        assert_eq!(lines[5], "(1 row)");
    }

    #[test]
    #[cfg(feature = "table")]
    fn tables_look_as_they_did() {
        let output = output_of(
            &["id", "n"],
            vec![
                vec![Value::String("a\nbb".into()), Value::Integer(1)],
                vec![Value::String("日本".into()), Value::Null],
            ],
        );
        assert_eq!(
            written(&output, Format::Table, None),
            "┌──────┬───┐\n\
             │ id   ┆ n │\n\
             ╞══════╪═══╡\n\
             │ a    ┆ 1 │\n\
             │ bb   ┆   │\n\
             │ 日本 ┆   │\n\
             └──────┴───┘\n\
             (2 rows)\n"
        );
        assert_eq!(
            written(
                &output_of(&["status", "count"], vec![]),
                Format::Table,
                None
            ),
            "┌────────┬───────┐\n│ status ┆ count │\n╞════════╪═══════╡\n└────────┴───────┘\n(0 rows)\n"
        );
        // A report is printed in place of the rows; no columns, nothing.
        let report = Output {
            report: Some("why: because".into()),
            ..Output::default()
        };
        assert_eq!(written(&report, Format::Table, None), "why: because\n");
        assert_eq!(written(&Output::default(), Format::Table, None), "");
    }

    #[test]
    #[cfg(feature = "table")]
    fn rows_after_the_head_are_cut_on_a_terminal_and_wrapped_elsewhere() {
        let mut rows: Vec<Vec<Value>> = (0..TABLE_HEAD_ROWS)
            .map(|i| vec![Value::Integer(i as i64 % 10)])
            .collect();
        rows.push(vec![Value::String("wider than the column".into())]);
        let output = output_of(&["col"], rows);
        let text = written(&output, Format::Table, Some(80));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[lines.len() - 3], "│ wi… │", "{text}");
        assert!(
            lines
                .iter()
                .all(|l| display_width(l) <= 7 || l.starts_with('('))
        );

        let text = written(&output, Format::Table, None);
        let tail: Vec<&str> = text.lines().rev().take(3).collect();
        assert_eq!(tail, ["(1001 rows)", "└─────┘", "│ umn │"], "{text}");
        // Nothing is lost: the wrapped pieces spell the value.
        let pieces: String = text
            .lines()
            .skip(3 + TABLE_HEAD_ROWS)
            .take_while(|l| l.starts_with('│'))
            .map(|l| &l["│ ".len()..l.len() - " │".len()])
            .collect();
        assert_eq!(pieces, "wider than the column");
    }
}
