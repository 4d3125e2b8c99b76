//! Renders an error with the line it points into and a caret under the span:
//!
//! ```text
//! error: unknown field "staus"
//!   --> line 1, column 14
//!   |
//! 1 | claims where staus = unresolved
//!   |              ^^^^^
//!   = help: did you mean "status"?
//! ```
//!
//! Line and column are computed here, only when an error is shown; the
//! parser and the executor deal in byte offsets.

use std::fmt::Write as _;
use std::ops::Range;

/// Lines longer than this many characters are shown as a window around the
/// span, so a one-line 1 MiB script does not print 1 MiB of context.
const MAX_SHOWN_CHARS: usize = 160;
/// Characters shown before the span in such a window.
const CONTEXT_BEFORE: usize = 60;
/// Columns a tab is shown as.
const TAB_WIDTH: usize = 4;

/// Renders `message` (and `help`, if any) as a diagnostic pointing at
/// `span`, a range of byte offsets into `source`.
///
/// Line and column are 1-based; the column counts characters. The caret
/// line has at least one `^`; a span that runs past the end of its line is
/// underlined to the end of that line. A span at the end of input points
/// just past the last character that is not whitespace. Tabs are shown as
/// four spaces and control characters as their visible symbols (`␀`), so
/// the caret stays aligned. Offsets out of range or inside a character are
/// clamped, never a panic. The result has no trailing newline.
pub fn render(source: &str, span: Range<usize>, message: &str, help: Option<&str>) -> String {
    let (start, end) = clamp(source, span);
    let line_start = source[..start].rfind('\n').map_or(0, |p| p + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |p| start + p);
    let (line_no, column) = line_column(source, start..end);
    let line = &source[line_start..line_end];

    let before: Vec<char> = line[..start - line_start].chars().collect();
    let inside: Vec<char> = line[start - line_start..end.min(line_end) - line_start]
        .chars()
        .collect();
    let after: Vec<char> = line[end.min(line_end) - line_start..].chars().collect();

    // Choose the window of the line to show.
    let total = before.len() + inside.len() + after.len();
    let (skip, take) = if total <= MAX_SHOWN_CHARS {
        (0, total)
    } else {
        let skip = before.len().saturating_sub(CONTEXT_BEFORE);
        (skip, MAX_SHOWN_CHARS.min(total - skip))
    };
    let all = before.iter().chain(&inside).chain(&after);
    let mut text = String::new();
    if skip > 0 {
        text.push('…');
    }
    for &c in all.skip(skip).take(take) {
        push_visible(&mut text, c);
    }
    if skip + take < total {
        text.push('…');
    }

    let mut carets = String::new();
    if skip > 0 {
        carets.push(' ');
    }
    for &c in &before[skip.min(before.len())..] {
        carets.push_str(if c == '\t' { "    " } else { " " });
    }
    let room = (skip + take).saturating_sub(before.len().max(skip));
    let mut marks = 0;
    for &c in inside.iter().take(room) {
        let width = if c == '\t' { TAB_WIDTH } else { 1 };
        carets.extend(std::iter::repeat_n('^', width));
        marks += width;
    }
    if marks == 0 {
        carets.push('^');
    }

    let width = line_no.to_string().len();
    let pad = " ".repeat(width + 1);
    let mut out = String::new();
    let _ = writeln!(out, "error: {message}");
    let _ = writeln!(out, "{pad}--> line {line_no}, column {column}");
    let _ = writeln!(out, "{pad}|");
    let _ = writeln!(out, "{}", format!("{line_no} | {text}").trim_end());
    let _ = write!(out, "{pad}| {carets}");
    if let Some(help) = help {
        let _ = write!(out, "\n{pad}= help: {help}");
    }
    out
}

/// The 1-based line and column (in characters) where `span` starts, as
/// [`render`] shows them: for programs that report an error's position
/// themselves (the Python package's `e.line`, `e.column`).
pub fn line_column(source: &str, span: Range<usize>) -> (usize, usize) {
    let (start, _) = clamp(source, span);
    let line_start = source[..start].rfind('\n').map_or(0, |p| p + 1);
    let line = source.as_bytes()[..line_start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    (line, source[line_start..start].chars().count() + 1)
}

/// Clamps a span to `source` and to character boundaries; moves a span at
/// the very end back over trailing whitespace.
fn clamp(source: &str, span: Range<usize>) -> (usize, usize) {
    let mut start = span.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    if start == source.len() {
        start = source.trim_end().len();
    }
    let mut end = span.end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    (start, end)
}

/// Appends `c` as it should appear in the quoted line.
fn push_visible(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("    "),
        // U+2400.. are the "control pictures" of U+0000..U+001F.
        '\0'..='\x1f' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
        '\x7f' => out.push('␡'),
        _ => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape() {
        let src = "claims where staus = unresolved";
        let out = render(
            src,
            13..18,
            "unknown field \"staus\"",
            Some("did you mean \"status\"?"),
        );
        assert_eq!(
            out,
            "error: unknown field \"staus\"\n  --> line 1, column 14\n  |\n1 | claims where staus = unresolved\n  |              ^^^^^\n  = help: did you mean \"status\"?"
        );
    }

    #[test]
    fn later_lines_widen_the_gutter() {
        let src = "claims;\n".repeat(11) + "claims where";
        let out = render(&src, src.len()..src.len(), "expected a condition", None);
        assert_eq!(
            out,
            "error: expected a condition\n   --> line 12, column 13\n   |\n12 | claims where\n   |             ^"
        );
    }

    #[test]
    fn end_of_input_points_after_the_last_character() {
        let src = "claims where\n\n  ";
        let out = render(src, src.len()..src.len(), "m", None);
        assert!(out.contains("line 1, column 13"), "{out}");
        assert!(out.ends_with("  |             ^"), "{out}");
    }

    #[test]
    fn tabs_and_control_characters_keep_the_caret_aligned() {
        let src = "\tclaims\0 x";
        let out = render(src, 9..10, "m", None);
        assert!(
            out.contains("1 |     claims␀ x\n  |             ^"),
            "{out}"
        );
        assert!(out.contains("column 10"), "{out}");
    }

    #[test]
    fn multi_line_spans_stop_at_the_end_of_the_line() {
        let src = "show \"abc\ndef\"";
        let out = render(src, 5..14, "m", None);
        assert!(out.ends_with("1 | show \"abc\n  |      ^^^^"), "{out}");
    }

    #[test]
    fn huge_lines_are_windowed() {
        let src = format!("{}x{}", "a".repeat(100_000), "b".repeat(100_000));
        let out = render(&src, 100_000..100_001, "m", None);
        assert!(out.len() < 1_000, "{}", out.len());
        assert!(out.contains("column 100001"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let code = lines[3];
        let caret = lines[4];
        let x_at = code.chars().position(|c| c == 'x').expect("the code line");
        let caret_at = caret
            .chars()
            .position(|c| c == '^')
            .expect("the caret line");
        assert_eq!(x_at, caret_at, "{out}");
    }

    #[test]
    fn bad_offsets_do_not_panic() {
        let src = "é";
        for (a, b) in [
            (0, 0),
            (1, 1),
            (1, 2),
            (5, 3),
            (usize::MAX, usize::MAX),
            (0, 100),
        ] {
            let out = render(src, a..b, "m", Some("h"));
            assert!(out.contains('^'), "{out}");
        }
        assert!(render("", 0..0, "m", None).contains("line 1, column 1"));
    }
}
