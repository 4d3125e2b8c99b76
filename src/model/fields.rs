//! Every field of every kind, declared once (SPEC sections 1, 4.2 and 4.3).
//!
//! Each kind has one table of [`FieldDef`]s, in output order: stored fields
//! first (section 1 order), then derived ones (section 4.2 order). A row says
//! everything the engine needs to know about a field: its name and type,
//! whether it must be given or has a default, whether it is in the default
//! row, and — through its [`Access`] — how to read it from a record and how
//! to set it from a JSON member, with the error reasons of SPEC section 5.
//! The query checker, evaluation, `show`, export, import, `add`, `.schema`
//! and tab completion all read these tables, so they cannot disagree.
//!
//! **Adding a stored field** to a kind: add the struct field in
//! `model/mod.rs` (and its blank value in `Record::blank`, which the compiler
//! asks for), add one row to the kind's table below, and write the code that
//! gives the field its meaning. Reading (`where`, `select`, `show`), export
//! (members in table order, absent ones left out) and validation on import
//! and `add` (including import's typed fast path) follow from the row. A
//! field outside the default row (SPEC 8.1) is
//! `FieldDef { in_default_row: false, ..stored(…) }`.

use super::bench::{self, COMPARATORS, Comparator};
use super::{
    Date, Derived, Id, Kind, MAX_LIST_LEN, MAX_STRING_BYTES, Record, Stance, admiralty_reliability,
};
use serde_json::Value;

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

    /// The name with its article, as a message says it: "a date", "an id".
    pub fn with_article(self) -> String {
        let name = self.name();
        match name.starts_with(['a', 'e', 'i', 'o', 'u']) {
            true => format!("an {name}"),
            false => format!("a {name}"),
        }
    }
}

/// What a missing (or `null`) member means when a record is built.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Presence {
    /// Leave the field absent (or its list empty; an absent id is assigned
    /// by the engine).
    Optional,
    /// An error, with this reason.
    Required(&'static str),
    /// Store this value, exactly as if the member had given it.
    Default(DefaultValue),
}

/// A field's default, as the JSON member that would give it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    /// A string.
    Text(&'static str),
    /// A number.
    Number(f64),
}

impl DefaultValue {
    /// The default as a JSON value, to go through the field's own setter.
    fn to_json(self) -> Value {
        match self {
            DefaultValue::Text(t) => Value::String(t.to_owned()),
            DefaultValue::Number(n) => Value::from(n),
        }
    }
}

/// A field's value, borrowed from a record: what [`Access::Stored`]'s `get`
/// and [`Access::Claim`] return. Borrowed so that export writes it without
/// copying; evaluation turns it into an output value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldValue<'r> {
    /// No value: an absent optional field.
    Absent,
    /// Text, an id or a word stored as a code.
    Text(&'r str),
    /// A finite number.
    Number(f64),
    /// A whole number (a count).
    Integer(i64),
    /// `true` / `false`.
    Bool(bool),
    /// A calendar day.
    Date(Date),
    /// A list of strings (export leaves an empty one out).
    List(&'r [String]),
}

impl<'r> FieldValue<'r> {
    fn opt_text(text: Option<&'r str>) -> Self {
        text.map_or(FieldValue::Absent, FieldValue::Text)
    }

    fn opt_id(id: Option<&'r Id>) -> Self {
        id.map_or(FieldValue::Absent, |id| FieldValue::Text(id.as_str()))
    }

    fn opt_count(count: Option<u32>) -> Self {
        count.map_or(FieldValue::Absent, |n| FieldValue::Integer(i64::from(n)))
    }

    fn opt_date(date: Option<Date>) -> Self {
        date.map_or(FieldValue::Absent, FieldValue::Date)
    }
}

/// How a field's value is found.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// Stored in the record: imported, exported and set by `add`.
    Stored {
        /// Reads the value from a record of the table's kind.
        get: fn(&Record) -> FieldValue<'_>,
        /// Parses and validates a JSON member (never `null`) into a record of
        /// the table's kind, reporting problems to the reader.
        set: fn(&mut Record, Value, &mut MemberReader<'_>),
        /// For a text field, where its text lives, so that it can be moved
        /// out of a record instead of copied.
        text: Option<fn(&mut Record) -> Option<TextSlot<'_>>>,
    },
    /// Derived by the engine from a claim's evidence (SPEC section 2).
    Claim(fn(&Derived) -> FieldValue<'_>),
    /// Derived by the engine for a piece of evidence from its source and
    /// claim; evaluation computes it (`exec/eval.rs`).
    Evidence(EvidenceValue),
}

/// Where a stored text field's text lives in a record.
#[derive(Debug)]
pub enum TextSlot<'r> {
    /// A text field that always has a value.
    Required(&'r mut String),
    /// An optional text field.
    Optional(&'r mut Option<String>),
}

impl TextSlot<'_> {
    /// Moves the text out, leaving the field empty (or absent).
    pub fn take(self) -> Option<String> {
        match self {
            TextSlot::Required(text) => Some(std::mem::take(text)),
            TextSlot::Optional(text) => text.take(),
        }
    }
}

/// The derived fields of evidence, which need the store to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceValue {
    /// strength × the source's reliability.
    Weight,
    /// Whether the source is independent of the claim's subject.
    Independent,
    /// The evidence's date, else its source's publication date.
    EffectiveDate,
    /// Whether the engine derived it from a benchmark result (SPEC 8.3).
    Derived,
    /// For derived evidence, the result's value less the claim's.
    Gap,
}

/// One field of a collection.
#[derive(Clone, Copy, Debug)]
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
    /// What a missing member means (stored fields only).
    pub presence: Presence,
    /// A member of the collection's default row (SPEC 4.3): the columns of
    /// `select` without a list. Fields added by SPEC section 8 are not.
    pub in_default_row: bool,
    /// How to read and set it.
    pub access: Access,
}

