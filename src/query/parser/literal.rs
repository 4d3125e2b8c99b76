//! Values: strings, numbers, dates, ids and bare names.

use super::expected::{Thing, Tok, Want, expected_err, show_word};
use super::lexical::{
    backtrack, blank, is_alnum, is_digit, is_hex, is_letter, name, punct, span_of,
};
use super::param::{or_param, param};
use super::{In, PResult};
use crate::model::{Date, Id, MAX_STRING_BYTES};
use crate::query::ast::{Arg, Literal, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use crate::query::vocabulary::{AFTER_CONDITION, is_reserved};
use crate::suggest::did_you_mean;
use nom::bytes::complete::take_while;
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::multi::many1;
use nom::{Err, Input, Parser};

pub(super) const VALUE: &[Want] = &[
    Thing("a string"),
    Thing("a number"),
    Thing("a date"),
    Tok("true"),
    Tok("false"),
    Thing("a name"),
];

/// ```text
/// value = STRING | NUMBER | DATE | "true" | "false" | NAME | PARAM
/// ```
///
/// DATE is tried before NUMBER: `2024-01-31` is a date, not 2024 minus
/// something. A bare NAME is a string; keywords are not names.
pub(super) fn value<'a>(i: In<'a>, after: &str) -> PResult<'a, Spanned<Literal>> {
    let i = blank(i);
    let s = *i.fragment();
    if s.starts_with('$') {
        let (rest, p) = param(i)?;
        return Ok((
            rest,
            Spanned {
                node: Literal::Param(p.node),
                span: p.span,
            },
        ));
    }
    if s.starts_with('"') {
        let (rest, text) = string(i)?;
        return Ok((
            rest,
            Spanned {
                node: Literal::String(text.node),
                span: text.span,
            },
        ));
    }
    let numeric = s.starts_with(|c: char| c.is_ascii_digit())
        || (s.starts_with('-') && s[1..].starts_with(|c: char| c.is_ascii_digit()));
    if numeric {
        return match date(i) {
            Ok((rest, d)) => Ok((
                rest,
                Spanned {
                    node: Literal::Date(d.node),
                    span: d.span,
                },
            )),
            Err(Err::Error(_)) => {
                let (rest, n) = number(i)?;
                Ok((
                    rest,
                    Spanned {
                        node: Literal::Number(n.node),
                        span: n.span,
                    },
                ))
            }
            Err(e) => Err(e),
        };
    }
    if let Ok((rest, w)) = name(i) {
        let span = span_of(&w);
        let lower = w.fragment().to_ascii_lowercase();
        match lower.as_str() {
            "true" => {
                return Ok((
                    rest,
                    Spanned {
                        node: Literal::Bool(true),
                        span,
                    },
                ));
            }
            "false" => {
                return Ok((
                    rest,
                    Spanned {
                        node: Literal::Bool(false),
                        span,
                    },
                ));
            }
            "null" => {
                let e =
                    ParseError::new(ParseErrorKind::Unexpected, "\"null\" is not a value", span)
                        .with_help(
                            "leave a field out to make it absent; test for that with \"is null\"",
                        );
                return Err(Err::Error(e));
            }
            l if is_reserved(l) => {
                let mut e = expected_err(i, Some("a value"), VALUE, Some(after));
                e.help = Some(format!(
                    "to use the word {} as a value, quote it",
                    show_word(w.fragment())
                ));
                return Err(Err::Error(e));
            }
            _ => {
                if let Some(e) = unquoted_value(i, rest) {
                    return Err(Err::Failure(e));
                }
                return Ok((
                    rest,
                    Spanned {
                        node: Literal::String(w.fragment().to_string()),
                        span,
                    },
                ));
            }
        }
    }
    let mut e = expected_err(i, Some("a value"), VALUE, Some(after));
    let digit_after = |p: char| {
        s.strip_prefix(p)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    if digit_after('.') {
        e.help = Some("write numbers with a digit before the point: 0.5".into());
    } else if digit_after('+') {
        e.help = Some("write positive numbers without \"+\"".into());
    } else if let Some(help) = quote_help(i) {
        e.help = Some(help);
    }
    Err(Err::Error(e))
}

