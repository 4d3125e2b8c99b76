//! Runs an [`Access`] plan: reads the rows it names — from a scan, a list
//! of ids, an index range or a semi-join — checks them against the filter
//! and hands them over in id order, on two threads when there is enough to
//! share (see [`super::parallel`]).

use super::eval::{Ctx, may_contain_raw};
use super::parallel::{RowFolder, Shared, fold_rows, in_turns};
use super::plan::{Access, SemiJoin, Sources};
use super::{conjuncts, visible};
use crate::model::fields;
use crate::model::{Derived, Id, Kind, Record};
use crate::query::ast::Expr;
use crate::store::IndexId;
use crate::store::{KeyRange, Store, StoreError};

/// What `for_each_row` calls for each matching row; `false` stops the walk.
/// Gets each row's record and derived values to keep (so a row's text can
/// be moved out of the record rather than copied).
pub(super) type RowVisitor<'v> =
    dyn FnMut(&mut Ctx<'_>, Record, Option<Derived>) -> Result<bool, crate::Error> + 'v;

/// Calls `visit` with each row of `kind` that `access` reads and that
/// passes the filter, in id order, until it returns `false`.
pub(super) fn for_each_row(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    access: &Access,
    filter: Option<&Expr>,
    visit: &mut RowVisitor<'_>,
) -> Result<(), crate::Error> {
    let store = ctx.store;
    let view_day = derives_evidence(store, kind, ctx.as_of)?;
    // The ids a semi-join or an index range lists are read now, not when planning.
    let listed;
    let residual;
    let mut filter = filter;
    let source = match access {
        Access::Scan => Source::Scan,
        Access::Ids(ids) => Source::Ids(ids),
        Access::IndexRange(range) => {
            listed = store.ids_in(range)?;
            Source::Ids(&listed)
        }
        Access::IndexRows(range) => Source::Rows(range.index(), range.key_runs()),
        Access::SemiJoin(join) => {
            listed = claims_citing(store, join)?;
            if let (Some(at), Some(f)) = (join.covers, filter) {
                residual = without_conjunct(f, at);
                filter = residual.as_ref();
            }
            Source::Ids(&listed)
        }
    };
    let needles = stored_needles(kind, filter);
    let keep = |stored: &[u8]| needles.iter().all(|n| may_contain_raw(stored, n));
    if let Some(day) = view_day {
        let ids = match &source {
            Source::Ids(ids) => Some(*ids),
            _ => None,
        };
        let claims = claims_reached(access);
        let view = View {
            day,
            ids,
            claims: claims.as_deref(),
        };
        return each_evidence_in_view(ctx, &view, filter, &keep, visit);
    }
    // Parts read in turns by two threads, when there is enough to share.
    let parts: Vec<Part<'_>> = match &source {
        Source::Scan if store.records_span_blocks(kind)? => {
            return in_turns(ctx, kind, filter, &keep, Shared::Blocks, visit);
        }
        Source::Scan => vec![Part::All],
        Source::Ids(ids) if ids.len() >= MIN_IDS_TO_SHARE => ids
            .chunks((ids.len() / ID_PARTS).clamp(MIN_IDS_TO_SHARE / 2, MAX_PART_IDS))
            .map(Part::Ids)
            .collect(),
        Source::Ids(ids) => vec![Part::Ids(ids)],
        Source::Rows(index, runs) => runs.iter().map(|run| Part::Rows(*index, run)).collect(),
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

/// Folds every row of a scan of `kind` that passes the filter, in the view
/// of `as_of`, into states that `start` makes, on two threads when the
/// records span blocks (see [`fold_rows`]): for work whose order does not
/// matter. The states come back in no particular order.
pub(super) fn fold_scan<T: Send>(
    store: &Store,
    kind: Kind,
    as_of: Option<crate::model::Date>,
    filter: Option<&Expr>,
    start: &(dyn Fn() -> T + Sync),
    each: &RowFolder<'_, T>,
) -> Result<Vec<T>, crate::Error> {
    let needles = stored_needles(kind, filter);
    let keep = |stored: &[u8]| needles.iter().all(|n| may_contain_raw(stored, n));
    if let Some(day) = derives_evidence(store, kind, as_of)? {
        let mut ctx = Ctx::new(store, as_of);
        let mut state = start();
        let view = View {
            day,
            ids: None,
            claims: None,
        };
        each_evidence_in_view(
            &mut ctx,
            &view,
            filter,
            &keep,
            &mut |ctx, record, derived| {
                each(&mut state, ctx, record, derived)?;
                Ok(true)
            },
        )?;
        return Ok(vec![state]);
    }
    fold_rows(store, kind, as_of, filter, &keep, start, each)
}

/// The day of an `as of` view of evidence whose derived evidence the view
/// works out itself (see [`each_evidence_in_view`]): when the database has
/// benchmark claims, the only ones with derived evidence.
fn derives_evidence(
    store: &Store,
    kind: Kind,
    as_of: Option<crate::model::Date>,
) -> Result<Option<crate::model::Date>, StoreError> {
    Ok(match as_of {
        Some(day) if kind == Kind::Evidence && store.has_bench_claims()? => Some(day),
        _ => None,
    })
}

/// What [`each_evidence_in_view`] reads: the view's day, and where the
/// plan narrowed the statement, the evidence ids it lists (sorted) and the
/// claims whose derived evidence it can reach.
struct View<'a> {
    day: crate::model::Date,
    ids: Option<&'a [String]>,
    claims: Option<&'a [&'a str]>,
}

