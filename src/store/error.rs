//! The errors of the storage layer: each with a message a user can act on,
//! and the typed error that caused it as its `source()` where there is one.

use std::path::PathBuf;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process holds the database.
    #[error("the database at {0} is in use by another evident process")]
    InUse(String),
    /// A reading command was pointed at a database that does not exist.
    #[error("no database at {0} (create one with `evident import FILE`, or pass --db PATH)")]
    Missing(String),
    /// The database was written by another format version.
    #[error(
        "the database at {path} has format version {found}, but this evident reads version {expected}"
    )]
    Version {
        /// Where the database is.
        path: String,
        /// The version on disk.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// The path holds something that is not an evident database.
    #[error("{0} is not an evident database")]
    NotEvident(String),
    /// Stored bytes do not decode, or sled found its files corrupt.
    #[error("the database is damaged: {what}; run `evident check` for details")]
    Damaged {
        /// What is damaged, as a sentence fragment.
        what: String,
        /// The error that found it, if one did.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A value could not be encoded (should not happen for valid records).
    #[error("could not encode a value: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A write holds more than the store's 32-bit positions can number.
    #[error("the write is too large: {0}")]
    TooLarge(&'static str),
    /// sled reported an I/O problem.
    #[error("storage error: {0}")]
    Sled(#[source] sled::Error),
    /// A file of the store's own beside sled's could not be written.
    #[error("storage error: could not write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A previous write panicked while it held the writer's lock; the
    /// process must start again before it writes.
    #[error("storage error: a previous write panicked")]
    Poisoned,
    /// A thread helping a write panicked, before anything was written:
    /// a bug, not damage.
    #[error("storage error: {0} stopped unexpectedly; nothing was written")]
    ThreadFailed(&'static str),
    /// A large write could not use its temporary files.
    #[error("could not use a temporary file in the database directory: {0}")]
    TempFile(#[source] std::io::Error),
    /// A reading statement was stopped by
    /// [`Interrupt::interrupt`](super::Interrupt::interrupt).
    #[error("interrupted")]
    Interrupted,
    /// A write was started on a thread that is still reading the same
    /// database (a row sink or a [`Database::records`](crate::Database::records)
    /// walk that writes): the write would wait for that reader forever.
    #[error(
        "a write cannot start while the same thread is still reading this database (finish the query or the records walk first)"
    )]
    WriteWhileReading,
    /// One or more changes were refused; nothing was written.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rejected(Vec<Rejection>),
}

impl StoreError {
    /// Stored bytes that do not decode, found without an underlying error.
    pub(crate) fn damaged(what: String) -> StoreError {
        StoreError::Damaged { what, source: None }
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        match e {
            sled::Error::Corruption { .. } => StoreError::Damaged {
                what: e.to_string(),
                source: Some(Box::new(e)),
            },
            other => StoreError::Sled(other),
        }
    }
}

/// Why one change was refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    /// The record the change was about.
    pub id: String,
    /// The change's position in its write: the number of changes given
    /// before it.
    pub position: Option<u32>,
    /// The field at fault, if one is.
    pub field: Option<&'static str>,
    /// What is wrong, as a sentence fragment.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.field {
            Some(field) => write!(f, "{}: {field}: {}", self.id, self.reason),
            None => write!(f, "{}: {}", self.id, self.reason),
        }
    }
}
