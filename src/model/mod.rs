//! The four kinds of record of SPEC section 1, their field types, and the
//! values the engine derives from them (section 2).
//!
//! Everything here is plain data: no storage, no parsing of the query
//! language. Records are validated where they are built (see `import` and
//! `exec`), so a value of these types is always within its range.

pub mod bench;
mod date;
pub mod derive;
pub mod fields;
mod id;
mod kind;

pub use bench::{ClaimBenchmark, Comparator, ResultSetup};
pub use date::Date;
pub use derive::{Derived, EvidenceFacts, Status, derive};
pub use id::{Id, IdError};
pub use kind::{ByKind, Kind};

use serde::{Deserialize, Serialize};

/// Longest string a field may hold (SPEC section 1: 64 KiB).
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// Most elements in a list field.
pub const MAX_LIST_LEN: usize = 1000;

/// Whether a piece of evidence supports or refutes its claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stance {
    /// The source says the claim is true.
    Supports,
    /// The source says the claim is false.
    Refutes,
}

impl Stance {
    /// The stance as written in files and statements.
    pub fn name(self) -> &'static str {
        match self {
            Stance::Supports => "supports",
            Stance::Refutes => "refutes",
        }
    }

    /// Parses `"supports"` or `"refutes"`.
    pub fn from_name(name: &str) -> Option<Stance> {
        match name {
            "supports" => Some(Stance::Supports),
            "refutes" => Some(Stance::Refutes),
            _ => None,
        }
    }
}

/// Where information comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Unique id.
    pub id: Id,
    /// Title.
    pub title: String,
    /// Lowercase word such as `blog` or `memo`.
    pub kind: String,
    /// Publisher.
    pub publisher: Option<String>,
    /// Where to read it.
    pub url: Option<String>,
    /// When it was published.
    pub published: Option<Date>,
    /// The parties the source speaks for.
    pub affiliations: Vec<String>,
    /// How far it can be trusted, in [0, 1].
    pub reliability: f64,
}

/// A statement that may be true or false.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Unique id.
    pub id: Id,
    /// The statement.
    pub text: String,
    /// The party the claim is about.
    pub subject: Option<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// When the claim was first made.
    pub created: Option<Date>,
    /// The fields of a benchmark claim (SPEC 8.1); `None` for any other
    /// claim. Encoded after the fields above, and only when present, so a
    /// claim stored before section 8 reads as it was (`store/mod.rs`).
    #[serde(skip)]
    pub bench: Option<Box<ClaimBenchmark>>,
}

impl Claim {
    /// The benchmark fields, created empty when a member first sets one.
    pub fn bench_mut(&mut self) -> &mut ClaimBenchmark {
        self.bench.get_or_insert_with(Box::default)
    }
}

/// One source bearing on one claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Unique id.
    pub id: Id,
    /// The claim it bears on.
    pub claim: Id,
    /// The source it comes from.
    pub source: Id,
    /// Supports or refutes.
    pub stance: Stance,
    /// How directly the source bears on the claim, in [0, 1].
    pub strength: f64,
    /// When this evidence appeared.
    pub date: Option<Date>,
    /// A quote or remark.
    pub note: Option<String>,
    /// The benchmark result it rests on.
    pub result: Option<Id>,
    /// For evidence derived from a result (SPEC 8.3): the result's value
    /// less the claim's, in the claim's unit. `None` for recorded evidence.
    /// Encoded only when present (`store/mod.rs`).
    #[serde(skip)]
    pub gap: Option<f64>,
}

impl Evidence {
    /// Whether the engine derived this evidence from a benchmark result.
    pub fn is_derived(&self) -> bool {
        self.id.is_derived()
    }
}

/// One benchmark measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchResult {
    /// Unique id.
    pub id: Id,
    /// Model or system measured.
    pub model: String,
    /// Benchmark name.
    pub benchmark: String,
    /// The measurement.
    pub value: f64,
    /// What was measured (`score` by default).
    pub metric: String,
    /// Unit such as `%`.
    pub unit: Option<String>,
    /// When it was measured.
    pub date: Option<Date>,
    /// Who ran or reported it.
    pub source: Option<Id>,
    /// A remark.
    pub note: Option<String>,
    /// The setup fields of SPEC 8.1 (split, harness, shots, attempts,
    /// stderr, cites); `None` when none is given. Encoded only when present.
    #[serde(skip)]
    pub setup: Option<Box<ResultSetup>>,
}

