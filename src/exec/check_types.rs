//! Checks a statement before it runs: every field exists on its collection
//! (following dotted references), every value has the field's type, and
//! closed sets of values (statuses, stances) are spelt right.

use super::QueryError;
use crate::model::fields::{self, FieldDef, FieldType};
use crate::model::{Date, Kind};
use crate::query::ast::{
    Aggregate, AggregateFn, CompareOp, Count, Expr, Field, Item, Literal, OrderKey, Query, Spanned,
};
use crate::suggest::did_you_mean;

/// Deepest expression the checker and evaluator walk (the parser limits
/// nesting far below this; this guards programmatic ASTs).
const MAX_DEPTH: usize = 256;

/// Finds the field a path names, starting from `kind`: the kind that holds
/// the last name, and its definition.
pub fn resolve(kind: Kind, field: &Field) -> Result<(Kind, &'static FieldDef), QueryError> {
    let mut kind = kind;
    let last = field.path.len().saturating_sub(1);
    for (i, name) in field.path.iter().enumerate() {
        let Some(def) = fields::field(kind, &name.node) else {
            let names = fields::fields(kind).iter().map(|f| f.name);
            let help = did_you_mean(&name.node, names).map(|s| format!("did you mean \"{s}\"?"));
            let known = fields::fields(kind)
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(QueryError::at(
                &name.span,
                format!(
                    "unknown field \"{}\" on {} (its fields: {known})",
                    name.node,
                    kind.collection()
                ),
                help,
            ));
        };
        if i == last {
            return Ok((kind, def));
        }
        match def.ty {
            FieldType::Ref(target) => kind = target,
            _ => {
                return Err(QueryError::at(
                    &name.span,
                    format!(
                        "\"{}\" is {}, not a reference to another record, so nothing follows its dot",
                        name.node,
                        def.ty.with_article()
                    ),
                    None,
                ));
            }
        }
    }
    Err(QueryError::at(&field.span, "empty field name", None))
}

/// Checks a query's filter, groups, order and selection against its collection.
pub fn check_query(q: &Query) -> Result<(), QueryError> {
    let kind = q.collection.node;
    if let Some(expr) = &q.filter {
        check_expr(kind, expr, false, 0)?;
    }
    check_selected_once(&q.select)?;
    if !q.group_by.is_empty() {
        return check_groups(kind, &q.group_by, &q.order_by, &q.select);
    }
    for key in &q.order_by {
        let field = ungrouped(&key.item)?;
        let (_, def) = resolve(kind, field)?;
        if def.ty == FieldType::List {
            return Err(QueryError::at(
                &field.span,
                format!("cannot order by \"{}\": it is a list", def.name),
                None,
            ));
        }
    }
    for item in &q.select {
        resolve(kind, ungrouped(item)?)?;
    }
    Ok(())
}

/// An item's text is the name of its member in a row (`id`, `avg(value)`):
/// one selected twice would give rows that name a member twice, which JSON
/// readers take as one.
fn check_selected_once(select: &[Item]) -> Result<(), QueryError> {
    for (at, item) in select.iter().enumerate() {
        let name = item.to_string();
        if select[..at]
            .iter()
            .any(|earlier| earlier.to_string() == name)
        {
            return Err(QueryError::at(
                item.span(),
                format!("\"{name}\" is selected twice: a row has one member of each name"),
                Some("select it once".into()),
            ));
        }
    }
    Ok(())
}

