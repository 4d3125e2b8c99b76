//! JSON Lines import (SPEC section 3): reading lines (three parse workers,
//! progress, over-long lines), assigning missing ids, and writing it all as
//! one atomic change. Turning one line into a [`Record`] is `validate`'s job,
//! which `add` shares. The other formats (`converted`: Epoch AI's CSVs, Every
//! Eval Ever, plain CSV) build records' members and share the validation and
//! the atomic write.

mod converted;
mod csv;
mod eee;
mod epoch;
mod validate;

pub use converted::ImportFormat;
pub(crate) use converted::import_converted;
pub use validate::{parse_line, record_from_fields};

use crate::model::{ByKind, Id, Kind, Record};
use crate::store::{Change, ChangeSet, Rejection, Store, StoreError, WriteSummary};
use std::collections::HashSet;
use std::io::BufRead;

/// Most problems listed for one import; the count of the rest follows.
const MAX_REPORTED: usize = 100;
/// Longest line accepted (a record is at most a few 64 KiB strings).
const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One problem with one input line.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The file, when an import reads several (an Epoch directory); `None`:
    /// the import's own file.
    pub file: Option<String>,
    /// 1-based line number.
    pub line: u64,
    /// The field at fault, if any.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

/// An import that failed: nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Lines were invalid.
    #[error("{}", render_problems(.file, .problems, *.total, *.lines))]
    Invalid {
        /// The file's name as given.
        file: String,
        /// The problems (at most 100 are kept; the total counts all).
        problems: Vec<Problem>,
        /// How many there were in all.
        total: usize,
        /// How many lines they were on.
        lines: usize,
    },
    /// Reading failed.
    #[error("{file}: {error}")]
    Read {
        /// The file's name as given.
        file: String,
        /// What went wrong.
        error: std::io::Error,
    },
}

fn render_problems(file: &str, problems: &[Problem], total: usize, lines: usize) -> String {
    let mut text: Vec<String> = problems.iter().map(|p| p.located(file)).collect();
    if total > problems.len() {
        text.push(format!("… and {} more problems", total - problems.len()));
    }
    text.push(format!(
        "{file}: nothing was imported ({lines} invalid line{}; --skip-invalid imports the rest)",
        if lines == 1 { "" } else { "s" }
    ));
    text.join("\n")
}

