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
//! What phases 1–3 write is worked out in one pass over the changes (the
//! log and records on one core, the index entries on the other) and sorted
//! by a [`Sorter`] in bounded memory, spilling runs to temporary files; the
//! changes are dropped before anything is written, so a million-claim
//! import does not hold its records while sled grows. Phase 4 sorts its
//! entries the same way.
//!
//! Each phase is written in bounded batches. A crash before phase 5 leaves
//! the marker; on the next open [`Store::recover`] replays the before-images
//! through this same machinery (every step is idempotent), so a write is
//! either wholly there or wholly absent.

use super::arena::{Address, ByteArena};
use super::blocks::{self, BatchSink, BlockBuilder, BlockReader, Cursor, Mutation};
use super::facts::{self, EvidencePayload, SourceCache};
use super::interner::Interner;
use super::keys::{self, IndexId, MapId};
use super::sorter::{MergeTwo, Mutations, Sorted, Sorter, read_ahead};
use super::{Counters, Rejection, Store, StoreError, codec, decode_record, encode_record};
use crate::model::{Derived, Id, Kind, Record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// One change to the database.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Add or replace a record.
    Put(Record),
    /// Remove a record.
    Retract(Id),
}

/// A set of changes applied together, held compactly (one byte arena) so a
/// million-record import fits in memory.
#[derive(Default)]
pub struct ChangeSet {
    arena: ByteArena,
    /// Where each change is in `arena`.
    starts: Vec<Address>,
    /// Once sorted: the id of every [`FENCE_STRIDE`]th change, so that
    /// [`ChangeSet::find`] narrows its search in this small table before
    /// touching the arena (a binary search over four million changes
    /// otherwise misses the cache at every step).
    fences: Vec<Box<[u8]>>,
}

/// Changes between two fences of a sorted [`ChangeSet`].
const FENCE_STRIDE: usize = 32;

/// A change as stored in a [`ChangeSet`].
#[derive(Clone, Copy)]
struct ChangeRef<'a> {
    id: &'a [u8],
    /// The new record's kind and encoding; `None` for a retraction.
    put: Option<(Kind, &'a [u8])>,
    /// Where it was pushed (see [`ChangeSet::push`]).
    position: u32,
}

/// Marks a change whose id is held apart from its record (see
/// [`ChangeSet::push_raw`]).
const EXPLICIT_ID: u8 = 0x80;

/// The id an encoded record starts with: its length (bincode writes
/// lengths below 251 as one byte; ids are at most 128 bytes), then its bytes.
fn record_id(record: &[u8]) -> Option<&[u8]> {
    let (&len, rest) = record.split_first()?;
    rest.get(..usize::from(len)).filter(|_| len < 251)
}

/// An id held after its length byte in a change (see [`ChangeSet::push_raw`]).
fn explicit_id(bytes: &[u8]) -> &[u8] {
    let len = usize::from(bytes[0]);
    &bytes[1..1 + len]
}

fn kind_tag(kind: Kind) -> u8 {
    kind as u8 + 1
}

