//! Properties of the query parser:
//! - no input makes it panic, and every error points inside the script;
//! - printing a tree and parsing the text gives the same tree back;
//! - hostile inputs (deep nesting, huge literals, NUL bytes) get clean errors.

use evident::model::{Date, Kind};
use evident::query::ast::{
    Add, Aggregate, AggregateFn, Arg, CompareOp, Count, Expr, Field, Item, Literal, OrderKey,
    Quantifier, Query, Spanned, Statement, StatementKind,
};
use evident::query::{ParseError, ParseErrorKind, parse_script, parse_statement, strip_spans};
use proptest::prelude::*;

const RESERVED: &[&str] = &[
    "where", "and", "or", "not", "order", "by", "limit", "offset", "select", "as", "of", "group",
    "in", "has", "is", "null", "asc", "desc", "true", "false",
];

/// Checks what must hold for any input: no panic, an error inside the
/// script that renders, or statements that print and parse back.
fn check_any(src: &str) {
    match parse_script(src) {
        Ok(statements) => {
            assert!(!statements.is_empty());
            for s in &statements {
                assert!(s.span.start <= s.span.end && s.span.end <= src.len());
                let printed = s.to_string();
                let again = parse_statement(&printed).unwrap_or_else(|e| {
                    panic!(
                        "{src:?} printed as {printed:?}, which does not parse:\n{}",
                        e.render(&printed)
                    )
                });
                assert_eq!(
                    strip_spans(&again),
                    strip_spans(s),
                    "{src:?} printed as {printed:?}"
                );
            }
        }
        Err(e) => check_error(src, &e),
    }
}

fn check_error(src: &str, e: &ParseError) {
    assert!(
        e.span.start <= e.span.end && e.span.end <= src.len(),
        "{src:?}: span {:?}",
        e.span
    );
    assert!(
        src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end),
        "{src:?}: {:?}",
        e.span
    );
    assert!(!e.message.is_empty());
    let rendered = e.render(src);
    assert!(rendered.starts_with("error: "), "{rendered}");
    assert!(rendered.contains('^'), "{rendered}");
}

const SOUP: &[&str] = &[
    "claims",
    "sources",
    "evidence",
    "results",
    "count",
    "show",
    "explain",
    "add",
    "retract",
    "claim",
    "source",
    "result",
    "where",
    "WHERE",
    "and",
    "or",
    "not",
    "order",
    "by",
    "limit",
    "offset",
    "select",
    "as",
    "of",
    "group",
    "in",
    "has",
    "is",
    "null",
    "asc",
    "desc",
    "any",
    "no",
    "all",
    "true",
    "false",
    "status",
    "source.kind",
    "x",
    "evidence_count",
    "notes",
    "Status",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "<>",
    "~",
    "(",
    ")",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    ";",
    ".",
    "-",
    "0.7",
    "-3",
    "1e3",
    "1e999",
    "42",
    "2024-02-29",
    "2023-02-30",
    "2024-1-1",
    "\"text\"",
    "\"unterminated",
    "\"bad \\q escape\"",
    "\"\\u{110000}\"",
    "\"\\u{e9}\"",
    "\"",
    "\\",
    "-- comment\n",
    "\0",
    "é",
    "c1",
    "liar2:11/self",
    "*",
    "!",
    "\n",
    "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(SOUP),
            prop::sample::select(&[" ", "", "\n", "  "][..]),
        ),
        0..24,
    )
    .prop_map(|parts| parts.into_iter().flat_map(|(t, sep)| [t, sep]).collect())
}

// ---------------------------------------------------------------------------
// Trees

fn sp<T>(node: T) -> Spanned<T> {
    Spanned { node, span: 0..0 }
}

fn segment() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,7}"
}

fn field() -> impl Strategy<Value = Field> {
    let first = segment().prop_filter("a keyword cannot start a field", |s| {
        !RESERVED.contains(&s.as_str())
    });
    (first, prop::collection::vec(segment(), 0..3)).prop_map(|(first, rest)| Field {
        path: std::iter::once(first).chain(rest).map(sp).collect(),
        span: 0..0,
    })
}

/// A field that reads back as one where an item stands: `count` there is
/// the aggregate.
fn item_field() -> impl Strategy<Value = Field> {
    field().prop_filter("count is the aggregate", |f| f.path[0].node != "count")
}

fn item() -> impl Strategy<Value = Item> {
    let function = prop::sample::select(vec![
        AggregateFn::Avg,
        AggregateFn::Min,
        AggregateFn::Max,
        AggregateFn::Sum,
    ]);
    prop_oneof![
        3 => item_field().prop_map(Item::Field),
        1 => Just(Item::Aggregate(Aggregate {
            function: AggregateFn::Count,
            field: None,
            span: 0..0
        })),
        2 => (function, field()).prop_map(|(function, f)| Item::Aggregate(Aggregate {
            function,
            field: Some(f),
            span: 0..0
        })),
    ]
}

