//! Parameters: the values a caller binds to a script's `$name`s (SPEC 4.2).
//!
//! A bound value is never read as query text: it replaces its `$name` in
//! the parsed statement, as a value of the type expected where it stands,
//! so no value can change what a statement does.

use std::collections::BTreeMap;

/// One bound value, as the caller gave it.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// Text from a command line (`--param name=value`). It takes the type
    /// the statement expects where it stands when the text is valid for it
    /// (`2026-01-01` is a date beside a date field, a string beside a
    /// string field); where nothing is expected it is typed like a literal:
    /// `true`/`false`, a number, a date, else a string.
    Text(String),
    /// A typed JSON value (the library, the server). A JSON string stands
    /// for a date where a date is expected.
    Json(serde_json::Value),
}

/// The parameters of one script: name (without the `$`, case-sensitive) →
/// value. Every `$name` the script uses must be bound, and every binding
/// used: either mistake is an error before anything runs.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let db = evident::Database::open(dir.path().join("claims.db"))?;
/// db.import_jsonl(r#"{"type":"claim","id":"c1","text":"It works","subject":"X"}"#.as_bytes())?;
/// let params = evident::Params::from_json(serde_json::from_str(r#"{"who": "X", "n": 5}"#)?);
/// let mut rows = Vec::new();
/// db.run_each_with("claims where subject = $who limit $n select id", &params,
///                  &evident::Interrupt::new(), &mut |out| rows.push(out))?;
/// assert_eq!(serde_json::to_string(&rows[0])?, r#"[{"id":"c1"}]"#);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Params {
        Params::default()
    }

    /// Typed JSON values, as the library and the server bind them.
    pub fn from_json(map: serde_json::Map<String, serde_json::Value>) -> Params {
        Params {
            values: map
                .into_iter()
                .map(|(name, value)| (name, ParamValue::Json(value)))
                .collect(),
        }
    }

    /// Binds `name` to command-line text; returns the value it replaces.
    pub fn set_text(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
    ) -> Option<ParamValue> {
        self.values
            .insert(name.into(), ParamValue::Text(text.into()))
    }

    /// Binds `name` to a typed JSON value; returns the value it replaces.
    pub fn set_json(
        &mut self,
        name: impl Into<String>,
        value: serde_json::Value,
    ) -> Option<ParamValue> {
        self.values.insert(name.into(), ParamValue::Json(value))
    }

    /// The value bound to `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    /// Every binding, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.values.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Reads one `--param NAME=VALUE`: split at the first `=`, so the value
    /// may hold `=` itself. The error says what is wrong, for the command
    /// line to print.
    pub fn parse_text_binding(arg: &str) -> Result<(String, String), String> {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(format!(
                "expected NAME=VALUE after --param, found \"{arg}\" (no \"=\")"
            ));
        };
        if !is_param_name(name) {
            return Err(format!(
                "\"{name}\" is not a parameter name: letters, digits and \"_\", starting with a letter or \"_\" (the script writes it $name)"
            ));
        }
        Ok((name.to_owned(), value.to_owned()))
    }
}

/// Whether `name` can follow `$` in a script (`NAME = letter { letter | digit }`).
pub(crate) fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_binding_splits_at_the_first_equals_sign() {
        assert_eq!(
            Params::parse_text_binding("q=a=b").expect("splits"),
            ("q".to_owned(), "a=b".to_owned())
        );
        assert_eq!(
            Params::parse_text_binding("empty=").expect("splits"),
            ("empty".to_owned(), String::new())
        );
        let no_equals = Params::parse_text_binding("subject").unwrap_err();
        assert!(no_equals.contains("NAME=VALUE"), "{no_equals}");
        let bad_name = Params::parse_text_binding("1x=3").unwrap_err();
        assert!(bad_name.contains("not a parameter name"), "{bad_name}");
        assert!(Params::parse_text_binding("$x=3").is_err());
    }
}
