//! Evidence with no effective date (SPEC 2): it counts in no `as of` view,
//! and a statement with `as of` says how much of it there is.

use super::blocks::Cursor;
use super::facts::EvidencePayloadRef;
use super::keys::{self, IndexId, MapId};
use super::{Deal, Store, StoreError, codec};
use crate::model::{Id, Kind, Record};
use std::collections::HashSet;

impl Store {
    /// The ids of the sources with no publication date: the evidence of no
    /// other source can be undated.
    pub fn undated_sources(&self) -> Result<HashSet<String>, StoreError> {
        let mut undated = HashSet::new();
        let mut scan = self.scan(Kind::Source)?;
        while let Some((record, _)) = scan.next_record()? {
            if let Record::Source(s) = record
                && s.published.is_none()
            {
                undated.insert(s.id.to_string());
            }
        }
        Ok(undated)
    }

    /// Of the recorded evidence in the blocks of `deal`, how many pieces
    /// have no date of their own and one of `undated_sources` (see
    /// [`Store::undated_sources`]). Reads the `evidence.claim` index: every
    /// piece of evidence, with its date and source, and no record. Derived
    /// evidence (SPEC 8.3) is not counted: SPEC 2 notes recorded evidence,
    /// and an `as of` view derives its own from the results it sees.
    pub fn count_undated_evidence(
        &self,
        undated_sources: &HashSet<String>,
        deal: Deal,
    ) -> Result<u64, StoreError> {
        let mut count = 0;
        let mut cursor = Cursor::dealt(self.tree(), MapId::Index(IndexId::EvidenceClaim), deal);
        while cursor.advance()? {
            self.check_interrupt()?;
            let fact: EvidencePayloadRef =
                codec::decode_borrowed(cursor.value(), "evidence index entry")?;
            let derived = || {
                keys::split_index_key(IndexId::EvidenceClaim, cursor.key())
                    .is_some_and(|(_, id)| Id::bytes_are_derived(id))
            };
            if fact.date.is_none() && undated_sources.contains(fact.source) && !derived() {
                count += 1;
            }
        }
        Ok(count)
    }
}
