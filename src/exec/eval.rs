//! Evaluates fields and filters on records, with the two-valued logic of
//! SPEC 4.2: comparing an absent value is false for every operator.

use super::output::Value;
use crate::model::fields::{self, Access, EvidenceValue, FieldType, FieldValue};
use crate::model::{Date, Derived, Evidence, Kind, Record, Stance};
use crate::query::ast::{CompareOp, Expr, Literal, Quantifier};
use crate::store::{ClaimsInOrder, FactWalker, SourceCache, Store, StoreError};
use memchr::memmem::Finder;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

/// Most records kept in a lookup cache before it is cleared.
const CACHE_LIMIT: usize = 100_000;

/// Evaluation state for one statement: the view date and lookup caches.
pub struct Ctx<'s> {
    pub store: &'s Store,
    pub as_of: Option<Date>,
    sources: SourceCache,
    /// Shared, not cloned: a dotted path reads the same few sources for
    /// millions of rows.
    records: HashMap<String, Option<Arc<Record>>>,
    derived: HashMap<String, Derived>,
    facts: FactWalker<'s>,
    /// The subjects of the claims of evidence rows.
    subjects: ClaimSubjects,
    /// The `as of` view's derived evidence ([`Store::view_derived_evidence`])
    /// by source, worked out once, when a source's evidence in the view is
    /// asked for.
    view_derived: Option<HashMap<crate::model::Id, Vec<Evidence>>>,
}

/// Claims' subjects, read with one cursor made on first use (evidence in id
/// order names claims in about their order, so most are in the block of
/// the last one or the next); a claim's evidence comes together, so the
/// last one's subject is kept.
#[derive(Default)]
struct ClaimSubjects {
    reader: Option<ClaimsInOrder>,
    last: Option<(String, Option<String>)>,
}

impl ClaimSubjects {
    /// The subject of the claim `id` (`None`: it has none, or is not stored).
    fn get(&mut self, store: &Store, id: &str) -> Result<Option<&str>, StoreError> {
        if self.last.as_ref().is_none_or(|(last, _)| last != id) {
            let reader = match &mut self.reader {
                Some(reader) => reader,
                None => self.reader.insert(store.claims_in_order()?),
            };
            self.last = Some((id.to_owned(), reader.subject(id)?));
        }
        Ok(self
            .last
            .as_ref()
            .and_then(|(_, subject)| subject.as_deref()))
    }
}

