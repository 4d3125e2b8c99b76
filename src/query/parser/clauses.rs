//! The clauses of queries and counts, and the collection or kind a statement names.

use super::expected::{Thing, Tok, Want, expected_err, show_word, toks};
use super::expr::{expr, field, field_as};
use super::lexical::{backtrack, close, expect_keyword, keyword, name, punct, span_of};
use super::literal::{date_only, int};
use super::param::or_param;
use super::{Ctx, In, PResult};
use crate::model::{Date, Kind};
use crate::query::ast::{
    Aggregate, AggregateFn, Arg, Count, Expr, Field, Item, OrderKey, Query, Spanned,
};
use crate::query::error::{ParseError, ParseErrorKind};
use crate::query::vocabulary::{COLLECTIONS, KINDS};
use crate::suggest::did_you_mean;
use nom::combinator::cut;
use nom::{Err, Parser};

pub(super) const NOTHING: &[Want] = &[];
// After the collection, the hint keeps the list it had before `group by`
// came to queries (the tour and its error snapshots show it); the clause is
// listed once a `where` or an `as of` has been read.
pub(super) const Q_COLLECTION: &[Want] = &[
    Tok("as of"),
    Tok("where"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
pub(super) const Q_AS_OF: &[Want] = &[
    Tok("where"),
    Tok("group by"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
pub(super) const Q_WHERE: &[Want] = &[
    Tok("and"),
    Tok("or"),
    Tok("group by"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
const Q_GROUP: &[Want] = &[Tok(","), Tok("order by"), Tok("limit"), Tok("select")];
pub(super) const Q_KEY: &[Want] = &[
    Tok("asc"),
    Tok("desc"),
    Tok(","),
    Tok("limit"),
    Tok("select"),
];
pub(super) const Q_KEY_DIRECTED: &[Want] = &[Tok(","), Tok("limit"), Tok("select")];
pub(super) const Q_LIMIT: &[Want] = &[Tok("offset"), Tok("select")];
pub(super) const Q_OFFSET: &[Want] = &[Tok("select")];
pub(super) const Q_SELECT: &[Want] = &[Tok(",")];
pub(super) const C_COLLECTION: &[Want] = &[
    Tok("as of"),
    Tok("where"),
    Tok("group by"),
    Tok("order by"),
    Tok("limit"),
];
pub(super) const C_AS_OF: &[Want] = &[Tok("where"), Tok("group by"), Tok("order by"), Tok("limit")];
pub(super) const C_WHERE: &[Want] = &[
    Tok("and"),
    Tok("or"),
    Tok("group by"),
    Tok("order by"),
    Tok("limit"),
];
const C_GROUP: &[Want] = &[Tok(","), Tok("order by"), Tok("limit")];
const C_KEY: &[Want] = &[Tok("asc"), Tok("desc"), Tok(","), Tok("limit")];
const C_KEY_DIRECTED: &[Want] = &[Tok(","), Tok("limit")];
const C_LIMIT: &[Want] = &[Tok("offset")];

/// What may follow each of the clauses [`tail`] reads, for one statement form.
struct TailFollow {
    group: &'static [Want],
    key: &'static [Want],
    key_directed: &'static [Want],
    limit: &'static [Want],
    offset: &'static [Want],
}

/// The clauses after `where` that queries and counts share.
struct Tail {
    group_by: Vec<Field>,
    order_by: Vec<OrderKey>,
    limit: Option<Spanned<Arg<u64>>>,
    offset: Option<Spanned<Arg<u64>>>,
}

/// `[ group ] [ "order" "by" key { "," key } ] [ "limit" INT [ "offset" INT ] ]`,
/// with what may follow the last clause read (`follow` if none was).
fn tail<'a>(
    mut i: In<'a>,
    mut follow: &'static [Want],
    after: &TailFollow,
) -> PResult<'a, (Tail, &'static [Want])> {
    let mut group_by = Vec::new();
    match group(i) {
        Ok((rest, fields)) => {
            group_by = fields;
            (i, follow) = (rest, after.group);
        }
        // No `group` here: the clause is absent.
        Err(Err::Error(_)) => {}
        Err(e) => return Err(e),
    }

    let mut order_by = Vec::new();
    if let Ok((rest, _)) = keyword("order")(i) {
        let (mut rest, _) = cut(expect_keyword("by", "order")).parse(rest)?;
        let mut at = "by";
        loop {
            let (r, key) = cut(|i| key(i, at)).parse(rest)?;
            follow = if key.1 { after.key_directed } else { after.key };
            order_by.push(key.0);
            rest = r;
            match punct(',')(rest) {
                Ok((r, _)) => (rest, at) = (r, ","),
                Err(_) => break,
            }
        }
        i = rest;
    }

    let (mut limit, mut offset) = (None, None);
    if let Ok((rest, _)) = keyword("limit")(i) {
        let (rest, n) = cut(|i| or_param(i, |i| int(i, "limit"))).parse(rest)?;
        limit = Some(n);
        (i, follow) = (rest, after.limit);
        if let Ok((rest, _)) = keyword("offset")(i) {
            let (rest, n) = cut(|i| or_param(i, |i| int(i, "offset"))).parse(rest)?;
            offset = Some(n);
            (i, follow) = (rest, after.offset);
        }
    }
    Ok((
        i,
        (
            Tail {
                group_by,
                order_by,
                limit,
                offset,
            },
            follow,
        ),
    ))
}

/// ```text
/// group = "group" "by" field { "," field }
/// ```
fn group(i: In) -> PResult<Vec<Field>> {
    let (rest, _) = keyword("group")(i)?;
    let (rest, _) = cut(expect_keyword("by", "group")).parse(rest)?;
    field_list(rest, "by")
}

/// ```text
/// query = collection [ "as" "of" DATE ] [ "where" expr ] [ group ]
///         [ "order" "by" key { "," key } ] [ "limit" INT [ "offset" INT ] ]
///         [ "select" item { "," item } ]
/// ```
pub(super) fn query<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Query, &'static [Want])> {
    let (i, collection) = collection(i, None)?;
    let (i, (Common { as_of, filter }, follow)) =
        common_clauses(i, cx, [Q_COLLECTION, Q_AS_OF, Q_WHERE])?;
    let after = TailFollow {
        group: Q_GROUP,
        key: Q_KEY,
        key_directed: Q_KEY_DIRECTED,
        limit: Q_LIMIT,
        offset: Q_OFFSET,
    };
    let (mut i, (tail, mut follow)) = tail(i, follow, &after)?;

    let mut select = Vec::new();
    if let Ok((rest, _)) = keyword("select")(i) {
        let mut rest = rest;
        let mut at = "select";
        loop {
            let (r, it) = cut(|i| item(i, at)).parse(rest)?;
            select.push(it);
            match punct(',')(r) {
                Ok((r, _)) => (rest, at) = (r, ","),
                Err(_) => {
                    rest = r;
                    break;
                }
            }
        }
        (i, follow) = (rest, Q_SELECT);
    }

    Ok((
        i,
        (
            Query {
                collection,
                as_of,
                filter,
                group_by: tail.group_by,
                order_by: tail.order_by,
                limit: tail.limit,
                offset: tail.offset,
                select,
            },
            follow,
        ),
    ))
}

/// ```text
/// item = field | aggregate
/// ```
fn item<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Item> {
    match aggregate(i) {
        Ok((rest, a)) => Ok((rest, Item::Aggregate(a))),
        Err(Err::Error(_)) => {
            let want = &[Thing("a field"), Thing("an aggregate")];
            let (rest, f) = field_as(i, after, "a field or an aggregate", want)?;
            Ok((rest, Item::Field(f)))
        }
        Err(e) => Err(e),
    }
}

/// ```text
/// aggregate = "count" | ( "avg" | "min" | "max" | "sum" ) "(" field ")"
/// ```
///
/// `avg`, `min`, `max` and `sum` are aggregates only before `(`; elsewhere
/// they are names.
fn aggregate(i: In) -> PResult<Aggregate> {
    let (rest, w) = name(i)?;
    let word = w.fragment().to_ascii_lowercase();
    let start = span_of(&w).start;
    if word == "count" {
        return Ok((
            rest,
            Aggregate {
                function: AggregateFn::Count,
                field: None,
                span: span_of(&w),
            },
        ));
    }
    let Some(function) = AggregateFn::with_argument(&word) else {
        return Err(Err::Error(backtrack(&w)));
    };
    let Ok((inner, open)) = punct('(')(rest) else {
        return Err(Err::Error(backtrack(&w)));
    };
    let (inner, field) = cut(|i| field(i, "(")).parse(inner)?;
    let (rest, close_span) = close(inner, '(', &open, &[Tok(")")])?;
    Ok((
        rest,
        Aggregate {
            function,
            field: Some(field),
            span: start..close_span.end,
        },
    ))
}

/// `field { "," field }`, committed: the caller has read the keyword before it.
pub(super) fn field_list<'a>(mut i: In<'a>, mut after: &'static str) -> PResult<'a, Vec<Field>> {
    let mut fields = Vec::new();
    loop {
        let (rest, f) = cut(|i| field(i, after)).parse(i)?;
        fields.push(f);
        match punct(',')(rest) {
            Ok((rest, _)) => (i, after) = (rest, ","),
            Err(_) => return Ok((rest, fields)),
        }
    }
}

/// The clauses a query and a count share, `[ "as" "of" DATE ] [ "where" expr ]`.
pub(super) struct Common {
    /// The date of `as of`.
    pub(super) as_of: Option<Spanned<Arg<Date>>>,
    /// The condition of `where`.
    pub(super) filter: Option<Expr>,
}

/// The clauses every query and count may start with, `as of` and `where`,
/// with what may follow the last one read. `follow` lists what may follow
/// the collection, `as of DATE` and the `where` condition, in that order.
pub(super) fn common_clauses<'a>(
    mut i: In<'a>,
    cx: &mut Ctx,
    [after_collection, after_as_of, after_where]: [&'static [Want]; 3],
) -> PResult<'a, (Common, &'static [Want])> {
    let mut follow = after_collection;

    let mut as_of = None;
    if let Ok((rest, _)) = keyword("as")(i) {
        let (rest, date) = as_of_date(rest)?;
        as_of = Some(date);
        (i, follow) = (rest, after_as_of);
    }

    let mut filter = None;
    if let Ok((rest, _)) = keyword("where")(i) {
        let (rest, e) = cut(|i| expr(i, 0, "where", cx)).parse(rest)?;
        filter = Some(e);
        (i, follow) = (rest, after_where);
    }
    Ok((i, (Common { as_of, filter }, follow)))
}

/// `"of" DATE` after `as`, committed.
pub(super) fn as_of_date(i: In) -> PResult<Spanned<Arg<Date>>> {
    let (i, _) = cut(expect_keyword("of", "as")).parse(i)?;
    cut(|i| or_param(i, |i| date_only(i, "of"))).parse(i)
}

/// ```text
/// count = "count" collection [ "as" "of" DATE ] [ "where" expr ] [ group ]
///         [ "order" "by" key { "," key } ] [ "limit" INT [ "offset" INT ] ]
/// ```
pub(super) fn count<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Count, &'static [Want])> {
    let (i, _) = keyword("count")(i)?;
    let (i, collection) = cut(|i| collection(i, Some("count"))).parse(i)?;
    let (i, (Common { as_of, filter }, follow)) =
        common_clauses(i, cx, [C_COLLECTION, C_AS_OF, C_WHERE])?;
    let after = TailFollow {
        group: C_GROUP,
        key: C_KEY,
        key_directed: C_KEY_DIRECTED,
        limit: C_LIMIT,
        offset: NOTHING,
    };
    let (i, (tail, follow)) = tail(i, follow, &after)?;
    Ok((
        i,
        (
            Count {
                collection,
                as_of,
                filter,
                group_by: tail.group_by,
                order_by: tail.order_by,
                limit: tail.limit,
                offset: tail.offset,
            },
            follow,
        ),
    ))
}

/// ```text
/// collection = "claims" | "sources" | "evidence" | "results"
/// ```
pub(super) fn collection<'a>(i: In<'a>, after: Option<&'static str>) -> PResult<'a, Spanned<Kind>> {
    named_kind(i, &COLLECTION, after)
}

/// ```text
/// kind = "claim" | "source" | "evidence" | "result"
/// ```
pub(super) fn kind(i: In) -> PResult<Spanned<Kind>> {
    named_kind(i, &KIND, Some("add"))
}

/// One way of naming a [`Kind`] (its collection, or its record kind), and
/// how to talk about a mistake in it.
pub(super) struct KindNames {
    /// What the name is called in "expected …".
    what: &'static str,
    /// The words, as listed in "expected …".
    want: &'static [Want],
    /// The kind a lowercase word names.
    parse: fn(&str) -> Option<Kind>,
    /// How a kind is written; the order of [`Kind::EXPORT_ORDER`] decides
    /// between equally near did-you-mean candidates.
    write: fn(Kind) -> &'static str,
    /// The error for a word that names no kind, and its message's start.
    unknown: (ParseErrorKind, &'static str),
    /// The help when no word is near enough to suggest.
    all: &'static str,
}

/// The names of collections: `claims`, `sources`, …
pub(super) const COLLECTION: KindNames = KindNames {
    what: "a collection",
    want: &toks::<{ COLLECTIONS.len() }>(COLLECTIONS),
    parse: Kind::from_collection,
    write: Kind::collection,
    unknown: (ParseErrorKind::UnknownCollection, "unknown collection"),
    all: "the collections are claims, sources, evidence and results",
};

/// The names of record kinds: `claim`, `source`, …
pub(super) const KIND: KindNames = KindNames {
    what: "a kind of record",
    want: &toks::<{ KINDS.len() }>(KINDS),
    parse: Kind::from_name,
    write: Kind::name,
    unknown: (ParseErrorKind::UnknownKind, "unknown kind of record"),
    all: "the kinds are claim, source, evidence and result",
};

/// A word naming a [`Kind`] the way `names` says, in any case.
pub(super) fn named_kind<'a>(
    i: In<'a>,
    names: &KindNames,
    after: Option<&'static str>,
) -> PResult<'a, Spanned<Kind>> {
    let Ok((rest, w)) = name(i) else {
        return Err(Err::Error(expected_err(
            i,
            Some(names.what),
            names.want,
            after,
        )));
    };
    match (names.parse)(&w.fragment().to_ascii_lowercase()) {
        Some(kind) => Ok((
            rest,
            Spanned {
                node: kind,
                span: span_of(&w),
            },
        )),
        None => {
            let (kind, message) = names.unknown;
            let mut e = ParseError::new(
                kind,
                format!("{message} {}", show_word(w.fragment())),
                span_of(&w),
            );
            e.expected = names.want.iter().map(|w| w.show()).collect();
            e.help = Some(
                match did_you_mean(w.fragment(), Kind::EXPORT_ORDER.map(names.write)) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => names.all.into(),
                },
            );
            Err(Err::Error(e))
        }
    }
}

/// ```text
/// key = ( field | aggregate ) [ "asc" | "desc" ]
/// ```
///
/// Also says whether a direction was written (it changes what may follow).
pub(super) fn key<'a>(i: In<'a>, after: &'static str) -> PResult<'a, (OrderKey, bool)> {
    let (i, item) = item(i, after)?;
    for (word, descending) in [("desc", true), ("asc", false)] {
        if let Ok((i, _)) = keyword(word)(i) {
            return Ok((
                i,
                (
                    OrderKey {
                        item: item.clone(),
                        descending,
                    },
                    true,
                ),
            ));
        }
    }
    Ok((
        i,
        (
            OrderKey {
                item,
                descending: false,
            },
            false,
        ),
    ))
}
