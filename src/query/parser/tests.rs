//! Unit tests of the parser, one group per statement form.

use super::*;
use crate::model::{Date, MAX_STRING_BYTES};
use crate::query::ast::{CompareOp, Expr, Item, Literal, Quantifier};

fn one(src: &str) -> Statement {
    let mut s = parse_script(src).unwrap_or_else(|e| panic!("{src:?}: {}", e.render(src)));
    assert_eq!(s.len(), 1, "{src:?}");
    s.remove(0)
}

fn err(src: &str) -> ParseError {
    match parse_script(src) {
        Ok(s) => panic!("{src:?} parsed: {s:?}"),
        Err(e) => e,
    }
}

fn filter(src: &str) -> Expr {
    match one(src).kind {
        StatementKind::Query(q) => q.filter.expect("a filter"),
        other => panic!("not a query: {other:?}"),
    }
}

#[test]
fn empty_scripts_are_errors() {
    for src in ["", "   ", ";", ";;", "-- nothing\n", " ; -- x\n ;"] {
        let e = err(src);
        assert_eq!(e.kind, ParseErrorKind::Empty, "{src:?}");
        assert!(!e.is_incomplete());
    }
}

#[test]
fn scripts_split_on_semicolons() {
    let s = parse_script(";claims;; sources ;\n-- done\n").expect("parses");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].span, 1..7);
    assert_eq!(s[1].span, 10..17);
}

#[test]
fn query_with_every_clause() {
    let src = "claims as of 2024-01-31 where status = unresolved order by confidence desc, id limit 10 offset 5 select id, text";
    let StatementKind::Query(q) = one(src).kind else {
        panic!()
    };
    assert_eq!(q.collection.node, Kind::Claim);
    assert_eq!(q.collection.span, 0..6);
    assert_eq!(
        q.as_of.as_ref().map(|d| d.node.to_string()),
        Some("2024-01-31".into())
    );
    assert_eq!(q.as_of.as_ref().map(|d| d.span.clone()), Some(13..23));
    assert!(matches!(q.filter, Some(Expr::Compare { .. })));
    assert_eq!(q.order_by.len(), 2);
    assert!(q.order_by[0].descending);
    assert!(!q.order_by[1].descending);
    assert_eq!(
        q.limit.as_ref().map(|l| l.node.clone()),
        Some(Arg::Written(10))
    );
    assert_eq!(
        q.offset.as_ref().map(|l| l.node.clone()),
        Some(Arg::Written(5))
    );
    assert_eq!(
        q.select.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        ["id", "text"]
    );
}

#[test]
fn keywords_ignore_case_fields_do_not() {
    let StatementKind::Query(q) =
        one("CLAIMS Where independent_support >= 0.7 ORDER BY id ASC").kind
    else {
        panic!()
    };
    assert_eq!(q.collection.node, Kind::Claim);
    assert_eq!(q.order_by.len(), 1);
    let e = err("claims where Status = x");
    assert_eq!(e.message, "field names are lowercase: \"Status\"");
    assert_eq!(e.help.as_deref(), Some("did you mean \"status\"?"));
    assert_eq!(e.span, 13..19);
}

#[test]
fn count_statements() {
    let StatementKind::Count(c) =
        one("count sources as of 2023-06-01 where reliability > 0.5 group by kind").kind
    else {
        panic!()
    };
    assert_eq!(c.collection.node, Kind::Source);
    assert!(c.as_of.is_some() && c.filter.is_some());
    assert_eq!(
        c.group_by.iter().map(|g| g.to_string()).collect::<Vec<_>>(),
        ["kind"]
    );
    let StatementKind::Count(c) = one("count evidence").kind else {
        panic!()
    };
    assert_eq!(c.collection.node, Kind::Evidence);
    let e = err("count claims select id");
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.contains("group a query"))
    );
}

