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

use super::ast::{
    Add, CompareOp, Count, Expr, Field, Literal, OrderKey, Quantifier, Query, Span, Spanned,
    Statement, StatementKind,
};
use super::error::{ParseError, ParseErrorKind};
use super::suggest::did_you_mean;
use crate::model::{Date, Id, Kind, MAX_STRING_BYTES};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of, satisfy};
use nom::combinator::{cut, opt, recognize};
use nom::multi::many1;
use nom::{Err, IResult, Input, Parser};
use nom_locate::LocatedSpan;

/// Deepest nesting of parentheses, `not`s and quantifiers in one expression.
pub const MAX_DEPTH: usize = 64;
/// Most conditions (comparisons, tests, quantifiers) in one expression.
pub const MAX_CONDITIONS: usize = 1024;
/// Longest script, in bytes. Checked before parsing starts.
pub const MAX_SCRIPT_BYTES: usize = 1 << 20;

/// The parser's input: the rest of the script, knowing its offset in the whole.
type In<'a> = LocatedSpan<&'a str>;
type PResult<'a, T> = IResult<In<'a>, T, ParseError>;
/// The members of a record literal, in the order written.
type Members = Vec<(Spanned<String>, Spanned<Literal>)>;

/// Words that cannot be a field at the start of a condition, nor a bare value.
const RESERVED: &[&str] = &[
    "where", "and", "or", "not", "order", "by", "limit", "offset", "select", "as", "of", "group",
    "in", "has", "is", "null", "asc", "desc", "true", "false",
];

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
const STATEMENT_WORDS: &[&str] = &[
    "claims", "sources", "evidence", "results", "count", "show", "explain", "add", "retract",
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
        (Form::Query, "as" | "where" | "order" | "limit" | "select") => {
            Some("clauses go in this order, each at most once: as of, where, order by, limit [offset], select".into())
        }
        (Form::Query, "group") => Some("\"group by\" goes with count: count claims group by status".into()),
        (Form::Count, "as" | "where" | "group") => {
            Some("clauses go in this order, each at most once: as of, where, group by".into())
        }
        (Form::Count, "order" | "limit" | "offset" | "select") => {
            Some("count takes only \"as of\", \"where\" and \"group by\"".into())
        }
        _ => None,
    }
}

