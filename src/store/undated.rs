//! Evidence with no effective date (SPEC 2): it counts in no `as of` view,
//! and a statement with `as of` says how much of it there is.

use super::blocks::Cursor;
use super::facts::decode_fact;
use super::keys::{self, IndexId, MapId};
use super::{Store, StoreError};
use crate::model::{Kind, Record};
use std::collections::HashSet;

impl Store {
    /// How many pieces of evidence have neither a date nor a source with a
    /// publication date. Reads the sources, and the evidence facts only when
    /// some source has no date (otherwise every piece has one).
    pub fn undated_evidence(&self) -> Result<u64, StoreError> {
        let mut undated_sources = HashSet::new();
        let mut scan = self.scan(Kind::Source)?;
        while let Some((record, _)) = scan.next_record()? {
            if let Record::Source(s) = record
                && s.published.is_none()
            {
                undated_sources.insert(s.id.to_string());
            }
        }
        if undated_sources.is_empty() {
            return Ok(0);
        }
        let mut count = 0;
        let mut cursor = Cursor::all(self.tree(), MapId::Index(IndexId::EvidenceClaim))?;
        while cursor.advance()? {
            self.check_interrupt()?;
            let (claim, _) = keys::split_index_key(IndexId::EvidenceClaim, cursor.key())
                .ok_or_else(|| StoreError::damaged("an evidence index key".into()))?;
            let fact = decode_fact(claim, cursor.key(), cursor.value())?;
            if fact.date.is_none() && undated_sources.contains(&fact.source) {
                count += 1;
            }
        }
        Ok(count)
    }
}
