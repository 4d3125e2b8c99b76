//! Sorting a write's mutations in bounded memory.
//!
//! A write rewrites each map once, in key order, so its mutations must be
//! sorted first — for a million-claim import, some ten million index
//! entries, records and rows: far more than the import may hold in memory.
//! The [`Sorter`] keeps up to a budget of them, and when that fills
//! sorts them and writes them out as a *run* to a temporary file in the
//! database directory; reading them back merges the runs. A write that fits
//! the budget never touches a file.
//!
//! For one key the mutation pushed last wins (an entry removed and added
//! again stays): within a run because ties sort in push order, across runs
//! because a later run holds later pushes.
//!
//! Many of a write's maps are pushed already in key order — the log and
//! the records, by id, as the change set is sorted by id. A sorter notices:
//! while every key it is given is greater than the last, nothing is sorted
//! and each spill extends one run, read back as it is, not merged (and
//! holding one file, however small the budget).

use crate::store::StoreError;
use crate::store::blocks::Mutation;
use crate::store::codec::{get_varint, put_varint};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Buffered I/O per run file.
const RUN_BUFFER_BYTES: usize = 64 << 10;

/// Mutations in push order, to be read back sorted by key.
pub(crate) struct Sorter {
    dir: PathBuf,
    /// Bytes of mutations held before a run is written. Sorting them takes
    /// 56 bytes more a mutation (its sort key and its place).
    budget: usize,
    held: Held,
    runs: Vec<Run>,
    /// Whether every key pushed so far is greater than the one before.
    ascending: bool,
    /// The last key of the last run spilled, while `ascending`.
    last_spilled: Vec<u8>,
}

/// The mutations held in memory, in one buffer kept from run to run (a
/// fresh one per run cost the page faults of filling it anew). Layout of an
/// entry: key length (u32), value length + 1 (u32; 0 = remove), key, value.
#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
    /// Where each entry starts in `bytes`, in push order.
    starts: Vec<usize>,
}

impl Held {
    fn push(&mut self, key: &[u8], value: Option<&[u8]>) {
        let value_field = value.map_or(0, |v| v.len() as u32 + 1);
        self.starts.push(self.bytes.len());
        // Keys and values are far below 4 GiB.
        self.bytes
            .extend_from_slice(&(key.len() as u32).to_be_bytes());
        self.bytes.extend_from_slice(&value_field.to_be_bytes());
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value.unwrap_or_default());
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.starts.clear();
    }

    /// The key pushed last, if any.
    fn last_key(&self) -> Option<&[u8]> {
        self.starts.last().map(|&start| self.entry(start).0)
    }

    fn entry(&self, start: usize) -> (&[u8], Option<&[u8]>) {
        let b = &self.bytes[start..];
        let key_len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let value_field = u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize;
        let (key, rest) = b[8..].split_at(key_len);
        let value = value_field.checked_sub(1).map(|len| &rest[..len]);
        (key, value)
    }

    /// Where the held entries start, in key order, keeping only the last
    /// pushed of each key.
    fn sorted(&self) -> Vec<usize> {
        // Sort on the first 16 key bytes held inline, falling back to the
        // whole key (found once, not per comparison) and then push order
        // only on ties: keys sharing a long value (a model's name) tie often.
        let mut order: Vec<(u128, &[u8], usize)> = self
            .starts
            .iter()
            .map(|&start| {
                let key = self.entry(start).0;
                let mut head = [0u8; 16];
                let n = key.len().min(16);
                head[..n].copy_from_slice(&key[..n]);
                (u128::from_be_bytes(head), key, start)
            })
            .collect();
        // Starts grow with push order, so they break ties by it.
        order.sort_unstable();
        let mut starts: Vec<usize> = Vec::with_capacity(order.len());
        let mut previous: Option<&[u8]> = None;
        for (_, key, start) in order {
            match starts.last_mut() {
                Some(last) if previous == Some(key) => *last = start,
                _ => starts.push(start),
            }
            previous = Some(key);
        }
        starts
    }
}