/// Quotes of other languages and of typesetting, each with the characters
/// that may close it: `'x'`, `“x”`, `‘x’`, `«x»`, `„x“`.
const OTHER_QUOTES: &[(char, &[char])] = &[
    ('\'', &['\'']),
    ('`', &['`']),
    ('“', &['”', '“', '"']),
    ('”', &['”', '"']),
    ('‘', &['’', '‘', '\'']),
    ('’', &['’', '\'']),
    ('«', &['»']),
    ('„', &['“', '”']),
];

/// The help for a string in quotes other than straight double quotes
/// (`'donald trump'`, `“donald trump”`, as a word processor writes them),
/// with the string rewritten: `write strings in double quotes: "donald
/// trump"`. `None` when `i` does not start with such a quote.
pub(super) fn quote_help(i: In) -> Option<String> {
    quote_help_for(i, "strings")
}

/// [`quote_help`] for `what` (`strings`, `ids`).
fn quote_help_for(i: In, what: &str) -> Option<String> {
    Some(match other_quoted(i)? {
        Some(text) => format!("write {what} in double quotes: {}", quoted(text)),
        None => format!("write {what} in double quotes: \"…\""),
    })
}

/// The text in the other quotes `i` starts with, if they close on the same
/// line: `Some(None)` when they do not, `None` when `i` starts with no such
/// quote.
pub(super) fn other_quoted<'a>(i: In<'a>) -> Option<Option<&'a str>> {
    let s = *blank(i).fragment();
    let open = s.chars().next()?;
    let (_, closers) = OTHER_QUOTES.iter().find(|(o, _)| *o == open)?;
    let line = s[open.len_utf8()..].split('\n').next().unwrap_or_default();
    Some(line.find(|c| closers.contains(&c)).map(|end| &line[..end]))
}

/// `text` as a STRING that reads back as `text`, cut short if long.
pub(super) fn quoted(text: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::from('"');
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Words read as one more value after a bare value, at most: a value is
/// not a sentence.
const MAX_SPACED_WORDS: usize = 8;

/// The error for a bare value that was meant to run on: `src:openai-blog`
/// (an id, which only `show`, `explain` and `retract` take unquoted) or
/// `donald trump` (words with spaces). `start` is the bare value, `rest`
/// the input after it. `None` when what follows could be right, or is
/// better reported by the caller: punctuation, a keyword or a near miss
/// of one (`adn`), or a word followed by an operator (the start of the
/// next condition, after a misspelt keyword).
fn unquoted_value(start: In, rest: In) -> Option<ParseError> {
    let after = *rest.fragment();
    let glued =
        after.starts_with([':', '/', '.']) || (after.starts_with('-') && !after.starts_with("--"));
    if glued {
        let (_, text) = bare_id(start).ok()?;
        let text = *text.fragment();
        let mark = text.chars().find(|c| ":/.-".contains(*c)).unwrap_or(':');
        let at = start.location_offset();
        return Some(
            ParseError::new(
                ParseErrorKind::Unexpected,
                format!("a value with \"{mark}\" must be in double quotes"),
                at..at + text.len(),
            )
            .with_help(if mark == ':' {
                // Ids look like this, and `explain c:x` takes one bare.
                format!(
                    "write it in double quotes: {} (only show, explain and retract take an id without them)",
                    quoted(text)
                )
            } else {
                format!("write it in double quotes: {}", quoted(text))
            }),
        );
    }
    let first = start
        .fragment()
        .get(..rest.location_offset() - start.location_offset())?;
    let mut words = vec![first];
    let mut end = rest;
    while words.len() < MAX_SPACED_WORDS {
        let next = blank(end);
        if next.location_offset() == end.location_offset() {
            break;
        }
        let Ok((after_word, word)) = bare_id(next) else {
            break;
        };
        let lower = word.fragment().to_ascii_lowercase();
        if is_reserved(&lower) || did_you_mean(&lower, AFTER_CONDITION.iter().copied()).is_some() {
            break;
        }
        // `{ claim: c1 source: … }`: the name of the next member, after a
        // forgotten "," (an id may hold a ":", so it is read with it).
        if word.fragment().ends_with(':') || blank(after_word).fragment().starts_with(':') {
            break;
        }
        // `verified nad x = 1`: a misspelt keyword, then a condition.
        if blank(after_word)
            .fragment()
            .starts_with(['=', '<', '>', '!', '~'])
        {
            return None;
        }
        words.push(word.fragment());
        end = after_word;
    }
    if words.len() < 2 {
        return None;
    }
    let at = start.location_offset();
    Some(
        ParseError::new(
            ParseErrorKind::Unexpected,
            "a value with spaces must be in double quotes",
            at..end.location_offset(),
        )
        .with_help(format!(
            "write it in double quotes: {}",
            quoted(&words.join(" "))
        )),
    )
}

/// A DATE where only a date will do (`as of`).
pub(super) fn date_only<'a>(i: In<'a>, after: &str) -> PResult<'a, Spanned<Date>> {
    let i = blank(i);
    match date(i) {
        Err(Err::Error(_)) => {
            let mut e = expected_err(
                i,
                Some("a date (YYYY-MM-DD)"),
                &[Thing("a date")],
                Some(after),
            );
            if i.fragment().starts_with('"') {
                e.help = Some("write dates without quotes: as of 2024-01-31".into());
            }
            Err(Err::Error(e))
        }
        other => other,
    }
}