impl<'s> Ctx<'s> {
    pub fn new(store: &'s Store, as_of: Option<Date>) -> Ctx<'s> {
        Ctx {
            store,
            as_of,
            sources: SourceCache::default(),
            records: HashMap::new(),
            derived: HashMap::new(),
            facts: FactWalker::new(store),
            subjects: ClaimSubjects::default(),
            view_derived: None,
        }
    }

    /// A record by id, cached.
    pub fn record(&mut self, id: &str) -> Result<Option<Arc<Record>>, StoreError> {
        if let Some(r) = self.records.get(id) {
            return Ok(r.clone());
        }
        if self.records.len() > CACHE_LIMIT {
            self.records.clear();
        }
        let r = self.store.get(id)?.map(Arc::new);
        self.records.insert(id.to_owned(), r.clone());
        Ok(r)
    }

    /// A claim's derived values in this view: the materialised ones, or
    /// recomputed from the evidence visible on the `as of` day.
    pub fn claim_derived(
        &mut self,
        claim: &crate::model::Claim,
        stored: Option<&Derived>,
    ) -> Result<Derived, StoreError> {
        let Some(day) = self.as_of else {
            return match stored {
                Some(d) => Ok(*d),
                None => Ok(self.store.derived(claim.id.as_str())?.unwrap_or_default()),
            };
        };
        if let Some(d) = self.derived.get(claim.id.as_str()) {
            return Ok(*d);
        }
        let evidence = self.facts.facts_of(claim.id.as_str())?;
        // SPEC 2: a benchmark claim's derivation runs on the view.
        let evidence = self.store.view_facts(claim, evidence, Some(day))?;
        let d = crate::store::derive_claim(
            self.store,
            claim.subject.as_deref(),
            &evidence,
            &mut self.sources,
            Some(day),
        )?;
        if self.derived.len() > CACHE_LIMIT {
            self.derived.clear();
        }
        self.derived.insert(claim.id.to_string(), d);
        Ok(d)
    }

    /// An evidence record's effective date.
    pub fn effective_date(&mut self, e: &Evidence) -> Result<Option<Date>, StoreError> {
        if e.date.is_some() {
            return Ok(e.date);
        }
        Ok(self
            .sources
            .get(self.store, e.source.as_str())?
            .and_then(|s| s.published))
    }

    /// An evidence record's weight: its strength times its source's
    /// reliability (`None`: the source is not stored).
    fn evidence_weight(&mut self, e: &Evidence) -> Result<Option<f64>, StoreError> {
        let source = self.sources.get(self.store, e.source.as_str())?;
        Ok(source.map(|s| e.strength * s.reliability))
    }

    /// Whether an evidence record is independent of its claim's subject
    /// (`None`: the source is not stored). The claim is read only for a
    /// source with affiliations: without any, every subject is independent
    /// of it, and reading each row's claim was a third of a query of
    /// derived evidence (whose result sources have none).
    fn evidence_independence(&mut self, e: &Evidence) -> Result<Option<bool>, StoreError> {
        let Some(source) = self.sources.get(self.store, e.source.as_str())? else {
            return Ok(None);
        };
        if source.affiliations_lower.is_empty() {
            return Ok(Some(true));
        }
        let subject = self.subjects.get(self.store, e.claim.as_str())?;
        Ok(Some(source.independent_of(subject)))
    }

    /// The value of a field path on a record (`derived` for claims, if known).
    pub fn value(
        &mut self,
        record: &Record,
        derived: Option<&Derived>,
        path: &[&str],
    ) -> Result<Value, StoreError> {
        let Some((&name, rest)) = path.split_first() else {
            return Ok(Value::Null);
        };
        let Some(def) = fields::field(record.kind(), name) else {
            return Ok(Value::Null);
        };
        if !rest.is_empty() {
            // Only a reference leads on to another record.
            let target = match (def.ty, def.stored_get()) {
                (FieldType::Ref(_), Some(get)) => match get(record) {
                    FieldValue::Text(id) => id,
                    _ => return Ok(Value::Null),
                },
                _ => return Ok(Value::Null),
            };
            let Some(next) = self.record(target)? else {
                return Ok(Value::Null);
            };
            if !super::visible(self, &next).unwrap_or(false) {
                return Ok(Value::Null);
            }
            return self.value(&next, None, rest);
        }
        Ok(match (def.access, record) {
            (Access::Stored { get, .. }, _) => output_value(get(record)),
            (Access::Claim(get), Record::Claim(c)) => {
                output_value(get(&self.claim_derived(c, derived)?))
            }
            (Access::Evidence(which), Record::Evidence(e)) => match which {
                EvidenceValue::Weight => {
                    self.evidence_weight(e)?.map_or(Value::Null, Value::Number)
                }
                EvidenceValue::Independent => self
                    .evidence_independence(e)?
                    .map_or(Value::Null, Value::Bool),
                EvidenceValue::EffectiveDate => {
                    self.effective_date(e)?.map_or(Value::Null, Value::Date)
                }
                EvidenceValue::Derived => Value::Bool(e.is_derived()),
                EvidenceValue::Gap => e.gap.map_or(Value::Null, Value::Number),
            },
            // A table's rows are of its own kind.
            (Access::Claim(_) | Access::Evidence(_), _) => Value::Null,
        })
    }

    /// Evaluates a filter on a record.
    pub fn matches(
        &mut self,
        record: &Record,
        derived: Option<&Derived>,
        expr: &Expr,
    ) -> Result<bool, StoreError> {
        Ok(match expr {
            Expr::Or(a, b) => {
                self.matches(record, derived, a)? || self.matches(record, derived, b)?
            }
            Expr::And(a, b) => {
                self.matches(record, derived, a)? && self.matches(record, derived, b)?
            }
            Expr::Not(a, _) => !self.matches(record, derived, a)?,
            Expr::Compare { field, op, value } => {
                let v = self.value(record, derived, &path(field))?;
                compare(&v, &value.node).is_some_and(|ord| op_holds(op.node, ord))
            }
            Expr::In {
                field,
                negated,
                values,
            } => {
                let v = self.value(record, derived, &path(field))?;
                let found = values
                    .iter()
                    .any(|lit| compare(&v, &lit.node) == Some(Ordering::Equal));
                // Absent compares false whatever the operator, `not in` included.
                if v == Value::Null {
                    false
                } else {
                    found != *negated
                }
            }
            Expr::Contains { field, needle } => {
                // Bound before the statement runs (`bind::bind_script`).
                let Ok(needle) = needle.node.written() else {
                    return Ok(false);
                };
                let needle = needle.to_lowercase();
                match self.value(record, derived, &path(field))? {
                    Value::String(t) => contains_ignoring_case(&t, &needle),
                    Value::List(items) => items.iter().any(
                        |i| matches!(i, Value::String(t) if contains_ignoring_case(t, &needle)),
                    ),
                    _ => false,
                }
            }
            Expr::Has { field, value } => {
                match (self.value(record, derived, &path(field))?, &value.node) {
                    (Value::List(items), Literal::String(want)) => items
                        .iter()
                        .any(|i| matches!(i, Value::String(t) if t == want)),
                    _ => false,
                }
            }
            Expr::IsNull { field, negated } => {
                (self.value(record, derived, &path(field))? == Value::Null) != *negated
            }
            Expr::Truthy(field) => self.value(record, derived, &path(field))? == Value::Bool(true),
            Expr::Quantified {
                quantifier,
                condition,
                ..
            } => {
                let evidence = self.evidence_of(record, condition.as_deref())?;
                let mut any = false;
                let mut all = true;
                for e in &evidence {
                    let hit = match condition {
                        Some(c) => self.matches(e, None, c)?,
                        None => true,
                    };
                    any |= hit;
                    all &= hit;
                    if (hit && quantifier.node != Quantifier::All)
                        || (!hit && quantifier.node == Quantifier::All)
                    {
                        break;
                    }
                }
                match quantifier.node {
                    Quantifier::Any => any,
                    Quantifier::No => !any,
                    Quantifier::All => all,
                }
            }
        })
    }

    /// The visible evidence of a claim, or citing a source. For a claim,
    /// when `condition` reads nothing but what the `evidence.claim` index
    /// carries, the records are rebuilt from the index alone.
    fn evidence_of(
        &mut self,
        record: &Record,
        condition: Option<&Expr>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        match record {
            Record::Claim(c) => {
                let needs_record = condition.is_some_and(needs_full_evidence);
                for fact in self.facts.facts_of(c.id.as_str())? {
                    let evidence = if needs_record {
                        match self.store.get_of_kind(Kind::Evidence, &fact.evidence)? {
                            Some(Record::Evidence(e)) => e,
                            _ => continue,
                        }
                    } else {
                        Evidence {
                            id: crate::model::Id::stored(&fact.evidence).map_err(|_| {
                                StoreError::damaged("an evidence id in the index".into())
                            })?,
                            claim: c.id.clone(),
                            source: crate::model::Id::new(&fact.source).map_err(|_| {
                                StoreError::damaged("a source id in the index".into())
                            })?,
                            stance: if fact.supports {
                                Stance::Supports
                            } else {
                                Stance::Refutes
                            },
                            strength: fact.strength,
                            date: fact.date,
                            note: None,
                            result: None,
                            gap: None,
                        }
                    };
                    if self.evidence_visible(&evidence)? {
                        out.push(Record::Evidence(evidence));
                    }
                }
                // A benchmark claim's derived evidence in an `as of` view is
                // the view's own (SPEC 2), in place of today's (not visible).
                if let Some(day) = self.as_of
                    && c.bench.is_some()
                {
                    let view = self.store.derived_evidence_of(c, Some(day))?;
                    out.extend(view.into_iter().map(Record::Evidence));
                    out.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
                }
            }
            Record::Source(s) => {
                for id in self.store.referrers(s.id.as_str(), Kind::Source)? {
                    // Not read to find it invisible (`evidence_visible`).
                    if self.as_of.is_some() && crate::model::Id::split_derived(&id).is_some() {
                        continue;
                    }
                    if let Some(Record::Evidence(e)) =
                        self.store.get_of_kind(Kind::Evidence, &id)?
                        && self.evidence_visible(&e)?
                    {
                        out.push(Record::Evidence(e));
                    }
                }
                // In an `as of` view, derived evidence is the view's own.
                if let Some(day) = self.as_of {
                    let by_source = match &mut self.view_derived {
                        Some(by_source) => by_source,
                        None => {
                            let mut by_source: HashMap<_, Vec<Evidence>> = HashMap::new();
                            // Without benchmark claims there is none to
                            // derive, and no claim is read to find that out.
                            if self.store.has_bench_claims()? {
                                for e in self.store.view_derived_evidence(day, None)? {
                                    by_source.entry(e.source.clone()).or_default().push(e);
                                }
                            }
                            self.view_derived.insert(by_source)
                        }
                    };
                    out.extend(
                        (by_source.get(&s.id).into_iter().flatten())
                            .map(|e| Record::Evidence(e.clone())),
                    );
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Whether stored evidence is in the `as of` view. Today's derived
    /// evidence never is: a view derives its own from the results visible
    /// that day (SPEC 2), and those who read evidence in a view add it.
    pub fn evidence_visible(&mut self, e: &Evidence) -> Result<bool, StoreError> {
        Ok(match self.as_of {
            Some(day) => {
                let dated = !e.is_derived() && self.effective_date(e)?.is_some_and(|d| d <= day);
                // Evidence of a claim created after the day is not visible
                // either (SPEC 2).
                dated
                    && match self.record(e.claim.as_str())?.as_deref() {
                        Some(Record::Claim(c)) => c.created.is_none_or(|d| d <= day),
                        _ => true,
                    }
            }
            None => true,
        })
    }
}

/// Whether an evidence condition reads `note` or `result`, the fields the
/// `evidence.claim` index does not carry.
fn needs_full_evidence(expr: &Expr) -> bool {
    let field_needs = |f: &crate::query::ast::Field| {
        f.path
            .first()
            .is_some_and(|n| ["note", "result", "gap"].contains(&n.node.as_str()))
    };
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => needs_full_evidence(a) || needs_full_evidence(b),
        Expr::Not(a, _) => needs_full_evidence(a),
        Expr::Compare { field, .. }
        | Expr::In { field, .. }
        | Expr::Contains { field, .. }
        | Expr::Has { field, .. }
        | Expr::IsNull { field, .. }
        | Expr::Truthy(field) => field_needs(field),
        Expr::Quantified { .. } => true,
    }
}

/// A field's path as plain names.
pub fn path(field: &crate::query::ast::Field) -> Vec<&str> {
    field.path.iter().map(|n| n.node.as_str()).collect()
}

/// Whether a stored record's bytes may hold a string containing the ASCII
/// `needle_lower`, ignoring case. Strings are stored verbatim, so `false` is
/// certain; the only non-ASCII characters whose lowercase holds ASCII — the
/// Kelvin sign (k) and the dotted capital I (i) — make it answer `true`.
pub(super) fn may_contain_raw(stored: &[u8], needle_lower: &[u8]) -> bool {
    // Built once: a finder is cheap to run and costly to build per record.
    static KELVIN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("\u{212A}"));
    static DOTTED_I: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("\u{130}"));
    contains_ascii_ignoring_case(stored, needle_lower)
        || (needle_lower.contains(&b'k') && KELVIN.find(stored).is_some())
        || (needle_lower.contains(&b'i') && DOTTED_I.find(stored).is_some())
}

/// Whether `haystack` contains the ASCII `needle_lower`, ignoring ASCII
/// case: memchr jumps to each place the needle's rarest byte occurs (in
/// either case), where the whole needle is compared. Anchoring on `v` of
/// "retrieval" rather than its `r` skips most false starts.
fn contains_ascii_ignoring_case(haystack: &[u8], needle_lower: &[u8]) -> bool {
    let Some(anchor) = (0..needle_lower.len()).min_by_key(|&i| commonness(needle_lower[i])) else {
        return true;
    };
    let byte = needle_lower[anchor];
    let mut from = anchor;
    while let Some(found) = haystack
        .get(from..)
        .and_then(|rest| memchr::memchr2(byte, byte.to_ascii_uppercase(), rest))
    {
        let start = from + found - anchor;
        match haystack.get(start..start + needle_lower.len()) {
            Some(candidate) if candidate.eq_ignore_ascii_case(needle_lower) => return true,
            Some(_) => from += found + 1,
            None => return false,
        }
    }
    false
}

/// A rough rank of how often a byte occurs in English text and names
/// (higher: more often), for choosing a search anchor.
fn commonness(byte: u8) -> u8 {
    const BY_FREQUENCY: &[u8] = b"etaoinsrhldcumfpgwybvkxjqz";
    match BY_FREQUENCY
        .iter()
        .position(|&b| b == byte.to_ascii_lowercase())
    {
        Some(rank) => 200 - rank as u8,
        // Space and punctuation are common; digits and the rest are not.
        None if byte == b' ' => 255,
        None if byte.is_ascii_punctuation() => 150,
        None => 100,
    }
}

pub(super) fn contains_ignoring_case(haystack: &str, needle_lower: &str) -> bool {
    if haystack.is_ascii() && needle_lower.is_ascii() {
        return contains_ascii_ignoring_case(haystack.as_bytes(), needle_lower.as_bytes());
    }
    haystack.to_lowercase().contains(needle_lower)
}

pub(super) fn op_holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
    }
}

