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
//! One process holds a database at a time (SPEC section 10); it can serve
//! it to others (`evident serve`, feature `serve`), which reach it through
//! [`Connection`]. It is not: a general-purpose SQL database, a network
//! database server, or a fact-checker that decides truth on its own.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
mod exec;
mod export;
mod import;
pub mod model;
mod params;
pub mod query;
pub mod render;
#[cfg(feature = "serve")]
pub mod serve;
pub mod suggest;
// Private: the block format, key layouts and sled itself are no part of the
// API; everything outside the crate goes through `Database`.
mod store;

pub use client::Connection;
pub use error::Error;
pub use exec::{Output, QueryError, RowSink, Value};
pub use import::{ImportError, ImportFormat, ImportOptions, ImportReport};
pub use params::{ParamValue, Params};
#[doc(hidden)]
pub use store::LogEntry;
pub use store::{CheckReport, Counters, Interrupt, Rejection, StoreError, WriteSummary};

use model::{Derived, Kind, Record};
use std::io::BufRead;
use std::path::Path;

/// An open database. `Send + Sync`: share it between threads.
///
/// **Consistency.** Every statement — a query, a count, `show`, `explain`,
/// an export, `check` — sees the database as it was before a write or
/// after it, never between a write's phases; writes run one at a time
/// (SPEC 10). A write reads, validates and sorts its changes while
/// statements go on; only while it changes the maps (its last phases) do
/// statements wait, and it waits for the statements already running when
/// it got there (statements that arrive after it wait behind it, so a
/// stream of queries cannot starve it). So a write can be held back for as
/// long as the longest statement that started before it — including the
/// time that statement's row sink takes to take its rows: a caller that
/// streams rows to a slow consumer should buffer them (the server does),
/// and an iterator from [`Database::records`] holds writes back until it
/// is dropped. A thread that reads may run another statement meanwhile (a
/// row sink that queries), but not a write: that is an error, not a
/// deadlock.
///
/// **Interrupts.** Each call that runs statements takes (or makes) its own
/// [`Interrupt`]: firing it stops that call's statement and no other.
pub struct Database {
    store: store::Store,
}

/// Where a script's outputs go.
enum Delivery<'a> {
    /// Each statement's whole output.
    Whole(&'a mut dyn FnMut(Output)),
    /// Rows as they are found, then each output (without its rows).
    Streamed(&'a mut dyn RowSink),
}

/// The rows of [`Database::records`], holding the statement gate.
struct Records<'a> {
    scan: store::RecordScan<'a>,
    /// Keeps writes out until the walk is dropped.
    _reading: store::Reading<'a>,
}

impl Iterator for Records<'_> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(
            self.scan
                .next()?
                .map(|(record, _)| record)
                .map_err(Error::from),
        )
    }
}

impl Database {
    /// Sets the clock writes are recorded by (SPEC 9), for tests and
    /// reproducible examples: `Some(ms)` (milliseconds since the Unix epoch,
    /// see [`model::time::parse_time`]) makes each write record that time —
    /// or, as always, 1 ms after the last write's when that is later —
    /// and `None` goes back to the system clock. The command line reads the
    /// same from the environment variable `EVIDENT_CLOCK`
    /// (`EVIDENT_CLOCK=2026-12-05T09:00:00Z`).
    pub fn set_clock(&self, ms: Option<u64>) {
        self.store.set_clock(ms);
    }

    /// The format version the database was upgraded from, in place, when
    /// it was opened (SPEC 5: the command line says so on standard error);
    /// `None` when it needed no upgrade.
    pub fn upgraded_from(&self) -> Option<u32> {
        self.store.upgraded_from()
    }

    /// Opens the database at `path`, creating it if missing. A database
    /// another process holds is refused, saying by what; [`Connection`]
    /// reaches it through that process when it serves it.
    pub fn open(path: impl AsRef<Path>) -> Result<Database, Error> {
        Database::open_here(path.as_ref(), true)
            .map_err(|e| client::name_the_holder(path.as_ref(), e))
    }

    /// Opens the database in this process (the error of a held one as the
    /// store gives it).
    pub(crate) fn open_here(path: &Path, create: bool) -> Result<Database, Error> {
        Ok(Database {
            store: store::Store::open(path, create)?,
        })
    }

    /// Opens an existing database; fails (creating nothing) if there is none.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Database, Error> {
        Database::open_here(path.as_ref(), false)
            .map_err(|e| client::name_the_holder(path.as_ref(), e))
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

