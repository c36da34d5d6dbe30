//! A bound on how deep a page's elements nest, before the HTML parser sees
//! it. The tree builder checks its stack of open elements on many tags, so
//! that a page of 100,000 nested `<div>`s costs time quadratic in the depth;
//! no real page nests more than a few dozen levels. Start tags past
//! [`MAX_NESTING`] (and the end tags that close them) are dropped, their
//! content kept, in one linear pass over the text.
//!
//! The depth counted here is an estimate from the tags alone: void elements,
//! self-closing tags and elements whose end tag is optional (`p`, `li`,
//! `td`...) do not count, and raw-text elements (`script`, `style`,
//! `textarea`, `title`), comments and CDATA are skipped whole, so that real
//! pages, however sloppy, stay far below the bound.

use std::borrow::Cow;

/// Elements nested deeper than this are flattened.
pub(crate) const MAX_NESTING: usize = 512;

const NOT_COUNTED: &[&str] = &[
    // Void elements.
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", // End tag optional: often left open by real pages.
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "rb", "rt", "rtc", "rp", "html", "head", "body",
];

const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

/// `source` with the tags nested deeper than [`MAX_NESTING`] removed, and
/// how many start tags were removed.
pub(crate) fn flatten(source: &str) -> (Cow<'_, str>, usize) {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut dropped = 0usize;
    // Byte ranges to remove, in order.
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0usize;
    while let Some(off) = bytes
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'<'))
    {
        let at = i + off;
        let rest = bytes.get(at..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            i = find(bytes, at + 4, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = find(bytes, at + 9, b"]]>").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_at = at + if closing { 2 } else { 1 };
        let name_len = bytes
            .get(name_at..)
            .unwrap_or_default()
            .iter()
            .position(|b| !b.is_ascii_alphanumeric() && *b != b'-' && *b != b':')
            .unwrap_or(bytes.len() - name_at);
        if name_len == 0 || !bytes.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            i = at + 1;
            continue;
        }
        let name = source
            .get(name_at..name_at + name_len)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let end = tag_end(bytes, name_at + name_len);
        let self_closing = end >= 2 && bytes.get(end - 2) == Some(&b'/');
        if closing {
            if !NOT_COUNTED.contains(&name.as_str()) {
                if depth > MAX_NESTING {
                    cuts.push((at, end));
                }
                depth = depth.saturating_sub(1);
            }
            i = end;
            continue;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            // Skip to its end tag: what is inside is not markup.
            let close = format!("</{name}");
            i = find_ci(bytes, end, close.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        if !self_closing && !NOT_COUNTED.contains(&name.as_str()) {
            depth += 1;
            if depth > MAX_NESTING {
                cuts.push((at, end));
                dropped += 1;
            }
        }
        i = end;
    }
    if cuts.is_empty() {
        return (Cow::Borrowed(source), 0);
    }
    let mut out = String::with_capacity(source.len());
    let mut from = 0;
    for (start, end) in cuts {
        out.push_str(source.get(from..start).unwrap_or_default());
        from = end;
    }
    out.push_str(source.get(from..).unwrap_or_default());
    (Cow::Owned(out), dropped)
}

/// Just past the `>` that ends the tag whose name ends at `from`, quoted
/// attribute values skipped; the end of the text when there is none.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut j = from;
    while let Some(&b) = bytes.get(j) {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return j + 1,
            _ => {}
        }
        j += 1;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_pages_are_untouched() {
        let page = "<html><body><ul><li>a<li>b</ul><p>x<p>y<br><img src=a><div><span>z</span></div>\
                    <script>if (a<b) { x = '<div>'.repeat(1000); }</script><!-- <div> --></body></html>";
        let (out, dropped) = flatten(page);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(dropped, 0);
        // A thousand unclosed paragraphs or list items do not count.
        let sloppy = "<p>x".repeat(1000) + &"<li>y".repeat(1000);
        assert_eq!(flatten(&sloppy).1, 0);
    }

    #[test]
    fn deep_nesting_is_flattened_past_the_bound_content_kept() {
        let n = MAX_NESTING + 100;
        let page = format!(
            "{}deep{}<b>after</b>",
            "<div class='a>b'>".repeat(n),
            "</div>".repeat(n)
        );
        let (out, dropped) = flatten(&page);
        assert_eq!(dropped, 100);
        assert_eq!(out.matches("<div").count(), MAX_NESTING);
        assert_eq!(out.matches("</div>").count(), MAX_NESTING);
        assert!(out.contains("deep"));
        assert!(out.ends_with("<b>after</b>"));
    }
}