impl FieldDef {
    /// The stored field's reader, or `None` for a derived field.
    pub fn stored_get(&self) -> Option<fn(&Record) -> FieldValue<'_>> {
        match self.access {
            Access::Stored { get, .. } => Some(get),
            Access::Claim(_) | Access::Evidence(_) => None,
        }
    }

    /// Whether [`FieldDef::take_text`] can move this field's text out of a
    /// record: a stored text field, not stored as a code.
    pub fn is_stored_text(&self) -> bool {
        matches!(self.access, Access::Stored { text: Some(_), .. })
    }

    /// Moves a stored text field's text out of `record` (`Some(None)`: the
    /// field is not set); `None` for any other field. For outputs that read
    /// a record once and would otherwise copy the text.
    pub fn take_text(&self, record: &mut Record) -> Option<Option<String>> {
        match self.access {
            Access::Stored {
                text: Some(slot), ..
            } => slot(record).map(TextSlot::take),
            _ => None,
        }
    }

    const fn required(mut self, reason: &'static str) -> Self {
        self.presence = Presence::Required(reason);
        self
    }

    const fn default(mut self, value: DefaultValue) -> Self {
        self.presence = Presence::Default(value);
        self
    }

    const fn known(mut self, values: &'static [&'static str]) -> Self {
        self.known_values = values;
        self
    }

    const fn code(mut self) -> Self {
        self.stored_as_code = true;
        self
    }
}

/// An optional stored field, in the default row; see the builder methods.
const fn stored(name: &'static str, ty: FieldType, access: Access) -> FieldDef {
    FieldDef {
        name,
        ty,
        derived: false,
        known_values: &[],
        stored_as_code: false,
        presence: Presence::Optional,
        in_default_row: true,
        access,
    }
}

/// A derived (read-only) field, in the default row.
const fn derived(name: &'static str, ty: FieldType, access: Access) -> FieldDef {
    FieldDef {
        derived: true,
        ..stored(name, ty, access)
    }
}

/// A field SPEC section 8 adds: not a member of the default row.
const fn bench_field(def: FieldDef) -> FieldDef {
    FieldDef {
        in_default_row: false,
        ..def
    }
}