#[test]
fn groups_and_aggregates() {
    let src = "count claims where status = contested group by subject order by count desc limit 5";
    let StatementKind::Count(c) = one(src).kind else {
        panic!()
    };
    assert_eq!(c.group_by.len(), 1);
    assert_eq!(c.order_by[0].item.to_string(), "count");
    assert!(c.order_by[0].descending);
    assert_eq!(
        c.limit.as_ref().map(|l| l.node.clone()),
        Some(Arg::Written(5))
    );

    let src = "results GROUP BY model, source.kind ORDER BY AVG(value) DESC, model \
               LIMIT 3 OFFSET 1 SELECT model, Count, max( source.reliability ), sum(value)";
    let StatementKind::Query(q) = one(src).kind else {
        panic!()
    };
    assert_eq!(
        q.group_by.iter().map(|g| g.to_string()).collect::<Vec<_>>(),
        ["model", "source.kind"]
    );
    assert_eq!(q.order_by[0].item.to_string(), "avg(value)");
    assert_eq!(
        q.select.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        ["model", "count", "max(source.reliability)", "sum(value)"]
    );
    let Item::Aggregate(a) = &q.select[2] else {
        panic!()
    };
    assert_eq!(&src[a.span.clone()], "max( source.reliability )");

    // The new words are names where no clause or aggregate can stand.
    let StatementKind::Query(q) = one("claims where tags has group and tags has max").kind else {
        panic!()
    };
    assert_eq!(
        q.filter.map(|f| f.to_string()),
        Some("tags has \"group\" and tags has \"max\"".into())
    );
    let StatementKind::Query(q) = one("claims select max, sum").kind else {
        panic!()
    };
    assert!(q.select.iter().all(|i| matches!(i, Item::Field(_))));

    let e = err("claims group subject");
    assert_eq!(
        e.message,
        "expected \"by\" after \"group\", found \"subject\""
    );
    let e = err("claims group by subject select avg(value");
    assert!(e.message.starts_with("unclosed \"(\""), "{}", e.message);
    let e = err("count claims group by subject limit 2 order by count");
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.contains("in this order"))
    );
}

#[test]
fn show_explain_retract_take_ids() {
    for (src, id) in [
        ("show c1", "c1"),
        ("show liar2:11/self", "liar2:11/self"),
        ("explain \"odd id.1\"", ""),
        ("retract 2024-report_v1.2", "2024-report_v1.2"),
        ("show c1-- a comment", "c1"),
    ] {
        match parse_script(src) {
            Ok(s) => {
                let (StatementKind::Show(got)
                | StatementKind::Explain(got)
                | StatementKind::Retract(got)) = &s[0].kind
                else {
                    panic!("{src}")
                };
                assert_eq!(got.node, Arg::Written(id.to_owned()), "{src}");
            }
            Err(e) => assert_eq!(id, "", "{src}: {e}"),
        }
    }
    let e = err("explain \"odd id.1\"");
    assert_eq!(e.kind, ParseErrorKind::InvalidId);
    let e = err("show");
    assert!(e.is_incomplete());
    assert_eq!(
        e.message,
        "expected an id after \"show\", found end of input"
    );
    let e = err(&format!("show {}", "a".repeat(129)));
    assert_eq!(e.kind, ParseErrorKind::InvalidId);
    let StatementKind::Show(id) = one("show c1 ;").kind else {
        panic!()
    };
    assert_eq!(id.span, 5..7);
}

#[test]
fn add_statements() {
    let src = "add claim { id: c9, text: \"Colossus hosts 555,000 GPUs\", tags: [gpus, \"xAI\",], created: 2024-09-01, }";
    let StatementKind::Add(a) = one(src).kind else {
        panic!()
    };
    assert_eq!(a.kind.node, Kind::Claim);
    assert_eq!(a.record_span, 10..src.len());
    let keys: Vec<&str> = a.members.iter().map(|(k, _)| k.node.as_str()).collect();
    assert_eq!(keys, ["id", "text", "tags", "created"]);
    let Literal::List(tags) = &a.members[2].1.node else {
        panic!()
    };
    assert_eq!(tags.len(), 2);
    let StatementKind::Add(a) = one("add source {}").kind else {
        panic!()
    };
    assert!(a.members.is_empty());
    let StatementKind::Add(a) =
        one("add evidence { strength: 0.8, stance: supports, tags: [] }").kind
    else {
        panic!()
    };
    assert_eq!(a.members[0].1.node, Literal::Number(0.8));
    assert_eq!(a.members[2].1.node, Literal::List(vec![]));

    assert_eq!(
        err("add claims {}").help.as_deref(),
        Some("did you mean \"claim\"?")
    );
    assert_eq!(
        err("add claim { text: 1, text: 2 }").kind,
        ParseErrorKind::DuplicateField
    );
    assert!(err("add claim { text: \"x\"").is_incomplete());
    assert!(err("add claim { tags: [a, ").is_incomplete());
    assert!(err("add claim").is_incomplete());
    assert_eq!(
        err("add claim { tags: [[a]] }").help.as_deref(),
        Some("lists cannot be nested")
    );
}

