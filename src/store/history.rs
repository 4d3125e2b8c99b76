//! Reading the status log (SPEC 9): a record's writes for `history`, the
//! claims whose status changed in a window of writes for `changes`, and
//! the log as JSON Lines for `export --history`. Written by
//! `write/history.rs`.

use super::blocks::Cursor;
use super::keys::{self, MapId};
use super::write::{HistoryAction, HistoryEntry, Verdict};
use super::{Projection, Store, StoreError, codec};
use crate::model::fields::FieldValue;
use crate::model::{Id, Kind, Record, Status};
use std::collections::HashMap;

/// One recorded write of one record.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordWrite {
    /// The write's sequence number (0: before times were recorded).
    pub seq: u64,
    /// When it was recorded (`None`: before times were recorded).
    pub recorded_ms: Option<u64>,
    /// What it did to the record.
    pub entry: HistoryEntry,
    /// The record after it (own writes only; `None` after a retract).
    pub record: Option<Record>,
}

/// A claim whose status differs between two points of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusChange {
    /// The claim.
    pub id: String,
    /// Status and confidence at the start (`None`: it did not exist).
    pub before: Option<Verdict>,
    /// At the end.
    pub after: Option<Verdict>,
    /// The last write in the window that changed its status.
    pub changed_seq: u64,
    /// Its text after the window's last write of it, when the status log
    /// holds it and that write flipped its status (`None`: read the record).
    pub text: Option<String>,
}

/// The head of every status-log entry: a [`HistoryEntry`] up to its text.
type HeadOfEntry = (HistoryAction, Kind, Option<Verdict>, Option<Verdict>);

/// Reads an entry's head as the codec wrote it, returning it and where the
/// text begins; `None` if the bytes are not a head. `changes` reads tens of
/// thousands of heads, and serde's visitors were a fifth of its time.
/// The layout is bincode's standard one (an enum is its variant's index, a
/// varint below 251 in one byte; an option a 0 or 1 byte; an f64 eight
/// little-endian bytes); `a_head_reads_as_the_codec_decodes_it` ties the
/// two together for every variant.
fn read_head(bytes: &[u8]) -> Option<(HeadOfEntry, usize)> {
    let mut at = 0;
    let mut byte = || {
        let b = *bytes.get(at)?;
        at += 1;
        Some(b)
    };
    let action = *HistoryAction::ALL.get(usize::from(byte()?))?;
    let kind = *Kind::ALL.get(usize::from(byte()?))?;
    let mut verdict = || -> Option<Option<Verdict>> {
        match byte()? {
            0 => Some(None),
            1 => {
                let status = *Status::ALL.get(usize::from(byte()?))?;
                let mut confidence = [0; 8];
                for b in &mut confidence {
                    *b = byte()?;
                }
                Some(Some((status, f64::from_le_bytes(confidence))))
            }
            _ => None,
        }
    };
    let before = verdict()?;
    let after = verdict()?;
    Some(((action, kind, before, after), at))
}

/// What `changes` reads of a claim's entry in the status log.
struct ClaimHead {
    seq: u64,
    before: Option<Verdict>,
    after: Option<Verdict>,
}

/// One claim's entry in a window of many writes; `id` and `text` (still
/// encoded) are ranges of a buffer the window's entries share. Only an
/// entry that flips the claim's status keeps its text (`None` otherwise):
/// a day's import derives tens of thousands of claims and flips a few
/// thousand, and copying every text was a fifth of `changes`.
struct ClaimEntry {
    id: std::ops::Range<usize>,
    text: Option<std::ops::Range<usize>>,
    head: ClaimHead,
}

/// The error of a status-log entry (its key or its head) that does not read.
pub(super) fn damaged_entry() -> StoreError {
    StoreError::damaged("a status-log entry".into())
}

/// The row of a claim whose entries in a window run from `first` to
/// `last`; `text` is the last entry's, if it kept one.
fn status_change(
    id: &[u8],
    first: &ClaimHead,
    last: &ClaimHead,
    changed_seq: u64,
    text: Option<&[u8]>,
) -> Result<StatusChange, StoreError> {
    Ok(StatusChange {
        id: std::str::from_utf8(id)
            .map_err(|_| damaged_entry())?
            .to_owned(),
        before: first.before,
        after: last.after,
        changed_seq,
        // The text after the window's last write of the claim, kept if that
        // write flipped it; else (a claim written more than once in the
        // window, and rare) `None`: the caller reads the record.
        text: match text {
            Some(text) => {
                codec::decode_borrowed::<Option<&str>>(text, "status log")?.map(str::to_owned)
            }
            None => None,
        },
    })
}