/// [`Access::Stored`] for a field of `Record::$variant`: `get` reads it from
/// the struct (`|s| …`), `set` stores a JSON member into it (`|s, v, f| …`,
/// with `f` the [`MemberReader`] that parses `v`), and for a text field
/// `text` says where its text lives (`text: |s| …`). Only saves writing the
/// `match` on the record's variant in every row.
macro_rules! on {
    ($variant:ident, |$r:ident| $get:expr, |$w:ident, $v:ident, $f:ident| $set:expr $(,)?) => {
        Access::Stored {
            get: |record| match record {
                Record::$variant($r) => $get,
                _ => FieldValue::Absent,
            },
            set: |record, $v, $f| {
                if let Record::$variant($w) = record {
                    $set
                }
            },
            text: None,
        }
    };
    (
        $variant:ident,
        |$r:ident| $get:expr,
        |$w:ident, $v:ident, $f:ident| $set:expr,
        text: |$t:ident| $slot:expr $(,)?
    ) => {
        Access::Stored {
            get: |record| match record {
                Record::$variant($r) => $get,
                _ => FieldValue::Absent,
            },
            set: |record, $v, $f| {
                if let Record::$variant($w) = record {
                    $set
                }
            },
            text: Some(|record| match record {
                Record::$variant($t) => Some($slot),
                _ => None,
            }),
        }
    };
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

/// The reason for a missing required text field.
const REQUIRED: &str = "missing (required)";
/// The reason for a missing required reference.
const REQUIRED_ID: &str = "missing (required: the id of a record)";

const SOURCE_FIELDS: &[FieldDef] = &[
    stored(
        "id",
        FieldType::Id,
        on!(Source, |s| FieldValue::Text(s.id.as_str()), |s, v, f| s
            .id =
            f.id(v).unwrap_or_else(Id::unassigned),),
    ),
    stored(
        "title",
        FieldType::String,
        on!(
            Source,
            |s| FieldValue::Text(&s.title),
            |s, v, f| s.title = f.string(v),
            text: |s| TextSlot::Required(&mut s.title),
        ),
    )
    .required(REQUIRED),
    stored(
        "kind",
        FieldType::String,
        on!(
            Source,
            |s| FieldValue::Text(&s.kind),
            |s, v, f| s.kind = f.word(v),
            text: |s| TextSlot::Required(&mut s.kind),
        ),
    )
    .default(DefaultValue::Text("other"))
    .known(SOURCE_KINDS),
    stored(
        "publisher",
        FieldType::String,
        on!(
            Source,
            |s| FieldValue::opt_text(s.publisher.as_deref()),
            |s, v, f| s.publisher = Some(f.string(v)),
            text: |s| TextSlot::Optional(&mut s.publisher),
        ),
    ),
    stored(
        "url",
        FieldType::String,
        on!(
            Source,
            |s| FieldValue::opt_text(s.url.as_deref()),
            |s, v, f| s.url = Some(f.string(v)),
            text: |s| TextSlot::Optional(&mut s.url),
        ),
    ),
    stored(
        "published",
        FieldType::Date,
        on!(Source, |s| FieldValue::opt_date(s.published), |s, v, f| s
            .published =
            f.date(v),),
    ),
    stored(
        "affiliations",
        FieldType::List,
        on!(Source, |s| FieldValue::List(&s.affiliations), |s, v, f| s
            .affiliations =
            f.list(v),),
    ),
    stored(
        "reliability",
        FieldType::Number,
        on!(Source, |s| FieldValue::Number(s.reliability), |s, v, f| s
            .reliability =
            f.reliability(v),),
    )
    .default(DefaultValue::Number(0.5)),
];

const CLAIM_FIELDS: &[FieldDef] = &[
    stored(
        "id",
        FieldType::Id,
        on!(Claim, |c| FieldValue::Text(c.id.as_str()), |c, v, f| c.id =
            f.id(v).unwrap_or_else(Id::unassigned),),
    ),
    stored(
        "text",
        FieldType::String,
        on!(
            Claim,
            |c| FieldValue::Text(&c.text),
            |c, v, f| c.text = f.string(v),
            text: |c| TextSlot::Required(&mut c.text),
        ),
    )
    .required(REQUIRED),
    stored(
        "subject",
        FieldType::String,
        on!(
            Claim,
            |c| FieldValue::opt_text(c.subject.as_deref()),
            |c, v, f| c.subject = Some(f.string(v)),
            text: |c| TextSlot::Optional(&mut c.subject),
        ),
    ),
    stored(
        "tags",
        FieldType::List,
        on!(Claim, |c| FieldValue::List(&c.tags), |c, v, f| c.tags =
            f.list(v),),
    ),
    stored(
        "created",
        FieldType::Date,
        on!(Claim, |c| FieldValue::opt_date(c.created), |c, v, f| c
            .created =
            f.date(v),),
    ),
    bench_field(stored(
        "model",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.model.as_deref())),
            |x, v, f| x.bench_mut().model = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().model),
        ),
    )),
    bench_field(stored(
        "benchmark",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.benchmark.as_deref())),
            |x, v, f| x.bench_mut().benchmark = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().benchmark),
        ),
    )),
    bench_field(stored(
        "metric",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.metric.as_deref())),
            |x, v, f| x.bench_mut().metric = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().metric),
        ),
    )),
    bench_field(stored(
        "comparator",
        FieldType::String,
        on!(
            Claim,
            |x| x
                .bench
                .as_ref()
                .and_then(|b| b.comparator)
                .map_or(FieldValue::Absent, |c| FieldValue::Text(c.name())),
            |x, v, f| x.bench_mut().comparator = f.comparator(v),
        ),
    ))
    .known(COMPARATORS)
    .code(),
    bench_field(stored(
        "value",
        FieldType::Number,
        on!(
            Claim,
            |x| x
                .bench
                .as_ref()
                .and_then(|b| b.value)
                .map_or(FieldValue::Absent, FieldValue::Number),
            |x, v, f| x.bench_mut().value = Some(f.number(v)),
        ),
    )),
    bench_field(stored(
        "unit",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.unit.as_deref())),
            |x, v, f| x.bench_mut().unit = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().unit),
        ),
    )),
    bench_field(stored(
        "tolerance",
        FieldType::Number,
        on!(
            Claim,
            |x| x
                .bench
                .as_ref()
                .and_then(|b| b.tolerance)
                .map_or(FieldValue::Absent, FieldValue::Number),
            |x, v, f| x.bench_mut().tolerance = Some(f.non_negative(v)),
        ),
    )),
    bench_field(stored(
        "split",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.split.as_deref())),
            |x, v, f| x.bench_mut().split = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().split),
        ),
    )),
    bench_field(stored(
        "harness",
        FieldType::String,
        on!(
            Claim,
            |x| FieldValue::opt_text(x.bench.as_ref().and_then(|b| b.harness.as_deref())),
            |x, v, f| x.bench_mut().harness = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.bench_mut().harness),
        ),
    )),
    bench_field(stored(
        "shots",
        FieldType::Number,
        on!(
            Claim,
            |x| FieldValue::opt_count(x.bench.as_ref().and_then(|b| b.shots)),
            |x, v, f| x.bench_mut().shots = f.whole_number(v, 0),
        ),
    )),
    bench_field(stored(
        "attempts",
        FieldType::Number,
        on!(
            Claim,
            |x| FieldValue::opt_count(x.bench.as_ref().and_then(|b| b.attempts)),
            |x, v, f| x.bench_mut().attempts = f.whole_number(v, 1),
        ),
    )),
    derived(
        "status",
        FieldType::String,
        Access::Claim(|d| FieldValue::Text(d.status.name())),
    )
    .known(STATUSES),
    derived(
        "confidence",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Number(d.confidence)),
    ),
    derived(
        "support",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Number(d.support)),
    ),
    derived(
        "refute",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Number(d.refute)),
    ),
    derived(
        "independent_support",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Number(d.independent_support)),
    ),
    derived(
        "independent_refute",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Number(d.independent_refute)),
    ),
    derived(
        "evidence_count",
        FieldType::Number,
        Access::Claim(|d| FieldValue::Integer(i64::try_from(d.evidence_count).unwrap_or(i64::MAX))),
    ),
];