fn tag_kind(tag: u8) -> Option<Kind> {
    [Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result]
        .get(usize::from(tag).checked_sub(1)?)
        .copied()
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> ChangeSet {
        ChangeSet::default()
    }

    /// Adds a change. Rejections name it by its position: the number of
    /// changes pushed before it.
    pub fn push(&mut self, change: Change) -> Result<(), StoreError> {
        let position = u32::try_from(self.len())
            .map_err(|_| StoreError::TooLarge("more than 4 billion changes in one write"))?;
        match change {
            Change::Put(record) => {
                let bytes = encode_record(&record)?;
                self.push_raw(
                    position,
                    record.id().as_str().as_bytes(),
                    Some((record.kind(), &bytes)),
                );
            }
            Change::Retract(id) => self.push_raw(position, id.as_str().as_bytes(), None),
        }
        self.fences.clear();
        Ok(())
    }

    /// Layout: tag, position (u32), then for a put the record's length (a
    /// varint) and the record, for a retraction the id's length (a byte)
    /// and the id. Every record's encoding starts with its id (its length,
    /// one byte, then the id), so a put's id is read from its record
    /// rather than held twice — 4M changes then take ~40 MiB less. The tag
    /// is the kind's ([`kind_tag`]), or 0 for a retraction; a put whose
    /// record does not start with the id (bytes from a damaged log) keeps
    /// its id after the record, with [`EXPLICIT_ID`] in the tag.
    fn push_raw(&mut self, position: u32, id: &[u8], put: Option<(Kind, &[u8])>) {
        // Ids are at most 128 bytes, so their length fits a byte.
        let id_len = [id.len() as u8];
        let mut length = Vec::with_capacity(5);
        let start = match put {
            Some((kind, record)) => {
                let explicit = record_id(record) != Some(id);
                let tag = kind_tag(kind) | if explicit { EXPLICIT_ID } else { 0 };
                super::codec::put_varint(&mut length, record.len() as u64);
                let (id_len, id): (&[u8], &[u8]) =
                    if explicit { (&id_len, id) } else { (&[], &[]) };
                self.arena
                    .push(&[&[tag], &position.to_be_bytes(), &length, record, id_len, id])
            }
            None => self
                .arena
                .push(&[&[0], &position.to_be_bytes(), &id_len, id]),
        };
        self.starts.push(start);
    }
    /// Number of changes.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are no changes.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn at(&self, i: usize) -> ChangeRef<'_> {
        Self::entry(&self.arena, self.starts[i])
    }

    fn entry(arena: &ByteArena, start: Address) -> ChangeRef<'_> {
        // Entries are only ever written by `push_raw`, so they parse.
        let bytes = arena.bytes_at(start);
        let tag = bytes[0];
        let position = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let rest = &bytes[5..];
        let Some(kind) = tag_kind(tag & !EXPLICIT_ID) else {
            let id = explicit_id(rest);
            return ChangeRef {
                id,
                put: None,
                position,
            };
        };
        let mut pos = 0;
        let record_len = super::codec::get_varint(rest, &mut pos).unwrap_or(0) as usize;
        let record = &rest[pos..pos + record_len];
        let id = if tag & EXPLICIT_ID != 0 {
            explicit_id(&rest[pos + record_len..])
        } else {
            record_id(record).unwrap_or_default()
        };
        ChangeRef {
            id,
            put: Some((kind, record)),
            position,
        }
    }

    /// Sorts by id (the offsets only: the arena is not copied), keeping
    /// the first of each id; returns the later ones.
    fn sort(&mut self) -> Vec<Rejection> {
        let arena = &self.arena;
        // Sort on the first 12 id bytes held inline (zero-padded, which
        // keeps their order), reading the arena only on ties: most
        // comparisons then touch no scattered memory.
        let mut order: Vec<([u8; 12], u32)> = self
            .starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let id = Self::entry(arena, start).id;
                let mut head = [0u8; 12];
                let n = id.len().min(12);
                head[..n].copy_from_slice(&id[..n]);
                // There are at most 2^32 changes (positions are u32).
                (head, i as u32)
            })
            .collect();
        let starts = &self.starts;
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let (a, b) = (
                    Self::entry(arena, starts[a.1 as usize]),
                    Self::entry(arena, starts[b.1 as usize]),
                );
                a.id.cmp(b.id).then(a.position.cmp(&b.position))
            })
        });
        self.starts = order.into_iter().map(|(_, i)| starts[i as usize]).collect();
        let mut duplicates = Vec::new();
        let mut previous: Option<&[u8]> = None;
        self.starts.retain(|&start| {
            let c = Self::entry(arena, start);
            let duplicate = previous == Some(c.id);
            if duplicate {
                duplicates.push(Rejection {
                    id: String::from_utf8_lossy(c.id).into_owned(),
                    position: Some(c.position),
                    field: Some("id"),
                    reason: "the same id is given more than once".into(),
                });
            }
            previous = Some(c.id);
            !duplicate
        });
        self.fences = (0..self.len())
            .step_by(FENCE_STRIDE)
            .map(|i| self.at(i).id.into())
            .collect();
        duplicates
    }

    /// Every id in the set.
    pub fn ids(&self) -> std::collections::HashSet<&[u8]> {
        (0..self.len()).map(|i| self.at(i).id).collect()
    }

    /// Drops the changes pushed at these positions.
    pub fn remove_positions(&mut self, positions: &[u32]) {
        let drop: std::collections::HashSet<u32> = positions.iter().copied().collect();
        let mut kept = ChangeSet::default();
        // Kept changes stay in the order they are in, sorted or not.
        for i in 0..self.len() {
            let c = self.at(i);
            if !drop.contains(&c.position) {
                kept.push_raw(c.position, c.id, c.put);
            }
        }
        *self = kept;
    }

    /// The change to `id`, in a sorted set.
    fn find(&self, id: &[u8]) -> Option<ChangeRef<'_>> {
        // The fences at or below `id` say which stretch of changes holds it.
        let (from, until) = match self.fences.partition_point(|fence| **fence <= *id) {
            0 if !self.fences.is_empty() => return None,
            0 => (0, self.len()),
            n => {
                let from = (n - 1) * FENCE_STRIDE;
                (from, (from + FENCE_STRIDE).min(self.len()))
            }
        };
        let i =
            self.starts[from..until].binary_search_by(|&s| Self::entry(&self.arena, s).id.cmp(id));
        i.ok().map(|i| self.at(from + i))
    }
}

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

/// The header of one logged write (part 0 of its log entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// When it was recorded, milliseconds since the Unix epoch.
    pub recorded_ms: u64,
    /// What was done (`import liar2.jsonl`, `add claim c7`).
    pub action: String,
    /// How many records it changed.
    pub changes: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Re-applying before-images after a crash: no validation, no counters.
    Rollback,
}

/// The claims whose derived values may change with a write, and what the
/// write does to each claim record itself. Worked out before anything is
/// written and held compactly (~20 MiB for a million claims), so that the
/// change set can go as soon as the records and indexes are written.
#[derive(Default)]
struct AffectedClaims {
    ids: Interner,
    /// By number: whether the write adds, replaces or retracts the record.
    record_changed: Vec<bool>,
    /// By number: the subject of the stored claim record the write
    /// replaces or retracts.
    old_subjects: HashMap<u32, Box<str>>,
}

/// One of the [`AffectedClaims`].
struct AffectedClaim<'a> {
    id: &'a str,
    record_changed: bool,
    old_subject: Option<&'a str>,
}

impl AffectedClaims {
    /// Adds `id`, once; returns its number.
    fn add(&mut self, id: &str) -> Result<u32, StoreError> {
        let (n, new) = self
            .ids
            .intern(id.as_bytes())
            .ok_or_else(|| StoreError::TooLarge("more than 4 billion claims"))?;
        if new {
            self.record_changed.push(false);
        }
        Ok(n)
    }

    /// The claims in id order.
    fn in_order(&self) -> impl Iterator<Item = Result<AffectedClaim<'_>, StoreError>> {
        self.ids.sorted_numbers().into_iter().map(|n| {
            let id = std::str::from_utf8(self.ids.get(n))
                .map_err(|_| StoreError::Encode("a claim id that is not UTF-8".into()))?;
            Ok(AffectedClaim {
                id,
                record_changed: self.record_changed[n as usize],
                old_subject: self.old_subjects.get(&n).map(|s| &**s),
            })
        })
    }
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

