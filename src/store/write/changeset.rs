//! The change set: a write's records and retractions, packed in one byte
//! arena, sorted by id and searched through a fence table (or, by
//! validation's millions of lookups, through a hash index).

use super::arena::{Address, ByteArena};
use crate::model::{Id, Kind, Record};
use crate::store::{Rejection, StoreError, encode_record};
use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

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
    /// The later changes of an id given more than once, which sorting
    /// dropped: kept so that [`Store::refusals`](crate::store::Store::refusals)
    /// still names them after a refused write sorted the set.
    duplicates: Vec<Rejection>,
}

/// Changes between two fences of a sorted [`ChangeSet`].
pub(super) const FENCE_STRIDE: usize = 32;

/// A change as stored in a [`ChangeSet`].
#[derive(Clone, Copy)]
pub(super) struct ChangeRef<'a> {
    pub(super) id: &'a [u8],
    /// The new record's kind and encoding; `None` for a retraction.
    pub(super) put: Option<(Kind, &'a [u8])>,
    /// Where it was pushed (see [`ChangeSet::push`]).
    pub(super) position: u32,
}

/// Marks a change whose id is held apart from its record (see
/// [`ChangeSet::push_raw`]).
pub(super) const EXPLICIT_ID: u8 = 0x80;

/// The id an encoded record starts with: its length (bincode writes
/// lengths below 251 as one byte; ids are at most 128 bytes), then its bytes.
pub(super) fn record_id(record: &[u8]) -> Option<&[u8]> {
    let (&len, rest) = record.split_first()?;
    rest.get(..usize::from(len)).filter(|_| len < 251)
}

/// An id held after its length (a varint) in a change (see
/// [`ChangeSet::push_raw`]).
pub(super) fn explicit_id(bytes: &[u8]) -> &[u8] {
    let mut pos = 0;
    let len = super::codec::get_varint(bytes, &mut pos).unwrap_or(0) as usize;
    &bytes[pos..pos + len]
}

pub(super) fn kind_tag(kind: Kind) -> u8 {
    kind as u8 + 1
}

pub(super) fn tag_kind(tag: u8) -> Option<Kind> {
    [Kind::Source, Kind::Claim, Kind::Evidence, Kind::Result]
        .get(usize::from(tag).checked_sub(1)?)
        .copied()
}

