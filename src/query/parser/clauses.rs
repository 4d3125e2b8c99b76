//! The clauses of queries and counts, and the collection or kind a statement names.

use super::expected::{Tok, Want, expected_err, show_word};
use super::expr::{expr, field};
use super::lexical::{expect_keyword, keyword, name, punct, span_of};
use super::literal::{date_only, int};
use super::{Ctx, In, PResult};
use crate::model::{Date, Kind};
use crate::query::ast::{Count, Field, OrderKey, Query, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use crate::query::suggest::did_you_mean;
use nom::combinator::cut;
use nom::{Err, Parser};

pub(super) const NOTHING: &[Want] = &[];
pub(super) const Q_COLLECTION: &[Want] = &[
    Tok("as of"),
    Tok("where"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
pub(super) const Q_AS_OF: &[Want] = &[Tok("where"), Tok("order by"), Tok("limit"), Tok("select")];
pub(super) const Q_WHERE: &[Want] = &[
    Tok("and"),
    Tok("or"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
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
pub(super) const C_COLLECTION: &[Want] = &[Tok("as of"), Tok("where"), Tok("group by")];
pub(super) const C_AS_OF: &[Want] = &[Tok("where"), Tok("group by")];
pub(super) const C_WHERE: &[Want] = &[Tok("and"), Tok("or"), Tok("group by")];

/// ```text
/// query = collection [ "as" "of" DATE ] [ "where" expr ]
///         [ "order" "by" key { "," key } ] [ "limit" INT [ "offset" INT ] ]
///         [ "select" field { "," field } ]
/// ```
pub(super) fn query<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Query, &'static [Want])> {
    let (mut i, collection) = collection(i, None)?;
    let mut follow = Q_COLLECTION;

    let mut as_of = None;
    if let Ok((rest, _)) = keyword("as")(i) {
        let (rest, date) = as_of_date(rest)?;
        as_of = Some(date);
        (i, follow) = (rest, Q_AS_OF);
    }

    let mut filter = None;
    if let Ok((rest, _)) = keyword("where")(i) {
        let (rest, e) = cut(|i| expr(i, 0, "where", cx)).parse(rest)?;
        filter = Some(e);
        (i, follow) = (rest, Q_WHERE);
    }

    let mut order_by = Vec::new();
    if let Ok((rest, _)) = keyword("order")(i) {
        let (mut rest, _) = cut(expect_keyword("by", "order")).parse(rest)?;
        let mut after = "by";
        loop {
            let (r, key) = cut(|i| key(i, after)).parse(rest)?;
            follow = if key.1 { Q_KEY_DIRECTED } else { Q_KEY };
            order_by.push(key.0);
            rest = r;
            match punct(',')(rest) {
                Ok((r, _)) => (rest, after) = (r, ","),
                Err(_) => break,
            }
        }
        i = rest;
    }

    let (mut limit, mut offset) = (None, None);
    if let Ok((rest, _)) = keyword("limit")(i) {
        let (rest, n) = cut(|i| int(i, "limit")).parse(rest)?;
        limit = Some(n);
        (i, follow) = (rest, Q_LIMIT);
        if let Ok((rest, _)) = keyword("offset")(i) {
            let (rest, n) = cut(|i| int(i, "offset")).parse(rest)?;
            offset = Some(n);
            (i, follow) = (rest, Q_OFFSET);
        }
    }

    let mut select = Vec::new();
    if let Ok((rest, _)) = keyword("select")(i) {
        let (rest, fields) = field_list(rest, "select")?;
        select = fields;
        (i, follow) = (rest, Q_SELECT);
    }

    Ok((
        i,
        (
            Query {
                collection,
                as_of,
                filter,
                order_by,
                limit,
                offset,
                select,
            },
            follow,
        ),
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

/// `"of" DATE` after `as`, committed.
pub(super) fn as_of_date(i: In) -> PResult<Spanned<Date>> {
    let (i, _) = cut(expect_keyword("of", "as")).parse(i)?;
    cut(|i| date_only(i, "of")).parse(i)
}

/// ```text
/// count = "count" collection [ "as" "of" DATE ] [ "where" expr ] [ "group" "by" field ]
/// ```
pub(super) fn count<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Count, &'static [Want])> {
    let (i, _) = keyword("count")(i)?;
    let (mut i, collection) = cut(|i| collection(i, Some("count"))).parse(i)?;
    let mut follow = C_COLLECTION;

    let mut as_of = None;
    if let Ok((rest, _)) = keyword("as")(i) {
        let (rest, date) = as_of_date(rest)?;
        as_of = Some(date);
        (i, follow) = (rest, C_AS_OF);
    }

    let mut filter = None;
    if let Ok((rest, _)) = keyword("where")(i) {
        let (rest, e) = cut(|i| expr(i, 0, "where", cx)).parse(rest)?;
        filter = Some(e);
        (i, follow) = (rest, C_WHERE);
    }

    let mut group_by = None;
    if let Ok((rest, _)) = keyword("group")(i) {
        let (rest, _) = cut(expect_keyword("by", "group")).parse(rest)?;
        let (rest, f) = cut(|i| field(i, "by")).parse(rest)?;
        group_by = Some(f);
        (i, follow) = (rest, NOTHING);
    }

    Ok((
        i,
        (
            Count {
                collection,
                as_of,
                filter,
                group_by,
            },
            follow,
        ),
    ))
}

/// ```text
/// collection = "claims" | "sources" | "evidence" | "results"
/// ```
pub(super) fn collection<'a>(i: In<'a>, after: Option<&'static str>) -> PResult<'a, Spanned<Kind>> {
    const WANT: &[Want] = &[
        Tok("claims"),
        Tok("sources"),
        Tok("evidence"),
        Tok("results"),
    ];
    let Ok((rest, w)) = name(i) else {
        return Err(Err::Error(expected_err(
            i,
            Some("a collection"),
            WANT,
            after,
        )));
    };
    match Kind::from_collection(&w.fragment().to_ascii_lowercase()) {
        Some(kind) => Ok((
            rest,
            Spanned {
                node: kind,
                span: span_of(&w),
            },
        )),
        None => {
            let mut e = ParseError::new(
                ParseErrorKind::UnknownCollection,
                format!("unknown collection {}", show_word(w.fragment())),
                span_of(&w),
            );
            e.expected = WANT.iter().map(|w| w.show()).collect();
            e.help = Some(
                match did_you_mean(w.fragment(), Kind::EXPORT_ORDER.map(Kind::collection)) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => "the collections are claims, sources, evidence and results".into(),
                },
            );
            Err(Err::Error(e))
        }
    }
}

/// ```text
/// kind = "claim" | "source" | "evidence" | "result"
/// ```
pub(super) fn kind(i: In) -> PResult<Spanned<Kind>> {
    const WANT: &[Want] = &[Tok("claim"), Tok("source"), Tok("evidence"), Tok("result")];
    let Ok((rest, w)) = name(i) else {
        return Err(Err::Error(expected_err(
            i,
            Some("a kind of record"),
            WANT,
            Some("add"),
        )));
    };
    match Kind::from_name(&w.fragment().to_ascii_lowercase()) {
        Some(kind) => Ok((
            rest,
            Spanned {
                node: kind,
                span: span_of(&w),
            },
        )),
        None => {
            let mut e = ParseError::new(
                ParseErrorKind::UnknownKind,
                format!("unknown kind of record {}", show_word(w.fragment())),
                span_of(&w),
            );
            e.expected = WANT.iter().map(|w| w.show()).collect();
            e.help = Some(
                match did_you_mean(w.fragment(), Kind::EXPORT_ORDER.map(Kind::name)) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => "the kinds are claim, source, evidence and result".into(),
                },
            );
            Err(Err::Error(e))
        }
    }
}

/// ```text
/// key = field [ "asc" | "desc" ]
/// ```
///
/// Also says whether a direction was written (it changes what may follow).
pub(super) fn key<'a>(i: In<'a>, after: &'static str) -> PResult<'a, (OrderKey, bool)> {
    let (i, field) = field(i, after)?;
    if let Ok((i, _)) = keyword("desc")(i) {
        return Ok((
            i,
            (
                OrderKey {
                    field,
                    descending: true,
                },
                true,
            ),
        ));
    }
    if let Ok((i, _)) = keyword("asc")(i) {
        return Ok((
            i,
            (
                OrderKey {
                    field,
                    descending: false,
                },
                true,
            ),
        ));
    }
    Ok((
        i,
        (
            OrderKey {
                field,
                descending: false,
            },
            false,
        ),
    ))
}