impl Sorter {
    /// A sorter whose runs, if any, go to temporary files in `dir`.
    pub(crate) fn new(dir: &Path, budget: usize) -> Sorter {
        Sorter {
            dir: dir.to_path_buf(),
            budget,
            held: Held::default(),
            runs: Vec::new(),
            ascending: true,
            last_spilled: Vec::new(),
        }
    }

    /// Adds a mutation: `value` for `key`, or its removal.
    pub(crate) fn push(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<(), StoreError> {
        if self.ascending {
            let last = match self.held.last_key() {
                Some(last) => Some(last),
                None if self.runs.is_empty() => None,
                None => Some(self.last_spilled.as_slice()),
            };
            self.ascending = last.is_none_or(|last| last < key);
        }
        self.held.push(key, value);
        // Keys in order are not sorted, and their runs extend one file
        // whatever their size: such a sorter only buffers between writes,
        // in an eighth of its budget (a write's sorters of the log, of each
        // record map and of the status log's own rows; a full budget each
        // made a 4M-record import's peak 45 MiB larger).
        let limit = match self.ascending {
            true => self.budget / 8,
            false => self.budget,
        };
        if self.held.bytes.len() >= limit {
            self.spill()?;
        }
        Ok(())
    }

    /// The held entries' starts in key order, the last pushed of a key
    /// winning: as pushed while the keys ascend.
    fn held_in_order(&self) -> Vec<usize> {
        if self.ascending {
            self.held.starts.clone()
        } else {
            self.held.sorted()
        }
    }

    /// Writes the held mutations out as a run, sorted, and frees them;
    /// while the keys ascend, at the end of the one run there is.
    fn spill(&mut self) -> Result<(), StoreError> {
        let extend = self.ascending && !self.runs.is_empty();
        if self.ascending
            && let Some(last) = self.held.last_key()
        {
            self.last_spilled = last.to_vec();
        }
        let run = match extend.then(|| self.runs.pop()).flatten() {
            Some(run) => run,
            None => Run::create(&self.dir)?,
        };
        let held = &self.held;
        let file = run.file.as_ref().ok_or_else(truncated)?;
        let mut out = BufWriter::with_capacity(RUN_BUFFER_BYTES, file);
        let mut header = Vec::with_capacity(20);
        for start in self.held_in_order() {
            let (key, value) = held.entry(start);
            header.clear();
            put_varint(&mut header, key.len() as u64);
            put_varint(&mut header, value.map_or(0, |v| v.len() as u64 + 1));
            out.write_all(&header).map_err(temp_error)?;
            out.write_all(key).map_err(temp_error)?;
            out.write_all(value.unwrap_or_default())
                .map_err(temp_error)?;
        }
        out.flush().map_err(temp_error)?;
        drop(out);
        self.runs.push(run);
        self.held.clear();
        Ok(())
    }

    /// The mutations in key order, the last pushed winning for a key.
    pub(crate) fn into_sorted(mut self) -> Result<Sorted, StoreError> {
        if self.runs.is_empty() {
            let order = self.held_in_order();
            return Ok(Sorted(Source::Held {
                held: std::mem::take(&mut self.held),
                order: order.into_iter(),
            }));
        }
        if !self.held.starts.is_empty() {
            self.spill()?;
        }
        if self.ascending
            && let Some(run) = self.runs.pop()
        {
            // One run, in order.
            return Ok(Sorted(Source::Run(RunReader::open(run)?)));
        }
        let readers = std::mem::take(&mut self.runs)
            .into_iter()
            .map(RunReader::open)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sorted(Source::Merged(Merge::new(readers)?)))
    }
}

/// A run's entry: key and value (`None`: a removal).
type Entry = (Vec<u8>, Option<Vec<u8>>);

/// Runs merged through a tree of losers. Each run's next entry stays in
/// its slot; the tree holds run numbers, and a run's new entry is played
/// up its path, one comparison a level, moving no entry. (A binary heap of
/// the entries moved each 56-byte entry several times a pop and a push,
/// and compared more: a tenth of the time of the thread merging an
/// import's runs.)
struct Merge {
    readers: Vec<RunReader>,
    /// Each run's next entry; `None` once the run is read out.
    heads: Vec<Option<Entry>>,
    /// `tree[0]`: the run whose entry comes next; `tree[n]` for `n` in
    /// `1..runs`: the run that lost the match at inner node `n`, whose
    /// children are `2n` and `2n + 1`, run `r` being leaf `runs + r`.
    tree: Vec<usize>,
}

