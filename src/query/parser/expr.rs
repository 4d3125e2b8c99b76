//! Conditions: one function per precedence level (`expr` → `and` → `not` →
//! `atom`), the forms of a condition, and the limits on depth and size.

use super::expected::{Thing, Tok, Want, expected_err, found, show_word, toks};
use super::lexical::{
    backtrack, blank, close, expect_keyword, expect_punct, is_digit, is_lower, keyword, name,
    name_here, punct, span_of,
};
use super::literal::{bare_id, other_quoted, quote_help, quoted, string, value};
use super::param::or_param;
use super::{Ctx, In, MAX_CONDITIONS, MAX_DEPTH, PResult};
use crate::query::ast::{CompareOp, Expr, Field, Literal, Quantifier, Span, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use crate::query::vocabulary::{self, AFTER_CONDITION, FOREIGN_OPERATORS, is_reserved};
use crate::suggest::did_you_mean;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::combinator::cut;
use nom::{Err, Input, Parser};

/// ```text
/// expr = and { "or" and }
/// ```
pub(super) fn expr<'a>(
    i: In<'a>,
    depth: usize,
    after: &'static str,
    cx: &mut Ctx,
) -> PResult<'a, Expr> {
    let (mut i, mut left) = and(i, depth, after, cx)?;
    while let Ok((rest, _)) = keyword("or")(i) {
        let (rest, right) = cut(|i| and(i, depth, "or", cx)).parse(rest)?;
        left = Expr::Or(Box::new(left), Box::new(right));
        i = rest;
    }
    Ok((i, left))
}

/// ```text
/// and = not { "and" not }
/// ```
pub(super) fn and<'a>(
    i: In<'a>,
    depth: usize,
    after: &'static str,
    cx: &mut Ctx,
) -> PResult<'a, Expr> {
    let (mut i, mut left) = not(i, depth, after, cx)?;
    while let Ok((rest, _)) = keyword("and")(i) {
        let (rest, right) = cut(|i| not(i, depth, "and", cx)).parse(rest)?;
        left = Expr::And(Box::new(left), Box::new(right));
        i = rest;
    }
    Ok((i, left))
}

/// ```text
/// not = "not" not | atom
/// ```
///
/// A run of `not`s is read in a loop, not by recursion: 100 000 of them
/// give the depth error, not a stack overflow.
pub(super) fn not<'a>(
    mut i: In<'a>,
    mut depth: usize,
    mut after: &'static str,
    cx: &mut Ctx,
) -> PResult<'a, Expr> {
    let mut starts = Vec::new();
    while let Ok((rest, span)) = keyword("not")(i) {
        depth = nest(depth, &span)?;
        starts.push(span.start);
        (i, after) = (rest, "not");
    }
    let (i, mut e) = if starts.is_empty() {
        atom(i, depth, after, cx)?
    } else {
        cut(|i| atom(i, depth, after, cx)).parse(i)?
    };
    let end = i.location_offset();
    for start in starts.into_iter().rev() {
        e = Expr::Not(Box::new(e), start..end);
    }
    Ok((i, e))
}

pub(super) const CONDITION: &[Want] = &[
    Thing("a field"),
    Tok("("),
    Tok("not"),
    Tok("any evidence"),
    Tok("no evidence"),
    Tok("all evidence"),
];
pub(super) const OPERATORS: &[Want] =
    &toks::<{ vocabulary::OPERATORS.len() }>(vocabulary::OPERATORS);

