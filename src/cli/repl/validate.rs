//! When Enter runs the input and when it continues it on the next line.

use super::lex;
use evident::query::{ParseErrorKind, parse_script};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, ConditionalEventHandler, Event, EventContext, RepeatCount};

/// Continuation lines start with this much white space. The highlighter
/// draws the continuation prompt over it, which keeps rustyline's idea of
/// the cursor position right (it cannot draw a prompt on later lines itself),
/// and it makes a multi-line statement recalled from history look as typed.
pub const CONTINUATION_INDENT: &str = "         ";
/// The continuation prompt, as wide as the main one.
pub const CONTINUATION_PROMPT: &str = "    ...> ";
/// The main prompt.
pub const PROMPT: &str = "evident> ";

/// What Enter should do with the input typed so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Nothing to run: blanks and comments only.
    Blank,
    /// Run it: a meta command, whole statements, or a mistake the parser can
    /// point at (the user should see it now, not after more typing).
    Complete,
    /// The statement stops where more is expected: read another line.
    Incomplete,
}

/// Decides whether `input` is ready to run. Meta commands (a first line
/// starting with `.`) are always complete; statements are complete unless
/// the parser says the input ended too early (an open bracket or string, a
/// trailing `where`, `and` or operator).
pub fn check(input: &str) -> Completeness {
    let trimmed = input.trim_start();
    if trimmed.starts_with('.') {
        return Completeness::Complete;
    }
    if lex::is_blank(trimmed) {
        return Completeness::Blank;
    }
    match parse_script(input) {
        Ok(_) => Completeness::Complete,
        Err(e) if e.is_incomplete() => Completeness::Incomplete,
        Err(e) if e.kind == ParseErrorKind::Empty => Completeness::Blank,
        Err(_) => Completeness::Complete,
    }
}

/// The rustyline validator: asks [`check`].
pub struct StatementValidator;

impl Validator for StatementValidator {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(match check(ctx.input()) {
            Completeness::Incomplete => ValidationResult::Incomplete,
            Completeness::Blank | Completeness::Complete => ValidationResult::Valid(None),
        })
    }
}

/// Bound to Enter: when the input is unfinished and the cursor is at its
/// end, starts a continuation line (indented, unless the line break falls
/// inside a string, where white space would change the string). Otherwise
/// leaves Enter to rustyline, which asks [`StatementValidator`].
pub struct ContinueOnEnter;

impl ConditionalEventHandler for ContinueOnEnter {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        let line = ctx.line();
        if ctx.pos() != line.len() || check(line) != Completeness::Incomplete {
            return None;
        }
        Some(Cmd::Insert(1, continuation(line)))
    }
}

/// The text Enter inserts to continue `line` on a new line.
pub fn continuation(line: &str) -> String {
    if lex::ends_in_open_string(line) {
        "\n".to_owned()
    } else {
        format!("\n{CONTINUATION_INDENT}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_statements_run() {
        for input in [
            "claims",
            "claims;",
            "count claims group by status",
            "claims where status = unresolved",
            "claims where\n  status = unresolved",
            "claims where (status = verified or status = refuted) order by id desc limit 3",
            "show c1",
            "claims; sources",
            r#"add claim {text: "x", tags: ["a", "b"]}"#,
        ] {
            assert_eq!(check(input), Completeness::Complete, "{input:?}");
        }
    }

    #[test]
    fn unfinished_statements_continue() {
        for input in [
            "claims where",
            "claims where status =",
            "claims where status = unresolved and",
            "claims where (status = verified",
            "claims where any evidence (",
            r#"claims where text ~ "unterminated"#,
            "add claim {text: \"x\",",
            "add claim {",
            "claims where status in (verified,",
        ] {
            assert_eq!(check(input), Completeness::Incomplete, "{input:?}");
        }
    }

    #[test]
    fn mistakes_meta_commands_and_blanks() {
        // A mistake is shown at once rather than waiting for more lines.
        assert_eq!(check("claims wher status = x"), Completeness::Complete);
        assert_eq!(check("cliams"), Completeness::Complete);
        assert_eq!(check("claims where status = = x"), Completeness::Complete);
        // Meta commands never continue.
        assert_eq!(check(".help"), Completeness::Complete);
        assert_eq!(check("  .read \"unterminated"), Completeness::Complete);
        assert_eq!(check(""), Completeness::Blank);
        assert_eq!(check("  \n "), Completeness::Blank);
        assert_eq!(check("-- just a comment"), Completeness::Blank);
    }

    #[test]
    fn continuation_lines_are_indented_outside_strings() {
        assert_eq!(
            continuation("claims where"),
            format!("\n{CONTINUATION_INDENT}")
        );
        assert_eq!(continuation("add claim {text: \"two"), "\n");
        assert_eq!(CONTINUATION_INDENT.len(), PROMPT.len());
        assert_eq!(CONTINUATION_PROMPT.len(), PROMPT.len());
    }
}
