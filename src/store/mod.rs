//! The sled store: records in packed blocks, secondary indexes, each claim's
//! materialised derived values, counters and the append-only log.
//!
//! All sled and bincode code lives in this module, and the module is private
//! to the crate: the rest of evident reads through [`Store`]'s methods and
//! the world through [`Database`](crate::Database). Every key layout is in
//! [`keys`] (nothing else builds or splits key bytes), the value encodings
//! in [`codec`], the block format in [`blocks`], what each record gives each
//! index in [`indexes`]; [`write`](mod@write) applies changes atomically and keeps
//! everything derived up to date; [`check`] recomputes it all and compares.

mod bench;
mod blocks;
mod check;
pub(crate) mod codec;
mod error;
mod facts;
mod files;
mod gate;
mod guard;
mod history;
mod indexes;
mod keys;
mod projection;
mod ranges;
mod undated;
mod write;

pub(crate) use blocks::Deal;
pub use check::CheckReport;
pub use error::{Rejection, StoreError};
pub use facts::{EvidenceFact, FactWalker, SourceCache, derive_claim};
pub use history::{ClaimsInOrder, SeqWindow};
pub(crate) use keys::IndexId;
pub(crate) use projection::Projection;
pub(crate) use ranges::{IndexRange, IndexValue, KeyRange, RangeOp};
pub use write::{Change, ChangeSet, HistoryAction, LogEntry, Verdict, WriteSummary};

use crate::model::{
    BenchResult, Claim, ClaimBenchmark, Derived, Evidence, Kind, Record, ResultSetup, Source,
    Status,
};
use blocks::Cursor;
use files::Found;
use keys::MapId;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) use gate::Shared as Reading;

/// Counts kept up to date on every write so `count` never scans.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Records by kind, in [`Kind::ALL`]'s order (source, claim, evidence,
    /// result; not the export order). Stored as a plain array, so the
    /// encoding stays that of format 6; read it with [`Counters::of_kind`].
    pub records: [u64; 4],
    /// Claims by status, in [`Status::ALL`] order.
    pub statuses: [u64; 4],
}

impl Counters {
    /// Records of one kind.
    pub fn of_kind(&self, kind: Kind) -> u64 {
        self.records[kind as usize]
    }

    /// Claims with one status.
    pub fn of_status(&self, status: Status) -> u64 {
        self.statuses[status as usize]
    }
}

/// sled's page cache. Explicit so a query process stays small; the block
/// layout means few pages are hot at once.
const CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// The file, beside sled's own, holding the number of the last finished write.
const WRITE_MARK: &str = "evident-last-write";
const WRITE_MARK_MAGIC: &[u8; 8] = b"evidentW";

/// The file, beside sled's own, naming the format version in plain text, so
/// that it can be checked without opening sled.
const FORMAT_FILE: &str = "evident-format";

/// The version in the format file, if there is a readable one (databases
/// made before it existed have none; the version inside the store is then
/// the one checked).
fn read_format_file(path: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(path.join(FORMAT_FILE)).ok()?;
    text.trim().strip_prefix("evident format ")?.parse().ok()
}

/// The last finished write, if a readable mark exists. An unreadable mark is
/// ignored: it is a safety net, not part of the data.
fn read_write_mark(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path.join(WRITE_MARK)).ok()?;
    let rest = bytes.strip_prefix(WRITE_MARK_MAGIC.as_slice())?;
    <[u8; 8]>::try_from(rest).ok().map(u64::from_be_bytes)
}

/// Entries per value of an index: (encoded value, count), in value order.
pub type GroupCounts = Vec<(Vec<u8>, u64)>;

/// An open store. A statement runs on its own copy
/// ([`Store::for_statement`]), which shares everything but the interrupt.
#[derive(Clone)]
pub struct Store {
    db: guard::Tree,
    path: PathBuf,
    /// One writer at a time, from its first read to its last write.
    writer: Arc<Mutex<()>>,
    /// Statements shared, a write's phases exclusive (see [`gate`]).
    gate: Arc<gate::Gate>,
    /// The interrupt of the statement this copy runs.
    interrupt: Interrupt,
    /// A time writes record instead of the system clock's (ms since the
    /// epoch; 0: the system clock), shared by every statement's copy; see
    /// [`Store::set_clock`].
    clock: Arc<std::sync::atomic::AtomicU64>,
    /// The format version this open upgraded the store from, if it did.
    upgraded_from: Option<u32>,
    /// For a copy made to read a database that cannot be opened in place
    /// ([`Store::open_copy`]): the original's path. Writes are refused,
    /// since they would be lost with the copy.
    copy_of: Option<String>,
}