/// A verdict's status alone: what `changes` compares.
fn status_of(v: Option<Verdict>) -> Option<crate::model::Status> {
    v.map(|v| v.0)
}

/// A window of writes: those after `after_seq`, up to `through_seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqWindow {
    /// Writes at or before this seq are before the window (`None`: none are,
    /// not even those made before times were recorded).
    pub after_seq: Option<u64>,
    /// The last write in the window.
    pub through_seq: u64,
}

impl Store {
    /// The last write recorded at or before `ms` (0 when none was; writes
    /// made before times were recorded, seq 0, are before every time).
    /// Times increase with seqs, so this searches the headers: galloping
    /// back from the newest write, since most windows start near it ("since
    /// yesterday": two headers read of a month's, not five), then halving.
    pub fn last_seq_at_or_before(&self, ms: u64) -> Result<u64, StoreError> {
        // Whether write `seq` (low < seq < high) was recorded at or before `ms`.
        let at_or_before = |seq: u64, high: u64| -> Result<bool, StoreError> {
            Ok(match self.log_header(seq)? {
                Some(h) => h.recorded_ms <= ms,
                // A seq with no header (rolled back, never reused): look at
                // the next logged one instead.
                None => matches!(self.next_logged_seq(seq, high)?, Some((_, t)) if t <= ms),
            })
        };
        // Invariant: write `low` is at or before `ms` (0 stands for "none");
        // write `high` and later are after it.
        let (mut low, mut high) = (0u64, self.next_seq()?);
        let mut step = 1;
        while high - low > 1 {
            let probe = high.saturating_sub(step).max(low + 1);
            if at_or_before(probe, high)? {
                low = probe;
                break;
            }
            high = probe;
            step *= 2;
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            match at_or_before(mid, high)? {
                true => low = mid,
                false => high = mid,
            }
        }
        Ok(low)
    }

    /// The first logged write from `from` up to (not including) `to`, with its time.
    fn next_logged_seq(&self, from: u64, to: u64) -> Result<Option<(u64, u64)>, StoreError> {
        for seq in from..to {
            if let Some(h) = self.log_header(seq)? {
                return Ok(Some((seq, h.recorded_ms)));
            }
        }
        Ok(None)
    }

