//! HTML fragments to plain text.
//!
//! * [`html_to_text`]: entities decoded, tags removed (block tags and `<br>`
//!   become line breaks, `<script>`/`<style>` are dropped with their
//!   content), whitespace collapsed, single blank lines kept between
//!   paragraphs. Text without tags keeps its own line breaks.
//! * [`strip_tags`]: the same before whitespace is collapsed.
//! * [`has_markup`]: whether a text is HTML at all.
//! * [`clean_text`]: a value with entities but no tags (a JSON-LD name, a
//!   WordPress title) on one line.
//!
//! A small scanner, not an HTML parser: it never panics and never needs the
//! document to be well formed. Parsers that need the DOM use `scraper`.

use crate::entities::decode_entities;
use crate::ws::{collapse_lines, collapse_ws};

/// Elements dropped with their content.
const DROPPED: &[&str] = &[
    "script", "style", "head", "noscript", "template", "svg", "iframe", "object",
];

/// Elements that start a new paragraph (a blank line).
const PARAGRAPH: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "dl",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "figure",
    "hr",
    "address",
    "form",
    "fieldset",
];

/// Elements that start a new line.
const LINE: &[&str] = &[
    "br",
    "div",
    "li",
    "tr",
    "dt",
    "dd",
    "figcaption",
    "caption",
    "option",
    "body",
    "html",
    "center",
];

/// HTML to plain text (see the module doc). Never panics.
pub fn html_to_text(input: &str) -> String {
    let raw = if has_markup(input) {
        strip_tags(input)
    } else {
        decode_entities(&input.replace("\r\n", "\n").replace('\r', "\n"))
    };
    collapse_lines(&raw)
}

/// Decode and fold: what a title or a place name should look like.
pub fn clean_text(s: &str) -> String {
    collapse_ws(&decode_entities(s))
}

/// Whether the text has HTML markup (a tag or a comment), as opposed to
/// plain text that may contain entities or a lone `<`.
pub fn has_markup(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().any(|(i, b)| {
        *b == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'/' || *n == b'!')
            && bytes.get(i + 1..).is_some_and(|rest| rest.contains(&b'>'))
    })
}

