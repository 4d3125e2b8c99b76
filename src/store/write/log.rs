//! The log: each write's header and before-images, listing it; the undo
//! log of the write in progress, and undoing a write a crash interrupted.

use crate::store::blocks::{BatchSink, BlockBuilder, Mutation};
use crate::store::codec::{get_varint, put_varint};
use crate::store::guard::Tree;
use crate::store::{Store, StoreError, codec, keys};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// The header of one logged write (part 0 of its log entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// When it was recorded, milliseconds since the Unix epoch.
    pub recorded_ms: u64,
    /// What was done (`import liar2.jsonl`, `add claim c7`).
    pub action: String,
    /// How many records it changed.
    pub changes: u64,
}

/// The before-images a running write keeps so that a crash can be undone.
///
/// Every key the write changes (through its [`BatchSink`]) is read just
/// before its first change, and its value then — or its absence — goes
/// into the undo log in the same atomic batch as the change. Whatever
/// prefix of the write's batches a crash keeps, the undo log holds the
/// value before the write of every key it changed, and only of those.
/// Undoing is putting those values back: it derives nothing from what is
/// stored, so a rollback killed at any point and run again, any number of
/// times, ends in the same state, the one before the write. It covers every
/// map and every key a write touches, whatever it is for, but one: a block
/// of the status log by record gets an image only when the write cuts it
/// into two chunks or more past its key (`blocks::apply`); the rollback
/// first takes the write's entries out of that map by their seq
/// (`Store::remove_history_by_id`).
///
/// The log is one stream of images, `{ key_len:varint key (0 | 1
/// value_len:varint value) }`, cut into chunks of at most
/// [`UNDO_CHUNK_BYTES`] stored as `U seq n` with the top bit of `n` set;
/// each batch's chunks end on an image boundary, so the chunks a crash
/// keeps hold whole images. (An earlier evident stored whole entries,
/// `count:varint` then images, numbered from 0; recovery reads both.)
pub(crate) struct UndoLog {
    seq: u64,
    /// The keys whose before-images are logged.
    logged: HashSet<Vec<u8>>,
    /// The images for the batch being collected.
    images: Vec<u8>,
    /// How many chunks are written.
    chunks: u32,
}

/// The most bytes of the undo stream one sled value holds. sled 0.34 keeps
/// a node of up to 17 values in its log only while the node is under a
/// quarter of a segment (128 KiB); a larger one goes to a file in `blobs/`,
/// which sled does not delete when a short-lived process ends before the
/// segment that replaced it is closed (sled issue #786). The undo log is
/// written and removed by every write, so chunks this small keep its nodes
/// out of `blobs/`, where they would pile up by the gigabyte.
const UNDO_CHUNK_BYTES: usize = 4 * 1024;

/// The bit that marks a chunk's number in its key (see [`UndoLog`]).
const CHUNK_BIT: u32 = 1 << 31;

impl UndoLog {
    pub(crate) fn new(seq: u64) -> UndoLog {
        UndoLog {
            seq,
            logged: HashSet::new(),
            images: Vec::new(),
            chunks: 0,
        }
    }

    /// Logs the value `key` has before the write, if the write has not
    /// changed it yet; returns the bytes that adds to the batch.
    pub(crate) fn note(&mut self, tree: &Tree, key: &[u8]) -> Result<usize, StoreError> {
        if !keys::restored_by_rollback(key) {
            return Ok(0);
        }
        self.note_image(tree, key)
    }

    /// Logs the value `key` has before the write, if the write has not
    /// changed it yet, whatever its map: for a block of a map that keeps no
    /// before-images, where one is needed after all (see `blocks::apply`).
    pub(crate) fn note_image(&mut self, tree: &Tree, key: &[u8]) -> Result<usize, StoreError> {
        if self.logged.contains(key) {
            return Ok(0);
        }
        let before = tree.get(key)?;
        Ok(self.log_image(key, before.as_deref()))
    }

    /// [`UndoLog::note`] for a key the caller knows the tree does not hold
    /// (a block of a map that was empty when its writing began): nothing
    /// is read.
    pub(crate) fn note_absent(&mut self, key: &[u8]) -> usize {
        if !keys::restored_by_rollback(key) || self.logged.contains(key) {
            return 0;
        }
        self.log_image(key, None)
    }

