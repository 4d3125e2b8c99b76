//! The syntax tree of the query language (`grammar/query.ebnf`). Every node
//! keeps the byte span of the text it came from, so errors found after
//! parsing (unknown fields, type errors) can still point at the mistake.

use crate::model::Kind;
use std::ops::Range;

/// Byte offsets into the script text.
pub type Span = Range<usize>;

/// A name with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The value.
    pub node: T,
    /// Where it was written.
    pub span: Span,
}

/// One statement of a script.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// What the statement does.
    pub kind: StatementKind,
    /// The statement's whole text.
    pub span: Span,
}

/// The statement forms of SPEC 4.1.
#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    /// `claims where …`
    Query(Query),
    /// `count claims where … group by …`
    Count(Count),
    /// `show ID`
    Show(Spanned<Arg<String>>),
    /// `explain ID`
    Explain(Spanned<Arg<String>>),
    /// `add claim { … }`
    Add(Add),
    /// `retract ID`
    Retract(Spanned<Arg<String>>),
}

impl StatementKind {
    /// Whether the statement changes the database (`add`, `retract`):
    /// such statements run one at a time, every other statement reads.
    pub fn writes(&self) -> bool {
        matches!(self, StatementKind::Add(_) | StatementKind::Retract(_))
    }
}

/// A part of a statement that is either written in it or left to a
/// parameter, `$name`, whose value the caller binds when the statement runs
/// (SPEC 4.2): an id, the date of `as of`, the text after `~`, a limit.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg<T> {
    /// Written in the statement.
    Written(T),
    /// `$name`: the name, without the `$`.
    Param(String),
}

impl<T> Arg<T> {
    /// The value written in the statement; `Err` with the parameter's name
    /// for one still to be bound.
    pub fn written(&self) -> Result<&T, &str> {
        match self {
            Arg::Written(value) => Ok(value),
            Arg::Param(name) => Err(name),
        }
    }
}

/// `collection [as of DATE] [where expr] [group by …] [order by …] [limit n [offset m]] [select …]`
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Which collection (the kind of its records).
    pub collection: Spanned<Kind>,
    /// `as of DATE`, as written (`YYYY-MM-DD`, already validated).
    pub as_of: Option<Spanned<Arg<crate::model::Date>>>,
    /// `where …`
    pub filter: Option<Expr>,
    /// `group by F1, F2, …` (empty: no groups).
    pub group_by: Vec<Field>,
    /// `order by …`
    pub order_by: Vec<OrderKey>,
    /// `limit n`
    pub limit: Option<Spanned<Arg<u64>>>,
    /// `offset m` (only after `limit`)
    pub offset: Option<Spanned<Arg<u64>>>,
    /// `select …`: fields, and aggregates when there are groups.
    pub select: Vec<Item>,
}

/// `count collection [as of DATE] [where expr] [group by …] [order by …] [limit n [offset m]]`
#[derive(Clone, Debug, PartialEq)]
pub struct Count {
    /// Which collection.
    pub collection: Spanned<Kind>,
    /// `as of DATE`
    pub as_of: Option<Spanned<Arg<crate::model::Date>>>,
    /// `where …`
    pub filter: Option<Expr>,
    /// `group by F1, F2, …` (empty: one row, the count).
    pub group_by: Vec<Field>,
    /// `order by …` over the rows.
    pub order_by: Vec<OrderKey>,
    /// `limit n`
    pub limit: Option<Spanned<Arg<u64>>>,
    /// `offset m` (only after `limit`)
    pub offset: Option<Spanned<Arg<u64>>>,
}

/// What `select` and `order by` name: a field, or an aggregate over a group.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A field path.
    Field(Field),
    /// `count`, `avg(f)`, `min(f)`, `max(f)`, `sum(f)`.
    Aggregate(Aggregate),
}

impl Item {
    /// Where the item was written.
    pub fn span(&self) -> &Span {
        match self {
            Item::Field(f) => &f.span,
            Item::Aggregate(a) => &a.span,
        }
    }

    /// The field, if the item is one.
    pub fn as_field(&self) -> Option<&Field> {
        match self {
            Item::Field(f) => Some(f),
            Item::Aggregate(_) => None,
        }
    }
}

/// An aggregate over the records of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Which function.
    pub function: AggregateFn,
    /// Its argument (`None` for `count`, which has none).
    pub field: Option<Field>,
    /// The whole aggregate, `avg(value)`.
    pub span: Span,
}

