//! Two threads reading one statement's rows in turns: this thread reads,
//! filters and visits its turns while a second reads and filters the
//! others and hands each over, in order, when its turn comes. Reading
//! sled's nodes and decoding records is most of a scan's work, so the
//! second core takes about half of it, while memory stays at a few
//! thousand rows whatever the size of the result.
//!
//! Measured (query time, `benchmark ~ "retrieval"` over the 1.29M MTEB
//! results, 65cf674): ~700 ms serial, ~620 ms in two halves, ~510 ms in
//! turns; an index read of 9,500 ids ~195 → ~100 ms (fc8c962). Dealing the
//! scan a block at a time (86b70fe) replaced id ranges split at key
//! midpoints, which had put a quarter of that scan's results in one part;
//! the README's benchmark has it at 0.85× SQLite's time.

use super::access::{Part, RowVisitor, each_record, passes};
use super::eval::Ctx;
use crate::model::fields::FieldValue;
use crate::model::{Date, Derived, Kind, Record};
use crate::query::ast::Expr;
use crate::store::Deal;
use crate::store::{Projection, RecordScan, Store};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::TryRecvError;

/// What two threads share, in turns.
#[derive(Clone, Copy)]
pub(super) enum Shared<'a> {
    /// A list of parts, in id order, each read by the thread that claims it
    /// first: the second thread claims the next whenever it is free, this
    /// one a part when its turn comes unclaimed, and — when the part it
    /// must visit next is still being read and parts are lists of ids — a
    /// later part, read ahead and kept until its turn. This thread alone
    /// visits rows, so when visiting costs (25,000 rows written out) it
    /// reads fewer parts, where taking every other one left the second
    /// thread idle for two fifths of the query.
    Parts(&'a [Part<'a>]),
    /// Every record, dealt a block at a time: however the ids are spread,
    /// neighbouring blocks hold about as many records, so the threads
    /// share the work evenly.
    Blocks,
}

/// One thread's share: its turns, read one after another.
enum Turns<'s, 'a> {
    /// The parts this thread claims (see [`Shared::Parts`]).
    Parts(ClaimedParts<'a>),
    /// Every other block (one per turn) of a scan over the records.
    Blocks(Box<DealtBlocks<'s>>),
}

/// A thread's turns over the blocks of the records dealt to it.
struct DealtBlocks<'s> {
    scan: RecordScan<'s>,
    /// The number of this thread's next block in the walk.
    next: u64,
    /// A row read from a later block than the turn's, for its turn.
    waiting: Option<(Record, Option<Derived>)>,
    ended: bool,
}

/// A thread's parts of a [`Shared::Parts`].
struct ClaimedParts<'a> {
    parts: &'a [Part<'a>],
    /// The number of the next part no thread has claimed, shared.
    claims: &'a AtomicUsize,
    /// The part [`Turns::takes`] claimed, to be read next.
    claimed: Option<usize>,
    /// A later part read ahead, and its rows that passed the filter.
    ahead: Option<(usize, Vec<Row>)>,
    /// Whether parts may be read ahead: lists of ids, each a bounded
    /// number of rows (an index run may hold any number).
    may_read_ahead: bool,
}

/// A row read: its record and derived values.
type Row = (Record, Option<Derived>);

impl<'s, 'a> Turns<'s, 'a> {
    /// The share of thread `thread` (0 or 1); parts are claimed from
    /// `claims`.
    fn of(
        store: &'s Store,
        kind: Kind,
        shared: Shared<'a>,
        thread: u8,
        claims: &'a AtomicUsize,
    ) -> Result<Self, crate::Error> {
        Ok(match shared {
            Shared::Parts(parts) => Turns::Parts(ClaimedParts {
                parts,
                claims,
                claimed: None,
                ahead: None,
                may_read_ahead: parts.iter().all(|p| matches!(p, Part::Ids(_))),
            }),
            Shared::Blocks => Turns::Blocks(Box::new(DealtBlocks {
                scan: store.scan_dealt(
                    kind,
                    Deal {
                        turn: u64::from(thread),
                        of: 2,
                    },
                )?,
                next: u64::from(thread),
                waiting: None,
                ended: false,
            })),
        })
    }