const NOTHING: &[Want] = &[];
const Q_COLLECTION: &[Want] = &[
    Tok("as of"),
    Tok("where"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
const Q_AS_OF: &[Want] = &[Tok("where"), Tok("order by"), Tok("limit"), Tok("select")];
const Q_WHERE: &[Want] = &[
    Tok("and"),
    Tok("or"),
    Tok("order by"),
    Tok("limit"),
    Tok("select"),
];
const Q_KEY: &[Want] = &[
    Tok("asc"),
    Tok("desc"),
    Tok(","),
    Tok("limit"),
    Tok("select"),
];
const Q_KEY_DIRECTED: &[Want] = &[Tok(","), Tok("limit"), Tok("select")];
const Q_LIMIT: &[Want] = &[Tok("offset"), Tok("select")];
const Q_OFFSET: &[Want] = &[Tok("select")];
const Q_SELECT: &[Want] = &[Tok(",")];
const C_COLLECTION: &[Want] = &[Tok("as of"), Tok("where"), Tok("group by")];
const C_AS_OF: &[Want] = &[Tok("where"), Tok("group by")];
const C_WHERE: &[Want] = &[Tok("and"), Tok("or"), Tok("group by")];

/// ```text
/// query = collection [ "as" "of" DATE ] [ "where" expr ]
///         [ "order" "by" key { "," key } ] [ "limit" INT [ "offset" INT ] ]
///         [ "select" field { "," field } ]
/// ```
fn query<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Query, &'static [Want])> {
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
fn field_list<'a>(mut i: In<'a>, mut after: &'static str) -> PResult<'a, Vec<Field>> {
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
fn as_of_date(i: In) -> PResult<Spanned<Date>> {
    let (i, _) = cut(expect_keyword("of", "as")).parse(i)?;
    cut(|i| date_only(i, "of")).parse(i)
}

/// ```text
/// count = "count" collection [ "as" "of" DATE ] [ "where" expr ] [ "group" "by" field ]
/// ```
fn count<'a>(i: In<'a>, cx: &mut Ctx) -> PResult<'a, (Count, &'static [Want])> {
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
/// show = "show" ID
/// ```
fn show(i: In) -> PResult<Spanned<String>> {
    let (i, _) = keyword("show")(i)?;
    cut(|i| id(i, "show")).parse(i)
}

/// ```text
/// explain = "explain" ID
/// ```
fn explain(i: In) -> PResult<Spanned<String>> {
    let (i, _) = keyword("explain")(i)?;
    cut(|i| id(i, "explain")).parse(i)
}

/// ```text
/// retract = "retract" ID
/// ```
fn retract(i: In) -> PResult<Spanned<String>> {
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

/// ```text
/// collection = "claims" | "sources" | "evidence" | "results"
/// ```
fn collection<'a>(i: In<'a>, after: Option<&'static str>) -> PResult<'a, Spanned<Kind>> {
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
fn kind(i: In) -> PResult<Spanned<Kind>> {
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
/// record = "{" [ member { "," member } [ "," ] ] "}"
/// ```
fn record(i: In, kind: Kind) -> PResult<(Members, Span)> {
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
fn member<'a>(i: In<'a>, after: &'static str) -> PResult<'a, (Spanned<String>, Spanned<Literal>)> {
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
fn list(i: In) -> PResult<Spanned<Literal>> {
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

fn list_help(i: In, mut e: ParseError) -> ParseError {
    if blank(i).fragment().starts_with('[') {
        e.help = Some("lists cannot be nested".into());
    }
    e
}

// ---------------------------------------------------------------------------
// Expressions

/// ```text
/// key = field [ "asc" | "desc" ]
/// ```
///
/// Also says whether a direction was written (it changes what may follow).
fn key<'a>(i: In<'a>, after: &'static str) -> PResult<'a, (OrderKey, bool)> {
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

/// ```text
/// expr = and { "or" and }
/// ```
fn expr<'a>(i: In<'a>, depth: usize, after: &'static str, cx: &mut Ctx) -> PResult<'a, Expr> {
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
fn and<'a>(i: In<'a>, depth: usize, after: &'static str, cx: &mut Ctx) -> PResult<'a, Expr> {
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
fn not<'a>(
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

const CONDITION: &[Want] = &[
    Thing("a field"),
    Tok("("),
    Tok("not"),
    Tok("any evidence"),
    Tok("no evidence"),
    Tok("all evidence"),
];
const OPERATORS: &[Want] = &[
    Tok("="),
    Tok("!="),
    Tok("<"),
    Tok("<="),
    Tok(">"),
    Tok(">="),
    Tok("~"),
    Tok("in"),
    Tok("not in"),
    Tok("has"),
    Tok("is"),
];
/// Words that may follow a condition; a near miss of one is left for the
/// end-of-statement check, which suggests it.
const AFTER_CONDITION: &[&str] = &["and", "or", "order", "limit", "offset", "select", "group"];

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
fn atom<'a>(i: In<'a>, depth: usize, after: &'static str, cx: &mut Ctx) -> PResult<'a, Expr> {
    let i = blank(i);
    if let Ok((rest, open)) = punct('(')(i) {
        let depth = nest(depth, &open)?;
        let (rest, e) = cut(|i| expr(i, depth, "(", cx)).parse(rest)?;
        let (rest, _) = close(rest, '(', &open, &[Tok("and"), Tok("or"), Tok(")")])?;
        return Ok((rest, e));
    }

    if let Ok((rest, q)) = quantifier(i)
        && let Ok((rest, _)) = keyword("evidence")(rest)
    {
        count_condition(cx, &q.span)?;
        let start = q.span.start;
        let Ok((inner, open)) = punct('(')(rest) else {
            // `any evidence stance = refutes`: the parentheses were left out.
            if let Some(w) = found(rest).word
                && !RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r))
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
        return Ok((
            rest,
            Expr::Quantified {
                quantifier: q,
                condition: Some(Box::new(e)),
                span: start..close.end,
            },
        ));
    }

    let (rest, field) = field_as(i, after, "a condition", CONDITION)?;
    count_condition(cx, &field.span)?;
    let next = blank(rest);

    if let Some((bad, good)) = [
        ("==", "="),
        ("<>", "!="),
        ("=<", "<="),
        ("=>", ">="),
        ("!<", ">="),
        ("!>", "<="),
    ]
    .into_iter()
    .find(|(bad, _)| next.fragment().starts_with(bad))
    {
        let at = next.location_offset();
        let e = ParseError::new(
            ParseErrorKind::Unexpected,
            format!("unknown operator \"{bad}\""),
            at..at + bad.len(),
        )
        .with_help(format!("did you mean \"{good}\"?"));
        return Err(Err::Failure(e));
    }

    if let Ok((rest, op)) = op(rest) {
        let text = op_text(op.node);
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
        let (rest, value) = cut(|i| value(i, text)).parse(rest)?;
        return Ok((rest, Expr::Compare { field, op, value }));
    }

    if let Ok((rest, _)) = punct('~')(rest) {
        let (rest, needle) = cut(|i| {
            string(i).map_err(|e| match e {
                Err::Error(_) => {
                    let mut e =
                        expected_err(i, Some("a quoted string"), &[Thing("a string")], Some("~"));
                    if let Some(w) = found(i).word {
                        e.help = Some(format!("write the text in quotes: {field} ~ \"{w}\""));
                    }
                    Err::Error(e)
                }
                failure => failure,
            })
        })
        .parse(rest)?;
        return Ok((rest, Expr::Contains { field, needle }));
    }

    if let Ok((rest, _)) = keyword("in")(rest) {
        let (rest, values) = in_list(rest, "in")?;
        return Ok((
            rest,
            Expr::In {
                field,
                negated: false,
                values,
            },
        ));
    }

    if let Ok((rest, _)) = keyword("not")(rest) {
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
        let (rest, values) = in_list(rest, "in")?;
        return Ok((
            rest,
            Expr::In {
                field,
                negated: true,
                values,
            },
        ));
    }

    if let Ok((rest, _)) = keyword("has")(rest) {
        let (rest, value) = cut(|i| value(i, "has")).parse(rest)?;
        return Ok((rest, Expr::Has { field, value }));
    }

    if let Ok((rest, _)) = keyword("is")(rest) {
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
        return Ok((rest, Expr::IsNull { field, negated }));
    }

    // A field on its own. Something that looks like a value right after it
    // is a forgotten operator, unless it is a near miss of a keyword that may
    // follow a condition (`oder by`), which the caller reports better.
    let found = found(next);
    let value_like = match &found.word {
        Some(w) => {
            let lower = w.to_ascii_lowercase();
            !RESERVED.contains(&lower.as_str())
                && did_you_mean(w, AFTER_CONDITION.iter().copied()).is_none()
        }
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
            e.help = Some(format!("did you mean \"{field} = {w}\"?"));
        }
        return Err(Err::Failure(e));
    }
    Ok((rest, Expr::Truthy(field)))
}

/// `"(" value { "," value } ")"` after `in`, committed.
fn in_list<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Vec<Spanned<Literal>>> {
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
fn quantifier(i: In) -> PResult<Spanned<Quantifier>> {
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
fn op(i: In) -> PResult<Spanned<CompareOp>> {
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

fn op_text(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "!=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
    }
}

/// ```text
/// field = FIELD_NAME { "." FIELD_NAME }
/// ```
fn field<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Field> {
    field_as(i, after, "a field", &[Thing("a field")])
}

/// [`field`], with what the caller calls the thing it expects, for errors.
fn field_as<'a>(i: In<'a>, after: &str, what: &str, want: &[Want]) -> PResult<'a, Field> {
    let i = blank(i);
    let start = i.location_offset();
    let reserved = |w: &In| {
        RESERVED
            .iter()
            .any(|r| w.fragment().eq_ignore_ascii_case(r))
    };
    let (mut rest, first) = match name(i) {
        Ok((rest, w)) if !reserved(&w) => (rest, w),
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
fn is_field_char(c: char) -> bool {
    is_lower(c) || is_digit(c)
}

// ---------------------------------------------------------------------------
// Values

const VALUE: &[Want] = &[
    Thing("a string"),
    Thing("a number"),
    Thing("a date"),
    Tok("true"),
    Tok("false"),
    Thing("a name"),
];

/// ```text
/// value = STRING | NUMBER | DATE | "true" | "false" | NAME
/// ```
///
/// DATE is tried before NUMBER: `2024-01-31` is a date, not 2024 minus
/// something. A bare NAME is a string; keywords are not names.
fn value<'a>(i: In<'a>, after: &str) -> PResult<'a, Spanned<Literal>> {
    let i = blank(i);
    let s = *i.fragment();
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
            l if RESERVED.contains(&l) => {
                let mut e = expected_err(i, Some("a value"), VALUE, Some(after));
                e.help = Some(format!(
                    "to use the word {} as a value, quote it",
                    show_word(w.fragment())
                ));
                return Err(Err::Error(e));
            }
            _ => {
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
    }
    Err(Err::Error(e))
}

/// A DATE where only a date will do (`as of`).
fn date_only<'a>(i: In<'a>, after: &str) -> PResult<'a, Spanned<Date>> {
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
fn date(i: In) -> PResult<Spanned<Date>> {
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
fn why_not_a_day(text: &str) -> String {
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
fn number(i: In) -> PResult<Spanned<f64>> {
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
fn int<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Spanned<u64>> {
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
fn with_tail<'a>(
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
fn string(i: In) -> PResult<Spanned<String>> {
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
fn is_string_char(c: char) -> bool {
    c != '"' && c != '\\'
}

/// ```text
/// escape = '\' ( '"' | '\' | "n" | "t" | "u{" hex { hex } "}" )
/// ```
fn escape(i: In) -> PResult<char> {
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
/// ID = STRING | BARE_ID
/// ```
fn id<'a>(i: In<'a>, after: &'static str) -> PResult<'a, Spanned<String>> {
    let i = blank(i);
    let (rest, id) = if i.fragment().starts_with('"') {
        string(i)?
    } else {
        match bare_id(i) {
            Ok((rest, text)) => (
                rest,
                Spanned {
                    node: text.fragment().to_string(),
                    span: span_of(&text),
                },
            ),
            Err(_) => {
                return Err(Err::Error(expected_err(
                    i,
                    Some("an id"),
                    &[Thing("an id")],
                    Some(after),
                )));
            }
        }
    };
    if let Err(why) = Id::new(&id.node) {
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
fn bare_id(i: In) -> PResult<In> {
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

// ---------------------------------------------------------------------------
// Words and characters

/// ```text
/// NAME = letter { letter | digit }
/// ```
fn name(i: In) -> PResult<In> {
    name_here(blank(i))
}

/// [`name`] without skipping blanks first.
fn name_here(i: In) -> PResult<In> {
    recognize((
        satisfy(is_letter),
        take_while(|c| is_letter(c) || is_digit(c)),
    ))
    .parse(i)
}

/// ```text
/// letter = "A" .. "Z" | "a" .. "z" | "_"
/// ```
fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// ```text
/// lower = "a" .. "z" | "_"
/// ```
fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase() || c == '_'
}

/// ```text
/// alnum = "A" .. "Z" | "a" .. "z" | digit
/// ```
fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// ```text
/// digit = "0" .. "9"
/// ```
fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// ```text
/// hex = digit | "A" .. "F" | "a" .. "f"
/// ```
fn is_hex(c: char) -> bool {
    c.is_ascii_hexdigit()
}

/// ```text
/// blank = { ? white space ? | comment }
/// ```
///
/// Never fails; returns the input after any blanks.
fn blank(mut i: In) -> In {
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
fn comment(i: In) -> PResult<In> {
    recognize((tag("--"), take_while(|c| c != '\n'))).parse(i)
}

/// A keyword: a whole word, any case. `notes` is not `not`.
fn keyword<'a>(kw: &'static str) -> impl Fn(In<'a>) -> PResult<'a, Span> {
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
fn expect_keyword<'a>(
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
fn punct<'a>(c: char) -> impl Fn(In<'a>) -> PResult<'a, Span> {
    move |i| {
        let i = blank(i);
        let (rest, _) = char(c).parse(i)?;
        Ok((rest, i.location_offset()..rest.location_offset()))
    }
}

/// [`punct`] for the one-character token `tok`, failing with "expected TOK
/// after AFTER, found …".
fn expect_punct<'a>(
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
fn close<'a>(i: In<'a>, opener: char, open: &Span, want: &[Want]) -> PResult<'a, Span> {
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

/// One more level of nesting, or the depth error at `at`.
fn nest(depth: usize, at: &Span) -> Result<usize, Err<ParseError>> {
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
fn count_condition(cx: &mut Ctx, at: &Span) -> Result<(), Err<ParseError>> {
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

fn span_of(s: &In) -> Span {
    s.location_offset()..s.location_offset() + s.fragment().len()
}

/// A placeholder error for a parser that merely did not match; callers that
/// report it replace it with a precise one.
fn backtrack(at: &In) -> ParseError {
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

// ---------------------------------------------------------------------------
// Error messages

/// Something the parser would have accepted.
#[derive(Clone, Copy)]
enum Want {
    /// A literal token or keyword phrase, shown in quotes.
    Tok(&'static str),
    /// A class of token, shown as is (`a field`).
    Thing(&'static str),
}
use Want::{Thing, Tok};

impl Want {
    fn show(self) -> String {
        match self {
            Tok(t) => format!("\"{t}\""),
            Thing(t) => t.to_string(),
        }
    }
}

/// The token at `i` (after blanks), described for an error message.
struct Found {
    span: Span,
    text: String,
    end: bool,
    word: Option<String>,
}

fn found(i: In) -> Found {
    let i = blank(i);
    let at = i.location_offset();
    let s = *i.fragment();
    let Some(c) = s.chars().next() else {
        return Found {
            span: at..at,
            text: "end of input".into(),
            end: true,
            word: None,
        };
    };
    let numeric =
        c.is_ascii_digit() || (c == '-' && s[1..].starts_with(|c: char| c.is_ascii_digit()));
    if c.is_ascii_alphanumeric() || c == '_' || numeric {
        // A number or date is shown whole: `2024-01-31`, `-1.5e3`.
        let glued =
            |c: char| c.is_ascii_alphanumeric() || c == '_' || (numeric && ".+-".contains(c));
        let len = s[1..].find(|c: char| !glued(c)).map_or(s.len(), |n| n + 1);
        let w = &s[..len];
        let word = is_letter(c)
            .then(|| w.to_string())
            .filter(|w| w.len() <= 64);
        return Found {
            span: at..at + len,
            text: show_word(w),
            end: false,
            word,
        };
    }
    let text = match c {
        '"' => "a string".to_string(),
        ' ' => "a space".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("character U+{:04X}", c as u32),
        c => format!("\"{c}\""),
    };
    Found {
        span: at..at + c.len_utf8(),
        text,
        end: false,
        word: None,
    }
}

/// `"word"`, cut short if long.
fn show_word(w: &str) -> String {
    const MAX: usize = 40;
    match w.char_indices().nth(MAX) {
        Some((at, _)) => format!("\"{}…\"", w[..at].escape_debug()),
        None => format!("\"{}\"", w.escape_debug()),
    }
}

/// "expected WHAT [after "AFTER"], found …", with the expected tokens listed
/// and a did-you-mean for a misspelt keyword.
fn expected_err(i: In, what: Option<&str>, want: &[Want], after: Option<&str>) -> ParseError {
    let found = found(i);
    let listed = or_list(want);
    let mut message = format!("expected {}", what.unwrap_or(&listed));
    if let Some(after) = after {
        message.push_str(&format!(" after \"{after}\""));
    }
    message.push_str(&format!(", found {}", found.text));
    let kind = if found.end {
        ParseErrorKind::UnexpectedEnd
    } else {
        ParseErrorKind::Unexpected
    };
    let mut e = ParseError::new(kind, message, found.span);
    e.expected = want.iter().map(|w| w.show()).collect();
    if let Some(word) = &found.word
        && let Some(s) = suggest_keyword(word, want)
    {
        e.help = Some(format!("did you mean \"{s}\"?"));
    }
    e
}

/// "a, b or c".
fn or_list(want: &[Want]) -> String {
    let shown: Vec<String> = want.iter().map(|w| w.show()).collect();
    match shown.split_last() {
        None => "nothing".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The keyword phrase among `want` that `word` is a misspelling of.
fn suggest_keyword(word: &str, want: &[Want]) -> Option<&'static str> {
    let phrases: Vec<&'static str> = want
        .iter()
        .filter_map(|w| match w {
            Tok(t) if t.starts_with(|c: char| c.is_ascii_alphabetic()) => Some(*t),
            _ => None,
        })
        .collect();
    let first = |t: &'static str| t.split(' ').next().unwrap_or(t);
    let chosen = did_you_mean(word, phrases.iter().map(|t| first(t)))?;
    phrases.into_iter().find(|t| first(t) == chosen)
}

#[cfg(test)]
mod tests;