const EVIDENCE_FIELDS: &[FieldDef] = &[
    stored(
        "id",
        FieldType::Id,
        on!(Evidence, |e| FieldValue::Text(e.id.as_str()), |e, v, f| e
            .id =
            f.id(v).unwrap_or_else(Id::unassigned),),
    ),
    stored(
        "claim",
        FieldType::Ref(Kind::Claim),
        on!(
            Evidence,
            |e| FieldValue::Text(e.claim.as_str()),
            |e, v, f| e.claim = f.id(v).unwrap_or_else(Id::unassigned),
        ),
    )
    .required(REQUIRED_ID),
    stored(
        "source",
        FieldType::Ref(Kind::Source),
        on!(
            Evidence,
            |e| FieldValue::Text(e.source.as_str()),
            |e, v, f| e.source = f.id(v).unwrap_or_else(Id::unassigned),
        ),
    )
    .required(REQUIRED_ID),
    stored(
        "stance",
        FieldType::String,
        on!(
            Evidence,
            |e| FieldValue::Text(e.stance.name()),
            |e, v, f| e.stance = f.stance(v),
        ),
    )
    .required("missing (supports or refutes)")
    .known(STANCES)
    .code(),
    stored(
        "strength",
        FieldType::Number,
        on!(Evidence, |e| FieldValue::Number(e.strength), |e, v, f| e
            .strength =
            f.unit_number(v),),
    )
    .default(DefaultValue::Number(1.0)),
    stored(
        "date",
        FieldType::Date,
        on!(Evidence, |e| FieldValue::opt_date(e.date), |e, v, f| e
            .date =
            f.date(v),),
    ),
    stored(
        "note",
        FieldType::String,
        on!(
            Evidence,
            |e| FieldValue::opt_text(e.note.as_deref()),
            |e, v, f| e.note = Some(f.string(v)),
            text: |e| TextSlot::Optional(&mut e.note),
        ),
    ),
    stored(
        "result",
        FieldType::Ref(Kind::Result),
        on!(
            Evidence,
            |e| FieldValue::opt_id(e.result.as_ref()),
            |e, v, f| e.result = f.id(v),
        ),
    ),
    derived(
        "weight",
        FieldType::Number,
        Access::Evidence(EvidenceValue::Weight),
    ),
    derived(
        "independent",
        FieldType::Bool,
        Access::Evidence(EvidenceValue::Independent),
    ),
    derived(
        "effective_date",
        FieldType::Date,
        Access::Evidence(EvidenceValue::EffectiveDate),
    ),
    bench_field(derived(
        "derived",
        FieldType::Bool,
        Access::Evidence(EvidenceValue::Derived),
    )),
    bench_field(derived(
        "gap",
        FieldType::Number,
        Access::Evidence(EvidenceValue::Gap),
    )),
];

