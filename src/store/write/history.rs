//! The status log (SPEC 9), written as the last step of phase 4: one entry
//! per record a write changes (`add`, `replace`, `retract`) and one per
//! claim whose derived values it changes without writing the claim
//! (`derive`), each holding the claim's status and confidence before and
//! after. Two maps hold the same entries: by write (`seq ‖ id`, read by
//! `changes` for a window of writes and by a rollback) and by record
//! (`id ‖ seq`, read by `history`). They are ordinary map entries in the
//! write's atomic unit, written through its undoable batches: a rollback
//! takes them away with everything else the write changed — those by
//! record by their seq, listed by those by write, since their blocks keep
//! no before-images ([`Store::remove_history_by_id`]).
//!
//! Recorded times live in the log headers ([`LogEntry`](super::LogEntry)):
//! a write's seq orders it exactly as its time does, since times strictly
//! increase (see [`Store::next_recorded_ms`]).

use super::LogEntry;
use super::apply::{SORT_BUDGET, in_order, start_sort_key};
use super::changeset::tag_kind;
use super::sorter::{MergeTwo, Mutations, Sorter};
use crate::model::{Derived, Id, Kind, Record, Status};
use crate::store::blocks::{self, BatchSink, BlockReader, Cursor, Mutation};
use crate::store::history::damaged_entry;
use crate::store::keys::{self, MapId};
use crate::store::{Store, StoreError, codec, decode_record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// What one write did to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HistoryAction {
    /// Written where no record of that id was stored (new, or retracted before).
    Add,
    /// Written over a stored record.
    Replace,
    /// Removed.
    Retract,
    /// A claim whose derived values another record's write changed.
    Derive,
}

impl HistoryAction {
    /// Every action, in declaration order: a variant's index is its code.
    pub const ALL: [HistoryAction; 4] = [
        HistoryAction::Add,
        HistoryAction::Replace,
        HistoryAction::Retract,
        HistoryAction::Derive,
    ];

    /// The action as `history` shows it.
    pub fn name(self) -> &'static str {
        match self {
            HistoryAction::Add => "add",
            HistoryAction::Replace => "replace",
            HistoryAction::Retract => "retract",
            HistoryAction::Derive => "derive",
        }
    }
}

/// A claim's status and confidence at one point.
pub type Verdict = (Status, f64);

/// One entry of the status log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// What the write did.
    pub action: HistoryAction,
    /// The kind of the record.
    pub kind: Kind,
    /// For a claim: its status and confidence before the write (`None`
    /// where it did not exist); always `None` for other kinds.
    pub before: Option<Verdict>,
    /// The same after the write.
    pub after: Option<Verdict>,
    /// In the log by write only, and only where the write flips the
    /// claim's status: its text after the write, so that `changes` gives
    /// its rows without reading a record each (`None` otherwise, in the
    /// log by record, and after a retract).
    pub text: Option<String>,
}

/// The status-log entries one write makes, sorted in bounded memory.
pub(super) struct HistoryWriter {
    seq: u64,
    sorters: MapSorters,
    /// The entries of the writers [`HistoryWriter::fork`]ed off this one,
    /// for other cores, and joined back.
    joined: Vec<MapSorters>,
    /// The entry of a record without derived values, encoded once per kind
    /// and action: it holds nothing else (an import of 1.29M results wrote
    /// as many, encoding each twice).
    own_entries: HashMap<(Kind, HistoryAction), Vec<u8>>,
}

/// A sorter for each of the two maps: the entries of a write that touches
/// no claim (an import of results) come in id order, which is each map's
/// key order, and their sorters then neither sort nor merge.
struct MapSorters {
    by_write: Sorter,
    by_id: Sorter,
    /// The key being pushed, kept from one entry to the next.
    key: Vec<u8>,
}

impl MapSorters {
    fn new(store: &Store) -> MapSorters {
        MapSorters {
            by_write: Sorter::new(&store.path, SORT_BUDGET),
            by_id: Sorter::new(&store.path, SORT_BUDGET),
            key: Vec::new(),
        }
    }

    /// Pushes record `id`'s entry of write `seq` to both maps, encoded
    /// with its text (`by_write`) and without (`by_id`).
    fn push(
        &mut self,
        seq: u64,
        id: &str,
        by_write: &[u8],
        by_id: &[u8],
    ) -> Result<(), StoreError> {
        // The history benchmark's build without the status log (Cargo.toml).
        if cfg!(feature = "bench-without-status-log") {
            return Ok(());
        }
        start_sort_key(&mut self.key, MapId::HistoryByWrite.byte());
        keys::push_history_by_write_key(&mut self.key, seq, id);
        self.by_write.push(&self.key, Some(by_write))?;
        start_sort_key(&mut self.key, MapId::HistoryById.byte());
        keys::push_history_by_id_key(&mut self.key, id, seq);
        self.by_id.push(&self.key, Some(by_id))
    }
}

impl HistoryWriter {
    pub(super) fn new(store: &Store, seq: u64) -> HistoryWriter {
        HistoryWriter {
            seq,
            sorters: MapSorters::new(store),
            joined: Vec::new(),
            own_entries: HashMap::new(),
        }
    }

