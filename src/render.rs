//! Writes statement outputs in the formats of SPEC 4.3 to any `Write`.
//!
//! The `table` format is laid out by comfy-table, which comes with the
//! `table` feature (on by default, through `cli`). Drawing the table here
//! instead would mean re-doing its width rules (Unicode display widths,
//! multi-line cells) byte for byte; a build without the feature still has
//! [`Format::Table`], and writing it fails with an error that says why.

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
}

impl Format {
    /// Parses a format name.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "table" => Format::Table,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "csv" => Format::Csv,
            _ => return None,
        })
    }

    /// Every format name.
    pub const NAMES: [&'static str; 4] = ["table", "json", "jsonl", "csv"];
}

/// How a table is laid out.
#[derive(Clone, Copy, Debug)]
pub struct TableStyle {
    /// Width to fit, when writing to a terminal; `None` means never truncate.
    pub width: Option<u16>,
}

/// Writes one statement's output.
pub fn write_output(
    out: &mut dyn Write,
    output: &Output,
    format: Format,
    style: TableStyle,
) -> io::Result<()> {
    match format {
        Format::Json | Format::Jsonl | Format::Csv => {
            let mut rows = RowWriter::begin(out, format, &output.columns)?;
            for row in &output.rows {
                rows.row(out, row)?;
            }
            rows.finish(out)
        }
        Format::Table => write_table(out, output, style),
    }
}

/// Without the `table` feature there is nothing to lay a table out with.
#[cfg(not(feature = "table"))]
fn write_table(_: &mut dyn Write, _: &Output, _: TableStyle) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "the table format needs evident's \"table\" feature; use json, jsonl or csv",
    ))
}

/// Writes rows one at a time in the `json`, `jsonl` or `csv` format, for
/// queries whose rows are streamed; the bytes are those [`write_output`]
/// writes for the same rows.
pub struct RowWriter {
    format: Format,
    rows: u64,
    /// Each column's name as a JSON key (`"name":`), encoded once, not
    /// once per row.
    keys: Vec<Vec<u8>>,
    /// One row's bytes, reused: a row reaches `out` in one write instead
    /// of one per JSON token.
    buf: Vec<u8>,
}

impl RowWriter {
    /// Writes what comes before the first row. Not for [`Format::Table`],
    /// which must see every row to size its columns.
    pub fn begin(out: &mut dyn Write, format: Format, columns: &[String]) -> io::Result<RowWriter> {
        match format {
            Format::Json => write!(out, "[")?,
            Format::Csv if !columns.is_empty() => writeln!(
                out,
                "{}",
                columns
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )?,
            _ => {}
        }
        let keys = columns
            .iter()
            .map(|c| {
                let mut key = serde_json::to_vec(c)?;
                key.push(b':');
                Ok(key)
            })
            .collect::<io::Result<_>>()?;
        Ok(RowWriter {
            format,
            rows: 0,
            keys,
            buf: Vec::new(),
        })
    }

    /// Writes one row.
    pub fn row(&mut self, out: &mut dyn Write, row: &[crate::Value]) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match self.format {
            Format::Json | Format::Jsonl => {
                let buf = &mut self.buf;
                buf.clear();
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
                out.write_all(buf)
            }
            Format::Csv => writeln!(
                out,
                "{}",
                row.iter()
                    .map(|v| csv_field(&v.to_text()))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Format::Table => Ok(()),
        }
    }

    /// Writes what comes after the last row.
    pub fn finish(self, out: &mut dyn Write) -> io::Result<()> {
        match self.format {
            Format::Json => writeln!(out, "]"),
            _ => Ok(()),
        }
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(feature = "table")]
fn write_table(out: &mut dyn Write, output: &Output, style: TableStyle) -> io::Result<()> {
    if let Some(report) = &output.report {
        return writeln!(out, "{report}");
    }
    if output.columns.is_empty() {
        return Ok(());
    }
    let mut header: Vec<String> = output.columns.clone();
    let mut rows: Vec<Vec<String>> = output
        .rows
        .iter()
        .map(|row| row.iter().map(crate::Value::to_text).collect())
        .collect();
    if let Some(width) = style.width {
        // On a terminal every row stays on one line: columns share the
        // width, and text longer than its column ends in an ellipsis.
        for cell in rows.iter_mut().flatten() {
            if cell.contains(char::is_control) {
                *cell = cell.replace(char::is_control, " ");
            }
        }
        let natural: Vec<usize> = (0..header.len())
            .map(|i| {
                rows.iter()
                    .map(|r| r[i].chars().count())
                    .chain([header[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // "│ a ┆ b │": three characters per column and one to close.
        let available = usize::from(width).saturating_sub(3 * header.len() + 1);
        let widths = fit_columns(&natural, available);
        for row in std::iter::once(&mut header).chain(rows.iter_mut()) {
            for (cell, &w) in row.iter_mut().zip(&widths) {
                if cell.chars().count() > w {
                    let cut: String = cell.chars().take(w.saturating_sub(1)).collect();
                    *cell = format!("{cut}…");
                }
            }
        }
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    table.set_header(header);
    for row in rows {
        table.add_row(row);
    }
    writeln!(out, "{table}")?;
    let n = output.rows.len();
    writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })
}

/// Column widths that fit `available` characters: columns that fit keep
/// their natural width, and the widest share what is left equally (never
/// below a few characters, so every column stays recognisable).
#[cfg(feature = "table")]
fn fit_columns(natural: &[usize], available: usize) -> Vec<usize> {
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
    use crate::Value;

    #[test]
    #[cfg(not(feature = "table"))]
    fn without_the_feature_a_table_is_an_error_not_a_panic() {
        let output = Output {
            columns: vec!["id".into()],
            rows: vec![vec![Value::String("c:1".into())]],
            report: None,
            message: None,
            notes: Vec::new(),
        };
        let mut out = Vec::new();
        let written = write_output(&mut out, &output, Format::Table, TableStyle { width: None });
        let e = written.expect_err("no table renderer");
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        assert!(out.is_empty());
    }

    #[test]
    #[cfg(feature = "table")]
    fn columns_fit_the_width_by_capping_the_widest() {
        assert_eq!(fit_columns(&[5, 10, 3], 40), [5, 10, 3]);
        assert_eq!(fit_columns(&[5, 50, 30], 40), [5, 17, 17]);
        assert_eq!(fit_columns(&[50, 50], 20), [10, 10]);
        // Too narrow for anything: every column keeps a few characters.
        assert_eq!(fit_columns(&[50, 50, 2], 3), [4, 4, 2]);
    }

    #[test]
    #[cfg(feature = "table")]
    fn terminal_tables_keep_each_row_on_one_line() {
        let output = Output {
            columns: vec!["id".into(), "text".into()],
            rows: vec![vec![
                Value::String("c:1".into()),
                Value::String(format!("line one\nline two {}", "long ".repeat(40))),
            ]],
            report: None,
            message: None,
            notes: Vec::new(),
        };
        let mut out = Vec::new();
        write_table(&mut out, &output, TableStyle { width: Some(60) }).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
        assert!(
            lines[3].contains("line one line two") && lines[3].contains('…'),
            "{text}"
        );
        assert_eq!(lines[5], "(1 row)");
    }
}
