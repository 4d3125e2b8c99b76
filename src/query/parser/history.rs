//! The statements of SPEC 9: `history ID` and
//! `changes [since TIME] [until TIME] [where expr]`, and TIME literals.

use super::expected::{Thing, Tok, Want, expected_err};
use super::expr::expr;
use super::lexical::{blank, keyword, span_of};
use super::literal::id;
use super::param::or_param;
use super::{Ctx, In, PResult};
use crate::query::ast::{Arg, Changes, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use nom::bytes::complete::take_while1;
use nom::combinator::cut;
use nom::{Err, Parser};

/// What may follow `changes` and each of its clauses.
pub(super) const AFTER_CHANGES: &[Want] = &[Tok("since"), Tok("until"), Tok("where")];
pub(super) const AFTER_SINCE: &[Want] = &[Tok("until"), Tok("where")];
pub(super) const AFTER_UNTIL: &[Want] = &[Tok("where")];
pub(super) const AFTER_WHERE: &[Want] = &[Tok("and"), Tok("or")];

/// ```text
/// history = "history" ID
/// ```
pub(super) fn history(i: In) -> PResult<Spanned<Arg<String>>> {
    let (i, _) = keyword("history")(i)?;
    cut(|i| id(i, "history")).parse(i)
}

/// ```text
/// changes = "changes" [ "since" TIME ] [ "until" TIME ] [ "where" expr ]
/// ```
pub(super) fn changes<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Changes, &'static [Want])> {
    let (mut i, _) = keyword("changes")(i)?;
    let mut follow = AFTER_CHANGES;
    let mut since = None;
    if let Ok((rest, _)) = keyword("since")(i) {
        let (rest, t) = cut(|i| or_param(i, |i| time(i, "since"))).parse(rest)?;
        since = Some(t);
        (i, follow) = (rest, AFTER_SINCE);
    }
    let mut until = None;
    if let Ok((rest, _)) = keyword("until")(i) {
        let (rest, t) = cut(|i| or_param(i, |i| time(i, "until"))).parse(rest)?;
        until = Some(t);
        (i, follow) = (rest, AFTER_UNTIL);
    }
    let mut filter = None;
    if let Ok((rest, _)) = keyword("where")(i) {
        let (rest, e) = cut(|i| expr(i, 0, "where", cx)).parse(rest)?;
        filter = Some(e);
        (i, follow) = (rest, AFTER_WHERE);
    }
    Ok((
        i,
        (
            Changes {
                since,
                until,
                filter,
            },
            follow,
        ),
    ))
}

/// ```text
/// TIME      = DATE | TIMESTAMP
/// TIMESTAMP = DATE "T" digit digit ":" digit digit ":" digit digit [ "." digit digit digit ] "Z"
/// ```
/// Milliseconds since the Unix epoch. A malformed time gets an error with
/// the caret on the part that is wrong (`hour 25 is out of range`).
pub(super) fn time<'a>(i: In<'a>, after: &str) -> PResult<'a, Spanned<u64>> {
    let i = blank(i);
    let taken: PResult<In> =
        take_while1(|c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.')).parse(i);
    let Ok((rest, text)) = taken.map_err(|_: Err<ParseError>| ()) else {
        let mut e = expected_err(
            i,
            Some("a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"),
            &[Thing("a time")],
            Some(after),
        );
        if i.fragment().starts_with('"') {
            e.help = Some("write times without quotes: since 2026-12-05T09:30:00Z".into());
        }
        return Err(Err::Error(e));
    };
    let span = span_of(&text);
    if !text.fragment().starts_with(|c: char| c.is_ascii_digit()) {
        let mut e = expected_err(
            i,
            Some("a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)"),
            &[Thing("a time")],
            Some(after),
        );
        e.help = Some("since and until take a time: since 2026-12-05".into());
        return Err(Err::Error(e));
    }
    match crate::model::time::parse_time(text.fragment()) {
        Ok(ms) => Ok((rest, Spanned { node: ms, span })),
        Err(why) => {
            let at = span.start + why.offset;
            let end = if why.offset == 0 {
                span.end
            } else {
                (at + 2).min(span.end).max(at + 1)
            };
            let e = ParseError::new(
                ParseErrorKind::InvalidDate,
                format!("invalid time {}: {}", text.fragment(), why.message),
                at..end,
            );
            Err(Err::Failure(e))
        }
    }
}
