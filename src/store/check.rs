//! `evident check`: recomputes everything derived and compares.

use super::blocks::Cursor;
use super::facts::{self, SourceCache};
use super::indexes::{entry_with_derived, index_entries};
use super::keys::{self, IndexId, MapId};
use super::{Counters, Store, StoreError, codec, decode_record, derived_at, encode_claim_row};
use crate::model::{Derived, Kind, Record};

/// What `check` looked at and what it found wrong.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckReport {
    /// One line per check that ran.
    pub checked: Vec<String>,
    /// Every inconsistency (empty when the database is sound).
    pub problems: Vec<String>,
}

const MAX_PROBLEMS: usize = 50;

impl CheckReport {
    fn problem(&mut self, text: String) {
        match self.problems.len() {
            n if n < MAX_PROBLEMS => self.problems.push(text),
            MAX_PROBLEMS => self
                .problems
                .push("more problems, not listed (the first ones above may explain them)".into()),
            _ => {}
        }
    }

    /// Notes, as a problem, damage that stopped the check of `part`; an
    /// interrupt stops the whole check.
    fn unless_unreadable(
        &mut self,
        part: &str,
        checked: Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match checked {
            Ok(()) => Ok(()),
            Err(StoreError::Interrupted) => Err(StoreError::Interrupted),
            Err(e) => {
                self.problem(format!("{part} could not all be read: {e}"));
                Ok(())
            }
        }
    }
}

