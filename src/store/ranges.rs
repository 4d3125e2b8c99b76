//! Typed ranges over an index's values, and the reads a query plan makes
//! through them. A plan names an index and the values it wants
//! ([`IndexRange`]); only this module turns them into key bytes (with the
//! encodings of [`keys`]), so nothing outside the store knows how an
//! index's keys are laid out.

use super::blocks::Cursor;
use super::keys::{self, IndexId};
use super::{Store, StoreError, decode_claim_row, decode_record};
use crate::model::{Date, Derived, Kind, Record, Status};

/// A value of an indexed field, typed as the index stores it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum IndexValue {
    /// A claim's status.
    Status(Status),
    /// A number (confidence).
    Number(f64),
    /// A date (created, published, a result's date).
    Date(Date),
    /// Any other indexed field: its exact text.
    Text(String),
}

/// How an [`IndexRange`] compares the index's values with its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RangeOp {
    /// Equal to one of the values.
    Eq,
    /// Below the value.
    Lt,
    /// At most the value.
    Le,
    /// Above the value.
    Gt,
    /// At least the value.
    Ge,
}

/// The entries of one index whose values compare with `values` by `op`:
/// one run of entries per value (`Eq`), or everything below or above it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct IndexRange {
    index: IndexId,
    op: RangeOp,
    values: Vec<IndexValue>,
}

/// A run of index keys: from `start` (inclusive) to `end` (exclusive;
/// `None`: to the end of the index). Opaque outside the store.
#[derive(Clone, Debug)]
pub(crate) struct KeyRange {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

/// Whether `<`, `<=`, `>` and `>=` on an index's values are runs of its
/// keys: only for fixed-width encodings (dates, numbers). A string's
/// encoding orders by bytes, but a string range would have to stop at
/// every prefix's terminator, so strings only answer `=`, `in` and `has`.
pub(crate) fn orders_values(index: IndexId) -> bool {
    matches!(
        index,
        IndexId::ClaimCreated
            | IndexId::SourcePublished
            | IndexId::ResultDate
            | IndexId::ClaimConfidence
    )
}

impl IndexRange {
    /// The range, if the index can answer it: each value of the type the
    /// index stores, a comparison other than `=` only on an index that
    /// [`orders_values`], and something left above a `>` value.
    pub(crate) fn new(index: IndexId, op: RangeOp, values: Vec<IndexValue>) -> Option<IndexRange> {
        if op != RangeOp::Eq && !orders_values(index) {
            return None;
        }
        let range = IndexRange { index, op, values };
        // Planning must not pick a range the store cannot read: try it.
        range.try_key_runs()?;
        Some(range)
    }

    /// The index read.
    pub(crate) fn index(&self) -> IndexId {
        self.index
    }

