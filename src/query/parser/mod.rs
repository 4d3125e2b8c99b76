//! Script text → [`Statement`]s, following `grammar/query.ebnf`.
//!
//! One function per grammar rule; its doc comment repeats the rule
//! (`tests/grammar.rs` keeps the two in step). The parsers run over
//! [`nom_locate::LocatedSpan`], so every node gets the byte span of its text.
//!
//! Conventions that keep the spans and the errors right:
//! - Every parser skips blanks (white space and `--` comments) *before* its
//!   token, never after, so the input left after a node starts right after
//!   its last token and no span includes trailing blanks.
//! - A parser that does not find its construct returns `Err::Error` with a
//!   message already fit for the user ("expected a value after "=", found
//!   end of input"). A caller that has committed — it has read `where`, an
//!   operator, a `,` — wraps the call in `cut`, which turns it into
//!   `Err::Failure`, so the message reaches the user with the caret where
//!   the mistake is rather than at the start of the statement.
//! - Recursion is bounded: parentheses, `not`s and quantifiers count towards
//!   [`MAX_DEPTH`], and a chain of `not`s is read in a loop, so no input can
//!   overflow the stack; an expression holds at most [`MAX_CONDITIONS`]
//!   conditions, which bounds the depth of the tree the executor walks.
//!
//! The files follow the grammar from the top down: this one reads scripts
//! and statements; `clauses` the clauses of queries and counts; `record`
//! the record literal of `add`; `expr` conditions; `literal` values;
//! `lexical` words, blanks and punctuation; `expected` builds the
//! "expected …, found …" errors. The words themselves are in
//! [`vocabulary`](super::vocabulary), which the shell shares.

mod clauses;
mod expected;
mod expr;
mod lexical;
mod literal;
mod param;
mod record;

use super::ast::{Add, Arg, Spanned, Statement, StatementKind};
use super::error::{ParseError, ParseErrorKind};
use super::vocabulary::STATEMENT_WORDS;
use crate::model::Kind;
use crate::suggest::did_you_mean;
use clauses::{NOTHING, count, kind, query};
use expected::{Thing, Tok, Want, expected_err, found};
use lexical::{blank, keyword, name, punct};
use literal::id;
use nom::combinator::cut;
use nom::{Err, IResult, Parser};
use nom_locate::LocatedSpan;
use record::record;

/// Deepest nesting of parentheses, `not`s and quantifiers in one expression.
pub const MAX_DEPTH: usize = 64;
/// Most conditions (comparisons, tests, quantifiers) in one expression.
pub const MAX_CONDITIONS: usize = 1024;
/// Longest script, in bytes. Checked before parsing starts.
pub const MAX_SCRIPT_BYTES: usize = 1 << 20;

/// The parser's input: the rest of the script, knowing its offset in the whole.
type In<'a> = LocatedSpan<&'a str>;
/// What every parser returns: the input left and the node, or the error.
type PResult<'a, T> = IResult<In<'a>, T, ParseError>;

/// Parses a script: one or more statements separated by `;`.
///
/// ```
/// use evident::query::{ast::StatementKind, parse_script};
/// # fn main() -> Result<(), evident::query::ParseError> {
/// let statements = parse_script("claims where status = unresolved; count sources group by kind")?;
/// assert_eq!(statements.len(), 2);
/// assert!(matches!(statements[1].kind, StatementKind::Count(_)));
/// let error = parse_script("claims were status = unresolved").unwrap_err();
/// assert_eq!(error.help.as_deref(), Some("did you mean \"where\"?"));
/// # Ok(()) }
/// ```
pub fn parse_script(src: &str) -> Result<Vec<Statement>, ParseError> {
    statements(src).collect()
}

/// Parses a script one statement at a time, so that a caller can run each
/// statement before the next is read: a script stops at its first failing
/// statement, and a syntax error in statement 3 must not stop 1 and 2.
/// Yields at most one error, and nothing after it.
///
/// ```text
/// script = { ";" } statement { ";" [ statement ] }
/// ```
pub fn statements(src: &str) -> Statements<'_> {
    Statements {
        rest: In::new(src),
        whole_len: src.len(),
        read_any: false,
        done: false,
    }
}

/// The statements of a script, read lazily; see [`statements`].
pub struct Statements<'a> {
    rest: In<'a>,
    whole_len: usize,
    read_any: bool,
    done: bool,
}