    /// Whether `turn` is past the last: there are as many turns as parts;
    /// dealt blocks end when both threads' scans have.
    fn past_last(&self, turn: usize) -> bool {
        match self {
            Turns::Parts(own) => turn >= own.parts.len(),
            Turns::Blocks(_) => false,
        }
    }

    /// The rows of `turn` if this thread read that part ahead.
    fn read_ahead_for(&mut self, turn: usize) -> Option<Vec<Row>> {
        match self {
            Turns::Parts(own) => own
                .ahead
                .take_if(|(at, _)| *at == turn)
                .map(|(_, rows)| rows),
            Turns::Blocks(_) => None,
        }
    }

    /// Whether the visiting thread reads `turn` itself, now (else it
    /// receives that turn's rows from the second thread): its even turns
    /// of dealt blocks; a part nobody has claimed, which it claims.
    fn takes(&mut self, turn: usize) -> bool {
        match self {
            Turns::Parts(own) => {
                let taken = own
                    .claims
                    .compare_exchange(turn, turn + 1, Relaxed, Relaxed)
                    .is_ok();
                own.claimed = taken.then_some(turn);
                taken
            }
            Turns::Blocks(_) => turn.is_multiple_of(2),
        }
    }

    /// While the visiting thread waits for the second's rows: claims the
    /// next unclaimed part, if parts may be read ahead and none is held
    /// yet, and reads into memory its rows that pass `keep` and the
    /// filter; `false` if it read nothing.
    fn read_ahead(
        &mut self,
        ctx: &mut Ctx<'_>,
        kind: Kind,
        keep: &dyn Fn(&[u8]) -> bool,
        filter: Option<&Expr>,
    ) -> Result<bool, crate::Error> {
        let Turns::Parts(own) = self else {
            return Ok(false);
        };
        if !own.may_read_ahead || own.ahead.is_some() || own.claims.load(Relaxed) >= own.parts.len()
        {
            return Ok(false);
        }
        let next = own.claims.fetch_add(1, Relaxed);
        let Some(part) = own.parts.get(next) else {
            return Ok(false);
        };
        let mut rows = Vec::new();
        each_record(ctx.store, kind, part, keep, &mut |record, derived| {
            if passes(ctx, &record, derived.as_ref(), filter)? {
                rows.push((record, derived));
            }
            Ok(true)
        })?;
        own.ahead = Some((next, rows));
        Ok(true)
    }

