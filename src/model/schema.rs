//! The fields of each collection and their types (SPEC sections 1 and 4.2),
//! in output order. One table that the query checker, the executor, the
//! renderer, `.schema` and tab completion all read, so they cannot disagree.

use super::Kind;

/// The type of a field, as the query checker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    String,
    /// A finite number.
    Number,
    /// A calendar day.
    Date,
    /// `true` / `false`.
    Bool,
    /// A list of strings.
    List,
    /// The id of a record of the given kind; a dot follows it to that record.
    Ref(Kind),
    /// The record's own id.
    Id,
}

impl FieldType {
    /// The type's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Bool => "boolean",
            FieldType::List => "list of strings",
            FieldType::Ref(_) | FieldType::Id => "id",
        }
    }
}

/// One field of a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDef {
    /// The field's name.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Computed by the engine (read-only).
    pub derived: bool,
    /// The values it conventionally takes, for suggestions and completion.
    pub known_values: &'static [&'static str],
    /// Stored as a code (an enum), not as its text: a search of a record's
    /// raw bytes cannot see its text.
    pub stored_as_code: bool,
}

const fn stored(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        derived: false,
        known_values: &[],
        stored_as_code: false,
    }
}

const fn derived(name: &'static str, ty: FieldType) -> FieldDef {
    FieldDef {
        name,
        ty,
        derived: true,
        known_values: &[],
        stored_as_code: false,
    }
}

/// Conventional source kinds (SPEC section 1).
pub const SOURCE_KINDS: &[&str] = &[
    "article",
    "blog",
    "statement",
    "memo",
    "filing",
    "paper",
    "report",
    "benchmark",
    "leaderboard",
    "dataset",
    "factcheck",
    "encyclopedia",
    "other",
];
/// Status names.
pub const STATUSES: &[&str] = &["verified", "refuted", "contested", "unresolved"];
/// Stance names.
pub const STANCES: &[&str] = &["supports", "refutes"];

const SOURCE_FIELDS: &[FieldDef] = &[
    stored("id", FieldType::Id),
    stored("title", FieldType::String),
    FieldDef {
        known_values: SOURCE_KINDS,
        ..stored("kind", FieldType::String)
    },
    stored("publisher", FieldType::String),
    stored("url", FieldType::String),
    stored("published", FieldType::Date),
    stored("affiliations", FieldType::List),
    stored("reliability", FieldType::Number),
];

const CLAIM_FIELDS: &[FieldDef] = &[
    stored("id", FieldType::Id),
    stored("text", FieldType::String),
    stored("subject", FieldType::String),
    stored("tags", FieldType::List),
    stored("created", FieldType::Date),
    FieldDef {
        known_values: STATUSES,
        ..derived("status", FieldType::String)
    },
    derived("confidence", FieldType::Number),
    derived("support", FieldType::Number),
    derived("refute", FieldType::Number),
    derived("independent_support", FieldType::Number),
    derived("independent_refute", FieldType::Number),
    derived("evidence_count", FieldType::Number),
];

const EVIDENCE_FIELDS: &[FieldDef] = &[
    stored("id", FieldType::Id),
    stored("claim", FieldType::Ref(Kind::Claim)),
    stored("source", FieldType::Ref(Kind::Source)),
    FieldDef {
        known_values: STANCES,
        stored_as_code: true,
        ..stored("stance", FieldType::String)
    },
    stored("strength", FieldType::Number),
    stored("date", FieldType::Date),
    stored("note", FieldType::String),
    stored("result", FieldType::Ref(Kind::Result)),
    derived("weight", FieldType::Number),
    derived("independent", FieldType::Bool),
    derived("effective_date", FieldType::Date),
];

const RESULT_FIELDS: &[FieldDef] = &[
    stored("id", FieldType::Id),
    stored("model", FieldType::String),
    stored("benchmark", FieldType::String),
    stored("value", FieldType::Number),
    stored("metric", FieldType::String),
    stored("unit", FieldType::String),
    stored("date", FieldType::Date),
    stored("source", FieldType::Ref(Kind::Source)),
    stored("note", FieldType::String),
];

/// The fields of a collection, stored ones first (section 1 order), then the
/// derived ones (section 4.2 order): the column order of every output format.
pub fn fields(kind: Kind) -> &'static [FieldDef] {
    match kind {
        Kind::Source => SOURCE_FIELDS,
        Kind::Claim => CLAIM_FIELDS,
        Kind::Evidence => EVIDENCE_FIELDS,
        Kind::Result => RESULT_FIELDS,
    }
}

/// Looks a field up by name.
pub fn field(kind: Kind, name: &str) -> Option<&'static FieldDef> {
    fields(kind).iter().find(|f| f.name == name)
}
