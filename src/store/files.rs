//! The database directory's files, looked at before sled opens them: sled's
//! leftovers that would make it fail, and a directory another process is
//! creating this very moment.

use super::{FORMAT_FILE, StoreError};
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an open waits for another process that is creating the
/// database to make sled's main file.
const CREATION_WAIT: Duration = Duration::from_secs(2);

/// What an open finds at a database's path, before sled opens it.
#[derive(Debug, PartialEq)]
pub enum Found {
    /// sled's main file `db` is there (or came while the open waited for
    /// another process creating it, whose lock the open then meets).
    Database,
    /// Nothing, or an empty directory: a database may be created there.
    Nothing,
    /// Other files of a store (and perhaps others) without its main file.
    MainFileMissing,
    /// Only files no store makes: not a database, and not ours to fill.
    Foreign,
}

/// Looks at the directory once, and decides from that one look: a second
/// look may see what another process creating the database made since,
/// and take a half-made directory for a damaged or a foreign one.
///
/// sled makes `conf`, `blobs/` and `db` in some order as it creates a
/// database, and evident writes `evident-format` after; so a directory of
/// only sled's files without `db` is being created, or was left so by a
/// creation that died. The open waits a moment for `db`, so that it meets
/// the creating process's lock and says "in use".
pub fn found(path: &Path) -> Found {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Nothing,
        // Unreadable: nothing an open could use.
        Err(_) => return Found::Foreign,
    };
    let names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.iter().any(|n| n == "db") {
        return Found::Database;
    }
    if names.is_empty() {
        return Found::Nothing;
    }
    let sleds = |n: &str| n == "conf" || n == "blobs" || n.starts_with("snap.");
    if !names.iter().any(|n| sleds(n) || n == FORMAT_FILE) {
        return Found::Foreign;
    }
    if names.iter().all(|n| sleds(n)) {
        let started = Instant::now();
        while started.elapsed() < CREATION_WAIT {
            if path.join("db").exists() {
                return Found::Database;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Found::MainFileMissing
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_tells_each_directory_from_one_look() {
        let dir = tempfile::tempdir().expect("temp dir");
        let at = |name: &str, files: &[&str]| {
            let path = dir.path().join(name);
            std::fs::create_dir(&path).expect("mkdir");
            for file in files {
                std::fs::write(path.join(file), "").expect("writes");
            }
            path
        };
        assert_eq!(found(&dir.path().join("absent")), Found::Nothing);
        assert_eq!(found(&at("empty", &[])), Found::Nothing);
        assert_eq!(found(&at("whole", &["conf", "db"])), Found::Database);
        assert_eq!(found(&at("foreign", &["notes.txt"])), Found::Foreign);
        // evident writes its format file after sled made `db`: no wait.
        let started = Instant::now();
        assert_eq!(
            found(&at("lost", &["conf", FORMAT_FILE])),
            Found::MainFileMissing
        );
        assert!(started.elapsed() < CREATION_WAIT);
        // sled's files alone: being created, if `db` comes in time…
        let creating = at("creating", &["conf"]);
        let db = creating.join("db");
        let creator = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(db, "").expect("writes");
        });
        assert_eq!(found(&creating), Found::Database);
        creator.join().expect("the creator");
        // … and damaged if it never does.
        assert_eq!(found(&at("died", &["conf"])), Found::MainFileMissing);
    }
}