const RESULT_FIELDS: &[FieldDef] = &[
    stored(
        "id",
        FieldType::Id,
        on!(Result, |r| FieldValue::Text(r.id.as_str()), |r, v, f| r
            .id =
            f.id(v).unwrap_or_else(Id::unassigned),),
    ),
    stored(
        "model",
        FieldType::String,
        on!(
            Result,
            |r| FieldValue::Text(&r.model),
            |r, v, f| r.model = f.string(v),
            text: |r| TextSlot::Required(&mut r.model),
        ),
    )
    .required(REQUIRED),
    stored(
        "benchmark",
        FieldType::String,
        on!(
            Result,
            |r| FieldValue::Text(&r.benchmark),
            |r, v, f| r.benchmark = f.string(v),
            text: |r| TextSlot::Required(&mut r.benchmark),
        ),
    )
    .required(REQUIRED),
    stored(
        "value",
        FieldType::Number,
        on!(Result, |r| FieldValue::Number(r.value), |r, v, f| r.value =
            f.number(v),),
    )
    .required("missing (a number)"),
    stored(
        "metric",
        FieldType::String,
        on!(
            Result,
            |r| FieldValue::Text(&r.metric),
            |r, v, f| r.metric = f.string(v),
            text: |r| TextSlot::Required(&mut r.metric),
        ),
    )
    .default(DefaultValue::Text("score")),
    stored(
        "unit",
        FieldType::String,
        on!(
            Result,
            |r| FieldValue::opt_text(r.unit.as_deref()),
            |r, v, f| r.unit = Some(f.string(v)),
            text: |r| TextSlot::Optional(&mut r.unit),
        ),
    ),
    stored(
        "date",
        FieldType::Date,
        on!(Result, |r| FieldValue::opt_date(r.date), |r, v, f| r.date =
            f.date(v),),
    ),
    stored(
        "source",
        FieldType::Ref(Kind::Source),
        on!(
            Result,
            |r| FieldValue::opt_id(r.source.as_ref()),
            |r, v, f| r.source = f.id(v),
        ),
    ),
    stored(
        "note",
        FieldType::String,
        on!(
            Result,
            |r| FieldValue::opt_text(r.note.as_deref()),
            |r, v, f| r.note = Some(f.string(v)),
            text: |r| TextSlot::Optional(&mut r.note),
        ),
    ),
    bench_field(stored(
        "split",
        FieldType::String,
        on!(
            Result,
            |x| FieldValue::opt_text(x.setup.as_ref().and_then(|b| b.split.as_deref())),
            |x, v, f| x.setup_mut().split = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.setup_mut().split),
        ),
    )),
    bench_field(stored(
        "harness",
        FieldType::String,
        on!(
            Result,
            |x| FieldValue::opt_text(x.setup.as_ref().and_then(|b| b.harness.as_deref())),
            |x, v, f| x.setup_mut().harness = Some(f.string(v)),
            text: |x| TextSlot::Optional(&mut x.setup_mut().harness),
        ),
    )),
    bench_field(stored(
        "shots",
        FieldType::Number,
        on!(
            Result,
            |x| FieldValue::opt_count(x.setup.as_ref().and_then(|b| b.shots)),
            |x, v, f| x.setup_mut().shots = f.whole_number(v, 0),
        ),
    )),
    bench_field(stored(
        "attempts",
        FieldType::Number,
        on!(
            Result,
            |x| FieldValue::opt_count(x.setup.as_ref().and_then(|b| b.attempts)),
            |x, v, f| x.setup_mut().attempts = f.whole_number(v, 1),
        ),
    )),
    bench_field(stored(
        "stderr",
        FieldType::Number,
        on!(
            Result,
            |x| x
                .setup
                .as_ref()
                .and_then(|b| b.stderr)
                .map_or(FieldValue::Absent, FieldValue::Number),
            |x, v, f| x.setup_mut().stderr = Some(f.non_negative(v)),
        ),
    )),
    bench_field(stored(
        "cites",
        FieldType::Ref(Kind::Result),
        on!(Result, |x| FieldValue::opt_id(x.cites()), |x, v, f| x
            .setup_mut()
            .cites =
            f.id(v),),
    )),
];