impl Iterator for Statements<'_> {
    type Item = Result<Statement, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let failed = |this: &mut Self, e: ParseError| {
            this.done = true;
            Some(Err(e))
        };
        if self.whole_len > MAX_SCRIPT_BYTES {
            let src = *self.rest.fragment();
            let mut at = MAX_SCRIPT_BYTES;
            while !src.is_char_boundary(at) {
                at -= 1;
            }
            let e = ParseError::new(
                ParseErrorKind::TooLong,
                format!(
                    "script too long ({} bytes, limit {MAX_SCRIPT_BYTES})",
                    self.whole_len
                ),
                at..at,
            );
            return failed(self, e);
        }
        // Skip blanks and empty statements up to the next statement.
        loop {
            self.rest = blank(self.rest);
            match punct(';')(self.rest) {
                Ok((rest, _)) => self.rest = rest,
                Err(_) => break,
            }
        }
        if self.rest.fragment().is_empty() {
            self.done = true;
            if self.read_any {
                return None;
            }
            let e = ParseError::new(ParseErrorKind::Empty, "nothing to run: the script has no statement", 0..0)
                .with_help("a statement starts with a collection (claims, sources, evidence, results) or count, show, explain, add, retract");
            return Some(Err(e));
        }
        let mut cx = Ctx::default();
        match statement(self.rest, &mut cx) {
            Ok((rest, statement)) => {
                self.rest = rest;
                self.read_any = true;
                Some(Ok(statement))
            }
            Err(Err::Error(e) | Err::Failure(e)) => failed(self, e),
            // Only streaming parsers ask for more input; these are all complete.
            Err(Err::Incomplete(_)) => {
                let end = self.whole_len;
                failed(
                    self,
                    ParseError::new(
                        ParseErrorKind::UnexpectedEnd,
                        "unexpected end of input",
                        end..end,
                    ),
                )
            }
        }
    }
}

/// Parses a script that must hold exactly one statement (`Database::query`).
pub fn parse_statement(src: &str) -> Result<Statement, ParseError> {
    let mut statements = parse_script(src)?;
    if statements.len() > 1 {
        let second = statements[1].span.clone();
        return Err(ParseError::new(
            ParseErrorKind::Unexpected,
            format!("expected one statement, found {}", statements.len()),
            second,
        )
        .with_help("run the statements one at a time, or as a script"));
    }
    statements
        .pop()
        .ok_or_else(|| ParseError::new(ParseErrorKind::Empty, "nothing to run", 0..0))
}

/// State shared by the whole parse.
#[derive(Default)]
struct Ctx {
    /// Conditions read so far in the current expression.
    conditions: usize,
}

// ---------------------------------------------------------------------------
// Statements

/// Which statement form was read, for the help on a clause out of place.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Query,
    Count,
    Other,
}

const STATEMENT_START: &[Want] = &[
    Thing("a collection (claims, sources, evidence, results)"),
    Tok("count"),
    Tok("show"),
    Tok("explain"),
    Tok("add"),
    Tok("retract"),
];

/// ```text
/// statement = query | count | show | explain | add | retract
/// ```
fn statement<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, Statement> {
    let i = blank(i);
    let start = i.location_offset();
    cx.conditions = 0;
    let word = name(i)
        .map(|(_, w)| w.fragment().to_ascii_lowercase())
        .unwrap_or_default();
    let (rest, kind, form, follow) = match word.as_str() {
        "count" => {
            let (rest, (count, follow)) = count(i, cx)?;
            (rest, StatementKind::Count(count), Form::Count, follow)
        }
        "show" => {
            let (rest, id) = show(i)?;
            (rest, StatementKind::Show(id), Form::Other, NOTHING)
        }
        "explain" => {
            let (rest, id) = explain(i)?;
            (rest, StatementKind::Explain(id), Form::Other, NOTHING)
        }
        "retract" => {
            let (rest, id) = retract(i)?;
            (rest, StatementKind::Retract(id), Form::Other, NOTHING)
        }
        "add" => {
            let (rest, add) = add(i)?;
            (rest, StatementKind::Add(add), Form::Other, NOTHING)
        }
        w if Kind::from_collection(w).is_some() => {
            let (rest, (query, follow)) = query(i, cx)?;
            (rest, StatementKind::Query(query), Form::Query, follow)
        }
        _ => return Err(Err::Failure(unknown_statement(i))),
    };
    let span = start..rest.location_offset();
    end_of_statement(rest, form, follow)?;
    Ok((rest, Statement { kind, span }))
}