/// ```text
/// atom = "(" expr ")"
///      | field op value
///      | field [ "not" ] "in" "(" value { "," value } ")"
///      | field "~" STRING
///      | field "has" value
///      | field "is" [ "not" ] "null"
///      | field
///      | quantifier "evidence" [ "(" expr ")" ]
/// ```
///
/// The longer forms are tried first: a field followed by an operator, `in`,
/// `~`, `has` or `is` is a test; a field on its own is a boolean field.
pub(super) fn atom<'a>(
    i: In<'a>,
    depth: usize,
    after: &'static str,
    cx: &mut Ctx,
) -> PResult<'a, Expr> {
    let i = blank(i);
    if let Ok((rest, open)) = punct('(')(i) {
        let depth = nest(depth, &open)?;
        let (rest, e) = cut(|i| expr(i, depth, "(", cx)).parse(rest)?;
        let (rest, _) = close(rest, '(', &open, &[Tok("and"), Tok("or"), Tok(")")])?;
        return Ok((rest, e));
    }
    match quantified(i, depth, cx) {
        Err(Err::Error(_)) => test(i, after, cx),
        done => done,
    }
}

/// `quantifier "evidence" [ "(" expr ")" ]`, or `Err::Error` when `i` does
/// not start with a quantifier and `evidence` (`any` alone may be a field).
fn quantified<'a>(i: In<'a>, depth: usize, cx: &mut Ctx) -> PResult<'a, Expr> {
    let (rest, q) = quantifier(i)?;
    let (rest, _) = keyword("evidence")(rest)?;
    count_condition(cx, &q.span)?;
    let start = q.span.start;
    let Ok((inner, open)) = punct('(')(rest) else {
        // `any evidence stance = refutes`: the parentheses were left out.
        if let Some(w) = found(rest).word
            && !is_reserved(&w)
            && did_you_mean(&w, AFTER_CONDITION.iter().copied()).is_none()
        {
            let mut e = expected_err(rest, None, &[Tok("(")], Some("evidence"));
            e.help = Some(format!(
                "put the condition on the evidence in parentheses: {} evidence ({w} …)",
                q.node
            ));
            return Err(Err::Failure(e));
        }
        let span = start..rest.location_offset();
        return Ok((
            rest,
            Expr::Quantified {
                quantifier: q,
                condition: None,
                span,
            },
        ));
    };
    let depth = nest(depth, &open)?;
    let (inner, e) = cut(|i| expr(i, depth, "(", cx)).parse(inner)?;
    let (rest, close) = close(inner, '(', &open, &[Tok("and"), Tok("or"), Tok(")")])?;
    Ok((
        rest,
        Expr::Quantified {
            quantifier: q,
            condition: Some(Box::new(e)),
            span: start..close.end,
        },
    ))
}

/// A test of a field, or the field on its own: every form of `atom` that
/// starts with a field. Each form after the field is tried in turn; a form
/// answers `Err::Error` when the field is not followed by its operator.
fn test<'a>(i: In<'a>, after: &'static str, cx: &mut Ctx) -> PResult<'a, Expr> {
    let (rest, field) = field_as(i, after, "a condition", CONDITION)?;
    count_condition(cx, &field.span)?;
    let next = blank(rest);
    foreign_operator(next)?;
    let forms: [&dyn Fn(In<'a>) -> PResult<'a, Expr>; 5] = [
        &|i| comparison(i, &field),
        &|i| contains(i, &field),
        &|i| membership(i, &field),
        &|i| has(i, &field),
        &|i| is_null(i, &field),
    ];
    for form in forms {
        match form(rest) {
            Err(Err::Error(_)) => {}
            done => return done,
        }
    }
    lone_field(rest, field)
}

/// The error for an operator of another language right after a field
/// (`status == verified`), with the one evident spells that way.
fn foreign_operator(next: In) -> Result<(), Err<ParseError>> {
    let Some((bad, good)) = FOREIGN_OPERATORS
        .iter()
        .find(|(bad, _)| next.fragment().starts_with(bad))
    else {
        return Ok(());
    };
    let at = next.location_offset();
    let e = ParseError::new(
        ParseErrorKind::Unexpected,
        format!("unknown operator \"{bad}\""),
        at..at + bad.len(),
    )
    .with_help(format!("did you mean \"{good}\"?"));
    Err(Err::Failure(e))
}

/// `field op value`.
fn comparison<'a>(rest: In<'a>, field: &Field) -> PResult<'a, Expr> {
    let (rest, op) = op(rest)?;
    if let Ok((_, null)) = keyword("null")(rest) {
        let e = ParseError::new(ParseErrorKind::Unexpected, "\"null\" is not a value", null)
            .with_help(match op.node {
                CompareOp::Eq => {
                    format!("to test for a missing value, write \"{field} is null\"")
                }
                CompareOp::Ne => {
                    format!("to test for a present value, write \"{field} is not null\"")
                }
                _ => "a missing value compares false; test for it with \"is null\"".into(),
            });
        return Err(Err::Failure(e));
    }
    let (rest, value) = cut(|i| value(i, op.node.as_str())).parse(rest)?;
    Ok((
        rest,
        Expr::Compare {
            field: field.clone(),
            op,
            value,
        },
    ))
}

