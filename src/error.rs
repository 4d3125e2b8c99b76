//! The one error type of the library: each layer's error, joined, every
//! conversion into it, and how it is shown to a person.

use crate::import::ImportError;
use crate::model::Kind;
use crate::store::StoreError;
use std::path::PathBuf;

/// Anything that can go wrong. `Display` gives the message the command line
/// prints; [`Error::render`] adds the statement with a caret for statement
/// errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A statement did not parse; the message points at the mistake.
    #[error("{0}")]
    Parse(#[from] crate::query::ParseError),
    /// A statement parsed but cannot run (unknown field, wrong type, …).
    #[error("{0}")]
    Query(#[from] crate::exec::QueryError),
    /// The store failed or refused a change.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// An import file was invalid; nothing was imported.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// Reading or writing a file or a stream failed.
    #[error("{}", io_message(.doing, .path.as_ref(), .source))]
    Io {
        /// What the library was doing, to follow "could not":
        /// `"write the export"`.
        doing: &'static str,
        /// The file, when the failure was on one; `None` for a stream the
        /// caller handed in (standard output, a socket, a buffer).
        path: Option<PathBuf>,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `add` without an id found every id its kind's prefix can make
    /// already taken.
    #[error("no free id for a new {}", .0.name())]
    NoFreeId(Kind),
    /// The process holding the database (SPEC 10) refused, failed or did
    /// not answer; the message is what it said, or what went wrong
    /// reaching it.
    #[error("{0}")]
    Holder(String),
    /// A bug in the library, not in the statement or the data: a worker
    /// thread stopped (it panicked) before finishing its part. The message
    /// says which thread.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A failed read or write on a stream handed in by the caller.
    pub(crate) fn io(doing: &'static str, source: std::io::Error) -> Error {
        Error::Io {
            doing,
            path: None,
            source,
        }
    }

    /// The message the command line prints: for statement errors, the
    /// statement with a caret under the mistake.
    pub fn render(&self, script: &str) -> String {
        match self {
            Error::Parse(e) => e.render(script),
            Error::Query(e) => e.render(script),
            other => other.to_string(),
        }
    }
}

/// `could not write the export: Broken pipe (os error 32)`, with the file
/// first when there is one (`out.jsonl: could not write …`), as the command
/// line names files in its own messages.
fn io_message(doing: &str, path: Option<&PathBuf>, source: &std::io::Error) -> String {
    match path {
        Some(path) => format!("{}: could not {doing}: {source}", path.display()),
        None => format!("could not {doing}: {source}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_name_what_failed_and_where() {
        let broken = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let stream = Error::io("write the export", broken());
        assert_eq!(
            stream.to_string(),
            format!("could not write the export: {}", broken())
        );
        let file = Error::Io {
            doing: "read the script",
            path: Some(PathBuf::from("q.evq")),
            source: broken(),
        };
        assert_eq!(
            file.to_string(),
            format!("q.evq: could not read the script: {}", broken())
        );
        assert!(!file.to_string().contains("Kind("), "no Debug text: {file}");
    }
}