    /// Imports files of another format (`evident import --from`) as one
    /// atomic import, as [`Database::import_jsonl_with`] does: `label` names
    /// it in messages, `progress` is given the bytes read so far.
    pub fn import_files_with(
        &self,
        format: &ImportFormat,
        label: &str,
        paths: &[std::path::PathBuf],
        options: ImportOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport, Error> {
        import::import_converted(&self.store, format, label, paths, options, progress)
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
        self.run_each_with(script, &Params::new(), &Interrupt::new(), sink)
    }

    /// [`Database::run_each`] with the script's parameters (SPEC 4.2) and
    /// the interrupt that stops it.
    pub fn run_each_with(
        &self,
        script: &str,
        params: &Params,
        interrupt: &Interrupt,
        sink: &mut dyn FnMut(Output),
    ) -> Result<(), Error> {
        self.run(script, params, interrupt, Delivery::Whole(sink))
    }

    /// Like [`Database::run_each`], but the rows of queries in id order go
    /// to `sink` as they are found, and their outputs come without rows:
    /// memory stays flat however many rows a query returns.
    pub fn run_each_streaming(&self, script: &str, sink: &mut dyn RowSink) -> Result<(), Error> {
        self.run_each_streaming_with(script, &Params::new(), &Interrupt::new(), sink)
    }

    /// [`Database::run_each_streaming`] with the script's parameters (SPEC
    /// 4.2) and the interrupt that stops it (and nothing else).
    ///
    /// Parameters are checked before anything runs: every `$name` must be
    /// bound and every binding used. Each statement runs on a consistent
    /// state (see [`Database`]); while it streams rows, writes wait.
    pub fn run_each_streaming_with(
        &self,
        script: &str,
        params: &Params,
        interrupt: &Interrupt,
        sink: &mut dyn RowSink,
    ) -> Result<(), Error> {
        self.run(script, params, interrupt, Delivery::Streamed(sink))
    }

    /// Parses the whole script, binds its parameters, then runs the
    /// statements one by one. A statement that does not parse fails after
    /// the ones before it ran, as if read lazily.
    fn run(
        &self,
        script: &str,
        params: &Params,
        interrupt: &Interrupt,
        mut to: Delivery<'_>,
    ) -> Result<(), Error> {
        let mut parsed = Vec::new();
        let mut syntax_error = None;
        for statement in query::statements(script) {
            match statement {
                Ok(s) => parsed.push(s),
                Err(e) => syntax_error = Some(e),
            }
        }
        let statements = exec::bind_script(&parsed, params, syntax_error.is_none())?;
        let store = self.store.for_statement(interrupt);
        for statement in &statements {
            store.check_interrupt()?;
            // A write takes the writer lock, then the gate for its phases,
            // itself: holding the gate shared here would wait for itself.
            let reading = match statement.kind.writes() {
                true => None,
                false => Some(store.reading()?),
            };
            match &mut to {
                Delivery::Whole(sink) => {
                    let out = exec::execute(&store, script, statement, None)?;
                    drop(reading);
                    sink(out);
                }
                Delivery::Streamed(sink) => {
                    let out = exec::execute(&store, script, statement, Some(&mut **sink))?;
                    drop(reading);
                    sink.done(out);
                }
            }
        }
        match syntax_error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// Writes every recorded write as JSON Lines, oldest first (SPEC 9;
    /// `evident export --history`): `{"recorded", "action", "id", "record"}`,
    /// so nothing recorded is trapped in the binary format. Returns how
    /// many lines. One consistent state, as [`Database::export_jsonl`].
    pub fn export_history_jsonl(&self, out: &mut dyn std::io::Write) -> Result<u64, Error> {
        self.export_history_jsonl_with(out, &Interrupt::new())
    }

    /// [`Database::export_history_jsonl`], stopped by `interrupt`.
    pub fn export_history_jsonl_with(
        &self,
        out: &mut dyn std::io::Write,
        interrupt: &Interrupt,
    ) -> Result<u64, Error> {
        self.reading(interrupt, |store| exec::export_history(store, out))
    }

    /// Writes every record as JSON Lines; returns how many. The export is
    /// one consistent state: writes wait until it has finished.
    pub fn export_jsonl(&self, out: &mut dyn std::io::Write) -> Result<u64, Error> {
        self.export_jsonl_with(out, &Interrupt::new())
    }

    /// [`Database::export_jsonl`], stopped by `interrupt`.
    pub fn export_jsonl_with(
        &self,
        out: &mut dyn std::io::Write,
        interrupt: &Interrupt,
    ) -> Result<u64, Error> {
        self.reading(interrupt, |store| export::export(store, out))
    }

    /// Verifies the database (indexes, references, derived values,
    /// counters), as one consistent state: writes wait until it has finished.
    pub fn check(&self) -> Result<CheckReport, Error> {
        self.check_with(&Interrupt::new())
    }

    /// [`Database::check`], stopped by `interrupt`.
    pub fn check_with(&self, interrupt: &Interrupt) -> Result<CheckReport, Error> {
        self.reading(interrupt, |store| Ok(store.check()?))
    }

    /// Runs `read` as one reading statement stopped by `interrupt`, on one
    /// consistent state: writes wait until it has finished.
    fn reading<T>(
        &self,
        interrupt: &Interrupt,
        read: impl FnOnce(&store::Store) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let store = self.store.for_statement(interrupt);
        let _reading = store.reading()?;
        read(&store)
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The record and status counts, kept up to date by every write (read
    /// without scanning).
    pub fn counters(&self) -> Result<Counters, Error> {
        let _reading = self.store.reading()?;
        Ok(self.store.counters()?)
    }

    /// A claim's stored derived values (status, confidence, …); `None` if no
    /// claim has this id.
    pub fn derived(&self, claim: &str) -> Result<Option<Derived>, Error> {
        let _reading = self.store.reading()?;
        Ok(self.store.derived(claim)?)
    }

    /// Every record of `kind`, in id order, as one consistent state: writes
    /// wait until the walk is dropped (stop it by dropping it), and this
    /// thread cannot write meanwhile.
    pub fn records(
        &self,
        kind: Kind,
    ) -> Result<impl Iterator<Item = Result<Record, Error>> + '_, Error> {
        let reading = self.store.reading()?;
        Ok(Records {
            scan: self.store.scan(kind)?,
            _reading: reading,
        })
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
        let _reading = self.store.reading()?;
        Ok(self.store.distinct_values(collection, field, limit)?)
    }

    /// Ids of records of `kind`, sorted, from the first `limit` entries of an
    /// index every such record has; for a shell's completion.
    pub fn record_ids(&self, kind: Kind, limit: usize) -> Result<Vec<String>, Error> {
        let _reading = self.store.reading()?;
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
        let _reading = self.store.reading()?;
        Ok(self.store.log()?)
    }
}
