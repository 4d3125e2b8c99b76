//! Applying changes: records, index entries, materialised derived values,
//! counters and the log, atomically.
//!
//! A write runs in phases, each a sorted pass over one map so every block is
//! rewritten at most once per write, however large the write:
//!
//! 1. the log entry: each changed record's *before-image*, and a `pending`
//!    marker naming the entry;
//! 2. the record maps;
//! 3. the secondary indexes;
//! 4. the derived values of every affected claim, and the status and
//!    confidence indexes;
//! 5. one batch with the counters and the log header that clears the marker.
//!
//! What phases 1–3 write is worked out in one pass over the changes (each
//! core taking half of them, in id order) and sorted by [`Sorter`](sorter::Sorter)s in
//! bounded memory, spilling runs to temporary files — the log and each
//! record map by a sorter of their own, which finds their keys already in
//! order (the changes are sorted by id) and only buffers them; the changes
//! are dropped before anything is written, so a million-claim import does
//! not hold its records while sled grows. Phase 4 sorts its entries the same
//! way, each core taking half of the claims; so does the derived evidence
//! of benchmark claims (`bench.rs`), worked out before phase 1. Before
//! any of it, the changes are validated in two halves, one per core.
//!
//! Each phase is written in bounded batches, and each batch carries the
//! before-image of every key it changes for the first time in the write
//! (the undo log, [`UndoLog`]). A crash before phase 5 leaves the marker;
//! on the next open [`Store::recover`] puts the before-images back — which
//! reads nothing else, so a recovery killed half way and run again ends the
//! same — so a write is either wholly there or wholly absent.
//!
//! The phases are here; each has its own file: [`changeset`] (what a write
//! holds), [`validate`] (refusals), [`apply`] (sorting and writing the maps,
//! phases 1–3), [`rederive`] (phase 4), [`log`] (the log and recovery).

mod apply;
mod arena;
mod bench;
mod changeset;
mod history;
mod interner;
mod log;
mod rederive;
mod sorter;
mod validate;

pub(crate) use apply::decode_group_count;
pub use changeset::{Change, ChangeSet};
pub use history::{HistoryAction, HistoryEntry, Verdict};
pub use log::LogEntry;
pub(crate) use log::UndoLog;

use super::blocks::{BatchSink, BlockBuilder, Cursor};
use super::keys::{self, MapId};
use super::{Store, StoreError, codec};
use crate::model::Kind;
use apply::{LOG_SORT_BYTE, SortedMap, in_order};
use arena::{Address, ByteArena};
use changeset::{kind_tag, tag_kind};
use history::HistoryWriter;
use log::write_log_part;
use serde::{Deserialize, Serialize};
use sorter::MergeTwo;

/// What a write did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteSummary {
    /// The log sequence number, if anything changed.
    pub seq: Option<u64>,
    /// Records added, by kind (source, claim, evidence, result).
    pub added: [u64; 4],
    /// Records replaced, by kind.
    pub replaced: [u64; 4],
    /// Records retracted, by kind.
    pub retracted: [u64; 4],
    /// Puts identical to what was stored (nothing written).
    pub unchanged: u64,
}

/// The stored version of every changed id that has one, found before
/// writing. Held sparsely: an import into an empty database holds nothing.
#[derive(Default)]
struct StoredVersions {
    /// The changes (positions in the sorted change set) whose id is
    /// stored, ascending.
    changes: Vec<u32>,
    /// Each one's kind tag and record, in `records`.
    starts: Vec<Address>,
    records: ByteArena,
}

impl StoredVersions {
    /// Notes that change `i` (pushed in ascending order) replaces `record`.
    fn push(&mut self, i: u32, kind: Kind, record: &[u8]) {
        self.changes.push(i);
        let start = self.records.push_sized(&[&[kind_tag(kind)], record]);
        self.starts.push(start);
    }

    /// The stored version change `i` replaces, if any.
    fn of(&self, i: usize) -> Option<(Kind, &[u8])> {
        let n = self.changes.binary_search(&u32::try_from(i).ok()?).ok()?;
        let (&tag, record) = self.records.sized_at(self.starts[n]).split_first()?;
        Some((tag_kind(tag)?, record))
    }
}

/// The most refusals a write names (an import counts the rest through
/// [`Store::refusals`]).
pub(crate) const MAX_REJECTIONS: usize = 100;

