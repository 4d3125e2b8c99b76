//! Prints the syntax tree back as canonical text: lowercase keywords, strings
//! always in double quotes, numbers in their shortest exact form, and
//! parentheses exactly where the tree needs them. Parsing the printed text
//! gives the same tree, spans aside ([`strip_spans`] removes them for
//! comparing).

use super::ast::{
    Add, Aggregate, Arg, CompareOp, Count, Expr, Field, Item, Literal, OrderKey, Quantifier, Query,
    Spanned, Statement, StatementKind,
};
use std::fmt::{self, Display, Formatter, Write as _};

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl Display for StatementKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            StatementKind::Query(q) => q.fmt(f),
            StatementKind::Count(c) => c.fmt(f),
            StatementKind::Show(id) => write!(f, "show {}", IdText(&id.node)),
            StatementKind::Explain(id) => write!(f, "explain {}", IdText(&id.node)),
            StatementKind::Add(a) => a.fmt(f),
            StatementKind::Retract(id) => write!(f, "retract {}", IdText(&id.node)),
        }
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.collection.node.collection())?;
        if let Some(date) = &self.as_of {
            write!(f, " as of {}", date.node)?;
        }
        if let Some(filter) = &self.filter {
            write!(f, " where {filter}")?;
        }
        write_tail(f, &self.group_by, &self.order_by, &self.limit, &self.offset)?;
        if !self.select.is_empty() {
            f.write_str(" select ")?;
            write_list(f, &self.select)?;
        }
        Ok(())
    }
}

impl Display for Count {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "count {}", self.collection.node.collection())?;
        if let Some(date) = &self.as_of {
            write!(f, " as of {}", date.node)?;
        }
        if let Some(filter) = &self.filter {
            write!(f, " where {filter}")?;
        }
        write_tail(f, &self.group_by, &self.order_by, &self.limit, &self.offset)
    }
}

/// The clauses queries and counts share after `where`: `group by`,
/// `order by`, `limit` and `offset`.
fn write_tail(
    f: &mut Formatter<'_>,
    group_by: &[Field],
    order_by: &[OrderKey],
    limit: &Option<Spanned<Arg<u64>>>,
    offset: &Option<Spanned<Arg<u64>>>,
) -> fmt::Result {
    if !group_by.is_empty() {
        f.write_str(" group by ")?;
        write_list(f, group_by)?;
    }
    if !order_by.is_empty() {
        f.write_str(" order by ")?;
        write_list(f, order_by)?;
    }
    if let Some(limit) = limit {
        write!(f, " limit {}", limit.node)?;
    }
    if let Some(offset) = offset {
        write!(f, " offset {}", offset.node)?;
    }
    Ok(())
}

/// Also the name of an aggregate's member in a row: `avg(value)`.
impl Display for Item {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Item::Field(field) => field.fmt(f),
            Item::Aggregate(a) => a.fmt(f),
        }
    }
}

impl Display for Aggregate {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.function.as_str())?;
        match &self.field {
            Some(field) => write!(f, "({field})"),
            None => Ok(()),
        }
    }
}

impl Display for Add {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "add {} {{", self.kind.node.name())?;
        for (n, (key, value)) in self.members.iter().enumerate() {
            f.write_str(if n == 0 { " " } else { ", " })?;
            write!(f, "{}: {}", key.node, value.node)?;
        }
        f.write_str(if self.members.is_empty() { "}" } else { " }" })
    }
}

impl Display for OrderKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.item.fmt(f)?;
        if self.descending {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (n, segment) in self.path.iter().enumerate() {
            if n > 0 {
                f.write_char('.')?;
            }
            f.write_str(&segment.node)?;
        }
        Ok(())
    }
}

/// Binding strength, loosest first: `or`, `and`, `not`, then conditions.
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Or(..) => 1,
        Expr::And(..) => 2,
        Expr::Not(..) => 3,
        _ => 4,
    }
}

/// Writes `e`, in parentheses if it binds looser than `min`.
fn operand(f: &mut Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if precedence(e) < min {
        write!(f, "({e})")
    } else {
        e.fmt(f)
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            // Both chains associate to the left, so a right operand of the
            // same strength needs parentheses to keep its shape.
            Expr::Or(a, b) => {
                operand(f, a, 1)?;
                f.write_str(" or ")?;
                operand(f, b, 2)
            }
            Expr::And(a, b) => {
                operand(f, a, 2)?;
                f.write_str(" and ")?;
                operand(f, b, 3)
            }
            Expr::Not(e, _) => {
                f.write_str("not ")?;
                operand(f, e, 3)
            }
            Expr::Compare { field, op, value } => write!(f, "{field} {} {}", op.node, value.node),
            Expr::In {
                field,
                negated,
                values,
            } => {
                write!(f, "{field} {}in (", if *negated { "not " } else { "" })?;
                write_list(f, values.iter().map(|v| &v.node))?;
                f.write_char(')')
            }
            Expr::Contains { field, needle } => {
                write!(f, "{field} ~ ")?;
                match &needle.node {
                    Arg::Written(text) => write_string(f, text),
                    Arg::Param(name) => write!(f, "${name}"),
                }
            }
            Expr::Has { field, value } => write!(f, "{field} has {}", value.node),
            Expr::IsNull { field, negated } => {
                write!(f, "{field} is {}null", if *negated { "not " } else { "" })
            }
            Expr::Truthy(field) => field.fmt(f),
            Expr::Quantified {
                quantifier,
                condition,
                ..
            } => {
                write!(f, "{} evidence", quantifier.node)?;
                match condition {
                    Some(c) => write!(f, " ({c})"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl Display for CompareOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Quantifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Quantifier::Any => "any",
            Quantifier::No => "no",
            Quantifier::All => "all",
        })
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => write_string(f, s),
            Literal::Number(n) => write_number(f, *n),
            Literal::Date(d) => d.fmt(f),
            Literal::Bool(b) => b.fmt(f),
            Literal::List(values) => {
                f.write_char('[')?;
                write_list(f, values.iter().map(|v| &v.node))?;
                f.write_char(']')
            }
            Literal::Param(name) => write!(f, "${name}"),
        }
    }
}