/// The lowercase tag name at the start of `s` (after `<` or `</`).
fn tag_name(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Remove tags and decode entities; source whitespace becomes spaces, block
/// boundaries become `\n` (line) or `\n\n` (paragraph). Whitespace is left
/// for [`collapse_lines`].
pub fn strip_tags(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut text = String::new();
    let mut rest = input;
    let flush = |text: &mut String, out: &mut String| {
        if !text.is_empty() {
            let decoded = decode_entities(text);
            for c in decoded.chars() {
                out.push(if c == '\n' || c == '\r' || c == '\t' {
                    ' '
                } else {
                    c
                });
            }
            text.clear();
        }
    };
    while let Some(pos) = rest.find('<') {
        let (before, after) = rest.split_at(pos);
        text.push_str(before);
        let inner = after.get(1..).unwrap_or("");
        if let Some(comment) = inner.strip_prefix("!--") {
            flush(&mut text, &mut out);
            rest = match comment.find("-->") {
                Some(end) => comment.get(end + 3..).unwrap_or(""),
                None => "",
            };
            continue;
        }
        let closing = inner.starts_with('/');
        let name_src = if closing {
            inner.get(1..).unwrap_or("")
        } else {
            inner
        };
        let starts_tag = name_src
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            || inner.starts_with('!')
            || inner.starts_with('?');
        let Some(end) = inner.find('>').filter(|_| starts_tag) else {
            // A lone '<': text.
            text.push('<');
            rest = inner;
            continue;
        };
        flush(&mut text, &mut out);
        let name = tag_name(name_src);
        let self_closing = inner.get(..end).is_some_and(|t| t.ends_with('/'));
        rest = inner.get(end + 1..).unwrap_or("");
        if !closing && !self_closing && DROPPED.contains(&name.as_str()) {
            // Skip to the matching closing tag.
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(at) => {
                    let after_close = rest.get(at..).unwrap_or("");
                    match after_close.find('>') {
                        Some(gt) => after_close.get(gt + 1..).unwrap_or(""),
                        None => "",
                    }
                }
                None => "",
            };
            continue;
        }
        if PARAGRAPH.contains(&name.as_str()) {
            out.push_str("\n\n");
        } else if LINE.contains(&name.as_str()) {
            if name == "br" || !out.trim_end_matches(' ').ends_with('\n') {
                out.push('\n');
            }
            if name == "li" && !closing {
                out.push_str("- ");
            }
        } else if name == "td" || name == "th" {
            out.push(' ');
        }
    }
    text.push_str(rest);
    flush(&mut text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_numeric_entities() {
        assert_eq!(
            html_to_text("Caf&eacute; &amp; th&#233;&#xE9; &rsquo;&nbsp;ok&hellip;"),
            "Café & théé ’ ok…"
        );
        assert_eq!(html_to_text("l&#146;orchestre"), "l\u{2019}orchestre");
        assert_eq!(
            html_to_text("&unknown; &#0; &#x110000; & alone"),
            "&unknown; \u{fffd} \u{fffd} & alone"
        );
        assert_eq!(
            html_to_text("AT&T &amp fish &copy 2026"),
            "AT&T & fish © 2026"
        );
        assert_eq!(html_to_text("&amp;eacute;"), "&eacute;");
    }

    #[test]
    fn html_blocks_become_lines_and_paragraphs() {
        let html = "<p>Premier  paragraphe,\n suite.</p><p>Second<br>ligne&nbsp;deux</p>\
                    <script>alert('x')</script><style>p{}</style><ul><li>un</li><li>deux</li></ul>\
                    <!-- commentaire --><div>fin <b>gras</b> <a href=\"x\">lien</a></div>";
        assert_eq!(
            html_to_text(html),
            "Premier paragraphe, suite.\n\nSecond\nligne deux\n\n- un\n- deux\n\nfin gras lien"
        );
    }

    #[test]
    fn plain_text_keeps_its_lines_and_single_blank_lines() {
        assert_eq!(
            html_to_text("  Ligne 1\r\n\r\n\r\n\tLigne   2 \n Ligne 3  \n\n"),
            "Ligne 1\n\nLigne 2\nLigne 3"
        );
        assert_eq!(html_to_text("a < b et c > d"), "a < b et c > d");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn strip_tags_leaves_whitespace_for_later() {
        assert_eq!(
            strip_tags("<p>a\tb</p><td>c</td><!-- x --><br/>&lt;d&gt;"),
            "\n\na b\n\n c \n<d>"
        );
        assert_eq!(strip_tags("<style>p{}</STYLE>x<script>"), "x");
    }

    #[test]
    fn markup_is_a_tag_or_a_comment() {
        assert!(has_markup("<p>x</p>"));
        assert!(has_markup("x<br/>y"));
        assert!(has_markup("<!-- c -->"));
        assert!(!has_markup("a < b et c > d"));
        assert!(!has_markup("Caf&eacute; &amp; th&eacute;"));
        assert!(!has_markup("<p"));
    }

    #[test]
    fn clean_text_decodes_and_folds() {
        assert_eq!(clean_text("  a&nbsp;\n b "), "a b");
        assert_eq!(
            clean_text("Th&eacute;&acirc;tre\u{200b} du&#160;Nord"),
            "Théâtre du Nord"
        );
    }

    #[test]
    fn broken_html_does_not_panic() {
        for s in [
            "<", "<<>>", "<p", "</", "<!--", "<?", "<!", "&#", "&#x;", "&", "<script", "<script>",
        ] {
            let _ = html_to_text(s);
            let _ = strip_tags(s);
            let _ = clean_text(s);
        }
        // A `>` inside a quoted attribute ends the tag: the rest is text.
        assert_eq!(html_to_text("<a href='>'>x</a>"), "'>x");
        assert_eq!(html_to_text("&#99999999999999999;"), "\u{fffd}");
        assert_eq!(html_to_text("<script>never closed"), "");
        assert_eq!(html_to_text("<é>é</é>"), "<é>é</é>");
    }
}