impl Store {
    /// Applies a change set atomically and durably. `action` is logged.
    ///
    /// A write that changes anything empties the change set once what it
    /// writes is sorted, before writing it, freeing a large import's memory;
    /// a refused set ([`StoreError::Rejected`]) is left as it was.
    // Every write of the crate reads first and so takes the writer lock
    // itself (`write_locked`); this is for a write that reads nothing first.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn write(&self, action: &str, changes: &mut ChangeSet) -> Result<WriteSummary, StoreError> {
        let writer = self.lock_writer()?;
        self.write_locked(&writer, action, changes)
    }

    /// [`Store::write`] for a caller that holds the writer lock already,
    /// because what it read before the write must still hold when it writes
    /// (`add` reporting a status change, an import choosing free ids).
    pub(crate) fn write_locked(
        &self,
        _writer: &super::WriterLock<'_>,
        action: &str,
        changes: &mut ChangeSet,
    ) -> Result<WriteSummary, StoreError> {
        self.check_writable()?;
        // SPEC 8.3: the derived evidence the write changes joins it.
        let duplicates = changes.sort();
        if !duplicates.is_empty() {
            return Err(self.refused_with(changes, duplicates)?);
        }
        let derived = self.add_derived_evidence(changes)?;
        let mut summary = self
            .apply(action, changes)
            .map_err(bench::only_given_refusals)
            .map_err(|e| e.located(&self.path))?;
        bench::uncount_derived(&mut summary, derived);
        Ok(summary)
    }

    fn apply(&self, action: &str, changes: &mut ChangeSet) -> Result<WriteSummary, StoreError> {
        let mut problems = changes.sort();
        let change_set = changes;
        let changes = &*change_set;
        let stored = self.stored_versions(changes)?;
        let mut summary = WriteSummary::default();
        // Drop puts identical to what is stored.
        // Positions as u32 (a change set holds fewer than 2^32): 4M changes
        // then keep 16 MiB less through the whole write.
        let mut keep: Vec<u32> = Vec::with_capacity(changes.len());
        for i in 0..changes.len() {
            let c = changes.at(i);
            let old = stored.of(i);
            let identical = match (c.put, old) {
                (Some((k, new)), Some((ok, old))) => k == ok && new == old,
                (None, None) => true,
                _ => false,
            };
            if identical {
                summary.unchanged += 1;
                continue;
            }
            match (c.put, old) {
                (Some((k, _)), None) => summary.added[k as usize] += 1,
                (Some((k, _)), Some(_)) => summary.replaced[k as usize] += 1,
                (None, Some((k, _))) => summary.retracted[k as usize] += 1,
                (None, None) => {}
            }
            keep.push(i as u32);
        }
        // Which claims to rederive is worked out while the changes are
        // validated (on both cores): all of it only reads.
        let (refused, affected) = on_both_cores(
            "finding the affected claims",
            || self.write_refusals(changes, &stored),
            || self.affected_claims(changes, &keep, &stored),
        );
        problems.extend(refused?);
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.position);
            return Err(StoreError::Rejected(problems));
        }
        if keep.is_empty() {
            return Ok(summary);
        }
        let affected = affected?;

        let tree = self.tree();
        let seq = self.next_seq()?;
        // Every batch from here on keeps the before-images that undo it.
        let mut sink = BatchSink::undoable(tree, seq);
        // Everything phases 1–3 write, sorted (in bounded memory) by map,
        // then key, and the status log's own-write rows of records without
        // derived values (claims' come with phase 4): each core takes half
        // of the changes, in id order. The changes are then dropped, so a
        // large import's records are not held while sled grows.
        let recorded_ms = self.next_recorded_ms(seq)?;
        let mut history = HistoryWriter::new(self, seq);
        let mut second_history = history.fork(self);
        let (first_half, second_half) = keep.split_at(keep.len() / 2);
        let share = |half: &[u32], history: &mut HistoryWriter| {
            let sorted = self.sort_share(changes, &stored, half)?;
            for i in kept(half) {
                let (put, old) = (changes.at(i).put, stored.of(i));
                let (kind, action) = match (put, old) {
                    (Some((k, _)), None) => (k, HistoryAction::Add),
                    (Some((k, _)), Some(_)) => (k, HistoryAction::Replace),
                    (None, Some((k, _))) => (k, HistoryAction::Retract),
                    (None, None) => continue,
                };
                if kind != Kind::Claim {
                    history.own_write(changes.at(i).id, kind, action)?;
                }
            }
            Ok(sorted)
        };
        let (first, second) = on_both_cores(
            "sorting what the write does",
            || share(first_half, &mut history),
            || share(second_half, &mut second_history),
        );
        let (mut first, mut second) = (first?, second?);
        history.join(second_history);
        let mut group_deltas = std::mem::take(&mut first.group_deltas);
        for (index, deltas) in std::mem::take(&mut second.group_deltas) {
            group_deltas.entry(index).or_default().add(deltas);
        }
        let changed = keep.len() as u64;
        drop((keep, stored));
        *change_set = ChangeSet::default();
        // The log and the record maps in map order, each the first half's
        // keys then the second's; then the indexes of both halves merged.
        let from_runs = first.reads_runs() || second.reads_runs();
        let by_id = (first.by_id.into_iter().zip(second.by_id)).flat_map(|(a, b)| a.chain(b));
        let mutations = by_id.chain(MergeTwo::new(first.indexes, second.indexes));
        let mut sorted = in_order(Box::new(mutations), from_runs);

        // Everything before only read (other writes wait for the writer
        // lock); from here on the maps change: statements wait until the
        // write has finished, and a write waits for the statements that
        // started before it.
        let _exclusive = self.gate.exclusive()?;
        // Phase 1: the marker and the before-images, before any data.
        sink.put(
            keys::META_PENDING.to_vec(),
            Some(seq.to_be_bytes().to_vec()),
        )?;
        let mut part = 1u32;
        let mut builder = BlockBuilder::default();
        for entry in SortedMap::new(&mut sorted, LOG_SORT_BYTE) {
            let (id, before) = entry?;
            builder.push(&id, before.as_deref().unwrap_or_default());
            if builder.is_full() {
                write_log_part(&mut sink, seq, &mut part, &mut builder)?;
            }
        }
        write_log_part(&mut sink, seq, &mut part, &mut builder)?;
        sink.flush()?;

        // Phases 2 and 3: the records, then the secondary indexes.
        self.apply_sorted(&mut sorted, group_deltas, &mut sink)?;
        // Closes the runs, which frees their disk space.
        drop(sorted);

        // Phase 4: derived values of every affected claim.
        let status_delta = self.rederive(&affected, &mut sink, &mut history)?;
        // Phase 4, last: the status log (a rollback removes it with the rest:
        // by write from before-images, by record by its seq).
        history.finish(self, &mut sink)?;

        // Phase 5: counters, log header, undo log and marker cleared — one batch.
        sink.flush()?;
        let mut counters = self.counters()?;
        for (k, count) in counters.records.iter_mut().enumerate() {
            *count = (*count + summary.added[k]).saturating_sub(summary.retracted[k]);
        }
        for (count, delta) in counters.statuses.iter_mut().zip(status_delta) {
            *count = count.checked_add_signed(delta).unwrap_or(0);
        }
        let header = LogEntry {
            seq,
            recorded_ms,
            action: action.to_owned(),
            changes: changed,
        };
        sink.commit(vec![
            (
                keys::META_COUNTERS.to_vec(),
                Some(codec::encode(&counters)?),
            ),
            (keys::log_key(seq, 0), Some(codec::encode(&header)?)),
            (
                keys::META_NEXT_SEQ.to_vec(),
                Some((seq + 1).to_be_bytes().to_vec()),
            ),
        ])?;
        summary.seq = Some(seq);
        self.flush()?;
        self.set_write_mark(seq + 1)?;
        Ok(summary)
    }

    /// Finds the stored version of every changed id, walking each record map
    /// once in id order.
    fn stored_versions(&self, changes: &ChangeSet) -> Result<StoredVersions, StoreError> {
        let counters = self.counters()?;
        // Empty maps are skipped.
        let mut cursors: Vec<(Kind, Option<Cursor>)> = Kind::EXPORT_ORDER
            .into_iter()
            .filter(|k| counters.of_kind(*k) > 0)
            .map(|k| (k, None))
            .collect();
        let mut out = StoredVersions::default();
        for i in 0..changes.len() {
            let id = changes.at(i).id;
            for (kind, cursor) in &mut cursors {
                let cursor = match cursor {
                    Some(c) => c,
                    None => cursor.insert(Cursor::new(self.tree(), MapId::Records(*kind), id)?),
                };
                if cursor.seek(id)? && cursor.key() == id {
                    // The change set holds at most 2^32 changes (positions are u32).
                    out.push(i as u32, *kind, cursor.value());
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// Runs `first` on this core and `second` on the other at the same time:
/// each stage of a write that only reads is shared this way.
fn on_both_cores<A, B: Send>(
    what: &'static str,
    first: impl FnOnce() -> Result<A, StoreError>,
    second: impl FnOnce() -> Result<B, StoreError> + Send,
) -> (Result<A, StoreError>, Result<B, StoreError>) {
    std::thread::scope(|scope| {
        let second = scope.spawn(second);
        let first = first();
        let second = second
            .join()
            .unwrap_or_else(|_| Err(StoreError::ThreadFailed(what)));
        (first, second)
    })
}

/// The positions of the changes a write keeps, as indexes.
fn kept(keep: &[u32]) -> impl Iterator<Item = usize> + '_ {
    keep.iter().map(|&i| i as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Id;

    /// Writes larger than the sort budget go through runs on disk: the
    /// result is what `check` recomputes from the records, and the runs'
    /// files are gone afterwards.
    #[test]
    fn writes_sorted_through_runs_are_consistent() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("db");
        let db = crate::Database::open(&path).expect("opens");
        let mut lines = String::new();
        for s in 0..40 {
            let kind = ["memo", "blog", "paper"][s % 3];
            lines += &format!(
                r#"{{"type":"source","id":"s{s}","title":"source {s}","kind":"{kind}","reliability":0.{}}}"#,
                s % 9 + 1
            );
            lines.push('\n');
        }
        for c in 0..1500 {
            lines += &format!(
                r#"{{"type":"claim","id":"c{c}","text":"claim {c}","subject":"S{}","tags":["t{}"]}}"#,
                c % 17,
                c % 5
            );
            lines.push('\n');
        }
        for e in 0..4000 {
            let stance = if e % 3 == 0 { "refutes" } else { "supports" };
            lines += &format!(
                r#"{{"type":"evidence","id":"e{e}","claim":"c{}","source":"s{}","stance":"{stance}"}}"#,
                (e * 7) % 1500,
                e % 40
            );
            lines.push('\n');
        }
        db.import_jsonl(lines.as_bytes()).expect("imports");
        // Replacements and retractions, also through runs.
        let mut changes = ChangeSet::new();
        for c in (0..1500).step_by(3) {
            let json = format!(
                r#"{{"type":"claim","id":"c{c}","text":"claim {c}, revised","subject":"T{}"}}"#,
                c % 11
            );
            let record = crate::import::parse_line(&json).expect("parses");
            changes.push(Change::Put(record)).expect("push");
        }
        for e in (0..4000).step_by(7) {
            let id = Id::new(&format!("e{e}")).expect("id");
            changes.push(Change::Retract(id)).expect("push");
        }
        db.store().write("revise", &mut changes).expect("writes");
        let report = db.store().check().expect("checks");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let count = |q: &str| {
            serde_json::to_value(db.query(q).expect(q)).expect("json")[0]["count"].clone()
        };
        assert_eq!(count("count evidence"), 4000 - 572);
        assert_eq!(count("count claims where subject = \"T3\""), 46);
        let leftovers: Vec<_> = std::fs::read_dir(&path)
            .expect("lists")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("evident-sort"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    /// Each core works out half of a write's changes: the group counts of
    /// a value both halves hold add up, and every record of either half
    /// has its status-log row.
    #[test]
    fn both_halves_of_a_write_count_and_log_every_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::Database::open(dir.path().join("db")).expect("opens");
        let mut lines =
            String::from(r#"{"type":"source","id":"s","title":"runs","kind":"leaderboard"}"#);
        for r in 0..300 {
            let model = ["m1", "m2"][r % 2];
            lines += &format!(
                "\n{{\"type\":\"result\",\"id\":\"r{r:03}\",\"model\":\"{model}\",\
                 \"benchmark\":\"b\",\"value\":0.5,\"source\":\"s\"}}"
            );
        }
        db.import_jsonl(lines.as_bytes()).expect("imports");
        let report = db.store().check().expect("checks");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let rows = serde_json::to_value(db.query("count results group by model").expect("counts"))
            .expect("json");
        assert_eq!(rows[0]["count"], 150, "{rows}");
        assert_eq!(rows[1]["count"], 150, "{rows}");
        for id in ["r000", "r299", "s"] {
            let writes = db.store().history(id).expect("history");
            assert_eq!(writes.len(), 1, "{id}");
        }
    }

    /// Derived evidence has no history: a write that derives it records
    /// rows of the claim and the result only, and `check` finds the status
    /// log whole without them.
    #[test]
    fn derived_evidence_gets_no_status_log_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::Database::open(dir.path().join("db")).expect("opens");
        let lines = r#"{"type":"source","id":"s","title":"board","kind":"leaderboard"}
{"type":"result","id":"r1","model":"M","benchmark":"B","value":0.5,"source":"s"}
{"type":"claim","id":"c1","text":"M scores 0.5","subject":"Mk","model":"M","benchmark":"B","value":0.5}"#;
        db.import_jsonl(lines.as_bytes()).expect("imports");
        let derived =
            serde_json::to_value(db.query("evidence select id").expect("query")).expect("json");
        assert_eq!(derived[0]["id"], "c1~r1", "{derived}");
        assert!(db.store().history("c1~r1").expect("history").is_empty());
        for id in ["c1", "r1", "s"] {
            assert_eq!(db.store().history(id).expect("history").len(), 1, "{id}");
        }
        let report = db.store().check().expect("checks");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(
            (report.checked.iter()).any(|line| line.contains("status log (3 entries)")),
            "{:?}",
            report.checked
        );
    }
}