    /// A writer of the same write's entries for another core, to be
    /// [`HistoryWriter::join`]ed back. Their records must differ.
    pub(super) fn fork(&self, store: &Store) -> HistoryWriter {
        HistoryWriter::new(store, self.seq)
    }

    /// Takes `fork`'s entries, written with this writer's at the end.
    pub(super) fn join(&mut self, fork: HistoryWriter) {
        self.joined.push(fork.sorters);
        self.joined.extend(fork.joined);
    }

    /// Notes what the write does to a record of a kind with no derived
    /// values (claims go through [`HistoryWriter::claim`]). Derived
    /// evidence has no history (SPEC 8.3: `history C~R` is an error, and
    /// it is never exported): its rows were never read, and a hundred
    /// thousand benchmark claims wrote as many of each.
    pub(super) fn own_write(
        &mut self,
        id: &[u8],
        kind: Kind,
        action: HistoryAction,
    ) -> Result<(), StoreError> {
        let id = std::str::from_utf8(id)
            .map_err(|_| StoreError::Encode("a record id that is not UTF-8".into()))?;
        if Id::split_derived(id).is_some() {
            return Ok(());
        }
        let encoded = match self.own_entries.entry((kind, action)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(codec::encode(&HistoryEntry {
                action,
                kind,
                before: None,
                after: None,
                text: None,
            })?),
        };
        self.sorters.push(self.seq, id, encoded, encoded)
    }

    /// Notes a claim the write rederived: its own write when
    /// `record_changed`, else a `derive` row when its status or confidence
    /// changed (the seven derived values are compared by the caller).
    pub(super) fn claim(
        &mut self,
        id: &str,
        record_changed: bool,
        before: Option<&Derived>,
        after: Option<&Derived>,
        text: Option<&str>,
    ) -> Result<(), StoreError> {
        let action = match (record_changed, before, after) {
            (false, _, _) => HistoryAction::Derive,
            (true, None, Some(_)) => HistoryAction::Add,
            (true, Some(_), Some(_)) => HistoryAction::Replace,
            (true, Some(_), None) => HistoryAction::Retract,
            (true, None, None) => return Ok(()),
        };
        let verdict = |d: Option<&Derived>| d.map(|d| (d.status, d.confidence));
        // `changes` reads a text only from an entry that flips the claim's
        // status (`Store::each_status_change`): a day's import derives tens of
        // thousands of claims and flips a few thousand, and the others'
        // texts were most of the bytes its window pages in.
        let flips = before.map(|d| d.status) != after.map(|d| d.status);
        self.push(
            id,
            &HistoryEntry {
                action,
                kind: Kind::Claim,
                before: verdict(before),
                after: verdict(after),
                text: text.filter(|_| flips).map(str::to_owned),
            },
        )
    }

    fn push(&mut self, id: &str, entry: &HistoryEntry) -> Result<(), StoreError> {
        let by_write = codec::encode(entry)?;
        // By record, the entry holds no text.
        let by_id = match entry.text {
            None => None,
            Some(_) => Some(codec::encode(&HistoryEntry {
                action: entry.action,
                kind: entry.kind,
                before: entry.before,
                after: entry.after,
                text: None,
            })?),
        };
        let by_id = by_id.as_deref().unwrap_or(&by_write);
        self.sorters.push(self.seq, id, &by_write, by_id)
    }

    /// Writes the entries (by write, then by record).
    pub(super) fn finish(self, store: &Store, sink: &mut BatchSink<'_>) -> Result<(), StoreError> {
        let mut from_runs = false;
        // This writer's entries of one map merged with its forks'.
        let mut map = |own: Sorter, joined: Vec<Sorter>| -> Result<Box<Mutations>, StoreError> {
            let own = own.into_sorted()?;
            from_runs |= own.reads_runs();
            let mut merged: Box<Mutations> = Box::new(own);
            for joined in joined {
                let joined = joined.into_sorted()?;
                from_runs |= joined.reads_runs();
                merged = Box::new(MergeTwo::new(merged, joined));
            }
            Ok(merged)
        };
        let (joined_by_write, joined_by_id) = self
            .joined
            .into_iter()
            .map(|j| (j.by_write, j.by_id))
            .unzip();
        let by_write = map(self.sorters.by_write, joined_by_write)?;
        let by_id = map(self.sorters.by_id, joined_by_id)?;
        let sorted: Box<Mutations> = Box::new(by_write.chain(by_id));
        store.apply_sorted(&mut in_order(sorted, from_runs), HashMap::new(), sink)
    }
}