    /// The last write's seq (0 before the first).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.next_seq()?.saturating_sub(1))
    }

    /// The time write `seq` was recorded (`None` for seq 0, before times were).
    pub fn recorded_ms(&self, seq: u64) -> Result<Option<u64>, StoreError> {
        if seq == 0 {
            return Ok(None);
        }
        Ok(self.log_header(seq)?.map(|h| h.recorded_ms))
    }

    /// The status-log entries of one record, oldest first.
    fn entries_of(&self, id: &str) -> Result<Vec<(u64, HistoryEntry)>, StoreError> {
        let prefix = keys::string_value(id);
        let mut cursor = Cursor::new(self.tree(), MapId::HistoryById, &prefix)?;
        let mut more = cursor.seek(&prefix)?;
        let mut out = Vec::new();
        while more {
            let Some(seq) = keys::history_by_id_seq(&prefix, cursor.key()) else {
                break;
            };
            out.push((seq, codec::decode(cursor.value(), "status log")?));
            more = cursor.advance()?;
        }
        Ok(out)
    }

    /// Every recorded write of `id`, oldest first, with the record after
    /// each of its own writes: the before-image the next own write logged,
    /// or the stored record after the last one. Empty for an unknown id.
    pub fn history(&self, id: &str) -> Result<Vec<RecordWrite>, StoreError> {
        let entries = self.entries_of(id)?;
        let mut out = Vec::with_capacity(entries.len());
        let mut after_last: Option<Option<Record>> = None;
        for (n, (seq, entry)) in entries.iter().enumerate().rev() {
            let record = if entry.action == HistoryAction::Derive {
                None
            } else {
                let after = match after_last.take() {
                    Some(next_before) => next_before,
                    None => self.get(id)?,
                };
                // This write's before-image is the record after the
                // previous own write.
                if entries[..n]
                    .iter()
                    .any(|(_, e)| e.action != HistoryAction::Derive)
                {
                    after_last = Some(self.before_image(*seq, id)?);
                }
                after
            };
            out.push(RecordWrite {
                seq: *seq,
                recorded_ms: self.recorded_ms(*seq)?,
                entry: entry.clone(),
                record,
            });
        }
        out.reverse();
        Ok(out)
    }

    /// The record `id` as it stood after write `seq` (the last version
    /// before it was retracted, if it was retracted by then).
    pub fn record_after(&self, id: &str, seq: u64) -> Result<Option<Record>, StoreError> {
        let entries = self.entries_of(id)?;
        let own = |e: &&(u64, HistoryEntry)| e.1.action != HistoryAction::Derive;
        let record = match entries.iter().filter(own).find(|(s, _)| *s > seq) {
            Some((next, _)) => self.before_image(*next, id)?,
            None => self.get(id)?,
        };
        if record.is_some() {
            return Ok(record);
        }
        // Retracted by then: the version it had before.
        match entries.iter().filter(own).rev().find(|(s, _)| *s <= seq) {
            Some((retract, e)) if e.action == HistoryAction::Retract => {
                self.before_image(*retract, id)
            }
            _ => Ok(None),
        }
    }

    /// Hands `each` the claims whose status after the writes up to
    /// `window.after_seq` differs from their status after those up to
    /// `window.through_seq`, in id order. Reads only the status log of the
    /// window's writes, and holds no change once handed over.
    pub fn each_status_change<E: From<StoreError>>(
        &self,
        window: SeqWindow,
        each: &mut dyn FnMut(StatusChange) -> Result<(), E>,
    ) -> Result<(), E> {
        // A window of one write (the usual "since yesterday's import") holds
        // each claim once, in id order: its changes are its entries that
        // flip a status, taken as the log is read. Collecting and sorting a
        // day's tens of thousands of entries first was half of `changes`
        // in a fresh process, most of it growing their buffers.
        if window.after_seq.map_or(0, |s| s + 1) == window.through_seq {
            return self.each_claim_entry(window, |head, id, text| {
                if status_of(head.before) != status_of(head.after) {
                    each(status_change(id, &head, &head, head.seq, Some(text))?)?;
                }
                Ok(())
            });
        }
        // The claims' entries in log order (by write, then id), their ids
        // and encoded texts copied into one buffer: a window of many writes
        // may hold tens of thousands, and an allocation or a hash each was
        // most of the time. Texts are decoded for the rows alone.
        let mut bytes: Vec<u8> = Vec::new();
        let mut entries: Vec<ClaimEntry> = Vec::new();
        self.each_claim_entry(window, |head, id, text| {
            let id_at = bytes.len();
            bytes.extend_from_slice(id);
            let text = match status_of(head.before) != status_of(head.after) {
                true => {
                    bytes.extend_from_slice(text);
                    Some(id_at + id.len()..bytes.len())
                }
                false => None,
            };
            entries.push(ClaimEntry {
                id: id_at..id_at + id.len(),
                text,
                head,
            });
            Ok::<(), StoreError>(())
        })?;
        // By id, each claim's entries staying in log order (a stable sort;
        // one write's entries are in id order already, and cost one pass).
        entries.sort_by(|a, b| bytes[a.id.clone()].cmp(&bytes[b.id.clone()]));
        for group in entries.chunk_by(|a, b| bytes[a.id.clone()] == bytes[b.id.clone()]) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            if status_of(first.head.before) == status_of(last.head.after) {
                continue;
            }
            let changed_seq = group
                .iter()
                .rev()
                .find(|e| status_of(e.head.before) != status_of(e.head.after))
                .map_or(0, |e| e.head.seq);
            let text = last.text.clone().map(|text| &bytes[text]);
            each(status_change(
                &bytes[first.id.clone()],
                &first.head,
                &last.head,
                changed_seq,
                text,
            )?)?;
        }
        Ok(())
    }

    /// Calls `each` with every claim's entry in the window's writes, in log
    /// order (by write, then id): its head, its id, and its bytes from the
    /// text on (still encoded). Other kinds' entries end at their head.
    fn each_claim_entry<F, E>(&self, window: SeqWindow, mut each: F) -> Result<(), E>
    where
        F: FnMut(ClaimHead, &[u8], &[u8]) -> Result<(), E>,
        E: From<StoreError>,
    {
        let start = keys::seq_prefix(window.after_seq.map_or(0, |s| s + 1));
        let mut cursor = Cursor::new(self.tree(), MapId::HistoryByWrite, &start)?;
        let mut more = cursor.seek(&start)?;
        while more {
            let (seq, id) =
                keys::split_history_by_write_key(cursor.key()).ok_or_else(damaged_entry)?;
            if seq > window.through_seq {
                break;
            }
            let value = cursor.value();
            let ((_, kind, before, after), text_at) = read_head(value).ok_or_else(damaged_entry)?;
            if kind == Kind::Claim {
                let text = value.get(text_at..).ok_or_else(damaged_entry)?;
                each(ClaimHead { seq, before, after }, id, text)?;
            }
            more = cursor.advance()?;
        }
        Ok(())
    }

    /// Every status-log entry in write order, as (seq, record id, entry),
    /// handed to `each`.
    pub fn each_status_log_entry(
        &self,
        each: &mut dyn FnMut(u64, &str, &HistoryEntry) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut cursor = Cursor::all(self.tree(), MapId::HistoryByWrite)?;
        while cursor.advance()? {
            let (seq, id) =
                keys::split_history_by_write_key(cursor.key()).ok_or_else(damaged_entry)?;
            let id = std::str::from_utf8(id).map_err(|_| damaged_entry())?;
            each(seq, id, &codec::decode(cursor.value(), "status log")?)?;
        }
        Ok(())
    }
}