#[test]
fn precedence_and_associativity() {
    let e = filter("claims where a or b and not c or d");
    // ((a or (b and (not c))) or d)
    let Expr::Or(left, d) = e else { panic!() };
    assert!(matches!(*d, Expr::Truthy(_)));
    let Expr::Or(a, and) = *left else { panic!() };
    assert!(matches!(*a, Expr::Truthy(_)));
    let Expr::And(_, not) = *and else { panic!() };
    assert!(matches!(*not, Expr::Not(..)));
}

#[test]
fn every_condition_form() {
    assert!(
        matches!(filter("claims where a.b = 1"), Expr::Compare { ref field, .. } if field.path.len() == 2)
    );
    for (src, op) in [
        ("x = 1", CompareOp::Eq),
        ("x != 1", CompareOp::Ne),
        ("x < 1", CompareOp::Lt),
        ("x <= 1", CompareOp::Le),
        ("x > 1", CompareOp::Gt),
        ("x>=1", CompareOp::Ge),
    ] {
        let Expr::Compare { op: got, .. } = filter(&format!("claims where {src}")) else {
            panic!("{src}")
        };
        assert_eq!(got.node, op, "{src}");
    }
    assert!(
        matches!(filter("claims where tags in (a, \"b\", 3)"), Expr::In { negated: false, ref values, .. } if values.len() == 3)
    );
    assert!(matches!(
        filter("claims where tags NOT IN (a)"),
        Expr::In { negated: true, .. }
    ));
    assert!(
        matches!(filter("claims where text ~ \"gpu\""), Expr::Contains { ref needle, .. } if needle.node == Arg::Written("gpu".to_owned()))
    );
    assert!(matches!(
        filter("sources where affiliations has SpaceX"),
        Expr::Has { .. }
    ));
    assert!(matches!(
        filter("claims where subject is null"),
        Expr::IsNull { negated: false, .. }
    ));
    assert!(matches!(
        filter("claims where subject is not null"),
        Expr::IsNull { negated: true, .. }
    ));
    assert!(matches!(
        filter("evidence where independent"),
        Expr::Truthy(_)
    ));
    assert!(matches!(
        filter("claims where any evidence"),
        Expr::Quantified {
            condition: None,
            quantifier: Spanned {
                node: Quantifier::Any,
                ..
            },
            ..
        }
    ));
    let Expr::Quantified {
        condition: Some(c),
        span,
        ..
    } = filter("claims where no evidence (stance = refutes)")
    else {
        panic!()
    };
    assert_eq!(span, 13..43);
    assert!(matches!(*c, Expr::Compare { .. }));
    assert!(matches!(
        filter("claims where all evidence (independent)"),
        Expr::Quantified { .. }
    ));
}

#[test]
fn words_end_at_word_boundaries() {
    assert!(
        matches!(filter("claims where evidence_count > 2"), Expr::Compare { ref field, .. } if field.to_string() == "evidence_count")
    );
    assert!(
        matches!(filter("claims where notes"), Expr::Truthy(ref f) if f.to_string() == "notes")
    );
    assert!(
        matches!(filter("claims where order_by"), Expr::Truthy(ref f) if f.to_string() == "order_by")
    );
    assert!(
        matches!(filter("claims where any = 3"), Expr::Compare { ref field, .. } if field.to_string() == "any")
    );
    assert!(
        matches!(filter("claims where evidence"), Expr::Truthy(ref f) if f.to_string() == "evidence")
    );
    assert!(matches!(filter("claims where anything"), Expr::Truthy(_)));
    assert!(matches!(filter("claims where nota"), Expr::Truthy(_)));
}