/// The claims whose derived evidence a plan for evidence can reach, when
/// it names them: the claims of the derived ids it lists (none for
/// recorded ids alone), or those of `claim = …` / `claim in (…)`; `None`
/// for any other plan (every claim).
fn claims_reached(access: &Access) -> Option<Vec<&str>> {
    let mut claims: Vec<&str> = match access {
        Access::Ids(ids) => (ids.iter())
            .filter_map(|id| Some(Id::split_derived(id)?.0))
            .collect(),
        Access::IndexRange(range) if range.index() == IndexId::EvidenceClaim => {
            range.exact_texts()?
        }
        _ => return None,
    };
    claims.sort_unstable();
    claims.dedup();
    Some(claims)
}

/// The evidence of an `as of` view of a database with benchmark claims
/// (SPEC 2, 8.3), in id order: the recorded evidence visible on the day,
/// and in place of today's derived evidence the view's own (its benchmark
/// claims judged on the results visible that day), each passing `filter`.
/// On this thread: the view's derived evidence is worked out first (for
/// the claims the plan reaches), and no index lists it; the recorded
/// evidence comes from the plan's ids, or a scan.
fn each_evidence_in_view(
    ctx: &mut Ctx<'_>,
    view: &View<'_>,
    filter: Option<&Expr>,
    keep: &dyn Fn(&[u8]) -> bool,
    visit: &mut RowVisitor<'_>,
) -> Result<(), crate::Error> {
    let store = ctx.store;
    let derived = store.view_derived_evidence(view.day, view.claims)?;
    let mut derived = derived.into_iter().peekable();
    let part = match view.ids {
        Some(ids) => Part::Ids(ids),
        None => Part::All,
    };
    let mut more = true;
    // Today's derived evidence is not visible (`passes`): the view has its own.
    each_record(store, Kind::Evidence, &part, keep, &mut |record, values| {
        more = hand_over(ctx, &mut derived, Some(record.id().as_str()), filter, visit)?;
        if !more || !passes(ctx, &record, values.as_ref(), filter)? {
            return Ok(more);
        }
        more = visit(ctx, record, values)?;
        Ok(more)
    })?;
    if more {
        hand_over(ctx, &mut derived, None, filter, visit)?;
    }
    Ok(())
}

/// Hands `visit` the view's derived evidence with ids before `until` (all
/// that is left for `None`) that passes `filter`; `false` once `visit` has
/// had enough. It is in the view by construction: only the filter is asked.
fn hand_over(
    ctx: &mut Ctx<'_>,
    derived: &mut std::iter::Peekable<std::vec::IntoIter<crate::model::Evidence>>,
    until: Option<&str>,
    filter: Option<&Expr>,
    visit: &mut RowVisitor<'_>,
) -> Result<bool, crate::Error> {
    while let Some(e) = derived.next_if(|e| until.is_none_or(|u| e.id.as_str() < u)) {
        let record = Record::Evidence(e);
        let wanted = match filter {
            Some(f) => ctx.matches(&record, None, f)?,
            None => true,
        };
        if wanted && !visit(ctx, record, None)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Where the rows come from, once the store has been read for the ids.
enum Source<'a> {
    /// Every record of the kind, in id order.
    Scan,
    /// These ids (sorted, distinct).
    Ids(&'a [String]),
    /// The rows held by these runs of an index.
    Rows(IndexId, Vec<KeyRange>),
}

/// The claims (sorted, distinct) that evidence from a semi-join's sources
/// bears on, with its stance if it asks for one.
fn claims_citing(store: &Store, join: &SemiJoin) -> Result<Vec<String>, StoreError> {
    let of_kinds;
    let sources = match &join.sources {
        Sources::Ids(ids) => ids,
        Sources::OfKinds(range) => {
            of_kinds = store.ids_in(range)?;
            &of_kinds
        }
    };
    let mut claims = Vec::new();
    for source in sources {
        for (claim, supports) in store.claims_cited_by(source)? {
            if join.stance.is_none_or(|s| s == supports) {
                claims.push(claim);
            }
        }
    }
    claims.sort_unstable();
    claims.dedup();
    Ok(claims)
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

/// A list of ids is cut into about this many runs, read in turns…
const ID_PARTS: usize = 16;

/// …of at most this many ids: the visiting thread may hold one run's rows
/// read ahead (see [`super::parallel::Shared::Parts`]).
const MAX_PART_IDS: usize = 4096;

/// Fewest ids worth a second thread (starting one costs tens of µs).
const MIN_IDS_TO_SHARE: usize = 256;

/// A run of records to read, in id order.
pub(super) enum Part<'a> {
    /// Every record of the kind.
    All,
    /// These ids (sorted, distinct).
    Ids(&'a [String]),
    /// The rows held by one run of an index's keys.
    Rows(IndexId, &'a KeyRange),
}

/// Calls `each` with the records of `part` (and their derived values)
/// whose stored bytes pass `keep`, until it returns `false`.
pub(super) fn each_record(
    store: &Store,
    kind: Kind,
    part: &Part<'_>,
    keep: &dyn Fn(&[u8]) -> bool,
    each: &mut dyn FnMut(Record, Option<Derived>) -> Result<bool, crate::Error>,
) -> Result<(), crate::Error> {
    match part {
        Part::All => {
            let mut scan = store.scan(kind)?;
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
        Part::Rows(index, run) => store.index_rows(*index, kind, run, each)?,
    }
    Ok(())
}

/// Whether a record is in the view and passes the filter.
pub(super) fn passes(
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
                let def = fields::field(kind, &field.path[0].node)?;
                let needle = needle.node.written().ok()?.to_lowercase();
                (!def.derived && !def.stored_as_code && needle.is_ascii())
                    .then(|| needle.into_bytes())
            }
            _ => None,
        })
        .collect()
}
