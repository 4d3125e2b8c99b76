//! Every key layout of the store, in one place.
//!
//! The whole database is one sled tree, so that any set of writes can go in
//! one atomic `apply_batch`. The first byte of a key says what it is:
//!
//! | key                                   | value                          |
//! |---------------------------------------|--------------------------------|
//! | `M` name                              | metadata (format version, counters, pending write) |
//! | `B` map-id first-logical-key          | a block of a [`blocks`](super::blocks) map |
//! | `L` seq:u64 part:u32                  | a part of write number `seq` in the log |
//! | `U` seq:u64 n:u32                     | before-images of the keys write `seq` changed, while it runs |
//!
//! Logical keys inside maps are order-preserving encodings (big-endian,
//! strings escaped and terminated) so a byte-wise range scan is a range of
//! values: see [`encode_string`], [`encode_number`], [`encode_date`].

use crate::model::{Date, Kind, Status};

/// First byte of block keys.
pub const BLOCK: u8 = b'B';
/// First byte of log keys.
pub const LOG: u8 = b'L';
/// First byte of undo keys: the before-images a running write keeps so
/// that a crash can be undone (see `write::log`).
pub const UNDO: u8 = b'U';

/// The metadata key holding the format version.
pub const META_VERSION: &[u8] = b"Mversion";
/// The metadata key holding the record and status counters.
pub const META_COUNTERS: &[u8] = b"Mcounters";
/// The metadata key holding the next log sequence number.
pub const META_NEXT_SEQ: &[u8] = b"Mnext_seq";
/// Present while a multi-batch write is under way: the sequence number it
/// logs under. Found on open, it means the write was interrupted and must be
/// rolled back.
pub const META_PENDING: &[u8] = b"Mpending";

/// The logical maps stored as blocks. Each has a one-byte id in block keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MapId {
    /// Records of one kind, by id.
    Records(Kind),
    /// A claim's materialised derived values, by claim id.
    Derived,
    /// A secondary index; see [`IndexId`].
    Index(IndexId),
    /// How many entries an index has per value (`encoded value` → u64), for
    /// the indexes with [`IndexId::has_group_counts`]: `count … group by`
    /// reads one entry per group instead of one per record.
    GroupCounts(IndexId),
    /// The status log by write (SPEC 9): `seq ‖ record id` → what the write
    /// did to the record (see `store::history`). `changes` reads a window
    /// of writes; a rollback finds the entries of the write it undoes.
    HistoryByWrite,
    /// The status log by record: `encoded id ‖ seq` → the same value, so
    /// `history ID` reads one run of entries.
    HistoryById,
}

/// The secondary indexes. Each maps `encoded value ‖ record id` to a payload
/// (usually empty; see [`IndexId::holds_rows`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IndexId {
    /// claim.subject (exact string).
    ClaimSubject,
    /// claim.tags, one entry per tag.
    ClaimTags,
    /// claim.created.
    ClaimCreated,
    /// claim.status (materialised).
    ClaimStatus,
    /// claim.confidence (materialised).
    ClaimConfidence,
    /// source.kind.
    SourceKind,
    /// source.published.
    SourcePublished,
    /// evidence.claim; payload: what the derivation needs (see `store::facts`).
    EvidenceClaim,
    /// evidence.source; payload: the evidence's claim id.
    EvidenceSource,
    /// evidence.result.
    EvidenceResult,
    /// result.model.
    ResultModel,
    /// result.benchmark.
    ResultBenchmark,
    /// result.source.
    ResultSource,
    /// result.date.
    ResultDate,
    /// result.cites: which results re-report a result (SPEC 8.1).
    ResultCites,
    /// Benchmark claims by model, benchmark and metric, ignoring ASCII case
    /// (see [`encode_bench_key`]): the claims a result bears on (SPEC 8.2).
    ClaimBench,
    /// Results by the same key; payload: the result record, so a claim's
    /// candidates are read from one run of entries.
    ResultBench,
}

impl IndexId {
    /// Every index.
    pub const ALL: [IndexId; 17] = [
        IndexId::ClaimSubject,
        IndexId::ClaimTags,
        IndexId::ClaimCreated,
        IndexId::ClaimStatus,
        IndexId::ClaimConfidence,
        IndexId::SourceKind,
        IndexId::SourcePublished,
        IndexId::EvidenceClaim,
        IndexId::EvidenceSource,
        IndexId::EvidenceResult,
        IndexId::ResultModel,
        IndexId::ResultBenchmark,
        IndexId::ResultSource,
        IndexId::ResultDate,
        IndexId::ResultCites,
        IndexId::ClaimBench,
        IndexId::ResultBench,
    ];