#[test]
fn values() {
    let value = |src: &str| match filter(&format!("claims where x = {src}")) {
        Expr::Compare { value, .. } => value.node,
        other => panic!("{other:?}"),
    };
    assert_eq!(value("0.7"), Literal::Number(0.7));
    assert_eq!(value("-3"), Literal::Number(-3.0));
    assert_eq!(value("1e3"), Literal::Number(1000.0));
    assert_eq!(value("2.5E-2"), Literal::Number(0.025));
    assert_eq!(
        value("2024-02-29"),
        Literal::Date(Date::parse("2024-02-29").expect("a leap day"))
    );
    assert_eq!(value("TRUE"), Literal::Bool(true));
    assert_eq!(value("false"), Literal::Bool(false));
    assert_eq!(value("unresolved"), Literal::String("unresolved".into()));
    assert_eq!(
        value("\"a \\\"b\\\" \\\\ \\n\\t \\u{e9}\\u{1F600}\""),
        Literal::String("a \"b\" \\ \n\t é😀".into())
    );
    assert_eq!(
        value("\"line\nbreak\""),
        Literal::String("line\nbreak".into())
    );
}

#[test]
fn bad_values() {
    let e = err("claims where created > 2023-02-30");
    assert_eq!(e.kind, ParseErrorKind::InvalidDate);
    assert_eq!(
        e.message,
        "invalid date \"2023-02-30\": February 2023 has 28 days"
    );
    assert_eq!(e.span, 23..33);
    assert_eq!(
        err("claims where created > 2023-13-01").message,
        "invalid date \"2023-13-01\": there is no month 13"
    );
    assert_eq!(
        err("claims where created > 2023-1-1").help.as_deref(),
        Some("write dates as YYYY-MM-DD, e.g. 2024-01-31")
    );
    assert_eq!(
        err("claims where x = 1e999").message,
        "number \"1e999\" is out of range"
    );
    assert_eq!(
        err("claims where x = 3abc").kind,
        ParseErrorKind::InvalidNumber
    );
    assert_eq!(
        err("claims where x = 1.2.3").kind,
        ParseErrorKind::InvalidNumber
    );
    let e = err("claims where x = \"a\\qb\"");
    assert_eq!(e.kind, ParseErrorKind::InvalidString);
    assert_eq!(e.span, 19..21);
    for bad in [
        "\\u{110000}",
        "\\u{d800}",
        "\\u{}",
        "\\u{1234567}",
        "\\u12",
        "\\u{12x}",
    ] {
        let e = err(&format!("claims where x = \"{bad}\""));
        assert_eq!(e.kind, ParseErrorKind::InvalidString, "{bad}");
    }
    let e = err("claims where x = \"abc");
    assert!(e.is_incomplete());
    assert_eq!(e.span, 17..18);
    assert!(err("claims where x = \"abc\\").is_incomplete());
    assert!(err("claims where x = \"abc\\u{12").is_incomplete());
    let e = err("claims where x = null");
    assert_eq!(
        e.help.as_deref(),
        Some("to test for a missing value, write \"x is null\"")
    );
    let e = err("claims where x = and");
    assert_eq!(e.message, "expected a value after \"=\", found \"and\"");
}

