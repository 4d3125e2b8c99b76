//! The one error type of the library: each layer's error, joined.

use crate::import::ImportError;
use crate::store::StoreError;

/// Anything that can go wrong. `Display` gives the message the command line
/// prints.
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
    Store(StoreError),
    /// An import file was invalid; nothing was imported.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
}