/// The aggregate functions of SPEC 4.2 "Groups".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateFn {
    /// The number of records in the group.
    Count,
    /// The mean of the present numbers.
    Avg,
    /// The least present value.
    Min,
    /// The greatest present value.
    Max,
    /// The sum of the present numbers.
    Sum,
}

impl AggregateFn {
    /// How the function is written: `"avg"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AggregateFn::Count => "count",
            AggregateFn::Avg => "avg",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
            AggregateFn::Sum => "sum",
        }
    }

    /// The function a lowercase word names, among those taking a field.
    pub fn with_argument(word: &str) -> Option<AggregateFn> {
        Some(match word {
            "avg" => AggregateFn::Avg,
            "min" => AggregateFn::Min,
            "max" => AggregateFn::Max,
            "sum" => AggregateFn::Sum,
            _ => return None,
        })
    }
}

/// `add kind { name: value, … }`
#[derive(Clone, Debug, PartialEq)]
pub struct Add {
    /// The kind of record to add.
    pub kind: Spanned<Kind>,
    /// The members in the order written. Keys are bare names.
    pub members: Vec<(Spanned<String>, Spanned<Literal>)>,
    /// The span of the `{ … }`.
    pub record_span: Span,
}

/// One `order by` key.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderKey {
    /// The field or aggregate to order by.
    pub item: Item,
    /// `desc` when true; `asc` (the default) otherwise.
    pub descending: bool,
}

/// A field path: `status`, `source.kind`, `claim.status`.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The names between the dots, each with its span.
    pub path: Vec<Spanned<String>>,
    /// The whole path.
    pub span: Span,
}

impl Field {
    /// Whether two fields name the same path, wherever they were written.
    pub fn path_eq(&self, other: &Field) -> bool {
        self.path.len() == other.path.len()
            && self
                .path
                .iter()
                .zip(&other.path)
                .all(|(a, b)| a.node == b.node)
    }
}

/// A boolean expression (`where …`).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a or b`
    Or(Box<Expr>, Box<Expr>),
    /// `a and b`
    And(Box<Expr>, Box<Expr>),
    /// `not a`
    Not(Box<Expr>, Span),
    /// `field op value`
    Compare {
        /// The field.
        field: Field,
        /// The operator.
        op: Spanned<CompareOp>,
        /// The value.
        value: Spanned<Literal>,
    },
    /// `field [not] in (v, …)`
    In {
        /// The field.
        field: Field,
        /// `not in` when true.
        negated: bool,
        /// The values.
        values: Vec<Spanned<Literal>>,
    },
    /// `field ~ "text"`: contains, ignoring case.
    Contains {
        /// The field.
        field: Field,
        /// The text to look for.
        needle: Spanned<Arg<String>>,
    },
    /// `field has value`: list membership.
    Has {
        /// The (list) field.
        field: Field,
        /// The element.
        value: Spanned<Literal>,
    },
    /// `field is [not] null`
    IsNull {
        /// The field.
        field: Field,
        /// `is not null` when true.
        negated: bool,
    },
    /// A boolean field on its own: `independent`.
    Truthy(Field),
    /// `any|no|all evidence [( expr )]`
    Quantified {
        /// Which quantifier.
        quantifier: Spanned<Quantifier>,
        /// The condition on each piece of evidence; `None` means "any evidence at all".
        condition: Option<Box<Expr>>,
        /// The whole quantified atom.
        span: Span,
    },
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// How the operator is written: `"<="` for [`CompareOp::Le`].
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// Quantifiers over a claim's or source's evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one piece of evidence matches.
    Any,
    /// None matches.
    No,
    /// Every piece matches (true when there is none).
    All,
}

/// A literal value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `"text"` or a bare name (a bare name is a string: SPEC 4.1).
    String(String),
    /// A decimal number.
    Number(f64),
    /// `YYYY-MM-DD`
    Date(crate::model::Date),
    /// `true` / `false`
    Bool(bool),
    /// `[a, b]` (record literals only).
    List(Vec<Spanned<Literal>>),
    /// `$name`, a value the caller binds (SPEC 4.2); the name without the
    /// `$`. Binding replaces it with a literal of the type expected where it
    /// stands, so the executor never meets one.
    Param(String),
}
