//! "expected X after Y, found Z": what the parser wanted, what it found, and
//! the message that joins them.

use super::In;
use super::lexical::{blank, is_letter};
use crate::query::ast::Span;
use crate::query::error::{ParseError, ParseErrorKind};
use crate::suggest::did_you_mean;

/// Something the parser would have accepted.
#[derive(Clone, Copy)]
pub(super) enum Want {
    /// A literal token or keyword phrase, shown in quotes.
    Tok(&'static str),
    /// A class of token, shown as is (`a field`).
    Thing(&'static str),
}
pub(super) use Want::{Thing, Tok};

/// The words of `words` as [`Tok`]s, so that a list of the
/// [vocabulary](crate::query::vocabulary) serves as a list of what the parser
/// wants. `N` is `words.len()`.
pub(super) const fn toks<const N: usize>(words: &[&'static str]) -> [Want; N] {
    let mut out = [Tok(""); N];
    let mut at = 0;
    // `for` is not allowed in a `const fn`.
    while at < N {
        out[at] = Tok(words[at]);
        at += 1;
    }
    out
}

impl Want {
    /// How the token or class is written in a message.
    pub(super) fn show(self) -> String {
        match self {
            Tok(t) => format!("\"{t}\""),
            Thing(t) => t.to_string(),
        }
    }
}

/// The token at `i` (after blanks), described for an error message.
pub(super) struct Found {
    pub(super) span: Span,
    pub(super) text: String,
    pub(super) end: bool,
    pub(super) word: Option<String>,
}

pub(super) fn found(i: In) -> Found {
    let i = blank(i);
    let at = i.location_offset();
    let s = *i.fragment();
    let Some(c) = s.chars().next() else {
        return Found {
            span: at..at,
            text: "end of input".into(),
            end: true,
            word: None,
        };
    };
    let numeric =
        c.is_ascii_digit() || (c == '-' && s[1..].starts_with(|c: char| c.is_ascii_digit()));
    if c.is_ascii_alphanumeric() || c == '_' || numeric {
        // A number or date is shown whole: `2024-01-31`, `-1.5e3`.
        let glued =
            |c: char| c.is_ascii_alphanumeric() || c == '_' || (numeric && ".+-".contains(c));
        let len = s[1..].find(|c: char| !glued(c)).map_or(s.len(), |n| n + 1);
        let w = &s[..len];
        let word = is_letter(c)
            .then(|| w.to_string())
            .filter(|w| w.len() <= 64);
        return Found {
            span: at..at + len,
            text: show_word(w),
            end: false,
            word,
        };
    }
    let text = match c {
        '"' => "a string".to_string(),
        ' ' => "a space".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("character U+{:04X}", c as u32),
        c => format!("\"{c}\""),
    };
    Found {
        span: at..at + c.len_utf8(),
        text,
        end: false,
        word: None,
    }
}

/// `"word"`, cut short if long.
pub(super) fn show_word(w: &str) -> String {
    const MAX: usize = 40;
    match w.char_indices().nth(MAX) {
        Some((at, _)) => format!("\"{}…\"", w[..at].escape_debug()),
        None => format!("\"{}\"", w.escape_debug()),
    }
}

/// "expected WHAT [after "AFTER"], found …", with the expected tokens listed
/// and a did-you-mean for a misspelt keyword.
pub(super) fn expected_err(
    i: In,
    what: Option<&str>,
    want: &[Want],
    after: Option<&str>,
) -> ParseError {
    let found = found(i);
    let listed = or_list(want);
    let mut message = format!("expected {}", what.unwrap_or(&listed));
    if let Some(after) = after {
        message.push_str(&format!(" after \"{after}\""));
    }
    message.push_str(&format!(", found {}", found.text));
    let kind = if found.end {
        ParseErrorKind::UnexpectedEnd
    } else {
        ParseErrorKind::Unexpected
    };
    let mut e = ParseError::new(kind, message, found.span);
    e.expected = want.iter().map(|w| w.show()).collect();
    if let Some(word) = &found.word
        && let Some(s) = suggest_keyword(word, want)
    {
        e.help = Some(format!("did you mean \"{s}\"?"));
    }
    e
}

/// "a, b or c".
pub(super) fn or_list(want: &[Want]) -> String {
    let shown: Vec<String> = want.iter().map(|w| w.show()).collect();
    match shown.split_last() {
        None => "nothing".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The keyword phrase among `want` that `word` is a misspelling of.
pub(super) fn suggest_keyword(word: &str, want: &[Want]) -> Option<&'static str> {
    let phrases: Vec<&'static str> = want
        .iter()
        .filter_map(|w| match w {
            Tok(t) if t.starts_with(|c: char| c.is_ascii_alphabetic()) => Some(*t),
            _ => None,
        })
        .collect();
    let first = |t: &'static str| t.split(' ').next().unwrap_or(t);
    let chosen = did_you_mean(word, phrases.iter().map(|t| first(t)))?;
    phrases.into_iter().find(|t| first(t) == chosen)
}