    /// The texts of an `=` / `in` range on a text field (`None` for any
    /// other): `evidence where claim = c1` names the claims it reaches.
    pub(crate) fn exact_texts(&self) -> Option<Vec<&str>> {
        if self.op != RangeOp::Eq {
            return None;
        }
        (self.values.iter())
            .map(|v| match v {
                IndexValue::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether this is `field = one value`: one run of entries, in id
    /// order (the order rows are visited in).
    pub(crate) fn one_value(&self) -> bool {
        self.op == RangeOp::Eq && self.values.len() == 1
    }

    /// The key runs to read, one per value.
    pub(crate) fn key_runs(&self) -> Vec<KeyRange> {
        // `new` made sure there are some: it refuses a range without.
        self.try_key_runs().unwrap_or_default()
    }

    /// The key runs to read, one per value; `None` if a value is not of
    /// the type the index stores, or a `>` has no key above it.
    fn try_key_runs(&self) -> Option<Vec<KeyRange>> {
        let mut ranges = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let mut key = Vec::new();
            match (self.index, value) {
                (IndexId::ClaimStatus, IndexValue::Status(s)) => keys::encode_status(&mut key, *s),
                (IndexId::ClaimConfidence, IndexValue::Number(n)) => {
                    keys::encode_number(&mut key, *n)
                }
                (
                    IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate,
                    IndexValue::Date(d),
                ) => keys::encode_date(&mut key, *d),
                (
                    IndexId::ClaimSubject
                    | IndexId::ClaimTags
                    | IndexId::SourceKind
                    | IndexId::EvidenceClaim
                    | IndexId::EvidenceSource
                    | IndexId::EvidenceResult
                    | IndexId::ResultModel
                    | IndexId::ResultBenchmark
                    | IndexId::ResultSource,
                    IndexValue::Text(s),
                ) => keys::encode_string(&mut key, s),
                _ => return None,
            }
            let after = prefix_end(&key);
            ranges.push(match self.op {
                RangeOp::Eq => KeyRange {
                    start: key,
                    end: after,
                },
                RangeOp::Lt => KeyRange {
                    start: Vec::new(),
                    end: Some(key),
                },
                RangeOp::Le => KeyRange {
                    start: Vec::new(),
                    end: after,
                },
                RangeOp::Gt => KeyRange {
                    start: after?,
                    end: None,
                },
                RangeOp::Ge => KeyRange {
                    start: key,
                    end: None,
                },
            });
        }
        Some(ranges)
    }
}

/// The smallest key greater than every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// What [`Store::claim_rows_by_confidence`] calls with the encoded claim
/// rows of one confidence value; `false` stops the walk.
pub(crate) type TieVisitor<'v, E> = dyn FnMut(&[Vec<u8>]) -> Result<bool, E> + 'v;

/// A value of an index decoded from its key, for `count … group by`:
/// `None` when the bytes do not decode.
fn decode_value(index: IndexId, encoded: &[u8]) -> Option<IndexValue> {
    match index {
        IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate => {
            keys::decode_date(encoded).map(IndexValue::Date)
        }
        _ => keys::decode_string(encoded).map(IndexValue::Text),
    }
}

impl Store {
    /// The ids (sorted, distinct) of the entries of `range`.
    pub(crate) fn ids_in(&self, range: &IndexRange) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for KeyRange { start, end } in range.key_runs() {
            let mut cursor = self.index_cursor(range.index, &start)?;
            while cursor.advance()? {
                self.check_interrupt()?;
                if end.as_deref().is_some_and(|e| cursor.key() >= e) {
                    break;
                }
                if let Some((_, id)) = keys::split_index_key(range.index, cursor.key()) {
                    ids.push(String::from_utf8_lossy(id).into_owned());
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The number of entries of `range` (no record decoded).
    pub(crate) fn count_in(&self, range: &IndexRange) -> Result<u64, StoreError> {
        let mut n = 0;
        for KeyRange { start, end } in range.key_runs() {
            let mut cursor = self.index_cursor(range.index, &start)?;
            while cursor.advance()? && end.as_deref().is_none_or(|e| cursor.key() < e) {
                self.check_interrupt()?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Calls `each` with the rows held by the entries of one key run of an
    /// index that [holds rows](IndexId::holds_rows), in key order, until it
    /// returns `false`. `kind` is the kind of the rows.
    pub(crate) fn index_rows<E: From<StoreError>>(
        &self,
        index: IndexId,
        kind: Kind,
        run: &KeyRange,
        each: &mut dyn FnMut(Record, Option<Derived>) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut cursor: Cursor = self.index_cursor(index, &run.start)?;
        while cursor.advance()? && run.end.as_deref().is_none_or(|u| cursor.key() < u) {
            self.check_interrupt()?;
            let (record, derived) = if index.holds_claim_rows() {
                let (record, derived) = decode_claim_row(cursor.value())?;
                (record, Some(derived))
            } else {
                (decode_record(kind, cursor.value())?, None)
            };
            if !each(record, derived)? {
                break;
            }
        }
        Ok(())
    }

    /// Walks the confidence index (whose entries hold claim rows) from the
    /// highest value down (`descending`) or from the lowest up, calling
    /// `each` with the rows of one value at a time in id order (ties go in
    /// id order, as everywhere) until it returns `false`. The rows are
    /// still encoded (see [`decode_claim_row`]), so a caller that stops
    /// early decodes no more than it reads.
    pub(crate) fn claim_rows_by_confidence<E: From<StoreError>>(
        &self,
        descending: bool,
        each: &mut TieVisitor<'_, E>,
    ) -> Result<(), E> {
        // Entries (id, claim row) of one confidence value.
        let mut tie: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut tie_value: Vec<u8> = Vec::new();
        let mut hand_over = |tie: &mut Vec<(Vec<u8>, Vec<u8>)>| -> Result<bool, E> {
            tie.sort();
            let rows: Vec<Vec<u8>> = tie.drain(..).map(|(_, row)| row).collect();
            each(&rows)
        };
        // A caller's error stops the walk and is returned after it.
        let mut failure: Option<E> = None;
        let mut stopped = false;
        let mut visit = |key: &[u8], row: &[u8]| -> Result<bool, StoreError> {
            let Some((value, id)) = keys::split_index_key(IndexId::ClaimConfidence, key) else {
                return Ok(true);
            };
            if value != tie_value.as_slice() {
                tie_value = value.to_vec();
                match hand_over(&mut tie) {
                    Ok(true) => {}
                    Ok(false) => {
                        stopped = true;
                        return Ok(false);
                    }
                    Err(e) => {
                        failure = Some(e);
                        return Ok(false);
                    }
                }
            }
            tie.push((id.to_vec(), row.to_vec()));
            Ok(true)
        };
        if descending {
            self.index_scan_reverse(IndexId::ClaimConfidence, &mut visit)?;
        } else {
            let mut cursor = self.index_cursor(IndexId::ClaimConfidence, &[])?;
            while cursor.advance()? && visit(cursor.key(), cursor.value())? {}
        }
        if let Some(e) = failure {
            return Err(e);
        }
        if !stopped {
            hand_over(&mut tie)?;
        }
        Ok(())
    }

    /// The number of entries per value of an index on a single-valued,
    /// stored field, in value order: the counts kept on every write when
    /// the index [keeps them](IndexId::has_group_counts), else one walk of
    /// the index. A value that does not decode is `None`.
    pub(crate) fn value_counts(
        &self,
        index: IndexId,
    ) -> Result<Vec<(Option<IndexValue>, u64)>, StoreError> {
        let mut groups: Vec<(Option<IndexValue>, u64)> = Vec::new();
        if let Some(counts) = self.group_counts(index)? {
            // Kept up to date on every write: one entry per group.
            for (value, n) in counts {
                groups.push((decode_value(index, &value), n));
            }
            return Ok(groups);
        }
        let mut current: Option<Vec<u8>> = None;
        let mut cursor = self.index_cursor(index, &[])?;
        while cursor.advance()? {
            self.check_interrupt()?;
            // The encoded value ends with its terminator, so a key of the
            // same group starts with it: no need to find where it ends.
            if let Some(value) = &current
                && cursor.key().starts_with(value)
            {
                if let Some(last) = groups.last_mut() {
                    last.1 += 1;
                }
                continue;
            }
            let Some((value, _)) = keys::split_index_key(index, cursor.key()) else {
                continue;
            };
            current = Some(value.to_vec());
            groups.push((decode_value(index, value), 1));
        }
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_other_than_equality_only_on_ordered_values() {
        let text = || vec![IndexValue::Text("a".into())];
        assert!(IndexRange::new(IndexId::ClaimSubject, RangeOp::Eq, text()).is_some());
        assert!(IndexRange::new(IndexId::ClaimSubject, RangeOp::Lt, text()).is_none());
        let day = || vec![IndexValue::Date(Date::parse("2024-01-02").expect("a date"))];
        assert!(IndexRange::new(IndexId::ClaimCreated, RangeOp::Ge, day()).is_some());
    }

    #[test]
    fn values_of_the_wrong_type_are_refused() {
        let text = vec![IndexValue::Text("0.5".into())];
        assert!(IndexRange::new(IndexId::ClaimConfidence, RangeOp::Eq, text).is_none());
        let number = vec![IndexValue::Number(1.0)];
        assert!(IndexRange::new(IndexId::ClaimSubject, RangeOp::Eq, number).is_none());
    }

    #[test]
    fn one_value_is_a_single_equality() {
        let two = vec![IndexValue::Text("a".into()), IndexValue::Text("b".into())];
        let r = IndexRange::new(IndexId::ClaimTags, RangeOp::Eq, two).expect("a range");
        assert!(!r.one_value());
        let one = vec![IndexValue::Number(0.5)];
        let r = IndexRange::new(IndexId::ClaimConfidence, RangeOp::Eq, one).expect("a range");
        assert!(r.one_value());
        let r = IndexRange::new(
            IndexId::ClaimConfidence,
            RangeOp::Le,
            vec![IndexValue::Number(0.5)],
        )
        .expect("a range");
        assert!(!r.one_value());
    }
}