impl Store {
    /// Applies a change set atomically and durably. `action` is logged.
    ///
    /// A write that changes anything empties the change set once what it
    /// writes is sorted, before writing it, freeing a large import's memory;
    /// a refused set ([`StoreError::Rejected`]) is left as it was.
    pub fn write(&self, action: &str, changes: &mut ChangeSet) -> Result<WriteSummary, StoreError> {
        let _writer = self.writer.lock().map_err(|_| StoreError::Poisoned)?;
        self.apply(action, changes, Mode::Normal, None)
    }

    /// Rolls back a write interrupted by a crash, if the last one was.
    pub(super) fn recover(&self) -> Result<(), StoreError> {
        let Some(seq) = self.tree().get(keys::META_PENDING)? else {
            return Ok(());
        };
        let seq = <[u8; 8]>::try_from(seq.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::damaged("the pending-write marker".into()))?;
        let mut undo = ChangeSet::new();
        for part in self
            .tree()
            .range(keys::log_key(seq, 1)..keys::log_key(seq + 1, 0))
        {
            let (_, part) = part?;
            let mut reader = BlockReader::new(part)?;
            while reader.advance()? {
                let before = reader.value();
                let position = undo.len() as u32;
                let put = match before.split_first() {
                    Some((&tag, bytes)) if tag != 0 => Some((
                        tag_kind(tag).ok_or_else(|| StoreError::damaged("log".into()))?,
                        bytes,
                    )),
                    _ => None,
                };
                undo.push_raw(position, reader.key(), put);
            }
        }
        self.apply("rollback", &mut undo, Mode::Rollback, Some(seq))
            .map(drop)
    }

