//! Where the process holding a database answers: a Unix socket in the
//! database directory (SPEC 10), or, where that path is too long for a
//! socket address, a socket in the temporary directory whose path is
//! recorded in the database directory.

use std::path::{Path, PathBuf};

/// The socket's name in the database directory.
pub const SOCKET_NAME: &str = "evident.sock";
/// The file in the database directory that records a fallback socket's
/// path, when the directory's own path is too long for one.
pub const FALLBACK_RECORD: &str = "evident-socket";

#[cfg(feature = "serve")]
/// A socket address holds at most 107 bytes of path on Linux (108 with the
/// terminating zero; 104 on the BSDs and macOS): stay under both.
const MAX_SOCKET_PATH: usize = 100;

#[cfg(feature = "serve")]
/// Where a holder of the database at `db` binds its socket, and whether it
/// is a fallback that must be recorded in the directory.
pub fn socket_for_holder(db: &Path) -> (PathBuf, bool) {
    let own = db.join(SOCKET_NAME);
    if own.as_os_str().len() <= MAX_SOCKET_PATH {
        return (own, false);
    }
    // A name derived from the directory, so that two long-named databases
    // do not meet; in $XDG_RUNTIME_DIR (private to the user) when that is short.
    let absolute = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    let name = format!(
        "evident-{:016x}.sock",
        fnv1a(absolute.as_os_str().as_encoded_bytes())
    );
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && dir.join(&name).as_os_str().len() <= MAX_SOCKET_PATH);
    (runtime.unwrap_or_else(std::env::temp_dir).join(name), true)
}

/// Where a client finds the holder of the database at `db`: the recorded
/// fallback if there is one, else the socket in the directory.
pub fn socket_for_client(db: &Path) -> PathBuf {
    match std::fs::read(db.join(FALLBACK_RECORD)) {
        // A path, not a file's contents: anything long or odd is ignored.
        Ok(bytes) if bytes.len() <= 4096 => match std::str::from_utf8(&bytes) {
            Ok(text) if Path::new(text.trim()).is_absolute() => PathBuf::from(text.trim()),
            _ => db.join(SOCKET_NAME),
        },
        _ => db.join(SOCKET_NAME),
    }
}

/// Removes what a holder that is gone left behind: its socket and the
/// record of a fallback. Only a process holding the database's lock may
/// call it (no holder can be answering then).
pub fn remove_stale(db: &Path) {
    let recorded = socket_for_client(db);
    let own = db.join(SOCKET_NAME);
    for path in [recorded, own] {
        if is_socket(&path) {
            let _ = std::fs::remove_file(&path);
        }
    }
    let _ = std::fs::remove_file(db.join(FALLBACK_RECORD));
}

/// Whether `path` is a socket (never removes a file that is something else).
pub fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

#[cfg(feature = "serve")]
/// 64-bit FNV-1a: a stable name, not a secret.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(all(test, feature = "serve"))]
mod tests {
    use super::*;

    #[test]
    fn a_short_path_gets_its_socket_in_the_directory() {
        let (path, fallback) = socket_for_holder(Path::new("/tmp/x/claims.db"));
        assert_eq!(path, Path::new("/tmp/x/claims.db/evident.sock"));
        assert!(!fallback);
    }

    #[test]
    fn a_long_path_falls_back_and_the_client_finds_the_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("d".repeat(120));
        std::fs::create_dir_all(&db).expect("creates");
        let (path, fallback) = socket_for_holder(&db);
        assert!(fallback);
        assert!(
            path.as_os_str().len() <= MAX_SOCKET_PATH,
            "{}",
            path.display()
        );
        assert_eq!(socket_for_client(&db), db.join(SOCKET_NAME));
        std::fs::write(db.join(FALLBACK_RECORD), path.to_str().expect("utf-8")).expect("writes");
        assert_eq!(socket_for_client(&db), path);
    }
}
