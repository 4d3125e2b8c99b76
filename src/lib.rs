//! evident — an embedded database of claims and the evidence for and against them.
//!
//! Sources, claims, evidence and benchmark results go in; each claim's status
//! (`verified`, `refuted`, `contested`, `unresolved`) and confidence come out,
//! derived from the evidence, the sources' reliability and whether they are
//! independent of the party the claim is about.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("claims.db");
//! let db = evident::Database::open(&path)?;
//! let data = r#"{"type":"source","id":"lab","title":"Independent lab","reliability":0.9}
//! {"type":"claim","id":"c1","text":"Model X scores 72% on SWE-bench Verified","subject":"Model X"}
//! {"type":"evidence","id":"e1","claim":"c1","source":"lab","stance":"supports"}"#;
//! db.import_jsonl(data.as_bytes())?;
//! let out = db.query("claims where status = verified select id, confidence")?;
//! assert_eq!(serde_json::to_string(&out)?, r#"[{"id":"c1","confidence":0.95}]"#);
//! # Ok(()) }
//! ```
//!
//! Features: `cli` (default) builds the `evident` command and turns on
//! `table` (the table output format); `default-features = false` is the
//! engine alone. `ARCHITECTURE.md` maps the modules and the format on disk.
//!
//! It is not: a general-purpose SQL database, a server, a fact-checker that
//! decides truth on its own, or a store shared by several processes at once.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod exec;
mod export;
mod import;
pub mod model;
pub mod query;
pub mod render;
pub mod suggest;
// Private: the block format, key layouts and sled itself are no part of the
// API; everything outside the crate goes through `Database`.
mod store;

pub use error::Error;
pub use exec::{Output, QueryError, RowSink, Value};
pub use import::{ImportError, ImportOptions, ImportReport};
#[doc(hidden)]
pub use store::LogEntry;
pub use store::{CheckReport, Counters, Interrupt, Rejection, StoreError, WriteSummary};

use model::{Derived, Kind, Record};
use std::io::BufRead;
use std::path::Path;

/// An open database. `Send + Sync`: share it between threads; one write
/// runs at a time and readers go on meanwhile.
pub struct Database {
    store: store::Store,
}

