//! Colours for what is being typed: keywords, strings, numbers, dates and
//! comments; and the continuation prompt drawn over the indentation of
//! continuation lines (see [`CONTINUATION_INDENT`]).

use super::lex::{Token, TokenKind, tokenize};
use super::validate::{CONTINUATION_INDENT, CONTINUATION_PROMPT};
use evident::query::vocabulary::{QUANTIFIERS, STATEMENT_WORDS, is_one_of, is_reserved};

const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const DATE: &str = "\x1b[35m";
const COMMENT: &str = "\x1b[90m";
const META: &str = "\x1b[36m";
/// Grey, for the continuation prompt and hints.
pub const DIM: &str = "\x1b[90m";
/// Bold green, for the prompt.
pub const PROMPT: &str = "\x1b[1;32m";
/// Back to normal.
pub const RESET: &str = "\x1b[0m";

/// Whether output should be coloured: a terminal that is not dumb, and no
/// `NO_COLOR` (<https://no-color.org>: set and not empty).
pub fn colors_wanted(is_terminal: bool, term: Option<&str>, no_color: Option<&str>) -> bool {
    is_terminal && term != Some("dumb") && no_color.is_none_or(str::is_empty)
}

/// The input as it should be shown: with colours when `colors` is set, and
/// with the continuation prompt over the indentation of continuation lines
/// in any case. The result has the same display width as `line`.
pub fn highlight(line: &str, colors: bool) -> String {
    let mut out = String::with_capacity(line.len() * 2);
    if line.trim_start().starts_with('.') {
        paint(&mut out, colors.then_some(META), line);
        return out;
    }
    // A word is coloured when the parser reads it as a keyword: a reserved
    // word anywhere; a statement word at the start of a statement, and the
    // collection or kind after `count` / `add`; a quantifier and `evidence`
    // together (`any evidence`), since `any` alone is an ordinary name.
    let mut word_index = 0;
    let mut previous = String::new();
    let tokens = tokenize(line);
    for (at, token) in tokens.iter().enumerate() {
        let text = token.text(line);
        let style = match token.kind {
            TokenKind::Space => {
                push_space(&mut out, text, colors);
                continue;
            }
            TokenKind::Comment => Some(COMMENT),
            TokenKind::String { .. } => Some(STRING),
            TokenKind::Number => Some(NUMBER),
            TokenKind::Date => Some(DATE),
            TokenKind::Word => {
                let lower = text.to_ascii_lowercase();
                let keyword = is_reserved(&lower)
                    || (word_index == 0 && is_one_of(STATEMENT_WORDS, &lower))
                    || (word_index == 1 && (previous == "count" || previous == "add"))
                    || (is_one_of(QUANTIFIERS, &lower)
                        && evidence_follows(&tokens[at + 1..], line))
                    || (lower == "evidence" && is_one_of(QUANTIFIERS, &previous));
                word_index += 1;
                previous = lower;
                keyword.then_some(KEYWORD)
            }
            TokenKind::Punct => {
                if text == ";" {
                    word_index = 0;
                }
                previous.clear();
                None
            }
            TokenKind::Other => None,
        };
        paint(&mut out, style.filter(|_| colors), text);
    }
    out
}

/// Whether the next significant token of `tokens` is the word `evidence`.
fn evidence_follows(tokens: &[Token], line: &str) -> bool {
    tokens
        .iter()
        .find(|t| t.is_significant())
        .is_some_and(|t| t.kind == TokenKind::Word && t.text(line).eq_ignore_ascii_case("evidence"))
}

fn paint(out: &mut String, style: Option<&str>, text: &str) {
    match style {
        Some(style) => {
            out.push_str(style);
            out.push_str(text);
            out.push_str(RESET);
        }
        None => out.push_str(text),
    }
}

/// White space, with the continuation prompt drawn over the indentation
/// that starts each continuation line.
fn push_space(out: &mut String, text: &str, colors: bool) {
    let mut rest = text;
    while let Some(at) = rest.find('\n') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix(CONTINUATION_INDENT) {
            paint(out, colors.then_some(DIM), CONTINUATION_PROMPT);
            rest = after;
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` without escape sequences.
    fn plain(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn colours_keywords_strings_numbers_and_dates() {
        let line = r#"claims as of 2026-01-01 where subject = "SpaceX" and confidence > 0.5 -- hi"#;
        let out = highlight(line, true);
        assert!(out.starts_with(&format!("{KEYWORD}claims{RESET}")));
        assert!(out.contains(&format!("{KEYWORD}where{RESET}")));
        assert!(out.contains(&format!("{STRING}\"SpaceX\"{RESET}")));
        assert!(out.contains(&format!("{NUMBER}0.5{RESET}")));
        assert!(out.contains(&format!("{DATE}2026-01-01{RESET}")));
        assert!(out.contains(&format!("{COMMENT}-- hi{RESET}")));
        // Field names are not keywords, even when they look like a collection.
        assert!(!out.contains(&format!("{KEYWORD}subject")));
        assert_eq!(plain(&out), line);
        // A quantifier is a keyword before `evidence` only: elsewhere it is a value.
        let out = highlight(
            "claims where any evidence (stance = refutes) or subject = no",
            true,
        );
        assert!(out.contains(&format!("{KEYWORD}any{RESET} {KEYWORD}evidence{RESET}")));
        assert!(out.ends_with(" no"));
        let out = highlight("evidence where source.kind = memo; count claims", true);
        assert!(out.contains(&format!("{KEYWORD}count{RESET} {KEYWORD}claims{RESET}")));
        assert!(out.starts_with(&format!("{KEYWORD}evidence{RESET}")));
    }

    #[test]
    fn plain_without_colours() {
        let line = r#"claims where text ~ "x" and confidence >= 0.7"#;
        assert_eq!(highlight(line, false), line);
        assert_eq!(highlight(".help statements", false), ".help statements");
    }

    #[test]
    fn continuation_prompt_over_the_indentation() {
        let line = format!("claims where\n{CONTINUATION_INDENT}status = unresolved");
        assert_eq!(
            highlight(&line, false),
            format!("claims where\n{CONTINUATION_PROMPT}status = unresolved")
        );
        let coloured = highlight(&line, true);
        assert!(coloured.contains(&format!("{DIM}{CONTINUATION_PROMPT}{RESET}")));
        // Same display width: the prompt replaces exactly the indentation.
        assert_eq!(plain(&coloured).chars().count(), line.chars().count());
        // Inside a string, white space is the string's own.
        let line = format!("add claim {{text: \"a\n{CONTINUATION_INDENT}b\"}}");
        assert_eq!(highlight(&line, false), line);
    }

    #[test]
    fn colour_choice() {
        assert!(colors_wanted(true, Some("xterm-256color"), None));
        assert!(colors_wanted(true, None, Some("")));
        assert!(!colors_wanted(false, Some("xterm"), None));
        assert!(!colors_wanted(true, Some("dumb"), None));
        assert!(!colors_wanted(true, Some("xterm"), Some("1")));
    }
}