    /// Logs `before` as `key`'s value before the write; its size.
    fn log_image(&mut self, key: &[u8], before: Option<&[u8]>) -> usize {
        let start = self.images.len();
        put_varint(&mut self.images, key.len() as u64);
        self.images.extend_from_slice(key);
        match before {
            None => self.images.push(0),
            Some(value) => {
                self.images.push(1);
                put_varint(&mut self.images, value.len() as u64);
                self.images.extend_from_slice(value);
            }
        }
        self.logged.insert(key.to_vec());
        self.images.len() - start
    }

    /// Adds the images collected, in chunks, to `batch`, the batch that
    /// changes their keys. The write's first batch always gets a chunk
    /// (empty or not), so a pending marker without one is a write of an
    /// evident that kept no undo log.
    pub(crate) fn seal(&mut self, batch: &mut sled::Batch) {
        if self.images.is_empty() && self.chunks > 0 {
            return;
        }
        let images = std::mem::take(&mut self.images);
        let pieces: Vec<&[u8]> = match images.is_empty() {
            true => vec![&[]],
            false => images.chunks(UNDO_CHUNK_BYTES).collect(),
        };
        for piece in pieces {
            batch.insert(self.chunk_key(self.chunks), piece.to_vec());
            self.chunks += 1;
        }
    }

    fn chunk_key(&self, n: u32) -> Vec<u8> {
        keys::undo_key(self.seq, CHUNK_BIT | n)
    }

    /// The keys of the chunks written so far.
    pub(crate) fn keys(&self) -> impl Iterator<Item = Vec<u8>> + '_ {
        (0..self.chunks).map(|n| self.chunk_key(n))
    }
}

fn damaged_undo() -> StoreError {
    StoreError::damaged("the undo log of an interrupted write".into())
}

/// The image that starts at `pos` in `bytes`, and where the next starts;
/// `None` where `bytes` ends first.
fn next_image(bytes: &[u8], pos: usize) -> Result<Option<(Mutation, usize)>, StoreError> {
    let mut pos = pos;
    let take = |pos: &mut usize| -> Option<Vec<u8>> {
        let len = usize::try_from(get_varint(bytes, pos)?).ok()?;
        let out = bytes.get(*pos..pos.checked_add(len)?)?.to_vec();
        *pos += len;
        Some(out)
    };
    let Some(key) = take(&mut pos) else {
        return Ok(None);
    };
    let Some(&tag) = bytes.get(pos) else {
        return Ok(None);
    };
    pos += 1;
    let before = match tag {
        0 => None,
        1 => match take(&mut pos) {
            Some(value) => Some(value),
            None => return Ok(None),
        },
        _ => return Err(damaged_undo()),
    };
    Ok(Some(((key, before), pos)))
}

/// The (key, value before the write) pairs of one whole entry, as an
/// earlier evident wrote them.
fn decode_undo(entry: &[u8]) -> Result<Vec<Mutation>, StoreError> {
    let mut pos = 0;
    let count = get_varint(entry, &mut pos).ok_or_else(damaged_undo)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let (image, next) = next_image(entry, pos)?.ok_or_else(damaged_undo)?;
        out.push(image);
        pos = next;
    }
    if pos != entry.len() {
        return Err(damaged_undo());
    }
    Ok(out)
}

/// The undo stream read chunk by chunk, holding only the part of an image
/// that a chunk's end cut.
#[derive(Default)]
struct UndoStream {
    cut: Vec<u8>,
}

impl UndoStream {
    /// The whole images that `chunk` completes.
    fn read(&mut self, chunk: &[u8]) -> Result<Vec<Mutation>, StoreError> {
        self.cut.extend_from_slice(chunk);
        let mut pos = 0;
        let mut out = Vec::new();
        while let Some((image, next)) = next_image(&self.cut, pos)? {
            out.push(image);
            pos = next;
        }
        self.cut.drain(..pos);
        Ok(out)
    }

    /// Every batch ends on an image boundary, so the stream does too.
    fn finish(self) -> Result<(), StoreError> {
        match self.cut.is_empty() {
            true => Ok(()),
            false => Err(damaged_undo()),
        }
    }
}

/// Whether an undo key is a chunk of the stream (not a whole entry).
fn is_chunk(key: &[u8]) -> bool {
    key.last_chunk::<4>()
        .is_some_and(|n| u32::from_be_bytes(*n) & CHUNK_BIT != 0)
}