/// `field "~" STRING`.
fn contains<'a>(rest: In<'a>, field: &Field) -> PResult<'a, Expr> {
    let (rest, _) = punct('~')(rest)?;
    let (rest, needle) = cut(|i| {
        or_param(i, string).map_err(|e| match e {
            Err::Error(_) => {
                let mut e =
                    expected_err(i, Some("a quoted string"), &[Thing("a string")], Some("~"));
                if let Some(w) = found(i).word {
                    e.help = Some(format!("write the text in quotes: {field} ~ \"{w}\""));
                } else {
                    e.help = quote_help(i);
                }
                Err::Error(e)
            }
            failure => failure,
        })
    })
    .parse(rest)?;
    Ok((
        rest,
        Expr::Contains {
            field: field.clone(),
            needle,
        },
    ))
}

/// `field [ "not" ] "in" "(" value { "," value } ")"`.
fn membership<'a>(rest: In<'a>, field: &Field) -> PResult<'a, Expr> {
    let (rest, negated) = match keyword("in")(rest) {
        Ok((rest, _)) => (rest, false),
        Err(_) => {
            let (rest, _) = keyword("not")(rest)?;
            let (rest, _) = cut(|i| {
                expect_keyword("in", "not")(i).map_err(|e| {
                    e.map(|mut e| {
                        if keyword("null")(i).is_ok() {
                            e.help = Some(format!("did you mean \"{field} is not null\"?"));
                        }
                        e
                    })
                })
            })
            .parse(rest)?;
            (rest, true)
        }
    };
    let (rest, values) = in_list(rest, "in")?;
    Ok((
        rest,
        Expr::In {
            field: field.clone(),
            negated,
            values,
        },
    ))
}

/// `field "has" value`.
fn has<'a>(rest: In<'a>, field: &Field) -> PResult<'a, Expr> {
    let (rest, _) = keyword("has")(rest)?;
    let (rest, value) = cut(|i| value(i, "has")).parse(rest)?;
    Ok((
        rest,
        Expr::Has {
            field: field.clone(),
            value,
        },
    ))
}

/// `field "is" [ "not" ] "null"`.
fn is_null<'a>(rest: In<'a>, field: &Field) -> PResult<'a, Expr> {
    let (rest, _) = keyword("is")(rest)?;
    let (rest, negated) = match keyword("not")(rest) {
        Ok((rest, _)) => (rest, true),
        Err(_) => (rest, false),
    };
    let (rest, _) = cut(|i: In<'a>| {
        let want: &[Want] = if negated {
            &[Tok("null")]
        } else {
            &[Tok("not"), Tok("null")]
        };
        keyword("null")(i).map_err(|_| {
            let mut e = expected_err(i, None, want, Some(if negated { "not" } else { "is" }));
            if !negated && let Some(w) = found(i).word {
                e.help = Some(format!("to compare, write \"{field} = {w}\""));
            }
            Err::Error(e)
        })
    })
    .parse(rest)?;
    Ok((
        rest,
        Expr::IsNull {
            field: field.clone(),
            negated,
        },
    ))
}

