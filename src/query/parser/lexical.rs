//! Words, characters, blanks, keywords and punctuation: the tokens every
//! other rule is made of.

use super::expected::{Tok, Want, expected_err, found};
use super::{In, PResult};
use crate::query::ast::Span;
use crate::query::error::{ParseError, ParseErrorKind};
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::recognize;
use nom::{Err, Parser};

/// ```text
/// NAME = letter { letter | digit }
/// ```
pub(super) fn name(i: In) -> PResult<In> {
    name_here(blank(i))
}

/// [`name`] without skipping blanks first.
pub(super) fn name_here(i: In) -> PResult<In> {
    recognize((
        satisfy(is_letter),
        take_while(|c| is_letter(c) || is_digit(c)),
    ))
    .parse(i)
}

/// ```text
/// letter = "A" .. "Z" | "a" .. "z" | "_"
/// ```
pub(super) fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// ```text
/// lower = "a" .. "z" | "_"
/// ```
pub(super) fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c == '_'
}

/// ```text
/// alnum = "A" .. "Z" | "a" .. "z" | digit
/// ```
pub(super) fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// ```text
/// digit = "0" .. "9"
/// ```
pub(super) fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// ```text
/// hex = digit | "A" .. "F" | "a" .. "f"
/// ```
pub(super) fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// ```text
/// blank = { ? white space ? | comment }
/// ```
///
/// Never fails; returns the input after any blanks.
pub(super) fn blank(mut i: In) -> In {
    loop {
        if let Ok((rest, _)) = take_while1::<_, In, ParseError>(char::is_whitespace).parse(i) {
            i = rest;
        }
        match comment(i) {
            Ok((rest, _)) => i = rest,
            Err(_) => return i,
        }
    }
}

/// ```text
/// comment = "--" { ? any character but a line break ? }
/// ```
pub(super) fn comment(i: In) -> PResult<In> {
    recognize((tag("--"), take_while(|c| c != '\n'))).parse(i)
}

/// A keyword: a whole word, any case. `notes` is not `not`.
pub(super) fn keyword<'a>(kw: &'static str) -> impl Fn(In<'a>) -> PResult<'a, Span> {
    move |i| {
        let (rest, w) = name(i)?;
        if w.fragment().eq_ignore_ascii_case(kw) {
            Ok((rest, span_of(&w)))
        } else {
            Err(Err::Error(backtrack(&w)))
        }
    }
}

/// [`keyword`], failing with "expected KW after AFTER, found …".
pub(super) fn expect_keyword<'a>(
    kw: &'static str,
    after: &'static str,
) -> impl Fn(In<'a>) -> PResult<'a, Span> {
    move |i| {
        keyword(kw)(i).map_err(|_| {
            let mut e = expected_err(i, None, &[Tok(kw)], Some(after));
            // `order confidence`, `as 2024-01-01`: the word was left out.
            let next = found(i);
            if e.help.is_none() && !next.end && matches!(kw, "by" | "of") {
                let rest = *blank(i).fragment();
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-:".contains(c)))
                    .unwrap_or(rest.len());
                let text = &rest[..len.clamp(next.span.len(), 40.max(next.span.len()))];
                e.help = Some(format!("did you mean \"{after} {kw} {text}\"?"));
            }
            Err::Error(e)
        })
    }
}

/// One punctuation character, after blanks.
pub(super) fn punct<'a>(c: char) -> impl Fn(In<'a>) -> PResult<'a, Span> {
    move |i| {
        let i = blank(i);
        let (rest, _) = char(c).parse(i)?;
        Ok((rest, i.location_offset()..rest.location_offset()))
    }
}

/// [`punct`] for the one-character token `tok`, failing with "expected TOK
/// after AFTER, found …".
pub(super) fn expect_punct<'a>(
    tok: &'static str,
    after: &'static str,
) -> impl Fn(In<'a>) -> PResult<'a, Span> {
    move |i| {
        let c = tok.chars().next().unwrap_or(' ');
        punct(c)(i).map_err(|_| Err::Error(expected_err(i, None, &[Tok(tok)], Some(after))))
    }
}

/// The closing bracket for `opener`, or an error: "unclosed" with the caret
/// on the opener at the end of input, "expected …" at anything else.
pub(super) fn close<'a>(i: In<'a>, opener: char, open: &Span, want: &[Want]) -> PResult<'a, Span> {
    let closer = match opener {
        '(' => ')',
        '[' => ']',
        _ => '}',
    };
    if let Ok(ok) = punct(closer)(i) {
        return Ok(ok);
    }
    let j = blank(i);
    if j.fragment().is_empty() {
        let mut e = ParseError::new(
            ParseErrorKind::UnexpectedEnd,
            format!("unclosed \"{opener}\": expected \"{closer}\" before the end of input"),
            open.clone(),
        );
        e.expected = want.iter().map(|w| w.show()).collect();
        return Err(Err::Failure(e));
    }
    Err(Err::Failure(expected_err(j, None, want, None)))
}

pub(super) fn span_of(s: &In) -> Span {
    s.location_offset()..s.location_offset() + s.fragment().len()
}

/// A placeholder error for a parser that merely did not match; callers that
/// report it replace it with a precise one.
pub(super) fn backtrack(at: &In) -> ParseError {
    let at = at.location_offset();
    ParseError::new(ParseErrorKind::Unexpected, "unexpected input", at..at)
}

impl<'a> nom::error::ParseError<In<'a>> for ParseError {
    fn from_error_kind(input: In<'a>, _kind: nom::error::ErrorKind) -> Self {
        backtrack(&input)
    }

    fn append(_input: In<'a>, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two alternatives that failed, report the one that got further.
    fn or(self, other: Self) -> Self {
        if other.span.start >= self.span.start {
            other
        } else {
            self
        }
    }
}
