//! Tab completion that knows where in a statement the cursor is.
//!
//! [`complete`] is a pure function of the text, the cursor and a
//! [`Catalog`] of what the database holds, so it is tested without a
//! terminal. It reads the tokens before the cursor with a small state
//! machine that follows the grammar of SPEC 4.1 loosely: it only has to
//! know what may come next, never whether what came before was right.

use super::lex::{Token, TokenKind, tokenize};
use super::meta;
use evident::Connection;
use evident::model::fields::{self, FieldDef, FieldType};
use evident::model::{ByKind, Kind};
use std::cell::RefCell;
use std::rc::Rc;

/// Most index entries read for one list of ids: completion must stay
/// instant on a database of millions of records.
const MAX_ENTRIES: usize = 10_000;
/// Most distinct values kept for one list (the database reads at most five
/// times as many entries for it).
const MAX_VALUES: usize = 2_000;

/// What the database holds that is worth offering: values of the indexed
/// fields and record ids (each list capped, sorted, without duplicates).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    /// The values of each indexed text or list field in use (claim
    /// subjects and tags, source kinds, result models and benchmarks, …),
    /// by collection and field name.
    pub values: Vec<(Kind, &'static str, Vec<String>)>,
    /// Ids by kind.
    pub ids: ByKind<Vec<String>>,
}

impl Catalog {
    /// Reads the catalog from the database's indexes: the values of every
    /// stored text or list field of the field table that has an index. A
    /// read that fails leaves its list empty: completion is a convenience,
    /// never an error.
    pub fn load(db: &Connection) -> Catalog {
        let mut values = Vec::new();
        for kind in Kind::ALL {
            for field in fields::fields(kind) {
                if field.derived || !matches!(field.ty, FieldType::String | FieldType::List) {
                    continue;
                }
                let found = db
                    .distinct_values(kind, field.name, MAX_VALUES)
                    .unwrap_or_default();
                if !found.is_empty() {
                    values.push((kind, field.name, found));
                }
            }
        }
        let ids = |kind| db.record_ids(kind, MAX_ENTRIES).unwrap_or_default();
        Catalog {
            values,
            ids: ByKind::from_array(Kind::ALL.map(ids)),
        }
    }

    /// The values in use of a field.
    pub fn values_of(&self, kind: Kind, field: &str) -> &[String] {
        self.values
            .iter()
            .find(|(k, f, _)| *k == kind && *f == field)
            .map_or(&[], |(_, _, values)| values.as_slice())
    }

    /// The ids of records of `kind`.
    pub fn ids_of(&self, kind: Kind) -> &[String] {
        &self.ids[kind]
    }

    /// Every id, claims first (the ones people look at most).
    pub fn all_ids(&self) -> Vec<String> {
        [Kind::Claim, Kind::Source, Kind::Evidence, Kind::Result]
            .into_iter()
            .flat_map(|k| self.ids_of(k).iter().cloned())
            .collect()
    }
}

/// The catalog of one session, read when first needed and read again after
/// the database changed.
pub struct CatalogCache<'db> {
    db: &'db Connection,
    cached: RefCell<Option<Rc<Catalog>>>,
}

impl<'db> CatalogCache<'db> {
    /// A cache over `db`, empty until first asked.
    pub fn new(db: &'db Connection) -> CatalogCache<'db> {
        CatalogCache {
            db,
            cached: RefCell::new(None),
        }
    }

    /// The catalog, read now if it is not cached.
    pub fn get(&self) -> Rc<Catalog> {
        if let Some(catalog) = &*self.cached.borrow() {
            return Rc::clone(catalog);
        }
        let catalog = Rc::new(Catalog::load(self.db));
        *self.cached.borrow_mut() = Some(Rc::clone(&catalog));
        catalog
    }

    /// Forgets the cached catalog (the database changed).
    pub fn invalidate(&self) {
        *self.cached.borrow_mut() = None;
    }
}

// ---------------------------------------------------------------------------

// The words of the language are the parser's own, so completion offers
// exactly what the parser reads.
use evident::query::vocabulary::{
    AGGREGATES, BOOLEANS, CHANGES_CLAUSES, COLLECTIONS, COMPARISONS, COUNT_CLAUSES, KINDS,
    QUANTIFIERS, QUERY_CLAUSES, STATEMENT_WORDS, is_one_of, is_reserved,
};

/// What may come next, as the state machine sees it.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// The start of a statement.
    Statement,
    /// A collection, after `count`.
    Collection,
    /// A record kind, after `add`.
    Kind,
    /// An id, after `show`, `explain` or `retract` (of one kind, or any).
    Id(Option<Kind>),
    /// Clause keywords right after the collection (or `as of DATE`).
    Clauses,
    /// `of`, after `as`.
    Of,
    /// A date, after `as of`.
    Date,
    /// `by`, after `order` or `group`.
    By(Clause),
    /// A condition: a field, `not`, a quantifier, `(`.
    Condition,
    /// An operator after the field.
    Operator(String),
    /// `in` after `field not`.
    NotIn(String),
    /// `null` or `not null` after `field is`.
    IsNull {
        /// `is not` was read.
        negated: bool,
    },
    /// `(` after `field in`.
    ListOpen(String),
    /// A value compared with the field.
    Value(String),
    /// A value in `field in (…)`.
    ListValue(String),
    /// `,` or `)` in `field in (…)`.
    ListNext(String),
    /// `and`, `or`, `)` or the next clause, after a whole condition.
    Connective,
    /// `evidence`, after a quantifier.
    QuantifiedEvidence,
    /// `since`, `until` or `where`, after `changes` or one of its times.
    ChangesClauses,
    /// A time, after `since` or `until`.
    ChangesTime,
    /// `(`, a connective or the next clause, after `any evidence`.
    AfterQuantifier,
    /// A field to order by, select or group by.
    FieldIn(Clause),
    /// The field of an aggregate (`avg(`) in `order by` or `select`.
    AggregateOf(Clause),
    /// `)` after an aggregate's field.
    AggregateClose(Clause),
    /// `,` or the next clause, after a `group by` field.
    AfterGroupField,
    /// `asc`, `desc`, `,` or the next clause, after an `order by` key.
    AfterOrderKey,
    /// `,` or the next clause after `asc`/`desc`.
    AfterDirection,
    /// A number after `limit` / `offset`.
    Number(Clause),
    /// `offset` or `select`, after `limit n`.
    AfterLimit,
    /// `select`, after `offset n`.
    AfterOffset,
    /// `,` after a selected field.
    AfterSelected,
    /// `{`, after `add kind`.
    RecordOpen,
    /// A field name in a record literal.
    RecordKey,
    /// `:` after a record key.
    RecordColon(String),
    /// A value in a record literal.
    RecordValue(String),
    /// A value in a list in a record literal.
    RecordListValue(String),
    /// `,` or `]` in a list in a record literal.
    RecordListNext(String),
    /// `,` or `}` after a record member.
    RecordNext,
    /// Nothing this completer can offer.
    Nothing,
}

