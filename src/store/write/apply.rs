//! Phases 1–3: sorting what a write does to each map on two cores, and
//! writing each map's mutations, with the group counts, block by block.

use super::changeset::{ChangeRef, ChangeSet, kind_tag};
use super::sorter::{Mutations, Sorted, Sorter, read_ahead};
use super::{StoredVersions, kept};
use crate::model::Kind;
use crate::store::blocks::{self, BatchSink, Mutation};
use crate::store::indexes::{RecordView, visit_index_entries};
use crate::store::keys::{self, IndexId, MapId};
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// What sorts the log's before-images ahead of every map in a write's
/// [`Sorter`] (maps' bytes start at 1, see [`MapId::byte`]).
pub(super) const LOG_SORT_BYTE: u8 = 0;

/// Pushes what a change does to the record maps, each kind's to its own
/// sorter in `records` (by [`Kind::ALL`]'s order): its record put in its
/// kind's map, and the stored one removed from another kind's.
/// `key` is a buffer for the sort keys.
fn push_record_mutations(
    records: &mut [Sorter],
    change: ChangeRef<'_>,
    old: Option<(Kind, &[u8])>,
    key: &mut Vec<u8>,
) -> Result<(), StoreError> {
    if let Some((kind, bytes)) = change.put {
        set_sort_key(key, MapId::Records(kind).byte(), change.id);
        records[kind as usize].push(key, Some(bytes))?;
    }
    if let Some((old_kind, _)) = old
        && change.put.is_none_or(|(kind, _)| kind != old_kind)
    {
        set_sort_key(key, MapId::Records(old_kind).byte(), change.id);
        records[old_kind as usize].push(key, None)?;
    }
    Ok(())
}

/// One core's share of what phases 1–3 write, sorted: what the changes of
/// one half of the id order do to every map.
pub(super) struct SortedShare {
    /// The log and the record maps, each sorted on its own, in map order
    /// (the changes come in id order, and so do these maps' keys, which
    /// their sorters then neither sort nor merge).
    pub(super) by_id: Vec<Sorted>,
    /// The secondary indexes.
    pub(super) indexes: Sorted,
    /// How the number of entries per value changes, for the indexes
    /// keeping group counts.
    pub(super) group_deltas: HashMap<IndexId, GroupDeltas>,
}

impl SortedShare {
    /// Whether any of its mutations are read from runs.
    pub(super) fn reads_runs(&self) -> bool {
        self.indexes.reads_runs() || self.by_id.iter().any(Sorted::reads_runs)
    }
}

/// What a write's sorters give, as it applies them: mutations sorted by
/// map, then key.
pub(super) type InOrder = std::iter::Peekable<Box<Mutations>>;

/// Sorted mutations to apply; read on another core when they are merged
/// from runs.
pub(super) fn in_order(mutations: Box<Mutations>, from_runs: bool) -> InOrder {
    let mutations: Box<Mutations> = if from_runs {
        Box::new(read_ahead(mutations))
    } else {
        mutations
    };
    mutations.peekable()
}

/// Memory for each of a write's sorters (in phases 1–3, one per core for
/// the indexes; one per core when rederiving). A sorter holds about 2.5×
/// its budget while it sorts a run.
/// Unit tests use a tiny one, so their writes go through runs.
pub(super) const SORT_BUDGET: usize = if cfg!(test) { 16 << 10 } else { 8 << 20 };

/// A mutation's key in a write's [`Sorter`]: the map's byte, then the key.
pub(super) fn sort_key(map_byte: u8, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len());
    set_sort_key(&mut out, map_byte, key);
    out
}

/// Makes `out` the [`sort_key`] of `key` in the map `map_byte`: a buffer
/// kept from key to key, where a write pushes millions.
pub(super) fn set_sort_key(out: &mut Vec<u8>, map_byte: u8, key: &[u8]) {
    start_sort_key(out, map_byte);
    out.extend_from_slice(key);
}

/// Makes `out` the start of a [`sort_key`] of the map `map_byte`, for the
/// caller to append the map's key to (a buffer kept from key to key).
pub(super) fn start_sort_key(out: &mut Vec<u8>, map_byte: u8) {
    out.clear();
    out.push(map_byte);
}