/// ```text
/// DATE = digit digit digit digit "-" digit digit "-" digit digit
/// ```
///
/// Anything shaped like digits joined by `-` is taken as an attempt at a
/// date, so `2024-1-5` and `2023-02-30` get a date error rather than being
/// read as arithmetic.
pub(super) fn date(i: In) -> PResult<Spanned<Date>> {
    let i = blank(i);
    let (_, core) = recognize((digit1, many1((char('-'), digit1)))).parse(i)?;
    let (rest, text, _) = with_tail(i, core.fragment().len(), |c| {
        is_letter(c) || is_digit(c) || c == '.' || c == '-'
    });
    let written = *text.fragment();
    let span = span_of(&text);
    if let Some(d) = Date::parse(written) {
        return Ok((rest, Spanned { node: d, span }));
    }
    let shaped = written.len() == 10 && written.split('-').map(str::len).eq([4, 2, 2]);
    let mut e = ParseError::new(
        ParseErrorKind::InvalidDate,
        format!("invalid date {}", show_word(written)),
        span,
    );
    if shaped {
        e.message = format!(
            "invalid date {}: {}",
            show_word(written),
            why_not_a_day(written)
        );
    } else {
        e.help = Some("write dates as YYYY-MM-DD, e.g. 2024-01-31".into());
    }
    Err(Err::Failure(e))
}

/// Why a `YYYY-MM-DD` that [`Date::parse`] rejects is not a day.
pub(super) fn why_not_a_day(text: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = text.split('-').map(|p| p.parse::<u32>().unwrap_or(0));
    let (year, month, day) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    if !(1..=12).contains(&month) {
        return format!("there is no month {month}");
    }
    if day == 0 {
        return "there is no day 0".into();
    }
    let days = (28..=31).rev().find(|&d| {
        u16::try_from(year)
            .ok()
            .and_then(|y| Date::from_ymd(y, month as u8, d))
            .is_some()
    });
    match (MONTHS.get(month as usize - 1), days) {
        (Some(name), Some(days)) => format!("{name} {year} has {days} days"),
        _ => "there is no such day".into(),
    }
}

