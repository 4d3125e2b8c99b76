//! What each record contributes to each secondary index: the entries
//! written from the records alone, and those written with the derived values.

use super::facts::{self, EvidencePayload};
use super::keys::{self, IndexId};
use super::{StoreError, codec};
use crate::model::{Derived, Id, Record};

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