fn keys() -> impl Strategy<Value = Vec<OrderKey>> {
    prop::collection::vec((item(), any::<bool>()), 0..3).prop_map(|keys| {
        keys.into_iter()
            .map(|(item, descending)| OrderKey { item, descending })
            .collect()
    })
}

fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=31)
        .prop_filter_map("a real day", |(y, m, d)| Date::from_ymd(y, m, d))
}

fn scalar() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::String),
        "[a-z ]{0,12}".prop_map(Literal::String),
        any::<f64>()
            .prop_filter("finite", |n| n.is_finite())
            .prop_map(Literal::Number),
        (-1000i32..1000).prop_map(|n| Literal::Number(f64::from(n) / 8.0)),
        date().prop_map(Literal::Date),
        any::<bool>().prop_map(Literal::Bool),
        param_name().prop_map(Literal::Param),
    ]
}

/// `$name`: the names of the grammar (`NAME = letter { letter | digit }`).
fn param_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,8}"
}

/// A part written in the statement, or a parameter in its place.
fn arg<T: std::fmt::Debug + Clone>(
    written: impl Strategy<Value = T>,
) -> impl Strategy<Value = Arg<T>> {
    prop_oneof![
        4 => written.prop_map(Arg::Written),
        1 => param_name().prop_map(Arg::Param),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn quantifier() -> impl Strategy<Value = Quantifier> {
    prop::sample::select(vec![Quantifier::Any, Quantifier::No, Quantifier::All])
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (field(), op(), scalar()).prop_map(|(field, op, v)| Expr::Compare {
            field,
            op: sp(op),
            value: sp(v)
        }),
        (
            field(),
            any::<bool>(),
            prop::collection::vec(scalar(), 1..4)
        )
            .prop_map(|(field, negated, values)| {
                Expr::In {
                    field,
                    negated,
                    values: values.into_iter().map(sp).collect(),
                }
            }),
        (field(), arg(any::<String>())).prop_map(|(field, s)| Expr::Contains {
            field,
            needle: sp(s)
        }),
        (field(), scalar()).prop_map(|(field, v)| Expr::Has {
            field,
            value: sp(v)
        }),
        (field(), any::<bool>()).prop_map(|(field, negated)| Expr::IsNull { field, negated }),
        field().prop_map(Expr::Truthy),
        quantifier().prop_map(|q| Expr::Quantified {
            quantifier: sp(q),
            condition: None,
            span: 0..0
        }),
    ];
    leaf.prop_recursive(5, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e), 0..0)),
            (quantifier(), inner).prop_map(|(q, e)| Expr::Quantified {
                quantifier: sp(q),
                condition: Some(Box::new(e)),
                span: 0..0
            }),
        ]
    })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(Kind::EXPORT_ORDER.to_vec())
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}"
}

