//! Sorted maps stored as packed blocks of entries.
//!
//! One sled key per record or index entry makes sled slow and large (the
//! issue measured 13× SQLite's load time and 3.6× its disk). Instead each
//! logical map (the records of a kind, an index, …) is cut into blocks of
//! about [`TARGET_BLOCK_BYTES`] ([`RECORD_BLOCK_BYTES`] for records), each
//! stored under `B map first-key`. Inside
//! a block, keys are front-coded (LevelDB style):
//!
//! ```text
//! block   = 0 entries | 1 raw_len:varint lz4(entries)
//! entries = count:varint { shared:varint unshared:varint value_len:varint key_suffix value }
//! ```
//!
//! Blocks of records and of derived values are stored LZ4-compressed when
//! that saves a tenth or more (records repeat model, benchmark and source
//! names and shrink ~3×; most claims' derived values are alike). sled reads
//! whole nodes of up to 16 values and keeps every node a process reads in
//! memory, so smaller blocks mean fewer bytes read and held. Index blocks
//! stay plain — their front-coded keys shrink little, and index-driven plans
//! read many of them for few rows (packing them slowed such queries) —
//! except those carrying records (rows, or the benchmark index's results).
//!
//! **Range rule.** A block owns the keys from its first key up to (not
//! including) the next block's first key; entries past that are ignored.
//! Writers rely on it: when a block is rewritten, its replacement chunks
//! are written first and the chunk under the old key last, so a crash
//! between two batches leaves every key the write added readable from one
//! block at most, and the old block's own entries from one block as long
//! as the rewrite makes at most one chunk past the old key. Past one, a
//! crash after the first leaves the old entries past the second in no
//! block until the undo log puts the old block back: every map keeps that
//! before-image, the status log by record only for a rewrite that makes
//! two chunks or more past the old key (see [`apply`]).

use super::StoreError;
use super::codec::{get_varint, put_varint};
use super::guard::{Iter, Tree};
use super::keys::{self, MapId};
use super::write::UndoLog;
use sled::IVec;
use std::ops::Bound;

/// Blocks are cut once their encoded size reaches this…
pub const TARGET_BLOCK_BYTES: usize = 4096;
/// …but blocks of records at this: scans read records by the million, and
/// each block costs a step of sled's iterator (a walk from its root) and a
/// call to unpack, so larger blocks scan faster (the 1.29M results: 377 →
/// 333 ms). Indexes and derived values, read a few entries at a time,
/// keep the smaller blocks (16 KiB there slowed `as of` by a tenth and a
/// top-20 by confidence two-fold).
pub const RECORD_BLOCK_BYTES: usize = 16384;

/// Builds an encoded block entry by entry.
pub struct BlockBuilder {
    body: Vec<u8>,
    /// The size at which the block is full.
    target: usize,
    count: u64,
    first_key: Vec<u8>,
    last_key: Vec<u8>,
    /// Whether to try LZ4 on finished blocks.
    pack: bool,
    /// For a packed block: the raw size at which it is full after all, so
    /// that what is stored stays within [`STORED_BLOCK_BYTES`] (worked out
    /// once per block, when it reaches that size raw).
    packed_limit: Option<usize>,
    /// The raw and packed sizes of the last packed block, whose ratio
    /// sets the next one's limit (see `limit_packed_size`).
    last_ratio: Option<(usize, usize)>,
}

/// The most a packed block should take stored. sled 0.34 splits a node at
/// 17 values and moves a node over 128 KiB into a file of `blobs/`, which
/// it does not delete when a short-lived process replaces the node (see
/// `write::log`); 17 blocks of this size stay under that. Records that
/// compress well fill [`RECORD_BLOCK_BYTES`] raw long before.
pub const STORED_BLOCK_BYTES: usize = 7000;

impl Default for BlockBuilder {
    fn default() -> BlockBuilder {
        BlockBuilder {
            body: Vec::new(),
            target: TARGET_BLOCK_BYTES,
            count: 0,
            first_key: Vec::new(),
            last_key: Vec::new(),
            pack: false,
            packed_limit: None,
            last_ratio: None,
        }
    }
}

impl BlockBuilder {
    /// A builder for the blocks of `map`: packed for records, derived
    /// values and the indexes carrying records, plain for other indexes;
    /// larger for records.
    pub fn for_map(map: MapId) -> BlockBuilder {
        BlockBuilder {
            target: match map {
                MapId::Records(_) => RECORD_BLOCK_BYTES,
                // Result records, read in runs (a model's rows, a key's
                // candidates): as many blocks as the records' own, not 4×.
                MapId::Index(index) if index.carries_records() && !index.holds_claim_rows() => {
                    RECORD_BLOCK_BYTES
                }
                _ => TARGET_BLOCK_BYTES,
            },
            pack: match map {
                MapId::Records(_) | MapId::Derived => true,
                MapId::Index(index) => index.carries_records(),
                MapId::GroupCounts(_) | MapId::HistoryByWrite | MapId::HistoryById => false,
            },
            ..BlockBuilder::default()
        }
    }

    /// Appends an entry; keys must come in ascending order.
    pub fn push(&mut self, key: &[u8], value: &[u8]) {
        if self.count == 0 {
            self.first_key = key.to_vec();
        }
        let shared = self
            .last_key
            .iter()
            .zip(key)
            .take_while(|(a, b)| a == b)
            .count();
        put_varint(&mut self.body, shared as u64);
        put_varint(&mut self.body, (key.len() - shared) as u64);
        put_varint(&mut self.body, value.len() as u64);
        self.body.extend_from_slice(&key[shared..]);
        self.body.extend_from_slice(value);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.count += 1;
        self.limit_packed_size();
    }

    /// Whether the block has reached its target size.
    pub fn is_full(&self) -> bool {
        self.body.len() >= self.packed_limit.unwrap_or(self.target)
    }

    /// For a packed block that reached [`STORED_BLOCK_BYTES`] raw: how large
    /// it may grow raw to stay within that size stored, at the ratio the
    /// last block packed at (neighbouring blocks of a map pack alike; the
    /// first is packed so far to find out). Compressing each block's first
    /// 7,000 bytes for this was a third of the compressing that writing an
    /// import's blocks did. A block that then packs larger after all is
    /// cut (see [`BlockBuilder::finish`]).
    fn limit_packed_size(&mut self) {
        if !self.pack || self.packed_limit.is_some() || self.body.len() < STORED_BLOCK_BYTES {
            return;
        }
        let (raw, packed) = match self.last_ratio {
            Some(ratio) => ratio,
            None => (self.body.len(), lz4_flex::compress(&self.body).len()),
        };
        let limit = raw as u128 * STORED_BLOCK_BYTES as u128 / packed.max(1) as u128;
        self.packed_limit = Some(
            usize::try_from(limit)
                .unwrap_or(usize::MAX)
                .min(self.target),
        );
    }