impl Problem {
    /// `FILE:LINE: field: reason`, `file` naming the import's own file.
    pub fn located(&self, file: &str) -> String {
        let file = self.file.as_deref().unwrap_or(file);
        match &self.field {
            Some(field) => format!("{file}:{}: {field}: {}", self.line, self.reason),
            None => format!("{file}:{}: {}", self.line, self.reason),
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Records read, by kind (source, claim, evidence, result).
    pub read: [u64; 4],
    /// What the store did with them.
    pub written: WriteSummary,
    /// Lines skipped with `skip_invalid` and why.
    pub skipped: Vec<Problem>,
    /// Invalid lines in all (more than `skipped` holds when there were many).
    pub skipped_total: usize,
}

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Import the valid lines and report the rest, instead of nothing.
    pub skip_invalid: bool,
}

/// Reads a whole JSON Lines stream and imports it atomically. `progress` is
/// called now and then with the number of bytes read so far.
pub fn import(
    store: &Store,
    file: &str,
    reader: impl BufRead,
    options: ImportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, crate::Error> {
    let mut read = ByKind::<u64>::default();
    let mut problems = ProblemList::default();
    let mut changes = ChangeSet::new();
    // The line of each change, to name it if the store refuses it. As u32
    // (saturating) a 4M-line import holds 16 MiB less while it writes.
    let mut lines_of_changes: Vec<u32> = Vec::new();
    // Records without an id get one once every id in the file is known.
    let mut without_id: Vec<(u64, Record)> = Vec::new();
    let mut bytes_read = 0u64;
    // The ids of invalid lines: a reference to one is not a problem of its
    // own (the line it names is reported already).
    let mut invalid_ids: HashSet<String> = HashSet::new();
    let mut handle =
        |parsed: Vec<(u64, Parsed)>, problems: &mut ProblemList| -> Result<(), crate::Error> {
            for (line, outcome) in parsed {
                match outcome {
                    Parsed::Skip => {}
                    Parsed::Encoded(kind, bytes) => {
                        read[kind] += 1;
                        changes.push_encoded_record(kind, &bytes)?;
                        lines_of_changes.push(u32::try_from(line).unwrap_or(u32::MAX));
                    }
                    Parsed::Record(record) => {
                        read[record.kind()] += 1;
                        if record.id().is_unassigned() {
                            without_id.push((line, record));
                        } else {
                            // Encoded at once: memory holds compact bytes, not structs.
                            changes.push(Change::Put(record))?;
                            lines_of_changes.push(u32::try_from(line).unwrap_or(u32::MAX));
                        }
                    }
                    Parsed::Problems(errs, id) => {
                        invalid_ids.extend(id);
                        for (field, reason) in errs {
                            problems.add(Problem {
                                file: None,
                                line,
                                field,
                                reason,
                            });
                        }
                    }
                }
            }
            Ok(())
        };
    // JSON parsing is most of an import's reading time: workers parse
    // batches of lines while this thread reads the next ones. Batches are
    // handled in file order, so line numbers and "first id wins" hold.
    // Three workers and three batches each in flight, on two cores: with
    // two workers and two batches, a core sat idle whenever this thread
    // waited for one worker while the other's queue ran dry (reading the
    // 1.29M MTEB results: 755 → 670 ms).
    std::thread::scope(|scope| -> Result<(), crate::Error> {
        const WORKERS: usize = 3;
        const IN_FLIGHT: usize = 3 * WORKERS;
        // A thread the system refuses (no memory left for its stack) is an
        // error of the import, not a panic.
        let workers = (0..WORKERS)
            .map(|_| {
                let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<LineBatch>(2);
                let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Vec<(u64, Parsed)>>(2);
                std::thread::Builder::new()
                    .name("import-parse".into())
                    .spawn_scoped(scope, move || {
                        for batch in batch_rx {
                            let parsed = batch
                                .lines()
                                .map(|(line, bytes)| (line, parse_bytes(bytes).encoded()))
                                .collect();
                            if done_tx.send(parsed).is_err() {
                                break;
                            }
                        }
                    })
                    .map_err(|e| crate::Error::io("start an import worker", e))?;
                Ok((batch_tx, done_rx))
            })
            .collect::<Result<Vec<_>, crate::Error>>()?;
        let receive = |n: usize| -> Result<Vec<(u64, Parsed)>, crate::Error> {
            workers[n % WORKERS]
                .1
                .recv()
                .map_err(|_| crate::Error::Internal("an import worker stopped unexpectedly".into()))
        };
        let (mut sent, mut received) = (0usize, 0usize);
        // The buffer size of each batch in flight (sent, not yet handled),
        // oldest first.
        let mut in_flight: std::collections::VecDeque<usize> = Default::default();
        let mut reader = reader;
        let mut line_no = 0u64;
        loop {
            let mut batch = LineBatch::default();
            while batch.ends.len() < BATCH_LINES && batch.bytes.len() < BATCH_BYTES {
                let start = batch.bytes.len();
                let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64 + 1)
                    .read_until(b'\n', &mut batch.bytes)
                    .map_err(|error| ImportError::Read {
                        file: file.to_owned(),
                        error,
                    })?;
                if n == 0 {
                    break;
                }
                line_no += 1;
                bytes_read += n as u64;
                if n > MAX_LINE_BYTES {
                    batch.bytes.truncate(start);
                    problems.add(Problem {
                        file: None,
                        line: line_no,
                        field: None,
                        reason: format!("line longer than {MAX_LINE_BYTES} bytes"),
                    });
                    // Skip the rest of the over-long line, a bounded piece at a time.
                    loop {
                        let mut rest = Vec::new();
                        let n = std::io::Read::take(&mut reader, MAX_LINE_BYTES as u64)
                            .read_until(b'\n', &mut rest)
                            .map_err(|error| ImportError::Read {
                                file: file.to_owned(),
                                error,
                            })?;
                        if n == 0 || rest.last() == Some(&b'\n') {
                            break;
                        }
                    }
                    continue;
                }
                batch.ends.push((line_no, batch.bytes.len()));
            }
            if batch.ends.is_empty() {
                break;
            }
            progress(bytes_read);
            in_flight.push_back(batch.bytes.capacity());
            workers[sent % WORKERS].0.send(batch).map_err(|_| {
                crate::Error::Internal("an import worker stopped unexpectedly".into())
            })?;
            sent += 1;
            while in_flight.len() >= IN_FLIGHT || in_flight.iter().sum::<usize>() > IN_FLIGHT_BYTES
            {
                handle(receive(received)?, &mut problems)?;
                received += 1;
                in_flight.pop_front();
            }
        }
        while received < sent {
            handle(receive(received)?, &mut problems)?;
            received += 1;
        }
        Ok(())
    })?;
    progress(bytes_read);
    let pending = Pending {
        read,
        changes,
        locations: lines_of_changes,
        without_id: without_id
            .into_iter()
            .map(|(line, record)| (u32::try_from(line).unwrap_or(u32::MAX), record))
            .collect(),
        invalid_ids,
        problems,
    };
    write_pending(store, file, pending, options, &|line| {
        (None, u64::from(line))
    })
}

/// An import read and validated, not yet written.
struct Pending {
    read: ByKind<u64>,
    changes: ChangeSet,
    /// Where each change came from, by position: a number `locate` turns
    /// into a file and line (as u32, saturating: a 4M-line import holds 16
    /// MiB less while it writes).
    locations: Vec<u32>,
    /// Records without an id, with their location: they get one once every
    /// id in the import is known.
    without_id: Vec<(u32, Record)>,
    /// The ids of invalid records: a reference to one is not a problem of
    /// its own (the record it names is reported already).
    invalid_ids: HashSet<String>,
    problems: ProblemList,
}

/// Where a location of [`Pending::locations`] is: the file (`None`: the
/// import's own) and the line.
type Locate<'a> = &'a dyn Fn(u32) -> (Option<String>, u64);

/// Assigns missing ids and writes a read import atomically: nothing when
/// anything is invalid, unless `skip_invalid`.
fn write_pending(
    store: &Store,
    file: &str,
    pending: Pending,
    options: ImportOptions,
    locate: Locate<'_>,
) -> Result<ImportReport, crate::Error> {
    let Pending {
        read,
        mut changes,
        locations: mut lines_of_changes,
        mut without_id,
        invalid_ids,
        mut problems,
    } = pending;
    let mut report = ImportReport {
        read: read.into_array(),
        ..ImportReport::default()
    };
    // From here the import reads the store (free ids, refusals) and then
    // writes: one write at a time, so what it read still holds.
    let writer = store.lock_writer()?;
    if !without_id.is_empty() {
        assign_ids(store, &changes, &mut without_id)?;
        for (line, record) in without_id {
            changes
                .push(Change::Put(record))
                .map_err(crate::Error::Store)?;
            lines_of_changes.push(line);
        }
    }
    let action = format!("import {file}");
    if problems.total > 0 && !options.skip_invalid {
        // Every problem in one run (SPEC 3): the valid lines' references
        // and ids too, not only the lines that do not parse.
        add_refusals(
            store,
            &mut changes,
            &lines_of_changes,
            locate,
            &invalid_ids,
            &mut problems,
        )?;
        return Err(problems.into_error(file));
    }
    loop {
        match store.write_locked(&writer, &action, &mut changes) {
            Ok(written) => {
                report.written = written;
                break;
            }
            Err(StoreError::Rejected(_)) if !options.skip_invalid => {
                // The write names its first refusals only: list them all.
                add_refusals(
                    store,
                    &mut changes,
                    &lines_of_changes,
                    locate,
                    &invalid_ids,
                    &mut problems,
                )?;
                return Err(problems.into_error(file));
            }
            Err(StoreError::Rejected(rejections)) => {
                let bad: Vec<u32> = rejections.iter().filter_map(|r| r.position).collect();
                for p in rejection_problems(&rejections, &lines_of_changes, locate) {
                    problems.add(p);
                }
                if bad.is_empty() {
                    return Err(problems.into_error(file));
                }
                // Drop the rejected changes and try again: dropping a claim
                // may reject its evidence in the next round.
                changes.remove_positions(&bad);
            }
            Err(e) => return Err(e.into()),
        }
    }
    report.skipped_total = problems.lines.len();
    report.skipped = problems.sorted();
    Ok(report)
}

/// Adds every change of an import that the store would refuse (a
/// reference to nothing, an id given twice or used by another kind), but
/// those that only name a record whose own line is invalid: that line is
/// already reported.
fn add_refusals(
    store: &Store,
    changes: &mut ChangeSet,
    lines: &[u32],
    locate: Locate<'_>,
    invalid_ids: &HashSet<String>,
    problems: &mut ProblemList,
) -> Result<(), crate::Error> {
    store.refusals(changes, &mut |refused| {
        for p in rejection_problems(std::slice::from_ref(&refused), lines, locate) {
            if !names_invalid_line(&p, invalid_ids) {
                problems.add(p);
            }
        }
        true
    })?;
    Ok(())
}

/// Whether `p` only says that a line refers to an invalid line's record.
fn names_invalid_line(p: &Problem, invalid_ids: &HashSet<String>) -> bool {
    p.reason
        .strip_prefix("no ")
        .and_then(|rest| rest.split_once(" has the id "))
        .is_some_and(|(_, target)| invalid_ids.contains(target))
}

fn rejection_problems(rejections: &[Rejection], lines: &[u32], locate: Locate<'_>) -> Vec<Problem> {
    rejections
        .iter()
        .map(|r| {
            let (file, line) = r
                .position
                .and_then(|p| lines.get(p as usize).map(|&at| locate(at)))
                .unwrap_or((None, 0));
            Problem {
                file,
                line,
                field: r.field.map(str::to_owned),
                reason: r.reason.clone(),
            }
        })
        .collect()
}

/// Gives records without an id the first free `c<N>`, `s<N>`, … (SPEC 1).
fn assign_ids(
    store: &Store,
    changes: &ChangeSet,
    records: &mut [(u32, Record)],
) -> Result<(), crate::Error> {
    let mut next = ByKind::from_array([1u64; 4]);
    let in_file = changes.ids();
    let taken_in_file = |id: &str| in_file.contains(id.as_bytes());
    for (_, record) in records.iter_mut() {
        let kind = record.kind();
        loop {
            let candidate = format!("{}{}", kind.id_prefix(), next[kind]);
            next[kind] += 1;
            if !taken_in_file(&candidate) && store.get(&candidate)?.is_none() {
                record.set_id(
                    Id::new(&candidate)
                        .map_err(|e| crate::Error::Store(StoreError::Encode(Box::new(e))))?,
                );
                break;
            }
        }
    }
    Ok(())
}

/// The problems of one import: the first [`MAX_REPORTED`], and how many in all.
#[derive(Default)]
struct ProblemList {
    kept: Vec<Problem>,
    total: usize,
    /// The lines with a problem (a line's problems need not come together:
    /// the store refuses a record in more than one pass).
    lines: HashSet<(Option<String>, u64)>,
}

impl ProblemList {
    fn into_error(self, file: &str) -> crate::Error {
        ImportError::Invalid {
            file: file.to_owned(),
            total: self.total,
            lines: self.lines.len(),
            problems: self.sorted(),
        }
        .into()
    }

