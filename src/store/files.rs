//! The database directory's files, looked at before sled opens them: sled's
//! leftovers that would make it fail, and a directory another process is
//! creating this very moment.

use super::StoreError;
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an open waits for another process that is creating the
/// database to make sled's main file.
const CREATION_WAIT: Duration = Duration::from_secs(2);

/// Files sled (or evident) makes in a database directory besides `db`.
const STORE_FILES: [&str; 3] = ["conf", "blobs", "evident-format"];

/// Whether the directory holds a store's files (other than `db`).
pub fn has_store_files(path: &Path) -> bool {
    STORE_FILES.iter().any(|f| path.join(f).exists()) || !snapshots(path, |_| true).is_empty()
}

/// Whether another process is creating the database at `path`: sled's
/// first files are there but not yet its main file. Waits a moment for
/// that file, so the open that follows meets the other process's lock and
/// says "in use", rather than taking the half-made directory for something
/// that is not a database.
pub fn being_created(path: &Path) -> bool {
    if !path.join("blobs").exists() || path.join("evident-format").exists() {
        return false;
    }
    let started = Instant::now();
    while started.elapsed() < CREATION_WAIT {
        if path.join("db").exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The names in `path` of sled's snapshot files that pass `keep`.
fn snapshots(path: &Path, keep: impl Fn(&str) -> bool) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("snap.") && keep(&name)
        })
        .map(|e| e.path())
        .collect()
}

/// Removes the snapshots sled began and never finished.
///
/// sled writes a snapshot to `snap.N.generating` and renames it to `snap.N`
/// when it is complete. A full disk or a kill can leave the first behind,
/// and sled 0.34 then reads it as the newest snapshot and reports the whole
/// database corrupt (sled #1527), though the data is intact: a snapshot
/// only saves replaying sled's log, which holds everything. So the
/// unfinished ones go before sled opens — unless another process holds the
/// database (and may be writing one now); sled's open then says it is in use.
pub fn remove_unfinished_snapshots(path: &Path) -> Result<(), StoreError> {
    let unfinished = snapshots(path, |name| name.ends_with(".generating"));
    if unfinished.is_empty() {
        return Ok(());
    }
    let Ok(db) = File::open(path.join("db")) else {
        return Ok(());
    };
    // sled holds this same lock on `db` while the database is open.
    match db.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(()),
        Err(TryLockError::Error(e)) => return Err(StoreError::from_io(e, path)),
    }
    for file in unfinished {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::from_io(e, path));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Copies the database at `from` into the new directory `to`, holding
/// sled's lock on it meanwhile (shared: no writer can start), so the copy
/// is of a database at rest. Fails with "in use" if a process holds it.
pub fn copy_at_rest(from: &Path, to: &Path) -> Result<(), StoreError> {
    let db = File::open(from.join("db")).map_err(|e| StoreError::from_io(e, from))?;
    match db.try_lock_shared() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(StoreError::InUse(from.display().to_string()));
        }
        Err(TryLockError::Error(e)) => return Err(StoreError::from_io(e, from)),
    }
    copy_dir(from, to)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::create_dir(to).map_err(|e| StoreError::from_io(e, to))?;
    for entry in std::fs::read_dir(from).map_err(|e| StoreError::from_io(e, from))? {
        let entry = entry.map_err(|e| StoreError::from_io(e, from))?;
        let target = to.join(entry.file_name());
        let is_dir = entry
            .file_type()
            .map_err(|e| StoreError::from_io(e, from))?
            .is_dir();
        if is_dir {
            copy_dir(&entry.path(), &target)?;
        } else {
            // Copied by content, not with `fs::copy`, which would keep a
            // read-only original's permissions and leave the copy unopenable.
            let mut source = File::open(entry.path()).map_err(|e| StoreError::from_io(e, from))?;
            let mut copy = File::create(&target).map_err(|e| StoreError::from_io(e, to))?;
            std::io::copy(&mut source, &mut copy).map_err(|e| StoreError::from_io(e, to))?;
        }
    }
    Ok(())
}