impl Database {
    /// Opens the database at `path`, creating it if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Database, Error> {
        Ok(Database {
            store: store::Store::open(path.as_ref(), true)?,
        })
    }

    /// A handle that stops the reading statement in progress (it fails with
    /// "interrupted"); for Ctrl-C in a shell, or a timeout.
    pub fn interrupt_handle(&self) -> Interrupt {
        self.store.interrupt_handle()
    }

    /// Opens an existing database; fails (creating nothing) if there is none.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Database, Error> {
        Ok(Database {
            store: store::Store::open(path.as_ref(), false)?,
        })
    }

    /// Opens a copy of the database at `path`, made in `scratch` (a
    /// directory that must not exist yet), for reading a database that
    /// cannot be opened where it is: sled writes whenever it opens a
    /// database, so read-only media and a full disk stop even reads (see
    /// [`StoreError::wants_a_copy`]). Writes change only the copy; the
    /// caller removes `scratch` when done.
    pub fn open_copy(path: impl AsRef<Path>, scratch: impl AsRef<Path>) -> Result<Database, Error> {
        Ok(Database {
            store: store::Store::open_copy(path.as_ref(), scratch.as_ref())?,
        })
    }

    /// Imports JSON Lines atomically (SPEC section 3): all or nothing.
    pub fn import_jsonl(&self, reader: impl BufRead) -> Result<ImportReport, Error> {
        self.import_jsonl_with("<input>", reader, ImportOptions::default(), &mut |_| {})
    }

    /// Imports with a file name for messages, options, and a progress
    /// callback given the bytes read so far.
    pub fn import_jsonl_with(
        &self,
        file: &str,
        reader: impl BufRead,
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, Error> {
        import::import(&self.store, file, reader, options, progress)
    }

    /// Runs one statement.
    pub fn query(&self, statement: &str) -> Result<Output, Error> {
        let mut outputs = self.run_script(statement)?;
        match outputs.len() {
            1 => Ok(outputs.remove(0)),
            n => Err(Error::Query(exec::QueryError::NotOneStatement(n))),
        }
    }

    /// Runs a script of statements separated by `;`, stopping at the first
    /// failure. The outputs of the statements before it are lost with it;
    /// use [`Database::run_each`] to keep them.
    pub fn run_script(&self, script: &str) -> Result<Vec<Output>, Error> {
        let mut outputs = Vec::new();
        self.run_each(script, &mut |out| outputs.push(out))?;
        Ok(outputs)
    }

    /// Runs a script, handing each statement's output over as soon as it is
    /// ready, and stops at the first failing statement.
    pub fn run_each(&self, script: &str, sink: &mut dyn FnMut(Output)) -> Result<(), Error> {
        for statement in query::statements(script) {
            self.store.clear_interrupt();
            sink(exec::execute(&self.store, script, &statement?, None)?);
        }
        Ok(())
    }

    /// Like [`Database::run_each`], but the rows of queries in id order go
    /// to `sink` as they are found, and their outputs come without rows:
    /// memory stays flat however many rows a query returns.
    pub fn run_each_streaming(&self, script: &str, sink: &mut dyn RowSink) -> Result<(), Error> {
        for statement in query::statements(script) {
            self.store.clear_interrupt();
            let out = exec::execute(&self.store, script, &statement?, Some(&mut *sink))?;
            sink.done(out);
        }
        Ok(())
    }

    /// Writes every record as JSON Lines; returns how many.
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<u64, Error> {
        export::export(&self.store, out)
    }

    /// Verifies the database (indexes, references, derived values, counters).
    pub fn check(&self) -> Result<CheckReport, Error> {
        Ok(self.store.check()?)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The record and status counts, kept up to date by every write (read
    /// without scanning).
    pub fn counters(&self) -> Result<Counters, Error> {
        Ok(self.store.counters()?)
    }

    /// A claim's stored derived values (status, confidence, …); `None` if no
    /// claim has this id.
    pub fn derived(&self, claim: &str) -> Result<Option<Derived>, Error> {
        Ok(self.store.derived(claim)?)
    }

    /// Every record of `kind`, in id order. Like a statement, the walk
    /// forgets an interrupt that came before it, and one that comes during
    /// it (see [`Database::interrupt_handle`]) stops it with
    /// [`StoreError::Interrupted`].
    pub fn records(
        &self,
        kind: Kind,
    ) -> Result<impl Iterator<Item = Result<Record, Error>> + '_, Error> {
        self.store.clear_interrupt();
        Ok(self
            .store
            .scan(kind)?
            .map(|item| item.map(|(record, _)| record).map_err(Error::from)))
    }

    /// Distinct values of an indexed string field of `collection` (claim
    /// subjects, tags, source kinds, …), in order, at most `limit` of them;
    /// for a shell's completion. Reads at most `5 × limit` index entries, so
    /// it stays quick on a database of millions of records; empty for a
    /// field without an index or whose values are not strings.
    pub fn distinct_values(
        &self,
        collection: Kind,
        field: &str,
        limit: usize,
    ) -> Result<Vec<String>, Error> {
        Ok(self.store.distinct_values(collection, field, limit)?)
    }

    /// Ids of records of `kind`, sorted, from the first `limit` entries of an
    /// index every such record has; for a shell's completion.
    pub fn record_ids(&self, kind: Kind, limit: usize) -> Result<Vec<String>, Error> {
        Ok(self.store.record_ids(kind, limit)?)
    }

    /// The store, for the crate's own unit tests.
    #[cfg(test)]
    pub(crate) fn store(&self) -> &store::Store {
        &self.store
    }

    /// Every logged write, oldest first (for tests).
    #[doc(hidden)]
    pub fn log(&self) -> Result<Vec<LogEntry>, Error> {
        Ok(self.store.log()?)
    }
}
