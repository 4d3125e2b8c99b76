//! Planning: how a query or count finds its rows, decided from the
//! statement alone. [`plan_query`] and [`plan_count`] read nothing from the store, so the tests at
//! the end pin the access path every kind of statement takes: a lost index
//! fails a test here instead of only slowing the benchmark. Running a plan
//! is the executor's job ([`super::access`], [`super::query`],
//! [`super::count`]): whatever needs the store to decide — how many ids an
//! index lists, whether a scan is worth two threads — is decided there.

use super::conjuncts;
use super::eval::path;
use crate::model::fields::{self, FieldType};
use crate::model::{Date, Kind, Status};
use crate::query::ast::{
    AggregateFn, CompareOp, Count, Expr, Field, Item, Literal, Quantifier, Query,
};
use crate::store::IndexId;
use crate::store::{IndexRange, IndexValue, RangeOp};

/// How a statement is answered.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Plan {
    /// Visit the rows that `Access` reads and the filter passes.
    Rows(Access),
    /// `count kind`: the kind's counter.
    Counter,
    /// `count kind where <one indexed condition>`: the number of entries of
    /// the index range (no record read).
    CountEntries(IndexRange),
    /// `count claims group by status`: the status counters.
    StatusCounts,
    /// `count kind group by F`: the per-value counts of F's index (kept on
    /// write, or one walk of the index), the rest counted as no value.
    GroupCounts(IndexId),
    /// `… group by F1, F2, …`: one pass over the rows `Access` reads and the
    /// filter passes, keeping each group's aggregates (memory grows with
    /// the groups, not the rows).
    Groups(Access),
    /// `claims order by confidence [desc] limit N`: the confidence index's
    /// claim rows from one end, stopping after N matches.
    TopByConfidence {
        /// From the highest confidence down.
        descending: bool,
    },
}

/// Where a statement's rows come from; every row read is still checked
/// against the whole filter, except the conjunct a semi-join `covers`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Access {
    /// Every record of the kind, in id order.
    Scan,
    /// These ids (sorted, distinct): `id = X` or `id in (…)`.
    Ids(Vec<String>),
    /// The records whose ids an index range lists.
    IndexRange(IndexRange),
    /// The rows held in one value's run of a covering index (in id order),
    /// read from the index alone.
    IndexRows(IndexRange),
    /// Claims citing sources, found through the sources and evidence
    /// indexes (see [`SemiJoin`]).
    SemiJoin(SemiJoin),
}

/// `any evidence (… source.kind = K …)` or `any evidence (… source = S …)`:
/// the claims that evidence from those sources bears on (with the stance
/// asked for, if any), read from the indexes (sources by kind, then
/// evidence by source, whose entries carry the claim and stance) rather
/// than by walking every claim's evidence. A superset of the matches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SemiJoin {
    /// The sources cited.
    pub(crate) sources: Sources,
    /// Only evidence that supports (`true`) or refutes (`false`) counts.
    pub(crate) stance: Option<bool>,
    /// The filter's conjunct whose matches these claims are exactly, if
    /// they are: only the other conjuncts are checked.
    pub(crate) covers: Option<usize>,
}

/// Which sources a [`SemiJoin`] starts from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Sources {
    /// These source ids: `source = S` / `source in (…)`.
    Ids(Vec<String>),
    /// The sources the range of the `source.kind` index lists.
    OfKinds(IndexRange),
}

/// The plan of a query.
pub(crate) fn plan_query(q: &Query) -> Plan {
    let kind = q.collection.node;
    if !q.group_by.is_empty() {
        // Groups asking only for their count, over every record of today:
        // the counts kept on write answer, as for `count … group by`.
        let counts_only = q
            .select
            .iter()
            .chain(q.order_by.iter().map(|k| &k.item))
            .all(|i| match i {
                Item::Field(_) => true,
                Item::Aggregate(a) => a.function == AggregateFn::Count,
            });
        if let [group] = q.group_by.as_slice()
            && counts_only
            && q.filter.is_none()
            && q.as_of.is_none()
            && let Some(plan) = group_counts(kind, group)
        {
            return plan;
        }
        return Plan::Groups(access(kind, q.filter.as_ref(), q.as_of.is_some()));
    }
    if let (Some(_), [key]) = (&q.limit, q.order_by.as_slice())
        && kind == Kind::Claim
        && q.as_of.is_none()
        && key
            .item
            .as_field()
            .is_some_and(|f| path(f) == ["confidence"])
    {
        return Plan::TopByConfidence {
            descending: key.descending,
        };
    }
    Plan::Rows(access(kind, q.filter.as_ref(), q.as_of.is_some()))
}

