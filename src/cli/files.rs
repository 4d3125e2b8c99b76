//! Reading import files and writing export files, the same for `evident
//! import`/`export` and the shell's `.import`/`.export`.

use evident::{Connection, ImportReport};
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
    // The problems shown are of the first lines (a line may have several).
    let mut shown: Vec<(Option<&str>, u64)> = (report.skipped.iter())
        .map(|p| (p.file.as_deref(), p.line))
        .collect();
    shown.dedup();
    if report.skipped_total > shown.len() {
        let more = report.skipped_total - shown.len();
        let _ = writeln!(
            err,
            "… and {more} more line{} skipped",
            if more == 1 { "" } else { "s" }
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
pub fn export_to_file(db: &Connection, path: &Path) -> Result<u64, String> {
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
    let partial = partial_path(path);
    let in_partial = |e: io::Error| format!("{}: {e}", partial.display());
    remove_stale_partials(path);
    // Ctrl-C takes the half-written file with it (kill -9 cannot: the next
    // export into the directory removes what it left).
    let leftover = partial.clone();
    let _ = ctrlc::set_handler(move || {
        let _ = std::fs::remove_file(&leftover);
        eprintln!("interrupted: nothing was exported");
        std::process::exit(130);
    });
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

/// What an export's temporary files are called: hidden, beside the target
/// (so the rename is on one file system), named after the process.
const PARTIAL_TAG: &str = ".evident-export-";

/// The temporary file an export to `path` writes before renaming it:
/// `.NAME.evident-export-PID.partial` in the same directory.
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        ".{name}{PARTIAL_TAG}{}.partial",
        std::process::id()
    ))
}

/// Removes what killed exports left in the directory of `path`: temporary
/// files of processes that no longer run (where `/proc` tells), and any
/// earlier one for this very target, and the `.partial` files of earlier
/// evident versions for it.
fn remove_stale_partials(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    let mut old_style = path.as_os_str().to_owned();
    old_style.push(".partial");
    let _ = std::fs::remove_file(PathBuf::from(old_style));
    let can_tell = Path::new("/proc/self").exists();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file
            .strip_suffix(".partial")
            .and_then(|f| f.strip_prefix('.'))
        else {
            continue;
        };
        let Some((target, pid)) = rest.rsplit_once(PARTIAL_TAG) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        let gone = can_tell && !Path::new("/proc").join(pid.to_string()).exists();
        if gone || (!can_tell && target == name) || pid == std::process::id() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes every record to `file`, gzipped when `path` ends in `.gz`.
fn write_export(db: &Connection, path: &Path, file: File) -> Result<u64, String> {
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
