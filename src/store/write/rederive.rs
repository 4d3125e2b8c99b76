//! Phase 4: the claims a write affects and their derived values, with the
//! status, confidence and subject indexes written beside them.

use super::apply::{GroupDeltas, SORT_BUDGET, in_order, sort_key};
use super::changeset::ChangeSet;
use super::history::HistoryWriter;
use super::interner::Interner;
use super::on_both_cores;
use super::sorter::{MergeTwo, Sorted, Sorter};
use super::{StoredVersions, kept};
use crate::model::{Kind, Record};
use crate::store::blocks::{BatchSink, Cursor};
use crate::store::facts::{self, SourceCache};
use crate::store::indexes::entry_with_derived;
use crate::store::keys::{self, IndexId, MapId};
use crate::store::{Store, StoreError, codec, decode_record, evidence_claim};
use std::collections::HashMap;

/// The claims whose derived values may change with a write, and what the
/// write does to each claim record itself. Worked out before anything is
/// written and held compactly (~20 MiB for a million claims), so that the
/// change set can go as soon as the records and indexes are written.
#[derive(Default)]
pub(super) struct AffectedClaims {
    pub(super) ids: Interner,
    /// By number: whether the write adds, replaces or retracts the record.
    pub(super) record_changed: Vec<bool>,
    /// By number: the subject of the stored claim record the write
    /// replaces or retracts.
    pub(super) old_subjects: HashMap<u32, Box<str>>,
}

/// One of the [`AffectedClaims`].
pub(super) struct AffectedClaim<'a> {
    pub(super) id: &'a str,
    pub(super) record_changed: bool,
    pub(super) old_subject: Option<&'a str>,
}

impl AffectedClaims {
    /// Adds `id`, once; returns its number.
    pub(super) fn add(&mut self, id: impl AsRef<[u8]>) -> Result<u32, StoreError> {
        let (n, new) = self
            .ids
            .intern(id.as_ref())
            .ok_or_else(|| StoreError::TooLarge("more than 4 billion claims"))?;
        if new {
            self.record_changed.push(false);
        }
        Ok(n)
    }

    /// The claims' numbers in id order, in two halves.
    fn halves(&self) -> [Vec<u32>; 2] {
        let mut first = self.ids.sorted_numbers();
        let second = first.split_off(first.len() / 2);
        [first, second]
    }

    /// Claim number `n`.
    fn claim(&self, n: u32) -> Result<AffectedClaim<'_>, StoreError> {
        let id = std::str::from_utf8(self.ids.get(n))
            .map_err(|_| StoreError::Encode("a claim id that is not UTF-8".into()))?;
        Ok(AffectedClaim {
            id,
            record_changed: self.record_changed[n as usize],
            old_subject: self.old_subjects.get(&n).map(|s| &**s),
        })
    }
}

/// What one core's half of [`Store::rederive`] writes: the derived values
/// and index entries sorted, the subject index's group counts, and the
/// change in the number of claims of each status.
struct RederivedShare {
    sorted: Sorted,
    subject_counts: GroupDeltas,
    delta: [i64; 4],
}

