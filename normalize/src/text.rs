//! Text: HTML to plain text, entities, whitespace, and the folded form used
//! to compare words (categories, venues).
//!
//! * [`html_to_text`]: entities decoded (named, decimal, hex), tags removed
//!   (block tags and `<br>` become line breaks, `<script>`/`<style>` are
//!   dropped with their content), whitespace collapsed, single blank lines
//!   kept between paragraphs. Text without tags keeps its own line breaks.
//! * [`clean_title`]: the same, on one line.
//! * [`fold_for_match`]: lowercase, accents removed, punctuation to spaces.
//! * [`sanitize_html`]: the description as safe HTML (ammonia): paragraphs,
//!   line breaks, emphasis, lists, headings h3–h6, quotes and http(s)/mailto
//!   links with `rel="noopener nofollow"`; no images, scripts or styles.
//!   [`has_markup`] says whether a text is HTML at all.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

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
    let raw = if looks_like_html(input) {
        strip_tags(input)
    } else {
        decode_entities(&input.replace("\r\n", "\n").replace('\r', "\n"))
    };
    collapse(&raw)
}

/// A title: [`html_to_text`] on one line.
pub fn clean_title(input: &str) -> String {
    let text = html_to_text(input);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Lowercase, accents removed (NFD without combining marks; œ → oe,
/// æ → ae, ß → ss), anything not a letter or digit to a space, whitespace
/// collapsed.
pub fn fold_for_match(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut space = true;
    let push = |out: &mut String, c: char, space: &mut bool| {
        if c.is_alphanumeric() {
            out.push(c);
            *space = false;
        } else if !*space {
            out.push(' ');
            *space = true;
        }
    };
    for c in input.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                'œ' => {
                    push(&mut out, 'o', &mut space);
                    push(&mut out, 'e', &mut space);
                }
                'æ' => {
                    push(&mut out, 'a', &mut space);
                    push(&mut out, 'e', &mut space);
                }
                'ß' => {
                    push(&mut out, 's', &mut space);
                    push(&mut out, 's', &mut space);
                }
                'ø' => push(&mut out, 'o', &mut space),
                'đ' => push(&mut out, 'd', &mut space),
                'ł' => push(&mut out, 'l', &mut space),
                other => push(&mut out, other, &mut space),
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The elements [`sanitize_html`] keeps; everything else is unwrapped (its
/// text kept) or, for scripts and styles, dropped with its content.
const SAFE_TAGS: &[&str] = &[
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
];

/// Elements dropped with their content by [`sanitize_html`].
const SANITIZE_DROPPED: &[&str] = &[
    "script", "style", "head", "noscript", "template", "svg", "iframe", "object", "title",
    "textarea", "select", "math",
];

static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.tags(SAFE_TAGS.iter().copied().collect())
        .clean_content_tags(SANITIZE_DROPPED.iter().copied().collect())
        .tag_attributes(std::iter::once(("a", std::iter::once("href").collect())).collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener nofollow"))
        .strip_comments(true);
    b
});

/// The description as sanitized HTML (see the module doc): allowed elements
/// kept with no attribute but a link's `href` (http, https or mailto only;
/// relative links lose their `href`), others unwrapped, scripts and styles
/// removed with their content; trimmed. Never panics.
pub fn sanitize_html(input: &str) -> String {
    SANITIZER.clean(input).to_string().trim().to_string()
}

/// Whether the text has HTML markup (a tag or a comment), as opposed to
/// plain text that may contain entities or a lone `<`.
pub fn has_markup(s: &str) -> bool {
    looks_like_html(s)
}

/// Whether the text contains something that looks like a tag or comment.
fn looks_like_html(s: &str) -> bool {
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

/// Remove tags; source whitespace becomes spaces, block boundaries become
/// `\n` (line) or `\n\n` (paragraph).
fn strip_tags(input: &str) -> String {
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

/// Collapse whitespace: lines trimmed, runs of spaces to one, at most one
/// blank line in a row, none at either end.
fn collapse(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in raw.split('\n') {
        let mut l = String::new();
        for word in line
            .split(|c: char| c.is_whitespace() || c == '\u{a0}')
            .filter(|w| !w.is_empty())
        {
            let word: String = word
                .chars()
                .filter(|c| {
                    !matches!(
                        c,
                        '\u{200b}' | '\u{feff}' | '\u{ad}' | '\u{200c}' | '\u{200d}'
                    )
                })
                .collect();
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

/// Decode HTML character references: named (`&eacute;`, `&nbsp;`, ...),
/// decimal (`&#233;`) and hexadecimal (`&#xE9;`). Unknown ones stay as
/// written; invalid code points become U+FFFD.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        let (before, after) = rest.split_at(pos);
        out.push_str(before);
        let body = after.get(1..).unwrap_or("");
        match decode_one(body) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = body.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = body;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decode the reference at the start of `body` (after `&`): the text and
/// how many bytes of `body` it used.
fn decode_one(body: &str) -> Option<(String, usize)> {
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let len = digits
            .chars()
            .take_while(|c| c.is_digit(radix))
            .take(8)
            .count();
        if len == 0 {
            return None;
        }
        let value = u32::from_str_radix(digits.get(..len)?, radix).ok()?;
        let mut used = skip + len;
        if digits.get(len..len + 1) == Some(";") {
            used += 1;
        }
        let c = match value {
            0x80..=0x9f => cp1252(value),
            _ => char::from_u32(value).filter(|c| *c != '\0'),
        }
        .unwrap_or('\u{fffd}');
        return Some((c.to_string(), used));
    }
    let len = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(32)
        .count();
    let name = body.get(..len)?;
    if len == 0 {
        return None;
    }
    if body.get(len..len + 1) == Some(";") {
        let c = named_entity(name)?;
        return Some((c.to_string(), len + 1));
    }
    // Without ';': only the few legacy names written that way in the wild.
    let legacy = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];
    legacy
        .iter()
        .find(|l| name.starts_with(**l) && (name.len() == l.len()))
        .and_then(|l| named_entity(l).map(|c| (c.to_string(), l.len())))
}

/// Windows-1252 characters that numeric references in 128–159 mean.
fn cp1252(v: u32) -> Option<char> {
    Some(match v {
        0x80 => '€',
        0x82 => '‚',
        0x83 => 'ƒ',
        0x84 => '„',
        0x85 => '…',
        0x86 => '†',
        0x87 => '‡',
        0x88 => 'ˆ',
        0x89 => '‰',
        0x8a => 'Š',
        0x8b => '‹',
        0x8c => 'Œ',
        0x8e => 'Ž',
        0x91 => '\u{2018}',
        0x92 => '\u{2019}',
        0x93 => '\u{201c}',
        0x94 => '\u{201d}',
        0x95 => '•',
        0x96 => '–',
        0x97 => '—',
        0x98 => '˜',
        0x99 => '™',
        0x9a => 'š',
        0x9b => '›',
        0x9c => 'œ',
        0x9e => 'ž',
        0x9f => 'Ÿ',
        _ => return None,
    })
}

/// The named references found in event descriptions: XML's, all of
/// Latin-1, and the common typographic ones.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "iexcl" => '¡',
        "cent" => '¢',
        "pound" => '£',
        "curren" => '¤',
        "yen" => '¥',
        "brvbar" => '¦',
        "sect" => '§',
        "uml" => '¨',
        "copy" | "COPY" => '©',
        "ordf" => 'ª',
        "laquo" => '«',
        "not" => '¬',
        "shy" => '\u{ad}',
        "reg" | "REG" => '®',
        "macr" => '¯',
        "deg" => '°',
        "plusmn" => '±',
        "sup2" => '²',
        "sup3" => '³',
        "acute" => '´',
        "micro" => 'µ',
        "para" => '¶',
        "middot" => '·',
        "cedil" => '¸',
        "sup1" => '¹',
        "ordm" => 'º',
        "raquo" => '»',
        "frac14" => '¼',
        "frac12" => '½',
        "frac34" => '¾',
        "iquest" => '¿',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Igrave" => 'Ì',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "ETH" => 'Ð',
        "Ntilde" => 'Ñ',
        "Ograve" => 'Ò',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "times" => '×',
        "Oslash" => 'Ø',
        "Ugrave" => 'Ù',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "Yacute" => 'Ý',
        "THORN" => 'Þ',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "eth" => 'ð',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "divide" => '÷',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "thorn" => 'þ',
        "yuml" => 'ÿ',
        "OElig" => 'Œ',
        "oelig" => 'œ',
        "Scaron" => 'Š',
        "scaron" => 'š',
        "Yuml" => 'Ÿ',
        "fnof" => 'ƒ',
        "circ" => 'ˆ',
        "tilde" => '˜',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        "lrm" => '\u{200e}',
        "rlm" => '\u{200f}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "sbquo" => '‚',
        "ldquo" => '\u{201c}',
        "rdquo" => '\u{201d}',
        "bdquo" => '„',
        "dagger" => '†',
        "Dagger" => '‡',
        "bull" => '•',
        "hellip" => '…',
        "permil" => '‰',
        "prime" => '′',
        "Prime" => '″',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "oline" => '‾',
        "euro" => '€',
        "trade" => '™',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "harr" => '↔',
        "hearts" => '♥',
        "spades" => '♠',
        "clubs" => '♣',
        "diams" => '♦',
        "star" => '☆',
        "check" => '✓',
        "minus" => '−',
        "infin" => '∞',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "asymp" => '≈',
        "loz" => '◊',
        "numero" => '№',
        "half" => '½',
        "dash" | "hyphen" => '‐',
        "period" => '.',
        "comma" => ',',
        "colon" => ':',
        "excl" => '!',
        "quest" => '?',
        "lpar" => '(',
        "rpar" => ')',
        "sol" => '/',
        "num" => '#',
        "dollar" => '$',
        "percnt" => '%',
        "commat" => '@',
        "NewLine" => '\n',
        "Tab" => '\t',
        _ => return None,
    })
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
    fn titles_are_one_line() {
        assert_eq!(
            clean_title("<h2>Les Belles-s&oelig;urs</h2>\n<p>COMPLET</p>"),
            "Les Belles-sœurs COMPLET"
        );
        assert_eq!(clean_title("  \u{a0} "), "");
        assert_eq!(clean_title("<b></b>"), "");
    }

    #[test]
    fn broken_html_does_not_panic() {
        for s in [
            "<",
            "<<>>",
            "<p",
            "</",
            "<!--",
            "<script>never closed",
            "&#",
            "&#x;",
            "&",
            "<é>é</é>",
            "&#99999999999999999;",
            "<a href='>'>x</a>",
        ] {
            let _ = html_to_text(s);
            let _ = clean_title(s);
            let _ = fold_for_match(s);
        }
        assert_eq!(html_to_text("<script>never closed"), "");
    }

    #[test]
    fn sanitized_html_keeps_the_safe_subset() {
        let html = "<div class=\"x\" style=\"color:red\"><h2>Titre</h2><p onclick=\"x()\">Un \
                    <strong>gras</strong> <em>it</em> <b>b</b> <i>i</i><br>suite</p>\
                    <ul><li>un</li></ul><ol><li>deux</li></ol><h3>Sous-titre</h3>\
                    <blockquote>cit</blockquote><img src=\"https://x.org/a.png\">\
                    <script>alert(1)</script><style>p{}</style><!-- c --></div>";
        assert_eq!(
            sanitize_html(html),
            "Titre<p>Un <strong>gras</strong> <em>it</em> <b>b</b> <i>i</i><br>suite</p>\
             <ul><li>un</li></ul><ol><li>deux</li></ol><h3>Sous-titre</h3>\
             <blockquote>cit</blockquote>"
        );
    }

    #[test]
    fn sanitized_links_are_http_or_mailto_with_rel() {
        assert_eq!(
            sanitize_html("<a href=\"https://ex.org/a?b=1&amp;c=2\" target=\"_blank\">x</a>"),
            "<a href=\"https://ex.org/a?b=1&amp;c=2\" rel=\"noopener nofollow\">x</a>"
        );
        assert_eq!(
            sanitize_html("<a href=\"mailto:info@ex.org\">m</a>"),
            "<a href=\"mailto:info@ex.org\" rel=\"noopener nofollow\">m</a>"
        );
        for bad in [
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"data:text/html,x\">x</a>",
            "<a href=\"/relative\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        ] {
            assert_eq!(
                sanitize_html(bad),
                "<a rel=\"noopener nofollow\">x</a>",
                "{bad}"
            );
        }
    }

    #[test]
    fn sanitizing_escapes_text_and_survives_broken_html() {
        assert_eq!(sanitize_html("a < b & c"), "a &lt; b &amp; c");
        assert_eq!(sanitize_html("<p>non fermé"), "<p>non fermé</p>");
        assert_eq!(sanitize_html("<svg><script>x</script></svg>ok"), "ok");
        for s in ["<", "<<>>", "<p", "</", "<!--", "<a href=", "&#99999999;"] {
            let _ = sanitize_html(s);
        }
        assert!(has_markup("<p>x</p>"));
        assert!(has_markup("x<br/>y"));
        assert!(!has_markup("a < b et c > d"));
        assert!(!has_markup("Caf&eacute; &amp; th&eacute;"));
    }

    #[test]
    fn folding_removes_case_accents_and_punctuation() {
        assert_eq!(fold_for_match("Théâtre"), "theatre");
        assert_eq!(
            fold_for_match("  Cœur & ÂME—l'Œuvre!  "),
            "coeur ame l oeuvre"
        );
        assert_eq!(fold_for_match("Straße, Æsir"), "strasse aesir");
        assert_eq!(fold_for_match("Spectacle   musical"), "spectacle musical");
        assert_eq!(fold_for_match("---"), "");
    }
}
