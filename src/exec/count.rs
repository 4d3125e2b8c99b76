//! Runs a count statement: from the counters, index entries or per-value
//! counts when its plan says so (no record decoded), else by walking the
//! rows its plan reads.

use super::access::for_each_row;
use super::eval::{Ctx, order_values, path};
use super::output::{Output, Value};
use super::plan::{Access, Plan};
use crate::model::{Kind, Status};
use crate::query::ast::Count;
use crate::store::IndexId;
use crate::store::{IndexValue, Store, StoreError};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Runs a count statement by its plan (see [`super::plan::plan_count`]).
pub fn run_count(store: &Store, c: &Count, plan: Plan) -> Result<Output, crate::Error> {
    let kind = c.collection.node;
    let as_of = c.as_of.as_ref().map(|d| d.node);
    let count_row = |n: u64| Output {
        columns: vec!["count".into()],
        rows: vec![vec![Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))]],
        report: None,
        message: None,
        notes: Vec::new(),
    };
    let Some(group) = &c.group_by else {
        let access = match plan {
            Plan::Counter => return Ok(count_row(store.counters()?.of_kind(kind))),
            Plan::CountEntries(range) => return Ok(count_row(store.count_in(&range)?)),
            Plan::Rows(access) => access,
            // A count's plan without `group by` is one of the above; were
            // it not, counting every row that passes is still right.
            _ => Access::Scan,
        };
        let mut n = 0u64;
        let mut ctx = Ctx::new(store, as_of);
        for_each_row(
            &mut ctx,
            kind,
            &access,
            c.filter.as_ref(),
            &mut |_, _, _| {
                n += 1;
                Ok(true)
            },
        )?;
        return Ok(count_row(n));
    };
    let group_path = path(group);
    let name = group_path.join(".");
    let mut groups: Vec<(Value, u64)> = Vec::new();
    let access = match plan {
        Plan::StatusCounts => {
            groups = status_counts(store)?;
            Access::Scan
        }
        Plan::GroupCounts(index) => {
            groups = value_counts(store, kind, index)?;
            Access::Scan
        }
        Plan::Rows(access) => access,
        _ => Access::Scan,
    };
    // Kept counts plan only statements without a filter, so what is left
    // to count is every row.
    if groups.is_empty() {
        let mut counts: BTreeMap<GroupKey, u64> = BTreeMap::new();
        let mut ctx = Ctx::new(store, as_of);
        for_each_row(
            &mut ctx,
            kind,
            &access,
            c.filter.as_ref(),
            &mut |ctx, record, derived| {
                match ctx.value(&record, derived.as_ref(), &group_path)? {
                    Value::List(items) if items.is_empty() => {
                        *counts.entry(GroupKey(Value::Null)).or_default() += 1
                    }
                    Value::List(items) => {
                        let mut items = items;
                        items.sort_by(order_values);
                        items.dedup();
                        for item in items {
                            *counts.entry(GroupKey(item)).or_default() += 1;
                        }
                    }
                    v => *counts.entry(GroupKey(v)).or_default() += 1,
                }
                Ok(true)
            },
        )?;
        groups = counts.into_iter().map(|(k, n)| (k.0, n)).collect();
    }
    Ok(Output {
        columns: vec![name, "count".into()],
        rows: groups
            .into_iter()
            .map(|(v, n)| vec![v, Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))])
            .collect(),
        report: None,
        message: None,
        notes: Vec::new(),
    })
}

/// `count claims group by status` from the status counters, in the order
/// of `order by`; statuses no claim has are left out.
fn status_counts(store: &Store) -> Result<Vec<(Value, u64)>, StoreError> {
    let counters = store.counters()?;
    let mut groups: Vec<(Value, u64)> = Status::ALL
        .into_iter()
        .filter(|s| counters.of_status(*s) > 0)
        .map(|s| (Value::String(s.name().into()), counters.of_status(s)))
        .collect();
    groups.sort_by(|a, b| order_values(&a.0, &b.0));
    Ok(groups)
}

/// `count … group by F` from F's index, without decoding a record; the
/// records with no value for F are counted as null, last.
fn value_counts(
    store: &Store,
    kind: Kind,
    index: IndexId,
) -> Result<Vec<(Value, u64)>, StoreError> {
    let counters = store.counters()?;
    let mut total = 0u64;
    let mut groups: Vec<(Value, u64)> = Vec::new();
    for (value, n) in store.value_counts(index)? {
        total += n;
        groups.push((
            match value {
                Some(IndexValue::Date(d)) => Value::Date(d),
                Some(IndexValue::Text(s)) => Value::String(s),
                // Group-counted indexes hold dates or text; anything
                // else did not decode.
                _ => Value::Null,
            },
            n,
        ));
    }
    let absent = counters.of_kind(kind).saturating_sub(total);
    if absent > 0 {
        groups.push((Value::Null, absent));
    }
    Ok(groups)
}

/// A value usable as an ordered map key: the order of `order by`.
#[derive(PartialEq)]
struct GroupKey(Value);

impl Eq for GroupKey {}

impl PartialOrd for GroupKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GroupKey {
    fn cmp(&self, other: &Self) -> Ordering {
        order_values(&self.0, &other.0)
    }
}
