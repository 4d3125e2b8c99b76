//! The error a script that does not parse gives.

use super::diagnostic;
use std::ops::Range;

/// What kind of mistake a [`ParseError`] reports, for callers that react to
/// some of them differently (the REPL continues an [`UnexpectedEnd`] statement
/// on the next line).
///
/// [`UnexpectedEnd`]: ParseErrorKind::UnexpectedEnd
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The script stops where more was expected: after `where`, `and`, an
    /// operator or a `,`, inside a string, or before a closing `)`, `]` or `}`.
    ///
    /// `claims where status =`
    UnexpectedEnd,
    /// Something other than what the grammar allows at that point.
    ///
    /// `claims where status verified`
    Unexpected,
    /// A statement that starts with no known command or collection.
    ///
    /// `clams where status = verified`
    UnknownStatement,
    /// A name where a collection (`claims`, `sources`, …) was expected.
    ///
    /// `count clams`
    UnknownCollection,
    /// A name where a record kind (`claim`, `source`, …) was expected.
    ///
    /// `add clam { text: "x" }`
    UnknownKind,
    /// A malformed string literal: a bad escape or a bad `\u{…}` code.
    ///
    /// `claims where text ~ "\q"`
    InvalidString,
    /// A malformed or infinite number.
    ///
    /// `claims where confidence > 1e999`
    InvalidNumber,
    /// A date that is not `YYYY-MM-DD` or not a real day.
    ///
    /// `claims as of 2023-02-30`
    InvalidDate,
    /// An id outside the id alphabet or longer than 128 characters.
    ///
    /// `show "c 1"`
    InvalidId,
    /// The same field given twice in one record literal.
    ///
    /// `add claim { text: "a", text: "b" }`
    DuplicateField,
    /// Parentheses, `not`s and quantifiers nested deeper than the limit
    /// ([`MAX_DEPTH`](crate::query::MAX_DEPTH)).
    ///
    /// `claims where not not not … confidence > 0.5`, with 65 `not`s
    TooDeep,
    /// An expression with more conditions than the limit
    /// ([`MAX_CONDITIONS`](crate::query::MAX_CONDITIONS)).
    ///
    /// `claims where a = 1 or a = 2 or …`, with 1025 conditions
    TooManyConditions,
    /// A script or string literal longer than its limit
    /// ([`MAX_SCRIPT_BYTES`](crate::query::MAX_SCRIPT_BYTES),
    /// [`MAX_STRING_BYTES`](crate::model::MAX_STRING_BYTES)).
    ///
    /// `claims where text ~ "…"`, with more than `MAX_STRING_BYTES` bytes
    /// in the quotes
    TooLong,
    /// A script with no statement in it.
    ///
    /// `-- nothing but a comment`
    Empty,
}

/// A script that does not parse: what is wrong, where, what the parser
/// expected there, and, where it can tell, what was meant.
///
/// `Display` gives the one-line message; [`ParseError::render`] gives the
/// full diagnostic with the line, a caret and the help.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What kind of mistake it is.
    pub kind: ParseErrorKind,
    /// A sentence saying what is wrong (`expected a value after "=", found end of input`).
    pub message: String,
    /// Byte offsets of the offending text in the whole script. Empty at the
    /// end of input.
    pub span: Range<usize>,
    /// What would have been accepted at that point. Literal tokens are
    /// written in double quotes (`"where"`, `")"`), classes of token without
    /// (`a field`, `a value`). Empty when the mistake is not about a missing
    /// token (a bad date, a limit).
    pub expected: Vec<String>,
    /// A hint: `did you mean "where"?`.
    pub help: Option<String>,
}

impl ParseError {
    pub(crate) fn new(
        kind: ParseErrorKind,
        message: impl Into<String>,
        span: Range<usize>,
    ) -> ParseError {
        ParseError {
            kind,
            message: message.into(),
            span,
            expected: Vec::new(),
            help: None,
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> ParseError {
        self.help = Some(help.into());
        self
    }

    /// True when the statement is merely unfinished: the input stopped where
    /// more was expected (after `where`, `and` or an operator, inside a
    /// string, before a closing bracket). A REPL reads another line instead
    /// of reporting the error.
    pub fn is_incomplete(&self) -> bool {
        self.kind == ParseErrorKind::UnexpectedEnd
    }

    /// The full diagnostic for `source` (the script that was parsed): the
    /// message, line and column, the line with a caret under the mistake,
    /// and the help. See [`diagnostic::render`].
    pub fn render(&self, source: &str) -> String {
        diagnostic::render(
            source,
            self.span.clone(),
            &self.message,
            self.help.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::ParseErrorKind::{self, *};
    use crate::model::MAX_STRING_BYTES;
    use crate::query::{MAX_CONDITIONS, MAX_DEPTH, parse_script};

    fn kind_of(src: &str) -> ParseErrorKind {
        match parse_script(src) {
            Ok(s) => panic!("{src:?} parsed: {s:?}"),
            Err(e) => e.kind,
        }
    }

    /// Each kind's doc shows an input that gives it; these are those inputs.
    #[test]
    fn each_kind_is_given_by_the_input_its_doc_shows() {
        for (src, kind) in [
            ("claims where status =", UnexpectedEnd),
            ("claims where status verified", Unexpected),
            ("clams where status = verified", UnknownStatement),
            ("count clams", UnknownCollection),
            ("add clam { text: \"x\" }", UnknownKind),
            ("claims where text ~ \"\\q\"", InvalidString),
            ("claims where confidence > 1e999", InvalidNumber),
            ("claims as of 2023-02-30", InvalidDate),
            ("show \"c 1\"", InvalidId),
            ("add claim { text: \"a\", text: \"b\" }", DuplicateField),
            ("-- nothing but a comment", Empty),
        ] {
            assert_eq!(kind_of(src), kind, "{src:?}");
        }
        let deep = format!(
            "claims where {}confidence > 0.5",
            "not ".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(kind_of(&deep), TooDeep);
        let many = vec!["a = 1"; MAX_CONDITIONS + 1].join(" or ");
        assert_eq!(kind_of(&format!("claims where {many}")), TooManyConditions);
        let long = "x".repeat(MAX_STRING_BYTES + 1);
        assert_eq!(kind_of(&format!("claims where text ~ \"{long}\"")), TooLong);
    }
}
