//! Groups and aggregates (SPEC 4.2 "Groups"): one pass over the rows a plan
//! reads, keeping a map from group key to accumulators — memory grows with
//! the number of groups, never with the rows — then the group rows ordered,
//! paged and shaped. Counts already kept on write (see
//! [`super::plan::plan_count`]) arrive as finished groups instead.

use super::access::{fold_scan, for_each_row};
use super::columns::{RowColumns, row_values};
use super::eval::{Ctx, order_values, output_value, path};
use super::output::{Output, Value};
use super::parallel::fold_projected;
use super::plan::Access;
use crate::model::fields::FieldValue;
use crate::model::{Date, Derived, Record};
use crate::query::ast::{AggregateFn, Expr, Field, Item, OrderKey};
use crate::store::{Projection, Store};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

/// What a grouped statement asks for, whichever statement it came from.
pub(super) struct GroupSpec<'q> {
    /// `group by F1, F2, …`
    pub(super) group_by: &'q [Field],
    /// The row's members: the `select` items, or the group fields then `count`.
    pub(super) items: Vec<Item>,
    /// `order by …`
    pub(super) order_by: &'q [OrderKey],
    /// `limit n`
    pub(super) limit: Option<u64>,
    /// `offset m`
    pub(super) offset: Option<u64>,
}

impl<'q> GroupSpec<'q> {
    /// The spec of a statement with these clauses; without `select`, a row
    /// is the group fields then `count`.
    pub(super) fn new(
        group_by: &'q [Field],
        select: &[Item],
        order_by: &'q [OrderKey],
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> GroupSpec<'q> {
        let items = if select.is_empty() {
            group_by
                .iter()
                .cloned()
                .map(Item::Field)
                .chain([Item::Aggregate(crate::query::ast::Aggregate {
                    function: AggregateFn::Count,
                    field: None,
                    span: 0..0,
                })])
                .collect()
        } else {
            select.to_vec()
        };
        GroupSpec {
            group_by,
            items,
            order_by,
            limit,
            offset,
        }
    }

    /// The members' names: a field's path, an aggregate as written
    /// canonically (`avg(value)`).
    fn columns(&self) -> Vec<String> {
        self.items.iter().map(|i| i.to_string()).collect()
    }
}

/// One aggregate to accumulate per group: its function and field path.
#[derive(Clone, PartialEq)]
struct Wanted {
    function: AggregateFn,
    path: Vec<String>,
}

/// Where a row member or an order key takes its value from.
#[derive(Clone, Copy)]
enum Slot {
    /// The group key's value number n.
    Key(usize),
    /// The accumulated aggregate number n.
    Aggregate(usize),
}

/// One group's running aggregates, in the order of the wanted list.
#[derive(Clone)]
enum Acc {
    Count(u64),
    /// Sum and count of the present numbers (`avg` and `sum`).
    Sum(Total, u64),
    Min(Value),
    Max(Value),
}

/// A sum that keeps the low-order bits each addition loses (Neumaier's
/// compensated summation, as SQLite's `sum` and `avg` do): the result is
/// the exact sum rounded once, nearly always, so it does not depend on the
/// order the rows came in or on how a pass was split between threads.
#[derive(Clone, Copy, Default)]
struct Total {
    sum: f64,
    lost: f64,
}

impl Total {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        // Past the largest float the lost bits mean nothing (inf − inf).
        if t.is_finite() {
            self.lost += if self.sum.abs() >= x.abs() {
                (self.sum - t) + x
            } else {
                (x - t) + self.sum
            };
        }
        self.sum = t;
    }

    fn merge(&mut self, other: Total) {
        self.add(other.sum);
        self.lost += other.lost;
    }

    fn value(self) -> f64 {
        let total = self.sum + self.lost;
        if total.is_finite() { total } else { self.sum }
    }
}

impl Acc {
    fn new(function: AggregateFn) -> Acc {
        match function {
            AggregateFn::Count => Acc::Count(0),
            AggregateFn::Avg | AggregateFn::Sum => Acc::Sum(Total::default(), 0),
            AggregateFn::Min => Acc::Min(Value::Null),
            AggregateFn::Max => Acc::Max(Value::Null),
        }
    }

