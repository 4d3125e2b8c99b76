//! Writes statement outputs in the formats of SPEC 4.3 to any `Write`.

use crate::exec::output::{Output, RowRef};
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
        Format::Json => {
            serde_json::to_writer(&mut *out, output)?;
            writeln!(out)
        }
        Format::Jsonl | Format::Csv => {
            let mut rows = RowWriter::begin(out, format, &output.columns)?;
            for row in &output.rows {
                rows.row(out, &output.columns, row)?;
            }
            rows.finish(out)
        }
        Format::Table => write_table(out, output, style),
    }
}

/// Writes rows one at a time in the `json`, `jsonl` or `csv` format, for
/// queries whose rows are streamed; the bytes are those [`write_output`]
/// writes for the same rows.
pub struct RowWriter {
    format: Format,
    rows: u64,
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
        Ok(RowWriter { format, rows: 0 })
    }

    /// Writes one row.
    pub fn row(
        &mut self,
        out: &mut dyn Write,
        columns: &[String],
        row: &[crate::Value],
    ) -> io::Result<()> {
        let first = self.rows == 0;
        self.rows += 1;
        match self.format {
            Format::Json | Format::Jsonl => {
                if self.format == Format::Json && !first {
                    write!(out, ",")?;
                }
                serde_json::to_writer(&mut *out, &RowRef { columns, row })?;
                if self.format == Format::Jsonl {
                    writeln!(out)?;
                }
                Ok(())
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

fn write_table(out: &mut dyn Write, output: &Output, style: TableStyle) -> io::Result<()> {
    if let Some(report) = &output.report {
        return writeln!(out, "{report}");
    }
    if output.columns.is_empty() {
        return Ok(());
    }
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(output.columns.iter().map(String::as_str));
    match style.width {
        Some(width) => {
            table.set_width(width);
            table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        }
        None => {
            table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        }
    }
    let max_cell = style.width.map(|w| usize::from(w).max(20));
    for row in &output.rows {
        table.add_row(row.iter().map(|v| {
            let text = v.to_text();
            match max_cell {
                Some(max) if text.chars().count() > max => {
                    let cut: String = text.chars().take(max - 1).collect();
                    format!("{cut}…")
                }
                _ => text,
            }
        }));
    }
    writeln!(out, "{table}")?;
    let n = output.rows.len();
    writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })
}
