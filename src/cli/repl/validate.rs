//! When Enter runs the input and when it continues it on the next line.

use super::lex;
use evident::query::{ParseErrorKind, parse_script};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, ConditionalEventHandler, Event, EventContext, RepeatCount};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Bound to Ctrl-C: abandons the input. It sets the flag and submits the
/// line; the shell sees the flag and drops the line. (Submitting rather than
/// interrupting keeps the keys rustyline has already read past the Ctrl-C.)
pub struct Abandon(pub Arc<AtomicBool>);

impl ConditionalEventHandler for Abandon {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, _: &EventContext) -> Option<Cmd> {
        self.0.store(true, Ordering::Relaxed);
        Some(Cmd::AcceptLine)
    }
}

/// Splits pasted text into runs of statements, each with the line (0-based)
/// it starts on. Text that parses whole stays whole; otherwise it is cut at
/// each line break where what comes before is a whole statement and adding
/// the next line would make it wrong (not merely unfinished) — a paste of
/// statements on their own lines without `;`. Whatever cannot be split that
/// way stays with the run before it, so its error is reported as typed.
pub fn split_pasted(text: &str) -> Vec<(usize, &str)> {
    if parse_script(text).is_ok() {
        return vec![(0, text)];
    }
    let mut pieces = Vec::new();
    let (mut start, mut start_line, mut end) = (0, 0, 0);
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let next_end = end + line.len();
        if end > start
            && !lex::is_blank(line)
            && parse_script(&text[start..end]).is_ok()
            && parse_script(&text[start..next_end]).is_err_and(|e| !e.is_incomplete())
        {
            pieces.push((start_line, &text[start..end]));
            (start, start_line) = (end, index);
        }
        end = next_end;
    }
    pieces.push((start_line, &text[start..]));
    pieces
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
    fn pasted_statements_without_semicolons_are_split() {
        assert_eq!(
            split_pasted("count claims\ncount sources\ncount evidence\n"),
            vec![
                (0, "count claims\n"),
                (1, "count sources\n"),
                (2, "count evidence\n")
            ]
        );
        // A statement over several lines stays whole, and so does a script
        // that parses as it is.
        assert_eq!(
            split_pasted("claims\n  where status = verified\nsources"),
            vec![(0, "claims\n  where status = verified\n"), (2, "sources")]
        );
        assert_eq!(
            split_pasted("claims;\nsources"),
            vec![(0, "claims;\nsources")]
        );
        // A mistake stays with its statement, to be reported there.
        assert_eq!(
            split_pasted("claims wher x\ncount claims"),
            vec![(0, "claims wher x\ncount claims")]
        );
        assert_eq!(
            split_pasted("count claims\n\n-- next\nclaims wher x"),
            vec![(0, "count claims\n\n-- next\n"), (3, "claims wher x")]
        );
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
