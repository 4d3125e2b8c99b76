//! What the derivation of SPEC section 2 reads from the store, and the
//! derivation itself over stored data, used by writes, `as of` views,
//! `explain` and `check` alike.

use super::keys::{self, IndexId, MapId};
use super::{Store, StoreError, blocks, codec};
use crate::model::{Date, Derived, EvidenceFacts, Kind, Record, derive};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The payload of an `evidence.claim` index entry: everything the derivation
/// needs, so deriving a claim reads its index range and no evidence records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct EvidencePayload {
    pub source: String,
    pub supports: bool,
    pub strength: f64,
    pub date: Option<Date>,
}

/// [`EvidencePayload`] read without allocating: the same fields in the same
/// order, the source borrowed (`undated_evidence` reads millions).
#[derive(Deserialize)]
pub(crate) struct EvidencePayloadRef<'a> {
    pub source: &'a str,
    // Read only to reach `date`.
    _supports: bool,
    _strength: f64,
    pub date: Option<Date>,
}

/// The payload of an `evidence.source` index entry: which claim the
/// evidence bears on, and which way, so "claims a memo refutes" is read from
/// the index without opening evidence records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SourceEvidencePayload {
    pub claim: String,
    pub supports: bool,
}

/// Decodes an `evidence.source` index entry's payload.
pub(crate) fn decode_source_evidence(payload: &[u8]) -> Result<SourceEvidencePayload, StoreError> {
    codec::decode(payload, "evidence.source index entry")
}

/// One piece of a claim's evidence, as the derivation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct EvidenceFact {
    /// The evidence id.
    pub evidence: String,
    /// Its source's id.
    pub source: String,
    /// Supports (true) or refutes.
    pub supports: bool,
    /// Its strength.
    pub strength: f64,
    /// Its own date.
    pub date: Option<Date>,
}

/// What the derivation needs to know about a source.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFacts {
    /// Reliability in [0, 1].
    pub reliability: f64,
    /// Affiliations, lowercased for the case-insensitive comparison.
    pub affiliations_lower: Vec<String>,
    /// Publication date.
    pub published: Option<Date>,
}

impl SourceFacts {
    /// What the derivation needs of a source record (`None`: another kind).
    fn of(record: Record) -> Option<SourceFacts> {
        match record {
            Record::Source(s) => Some(SourceFacts {
                reliability: s.reliability,
                affiliations_lower: s.affiliations.iter().map(|a| a.to_lowercase()).collect(),
                published: s.published,
            }),
            _ => None,
        }
    }

    /// Whether evidence from this source about `subject` is independent.
    pub fn independent_of(&self, subject: Option<&str>) -> bool {
        match subject {
            Some(subject) => {
                let subject = subject.to_lowercase();
                !self.affiliations_lower.contains(&subject)
            }
            None => true,
        }
    }
}

/// Sources looked up once per write or query.
///
/// A statement that derives many claims (an `as of` view of a million)
/// meets every source, in no order: one lookup each unpacked a whole block
/// of sources to read one, and was a third of such a statement. Past its
/// first [`SINGLE_LOOKUPS`] misses, the cache reads the [`WINDOW`] sources
/// that follow a missing id as well, with one cursor, so each block is
/// unpacked about once; a statement that meets a few sources reads only
/// those.
#[derive(Default)]
pub struct SourceCache {
    sources: HashMap<String, Option<SourceFacts>>,
    misses: usize,
}

/// Misses answered by a lookup of the one source (see [`SourceCache`]).
const SINGLE_LOOKUPS: usize = 256;
/// Sources read per miss after those.
const WINDOW: usize = 64;

impl SourceCache {
    /// The facts of a source, or `None` if it does not exist.
    pub fn get(&mut self, store: &Store, id: &str) -> Result<Option<&SourceFacts>, StoreError> {
        if !self.sources.contains_key(id) {
            self.misses += 1;
            if self.misses > SINGLE_LOOKUPS {
                self.read_window(store, id)?;
            } else {
                let facts = store
                    .get_of_kind(Kind::Source, id)?
                    .and_then(SourceFacts::of);
                self.sources.insert(id.to_owned(), facts);
            }
        }
        Ok(self.sources.get(id).and_then(Option::as_ref))
    }

    /// Caches the sources from `id` on (up to [`WINDOW`] of them), and
    /// `id` as missing when the first one the cursor finds is another.
    fn read_window(&mut self, store: &Store, id: &str) -> Result<(), StoreError> {
        let map = MapId::Records(Kind::Source);
        let mut cursor = blocks::Cursor::new(store.tree(), map, id.as_bytes())?;
        let mut more = cursor.seek(id.as_bytes())?;
        if !more || cursor.key() != id.as_bytes() {
            self.sources.insert(id.to_owned(), None);
        }
        for _ in 0..WINDOW {
            if !more {
                break;
            }
            let key = std::str::from_utf8(cursor.key())
                .map_err(|_| StoreError::damaged("a source id that is not UTF-8".into()))?;
            if !self.sources.contains_key(key) {
                let facts = SourceFacts::of(super::decode_record(Kind::Source, cursor.value())?);
                self.sources.insert(key.to_owned(), facts);
            }
            more = cursor.advance()?;
        }
        Ok(())
    }
}