/// The clauses of a query or count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clause {
    Order,
    Group,
    Select,
    Limit,
    Offset,
}

/// The state machine's memory.
struct Walker {
    expect: Expect,
    /// The collection of the query or count (or the kind being added).
    kind: Option<Kind>,
    /// Whether the statement is a `count`.
    count: bool,
    /// Whether it has a `group by` (so `order by` and `select` take aggregates).
    grouped: bool,
    /// Whether the statement is `changes` (its `where` is on claims).
    changes: bool,
    /// The collection each open parenthesis of the condition ranges over.
    scopes: Vec<Kind>,
    /// Keys already given in a record literal.
    keys: Vec<String>,
}

impl Walker {
    fn new() -> Walker {
        Walker {
            expect: Expect::Statement,
            kind: None,
            count: false,
            grouped: false,
            changes: false,
            scopes: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// The collection fields of the current condition belong to.
    fn scope(&self) -> Kind {
        self.scopes
            .last()
            .copied()
            .or(self.kind)
            .unwrap_or(Kind::Claim)
    }

    /// Whether a word starts a clause of the query or count; if so, moves there.
    fn clause_keyword(&mut self, word: &str) -> bool {
        if self.kind.is_none() || (self.changes && word != "where") {
            return false;
        }
        self.expect = match word {
            "where" => {
                self.scopes.clear();
                Expect::Condition
            }
            "as" => Expect::Of,
            "order" => Expect::By(Clause::Order),
            "group" => Expect::By(Clause::Group),
            "limit" => Expect::Number(Clause::Limit),
            "offset" => Expect::Number(Clause::Offset),
            "select" if !self.count => Expect::FieldIn(Clause::Select),
            _ => return false,
        };
        true
    }

    fn step(&mut self, token: &Token, source: &str) {
        let text = token.text(source);
        let word = (token.kind == TokenKind::Word).then(|| text.to_ascii_lowercase());
        let word = word.as_deref();
        let is_value = matches!(
            token.kind,
            TokenKind::Word | TokenKind::Number | TokenKind::Date | TokenKind::String { .. }
        );
        if text == ";" {
            *self = Walker::new();
            return;
        }
        let expect = std::mem::replace(&mut self.expect, Expect::Nothing);
        self.expect = match (expect, word, text) {
            (Expect::Statement, Some("count"), _) => {
                self.count = true;
                Expect::Collection
            }
            (Expect::Statement, Some("add"), _) => Expect::Kind,
            (Expect::Statement, Some("show" | "retract" | "history"), _) => Expect::Id(None),
            (Expect::Statement, Some("explain"), _) => Expect::Id(Some(Kind::Claim)),
            (Expect::Statement, Some("changes"), _) => {
                self.changes = true;
                self.kind = Some(Kind::Claim);
                Expect::ChangesClauses
            }
            (Expect::ChangesClauses, Some("since" | "until"), _) => Expect::ChangesTime,
            (Expect::ChangesTime, _, _) if is_value => Expect::ChangesClauses,
            (Expect::Statement | Expect::Collection, Some(w), _) => {
                match Kind::from_collection(w) {
                    Some(kind) => {
                        self.kind = Some(kind);
                        Expect::Clauses
                    }
                    None => Expect::Nothing,
                }
            }
            (Expect::Kind, Some(w), _) => match Kind::from_name(w) {
                Some(kind) => {
                    self.kind = Some(kind);
                    Expect::RecordOpen
                }
                None => Expect::Nothing,
            },
            (Expect::RecordOpen, _, "{") => Expect::RecordKey,
            (Expect::RecordKey, Some(_), _) => {
                self.keys.push(text.to_owned());
                Expect::RecordColon(text.to_owned())
            }
            (Expect::RecordColon(key), _, ":") => Expect::RecordValue(key),
            (Expect::RecordValue(key), _, "[") => Expect::RecordListValue(key),
            (Expect::RecordValue(_), _, _) if is_value => Expect::RecordNext,
            (Expect::RecordListValue(key), _, _) if is_value => Expect::RecordListNext(key),
            (Expect::RecordListNext(key), _, ",") => Expect::RecordListValue(key),
            (Expect::RecordListNext(_) | Expect::RecordListValue(_), _, "]") => Expect::RecordNext,
            (Expect::RecordNext, _, ",") => Expect::RecordKey,
            (Expect::Id(_), _, _) => Expect::Nothing,
            (expect, Some(w), _) if !is_value_state(&expect) && self.clause_keyword(w) => {
                return;
            }
            (Expect::Of, Some("of"), _) => Expect::Date,
            (Expect::Date, _, _) if is_value => Expect::Clauses,
            (Expect::By(clause), Some("by"), _) => {
                self.grouped |= clause == Clause::Group;
                Expect::FieldIn(clause)
            }
            (Expect::Condition, Some("not"), _) => Expect::Condition,
            (Expect::Condition, Some(w), _) if is_one_of(QUANTIFIERS, w) => {
                Expect::QuantifiedEvidence
            }
            (Expect::Condition, _, "(") => {
                self.scopes.push(self.scope());
                Expect::Condition
            }
            (Expect::Condition, Some(_), _) => Expect::Operator(text.to_owned()),
            (Expect::QuantifiedEvidence, Some("evidence"), _) => Expect::AfterQuantifier,
            (Expect::AfterQuantifier, _, "(") => {
                self.scopes.push(Kind::Evidence);
                Expect::Condition
            }
            (Expect::Operator(field), _, op) if op == "~" || COMPARISONS.contains(&op) => {
                Expect::Value(field)
            }
            (Expect::Operator(field), Some("has"), _) => Expect::Value(field),
            (Expect::Operator(field), Some("in"), _) => Expect::ListOpen(field),
            (Expect::Operator(field), Some("not"), _) => Expect::NotIn(field),
            (Expect::NotIn(field), Some("in"), _) => Expect::ListOpen(field),
            (Expect::Operator(_), Some("is"), _) => Expect::IsNull { negated: false },
            (Expect::IsNull { .. }, Some("not"), _) => Expect::IsNull { negated: true },
            (Expect::IsNull { .. }, Some("null"), _) => Expect::Connective,
            (Expect::ListOpen(field), _, "(") => Expect::ListValue(field),
            (Expect::ListValue(field), _, _) if is_value => Expect::ListNext(field),
            (Expect::ListNext(field), _, ",") => Expect::ListValue(field),
            (Expect::Value(_), _, _) if is_value => Expect::Connective,
            (
                Expect::Connective | Expect::Operator(_) | Expect::AfterQuantifier,
                Some("and" | "or"),
                _,
            ) => Expect::Condition,
            (
                Expect::Connective
                | Expect::Operator(_)
                | Expect::AfterQuantifier
                | Expect::ListNext(_),
                _,
                ")",
            ) => {
                self.scopes.pop();
                Expect::Connective
            }
            (Expect::FieldIn(Clause::Order), Some(_), _) => Expect::AfterOrderKey,
            (Expect::AfterOrderKey, Some("asc" | "desc"), _) => Expect::AfterDirection,
            (Expect::AfterOrderKey | Expect::AfterDirection, _, ",") => {
                Expect::FieldIn(Clause::Order)
            }
            (Expect::FieldIn(Clause::Select), Some(_), _) => Expect::AfterSelected,
            (Expect::AfterSelected, _, ",") => Expect::FieldIn(Clause::Select),
            (Expect::FieldIn(Clause::Group), Some(_), _) => Expect::AfterGroupField,
            (Expect::AfterGroupField, _, ",") => Expect::FieldIn(Clause::Group),
            (Expect::AfterOrderKey, _, "(") => Expect::AggregateOf(Clause::Order),
            (Expect::AfterSelected, _, "(") => Expect::AggregateOf(Clause::Select),
            (Expect::AggregateOf(clause), Some(_), _) => Expect::AggregateClose(clause),
            (Expect::AggregateClose(Clause::Order), _, ")") => Expect::AfterOrderKey,
            (Expect::AggregateClose(_), _, ")") => Expect::AfterSelected,
            (Expect::Number(Clause::Limit), _, _) if is_value => Expect::AfterLimit,
            (Expect::Number(_), _, _) if is_value => Expect::AfterOffset,
            _ => Expect::Nothing,
        };
    }
}

/// States in which a word is a value or a name, never the next clause.
fn is_value_state(expect: &Expect) -> bool {
    matches!(
        expect,
        Expect::Statement
            | Expect::Collection
            | Expect::Kind
            | Expect::Id(_)
            | Expect::Value(_)
            | Expect::ListValue(_)
            | Expect::Date
            | Expect::ChangesTime
            | Expect::Number(_)
            | Expect::RecordOpen
            | Expect::RecordKey
            | Expect::RecordColon(_)
            | Expect::RecordValue(_)
            | Expect::RecordListValue(_)
            | Expect::RecordListNext(_)
            | Expect::RecordNext
    )
}

/// Characters of a bare id (`claim:models-not-production-grade`).
fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-')
}

/// Characters of a name or a field path (`source.kind`).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.')
}