    /// Adds one record's value (`Null` when absent).
    fn add(&mut self, v: &Value) {
        match self {
            Acc::Count(n) => *n += 1,
            Acc::Sum(sum, n) => {
                let x = match v {
                    Value::Number(x) => *x,
                    Value::Integer(i) => *i as f64,
                    _ => return,
                };
                sum.add(x);
                *n += 1;
            }
            Acc::Min(m) => {
                if !matches!(v, Value::Null)
                    && (matches!(m, Value::Null) || order_values(v, m) == Ordering::Less)
                {
                    *m = v.clone();
                }
            }
            Acc::Max(m) => {
                if !matches!(v, Value::Null)
                    && (matches!(m, Value::Null) || order_values(v, m) == Ordering::Greater)
                {
                    *m = v.clone();
                }
            }
        }
    }

    /// Adds one record's stored value, borrowed: counts and sums read it
    /// where it lies.
    fn add_field(&mut self, v: &FieldValue<'_>) {
        match (self, v) {
            (Acc::Count(n), _) => *n += 1,
            (Acc::Sum(sum, n), FieldValue::Number(x)) => {
                sum.add(*x);
                *n += 1;
            }
            (Acc::Sum(sum, n), FieldValue::Integer(i)) => {
                sum.add(*i as f64);
                *n += 1;
            }
            (Acc::Sum(..), _) | (_, FieldValue::Absent) => {}
            (acc, v) => acc.add(&output_value(*v)),
        }
    }

    /// Adds what another pass over other rows accumulated.
    fn merge(&mut self, other: &Acc) {
        match (self, other) {
            (Acc::Count(n), Acc::Count(m)) => *n += m,
            (Acc::Sum(sum, n), Acc::Sum(other_sum, m)) => {
                sum.merge(*other_sum);
                *n += m;
            }
            (acc, Acc::Min(v) | Acc::Max(v)) => acc.add(v),
            // Both sides accumulate the same wanted list.
            _ => {}
        }
    }

    fn finish(&self, function: AggregateFn) -> Value {
        match (self, function) {
            (Acc::Count(n), _) => Value::Integer(i64::try_from(*n).unwrap_or(i64::MAX)),
            (Acc::Sum(_, 0), _) => Value::Null,
            (Acc::Sum(sum, n), AggregateFn::Avg) => Value::Number(sum.value() / *n as f64),
            (Acc::Sum(sum, _), _) => Value::Number(sum.value()),
            (Acc::Min(v) | Acc::Max(v), _) => v.clone(),
        }
    }
}

/// A group key in the order of `order by` (absent last, `false` before
/// `true`).
#[derive(PartialEq)]
struct Key(Vec<Value>);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        Key::cmp_values(&self.0, &other.0)
    }
}