impl Store {
    /// Verifies the format version, record encodings, references, every
    /// index, the materialised derived values and the counters.
    ///
    /// Damage that stops one part (a block that does not decode, sled
    /// failing on a damaged file) is reported as a problem of that part,
    /// and the other parts are still checked: the report lists everything
    /// found. Only an interrupt stops it.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        report
            .checked
            .push(format!("format version {}", codec::FORMAT_VERSION));
        let pending = self.tree().get(keys::META_PENDING).map(|p| {
            if p.is_some() {
                report.problem("an interrupted write was not rolled back".into());
            }
        });
        report.unless_unreadable("the log", pending)?;
        let records = self.check_records(&mut report);
        report.unless_unreadable("the records", records)?;
        for index in IndexId::ALL {
            let checked = self.check_index(index, &mut report);
            let (kind, field) = index.field();
            report.unless_unreadable(
                &format!("the index on {}.{field}", kind.collection()),
                checked,
            )?;
        }
        let counters = self.counters().and_then(|stored| {
            let actual = count_records(self)?;
            if stored == actual {
                report.checked.push("record and status counters".into());
            } else {
                report.problem(format!(
                    "the stored counters (records by kind {:?}, claims by status {:?}) differ \
                     from the actual counts ({:?} and {:?})",
                    stored.records, stored.statuses, actual.records, actual.statuses
                ));
            }
            Ok(())
        });
        report.unless_unreadable("the counters", counters)?;
        let mut history_problems = Vec::new();
        let history = self
            .check_history(&mut |p| history_problems.push(p))
            .map(|checked| report.checked.push(checked));
        history_problems.into_iter().for_each(|p| report.problem(p));
        report.unless_unreadable("the status log", history)?;
        Ok(report)
    }

    /// Every record of every kind: decoding, order, references, and each
    /// claim's stored derived values.
    fn check_records(&self, report: &mut CheckReport) -> Result<(), StoreError> {
        let mut sources = SourceCache::default();
        // Claims come in id order: one walk each over their evidence and
        // their stored derived values.
        let mut facts = facts::FactWalker::new(self);
        let mut derived = Cursor::all(self.tree(), MapId::Derived)?;
        for kind in Kind::EXPORT_ORDER {
            let mut n = 0u64;
            let mut previous: Option<Vec<u8>> = None;
            let mut cursor = Cursor::all(self.tree(), MapId::Records(kind))?;
            while cursor.advance()? {
                n += 1;
                if previous.as_deref().is_some_and(|p| p >= cursor.key()) {
                    report.problem(format!(
                        "{} records out of order at {}",
                        kind.name(),
                        String::from_utf8_lossy(cursor.key())
                    ));
                }
                previous = Some(cursor.key().to_vec());
                let record = match decode_record(kind, cursor.value()) {
                    Ok(r) => r,
                    Err(e) => {
                        report.problem(format!(
                            "{} {}: {e}",
                            kind.name(),
                            String::from_utf8_lossy(cursor.key())
                        ));
                        continue;
                    }
                };
                if record.id().as_str().as_bytes() != cursor.key() {
                    report.problem(format!(
                        "record stored under {} has id {}",
                        String::from_utf8_lossy(cursor.key()),
                        record.id()
                    ));
                }
                for (field, target, want) in record.references() {
                    if self.get_of_kind(want, target.as_str())?.is_none() {
                        report.problem(format!(
                            "{} {}: {field} names {target}, which is not a {}",
                            kind.name(),
                            record.id(),
                            want.name()
                        ));
                    }
                }
                for other in Kind::EXPORT_ORDER.into_iter().filter(|k| *k != kind) {
                    if self.get_of_kind(other, record.id().as_str())?.is_some() {
                        report.problem(format!(
                            "id {} is used by a {} and a {}",
                            record.id(),
                            kind.name(),
                            other.name()
                        ));
                    }
                }
                if let Record::Claim(c) = &record {
                    // A claim whose evidence cannot be read (a dangling
                    // source, say) is a problem to report, not a reason to stop.
                    let expected = facts.facts_of(c.id.as_str()).and_then(|evidence| {
                        facts::derive_claim(
                            self,
                            c.subject.as_deref(),
                            &evidence,
                            &mut sources,
                            None,
                        )
                    });
                    let stored = derived_at(&mut derived, c.id.as_str().as_bytes())?;
                    match (stored, expected) {
                        (_, Err(e)) => report
                            .problem(format!("claim {}: cannot recompute its values: {e}", c.id)),
                        (Some(stored), Ok(expected)) if stored == expected => {}
                        (Some(stored), Ok(expected)) => report.problem(format!(
                            "claim {}: stored derived values {stored:?} differ from a recomputation {expected:?}",
                            c.id
                        )),
                        (None, Ok(_)) => {
                            report.problem(format!("claim {} has no derived values", c.id))
                        }
                    }
                    // SPEC 8: the derived evidence equals a recomputation.
                    if c.bench.is_some() {
                        for problem in self.derived_evidence_problems(c)? {
                            report.problem(problem);
                        }
                    }
                }
            }
            report.checked.push(format!(
                "{n} {} records decode, in order, with resolving references{}",
                kind.name(),
                if kind == Kind::Claim {
                    ", and their stored derived values equal a recomputation"
                } else {
                    ""
                }
            ));
        }
        Ok(())
    }

    /// Rebuilds an index from the records in a memory-bounded pass and
    /// compares it with the stored one.
    fn check_index(&self, index: IndexId, report: &mut CheckReport) -> Result<(), StoreError> {
        {
            let kind = index.field().0;
            let mut expected: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
            if index.written_with_derived() {
                // From each claim with its stored derived values (a claim
                // without them is reported above).
                let mut records = Cursor::all(self.tree(), MapId::Records(Kind::Claim))?;
                let mut derived = Cursor::all(self.tree(), MapId::Derived)?;
                while records.advance()? {
                    let (Ok(Record::Claim(claim)), Some(values)) = (
                        decode_record(Kind::Claim, records.value()),
                        derived_at(&mut derived, records.key())?,
                    ) else {
                        continue;
                    };
                    let row = encode_claim_row(records.value(), &codec::encode(&values)?);
                    if let Some((key, payload)) = entry_with_derived(index, &claim, &values, &row) {
                        expected.push((key, payload.to_vec()));
                    }
                }
            } else {
                let mut cursor = Cursor::all(self.tree(), MapId::Records(kind))?;
                while cursor.advance()? {
                    if let Ok(record) = decode_record(kind, cursor.value()) {
                        expected.extend(index_entries(index, &record, cursor.value())?);
                    }
                }
            }
            expected.sort();
            let mut actual = Vec::with_capacity(expected.len());
            let mut cursor = Cursor::all(self.tree(), MapId::Index(index))?;
            while cursor.advance()? {
                actual.push((cursor.key().to_vec(), cursor.value().to_vec()));
            }
            let (_, field) = index.field();
            if actual == expected {
                report.checked.push(format!(
                    "index on {}.{field}: {} entries match the records",
                    kind.collection(),
                    actual.len()
                ));
            } else {
                let missing = expected
                    .iter()
                    .filter(|e| actual.binary_search(e).is_err())
                    .count();
                let extra = actual
                    .iter()
                    .filter(|e| expected.binary_search(e).is_err())
                    .count();
                report.problem(format!(
                    "index on {}.{field}: {missing} entries missing and {extra} stray (of {} expected)",
                    kind.collection(),
                    expected.len()
                ));
            }
            if let Some(stored) = self.group_counts(index)? {
                // Counted from the entries the records call for.
                let mut counted: Vec<(Vec<u8>, u64)> = Vec::new();
                for (key, _) in &expected {
                    let Some((value, _)) = keys::split_index_key(index, key) else {
                        continue;
                    };
                    match counted.last_mut() {
                        Some((last, n)) if last.as_slice() == value => *n += 1,
                        _ => counted.push((value.to_vec(), 1)),
                    }
                }
                if stored == counted {
                    report.checked.push(format!(
                        "group counts of {}.{field}: {} values match the index",
                        kind.collection(),
                        counted.len()
                    ));
                } else {
                    report.problem(format!(
                        "group counts of {}.{field} differ from the index ({} values stored, {} expected)",
                        kind.collection(),
                        stored.len(),
                        counted.len()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Used by `check`: recomputes the counters from the maps.
pub(crate) fn count_records(store: &Store) -> Result<Counters, StoreError> {
    let mut counters = Counters::default();
    for kind in Kind::EXPORT_ORDER {
        let mut cursor = Cursor::all(store.tree(), MapId::Records(kind))?;
        while cursor.advance()? {
            counters.records[kind as usize] += 1;
        }
    }
    let mut cursor = Cursor::all(store.tree(), MapId::Derived)?;
    while cursor.advance()? {
        let d: Derived = codec::decode(cursor.value(), "derived values")?;
        counters.statuses[d.status as usize] += 1;
    }
    Ok(counters)
}

#[cfg(test)]
mod tests {
    use super::super::blocks::{self, BatchSink};
    use super::*;

    /// Overwrites one entry of a map behind the write path's back.
    fn tamper(store: &Store, map: MapId, key: &[u8], value: Option<Vec<u8>>) {
        let mut sink = BatchSink::new(store.tree());
        blocks::apply(store.tree(), map, [Ok((key.to_vec(), value))], &mut sink).expect("applies");
        sink.flush().expect("flushes");
    }

    fn seeded() -> (tempfile::TempDir, crate::Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::Database::open(dir.path().join("db")).expect("opens");
        db.import_jsonl(include_str!("../../fixtures/seed.jsonl").as_bytes())
            .expect("imports");
        (dir, db)
    }

    #[test]
    fn check_finds_a_stale_materialised_value() {
        let (_dir, db) = seeded();
        let store = db.store();
        assert!(store.check().expect("checks").problems.is_empty());
        let id = "c:cursor-acquisition";
        let mut d = store.derived(id).expect("reads").expect("derived");
        d.confidence = 0.1;
        tamper(
            store,
            MapId::Derived,
            id.as_bytes(),
            Some(codec::encode(&d).expect("encodes")),
        );
        let problems = store.check().expect("checks").problems;
        assert!(
            problems
                .iter()
                .any(|p| p.contains(id) && p.contains("recomputation")),
            "{problems:?}"
        );
    }

    #[test]
    fn check_finds_a_wrong_group_count() {
        let (_dir, db) = seeded();
        let store = db.store();
        let mut value = Vec::new();
        keys::encode_string(&mut value, "memo");
        tamper(
            store,
            MapId::GroupCounts(IndexId::SourceKind),
            &value,
            Some(7u64.to_be_bytes().to_vec()),
        );
        let problems = store.check().expect("checks").problems;
        assert!(
            problems
                .iter()
                .any(|p| p.contains("group counts of sources.kind")),
            "{problems:?}"
        );
    }

    #[test]
    fn check_finds_a_missing_index_entry_and_a_dangling_reference() {
        let (_dir, db) = seeded();
        let store = db.store();
        // A source some evidence cites disappears (and its kind entry stays).
        tamper(
            store,
            MapId::Records(Kind::Source),
            b"src:internal-memos",
            None,
        );
        let problems = store.check().expect("checks").problems;
        assert!(
            problems.iter().any(|p| p.contains("src:internal-memos")),
            "{problems:?}"
        );
        assert!(
            problems.len() >= 2,
            "a reference and an index: {problems:?}"
        );
    }
}
