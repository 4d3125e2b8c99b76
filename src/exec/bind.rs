//! Binds a script's parameters (`$name`, SPEC 4.2) before any statement
//! runs: every `$name` is replaced, in the parsed tree, by its value typed
//! as the statement expects where it stands. A value is never parsed as
//! query text, so it cannot change what the statement does.
//!
//! Errors, all before anything runs: a `$name` nothing binds (with a caret
//! under it), a binding the script does not use (a typo must not pass
//! silently), and a value that cannot be what its place needs.

use super::QueryError;
use super::check_types::{literal_text, literal_type, resolve, type_hint, value_fits};
use crate::model::fields::{self, FieldType};
use crate::model::{Date, Id, Kind};
use crate::params::{ParamValue, Params};
use crate::query::ast::{Arg, Expr, Field, Literal, Span, Spanned, Statement, StatementKind};
use crate::suggest::did_you_mean;
use std::collections::BTreeSet;

/// Binds `statements`, the parsed statements of a script. `whole` says
/// they are all of it (no statement failed to parse): only then can a
/// binding be known to be unused.
pub(crate) fn bind_script(
    statements: &[Statement],
    params: &Params,
    whole: bool,
) -> Result<Vec<Statement>, QueryError> {
    let mut binder = Binder {
        params,
        used: BTreeSet::new(),
    };
    let bound = statements
        .iter()
        .map(|s| binder.statement(s))
        .collect::<Result<Vec<_>, _>>()?;
    if whole && let Some((name, _)) = params.iter().find(|(n, _)| !binder.used.contains(*n)) {
        let help = did_you_mean(name, binder.used.iter().map(String::as_str))
            .map(|u| format!("did you mean ${u}?"));
        return Err(QueryError::Params {
            message: format!("parameter \"{name}\" is bound, but the script has no ${name}"),
            help: Some(
                help.unwrap_or_else(|| {
                    format!("use ${name} in the script, or leave the binding out")
                }),
            ),
        });
    }
    Ok(bound)
}

/// The value written or bound, for the executor: a statement is bound
/// before it runs ([`bind_script`]), so a parameter here was never bound.
pub(super) fn value_of<T>(arg: &Spanned<Arg<T>>) -> Result<&T, QueryError> {
    arg.node
        .written()
        .map_err(|name| unbound(name, &arg.span, &Params::new()))
}

/// [`value_of`] for an optional clause.
pub(super) fn optional<T: Copy>(arg: &Option<Spanned<Arg<T>>>) -> Result<Option<T>, QueryError> {
    arg.as_ref().map(|a| value_of(a).copied()).transpose()
}

fn unbound(name: &str, span: &Span, params: &Params) -> QueryError {
    let near = did_you_mean(name, params.iter().map(|(n, _)| n));
    let help = match near {
        Some(n) => format!("\"{n}\" is bound: did you mean ${n}?"),
        None => format!(
            "bind it: evident query --param {name}=VALUE, or \"params\" in the library or server"
        ),
    };
    QueryError::at(span, format!("parameter ${name} is not bound"), Some(help))
}