/// Where the word that ends at `pos` starts, given which characters it may hold.
fn word_start(before: &str, part_of_word: fn(char) -> bool) -> usize {
    before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| part_of_word(c))
        .last()
        .map_or(before.len(), |(at, _)| at)
}

/// Runs the state machine over the significant tokens that end before `end`.
fn walk(before: &str, tokens: &[Token], end: usize) -> Walker {
    let mut walker = Walker::new();
    for token in tokens.iter().filter(|t| t.end <= end && t.is_significant()) {
        walker.step(token, before);
    }
    walker
}

/// Completes the text at `pos` in `line` (the whole input, however many
/// lines). Returns where the replaced text starts and the candidates that
/// replace it from there to `pos`.
///
/// It knows: statement keywords at the start; collections after `count`;
/// clause keywords after the collection; the fields of the current
/// collection (or of the record a dotted reference names, or of evidence
/// inside a quantifier's parentheses) where a condition, an `order by` key,
/// a selected field or a `group by` field goes; operators suited to the
/// field's type after a field; and after an operator the field's known
/// values (statuses, stances, source kinds) and what the database holds
/// (subjects, tags, models, benchmarks, ids). Values that are not bare
/// names come quoted; typing an opening `"` asks for quoted values.
/// Lines starting with `.` complete meta commands and their arguments.
pub fn complete(line: &str, pos: usize, catalog: &Catalog) -> (usize, Vec<String>) {
    let mut pos = pos.min(line.len());
    while !line.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &line[..pos];
    let trimmed = before.trim_start();
    if trimmed.starts_with('.') {
        return meta::complete(before, before.len() - trimmed.len());
    }
    let tokens = tokenize(before);
    match tokens.last() {
        Some(t) if t.kind == TokenKind::Comment => return (pos, Vec::new()),
        Some(t) if t.kind == (TokenKind::String { closed: false }) => {
            let walker = walk(before, &tokens, t.start);
            let candidates = values_for(&walker, catalog, Quoting::Always);
            return (t.start, filter(candidates, &before[t.start..]));
        }
        _ => {}
    }
    // Ids and values may hold `:` `/` `-`; names and field paths may not.
    let wide = word_start(before, is_id_char);
    let walker = walk(before, &tokens, wide);
    if matches!(
        walker.expect,
        Expect::Id(_)
            | Expect::Value(_)
            | Expect::ListValue(_)
            | Expect::RecordValue(_)
            | Expect::RecordListValue(_)
    ) {
        let candidates = values_for(&walker, catalog, Quoting::WhenNeeded);
        return (wide, filter(candidates, &before[wide..]));
    }
    let start = word_start(before, is_name_char);
    let walker = walk(before, &tokens, start);
    let partial = &before[start..];
    let (start, partial, candidates) = match &walker.expect {
        Expect::Condition | Expect::FieldIn(_) | Expect::AggregateOf(_) => {
            // `source.ki`: the fields of what `source` names, from after the dot.
            let (path, last) = match partial.rfind('.') {
                Some(dot) => (&partial[..dot], &partial[dot + 1..]),
                None => ("", partial),
            };
            let base = match walker.expect {
                Expect::Condition => walker.scope(),
                _ => walker.kind.unwrap_or(Kind::Claim),
            };
            let Some(kind) = follow(base, path) else {
                return (pos, Vec::new());
            };
            let mut names: Vec<String> = fields::fields(kind)
                .iter()
                .map(|f| f.name.to_owned())
                .collect();
            if path.is_empty() && walker.expect == Expect::Condition {
                names.push("not".to_owned());
                if matches!(kind, Kind::Claim | Kind::Source) {
                    names.extend(QUANTIFIERS.iter().map(|q| (*q).to_owned()));
                }
            }
            let keys_or_items = matches!(
                walker.expect,
                Expect::FieldIn(Clause::Order | Clause::Select)
            );
            if path.is_empty() && walker.grouped && keys_or_items {
                // `count`, then `avg(` and the others, which take a field.
                names.extend(AGGREGATES.iter().map(|a| {
                    if *a == "count" {
                        (*a).to_owned()
                    } else {
                        format!("{a}(")
                    }
                }));
            }
            (start + partial.len() - last.len(), last, names)
        }
        expect => (start, partial, keywords(expect, &walker)),
    };
    (start, filter(candidates, partial))
}