/// Stops one statement (or one script: the call it is handed to), from
/// another thread or a signal handler: it fails with "interrupted" at its
/// next row, or while it waits for a write to finish. Make one per
/// statement with [`Interrupt::new`]; it stops that statement and no other,
/// and nothing clears it. Writes are never stopped half way.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A new interrupt, not yet fired.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the statement to stop.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Interrupt::interrupt`] was called.
    pub fn is_interrupted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The store's writer lock, held by one write from its first read (what it
/// replaces, what it validates against) to its last write.
pub(crate) struct WriterLock<'s>(#[allow(dead_code)] std::sync::MutexGuard<'s, ()>);

impl Store {
    /// Opens the store at `path`, creating it when `create` is set and it
    /// does not exist. An interrupted write found on open is rolled back.
    pub fn open(path: &Path, create: bool) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        if path.exists() && !path.is_dir() {
            return Err(StoreError::NotEvident(shown));
        }
        let found = files::found(path);
        if found == Found::MainFileMissing {
            return Err(StoreError::damaged(
                "its main file `db` is missing (the other files are there); \
                 restore the directory from a backup"
                    .into(),
            )
            .located(path));
        }
        let exists = found == Found::Database;
        if !exists && !create {
            return Err(StoreError::Missing(shown));
        }
        if found == Found::Foreign {
            // A non-empty directory that sled did not make: not ours to fill.
            return Err(StoreError::NotEvident(shown));
        }
        // Read before sled opens the files: opening rewrites parts of them,
        // and a database of another version must be left exactly as it is.
        if let Some(found) = read_format_file(path)
            && found != codec::FORMAT_VERSION
            && found != codec::UPGRADABLE_FROM
        {
            return Err(StoreError::Version {
                path: shown,
                found,
                expected: codec::FORMAT_VERSION,
            });
        }
        if exists {
            files::remove_unfinished_snapshots(path)?;
        }
        let opened = guard::catching(|| {
            sled::Config::new()
                .path(path)
                .cache_capacity(CACHE_BYTES)
                .mode(sled::Mode::HighThroughput)
                // Every write flushes when it commits, so sled's background
                // flusher has nothing to do; without it a one-shot query starts
                // one thread fewer and exits without waiting for it (~3 ms).
                .flush_every_ms(None)
                .open()
        });
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(StoreError::from_sled(e, path)),
            Err(panic) => return Err(guard::panicked(path, &panic)),
        };
        let mut store = Store {
            db: guard::Tree::new(db, path),
            path: path.to_path_buf(),
            writer: Arc::default(),
            gate: Arc::default(),
            interrupt: Interrupt::new(),
            clock: Arc::default(),
            upgraded_from: None,
            copy_of: None,
        };
        store.check_no_lost_writes()?;
        match store.db.get(keys::META_VERSION)? {
            Some(v) => {
                let found = <[u8; 4]>::try_from(v.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::NotEvident(shown.clone()))?;
                if found == codec::UPGRADABLE_FROM {
                    store.upgraded_from = Some(found);
                } else if found != codec::FORMAT_VERSION {
                    return Err(StoreError::Version {
                        path: shown,
                        found,
                        expected: codec::FORMAT_VERSION,
                    });
                }
            }
            None if store.db.is_empty()? => {
                store
                    .db
                    .insert(keys::META_VERSION, &codec::FORMAT_VERSION.to_be_bytes())?;
                store.db.flush()?;
                std::fs::write(
                    path.join(FORMAT_FILE),
                    format!("evident format {}\n", codec::FORMAT_VERSION),
                )
                .map_err(|e| StoreError::from_io(e, path))?;
            }
            None => return Err(StoreError::NotEvident(shown)),
        }
        store.recover()?;
        if store.upgraded_from.is_some() {
            store.upgrade()?;
        }
        Ok(store)
    }

    /// Upgrades a store of format [`codec::UPGRADABLE_FROM`] in place (SPEC
    /// 5): the benchmark indexes of section 8, then the status log's
    /// baseline of section 9, then the version, last — each step is
    /// idempotent, so a crash part way leaves the old version and the next
    /// open does it all again.
    fn upgrade(&self) -> Result<(), StoreError> {
        self.build_benchmark_indexes()?;
        self.write_history_baseline()?;
        self.db
            .insert(keys::META_VERSION, &codec::FORMAT_VERSION.to_be_bytes())?;
        self.flush()?;
        let format_file = self.path.join(FORMAT_FILE);
        std::fs::write(
            &format_file,
            format!("evident format {}\n", codec::FORMAT_VERSION),
        )
        .map_err(|source| StoreError::Io {
            path: format_file,
            source,
        })
    }

    /// Opens a copy of the store at `path`, made in the new directory
    /// `scratch`: for reading a database that cannot be opened where it is
    /// (read-only media, a full disk). A write interrupted in the original
    /// is undone in the copy; the original is not touched.
    pub fn open_copy(path: &Path, scratch: &Path) -> Result<Store, StoreError> {
        if !path.join("db").exists() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        files::copy_at_rest(path, scratch)?;
        let mut store = Store::open(scratch, false)?;
        store.copy_of = Some(path.display().to_string());
        Ok(store)
    }

    /// Refuses a write to a copy made only to read (see [`Store::open_copy`]).
    pub(crate) fn check_writable(&self) -> Result<(), StoreError> {
        match &self.copy_of {
            Some(original) => Err(StoreError::CopyForReading(original.clone())),
            None => Ok(()),
        }
    }

    /// sled treats a damaged log segment as the torn end of its log and
    /// quietly opens what came before it — possibly an empty database. The
    /// write mark, a file beside sled's, remembers the last write that
    /// finished; a store that ends before it has lost writes and is refused
    /// rather than served as if nothing were missing.
    fn check_no_lost_writes(&self) -> Result<(), StoreError> {
        let Some(finished) = read_write_mark(&self.path) else {
            return Ok(());
        };
        let next = self.next_seq()?;
        if next <= finished {
            return Err(StoreError::damaged(format!(
                "the store ends before write {finished}, which had finished: its log was cut \
                 short, or the mark {WRITE_MARK} is damaged; restore the database from a backup \
                 or an export (if only the mark is damaged, removing {} opens the store as it is)",
                self.path.join(WRITE_MARK).display()
            ))
            .located(&self.path));
        }
        Ok(())
    }

    /// Remembers that every write before `next_seq` has finished. Written
    /// after the store is flushed, via a rename so it is never half written;
    /// a crash before the rename leaves an older mark, which is harmless.
    pub(crate) fn set_write_mark(&self, next_seq: u64) -> Result<(), StoreError> {
        let staged = self.path.join(format!("{WRITE_MARK}.new"));
        let mut bytes = WRITE_MARK_MAGIC.to_vec();
        bytes.extend_from_slice(&(next_seq - 1).to_be_bytes());
        std::fs::write(&staged, &bytes)
            .and_then(|()| std::fs::rename(&staged, self.path.join(WRITE_MARK)))
            .map_err(|e| StoreError::from_io(e, &self.path))
    }

    /// This store for one statement, stopped by `interrupt` alone.
    pub(crate) fn for_statement(&self, interrupt: &Interrupt) -> Store {
        Store {
            interrupt: interrupt.clone(),
            ..self.clone()
        }
    }

    /// Holds the gate shared for a reading statement: no write's phases run
    /// until it is dropped (see [`gate`]). Waits for a write that runs or
    /// waits; this store's interrupt stops the wait.
    pub(crate) fn reading(&self) -> Result<gate::Shared<'_>, StoreError> {
        self.gate.shared(&self.interrupt)
    }

    /// Holds the writer lock: no other write starts until it is dropped.
    pub(crate) fn lock_writer(&self) -> Result<WriterLock<'_>, StoreError> {
        if self.gate.read_by_this_thread() {
            return Err(StoreError::WriteWhileReading);
        }
        self.writer
            .lock()
            .map(WriterLock)
            .map_err(|_| StoreError::Poisoned)
    }

    /// Fails if the statement in progress was asked to stop; read loops
    /// call it once per row or entry.
    pub(crate) fn check_interrupt(&self) -> Result<(), StoreError> {
        if self.interrupt.is_interrupted() {
            Err(StoreError::Interrupted)
        } else {
            Ok(())
        }
    }

    /// The format version this open upgraded the store from, if it did.
    pub fn upgraded_from(&self) -> Option<u32> {
        self.upgraded_from
    }

    /// Where the store lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The guarded sled tree (for the block readers of this crate).
    pub(crate) fn tree(&self) -> &guard::Tree {
        &self.db
    }

    /// The counters.
    pub fn counters(&self) -> Result<Counters, StoreError> {
        match self.db.get(keys::META_COUNTERS)? {
            Some(bytes) => codec::decode(&bytes, "counters"),
            None => Ok(Counters::default()),
        }
    }

    /// The record with this id, of whatever kind.
    pub fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        for kind in Kind::EXPORT_ORDER {
            if let Some(record) = self.get_of_kind(kind, id)? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// The record with this id if it is of `kind`.
    pub fn get_of_kind(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        match blocks::get(self.tree(), MapId::Records(kind), id.as_bytes())? {
            Some(bytes) => decode_record(kind, &bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Whether a record of `kind` has this id (its block read, the record
    /// not decoded).
    pub fn has_of_kind(&self, kind: Kind, id: &str) -> Result<bool, StoreError> {
        Ok(blocks::get(self.tree(), MapId::Records(kind), id.as_bytes())?.is_some())
    }

    /// A claim's materialised derived values.
    pub fn derived(&self, claim: &str) -> Result<Option<Derived>, StoreError> {
        match blocks::get(self.tree(), MapId::Derived, claim.as_bytes())? {
            Some(bytes) => codec::decode(&bytes, "derived values").map(Some),
            None => Ok(None),
        }
    }

    /// Every record of a kind in id order (with the derived values, for claims).
    pub fn scan(&self, kind: Kind) -> Result<RecordScan<'_>, StoreError> {
        self.scan_between(kind, &[], None)
    }

    /// The records of a kind with `from` ≤ id (< `until`, if given), in id order.
    pub fn scan_between(
        &self,
        kind: Kind,
        from: &[u8],
        until: Option<&[u8]>,
    ) -> Result<RecordScan<'_>, StoreError> {
        let records = Cursor::new(self.tree(), MapId::Records(kind), from)?;
        let mut scan = RecordScan::new(self, kind, records, from)?;
        scan.until = until.map(<[u8]>::to_vec);
        Ok(scan)
    }

    /// The records of a kind in the blocks `deal` gives this reader (see
    /// [`blocks::Deal`]), in id order.
    pub fn scan_dealt(&self, kind: Kind, deal: blocks::Deal) -> Result<RecordScan<'_>, StoreError> {
        // Each reader numbers the blocks along its own walk; a write that
        // split or merged blocks between two walks would make them drift
        // (rows read twice or never: the probe's finding A1). Under the
        // statement gate no write changes a block while they walk.
        debug_assert!(self.gate.is_held(), "a dealt scan outside a statement");
        let records = Cursor::dealt(self.tree(), MapId::Records(kind), deal);
        RecordScan::new(self, kind, records, &[])
    }

    /// Whether the records of `kind` fill more than one block (so a scan
    /// of them can be shared between threads): two lookups, nothing read.
    pub fn records_span_blocks(&self, kind: Kind) -> Result<bool, StoreError> {
        let map = MapId::Records(kind);
        let mut blocks = self.tree().range(map.prefix().to_vec()..map.end().to_vec());
        Ok(
            match (blocks.next().transpose()?, blocks.next_back().transpose()?) {
                (Some(first), Some(last)) => first.0 != last.0,
                _ => false,
            },
        )
    }

    /// The entries of an index whose key starts with `prefix` (an encoded
    /// value, see [`keys`]), from `start` (≥ prefix) on: (key, payload).
    pub fn index_cursor(&self, index: IndexId, start: &[u8]) -> Result<Cursor, StoreError> {
        Cursor::new(self.tree(), MapId::Index(index), start)
    }

    /// Visits an index's entries (key, payload) from the last to the first,
    /// until `visit` returns `false`.
    pub fn index_scan_reverse(
        &self,
        index: IndexId,
        visit: &mut blocks::EntryVisitor<'_>,
    ) -> Result<(), StoreError> {
        blocks::scan_reverse(self.tree(), MapId::Index(index), visit)
    }

    /// The evidence of a claim in id order, with what the derivation needs.
    pub fn evidence_facts(&self, claim: &str) -> Result<Vec<EvidenceFact>, StoreError> {
        facts::evidence_of_claim(self, claim)
    }

    /// The number of entries per value of an index that keeps group counts
    /// (see [`IndexId::has_group_counts`]), in value order: (encoded value,
    /// count). `None` for other indexes.
    pub fn group_counts(&self, index: IndexId) -> Result<Option<GroupCounts>, StoreError> {
        if !index.has_group_counts() {
            return Ok(None);
        }
        let mut cursor = Cursor::all(self.tree(), MapId::GroupCounts(index))?;
        let mut out = Vec::new();
        while cursor.advance()? {
            self.check_interrupt()?;
            out.push((
                cursor.key().to_vec(),
                write::decode_group_count(cursor.value())?,
            ));
        }
        Ok(Some(out))
    }

    /// The claims that evidence from `source` bears on, each with whether
    /// that piece supports it (one entry per piece, in evidence id order),
    /// read from the `evidence.source` index alone.
    pub fn claims_cited_by(&self, source: &str) -> Result<Vec<(String, bool)>, StoreError> {
        let prefix = facts::claim_prefix(source);
        let mut cursor = self.index_cursor(IndexId::EvidenceSource, &prefix)?;
        let mut out = Vec::new();
        while cursor.advance()? && cursor.key().starts_with(&prefix) {
            let entry = facts::decode_source_evidence(cursor.value())?;
            out.push((entry.claim, entry.supports));
        }
        Ok(out)
    }

    /// The ids of records that name `id` (evidence naming a claim, source or
    /// result; results naming a source).
    pub fn referrers(&self, id: &str, kind: Kind) -> Result<Vec<String>, StoreError> {
        let indexes: &[IndexId] = match kind {
            Kind::Claim => &[IndexId::EvidenceClaim],
            Kind::Source => &[IndexId::EvidenceSource, IndexId::ResultSource],
            Kind::Result => &[IndexId::EvidenceResult, IndexId::ResultCites],
            Kind::Evidence => &[],
        };
        let prefix = keys::string_value(id);
        let mut out = Vec::new();
        for &index in indexes {
            let mut cursor = self.index_cursor(index, &prefix)?;
            while cursor.advance()? && cursor.key().starts_with(&prefix) {
                // The key starts with the whole encoded value, so the split
                // falls at the end of the prefix.
                let referrer =
                    keys::split_index_key(index, cursor.key()).map_or(&[][..], |(_, id)| id);
                out.push(String::from_utf8_lossy(referrer).into_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Distinct values of the indexed string field `field` of `kind`, in
    /// order, at most `limit`, reading at most `5 × limit` index entries
    /// (see [`Database::distinct_values`](crate::Database::distinct_values)).
    /// A value that many records share is stepped over with one jump rather
    /// than entry by entry.
    pub fn distinct_values(
        &self,
        kind: Kind,
        field: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        /// Entries stepped over one by one before jumping past a value
        /// (a jump costs a lookup).
        const STEPS_BEFORE_JUMP: usize = 32;
        let Some(index) = IndexId::for_field(kind, field) else {
            return Ok(Vec::new());
        };
        let max_entries = limit.saturating_mul(5);
        let mut out = Vec::new();
        let mut start = Vec::new();
        let mut read = 0;
        'jumps: while out.len() < limit && read < max_entries {
            let mut cursor = self.index_cursor(index, &start)?;
            let mut steps = 0;
            let mut current: Option<Vec<u8>> = None;
            while cursor.advance()? {
                read += 1;
                let Some((value, _)) = keys::split_index_key(index, cursor.key()) else {
                    break 'jumps;
                };
                if current.as_deref() == Some(value) {
                    steps += 1;
                    if steps >= STEPS_BEFORE_JUMP {
                        start = keys::past_value(value);
                        continue 'jumps;
                    }
                } else {
                    steps = 0;
                    if let Some(text) = keys::decode_string(value) {
                        out.push(text);
                    }
                    current = Some(value.to_vec());
                }
                if out.len() >= limit || read >= max_entries {
                    break;
                }
            }
            break;
        }
        Ok(out)
    }

    /// The ids of records of `kind` found in the first `limit` entries of an
    /// index that has an entry for every such record, sorted, without
    /// duplicates (see [`Database::record_ids`](crate::Database::record_ids)).
    pub fn record_ids(&self, kind: Kind, limit: usize) -> Result<Vec<String>, StoreError> {
        // Every record has a value in these indexes, so their ids are all
        // the ids; reading an index skips decoding records.
        let index = match kind {
            Kind::Source => IndexId::SourceKind,
            Kind::Claim => IndexId::ClaimStatus,
            Kind::Evidence => IndexId::EvidenceClaim,
            Kind::Result => IndexId::ResultModel,
        };
        let mut cursor = self.index_cursor(index, &[])?;
        let mut ids = std::collections::BTreeSet::new();
        let mut read = 0;
        while read < limit && cursor.advance()? {
            read += 1;
            if let Some((_, id)) = keys::split_index_key(index, cursor.key())
                && let Ok(id) = std::str::from_utf8(id)
            {
                ids.insert(id.to_owned());
            }
        }
        Ok(ids.into_iter().collect())
    }

    /// Whether some record of `kind` has the string `value` in the indexed
    /// field `field` (`false` for a field without an index).
    pub fn has_string_value(
        &self,
        kind: Kind,
        field: &str,
        value: &str,
    ) -> Result<bool, StoreError> {
        let Some(index) = IndexId::for_field(kind, field) else {
            return Ok(false);
        };
        let prefix = keys::string_value(value);
        let mut cursor = self.index_cursor(index, &prefix)?;
        Ok(cursor.advance()? && cursor.key().starts_with(&prefix))
    }

    /// The stored values of the indexed string field `field` of `kind` that
    /// equal `value` ignoring ASCII case but are not `value` itself, in
    /// order, at most `limit`: for the hint on a query that found nothing
    /// (`"Donald Trump"` when `donald trump` is stored). Empty for a field
    /// without an index.
    ///
    /// Reads no records and walks no run of entries: it grows the value a
    /// byte at a time, trying both cases of each letter and dropping every
    /// prefix that no key starts with (one index lookup each), so it costs
    /// a few lookups per letter. After 256 lookups, or for a value longer
    /// than 256 bytes, it gives up and returns nothing: a hint is not worth
    /// a slow query.
    pub fn case_variants(
        &self,
        kind: Kind,
        field: &str,
        value: &str,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        const MAX_LOOKUPS: usize = 256;
        const MAX_VALUE_BYTES: usize = 256;
        let Some(index) = IndexId::for_field(kind, field) else {
            return Ok(Vec::new());
        };
        // The other indexes hold dates, numbers and statuses, not text.
        let text = !matches!(
            index,
            IndexId::ClaimCreated
                | IndexId::ClaimStatus
                | IndexId::ClaimConfidence
                | IndexId::SourcePublished
                | IndexId::ResultDate
        );
        if !text || value.len() > MAX_VALUE_BYTES || !value.bytes().any(|b| b.is_ascii_alphabetic())
        {
            return Ok(Vec::new());
        }
        // Escaped as `keys::encode_string` escapes, without the terminator:
        // the start of every key whose value starts with these bytes.
        let encoded = |raw: &[u8]| -> Vec<u8> {
            let mut out = Vec::with_capacity(raw.len() + 2);
            for &b in raw {
                out.push(b);
                if b == 0 {
                    out.push(0xFF);
                }
            }
            out
        };
        let mut lookups = 0;
        let mut exists = |start: &[u8]| -> Result<Option<bool>, StoreError> {
            lookups += 1;
            if lookups > MAX_LOOKUPS {
                return Ok(None);
            }
            let mut cursor = self.index_cursor(index, start)?;
            Ok(Some(cursor.advance()? && cursor.key().starts_with(start)))
        };
        // The prefixes, as written so far, that some stored value starts with.
        let mut live: Vec<Vec<u8>> = vec![Vec::new()];
        for b in value.bytes() {
            if !b.is_ascii_alphabetic() {
                // Only one way to write it: checked with the next letter.
                live.iter_mut().for_each(|p| p.push(b));
                continue;
            }
            let mut next = Vec::new();
            for prefix in &live {
                for c in [b.to_ascii_uppercase(), b.to_ascii_lowercase()] {
                    let mut p = prefix.clone();
                    p.push(c);
                    match exists(&encoded(&p))? {
                        Some(true) => next.push(p),
                        Some(false) => {}
                        None => return Ok(Vec::new()),
                    }
                }
            }
            if next.is_empty() {
                return Ok(Vec::new());
            }
            live = next;
        }
        let mut out = Vec::new();
        for raw in live {
            if raw == value.as_bytes() || out.len() >= limit {
                continue;
            }
            let mut whole = encoded(&raw);
            whole.extend_from_slice(&[0, 0]);
            match exists(&whole)? {
                Some(true) => out.extend(String::from_utf8(raw).ok()),
                Some(false) => {}
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }

    /// Flushes everything to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}

/// Decodes a stored record of a known kind. The fields of SPEC section 8
/// (a claim's benchmark fields, a result's setup, derived evidence's gap)
/// follow the record's other fields only when present, so a record written
/// before they existed decodes unchanged (see [`encode_record`]).
pub(crate) fn decode_record(kind: Kind, bytes: &[u8]) -> Result<Record, StoreError> {
    fn with_tail<T: serde::de::DeserializeOwned, X: serde::de::DeserializeOwned>(
        bytes: &[u8],
        what: &str,
    ) -> Result<(T, Option<X>), StoreError> {
        let (record, used) = codec::decode_prefix::<T>(bytes, what)?;
        let tail = &bytes[used..];
        let extra = if tail.is_empty() {
            None
        } else {
            Some(codec::decode::<X>(tail, what)?)
        };
        Ok((record, extra))
    }
    Ok(match kind {
        Kind::Source => Record::Source(codec::decode::<Source>(bytes, "source record")?),
        Kind::Claim => {
            let (mut claim, bench) = with_tail::<Claim, ClaimBenchmark>(bytes, "claim record")?;
            claim.bench = bench.map(Box::new);
            Record::Claim(claim)
        }
        Kind::Evidence => {
            let (mut evidence, gap) = with_tail::<Evidence, f64>(bytes, "evidence record")?;
            evidence.gap = gap;
            Record::Evidence(evidence)
        }
        Kind::Result => {
            let (mut result, setup) =
                with_tail::<BenchResult, ResultSetup>(bytes, "result record")?;
            result.setup = setup.map(Box::new);
            Record::Result(result)
        }
    })
}

/// The claim an encoded evidence record bears on, read without decoding
/// (or copying) the rest: [`Evidence`]'s first two fields.
pub(crate) fn evidence_claim(bytes: &[u8]) -> Result<&str, StoreError> {
    #[derive(Deserialize)]
    struct Head<'a> {
        _id: &'a str,
        claim: &'a str,
    }
    codec::decode_borrowed_prefix::<Head<'_>>(bytes, "evidence record").map(|head| head.claim)
}

/// Encodes a record (without its kind: the map says it): its fields of
/// SPEC section 1, then, only when present, those of section 8.
pub(crate) fn encode_record(record: &Record) -> Result<Vec<u8>, StoreError> {
    fn with_tail<T: serde::Serialize, X: serde::Serialize>(
        record: &T,
        extra: Option<&X>,
    ) -> Result<Vec<u8>, StoreError> {
        let mut bytes = codec::encode(record)?;
        if let Some(extra) = extra {
            bytes.extend(codec::encode(extra)?);
        }
        Ok(bytes)
    }
    match record {
        Record::Source(r) => codec::encode(r),
        Record::Claim(r) => with_tail(r, r.bench.as_deref()),
        Record::Evidence(r) => with_tail(r, r.gap.as_ref()),
        Record::Result(r) => with_tail(r, r.setup.as_deref()),
    }
}

/// A claim as the indexes holding claim rows store it (see
/// [`IndexId::holds_claim_rows`]): the encoded record's length (a varint),
/// the encoded record, then the encoded derived values.
pub(crate) fn encode_claim_row(record: &[u8], derived: &[u8]) -> Vec<u8> {
    let mut row = Vec::with_capacity(record.len() + derived.len() + 3);
    codec::put_varint(&mut row, record.len() as u64);
    row.extend_from_slice(record);
    row.extend_from_slice(derived);
    row
}

/// A claim row's record and derived values (see [`encode_claim_row`]).
pub(crate) fn decode_claim_row(row: &[u8]) -> Result<(Record, Derived), StoreError> {
    let mut pos = 0;
    let record_len = codec::get_varint(row, &mut pos)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= row.len() - pos)
        .ok_or_else(|| StoreError::damaged("a claim row's length".into()))?;
    let (record, derived) = row[pos..].split_at(record_len);
    Ok((
        decode_record(Kind::Claim, record)?,
        codec::decode(derived, "derived values")?,
    ))
}

/// Records of one kind in id order; claims come with their derived values.
pub struct RecordScan<'s> {
    store: &'s Store,
    kind: Kind,
    records: Cursor,
    derived: Option<Cursor>,
    /// Where the scan stops (exclusive), if before the end.
    until: Option<Vec<u8>>,
}

impl<'s> RecordScan<'s> {
    fn new(
        store: &'s Store,
        kind: Kind,
        records: Cursor,
        from: &[u8],
    ) -> Result<RecordScan<'s>, StoreError> {
        let derived = match kind {
            Kind::Claim => Some(Cursor::new(store.tree(), MapId::Derived, from)?),
            _ => None,
        };
        Ok(RecordScan {
            store,
            kind,
            records,
            derived,
            until: None,
        })
    }

    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<(Record, Option<Derived>)>, StoreError> {
        self.next_record_where(&|_| true)
    }

    /// The next record whose stored bytes pass `keep`, a cheap test that
    /// spares decoding records a filter is sure to reject.
    pub fn next_record_where(
        &mut self,
        keep: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<(Record, Option<Derived>)>, StoreError> {
        loop {
            self.store.check_interrupt()?;
            if !self.records.advance()? {
                return Ok(None);
            }
            if self
                .until
                .as_deref()
                .is_some_and(|until| self.records.key() >= until)
            {
                return Ok(None);
            }
            if keep(self.records.value()) {
                break;
            }
        }
        self.current().map(Some)
    }

    /// The number, in the walk over the kind's blocks, of the block the
    /// last record came from.
    pub fn block_number(&self) -> u64 {
        self.records.block_number()
    }

    /// The record with this id, if any; ids must come in ascending order
    /// across calls (as index-driven plans give them). Moving forward
    /// within a block costs no lookup, so a dense list of ids reads like a scan.
    pub fn seek_record(
        &mut self,
        id: &str,
    ) -> Result<Option<(Record, Option<Derived>)>, StoreError> {
        self.store.check_interrupt()?;
        let key = id.as_bytes();
        if !(self.records.seek(key)? && self.records.key() == key) {
            return Ok(None);
        }
        self.current().map(Some)
    }

    /// The record the records cursor is on, with its derived values (a
    /// claim's; the default for a claim that has none yet).
    fn current(&mut self) -> Result<(Record, Option<Derived>), StoreError> {
        let record = decode_record(self.kind, self.records.value())?;
        let derived = match &mut self.derived {
            Some(cursor) => {
                let stored = derived_at(cursor, self.records.key())?;
                Some(stored.unwrap_or_default())
            }
            None => None,
        };
        Ok((record, derived))
    }
}

/// The stored derived values of the claim `id`, read with a forward-moving
/// cursor over the derived map (ids must come in ascending order).
pub(crate) fn derived_at(cursor: &mut Cursor, id: &[u8]) -> Result<Option<Derived>, StoreError> {
    if cursor.seek(id)? && cursor.key() == id {
        Ok(Some(codec::decode(cursor.value(), "derived values")?))
    } else {
        Ok(None)
    }
}

impl Iterator for RecordScan<'_> {
    type Item = Result<(Record, Option<Derived>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claim read from an encoded evidence record is the one the whole
    /// decode gives, with or without the derived gap encoded after it; a
    /// record cut short is an error, not a panic.
    #[test]
    fn evidence_claim_reads_the_claim_alone() {
        for line in [
            r#"{"type":"evidence","id":"e1","claim":"c-42","source":"s1","stance":"refutes","note":"n"}"#,
            r#"{"type":"evidence","id":"e2","claim":"c7","source":"s2","stance":"supports","result":"r9"}"#,
        ] {
            let mut record = crate::import::parse_line(line).expect("parses");
            if let Record::Evidence(e) = &mut record
                && e.result.is_some()
            {
                e.gap = Some(-0.5);
            }
            let bytes = encode_record(&record).expect("encodes");
            let Ok(Record::Evidence(whole)) = decode_record(Kind::Evidence, &bytes) else {
                panic!("not evidence: {line}");
            };
            assert_eq!(evidence_claim(&bytes).expect("reads"), whole.claim.as_str());
            assert!(evidence_claim(&bytes[..4]).is_err());
        }
    }
}