    fn apply(
        &self,
        action: &str,
        changes: &mut ChangeSet,
        mode: Mode,
        rollback_seq: Option<u64>,
    ) -> Result<WriteSummary, StoreError> {
        let mut problems = changes.sort();
        let change_set = changes;
        let changes = &*change_set;
        let stored = self.stored_versions(changes)?;
        let mut summary = WriteSummary::default();
        // Drop puts identical to what is stored (but a rollback re-applies everything).
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
            if identical && mode == Mode::Normal {
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
        // Which claims to rederive is worked out on the other core while
        // the changes are validated: both only read.
        let (validated, affected) = std::thread::scope(|scope| {
            let affected = scope.spawn(|| self.affected_claims(changes, &keep, &stored));
            let validated = match mode {
                Mode::Normal => self.validate(changes, &stored),
                Mode::Rollback => Ok(Vec::new()),
            };
            let affected = affected.join().unwrap_or_else(|_| {
                Err(StoreError::damaged(
                    "finding the affected claims failed".into(),
                ))
            });
            (validated, affected)
        });
        problems.extend(validated?);
        if mode == Mode::Normal && !problems.is_empty() {
            problems.sort_by_key(|p| p.position);
            return Err(StoreError::Rejected(problems));
        }
        if keep.is_empty() && mode == Mode::Normal {
            return Ok(summary);
        }
        let affected = affected?;

        let tree = self.tree();
        let mut sink = BatchSink::new(tree);
        let seq = match rollback_seq {
            Some(seq) => seq,
            None => self.next_seq()?,
        };
        // Everything phases 1–3 write, sorted (in bounded memory) by map,
        // then key, on both cores (see `Share`). The changes are then
        // dropped, so a large import's records are not held while sled grows.
        let (first, second) = std::thread::scope(|scope| {
            let (stored, keep) = (&stored, &keep);
            let second =
                scope.spawn(move || self.sort_share(changes, stored, keep, mode, Share::Second));
            let first = self.sort_share(changes, stored, keep, mode, Share::First);
            let second = second.join().unwrap_or_else(|_| {
                Err(StoreError::damaged(
                    "sorting the index entries failed".into(),
                ))
            });
            (first, second)
        });
        let ((first, mut group_deltas), (second, more_deltas)) = (first?, second?);
        group_deltas.extend(more_deltas);
        let changed = keep.len() as u64;
        drop((keep, stored));
        *change_set = ChangeSet::default();
        // The two shares hold different maps.
        let from_runs = first.is_merged() || second.is_merged();
        let mut sorted = in_order(Box::new(MergeTwo::new(first, second)), from_runs);

        if mode == Mode::Normal {
            // Phase 1: the marker and the before-images, before any data.
            sink.put(
                keys::META_PENDING.to_vec(),
                Some(seq.to_be_bytes().to_vec()),
            );
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
        }

        // Phases 2 and 3: the records, then the secondary indexes.
        self.apply_sorted(&mut sorted, group_deltas, mode, &mut sink)?;
        // Closes the runs, which frees their disk space.
        drop(sorted);

        // Phase 4: derived values of every affected claim.
        let status_delta = self.rederive(&affected, mode, &mut sink)?;

        // Phase 5: counters, log header, marker cleared — one batch.
        sink.flush()?;
        let mut counters = self.counters()?;
        if mode == Mode::Normal {
            for (k, count) in counters.records.iter_mut().enumerate() {
                *count = (*count + summary.added[k]).saturating_sub(summary.retracted[k]);
            }
            for (count, delta) in counters.statuses.iter_mut().zip(status_delta) {
                *count = count.checked_add_signed(delta).unwrap_or(0);
            }
            sink.put(
                keys::META_COUNTERS.to_vec(),
                Some(codec::encode(&counters)?),
            );
            let header = LogEntry {
                seq,
                recorded_ms: now_ms(),
                action: action.to_owned(),
                changes: changed,
            };
            sink.put(keys::log_key(seq, 0), Some(codec::encode(&header)?));
            sink.put(
                keys::META_NEXT_SEQ.to_vec(),
                Some((seq + 1).to_be_bytes().to_vec()),
            );
            summary.seq = Some(seq);
        } else {
            // The interrupted write never happened: forget its log entry.
            for key in tree
                .range(keys::log_key(seq, 0)..keys::log_key(seq + 1, 0))
                .keys()
            {
                sink.put(key?.to_vec(), None);
            }
        }
        sink.put(keys::META_PENDING.to_vec(), None);
        sink.flush()?;
        self.flush()?;
        if mode == Mode::Normal {
            self.set_write_mark(seq + 1)?;
        }
        Ok(summary)
    }

    pub(super) fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(match self.tree().get(keys::META_NEXT_SEQ)? {
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::damaged("sequence number".into()))?,
            None => 1,
        })
    }

    /// Finds the stored version of every changed id, walking each record map
    /// once in id order.
    fn stored_versions(&self, changes: &ChangeSet) -> Result<StoredVersions, StoreError> {
        let counters = self.counters()?;
        // Empty maps are skipped; a rollback must look everywhere.
        let rolling_back = self.tree().get(keys::META_PENDING)?.is_some();
        let mut cursors: Vec<(Kind, Option<Cursor>)> = Kind::EXPORT_ORDER
            .into_iter()
            .filter(|k| rolling_back || counters.of_kind(*k) > 0)
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

    /// Checks kinds, references and retractions; nothing is written if any
    /// change is refused.
    fn validate(
        &self,
        changes: &ChangeSet,
        stored: &StoredVersions,
    ) -> Result<Vec<Rejection>, StoreError> {
        const MAX_REJECTIONS: usize = 100;
        let mut problems = Vec::new();
        let mut kinds: HashMap<Vec<u8>, Option<Kind>> = HashMap::new();
        for i in 0..changes.len() {
            if problems.len() >= MAX_REJECTIONS {
                break;
            }
            let c = changes.at(i);
            let id = String::from_utf8_lossy(c.id).into_owned();
            let position = Some(c.position);
            let old = stored.of(i);
            match (c.put, old) {
                (Some((k, _)), Some((old, _))) if k != old => problems.push(Rejection {
                    position,
                    id: id.clone(),
                    field: Some("id"),
                    reason: format!(
                        "already used by a {}; ids are unique across all kinds",
                        old.name()
                    ),
                }),
                (None, None) => problems.push(Rejection {
                    id: id.clone(),
                    position,
                    field: None,
                    reason: "no record has this id".into(),
                }),
                _ => {}
            }
            if let Some((kind, bytes)) = c.put {
                let record = decode_record(kind, bytes)?;
                for (field, target, want) in record.references() {
                    let target_bytes = target.as_str().as_bytes();
                    let found = match changes.find(target_bytes) {
                        Some(ChangeRef {
                            put: Some((k, _)), ..
                        }) => Some(k),
                        Some(ChangeRef { put: None, .. }) => {
                            problems.push(Rejection {
                                position,
                                id: id.clone(),
                                field: Some(field),
                                reason: format!("names {target}, which this write retracts"),
                            });
                            continue;
                        }
                        None => match kinds.get(target_bytes) {
                            Some(k) => *k,
                            None => {
                                let k = self.get(target.as_str())?.map(|r| r.kind());
                                kinds.insert(target_bytes.to_vec(), k);
                                k
                            }
                        },
                    };
                    match found {
                        Some(k) if k == want => {}
                        Some(k) => problems.push(Rejection {
                            position,
                            id: id.clone(),
                            field: Some(field),
                            reason: format!("{target} is a {}, not a {}", k.name(), want.name()),
                        }),
                        None => problems.push(Rejection {
                            position,
                            id: id.clone(),
                            field: Some(field),
                            reason: format!("no {} has the id {target}", want.name()),
                        }),
                    }
                }
            }
            if let (None, Some((kind, _))) = (c.put, old) {
                let still_referring: Vec<String> = self
                    .referrers(&id, kind)?
                    .into_iter()
                    .filter(|referrer| match changes.find(referrer.as_bytes()) {
                        None => true,
                        Some(ChangeRef { put: None, .. }) => false,
                        Some(ChangeRef {
                            put: Some((k, bytes)),
                            ..
                        }) => decode_record(k, bytes)
                            .map(|r| r.references().iter().any(|(_, t, _)| t.as_str() == id))
                            .unwrap_or(true),
                    })
                    .collect();
                if !still_referring.is_empty() {
                    problems.push(Rejection {
                        position,
                        id: id.clone(),
                        field: None,
                        reason: format!(
                            "is still referenced by {} (retract those first)",
                            name_list(&still_referring)
                        ),
                    });
                }
            }
        }
        Ok(problems)
    }

    /// Claims whose derived values may change with this write, in id order,
    /// with what the write does to each claim record itself.
    fn affected_claims(
        &self,
        changes: &ChangeSet,
        keep: &[u32],
        stored: &StoredVersions,
    ) -> Result<AffectedClaims, StoreError> {
        let mut claims = AffectedClaims::default();
        for i in kept(keep) {
            let (put, stored) = (changes.at(i).put, stored.of(i));
            // Benchmark results bear on no claim's derived values.
            if [put, stored]
                .iter()
                .all(|r| matches!(r, None | Some((Kind::Result, _))))
            {
                continue;
            }
            let new = put.map(|(k, b)| decode_record(k, b)).transpose()?;
            let old = stored.map(|(k, b)| decode_record(k, b)).transpose()?;
            if let Some(Record::Claim(c)) = &old {
                let n = claims.add(c.id.as_str())?;
                claims.record_changed[n as usize] = true;
                if let Some(subject) = c.subject.as_deref() {
                    claims.old_subjects.insert(n, subject.into());
                }
            }
            match &new {
                Some(Record::Claim(c)) => {
                    let n = claims.add(c.id.as_str())?;
                    claims.record_changed[n as usize] = true;
                }
                Some(Record::Evidence(e)) => _ = claims.add(e.claim.as_str())?,
                _ => {}
            }
            if let Some(Record::Evidence(e)) = &old {
                claims.add(e.claim.as_str())?;
            }
            // A source's reliability or affiliations reach every claim it bears on.
            if let (Some(Record::Source(o)), n) = (&old, &new) {
                let same = matches!(n, Some(Record::Source(n)) if n.reliability == o.reliability && n.affiliations == o.affiliations);
                if !same {
                    for (claim, _) in self.claims_cited_by(o.id.as_str())? {
                        claims.add(&claim)?;
                    }
                }
            }
        }
        Ok(claims)
    }

    /// Recomputes the derived values of `claims` (in id order) and writes
    /// those that changed, with the index entries that hold them: status,
    /// and the claim rows of the subject and confidence indexes (rewritten
    /// too when the claim record changed). Returns the change in the number
    /// of claims of each status.
    ///
    /// The derived map is written before the indexes: a crash in between
    /// leaves a stored value that differs from a recomputation, which the
    /// rollback rewrites with every index entry that holds it.
    fn rederive(
        &self,
        claims: &AffectedClaims,
        mode: Mode,
        sink: &mut BatchSink<'_>,
    ) -> Result<[i64; 4], StoreError> {
        let tree = self.tree();
        let mut delta = [0i64; 4];
        let mut sources = SourceCache::default();
        let mut claim_cursor: Option<Cursor> = None;
        let mut derived_cursor: Option<Cursor> = None;
        let mut facts_walker = facts::FactWalker::new(self);
        // The derived values and the three indexes made with them, sorted
        // in bounded memory (a million claims' rows would not fit).
        let mut sorter = Sorter::new(&self.path, SORT_BUDGET);
        let mut subject_counts = GroupDeltas::new();
        let index_key = |index: IndexId, key: &[u8]| sort_key(MapId::Index(index).byte(), key);
        for claim in claims.in_order() {
            let claim = claim?;
            let id = claim.id.as_bytes();
            let claim_map = MapId::Records(Kind::Claim);
            let cursor = match &mut claim_cursor {
                Some(c) => c,
                None => claim_cursor.insert(Cursor::new(tree, claim_map, id)?),
            };
            let stored = if cursor.seek(id)? && cursor.key() == id {
                match decode_record(Kind::Claim, cursor.value())? {
                    Record::Claim(c) => Some((c, cursor.value().to_vec())),
                    _ => None,
                }
            } else {
                None
            };
            let cursor = match &mut derived_cursor {
                Some(c) => c,
                None => derived_cursor.insert(Cursor::new(tree, MapId::Derived, id)?),
            };
            let old = super::derived_at(cursor, id)?;
            let new = match &stored {
                Some((record, _)) => {
                    let evidence = facts_walker.facts_of(claim.id)?;
                    Some(facts::derive_claim(
                        self,
                        record.subject.as_deref(),
                        &evidence,
                        &mut sources,
                        None,
                    )?)
                }
                None => None,
            };
            let derived_changed = old != new;
            if !derived_changed && !claim.record_changed {
                continue;
            }
            let new_encoded = new.as_ref().map(codec::encode).transpose()?;
            if derived_changed {
                sorter.push(&sort_key(MapId::Derived.byte(), id), new_encoded.as_deref())?;
                for (d, step) in [(&old, -1), (&new, 1)] {
                    if let Some(d) = d {
                        delta[d.status as usize] += step;
                    }
                }
            }
            // Old entries out, the current ones in: an entry removed and put
            // again under one key is simply rewritten.
            if let Some(old) = &old {
                let status = keys::status_index_key(old.status, claim.id);
                sorter.push(&index_key(IndexId::ClaimStatus, &status), None)?;
                let confidence = keys::number_index_key(old.confidence, claim.id);
                sorter.push(&index_key(IndexId::ClaimConfidence, &confidence), None)?;
            }
            if let Some(subject) = claim.old_subject {
                let key = keys::string_index_key(subject, claim.id);
                sorter.push(&index_key(IndexId::ClaimSubject, &key), None)?;
                count_entry(&mut subject_counts, IndexId::ClaimSubject, &key, -1);
            }
            if let (Some((record, bytes)), Some(new), Some(derived)) = (&stored, &new, &new_encoded)
            {
                let row = super::encode_claim_row(bytes, derived);
                for index in [
                    IndexId::ClaimStatus,
                    IndexId::ClaimConfidence,
                    IndexId::ClaimSubject,
                ] {
                    if let Some((key, payload)) = entry_with_derived(index, record, new, &row) {
                        if index == IndexId::ClaimSubject && claim.record_changed {
                            count_entry(&mut subject_counts, index, &key, 1);
                        }
                        sorter.push(&index_key(index, &key), Some(payload))?;
                    }
                }
            }
        }
        let group_deltas = HashMap::from([(IndexId::ClaimSubject, subject_counts)]);
        let sorted = sorter.into_sorted()?;
        let from_runs = sorted.is_merged();
        self.apply_sorted(
            &mut in_order(Box::new(sorted), from_runs),
            group_deltas,
            mode,
            sink,
        )?;
        Ok(delta)
    }

    /// Every logged write, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree().scan_prefix([keys::LOG]) {
            let (key, value) = item?;
            if keys::log_header_seq(&key).is_some() {
                out.push(codec::decode(&value, "log entry")?);
            }
        }
        Ok(out)
    }
}