#[test]
fn errors_land_where_the_mistake_is() {
    let e = err("claims were status = unresolved");
    assert_eq!(e.span, 7..11);
    assert_eq!(e.help.as_deref(), Some("did you mean \"where\"?"));
    assert!(!e.is_incomplete());

    let e = err("cliams where x");
    assert_eq!(e.kind, ParseErrorKind::UnknownStatement);
    assert_eq!(e.help.as_deref(), Some("did you mean \"claims\"?"));
    assert_eq!(
        err("count sourcs").help.as_deref(),
        Some("did you mean \"sources\"?")
    );

    let e = err("claims where x = 1 oder by y");
    assert_eq!(e.span, 19..23);
    assert_eq!(e.help.as_deref(), Some("did you mean \"order by\"?"));
    let e = err("claims where independent oder by y");
    assert_eq!(e.help.as_deref(), Some("did you mean \"order by\"?"));
    let e = err("claims order bi x");
    assert_eq!(e.help.as_deref(), Some("did you mean \"by\"?"));
    let e = err("claims where status unresolved");
    assert_eq!(
        e.message,
        "expected an operator after field \"status\", found \"unresolved\""
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean \"status = unresolved\"?")
    );
    let e = err("claims where x == 1");
    assert_eq!(e.help.as_deref(), Some("did you mean \"=\"?"));
    let e = err("claims limit 5 where x");
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.starts_with("clauses go in this order")),
        "{e:?}"
    );
    let e = err("claims limit x");
    assert_eq!(
        e.message,
        "expected a whole number after \"limit\", found \"x\""
    );
    let e = err("claims limit 1.5");
    assert_eq!(e.kind, ParseErrorKind::InvalidNumber);
    let e = err("claims select *");
    assert_eq!(
        e.help.as_deref(),
        Some("leave out \"select\" to get every field")
    );
    let e = err("claims as of \"2024-01-01\"");
    assert_eq!(
        e.help.as_deref(),
        Some("write dates without quotes: as of 2024-01-31")
    );
    let e = err("claims where x = 1 y");
    assert_eq!(
        e.message,
        "expected \"and\", \"or\", \"group by\", \"order by\", \"limit\", \"select\", \";\" or end of input, found \"y\""
    );
    let e = err("claims where x not null");
    assert_eq!(e.help.as_deref(), Some("did you mean \"x is not null\"?"));
    let e = err("claims where text ~ spacex");
    assert_eq!(
        e.help.as_deref(),
        Some("write the text in quotes: text ~ \"spacex\"")
    );
    let e = err("claims \0");
    assert_eq!(
        e.message,
        "expected \"as of\", \"where\", \"order by\", \"limit\", \"select\", \";\" or end of input, found character U+0000"
    );
    assert_eq!(e.span, 7..8);
}

#[test]
fn unfinished_statements_are_incomplete() {
    for src in [
        "claims where",
        "claims where x = 1 and",
        "claims where x = 1 or -- more to come\n",
        "claims where not",
        "claims where x =",
        "claims where x in (",
        "claims where x in (a,",
        "claims where x not",
        "claims where x is",
        "claims where x is not",
        "claims where (x = 1",
        "claims where any evidence (x",
        "claims order",
        "claims order by",
        "claims order by x,",
        "claims limit",
        "claims limit 1 offset",
        "claims select",
        "claims as",
        "claims as of",
        "count",
        "count claims group",
        "add",
        "add claim",
        "add claim {",
        "add claim { text",
        "add claim { text:",
        "show \"c1",
        "claims where x ~",
        "claims where source.",
    ] {
        let e = err(src);
        assert!(e.is_incomplete(), "{src:?}: {e:?}");
    }
    for src in [
        "claims where x = 1 )",
        "claims where ;",
        "claims where x = 2023-02-30",
        "cliams",
        "claims limit x",
    ] {
        assert!(!err(src).is_incomplete(), "{src:?}");
    }
}

#[test]
fn unclosed_brackets_point_at_the_opener() {
    let e = err("claims where (a or (b and c)");
    assert_eq!(e.span, 13..14);
    assert_eq!(
        e.message,
        "unclosed \"(\": expected \")\" before the end of input"
    );
    let e = err("claims where (a or b]");
    assert_eq!(e.message, "expected \"and\", \"or\" or \")\", found \"]\"");
}