/// The fields of a collection, stored ones first (section 1 order), then the
/// derived ones (section 4.2 order): the column order of every output format
/// and the member order of export.
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

/// The columns of a collection's default row (SPEC 4.3), in order.
pub fn default_row(kind: Kind) -> impl Iterator<Item = &'static FieldDef> {
    fields(kind).iter().filter(|f| f.in_default_row)
}

/// The stored fields of a collection, in the order a record's members are
/// validated, so that one line's problems are listed as they always were:
/// the table's order, except that a source's `reliability` comes right after
/// its `id` (the validator used to read it before the other fields).
pub fn validation_order(kind: Kind) -> impl Iterator<Item = &'static FieldDef> {
    let all = fields(kind);
    let early = move |f: &&FieldDef| kind == Kind::Source && f.name == "reliability";
    let (id, rest) = all.split_at(all.len().min(1));
    id.iter()
        .chain(all.iter().filter(early))
        .chain(rest.iter().filter(move |f| !early(f)))
        .filter(|f| !f.derived)
}

/// Reads one JSON member as a field's type, collecting problems as
/// (field, reason) instead of stopping at the first. Each method returns a
/// stand-in value after a problem: the record is then thrown away.
pub struct MemberReader<'e> {
    field: &'static str,
    errors: &'e mut Vec<(String, String)>,
}

impl<'e> MemberReader<'e> {
    /// A reader for the member of `field`, adding problems to `errors`.
    pub fn new(field: &'static str, errors: &'e mut Vec<(String, String)>) -> Self {
        MemberReader { field, errors }
    }

    /// Records a problem with this field.
    pub fn err(&mut self, reason: String) {
        self.errors.push((self.field.to_owned(), reason));
    }

    /// A string of at most [`MAX_STRING_BYTES`].
    pub fn string(&mut self, value: Value) -> String {
        match value {
            Value::String(s) if s.len() <= MAX_STRING_BYTES => s,
            Value::String(s) => {
                self.err(format!(
                    "is {} bytes long; the limit is {MAX_STRING_BYTES}",
                    s.len()
                ));
                String::new()
            }
            other => {
                self.err(format!("must be a string, not {}", json_type(&other)));
                String::new()
            }
        }
    }

    /// A string, or `None` where [`Self::string`] refused it: a value
    /// checked further is then not refused a second time.
    fn accepted_string(&mut self, value: Value) -> Option<String> {
        let before = self.errors.len();
        let s = self.string(value);
        (self.errors.len() == before).then_some(s)
    }

