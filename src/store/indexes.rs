//! What each record contributes to each secondary index: the entries
//! written from the records alone, and those written with the derived values.

use super::bench::EntryVisitor;
use super::facts::{self, EvidencePayload};
use super::keys::{self, IndexId};
use super::projection::PlainResult;
use super::{StoreError, codec, decode_record};
use crate::model::bench::BenchKey;
use crate::model::fields::{self, FieldValue};
use crate::model::{Derived, Kind, Record};
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

/// One index entry: its key and its payload.
pub(crate) type IndexEntry = (Vec<u8>, Vec<u8>);

/// The entries a record, stored as `encoded`, contributes to an index
/// (none to those written with the derived values, see
/// [`entry_with_derived`]), as (key, payload): for checking and rebuilding
/// an index, where a copy each costs nothing. Writes use
/// [`visit_index_entries`].
pub(crate) fn index_entries(
    index: IndexId,
    record: &Record,
    encoded: &[u8],
) -> Result<Vec<IndexEntry>, StoreError> {
    let mut entries = Vec::new();
    visit_index_entries(
        index,
        RecordView::Decoded(record),
        encoded,
        &mut Vec::new(),
        &mut |key, payload| {
            entries.push((key.to_vec(), payload.to_vec()));
            Ok(())
        },
    )?;
    Ok(entries)
}

/// A record as its index entries are made from it: decoded, or a stored
/// result without setup fields read borrowed ([`PlainResult::read`]), so
/// that an import's millions of results are not decoded to be indexed.
#[derive(Clone, Copy)]
pub(crate) enum RecordView<'r> {
    Decoded(&'r Record),
    PlainResult(PlainResult<'r>),
}

impl<'r> RecordView<'r> {
    /// A stored record of `kind`: a result without setup fields read
    /// borrowed from `bytes`, any other decoded into `decoded` (which the
    /// caller keeps, and may take back once the view is done with).
    pub(crate) fn of(
        kind: Kind,
        bytes: &'r [u8],
        decoded: &'r mut Option<Record>,
    ) -> Result<RecordView<'r>, StoreError> {
        if kind == Kind::Result
            && let Some(result) = PlainResult::read(bytes)?
        {
            return Ok(RecordView::PlainResult(result));
        }
        Ok(RecordView::Decoded(
            decoded.insert(decode_record(kind, bytes)?),
        ))
    }

    /// The records it names: (field, id, the kind the field wants), as
    /// [`Record::references`] gives them.
    pub(crate) fn references(&self) -> Vec<(&'static str, &'r str, Kind)> {
        match self {
            RecordView::Decoded(record) => (record.references().into_iter())
                .map(|(field, target, want)| (field, target.as_str(), want))
                .collect(),
            RecordView::PlainResult(result) => (result.source.into_iter())
                .map(|source| ("source", source, Kind::Source))
                .collect(),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            RecordView::Decoded(record) => record.kind(),
            RecordView::PlainResult(_) => Kind::Result,
        }
    }

    /// The record's id.
    fn id(&self) -> &'r str {
        match self {
            RecordView::Decoded(record) => record.id().as_str(),
            RecordView::PlainResult(result) => result.id,
        }
    }

    /// A result's model, benchmark and metric: its benchmark key's parts.
    fn bench_parts(&self) -> Option<[&'r str; 3]> {
        match self {
            RecordView::Decoded(Record::Result(r)) => Some([&r.model, &r.benchmark, &r.metric]),
            RecordView::PlainResult(r) => Some([r.model, r.benchmark, r.metric]),
            RecordView::Decoded(_) => None,
        }
    }
}

/// Calls `visit` with each entry a record, stored as `encoded`,
/// contributes to an index: its key, appended to what `key` held on the
/// call (the caller's prefix, kept for every entry), and its payload. The
/// indexed value comes from the field table; only the payloads are
/// particular to an index: what the derivation reads (evidence by claim),
/// the claim and stance (evidence by source), or the record itself
/// (results by model and by benchmark key: covering indexes). Nothing is
/// allocated for a key: a write builds millions, each in the one buffer.
pub(crate) fn visit_index_entries(
    index: IndexId,
    record: RecordView<'_>,
    encoded: &[u8],
    key: &mut Vec<u8>,
    visit: &mut EntryVisitor<'_>,
) -> Result<(), StoreError> {
    if index.written_with_derived() || index.field().0 != record.kind() {
        return Ok(());
    }
    let prefix = key.len();
    let id = record.id().as_bytes();
    // The benchmark indexes (SPEC 8.2) are on a key, not a field.
    match (index, record) {
        (IndexId::ClaimBench, RecordView::Decoded(Record::Claim(c))) => {
            let Some(bench) = BenchKey::of_claim(c) else {
                return Ok(());
            };
            keys::encode_bench_key(key, [&bench.model, &bench.benchmark, &bench.metric]);
            key.extend_from_slice(id);
            return visit(key, &[]);
        }
        (IndexId::ResultBench, _) => {
            if let Some(parts) = record.bench_parts() {
                keys::encode_bench_key(key, parts);
                key.extend_from_slice(id);
                return visit(key, encoded);
            }
            return Ok(());
        }
        _ => {}
    }
    let value = match record {
        RecordView::Decoded(decoded) => {
            let Some(&(_, get)) = FIELD_READERS.iter().find(|(i, _)| *i == index) else {
                return Ok(());
            };
            get(decoded)
        }
        RecordView::PlainResult(result) => match result.indexed(index) {
            Some(value) => value,
            // Every index on a result's field reads a field held there
            // (`projection`'s tests hold to it).
            None => {
                return Err(StoreError::Encode(
                    format!("{index:?} is not indexed from a plain result").into(),
                ));
            }
        },
    };
    let payload: Cow<'_, [u8]> = match (index, record) {
        (IndexId::EvidenceClaim, RecordView::Decoded(Record::Evidence(e))) => {
            Cow::Owned(codec::encode(&EvidencePayload {
                source: e.source.to_string(),
                supports: e.stance == crate::model::Stance::Supports,
                strength: e.strength,
                date: e.date,
            })?)
        }
        (IndexId::EvidenceSource, RecordView::Decoded(Record::Evidence(e))) => {
            Cow::Owned(codec::encode(&facts::SourceEvidencePayload {
                claim: e.claim.to_string(),
                supports: e.stance == crate::model::Stance::Supports,
            })?)
        }
        (IndexId::ResultModel, _) => Cow::Borrowed(encoded),
        _ => Cow::Borrowed(&[]),
    };
    let mut entry = |value: &dyn Fn(&mut Vec<u8>)| {
        key.truncate(prefix);
        value(key);
        key.extend_from_slice(id);
        visit(key, &payload)
    };
    match value {
        FieldValue::Text(text) => entry(&|key| keys::encode_string(key, text)),
        FieldValue::Date(day) => entry(&|key| keys::encode_date(key, day)),
        FieldValue::List(items) => {
            let mut items: Vec<&String> = items.iter().collect();
            items.sort();
            items.dedup();
            items
                .into_iter()
                .try_for_each(|item| entry(&|key| keys::encode_string(key, item)))
        }
        // No value, no entry; no index is on a number or a boolean field.
        _ => Ok(()),
    }
}
