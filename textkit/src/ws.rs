//! Whitespace folding.
//!
//! Sources pad their text with every kind of space: tabs and line breaks
//! from the HTML source, no-break spaces (U+00A0) from `&nbsp;`, zero-width
//! spaces (U+200B) from editors. [`collapse_ws`] makes one line of it;
//! [`collapse_lines`] keeps the line structure that block tags gave.

/// Fold every run of whitespace (U+00A0 and U+200B included) into one space
/// and trim.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c == '\u{200b}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Characters that take no room: removed from inside words.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{feff}' | '\u{ad}' | '\u{200c}' | '\u{200d}'
    )
}

/// Collapse whitespace but keep lines: each line trimmed, runs of spaces to
/// one, zero-width characters removed, at most one blank line in a row, none
/// at either end.
pub fn collapse_lines(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in raw.split('\n') {
        let mut l = String::new();
        for word in line.split(char::is_whitespace).filter(|w| !w.is_empty()) {
            let word: String = word.chars().filter(|c| !invisible(*c)).collect();
            if word.is_empty() {
                continue;
            }
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(&word);
        }
        if l.is_empty() && lines.last().is_none_or(|p: &String| p.is_empty()) {
            continue;
        }
        lines.push(l);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_every_space() {
        assert_eq!(collapse_ws("  a\u{a0}\n\t b\u{200b}c  "), "a b c");
        assert_eq!(collapse_ws(" \u{a0} "), "");
        assert!('\u{a0}'.is_whitespace());
    }

    #[test]
    fn lines_keep_one_blank_line_and_lose_invisible_characters() {
        assert_eq!(
            collapse_lines("\n\n a  b \n\n\n\u{a0}c\u{200b}d\u{ad}e \n \n"),
            "a b\n\ncde"
        );
        assert_eq!(collapse_lines("\u{200b} \u{feff}"), "");
    }
}