/// The plan of a count.
pub(crate) fn plan_count(c: &Count) -> Plan {
    let kind = c.collection.node;
    let as_of = c.as_of.is_some();
    match (c.group_by.as_slice(), &c.filter) {
        ([], None) if !as_of => return Plan::Counter,
        ([], Some(f)) if !as_of => {
            if let Some(range) = index_range(kind, f, false) {
                return Plan::CountEntries(range);
            }
        }
        // Kept counts hold no other aggregate to order by.
        ([group], None) if !as_of && orders_by_count_at_most(c) => {
            if let Some(plan) = group_counts(kind, group) {
                return plan;
            }
        }
        _ => {}
    }
    let access = access(kind, c.filter.as_ref(), as_of);
    if c.group_by.is_empty() {
        Plan::Rows(access)
    } else {
        Plan::Groups(access)
    }
}

/// Whether a count's `order by` names only group fields and `count`.
fn orders_by_count_at_most(c: &Count) -> bool {
    c.order_by.iter().all(|key| match &key.item {
        Item::Field(_) => true,
        Item::Aggregate(a) => a.function == AggregateFn::Count,
    })
}

/// `count … group by F` from counts kept per value: the status counters,
/// or the index of a single-valued stored field.
fn group_counts(kind: Kind, group: &Field) -> Option<Plan> {
    let [field] = path(group)[..] else {
        return None;
    };
    if kind == Kind::Claim && field == "status" {
        return Some(Plan::StatusCounts);
    }
    let index = IndexId::for_field(kind, field)?;
    let is_list = fields::field(kind, field).is_some_and(|f| f.ty == FieldType::List);
    (!index.is_derived() && !is_list).then_some(Plan::GroupCounts(index))
}

