//! The words of the query language, in one place.
//!
//! The parser reads these words, and the shell completes and colours them
//! (`evident`'s REPL), so the three cannot disagree about what a keyword is.
//! Each list is in the order a user is shown it: the order of the grammar
//! (`grammar/query.ebnf`), which is also the order of the parser's "expected
//! …" lists and of the shell's completions.
//!
//! Words are matched ignoring ASCII case, as the parser does: `WHERE` is
//! `where`. The lists themselves are lowercase.
//!
//! It is not: the field names and their types (those are the records', in
//! [`crate::model::fields`]), nor the grammar, which says where each word may
//! stand.

/// The statuses a claim can have (`claims where status = unresolved`).
pub use crate::model::fields::STATUSES;

/// The stances of evidence (`evidence where stance = refutes`).
pub use crate::model::fields::STANCES;

/// The known kinds of source (`sources where kind = paper`).
pub use crate::model::fields::SOURCE_KINDS;

/// The collections a query or a count ranges over: `claims where …`,
/// `count sources`.
pub const COLLECTIONS: &[&str] = &["claims", "sources", "evidence", "results"];

/// The kinds of record `add` makes: `add claim { … }`.
pub const KINDS: &[&str] = &["claim", "source", "evidence", "result"];

/// The words that start a statement other than a query: `count claims`,
/// `show c1`.
pub const COMMANDS: &[&str] = &["count", "show", "explain", "add", "retract"];

/// Every word that may start a statement: the [`COLLECTIONS`] (a query),
/// then the [`COMMANDS`].
pub const STATEMENT_WORDS: &[&str] = &[
    "claims", "sources", "evidence", "results", "count", "show", "explain", "add", "retract",
];

/// The clauses that may follow the collection of a query, in the order they
/// must be written (`limit` may be followed by `offset`, which is not listed
/// because it never follows the collection directly). The shell's
/// completions.
pub const QUERY_CLAUSES: &[&str] = &["as of", "where", "group by", "order by", "limit", "select"];

/// The clauses that may follow the collection of a count, in order (the
/// shell's completions; see [`QUERY_CLAUSES`]).
pub const COUNT_CLAUSES: &[&str] = &["as of", "where", "group by", "order by", "limit"];

/// The aggregates over a group's records, in `select` and `order by`:
/// `count`, `avg(value)`. `avg`, `min`, `max` and `sum` are aggregates only
/// before `(`, so they are not [`RESERVED`]: `tags has max` means the text.
pub const AGGREGATES: &[&str] = &["count", "avg", "min", "max", "sum"];

/// Keywords only where the grammar expects them (SPEC 4.1), so not
/// [`RESERVED`]: `tags has group` compares with the text "group".
pub const CONTEXTUAL: &[&str] = &["group", "avg", "min", "max", "sum"];

/// Words that are keywords wherever they stand: none is a field at the start
/// of a condition, nor a bare value (quote it to use it as text:
/// `subject = "order"`).
pub const RESERVED: &[&str] = &[
    "where", "and", "or", "not", "order", "by", "limit", "offset", "select", "as", "of", "in",
    "has", "is", "null", "asc", "desc", "true", "false",
];

/// The quantifiers over evidence: `any evidence (stance = refutes)`.
///
/// They are keywords only before `evidence`, so they are not [`RESERVED`]:
/// `subject = no` compares with the text "no".
pub const QUANTIFIERS: &[&str] = &["any", "no", "all"];

/// Words that may follow a whole condition: a connective or the next clause.
/// The parser leaves a near miss of one of these (`oder by`) to the check at
/// the end of the statement, which suggests the right word.
pub const AFTER_CONDITION: &[&str] = &["and", "or", "order", "limit", "offset", "select", "group"];

/// The comparison operators (`op` in the grammar): `confidence >= 0.7`.
pub const COMPARISONS: &[&str] = &["=", "!=", "<", "<=", ">", ">="];