    /// The kind of record the index points at and the field it indexes.
    pub fn field(self) -> (Kind, &'static str) {
        match self {
            IndexId::ClaimSubject => (Kind::Claim, "subject"),
            IndexId::ClaimTags => (Kind::Claim, "tags"),
            IndexId::ClaimCreated => (Kind::Claim, "created"),
            IndexId::ClaimStatus => (Kind::Claim, "status"),
            IndexId::ClaimConfidence => (Kind::Claim, "confidence"),
            IndexId::SourceKind => (Kind::Source, "kind"),
            IndexId::SourcePublished => (Kind::Source, "published"),
            IndexId::EvidenceClaim => (Kind::Evidence, "claim"),
            IndexId::EvidenceSource => (Kind::Evidence, "source"),
            IndexId::EvidenceResult => (Kind::Evidence, "result"),
            IndexId::ResultModel => (Kind::Result, "model"),
            IndexId::ResultBenchmark => (Kind::Result, "benchmark"),
            IndexId::ResultSource => (Kind::Result, "source"),
            IndexId::ResultDate => (Kind::Result, "date"),
            IndexId::ResultCites => (Kind::Result, "cites"),
            // Not a field: no query names these, so the planner never picks them.
            IndexId::ClaimBench => (Kind::Claim, "model, benchmark, metric"),
            IndexId::ResultBench => (Kind::Result, "model, benchmark, metric"),
        }
    }

    /// Whether the index holds derived values (maintained with the derived map).
    pub fn is_derived(self) -> bool {
        matches!(self, IndexId::ClaimStatus | IndexId::ClaimConfidence)
    }

    /// Whether the index's entries carry the whole claim row — the stored
    /// record and derived values, see [`encode_claim_row`](super::encode_claim_row) — so a
    /// query answers from the index alone: `subject = …` reads one run of
    /// entries instead of a record and a derived value per claim scattered
    /// over two maps, and `order by confidence … limit N` reads N entries.
    pub fn holds_claim_rows(self) -> bool {
        matches!(self, IndexId::ClaimSubject | IndexId::ClaimConfidence)
    }

    /// Whether the index's entries carry the stored result record, so
    /// `results where model = …` reads one run of entries instead of
    /// looking up each result in the record map.
    pub fn holds_result_rows(self) -> bool {
        self == IndexId::ResultModel
    }

    /// Whether the index's entries carry rows: claim rows or result records.
    pub fn holds_rows(self) -> bool {
        self.holds_claim_rows() || self.holds_result_rows()
    }

    /// Whether the index's entries carry records — its rows, or the result
    /// records of [`IndexId::ResultBench`] — so its blocks are stored
    /// packed, as the record maps are.
    pub fn carries_records(self) -> bool {
        self.holds_rows() || self == IndexId::ResultBench
    }

    /// Whether the index is written with the derived values (the fourth
    /// phase of a write) rather than from the records alone.
    pub fn written_with_derived(self) -> bool {
        self.is_derived() || self.holds_claim_rows()
    }

    /// Whether the index keeps counts per value: those on single-valued
    /// fields with few values per many records — not the evidence
    /// references (nearly one value per record), the derived ones (kept
    /// with the counters), nor tags (a group-by on a list also counts the
    /// records with none, which per-value counts cannot tell).
    pub fn has_group_counts(self) -> bool {
        !self.is_derived()
            && !matches!(
                self,
                IndexId::EvidenceClaim
                    | IndexId::EvidenceSource
                    | IndexId::EvidenceResult
                    | IndexId::ClaimTags
                    | IndexId::ResultCites
                    | IndexId::ClaimBench
                    | IndexId::ResultBench
            )
    }

    /// The index on a field, if there is one.
    pub fn for_field(kind: Kind, field: &str) -> Option<IndexId> {
        IndexId::ALL
            .into_iter()
            .find(|i| i.field() == (kind, field))
    }
}

