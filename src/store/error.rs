//! The errors of the storage layer: each with a message a user can act on,
//! and the typed error that caused it as its `source()` where there is one.

use std::path::{Path, PathBuf};

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
    /// Stored bytes do not decode, or sled found its files corrupt (or
    /// panicked on them).
    #[error("{}", damaged_message(.path.as_deref(), .what))]
    Damaged {
        /// The database's directory, where it is known.
        path: Option<String>,
        /// What is damaged, as a sentence fragment.
        what: String,
        /// The error that found it, if one did.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// sled could not write to the database's files, which it does even to
    /// read them.
    #[error(
        "evident needs write access to {path} even to read it, because its storage engine \
         (sled) writes to the database's files whenever it opens them ({reason}); make it \
         writable, or copy the directory somewhere writable and use the copy"
    )]
    NeedsWriteAccess {
        /// The database's directory.
        path: String,
        /// What the system said.
        reason: String,
    },
    /// The disk holding the database is full.
    #[error(
        "the disk holding {path} is full: free some space and try again (a write that \
         failed is undone then), or export it to another disk with `evident export -o FILE`"
    )]
    DiskFull {
        /// The database's directory.
        path: String,
    },
    /// A value could not be encoded (should not happen for valid records).
    #[error("could not encode a value: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A write holds more than the store's 32-bit positions can number.
    #[error("the write is too large: {0}")]
    TooLarge(&'static str),
    /// A write to a copy of a database made only to read it.
    #[error(
        "the database at {0} could only be read from a copy (see the note above), and a \
         change to the copy would be lost, so nothing was changed; give evident write \
         access or free space there, then try again"
    )]
    CopyForReading(String),
    /// sled reported another I/O problem.
    #[error("could not read or write the database at {path}: {reason}")]
    Sled {
        /// The database's directory.
        path: String,
        /// What went wrong, as a sentence fragment.
        reason: String,
        /// sled's error.
        #[source]
        source: sled::Error,
    },
    /// A file of the store's own beside sled's could not be written.
    #[error("could not write {}: {}", path.display(), io_reason(source))]
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
    #[error("could not use a temporary file in the database directory: {}", io_reason(.0))]
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
        StoreError::Damaged {
            path: None,
            what,
            source: None,
        }
    }

    /// The same error, naming the database at `at` if it is a "damaged"
    /// error that does not name one yet (or a full disk met by a write's
    /// temporary files, which are in the database's directory).
    pub(crate) fn located(self, at: &Path) -> StoreError {
        match self {
            StoreError::Damaged {
                path: None,
                what,
                source,
            } => StoreError::Damaged {
                path: Some(at.display().to_string()),
                what,
                source,
            },
            StoreError::TempFile(io) if io.kind() == std::io::ErrorKind::StorageFull => {
                StoreError::DiskFull {
                    path: at.display().to_string(),
                }
            }
            other => other,
        }
    }

    /// sled's error as a message a user can act on, naming the database:
    /// a full disk and missing write access say what is needed; no debug
    /// text (sled's own messages carry some).
    pub(crate) fn from_sled(e: sled::Error, at: &Path) -> StoreError {
        let path = at.display().to_string();
        match e {
            sled::Error::Io(io) => StoreError::from_io(io, at),
            sled::Error::Corruption { .. } => StoreError::Damaged {
                path: Some(path),
                what: "its storage engine (sled) found corrupt data in its files".into(),
                source: Some(Box::new(e)),
            },
            sled::Error::ReportableBug(ref why) => StoreError::Damaged {
                path: Some(path),
                what: format!("its storage engine (sled) met an impossible state ({why})"),
                source: Some(Box::new(e)),
            },
            other => StoreError::Sled {
                path,
                reason: format!("its storage engine (sled) failed: {other}"),
                source: other,
            },
        }
    }

    /// An I/O error on the database's files (sled's or ours).
    pub(crate) fn from_io(io: std::io::Error, at: &Path) -> StoreError {
        let path = at.display().to_string();
        match io.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                StoreError::DiskFull { path }
            }
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                StoreError::NeedsWriteAccess {
                    reason: io_reason(&io),
                    path,
                }
            }
            _ if io.to_string().contains("could not acquire lock") => StoreError::InUse(path),
            _ => StoreError::Sled {
                path,
                reason: io_reason(&io),
                source: sled::Error::Io(io),
            },
        }
    }

    /// Whether the database could not be opened where it is for want of
    /// space or write access, though a copy elsewhere may be readable.
    pub fn wants_a_copy(&self) -> bool {
        matches!(
            self,
            StoreError::NeedsWriteAccess { .. } | StoreError::DiskFull { .. }
        )
    }
}

/// "the database at PATH is damaged: WHAT".
fn damaged_message(path: Option<&str>, what: &str) -> String {
    match path {
        Some(path) => format!("the database at {path} is damaged: {what}"),
        None => format!("the database is damaged: {what}"),
    }
}

/// An I/O error as a sentence fragment: the system's words, never a debug
/// dump (sled's `Clone` of an `io::Error` keeps only its debug text, which
/// `Display` would show).
pub(crate) fn io_reason(io: &std::io::Error) -> String {
    let text = io.to_string();
    if text.contains("Os {") || text.contains("kind:") {
        return io.kind().to_string();
    }
    text
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
