//! The fields of each collection and their types: the names under which
//! code outside `model` has always reached the table of [`super::fields`].
//!
//! Kept as a re-export so that code being moved in parallel still compiles;
//! new code should name `model::fields` directly.

pub use super::fields::{
    FieldDef, FieldType, SOURCE_KINDS, STANCES, STATUSES, default_row, field, fields,
};