/// Checks a count's filter, groups and order against its collection.
pub fn check_count(c: &Count) -> Result<(), QueryError> {
    let kind = c.collection.node;
    if let Some(expr) = &c.filter {
        check_expr(kind, expr, false, 0)?;
    }
    if !c.group_by.is_empty() {
        return check_groups(kind, &c.group_by, &c.order_by, &[]);
    }
    for key in &c.order_by {
        match &key.item {
            Item::Aggregate(a) if a.function == AggregateFn::Count => {}
            Item::Aggregate(_) => {
                ungrouped(&key.item)?;
            }
            Item::Field(f) => {
                resolve(kind, f)?;
                return Err(QueryError::at(
                    &f.span,
                    format!(
                        "a count without \"group by\" is one row, its count: there is no \"{}\" to order by",
                        field_text(f)
                    ),
                    Some(format!(
                        "to count per value, group: count {} group by {}",
                        kind.collection(),
                        field_text(f)
                    )),
                ));
            }
        }
    }
    Ok(())
}

/// The field an item of a statement without `group by` names; an aggregate
/// there is an error.
fn ungrouped(item: &Item) -> Result<&Field, QueryError> {
    match item {
        Item::Field(f) => Ok(f),
        Item::Aggregate(a) => Err(QueryError::at(
            &a.span,
            format!("\"{a}\" is an aggregate over groups, but there is no \"group by\""),
            Some(format!(
                "group the rows first, for example: results group by model select model, {a}"
            )),
        )),
    }
}

/// Checks `group by` and what `select` and `order by` name beside it: group
/// fields, and aggregates over fields of the right type.
fn check_groups(
    kind: Kind,
    group_by: &[Field],
    order_by: &[OrderKey],
    select: &[Item],
) -> Result<(), QueryError> {
    for (at, g) in group_by.iter().enumerate() {
        resolve(kind, g)?;
        if group_by[..at].iter().any(|h| h.path_eq(g)) {
            return Err(QueryError::at(
                &g.span,
                format!("\"{}\" is grouped by twice", field_text(g)),
                None,
            ));
        }
    }
    let items = select
        .iter()
        .map(|i| (i, "select"))
        .chain(order_by.iter().map(|k| (&k.item, "order by")));
    for (item, clause) in items {
        match item {
            Item::Field(f) => {
                resolve(kind, f)?;
                if !group_by.iter().any(|g| g.path_eq(f)) {
                    let name = field_text(f);
                    return Err(QueryError::at(
                        &f.span,
                        format!(
                            "\"{name}\" is not a group field: beside \"group by\", {clause} names group fields and aggregates"
                        ),
                        Some(format!("group by it as well, or aggregate it: max({name})")),
                    ));
                }
            }
            Item::Aggregate(a) => check_aggregate(kind, a)?,
        }
    }
    Ok(())
}

/// `avg` and `sum` take numbers; `min` and `max` numbers, dates or strings.
fn check_aggregate(kind: Kind, a: &Aggregate) -> Result<(), QueryError> {
    let Some(field) = &a.field else {
        return Ok(());
    };
    let (_, def) = resolve(kind, field)?;
    let name = field_text(field);
    let function = a.function.as_str();
    let (fits, takes) = match a.function {
        AggregateFn::Avg | AggregateFn::Sum => (def.ty == FieldType::Number, "numbers"),
        AggregateFn::Min | AggregateFn::Max => (
            matches!(
                def.ty,
                FieldType::Number
                    | FieldType::Date
                    | FieldType::String
                    | FieldType::Id
                    | FieldType::Ref(_)
            ),
            "numbers, dates or strings",
        ),
        AggregateFn::Count => (true, ""),
    };
    if fits {
        return Ok(());
    }
    let help = match (a.function, def.ty) {
        (_, FieldType::List) => format!("group by {name} to count each of its elements"),
        (
            AggregateFn::Avg | AggregateFn::Sum,
            FieldType::String | FieldType::Date | FieldType::Id | FieldType::Ref(_),
        ) => {
            format!("min({name}) and max({name}) take {}s", def.ty.name())
        }
        _ => "count gives the number of records in each group".into(),
    };
    Err(QueryError::at(
        &field.span,
        format!(
            "{function} takes {takes}, but \"{name}\" is {}",
            def.ty.with_article()
        ),
        Some(help),
    ))
}

