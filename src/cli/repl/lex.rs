//! A forgiving tokenizer for what is being typed: it never fails, keeps every
//! byte of the input in some token, and tells an unterminated string from a
//! closed one. Highlighting, completion and the line splitter of scripts use
//! it; the real parser (`evident::query`) decides what a statement means.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// White space, line breaks included.
    Space,
    /// `-- …` to the end of the line.
    Comment,
    /// A name, keyword, field path (`source.kind`) or bare id.
    Word,
    /// A number (`0.7`, `-3`, `1e3`).
    Number,
    /// A date (`2024-06-16`).
    Date,
    /// A double-quoted string; `closed` is false when the input ends inside it.
    String {
        /// Whether the closing quote was found.
        closed: bool,
    },
    /// An operator or a bracket: `( ) [ ] { } , ; : = != < <= > >= ~`.
    Punct,
    /// Anything else (a stray character).
    Other,
}

/// One token: its kind and its byte range in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Token {
    /// The token's text.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }

    /// Whether the token says something (is not a blank or a comment).
    pub fn is_significant(&self) -> bool {
        !matches!(self.kind, TokenKind::Space | TokenKind::Comment)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters that continue a word (an id, a field path) only when a letter,
/// digit or `_` follows them: `claim:abc`, `source.kind`, `a/b-c`.
fn is_joiner(c: char) -> bool {
    matches!(c, '.' | ':' | '/' | '-')
}

/// Splits `text` into tokens covering all of it.
pub fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        let (kind, len) = if c.is_whitespace() {
            let len = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            (TokenKind::Space, len)
        } else if rest.starts_with("--") {
            (TokenKind::Comment, rest.find('\n').unwrap_or(rest.len()))
        } else if c == '"' {
            string_len(rest)
        } else if c.is_ascii_digit()
            || (c == '-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let len = word_len(rest, true);
            (classify_literal(&rest[..len]), len)
        } else if is_word_char(c) {
            (TokenKind::Word, word_len(rest, false))
        } else if rest.starts_with("!=") || rest.starts_with("<=") || rest.starts_with(">=") {
            (TokenKind::Punct, 2)
        } else if "()[]{},;:=<>~!".contains(c) {
            (TokenKind::Punct, 1)
        } else {
            (TokenKind::Other, c.len_utf8())
        };
        tokens.push(Token {
            kind,
            start: i,
            end: i + len,
        });
        i += len;
    }
    tokens
}

/// Length of a double-quoted string at the start of `rest` (which starts
/// with `"`), escapes honoured.
fn string_len(rest: &str) -> (TokenKind, usize) {
    let mut escaped = false;
    for (at, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return (TokenKind::String { closed: true }, at + 1),
            _ => {}
        }
    }
    (TokenKind::String { closed: false }, rest.len())
}

/// Length of the word (or numeric literal) at the start of `rest`. A `.` at
/// the very end of the input belongs to the word, so `source.` is one token
/// while it is being typed.
fn word_len(rest: &str, numeric: bool) -> usize {
    let mut end = 0;
    let mut chars = rest.char_indices().peekable();
    let mut previous = None;
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let keep = if at == 0 || is_word_char(c) {
            true
        } else if numeric && (c == '+' || c == '-') && matches!(previous, Some('e' | 'E')) {
            next.is_some_and(|n| n.is_ascii_digit())
        } else if c == '-' && next == Some('-') {
            false
        } else if is_joiner(c) {
            match next {
                Some(n) => is_word_char(n),
                None => c == '.',
            }
        } else {
            false
        };
        if !keep {
            break;
        }
        end = at + c.len_utf8();
        previous = Some(c);
    }
    end
}

fn classify_literal(text: &str) -> TokenKind {
    let b = text.as_bytes();
    let is_date = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if is_date {
        TokenKind::Date
    } else if text.parse::<f64>().is_ok() {
        TokenKind::Number
    } else {
        TokenKind::Word
    }
}

/// Whether `text` ends inside a string literal (a line break typed there
/// belongs to the string).
pub fn ends_in_open_string(text: &str) -> bool {
    tokenize(text)
        .last()
        .is_some_and(|t| t.kind == TokenKind::String { closed: false })
}

/// Whether `text` holds nothing but blanks and comments.
pub fn is_blank(text: &str) -> bool {
    tokenize(text).iter().all(|t| !t.is_significant())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        tokenize(text)
            .into_iter()
            .filter(Token::is_significant)
            .map(|t| (t.kind, t.text(text)))
            .collect()
    }

    #[test]
    fn splits_a_statement() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"claims where source.kind = "memo" and confidence >= 0.7 -- note"#),
            vec![
                (Word, "claims"),
                (Word, "where"),
                (Word, "source.kind"),
                (Punct, "="),
                (String { closed: true }, "\"memo\""),
                (Word, "and"),
                (Word, "confidence"),
                (Punct, ">="),
                (Number, "0.7"),
            ]
        );
    }

    #[test]
    fn literals_ids_and_records() {
        use TokenKind::*;
        assert_eq!(
            kinds("show claim:models-not-production-grade"),
            vec![(Word, "show"), (Word, "claim:models-not-production-grade")]
        );
        assert_eq!(
            kinds("as of 2026-06-16 limit -3 1e-3"),
            vec![
                (Word, "as"),
                (Word, "of"),
                (Date, "2026-06-16"),
                (Word, "limit"),
                (Number, "-3"),
                (Number, "1e-3")
            ]
        );
        assert_eq!(
            kinds(r#"{text:"a \" b", tags: [x]}"#),
            vec![
                (Punct, "{"),
                (Word, "text"),
                (Punct, ":"),
                (String { closed: true }, r#""a \" b""#),
                (Punct, ","),
                (Word, "tags"),
                (Punct, ":"),
                (Punct, "["),
                (Word, "x"),
                (Punct, "]"),
                (Punct, "}")
            ]
        );
        assert_eq!(
            kinds("where source."),
            vec![(Word, "where"), (Word, "source.")]
        );
        assert_eq!(kinds("a--b"), vec![(Word, "a")]);
    }

    #[test]
    fn open_strings_and_blanks() {
        assert!(ends_in_open_string(r#"add claim {text: "abc"#));
        assert!(ends_in_open_string(r#"x = "a\""#));
        assert!(!ends_in_open_string(r#"x = "a\\""#));
        assert!(!ends_in_open_string(r#"x = "a""#));
        assert!(is_blank("  -- only a comment\n\t"));
        assert!(!is_blank("-- c\nclaims"));
    }

    #[test]
    fn covers_every_byte_of_any_input() {
        for text in [
            "",
            "é\"",
            "¬!=<=>=~",
            "\"\\",
            "-",
            "--",
            "1e",
            "x.",
            "a:b:",
            "ab\u{0}c",
        ] {
            let tokens = tokenize(text);
            let mut at = 0;
            for t in &tokens {
                assert_eq!(t.start, at, "{text:?}");
                assert!(t.end > t.start, "{text:?}");
                at = t.end;
            }
            assert_eq!(at, text.len(), "{text:?}");
        }
    }
}