    /// Returns (first key, encoded block) of the entries pushed, and resets
    /// the builder: of all of them, or, when they pack larger than a stored
    /// block may be (the last block's ratio promised more), of the first
    /// half, the rest staying in the builder. Call it until `None` to write
    /// every entry.
    pub fn finish(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        if self.count == 0 {
            return None;
        }
        let count = self.count;
        let mut entries = Vec::with_capacity(self.body.len() + 5);
        put_varint(&mut entries, self.count);
        entries.append(&mut self.body);
        self.count = 0;
        self.packed_limit = None;
        self.last_key.clear();
        let packed = if self.pack {
            lz4_flex::compress(&entries)
        } else {
            Vec::new()
        };
        if self.pack {
            self.last_ratio = Some((entries.len(), packed.len()));
        }
        if self.pack && packed.len() > CUT_ABOVE_BYTES && count > 1 {
            // Back to finding each limit by packing, until a block packs.
            self.last_ratio = None;
            if let Some(first) = self.cut_in_two(&entries) {
                return Some(first);
            }
        }
        let block = if self.pack && packed.len() + packed.len() / 9 < entries.len() {
            let mut block = Vec::with_capacity(packed.len() + 6);
            block.push(PACKED);
            put_varint(&mut block, entries.len() as u64);
            block.extend_from_slice(&packed);
            block
        } else {
            let mut block = Vec::with_capacity(entries.len() + 1);
            block.push(PLAIN);
            block.extend_from_slice(&entries);
            block
        };
        Some((std::mem::take(&mut self.first_key), block))
    }

    /// Finishes the first half of `entries` (a block's count and entries,
    /// unpacked) as a block and keeps the second half pushed; `None` if
    /// they do not read back (they always should), leaving the builder
    /// empty for the caller to store them as they are.
    fn cut_in_two(&mut self, entries: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
        let mut plain = Vec::with_capacity(entries.len() + 1);
        plain.push(PLAIN);
        plain.extend_from_slice(entries);
        let mut reader = BlockReader::new(IVec::from(plain)).ok()?;
        let mut all = Vec::new();
        while reader.advance().ok()? {
            all.push((reader.key().to_vec(), reader.value().to_vec()));
        }
        let (first, second) = all.split_at(all.len() / 2);
        for (key, value) in first {
            self.push(key, value);
        }
        // The first half may be cut again: what it keeps comes before the
        // second half.
        let block = self.finish();
        for (key, value) in second {
            self.push(key, value);
        }
        block
    }
}

/// A packed block larger than this is cut in two (see
/// [`BlockBuilder::finish`]): some slack over [`STORED_BLOCK_BYTES`], as
/// a block is cut an entry past its limit, and 17 blocks must stay under
/// sled's 128 KiB.
const CUT_ABOVE_BYTES: usize = STORED_BLOCK_BYTES + STORED_BLOCK_BYTES / 16;

/// First byte of a block: how its entries are stored.
const PLAIN: u8 = 0;
const PACKED: u8 = 1;

/// A block's entries: the stored bytes themselves, or unpacked (the first
/// so many bytes of a buffer kept from block to block).
enum Entries {
    Stored(IVec),
    Unpacked(Vec<u8>, usize),
}

impl std::ops::Deref for Entries {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Entries::Stored(bytes) => bytes,
            Entries::Unpacked(buffer, len) => &buffer[..*len],
        }
    }
}

/// Reads the entries of one encoded block in order.
pub struct BlockReader {
    bytes: Entries,
    pos: usize,
    remaining: u64,
    /// Where the first entry starts, and how many there are.
    first: (usize, u64),
    key: Vec<u8>,
    value: std::ops::Range<usize>,
}

impl BlockReader {
    /// Starts reading a block.
    pub fn new(block: IVec) -> Result<BlockReader, StoreError> {
        let mut reader = BlockReader {
            bytes: Entries::Unpacked(Vec::new(), 0),
            pos: 0,
            remaining: 0,
            first: (0, 0),
            key: Vec::new(),
            value: 0..0,
        };
        reader.read(block)?;
        Ok(reader)
    }

    /// Starts reading another block, unpacking it into the buffer the last
    /// one used: a scan unpacks thousands of blocks, and a fresh zeroed
    /// buffer for each cost a tenth of its time.
    pub fn read(&mut self, block: IVec) -> Result<(), StoreError> {
        let mut pos = 1;
        match block.first() {
            Some(&PLAIN) => self.bytes = Entries::Stored(block),
            Some(&PACKED) => {
                // LZ4 expands at most 255×: a larger size is damage, and
                // is refused before anything that size is allocated.
                let packed_len = block.len().saturating_sub(pos);
                let raw_len = get_varint(&block, &mut pos)
                    .and_then(|n| usize::try_from(n).ok())
                    .filter(|&n| n <= super::codec::DECODE_LIMIT && n <= packed_len * 255)
                    .ok_or_else(|| damaged("packed block header"))?;
                let mut buffer =
                    match std::mem::replace(&mut self.bytes, Entries::Unpacked(Vec::new(), 0)) {
                        Entries::Unpacked(buffer, _) => buffer,
                        Entries::Stored(_) => Vec::new(),
                    };
                if buffer.len() < raw_len {
                    buffer.resize(raw_len, 0);
                }
                lz4_flex::decompress_into(&block[pos..], &mut buffer[..raw_len])
                    .ok()
                    .filter(|&len| len == raw_len)
                    .ok_or_else(|| damaged("packed block"))?;
                self.bytes = Entries::Unpacked(buffer, raw_len);
                pos = 0;
            }
            _ => return Err(damaged("block encoding")),
        }
        self.remaining =
            get_varint(&self.bytes, &mut pos).ok_or_else(|| damaged("block header"))?;
        self.pos = pos;
        self.first = (pos, self.remaining);
        self.key.clear();
        self.value = 0..0;
        Ok(())
    }

    /// Goes back to before the block's first entry, without unpacking it again.
    pub fn rewind(&mut self) {
        (self.pos, self.remaining) = self.first;
        self.key.clear();
        self.value = 0..0;
    }

