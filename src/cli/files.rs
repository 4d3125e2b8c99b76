//! Reading import files and writing export files, the same for `evident
//! import`/`export` and the shell's `.import`/`.export`.

use evident::{Database, ImportReport};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Opens an import file, decompressing gzip (by extension or by its magic bytes).
pub fn open_input(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let gzip = path.extension().is_some_and(|e| e == "gz")
        || reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(reader),
        )))
    } else {
        Ok(Box::new(reader))
    }
}

/// Writes what an import skipped and what it did: `FILE:LINE: field: reason`
/// per skipped line, then one summary line.
pub fn write_import_report(
    err: &mut dyn Write,
    name: &str,
    report: &ImportReport,
    elapsed: Duration,
) {
    for p in &report.skipped {
        let _ = writeln!(err, "{}", p.located(name));
    }
    if report.skipped_total > report.skipped.len() {
        let _ = writeln!(
            err,
            "… and {} more skipped",
            report.skipped_total - report.skipped.len()
        );
    }
    let read: Vec<String> = report
        .read
        .iter()
        .zip([
            ("source", "sources"),
            ("claim", "claims"),
            ("evidence", "evidence"),
            ("result", "results"),
        ])
        .filter(|(n, _)| **n > 0)
        .map(|(n, (one, many))| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    let w = &report.written;
    let total: u64 = report.read.iter().sum();
    let rate = total as f64 / elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(
        err,
        "{name}: {} read; {} added, {} replaced, {} unchanged{} in {:.2} s ({rate:.0} records/s)",
        if read.is_empty() {
            "no records".to_owned()
        } else {
            read.join(", ")
        },
        w.added.iter().sum::<u64>(),
        w.replaced.iter().sum::<u64>(),
        w.unchanged,
        if report.skipped_total > 0 {
            format!(
                ", {} invalid line{} skipped",
                report.skipped_total,
                if report.skipped_total == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        },
        elapsed.as_secs_f64(),
    );
}

/// Exports every record to `path` (gzip-compressed when it ends in `.gz`).
/// A plain file is written beside it and renamed into place, so a failed
/// export leaves no half file; a link, device or pipe is written through.
/// Returns how many records were written.
pub fn export_to_file(db: &Database, path: &Path) -> Result<u64, String> {
    let in_path = |e: io::Error| format!("{}: {e}", path.display());
    let plain_file = match std::fs::symlink_metadata(path) {
        Ok(m) => m.is_file(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => true,
        Err(e) => return Err(in_path(e)),
    };
    if !plain_file {
        // A link, device or pipe (`-o /dev/stdout`, `-o /dev/null`): written
        // through, as `cp` would, never replaced.
        let file = File::create(path).map_err(in_path)?;
        return write_export(db, path, file);
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let in_partial = |e: io::Error| format!("{}: {e}", partial.display());
    // A leftover of an interrupted export goes; a new one is made afresh
    // (never by following a link someone left under that name).
    match std::fs::remove_file(&partial) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(in_partial(e)),
        _ => {}
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(in_partial)
        .and_then(|file| write_export(db, path, file))
        .and_then(|n| {
            std::fs::rename(&partial, path).map_err(in_path)?;
            Ok(n)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// Writes every record to `file`, gzipped when `path` ends in `.gz`.
fn write_export(db: &Database, path: &Path, file: File) -> Result<u64, String> {
    let failed = |e: io::Error| format!("{}: {e}", path.display());
    let mut out = io::BufWriter::new(file);
    let n = if path.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
        let n = db
            .export_jsonl_with(&mut gz, &super::stop::fresh())
            .map_err(|e| e.to_string())?;
        gz.finish().map_err(failed)?;
        n
    } else {
        db.export_jsonl_with(&mut out, &super::stop::fresh())
            .map_err(|e| e.to_string())?
    };
    // Flushed here, not on drop, where an error (a full disk) is lost.
    out.flush().map_err(failed)?;
    Ok(n)
}
