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
    UnexpectedEnd,
    /// Something other than what the grammar allows at that point.
    Unexpected,
    /// A statement that starts with no known command or collection.
    UnknownStatement,
    /// A name where a collection (`claims`, `sources`, …) was expected.
    UnknownCollection,
    /// A name where a record kind (`claim`, `source`, …) was expected.
    UnknownKind,
    /// A malformed string literal: a bad escape or a bad `\u{…}` code.
    InvalidString,
    /// A malformed or infinite number.
    InvalidNumber,
    /// A date that is not `YYYY-MM-DD` or not a real day.
    InvalidDate,
    /// An id outside the id alphabet or longer than 128 characters.
    InvalidId,
    /// The same field given twice in one record literal.
    DuplicateField,
    /// Parentheses, `not`s and quantifiers nested deeper than the limit.
    TooDeep,
    /// An expression with more conditions than the limit.
    TooManyConditions,
    /// A script or string literal longer than its limit.
    TooLong,
    /// A script with no statement in it.
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