    /// Moves to the next entry; `false` at the end of the block.
    pub fn advance(&mut self) -> Result<bool, StoreError> {
        if self.remaining == 0 {
            return Ok(false);
        }
        self.remaining -= 1;
        let b = &self.bytes[..];
        let mut header = || get_varint(b, &mut self.pos).and_then(|n| usize::try_from(n).ok());
        let (Some(shared), Some(unshared), Some(value_len)) = (header(), header(), header()) else {
            return Err(damaged("entry header"));
        };
        let suffix_end = self.pos.checked_add(unshared).filter(|&end| end <= b.len());
        let value_end = suffix_end
            .and_then(|s| s.checked_add(value_len))
            .filter(|&end| end <= b.len());
        let (Some(suffix_end), Some(value_end)) = (suffix_end, value_end) else {
            return Err(damaged("entry runs past the end of its block"));
        };
        if shared > self.key.len() {
            return Err(damaged("entry shares more than the previous key"));
        }
        self.key.truncate(shared);
        self.key.extend_from_slice(&b[self.pos..suffix_end]);
        self.value = suffix_end..value_end;
        self.pos = value_end;
        Ok(true)
    }

    /// The current entry's key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current entry's value.
    pub fn value(&self) -> &[u8] {
        &self.bytes[self.value.clone()]
    }
}

fn damaged(what: &str) -> StoreError {
    StoreError::damaged(format!("a storage block is damaged ({what})"))
}

/// The block that would hold `key`: the one with the greatest first key ≤ `key`.
fn block_holding(tree: &Tree, map: MapId, key: &[u8]) -> Result<Option<(IVec, IVec)>, StoreError> {
    tree.range(map.prefix().to_vec()..=map.block_key(key))
        .next_back()
        .transpose()
}

/// Looks up one key.
pub fn get(tree: &Tree, map: MapId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    let Some((_, block)) = block_holding(tree, map, key)? else {
        return Ok(None);
    };
    let mut reader = BlockReader::new(block).map_err(|e| tree.locate(e))?;
    while reader.advance().map_err(|e| tree.locate(e))? {
        match reader.key().cmp(key) {
            std::cmp::Ordering::Less => continue,
            std::cmp::Ordering::Equal => return Ok(Some(reader.value().to_vec())),
            std::cmp::Ordering::Greater => break,
        }
    }
    Ok(None)
}

/// How many blocks ahead [`Cursor::seek`] looks for its target through the
/// walk's iterator before it looks the target up.
const DENSE_HOPS: usize = 2;

/// Walks a map in key order from a starting key, honouring the range rule.
///
/// Where a block ends is the first key of the next block, which may sit in
/// another sled node: reading it costs a second node read. So the cursor
/// learns it only when it must — to step past the key it was positioned
/// on. A seek to a key finds the block holding it with one lookup, and that
/// block's entries up to the key are in range by definition (the next
/// block starts after it): a sparse walk over ids reads one node per id.
pub struct Cursor {
    tree: Tree,
    map: MapId,
    current: Option<BlockReader>,
    /// The sled key of `current` (where the blocks after it start).
    current_key: Option<IVec>,
    /// Entries of `current` up to this key are in its range whatever its end.
    sure_through: Option<Vec<u8>>,
    end: BlockEnd,
    /// The blocks after `current`, opened when first needed.
    following: Option<Iter>,
    /// The block after `current`, read to learn where `current` ends.
    lookahead: Option<(IVec, IVec)>,
    start: Vec<u8>,
    /// Which blocks of the walk this cursor reads.
    deal: Deal,
    /// How many blocks the walk has stepped onto (read or dealt to another).
    walked: u64,
    /// The walk has passed the map's last entry, so every later target of
    /// [`Cursor::seek`] is past it too: seeking then costs no lookup (ids
    /// sorting after a small map's once cost a lookup and a block each).
    ended: bool,
}

/// The blocks a cursor reads: those whose number in the walk (from 0) is
/// `turn` modulo `of`. Two threads dealt alternate blocks of one map share a
/// scan evenly however its keys are spread.
#[derive(Clone, Copy, Debug)]
pub struct Deal {
    /// This cursor's turn, below `of`.
    pub turn: u64,
    /// How many cursors share the walk.
    pub of: u64,
}

impl Deal {
    /// Every block.
    pub const ALL: Deal = Deal { turn: 0, of: 1 };

    fn takes(self, block_number: u64) -> bool {
        block_number % self.of.max(1) == self.turn
    }
}

/// Where the current block's range ends.
enum BlockEnd {
    /// Not read yet.
    Unknown,
    /// At the next block's first key.
    At(Vec<u8>),
    /// It is the map's last block.
    MapEnd,
}

impl Cursor {
    /// A cursor over the entries with key ≥ `start`.
    pub fn new(tree: &Tree, map: MapId, start: &[u8]) -> Result<Cursor, StoreError> {
        let mut cursor = Cursor {
            start: start.to_vec(),
            ..Cursor::dealt(tree, map, Deal::ALL)
        };
        cursor.position(start)?;
        Ok(cursor)
    }

    /// A cursor over the blocks of the whole map dealt to it: it steps over
    /// the others reading only their keys (where the blocks it reads end),
    /// never unpacking them.
    pub fn dealt(tree: &Tree, map: MapId, deal: Deal) -> Cursor {
        Cursor {
            tree: tree.clone(),
            map,
            current: None,
            current_key: None,
            sure_through: None,
            end: BlockEnd::Unknown,
            following: None,
            lookahead: None,
            start: Vec::new(),
            deal,
            walked: 0,
            ended: false,
        }
    }

    /// The number, in the walk from the map's start, of the block the
    /// current entry is in (meaningful for a [`Cursor::dealt`] one).
    pub fn block_number(&self) -> u64 {
        self.walked.saturating_sub(1)
    }

    /// A cursor over the whole map.
    pub fn all(tree: &Tree, map: MapId) -> Result<Cursor, StoreError> {
        Cursor::new(tree, map, &[])
    }

    /// Makes the block holding `target` current (keeping the current block
    /// if that is the one): one sled lookup.
    fn position(&mut self, target: &[u8]) -> Result<(), StoreError> {
        match block_holding(&self.tree, self.map, target)? {
            Some((key, _)) if self.current.is_some() && self.current_key.as_ref() == Some(&key) => {
                // A second target in the same block: the walk is dense, so
                // learning where the block ends now saves a lookup per target.
                self.read_end()?;
            }
            Some((key, block)) => {
                self.open(block)?;
                self.current_key = Some(key);
                self.end = BlockEnd::Unknown;
                self.following = None;
                self.lookahead = None;
            }
            None => {
                // Before the first block: the walk starts at the map's start.
                self.current = None;
                self.current_key = None;
                self.end = BlockEnd::Unknown;
                self.following = None;
                self.lookahead = None;
            }
        }
        self.sure_through = Some(target.to_vec());
        Ok(())
    }