impl Store {
    /// Claims whose derived values may change with this write, in id order,
    /// with what the write does to each claim record itself.
    pub(super) fn affected_claims(
        &self,
        changes: &ChangeSet,
        keep: &[u32],
        stored: &StoredVersions,
    ) -> Result<AffectedClaims, StoreError> {
        let mut claims = AffectedClaims::default();
        for i in kept(keep) {
            let (change, stored) = (changes.at(i), stored.of(i));
            let put = change.put;
            // Only what bears on claims' derived values is decoded: an
            // evidence record's claim, borrowed (3M of them in a large
            // import, whose whole records were most of this pass); a
            // stored claim's subject; a replaced source's weights. A put
            // claim is its own id; a new source bears on no claim yet.
            match put {
                Some((Kind::Claim, _)) => {
                    let n = claims.add(change.id)?;
                    claims.record_changed[n as usize] = true;
                }
                Some((Kind::Evidence, bytes)) => _ = claims.add(evidence_claim(bytes)?)?,
                _ => {}
            }
            match stored {
                Some((Kind::Claim, bytes)) => {
                    if let Record::Claim(c) = decode_record(Kind::Claim, bytes)? {
                        let n = claims.add(c.id.as_str())?;
                        claims.record_changed[n as usize] = true;
                        if let Some(subject) = c.subject.as_deref() {
                            claims.old_subjects.insert(n, subject.into());
                        }
                    }
                }
                Some((Kind::Evidence, bytes)) => _ = claims.add(evidence_claim(bytes)?)?,
                // A source's reliability or affiliations reach every claim
                // it bears on.
                Some((Kind::Source, bytes)) => {
                    if let Record::Source(o) = decode_record(Kind::Source, bytes)? {
                        let new = put.map(|(k, b)| decode_record(k, b)).transpose()?;
                        let same = matches!(&new, Some(Record::Source(n))
                            if n.reliability == o.reliability && n.affiliations == o.affiliations);
                        if !same {
                            for (claim, _) in self.claims_cited_by(o.id.as_str())? {
                                claims.add(&claim)?;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(claims)
    }

    /// Recomputes the derived values of `claims` and writes those that
    /// changed, with the index entries that hold them: status, and the
    /// claim rows of the subject and confidence indexes (rewritten too when
    /// the claim record changed). Returns the change in the number of
    /// claims of each status. Each core takes half of the claims in id
    /// order, with its own sorter and status-log entries.
    pub(super) fn rederive(
        &self,
        claims: &AffectedClaims,
        sink: &mut BatchSink<'_>,
        history: &mut HistoryWriter,
    ) -> Result<[i64; 4], StoreError> {
        let [first, second] = claims.halves();
        let mut second_history = history.fork(self);
        let (first, second) = on_both_cores(
            "rederiving the affected claims",
            || self.rederive_share(claims, first, history),
            || self.rederive_share(claims, second, &mut second_history),
        );
        let (first, second) = (first?, second?);
        history.join(second_history);
        let mut delta = first.delta;
        for (d, more) in delta.iter_mut().zip(second.delta) {
            *d += more;
        }
        let mut subject_counts = first.subject_counts;
        subject_counts.add(second.subject_counts);
        let group_deltas = HashMap::from([(IndexId::ClaimSubject, subject_counts)]);
        // The two halves' keys all name their claim: none is in both.
        let from_runs = first.sorted.reads_runs() || second.sorted.reads_runs();
        let sorted = MergeTwo::new(first.sorted, second.sorted);
        self.apply_sorted(
            &mut in_order(Box::new(sorted), from_runs),
            group_deltas,
            sink,
        )?;
        Ok(delta)
    }

    /// One core's half of [`Store::rederive`]: the claims numbered
    /// `numbers`, in id order.
    fn rederive_share(
        &self,
        claims: &AffectedClaims,
        numbers: Vec<u32>,
        history: &mut HistoryWriter,
    ) -> Result<RederivedShare, StoreError> {
        let tree = self.tree();
        let mut delta = [0i64; 4];
        let mut sources = SourceCache::default();
        let mut claim_cursor: Option<Cursor> = None;
        let mut derived_cursor: Option<Cursor> = None;
        let mut facts_walker = facts::FactWalker::new(self);
        // The derived values and the three indexes made with them, sorted
        // in bounded memory (a million claims' rows would not fit).
        let mut sorter = Sorter::new(&self.path, SORT_BUDGET);
        let mut subject_counts = GroupDeltas::default();
        let index_key = |index: IndexId, key: &[u8]| sort_key(MapId::Index(index).byte(), key);
        for n in numbers {
            let claim = claims.claim(n)?;
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
            let old = crate::store::derived_at(cursor, id)?;
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
            history.claim(
                claim.id,
                claim.record_changed,
                old.as_ref(),
                new.as_ref(),
                stored.as_ref().map(|(c, _)| c.text.as_str()),
            )?;
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
                subject_counts.count(IndexId::ClaimSubject, &key, -1);
            }
            if let (Some((record, bytes)), Some(new), Some(derived)) = (&stored, &new, &new_encoded)
            {
                let row = crate::store::encode_claim_row(bytes, derived);
                for index in [
                    IndexId::ClaimStatus,
                    IndexId::ClaimConfidence,
                    IndexId::ClaimSubject,
                ] {
                    if let Some((key, payload)) = entry_with_derived(index, record, new, &row) {
                        if index == IndexId::ClaimSubject && claim.record_changed {
                            subject_counts.count(index, &key, 1);
                        }
                        sorter.push(&index_key(index, &key), Some(payload))?;
                    }
                }
            }
        }
        Ok(RederivedShare {
            sorted: sorter.into_sorted()?,
            subject_counts,
            delta,
        })
    }
}