fn write_log_part(
    sink: &mut BatchSink<'_>,
    seq: u64,
    part: &mut u32,
    builder: &mut BlockBuilder,
) -> Result<(), StoreError> {
    if let Some((_, block)) = builder.finish() {
        sink.put(keys::log_key(seq, *part), Some(block));
        *part += 1;
        sink.flush_if_full()?;
    }
    Ok(())
}

/// The positions of the changes a write keeps, as indexes.
fn kept(keep: &[u32]) -> impl Iterator<Item = usize> + '_ {
    keep.iter().map(|&i| i as usize)
}

/// What sorts the log's before-images ahead of every map in a write's
/// [`Sorter`] (maps' bytes start at 1, see [`MapId::byte`]).
const LOG_SORT_BYTE: u8 = 0;

/// Pushes what a change does to the record maps: its record put in its
/// kind's map, and the stored one removed from another kind's.
fn push_record_mutations(
    sorter: &mut Sorter,
    change: ChangeRef<'_>,
    old: Option<(Kind, &[u8])>,
) -> Result<(), StoreError> {
    if let Some((kind, bytes)) = change.put {
        sorter.push(
            &sort_key(MapId::Records(kind).byte(), change.id),
            Some(bytes),
        )?;
    }
    if let Some((old_kind, _)) = old
        && change.put.is_none_or(|(kind, _)| kind != old_kind)
    {
        sorter.push(&sort_key(MapId::Records(old_kind).byte(), change.id), None)?;
    }
    Ok(())
}