/// A field on its own, a boolean. Something that looks like a value right
/// after it is a forgotten operator, unless it is a near miss of a keyword
/// that may follow a condition (`oder by`), which the caller reports better.
fn lone_field(rest: In, field: Field) -> PResult<Expr> {
    let next = blank(rest);
    let found = found(next);
    let value_like = match &found.word {
        Some(w) => !is_reserved(w) && did_you_mean(w, AFTER_CONDITION.iter().copied()).is_none(),
        None => {
            next.fragment().starts_with(['"', '!', '-'])
                || next.fragment().starts_with(|c: char| c.is_ascii_digit())
        }
    };
    if value_like && !found.end {
        let mut e = expected_err(
            next,
            Some("an operator"),
            OPERATORS,
            Some(&field.to_string()),
        );
        e.message = format!(
            "expected an operator after field \"{field}\", found {}",
            found.text
        );
        if let Some(w) = &found.word {
            e.help = Some(
                match SEARCH_WORDS.iter().find(|s| w.eq_ignore_ascii_case(s)) {
                    Some(_) => {
                        let after = next.take_from(found.span.len());
                        let needle = match searched_text(after) {
                            Some(text) => quoted(text.trim_matches(['%', '*'])),
                            None => "\"…\"".into(),
                        };
                        format!(
                            "to find text inside a field, ignoring case, use \"~\": {field} ~ {needle}"
                        )
                    }
                    None => format!("did you mean \"{field} = {w}\"?"),
                },
            );
        }
        return Err(Err::Failure(e));
    }
    Ok((rest, Expr::Truthy(field)))
}

/// Words other languages search text with (`text contains "tax"`,
/// `text like '%tax%'`), which evident spells `~`.
const SEARCH_WORDS: &[&str] = &["contains", "like", "ilike", "includes"];

/// The text a search word is followed by, however it is quoted, or a bare
/// word.
fn searched_text(i: In) -> Option<String> {
    let i = blank(i);
    if i.fragment().starts_with('"') {
        return string(i).ok().map(|(_, text)| text.node);
    }
    if let Some(text) = other_quoted(i) {
        return text.map(str::to_owned);
    }
    bare_id(i).ok().map(|(_, w)| w.fragment().to_string())
}

/// `"(" value { "," value } ")"` after `in`, committed.
pub(super) fn in_list<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Vec<Spanned<Literal>>> {
    let (mut i, open) = cut(expect_punct("(", after)).parse(i)?;
    let mut values = Vec::new();
    let mut after = "(";
    loop {
        let (rest, v) = cut(|i| value(i, after)).parse(i)?;
        values.push(v);
        match punct(',')(rest) {
            Ok((rest, _)) => (i, after) = (rest, ","),
            Err(_) => {
                let (rest, _) = close(rest, '(', &open, &[Tok(","), Tok(")")])?;
                return Ok((rest, values));
            }
        }
    }
}

/// ```text
/// quantifier = "any" | "no" | "all"
/// ```
pub(super) fn quantifier(i: In) -> PResult<Spanned<Quantifier>> {
    let (rest, w) = name(i)?;
    let q = match w.fragment().to_ascii_lowercase().as_str() {
        "any" => Quantifier::Any,
        "no" => Quantifier::No,
        "all" => Quantifier::All,
        _ => return Err(Err::Error(backtrack(&w))),
    };
    Ok((
        rest,
        Spanned {
            node: q,
            span: span_of(&w),
        },
    ))
}

/// ```text
/// op = "=" | "!=" | "<" | "<=" | ">" | ">="
/// ```
pub(super) fn op(i: In) -> PResult<Spanned<CompareOp>> {
    let i = blank(i);
    let (rest, text) = alt((
        tag("<="),
        tag(">="),
        tag("!="),
        tag("="),
        tag("<"),
        tag(">"),
    ))
    .parse(i)?;
    let op = match *text.fragment() {
        "<=" => CompareOp::Le,
        ">=" => CompareOp::Ge,
        "!=" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        ">" => CompareOp::Gt,
        _ => CompareOp::Eq,
    };
    Ok((
        rest,
        Spanned {
            node: op,
            span: span_of(&text),
        },
    ))
}