/// The record kind a dotted path leads to from `kind` (`""` is `kind`
/// itself; `source` on evidence is sources).
fn follow(mut kind: Kind, path: &str) -> Option<Kind> {
    if path.is_empty() {
        return Some(kind);
    }
    for name in path.split('.') {
        match fields::field(kind, name)?.ty {
            FieldType::Ref(next) => kind = next,
            _ => return None,
        }
    }
    Some(kind)
}

/// The field a path names from `kind`, with the kind that holds it.
fn resolve(kind: Kind, path: &str) -> Option<(Kind, &'static FieldDef)> {
    let (head, last) = match path.rfind('.') {
        Some(dot) => (&path[..dot], &path[dot + 1..]),
        None => ("", path),
    };
    let owner = follow(kind, head)?;
    Some((owner, fields::field(owner, last)?))
}

/// Keywords and operators that may come next.
fn keywords(expect: &Expect, walker: &Walker) -> Vec<String> {
    let top = walker.scopes.is_empty();
    // The clauses that may follow a condition (those of `clauses`), a
    // `group by`, an `order by` key, `limit n`: each list's tail.
    let clauses: &[&str] = if walker.changes {
        &[]
    } else if walker.count {
        &["group by", "order by", "limit"]
    } else {
        &["group by", "order by", "limit", "select"]
    };
    let after = |clause: &str| -> Vec<&str> {
        let from = clauses
            .iter()
            .position(|c| *c == clause)
            .unwrap_or(clauses.len());
        clauses[from..].to_vec()
    };
    let words: Vec<&str> = match expect {
        Expect::Statement => STATEMENT_WORDS.to_vec(),
        Expect::Collection => COLLECTIONS.to_vec(),
        Expect::Kind => KINDS.to_vec(),
        Expect::Clauses if walker.count => COUNT_CLAUSES.to_vec(),
        Expect::Clauses => QUERY_CLAUSES.to_vec(),
        Expect::ChangesClauses => CHANGES_CLAUSES.to_vec(),
        Expect::Of => vec!["of"],
        Expect::By(_) => vec!["by"],
        Expect::NotIn(_) => vec!["in"],
        Expect::IsNull { negated: false } => vec!["null", "not null"],
        Expect::IsNull { negated: true } => vec!["null"],
        Expect::QuantifiedEvidence => vec!["evidence"],
        Expect::Connective | Expect::AfterQuantifier => {
            let mut words = vec!["and", "or"];
            if top {
                words.extend(clauses);
            }
            words
        }
        Expect::Operator(field) => {
            let ty = resolve(walker.scope(), field).map(|(_, f)| f.ty);
            let mut words = operators(ty);
            if ty == Some(FieldType::Bool) {
                words.extend(["and", "or"]);
                if top {
                    words.extend(clauses);
                }
            }
            words
        }
        Expect::AfterGroupField => after("order by"),
        Expect::AfterOrderKey => [vec!["asc", "desc"], after("limit")].concat(),
        Expect::AfterDirection => after("limit"),
        Expect::AfterLimit => [vec!["offset"], after("select")].concat(),
        Expect::AfterOffset => after("select"),
        Expect::RecordKey => {
            let kind = walker.kind.unwrap_or(Kind::Claim);
            fields::fields(kind)
                .iter()
                .filter(|f| !f.derived && !walker.keys.iter().any(|k| k == f.name))
                .map(|f| f.name)
                .collect()
        }
        _ => Vec::new(),
    };
    words.into_iter().map(String::from).collect()
}