impl Key {
    /// Ascending group order: by the first value, then the next, …
    fn cmp_values(a: &[Value], b: &[Value]) -> Ordering {
        a.iter()
            .zip(b)
            .map(|(x, y)| order_values(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// How one statement's groups are gathered and shaped, worked out once.
struct Layout {
    wanted: Vec<Wanted>,
    members: Vec<Slot>,
    order: Vec<(Slot, bool)>,
}

fn layout(spec: &GroupSpec<'_>) -> Layout {
    let group_paths: Vec<Vec<&str>> = spec.group_by.iter().map(path).collect();
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut slot = |item: &Item| -> Slot {
        match item {
            Item::Field(f) => {
                let p = path(f);
                // The checker lets only group fields through.
                Slot::Key(group_paths.iter().position(|g| *g == p).unwrap_or(0))
            }
            Item::Aggregate(a) => {
                let w = Wanted {
                    function: a.function,
                    path: a
                        .field
                        .as_ref()
                        .map(|f| path(f).into_iter().map(str::to_owned).collect())
                        .unwrap_or_default(),
                };
                let at = wanted.iter().position(|x| *x == w).unwrap_or_else(|| {
                    wanted.push(w);
                    wanted.len() - 1
                });
                Slot::Aggregate(at)
            }
        }
    };
    let members = spec.items.iter().map(&mut slot).collect();
    let order = spec
        .order_by
        .iter()
        .map(|k| (slot(&k.item), k.descending))
        .collect();
    Layout {
        wanted,
        members,
        order,
    }
}

/// Finished groups: each key's values and its aggregates' values.
type Groups = Vec<(Vec<Value>, Vec<Value>)>;

/// Groups while rows come: each key's accumulators.
type GroupMap = HashMap<Vec<Hashed>, Vec<Acc>>;

/// A group key's value in a hash map: equal exactly when `order by` finds
/// them equal, so the groups are those of [`order_values`].
struct Hashed(Value);

impl PartialEq for Hashed {
    fn eq(&self, other: &Self) -> bool {
        order_values(&self.0, &other.0) == Ordering::Equal
    }
}

impl Eq for Hashed {}

impl Hash for Hashed {
    fn hash<H: Hasher>(&self, h: &mut H) {
        hash_value(&self.0, h);
    }
}

fn hash_value<H: Hasher>(v: &Value, h: &mut H) {
    std::mem::discriminant(v).hash(h);
    match v {
        Value::Null | Value::Object(_) => {}
        Value::Bool(b) => b.hash(h),
        Value::Integer(n) => n.hash(h),
        // `order_values` compares numbers with `total_cmp`: equal means
        // the same bits.
        Value::Number(n) => n.to_bits().hash(h),
        Value::String(s) => s.hash(h),
        Value::Date(d) => d.hash(h),
        Value::List(items) => items.iter().for_each(|i| hash_value(i, h)),
    }
}

/// Runs a grouped statement over the rows `access` reads and `filter` passes.
pub(super) fn run_groups(
    store: &Store,
    kind: crate::model::Kind,
    as_of: Option<Date>,
    filter: Option<&Expr>,
    access: &Access,
    spec: &GroupSpec<'_>,
) -> Result<Output, crate::Error> {
    let layout = layout(spec);
    let keys_n = spec.group_by.len();
    // One row of values per record: the group fields, then the aggregates'
    // fields (`count` has none), each read once; a text field is moved out
    // of the record rather than copied.
    let mut columns: Vec<String> = spec.group_by.iter().map(|g| path(g).join(".")).collect();
    let mut argument: Vec<Option<usize>> = Vec::with_capacity(layout.wanted.len());
    for w in &layout.wanted {
        argument.push(match w.function {
            AggregateFn::Count => None,
            _ => {
                columns.push(w.path.join("."));
                Some(columns.len() - 1 - keys_n)
            }
        });
    }
    if let (Access::Scan, None, None) = (access, filter, as_of) {
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        if let Some(projection) = Projection::new(kind, &names) {
            let gathered = gather_projected(store, &projection, &layout, keys_n, &argument)?;
            let groups = gathered
                .groups
                .into_iter()
                .map(|g| (g.key, g.accs))
                .collect();
            return Ok(finish(spec, &layout, groups));
        }
    }
    let row_columns = RowColumns::new(kind, &columns);
    let fresh: Vec<Acc> = layout.wanted.iter().map(|w| Acc::new(w.function)).collect();
    let add = |accs: &mut Vec<Acc>, args: &[Value]| {
        for (acc, at) in accs.iter_mut().zip(&argument) {
            match at {
                Some(at) => acc.add(args.get(*at).unwrap_or(&Value::Null)),
                None => acc.add(&Value::Null),
            }
        }
    };
    // Hashed, not ordered, while rows come: the groups are sorted once at
    // the end (the ordered map's comparisons were a tenth of the pass).
    let fold = |map: &mut GroupMap,
                ctx: &mut Ctx<'_>,
                record: Record,
                derived: Option<Derived>|
     -> Result<(), crate::Error> {
        let mut values = row_values(ctx, record, derived, &row_columns)?;
        let args = values.split_off(keys_n.min(values.len()));
        if !values.iter().any(|v| matches!(v, Value::List(_))) {
            let key: Vec<Hashed> = values.into_iter().map(Hashed).collect();
            add(map.entry(key).or_insert_with(|| fresh.clone()), &args);
            return Ok(());
        }
        // A list groups by each distinct element; none is absent.
        let mut keys: Vec<Vec<Value>> = vec![Vec::with_capacity(keys_n)];
        for v in values {
            match v {
                Value::List(mut items) if !items.is_empty() => {
                    items.sort_by(order_values);
                    items.dedup();
                    let mut next = Vec::with_capacity(keys.len() * items.len());
                    for k in &keys {
                        for item in &items {
                            let mut k = k.clone();
                            k.push(item.clone());
                            next.push(k);
                        }
                    }
                    keys = next;
                }
                Value::List(_) => keys.iter_mut().for_each(|k| k.push(Value::Null)),
                v => keys.iter_mut().for_each(|k| k.push(v.clone())),
            }
        }
        for k in keys {
            let key: Vec<Hashed> = k.into_iter().map(Hashed).collect();
            add(map.entry(key).or_insert_with(|| fresh.clone()), &args);
        }
        Ok(())
    };
    let map = match access {
        // Every record, in no order that matters: each thread folds its own
        // blocks into its own groups, evaluating its rows itself — in an
        // `as of` view, each claim's derivation on the day is most of the
        // work, which `for_each_row` would do on this thread alone.
        Access::Scan => {
            let mut maps =
                fold_scan(store, kind, as_of, filter, &GroupMap::new, &fold)?.into_iter();
            let mut map = maps.next().unwrap_or_default();
            for other in maps {
                for (key, accs) in other {
                    match map.entry(key) {
                        Entry::Occupied(mut mine) => {
                            for (acc, theirs) in mine.get_mut().iter_mut().zip(&accs) {
                                acc.merge(theirs);
                            }
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(accs);
                        }
                    }
                }
            }
            map
        }
        _ => {
            let mut map = GroupMap::new();
            let mut ctx = Ctx::new(store, as_of);
            for_each_row(
                &mut ctx,
                kind,
                access,
                filter,
                &mut |ctx, record, derived| {
                    fold(&mut map, ctx, record, derived)?;
                    Ok(true)
                },
            )?;
            map
        }
    };
    let groups = map
        .into_iter()
        .map(|(k, accs)| (k.into_iter().map(|h| h.0).collect(), accs))
        .collect();
    Ok(finish(spec, &layout, groups))
}

/// The rows of gathered groups (each key's values and accumulators).
fn finish(spec: &GroupSpec<'_>, layout: &Layout, gathered: Vec<(Vec<Value>, Vec<Acc>)>) -> Output {
    let mut groups: Groups = gathered
        .into_iter()
        .map(|(key, accs)| {
            let values = accs
                .iter()
                .zip(&layout.wanted)
                .map(|(a, w)| a.finish(w.function))
                .collect();
            (key, values)
        })
        .collect();
    groups.sort_by(|a, b| Key::cmp_values(&a.0, &b.0));
    shape(spec, layout, groups)
}

/// One group found by a projected pass: its key's hash (by
/// [`hash_fields`]) and values, and its accumulators.
struct Group {
    hash: u64,
    key: Vec<Value>,
    accs: Vec<Acc>,
}

/// The groups of one thread's share of a projected pass.
struct Gathered<'h> {
    groups: Vec<Group>,
    /// Numbers in `groups`, found by their key's hash.
    table: hashbrown::HashTable<usize>,
    /// The group of the last row: neighbouring records often share their
    /// group (results are imported model by model), and comparing with
    /// it spares hashing.
    last: Option<usize>,
    hasher: &'h RandomState,
}

impl<'h> Gathered<'h> {
    fn new(hasher: &'h RandomState) -> Self {
        Gathered {
            groups: Vec::new(),
            table: hashbrown::HashTable::new(),
            last: None,
            hasher,
        }
    }

    /// The number of the group with this key, made (its key owned) the
    /// first time the key is seen.
    fn group_of(&mut self, key: &[FieldValue<'_>], fresh: &[Acc]) -> usize {
        if let Some(at) = self.last
            && same_key(&self.groups[at].key, key)
        {
            return at;
        }
        let hash = self.hasher.hash_one(KeyFields(key));
        let groups = &self.groups;
        let at = match self.table.find(hash, |&g| same_key(&groups[g].key, key)) {
            Some(&at) => at,
            None => self.insert(Group {
                hash,
                key: key.iter().map(|v| output_value(*v)).collect(),
                accs: fresh.to_vec(),
            }),
        };
        self.last = Some(at);
        at
    }

    fn insert(&mut self, group: Group) -> usize {
        let at = self.groups.len();
        let hash = group.hash;
        self.groups.push(group);
        let groups = &self.groups;
        self.table.insert_unique(hash, at, |&g| groups[g].hash);
        at
    }

    /// Adds another share's groups to these.
    fn merge(&mut self, other: Gathered<'_>) {
        for group in other.groups {
            let groups = &self.groups;
            let found = self.table.find(group.hash, |&g| {
                Key::cmp_values(&groups[g].key, &group.key).is_eq()
            });
            match found {
                Some(&at) => {
                    for (acc, theirs) in self.groups[at].accs.iter_mut().zip(&group.accs) {
                        acc.merge(theirs);
                    }
                }
                None => {
                    self.insert(group);
                }
            }
        }
    }
}

/// Groups the records of a whole kind read through `projection` (the
/// group fields, then the aggregates' fields): no record is decoded
/// whole, and a group's key is owned once, when it is first seen.
fn gather_projected(
    store: &Store,
    projection: &Projection,
    layout: &Layout,
    keys_n: usize,
    argument: &[Option<usize>],
) -> Result<Gathered<'static>, crate::Error> {
    let fresh: Vec<Acc> = layout.wanted.iter().map(|w| Acc::new(w.function)).collect();
    static HASHER: std::sync::LazyLock<RandomState> = std::sync::LazyLock::new(RandomState::new);
    let hasher: &'static RandomState = &HASHER;
    let shares = fold_projected(
        store,
        projection,
        &|| Gathered::new(hasher),
        &|gathered: &mut Gathered<'_>, row: &[FieldValue<'_>]| {
            let (key, args) = row.split_at(keys_n.min(row.len()));
            let at = gathered.group_of(key, &fresh);
            for (acc, arg) in gathered.groups[at].accs.iter_mut().zip(argument) {
                match arg.and_then(|a| args.get(a)) {
                    Some(v) => acc.add_field(v),
                    None => acc.add_field(&FieldValue::Absent),
                }
            }
        },
    )?;
    let mut shares = shares.into_iter();
    let mut all = shares.next().unwrap_or_else(|| Gathered::new(hasher));
    shares.for_each(|share| all.merge(share));
    Ok(all)
}

/// A borrowed key, hashed as [`Gathered`] hashes every key.
struct KeyFields<'k, 'b>(&'k [FieldValue<'b>]);

impl Hash for KeyFields<'_, '_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for v in self.0 {
            std::mem::discriminant(v).hash(h);
            match v {
                FieldValue::Absent | FieldValue::List(_) => {}
                FieldValue::Text(t) => t.hash(h),
                FieldValue::Number(n) => n.to_bits().hash(h),
                FieldValue::Integer(n) => n.hash(h),
                FieldValue::Bool(b) => b.hash(h),
                FieldValue::Date(d) => d.hash(h),
            }
        }
    }
}

