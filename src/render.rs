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
        Format::Jsonl => {
            for row in &output.rows {
                serde_json::to_writer(
                    &mut *out,
                    &RowRef {
                        columns: &output.columns,
                        row,
                    },
                )?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Csv => {
            if output.columns.is_empty() {
                return Ok(());
            }
            writeln!(
                out,
                "{}",
                output
                    .columns
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(",")
            )?;
            for row in &output.rows {
                writeln!(
                    out,
                    "{}",
                    row.iter()
                        .map(|v| csv_field(&v.to_text()))
                        .collect::<Vec<_>>()
                        .join(",")
                )?;
            }
            Ok(())
        }
        Format::Table => write_table(out, output, style),
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