    /// Keeps the problems of the first lines: the store's come in id
    /// order, not line order.
    fn add(&mut self, p: Problem) {
        self.total += 1;
        self.lines.insert((p.file.clone(), p.line));
        if self.kept.len() < MAX_REPORTED {
            self.kept.push(p);
        } else if let Some(last) = self
            .kept
            .iter_mut()
            .max_by_key(|kept| kept.line)
            .filter(|kept| kept.line > p.line)
        {
            *last = p;
        }
    }

    fn sorted(mut self) -> Vec<Problem> {
        self.kept
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        self.kept
    }
}

/// Lines handed to a parse worker at a time…
const BATCH_LINES: usize = 2048;
/// …or fewer, once they hold this many bytes: a few batches are in flight,
/// and 2,048 lines of up to 4 MiB each made one batch hold a whole file (a
/// 1.2 MB gzip of 300 such lines took 3 GB). Lines of real data sets are
/// short enough (240–350 bytes) that their batches stay at 2,048 lines.
const BATCH_BYTES: usize = 1024 * 1024;

/// Bytes of batches in flight at most (besides the one being read): a
/// batch is one line when lines are long (up to 4 MiB, in a buffer of up
/// to 8), and nine such in flight held 72 MiB. Batches of real data sets
/// (under 1 MiB each, nine at most in flight) stay under it.
const IN_FLIGHT_BYTES: usize = 16 << 20;

/// Lines read for a parse worker: their bytes back to back in one buffer,
/// with each line's number and where it ends. One allocation a batch, where
/// each line had its own (grown by copies as it was read, and freed by the
/// worker: memory one thread allocates and another frees takes the
/// allocator's slow path).
#[derive(Default)]
struct LineBatch {
    bytes: Vec<u8>,
    ends: Vec<(u64, usize)>,
}

impl LineBatch {
    /// Each line, with its number.
    fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().map(|&(_, end)| end));
        self.ends
            .iter()
            .zip(starts)
            .map(|(&(line, end), start)| (line, &self.bytes[start..end]))
    }
}