/// ```text
/// NUMBER = [ "-" ] digit { digit } [ "." digit { digit } ] [ ( "e" | "E" ) [ "+" | "-" ] digit { digit } ]
/// ```
pub(super) fn number(i: In) -> PResult<Spanned<f64>> {
    let i = blank(i);
    let (_, core) = recognize((
        opt(char('-')),
        digit1,
        opt((char('.'), digit1)),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(i)?;
    let (rest, text, glued) = with_tail(i, core.fragment().len(), |c| {
        is_letter(c) || is_digit(c) || c == '.'
    });
    let written = *text.fragment();
    let span = span_of(&text);
    let mut e = ParseError::new(
        ParseErrorKind::InvalidNumber,
        format!("invalid number {}", show_word(written)),
        span.clone(),
    );
    if glued {
        e.help = Some(format!(
            "to use {} as text, write it in quotes",
            show_word(written)
        ));
        return Err(Err::Failure(e));
    }
    match written.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((rest, Spanned { node: n, span })),
        _ => {
            e.message = format!("number {} is out of range", show_word(written));
            Err(Err::Failure(e))
        }
    }
}

/// ```text
/// INT = digit { digit }
/// ```
pub(super) fn int<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Spanned<u64>> {
    let i = blank(i);
    let Ok((_, digits)) = digit1::<In, ParseError>(i) else {
        let mut e = expected_err(
            i,
            Some("a whole number"),
            &[Thing("a whole number")],
            Some(after),
        );
        e.help = Some(format!("write a whole number, as in \"{after} 10\""));
        if i.fragment().starts_with('-') {
            e.help = Some(format!("\"{after}\" cannot be negative"));
        }
        return Err(Err::Error(e));
    };
    let (rest, text, glued) = with_tail(i, digits.fragment().len(), |c| {
        is_letter(c) || is_digit(c) || c == '.'
    });
    if glued {
        let e = ParseError::new(
            ParseErrorKind::InvalidNumber,
            format!(
                "expected a whole number after \"{after}\", found {}",
                show_word(text.fragment())
            ),
            span_of(&text),
        );
        return Err(Err::Failure(e));
    }
    match digits.fragment().parse::<u64>() {
        Ok(n) => Ok((
            rest,
            Spanned {
                node: n,
                span: span_of(&text),
            },
        )),
        Err(_) => {
            let e = ParseError::new(
                ParseErrorKind::InvalidNumber,
                format!("number {} is too large", show_word(digits.fragment())),
                span_of(&digits),
            );
            Err(Err::Failure(e))
        }
    }
}

/// The token of `len` bytes at `start`, extended over any characters that
/// may not directly follow it, so `3abc` is one bad number rather than `3`
/// followed by a puzzling `abc`. Also says whether it was extended.
pub(super) fn with_tail<'a>(
    start: In<'a>,
    len: usize,
    glued: impl Fn(char) -> bool,
) -> (In<'a>, In<'a>, bool) {
    let tail = &start.fragment()[len..];
    let extra = tail.find(|c: char| !glued(c)).unwrap_or(tail.len());
    let (rest, token) = start.take_split(len + extra);
    (rest, token, extra > 0)
}

/// ```text
/// STRING = '"' { char | escape } '"'
/// ```
pub(super) fn string(i: In) -> PResult<Spanned<String>> {
    let i = blank(i);
    let (mut i, open) = punct('"')(i)?;
    let mut text = String::new();
    loop {
        let (rest, chunk) = take_while(is_string_char).parse(i)?;
        text.push_str(chunk.fragment());
        i = rest;
        if text.len() > MAX_STRING_BYTES {
            let e = ParseError::new(
                ParseErrorKind::TooLong,
                format!("string too long (more than {MAX_STRING_BYTES} bytes)"),
                open.clone(),
            );
            return Err(Err::Failure(e));
        }
        if let Ok((rest, close)) = char::<In, ParseError>('"')(i) {
            let _ = close;
            return Ok((
                rest,
                Spanned {
                    node: text,
                    span: open.start..rest.location_offset(),
                },
            ));
        }
        if i.fragment().starts_with('\\') {
            let (rest, c) = escape(i).map_err(|e| {
                e.map(|mut e| {
                    if e.kind == ParseErrorKind::UnexpectedEnd {
                        e.span = open.clone();
                    }
                    e
                })
            })?;
            text.push(c);
            i = rest;
            continue;
        }
        // Neither a quote nor a backslash follows: the input ended.
        let e = ParseError::new(
            ParseErrorKind::UnexpectedEnd,
            "unterminated string: this quote is never closed",
            open.clone(),
        );
        return Err(Err::Failure(e));
    }
}

/// ```text
/// char = ? any character but '"' and '\' ?
/// ```
pub(super) fn is_string_char(c: char) -> bool {
    c != '"' && c != '\\'
}