fn unknown_statement(i: In) -> ParseError {
    let found = found(i);
    let Some(word) = found.word else {
        return expected_err(i, Some("a statement"), STATEMENT_START, None);
    };
    let mut e = ParseError::new(
        ParseErrorKind::UnknownStatement,
        format!("unknown statement {}", found.text),
        found.span,
    );
    e.expected = STATEMENT_START.iter().map(|w| w.show()).collect();
    e.help = Some(match did_you_mean(&word, STATEMENT_WORDS.iter().copied()) {
        Some(s) => format!("did you mean \"{s}\"?"),
        None => "a statement starts with a collection (claims, sources, evidence, results) or count, show, explain, add, retract".into(),
    });
    e
}

/// After a statement: `;` or the end, else an error listing what could
/// have continued it.
fn end_of_statement<'a>(i: In<'a>, form: Form, follow: &[Want]) -> PResult<'a, ()> {
    let j = blank(i);
    if j.fragment().is_empty() || j.fragment().starts_with(';') {
        return Ok((i, ()));
    }
    let want: Vec<Want> = follow
        .iter()
        .copied()
        .chain([Tok(";"), Thing("end of input")])
        .collect();
    let mut e = expected_err(j, None, &want, None);
    if let Some(help) = found(j)
        .word
        .and_then(|w| clause_help(form, &w.to_ascii_lowercase(), follow))
    {
        e.help = Some(help);
    } else if j.fragment().starts_with(')') {
        e.help = Some("this \")\" has no matching \"(\"".into());
    } else if e.help.is_none() && form == Form::Other {
        e.help = Some("the statement ends here; separate statements with \";\"".into());
    }
    Err(Err::Failure(e))
}

/// Help for a clause keyword that is in the wrong place.
fn clause_help(form: Form, word: &str, follow: &[Want]) -> Option<String> {
    if follow
        .iter()
        .any(|w| matches!(w, Tok(t) if t.split(' ').next() == Some(word)))
    {
        return None;
    }
    match (form, word) {
        (Form::Query, "offset") if !follow.iter().any(|w| matches!(w, Tok("offset"))) => {
            Some("\"offset\" follows \"limit\": limit 10 offset 20".into())
        }
        (Form::Query, "as" | "where" | "group" | "order" | "limit" | "select") => {
            Some("clauses go in this order, each at most once: as of, where, group by, order by, limit [offset], select".into())
        }
        (Form::Count, "offset") if !follow.iter().any(|w| matches!(w, Tok("offset"))) => {
            Some("\"offset\" follows \"limit\": limit 10 offset 20".into())
        }
        (Form::Count, "as" | "where" | "group" | "order" | "limit") => {
            Some("clauses go in this order, each at most once: as of, where, group by, order by, limit [offset]".into())
        }
        (Form::Count, "select") => Some(
            "count gives counts only; for other aggregates, group a query: claims group by subject select subject, count".into(),
        ),
        _ => None,
    }
}

/// ```text
/// show = "show" ID
/// ```
fn show(i: In) -> PResult<Spanned<Arg<String>>> {
    let (i, _) = keyword("show")(i)?;
    cut(|i| id(i, "show")).parse(i)
}

/// ```text
/// explain = "explain" ID
/// ```
fn explain(i: In) -> PResult<Spanned<Arg<String>>> {
    let (i, _) = keyword("explain")(i)?;
    cut(|i| id(i, "explain")).parse(i)
}

/// ```text
/// retract = "retract" ID
/// ```
fn retract(i: In) -> PResult<Spanned<Arg<String>>> {
    let (i, _) = keyword("retract")(i)?;
    cut(|i| id(i, "retract")).parse(i)
}

/// ```text
/// add = "add" kind record
/// ```
fn add(i: In) -> PResult<Add> {
    let (i, _) = keyword("add")(i)?;
    let (i, kind) = cut(kind).parse(i)?;
    let (i, (members, record_span)) = cut(|i| record(i, kind.node)).parse(i)?;
    Ok((
        i,
        Add {
            kind,
            members,
            record_span,
        },
    ))
}

#[cfg(test)]
mod tests;