    /// Positions the cursor on the first entry with key ≥ `target` (which
    /// must not be before the current entry); `false` if there is none.
    /// Within the current block it steps; past it, it asks sled for the right
    /// block, so a sparse walk costs one lookup per target, a dense one none.
    pub fn seek(&mut self, target: &[u8]) -> Result<bool, StoreError> {
        if self.ended {
            return Ok(false);
        }
        if self.current.is_some() && self.key() >= target {
            return Ok(true);
        }
        let within = self.current.is_some()
            && match &self.end {
                BlockEnd::At(end) => target < end.as_slice(),
                BlockEnd::MapEnd => true,
                // Targets never go back, so one at or before the key the
                // block was found for is in it (a fresh cursor's first seek).
                BlockEnd::Unknown => self
                    .sure_through
                    .as_deref()
                    .is_some_and(|through| target <= through),
            };
        if !within && !self.hop_to(target)? {
            self.position(target)?;
        }
        self.start = target.to_vec();
        self.advance()
    }

    /// Like [`Cursor::seek`], for a `target` that may be before the current
    /// entry: in the current block, the block is read again from its start
    /// without unpacking it; before it, the block holding it is looked up.
    /// Ids read in an order close to ascending but not quite (evidence by
    /// `CLAIM~RESULT` names claim `c:1` after `c:10`, since `~` sorts after
    /// the digits) each cost a lookup and an unpacked block before.
    pub fn seek_back(&mut self, target: &[u8]) -> Result<bool, StoreError> {
        let in_current = self.current.is_some()
            && self
                .current_key
                .as_ref()
                .is_some_and(|key| self.map.block_first_key(key) <= target);
        match &mut self.current {
            Some(reader) if in_current => reader.rewind(),
            _ => {
                // No key says which block the reader holds: it is looked up.
                self.current_key = None;
                self.position(target)?;
            }
        }
        self.ended = false;
        self.start = target.to_vec();
        self.advance()
    }

    /// Moves to the block holding `target` when it is one of the next
    /// [`DENSE_HOPS`] blocks, through the walk's own iterator (whose next
    /// block it has already read): a dense walk of ids (an index's matches,
    /// the derived values of claims read in order) then costs one read per
    /// block, where a lookup from the top and a read of the block after
    /// cost two. Blocks hopped over are not unpacked. `false` if it is
    /// further on, or the end of the current block is not known yet: a
    /// sparse walk, whose cursor never learns it, looks each target up.
    fn hop_to(&mut self, target: &[u8]) -> Result<bool, StoreError> {
        let mut hopped = false;
        for _ in 0..DENSE_HOPS {
            if !matches!(self.end, BlockEnd::At(_)) {
                break;
            }
            let Some(block) = self.step_to_next()? else {
                break;
            };
            hopped = true;
            self.read_end()?;
            let within = match &self.end {
                BlockEnd::At(end) => target < end.as_slice(),
                BlockEnd::MapEnd => true,
                BlockEnd::Unknown => false,
            };
            if within {
                self.open(block)?;
                return Ok(true);
            }
        }
        if hopped {
            // Somewhere past the blocks hopped over: the lookup decides. The
            // reader still holds the block before them; no key says it does.
            self.current_key = None;
        }
        Ok(false)
    }

    /// Reads the block after the current one (or the map's first block, if
    /// there is no current one), which says where the current one ends.
    fn read_end(&mut self) -> Result<(), StoreError> {
        if !matches!(self.end, BlockEnd::Unknown) {
            return Ok(());
        }
        let following = match &mut self.following {
            Some(iter) => iter,
            None => {
                let from = match &self.current_key {
                    Some(key) => Bound::Excluded(key.to_vec()),
                    None => Bound::Included(self.map.prefix().to_vec()),
                };
                let to = Bound::Excluded(self.map.end().to_vec());
                self.following
                    .insert(self.tree.range::<Vec<u8>, _>((from, to)))
            }
        };
        self.lookahead = following.next().transpose()?;
        self.end = match &self.lookahead {
            Some((key, _)) => BlockEnd::At(self.map.block_first_key(key).to_vec()),
            None => BlockEnd::MapEnd,
        };
        Ok(())
    }