/// The ids of every record with a history, in id order: the four record
/// maps merged, derived evidence left out (writes give it no history).
struct AllRecordIds {
    cursors: Vec<(Kind, Cursor, bool)>,
}

impl AllRecordIds {
    fn new(store: &Store) -> Result<AllRecordIds, StoreError> {
        let mut cursors = Vec::new();
        for kind in Kind::EXPORT_ORDER {
            let mut cursor = Cursor::all(store.tree(), MapId::Records(kind))?;
            let more = cursor.advance()?;
            cursors.push((kind, cursor, more));
        }
        Ok(AllRecordIds { cursors })
    }

    /// The next id (and its kind) in id order.
    fn next(&mut self) -> Result<Option<(Vec<u8>, Kind)>, StoreError> {
        loop {
            let Some((kind, cursor, more)) = self
                .cursors
                .iter_mut()
                .filter(|(_, _, more)| *more)
                .min_by(|a, b| a.1.key().cmp(b.1.key()))
            else {
                return Ok(None);
            };
            let id = cursor.key().to_vec();
            *more = cursor.advance()?;
            if !Id::bytes_are_derived(&id) {
                return Ok(Some((id, *kind)));
            }
        }
    }
}

impl Store {
    /// `check`'s part for the status log: replays each record's entries
    /// (each claim's status and confidence before a write are what the
    /// previous write left), and compares the result with the database:
    /// the records that exist are those whose last write was not a
    /// retraction, each claim's last status and confidence are its
    /// materialised ones, every write named has a log header, and the
    /// log by write holds as many entries as the log by record.
    pub(in crate::store) fn check_history(
        &self,
        problem: &mut dyn FnMut(String),
    ) -> Result<String, StoreError> {
        let mut by_write = 0u64;
        self.each_status_log_entry(&mut |_, _, _| {
            by_write += 1;
            Ok(())
        })?;
        let mut records = AllRecordIds::new(self)?;
        let mut next_record = records.next()?;
        let mut by_id = 0u64;
        let mut cursor = Cursor::all(self.tree(), MapId::HistoryById)?;
        let mut more = cursor.advance()?;
        let mut headers: HashMap<u64, bool> = HashMap::new();
        while more {
            // One record's entries.
            let key = cursor.key().to_vec();
            let id_end = key.len().saturating_sub(8);
            let prefix = key[..id_end].to_vec();
            let id = keys::decode_string(&prefix).ok_or_else(damaged_entry)?;
            let mut kind = None;
            let mut state: Option<Option<Verdict>> = None;
            let mut exists = false;
            while more {
                let Some(seq) = keys::history_by_id_seq(&prefix, cursor.key()) else {
                    break;
                };
                by_id += 1;
                let entry: HistoryEntry = codec::decode(cursor.value(), "status log")?;
                if seq > 0
                    && !*headers
                        .entry(seq)
                        .or_insert(self.log_header(seq)?.is_some())
                {
                    problem(format!(
                        "the status log of {id} names write {seq}, which the log does not hold"
                    ));
                }
                if let Some(previous) = state
                    && previous != entry.before
                {
                    problem(format!(
                        "the status log of {id} at write {seq} starts from {:?}, but the write before left {previous:?}",
                        entry.before
                    ));
                }
                state = Some(entry.after);
                kind = Some(entry.kind);
                match entry.action {
                    HistoryAction::Add | HistoryAction::Replace => exists = true,
                    HistoryAction::Retract => exists = false,
                    HistoryAction::Derive => {}
                }
                more = cursor.advance()?;
            }
            // Databases written before derived evidence went without a
            // history hold its rows; they are counted, and nothing else.
            if Id::bytes_are_derived(id.as_bytes()) {
                continue;
            }
            // Records the log does not name come before this id.
            while let Some((record, _)) = &next_record
                && record.as_slice() < id.as_bytes()
            {
                problem(format!(
                    "{} exists but the status log has no write of it",
                    String::from_utf8_lossy(record)
                ));
                next_record = records.next()?;
            }
            let stored_kind = match &next_record {
                Some((record, k)) if record.as_slice() == id.as_bytes() => {
                    let k = *k;
                    next_record = records.next()?;
                    Some(k)
                }
                _ => None,
            };
            match (exists, stored_kind) {
                (true, None) => {
                    problem(format!("the status log says {id} exists, but it does not"))
                }
                (false, Some(_)) => problem(format!(
                    "{id} exists, but the status log says it was retracted"
                )),
                (true, Some(k)) if Some(k) != kind => {
                    problem(format!("the status log has {id} as another kind of record"))
                }
                _ => {}
            }
            if kind == Some(Kind::Claim) {
                let derived = self.derived(&id)?.map(|d| (d.status, d.confidence));
                if state.flatten() != derived {
                    problem(format!(
                        "the status log leaves claim {id} at {:?}, but its derived values are {derived:?}",
                        state.flatten()
                    ));
                }
            }
        }
        while let Some((record, _)) = next_record {
            problem(format!(
                "{} exists but the status log has no write of it",
                String::from_utf8_lossy(&record)
            ));
            next_record = records.next()?;
        }
        if by_id != by_write {
            problem(format!(
                "the status log holds {by_write} entries by write but {by_id} by record"
            ));
        }
        Ok(format!("status log ({by_id} entries) replayed"))
    }
}