fn statement() -> impl Strategy<Value = Statement> {
    let query = (
        kind(),
        prop::option::of(arg(date())),
        prop::option::of(expr()),
        prop::collection::vec(field(), 0..3),
        keys(),
        prop::option::of((arg(any::<u64>()), prop::option::of(arg(any::<u64>())))),
        prop::collection::vec(item(), 0..3),
    )
        .prop_map(|(kind, as_of, filter, group_by, order_by, limit, select)| {
            StatementKind::Query(Query {
                collection: sp(kind),
                as_of: as_of.map(sp),
                filter,
                group_by,
                order_by,
                limit: limit.clone().map(|(l, _)| sp(l)),
                offset: limit.and_then(|(_, o)| o).map(sp),
                select,
            })
        });
    let count = (
        kind(),
        prop::option::of(arg(date())),
        prop::option::of(expr()),
        prop::collection::vec(field(), 0..3),
        keys(),
        prop::option::of((arg(any::<u64>()), prop::option::of(arg(any::<u64>())))),
    )
        .prop_map(|(kind, as_of, filter, group_by, order_by, limit)| {
            StatementKind::Count(Count {
                collection: sp(kind),
                as_of: as_of.map(sp),
                filter,
                group_by,
                order_by,
                limit: limit.clone().map(|(l, _)| sp(l)),
                offset: limit.and_then(|(_, o)| o).map(sp),
            })
        });
    let value = prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(|v| Literal::List(v.into_iter().map(sp).collect())),
    ];
    let add = (
        kind(),
        prop::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,8}", value, 0..5),
    )
        .prop_map(|(kind, members)| {
            StatementKind::Add(Add {
                kind: sp(kind),
                members: members.into_iter().map(|(k, v)| (sp(k), sp(v))).collect(),
                record_span: 0..0,
            })
        });
    prop_oneof![
        4 => query,
        2 => count,
        1 => arg(id()).prop_map(|i| StatementKind::Show(sp(i))),
        1 => arg(id()).prop_map(|i| StatementKind::Explain(sp(i))),
        1 => arg(id()).prop_map(|i| StatementKind::Retract(sp(i))),
        2 => add,
    ]
    .prop_map(|kind| Statement { kind, span: 0..0 })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_parsed_or_rejected_cleanly(src in any::<String>()) {
        check_any(&src);
    }

    #[test]
    fn any_ascii_is_parsed_or_rejected_cleanly(src in "[ -~\n\t]{0,120}") {
        check_any(&src);
    }

    #[test]
    fn token_soups_are_parsed_or_rejected_cleanly(src in soup()) {
        check_any(&src);
    }

    #[test]
    fn a_prefix_of_a_statement_is_incomplete_or_complete(s in statement(), cut in 0usize..400) {
        // Every prefix parses or fails cleanly; and the full text is never "incomplete".
        let text = s.to_string();
        let mut at = cut.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        check_any(&text[..at]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back(s in statement()) {
        let text = s.to_string();
        let parsed = parse_statement(&text).map_err(|e| TestCaseError::fail(e.render(&text)))?;
        prop_assert_eq!(strip_spans(&parsed), strip_spans(&s), "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn printed_scripts_parse_back(statements in prop::collection::vec(statement(), 1..4)) {
        let text = statements.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(";\n");
        let parsed = parse_script(&text).map_err(|e| TestCaseError::fail(e.render(&text)))?;
        prop_assert_eq!(parsed.len(), statements.len());
        for (p, s) in parsed.iter().zip(&statements) {
            prop_assert_eq!(strip_spans(p), strip_spans(s));
            // Spans point at the statement's own text.
            prop_assert_eq!(&text[p.span.clone()], s.to_string());
        }
    }
}

// ---------------------------------------------------------------------------
// Hostile inputs

fn fails_with(src: &str, kind: ParseErrorKind) -> ParseError {
    let e = parse_script(src).expect_err("should fail");
    assert_eq!(e.kind, kind, "{}", e.message);
    check_error(src, &e);
    e
}

#[test]
fn ten_thousand_nested_parentheses() {
    let src = format!(
        "claims where {}x = 1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let e = fails_with(&src, ParseErrorKind::TooDeep);
    assert_eq!(e.message, "expression nested too deeply (limit 64)");
    let unclosed = format!("claims where {}", "(".repeat(10_000));
    fails_with(&unclosed, ParseErrorKind::TooDeep);
}

#[test]
fn a_hundred_thousand_nots() {
    let src = format!("claims where {}x", "not ".repeat(100_000));
    fails_with(&src, ParseErrorKind::TooDeep);
}

#[test]
fn deep_quantifiers() {
    let src = format!(
        "claims where {}x{}",
        "any evidence (".repeat(1_000),
        ")".repeat(1_000)
    );
    fails_with(&src, ParseErrorKind::TooDeep);
}

#[test]
fn long_flat_chains_hit_the_condition_limit() {
    let src = format!("claims where x{}", " or x".repeat(100_000));
    fails_with(&src, ParseErrorKind::TooManyConditions);
}

#[test]
fn a_five_megabyte_string_is_refused_before_parsing() {
    let src = format!("claims where text ~ \"{}\"", "a".repeat(5 * 1024 * 1024));
    let e = fails_with(&src, ParseErrorKind::TooLong);
    assert!(e.message.starts_with("script too long ("), "{}", e.message);
    // Unterminated, too.
    fails_with(&src[..src.len() - 1], ParseErrorKind::TooLong);
}

#[test]
fn a_string_longer_than_a_field_may_hold() {
    let src = format!("add claim {{ text: \"{}\" }}", "a".repeat(100_000));
    fails_with(&src, ParseErrorKind::TooLong);
}

#[test]
fn nul_bytes_are_bad_characters() {
    for src in [
        "\0",
        "claims\0",
        "claims where \0",
        "claims where x = \0",
        "show \0",
        "claims where x = \"a\0b\" \0",
    ] {
        let e = parse_script(src).expect_err(src);
        check_error(src, &e);
        assert!(!e.is_incomplete(), "{src:?}");
        assert!(e.message.contains("U+0000"), "{src:?}: {}", e.message);
    }
    // Inside a string a NUL is just a character.
    assert!(parse_script("claims where x = \"a\0b\"").is_ok());
}

#[test]
fn escapes_outside_unicode() {
    for bad in [
        "\\u{110000}",
        "\\u{ffffffff}",
        "\\u{d800}",
        "\\u{dfff}",
        "\\u{0000000}",
    ] {
        let src = format!("claims where x = \"{bad}\"");
        let e = fails_with(&src, ParseErrorKind::InvalidString);
        assert_eq!(&src[e.span.clone()], bad, "{src}");
    }
    assert!(parse_script("claims where x = \"\\u{10ffff}\\u{0}\"").is_ok());
}

#[test]
fn many_statements_and_long_lists_are_fine() {
    let src = "claims;".repeat(50_000);
    assert_eq!(parse_script(&src).map(|s| s.len()).ok(), Some(50_000));
    let src = format!("claims where x in ({})", vec!["1"; 100_000].join(","));
    assert!(parse_script(&src).is_ok());
}
