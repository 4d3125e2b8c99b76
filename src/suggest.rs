//! "Did you mean …?" suggestions for misspelt names: keywords and
//! collections in the parser, fields and known values in the executor
//! (`staus` → `status`), field names, types and stances on import. A leaf
//! of the crate, so every layer uses it without reaching up.

/// Words longer than this get no suggestion: nobody misspells a 65-letter
/// keyword, and the distance computation is quadratic.
const MAX_WORD_CHARS: usize = 64;

/// The candidate closest to `word`, if it is close enough to be what was meant.
///
/// Distance is the optimal-string-alignment (restricted Damerau–Levenshtein)
/// distance, ignoring case: one insertion, deletion, substitution or swap of
/// two neighbouring letters each counts 1 (`cliams` → `claims` is 1). A
/// candidate is close enough when the distance is at most a third of the
/// word's length (at least 1) and smaller than the word's length, so that a
/// one-letter word is never "corrected" into an unrelated keyword. Between
/// equally close candidates, one that starts with the same letter wins, then
/// the one listed first. A candidate equal to `word` ignoring case
/// is returned (distance 0), which turns `Status` into `status`.
///
/// ```
/// use evident::suggest::did_you_mean;
/// let keywords = ["where", "order", "limit", "select"];
/// assert_eq!(did_you_mean("were", keywords), Some("where"));
/// assert_eq!(did_you_mean("oder", keywords), Some("order"));
/// assert_eq!(did_you_mean("banana", keywords), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    if word.is_empty() || word.len() > MAX_WORD_CHARS {
        return None;
    }
    let limit = (word.len() / 3).max(1);
    let mut best: Option<((usize, usize), &'a str)> = None;
    for candidate in candidates {
        let lowered: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
        if lowered.len() > MAX_WORD_CHARS || lowered.len().abs_diff(word.len()) > limit {
            continue;
        }
        let distance = osa_distance(&word, &lowered);
        let close = distance == 0 || (distance <= limit && distance < word.len());
        // Between equally close candidates, one with the same first letter
        // wins (`dsc` is `desc`, not `asc`), then the one listed first.
        let rank = (distance, usize::from(lowered.first() != word.first()));
        if close && best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance between `a` and `b`.
fn osa_distance(a: &[char], b: &[char]) -> usize {
    // Three rolling rows: the swap rule looks two rows back.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two_back[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa_distance(&a, &b)
    }

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("cliams", "claims"), 1);
        assert_eq!(distance("staus", "status"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3);
    }

    #[test]
    fn suggests_close_words_only() {
        let collections = ["claims", "sources", "evidence", "results"];
        assert_eq!(did_you_mean("cliams", collections), Some("claims"));
        assert_eq!(did_you_mean("sourcs", collections), Some("sources"));
        assert_eq!(did_you_mean("CLAIMZ", collections), Some("claims"));
        assert_eq!(did_you_mean("evidense", collections), Some("evidence"));
        assert_eq!(did_you_mean("people", collections), None);
        assert_eq!(did_you_mean("", collections), None);
        assert_eq!(did_you_mean("a", ["as", "and"]), None);
        assert_eq!(did_you_mean("an", ["as", "and"]), Some("as"));
        assert_eq!(did_you_mean("Status", ["status"]), Some("status"));
        assert_eq!(did_you_mean(&"x".repeat(10_000), ["x"]), None);
    }

    #[test]
    fn prefers_the_closest_then_the_first() {
        assert_eq!(
            did_you_mean("stat", ["state", "stats", "status"]),
            Some("state")
        );
        assert_eq!(
            did_you_mean("sttaus", ["status", "stratus"]),
            Some("status")
        );
    }
}
