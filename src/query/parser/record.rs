//! Record literals: the `{ field: value, … }` of `add`.

use super::expected::{Thing, Tok, expected_err, show_word};
use super::lexical::{blank, close, expect_punct, name, punct, span_of};
use super::literal::value;
use super::{In, PResult};
use crate::model::Kind;
use crate::query::ast::{Literal, Span, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use nom::combinator::cut;
use nom::{Err, Parser};

/// The members of a record literal, in the order written.
pub(super) type Members = Vec<(Spanned<String>, Spanned<Literal>)>;

/// ```text
/// record = "{" [ member { "," member } [ "," ] ] "}"
/// ```
pub(super) fn record(i: In, kind: Kind) -> PResult<(Members, Span)> {
    let (mut i, open) = punct('{')(i).map_err(|_| {
        Err::Error(expected_err(
            i,
            None,
            &[Tok("{")],
            Some(if kind == Kind::Evidence {
                "evidence"
            } else {
                kind.name()
            }),
        ))
    })?;
    let mut members: Members = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut after = "{";
    loop {
        if let Ok((rest, close)) = punct('}')(i) {
            return Ok((rest, (members, open.start..close.end)));
        }
        let (rest, m) = cut(|i| member(i, after)).parse(i)?;
        if !seen.insert(m.0.node.clone()) {
            let e = ParseError::new(
                ParseErrorKind::DuplicateField,
                format!("field {} is given twice", show_word(&m.0.node)),
                m.0.span.clone(),
            )
            .with_help("give each field once");
            return Err(Err::Failure(e));
        }
        members.push(m);
        i = rest;
        match punct(',')(i) {
            Ok((rest, _)) => (i, after) = (rest, ","),
            Err(_) => {
                let (rest, close) = close(i, '{', &open, &[Tok(","), Tok("}")])?;
                return Ok((rest, (members, open.start..close.end)));
            }
        }
    }
}

/// ```text
/// member = NAME ":" ( value | list )
/// ```
pub(super) fn member<'a>(
    i: In<'a>,
    after: &'static str,
) -> PResult<'a, (Spanned<String>, Spanned<Literal>)> {
    let Ok((rest, key)) = name(i) else {
        let mut e = expected_err(i, None, &[Thing("a field name"), Tok("}")], Some(after));
        if blank(i).fragment().starts_with('"') {
            e.help = Some("write field names without quotes: { text: \"…\" }".into());
        }
        return Err(Err::Error(e));
    };
    let key = Spanned {
        node: key.fragment().to_string(),
        span: span_of(&key),
    };
    let (rest, _) = cut(expect_punct(":", "a field name")).parse(rest)?;
    match list(rest) {
        Ok((rest, l)) => return Ok((rest, (key, l))),
        Err(Err::Error(_)) => {}
        Err(failure) => return Err(failure),
    }
    let (rest, v) = cut(|i| value(i, ":")).parse(rest)?;
    Ok((rest, (key, v)))
}

/// ```text
/// list = "[" [ value { "," value } [ "," ] ] "]"
/// ```
pub(super) fn list(i: In) -> PResult<Spanned<Literal>> {
    let (mut i, open) = punct('[')(i)?;
    let mut values = Vec::new();
    let mut after = "[";
    loop {
        if let Ok((rest, close)) = punct(']')(i) {
            return Ok((
                rest,
                Spanned {
                    node: Literal::List(values),
                    span: open.start..close.end,
                },
            ));
        }
        let (rest, v) =
            cut(|i| value(i, after).map_err(|e| e.map(|e| list_help(i, e)))).parse(i)?;
        values.push(v);
        i = rest;
        match punct(',')(i) {
            Ok((rest, _)) => (i, after) = (rest, ","),
            Err(_) => {
                let (rest, close) = close(i, '[', &open, &[Tok(","), Tok("]")])?;
                return Ok((
                    rest,
                    Spanned {
                        node: Literal::List(values),
                        span: open.start..close.end,
                    },
                ));
            }
        }
    }
}

pub(super) fn list_help(i: In, mut e: ParseError) -> ParseError {
    if blank(i).fragment().starts_with('[') {
        e.help = Some("lists cannot be nested".into());
    }
    e
}