/// The index key prefix of a claim's evidence.
pub(crate) fn claim_prefix(claim: &str) -> Vec<u8> {
    keys::string_value(claim)
}

/// Decodes one `evidence.claim` index entry under `prefix`.
pub(crate) fn decode_fact(
    prefix: &[u8],
    key: &[u8],
    payload: &[u8],
) -> Result<EvidenceFact, StoreError> {
    let p: EvidencePayload = codec::decode(payload, "evidence index entry")?;
    Ok(EvidenceFact {
        evidence: String::from_utf8_lossy(keys::id_after(prefix, key)).into_owned(),
        source: p.source,
        supports: p.supports,
        strength: p.strength,
        date: p.date,
    })
}

/// A claim's evidence in ascending id order.
pub fn evidence_of_claim(store: &Store, claim: &str) -> Result<Vec<EvidenceFact>, StoreError> {
    let prefix = claim_prefix(claim);
    let mut cursor =
        blocks::Cursor::new(store.tree(), MapId::Index(IndexId::EvidenceClaim), &prefix)?;
    let mut out = Vec::new();
    while cursor.advance()? && cursor.key().starts_with(&prefix) {
        out.push(decode_fact(&prefix, cursor.key(), cursor.value())?);
    }
    Ok(out)
}

/// Reads the evidence of many claims, visited in ascending id order, with
/// one cursor: a dense walk (every claim of a scan) costs no lookups, a
/// sparse one a lookup per claim.
pub struct FactWalker<'s> {
    store: &'s Store,
    cursor: Option<blocks::Cursor>,
    last: Vec<u8>,
}

impl<'s> FactWalker<'s> {
    /// A walker over `store`.
    pub fn new(store: &'s Store) -> FactWalker<'s> {
        FactWalker {
            store,
            cursor: None,
            last: Vec::new(),
        }
    }

    /// The evidence of `claim`, in evidence id order.
    pub fn facts_of(&mut self, claim: &str) -> Result<Vec<EvidenceFact>, StoreError> {
        let prefix = claim_prefix(claim);
        let map = MapId::Index(IndexId::EvidenceClaim);
        let tree = self.store.tree();
        // Going back, or reading the same claim again, needs a fresh cursor:
        // this one has moved past the claim's entries.
        if prefix <= self.last {
            self.cursor = None;
        }
        self.last.clone_from(&prefix);
        let cursor = match &mut self.cursor {
            Some(c) => c,
            None => self.cursor.insert(blocks::Cursor::new(tree, map, &prefix)?),
        };
        let mut out = Vec::new();
        let mut more = cursor.seek(&prefix)?;
        while more && cursor.key().starts_with(&prefix) {
            out.push(decode_fact(&prefix, cursor.key(), cursor.value())?);
            more = cursor.advance()?;
        }
        Ok(out)
    }
}

/// The effective date of a piece of evidence (SPEC section 2).
pub fn effective_date(fact: &EvidenceFact, source: Option<&SourceFacts>) -> Option<Date> {
    fact.date.or(source.and_then(|s| s.published))
}

/// Derives a claim's values from its evidence (ascending id order), seeing
/// only evidence visible on `as_of` when given.
pub fn derive_claim(
    store: &Store,
    subject: Option<&str>,
    evidence: &[EvidenceFact],
    sources: &mut SourceCache,
    as_of: Option<Date>,
) -> Result<Derived, StoreError> {
    let mut facts = Vec::with_capacity(evidence.len());
    for e in evidence {
        let source = sources.get(store, &e.source)?;
        if let Some(day) = as_of
            && effective_date(e, source).is_none_or(|d| d > day)
        {
            continue;
        }
        let (reliability, independent) = match source {
            Some(s) => (s.reliability, s.independent_of(subject)),
            None => {
                return Err(StoreError::damaged(format!(
                    "evidence {} names a missing source",
                    e.evidence
                )));
            }
        };
        facts.push(EvidenceFacts {
            supports: e.supports,
            weight: e.strength * reliability,
            independent,
        });
    }
    Ok(derive(facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowing read of an `evidence.claim` payload sees what the
    /// owning one wrote, dated or not, for sources of any length.
    #[test]
    fn the_borrowed_payload_reads_what_the_payload_wrote() {
        for (source, date) in [
            ("s:memo", Date::parse("2024-02-29")),
            ("", None),
            (&*"s".repeat(300), Date::parse("1999-12-31")),
        ] {
            let written = EvidencePayload {
                source: source.to_owned(),
                supports: date.is_some(),
                strength: 0.625,
                date,
            };
            let bytes = codec::encode(&written).expect("encodes");
            let read: EvidencePayloadRef = codec::decode_borrowed(&bytes, "test").expect("decodes");
            assert_eq!((read.source, read.date), (source, date));
        }
    }
}