impl MapId {
    /// Every map.
    pub fn all() -> impl Iterator<Item = MapId> {
        Kind::EXPORT_ORDER
            .into_iter()
            .map(MapId::Records)
            .chain([MapId::Derived])
            .chain(IndexId::ALL.into_iter().map(MapId::Index))
            .chain(
                IndexId::ALL
                    .into_iter()
                    .filter(|i| i.has_group_counts())
                    .map(MapId::GroupCounts),
            )
            .chain([MapId::HistoryByWrite, MapId::HistoryById])
    }

    /// The byte that follows `B` in the map's block keys.
    pub fn byte(self) -> u8 {
        match self {
            MapId::Records(Kind::Source) => 1,
            MapId::Records(Kind::Claim) => 2,
            MapId::Records(Kind::Evidence) => 3,
            MapId::Records(Kind::Result) => 4,
            MapId::Derived => 5,
            MapId::Index(index) => 16 + index as u8,
            MapId::GroupCounts(index) => 48 + index as u8,
            // After every other map: a write's status log is written last
            // (by write before by id, so a rollback that finds no entry of
            // a write by write finds none by id either).
            MapId::HistoryByWrite => 100,
            MapId::HistoryById => 101,
        }
    }

    /// The sled key of the block whose first logical key is `first`.
    pub fn block_key(self, first: &[u8]) -> Vec<u8> {
        let mut key = Vec::with_capacity(2 + first.len());
        key.extend_from_slice(&[BLOCK, self.byte()]);
        key.extend_from_slice(first);
        key
    }

    /// The prefix every block key of this map starts with.
    pub fn prefix(self) -> [u8; 2] {
        [BLOCK, self.byte()]
    }

    /// The key just past every block key of this map: the end of a range
    /// over its blocks.
    pub fn end(self) -> [u8; 2] {
        [BLOCK, self.byte() + 1]
    }

    /// The first logical key of the block stored under `block_key`, one of
    /// this map's block keys (see [`MapId::block_key`]).
    pub fn block_first_key(self, block_key: &[u8]) -> &[u8] {
        block_key.get(self.prefix().len()..).unwrap_or_default()
    }
}

/// The key of part `part` of log entry `seq`.
pub fn log_key(seq: u64, part: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(13);
    key.push(LOG);
    key.extend_from_slice(&seq.to_be_bytes());
    key.extend_from_slice(&part.to_be_bytes());
    key
}

/// The part number of a log key.
pub fn log_part(key: &[u8]) -> Option<u32> {
    let rest = key.strip_prefix(&[LOG])?;
    let (_, part) = rest.split_first_chunk::<8>()?;
    Some(u32::from_be_bytes(part.try_into().ok()?))
}

/// The key of undo entry `n` of write `seq`.
pub fn undo_key(seq: u64, n: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(13);
    key.push(UNDO);
    key.extend_from_slice(&seq.to_be_bytes());
    key.extend_from_slice(&n.to_be_bytes());
    key
}

/// The keys of every undo entry of write `seq`: `undo_key(seq, 0)..` this.
pub fn undo_end(seq: u64) -> Vec<u8> {
    undo_key(seq.saturating_add(1), 0)
}

/// Whether a rollback puts `key` back as it was before the write: every key
/// a write changes except the undo entries themselves and the pending
/// marker, which the rollback clears last, and the blocks of the status log
/// by record, from which it takes the write's entries by their seq instead
/// (`Store::remove_history_by_id`).
pub fn restored_by_rollback(key: &[u8]) -> bool {
    key.first() != Some(&UNDO)
        && key != META_PENDING
        && !key.starts_with(&MapId::HistoryById.prefix())
}

/// The seq of a log key if it is the key of an entry's header (part 0;
/// the other parts hold before-images).
pub fn log_header_seq(key: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(&[LOG])?;
    let (seq, part) = rest.split_first_chunk::<8>()?;
    (part == [0, 0, 0, 0]).then(|| u64::from_be_bytes(*seq))
}

/// The key of a status-log entry by write: `seq ‖ id`.
pub fn history_by_write_key(seq: u64, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + id.len());
    push_history_by_write_key(&mut key, seq, id);
    key
}

/// Appends [`history_by_write_key`]`(seq, id)` to `out`.
pub fn push_history_by_write_key(out: &mut Vec<u8>, seq: u64, id: &str) {
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(id.as_bytes());
}

/// Splits a status-log key by write into its seq and record id.
pub fn split_history_by_write_key(key: &[u8]) -> Option<(u64, &[u8])> {
    let (seq, id) = key.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*seq), id))
}

