//! Imports of formats other than JSON Lines: each converter (`epoch`, `eee`,
//! `csv`) reads its files into [`Converted`] — the members of each record, as
//! a JSON Lines line would give them, with the file and line they came from —
//! and [`import_converted`] validates them through the same field table and
//! writes them through the same atomic write as JSON Lines. Nothing is turned
//! back into text and parsed again.

use super::{ImportOptions, ImportReport, Pending, Problem, ProblemList, write_pending};
use crate::model::fields::truncate_to;
use crate::model::{ByKind, Kind};
use crate::store::{Change, ChangeSet, Store};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A format `evident import --from` reads besides JSON Lines.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportFormat {
    /// Epoch AI's benchmark CSVs (a directory or files).
    Epoch {
        /// A maker table to use instead of the shipped one
        /// (`data/epoch-makers.csv`).
        makers: Option<PathBuf>,
    },
    /// Every Eval Ever records (`.json` files, or `.jsonl` of one per line;
    /// a directory stands for the files in it).
    Eee,
    /// A plain CSV of records of one kind, with a header of field names.
    Csv(Kind),
}

impl ImportFormat {
    /// The names `--from` takes, JSON Lines first.
    pub const NAMES: [&'static str; 4] = ["jsonl", "epoch", "eee", "csv"];

    /// Whether every path given is one import (the Epoch files share their
    /// sources and claims; Every Eval Ever files their source
    /// organisations), rather than one import per file.
    pub fn is_one_import(&self) -> bool {
        !matches!(self, ImportFormat::Csv(_))
    }
}

/// Where a converted record came from: a file of the import (an index into
/// [`Converted::files`]) and a 1-based line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub file: u32,
    pub line: u64,
}

/// What a converter read: records' members, and the problems of rows that
/// gave none.
#[derive(Debug, Default)]
pub(crate) struct Converted {
    /// The files read, as they are named in messages.
    pub files: Vec<String>,
    /// Each record: its kind and its members (section 1 and 8 field names).
    pub records: Vec<(Origin, Kind, Map<String, Value>)>,
    /// Rows that could not be converted: (where, column, reason).
    pub problems: Vec<(Origin, Option<String>, String)>,
}

