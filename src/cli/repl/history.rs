//! Statement history kept across sessions, in
//! `$XDG_DATA_HOME/evident/history` (else `~/.local/share/evident/history`),
//! readable by its owner only. Whole statements are entries: one typed on
//! several lines comes back whole.

use rustyline::history::History;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Entries kept.
pub const MAX_ENTRIES: usize = 1000;

/// The history file for this user, from the environment.
pub fn default_path() -> Option<PathBuf> {
    path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
}

/// The history file given `$XDG_DATA_HOME` and `$HOME`. The XDG base
/// directory specification says a relative `XDG_DATA_HOME` is to be ignored.
pub fn path_from(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let data = xdg_data_home.and_then(absolute).or_else(|| {
        home.and_then(absolute)
            .map(|h| h.join(".local").join("share"))
    })?;
    Some(data.join("evident").join("history"))
}

/// The editor settings the history depends on: duplicates skipped, entries
/// added by the shell itself (whole statements, not lines).
pub fn config() -> rustyline::config::Builder {
    let builder = rustyline::Config::builder().auto_add_history(false);
    // These two fail only for values rustyline cannot take; the defaults do then.
    let builder = match builder.clone().history_ignore_dups(true) {
        Ok(b) => b,
        Err(_) => builder,
    };
    match builder.clone().max_history_size(MAX_ENTRIES) {
        Ok(b) => b,
        Err(_) => builder,
    }
}

/// Loads the history file into `history`; a missing file is an empty history.
pub fn load<H: History>(history: &mut H, path: &Path) -> Result<(), String> {
    match history.load(path) {
        Ok(()) => Ok(()),
        Err(rustyline::error::ReadlineError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
            Ok(())
        }
        Err(e) => Err(format!(
            "could not read the history file {}: {e}",
            path.display()
        )),
    }
}

/// Adds a statement to `history` and appends it to the file at once, so a
/// session that ends badly keeps what was typed. Returns whether it was
/// added (a repeat of the last entry is not).
pub fn record<H: History>(history: &mut H, path: &Path, entry: &str) -> Result<bool, String> {
    let added = history.add(entry).map_err(|e| e.to_string())?;
    if !added {
        return Ok(false);
    }
    let failed = |e: &dyn std::fmt::Display| {
        format!("could not write the history file {}: {e}", path.display())
    };
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| failed(&e))?;
    }
    history.append(path).map_err(|e| failed(&e))?;
    restrict(path).map_err(|e| failed(&e))?;
    Ok(true)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// Makes the file readable and writable by its owner only: statements can
/// hold what others should not read.
#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::{FileHistory, SearchDirection};

    fn entries(history: &FileHistory) -> Vec<String> {
        (0..history.len())
            .map(|i| {
                history
                    .get(i, SearchDirection::Forward)
                    .unwrap()
                    .unwrap()
                    .entry
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn path_follows_xdg_then_home() {
        let p = |x: Option<&str>, h: Option<&str>| {
            path_from(x.map(OsString::from), h.map(OsString::from))
        };
        assert_eq!(
            p(Some("/x"), Some("/home/u")),
            Some(PathBuf::from("/x/evident/history"))
        );
        assert_eq!(
            p(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/evident/history"))
        );
        assert_eq!(
            p(Some(""), Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/evident/history"))
        );
        assert_eq!(
            p(Some("relative"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.local/share/evident/history"))
        );
        assert_eq!(p(None, None), None);
    }

    #[test]
    fn statements_persist_across_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_from(Some(dir.path().as_os_str().to_owned()), None).unwrap();
        let config = config().build();
        let mut first = FileHistory::with_config(&config);
        load(&mut first, &path).unwrap();
        assert_eq!(first.len(), 0);
        let multi_line = "claims where\n         status = unresolved";
        assert!(record(&mut first, &path, "count claims").unwrap());
        assert!(record(&mut first, &path, multi_line).unwrap());
        assert!(
            !record(&mut first, &path, multi_line).unwrap(),
            "a repeat is skipped"
        );
        assert!(record(&mut first, &path, r#"claims where text ~ "a\\b""#).unwrap());

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o077, 0);
        }

        let mut second = FileHistory::with_config(&config);
        load(&mut second, &path).unwrap();
        assert_eq!(
            entries(&second),
            vec!["count claims", multi_line, r#"claims where text ~ "a\\b""#]
        );
        // A second session appends to what the first wrote.
        assert!(record(&mut second, &path, "sources").unwrap());
        let mut third = FileHistory::with_config(&config);
        load(&mut third, &path).unwrap();
        assert_eq!(third.len(), 4);
    }

    #[test]
    fn an_unwritable_history_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").unwrap();
        let mut history = FileHistory::with_config(&config().build());
        let err = record(
            &mut history,
            &blocker.join("evident").join("history"),
            "claims",
        )
        .unwrap_err();
        assert!(err.contains("could not write the history file"), "{err}");
    }
}