/// What a place in a statement takes.
#[derive(Clone, Copy)]
enum Place {
    /// An id (`show`, `explain`, `retract`).
    Id,
    /// The text after `~`.
    Text,
    /// The date of `as of`.
    Date,
    /// The time after `since` or `until` (SPEC 9).
    Time(&'static str),
    /// A whole number, after the keyword named.
    Count(&'static str),
}

struct Binder<'p> {
    params: &'p Params,
    used: BTreeSet<String>,
}

impl Binder<'_> {
    fn statement(&mut self, s: &Statement) -> Result<Statement, QueryError> {
        let mut s = s.clone();
        match &mut s.kind {
            StatementKind::Query(q) => {
                let kind = q.collection.node;
                self.arg_opt(&mut q.as_of, Place::Date, date_of)?;
                if let Some(e) = &mut q.filter {
                    self.expr(kind, e)?;
                }
                self.arg_opt(&mut q.limit, Place::Count("limit"), count_of)?;
                self.arg_opt(&mut q.offset, Place::Count("offset"), count_of)?;
            }
            StatementKind::Count(c) => {
                let kind = c.collection.node;
                self.arg_opt(&mut c.as_of, Place::Date, date_of)?;
                if let Some(e) = &mut c.filter {
                    self.expr(kind, e)?;
                }
                self.arg_opt(&mut c.limit, Place::Count("limit"), count_of)?;
                self.arg_opt(&mut c.offset, Place::Count("offset"), count_of)?;
            }
            StatementKind::Show(id)
            | StatementKind::Explain(id)
            | StatementKind::Retract(id)
            | StatementKind::History(id) => {
                self.arg(id, Place::Id, id_of)?;
            }
            StatementKind::Changes(c) => {
                self.arg_opt(&mut c.since, Place::Time("since"), time_of)?;
                self.arg_opt(&mut c.until, Place::Time("until"), time_of)?;
                if let Some(e) = &mut c.filter {
                    self.expr(Kind::Claim, e)?;
                }
            }
            StatementKind::Add(add) => {
                let kind = add.kind.node;
                for (name, value) in &mut add.members {
                    let ty = fields::field(kind, &name.node).map(|d| d.ty);
                    self.literal(value, ty, None)?;
                }
            }
        }
        Ok(s)
    }

    /// The value bound to `name`, noting that the script uses it.
    fn value(&mut self, name: &str, span: &Span) -> Result<&ParamValue, QueryError> {
        self.used.insert(name.to_owned());
        self.params
            .get(name)
            .ok_or_else(|| unbound(name, span, self.params))
    }

    fn arg_opt<T>(
        &mut self,
        arg: &mut Option<Spanned<Arg<T>>>,
        place: Place,
        convert: fn(&ParamValue) -> Option<T>,
    ) -> Result<(), QueryError> {
        match arg {
            Some(a) => self.arg(a, place, convert),
            None => Ok(()),
        }
    }

    fn arg<T>(
        &mut self,
        arg: &mut Spanned<Arg<T>>,
        place: Place,
        convert: fn(&ParamValue) -> Option<T>,
    ) -> Result<(), QueryError> {
        let Arg::Param(name) = &arg.node else {
            return Ok(());
        };
        let name = name.clone();
        let value = self.value(&name, &arg.span)?;
        let Some(bound) = convert(value) else {
            let wanted = match place {
                Place::Id => "an id".to_owned(),
                Place::Text => "text to look for after \"~\"".to_owned(),
                Place::Date => "a date (YYYY-MM-DD) after \"as of\"".to_owned(),
                Place::Time(after) => {
                    format!("a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ) after \"{after}\"")
                }
                Place::Count(after) => format!("a whole number after \"{after}\""),
            };
            let mut message = format!(
                "parameter ${name} is {}, but {wanted} is expected here",
                shown(value)
            );
            if let (Place::Id, ParamValue::Text(t) | ParamValue::Json(serde_json::Value::String(t))) =
                (place, value)
                && let Err(why) = Id::new(t)
            {
                message = format!("parameter ${name} is not an id: {why}");
            }
            return Err(QueryError::at(&arg.span, message, None));
        };
        arg.node = Arg::Written(bound);
        Ok(())
    }

    fn expr(&mut self, kind: Kind, e: &mut Expr) -> Result<(), QueryError> {
        match e {
            Expr::Or(a, b) | Expr::And(a, b) => {
                self.expr(kind, a)?;
                self.expr(kind, b)
            }
            Expr::Not(a, _) => self.expr(kind, a),
            Expr::Compare { field, value, .. } => {
                let ty = field_type(kind, field);
                self.literal(value, ty, Some(field))
            }
            Expr::In { field, values, .. } => {
                let ty = field_type(kind, field);
                values
                    .iter_mut()
                    .try_for_each(|v| self.literal(v, ty, Some(field)))
            }
            Expr::Has { value, .. } => self.literal(value, Some(FieldType::String), None),
            Expr::Contains { needle, .. } => self.arg(needle, Place::Text, text_of),
            Expr::IsNull { .. } | Expr::Truthy(_) => Ok(()),
            Expr::Quantified { condition, .. } => match condition {
                Some(c) => self.expr(Kind::Evidence, c),
                None => Ok(()),
            },
        }
    }