/// The operators that suit a field of type `ty` (all of them when unknown).
fn operators(ty: Option<FieldType>) -> Vec<&'static str> {
    const NULL: [&str; 2] = ["is null", "is not null"];
    let mut ops = match ty {
        Some(FieldType::List) => vec!["has"],
        Some(FieldType::Bool) => vec!["=", "!="],
        Some(FieldType::Number | FieldType::Date) => {
            vec!["=", "!=", "<", "<=", ">", ">=", "in", "not in"]
        }
        Some(FieldType::String | FieldType::Id | FieldType::Ref(_)) => {
            vec!["=", "!=", "~", "in", "not in", "<", "<=", ">", ">="]
        }
        None => vec!["=", "!=", "~", "<", "<=", ">", ">=", "in", "not in", "has"],
    };
    ops.extend(NULL);
    ops
}

/// How values are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Bare when the language reads them bare, quoted otherwise.
    WhenNeeded,
    /// Always quoted (the user typed the opening quote).
    Always,
}

/// The values that may come next, written as they must be typed.
fn values_for(walker: &Walker, catalog: &Catalog, quoting: Quoting) -> Vec<String> {
    let (raw, id_like): (Vec<String>, bool) = match &walker.expect {
        Expect::Id(Some(kind)) => (catalog.ids_of(*kind).to_vec(), true),
        Expect::Id(None) => (catalog.all_ids(), true),
        Expect::Value(field) | Expect::ListValue(field) => {
            (field_values(walker.scope(), field, catalog), false)
        }
        Expect::RecordValue(key) | Expect::RecordListValue(key) => (
            field_values(walker.kind.unwrap_or(Kind::Claim), key, catalog),
            false,
        ),
        _ => (Vec::new(), false),
    };
    raw.into_iter()
        .map(|v| {
            let bare = quoting == Quoting::WhenNeeded
                && if id_like {
                    is_bare_id(&v)
                } else {
                    is_bare_name(&v) || BOOLEANS.contains(&v.as_str())
                };
            if bare { v } else { quote(&v) }
        })
        .collect()
}

/// The known values of a field, from the schema and the catalog.
fn field_values(kind: Kind, path: &str, catalog: &Catalog) -> Vec<String> {
    let Some((owner, field)) = resolve(kind, path) else {
        return Vec::new();
    };
    let mut values: Vec<String> = field.known_values.iter().map(|v| (*v).to_owned()).collect();
    let from_db: &[String] = match field.ty {
        FieldType::Id => catalog.ids_of(owner),
        FieldType::Ref(target) => catalog.ids_of(target),
        _ => catalog.values_of(owner, field.name),
    };
    for value in from_db {
        if !values.contains(value) {
            values.push(value.clone());
        }
    }
    if field.ty == FieldType::Bool {
        values.extend(BOOLEANS.iter().map(|b| (*b).to_owned()));
    }
    values
}

/// A NAME of the language that is not a reserved word: it may stand bare for
/// a string. (A quantifier may: the parser reads `subject = no` as the text.)
fn is_bare_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_reserved(text)
}

/// An id that `show`, `explain` and `retract` read bare.
fn is_bare_id(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphanumeric()) && text.chars().all(is_id_char)
}