/// Where the rows of `kind` passing `filter` come from: the ids it names;
/// else the best-ranked indexed conjunct if it is selective (rank ≤ 2);
/// else, for claims, a semi-join through the evidence; else the best
/// indexed conjunct; else a scan. `as_of` views cannot use derived
/// indexes (they hold today's values).
pub(crate) fn access(kind: Kind, filter: Option<&Expr>, as_of: bool) -> Access {
    let Some(filter) = filter else {
        return Access::Scan;
    };
    let parts = conjuncts(filter);
    // `id = X` / `id in (…)`: the ids themselves.
    for part in &parts {
        let Some((field, lits)) = equality(part) else {
            continue;
        };
        if field.path.len() == 1 && field.path[0].node == "id" {
            let mut ids: Vec<String> = lits
                .into_iter()
                .filter_map(|l| match l {
                    Literal::String(s) => Some(s.clone()),
                    Literal::Number(n) => Some(format!("{n}")),
                    _ => None,
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            return Access::Ids(ids);
        }
    }
    let best = parts
        .iter()
        .filter_map(|p| index_range(kind, p, as_of))
        .min_by_key(|r| index_rank(r.index()));
    if let Some(range) = &best
        && index_rank(range.index()) <= 2
    {
        return from_index(range.clone());
    }
    if kind == Kind::Claim
        && let Some(join) = semi_join(&parts, as_of)
    {
        return Access::SemiJoin(join);
    }
    best.map_or(Access::Scan, from_index)
}

/// Rows from a covering index when the range is one value's run (its
/// entries come in id order), else the records of the ids it lists.
fn from_index(range: IndexRange) -> Access {
    if range.index().holds_rows() && range.one_value() {
        Access::IndexRows(range)
    } else {
        Access::IndexRange(range)
    }
}

/// The index range for one conjunct, if it is an indexed condition:
/// `=`, `in`, `has`, or `<`/`<=`/`>`/`>=` on ordered values.
fn index_range(kind: Kind, expr: &Expr, as_of: bool) -> Option<IndexRange> {
    let (field, lits, op) = match expr {
        Expr::Compare { field, op, value } => (field, vec![&value.node], op.node),
        Expr::In {
            field,
            negated: false,
            values,
        } => (
            field,
            values.iter().map(|v| &v.node).collect(),
            CompareOp::Eq,
        ),
        Expr::Has { field, value } => (field, vec![&value.node], CompareOp::Eq),
        _ => return None,
    };
    if field.path.len() != 1 {
        return None;
    }
    let op = match op {
        CompareOp::Eq => RangeOp::Eq,
        CompareOp::Lt => RangeOp::Lt,
        CompareOp::Le => RangeOp::Le,
        CompareOp::Gt => RangeOp::Gt,
        CompareOp::Ge => RangeOp::Ge,
        CompareOp::Ne => return None,
    };
    let index = IndexId::for_field(kind, &field.path[0].node)?;
    if index.is_derived() && as_of {
        return None;
    }
    let values = lits
        .into_iter()
        .map(|lit| index_value(index, lit))
        .collect::<Option<Vec<_>>>()?;
    IndexRange::new(index, op, values)
}

/// A literal as the value `index` stores, if it is of that type (a date
/// may be written as a string).
fn index_value(index: IndexId, lit: &Literal) -> Option<IndexValue> {
    let dated = matches!(
        index,
        IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate
    );
    match (index, lit) {
        (IndexId::ClaimStatus, Literal::String(s)) => {
            Some(IndexValue::Status(Status::from_name(s)?))
        }
        (IndexId::ClaimConfidence, Literal::Number(n)) => Some(IndexValue::Number(*n)),
        (_, Literal::Date(d)) if dated => Some(IndexValue::Date(*d)),
        (_, Literal::String(s)) if dated => Some(IndexValue::Date(Date::parse(s)?)),
        (IndexId::ClaimStatus | IndexId::ClaimConfidence, _) => None,
        (_, Literal::String(s)) if !dated => Some(IndexValue::Text(s.clone())),
        _ => None,
    }
}

/// Preference among indexed conjuncts: the most selective kinds of index first.
fn index_rank(index: IndexId) -> u8 {
    match index {
        IndexId::EvidenceClaim
        | IndexId::ClaimSubject
        | IndexId::ResultModel
        | IndexId::EvidenceResult
        | IndexId::ResultCites => 0,
        IndexId::EvidenceSource
        | IndexId::ResultBenchmark
        | IndexId::ResultSource
        | IndexId::ClaimTags => 1,
        IndexId::ClaimCreated | IndexId::SourcePublished | IndexId::ResultDate => 2,
        IndexId::SourceKind => 3,
        IndexId::ClaimStatus | IndexId::ClaimConfidence => 4,
        // On no field: the planner never meets them.
        IndexId::ClaimBench | IndexId::ResultBench => 5,
    }
}

/// The semi-join for the first `any evidence (…)` conjunct that names
/// sources by id or by kind.
fn semi_join(parts: &[&Expr], as_of: bool) -> Option<SemiJoin> {
    for (at, part) in parts.iter().enumerate() {
        let Expr::Quantified {
            quantifier,
            condition: Some(condition),
            ..
        } = part
        else {
            continue;
        };
        if quantifier.node != Quantifier::Any {
            continue;
        }
        let inner = conjuncts(condition);
        for one in &inner {
            let sources = if let Some(ids) = string_values(one, &["source"]) {
                Sources::Ids(ids)
            } else if let Some(kinds) = string_values(one, &["source", "kind"]) {
                let values = kinds.into_iter().map(IndexValue::Text).collect();
                match IndexRange::new(IndexId::SourceKind, RangeOp::Eq, values) {
                    Some(range) => Sources::OfKinds(range),
                    None => continue,
                }
            } else {
                continue;
            };
            // A stance among the same conjuncts narrows the pieces further.
            let stance = inner.iter().find_map(|c| stance_of(c));
            // Exact when the condition says nothing else — this conjunct and
            // at most one stance — and every piece of evidence counts (an
            // `as of` view hides some).
            let others: Vec<&&Expr> = inner.iter().filter(|c| !std::ptr::eq(**c, *one)).collect();
            let exact = !as_of
                && match others.as_slice() {
                    [] => true,
                    [only] => stance_of(only).is_some(),
                    _ => false,
                };
            return Some(SemiJoin {
                sources,
                stance,
                covers: exact.then_some(at),
            });
        }
    }
    None
}

/// `stance = supports` (`true`) or `stance = refutes` (`false`).
fn stance_of(c: &Expr) -> Option<bool> {
    match string_values(c, &["stance"])?.as_slice() {
        [one] if one == "supports" => Some(true),
        [one] if one == "refutes" => Some(false),
        _ => None,
    }
}

/// The field and values of `field = v` or `field in (v, …)`.
fn equality(expr: &Expr) -> Option<(&Field, Vec<&Literal>)> {
    match expr {
        Expr::Compare { field, op, value } if op.node == CompareOp::Eq => {
            Some((field, vec![&value.node]))
        }
        Expr::In {
            field,
            negated: false,
            values,
        } => Some((field, values.iter().map(|v| &v.node).collect())),
        _ => None,
    }
}

/// The string values of `path = "v"` or `path in ("v", …)`.
fn string_values(expr: &Expr, path: &[&str]) -> Option<Vec<String>> {
    let (field, lits) = equality(expr)?;
    if field.path.len() != path.len() || field.path.iter().zip(path).any(|(a, b)| a.node != *b) {
        return None;
    }
    lits.into_iter()
        .map(|l| match l {
            Literal::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Which plan each kind of statement gets (after GlueSQL's
/// `planner/index.rs` tests). Each case fails if its statement stops using
/// its index, its counts or its semi-join.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::ast::StatementKind;
    use crate::query::parse_statement;
    use IndexId::*;
    use RangeOp::{Eq, Ge, Gt, Lt};

    fn plan_of(text: &str) -> Plan {
        let statement = parse_statement(text).expect("the statement parses");
        match &statement.kind {
            StatementKind::Query(q) => plan_query(q),
            StatementKind::Count(c) => plan_count(c),
            other => panic!("not a query or count: {other:?}"),
        }
    }

    fn range(index: IndexId, op: RangeOp, values: Vec<IndexValue>) -> IndexRange {
        IndexRange::new(index, op, values).expect("the index answers the range")
    }

    fn text(s: &str) -> IndexValue {
        IndexValue::Text(s.into())
    }

    fn date(s: &str) -> IndexValue {
        IndexValue::Date(Date::parse(s).expect("a date"))
    }

    /// The records of the ids an index range lists.
    fn listed(index: IndexId, op: RangeOp, values: Vec<IndexValue>) -> Plan {
        Plan::Rows(Access::IndexRange(range(index, op, values)))
    }

    /// The rows a covering index holds for one value.
    fn covered(index: IndexId, value: IndexValue) -> Plan {
        Plan::Rows(Access::IndexRows(range(index, Eq, vec![value])))
    }

    fn by_ids(ids: &[&str]) -> Plan {
        Plan::Rows(Access::Ids(ids.iter().map(|s| s.to_string()).collect()))
    }

    const SCAN: Plan = Plan::Rows(Access::Scan);
    const GROUP_SCAN: Plan = Plan::Groups(Access::Scan);

    fn groups(access: Access) -> Plan {
        Plan::Groups(access)
    }

    #[test]
    fn ids() {
        let cases = [
            (
                "claims where id = c1",
                by_ids(&["c1"]),
                "id equality reads that record",
            ),
            (
                "claims where id in (c2, c1, c2)",
                by_ids(&["c1", "c2"]),
                "id in reads those records, sorted and distinct",
            ),
            (
                "claims where subject = x and id = c1",
                by_ids(&["c1"]),
                "ids beat every index",
            ),
            ("sources where id = s1", by_ids(&["s1"]), "ids of any kind"),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn each_indexed_field() {
        let status = |s| IndexValue::Status(s);
        let cases = [
            (
                "claims where status = verified",
                listed(ClaimStatus, Eq, vec![status(Status::Verified)]),
                "status equality uses the status index",
            ),
            (
                "claims where status in (verified, refuted)",
                listed(
                    ClaimStatus,
                    Eq,
                    vec![status(Status::Verified), status(Status::Refuted)],
                ),
                "status in uses one run per status",
            ),
            (
                "claims where confidence >= 0.5",
                listed(ClaimConfidence, Ge, vec![IndexValue::Number(0.5)]),
                "a confidence range uses the confidence index",
            ),
            (
                "claims where confidence = 0.5",
                covered(ClaimConfidence, IndexValue::Number(0.5)),
                "one confidence reads the claim rows the index holds",
            ),
            (
                "claims where created < 2024-01-01",
                listed(ClaimCreated, Lt, vec![date("2024-01-01")]),
                "a date range uses the created index",
            ),
            (
                "claims where created = \"2024-01-01\"",
                listed(ClaimCreated, Eq, vec![date("2024-01-01")]),
                "a date written as a string is a date",
            ),
            (
                "claims where subject = x",
                covered(ClaimSubject, text("x")),
                "one subject reads the claim rows the index holds",
            ),
            (
                "claims where subject in (a, b)",
                listed(ClaimSubject, Eq, vec![text("a"), text("b")]),
                "several subjects list ids (two runs are not in id order)",
            ),
            (
                "claims where tags has x",
                listed(ClaimTags, Eq, vec![text("x")]),
                "has uses the tags index",
            ),
            (
                "sources where kind = memo",
                listed(SourceKind, Eq, vec![text("memo")]),
                "source kind uses its index",
            ),
            (
                "sources where kind in (memo, paper)",
                listed(SourceKind, Eq, vec![text("memo"), text("paper")]),
                "source kind in uses its index",
            ),
            (
                "sources where published >= 2020-01-01",
                listed(SourcePublished, Ge, vec![date("2020-01-01")]),
                "a published range uses its index",
            ),
            (
                "evidence where claim = c1",
                listed(EvidenceClaim, Eq, vec![text("c1")]),
                "evidence by claim uses its index",
            ),
            (
                "evidence where source = s1",
                listed(EvidenceSource, Eq, vec![text("s1")]),
                "evidence by source uses its index",
            ),
            (
                "evidence where result = r1",
                listed(EvidenceResult, Eq, vec![text("r1")]),
                "evidence by result uses its index",
            ),
            (
                "results where model = m",
                covered(ResultModel, text("m")),
                "one model reads the results the index holds",
            ),
            (
                "results where benchmark = b",
                listed(ResultBenchmark, Eq, vec![text("b")]),
                "benchmark uses its index",
            ),
            (
                "results where source = s1",
                listed(ResultSource, Eq, vec![text("s1")]),
                "a result's source uses its index",
            ),
            (
                "results where date > 2024-01-01",
                listed(ResultDate, Gt, vec![date("2024-01-01")]),
                "a result date range uses its index",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn scans() {
        let cases = [
            ("claims", "no filter reads everything"),
            ("claims where subject != x", "!= is no range"),
            ("claims where status != verified", "!= is no range"),
            ("claims where subject ~ \"x\"", "~ matches inside values"),
            ("claims where text ~ \"rate\"", "~ on an unindexed field"),
            ("claims where subject < x", "string ranges are not key runs"),
            ("claims where status = nonsense", "no such status"),
            (
                "claims where tags has x or subject = y",
                "an or is no conjunct",
            ),
            ("claims where not subject = x", "a negation is no range"),
            ("claims where subject not in (a, b)", "not in is no range"),
            ("sources where publisher = x", "publisher has no index"),
            (
                "sources where affiliations has x",
                "affiliations has no index",
            ),
            (
                "claims where evidence_count > 1",
                "derived count has no index",
            ),
        ];
        for (text, why) in cases {
            assert_eq!(plan_of(text), SCAN, "{why}: {text}");
        }
    }

    #[test]
    fn ranking_among_indexed_conjuncts() {
        let cases = [
            (
                "claims where status = verified and subject = x",
                covered(ClaimSubject, text("x")),
                "subject outranks status",
            ),
            (
                "claims where confidence > 0.5 and created >= 2024-01-01 and tags has x",
                listed(ClaimTags, Eq, vec![text("x")]),
                "tags outrank dates and confidence",
            ),
            (
                "claims where confidence > 0.5 and created >= 2024-01-01",
                listed(ClaimCreated, Ge, vec![date("2024-01-01")]),
                "dates outrank confidence",
            ),
            (
                "sources where kind = memo and published >= 2020-01-01",
                listed(SourcePublished, Ge, vec![date("2020-01-01")]),
                "dates outrank source kind",
            ),
            (
                "results where benchmark = b and model = m",
                covered(ResultModel, text("m")),
                "model outranks benchmark",
            ),
            (
                "evidence where source = s1 and claim = c1",
                listed(EvidenceClaim, Eq, vec![text("c1")]),
                "claim outranks source",
            ),
            (
                "claims where subject ~ \"x\" and status = verified",
                listed(ClaimStatus, Eq, vec![IndexValue::Status(Status::Verified)]),
                "an unindexed conjunct leaves the indexed one",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn as_of_refuses_derived_indexes() {
        let cases = [
            (
                "claims as of 2024-01-01 where status = verified",
                SCAN,
                "today's status is not the status then",
            ),
            (
                "claims as of 2024-01-01 where confidence >= 0.5",
                SCAN,
                "today's confidence is not the confidence then",
            ),
            (
                "claims as of 2024-01-01 where status = verified and tags has x",
                listed(ClaimTags, Eq, vec![text("x")]),
                "stored fields' indexes still answer",
            ),
            (
                "claims as of 2024-01-01 where subject = x",
                covered(ClaimSubject, text("x")),
                "the subject index holds stored rows",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn semi_join_through_sources_and_evidence() {
        let memo = || Sources::OfKinds(range(SourceKind, Eq, vec![text("memo")]));
        let join = |sources, stance, covers| {
            Plan::Rows(Access::SemiJoin(SemiJoin {
                sources,
                stance,
                covers,
            }))
        };
        let cases = [
            (
                "claims where any evidence (source.kind = memo)",
                join(memo(), None, Some(0)),
                "sources by kind, then evidence by source, cover the conjunct",
            ),
            (
                "claims where status = verified and any evidence (source.kind = memo and stance = refutes)",
                join(memo(), Some(false), Some(1)),
                "a stance narrows the join, which beats the status index",
            ),
            (
                "claims where any evidence (source = s1 and strength >= 0.5)",
                join(Sources::Ids(vec!["s1".into()]), None, None),
                "sources by id; another condition leaves the conjunct to check",
            ),
            (
                "claims as of 2024-01-01 where any evidence (source.kind = memo)",
                join(memo(), None, None),
                "as of hides some evidence: the join is a superset",
            ),
            (
                "claims where tags has x and any evidence (source.kind = memo)",
                listed(ClaimTags, Eq, vec![text("x")]),
                "a selective index beats the join",
            ),
            (
                "claims where all evidence (source.kind = memo)",
                SCAN,
                "all is no semi-join",
            ),
            (
                "sources where any evidence (stance = refutes)",
                SCAN,
                "only claims join through the evidence",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn counts() {
        let cases = [
            (
                "count claims",
                Plan::Counter,
                "a plain count reads the counter",
            ),
            ("count sources", Plan::Counter, "of any kind"),
            (
                "count claims as of 2024-01-01",
                SCAN,
                "the counter is today's",
            ),
            (
                "count claims where status = verified",
                Plan::CountEntries(range(
                    ClaimStatus,
                    Eq,
                    vec![IndexValue::Status(Status::Verified)],
                )),
                "one indexed condition counts index entries",
            ),
            (
                "count claims where tags has x",
                Plan::CountEntries(range(ClaimTags, Eq, vec![text("x")])),
                "has counts index entries",
            ),
            (
                "count claims where status = verified and tags has x",
                listed(ClaimTags, Eq, vec![text("x")]),
                "several conditions count the rows an index lists",
            ),
            (
                "count claims as of 2024-01-01 where tags has x",
                listed(ClaimTags, Eq, vec![text("x")]),
                "as of counts the rows an index lists",
            ),
            (
                "count claims group by status",
                Plan::StatusCounts,
                "status groups from the counters",
            ),
            (
                "count sources group by kind",
                Plan::GroupCounts(SourceKind),
                "kind groups from kept counts",
            ),
            (
                "count results group by model",
                Plan::GroupCounts(ResultModel),
                "model groups from kept counts",
            ),
            (
                "count claims group by subject",
                Plan::GroupCounts(ClaimSubject),
                "subject groups from kept counts",
            ),
            (
                "count claims group by tags",
                GROUP_SCAN,
                "a list's groups also count records with none",
            ),
            (
                "count claims group by confidence",
                GROUP_SCAN,
                "derived values have no kept counts",
            ),
            (
                "count claims as of 2024-01-01 group by status",
                GROUP_SCAN,
                "the counters are today's",
            ),
            (
                "count claims where tags has x group by status",
                groups(Access::IndexRange(range(ClaimTags, Eq, vec![text("x")]))),
                "a filtered group by walks the rows an index lists",
            ),
            (
                "count claims order by count desc limit 1",
                Plan::Counter,
                "order and limit on the one row still read the counter",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn groups_and_aggregates() {
        let cases = [
            (
                "count claims where status = contested group by subject order by count desc limit 5",
                groups(Access::IndexRange(range(
                    ClaimStatus,
                    Eq,
                    vec![IndexValue::Status(Status::Contested)],
                ))),
                "a filtered count group walks the rows its index lists, once",
            ),
            (
                "count claims group by subject order by count desc limit 5",
                Plan::GroupCounts(ClaimSubject),
                "kept per-value counts answer, ordered and cut afterwards",
            ),
            (
                "count claims group by status order by count desc",
                Plan::StatusCounts,
                "the status counters answer an ordered count too",
            ),
            (
                "count claims group by status order by avg(confidence) desc",
                GROUP_SCAN,
                "an aggregate in a count's order by needs the rows",
            ),
            (
                "count results group by model order by max(value) desc, count",
                GROUP_SCAN,
                "so does one beside count",
            ),
            (
                "count results group by metric",
                GROUP_SCAN,
                "metric has no kept counts: one pass over the results",
            ),
            (
                "count results group by model, benchmark",
                GROUP_SCAN,
                "two fields have no kept counts",
            ),
            (
                "count results group by source.kind",
                GROUP_SCAN,
                "a dotted field has no kept counts",
            ),
            (
                "results group by model",
                Plan::GroupCounts(ResultModel),
                "a query's groups asking only their count use the kept counts",
            ),
            (
                "claims group by status order by count desc select status, count",
                Plan::StatusCounts,
                "status groups of a query from the counters",
            ),
            (
                "results group by model select model, avg(value)",
                GROUP_SCAN,
                "an aggregate over values needs the rows",
            ),
            (
                "results group by model order by max(value) desc limit 3 select model",
                GROUP_SCAN,
                "an aggregate in order by needs the rows too",
            ),
            (
                "results where benchmark = b group by model select model, max(value)",
                groups(Access::IndexRange(range(
                    ResultBenchmark,
                    Eq,
                    vec![text("b")],
                ))),
                "a filter's index narrows the pass",
            ),
            (
                "results where model = m group by benchmark",
                groups(Access::IndexRows(range(ResultModel, Eq, vec![text("m")]))),
                "one model's rows come from its covering index",
            ),
            (
                "claims as of 2024-01-01 group by status",
                GROUP_SCAN,
                "the counters are today's",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }

    #[test]
    fn top_by_confidence() {
        let top = |descending| Plan::TopByConfidence { descending };
        let cases = [
            (
                "claims order by confidence desc limit 20",
                top(true),
                "the top 20 walk the confidence index from its end",
            ),
            (
                "claims order by confidence limit 20",
                top(false),
                "the bottom 20 walk it from its start",
            ),
            (
                "claims where tags has x order by confidence desc limit 5",
                top(true),
                "a filter is checked on the rows walked",
            ),
            (
                "claims order by confidence desc limit 5 offset 10",
                top(true),
                "an offset is a longer walk",
            ),
            (
                "claims order by confidence desc",
                SCAN,
                "without a limit every claim is sorted",
            ),
            (
                "claims as of 2024-01-01 order by confidence desc limit 20",
                SCAN,
                "today's confidence is not the confidence then",
            ),
            (
                "claims order by confidence desc, id limit 20",
                SCAN,
                "a second key is sorted",
            ),
            (
                "claims order by created desc limit 20",
                SCAN,
                "only confidence has a covering walk",
            ),
        ];
        for (text, expected, why) in cases {
            assert_eq!(plan_of(text), expected, "{why}: {text}");
        }
    }
}