    /// Binds a value (and the elements of a list). `ty` is the type of the
    /// field it stands beside, when known; `field` names that field for
    /// the error on a value of the wrong type.
    fn literal(
        &mut self,
        lit: &mut Spanned<Literal>,
        ty: Option<FieldType>,
        field: Option<&Field>,
    ) -> Result<(), QueryError> {
        match &mut lit.node {
            Literal::List(items) => {
                let element = (ty == Some(FieldType::List)).then_some(FieldType::String);
                items
                    .iter_mut()
                    .try_for_each(|item| self.literal(item, element, None))
            }
            Literal::Param(name) => {
                let name = name.clone();
                let value = self.value(&name, &lit.span)?;
                let bound = typed(value, ty).map_err(|why| {
                    QueryError::at(&lit.span, format!("parameter ${name} {why}"), None)
                })?;
                if let (Some(ty), Some(field)) = (ty, field)
                    && !value_fits(ty, &bound)
                {
                    return Err(QueryError::at(
                        &lit.span,
                        format!(
                            "\"{field}\" is {}, but parameter ${name} is {}, {}",
                            ty.with_article(),
                            literal_text(&bound),
                            literal_type(&bound)
                        ),
                        type_hint(ty),
                    ));
                }
                lit.node = bound;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The type of the field a path names, if it names one (an unknown field
/// is the type checker's to report).
fn field_type(kind: Kind, field: &Field) -> Option<FieldType> {
    resolve(kind, field).ok().map(|(_, def)| def.ty)
}

/// A bound value as a literal, typed as `ty` expects where its text (or
/// JSON string, for dates) is valid for it, else typed like a literal.
fn typed(value: &ParamValue, ty: Option<FieldType>) -> Result<Literal, String> {
    match value {
        ParamValue::Text(text) => Ok(text_typed(text, ty)),
        ParamValue::Json(json) => json_typed(json, ty),
    }
}

fn text_typed(text: &str, ty: Option<FieldType>) -> Literal {
    let expected = match ty {
        Some(FieldType::String | FieldType::Id | FieldType::Ref(_)) => {
            Some(Literal::String(text.to_owned()))
        }
        Some(FieldType::Number) => number(text).map(Literal::Number),
        Some(FieldType::Date) => Date::parse(text).map(Literal::Date),
        Some(FieldType::Bool) => boolean(text).map(Literal::Bool),
        Some(FieldType::List) | None => None,
    };
    expected.unwrap_or_else(|| like_a_literal(text))
}

/// Text typed as the same text written as a literal would be: `true` or
/// `false`, a date, a number, else a string.
fn like_a_literal(text: &str) -> Literal {
    if let Some(b) = boolean(text) {
        Literal::Bool(b)
    } else if let Some(d) = Date::parse(text) {
        Literal::Date(d)
    } else if let Some(n) = number(text) {
        Literal::Number(n)
    } else {
        Literal::String(text.to_owned())
    }
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A NUMBER of the grammar: `[-] digits [. digits] [e [+|-] digits]`,
/// finite (Rust's float syntax alone would also take `inf`, `+1`, `.5`).
fn number(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn json_typed(json: &serde_json::Value, ty: Option<FieldType>) -> Result<Literal, String> {
    use serde_json::Value as J;
    Ok(match json {
        J::String(s) => match (ty, Date::parse(s)) {
            (Some(FieldType::Date), Some(d)) => Literal::Date(d),
            _ => Literal::String(s.clone()),
        },
        J::Number(n) => match n.as_f64().filter(|n| n.is_finite()) {
            // A whole number bound to an id is its digits, as written in
            // a script (`show 123`).
            Some(n)
                if matches!(ty, Some(FieldType::Id | FieldType::Ref(_))) && n.fract() == 0.0 =>
            {
                Literal::String(format!("{n}"))
            }
            Some(n) => Literal::Number(n),
            None => return Err(format!("is {n}, a number out of range")),
        },
        J::Bool(b) => Literal::Bool(*b),
        J::Array(items) => Literal::List(
            items
                .iter()
                .map(|item| {
                    json_typed(item, Some(FieldType::String))
                        .map(|node| Spanned { node, span: 0..0 })
                })
                .collect::<Result<_, _>>()?,
        ),
        J::Null => {
            return Err(
                "is null, which is not a value (leave the field out to make it absent; test for that with \"is null\")"
                    .into(),
            );
        }
        J::Object(_) => return Err("is a JSON object, which is not a value".into()),
    })
}

/// A bound value as an error message shows it: `"abc"`, `3`, `a list`.
fn shown(value: &ParamValue) -> String {
    match value {
        ParamValue::Text(t) => format!("\"{t}\""),
        ParamValue::Json(serde_json::Value::String(s)) => format!("the string \"{s}\""),
        ParamValue::Json(serde_json::Value::Array(_)) => "a list".into(),
        ParamValue::Json(serde_json::Value::Object(_)) => "an object".into(),
        ParamValue::Json(other) => other.to_string(),
    }
}

fn id_of(value: &ParamValue) -> Option<String> {
    match value {
        ParamValue::Text(t) | ParamValue::Json(serde_json::Value::String(t)) => {
            Id::new(t).ok().map(|_| t.clone())
        }
        ParamValue::Json(_) => None,
    }
}

fn text_of(value: &ParamValue) -> Option<String> {
    match value {
        ParamValue::Text(t) | ParamValue::Json(serde_json::Value::String(t)) => Some(t.clone()),
        ParamValue::Json(_) => None,
    }
}

fn date_of(value: &ParamValue) -> Option<Date> {
    match value {
        ParamValue::Text(t) | ParamValue::Json(serde_json::Value::String(t)) => Date::parse(t),
        ParamValue::Json(_) => None,
    }
}

/// A TIME (SPEC 4.1) as milliseconds since the Unix epoch, UTC.
fn time_of(value: &ParamValue) -> Option<u64> {
    match value {
        ParamValue::Text(t) | ParamValue::Json(serde_json::Value::String(t)) => {
            crate::model::time::parse_time(t).ok()
        }
        ParamValue::Json(_) => None,
    }
}

fn count_of(value: &ParamValue) -> Option<u64> {
    match value {
        ParamValue::Text(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
            t.parse().ok()
        }
        ParamValue::Json(n) => n.as_u64(),
        ParamValue::Text(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_grammar_not_rusts_float_syntax() {
        for good in ["0", "-3", "0.7", "1e3", "2E-2", "-1.5e+2"] {
            assert!(number(good).is_some(), "{good}");
        }
        for bad in [
            "", "inf", "NaN", "+1", ".5", "5.", "1e", "1e400", "0x10", "1_000",
        ] {
            assert!(number(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn text_takes_the_type_expected_where_it_is_valid_for_it() {
        assert_eq!(
            text_typed("2026-01-01", Some(FieldType::Date)),
            Literal::Date(Date::parse("2026-01-01").expect("day"))
        );
        assert_eq!(
            text_typed("2026-01-01", Some(FieldType::String)),
            Literal::String("2026-01-01".into())
        );
        assert_eq!(
            text_typed("7", Some(FieldType::Id)),
            Literal::String("7".into())
        );
        assert_eq!(
            text_typed("7", Some(FieldType::Number)),
            Literal::Number(7.0)
        );
        assert_eq!(text_typed("true", None), Literal::Bool(true));
        assert_eq!(
            text_typed("high", Some(FieldType::Number)),
            Literal::String("high".into())
        );
        assert_eq!(text_typed("0.5", None), Literal::Number(0.5));
    }

    #[test]
    fn a_json_string_is_a_date_only_where_a_date_is_expected() {
        let day = serde_json::json!("2026-01-01");
        assert!(matches!(
            json_typed(&day, Some(FieldType::Date)),
            Ok(Literal::Date(_))
        ));
        assert!(matches!(
            json_typed(&day, Some(FieldType::String)),
            Ok(Literal::String(_))
        ));
        assert!(matches!(
            json_typed(&serde_json::json!("5"), Some(FieldType::Number)),
            Ok(Literal::String(_))
        ));
        assert!(json_typed(&serde_json::Value::Null, None).is_err());
    }
}