impl<T: Display> Display for Spanned<T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.node.fmt(f)
    }
}

fn write_list<T: Display>(
    f: &mut Formatter<'_>,
    items: impl IntoIterator<Item = T>,
) -> fmt::Result {
    for (n, item) in items.into_iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

/// A string literal: double quotes, with `\"`, `\\`, `\n`, `\t` and
/// `\u{…}` for other control characters.
fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// The shortest text that reads back as exactly `n`: whole numbers plainly
/// (`3`, not `3.0`), very large or small ones with an exponent (`1e300`).
fn write_number(f: &mut Formatter<'_>, n: f64) -> fmt::Result {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        write!(f, "{n}")
    } else {
        write!(f, "{n:?}")
    }
}

/// A written part of a statement as written; a parameter as `$name`.
impl<T: Display> Display for Arg<T> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Written(value) => value.fmt(f),
            Arg::Param(name) => write!(f, "${name}"),
        }
    }
}

/// An id, bare when it reads back as one, quoted otherwise; or `$name`.
struct IdText<'a>(&'a Arg<String>);

impl Display for IdText<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let s = match self.0 {
            Arg::Written(id) => id,
            Arg::Param(name) => return write!(f, "${name}"),
        };
        let bare = s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.:/-".contains(c))
            && !s.contains("--");
        if bare {
            f.write_str(s)
        } else {
            write_string(f, s)
        }
    }
}

/// A copy of `statement` with every span set to `0..0`, for comparing trees
/// regardless of where their text was.
///
/// ```
/// use evident::query::{parse_statement, strip_spans};
/// # fn main() -> Result<(), evident::query::ParseError> {
/// let a = parse_statement("claims where confidence > 0.5")?;
/// let b = parse_statement("CLAIMS   WHERE confidence>0.5")?;
/// assert_ne!(a, b);
/// assert_eq!(strip_spans(&a), strip_spans(&b));
/// # Ok(()) }
/// ```
pub fn strip_spans(statement: &Statement) -> Statement {
    let mut s = statement.clone();
    s.span = 0..0;
    match &mut s.kind {
        StatementKind::Query(q) => {
            q.collection.span = 0..0;
            if let Some(d) = &mut q.as_of {
                d.span = 0..0;
            }
            if let Some(e) = &mut q.filter {
                strip_expr(e);
            }
            q.group_by.iter_mut().for_each(strip_field);
            for key in &mut q.order_by {
                strip_item(&mut key.item);
            }
            for n in [&mut q.limit, &mut q.offset].into_iter().flatten() {
                n.span = 0..0;
            }
            q.select.iter_mut().for_each(strip_item);
        }
        StatementKind::Count(c) => {
            c.collection.span = 0..0;
            if let Some(d) = &mut c.as_of {
                d.span = 0..0;
            }
            if let Some(e) = &mut c.filter {
                strip_expr(e);
            }
            c.group_by.iter_mut().for_each(strip_field);
            for key in &mut c.order_by {
                strip_item(&mut key.item);
            }
            for n in [&mut c.limit, &mut c.offset].into_iter().flatten() {
                n.span = 0..0;
            }
        }
        StatementKind::Show(id) | StatementKind::Explain(id) | StatementKind::Retract(id) => {
            id.span = 0..0
        }
        StatementKind::Add(a) => {
            a.kind.span = 0..0;
            a.record_span = 0..0;
            for (key, value) in &mut a.members {
                key.span = 0..0;
                strip_literal(value);
            }
        }
    }
    s
}

fn strip_field(f: &mut Field) {
    f.span = 0..0;
    for segment in &mut f.path {
        segment.span = 0..0;
    }
}

fn strip_item(item: &mut Item) {
    match item {
        Item::Field(f) => strip_field(f),
        Item::Aggregate(a) => {
            a.span = 0..0;
            if let Some(f) = &mut a.field {
                strip_field(f);
            }
        }
    }
}

fn strip_literal(l: &mut Spanned<Literal>) {
    l.span = 0..0;
    if let Literal::List(values) = &mut l.node {
        values.iter_mut().for_each(strip_literal);
    }
}

fn strip_expr(e: &mut Expr) {
    match e {
        Expr::Or(a, b) | Expr::And(a, b) => {
            strip_expr(a);
            strip_expr(b);
        }
        Expr::Not(inner, span) => {
            *span = 0..0;
            strip_expr(inner);
        }
        Expr::Compare { field, op, value } => {
            strip_field(field);
            op.span = 0..0;
            strip_literal(value);
        }
        Expr::In { field, values, .. } => {
            strip_field(field);
            values.iter_mut().for_each(strip_literal);
        }
        Expr::Contains { field, needle } => {
            strip_field(field);
            needle.span = 0..0;
        }
        Expr::Has { field, value } => {
            strip_field(field);
            strip_literal(value);
        }
        Expr::IsNull { field, .. } | Expr::Truthy(field) => strip_field(field),
        Expr::Quantified {
            quantifier,
            condition,
            span,
        } => {
            quantifier.span = 0..0;
            *span = 0..0;
            if let Some(c) = condition {
                strip_expr(c);
            }
        }
    }
}