/// ```text
/// escape = '\' ( '"' | '\' | "n" | "t" | "u{" hex { hex } "}" )
/// ```
pub(super) fn escape(i: In) -> PResult<char> {
    let start = i.location_offset();
    let (rest, _) = char('\\').parse(i)?;
    let unterminated = || {
        Err::Failure(ParseError::new(
            ParseErrorKind::UnexpectedEnd,
            "unterminated string: this quote is never closed",
            start..start + 1,
        ))
    };
    let Some(c) = rest.fragment().chars().next() else {
        return Err(unterminated());
    };
    let simple = match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        'n' => Some('\n'),
        't' => Some('\t'),
        _ => None,
    };
    if let Some(out) = simple {
        return Ok((rest.take_from(c.len_utf8()), out));
    }
    const ESCAPES: &str = "the escapes are \\\" \\\\ \\n \\t and \\u{…}";
    if c != 'u' {
        let shown: String = c.escape_debug().collect();
        let e = ParseError::new(
            ParseErrorKind::InvalidString,
            format!("unknown escape \"\\{shown}\""),
            start..start + 1 + c.len_utf8(),
        )
        .with_help(ESCAPES);
        return Err(Err::Failure(e));
    }
    let rest = rest.take_from(1);
    let bad = |message: &str, end: usize| {
        Err::Failure(
            ParseError::new(ParseErrorKind::InvalidString, message, start..end)
                .with_help("write a Unicode escape as \\u{…} with 1 to 6 hex digits, e.g. \\u{e9}"),
        )
    };
    let Ok((rest, _)) = char::<In, ParseError>('{')(rest) else {
        return Err(bad("expected \"{\" after \\u", rest.location_offset()));
    };
    let (rest, digits) = take_while(is_hex).parse(rest)?;
    let Ok((rest, _)) = char::<In, ParseError>('}')(rest) else {
        if rest.fragment().is_empty() {
            return Err(unterminated());
        }
        let end = rest.location_offset() + rest.fragment().chars().next().map_or(0, char::len_utf8);
        return Err(bad(
            "expected hex digits and \"}\" in a Unicode escape",
            end,
        ));
    };
    let end = rest.location_offset();
    let hex = *digits.fragment();
    if hex.is_empty() || hex.len() > 6 {
        return Err(bad("a Unicode escape has 1 to 6 hex digits", end));
    }
    let code = u32::from_str_radix(hex, 16).unwrap_or(u32::MAX);
    match char::from_u32(code) {
        Some(c) => Ok((rest, c)),
        None => {
            let why = if (0xD800..=0xDFFF).contains(&code) {
                "\\u{d800} to \\u{dfff} are surrogates, which are not characters"
            } else {
                "the highest Unicode character is \\u{10ffff}"
            };
            Err(Err::Failure(
                ParseError::new(
                    ParseErrorKind::InvalidString,
                    format!("\\u{{{hex}}} is not a Unicode character"),
                    start..end,
                )
                .with_help(why),
            ))
        }
    }
}

/// ```text
/// ID = STRING | BARE_ID | PARAM
/// ```
pub(super) fn id<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Spanned<Arg<String>>> {
    or_param(i, |i| written_id(i, after))
}

/// An ID written in the statement.
fn written_id<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Spanned<String>> {
    let i = blank(i);
    let (rest, id) = if i.fragment().starts_with('"') {
        string(i)?
    } else {
        match bare_id(i) {
            // `C~R`, the id of derived evidence (SPEC 8.3), bare.
            Ok((rest, text)) if rest.fragment().starts_with('~') => {
                match bare_id(nom::Input::take_from(&rest, 1)) {
                    Ok((after, result)) => {
                        let len = text.fragment().len() + 1 + result.fragment().len();
                        let whole = nom::Input::take(&i, len);
                        (
                            after,
                            Spanned {
                                node: whole.fragment().to_string(),
                                span: span_of(&whole),
                            },
                        )
                    }
                    Err(_) => (
                        rest,
                        Spanned {
                            node: text.fragment().to_string(),
                            span: span_of(&text),
                        },
                    ),
                }
            }
            Ok((rest, text)) => (
                rest,
                Spanned {
                    node: text.fragment().to_string(),
                    span: span_of(&text),
                },
            ),
            Err(_) => {
                let mut e = expected_err(i, Some("an id"), &[Thing("an id")], Some(after));
                e.help = quote_help_for(i, "ids");
                return Err(Err::Error(e));
            }
        }
    };
    // `Id::stored` also takes the id of derived evidence, `C~R`.
    if let Err(why) = Id::stored(&id.node) {
        let e = ParseError::new(
            ParseErrorKind::InvalidId,
            format!("invalid id: {why}"),
            id.span.clone(),
        );
        return Err(Err::Failure(e));
    }
    Ok((rest, id))
}

/// ```text
/// BARE_ID = alnum { alnum | "_" | "." | ":" | "/" | "-" }
/// ```
///
/// `--` starts a comment, even here: write an id containing `--` in quotes.
pub(super) fn bare_id(i: In) -> PResult<In> {
    let s = *i.fragment();
    let mut len = 0;
    for (at, c) in s.char_indices() {
        let ok = if at == 0 {
            is_alnum(c)
        } else {
            is_alnum(c) || "_.:/-".contains(c)
        };
        if !ok || s[at..].starts_with("--") {
            break;
        }
        len = at + c.len_utf8();
    }
    if len == 0 {
        return Err(Err::Error(backtrack(&i)));
    }
    Ok(i.take_split(len))
}