impl Store {
    /// Undoes a write interrupted by a crash, if the last one was: puts
    /// back the value before the write of every key it changed (see
    /// [`UndoLog`]), then, in one batch, removes the undo entries and the
    /// pending marker. Killed half way, it is simply run again on the next
    /// open, with the same result.
    pub(in crate::store) fn recover(&self) -> Result<(), StoreError> {
        let tree = self.tree();
        let Some(seq) = tree.get(keys::META_PENDING)? else {
            return Ok(());
        };
        let seq = <[u8; 8]>::try_from(seq.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::damaged("the pending-write marker".into()))?;
        self.remove_history_by_id(seq)?;
        let undo = keys::undo_key(seq, 0)..keys::undo_end(seq);
        let mut sink = BatchSink::new(tree);
        let mut entries = Vec::new();
        let mut stream = UndoStream::default();
        for entry in tree.range(undo.clone()) {
            let (key, entry) = entry?;
            let images = match is_chunk(&key) {
                true => stream.read(&entry),
                false => decode_undo(&entry),
            };
            for (key, before) in images.map_err(|e| tree.locate(e))? {
                sink.put(key, before)?;
                sink.flush_if_full()?;
            }
            entries.push(key.to_vec());
        }
        stream.finish().map_err(|e| tree.locate(e))?;
        if entries.is_empty() {
            return Err(StoreError::damaged(format!(
                "write {seq} was interrupted, and was made by an earlier evident that kept \
                 no undo log; open the database once with that version to roll it back"
            ))
            .located(self.path()));
        }
        sink.flush()?;
        for key in entries {
            sink.put(key, None)?;
        }
        sink.put(keys::META_PENDING.to_vec(), None)?;
        sink.flush()?;
        self.flush()
    }

    pub(in crate::store) fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(match self.tree().get(keys::META_NEXT_SEQ)? {
            Some(v) => <[u8; 8]>::try_from(v.as_ref())
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::damaged("sequence number".into()))?,
            None => 1,
        })
    }

    /// Every logged write, oldest first.
    pub fn log(&self) -> Result<Vec<LogEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree().scan_prefix([keys::LOG]) {
            let (key, value) = item?;
            if keys::log_header_seq(&key).is_some() {
                out.push(codec::decode(&value, "log entry")?);
            }
        }
        Ok(out)
    }
}

