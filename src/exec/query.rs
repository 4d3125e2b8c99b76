//! Runs a query statement: its plan's rows, in id order (streamed as they
//! come when there is no `order by`), or ordered with only the page kept.

use super::access::for_each_row;
use super::bind::optional;
use super::columns::{RowColumns, row_values};
use super::count::{status_counts, value_counts};
use super::eval::{Ctx, order_values, path};
use super::group::{GroupSpec, from_counts, run_groups};
use super::output::{Output, Value, write_error};
use super::plan::{Access, Plan};
use crate::model::{Kind, fields};
use crate::query::ast::{CompareOp, Expr, Field, Literal, Query};
use crate::store::{Store, decode_claim_row};
use std::cmp::Ordering;

/// A row kept for output, with its sort keys.
struct Kept {
    keys: Vec<Value>,
    id: String,
    row: Vec<Value>,
}

/// Runs a query statement by its plan (see [`super::plan::plan_query`]).
pub fn run_query(
    store: &Store,
    q: &Query,
    plan: Plan,
    mut stream: Option<&mut dyn super::RowSink>,
) -> Result<Output, crate::Error> {
    let kind = q.collection.node;
    if !q.group_by.is_empty() {
        return run_grouped(store, q, plan);
    }
    let mut ctx = Ctx::new(store, optional(&q.as_of)?);
    let columns: Vec<String> = if q.select.is_empty() {
        fields::default_row(kind)
            .map(|f| f.name.to_owned())
            .collect()
    } else {
        q.select.iter().map(|i| i.to_string()).collect()
    };
    // Split once per statement, not once per row.
    let row_columns = RowColumns::new(kind, &columns);
    let offset = usize::try_from(optional(&q.offset)?.unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = optional(&q.limit)?.map(|l| usize::try_from(l).unwrap_or(usize::MAX));
    let wanted = limit.map(|l| l.saturating_add(offset));
    let mut kept: Vec<Kept> = Vec::new();
    let order: Vec<(Vec<&str>, bool)> = q
        .order_by
        .iter()
        .filter_map(|k| Some((path(k.item.as_field()?), k.descending)))
        .collect();
    let compare_kept = |a: &Kept, b: &Kept| -> Ordering {
        for (i, (_, desc)) in order.iter().enumerate() {
            let (x, y) = (&a.keys[i], &b.keys[i]);
            let ord = match (x, y) {
                (Value::Null, _) | (_, Value::Null) => order_values(x, y),
                _ if *desc => order_values(y, x),
                _ => order_values(x, y),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a.id.cmp(&b.id)
    };

    let access = match plan {
        Plan::TopByConfidence { descending } => {
            let rows = top_by_confidence(&mut ctx, q, descending, wanted, &row_columns)?;
            let notes = if rows.is_empty() {
                case_notes(store, kind, q.filter.as_ref())?
            } else {
                Vec::new()
            };
            let rows = rows
                .into_iter()
                .skip(offset)
                .take(limit.unwrap_or(usize::MAX))
                .collect();
            return Ok(Output {
                columns,
                rows,
                report: None,
                message: None,
                notes,
            });
        }
        Plan::Rows(access) => access,
        // A query's plan is one of the two above; were it not, every row
        // read and checked is still the right answer.
        _ => Access::Scan,
    };
    // Rows the filter let through, before the offset: none gets a note.
    let matched;
    if order.is_empty() {
        // Rows come in id order: stop as soon as the page is full.
        if let Some(sink) = stream.as_deref_mut() {
            sink.begin(&columns).map_err(write_error)?;
        }
        let mut seen = 0usize;
        for_each_row(
            &mut ctx,
            kind,
            &access,
            q.filter.as_ref(),
            &mut |ctx, record, derived| {
                seen += 1;
                // `limit 0` wants no row, not the first one read.
                if seen > offset && wanted.is_none_or(|w| seen <= w) {
                    let row = row_values(ctx, record, derived, &row_columns)?;
                    match stream.as_deref_mut() {
                        Some(sink) => sink.row(&row).map_err(write_error)?,
                        None => kept.push(Kept {
                            keys: Vec::new(),
                            id: String::new(),
                            row,
                        }),
                    }
                }
                Ok(wanted.is_none_or(|w| seen < w))
            },
        )?;
        matched = seen;
    } else {
        for_each_row(
            &mut ctx,
            kind,
            &access,
            q.filter.as_ref(),
            &mut |ctx, record, derived| {
                let keys = order
                    .iter()
                    .map(|(p, _)| ctx.value(&record, derived.as_ref(), p))
                    .collect::<Result<Vec<_>, _>>()?;
                let id = record.id().to_string();
                let row = row_values(ctx, record, derived, &row_columns)?;
                kept.push(Kept { keys, id, row });
                // Keep memory bounded by the page: trim to the best `wanted` now and then.
                if let Some(w) = wanted
                    && kept.len() >= 2 * w.max(1024)
                {
                    kept.sort_by(&compare_kept);
                    kept.truncate(w);
                }
                Ok(true)
            },
        )?;
        kept.sort_by(&compare_kept);
        matched = kept.len();
        kept.drain(..offset.min(kept.len()));
    }
    if let Some(l) = limit {
        kept.truncate(l);
    }
    let notes = if matched == 0 {
        case_notes(store, kind, q.filter.as_ref())?
    } else {
        Vec::new()
    };
    Ok(Output {
        columns,
        rows: kept.into_iter().map(|k| k.row).collect(),
        report: None,
        message: None,
        notes,
    })
}

/// A query with `group by`: the groups of the rows its plan reads, or the
/// kept counts when they answer.
fn run_grouped(store: &Store, q: &Query, plan: Plan) -> Result<Output, crate::Error> {
    let kind = q.collection.node;
    let spec = GroupSpec::new(
        &q.group_by,
        &q.select,
        &q.order_by,
        optional(&q.limit)?,
        optional(&q.offset)?,
    );
    let mut output = match plan {
        Plan::StatusCounts => from_counts(&spec, status_counts(store)?),
        Plan::GroupCounts(index) => from_counts(&spec, value_counts(store, kind, index)?),
        Plan::Groups(access) | Plan::Rows(access) => run_groups(
            store,
            kind,
            optional(&q.as_of)?,
            q.filter.as_ref(),
            &access,
            &spec,
        )?,
        // Any other plan: every row read and checked is still right.
        _ => run_groups(
            store,
            kind,
            optional(&q.as_of)?,
            q.filter.as_ref(),
            &Access::Scan,
            &spec,
        )?,
    };
    if output.rows.is_empty() {
        output.notes = case_notes(store, kind, q.filter.as_ref())?;
    }
    Ok(output)
}

/// `claims … order by confidence [desc] limit N`: walks the confidence
/// index (whose entries hold the claim rows) from one end and stops after
/// `wanted` matching rows, instead of ordering every claim. Ties come in id
/// order, as everywhere.
fn top_by_confidence(
    ctx: &mut Ctx<'_>,
    q: &Query,
    descending: bool,
    wanted: Option<usize>,
    columns: &RowColumns<'_>,
) -> Result<Vec<Vec<Value>>, crate::Error> {
    // The plan asks for a limit; without one, every row is wanted.
    let wanted = wanted.unwrap_or(usize::MAX);
    let store = ctx.store;
    let mut rows = Vec::new();
    store.claim_rows_by_confidence(
        descending,
        &mut |tie: &[Vec<u8>]| -> Result<bool, crate::Error> {
            if rows.len() >= wanted {
                return Ok(false);
            }
            for row in tie {
                let (record, derived) = decode_claim_row(row)?;
                if let Some(f) = &q.filter
                    && !ctx.matches(&record, Some(&derived), f)?
                {
                    continue;
                }
                rows.push(row_values(ctx, record, Some(derived), columns)?);
                if rows.len() >= wanted {
                    return Ok(false);
                }
            }
            Ok(true)
        },
    )?;
    Ok(rows)
}

/// Most stored spellings named in one note.
const MAX_VARIANTS: usize = 3;

/// Notes for a query whose filter let nothing through: for each top-level
/// condition `field = "text"`, `field in (…)` or `field has "text"` on an
/// indexed text field, where no record has that text but some have it in
/// another case, `no claim has subject "Donald Trump"; did you mean
/// "donald trump"?`. Values are case-sensitive, and 0 rows with no word is
/// how a newcomer's first query fails. Costs a few index lookups per letter
/// (see [`Store::case_variants`]); never a scan.
pub(super) fn case_notes(
    store: &Store,
    kind: Kind,
    filter: Option<&Expr>,
) -> Result<Vec<String>, crate::Error> {
    let Some(filter) = filter else {
        return Ok(Vec::new());
    };
    let mut notes = Vec::new();
    for condition in super::conjuncts(filter) {
        let (field, values, verb): (&Field, Vec<&Literal>, &str) = match condition {
            Expr::Compare { field, op, value } if op.node == CompareOp::Eq => {
                (field, vec![&value.node], "has")
            }
            Expr::In {
                field,
                negated: false,
                values,
            } => (field, values.iter().map(|v| &v.node).collect(), "has"),
            Expr::Has { field, value } => (field, vec![&value.node], "has in"),
            _ => continue,
        };
        let [name] = field.path.as_slice() else {
            continue;
        };
        let name = name.node.as_str();
        for value in values {
            let Literal::String(text) = value else {
                continue;
            };
            if store.has_string_value(kind, name, text)? {
                continue;
            }
            let mut variants = store.case_variants(kind, name, text, MAX_VARIANTS)?;
            let mut why = " (values are case-sensitive)";
            // A value outside a field's conventional ones (a source's
            // kind) may be a misspelling of one.
            if variants.is_empty()
                && let Some(def) = crate::model::fields::field(kind, name)
                && super::check_types::is_open(kind, def)
                && let Some(meant) =
                    crate::suggest::did_you_mean(text, def.known_values.iter().copied())
            {
                variants.push(meant.to_owned());
                why = "";
            }
            if variants.is_empty() {
                continue;
            }
            let shown: Vec<String> = variants.iter().map(|v| format!("{v:?}")).collect();
            let what = if verb == "has in" {
                format!("{text:?} in {name}")
            } else {
                format!("{name} {text:?}")
            };
            notes.push(format!(
                "no {} has {what}; did you mean {}?{why}",
                kind.name(),
                shown.join(" or ")
            ));
        }
    }
    Ok(notes)
}