/// Whether a group's key is this borrowed one: equal as [`order_values`]
/// finds the values `output_value` makes of them.
fn same_key(key: &[Value], fields: &[FieldValue<'_>]) -> bool {
    key.len() == fields.len()
        && key.iter().zip(fields).all(|(k, f)| match (k, f) {
            (Value::Null, FieldValue::Absent) => true,
            (Value::String(s), FieldValue::Text(t)) => s == t,
            (Value::Number(a), FieldValue::Number(b)) => a.total_cmp(b).is_eq(),
            (Value::Integer(a), FieldValue::Integer(b)) => a == b,
            (Value::Bool(a), FieldValue::Bool(b)) => a == b,
            (Value::Date(a), FieldValue::Date(b)) => a == b,
            _ => false,
        })
}

/// Rows from groups whose only aggregate is `count`, counted elsewhere (the
/// kept counts of one group field), in ascending key order.
pub(super) fn from_counts(spec: &GroupSpec<'_>, counts: Vec<(Value, u64)>) -> Output {
    let layout = layout(spec);
    let groups = counts
        .into_iter()
        .map(|(v, n)| {
            let values = layout
                .wanted
                .iter()
                .map(|w| match w.function {
                    AggregateFn::Count => Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)),
                    // The planner sends only counts here.
                    _ => Value::Null,
                })
                .collect();
            (vec![v], values)
        })
        .collect();
    shape(spec, &layout, groups)
}