fn check_expr(
    kind: Kind,
    expr: &Expr,
    in_quantifier: bool,
    depth: usize,
) -> Result<(), QueryError> {
    if depth > MAX_DEPTH {
        return Err(QueryError::at(
            &(0..0),
            "expression nested too deeply",
            None,
        ));
    }
    match expr {
        Expr::Or(a, b) | Expr::And(a, b) => {
            check_expr(kind, a, in_quantifier, depth + 1)?;
            check_expr(kind, b, in_quantifier, depth + 1)
        }
        Expr::Not(a, _) => check_expr(kind, a, in_quantifier, depth + 1),
        Expr::Compare { field, op, value } => {
            let (owner, def) = resolve(kind, field)?;
            if def.ty == FieldType::List {
                return Err(QueryError::at(
                    &field.span,
                    format!(
                        "\"{}\" is a list of strings; compare its elements with `{} has VALUE`",
                        def.name, def.name
                    ),
                    None,
                ));
            }
            if def.ty == FieldType::Bool && !matches!(op.node, CompareOp::Eq | CompareOp::Ne) {
                return Err(QueryError::at(
                    &op.span,
                    format!("\"{}\" is a boolean: only = and != apply", def.name),
                    None,
                ));
            }
            check_value(owner, def, field, value)
        }
        Expr::In { field, values, .. } => {
            let (owner, def) = resolve(kind, field)?;
            if def.ty == FieldType::List {
                return Err(QueryError::at(
                    &field.span,
                    format!("\"{}\" is a list; use `has`", def.name),
                    None,
                ));
            }
            values
                .iter()
                .try_for_each(|v| check_value(owner, def, field, v))
        }
        Expr::Contains { field, .. } => {
            let (_, def) = resolve(kind, field)?;
            match def.ty {
                FieldType::String | FieldType::Id | FieldType::Ref(_) | FieldType::List => Ok(()),
                other => Err(QueryError::at(
                    &field.span,
                    format!(
                        "`~` searches text, but \"{}\" is {}",
                        def.name,
                        other.with_article()
                    ),
                    None,
                )),
            }
        }
        Expr::Has { field, value } => {
            let (_, def) = resolve(kind, field)?;
            if def.ty != FieldType::List {
                let help = Some(format!("use `{} = VALUE`", field_text(field)));
                return Err(QueryError::at(
                    &field.span,
                    format!(
                        "`has` tests list membership, but \"{}\" is {}",
                        def.name,
                        def.ty.with_article()
                    ),
                    help,
                ));
            }
            match &value.node {
                Literal::String(_) => Ok(()),
                _ => Err(QueryError::at(
                    &value.span,
                    format!("\"{}\" holds strings; give a string", def.name),
                    None,
                )),
            }
        }
        Expr::IsNull { field, .. } => resolve(kind, field).map(drop),
        Expr::Truthy(field) => {
            let (_, def) = resolve(kind, field)?;
            if def.ty == FieldType::Bool {
                Ok(())
            } else {
                Err(QueryError::at(
                    &field.span,
                    format!(
                        "\"{}\" is {}, not a boolean: compare it with a value",
                        def.name,
                        def.ty.with_article()
                    ),
                    Some(format!("for example `{} = ...`", field_text(field))),
                ))
            }
        }
        Expr::Quantified {
            quantifier,
            condition,
            ..
        } => {
            if in_quantifier || !matches!(kind, Kind::Claim | Kind::Source) {
                return Err(QueryError::at(
                    &quantifier.span,
                    format!(
                        "`any/no/all evidence` ranges over the evidence of claims or sources, not of {}",
                        kind.collection()
                    ),
                    None,
                ));
            }
            match condition {
                Some(c) => check_expr(Kind::Evidence, c, true, depth + 1),
                None => Ok(()),
            }
        }
    }
}

