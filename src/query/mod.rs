//! The query language: text → statements (`grammar/query.ebnf`).
//!
//! - [`parse_script`] / [`parse_statement`] turn text into [`ast::Statement`]s
//!   whose every node keeps the byte span it came from.
//! - A [`ParseError`] says what is wrong, where, what was expected and, when
//!   it can tell, what was meant; [`ParseError::render`] shows it with the
//!   line and a caret ([`diagnostic::render`], which the executor reuses for
//!   its own errors, as it and import reuse [`crate::suggest::did_you_mean`]).
//! - Every node prints back as canonical text (`Display`); parsing that text
//!   gives the same tree.
//!
//! It is not: a checker of field names or types (the executor knows the
//! schema), nor an evaluator.
//!
//! Limits, each with its own error: scripts of at most [`MAX_SCRIPT_BYTES`],
//! expressions nested at most [`MAX_DEPTH`] deep with at most
//! [`MAX_CONDITIONS`] conditions, strings of at most
//! [`crate::model::MAX_STRING_BYTES`].

pub mod ast;
pub mod diagnostic;
mod display;
mod error;
mod parser;
pub mod vocabulary;

pub use display::strip_spans;
pub use error::{ParseError, ParseErrorKind};
pub use parser::{
    MAX_CONDITIONS, MAX_DEPTH, MAX_SCRIPT_BYTES, Statements, parse_script, parse_statement,
    statements,
};