/// ```text
/// field = FIELD_NAME { "." FIELD_NAME }
/// ```
pub(super) fn field<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Field> {
    field_as(i, after, "a field", &[Thing("a field")])
}

/// [`field`], with what the caller calls the thing it expects, for errors.
pub(super) fn field_as<'a>(
    i: In<'a>,
    after: &str,
    what: &str,
    want: &[Want],
) -> PResult<'a, Field> {
    let i = blank(i);
    let start = i.location_offset();
    let (mut rest, first) = match name(i) {
        Ok((rest, w)) if !is_reserved(w.fragment()) => (rest, w),
        _ => {
            let mut e = expected_err(i, Some(what), want, Some(after));
            if i.fragment().starts_with('*') {
                e.help = Some("leave out \"select\" to get every field".into());
            } else if i.fragment().starts_with('"') {
                e.help = Some("field names are written without quotes".into());
            }
            return Err(Err::Error(e));
        }
    };
    let mut path = vec![first];
    while let Some(after_dot) = rest.fragment().strip_prefix('.').map(|_| rest.take_from(1)) {
        match name_here(after_dot) {
            Ok((r, segment)) => {
                path.push(segment);
                rest = r;
            }
            Err(_) => {
                let e = expected_err(
                    after_dot,
                    Some("a field name"),
                    &[Thing("a field name")],
                    Some("."),
                );
                return Err(Err::Failure(e));
            }
        }
    }
    if let Some(bad) = path
        .iter()
        .find(|s| !s.fragment().chars().all(is_field_char))
    {
        let written = &i.fragment()[..rest.location_offset() - start];
        let e = ParseError::new(
            ParseErrorKind::Unexpected,
            format!("field names are lowercase: {}", show_word(written)),
            span_of(bad),
        )
        .with_help(format!(
            "did you mean \"{}\"?",
            written.to_ascii_lowercase()
        ));
        return Err(Err::Failure(e));
    }
    let path = path
        .iter()
        .map(|s| Spanned {
            node: s.fragment().to_string(),
            span: span_of(s),
        })
        .collect();
    Ok((
        rest,
        Field {
            path,
            span: start..rest.location_offset(),
        },
    ))
}

/// ```text
/// FIELD_NAME = lower { lower | digit }
/// ```
///
/// Checked after the fact on a [`name`], so that `Status` gets a "field
/// names are lowercase" error rather than a puzzling one.
pub(super) fn is_field_char(c: char) -> bool {
    is_lower(c) || is_digit(c)
}

/// One more level of nesting, or the depth error at `at`.
pub(super) fn nest(depth: usize, at: &Span) -> Result<usize, Err<ParseError>> {
    if depth >= MAX_DEPTH {
        let e = ParseError::new(
            ParseErrorKind::TooDeep,
            format!("expression nested too deeply (limit {MAX_DEPTH})"),
            at.clone(),
        )
        .with_help(
            "each parenthesis, \"not\" and quantifier counts towards the limit; simplify the condition",
        );
        return Err(Err::Failure(e));
    }
    Ok(depth + 1)
}

/// Counts one condition, or the limit error at `at`.
pub(super) fn count_condition(cx: &mut Ctx, at: &Span) -> Result<(), Err<ParseError>> {
    cx.conditions += 1;
    if cx.conditions > MAX_CONDITIONS {
        let e = ParseError::new(
            ParseErrorKind::TooManyConditions,
            format!("expression has too many conditions (limit {MAX_CONDITIONS})"),
            at.clone(),
        )
        .with_help("use \"in (…)\" to test one field against many values");
        return Err(Err::Failure(e));
    }
    Ok(())
}