pub(super) fn write_log_part(
    sink: &mut BatchSink<'_>,
    seq: u64,
    part: &mut u32,
    builder: &mut BlockBuilder,
) -> Result<(), StoreError> {
    while let Some((_, block)) = builder.finish() {
        sink.put(keys::log_key(seq, *part), Some(block))?;
        *part += 1;
        sink.flush_if_full()?;
    }
    Ok(())
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use crate::Database;
    use crate::store::blocks::crash;
    use std::path::Path;

    fn data(claims: usize, revised: bool) -> String {
        let mut out = String::new();
        if !revised {
            for s in 0..20 {
                out += &format!(
                    r#"{{"type":"source","id":"s{s}","title":"source {s}","kind":"k{}","reliability":0.{}}}"#,
                    s % 3,
                    s % 9 + 1
                );
                out.push('\n');
            }
        }
        for c in 0..claims {
            let subject = if revised {
                format!("R{}", c % 5)
            } else {
                format!("S{}", c % 7)
            };
            out += &format!(
                r#"{{"type":"claim","id":"c{c}","text":"claim {c} {revised}","subject":"{subject}","tags":["t{}"]}}"#,
                c % 3
            );
            out.push('\n');
            out += &format!(
                r#"{{"type":"evidence","id":"e{c}-{revised}","claim":"c{c}","source":"s{}","stance":"{}"}}"#,
                c % 20,
                if c % 3 == 0 { "refutes" } else { "supports" }
            );
            out.push('\n');
        }
        out
    }

    /// A database of `claims` claims (see `data`) made in `dir`, and its
    /// export: the state crashed writes must come back to.
    fn template(dir: &Path, claims: usize) -> (std::path::PathBuf, String) {
        let path = dir.join("template");
        {
            let db = Database::open(&path).expect("opens");
            db.import_jsonl(data(claims, false).as_bytes())
                .expect("imports");
        }
        let before = export(&path);
        (path, before)
    }

    fn export(path: &Path) -> String {
        let db = Database::open_existing(path).expect("opens");
        let report = db.check().expect("checks");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let mut out = Vec::new();
        db.export_jsonl(&mut out).expect("exports");
        String::from_utf8(out).expect("utf-8")
    }

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("lists").flatten() {
            if entry.file_type().expect("type").is_dir() {
                copy(&entry.path(), &to.join(entry.file_name()));
            } else {
                std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copies");
            }
        }
    }

    /// Every undo chunk a crashed write left is within the size that keeps
    /// sled's nodes out of `blobs/`.
    fn undo_chunks_are_small(path: &Path) {
        let tree = sled::Config::new().path(path).open().expect("sled opens");
        for item in tree.scan_prefix([crate::store::keys::UNDO]) {
            let (key, value) = item.expect("reads");
            assert!(super::is_chunk(&key), "{key:?} is not a chunk");
            assert!(
                value.len() <= super::UNDO_CHUNK_BYTES,
                "{} bytes",
                value.len()
            );
        }
    }

    /// An interrupted write of an earlier evident, whose undo log is whole
    /// entries numbered from 0, is still undone.
    #[test]
    fn an_undo_entry_of_an_earlier_evident_is_undone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (path, before) = template(dir.path(), 5);
        {
            let tree = sled::Config::new().path(&path).open().expect("sled opens");
            let seq = 99u64;
            // The entry puts back a key the "write" changed and removes
            // one it added: `count` then the two images.
            let changed = tree
                .scan_prefix([crate::store::keys::BLOCK])
                .next()
                .expect("a block")
                .expect("reads");
            let added = b"Bzzz-added".to_vec();
            let mut entry = Vec::new();
            crate::store::codec::put_varint(&mut entry, 2);
            crate::store::codec::put_varint(&mut entry, changed.0.len() as u64);
            entry.extend_from_slice(&changed.0);
            entry.push(1);
            crate::store::codec::put_varint(&mut entry, changed.1.len() as u64);
            entry.extend_from_slice(&changed.1);
            crate::store::codec::put_varint(&mut entry, added.len() as u64);
            entry.extend_from_slice(&added);
            entry.push(0);
            tree.insert(crate::store::keys::undo_key(seq, 0), entry)
                .expect("writes");
            tree.insert(changed.0.clone(), b"garbage".to_vec())
                .expect("writes");
            tree.insert(added, b"more garbage".to_vec())
                .expect("writes");
            tree.insert(crate::store::keys::META_PENDING, &seq.to_be_bytes())
                .expect("writes");
            tree.flush().expect("flushes");
        }
        assert_eq!(export(&path), before);
    }

    /// A write crashed after each of its batches in turn, then its undoing
    /// crashed after each of its own batches, again and again: every time
    /// the database ends as before the write (or after it, had it
    /// finished), and passes `check`. The undo log makes the rollback put
    /// back recorded values, so a rollback of a rollback changes nothing.
    /// Two writes: 100 claims revised among 150, and 300 new ones among 3,
    /// whose entries in the status log by record cut one old block (that
    /// map keeps few before-images) into many chunks; without the old
    /// block's image there, a crash after its second chunk left old entries
    /// in no block (found in review).
    #[test]
    fn a_crash_anywhere_in_a_write_or_its_undoing_leaves_before_or_after() {
        for (stored, update) in [(150, data(100, true)), (3, data(300, false))] {
            crash_everywhere(stored, &update);
        }
    }

    fn crash_everywhere(stored: usize, update: &str) {
        let dir = tempfile::tempdir().expect("temp dir");
        let (template, before) = template(dir.path(), stored);
        let after = {
            let path = dir.path().join("after");
            copy(&template, &path);
            let db = Database::open_existing(&path).expect("opens");
            crash::allow(None);
            db.import_jsonl(update.as_bytes()).expect("imports");
            let batches = crash::applied();
            drop(db);
            assert!(batches > 10, "{batches} batches: too few to test much");
            (export(&path), batches)
        };
        let (after, batches) = after;
        assert_ne!(before, after);
        for crash_at in 0..batches {
            let path = dir.path().join(format!("crash{crash_at}"));
            copy(&template, &path);
            {
                let db = Database::open_existing(&path).expect("opens");
                crash::allow(Some(crash_at));
                assert!(db.import_jsonl(update.as_bytes()).is_err());
            }
            undo_chunks_are_small(&path);
            // Three undoings crash, after fewer batches each time (the
            // last before its first); then one runs to the end.
            for limit in [Some(crash_at % 7 + 2), Some(1), Some(0), None] {
                crash::allow(limit);
                let opened = Database::open_existing(&path);
                crash::allow(None);
                match opened {
                    Ok(_) => break,
                    Err(e) => assert!(limit.is_some(), "{e}"),
                }
            }
            let now = export(&path);
            assert!(
                now == before,
                "a crash after batch {crash_at} of {batches} was not undone exactly"
            );
            std::fs::remove_dir_all(&path).expect("removes");
        }
    }
}