#[test]
fn limits() {
    let deep = format!(
        "claims where {}x{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(parse_script(&deep).is_ok());
    let deeper = format!(
        "claims where {}x{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    let e = err(&deeper);
    assert_eq!(e.kind, ParseErrorKind::TooDeep);
    assert_eq!(e.message, "expression nested too deeply (limit 64)");
    assert_eq!(e.span, 13 + MAX_DEPTH..14 + MAX_DEPTH);
    assert_eq!(
        err(&format!("claims where {}x", "not ".repeat(100_000))).kind,
        ParseErrorKind::TooDeep
    );
    let nots = format!("claims where {}x", "not ".repeat(MAX_DEPTH));
    assert!(parse_script(&nots).is_ok());

    let many = format!("claims where x{}", " and x".repeat(MAX_CONDITIONS - 1));
    assert!(parse_script(&many).is_ok());
    let too_many = format!("claims where x{}", " and x".repeat(MAX_CONDITIONS));
    assert_eq!(err(&too_many).kind, ParseErrorKind::TooManyConditions);
    // The limit is per statement.
    assert!(parse_script(&format!("{many}; {many}")).is_ok());

    let e = err(&format!("show \"{}\"", "x".repeat(5_000_000)));
    assert_eq!(e.kind, ParseErrorKind::TooLong);
    assert_eq!(e.message, "script too long (5000007 bytes, limit 1048576)");
    let e = err(&format!(
        "claims where x = \"{}\"",
        "x".repeat(MAX_STRING_BYTES + 1)
    ));
    assert_eq!(e.kind, ParseErrorKind::TooLong);
}

#[test]
fn spans_cover_the_text_of_each_node() {
    let src = "claims where not source.kind = memo";
    let Expr::Not(inner, span) = filter(src) else {
        panic!()
    };
    assert_eq!(span, 13..src.len());
    let Expr::Compare { field, op, value } = *inner else {
        panic!()
    };
    assert_eq!(&src[field.span.clone()], "source.kind");
    assert_eq!(&src[field.path[1].span.clone()], "kind");
    assert_eq!(&src[op.span], "=");
    assert_eq!(&src[value.span], "memo");
}

#[test]
fn parse_statement_wants_exactly_one() {
    assert!(parse_statement("claims;").is_ok());
    let e = parse_statement("claims; sources").unwrap_err();
    assert_eq!(e.span, 8..15);
    assert_eq!(parse_statement("").unwrap_err().kind, ParseErrorKind::Empty);
}

#[test]
fn printing_is_canonical() {
    for (src, printed) in [
        ("CLAIMS WHERE a OR (b AND c)", "claims where a or b and c"),
        ("claims where (a or b) and c", "claims where (a or b) and c"),
        ("claims where a or (b or c)", "claims where a or (b or c)"),
        (
            "claims where a and (b and c)",
            "claims where a and (b and c)",
        ),
        ("claims where not (a and b)", "claims where not (a and b)"),
        ("claims where not not a", "claims where not not a"),
        (
            "claims where x = unresolved",
            "claims where x = \"unresolved\"",
        ),
        ("claims where x = 1e3", "claims where x = 1000"),
        ("claims where x = 1e300", "claims where x = 1e300"),
        (
            "claims where any evidence(stance=refutes)",
            "claims where any evidence (stance = \"refutes\")",
        ),
        ("claims order by a asc, b desc", "claims order by a, b desc"),
        ("show \"a--b\"", "show \"a--b\""),
        ("show c1", "show c1"),
        (
            "add claim {text:\"x\",tags:[a,],}",
            "add claim { text: \"x\", tags: [\"a\"] }",
        ),
        ("add claim {}", "add claim {}"),
        (
            "count claims as of 2024-01-01 where x group by status",
            "count claims as of 2024-01-01 where x group by status",
        ),
    ] {
        let s = one(src);
        assert_eq!(s.to_string(), printed, "{src}");
        assert_eq!(
            crate::query::strip_spans(&one(printed)),
            crate::query::strip_spans(&s),
            "{src}"
        );
    }
}

/// The rendered diagnostic for `src`, which must not parse.
fn rendered(src: &str) -> String {
    err(src).render(src)
}

#[test]
fn an_unquoted_id_in_a_value_says_to_quote_it() {
    assert_eq!(
        rendered("add evidence { claim: c1, source: src:openai-blog, stance: supports }"),
        "error: a value with \":\" must be in double quotes
  --> line 1, column 35
  |
1 | add evidence { claim: c1, source: src:openai-blog, stance: supports }
  |                                   ^^^^^^^^^^^^^^^
  = help: write it in double quotes: \"src:openai-blog\" (only show, explain and retract take an id without them)"
    );
    assert_eq!(
        rendered("claims where id = c:x"),
        "error: a value with \":\" must be in double quotes
  --> line 1, column 19
  |
1 | claims where id = c:x
  |                   ^^^
  = help: write it in double quotes: \"c:x\" (only show, explain and retract take an id without them)"
    );
    let e = err("claims where model = org/gpt-4o.v2 limit 1");
    assert_eq!(e.message, "a value with \"/\" must be in double quotes");
    assert_eq!(e.span, 21..34);
    assert_eq!(
        e.help.as_deref(),
        Some("write it in double quotes: \"org/gpt-4o.v2\"")
    );
    assert_eq!(
        err("results where model = gpt-4o").help.as_deref(),
        Some("write it in double quotes: \"gpt-4o\"")
    );
    // `--` starts a comment, even right after a value.
    assert!(parse_script("claims where subject = trump-- a comment").is_ok());
    // The commands that take an id take it bare.
    assert!(parse_script("explain c:spacex-model-swebench-74").is_ok());
}

#[test]
fn other_quotes_get_double_quotes_in_the_help() {
    assert_eq!(
        rendered("claims where subject = 'donald trump'"),
        "error: expected a value after \"=\", found \"'\"
  --> line 1, column 24
  |
1 | claims where subject = 'donald trump'
  |                        ^
  = help: write strings in double quotes: \"donald trump\""
    );
    for src in [
        "claims where subject = “donald trump”",
        "claims where subject = ‘donald trump’",
        "claims where subject = „donald trump“",
        "claims where subject in ('donald trump')",
        "add claim { text: 'x', subject: ‘donald trump’ }",
    ] {
        let e = err(src);
        assert!(e.message.starts_with("expected a value after"), "{src}");
        let help = e.help.unwrap_or_default();
        assert!(
            help.starts_with("write strings in double quotes: \""),
            "{src}: {help}"
        );
    }
    assert_eq!(
        err("claims where subject = “donald trump”").help.as_deref(),
        Some("write strings in double quotes: \"donald trump\"")
    );
    assert_eq!(
        err("claims where text ~ 'say \"hi\"'").help.as_deref(),
        Some("write strings in double quotes: \"say \\\"hi\\\"\"")
    );
    assert_eq!(
        err("claims where subject = 'a\u{7}b'").help.as_deref(),
        Some("write strings in double quotes: \"a\\u{7}b\"")
    );
    assert_eq!(
        err("claims where subject = 'never closed").help.as_deref(),
        Some("write strings in double quotes: \"…\"")
    );
    assert_eq!(
        err("show 'c1'").help.as_deref(),
        Some("write ids in double quotes: \"c1\"")
    );
}

#[test]
fn a_bare_value_with_spaces_says_to_quote_it() {
    assert_eq!(
        rendered("claims where subject = donald trump"),
        "error: a value with spaces must be in double quotes
  --> line 1, column 24
  |
1 | claims where subject = donald trump
  |                        ^^^^^^^^^^^^
  = help: write it in double quotes: \"donald trump\""
    );
    for (src, span, help) in [
        (
            "claims where subject = donald j. trump and status = refuted",
            23..38,
            "\"donald j. trump\"",
        ),
        (
            "claims where subject in (barack obama, x)",
            25..37,
            "\"barack obama\"",
        ),
        (
            "claims where tags has climate change",
            22..36,
            "\"climate change\"",
        ),
        (
            "add claim { text: \"x\", subject: donald trump }",
            32..44,
            "\"donald trump\"",
        ),
        ("add claim { text: \"x\", tags: [a b] }", 30..33, "\"a b\""),
    ] {
        let e = err(src);
        assert_eq!(
            e.message, "a value with spaces must be in double quotes",
            "{src}"
        );
        assert_eq!(e.span, span, "{src}");
        assert_eq!(
            e.help,
            Some(format!("write it in double quotes: {help}")),
            "{src}"
        );
    }
    // A misspelt keyword, a forgotten "," before the next member, or a
    // misspelt keyword before the next condition is not a value with spaces.
    for (src, message) in [
        (
            "claims where status = verified adn confidence > 0.5",
            "expected \"and\", \"or\", \"group by\", \"order by\", \"limit\", \"select\", \";\" or end of input, found \"adn\"",
        ),
        (
            "claims where status = verified nad x = 1",
            "expected \"and\", \"or\", \"group by\", \"order by\", \"limit\", \"select\", \";\" or end of input, found \"nad\"",
        ),
        (
            "add claim { text: \"x\" subject: donald }",
            "expected \",\" or \"}\", found \"subject\"",
        ),
        (
            "add claim { text: x subject: donald }",
            "expected \",\" or \"}\", found \"subject\"",
        ),
    ] {
        assert_eq!(err(src).message, message, "{src}");
    }
}

#[test]
fn contains_and_like_point_to_the_tilde() {
    assert_eq!(
        rendered("claims where text contains \"tax\""),
        "error: expected an operator after field \"text\", found \"contains\"
  --> line 1, column 19
  |
1 | claims where text contains \"tax\"
  |                   ^^^^^^^^
  = help: to find text inside a field, ignoring case, use \"~\": text ~ \"tax\""
    );
    for (src, needle) in [
        ("claims where text like \"tax\"", "\"tax\""),
        ("claims where text LIKE '%tax%'", "\"tax\""),
        ("claims where subject contains trump", "\"trump\""),
        ("claims where text includes “a b”", "\"a b\""),
        ("claims where text contains", "\"…\""),
        ("claims where text contains (", "\"…\""),
    ] {
        let e = err(src);
        let field = if src.contains("subject") {
            "subject"
        } else {
            "text"
        };
        assert_eq!(
            e.help,
            Some(format!(
                "to find text inside a field, ignoring case, use \"~\": {field} ~ {needle}"
            )),
            "{src}"
        );
    }
    // Other words after a field keep their did-you-mean.
    assert_eq!(
        err("claims where status verified").help.as_deref(),
        Some("did you mean \"status = verified\"?")
    );
}

#[test]
fn the_quoted_value_a_help_suggests_reads_back_as_the_text() {
    for text in [
        "donald trump",
        "say \"hi\"",
        "a\\b",
        "tab\there",
        "bell\u{7}",
        "é “x”",
        "",
    ] {
        let shown = literal::quoted(text);
        let src = format!("claims where subject = {shown}");
        match filter(&src) {
            Expr::Compare { value, .. } => {
                assert_eq!(value.node, Literal::String(text.into()), "{src}");
            }
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn parameters_stand_for_values_ids_dates_strings_and_whole_numbers() {
    let src = "claims as of $day where subject = $who and text ~ $needle and tags has $t \
               and id in ($a, \"b\") limit $n offset $m";
    let s = parse_statement(src).expect("parses");
    assert_eq!(
        s.to_string(),
        "claims as of $day where subject = $who and text ~ $needle and tags has $t and id in ($a, \"b\") limit $n offset $m"
    );
    let StatementKind::Query(q) = &s.kind else {
        panic!("a query: {s:?}")
    };
    assert_eq!(
        q.as_of.as_ref().map(|d| d.node.clone()),
        Some(Arg::Param("day".into()))
    );
    let at = src.find("$day").expect("in the text");
    assert_eq!(q.as_of.as_ref().map(|d| d.span.clone()), Some(at..at + 4));
    assert_eq!(
        q.limit.as_ref().map(|d| d.node.clone()),
        Some(Arg::Param("n".into()))
    );
    for (text, shown) in [
        ("show $id", "show $id"),
        ("explain $Claim_2", "explain $Claim_2"),
        ("retract $x", "retract $x"),
        (
            "count claims where confidence >= $c limit $n",
            "count claims where confidence >= $c limit $n",
        ),
        (
            "add claim {id: $id, tags: [$t, \"x\"]}",
            "add claim { id: $id, tags: [$t, \"x\"] }",
        ),
    ] {
        let s = parse_statement(text).expect(text);
        assert_eq!(s.to_string(), shown);
        let again = parse_statement(&s.to_string()).expect("reparses");
        assert_eq!(
            crate::query::strip_spans(&again),
            crate::query::strip_spans(&s),
            "{text}"
        );
    }
    // Names are case-sensitive and kept as written.
    let s = parse_statement("claims where subject = $Who").expect("parses");
    assert!(s.to_string().ends_with("$Who"), "{s}");
}

#[test]
fn a_dollar_without_a_name_is_an_error_at_the_dollar() {
    for src in [
        "claims where subject = $",
        "claims where subject = $1",
        "show $ x",
        "claims limit $",
    ] {
        let e = parse_statement(src).unwrap_err();
        assert_eq!(e.message, "expected a parameter name after \"$\"", "{src}");
        let at = src.find('$').expect("has $");
        assert_eq!(e.span, at..at + 1, "{src}");
    }
}