    /// One lowercase word (a source's kind).
    pub fn word(&mut self, value: Value) -> String {
        let Some(s) = self.accepted_string(value) else {
            return String::new();
        };
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            self.err(format!(
                "\"{s}\" must be one lowercase word, such as blog, memo or report"
            ));
        }
        s
    }

    /// A valid id.
    pub fn id(&mut self, value: Value) -> Option<Id> {
        let s = self.accepted_string(value)?;
        match Id::new(&s) {
            Ok(id) => Some(id),
            Err(e) => {
                self.err(format!("\"{}\" is not a valid id: {e}", truncate(&s)));
                None
            }
        }
    }

    /// A finite number.
    pub fn number(&mut self, value: Value) -> f64 {
        match value.as_f64() {
            // -0 is stored as 0: equal to it, it would order and group
            // apart (its encoding differs) and print as -0.0.
            Some(n) if n.is_finite() => match n == 0.0 {
                true => 0.0,
                false => n,
            },
            _ => {
                self.err(format!("must be a number, not {}", json_type(&value)));
                0.0
            }
        }
    }

    /// A number in [0, 1].
    pub fn unit_number(&mut self, value: Value) -> f64 {
        let is_number = value.is_number();
        let n = self.number(value);
        if is_number && !(0.0..=1.0).contains(&n) {
            self.err(format!("{n} is outside [0, 1]"));
        }
        n
    }

    /// A number ≥ 0 (a tolerance, a standard error).
    pub fn non_negative(&mut self, value: Value) -> f64 {
        let is_number = value.is_number();
        let n = self.number(value);
        if is_number && n < 0.0 {
            self.err(format!("{n} is negative; it must be a number ≥ 0"));
        }
        n
    }

    /// A whole number ≥ `least` (shots, attempts): `5` or `5.0`, stored and
    /// written as `5`.
    pub fn whole_number(&mut self, value: Value, least: u32) -> Option<u32> {
        let n = value.as_f64().filter(|n| n.is_finite());
        match n {
            Some(n) if n.fract() == 0.0 && n >= f64::from(least) && n <= f64::from(u32::MAX) => {
                Some(n as u32)
            }
            Some(n) if n.fract() == 0.0 && n > f64::from(u32::MAX) => {
                self.err(format!("{n} is too large (at most {})", u32::MAX));
                None
            }
            Some(n) => {
                self.err(format!("{n} is not a whole number ≥ {least}"));
                None
            }
            None => {
                self.err(format!(
                    "must be a whole number ≥ {least}, not {}",
                    json_type(&value)
                ));
                None
            }
        }
    }

    /// `=`, `>=` or `<=`.
    pub fn comparator(&mut self, value: Value) -> Option<Comparator> {
        match value {
            Value::String(s) => {
                let found = Comparator::from_name(&s);
                if found.is_none() {
                    self.err(format!(
                        "\"{}\" is not a comparator (=, >= or <=)",
                        truncate(&s)
                    ));
                }
                found
            }
            other => {
                self.err(format!(
                    "must be \"=\", \">=\" or \"<=\", not {}",
                    json_type(&other)
                ));
                None
            }
        }
    }

    /// A reliability: a number in [0, 1] or an Admiralty letter.
    pub fn reliability(&mut self, value: Value) -> f64 {
        match value {
            Value::String(letter) => admiralty_reliability(&letter).unwrap_or_else(|| {
                self.err(format!(
                    "\"{letter}\" is not a number in [0, 1] or an Admiralty letter A–F"
                ));
                0.5
            }),
            v => self.unit_number(v),
        }
    }

    /// `supports` or `refutes`.
    pub fn stance(&mut self, value: Value) -> Stance {
        match value {
            Value::String(s) => Stance::from_name(&s).unwrap_or_else(|| {
                let hint = crate::suggest::did_you_mean(&s, STANCES.iter().copied())
                    .map(|s| format!(" — did you mean \"{s}\"?"))
                    .unwrap_or_default();
                self.err(format!(
                    "\"{s}\" is not a stance (supports or refutes){hint}"
                ));
                Stance::Supports
            }),
            _ => {
                self.err("must be \"supports\" or \"refutes\"".into());
                Stance::Supports
            }
        }
    }

    /// A real calendar day `YYYY-MM-DD`; the empty string is no date.
    pub fn date(&mut self, value: Value) -> Option<Date> {
        let s = self.string(value);
        let date = Date::parse(&s);
        if date.is_none() && !s.is_empty() {
            self.err(format!(
                "\"{}\" is not a real date in the form YYYY-MM-DD",
                truncate(&s)
            ));
        }
        date
    }

    /// A list of at most [`MAX_LIST_LEN`] strings.
    pub fn list(&mut self, value: Value) -> Vec<String> {
        match value {
            Value::Array(items) if items.len() <= MAX_LIST_LEN => {
                items.into_iter().map(|v| self.string(v)).collect()
            }
            Value::Array(items) => {
                self.err(format!(
                    "has {} elements; the limit is {MAX_LIST_LEN}",
                    items.len()
                ));
                Vec::new()
            }
            other => {
                self.err(format!(
                    "must be a list of strings, not {}",
                    json_type(&other)
                ));
                Vec::new()
            }
        }
    }
}