    /// Reads the next turn (the part [`Turns::takes`] claimed, else the
    /// next part unclaimed), calling `each` with its rows whose stored bytes
    /// pass `keep` until it returns `false`; `false` when no turn is left
    /// (every later turn of this thread would be empty).
    fn read_next(
        &mut self,
        store: &Store,
        kind: Kind,
        keep: &dyn Fn(&[u8]) -> bool,
        each: &mut dyn FnMut(Record, Option<Derived>) -> Result<bool, crate::Error>,
    ) -> Result<bool, crate::Error> {
        match self {
            Turns::Parts(own) => {
                let next = own
                    .claimed
                    .take()
                    .unwrap_or_else(|| own.claims.fetch_add(1, Relaxed));
                let Some(part) = own.parts.get(next) else {
                    return Ok(false);
                };
                each_record(store, kind, part, keep, each)?;
                Ok(true)
            }
            Turns::Blocks(dealt) => {
                let DealtBlocks {
                    scan,
                    next,
                    waiting,
                    ended,
                } = &mut **dealt;
                if *ended {
                    return Ok(false);
                }
                let block = *next;
                *next += 2;
                loop {
                    let row = match waiting.take() {
                        Some(row) => row,
                        None => match scan.next_record_where(keep)? {
                            Some(row) => row,
                            None => {
                                *ended = true;
                                return Ok(true);
                            }
                        },
                    };
                    // Blocks with no row passing `keep` are skipped
                    // unannounced: a row from a later block ends this turn.
                    if scan.block_number() > block {
                        *waiting = Some(row);
                        return Ok(true);
                    }
                    if !each(row.0, row.1)? {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// What the second thread sends for each turn: its rows in batches, then
/// the end of the turn; or that it has no turns left, or the error that
/// stopped it.
enum Found {
    Rows(Vec<Row>),
    EndOfTurn,
    NoTurnsLeft,
    Failed(crate::Error),
}

/// Rows per batch, and messages in flight: the second thread gets at most
/// this many batches or turns ahead of the one visiting them.
const BATCH_ROWS: usize = 512;
const MESSAGES_AHEAD: usize = 32;

/// Reads what is `shared` on two threads, in turns: this thread reads,
/// filters and visits its turns; another reads and filters the others
/// meanwhile, and hands each over in order when its turn comes (see
/// [`Shared`] for who takes which). Reading sled's nodes and decoding
/// records is most of the work, so the second core takes about half of
/// it, while memory stays at a few thousand rows whatever the size of the
/// result.
pub(super) fn in_turns(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    filter: Option<&Expr>,
    keep: &(dyn Fn(&[u8]) -> bool + Sync),
    shared: Shared<'_>,
    visit: &mut RowVisitor<'_>,
) -> Result<(), crate::Error> {
    let store = ctx.store;
    let as_of = ctx.as_of;
    let stop = AtomicBool::new(false);
    let claims = AtomicUsize::new(0);
    let mut mine = Turns::of(store, kind, shared, 0, &claims)?;
    let mut theirs = Turns::of(store, kind, shared, 1, &claims)?;
    std::thread::scope(|scope| {
        let (found, received) = std::sync::mpsc::sync_channel::<Found>(MESSAGES_AHEAD);
        let stop = &stop;
        scope.spawn(move || {
            let mut ctx = Ctx::new(store, as_of);
            // Once stopped, every record goes to the closure below, which
            // ends the turn: a selective `keep` would otherwise read on.
            let keep = |bytes: &[u8]| stop.load(Relaxed) || keep(bytes);
            loop {
                let mut batch = Vec::new();
                let read = theirs.read_next(store, kind, &keep, &mut |record, derived| {
                    if stop.load(Relaxed) {
                        return Ok(false);
                    }
                    if passes(&mut ctx, &record, derived.as_ref(), filter)? {
                        batch.push((record, derived));
                        if batch.len() == BATCH_ROWS {
                            let full = std::mem::take(&mut batch);
                            // A failed send: the visiting thread stopped, and so do we.
                            return Ok(found.send(Found::Rows(full)).is_ok());
                        }
                    }
                    Ok(true)
                });
                let sent = match read {
                    Err(e) => {
                        let _ = found.send(Found::Failed(e));
                        return;
                    }
                    Ok(false) => {
                        let _ = found.send(Found::NoTurnsLeft);
                        return;
                    }
                    Ok(true) if batch.is_empty() => found.send(Found::EndOfTurn),
                    Ok(true) => found
                        .send(Found::Rows(batch))
                        .and_then(|()| found.send(Found::EndOfTurn)),
                };
                if sent.is_err() || stop.load(Relaxed) {
                    return;
                }
            }
        });
        let mut visit_all = || -> Result<(), crate::Error> {
            let (mut mine_left, mut theirs_left) = (true, true);
            let mut going = true;
            for turn in 0usize.. {
                if !(going && (mine_left || theirs_left)) || mine.past_last(turn) {
                    break;
                }
                if let Some(rows) = mine.read_ahead_for(turn) {
                    for (record, derived) in rows {
                        if going {
                            going = visit(ctx, record, derived)?;
                        }
                    }
                    continue;
                }
                if mine.takes(turn) {
                    if mine_left {
                        mine_left = mine.read_next(store, kind, keep, &mut |record, derived| {
                            going = !passes(ctx, &record, derived.as_ref(), filter)?
                                || visit(ctx, record, derived)?;
                            Ok(going)
                        })?;
                    }
                    continue;
                }
                while theirs_left && going {
                    let message = match received.try_recv() {
                        Ok(message) => Ok(message),
                        // Nothing yet: read a later part meanwhile, if one may be.
                        Err(TryRecvError::Empty) if mine.read_ahead(ctx, kind, keep, filter)? => {
                            continue;
                        }
                        Err(TryRecvError::Empty) => received.recv().map_err(|_| ()),
                        Err(TryRecvError::Disconnected) => Err(()),
                    };
                    match message {
                        Ok(Found::Rows(rows)) => {
                            for (record, derived) in rows {
                                if going {
                                    going = visit(ctx, record, derived)?;
                                }
                            }
                        }
                        Ok(Found::EndOfTurn) => break,
                        Ok(Found::NoTurnsLeft) => theirs_left = false,
                        Ok(Found::Failed(e)) => return Err(e),
                        Err(_) => return Err(second_thread_ended()),
                    }
                }
            }
            Ok(())
        };
        let outcome = visit_all();
        // Ends the other thread however this one ended: it sees the flag
        // between records, or a failed send once `received` is dropped.
        stop.store(true, Relaxed);
        drop(received);
        outcome
    })
}

/// The error when the second thread hung up without saying why (it
/// panicked): the statement cannot know the rest of its rows.
fn second_thread_ended() -> crate::Error {
    crate::Error::Internal("the second reading thread ended early".into())
}

/// Folds every record of `kind` that `keep` and the filter pass, in the
/// view of `as_of`, into states that `start` makes, for work whose order
/// does not matter (groups of evaluated rows): two threads each fold every
/// other block, each with an evaluation context of its own, so what a row
/// costs to evaluate — in an `as of` view, its claim's derivation from the
/// evidence visible on the day — runs on both cores, where [`in_turns`]
/// visits every row on this thread. The states come back in turn order;
/// one state when the records fill a single block.
pub(super) fn fold_rows<T: Send>(
    store: &Store,
    kind: Kind,
    as_of: Option<Date>,
    filter: Option<&Expr>,
    keep: &(dyn Fn(&[u8]) -> bool + Sync),
    start: &(dyn Fn() -> T + Sync),
    each: &RowFolder<'_, T>,
) -> Result<Vec<T>, crate::Error> {
    let fold = |deal: Deal| -> Result<T, crate::Error> {
        let mut ctx = Ctx::new(store, as_of);
        let mut state = start();
        let mut scan = store.scan_dealt(kind, deal)?;
        while let Some((record, derived)) = scan.next_record_where(keep)? {
            if passes(&mut ctx, &record, derived.as_ref(), filter)? {
                each(&mut state, &mut ctx, record, derived)?;
            }
        }
        Ok(state)
    };
    fold_dealt(store.records_span_blocks(kind)?, &fold)
}

/// What [`fold_rows`] calls for each row: the thread's state, its context,
/// the row's record and derived values.
pub(super) type RowFolder<'f, T> =
    dyn Fn(&mut T, &mut Ctx<'_>, Record, Option<Derived>) -> Result<(), crate::Error> + Sync + 'f;

/// Folds the fields `projection` picks of every record of its kind into
/// states that `start` makes, for work whose order does not matter (groups):
/// two threads each fold every other block into a state of their own, so no
/// row is handed over and nothing waits. The states come back in turn
/// order; one state when the records fill a single block (read here, in id
/// order).
///
/// Measured (the 1.29M MTEB results, `count results group by metric`, on
/// a busy machine in one benchmark run): whole records handed over in
/// turns 0.95× SQLite's time, projected and folded here 0.49–0.63×; on an
/// idle one each thread's half is ~110 ms of CPU time against SQLite's
/// ~370 ms for the whole.
pub(super) fn fold_projected<T: Send>(
    store: &Store,
    projection: &Projection,
    start: &(dyn Fn() -> T + Sync),
    each: &(dyn Fn(&mut T, &[FieldValue<'_>]) + Sync),
) -> Result<Vec<T>, crate::Error> {
    let fold = |deal: Deal| -> Result<T, crate::Error> {
        let mut state = start();
        store.scan_projected(projection, deal, &mut |row| each(&mut state, row))?;
        Ok(state)
    };
    fold_dealt(store.records_span_blocks(projection.kind())?, &fold)
}

/// Runs `fold` on every other block on each of two threads, when the
/// records `span_blocks`; else once, here, on them all. The states come
/// back in turn order.
pub(super) fn fold_dealt<T: Send>(
    span_blocks: bool,
    fold: &(dyn Fn(Deal) -> Result<T, crate::Error> + Sync),
) -> Result<Vec<T>, crate::Error> {
    if !span_blocks {
        return Ok(vec![fold(Deal::ALL)?]);
    }
    std::thread::scope(|scope| {
        let theirs = scope.spawn(|| fold(Deal { turn: 1, of: 2 }));
        let mine = fold(Deal { turn: 0, of: 2 });
        // Joined before returning, however this thread ended.
        let theirs = theirs.join().map_err(|_| second_thread_ended());
        Ok(vec![mine?, theirs??])
    })
}