impl Store {
    /// Takes write `seq`'s entries out of the status log by record, for a
    /// rollback of that write. They are found from its entries by write,
    /// which are all written before the first by record and which the
    /// rollback's before-images take away after this. The log by record
    /// keeps no before-images: a write adds an entry there for every record
    /// it touches, each in a block of its own, and their images were a
    /// tenth of a daily import's time. Run again after a crash, it removes
    /// what is left.
    pub(in crate::store) fn remove_history_by_id(&self, seq: u64) -> Result<(), StoreError> {
        let tree = self.tree();
        let start = keys::seq_prefix(seq);
        let mut cursor = Cursor::new(tree, MapId::HistoryByWrite, &start)?;
        let mut more = cursor.seek(&start)?;
        let mut sink = BatchSink::new(tree);
        // In runs of bounded size, in key order: ids in byte order are
        // keys by record in order, both for one seq.
        let mut run: Vec<Mutation> = Vec::new();
        while more {
            let (entry_seq, id) =
                keys::split_history_by_write_key(cursor.key()).ok_or_else(damaged_entry)?;
            if entry_seq != seq {
                break;
            }
            let id = std::str::from_utf8(id).map_err(|_| damaged_entry())?;
            run.push((keys::history_by_id_key(id, seq), None));
            if run.len() == REMOVAL_RUN {
                blocks::apply(tree, MapId::HistoryById, run.drain(..).map(Ok), &mut sink)?;
            }
            more = cursor.advance()?;
        }
        blocks::apply(tree, MapId::HistoryById, run.into_iter().map(Ok), &mut sink)?;
        sink.flush()
    }
}

/// How many entries by record a rollback removes at a time.
const REMOVAL_RUN: usize = 1 << 16;

/// Milliseconds since the Unix epoch of `EVIDENT_CLOCK`, if set: a
/// TIMESTAMP (`2026-12-05T09:30:00.000Z`) or DATE the clock reads instead
/// of the system's, so tests record known times (each write still takes a
/// time after the last one's).
fn test_clock() -> Option<u64> {
    let text = std::env::var("EVIDENT_CLOCK").ok()?;
    crate::model::time::parse_time(text.trim()).ok()
}

impl Store {
    /// Makes writes record `ms` (since the Unix epoch) instead of the
    /// system clock's time, or the system clock's again with `None`.
    pub fn set_clock(&self, ms: Option<u64>) {
        self.clock
            .store(ms.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
    }

    /// The time to record a write under: the clock's, unless that is not
    /// after the last write's, then the last write's plus 1 ms (SPEC 9).
    pub(super) fn next_recorded_ms(&self, seq: u64) -> Result<u64, StoreError> {
        let clock = self.clock_ms();
        let last = match seq.checked_sub(1) {
            Some(previous) if previous > 0 => self.log_header(previous)?.map(|h| h.recorded_ms),
            _ => None,
        };
        Ok(match last {
            Some(last) if clock <= last => last + 1,
            _ => clock,
        })
    }

    /// The time by the clock writes are recorded with: the one fixed with
    /// `Database::set_clock`, else `EVIDENT_CLOCK`, else the system's.
    pub(crate) fn clock_ms(&self) -> u64 {
        match self.clock.load(std::sync::atomic::Ordering::Relaxed) {
            0 => test_clock().unwrap_or_else(super::log::now_ms),
            fixed => fixed,
        }
    }

    /// The header of write `seq`, if it was logged.
    pub(crate) fn log_header(&self, seq: u64) -> Result<Option<LogEntry>, StoreError> {
        self.tree()
            .get(keys::log_key(seq, 0))?
            .map(|v| codec::decode(&v, "log entry"))
            .transpose()
    }

    /// The record `id` as write `seq` found it (its before-image in the
    /// log): `Ok(None)` when it did not exist then, an error when write
    /// `seq` did not write `id`.
    pub(crate) fn before_image(&self, seq: u64, id: &str) -> Result<Option<Record>, StoreError> {
        let missing = || StoreError::damaged(format!("the log of write {seq} does not hold {id}"));
        let tree = self.tree();
        // Parts are numbered from 1 and hold ascending ids: a binary search
        // for the last part whose first id is at or before `id`.
        let Some(last) = tree
            .range(keys::log_key(seq, 1)..keys::log_key(seq + 1, 0))
            .next_back()
            .transpose()?
        else {
            return Err(missing());
        };
        let parts = keys::log_part(&last.0).ok_or_else(missing)?;
        let part_at = |n: u32| -> Result<BlockReader, StoreError> {
            let part = tree.get(keys::log_key(seq, n))?.ok_or_else(missing)?;
            let mut reader = BlockReader::new(part)?;
            if !reader.advance()? {
                return Err(missing());
            }
            Ok(reader)
        };
        let (mut low, mut high) = (1u32, parts);
        while low < high {
            let mid = low + (high - low).div_ceil(2);
            if part_at(mid)?.key() <= id.as_bytes() {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        let mut reader = part_at(low)?;
        loop {
            match reader.key().cmp(id.as_bytes()) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Greater => return Err(missing()),
                std::cmp::Ordering::Equal => {
                    return match reader.value().split_first() {
                        Some((&tag, bytes)) if tag != 0 => {
                            let kind =
                                tag_kind(tag).ok_or_else(|| StoreError::damaged("log".into()))?;
                            decode_record(kind, bytes).map(Some)
                        }
                        _ => Ok(None),
                    };
                }
            }
            if !reader.advance()? {
                return Err(missing());
            }
        }
    }
}