/// Sets the stored fields of `record` from named members: each present one
/// through its setter, each missing one by its [`Presence`]. `take` removes
/// a member's value (`None` when absent or `null`).
pub fn fill(
    record: &mut Record,
    take: &mut dyn FnMut(&str) -> Option<Value>,
    errors: &mut Vec<(String, String)>,
) {
    for def in validation_order(record.kind()) {
        let Access::Stored { set, .. } = def.access else {
            continue;
        };
        let mut reader = MemberReader::new(def.name, errors);
        match take(def.name) {
            Some(value) => set(record, value, &mut reader),
            None => match def.presence {
                Presence::Optional => {}
                Presence::Required(reason) => reader.err(reason.to_owned()),
                Presence::Default(value) => set(record, value.to_json(), &mut reader),
            },
        }
    }
    // SPEC 8.1: what a benchmark claim needs, and the defaults it stores.
    if let Record::Claim(claim) = record {
        bench::complete_claim(claim, errors);
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str) -> String {
    truncate_to(s, 40)
}

/// `s`, cut after `most` characters with an ellipsis when longer: a value
/// quoted in a message, which could be a 10 MB cell.
pub(crate) fn truncate_to(s: &str, most: usize) -> String {
    match s.char_indices().nth(most) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_field_round_trips_through_its_row() {
        for kind in Kind::ALL {
            for def in fields(kind) {
                assert_eq!(def.derived, def.stored_get().is_none(), "{}", def.name);
            }
        }
    }

    #[test]
    fn text_fields_can_be_moved_out() {
        for kind in Kind::ALL {
            for def in fields(kind) {
                let text = def.ty == FieldType::String && !def.derived && !def.stored_as_code;
                let mut record = Record::blank(kind);
                assert_eq!(def.take_text(&mut record).is_some(), text, "{}", def.name);
                assert_eq!(def.is_stored_text(), text, "{}", def.name);
            }
        }
        let mut record = Record::blank(Kind::Claim);
        if let Record::Claim(c) = &mut record {
            c.text = "moved".into();
        }
        let text = field(Kind::Claim, "text").and_then(|f| f.take_text(&mut record));
        assert_eq!(text, Some(Some("moved".to_owned())));
        assert_eq!(
            field(Kind::Claim, "subject").and_then(|f| f.take_text(&mut record)),
            Some(None)
        );
    }

    #[test]
    fn reliability_is_validated_right_after_the_id() {
        let names: Vec<&str> = validation_order(Kind::Source).map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "id",
                "reliability",
                "title",
                "kind",
                "publisher",
                "url",
                "published",
                "affiliations"
            ]
        );
        let names: Vec<&str> = validation_order(Kind::Claim).map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "id",
                "text",
                "subject",
                "tags",
                "created",
                "model",
                "benchmark",
                "metric",
                "comparator",
                "value",
                "unit",
                "tolerance",
                "split",
                "harness",
                "shots",
                "attempts"
            ]
        );
    }

    #[test]
    fn defaults_and_requirements_follow_the_spec() {
        let mut errors = Vec::new();
        let mut record = Record::blank(Kind::Source);
        fill(&mut record, &mut |_| None, &mut errors);
        assert_eq!(
            errors,
            [("title".to_owned(), "missing (required)".to_owned())]
        );
        let Record::Source(s) = record else {
            panic!("a source stays a source");
        };
        assert_eq!((s.kind.as_str(), s.reliability), ("other", 0.5));
    }
}