/// What a write's sorters give, as it applies them: mutations sorted by
/// map, then key.
type InOrder = std::iter::Peekable<Box<Mutations>>;

/// Sorted mutations to apply; read on another core when they are merged
/// from runs.
fn in_order(mutations: Box<Mutations>, from_runs: bool) -> InOrder {
    let mutations: Box<Mutations> = if from_runs {
        Box::new(read_ahead(mutations))
    } else {
        mutations
    };
    mutations.peekable()
}

/// Memory for each of a write's sorters (two at once in phases 1–3; one
/// when rederiving). A sorter holds about 2.5× its budget while it sorts
/// a run. Unit tests use a tiny one, so their writes go through runs.
const SORT_BUDGET: usize = if cfg!(test) { 16 << 10 } else { 8 << 20 };

/// Which core sorts a map's mutations in phases 1–3: the first takes the
/// log, the records and some indexes, the second the other indexes — as
/// evenly as the bulky ones allow (results' rows by model and by benchmark,
/// the 3M evidence by claim and by source, claims' tags and dates).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Share {
    First,
    Second,
}

impl Share {
    fn of(index: IndexId) -> Share {
        match index {
            IndexId::ResultModel
            | IndexId::ResultSource
            | IndexId::EvidenceClaim
            | IndexId::ClaimTags
            | IndexId::SourceKind => Share::Second,
            _ => Share::First,
        }
    }
}

/// A mutation's key in a write's [`Sorter`]: the map's byte, then the key.
fn sort_key(map_byte: u8, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len());
    out.push(map_byte);
    out.extend_from_slice(key);
    out
}

/// The next stretch of a write's sorted mutations: those of one map (or of
/// the log), their keys without the map's byte.
struct SortedMap<'s> {
    sorted: &'s mut InOrder,
    map_byte: u8,
}

impl<'s> SortedMap<'s> {
    fn new(sorted: &'s mut InOrder, map_byte: u8) -> SortedMap<'s> {
        SortedMap { sorted, map_byte }
    }
}

impl Iterator for SortedMap<'_> {
    type Item = Result<Mutation, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Ok((key, _)) = self.sorted.peek()?
            && key.first() != Some(&self.map_byte)
        {
            return None;
        }
        Some(self.sorted.next()?.map(|(mut key, value)| {
            key.remove(0);
            (key, value)
        }))
    }
}

/// Change in the number of index entries per encoded value.
type GroupDeltas = HashMap<Vec<u8>, i64>;

/// Counts an index entry added (`delta` 1) or removed (−1) under its value,
/// for the indexes that keep group counts.
fn count_entry(deltas: &mut GroupDeltas, index: IndexId, key: &[u8], delta: i64) {
    if !index.has_group_counts() {
        return;
    }
    if let Some((value, _)) = keys::split_index_key(index, key) {
        match deltas.get_mut(value) {
            Some(d) => *d += delta,
            None => {
                deltas.insert(value.to_vec(), delta);
            }
        }
    }
}

