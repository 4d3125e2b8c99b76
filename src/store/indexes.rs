//! What each record contributes to each secondary index: the entries
//! written from the records alone, and those written with the derived values.

use super::facts::{self, EvidencePayload};
use super::keys::{self, IndexId};
use super::{StoreError, codec};
use crate::model::bench::BenchKey;
use crate::model::fields::{self, FieldValue};
use crate::model::{Derived, Record};
use std::borrow::Cow;

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

/// One index entry: its key and its payload (the record itself, borrowed,
/// in a covering index: a write sorts millions of them).
pub(crate) type IndexEntry<'r> = (Vec<u8>, Cow<'r, [u8]>);

/// Reads one field's value from a record (see [`fields::FieldDef::stored_get`]).
type FieldReader = fn(&Record) -> FieldValue<'_>;

/// The reader of each index's field, looked up in the field table once
/// rather than per record (writes call [`index_entries`] for every record
/// and index: millions of times in a large import).
static FIELD_READERS: std::sync::LazyLock<Vec<(IndexId, FieldReader)>> =
    std::sync::LazyLock::new(|| {
        IndexId::ALL
            .into_iter()
            .filter(|index| !index.is_derived())
            .filter_map(|index| {
                let (kind, name) = index.field();
                Some((index, fields::field(kind, name)?.stored_get()?))
            })
            .collect()
    });

/// The entries a record, stored as `encoded`, contributes to an index
/// (none to those written with the derived values, see
/// [`entry_with_derived`]). The indexed value comes from the field table;
/// only the payloads are particular to an index: what the derivation reads
/// (evidence by claim), the claim and stance (evidence by source), or the
/// record itself (results by model, a covering index).
pub(crate) fn index_entries<'r>(
    index: IndexId,
    record: &Record,
    encoded: &'r [u8],
) -> Result<Vec<IndexEntry<'r>>, StoreError> {
    if index.written_with_derived() || index.field().0 != record.kind() {
        return Ok(Vec::new());
    }
    // The benchmark indexes (SPEC 8.2) are on a key, not a field.
    let id = record.id().as_str();
    match (index, record) {
        (IndexId::ClaimBench, Record::Claim(c)) => {
            return Ok(BenchKey::of_claim(c)
                .map(|key| {
                    (
                        keys::string_index_key(&key.joined(), id),
                        Cow::Borrowed(&[][..]),
                    )
                })
                .into_iter()
                .collect());
        }
        (IndexId::ResultBench, Record::Result(r)) => {
            let key = BenchKey::of_result(r);
            return Ok(vec![(
                keys::string_index_key(&key.joined(), id),
                Cow::Borrowed(encoded),
            )]);
        }
        _ => {}
    }
    let Some(&(_, get)) = FIELD_READERS.iter().find(|(i, _)| *i == index) else {
        return Ok(Vec::new());
    };
    let keys: Vec<Vec<u8>> = match get(record) {
        FieldValue::Text(text) => vec![keys::string_index_key(text, id)],
        FieldValue::Date(day) => vec![keys::date_index_key(day, id)],
        FieldValue::List(items) => {
            let mut items: Vec<&String> = items.iter().collect();
            items.sort();
            items.dedup();
            items
                .into_iter()
                .map(|item| keys::string_index_key(item, id))
                .collect()
        }
        // No value, no entry; no index is on a number or a boolean field.
        _ => Vec::new(),
    };
    let payload: Cow<'r, [u8]> = match (index, record) {
        (IndexId::EvidenceClaim, Record::Evidence(e)) => {
            Cow::Owned(codec::encode(&EvidencePayload {
                source: e.source.to_string(),
                supports: e.stance == crate::model::Stance::Supports,
                strength: e.strength,
                date: e.date,
            })?)
        }
        (IndexId::EvidenceSource, Record::Evidence(e)) => {
            Cow::Owned(codec::encode(&facts::SourceEvidencePayload {
                claim: e.claim.to_string(),
                supports: e.stance == crate::model::Stance::Supports,
            })?)
        }
        (IndexId::ResultModel, _) => Cow::Borrowed(encoded),
        _ => Cow::Borrowed(&[]),
    };
    Ok(keys.into_iter().map(|key| (key, payload.clone())).collect())
}
