use serde::{Deserialize, Serialize};
use std::fmt;

/// A record id: 1–128 characters from `A-Z a-z 0-9 . _ : / -`, the first a
/// letter or digit (SPEC section 1). Case-sensitive; orders byte-wise.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Id(String);

/// Why a string is not a valid id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The empty string.
    #[error("an id cannot be empty")]
    Empty,
    /// More than 128 characters.
    #[error("an id has at most 128 characters, this one has {0}")]
    TooLong(usize),
    /// The first character is not a letter or digit.
    #[error("an id must start with a letter or digit, not {0:?}")]
    BadStart(char),
    /// A character outside the allowed set.
    #[error("an id may only contain letters, digits and . _ : / -, not {0:?}")]
    BadChar(char),
}

impl Id {
    /// Longest id, in characters (all of them ASCII, so also bytes).
    pub const MAX_LEN: usize = 128;

    /// Validates and wraps an id.
    pub fn new(text: &str) -> Result<Id, IdError> {
        let first = text.chars().next().ok_or(IdError::Empty)?;
        if !first.is_ascii_alphanumeric() {
            return Err(IdError::BadStart(first));
        }
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".:_/-".contains(*c)))
        {
            return Err(IdError::BadChar(bad));
        }
        if text.len() > Self::MAX_LEN {
            return Err(IdError::TooLong(text.len()));
        }
        Ok(Id(text.to_owned()))
    }

    /// The stand-in for an id the engine has yet to assign (SPEC section 1:
    /// `c<N>`, `s<N>`, …). Never stored: import and `add` replace it first.
    pub(crate) fn unassigned() -> Id {
        Id(String::new())
    }

    /// The id of the evidence a benchmark result derives for a claim
    /// (SPEC 8.3): `CLAIM~RESULT`. `~` cannot occur in an id, so it is never
    /// the id of a recorded record, and no statement or file can name one
    /// through [`Id::new`].
    pub fn derived_evidence(claim: &Id, result: &Id) -> Id {
        Id(format!("{}~{}", claim.0, result.0))
    }

    /// An id read back from the store: a valid id, or a derived evidence
    /// id whose two halves are valid ids.
    pub fn stored(text: &str) -> Result<Id, IdError> {
        match Id::split_derived(text) {
            Some((claim, result)) => Ok(Id::derived_evidence(&Id::new(claim)?, &Id::new(result)?)),
            None => Id::new(text),
        }
    }

    /// The claim and result a derived evidence id (`CLAIM~RESULT`) joins;
    /// `None` for any other text.
    pub fn split_derived(text: &str) -> Option<(&str, &str)> {
        text.split_once('~')
    }

    /// Whether a stored id, as bytes, is derived evidence's.
    pub(crate) fn bytes_are_derived(id: &[u8]) -> bool {
        std::str::from_utf8(id).is_ok_and(|id| Id::split_derived(id).is_some())
    }

    /// Whether this is the id of derived evidence (SPEC 8.3).
    pub fn is_derived(&self) -> bool {
        self.0.contains('~')
    }

    /// Whether this is the stand-in for an id not yet assigned (a record added without one).
    pub fn is_unassigned(&self) -> bool {
        self.0.is_empty()
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        assert!(Id::new("liar2:11/self").is_ok());
        assert!(Id::new("wiki:Soul_Food_-LRB-film-RRB").is_ok());
        assert!(Id::new(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(Id::new(""), Err(IdError::Empty));
        assert_eq!(Id::new("-x"), Err(IdError::BadStart('-')));
        assert_eq!(Id::new("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(Id::new(&"a".repeat(129)), Err(IdError::TooLong(129)));
        assert_eq!(Id::new("é"), Err(IdError::BadStart('é')));
    }
}
