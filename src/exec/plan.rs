//! Chooses how to find a query's rows — an index range when one conjunct of
//! the filter is an indexed condition, the counters or an index walk for
//! plain counts, a scan otherwise — and produces the rows.

use super::eval::{Ctx, may_contain_raw, order_values, path};
use super::output::{Output, Value};
use super::{conjuncts, visible};
use crate::model::schema::{self, FieldType};
use crate::model::{Derived, Kind, Record, Status};
use crate::query::ast::{CompareOp, Count, Expr, Literal, Query};
use crate::store::blocks::Deal;
use crate::store::keys::{self, IndexId};
use crate::store::{RecordScan, Store, StoreError, decode_claim_row, decode_record};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Where the rows come from.
enum Source {
    /// Every record of the kind, in id order.
    Scan,
    /// These ids (sorted, distinct).
    Ids(Vec<String>),
    /// These ids (sorted, distinct), which are exactly the records that
    /// satisfy the filter's conjunct number `.1`: only the rest is checked.
    Matches(Vec<String>, usize),
    /// The records in one value's run of an index holding rows (so in id
    /// order), read from the index alone.
    Rows(IndexRanges),
}

/// Ranges of index keys that hold every row a conjunct can match.
struct IndexRanges {
    index: IndexId,
    /// (start, end-exclusive) key ranges; `None` end means to the end of the index.
    ranges: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Whether the conjunct is `field = one value`: one range, whose
    /// entries come in id order.
    one_value: bool,
}