/// What one input line amounts to.
enum Parsed {
    /// Blank or a `#` comment.
    Skip,
    /// A valid record, encoded by the worker that parsed it: the thread
    /// writing the change set then frees one buffer, not a record's every
    /// string (made on the worker's thread).
    Encoded(Kind, Vec<u8>),
    /// A valid record without an id yet (or that did not encode: pushing
    /// it says why).
    Record(Record),
    /// What is wrong with it: (field, reason), and its id if it has one.
    Problems(Vec<(Option<String>, String)>, Option<String>),
}

impl Parsed {
    /// A record with its id, encoded; anything else as it is.
    fn encoded(self) -> Parsed {
        match self {
            Parsed::Record(record) if !record.id().is_unassigned() => {
                match crate::store::encode_record(&record) {
                    Ok(bytes) => Parsed::Encoded(record.kind(), bytes),
                    Err(_) => Parsed::Record(record),
                }
            }
            other => other,
        }
    }
}

fn parse_bytes(bytes: &[u8]) -> Parsed {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Parsed::Problems(vec![(None, "not valid UTF-8".into())], None);
    };
    // A byte-order mark (which Windows editors put at the start of a
    // UTF-8 file) is not part of the line.
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Parsed::Skip;
    }
    match parse_line(trimmed) {
        Ok(record) => Parsed::Record(record),
        Err(errs) => {
            let id = serde_json::from_str::<serde_json::Value>(trimmed)
                .ok()
                .and_then(|v| Some(v.get("id")?.as_str()?.to_owned()));
            Parsed::Problems(errs, id)
        }
    }
}