impl Store {
    /// The part of the format 6 upgrade ([`Store::upgrade`]) that SPEC
    /// section 9 needs: a database made before the status log gets one,
    /// every record an `add` entry under write 0, "before times were
    /// recorded" (its record is the stored one, a claim's status and
    /// confidence its derived ones). Idempotent.
    pub(super) fn write_history_baseline(&self) -> Result<(), StoreError> {
        let entry_of = |id: &[u8], kind: Kind| -> Result<(String, Vec<u8>), StoreError> {
            let id = String::from_utf8(id.to_vec())
                .map_err(|_| StoreError::damaged("a record id that is not UTF-8".into()))?;
            let after = match kind {
                Kind::Claim => self.derived(&id)?.map(|d| (d.status, d.confidence)),
                _ => None,
            };
            let entry = HistoryEntry {
                action: HistoryAction::Add,
                kind,
                before: None,
                after,
                text: None,
            };
            Ok((id, codec::encode(&entry)?))
        };
        let mut sink = super::blocks::BatchSink::new(self.tree());
        for map in [MapId::HistoryByWrite, MapId::HistoryById] {
            let mut records = AllRecordIds::new(self)?;
            let entries = std::iter::from_fn(|| {
                let next = records.next().transpose()?;
                Some(next.and_then(|(id, kind)| {
                    let (id, value) = entry_of(&id, kind)?;
                    let key = match map {
                        MapId::HistoryByWrite => keys::history_by_write_key(0, &id),
                        _ => keys::history_by_id_key(&id, 0),
                    };
                    Ok((key, Some(value)))
                }))
            });
            super::blocks::apply(self.tree(), map, entries, &mut sink)?;
            sink.flush()?;
        }
        Ok(())
    }
}