/// The next stretch of a write's sorted mutations: those of one map (or of
/// the log), their keys without the map's byte.
pub(super) struct SortedMap<'s> {
    pub(super) sorted: &'s mut InOrder,
    pub(super) map_byte: u8,
}

impl<'s> SortedMap<'s> {
    pub(super) fn new(sorted: &'s mut InOrder, map_byte: u8) -> SortedMap<'s> {
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

/// Change in the number of index entries per encoded value, for the
/// indexes that keep group counts.
#[derive(Clone, Default)]
pub(super) struct GroupDeltas {
    by_value: HashMap<Vec<u8>, i64>,
    /// The value counted last, whose change is not yet in `by_value`
    /// (empty: none; no encoded value is). Neighbouring records often
    /// share a value (every result of an import its source, runs of them
    /// their model), and adding to it spares a lookup in a table too large
    /// for the cache: a tenth of sorting the MTEB import's mutations.
    last: Vec<u8>,
    last_delta: i64,
}

impl GroupDeltas {
    /// Counts an index entry, `key`, added (`delta` 1) or removed (−1)
    /// under its value.
    pub(super) fn count(&mut self, index: IndexId, key: &[u8], delta: i64) {
        if !index.has_group_counts() {
            return;
        }
        let Some((value, _)) = keys::split_index_key(index, key) else {
            return;
        };
        if value != self.last.as_slice() {
            self.settle();
            self.last.extend_from_slice(value);
        }
        self.last_delta += delta;
    }

    /// Moves the last value's change into `by_value`.
    fn settle(&mut self) {
        if !self.last.is_empty() {
            match self.by_value.get_mut(self.last.as_slice()) {
                Some(d) => *d += self.last_delta,
                None => _ = self.by_value.insert(self.last.clone(), self.last_delta),
            }
        }
        self.last.clear();
        self.last_delta = 0;
    }

    /// Adds the changes `other` counted.
    pub(super) fn add(&mut self, other: GroupDeltas) {
        for (value, delta) in other.into_changes() {
            *self.by_value.entry(value).or_default() += delta;
        }
    }

    /// Each value's change.
    fn into_changes(mut self) -> impl Iterator<Item = (Vec<u8>, i64)> {
        self.settle();
        self.by_value.into_iter()
    }
}

impl Store {
    /// One core's share of what phases 1–3 write, sorted: the mutations of
    /// the changes `keep` (one half of those kept, in id order) to every map.
    /// Each core decodes only the records of its half. (The cores used to
    /// take half of the maps each: both decoded every result, and which
    /// index went to which core was tuned by hand. The MTEB import
    /// 4.78 → 4.72 s.)
    pub(super) fn sort_share(
        &self,
        changes: &ChangeSet,
        stored: &StoredVersions,
        keep: &[u32],
    ) -> Result<SortedShare, StoreError> {
        // The log's and the records' sorters see their keys in order: they
        // only buffer what they write (see `Sorter::push`).
        let by_id_sorter = || Sorter::new(&self.path, SORT_BUDGET);
        let mut log = by_id_sorter();
        let mut records: Vec<Sorter> = Kind::ALL.iter().map(|_| by_id_sorter()).collect();
        let mut sorter = Sorter::new(&self.path, SORT_BUDGET);
        let indexes: Vec<IndexId> = IndexId::ALL
            .into_iter()
            .filter(|&i| !i.written_with_derived())
            .collect();
        // Beside `indexes`, one for one.
        let mut deltas: Vec<GroupDeltas> = vec![GroupDeltas::default(); indexes.len()];
        let mut before_image = Vec::new();
        // Each entry's sort key is built here, not allocated.
        let mut sort_key_buffer = Vec::new();
        for i in kept(keep) {
            let c = changes.at(i);
            let old = stored.of(i);
            before_image.clear();
            match old {
                Some((k, bytes)) => {
                    before_image.push(kind_tag(k));
                    before_image.extend_from_slice(bytes);
                }
                None => before_image.push(0),
            }
            set_sort_key(&mut sort_key_buffer, LOG_SORT_BYTE, c.id);
            log.push(&sort_key_buffer, Some(&before_image))?;
            push_record_mutations(&mut records, c, old, &mut sort_key_buffer)?;
            // Removed first, so an entry the new record keeps stays.
            for (version, delta) in [(old, -1), (c.put, 1)] {
                let Some((kind, encoded)) = version else {
                    continue;
                };
                // A result without setup fields is indexed from its bytes
                // (the MTEB import's 1.29M were decoded whole for this).
                let mut decoded = None;
                let record = RecordView::of(kind, encoded, &mut decoded)?;
                for (&index, deltas) in indexes.iter().zip(&mut deltas) {
                    if index.field().0 != kind {
                        continue;
                    }
                    // Each key is built after its map's byte, in the buffer.
                    start_sort_key(&mut sort_key_buffer, MapId::Index(index).byte());
                    let mut push = |sort_key: &[u8], payload: &[u8]| {
                        deltas.count(index, &sort_key[1..], delta);
                        sorter.push(sort_key, (delta > 0).then_some(payload))
                    };
                    visit_index_entries(index, record, encoded, &mut sort_key_buffer, &mut push)?;
                }
            }
        }
        // `Kind::ALL` is the record maps' order.
        let by_id = std::iter::once(log)
            .chain(records)
            .map(Sorter::into_sorted)
            .collect::<Result<_, _>>()?;
        Ok(SortedShare {
            by_id,
            indexes: sorter.into_sorted()?,
            group_deltas: indexes.into_iter().zip(deltas).collect(),
        })
    }

    /// Writes each map of a write's sorted mutations in turn, with the
    /// group counts of the indexes that keep them, and flushes after each so
    /// sled can let go of what it wrote.
    pub(super) fn apply_sorted(
        &self,
        sorted: &mut InOrder,
        mut group_deltas: HashMap<IndexId, GroupDeltas>,
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
                let counts = self.group_count_mutations(index, deltas)?;
                blocks::apply(tree, MapId::GroupCounts(index), counts, sink)?;
                sink.flush()?;
            }
            self.flush()?;
        }
        Ok(())
    }

    /// The new group counts of `index` for the values a write touched (its
    /// index mutations already applied): a count per value, removed at
    /// zero. The stored counts match the index before the write (a crash
    /// in between is undone wholly), so the write's deltas are added.
    pub(super) fn group_count_mutations(
        &self,
        index: IndexId,
        deltas: GroupDeltas,
    ) -> Result<Vec<Result<Mutation, StoreError>>, StoreError> {
        let map = MapId::GroupCounts(index);
        let mut out = Vec::new();
        let mut deltas: Vec<(Vec<u8>, i64)> = deltas.into_changes().collect();
        deltas.sort_unstable();
        for (value, delta) in deltas {
            if delta == 0 {
                continue;
            }
            let current = match blocks::get(self.tree(), map, &value)? {
                Some(bytes) => decode_group_count(&bytes)?,
                None => 0,
            };
            let new = current.saturating_add_signed(delta);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_deltas_count_each_value_however_values_alternate() {
        let key = |value: &str, id: &str| keys::string_index_key(value, id);
        let mut deltas = GroupDeltas::default();
        let mut expected: HashMap<Vec<u8>, i64> = HashMap::new();
        // Runs of one value, values coming back, removals cancelling adds.
        let entries = [
            ("a", 1),
            ("a", 1),
            ("b", 1),
            ("a", -1),
            ("c", 1),
            ("c", 1),
            ("b", -1),
            ("a", 1),
        ];
        for (n, (value, delta)) in entries.into_iter().enumerate() {
            deltas.count(IndexId::ResultModel, &key(value, &format!("r{n}")), delta);
            *expected.entry(keys::string_value(value)).or_default() += delta;
        }
        // Not kept for an index without group counts.
        deltas.count(IndexId::ResultBench, &key("a", "r9"), 1);
        let mut other = GroupDeltas::default();
        other.count(IndexId::ResultModel, &key("c", "r10"), -1);
        *expected.entry(keys::string_value("c")).or_default() -= 1;
        deltas.add(other);
        let got: HashMap<Vec<u8>, i64> = deltas.into_changes().collect();
        assert_eq!(got, expected);
    }
}