impl BenchResult {
    /// The setup fields, created empty when a member first sets one.
    pub fn setup_mut(&mut self) -> &mut ResultSetup {
        self.setup.get_or_insert_with(Box::default)
    }

    /// The result this one re-reports, if any.
    pub fn cites(&self) -> Option<&Id> {
        self.setup.as_deref().and_then(|s| s.cites.as_ref())
    }
}

/// Any record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Record {
    /// A source.
    Source(Source),
    /// A claim.
    Claim(Claim),
    /// A piece of evidence.
    Evidence(Evidence),
    /// A benchmark result.
    Result(BenchResult),
}

impl Record {
    /// The record's id.
    pub fn id(&self) -> &Id {
        match self {
            Record::Source(r) => &r.id,
            Record::Claim(r) => &r.id,
            Record::Evidence(r) => &r.id,
            Record::Result(r) => &r.id,
        }
    }

    /// The record's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Source(_) => Kind::Source,
            Record::Claim(_) => Kind::Claim,
            Record::Evidence(_) => Kind::Evidence,
            Record::Result(_) => Kind::Result,
        }
    }

    /// A record of `kind` holding each field's blank value (no id, empty
    /// text, zero, no date, empty list), to be filled field by field from
    /// [`fields::fields`]: the validator sets every field that has a value
    /// or a default before the record is used.
    pub(crate) fn blank(kind: Kind) -> Record {
        match kind {
            Kind::Source => Record::Source(Source {
                id: Id::unassigned(),
                title: String::new(),
                kind: String::new(),
                publisher: None,
                url: None,
                published: None,
                affiliations: Vec::new(),
                reliability: 0.0,
            }),
            Kind::Claim => Record::Claim(Claim {
                id: Id::unassigned(),
                text: String::new(),
                subject: None,
                tags: Vec::new(),
                created: None,
                bench: None,
            }),
            Kind::Evidence => Record::Evidence(Evidence {
                id: Id::unassigned(),
                claim: Id::unassigned(),
                source: Id::unassigned(),
                stance: Stance::Supports,
                strength: 0.0,
                date: None,
                note: None,
                result: None,
                gap: None,
            }),
            Kind::Result => Record::Result(BenchResult {
                id: Id::unassigned(),
                model: String::new(),
                benchmark: String::new(),
                value: 0.0,
                metric: String::new(),
                unit: None,
                date: None,
                source: None,
                note: None,
                setup: None,
            }),
        }
    }

    /// Sets the id (used when the engine assigns one).
    pub fn set_id(&mut self, id: Id) {
        match self {
            Record::Source(r) => r.id = id,
            Record::Claim(r) => r.id = id,
            Record::Evidence(r) => r.id = id,
            Record::Result(r) => r.id = id,
        }
    }

    /// The records this one names, with the kind each must be and the field
    /// that names it.
    pub fn references(&self) -> Vec<(&'static str, &Id, Kind)> {
        match self {
            Record::Source(_) | Record::Claim(_) => Vec::new(),
            Record::Evidence(e) => {
                let mut refs = vec![
                    ("claim", &e.claim, Kind::Claim),
                    ("source", &e.source, Kind::Source),
                ];
                if let Some(r) = &e.result {
                    refs.push(("result", r, Kind::Result));
                }
                refs
            }
            Record::Result(r) => r
                .source
                .iter()
                .map(|s| ("source", s, Kind::Source))
                .chain(r.cites().map(|c| ("cites", c, Kind::Result)))
                .collect(),
        }
    }
}

/// Converts an Admiralty reliability letter to the number SPEC section 1 stores.
pub fn admiralty_reliability(letter: &str) -> Option<f64> {
    Some(match letter {
        "A" => 0.9,
        "B" => 0.75,
        "C" | "F" => 0.5,
        "D" => 0.25,
        "E" => 0.1,
        _ => return None,
    })
}