    fn next_block(&mut self) -> Result<bool, StoreError> {
        while let Some(block) = self.step_to_next()? {
            if self.deal.takes(self.block_number()) {
                self.open(block)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Steps the walk onto the block after the current one and returns it,
    /// unopened (the caller opens it, or steps over it); `None` past the
    /// map's last block.
    fn step_to_next(&mut self) -> Result<Option<IVec>, StoreError> {
        self.read_end()?;
        let Some((key, block)) = self.lookahead.take() else {
            return Ok(None);
        };
        self.current_key = Some(key);
        self.sure_through = None;
        self.end = BlockEnd::Unknown;
        self.walked += 1;
        Ok(Some(block))
    }

    /// Makes `block` current, reading it with the last block's reader.
    fn open(&mut self, block: IVec) -> Result<(), StoreError> {
        let opened = match &mut self.current {
            Some(reader) => reader.read(block),
            None => BlockReader::new(block).map(|reader| self.current = Some(reader)),
        };
        opened.map_err(|e| self.tree.locate(e))
    }

    /// Moves to the next entry in key order; `false` at the end of the map.
    /// Read it with [`Cursor::key`] and [`Cursor::value`].
    pub fn advance(&mut self) -> Result<bool, StoreError> {
        loop {
            let Some(reader) = self.current.as_mut() else {
                if self.next_block()? {
                    continue;
                }
                self.ended = true;
                return Ok(false);
            };
            if !reader.advance().map_err(|e| self.tree.locate(e))? {
                // Not cleared: `next_block` reads on from this block's key.
                if self.next_block()? {
                    continue;
                }
                self.current = None;
                self.ended = true;
                return Ok(false);
            }
            if !self.start.is_empty() {
                if reader.key() < self.start.as_slice() {
                    continue;
                }
                // Every later entry is past it too: no more comparing.
                self.start.clear();
            }
            let sure = self
                .sure_through
                .as_deref()
                .is_some_and(|through| reader.key() <= through);
            if !sure {
                self.read_end()?;
                if let (BlockEnd::At(end), Some(reader)) = (&self.end, &self.current)
                    && reader.key() >= end.as_slice()
                {
                    // Past this block's range: stale entries of an
                    // interrupted rewrite. The next block takes over.
                    if self.next_block()? {
                        continue;
                    }
                    self.current = None;
                    self.ended = true;
                    return Ok(false);
                }
            }
            return Ok(true);
        }
    }

    /// The current entry's key (empty before the first `advance`).
    pub fn key(&self) -> &[u8] {
        self.current.as_ref().map_or(&[], |r| r.key())
    }

    /// The current entry's value.
    pub fn value(&self) -> &[u8] {
        self.current.as_ref().map_or(&[], |r| r.value())
    }
}

/// What walks over entries call with each (key, value); `false` stops the walk.
pub type EntryVisitor<'v> = dyn FnMut(&[u8], &[u8]) -> Result<bool, StoreError> + 'v;

/// Visits a map's entries in descending key order until `visit` returns
/// `false`. Each block is decoded whole (blocks are small), honouring the
/// range rule.
pub fn scan_reverse(
    tree: &Tree,
    map: MapId,
    visit: &mut EntryVisitor<'_>,
) -> Result<(), StoreError> {
    let mut end: Option<Vec<u8>> = None;
    for item in tree.range(map.prefix().to_vec()..map.end().to_vec()).rev() {
        let (key, block) = item?;
        let mut reader = BlockReader::new(block)?;
        let mut entries = Vec::new();
        while reader.advance()? {
            if end.as_deref().is_some_and(|e| reader.key() >= e) {
                break;
            }
            entries.push((reader.key().to_vec(), reader.value().to_vec()));
        }
        for (k, v) in entries.iter().rev() {
            if !visit(k, v)? {
                return Ok(());
            }
        }
        end = Some(map.block_first_key(&key).to_vec());
    }
    Ok(())
}

/// Collects sled writes into batches of bounded size. Each batch is applied
/// atomically; a crash keeps a prefix of the batches.
///
/// A write's sink ([`BatchSink::undoable`]) also keeps, in each batch, the
/// before-image of every key that batch changes for the first time in the
/// write (see [`UndoLog`]), so that whatever prefix of batches a crash
/// keeps can be undone exactly.
///
/// A batch that fills ([`BatchSink::flush_if_full`]) is applied on a thread
/// of the sink's own while the caller builds the next: sled's insertion of
/// a batch took a third of the time of writing a claim import's derived
/// values, on one core while the other waited. sled makes every read wait
/// while it applies a batch, so the blocks of a map that was empty log
/// their before-image (none) without reading it ([`BatchSink::put_absent`]);
/// a fresh map is then written with no read at all. Batches are still
/// applied one at a time and in order, so a crash still keeps a prefix of
/// them. What the caller reads meanwhile is not what the batch in flight writes:
/// within one call of [`apply`], each group of mutations reads the blocks
/// it falls into, which no earlier group rewrote, and a before-image is
/// read the first time a write touches its key, so never after a batch
/// wrote it. [`apply`] returns once the batch in flight is applied (the
/// next call may fall into blocks this one rewrote), and
/// [`BatchSink::flush`] applies the rest too.
pub struct BatchSink<'t> {
    tree: &'t Tree,
    batch: sled::Batch,
    bytes: usize,
    /// Batches are applied once they hold this many bytes.
    limit: usize,
    undo: Option<UndoLog>,
    /// The thread applying full batches, started with the first.
    applier: Option<Applier>,
}

/// A thread applying batches in the order it is handed them, one at a time.
struct Applier {
    batches: Option<std::sync::mpsc::SyncSender<sled::Batch>>,
    results: std::sync::mpsc::Receiver<Result<(), StoreError>>,
    /// Whether a batch was handed over whose result is not taken yet.
    in_flight: bool,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Applier {
    /// A thread applying batches to `tree`; `None` if none can be started
    /// (the caller then applies them itself).
    fn start(tree: &Tree) -> Option<Applier> {
        let (batches, to_apply) = std::sync::mpsc::sync_channel::<sled::Batch>(0);
        let (report, results) = std::sync::mpsc::channel();
        let tree = tree.clone();
        let thread = std::thread::Builder::new()
            .name("evident-batches".into())
            .spawn(move || {
                for batch in to_apply {
                    let result = tree.apply_batch(batch);
                    let failed = result.is_err();
                    // After a failure nothing more is applied: the write
                    // stops at it, as it would have on the caller's thread.
                    if report.send(result).is_err() || failed {
                        break;
                    }
                }
            })
            .ok()?;
        Some(Applier {
            batches: Some(batches),
            results,
            in_flight: false,
            thread: Some(thread),
        })
    }

    /// Hands `batch` over, once the one before is applied.
    fn apply(&mut self, batch: sled::Batch) -> Result<(), StoreError> {
        self.wait()?;
        let sent = self.batches.as_ref().map(|to| to.send(batch));
        if !matches!(sent, Some(Ok(()))) {
            return Err(applier_stopped());
        }
        self.in_flight = true;
        Ok(())
    }

    /// Waits for the batch handed over last; its error, if it failed.
    fn wait(&mut self) -> Result<(), StoreError> {
        if !std::mem::take(&mut self.in_flight) {
            return Ok(());
        }
        self.results
            .recv()
            .unwrap_or_else(|_| Err(applier_stopped()))
    }
}

impl Drop for Applier {
    fn drop(&mut self) {
        // Closing the channel ends the thread once its batch is applied.
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The thread applying a write's batches ended without a result (a panic
/// outside sled's guarded calls).
fn applier_stopped() -> StoreError {
    StoreError::damaged("the thread applying the write's batches stopped".into())
}

impl<'t> BatchSink<'t> {
    /// A sink writing to `tree`.
    pub fn new(tree: &'t Tree) -> BatchSink<'t> {
        BatchSink {
            tree,
            batch: sled::Batch::default(),
            bytes: 0,
            // Small in unit tests, so that their writes take many batches
            // and a crash can be injected between any two.
            limit: if cfg!(test) { 4 * 1024 } else { 256 * 1024 },
            undo: None,
            applier: None,
        }
    }

    /// A sink for write number `seq`, keeping before-images to undo it.
    pub fn undoable(tree: &'t Tree, seq: u64) -> BatchSink<'t> {
        BatchSink {
            undo: Some(UndoLog::new(seq)),
            ..BatchSink::new(tree)
        }
    }

    /// Adds a write (`None` removes the key).
    pub fn put(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        if let Some(undo) = &mut self.undo {
            self.bytes += undo.note(self.tree, &key)?;
        }
        self.add(key, value);
        Ok(())
    }

    /// [`BatchSink::put`] of a key the tree does not hold (a block of a map
    /// that was empty when this writing of it began): its before-image,
    /// none, is logged without reading the tree, which would wait for the
    /// batch in flight.
    fn put_absent(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        if let Some(undo) = &mut self.undo {
            self.bytes += undo.note_absent(&key);
        }
        self.add(key, value);
    }

    /// Adds a write to the batch, its before-image already logged.
    fn add(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.bytes += key.len() + value.as_ref().map_or(0, Vec::len) + 16;
        match value {
            Some(v) => self.batch.insert(key, v),
            None => self.batch.remove(key),
        }
    }

    /// Logs `key`'s before-image in the undo log even where its map keeps
    /// none (see `blocks::apply`); nothing without an undo log.
    pub fn keep_image(&mut self, key: &[u8]) -> Result<(), StoreError> {
        if let Some(undo) = &mut self.undo {
            self.bytes += undo.note_image(self.tree, key)?;
        }
        Ok(())
    }

    /// Applies the batch if it is large enough, on the sink's thread while
    /// the caller goes on. Call only where a crash between this batch and
    /// the next leaves the maps valid.
    pub fn flush_if_full(&mut self) -> Result<(), StoreError> {
        if self.bytes < self.limit {
            return Ok(());
        }
        if self.applier.is_none() {
            self.applier = Applier::start(self.tree);
        }
        // A failed batch in flight ends the write before the next is sealed.
        self.settle()?;
        let batch = self.seal()?;
        match &mut self.applier {
            Some(applier) => applier.apply(batch),
            None => self.tree.apply_batch(batch),
        }
    }

    /// Waits for the batch in flight, if any, leaving what is collected.
    pub fn settle(&mut self) -> Result<(), StoreError> {
        match &mut self.applier {
            Some(applier) => applier.wait(),
            None => Ok(()),
        }
    }

    /// Applies whatever has been collected, after the batch in flight.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        self.settle()?;
        if self.bytes > 0 {
            let batch = self.seal()?;
            self.tree.apply_batch(batch)?;
        }
        Ok(())
    }

    /// The collected batch, with its undo entries, ready to apply.
    fn seal(&mut self) -> Result<sled::Batch, StoreError> {
        if let Some(undo) = &mut self.undo {
            undo.seal(&mut self.batch);
        }
        #[cfg(test)]
        crash::before_batch()?;
        self.bytes = 0;
        Ok(std::mem::take(&mut self.batch))
    }

    /// Ends the write: applies what is collected, then, in one batch,
    /// `last` (counters, the log header), the removal of the undo entries
    /// and of the pending marker. From then on the write is done.
    pub fn commit(&mut self, last: Vec<Mutation>) -> Result<(), StoreError> {
        self.flush()?;
        let undo = self.undo.take();
        for (key, value) in last {
            self.put(key, value)?;
        }
        if let Some(undo) = undo {
            for key in undo.keys() {
                self.put(key, None)?;
            }
        }
        self.put(keys::META_PENDING.to_vec(), None)?;
        self.flush()
    }
}

/// A crash injected between batches, for the unit tests of recovery.
#[cfg(test)]
pub mod crash {
    use super::StoreError;
    use std::cell::Cell;

    thread_local! {
        /// Batches this thread may still apply; `None`: no limit.
        static BATCHES_LEFT: Cell<Option<u64>> = const { Cell::new(None) };
        static APPLIED: Cell<u64> = const { Cell::new(0) };
    }

    /// Lets `n` more batches through (`None`: all), then fails every one.
    pub fn allow(n: Option<u64>) {
        BATCHES_LEFT.with(|b| b.set(n));
        APPLIED.with(|a| a.set(0));
    }

    /// Batches applied since the last [`allow`].
    pub fn applied() -> u64 {
        APPLIED.with(Cell::get)
    }

    pub(super) fn before_batch() -> Result<(), StoreError> {
        match BATCHES_LEFT.with(Cell::get) {
            Some(0) => Err(StoreError::damaged("a crash injected by a test".into())),
            left => {
                BATCHES_LEFT.with(|b| b.set(left.map(|n| n - 1)));
                APPLIED.with(|a| a.set(a.get() + 1));
                Ok(())
            }
        }
    }
}

/// One change to a map: set `key` to the value, or remove it (`None`).
pub type Mutation = (Vec<u8>, Option<Vec<u8>>);

/// Applies mutations, sorted by key with no key twice, to a map.
///
/// Each existing block the mutations fall into is read once, merged with
/// its mutations and cut into new blocks. Chunks are written as they fill,
/// the chunk under the old block's key last (see the range rule above), so
/// memory stays bounded however many mutations fall into one block — as
/// when a bulk import fills an empty map.
pub fn apply(
    tree: &Tree,
    map: MapId,
    mutations: impl IntoIterator<Item = Result<Mutation, StoreError>>,
    sink: &mut BatchSink<'_>,
) -> Result<(), StoreError> {
    let mut mutations = mutations.into_iter().peekable();
    loop {
        let first = match mutations.peek() {
            // The next call may read blocks this one wrote: none in flight.
            None => return sink.settle(),
            Some(Err(_)) => return mutations.next().map_or(Ok(()), |m| m.map(drop)),
            Some(Ok((key, _))) => key.clone(),
        };
        // The old block this group rewrites: the one holding `first`, else
        // the map's first block (when `first` sorts before every block).
        let old = match block_holding(tree, map, &first)? {
            Some(found) => Some(found),
            None => tree
                .range(map.prefix().to_vec()..map.end().to_vec())
                .next()
                .transpose()?,
        };
        let old_key = old.as_ref().map(|(k, _)| map.block_first_key(k).to_vec());
        // An empty map: every block this group writes is new (and, with no
        // old block, the group runs to the last mutation).
        let map_was_empty = old.is_none();
        let upper = match &old {
            Some((k, _)) => tree
                .range::<&[u8], _>((Bound::Excluded(&k[..]), Bound::Excluded(&map.end()[..])))
                .next()
                .transpose()?
                .map(|(k, _)| map.block_first_key(&k).to_vec()),
            None => None,
        };
        let mut existing = match old {
            Some((_, block)) => Some(BlockReader::new(block)?),
            None => None,
        };
        let mut has_existing = match existing.as_mut() {
            Some(r) => r.advance()?,
            None => false,
        };

        let mut builder = BlockBuilder::for_map(map);
        // The first chunk at or after the old block's key goes under that key
        // and is written last; see the range rule.
        let mut under_old_key: Option<Vec<u8>> = None;
        let mut old_key_taken = false;
        // A map whose blocks keep no before-images (the status log by
        // record: `keys::restored_by_rollback`) keeps them for a rewrite
        // with two chunks or more past the old key: the range rule holds at
        // every crash for one, but a crash after the first of two would
        // leave the old block's entries past the second in no block. So the
        // first such chunk waits in `held` until the group ends or a second
        // comes; from the second on, the old block's image and each chunk's
        // (none: a rollback removes it) go with them.
        let keeps_images = keys::restored_by_rollback(&map.prefix());
        let mut held: Option<(Vec<u8>, Vec<u8>)> = None;
        let mut imaged = false;
        // Writes what the builder holds: a block, or more when it cuts one.
        let mut emit =
            |builder: &mut BlockBuilder, sink: &mut BatchSink<'_>| -> Result<(), StoreError> {
                while let Some((first_key, block)) = builder.finish() {
                    let key = map.block_key(&first_key);
                    match &old_key {
                        Some(old) if !old_key_taken && first_key >= *old => {
                            under_old_key = Some(block);
                            old_key_taken = true;
                            continue;
                        }
                        // Past the old key, in a map that keeps no images.
                        Some(old) if !keeps_images && old_key_taken => {
                            if !imaged {
                                let Some(first) = held.take() else {
                                    held = Some((key, block));
                                    continue;
                                };
                                imaged = true;
                                sink.keep_image(&map.block_key(old))?;
                                sink.keep_image(&first.0)?;
                                sink.put(first.0, Some(first.1))?;
                            }
                            sink.keep_image(&key)?;
                        }
                        _ => {}
                    }
                    match map_was_empty {
                        true => sink.put_absent(key, Some(block)),
                        false => sink.put(key, Some(block))?,
                    }
                    sink.flush_if_full()?;
                }
                Ok(())
            };

        loop {
            let in_range = |k: &[u8]| upper.as_deref().is_none_or(|u| k < u);
            let next_mutation = match mutations.peek() {
                Some(Ok((k, _))) if in_range(k) => Some(k.as_slice()),
                _ => None,
            };
            let existing_key = match (&existing, has_existing) {
                (Some(r), true) if in_range(r.key()) => Some(r.key()),
                _ => None,
            };
            let take_mutation = match (existing_key, next_mutation) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(e), Some(m)) => m <= e,
            };
            let (key, value, skip_existing) = if take_mutation {
                let Some(Ok((key, value))) = mutations.next() else {
                    break;
                };
                let same = existing_key == Some(key.as_slice());
                (key, value, same)
            } else {
                let r = existing.as_ref().ok_or_else(|| damaged("merge"))?;
                (r.key().to_vec(), Some(r.value().to_vec()), true)
            };
            if skip_existing {
                has_existing = match existing.as_mut() {
                    Some(r) => r.advance()?,
                    None => false,
                };
            }
            let Some(value) = value else { continue };
            // No chunk straddles the old key, so the chunk under it starts there.
            let crosses_old_key = old_key.as_deref().is_some_and(|old| {
                builder.count > 0 && builder.first_key.as_slice() < old && key.as_slice() >= old
            });
            if builder.is_full() || crosses_old_key {
                emit(&mut builder, sink)?;
            }
            builder.push(&key, &value);
        }
        emit(&mut builder, sink)?;
        // The one chunk past the old key, if only one came: no image needed.
        if let Some((key, block)) = held.take() {
            sink.put(key, Some(block))?;
        }
        if let Some(old_key) = &old_key {
            sink.put(map.block_key(old_key), under_old_key.take())?;
        }
        sink.flush_if_full()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    const MAP: MapId = MapId::Derived;

    fn temporary_tree() -> Tree {
        Tree::new(
            sled::Config::new().temporary(true).open().expect("opens"),
            Path::new("test"),
        )
    }

    /// Full batches go to the sink's thread one at a time and in order: a
    /// key put in many batches ends with its last value, and a crash after
    /// `n` batches leaves exactly what those `n` wrote.
    #[test]
    fn batches_applied_on_the_sink_thread_keep_their_order() {
        let value = |round: u32| vec![u8::try_from(round % 251).expect("fits"); 600];
        let write = |tree: &Tree, rounds: u32| -> Result<(), StoreError> {
            let mut sink = BatchSink::new(tree);
            for round in 0..rounds {
                for key in 0u32..8 {
                    sink.put(key.to_be_bytes().to_vec(), Some(value(round)))?;
                }
                sink.put(format!("round {round:03}").into_bytes(), Some(vec![1]))?;
                sink.flush_if_full()?;
            }
            sink.flush()
        };
        let tree = temporary_tree();
        write(&tree, 40).expect("writes");
        for key in 0u32..8 {
            let stored = tree.get(key.to_be_bytes()).expect("reads");
            assert_eq!(stored.as_deref(), Some(&value(39)[..]));
        }

        let tree = temporary_tree();
        crash::allow(Some(3));
        let crashed = write(&tree, 40);
        let applied = crash::applied();
        crash::allow(None);
        assert!(crashed.is_err(), "the fourth batch fails");
        assert_eq!(applied, 3);
        // Each batch holds whole rounds: the last round applied is the one
        // whose values the keys hold, and no later round is there.
        let rounds: Vec<u32> = tree
            .range(b"round ".to_vec()..b"round~".to_vec())
            .map(|item| {
                let (key, _) = item.expect("reads");
                std::str::from_utf8(&key[6..])
                    .expect("utf-8")
                    .parse()
                    .expect("number")
            })
            .collect();
        let last = *rounds.last().expect("some rounds applied");
        assert_eq!(rounds, (0..=last).collect::<Vec<_>>());
        assert!(last < 39);
        let stored = tree.get(0u32.to_be_bytes()).expect("reads");
        assert_eq!(stored.as_deref(), Some(&value(last)[..]));
    }

    /// Blocks of records that hardly compress are cut small enough that 17
    /// of them make a node under sled's 128 KiB; records that compress well
    /// still fill the record size raw; and records that stop compressing,
    /// whose block is limited by the last block's ratio, are cut again
    /// after packing, losing and reordering nothing.
    #[test]
    fn packed_blocks_stay_within_their_stored_size() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect()
        };
        for (compressible_below, noisy_below) in [(0, 2000), (2000, 2000), (1000, 2000)] {
            let mut builder = BlockBuilder::for_map(MapId::Records(crate::model::Kind::Claim));
            let mut blocks = Vec::new();
            let mut pushed = Vec::new();
            for i in 0..noisy_below {
                let value = match i < compressible_below {
                    true => format!("the claim number {} of the same text", i % 7).into_bytes(),
                    false => noise(300),
                };
                let key = format!("c{i:06}").into_bytes();
                if builder.is_full() {
                    while let Some((_, block)) = builder.finish() {
                        blocks.push(block);
                    }
                }
                builder.push(&key, &value);
                pushed.push((key, value));
            }
            let full_blocks = blocks.len();
            while let Some((_, block)) = builder.finish() {
                blocks.push(block);
            }
            assert!(blocks.len() > 2, "{} blocks", blocks.len());
            let mut read = Vec::new();
            for (n, block) in blocks.iter().enumerate() {
                // One entry past the limit at most, or cut.
                assert!(
                    block.len() <= CUT_ABOVE_BYTES,
                    "{} bytes stored",
                    block.len()
                );
                if compressible_below == noisy_below && n < full_blocks {
                    let mut pos = 1;
                    let raw = get_varint(block, &mut pos).expect("a packed block's size");
                    assert_eq!(block[0], PACKED);
                    assert!(raw as usize >= RECORD_BLOCK_BYTES, "{raw} bytes raw");
                }
                let mut reader = BlockReader::new(IVec::from(block.clone())).expect("reads");
                while reader.advance().expect("reads") {
                    read.push((reader.key().to_vec(), reader.value().to_vec()));
                }
            }
            assert!(read == pushed, "every entry, once, in order");
        }
    }

    /// Stores blocks as given (first key, entries), entries past a block's
    /// range included, as an interrupted rewrite leaves them; returns what
    /// the range rule says the map holds.
    fn store_blocks(tree: &Tree, blocks: &[(u8, Vec<u8>)]) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut firsts: Vec<u8> = blocks.iter().map(|(f, _)| *f).collect();
        firsts.sort_unstable();
        firsts.dedup();
        let mut model = BTreeMap::new();
        for (first, extra) in blocks {
            let mut keys: Vec<u8> = extra.iter().copied().filter(|k| k >= first).collect();
            keys.push(*first);
            keys.sort_unstable();
            keys.dedup();
            let end = firsts.iter().copied().find(|f| f > first);
            let mut builder = BlockBuilder::default();
            for k in &keys {
                // The value names its block, so a stale entry shows.
                builder.push(&[*k], &[*first, *k]);
                if end.is_none_or(|e| *k < e) {
                    model.insert(vec![*k], vec![*first, *k]);
                }
            }
            let (key, block) = builder.finish().expect("not empty");
            tree.insert(&MAP.block_key(&key), &block).expect("inserts");
        }
        model
    }

    fn walk_from(cursor: &mut Cursor) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        while cursor.advance().expect("advances") {
            out.push((cursor.key().to_vec(), cursor.value().to_vec()));
        }
        out
    }