/// Every test that may follow a field, operators and keyword phrases alike:
/// `status = verified`, `text ~ "x"`, `status not in (…)`, `tags has ai`,
/// `subject is null`.
pub const OPERATORS: &[&str] = &[
    "=", "!=", "<", "<=", ">", ">=", "~", "in", "not in", "has", "is",
];

/// Operators of other languages that evident spells otherwise, with the
/// spelling it uses: `status == verified` gets "did you mean "="?".
pub const FOREIGN_OPERATORS: &[(&str, &str)] = &[
    ("==", "="),
    ("<>", "!="),
    ("=<", "<="),
    ("=>", ">="),
    ("!<", ">="),
    ("!>", "<="),
];

/// The boolean values: `retracted = false`.
pub const BOOLEANS: &[&str] = &["true", "false"];

/// Whether `word` is in `words`, ignoring ASCII case as the parser does.
pub fn is_one_of(words: &[&str], word: &str) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether `word` is [`RESERVED`], in any case: it cannot be a field or a
/// bare value.
pub fn is_reserved(word: &str) -> bool {
    is_one_of(RESERVED, word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn collections_and_kinds_are_the_models() {
        let mut kinds: Vec<Kind> = COLLECTIONS
            .iter()
            .map(|c| Kind::from_collection(c).expect("a collection"))
            .collect();
        for (c, k) in COLLECTIONS.iter().zip(KINDS) {
            assert_eq!(Kind::from_collection(c), Kind::from_name(k), "{c} / {k}");
        }
        kinds.sort_by_key(|k| k.name());
        kinds.dedup();
        assert_eq!(kinds.len(), Kind::EXPORT_ORDER.len());
    }

    #[test]
    fn statement_words_are_the_collections_then_the_commands() {
        let joined: Vec<&str> = COLLECTIONS.iter().chain(COMMANDS).copied().collect();
        assert_eq!(STATEMENT_WORDS, joined.as_slice());
    }

    #[test]
    fn lists_are_lowercase_and_have_no_repeats() {
        for list in [
            COLLECTIONS,
            KINDS,
            STATEMENT_WORDS,
            QUERY_CLAUSES,
            COUNT_CLAUSES,
            RESERVED,
            QUANTIFIERS,
            AGGREGATES,
            CONTEXTUAL,
            AFTER_CONDITION,
            OPERATORS,
            BOOLEANS,
        ] {
            for (at, w) in list.iter().enumerate() {
                assert_eq!(*w, w.to_ascii_lowercase());
                assert!(!list[..at].contains(w), "{w} twice in {list:?}");
            }
        }
    }

    #[test]
    fn quantifiers_are_not_reserved_but_their_partners_are() {
        assert!(QUANTIFIERS.iter().all(|q| !is_reserved(q)));
        assert!(is_reserved("WHERE") && is_reserved("Null"));
        let keyword = |w: &str| is_reserved(w) || is_one_of(CONTEXTUAL, w);
        assert!(AFTER_CONDITION.iter().all(|w| keyword(w)));
        assert!(BOOLEANS.iter().all(|w| is_reserved(w)));
        assert!(CONTEXTUAL.iter().all(|w| !is_reserved(w)));
        // Every word of a clause phrase is a keyword; each phrase ends in
        // a reserved one, so a contextual first word is never a clause alone.
        for phrase in QUERY_CLAUSES.iter().chain(COUNT_CLAUSES) {
            assert!(phrase.split(' ').all(keyword), "{phrase}");
            assert!(phrase.split(' ').any(is_reserved), "{phrase}");
        }
    }

    #[test]
    fn comparisons_are_operators_and_foreign_ones_map_to_them() {
        assert!(COMPARISONS.iter().all(|c| OPERATORS.contains(c)));
        for (foreign, ours) in FOREIGN_OPERATORS {
            assert!(COMPARISONS.contains(ours), "{foreign} → {ours}");
            assert!(!OPERATORS.contains(foreign));
        }
    }
}