/// The index ranges for one conjunct, if it is an indexed condition.
fn index_ranges(kind: Kind, expr: &Expr, as_of: bool) -> Option<IndexRanges> {
    let (field, lits, op) = match expr {
        Expr::Compare { field, op, value } => (field, vec![&value.node], op.node),
        Expr::In {
            field,
            negated: false,
            values,
        } => (
            field,
            values.iter().map(|v| &v.node).collect(),
            CompareOp::Eq,
        ),
        Expr::Has { field, value } => (field, vec![&value.node], CompareOp::Eq),
        _ => return None,
    };
    if field.path.len() != 1 || op == CompareOp::Ne {
        return None;
    }
    let name = field.path[0].node.as_str();
    let index = IndexId::for_field(kind, name)?;
    if index.is_derived() && as_of {
        return None;
    }
    let mut ranges = Vec::new();
    for lit in lits {
        let mut key = Vec::new();
        match (index, lit) {
            (IndexId::ClaimStatus, Literal::String(s)) => {
                keys::encode_status(&mut key, Status::from_name(s)?)
            }
            (IndexId::ClaimConfidence, Literal::Number(n)) => keys::encode_number(&mut key, *n),
            (
                IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate,
                Literal::Date(d),
            ) => keys::encode_date(&mut key, *d),
            (
                IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate,
                Literal::String(s),
            ) => keys::encode_date(&mut key, crate::model::Date::parse(s)?),
            (_, Literal::String(s))
                if !matches!(index, IndexId::ClaimStatus | IndexId::ClaimConfidence) =>
            {
                if matches!(
                    index,
                    IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate
                ) {
                    return None;
                }
                keys::encode_string(&mut key, s)
            }
            _ => return None,
        }
        let after = prefix_end(&key);
        ranges.push(match op {
            CompareOp::Eq => (key, after),
            CompareOp::Lt => (Vec::new(), Some(key)),
            CompareOp::Le => (Vec::new(), after),
            CompareOp::Gt => (after?, None),
            CompareOp::Ge => (key, None),
            CompareOp::Ne => return None,
        });
    }
    // Ranges on string values are byte ranges only for `=`/`in`/`has`.
    let fixed_width = matches!(
        index,
        IndexId::ClaimCreated
            | IndexId::SourcePublished
            | IndexId::ResultDate
            | IndexId::ClaimConfidence
    );
    if op != CompareOp::Eq && !fixed_width {
        return None;
    }
    let one_value = op == CompareOp::Eq && ranges.len() == 1;
    Some(IndexRanges {
        index,
        ranges,
        one_value,
    })
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

/// Preference among indexed conjuncts: the most selective kinds of index first.
fn index_rank(index: IndexId) -> u8 {
    match index {
        IndexId::EvidenceClaim
        | IndexId::ClaimSubject
        | IndexId::ResultModel
        | IndexId::EvidenceResult => 0,
        IndexId::EvidenceSource
        | IndexId::ResultBenchmark
        | IndexId::ResultSource
        | IndexId::ClaimTags => 1,
        IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate => 2,
        IndexId::SourceKind => 3,
        IndexId::ClaimStatus | IndexId::ClaimConfidence => 4,
    }
}

/// Ids (sorted, distinct) of the index entries in `ranges`.
fn ids_in(store: &Store, ranges: &IndexRanges) -> Result<Vec<String>, StoreError> {
    let mut ids = Vec::new();
    for (start, end) in &ranges.ranges {
        let mut cursor = store.index_cursor(ranges.index, start)?;
        while cursor.advance()? {
            store.check_interrupt()?;
            if end.as_deref().is_some_and(|e| cursor.key() >= e) {
                break;
            }
            if let Some((_, id)) = keys::split_index_key(ranges.index, cursor.key()) {
                ids.push(String::from_utf8_lossy(id).into_owned());
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Number of index entries in `ranges` (no record decoded).
fn count_in(store: &Store, ranges: &IndexRanges) -> Result<u64, StoreError> {
    let mut n = 0;
    for (start, end) in &ranges.ranges {
        let mut cursor = store.index_cursor(ranges.index, start)?;
        while cursor.advance()? && end.as_deref().is_none_or(|e| cursor.key() < e) {
            store.check_interrupt()?;
            n += 1;
        }
    }
    Ok(n)
}

/// Picks the row source for a filter.
fn choose_source(
    store: &Store,
    kind: Kind,
    filter: Option<&Expr>,
    as_of: bool,
) -> Result<Source, StoreError> {
    let Some(filter) = filter else {
        return Ok(Source::Scan);
    };
    let parts = conjuncts(filter);
    // `id = X` / `id in (…)`: the ids themselves.
    for part in &parts {
        let Some((field, lits)) = equality(part) else {
            continue;
        };
        if field.path.len() == 1 && field.path[0].node == "id" {
            let mut ids: Vec<String> = lits
                .into_iter()
                .filter_map(|l| match l {
                    Literal::String(s) => Some(s.clone()),
                    Literal::Number(n) => Some(format!("{n}")),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            return Ok(Source::Ids(ids));
        }
    }
    let best = parts
        .iter()
        .filter_map(|p| index_ranges(kind, p, as_of))
        .min_by_key(|r| index_rank(r.index));
    let best = match best {
        Some(ranges) if index_rank(ranges.index) <= 2 => return from_index(store, ranges),
        other => other,
    };
    if kind == Kind::Claim
        && let Some(join) = claims_citing_sources(store, &parts, as_of)?
    {
        return Ok(match join.covers {
            Some(at) => Source::Matches(join.claims, at),
            None => Source::Ids(join.claims),
        });
    }
    match best {
        Some(ranges) => from_index(store, ranges),
        None => Ok(Source::Scan),
    }
}

/// The rows of an indexed conjunct: read from the index itself when its
/// entries hold rows in id order, else as the ids it lists.
fn from_index(store: &Store, ranges: IndexRanges) -> Result<Source, StoreError> {
    if ranges.index.holds_rows() && ranges.one_value {
        Ok(Source::Rows(ranges))
    } else {
        Ok(Source::Ids(ids_in(store, &ranges)?))
    }
}

/// For `any evidence (… source.kind = K …)` or `(… source = S …)` among
/// the conjuncts: the claims that cite one of those sources (with the
/// stance asked for, if any), a superset of the matches read from the
/// indexes (sources by kind, then evidence by source, whose entries carry
/// the claim and stance) rather than by walking every claim's evidence.
fn claims_citing_sources(
    store: &Store,
    parts: &[&Expr],
    as_of: bool,
) -> Result<Option<SemiJoin>, StoreError> {
    for (at, part) in parts.iter().enumerate() {
        let Expr::Quantified {
            quantifier,
            condition: Some(condition),
            ..
        } = part
        else {
            continue;
        };
        if quantifier.node != crate::query::ast::Quantifier::Any {
            continue;
        }
        let inner = conjuncts(condition);
        for one in &inner {
            let sources = if let Some(ids) = string_values(one, &["source"]) {
                ids
            } else if let Some(kinds) = string_values(one, &["source", "kind"]) {
                let mut ranges = Vec::new();
                for k in kinds {
                    let mut key = Vec::new();
                    keys::encode_string(&mut key, &k);
                    let end = prefix_end(&key);
                    ranges.push((key, end));
                }
                ids_in(
                    store,
                    &IndexRanges {
                        index: IndexId::SourceKind,
                        ranges,
                        one_value: false,
                    },
                )?
            } else {
                continue;
            };
            // A stance among the same conjuncts narrows the pieces further.
            let stance_of = |c: &Expr| match string_values(c, &["stance"])?.as_slice() {
                [one] if one == "supports" => Some(true),
                [one] if one == "refutes" => Some(false),
                _ => None,
            };
            let stance = inner.iter().find_map(|c| stance_of(c));
            let mut claims = Vec::new();
            for source in sources {
                for (claim, supports) in store.claims_cited_by(&source)? {
                    if stance.is_none_or(|s| s == supports) {
                        claims.push(claim);
                    }
                }
            }
            claims.sort_unstable();
            claims.dedup();
            // Exact when the condition says nothing else — this conjunct and
            // at most one stance — and every piece of evidence counts (an
            // `as of` view hides some).
            let others: Vec<&&Expr> = inner.iter().filter(|c| !std::ptr::eq(**c, *one)).collect();
            let exact = !as_of
                && match others.as_slice() {
                    [] => true,
                    [only] => stance_of(only).is_some(),
                    _ => false,
                };
            return Ok(Some(SemiJoin {
                claims,
                covers: exact.then_some(at),
            }));
        }
    }
    Ok(None)
}

/// Claims found through the evidence.source index.
struct SemiJoin {
    /// Sorted, distinct.
    claims: Vec<String>,
    /// The conjunct these are exactly the matches of, if they are.
    covers: Option<usize>,
}

/// The filter without its conjunct number `skip` (`None` if nothing is left).
fn without_conjunct(filter: &Expr, skip: usize) -> Option<Expr> {
    conjuncts(filter)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .map(|(_, e)| e.clone())
        .reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
}

/// The field and values of `field = v` or `field in (v, …)`.
fn equality(expr: &Expr) -> Option<(&crate::query::ast::Field, Vec<&Literal>)> {
    match expr {
        Expr::Compare { field, op, value } if op.node == CompareOp::Eq => {
            Some((field, vec![&value.node]))
        }
        Expr::In {
            field,
            negated: false,
            values,
        } => Some((field, values.iter().map(|v| &v.node).collect())),
        _ => None,
    }
}

/// The string values of `path = "v"` or `path in ("v", …)`.
fn string_values(expr: &Expr, path: &[&str]) -> Option<Vec<String>> {
    let (field, lits) = equality(expr)?;
    if field.path.len() != path.len() || field.path.iter().zip(path).any(|(a, b)| a.node != *b) {
        return None;
    }
    lits.into_iter()
        .map(|l| match l {
            Literal::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// What `for_each_row` calls for each matching row; `false` stops the walk.
/// Gets each row's record and derived values to keep (so a row's text can
/// be moved out of the record rather than copied).
type RowVisitor<'v> =
    dyn FnMut(&mut Ctx<'_>, Record, Option<Derived>) -> Result<bool, crate::Error> + 'v;

/// Calls `visit` with each row of `kind` that passes the filter, in id
/// order, until it returns `false`.
fn for_each_row(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    filter: Option<&Expr>,
    visit: &mut RowVisitor<'_>,
) -> Result<(), crate::Error> {
    let store = ctx.store;
    let source = choose_source(store, kind, filter, ctx.as_of.is_some())?;
    let residual;
    let (source, filter) = match (source, filter) {
        (Source::Matches(ids, at), Some(f)) => {
            residual = without_conjunct(f, at);
            (Source::Ids(ids), residual.as_ref())
        }
        (source, filter) => (source, filter),
    };
    let needles = stored_needles(kind, filter);
    let keep = |stored: &[u8]| needles.iter().all(|n| may_contain_raw(stored, n));
    // Parts read in turns by two threads, when there is enough to share.
    // (`Matches` became `Ids` above; with no filter there is none.)
    let parts: Vec<Part<'_>> = match &source {
        Source::Scan if store.records_span_blocks(kind)? => {
            return in_turns(ctx, kind, filter, &keep, Shared::Blocks, visit);
        }
        Source::Scan => vec![Part::Range(Vec::new(), None)],
        Source::Ids(ids) | Source::Matches(ids, _) if ids.len() >= MIN_IDS_TO_SHARE => ids
            .chunks((ids.len() / ID_PARTS).max(MIN_IDS_TO_SHARE / 2))
            .map(Part::Ids)
            .collect(),
        Source::Ids(ids) | Source::Matches(ids, _) => vec![Part::Ids(ids)],
        Source::Rows(ranges) => ranges
            .ranges
            .iter()
            .map(|(start, end)| Part::Rows(ranges.index, start, end.as_deref()))
            .collect(),
    };
    match parts.as_slice() {
        [only] => each_record(store, kind, only, &keep, &mut |record, derived| {
            if !passes(ctx, &record, derived.as_ref(), filter)? {
                return Ok(true);
            }
            visit(ctx, record, derived)
        }),
        _ => in_turns(ctx, kind, filter, &keep, Shared::Parts(&parts), visit),
    }
}

/// A list of ids is cut into about this many runs, read in turns.
const ID_PARTS: usize = 16;

/// Fewest ids worth a second thread (starting one costs tens of µs).
const MIN_IDS_TO_SHARE: usize = 256;

/// A run of records to read, in id order.
enum Part<'a> {
    /// The ids from the first (inclusive) to the second (exclusive; `None`: to the end).
    Range(Vec<u8>, Option<Vec<u8>>),
    /// These ids (sorted, distinct).
    Ids(&'a [String]),
    /// The rows of an index from the first key (inclusive) to the second
    /// (exclusive; `None`: to the end).
    Rows(IndexId, &'a [u8], Option<&'a [u8]>),
}

/// Calls `each` with the records of `part` (and their derived values)
/// whose stored bytes pass `keep`, until it returns `false`.
fn each_record(
    store: &Store,
    kind: Kind,
    part: &Part<'_>,
    keep: &dyn Fn(&[u8]) -> bool,
    each: &mut dyn FnMut(Record, Option<Derived>) -> Result<bool, crate::Error>,
) -> Result<(), crate::Error> {
    match part {
        Part::Range(from, until) => {
            let mut scan = store.scan_between(kind, from, until.as_deref())?;
            while let Some((record, derived)) = scan.next_record_where(keep)? {
                if !each(record, derived)? {
                    break;
                }
            }
        }
        Part::Ids(ids) => {
            // The ids are sorted, so one forward-seeking walk reads each
            // block once however many of its records are wanted.
            let first = ids.first().map_or("", String::as_str);
            let mut walk = store.scan_between(kind, first.as_bytes(), None)?;
            for id in *ids {
                let Some((record, derived)) = walk.seek_record(id)? else {
                    continue;
                };
                if !each(record, derived)? {
                    break;
                }
            }
        }
        Part::Rows(index, from, until) => {
            let mut cursor = store.index_cursor(*index, from)?;
            while cursor.advance()? && until.is_none_or(|u| cursor.key() < u) {
                store.check_interrupt()?;
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
        }
    }
    Ok(())
}

/// Whether a record is in the view and passes the filter.
fn passes(
    ctx: &mut Ctx<'_>,
    record: &Record,
    derived: Option<&Derived>,
    filter: Option<&Expr>,
) -> Result<bool, crate::Error> {
    Ok(visible(ctx, record)?
        && match filter {
            Some(f) => ctx.matches(record, derived, f)?,
            None => true,
        })
}

/// What two threads share, in turns.
#[derive(Clone, Copy)]
enum Shared<'a> {
    /// A list of parts, in id order: this thread takes the even ones.
    Parts(&'a [Part<'a>]),
    /// Every record, dealt a block at a time: however the ids are spread,
    /// neighbouring blocks hold about as many records, so the threads
    /// share the work evenly.
    Blocks,
}

/// One thread's share: its turns, read one after another.
enum Turns<'s, 'a> {
    /// Every other part, from `next` on.
    Parts { parts: &'a [Part<'a>], next: usize },
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

impl<'s, 'a> Turns<'s, 'a> {
    /// The share of thread `thread` (0 or 1).
    fn of(
        store: &'s Store,
        kind: Kind,
        shared: Shared<'a>,
        thread: u8,
    ) -> Result<Self, crate::Error> {
        Ok(match shared {
            Shared::Parts(parts) => Turns::Parts {
                parts,
                next: usize::from(thread),
            },
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

    /// Reads the next turn, calling `each` with its rows whose stored bytes
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
            Turns::Parts { parts, next } => {
                let Some(part) = parts.get(*next) else {
                    return Ok(false);
                };
                *next += 2;
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
    Rows(Vec<(Record, Option<Derived>)>),
    EndOfTurn,
    NoTurnsLeft,
    Failed(crate::Error),
}

/// Rows per batch, and messages in flight: the second thread gets at most
/// this many batches or turns ahead of the one visiting them.
const BATCH_ROWS: usize = 512;
const MESSAGES_AHEAD: usize = 32;

/// Reads what is `shared` on two threads, in turns: this thread reads,
/// filters and visits the even turns; another reads and filters the odd
/// ones meanwhile, and hands each over in order when its turn comes.
/// Reading sled's nodes and decoding records is most of the work, so the
/// second core takes half of it, while memory stays at a few thousand rows
/// whatever the size of the result.
fn in_turns(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    filter: Option<&Expr>,
    keep: &(dyn Fn(&[u8]) -> bool + Sync),
    shared: Shared<'_>,
    visit: &mut RowVisitor<'_>,
) -> Result<(), crate::Error> {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    let store = ctx.store;
    let as_of = ctx.as_of;
    let stop = AtomicBool::new(false);
    let mut mine = Turns::of(store, kind, shared, 0)?;
    let mut theirs = Turns::of(store, kind, shared, 1)?;
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
                if !(going && (mine_left || theirs_left)) {
                    break;
                }
                if turn % 2 == 0 {
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
                    match received.recv() {
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
                        Err(_) => {
                            return Err(crate::Error::Internal(
                                "the second reading thread ended early".into(),
                            ));
                        }
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

/// The ASCII needles of `field ~ "text"` conjuncts on fields stored in the
/// record itself as their text (not derived, not an enum's code, not
/// reached through a reference): a record whose bytes do not hold one
/// cannot match.
fn stored_needles(kind: Kind, filter: Option<&Expr>) -> Vec<Vec<u8>> {
    let Some(filter) = filter else {
        return Vec::new();
    };
    conjuncts(filter)
        .into_iter()
        .filter_map(|part| match part {
            Expr::Contains { field, needle } if field.path.len() == 1 => {
                let def = schema::field(kind, &field.path[0].node)?;
                let needle = needle.node.to_lowercase();
                (!def.derived && !def.stored_as_code && needle.is_ascii())
                    .then(|| needle.into_bytes())
            }
            _ => None,
        })
        .collect()
}

/// A failed write of streamed rows; it ends the statement.
fn write_error(e: std::io::Error) -> crate::Error {
    crate::Error::io("write the output", e)
}

/// A row kept for output, with its sort keys.
struct Kept {
    keys: Vec<Value>,
    id: String,
    row: Vec<Value>,
}

/// Runs a query statement.
pub fn run_query(
    store: &Store,
    q: &Query,
    mut stream: Option<&mut dyn super::RowSink>,
) -> Result<Output, crate::Error> {
    let kind = q.collection.node;
    let mut ctx = Ctx::new(store, q.as_of.as_ref().map(|d| d.node));
    let columns: Vec<String> = if q.select.is_empty() {
        schema::fields(kind)
            .iter()
            .map(|f| f.name.to_owned())
            .collect()
    } else {
        q.select.iter().map(|f| path(f).join(".")).collect()
    };
    // Split once per statement, not once per row.
    let row_columns = RowColumns::new(kind, &columns);
    let offset = q.offset.as_ref().map_or(0, |o| o.node) as usize;
    let limit = q.limit.as_ref().map(|l| l.node as usize);
    let wanted = limit.map(|l| l.saturating_add(offset));
    let mut kept: Vec<Kept> = Vec::new();
    let order: Vec<(Vec<&str>, bool)> = q
        .order_by
        .iter()
        .map(|k| (path(&k.field), k.descending))
        .collect();
    let compare_kept = |a: &Kept, b: &Kept| -> Ordering {
        for (i, (_, desc)) in order.iter().enumerate() {
            let (x, y) = (&a.keys[i], &b.keys[i]);
            let ord = match (x, y) {
                (Value::Null, _) | (_, Value::Null) => order_values(x, y),
                _ if *desc => order_values(y, x),
                _ => order_values(x, y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    };

    if let Some(rows) = top_by_confidence(&mut ctx, q, wanted, &row_columns)? {
        let rows = rows
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        return Ok(Output {
            columns,
            rows,
            report: None,
            message: None,
        });
    }
    if order.is_empty() {
        // Rows come in id order: stop as soon as the page is full.
        if let Some(sink) = stream.as_deref_mut() {
            sink.begin(&columns).map_err(write_error)?;
        }
        let mut seen = 0usize;
        for_each_row(
            &mut ctx,
            kind,
            q.filter.as_ref(),
            &mut |ctx, record, derived| {
                seen += 1;
                if seen > offset {
                    let row = row_values(ctx, record, derived, &row_columns)?;
                    match stream.as_deref_mut() {
                        Some(sink) => sink.row(&row).map_err(write_error)?,
                        None => kept.push(Kept {
                            keys: Vec::new(),
                            id: String::new(),
                            row,
                        }),
                    }
                }
                Ok(wanted.is_none_or(|w| seen < w))
            },
        )?;
    } else {
        for_each_row(
            &mut ctx,
            kind,
            q.filter.as_ref(),
            &mut |ctx, record, derived| {
                let keys = order
                    .iter()
                    .map(|(p, _)| ctx.value(&record, derived.as_ref(), p))
                    .collect::<Result<Vec<_>, _>>()?;
                let id = record.id().to_string();
                let row = row_values(ctx, record, derived, &row_columns)?;
                kept.push(Kept { keys, id, row });
                // Keep memory bounded by the page: trim to the best `wanted` now and then.
                if let Some(w) = wanted
                    && kept.len() >= 2 * w.max(1024)
                {
                    kept.sort_by(&compare_kept);
                    kept.truncate(w);
                }
                Ok(true)
            },
        )?;
        kept.sort_by(&compare_kept);
        kept.drain(..offset.min(kept.len()));
    }
    if let Some(l) = limit {
        kept.truncate(l);
    }
    Ok(Output {
        columns,
        rows: kept.into_iter().map(|k| k.row).collect(),
        report: None,
        message: None,
    })
}

/// `claims … order by confidence [desc] limit N`: walks the confidence
/// index (whose entries hold the claim rows) from the right end and stops
/// after N matching rows, instead of ordering every claim. Ties come in id
/// order, as everywhere.
fn top_by_confidence(
    ctx: &mut Ctx<'_>,
    q: &Query,
    wanted: Option<usize>,
    columns: &RowColumns<'_>,
) -> Result<Option<Vec<Vec<Value>>>, crate::Error> {
    let (Some(wanted), [key]) = (wanted, q.order_by.as_slice()) else {
        return Ok(None);
    };
    if q.collection.node != Kind::Claim || q.as_of.is_some() || path(&key.field) != ["confidence"] {
        return Ok(None);
    }
    let store = ctx.store;
    let mut rows = Vec::new();
    // Entries (id, claim row) of one confidence value, gathered so ties
    // can go in id order.
    let mut tie: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut tie_value: Vec<u8> = Vec::new();
    let flush = |ctx: &mut Ctx<'_>,
                 tie: &mut Vec<(Vec<u8>, Vec<u8>)>,
                 rows: &mut Vec<Vec<Value>>|
     -> Result<bool, crate::Error> {
        tie.sort();
        for (_, row) in tie.drain(..) {
            let (record, derived) = decode_claim_row(&row)?;
            if let Some(f) = &q.filter
                && !ctx.matches(&record, Some(&derived), f)?
            {
                continue;
            }
            rows.push(row_values(ctx, record, Some(derived), columns)?);
            if rows.len() >= wanted {
                return Ok(false);
            }
        }
        Ok(true)
    };
    // A row error stops the walk and is returned after it.
    let mut failure: Option<crate::Error> = None;
    let mut visit = |key: &[u8], row: &[u8]| -> Result<bool, StoreError> {
        let Some((value, id)) = keys::split_index_key(IndexId::ClaimConfidence, key) else {
            return Ok(true);
        };
        if value != tie_value.as_slice() {
            tie_value = value.to_vec();
            match flush(ctx, &mut tie, &mut rows) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    failure = Some(e);
                    return Ok(false);
                }
            }
        }
        tie.push((id.to_vec(), row.to_vec()));
        Ok(true)
    };
    if key.descending {
        store.index_scan_reverse(IndexId::ClaimConfidence, &mut visit)?;
    } else {
        let mut cursor = store.index_cursor(IndexId::ClaimConfidence, &[])?;
        while cursor.advance()? && visit(cursor.key(), cursor.value())? {}
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if rows.len() < wanted {
        flush(ctx, &mut tie, &mut rows)?;
    }
    Ok(Some(rows))
}

fn row_values(
    ctx: &mut Ctx<'_>,
    mut record: Record,
    derived: Option<Derived>,
    columns: &RowColumns<'_>,
) -> Result<Vec<Value>, crate::Error> {
    let mut row = Vec::with_capacity(columns.paths.len());
    for (path, &moved) in columns.paths.iter().zip(&columns.moved) {
        row.push(if moved {
            Value::Null
        } else {
            ctx.value(&record, derived.as_ref(), path)?
        });
    }
    // Moved last, once every other column has its value.
    for (i, path) in columns.paths.iter().enumerate() {
        if columns.moved[i] {
            row[i] = match take_stored_text(&mut record, path[0]) {
                Some(text) => text.map_or(Value::Null, Value::String),
                // Not one of the fields below: read it as any other.
                None => ctx.value(&record, derived.as_ref(), path)?,
            };
        }
    }
    Ok(row)
}

/// A query's columns as paths, worked out once per statement.
struct RowColumns<'q> {
    paths: Vec<Vec<&'q str>>,
    /// Whether each column is a stored text field that no other column
    /// reads: it is moved out of the record rather than copied (copying
    /// was a tenth of a query that prints 8k results).
    moved: Vec<bool>,
}

impl<'q> RowColumns<'q> {
    fn new(kind: Kind, columns: &'q [String]) -> RowColumns<'q> {
        let paths: Vec<Vec<&str>> = columns.iter().map(|c| c.split('.').collect()).collect();
        let moved = (0..paths.len())
            .map(|i| match paths[i].as_slice() {
                [name] => {
                    schema::field(kind, name).is_some_and(|f| {
                        f.ty == FieldType::String && !f.derived && !f.stored_as_code
                    }) && paths
                        .iter()
                        .enumerate()
                        .all(|(j, other)| j == i || other.first() != Some(name))
                }
                _ => false,
            })
            .collect();
        RowColumns { paths, moved }
    }
}

/// Moves a stored text field out of a record (`Some(None)`: the field is
/// not set); `None` for any other field.
fn take_stored_text(record: &mut Record, name: &str) -> Option<Option<String>> {
    let take = std::mem::take;
    Some(match (record, name) {
        (Record::Source(s), "title") => Some(take(&mut s.title)),
        (Record::Source(s), "kind") => Some(take(&mut s.kind)),
        (Record::Source(s), "publisher") => s.publisher.take(),
        (Record::Source(s), "url") => s.url.take(),
        (Record::Claim(c), "text") => Some(take(&mut c.text)),
        (Record::Claim(c), "subject") => c.subject.take(),
        (Record::Evidence(e), "note") => e.note.take(),
        (Record::Result(r), "model") => Some(take(&mut r.model)),
        (Record::Result(r), "benchmark") => Some(take(&mut r.benchmark)),
        (Record::Result(r), "metric") => Some(take(&mut r.metric)),
        (Record::Result(r), "unit") => r.unit.take(),
        (Record::Result(r), "note") => r.note.take(),
        _ => return None,
    })
}

/// Runs a count statement.
pub fn run_count(store: &Store, c: &Count) -> Result<Output, crate::Error> {
    let kind = c.collection.node;
    let as_of = c.as_of.as_ref().map(|d| d.node);
    let count_row = |n: u64| Output {
        columns: vec!["count".into()],
        rows: vec![vec![Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))]],
        report: None,
        message: None,
    };
    let Some(group) = &c.group_by else {
        if as_of.is_none() {
            match &c.filter {
                None => return Ok(count_row(store.counters()?.of_kind(kind))),
                Some(f) => {
                    if let Some(ranges) = index_ranges(kind, f, false) {
                        return Ok(count_row(count_in(store, &ranges)?));
                    }
                }
            }
        }
        let mut n = 0u64;
        let mut ctx = Ctx::new(store, as_of);
        for_each_row(&mut ctx, kind, c.filter.as_ref(), &mut |_, _, _| {
            n += 1;
            Ok(true)
        })?;
        return Ok(count_row(n));
    };
    let group_path = path(group);
    let name = group_path.join(".");
    let mut groups: Vec<(Value, u64)> = Vec::new();
    if c.filter.is_none()
        && as_of.is_none()
        && group_path.len() == 1
        && let Some(g) = count_groups_from_index(store, kind, group_path[0])?
    {
        groups = g;
    }
    if groups.is_empty() {
        let mut counts: BTreeMap<GroupKey, u64> = BTreeMap::new();
        let mut ctx = Ctx::new(store, as_of);
        for_each_row(
            &mut ctx,
            kind,
            c.filter.as_ref(),
            &mut |ctx, record, derived| {
                match ctx.value(&record, derived.as_ref(), &group_path)? {
                    Value::List(items) if items.is_empty() => {
                        *counts.entry(GroupKey(Value::Null)).or_default() += 1
                    }
                    Value::List(items) => {
                        let mut items = items;
                        items.sort_by(order_values);
                        items.dedup();
                        for item in items {
                            *counts.entry(GroupKey(item)).or_default() += 1;
                        }
                    }
                    v => *counts.entry(GroupKey(v)).or_default() += 1,
                }
                Ok(true)
            },
        )?;
        groups = counts.into_iter().map(|(k, n)| (k.0, n)).collect();
    }
    Ok(Output {
        columns: vec![name, "count".into()],
        rows: groups
            .into_iter()
            .map(|(v, n)| vec![v, Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))])
            .collect(),
        report: None,
        message: None,
    })
}

/// `count … group by F` answered from the counters or F's index, without
/// decoding a record. `None` when F has no suitable index.
fn count_groups_from_index(
    store: &Store,
    kind: Kind,
    field: &str,
) -> Result<Option<Vec<(Value, u64)>>, StoreError> {
    let counters = store.counters()?;
    if kind == Kind::Claim && field == "status" {
        let mut groups: Vec<(Value, u64)> = Status::ALL
            .into_iter()
            .filter(|s| counters.of_status(*s) > 0)
            .map(|s| (Value::String(s.name().into()), counters.of_status(s)))
            .collect();
        groups.sort_by(|a, b| order_values(&a.0, &b.0));
        return Ok(Some(groups));
    }
    let Some(index) = IndexId::for_field(kind, field) else {
        return Ok(None);
    };
    let is_list = schema::field(kind, field).is_some_and(|f| f.ty == FieldType::List);
    if index.is_derived() || is_list {
        return Ok(None);
    }
    let decode = |value: &[u8]| {
        match index {
            IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate => {
                keys::decode_date(value).map(Value::Date)
            }
            _ => keys::decode_string(value).map(Value::String),
        }
        .unwrap_or(Value::Null)
    };
    let mut groups: Vec<(Value, u64)> = Vec::new();
    let mut total = 0u64;
    if let Some(counts) = store.group_counts(index)? {
        // Kept up to date on every write: one entry per group.
        for (value, n) in counts {
            total += n;
            groups.push((decode(&value), n));
        }
    } else {
        let mut current: Option<Vec<u8>> = None;
        let mut cursor = store.index_cursor(index, &[])?;
        while cursor.advance()? {
            store.check_interrupt()?;
            // The encoded value ends with its terminator, so a key of the
            // same group starts with it: no need to find where it ends.
            if let Some(value) = &current
                && cursor.key().starts_with(value)
            {
                total += 1;
                if let Some(last) = groups.last_mut() {
                    last.1 += 1;
                }
                continue;
            }
            let Some((value, _)) = keys::split_index_key(index, cursor.key()) else {
                continue;
            };
            total += 1;
            current = Some(value.to_vec());
            groups.push((decode(value), 1));
        }
    }
    let absent = counters.of_kind(kind).saturating_sub(total);
    if absent > 0 {
        groups.push((Value::Null, absent));
    }
    Ok(Some(groups))
}

/// A value usable as an ordered map key: the order of `order by`.
#[derive(PartialEq)]
struct GroupKey(Value);

impl Eq for GroupKey {}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> Ordering {
        order_values(&self.0, &other.0)
    }
}