fn field_text(field: &Field) -> String {
    field
        .path
        .iter()
        .map(|n| n.node.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

pub(super) fn literal_type(lit: &Literal) -> &'static str {
    match lit {
        Literal::String(_) => "a string",
        Literal::Number(_) => "a number",
        Literal::Date(_) => "a date",
        Literal::Bool(_) => "a boolean",
        Literal::List(_) => "a list",
        Literal::Param(_) => "a parameter",
    }
}

/// Whether a value can be compared with a field of type `ty`.
pub(super) fn value_fits(ty: FieldType, value: &Literal) -> bool {
    match (ty, value) {
        (FieldType::String | FieldType::Id | FieldType::Ref(_), Literal::String(_)) => true,
        (FieldType::Id | FieldType::Ref(_), Literal::Number(n)) => n.fract() == 0.0,
        (FieldType::Number, Literal::Number(_)) => true,
        (FieldType::Date, Literal::Date(_)) => true,
        (FieldType::Date, Literal::String(s)) => Date::parse(s).is_some(),
        (FieldType::Bool, Literal::Bool(_)) => true,
        _ => false,
    }
}

fn check_value(
    owner: Kind,
    def: &FieldDef,
    field: &Field,
    value: &Spanned<Literal>,
) -> Result<(), QueryError> {
    // A number compared with an id is its digits (`show 123`); written
    // any other way (`1e3`, `1.0`), the id it would match (`1000`, `1`) is
    // not what was written. The span is the literal's own text: a number
    // bound to an id reaches here as its digits already (`bind`).
    let digits_as_written = match &value.node {
        Literal::Number(n) => format!("{n}").len() == value.span.len(),
        _ => true,
    };
    let is_id = matches!(def.ty, FieldType::Id | FieldType::Ref(_));
    if !value_fits(def.ty, &value.node) || (is_id && !digits_as_written) {
        return Err(QueryError::at(
            &value.span,
            format!(
                "\"{}\" is {}, but {} is {}",
                field_text(field),
                def.ty.with_article(),
                literal_text(&value.node),
                literal_type(&value.node)
            ),
            type_hint(def.ty),
        ));
    }
    // A value outside a closed set (a status, a stance, a comparator) can
    // only be a mistake. A source's kind is any lowercase word (SPEC 1),
    // its known values only the conventional ones: another matches what it
    // matches, and a query that finds nothing says so (`case_notes`).
    if let Literal::String(s) = &value.node
        && !def.known_values.is_empty()
        && !def.known_values.contains(&s.as_str())
        && !is_open(owner, def)
    {
        let help = did_you_mean(s, def.known_values.iter().copied())
            .map(|v| format!("did you mean \"{v}\"?"));
        return Err(QueryError::at(
            &value.span,
            format!(
                "\"{s}\" is not a known value of \"{}\" (known: {})",
                def.name,
                def.known_values.join(", ")
            ),
            help,
        ));
    }
    Ok(())
}

/// Whether a field's known values are conventional ones, any other value
/// being valid too: a source's kind.
pub(super) fn is_open(owner: Kind, def: &FieldDef) -> bool {
    owner == Kind::Source && def.name == "kind"
}

pub(super) fn literal_text(lit: &Literal) -> String {
    match lit {
        Literal::String(s) => format!("\"{s}\""),
        Literal::Number(n) => n.to_string(),
        Literal::Date(d) => d.to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::List(_) => "[…]".into(),
        Literal::Param(name) => format!("${name}"),
    }
}

pub(super) fn type_hint(ty: FieldType) -> Option<String> {
    Some(
        match ty {
            FieldType::Number => "give a number, such as 0.7",
            FieldType::Date => "give a date, such as 2024-06-30",
            FieldType::Bool => "give true or false",
            FieldType::String | FieldType::Id | FieldType::Ref(_) => {
                "give a string in double quotes"
            }
            FieldType::List => "use `has`",
        }
        .to_owned(),
    )
}