/// A string literal for `text`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The candidates that start with what was typed (ignoring case, and the
/// opening quote of a quoted value), without duplicates.
fn filter(candidates: Vec<String>, typed: &str) -> Vec<String> {
    let typed = typed.strip_prefix('"').unwrap_or(typed).to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for candidate in candidates {
        let compared = candidate.strip_prefix('"').unwrap_or(&candidate);
        if compared.to_lowercase().starts_with(&typed) && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog {
            values: vec![
                (
                    Kind::Claim,
                    "subject",
                    vec!["Model X".into(), "SpaceX".into(), "xAI".into()],
                ),
                (Kind::Claim, "tags", vec!["compute".into(), "deal".into()]),
                (Kind::Source, "kind", vec!["memo".into(), "podcast".into()]),
                (Kind::Result, "model", vec!["grok-5".into()]),
                (Kind::Result, "benchmark", vec!["SWE-bench Verified".into()]),
            ],
            ids: ByKind::from_array([
                vec!["lab".into(), "musk".into()],
                vec!["c1".into(), "claim:models-not-production-grade".into()],
                vec!["e1".into()],
                vec!["r1".into()],
            ]),
        }
    }

    /// Completes at the end of `line`.
    fn at_end(line: &str) -> (usize, Vec<String>) {
        complete(line, line.len(), &catalog())
    }

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn claim_fields() -> Vec<String> {
        fields::fields(Kind::Claim)
            .iter()
            .map(|f| f.name.to_owned())
            .collect()
    }

    #[test]
    fn words_are_the_parsers() {
        // Every operator offered is one the parser reads.
        for ty in [
            None,
            Some(FieldType::List),
            Some(FieldType::Bool),
            Some(FieldType::Date),
        ] {
            for op in operators(ty) {
                let first = op.split(' ').next().unwrap_or(op);
                assert!(
                    evident::query::vocabulary::OPERATORS.contains(&op)
                        || evident::query::vocabulary::OPERATORS.contains(&first),
                    "{op}"
                );
            }
        }
        // A quantifier alone is a name, so it completes bare, as the parser
        // reads it; a reserved word must be quoted.
        assert!(is_bare_name("no") && is_bare_name("All"));
        assert!(!is_bare_name("order") && !is_bare_name("NULL"));
    }

    #[test]
    fn statement_keywords_at_the_start() {
        assert_eq!(at_end(""), (0, words(STATEMENT_WORDS)));
        assert_eq!(at_end("cou"), (0, words(&["count"])));
        assert_eq!(at_end("  e"), (2, words(&["evidence", "explain"])));
        assert_eq!(at_end("CL"), (0, words(&["claims"])));
        // After a `;`, a new statement starts.
        assert_eq!(at_end("claims; re"), (8, words(&["results", "retract"])));
        assert_eq!(at_end("claims where x = 1 -- a comm"), (28, vec![]));
    }

    #[test]
    fn collections_after_count() {
        assert_eq!(at_end("count "), (6, words(COLLECTIONS)));
        assert_eq!(at_end("count s"), (6, words(&["sources"])));
        assert_eq!(
            at_end("count claims "),
            (
                13,
                words(&["as of", "where", "group by", "order by", "limit"])
            )
        );
        assert_eq!(at_end("count claims g"), (13, words(&["group by"])));
        assert_eq!(at_end("count sources group by k"), (23, words(&["kind"])));
    }

    #[test]
    fn groups_and_the_clauses_after_them() {
        // `group by` after a query's collection or condition, as after a count's.
        assert_eq!(at_end("claims g"), (7, words(&["group by"])));
        assert_eq!(
            at_end("claims where status = contested "),
            (
                32,
                words(&["and", "or", "group by", "order by", "limit", "select"])
            )
        );
        assert_eq!(
            at_end("count claims where status = contested "),
            (38, words(&["and", "or", "group by", "order by", "limit"]))
        );
        // After a group field: another, or the clauses that may follow.
        assert_eq!(
            at_end("count claims group by subject "),
            (30, words(&["order by", "limit"]))
        );
        assert_eq!(
            at_end("results group by model "),
            (23, words(&["order by", "limit", "select"]))
        );
        assert_eq!(
            at_end("count claims group by subject, st"),
            (31, words(&["status"]))
        );
        // A count orders and limits its groups, and never selects.
        assert_eq!(
            at_end("count claims group by subject order by count "),
            (45, words(&["asc", "desc", "limit"]))
        );
        assert_eq!(
            at_end("count claims group by subject order by count desc "),
            (50, words(&["limit"]))
        );
        assert_eq!(
            at_end("count claims group by subject order by count desc limit 5 "),
            (58, words(&["offset"]))
        );
        assert_eq!(
            at_end("count claims where status = contested group by subject order by c"),
            (64, words(&["created", "comparator", "confidence", "count"]))
        );
        // Aggregates in a grouped query's `order by` and `select`, fields in them.
        assert_eq!(
            at_end("results group by model select model, a"),
            (37, words(&["attempts", "avg("]))
        );
        assert_eq!(
            at_end("results group by model select model, avg(va"),
            (41, words(&["value"]))
        );
        assert_eq!(
            at_end("results group by model order by avg(value) "),
            (43, words(&["asc", "desc", "limit", "select"]))
        );
        assert_eq!(
            at_end("results group by model select max(value), "),
            (42, {
                let mut names: Vec<String> = fields::fields(Kind::Result)
                    .iter()
                    .map(|f| f.name.to_owned())
                    .collect();
                names.extend(words(&["count", "avg(", "min(", "max(", "sum("]));
                names
            })
        );
        // Without groups, no aggregate.
        assert_eq!(at_end("results select a"), (15, words(&["attempts"])));
    }

    #[test]
    fn clauses_after_the_collection() {
        assert_eq!(
            at_end("claims "),
            (
                7,
                words(&["as of", "where", "group by", "order by", "limit", "select"])
            )
        );
        assert_eq!(at_end("claims w"), (7, words(&["where"])));
        assert_eq!(at_end("claims as "), (10, words(&["of"])));
        assert_eq!(
            at_end("claims as of 2026-01-01 wh"),
            (24, words(&["where"]))
        );
        assert_eq!(at_end("claims order "), (13, words(&["by"])));
        assert_eq!(at_end("claims order by con"), (16, words(&["confidence"])));
        assert_eq!(
            at_end("claims order by confidence "),
            (27, words(&["asc", "desc", "limit", "select"]))
        );
        assert_eq!(
            at_end("claims order by id desc, su"),
            (25, words(&["subject", "support"]))
        );
        assert_eq!(
            at_end("claims limit 5 "),
            (15, words(&["offset", "select"]))
        );
        assert_eq!(at_end("claims select id, te"), (18, words(&["text"])));
    }

    #[test]
    fn fields_after_where_and_connectives() {
        let mut expected = claim_fields();
        expected.extend(words(&["not", "any", "no", "all"]));
        assert_eq!(at_end("claims where "), (13, expected.clone()));
        assert_eq!(at_end("claims where st"), (13, words(&["status"])));
        assert_eq!(
            at_end("claims where status = verified and su"),
            (35, words(&["subject", "support"]))
        );
        assert_eq!(
            at_end("claims where status = verified or (ev"),
            (35, words(&["evidence_count"]))
        );
        assert_eq!(
            at_end("claims where not ind"),
            (17, words(&["independent_support", "independent_refute"]))
        );
        assert_eq!(
            at_end("claims where\n         st"),
            (22, words(&["status"]))
        );
        // Sources have quantifiers too; results do not.
        assert_eq!(
            at_end("sources where a"),
            (14, words(&["affiliations", "any", "all"]))
        );
        assert_eq!(at_end("results where a"), (14, words(&["attempts"])));
    }

    #[test]
    fn fields_behind_a_dotted_reference() {
        let source_fields: Vec<String> = fields::fields(Kind::Source)
            .iter()
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(at_end("evidence where source."), (22, source_fields));
        assert_eq!(at_end("evidence where source.k"), (22, words(&["kind"])));
        assert_eq!(at_end("evidence where claim.st"), (21, words(&["status"])));
        assert_eq!(
            at_end("results where source.rel"),
            (21, words(&["reliability"]))
        );
        assert_eq!(
            at_end("evidence select id, source.pub"),
            (27, words(&["publisher", "published"]))
        );
        // Not a reference: nothing behind the dot.
        assert_eq!(at_end("claims where text."), (18, vec![]));
    }

    #[test]
    fn evidence_fields_inside_a_quantifier() {
        let evidence_fields: Vec<String> = fields::fields(Kind::Evidence)
            .iter()
            .map(|f| f.name.to_owned())
            .collect();
        let mut expected = evidence_fields;
        expected.push("not".to_owned());
        assert_eq!(at_end("claims where any evidence ("), (27, expected));
        assert_eq!(
            at_end("claims where any evidence (st"),
            (27, words(&["stance", "strength"]))
        );
        assert_eq!(
            at_end("claims where no evidence (source.k"),
            (33, words(&["kind"]))
        );
        assert_eq!(at_end("claims where any "), (17, words(&["evidence"])));
        // After the parentheses close, fields are the claim's again.
        assert_eq!(
            at_end("claims where any evidence (independent) and sta"),
            (44, words(&["status"]))
        );
        assert_eq!(
            at_end("claims where all evidence (stance = "),
            (36, words(&["supports", "refutes"]))
        );
    }

    #[test]
    fn operators_after_a_field() {
        let (start, ops) = at_end("claims where status ");
        assert_eq!(start, 20);
        assert!(
            ops.contains(&"=".to_owned())
                && ops.contains(&"~".to_owned())
                && ops.contains(&"in".to_owned())
        );
        assert!(!ops.contains(&"has".to_owned()));
        assert_eq!(
            at_end("claims where tags "),
            (18, words(&["has", "is null", "is not null"]))
        );
        assert_eq!(
            at_end("claims where status i"),
            (20, words(&["in", "is null", "is not null"]))
        );
        assert_eq!(at_end("claims where status not "), (24, words(&["in"])));
        assert_eq!(
            at_end("claims where subject is "),
            (24, words(&["null", "not null"]))
        );
        let (_, ops) = at_end("evidence where independent ");
        assert!(ops.contains(&"and".to_owned()) && ops.contains(&"order by".to_owned()));
    }

    #[test]
    fn known_values_after_an_operator() {
        assert_eq!(
            at_end("claims where status = "),
            (22, words(evident::model::fields::STATUSES))
        );
        assert_eq!(
            at_end("claims where status = un"),
            (22, words(&["unresolved"]))
        );
        assert_eq!(
            at_end("claims where status=ver"),
            (20, words(&["verified"]))
        );
        assert_eq!(
            at_end("claims where status in (verified, re"),
            (34, words(&["refuted"]))
        );
        assert_eq!(
            at_end("claims where status not in ("),
            (28, words(evident::model::fields::STATUSES))
        );
        assert_eq!(
            at_end("evidence where stance = "),
            (24, words(&["supports", "refutes"]))
        );
        // Conventional source kinds, then the ones the database holds.
        let (_, kinds) = at_end("sources where kind = ");
        assert_eq!(kinds.len(), evident::model::fields::SOURCE_KINDS.len() + 1);
        assert_eq!(kinds.last().map(String::as_str), Some("podcast"));
        assert_eq!(
            at_end("evidence where source.kind = me"),
            (29, words(&["memo"]))
        );
        // Subjects and tags from the database; values that are not names are quoted.
        assert_eq!(
            at_end("claims where subject = "),
            (23, words(&["\"Model X\"", "SpaceX", "xAI"]))
        );
        assert_eq!(at_end("claims where subject = s"), (23, words(&["SpaceX"])));
        assert_eq!(
            at_end("claims where subject = \"Mo"),
            (23, words(&["\"Model X\""]))
        );
        assert_eq!(at_end("claims where tags has d"), (22, words(&["deal"])));
        assert_eq!(
            at_end("results where benchmark = "),
            (26, words(&["\"SWE-bench Verified\""]))
        );
        // Ids: of the collection, or of what a reference names.
        assert_eq!(
            at_end("evidence where claim = c"),
            (23, words(&["c1", "\"claim:models-not-production-grade\""]))
        );
        assert_eq!(
            at_end("evidence where claim = claim:m"),
            (23, words(&["\"claim:models-not-production-grade\""]))
        );
        assert_eq!(at_end("sources where id = "), (19, words(&["lab", "musk"])));
        assert_eq!(
            at_end("evidence where independent = "),
            (29, words(&["true", "false"]))
        );
        // After a value: connectives and the next clauses.
        assert_eq!(
            at_end("claims where status = verified "),
            (
                31,
                words(&["and", "or", "group by", "order by", "limit", "select"])
            )
        );
        assert_eq!(
            at_end("claims where (status = verified "),
            (32, words(&["and", "or"]))
        );
    }

    #[test]
    fn ids_after_show_explain_retract() {
        assert_eq!(
            at_end("show c"),
            (5, words(&["c1", "claim:models-not-production-grade"]))
        );
        assert_eq!(
            at_end("show claim:"),
            (5, words(&["claim:models-not-production-grade"]))
        );
        assert_eq!(
            at_end("explain "),
            (8, words(&["c1", "claim:models-not-production-grade"]))
        );
        let (_, all) = at_end("retract ");
        assert_eq!(all.len(), 6);
        assert_eq!(at_end("show c1 "), (8, vec![]));
        assert_eq!(at_end("changes "), (8, words(&["since", "until", "where"])));
        assert_eq!(
            at_end("changes since 2026-12-01 u"),
            (25, words(&["until"]))
        );
        assert_eq!(at_end("changes where stat"), (14, words(&["status"])));
        assert_eq!(
            at_end("history c"),
            (8, words(&["c1", "claim:models-not-production-grade"]))
        );
    }

    #[test]
    fn record_literals() {
        assert_eq!(at_end("add "), (4, words(KINDS)));
        assert_eq!(at_end("add ev"), (4, words(&["evidence"])));
        assert_eq!(at_end("add evidence {cl"), (14, words(&["claim"])));
        assert_eq!(
            at_end("add evidence {claim: c1, st"),
            (25, words(&["stance", "strength"]))
        );
        assert_eq!(
            at_end("add evidence {claim: c1, stance: r"),
            (33, words(&["refutes"]))
        );
        assert_eq!(
            at_end("add evidence {claim: "),
            (21, words(&["c1", "\"claim:models-not-production-grade\""]))
        );
        assert_eq!(
            at_end("add claim {tags: [deal, c"),
            (24, words(&["compute"]))
        );
        // Derived fields cannot be written; the benchmark-claim fields of
        // SPEC 8.1 can.
        let (_, keys) = at_end("add claim {");
        assert_eq!(
            keys,
            words(&[
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
            ])
        );
    }

    #[test]
    fn the_cursor_may_be_inside_the_line() {
        let line = "claims where st = verified";
        assert_eq!(complete(line, 15, &catalog()), (13, words(&["status"])));
        // Out-of-range and mid-character positions are clamped, never a panic.
        assert_eq!(complete("cou", 99, &catalog()), (0, words(&["count"])));
        let _ = complete("claims where subject = \"é", 25, &catalog());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a \"b\" \\ c\nd"), r#""a \"b\" \\ c\nd""#);
        assert!(
            is_bare_name("SpaceX")
                && !is_bare_name("where")
                && !is_bare_name("Model X")
                && !is_bare_name("1a")
        );
        assert!(is_bare_id("claim:a-b/c.d") && !is_bare_id("-a") && !is_bare_id("a b"));
    }

    #[test]
    fn the_catalog_reads_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = Connection::local(evident::Database::open(dir.path().join("db")).unwrap());
        let mut data = String::from(
            r#"{"type":"source","id":"lab","title":"Lab","kind":"podcast"}
{"type":"result","id":"r1","model":"grok-5","benchmark":"SWE-bench Verified","value":70}
"#,
        );
        // Many claims share a subject: the catalog jumps past them.
        for i in 0..100 {
            data.push_str(&format!(
                "{{\"type\":\"claim\",\"id\":\"c{i}\",\"text\":\"t\",\"subject\":\"SpaceX\",\"tags\":[\"deal\"]}}\n"
            ));
        }
        data.push_str(
            r#"{"type":"claim","id":"z","text":"t","subject":"xAI","tags":["compute","deal"]}"#,
        );
        data.push_str("\n{\"type\":\"evidence\",\"id\":\"e1\",\"claim\":\"z\",\"source\":\"lab\",\"stance\":\"supports\"}\n");
        let held = db.database().unwrap();
        held.import_jsonl(data.as_bytes()).unwrap();
        let catalog = Catalog::load(&db);
        assert_eq!(
            catalog.values_of(Kind::Claim, "subject"),
            words(&["SpaceX", "xAI"])
        );
        assert_eq!(
            catalog.values_of(Kind::Claim, "tags"),
            words(&["compute", "deal"])
        );
        assert_eq!(catalog.values_of(Kind::Source, "kind"), words(&["podcast"]));
        assert_eq!(catalog.values_of(Kind::Result, "model"), words(&["grok-5"]));
        assert_eq!(
            catalog.values_of(Kind::Result, "benchmark"),
            words(&["SWE-bench Verified"])
        );
        assert_eq!(catalog.ids_of(Kind::Claim).len(), 101);
        assert_eq!(catalog.ids_of(Kind::Source), words(&["lab"]));
        assert_eq!(catalog.ids_of(Kind::Evidence), words(&["e1"]));
        assert_eq!(catalog.ids_of(Kind::Result), words(&["r1"]));

        let cache = CatalogCache::new(&db);
        assert_eq!(cache.get().values_of(Kind::Claim, "subject").len(), 2);
        held.import_jsonl(r#"{"type":"claim","id":"y","text":"t","subject":"Cursor"}"#.as_bytes())
            .unwrap();
        assert_eq!(
            cache.get().values_of(Kind::Claim, "subject").len(),
            2,
            "cached until invalidated"
        );
        cache.invalidate();
        assert_eq!(
            cache.get().values_of(Kind::Claim, "subject"),
            words(&["Cursor", "SpaceX", "xAI"])
        );
    }
}
