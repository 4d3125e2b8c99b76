//! Parameters: `$name`, a value the caller binds when the statement runs
//! (SPEC 4.2). The parser only records the name; binding happens in the
//! executor, on the tree, so a bound value is never read as query text.

use super::lexical::{blank, name_here, punct};
use super::{In, PResult};
use crate::query::ast::{Arg, Spanned};
use crate::query::error::{ParseError, ParseErrorKind};
use nom::Err;

/// ```text
/// PARAM = "$" NAME
/// ```
pub(super) fn param(i: In) -> PResult<Spanned<String>> {
    let (rest, dollar) = punct('$')(i)?;
    match name_here(rest) {
        Ok((rest, name)) => Ok((
            rest,
            Spanned {
                node: name.fragment().to_string(),
                span: dollar.start..rest.location_offset(),
            },
        )),
        Err(_) => Err(Err::Failure(
            ParseError::new(
                ParseErrorKind::Unexpected,
                "expected a parameter name after \"$\"",
                dollar,
            )
            .with_help("a parameter is \"$\" then a name of letters, digits and \"_\": $subject"),
        )),
    }
}

/// Whether a PARAM starts here (after blanks).
pub(super) fn starts_param(i: In) -> bool {
    blank(i).fragment().starts_with('$')
}

/// What `written` reads, or a PARAM in its place: SPEC 4.1 lets a PARAM
/// stand wherever the grammar has a STRING, DATE, TIME or INT.
pub(super) fn or_param<'a, T>(
    i: In<'a>,
    written: impl FnOnce(In<'a>) -> PResult<'a, Spanned<T>>,
) -> PResult<'a, Spanned<Arg<T>>> {
    if starts_param(i) {
        let (rest, p) = param(i)?;
        return Ok((
            rest,
            Spanned {
                node: Arg::Param(p.node),
                span: p.span,
            },
        ));
    }
    let (rest, value) = written(i)?;
    Ok((
        rest,
        Spanned {
            node: Arg::Written(value.node),
            span: value.span,
        },
    ))
}