impl Converted {
    /// Starts a file; returns its index for [`Origin`].
    pub fn add_file(&mut self, name: String) -> u32 {
        self.files.push(name);
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    pub fn record(&mut self, at: Origin, kind: Kind, members: Map<String, Value>) {
        self.records.push((at, kind, members));
    }

    pub fn problem(&mut self, at: Origin, column: Option<&str>, reason: impl Into<String>) {
        // A reason quotes its cell and a column is a header's cell: either
        // may be megabytes, printed whole for each problem.
        const MOST: usize = 200;
        let column = column.map(|c| truncate_to(c, MOST));
        self.problems
            .push((at, column, truncate_to(&reason.into(), MOST)));
    }
}

/// Reads `paths` in `format` and imports them as one atomic write (SPEC 3's
/// rules: nothing on any problem unless `skip_invalid`, every problem as
/// `FILE:LINE: column: reason`). `label` names the import in messages and
/// the log; `progress` is given the bytes read so far.
pub(crate) fn import_converted(
    store: &Store,
    format: &ImportFormat,
    label: &str,
    paths: &[PathBuf],
    options: ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, crate::Error> {
    let converted = match format {
        ImportFormat::Epoch { makers } => super::epoch::read(paths, makers.as_deref(), progress)?,
        ImportFormat::Eee => super::eee::read(paths, store, progress)?,
        ImportFormat::Csv(kind) => super::csv::read(paths, *kind, progress)?,
    };
    write_converted(store, label, converted, options)
}

/// Validates converted records through the field table and writes them.
pub(crate) fn write_converted(
    store: &Store,
    label: &str,
    converted: Converted,
    options: ImportOptions,
) -> Result<ImportReport, crate::Error> {
    let Converted {
        files,
        records,
        problems: conversion_problems,
    } = converted;
    let mut problems = ProblemList::default();
    let file_name = |at: Origin| files.get(at.file as usize).cloned();
    for (at, column, reason) in conversion_problems {
        problems.add(Problem {
            file: file_name(at),
            line: at.line,
            field: column,
            reason,
        });
    }
    // A location of the write is an index into `origins`.
    let mut origins: Vec<Origin> = Vec::with_capacity(records.len());
    let mut read = ByKind::<u64>::default();
    let mut changes = ChangeSet::new();
    let mut locations = Vec::with_capacity(records.len());
    let mut without_id = Vec::new();
    let mut invalid_ids = HashSet::new();
    for (at, kind, mut members) in records {
        let location = u32::try_from(origins.len()).unwrap_or(u32::MAX);
        origins.push(at);
        let id = members.get("id").and_then(Value::as_str).map(str::to_owned);
        match super::record_from_fields(kind, &mut members) {
            Ok(record) => {
                read[kind] += 1;
                if record.id().is_unassigned() {
                    without_id.push((location, record));
                } else {
                    changes.push(Change::Put(record))?;
                    locations.push(location);
                }
            }
            Err(errors) => {
                invalid_ids.extend(id);
                for (field, reason) in errors {
                    problems.add(Problem {
                        file: file_name(at),
                        line: at.line,
                        field: Some(field),
                        reason,
                    });
                }
            }
        }
    }
    let pending = Pending {
        read,
        changes,
        locations,
        without_id,
        invalid_ids,
        problems,
    };
    let locate = |location: u32| match origins.get(location as usize) {
        Some(&at) => (file_name(at), at.line),
        None => (None, 0),
    };
    write_pending(store, label, pending, options, &locate)
}

/// The files `paths` stand for: each file as given, and the files of each
/// directory in name order whose name `wanted` accepts. A directory with
/// none is an error naming the files it lacks (`what`): importing nothing
/// from it and succeeding hid a wrong directory.
pub(crate) fn expand_paths(
    paths: &[PathBuf],
    wanted: &dyn Fn(&Path) -> bool,
    what: &str,
) -> Result<Vec<PathBuf>, crate::Error> {
    let read_error = |path: &Path, error: std::io::Error| super::ImportError::Read {
        file: path.display().to_string(),
        error,
    };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| read_error(path, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && wanted(p))
                .collect();
            if inside.is_empty() {
                let error = std::io::Error::other(format!("is a directory with no {what} in it"));
                return Err(read_error(path, error).into());
            }
            inside.sort();
            files.extend(inside);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Reads a whole file as text (the formats here are small: Epoch's largest
/// file is 240 KB), as a located error when it cannot be read.
pub(crate) fn read_text(path: &Path) -> Result<String, crate::Error> {
    const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
    let read_error = |error: std::io::Error| super::ImportError::Read {
        file: path.display().to_string(),
        error,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(read_error(std::io::Error::other(format!(
            "is {size} bytes; files of this format are read whole, and the limit is {MAX_FILE_BYTES}"
        )))
        .into());
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = memchr::memchr_iter(b'\n', valid).count() + 1;
        read_error(std::io::Error::other(format!(
            "is not valid UTF-8 (line {line}; files of this format are read whole)"
        )))
    })?;
    // A byte-order mark (Windows editors write one) is not part of the text.
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// A CSV reader over `text` and its header's column names (a UTF-8 byte
/// order mark and spaces trimmed); `None`, with the problem in `out`, when
/// the header cannot be read or names a column twice (which of the two
/// cells a row means is anyone's guess). Rows may have fewer or more cells
/// than the header: the caller says what that means.
pub(crate) fn csv_with_header<'t>(
    text: &'t str,
    file: u32,
    out: &mut Converted,
) -> Option<(::csv::Reader<&'t [u8]>, Vec<String>)> {
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    match reader.headers() {
        Ok(h) => {
            let columns: Vec<String> = h
                .iter()
                .map(|name| name.trim_start_matches('\u{feff}').trim().to_owned())
                .collect();
            let twice = (1..columns.len())
                .find(|&i| !columns[i].is_empty() && columns[..i].contains(&columns[i]));
            if let Some(i) = twice {
                let at = Origin { file, line: 1 };
                out.problem(at, Some(&columns[i]), "is named twice in the header");
                return None;
            }
            Some((reader, columns))
        }
        Err(e) => {
            out.problem(Origin { file, line: 1 }, None, csv_reason(&e));
            None
        }
    }
}

/// The rows of a CSV reader over `text` that can be read, each with where
/// it starts; a row that cannot be read is a problem in `out` at its line.
/// With `columns`, a row of another number of cells is such a problem too
/// (a file cut short ends in one), unless it is blank: a blank line of a
/// spreadsheet export is no record.
pub(crate) fn csv_rows<'r, R: std::io::Read + 'r>(
    reader: &'r mut ::csv::Reader<R>,
    text: &'r str,
    file: u32,
    columns: Option<usize>,
    out: &'r mut Converted,
) -> impl Iterator<Item = (Origin, ::csv::StringRecord)> + 'r {
    let starts = line_starts(text);
    reader.records().filter_map(move |row| {
        // Counted here from the byte a row starts at: the csv crate's own
        // line numbers are one short in a file of CRLF line ends (Excel's)
        // and stay 1 in one of lone CRs, and Epoch's result ids carry them.
        // A row's position may be the line end before it (the `\n` of a
        // `\r\n`): its line is the one after.
        let line = |p: Option<&::csv::Position>| {
            p.map_or(1, |p| {
                let mut byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
                let bytes = text.as_bytes();
                while bytes.get(byte).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
                    byte += 1;
                }
                starts.partition_point(|&start| start <= byte) as u64
            })
        };
        match row {
            Ok(row) => {
                let at = Origin {
                    file,
                    line: line(row.position()),
                };
                match columns {
                    Some(n) if row.len() != n => {
                        if !row.iter().all(|c| c.trim().is_empty()) {
                            let reason =
                                format!("has {} cells; the header has {n} columns", row.len());
                            out.problem(at, None, reason);
                        }
                        None
                    }
                    _ => Some((at, row)),
                }
            }
            Err(e) => {
                out.problem(
                    Origin {
                        file,
                        line: line(e.position()),
                    },
                    None,
                    csv_reason(&e),
                );
                None
            }
        }
    })
}

/// Where each line of `text` starts: after a `\n`, or after a `\r` that no
/// `\n` follows (a `\r\n` ends one line).
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    for (at, &byte) in bytes.iter().enumerate() {
        let ends_line = byte == b'\n' || (byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'));
        if ends_line {
            starts.push(at + 1);
        }
    }
    starts
}

/// A csv crate error as a sentence.
pub(crate) fn csv_reason(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        ::csv::ErrorKind::Io(err) => format!("cannot be read: {err}"),
        _ => format!("not valid CSV: {e}"),
    }
}