/// Compares a value with a literal; `None` when the value is absent or the
/// two cannot be compared.
pub fn compare(value: &Value, lit: &Literal) -> Option<Ordering> {
    match (value, lit) {
        (Value::String(a), Literal::String(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (Value::String(a), Literal::Number(n)) => Some(a.as_str().cmp(format!("{n}").as_str())),
        (Value::Number(a), Literal::Number(b)) => a.partial_cmp(b),
        (Value::Integer(a), Literal::Number(b)) => (*a as f64).partial_cmp(b),
        (Value::Date(a), Literal::Date(b)) => Some(a.cmp(b)),
        (Value::Date(a), Literal::String(b)) => Date::parse(b).map(|b| a.cmp(&b)),
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Orders two values for `order by` and `group by`: absent last, then by type-appropriate order.
pub fn order_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => x
            .iter()
            .zip(y)
            .map(|(a, b)| order_values(a, b))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| x.len().cmp(&y.len())),
        // Each field has one type, so this does not happen; still, sorting
        // needs a total order (Rust's sort may panic without one).
        _ => variant_rank(a).cmp(&variant_rank(b)),
    }
}

fn variant_rank(v: &Value) -> u8 {
    match v {
        Value::Bool(_) => 0,
        Value::Integer(_) => 1,
        Value::Number(_) => 2,
        Value::Date(_) => 3,
        Value::String(_) => 4,
        Value::List(_) => 5,
        Value::Object(_) => 6,
        Value::Null => 7,
    }
}

/// A field's value as an output value (which owns its text).
pub fn output_value(value: FieldValue<'_>) -> Value {
    match value {
        FieldValue::Absent => Value::Null,
        FieldValue::Text(t) => Value::String(t.to_owned()),
        FieldValue::Number(n) => Value::Number(n),
        FieldValue::Integer(n) => Value::Integer(n),
        FieldValue::Bool(b) => Value::Bool(b),
        FieldValue::Date(d) => Value::Date(d),
        FieldValue::List(items) => {
            Value::List(items.iter().map(|t| Value::String(t.clone())).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The memchr search agrees with comparing every window.
        #[test]
        fn ascii_search_ignoring_case_agrees_with_every_window(
            haystack in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'A'), Just(b'v'), Just(b'V'), Just(b'.'), Just(b' '), Just(b'7'), any::<u8>()], 0..40),
            needle in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'v'), Just(b'.'), Just(b' '), Just(b'7')], 0..5),
        ) {
            let expected = needle.is_empty()
                || haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(&needle));
            prop_assert_eq!(contains_ascii_ignoring_case(&haystack, &needle), expected);
        }
    }
}