/// Changes from which [`ChangeSet::sort`] uses both cores.
const SORT_ON_BOTH_CORES: usize = 1 << 16;

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> ChangeSet {
        ChangeSet::default()
    }

    /// Adds a change. Rejections name it by its position: the number of
    /// changes pushed before it.
    pub fn push(&mut self, change: Change) -> Result<(), StoreError> {
        match change {
            Change::Put(record) => {
                let bytes = encode_record(&record)?;
                self.push_encoded(
                    record.id().as_str().as_bytes(),
                    Some((record.kind(), &bytes)),
                )
            }
            Change::Retract(id) => self.push_encoded(id.as_str().as_bytes(), None),
        }
    }

    /// [`ChangeSet::push`] of a record of `kind` encoded already (by an
    /// import's parsing thread), its id read from the encoding.
    pub fn push_encoded_record(&mut self, kind: Kind, record: &[u8]) -> Result<(), StoreError> {
        let id = record_id(record).ok_or_else(|| {
            StoreError::Encode("an encoded record that does not start with its id".into())
        })?;
        self.push_encoded(id, Some((kind, record)))
    }

    /// [`ChangeSet::push`] of a record encoded already (`None`: a
    /// retraction of `id`).
    pub(super) fn push_encoded(
        &mut self,
        id: &[u8],
        put: Option<(Kind, &[u8])>,
    ) -> Result<(), StoreError> {
        let position = u32::try_from(self.len())
            .map_err(|_| StoreError::TooLarge("more than 4 billion changes in one write"))?;
        self.push_raw(position, id, put);
        Ok(())
    }

    /// Layout: tag, position (u32), then for a put the record's length (a
    /// varint) and the record, for a retraction the id's length (a
    /// varint) and the id. Every record's encoding starts with its id (its length,
    /// one byte, then the id), so a put's id is read from its record
    /// rather than held twice — 4M changes then take ~40 MiB less. The tag
    /// is the kind's ([`kind_tag`]), or 0 for a retraction; a put whose
    /// record does not start with the id (bytes from a damaged log) keeps
    /// its id after the record, with [`EXPLICIT_ID`] in the tag.
    pub(super) fn push_raw(&mut self, position: u32, id: &[u8], put: Option<(Kind, &[u8])>) {
        // A varint: one byte for the ids of SPEC 1 below 128 bytes, and
        // room for derived evidence ids (`C~R`, up to 257 bytes).
        let mut id_len = Vec::with_capacity(2);
        super::codec::put_varint(&mut id_len, id.len() as u64);
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
        // No longer sorted.
        self.fences.clear();
    }
    /// Number of changes.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub(super) fn at(&self, i: usize) -> ChangeRef<'_> {
        Self::entry(&self.arena, self.starts[i])
    }

    pub(super) fn entry(arena: &ByteArena, start: Address) -> ChangeRef<'_> {
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
    /// the first of each id; returns the later ones found by this sort
    /// (and keeps them: see [`ChangeSet::duplicates`]). A set sorted
    /// since its last push is left as it is (a write sorts its changes
    /// before adding derived evidence and again after).
    pub(super) fn sort(&mut self) -> Vec<Rejection> {
        if !self.fences.is_empty() {
            return Vec::new();
        }
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
        let compare = |a: &([u8; 12], u32), b: &([u8; 12], u32)| {
            a.0.cmp(&b.0).then_with(|| {
                let (a, b) = (
                    Self::entry(arena, starts[a.1 as usize]),
                    Self::entry(arena, starts[b.1 as usize]),
                );
                a.id.cmp(b.id).then(a.position.cmp(&b.position))
            })
        };
        // A large set is sorted a half on each core (the MTEB import's
        // 1.29M changes took 115 ms on one), and the halves are merged as
        // they are read below, not into a second copy (4M changes: 64 MiB).
        let half = match order.len() < SORT_ON_BOTH_CORES {
            true => order.len(),
            false => order.len() / 2,
        };
        let (first, second) = order.split_at_mut(half);
        let sorted_second = std::thread::scope(|scope| {
            let second =
                (!second.is_empty()).then(|| scope.spawn(|| second.sort_unstable_by(compare)));
            first.sort_unstable_by(compare);
            second.map(|s| s.join()).transpose()
        });
        if let Err(panic) = sorted_second {
            std::panic::resume_unwind(panic);
        }
        let (first, second) = order.split_at(half);
        let (mut i, mut j) = (0, 0);
        let in_order = std::iter::from_fn(|| {
            let next = match (first.get(i), second.get(j)) {
                (Some(x), Some(y)) if compare(x, y).is_le() => x,
                (Some(x), None) => x,
                (_, Some(y)) => {
                    j += 1;
                    return Some(*y);
                }
                (None, None) => return None,
            };
            i += 1;
            Some(*next)
        });
        // Later changes of an id dropped. Only ids alike in their first 12
        // bytes can be one id, so the arena (in push order, not id order: a
        // cache miss a change) is read only for those.
        let mut duplicates = Vec::new();
        let mut sorted_starts = Vec::with_capacity(order.len());
        let mut kept: Option<([u8; 12], Address)> = None;
        for (head, i) in in_order {
            let start = starts[i as usize];
            if let Some((kept_head, kept_start)) = kept
                && kept_head == head
            {
                let c = Self::entry(arena, start);
                if c.id == Self::entry(arena, kept_start).id {
                    duplicates.push(Rejection {
                        id: String::from_utf8_lossy(c.id).into_owned(),
                        position: Some(c.position),
                        field: Some("id"),
                        reason: "the same id is given more than once".into(),
                    });
                    continue;
                }
            }
            sorted_starts.push(start);
            kept = Some((head, start));
        }
        self.starts = sorted_starts;
        self.fences = (0..self.len())
            .step_by(FENCE_STRIDE)
            .map(|i| self.at(i).id.into())
            .collect();
        self.duplicates.extend(duplicates.iter().cloned());
        duplicates
    }

    /// Every change that sorting dropped as a later change of an id.
    pub(super) fn duplicates(&self) -> &[Rejection] {
        &self.duplicates
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
    pub(super) fn find(&self, id: &[u8]) -> Option<ChangeRef<'_>> {
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

/// A hash index of a sorted change set's ids, for the targets of
/// references. Validation looks up the target of every reference — 6M in
/// an import of 3M evidence — and each search of the fences and the arena
/// missed the cache a dozen times (the lookups were most of that import's
/// validation). Evidence, which nothing names, is left out: the index of
/// that import holds its 1M claims and 50k sources (~10 MB), and is built
/// for one validation and dropped before the write sorts what it writes.
///
/// It is built only once [`LOOKUPS_BEFORE_INDEX`] lookups have missed the
/// caller's memory of the last change found: 1.29M results that all name one
/// source make one lookup per core, and building the index for them was
/// ~80 ms of that import on one core. Until then, and for ids it leaves
/// out, the change set is searched.
pub(super) struct IdIndex<'c> {
    changes: &'c ChangeSet,
    /// Positions in `changes`, by their id's hash, once built.
    positions: std::sync::OnceLock<HashTable<u32>>,
    lookups: std::sync::atomic::AtomicUsize,
    hasher: RandomState,
}

/// Lookups an [`IdIndex`] answers by searching before it builds itself.
const LOOKUPS_BEFORE_INDEX: usize = 4096;

impl<'c> IdIndex<'c> {
    pub(super) fn new(changes: &'c ChangeSet) -> IdIndex<'c> {
        IdIndex {
            changes,
            positions: std::sync::OnceLock::new(),
            lookups: std::sync::atomic::AtomicUsize::new(0),
            hasher: RandomState::new(),
        }
    }

    /// The change set it indexes.
    pub(super) fn changes(&self) -> &'c ChangeSet {
        self.changes
    }