impl Store {
    /// The new group counts of `index` for the values a write touched (its
    /// index mutations already applied): a count per value, removed at zero.
    ///
    /// A normal write adds its deltas to the stored counts, which match the
    /// index before it. A rollback cannot: the interrupted write may have
    /// stopped before or after its counts were written, and deltas are not
    /// idempotent. It counts the index entries of each value instead.
    /// One core's share of what phases 1–3 write, sorted: the mutations of
    /// the changes kept to the maps in `share`; and how the number of
    /// entries per value changes, for the indexes keeping group counts.
    fn sort_share(
        &self,
        changes: &ChangeSet,
        stored: &StoredVersions,
        keep: &[u32],
        mode: Mode,
        share: Share,
    ) -> Result<(Sorted, HashMap<IndexId, GroupDeltas>), StoreError> {
        let mut sorter = Sorter::new(&self.path, SORT_BUDGET);
        let indexes: Vec<IndexId> = IndexId::ALL
            .into_iter()
            .filter(|&i| !i.written_with_derived() && Share::of(i) == share)
            .collect();
        // Beside `indexes`, one for one.
        let mut deltas: Vec<GroupDeltas> = vec![GroupDeltas::new(); indexes.len()];
        let mut before_image = Vec::new();
        for i in kept(keep) {
            let c = changes.at(i);
            let old = stored.of(i);
            if share == Share::First {
                if mode == Mode::Normal {
                    before_image.clear();
                    match old {
                        Some((k, bytes)) => {
                            before_image.push(kind_tag(k));
                            before_image.extend_from_slice(bytes);
                        }
                        None => before_image.push(0),
                    }
                    sorter.push(&sort_key(LOG_SORT_BYTE, c.id), Some(&before_image))?;
                }
                push_record_mutations(&mut sorter, c, old)?;
            }
            let in_share = |kind: Kind| indexes.iter().any(|i| i.field().0 == kind);
            let old = old
                .filter(|(k, _)| in_share(*k))
                .map(|(k, b)| decode_record(k, b).map(|r| (r, b)));
            let new = c
                .put
                .filter(|(k, _)| in_share(*k))
                .map(|(k, b)| decode_record(k, b).map(|r| (r, b)));
            // Removed first, so an entry the new record keeps stays.
            for (version, delta) in [(old, -1), (new, 1)] {
                let Some((record, encoded)) = version.transpose()? else {
                    continue;
                };
                for (&index, deltas) in indexes.iter().zip(&mut deltas) {
                    if index.field().0 != record.kind() {
                        continue;
                    }
                    for (key, payload) in index_entries(index, &record, encoded)? {
                        count_entry(deltas, index, &key, delta);
                        let payload = (delta > 0).then_some(payload.as_slice());
                        sorter.push(&sort_key(MapId::Index(index).byte(), &key), payload)?;
                    }
                }
            }
        }
        let group_deltas = indexes.into_iter().zip(deltas).collect();
        Ok((sorter.into_sorted()?, group_deltas))
    }

    /// Writes each map of a write's sorted mutations in turn, with the
    /// group counts of the indexes that keep them, and flushes after each so
    /// sled can let go of what it wrote.
    fn apply_sorted(
        &self,
        sorted: &mut InOrder,
        mut group_deltas: HashMap<IndexId, GroupDeltas>,
        mode: Mode,
        sink: &mut BatchSink<'_>,
    ) -> Result<(), StoreError> {
        let tree = self.tree();
        while let Some(next) = sorted.peek() {
            let map_byte = match next {
                Ok((key, _)) => key.first().copied(),
                Err(_) => return sorted.next().map_or(Ok(()), |e| e.map(drop)),
            };
            let map = MapId::all()
                .find(|m| Some(m.byte()) == map_byte)
                .ok_or_else(|| StoreError::Encode("a mutation of no map".into()))?;
            blocks::apply(tree, map, SortedMap::new(sorted, map.byte()), sink)?;
            sink.flush()?;
            if let MapId::Index(index) = map
                && let Some(deltas) = group_deltas.remove(&index)
                && index.has_group_counts()
            {
                let counts = self.group_count_mutations(index, deltas, mode)?;
                blocks::apply(tree, MapId::GroupCounts(index), counts, sink)?;
                sink.flush()?;
            }
            self.flush()?;
        }
        Ok(())
    }

    fn group_count_mutations(
        &self,
        index: IndexId,
        deltas: GroupDeltas,
        mode: Mode,
    ) -> Result<Vec<Result<Mutation, StoreError>>, StoreError> {
        let map = MapId::GroupCounts(index);
        let mut entries: Option<Cursor> = None;
        let mut out = Vec::new();
        let mut deltas: Vec<(Vec<u8>, i64)> = deltas.into_iter().collect();
        deltas.sort_unstable();
        for (value, delta) in deltas {
            let new = match mode {
                Mode::Normal if delta == 0 => continue,
                Mode::Normal => {
                    let current = match blocks::get(self.tree(), map, &value)? {
                        Some(bytes) => decode_group_count(&bytes)?,
                        None => 0,
                    };
                    current.saturating_add_signed(delta)
                }
                Mode::Rollback => {
                    // Values come in order: one cursor moves forward through them.
                    let cursor = match &mut entries {
                        Some(c) => c,
                        None => {
                            entries.insert(Cursor::new(self.tree(), MapId::Index(index), &value)?)
                        }
                    };
                    let mut n = 0u64;
                    let mut more = cursor.seek(&value)?;
                    while more && cursor.key().starts_with(&value) {
                        n += 1;
                        more = cursor.advance()?;
                    }
                    n
                }
            };
            out.push(Ok((value, (new > 0).then(|| new.to_be_bytes().to_vec()))));
        }
        Ok(out)
    }
}

/// A stored group count.
pub(crate) fn decode_group_count(bytes: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::damaged("a group count".into()))
}

/// The entry (key, payload) a claim, with its derived values and its row
/// (see [`encode_claim_row`](super::encode_claim_row)), has in an index
/// written with the derived values.
pub(crate) fn entry_with_derived<'r>(
    index: IndexId,
    claim: &crate::model::Claim,
    derived: &Derived,
    row: &'r [u8],
) -> Option<(Vec<u8>, &'r [u8])> {
    let id = claim.id.as_str();
    match index {
        IndexId::ClaimStatus => Some((keys::status_index_key(derived.status, id), &[])),
        IndexId::ClaimConfidence => Some((keys::number_index_key(derived.confidence, id), row)),
        IndexId::ClaimSubject => claim
            .subject
            .as_deref()
            .map(|s| (keys::string_index_key(s, id), row)),
        _ => None,
    }
}

/// One index entry: its key and its payload.
pub(crate) type IndexEntry = (Vec<u8>, Vec<u8>);