/// Orders the groups (ascending key order unless `order by` says otherwise,
/// its ties broken by the key), pages them and builds each row's members.
fn shape(spec: &GroupSpec<'_>, layout: &Layout, mut groups: Groups) -> Output {
    let value = |g: &(Vec<Value>, Vec<Value>), slot: Slot| -> Value {
        match slot {
            Slot::Key(n) => g.0.get(n).cloned().unwrap_or(Value::Null),
            Slot::Aggregate(n) => g.1.get(n).cloned().unwrap_or(Value::Null),
        }
    };
    if !layout.order.is_empty() {
        // The map gave ascending keys; a stable sort keeps them for ties.
        groups.sort_by(|a, b| {
            for (slot, desc) in &layout.order {
                let (x, y) = (value(a, *slot), value(b, *slot));
                let ord = match (&x, &y) {
                    (Value::Null, _) | (_, Value::Null) => order_values(&x, &y),
                    _ if *desc => order_values(&y, &x),
                    _ => order_values(&x, &y),
                };
                if ord.is_ne() {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
    let offset = usize::try_from(spec.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = spec
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    let rows = groups
        .iter()
        .skip(offset)
        .take(limit)
        .map(|g| layout.members.iter().map(|s| value(g, *s)).collect())
        .collect();
    Output {
        columns: spec.columns(),
        rows,
        report: None,
        message: None,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(function: AggregateFn, values: &[Value]) -> Value {
        let mut acc = Acc::new(function);
        values.iter().for_each(|v| acc.add(v));
        acc.finish(function)
    }

    #[test]
    fn aggregates_skip_absent_values_and_give_null_without_any() {
        let nums = [Value::Number(1.0), Value::Null, Value::Number(2.0)];
        assert_eq!(run(AggregateFn::Count, &nums), Value::Integer(3));
        assert_eq!(run(AggregateFn::Sum, &nums), Value::Number(3.0));
        assert_eq!(run(AggregateFn::Avg, &nums), Value::Number(1.5));
        assert_eq!(run(AggregateFn::Min, &nums), Value::Number(1.0));
        assert_eq!(run(AggregateFn::Max, &nums), Value::Number(2.0));
        // Whole numbers (`evidence_count`) sum as floats.
        let counts = [Value::Integer(2), Value::Integer(3)];
        assert_eq!(run(AggregateFn::Avg, &counts), Value::Number(2.5));
        for f in [
            AggregateFn::Avg,
            AggregateFn::Sum,
            AggregateFn::Min,
            AggregateFn::Max,
        ] {
            assert_eq!(run(f, &[Value::Null]), Value::Null, "{f:?}");
            assert_eq!(run(f, &[]), Value::Null, "{f:?}");
        }
        assert_eq!(run(AggregateFn::Count, &[]), Value::Integer(0));
    }

    #[test]
    fn sums_do_not_depend_on_the_order_or_the_split() {
        // Added one by one, 1e16 + 1 loses the 1.
        assert_eq!(
            run(
                AggregateFn::Sum,
                &[
                    Value::Number(1e16),
                    Value::Number(1.0),
                    Value::Number(-1e16)
                ]
            ),
            Value::Number(1.0)
        );
        // Scores of many sizes, added in id order or in two shares (the
        // threads' blocks, alternately) merged after: the same last digit.
        let scores: Vec<Value> = (1..5000u32)
            .map(|i| Value::Number(f64::from(i.wrapping_mul(2_654_435_761) % 1000) / 997.0))
            .collect();
        for function in [AggregateFn::Avg, AggregateFn::Sum] {
            let serial = run(function, &scores);
            let (mut even, mut odd) = (Acc::new(function), Acc::new(function));
            for (block, rows) in scores.chunks(37).enumerate() {
                let share = if block % 2 == 0 { &mut even } else { &mut odd };
                rows.iter().for_each(|v| share.add(v));
            }
            even.merge(&odd);
            assert_eq!(even.finish(function), serial, "{function:?}");
        }
        let big = [Value::Number(f64::MAX), Value::Number(f64::MAX)];
        assert_eq!(run(AggregateFn::Sum, &big), Value::Number(f64::INFINITY));
    }

    #[test]
    fn min_and_max_order_strings_bytewise_and_dates_by_day() {
        let words = [Value::String("b".into()), Value::String("B".into())];
        assert_eq!(run(AggregateFn::Min, &words), Value::String("B".into()));
        assert_eq!(run(AggregateFn::Max, &words), Value::String("b".into()));
        let day = |s| Value::Date(Date::parse(s).expect("a day"));
        let days = [day("2024-02-01"), Value::Null, day("2023-12-31")];
        assert_eq!(run(AggregateFn::Min, &days), day("2023-12-31"));
        assert_eq!(run(AggregateFn::Max, &days), day("2024-02-01"));
    }

    #[test]
    fn group_keys_order_absent_last_and_false_before_true() {
        let mut keys = [
            Key(vec![Value::Null]),
            Key(vec![Value::Bool(true)]),
            Key(vec![Value::Bool(false)]),
        ];
        keys.sort();
        assert_eq!(
            keys.iter().map(|k| k.0[0].clone()).collect::<Vec<_>>(),
            [Value::Bool(false), Value::Bool(true), Value::Null]
        );
    }
}