/// The key of a status-log entry by record: `encoded id ‖ seq`.
pub fn history_by_id_key(id: &str, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(id.len() + 10);
    push_history_by_id_key(&mut key, id, seq);
    key
}

/// Appends [`history_by_id_key`]`(id, seq)` to `out`.
pub fn push_history_by_id_key(out: &mut Vec<u8>, id: &str, seq: u64) {
    encode_string(out, id);
    out.extend_from_slice(&seq.to_be_bytes());
}

/// The seq of a status-log key by record whose id is encoded as `prefix`
/// (made by [`string_value`]); `None` for another id's key.
pub fn history_by_id_seq(prefix: &[u8], key: &[u8]) -> Option<u64> {
    let seq = key.strip_prefix(prefix)?;
    Some(u64::from_be_bytes(seq.try_into().ok()?))
}

/// The encoded form of a seq as the first part of a key by write.
pub fn seq_prefix(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Appends an order-preserving encoding of a string: bytes with 0x00 escaped
/// as 0x00 0xFF, then the terminator 0x00 0x00. A shorter string sorts before
/// any longer one it is a prefix of, and nothing can be confused with the id
/// that follows.
pub fn encode_string(out: &mut Vec<u8>, s: &str) {
    // Copied a stretch at a time between zero bytes (rare), not byte by
    // byte: every index entry of a write is built through here.
    let mut rest = s.as_bytes();
    while let Some(zero) = memchr::memchr(0, rest) {
        out.extend_from_slice(&rest[..=zero]);
        out.push(0xFF);
        rest = &rest[zero + 1..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(&[0, 0]);
}

/// Appends a benchmark key's value in the benchmark indexes: the
/// [`encode_string`] of its three parts, lowercased in ASCII and joined by
/// NUL, built in place (each result of a write has an index entry under
/// it, and building the joined string first was six allocations a result).
/// A part holding a NUL could make two keys alike; readers compare the
/// parts again, so that costs nothing.
pub fn encode_bench_key(out: &mut Vec<u8>, parts: [&str; 3]) {
    for (n, part) in parts.into_iter().enumerate() {
        if n > 0 {
            // The joining NUL, escaped as `encode_string` escapes it.
            out.extend_from_slice(&[0, 0xFF]);
        }
        let start = out.len();
        out.extend_from_slice(part.as_bytes());
        out[start..].make_ascii_lowercase();
        if memchr::memchr(0, part.as_bytes()).is_some() {
            // Rare: escape the part's own NULs the same way.
            let lowered = out.split_off(start);
            for byte in lowered {
                out.push(byte);
                if byte == 0 {
                    out.push(0xFF);
                }
            }
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// A benchmark key's value in the benchmark indexes, as
/// [`encode_bench_key`] writes it: the prefix of its entries.
pub fn bench_key_value(key: &crate::model::bench::BenchKey) -> Vec<u8> {
    let parts = [key.model.as_str(), &key.benchmark, &key.metric];
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 2).sum());
    encode_bench_key(&mut out, parts);
    out
}

/// Appends an order-preserving encoding of a finite number (IEEE-754 bits
/// with the sign flipped, negatives inverted), 8 bytes.
pub fn encode_number(out: &mut Vec<u8>, n: f64) {
    // -0.0 and 0.0 compare equal, so they must encode the same.
    let n = if n == 0.0 { 0.0 } else { n };
    let bits = n.to_bits();
    let ordered = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    out.extend_from_slice(&ordered.to_be_bytes());
}

/// Appends a date as its big-endian ordinal, 4 bytes.
pub fn encode_date(out: &mut Vec<u8>, d: Date) {
    out.extend_from_slice(&d.ordinal().to_be_bytes());
}

/// Appends a status as one byte, in the order of [`Status::ALL`].
pub fn encode_status(out: &mut Vec<u8>, s: Status) {
    out.push(s as u8);
}

/// A string's encoding on its own: the prefix of every index key with that
/// value.
pub fn string_value(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    encode_string(&mut out, s);
    out
}

/// The key of an index entry whose value is the string `value`, for the
/// record `id`.
pub fn string_index_key(value: &str, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(value.len() + id.len() + 2);
    encode_string(&mut key, value);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The key of an index entry whose value is a number.
pub fn number_index_key(value: f64, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(id.len() + 8);
    encode_number(&mut key, value);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The key of an index entry whose value is a status.
pub fn status_index_key(value: Status, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(id.len() + 1);
    encode_status(&mut key, value);
    key.extend_from_slice(id.as_bytes());
    key
}

/// The record id of an index key that starts with the encoded value
/// `value` (a prefix made by [`string_value`], say).
pub fn id_after<'k>(value: &[u8], key: &'k [u8]) -> &'k [u8] {
    key.get(value.len()..).unwrap_or_default()
}

/// Splits an index key into its encoded value and the record id after it.
/// Every index value encoding has a known length or a terminator, so the
/// split needs to know only which index it is.
pub fn split_index_key(index: IndexId, key: &[u8]) -> Option<(&[u8], &[u8])> {
    let value_len = match index {
        IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate => 4,
        IndexId::ClaimStatus => 1,
        IndexId::ClaimConfidence => 8,
        _ => {
            let mut i = 0;
            loop {
                match (key.get(i)?, key.get(i + 1)?) {
                    (0, 0) => break i + 2,
                    (0, _) => i += 2,
                    _ => i += 1,
                }
            }
        }
    };
    (key.len() >= value_len).then(|| key.split_at(value_len))
}

/// The first index key past every entry whose value is `value` (an encoded
/// value, as [`split_index_key`] gives it): record ids sort below 0xFF.
pub fn past_value(value: &[u8]) -> Vec<u8> {
    let mut start = value.to_vec();
    start.push(0xFF);
    start
}

/// Decodes a string encoded by [`encode_string`] (terminator included).
pub fn decode_string(encoded: &[u8]) -> Option<String> {
    let body = encoded.strip_suffix(&[0, 0])?;
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        out.push(body[i]);
        i += if body[i] == 0 { 2 } else { 1 };
    }
    String::from_utf8(out).ok()
}

/// Decodes a date encoded by [`encode_date`].
pub fn decode_date(encoded: &[u8]) -> Option<Date> {
    let n = u32::from_be_bytes(encoded.try_into().ok()?);
    Date::from_ymd(
        u16::try_from(n / 10_000).ok()?,
        ((n / 100) % 100) as u8,
        (n % 100) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> Vec<u8> {
        let mut v = Vec::new();
        encode_number(&mut v, n);
        v
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = Vec::new();
        encode_string(&mut v, s);
        v
    }

    #[test]
    fn numbers_order_like_numbers() {
        let xs = [f64::MIN, -1e9, -1.5, -0.0, 0.0, 1e-9, 0.5, 1.0, 7e300];
        for pair in xs.windows(2) {
            assert!(num(pair[0]) <= num(pair[1]), "{} vs {}", pair[0], pair[1]);
        }
        assert_eq!(num(-0.0), num(0.0));
    }

    #[test]
    fn strings_order_like_strings_and_split_back() {
        let xs = ["", "a", "a\0", "a\0b", "ab", "b"];
        for pair in xs.windows(2) {
            assert!(
                string(pair[0]) < string(pair[1]),
                "{:?} vs {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut key = string("x\0y");
        key.extend_from_slice(b"c1");
        assert_eq!(
            split_index_key(IndexId::ClaimSubject, &key),
            Some((&key[..6], &b"c1"[..]))
        );
    }

    #[test]
    fn bench_keys_are_built_as_their_joined_string_encodes() {
        for parts in [
            ["Org/Model-7B", "MMLU (test)", "Accuracy"],
            ["", "", ""],
            ["a\0B", "\0", "x\0\0y"],
            ["Ünïcode Ä", "ß", "MAIN_score"],
        ] {
            let joined = parts.map(str::to_ascii_lowercase).join("\0");
            let mut built = b"kept".to_vec();
            encode_bench_key(&mut built, parts);
            assert_eq!(&built[..4], b"kept");
            assert_eq!(built[4..], string(&joined), "{parts:?}");
        }
    }

    #[test]
    fn log_headers_are_part_zero() {
        assert_eq!(log_header_seq(&log_key(7, 0)), Some(7));
        assert_eq!(log_header_seq(&log_key(7, 1)), None);
        assert_eq!(log_header_seq(b"Mversion"), None);
        assert_eq!(log_header_seq(&log_key(7, 0)[..12]), None);
    }

    #[test]
    fn map_bytes_are_distinct() {
        let mut bytes: Vec<u8> = MapId::all().map(MapId::byte).collect();
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), MapId::all().count());
    }
}