/// An id piece from free text: ASCII letters, digits and `. _ -` kept,
/// runs of anything else made one `-`, at most 80 characters, never empty.
pub(crate) fn slug(text: &str) -> String {
    cut_slug(text).0
}

/// [`slug`], but a slug cut short ends in a hash of the whole text, so
/// that two texts alike in their first 80 characters make two ids (two
/// Every Eval Ever evaluations of one model, told apart by a timestamp at
/// the end, made one id, and one silently replaced the other). Texts that
/// fit keep their slug.
pub(crate) fn distinct_slug(text: &str) -> String {
    let (mut out, cut) = cut_slug(text);
    if cut {
        out.truncate(SLUG_CHARS - 9);
        out.truncate(out.trim_end_matches(['-', '.', '_']).len());
        out.push_str(&format!("-{:08x}", fnv1a(text.as_bytes()) as u32));
    }
    out
}

/// The most characters of a [`slug`].
const SLUG_CHARS: usize = 80;

/// A [`slug`], and whether it was cut short of letters or digits of `text`.
fn cut_slug(text: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = text.chars();
    for c in chars.by_ref() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= SLUG_CHARS {
            break;
        }
    }
    let cut = chars.any(|c| c.is_ascii_alphanumeric());
    let trimmed = out.trim_end_matches(['-', '.', '_']);
    let slug = match trimmed.is_empty() {
        true => "x".to_owned(),
        false => trimmed.to_owned(),
    };
    (slug, cut)
}

/// The 64-bit FNV-1a hash: fixed by its definition, so the ids made with it
/// are the same on every machine and in every version.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A JSON number for an `f64`; a non-finite one (which no parser here
/// gives) becomes `null`, that is, absent.
pub(crate) fn number(n: f64) -> Value {
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_valid_ids() {
        assert_eq!(slug("Stanford HELM"), "Stanford-HELM");
        assert_eq!(slug("  ---  "), "x");
        assert_eq!(slug("Llama 2: Open Foundation"), "Llama-2-Open-Foundation");
        for text in [
            "",
            "é",
            "a/b",
            "GPT-4 Technical Report",
            &"long ".repeat(40),
        ] {
            let s = slug(text);
            assert!(crate::model::Id::new(&format!("s:{s}")).is_ok(), "{s}");
            assert!(s.len() <= 80);
        }
    }
}