/// The entries a record, stored as `encoded`, contributes to an index
/// (none to those written with the derived values, see
/// [`entry_with_derived`]; the record itself to those holding result rows).
pub(crate) fn index_entries(
    index: IndexId,
    record: &Record,
    encoded: &[u8],
) -> Result<Vec<IndexEntry>, StoreError> {
    let string_key = |s: &str, id: &Id| keys::string_index_key(s, id.as_str());
    let date_key = |d: crate::model::Date, id: &Id| keys::date_index_key(d, id.as_str());
    let empty = Vec::new;
    Ok(match (index, record) {
        (IndexId::ClaimTags, Record::Claim(c)) => {
            let mut tags: Vec<&String> = c.tags.iter().collect();
            tags.sort();
            tags.dedup();
            tags.into_iter()
                .map(|t| (string_key(t, &c.id), empty()))
                .collect()
        }
        (IndexId::ClaimCreated, Record::Claim(c)) => c
            .created
            .iter()
            .map(|d| (date_key(*d, &c.id), empty()))
            .collect(),
        (IndexId::SourceKind, Record::Source(s)) => vec![(string_key(&s.kind, &s.id), empty())],
        (IndexId::SourcePublished, Record::Source(s)) => s
            .published
            .iter()
            .map(|d| (date_key(*d, &s.id), empty()))
            .collect(),
        (IndexId::EvidenceClaim, Record::Evidence(e)) => {
            let payload = EvidencePayload {
                source: e.source.to_string(),
                supports: e.stance == crate::model::Stance::Supports,
                strength: e.strength,
                date: e.date,
            };
            vec![(
                string_key(e.claim.as_str(), &e.id),
                codec::encode(&payload)?,
            )]
        }
        (IndexId::EvidenceSource, Record::Evidence(e)) => {
            vec![(
                string_key(e.source.as_str(), &e.id),
                codec::encode(&facts::SourceEvidencePayload {
                    claim: e.claim.to_string(),
                    supports: e.stance == crate::model::Stance::Supports,
                })?,
            )]
        }
        (IndexId::EvidenceResult, Record::Evidence(e)) => e
            .result
            .iter()
            .map(|r| (string_key(r.as_str(), &e.id), empty()))
            .collect(),
        (IndexId::ResultModel, Record::Result(r)) => {
            vec![(string_key(&r.model, &r.id), encoded.to_vec())]
        }
        (IndexId::ResultBenchmark, Record::Result(r)) => {
            vec![(string_key(&r.benchmark, &r.id), empty())]
        }
        (IndexId::ResultSource, Record::Result(r)) => r
            .source
            .iter()
            .map(|s| (string_key(s.as_str(), &r.id), empty()))
            .collect(),
        (IndexId::ResultDate, Record::Result(r)) => r
            .date
            .iter()
            .map(|d| (date_key(*d, &r.id), empty()))
            .collect(),
        _ => Vec::new(),
    })
}

fn name_list(ids: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Used by `check`: recomputes the counters from the maps.
pub(crate) fn count_records(store: &Store) -> Result<Counters, StoreError> {
    let mut counters = Counters::default();
    for kind in Kind::EXPORT_ORDER {
        let mut cursor = Cursor::all(store.tree(), MapId::Records(kind))?;
        while cursor.advance()? {
            counters.records[kind as usize] += 1;
        }
    }
    let mut cursor = Cursor::all(store.tree(), MapId::Derived)?;
    while cursor.advance()? {
        let d: Derived = codec::decode(cursor.value(), "derived values")?;
        counters.statuses[d.status as usize] += 1;
    }
    Ok(counters)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: &str) -> Change {
        let json = format!(r#"{{"type":"claim","id":"{id}","text":"t"}}"#);
        match crate::import::parse_line(&json) {
            Ok(record) => Change::Put(record),
            Err(problems) => panic!("{json}: {problems:?}"),
        }
    }

    #[test]
    fn a_sorted_change_set_finds_every_id_and_nothing_else() {
        let mut changes = ChangeSet::new();
        // Pushed out of order, with one id twice, over many fence strides.
        let ids: Vec<String> = (0..1000).rev().map(|n| format!("c{n:04}")).collect();
        for id in &ids {
            changes.push(claim(id)).expect("push");
        }
        changes.push(claim("c0500")).expect("push");
        let duplicates = changes.sort();
        assert_eq!(duplicates.len(), 1);
        assert_eq!(duplicates[0].position, Some(1000));
        for id in &ids {
            let found = changes.find(id.as_bytes()).expect(id);
            assert_eq!(found.id, id.as_bytes());
        }
        for absent in ["a", "c", "c0000a", "c05", "c0999z", "d"] {
            assert!(changes.find(absent.as_bytes()).is_none(), "{absent}");
        }
    }

    #[test]
    fn changes_read_back_with_their_ids_held_once_or_apart() {
        let mut changes = ChangeSet::new();
        let Change::Put(record) = claim("c1") else {
            unreachable!("a claim is a put")
        };
        let encoded = encode_record(&record).expect("encodes");
        assert_eq!(record_id(&encoded), Some(&b"c1"[..]));
        changes.push(claim("c1")).expect("push");
        changes
            .push(Change::Retract(Id::new("c2").expect("id")))
            .expect("push");
        // Bytes that do not start with the id keep it apart.
        changes.push_raw(2, b"c3", Some((Kind::Claim, b"\x05other")));
        for (i, (id, put)) in [
            (&b"c1"[..], Some((Kind::Claim, encoded.as_slice()))),
            (b"c2", None),
            (b"c3", Some((Kind::Claim, &b"\x05other"[..]))),
        ]
        .into_iter()
        .enumerate()
        {
            let c = changes.at(i);
            assert_eq!((c.id, c.put, c.position), (id, put, i as u32));
        }
    }

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
}
