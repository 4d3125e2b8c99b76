//! Keeps `grammar/query.ebnf`, the parser and the examples in step:
//! - every rule of the grammar is repeated, with the same right-hand side,
//!   in exactly one doc comment of the parser's files, `src/query/parser/*.rs`
//!   (and the parser documents no rule the grammar lacks);
//! - every `grammar/examples/valid/*.evq` parses, and printing it parses
//!   back to the same statements;
//! - every `grammar/examples/invalid/*.evq` fails with exactly the rendered
//!   diagnostic in the `.err` file beside it.
//!
//! `EVIDENT_BLESS=1 cargo test --test grammar` rewrites the `.err` files
//! from the parser's output; read the diff before committing it.

use evident::query::{parse_script, parse_statement, strip_spans};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Collapses runs of white space to one space.
fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes `(* … *)` comments.
fn strip_comments(mut s: &str) -> String {
    let mut out = String::new();
    while let Some(start) = s.find("(*") {
        out.push_str(&s[..start]);
        match s[start..].find("*)") {
            Some(end) => s = &s[start + end + 2..],
            None => panic!("unclosed comment in grammar/query.ebnf"),
        }
    }
    out.push_str(s);
    out
}

/// `name = rhs` at the start of a line; returns the name and the rest.
fn rule_start(line: &str) -> Option<(&str, &str)> {
    let (name, rhs) = line.split_once('=')?;
    let name = name.trim_end();
    let is_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (is_name && line.starts_with(|c: char| c.is_ascii_alphabetic())).then_some((name, rhs))
}

/// The rules of the grammar file: a rule starts at the left margin and runs
/// on over indented lines.
fn grammar_rules() -> BTreeMap<String, String> {
    let text = fs::read_to_string(root().join("grammar/query.ebnf")).expect("grammar/query.ebnf");
    let mut rules = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in strip_comments(&text).lines() {
        if let Some((name, rhs)) = rule_start(line) {
            if let Some((n, r)) = current.take() {
                assert!(
                    rules.insert(n.clone(), normalize(&r)).is_none(),
                    "rule {n} defined twice"
                );
            }
            current = Some((name.to_string(), rhs.to_string()));
        } else if line.starts_with(char::is_whitespace) && !line.trim().is_empty() {
            let (_, rhs) = current
                .as_mut()
                .unwrap_or_else(|| panic!("indented line outside a rule: {line:?}"));
            rhs.push(' ');
            rhs.push_str(line);
        } else if !line.trim().is_empty() {
            panic!("grammar line is neither a rule nor a continuation: {line:?}");
        }
    }
    if let Some((n, r)) = current {
        assert!(
            rules.insert(n.clone(), normalize(&r)).is_none(),
            "rule {n} defined twice"
        );
    }
    rules
}

/// The parser's source files, `src/query/parser/*.rs`, in name order.
fn parser_files() -> Vec<PathBuf> {
    let dir = root().join("src/query/parser");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .rs files in {}", dir.display());
    files
}

/// The rules quoted in `///` doc comments of the parser's files: `/// name =
/// rhs`, continued by `///` lines indented by more than one space. A rule
/// documented twice, in one file or in two, is an error.
fn documented_rules() -> BTreeMap<String, String> {
    let mut rules = BTreeMap::new();
    for path in parser_files() {
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        documented_rules_of(&text, &file, &mut rules);
    }
    rules
}

/// Adds the rules documented in `text` (the file `file`) to `rules`.
fn documented_rules_of(text: &str, file: &str, rules: &mut BTreeMap<String, String>) {
    let mut current: Option<(String, String)> = None;
    for line in text.lines().chain([""]) {
        let doc = line
            .trim_start()
            .strip_prefix("///")
            .map(|d| d.strip_prefix(' ').unwrap_or(d));
        match doc {
            Some(d) if current.is_some() && d.starts_with(' ') && !d.trim().is_empty() => {
                if let Some((_, rhs)) = current.as_mut() {
                    rhs.push(' ');
                    rhs.push_str(d);
                }
                continue;
            }
            _ => {}
        }
        if let Some((n, r)) = current.take() {
            assert!(
                rules.insert(n.clone(), normalize(&r)).is_none(),
                "rule {n} documented twice (again in src/query/parser/{file})"
            );
        }
        if let Some((name, rhs)) = doc.and_then(rule_start) {
            current = Some((name.to_string(), rhs.to_string()));
        }
    }
}

#[test]
fn every_grammar_rule_is_implemented_by_a_documented_function() {
    let grammar = grammar_rules();
    let documented = documented_rules();
    assert!(
        grammar.len() >= 30,
        "found only {} rules in the grammar",
        grammar.len()
    );
    for (name, rhs) in &grammar {
        match documented.get(name) {
            Some(doc) => assert_eq!(
                doc, rhs,
                "rule {name}: the parser says\n  {doc}\nthe grammar says\n  {rhs}"
            ),
            None => {
                panic!("rule {name} has no `/// {name} = …` doc comment in src/query/parser/")
            }
        }
    }
    for name in documented.keys() {
        assert!(
            grammar.contains_key(name),
            "the parser documents rule {name}, which grammar/query.ebnf lacks"
        );
    }
}

fn examples(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root().join("grammar/examples").join(dir))
        .unwrap_or_else(|e| panic!("grammar/examples/{dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "evq"))
        .collect();
    files.sort();
    files
}

#[test]
fn valid_examples_parse_and_print_back() {
    let files = examples("valid");
    assert!(files.len() >= 25, "only {} valid examples", files.len());
    for path in files {
        let src = fs::read_to_string(&path).expect("example");
        let statements = parse_script(&src)
            .unwrap_or_else(|e| panic!("{}:\n{}", path.display(), e.render(&src)));
        for statement in &statements {
            let printed = statement.to_string();
            let reparsed = parse_statement(&printed).unwrap_or_else(|e| {
                panic!(
                    "{}: printed form does not parse:\n{}",
                    path.display(),
                    e.render(&printed)
                )
            });
            assert_eq!(
                strip_spans(&reparsed),
                strip_spans(statement),
                "{}: {printed}",
                path.display()
            );
            assert_eq!(
                reparsed.to_string(),
                printed,
                "{}: printing is not stable",
                path.display()
            );
        }
    }
}

#[test]
fn invalid_examples_fail_with_their_diagnostic() {
    let bless = std::env::var_os("EVIDENT_BLESS").is_some();
    let files = examples("invalid");
    assert!(files.len() >= 15, "only {} invalid examples", files.len());
    for path in files {
        let src = fs::read_to_string(&path).expect("example");
        let error = match parse_script(&src) {
            Ok(s) => panic!("{} parsed: {s:?}", path.display()),
            Err(e) => e,
        };
        let rendered = error.render(&src);
        let err_path = path.with_extension("err");
        if bless {
            fs::write(&err_path, format!("{rendered}\n")).expect("write .err");
            continue;
        }
        let expected =
            fs::read_to_string(&err_path).unwrap_or_else(|e| panic!("{}: {e}", err_path.display()));
        assert_eq!(
            rendered,
            expected.trim_end_matches('\n'),
            "{}",
            path.display()
        );
    }
}

#[test]
fn every_err_file_has_its_example() {
    let dir = root().join("grammar/examples/invalid");
    for entry in fs::read_dir(&dir).expect("grammar/examples/invalid") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "err") {
            assert!(
                path.with_extension("evq").exists(),
                "{} has no .evq",
                path.display()
            );
        }
    }
}