    proptest! {
        /// Damaged bytes are an error, never a panic or a huge allocation:
        /// random blocks, and real ones (plain and packed) with a byte changed.
        #[test]
        fn damaged_blocks_are_errors(
            noise in proptest::collection::vec(any::<u8>(), 0..64),
            entries in 1usize..200,
            at in any::<usize>(),
            byte in any::<u8>(),
        ) {
            let read_all = |bytes: Vec<u8>| -> Result<usize, StoreError> {
                let mut reader = BlockReader::new(IVec::from(bytes))?;
                let mut n = 0;
                while reader.advance()? {
                    n += 1;
                }
                Ok(n)
            };
            let _ = read_all(noise.clone());
            let _ = read_all([vec![PACKED], noise].concat());
            let mut builder = BlockBuilder::for_map(MapId::Records(crate::model::Kind::Result));
            for i in 0..entries {
                builder.push(format!("key{i:05}").as_bytes(), b"a value that repeats, repeats");
            }
            let (_, block) = builder.finish().expect("not empty");
            prop_assert!(entries < 20 || block[0] == PACKED, "repetitive entries are packed");
            prop_assert_eq!(read_all(block.clone()).ok(), Some(entries));
            let mut damaged = block;
            let i = at % damaged.len();
            damaged[i] ^= byte | 1;
            let _ = read_all(damaged);
        }

        /// Cursors, seeks and gets see exactly the entries inside each
        /// block's range, however blocks overlap.
        #[test]
        fn the_range_rule_holds_for_every_way_of_reading(
            // Unique first keys (one sled key each), with extra entries.
            blocks in proptest::collection::btree_map(
                1u8..40,
                proptest::collection::vec(0u8..45, 0..6),
                1..6,
            ),
            starts in proptest::collection::vec(0u8..45, 1..4),
            mut seeks in proptest::collection::vec(0u8..45, 0..8),
            any_order in proptest::collection::vec(0u8..45, 0..16),
        ) {
            let blocks: Vec<(u8, Vec<u8>)> = blocks.into_iter().collect();
            let db = Tree::new(
                sled::Config::new().temporary(true).open().expect("opens"),
                Path::new("test"),
            );
            let model = store_blocks(&db, &blocks);
            for start in starts {
                let mut cursor = Cursor::new(&db, MAP, &[start]).expect("cursor");
                let expected: Vec<(Vec<u8>, Vec<u8>)> = model
                    .range(vec![start]..)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(walk_from(&mut cursor), expected);
            }
            for k in 0u8..45 {
                prop_assert_eq!(get(&db, MAP, &[k]).expect("gets"), model.get(&vec![k]).cloned());
            }
            seeks.sort_unstable();
            let mut cursor = Cursor::all(&db, MAP).expect("cursor");
            for target in seeks {
                let found = cursor.seek(&[target]).expect("seeks");
                let expected = model.range(vec![target]..).next();
                prop_assert_eq!(found, expected.is_some());
                if let Some((k, v)) = expected {
                    prop_assert_eq!(cursor.key(), k.as_slice());
                    prop_assert_eq!(cursor.value(), v.as_slice());
                }
            }
            // Targets in any order: back with `seek_back`, on with `seek`
            // (which hops through the blocks after the current one).
            let mut cursor = Cursor::all(&db, MAP).expect("cursor");
            let mut last = None;
            for target in any_order {
                let found = match last {
                    Some(last) if target < last => cursor.seek_back(&[target]),
                    _ => cursor.seek(&[target]),
                }
                .expect("seeks");
                last = Some(target);
                let expected = model.range(vec![target]..).next();
                prop_assert_eq!(found, expected.is_some(), "target {}", target);
                if let Some((k, v)) = expected {
                    prop_assert_eq!(cursor.key(), k.as_slice());
                    prop_assert_eq!(cursor.value(), v.as_slice());
                }
            }
        }
    }
}