    /// The change to `id`, as [`ChangeSet::find`] finds it.
    pub(super) fn find(&self, id: &[u8]) -> Option<ChangeRef<'c>> {
        let changes = self.changes;
        let positions = match self.positions.get() {
            Some(positions) => positions,
            None => {
                let lookups = self
                    .lookups
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if lookups < LOOKUPS_BEFORE_INDEX {
                    return changes.find(id);
                }
                // Another core asking meanwhile waits for this build.
                self.positions.get_or_init(|| self.build())
            }
        };
        match positions.find(self.hasher.hash_one(id), |&i| {
            changes.at(i as usize).id == id
        }) {
            Some(&i) => Some(changes.at(i as usize)),
            None => changes.find(id),
        }
    }

    fn build(&self) -> HashTable<u32> {
        let changes = self.changes;
        let id_hash = |i: u32| self.hasher.hash_one(changes.at(i as usize).id);
        // A change set holds fewer than 2^32 changes (see `Store::apply`).
        let indexed = || {
            (0..changes.len() as u32)
                .filter(|&i| !matches!(changes.at(i as usize).put, Some((Kind::Evidence, _))))
        };
        let mut positions = HashTable::with_capacity(indexed().count());
        for i in indexed() {
            positions.insert_unique(id_hash(i), i, |&j| id_hash(j));
        }
        positions
    }
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
    fn a_change_set_sorted_on_both_cores_is_in_id_order_with_later_duplicates_dropped() {
        // Ids alike in their first 12 bytes (compared whole on a tie),
        // pushed in a scrambled order, some twice: later pushes in either
        // half of the push order, so duplicates meet across the halves.
        let n = SORT_ON_BOTH_CORES + 1000;
        let id = |k: usize| format!("claim-prefix-{k:06}");
        let mut changes = ChangeSet::new();
        for k in 0..n {
            changes.push(claim(&id(k * 7919 % n))).expect("push");
        }
        let twice = [3, n / 2, n - 1];
        for &k in &twice {
            changes.push(claim(&id(k))).expect("push");
        }
        let duplicates = changes.sort();
        let mut found: Vec<u64> = duplicates
            .iter()
            .filter_map(|d| d.position)
            .map(u64::from)
            .collect();
        found.sort_unstable();
        let later: Vec<u64> = (n..n + twice.len()).map(|p| p as u64).collect();
        assert_eq!(found, later);
        assert_eq!(changes.len(), n);
        for k in 0..n {
            let change = changes.at(k);
            assert_eq!(change.id, id(k).as_bytes());
            assert!(
                (change.position as usize) < n,
                "the first push of an id is kept"
            );
        }
    }

    #[test]
    fn a_sorted_change_set_finds_every_id_and_nothing_else() {
        let mut changes = ChangeSet::new();
        // Pushed out of order, with one id twice, over many fence strides;
        // evidence (which the hash index leaves out) and a retraction
        // among them.
        let mut ids: Vec<String> = (0..1000).rev().map(|n| format!("c{n:04}")).collect();
        for id in &ids {
            changes.push(claim(id)).expect("push");
        }
        changes.push(claim("c0500")).expect("push");
        for n in 0..100 {
            let json = format!(
                r#"{{"type":"evidence","id":"e{n:03}","claim":"c0001","source":"s1","stance":"supports"}}"#
            );
            let record = crate::import::parse_line(&json).expect("parses");
            changes.push(Change::Put(record)).expect("push");
            ids.push(format!("e{n:03}"));
        }
        changes
            .push(Change::Retract(Id::new("s9").expect("id")))
            .expect("push");
        ids.push("s9".into());
        let duplicates = changes.sort();
        assert_eq!(duplicates.len(), 1);
        assert_eq!(duplicates[0].position, Some(1000));
        let index = IdIndex::new(&changes);
        let finds_the_same = |index: &IdIndex<'_>| {
            for id in &ids {
                let found = changes.find(id.as_bytes()).expect(id);
                let indexed = index.find(id.as_bytes()).expect(id);
                assert_eq!((indexed.id, indexed.position), (found.id, found.position));
                assert_eq!(found.id, id.as_bytes());
            }
            for absent in ["a", "c", "c0000a", "c05", "c0999z", "d"] {
                assert!(changes.find(absent.as_bytes()).is_none(), "{absent}");
                assert!(index.find(absent.as_bytes()).is_none(), "{absent}");
            }
        };
        // Searching at first, then through the hash index it builds.
        finds_the_same(&index);
        assert!(index.positions.get().is_none());
        while index.positions.get().is_none() {
            index.find(b"c0001");
        }
        let built = index.positions.get().map(HashTable::len);
        assert_eq!(built, Some(1001), "claims and the retraction");
        finds_the_same(&index);
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
}