/// Claim records looked up with one cursor and nothing else (no derived
/// values), cheapest in ascending id order: `changes` reads the few claims
/// of its rows this way, and queries the claims of evidence rows.
pub struct ClaimsInOrder {
    cursor: Cursor,
    /// The last id looked up.
    last: Vec<u8>,
    /// A claim's subject alone.
    subject: Projection,
}

impl ClaimsInOrder {
    /// Whether the claim `id` is stored: the cursor is then on it.
    fn find(&mut self, id: &str) -> Result<bool, StoreError> {
        let key = id.as_bytes();
        let found = match key < self.last.as_slice() {
            true => self.cursor.seek_back(key)?,
            false => self.cursor.seek(key)?,
        };
        self.last.clear();
        self.last.extend_from_slice(key);
        Ok(found && self.cursor.key() == key)
    }

    /// The claim `id`, if stored.
    pub fn get(&mut self, id: &str) -> Result<Option<Record>, StoreError> {
        match self.find(id)? {
            true => super::decode_record(Kind::Claim, self.cursor.value()).map(Some),
            false => Ok(None),
        }
    }

    /// The subject of the claim `id` (`None` if it has none, or is not
    /// stored), read without decoding the rest of the claim.
    pub fn subject(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        if !self.find(id)? {
            return Ok(None);
        }
        let mut subject = [FieldValue::Absent];
        self.subject.read(self.cursor.value(), &mut subject)?;
        Ok(match subject {
            [FieldValue::Text(s)] => Some(s.to_owned()),
            _ => None,
        })
    }
}

impl Store {
    /// A reader of claim records in ascending id order.
    pub fn claims_in_order(&self) -> Result<ClaimsInOrder, StoreError> {
        Ok(ClaimsInOrder {
            cursor: Cursor::new(self.tree(), MapId::Records(Kind::Claim), &[])?,
            last: Vec::new(),
            subject: Projection::new(Kind::Claim, &["subject"])
                .ok_or_else(|| StoreError::Encode("no projection of a claim's subject".into()))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_head` reads every head the codec writes as the codec does,
    /// and a head cut short or damaged as no head.
    #[test]
    fn a_head_reads_as_the_codec_decodes_it() {
        let verdicts = Status::ALL
            .into_iter()
            .flat_map(|s| [0.0, 0.25, 1.0].map(|c| Some((s, c))))
            .chain([None]);
        let verdicts: Vec<Option<Verdict>> = verdicts.collect();
        for action in HistoryAction::ALL {
            for kind in Kind::ALL {
                for &before in &verdicts {
                    for &after in &verdicts {
                        let entry = HistoryEntry {
                            action,
                            kind,
                            before,
                            after,
                            text: Some("a claim".into()),
                        };
                        let bytes = codec::encode(&entry).expect("encodes");
                        let by_codec: (HeadOfEntry, usize) =
                            codec::decode_prefix(&bytes, "status log").expect("decodes");
                        assert_eq!(read_head(&bytes), Some(by_codec), "{entry:?}");
                        for cut in 0..by_codec.1 {
                            assert_eq!(read_head(&bytes[..cut]), None, "{entry:?} cut at {cut}");
                        }
                    }
                }
            }
        }
        assert_eq!(read_head(&[4, 1, 0, 0]), None, "no fifth action");
        assert_eq!(read_head(&[0, 1, 2, 0]), None, "an option is 0 or 1");
    }

    /// `each_status_change` reads an entry's head as [`HeadOfEntry`] and its
    /// text from where the head ends: both follow [`HistoryEntry`]'s fields.
    #[test]
    fn an_entrys_head_and_text_read_apart_as_the_whole_entry() {
        let entry = HistoryEntry {
            action: HistoryAction::Derive,
            kind: Kind::Claim,
            before: Some((Status::Unresolved, 0.5)),
            after: Some((Status::Verified, 0.9)),
            text: Some("a claim".into()),
        };
        let bytes = codec::encode(&entry).expect("encodes");
        let ((action, kind, before, after), head): (HeadOfEntry, usize) =
            codec::decode_prefix(&bytes, "status log").expect("decodes");
        let text: Option<String> = codec::decode(&bytes[head..], "status log").expect("decodes");
        assert_eq!(
            HistoryEntry {
                action,
                kind,
                before,
                after,
                text
            },
            entry
        );
    }
}