impl Merge {
    fn new(mut readers: Vec<RunReader>) -> Result<Merge, StoreError> {
        let heads = readers
            .iter_mut()
            .map(RunReader::next_entry)
            .collect::<Result<Vec<_>, _>>()?;
        let runs = heads.len();
        let mut merge = Merge {
            readers,
            heads,
            tree: vec![0; runs.max(1)],
        };
        // Each inner node's winner, bottom up; the loser stays there.
        let mut winners = vec![0; 2 * runs];
        for run in 0..runs {
            winners[runs + run] = run;
        }
        for node in (1..runs).rev() {
            let (left, right) = (winners[2 * node], winners[2 * node + 1]);
            let (winner, loser) = match merge.before(left, right) {
                true => (left, right),
                false => (right, left),
            };
            winners[node] = winner;
            merge.tree[node] = loser;
        }
        merge.tree[0] = if runs > 1 { winners[1] } else { 0 };
        Ok(merge)
    }

    /// Whether run `a`'s next entry comes before run `b`'s: the lesser
    /// key, or for one key the earlier run (a later run holds later
    /// pushes, which win); a run read out after any other.
    fn before(&self, a: usize, b: usize) -> bool {
        match (&self.heads[a], &self.heads[b]) {
            (Some((a_key, _)), Some((b_key, _))) => (a_key, a) < (b_key, b),
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Takes the next entry, reading its run's following one into its
    /// slot and playing it up the tree.
    fn take(&mut self) -> Result<Option<Entry>, StoreError> {
        let Some(&run) = self.tree.first() else {
            return Ok(None);
        };
        let Some(taken) = self.heads.get_mut(run).and_then(Option::take) else {
            return Ok(None);
        };
        self.heads[run] = self.readers[run].next_entry()?;
        let mut winner = run;
        let mut node = (self.heads.len() + run) / 2;
        while node >= 1 {
            let other = self.tree[node];
            if self.before(other, winner) {
                self.tree[node] = winner;
                winner = other;
            }
            node /= 2;
        }
        self.tree[0] = winner;
        Ok(Some(taken))
    }

    /// The next mutation: runs hold distinct keys; one key in several runs
    /// comes out in run order, and the latest run's value wins.
    fn next_mutation(&mut self) -> Result<Option<Mutation>, StoreError> {
        let Some((key, mut winner)) = self.take()? else {
            return Ok(None);
        };
        while self.heads[self.tree[0]]
            .as_ref()
            .is_some_and(|(next, _)| *next == key)
        {
            if let Some((_, value)) = self.take()? {
                winner = value;
            }
        }
        Ok(Some((key, winner)))
    }
}

/// Sorted mutations, from memory or merged from runs.
pub(crate) struct Sorted(Source);

enum Source {
    Held {
        held: Held,
        order: std::vec::IntoIter<usize>,
    },
    Merged(Merge),
    /// The one run of ascending pushes.
    Run(RunReader),
}

impl Sorted {
    /// Whether the mutations are read from runs (rather than held).
    pub(crate) fn reads_runs(&self) -> bool {
        matches!(self.0, Source::Merged(_) | Source::Run(_))
    }

    fn next_mutation(&mut self) -> Result<Option<Mutation>, StoreError> {
        match &mut self.0 {
            Source::Held { held, order } => Ok(order.next().map(|start| {
                let (key, value) = held.entry(start);
                (key.to_vec(), value.map(<[u8]>::to_vec))
            })),
            Source::Merged(merge) => merge.next_mutation(),
            Source::Run(reader) => reader.next_entry(),
        }
    }
}

/// Two sorted streams of mutations as one, in key order.
pub(crate) struct MergeTwo<A: Iterator = Sorted, B: Iterator = Sorted> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A, B> MergeTwo<A, B>
where
    A: Iterator<Item = Result<Mutation, StoreError>>,
    B: Iterator<Item = Result<Mutation, StoreError>>,
{
    pub(crate) fn new(a: A, b: B) -> MergeTwo<A, B> {
        MergeTwo {
            a: a.peekable(),
            b: b.peekable(),
        }
    }
}

impl<A, B> Iterator for MergeTwo<A, B>
where
    A: Iterator<Item = Result<Mutation, StoreError>>,
    B: Iterator<Item = Result<Mutation, StoreError>>,
{
    type Item = Result<Mutation, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        let a_first = match (self.a.peek(), self.b.peek()) {
            (None, None) => return None,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            // An error is taken as soon as it is seen.
            (Some(Err(_)), _) => true,
            (_, Some(Err(_))) => false,
            (Some(Ok((a, _))), Some(Ok((b, _)))) => a <= b,
        };
        if a_first {
            self.a.next()
        } else {
            self.b.next()
        }
    }
}

/// Mutations, sorted, as a write applies them.
pub(crate) type Mutations = dyn Iterator<Item = Result<Mutation, StoreError>> + Send;

/// Mutations per batch handed over by [`read_ahead`], and batches in flight.
const READ_AHEAD_BATCH: usize = 4096;
const READ_AHEAD_BATCHES: usize = 4;

/// What the reading thread of [`read_ahead`] hands over: a batch of
/// mutations packed in one buffer, not one allocation each. The writer
/// frees what it is handed, and memory one thread allocates and another
/// frees takes the allocator's slow path (mimalloc: an atomic list the
/// owner collects): a fifth of the allocator's time in a large import.
enum Ahead {
    Batch(Held),
    Failed(StoreError),
    End,
}

/// `mutations` read on another thread a few batches ahead: merging runs
/// (reading files, comparing keys) then overlaps writing the blocks. Each
/// batch's buffer goes back to the reading thread once read, so the same
/// few are filled again.
pub(crate) fn read_ahead(
    mutations: Box<Mutations>,
) -> impl Iterator<Item = Result<Mutation, StoreError>> {
    let (send, received) = std::sync::mpsc::sync_channel(READ_AHEAD_BATCHES);
    let (give_back, given_back) = std::sync::mpsc::channel::<Held>();
    std::thread::spawn(move || {
        let mut mutations = mutations;
        loop {
            let mut batch = given_back.try_recv().unwrap_or_default();
            let mut failed = None;
            for mutation in mutations.by_ref().take(READ_AHEAD_BATCH) {
                match mutation {
                    Ok((key, value)) => batch.push(&key, value.as_deref()),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let last = failed.is_some() || batch.starts.len() < READ_AHEAD_BATCH;
            // A failed send: the writer stopped reading (it failed); so do we.
            if send.send(Ahead::Batch(batch)).is_err() {
                return;
            }
            if last {
                let _ = send.send(failed.map_or(Ahead::End, Ahead::Failed));
                return;
            }
        }
    });
    let mut batch = Held::default();
    let mut next = 0;
    let mut ended = false;
    std::iter::from_fn(move || {
        loop {
            if let Some(&start) = batch.starts.get(next) {
                next += 1;
                let (key, value) = batch.entry(start);
                return Some(Ok((key.to_vec(), value.map(<[u8]>::to_vec))));
            }
            if ended {
                return None;
            }
            match received.recv() {
                Ok(Ahead::Batch(full)) => {
                    let mut read = std::mem::replace(&mut batch, full);
                    read.clear();
                    // Gone: the thread has ended, and so has the need.
                    let _ = give_back.send(read);
                    next = 0;
                }
                Ok(Ahead::Failed(e)) => {
                    ended = true;
                    return Some(Err(e));
                }
                Ok(Ahead::End) => ended = true,
                // Gone without saying it ended: it panicked.
                Err(_) => {
                    ended = true;
                    return Some(Err(StoreError::TempFile(std::io::Error::other(
                        "the thread merging sorted runs failed",
                    ))));
                }
            }
        }
    })
}

impl Iterator for Sorted {
    type Item = Result<Mutation, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_mutation().transpose()
    }
}

/// A run's temporary file. On Unix its name is removed as soon as it is
/// made, so nothing is left behind whatever happens to the process;
/// elsewhere it is removed when the run is dropped.
struct Run {
    /// Taken by the reader; closed before the name is removed.
    file: Option<File>,
    path: PathBuf,
}

impl Run {
    fn create(dir: &Path) -> Result<Run, StoreError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("evident-sort-{}-{n}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(temp_error)?;
        // Fails where an open file cannot be removed; `Drop` tries again.
        let _ = std::fs::remove_file(&path);
        Ok(Run {
            file: Some(file),
            path,
        })
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        drop(self.file.take());
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads a run's entries back in order.
struct RunReader {
    input: BufReader<File>,
    /// Dropped after `input` (fields drop in order), so the file is closed
    /// before its name is removed.
    _run: Run,
}

impl RunReader {
    fn open(mut run: Run) -> Result<RunReader, StoreError> {
        let mut file = run.file.take().ok_or_else(truncated)?;
        file.seek(SeekFrom::Start(0)).map_err(temp_error)?;
        Ok(RunReader {
            input: BufReader::with_capacity(RUN_BUFFER_BYTES, file),
            _run: run,
        })
    }

    fn next_entry(&mut self) -> Result<Option<Entry>, StoreError> {
        let Some(key_len) = self.varint()? else {
            return Ok(None);
        };
        let value_field = self.varint()?.ok_or_else(truncated)?;
        let key = self.bytes(key_len)?;
        let value = match value_field.checked_sub(1) {
            Some(len) => Some(self.bytes(len)?),
            None => None,
        };
        Ok(Some((key, value)))
    }

    /// A varint; `None` at the end of the file. Read from the buffer
    /// directly (a call of `read` per byte cost a tenth of merging runs).
    fn varint(&mut self) -> Result<Option<u64>, StoreError> {
        let buffered = self.input.fill_buf().map_err(temp_error)?;
        if buffered.is_empty() {
            return Ok(None);
        }
        let mut pos = 0;
        if let Some(value) = get_varint(buffered, &mut pos) {
            self.input.consume(pos);
            return Ok(Some(value));
        }
        // Cut by the buffer's end (or damaged): byte by byte.
        let mut bytes = [0u8; 10];
        let mut len = 0;
        loop {
            let mut byte = [0u8];
            if self.input.read(&mut byte).map_err(temp_error)? == 0 {
                return Err(truncated());
            }
            bytes[len] = byte[0];
            len += 1;
            if byte[0] < 0x80 || len == bytes.len() {
                break;
            }
        }
        let mut pos = 0;
        get_varint(&bytes[..len], &mut pos)
            .map(Some)
            .ok_or_else(truncated)
    }

    /// The next `len` bytes, copied from the buffer when it holds them
    /// (rather than read into a zeroed vector).
    fn bytes(&mut self, len: u64) -> Result<Vec<u8>, StoreError> {
        let len = usize::try_from(len).map_err(|_| truncated())?;
        let buffered = self.input.buffer();
        if let Some(bytes) = buffered.get(..len) {
            let out = bytes.to_vec();
            self.input.consume(len);
            return Ok(out);
        }
        // Grown as bytes arrive: a damaged length asks for no memory.
        let mut out = Vec::with_capacity(len.min(RUN_BUFFER_BYTES));
        let read = (&mut self.input)
            .take(len as u64)
            .read_to_end(&mut out)
            .map_err(temp_error)?;
        if read < len {
            return Err(truncated());
        }
        Ok(out)
    }
}

fn temp_error(e: std::io::Error) -> StoreError {
    StoreError::TempFile(e)
}

fn truncated() -> StoreError {
    StoreError::TempFile(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "a sort run ended early",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorting through runs gives what sorting in memory gives: every key
    /// once, in order, with the value pushed last.
    #[test]
    fn runs_merge_like_memory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut expected = std::collections::BTreeMap::new();
        let mut spilled = Sorter::new(dir.path(), 256 << 10);
        let mut held = Sorter::new(dir.path(), usize::MAX);
        for i in 0..200_000u64 {
            // Keys repeat across runs; some are removed, some re-added.
            let key = format!("k{}", (i * 7919) % 50_000).into_bytes();
            let value = (i % 3 != 0).then(|| i.to_be_bytes().to_vec());
            spilled.push(&key, value.as_deref()).expect("spills");
            held.push(&key, value.as_deref()).expect("holds");
            expected.insert(key, value);
        }
        assert!(spilled.runs.len() > 10);
        let expected: Vec<Mutation> = expected.into_iter().collect();
        let from_runs: Vec<Mutation> = spilled
            .into_sorted()
            .expect("merges")
            .collect::<Result<_, _>>()
            .expect("reads");
        let from_memory: Vec<Mutation> = held
            .into_sorted()
            .expect("sorts")
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(from_runs, expected);
        assert_eq!(from_memory, expected);
        // Nothing is left in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 0);
    }

    /// Read ahead in packed batches, mutations come back as they went in
    /// (removals, empty values and all), over many batches and with the
    /// batches' buffers reused; an error comes after the mutations before
    /// it and ends them.
    #[test]
    fn read_ahead_hands_over_what_it_reads() {
        let mutations: Vec<Mutation> = (0..3 * READ_AHEAD_BATCH as u64 + 17)
            .map(|i| {
                let value = match i % 3 {
                    0 => None,
                    1 => Some(Vec::new()),
                    _ => Some(vec![i as u8; (i % 300) as usize]),
                };
                (format!("k{i:08}").into_bytes(), value)
            })
            .collect();
        let given = mutations.clone().into_iter().map(Ok);
        let read: Vec<Mutation> = read_ahead(Box::new(given))
            .collect::<Result<_, _>>()
            .expect("reads");
        assert_eq!(read, mutations);

        let failing = mutations
            .clone()
            .into_iter()
            .take(READ_AHEAD_BATCH + 5)
            .map(Ok);
        let failing = failing
            .chain(std::iter::once(Err(truncated())))
            .chain(mutations.clone().into_iter().map(Ok));
        let read: Vec<Result<Mutation, StoreError>> = read_ahead(Box::new(failing)).collect();
        assert_eq!(read.len(), READ_AHEAD_BATCH + 6);
        assert!(read[..READ_AHEAD_BATCH + 5].iter().all(Result::is_ok));
        assert!(matches!(read.last(), Some(Err(StoreError::TempFile(_)))));
    }

    /// Keys pushed in ascending order are spilled into one run, read back
    /// as it is; a key out of order after some spills, or one pushed
    /// twice, puts the sorter back to sorting and merging, with the same
    /// result.
    #[test]
    fn ascending_pushes_are_read_in_turn() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ascending: Vec<Mutation> = (0..50_000u64)
            .map(|i| {
                (
                    format!("k{i:06}").into_bytes(),
                    (i % 5 != 0).then(|| vec![i as u8; 9]),
                )
            })
            .collect();
        let sorted_by = |pushes: &[Mutation]| {
            let mut sorter = Sorter::new(dir.path(), 64 << 10);
            for (key, value) in pushes {
                sorter.push(key, value.as_deref()).expect("pushes");
            }
            let runs = sorter.runs.len();
            let sorted = sorter.into_sorted().expect("sorts");
            let in_turn = matches!(sorted.0, Source::Run(_));
            let out: Vec<Mutation> = sorted.collect::<Result<_, _>>().expect("reads");
            (runs, in_turn, out)
        };
        let (runs, in_turn, out) = sorted_by(&ascending);
        assert_eq!(runs, 1);
        assert!(in_turn);
        assert_eq!(out, ascending);
        for (late, value) in [("k000100", Some(vec![1])), ("k049999", None)] {
            let mut pushes = ascending.clone();
            pushes.push((late.as_bytes().to_vec(), value.clone()));
            let (_, in_turn, out) = sorted_by(&pushes);
            assert!(!in_turn, "{late}");
            let mut expected: std::collections::BTreeMap<_, _> =
                ascending.iter().cloned().collect();
            expected.insert(late.as_bytes().to_vec(), value);
            assert_eq!(out, expected.into_iter().collect::<Vec<_>>(), "{late}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 0);
    }
}
