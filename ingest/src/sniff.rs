//! What a body is, from its bytes (never trusted from the URL). Every kind
//! of [`crate::kind::KINDS`] reads the same [`Head`] and says how sure it
//! is that the body is one of its documents; the surest wins.

use crate::kind::{self, SourceKind};

/// The first bytes of a body, prepared once for every kind's `sniff`.
#[derive(Debug)]
pub struct Head {
    text: String,
    content_type: String,
    root: String,
}

impl Head {
    pub fn new(bytes: &[u8], content_type: Option<&str>) -> Head {
        let head = &bytes[..bytes.len().min(4096)];
        let text = String::from_utf8_lossy(head).to_ascii_lowercase();
        let text = text.trim_start_matches('\u{feff}').trim_start().to_string();
        let root = if text.starts_with('<') {
            first_element(&text)
        } else {
            String::new()
        };
        Head {
            text,
            content_type: content_type.unwrap_or("").to_ascii_lowercase(),
            root,
        }
    }

    /// The first 4 KiB, lowercased, without BOM or leading whitespace.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The Content-Type, lowercased; empty when there is none.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body opens a JSON object or array.
    pub fn is_json(&self) -> bool {
        self.text.starts_with('{') || self.text.starts_with('[')
    }

    /// The body opens with markup (XML or HTML).
    pub fn is_markup(&self) -> bool {
        self.text.starts_with('<')
    }

    /// The name of the first element of markup, after any XML declaration,
    /// comments, processing instructions or doctype; empty otherwise.
    pub fn root_element(&self) -> &str {
        &self.root
    }
}

/// How sure a kind is that a body is one of its documents. The order is the
/// priority between kinds that claim the same body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// The Content-Type says so and the bytes do not contradict it.
    ContentType,
    /// A telltale somewhere in the head (an `<rss` tag below the root).
    Mention,
    /// The kind's usual shape (an `<html>` tag, The Events Calendar's
    /// `"events"` key).
    Shape,
    /// The document declares itself: its first line, its root element, its
    /// version URL.
    Declared,
}

/// Guess the kind of a document from its first bytes (and, when they are
/// ambiguous, its Content-Type). None when it is none of the kinds.
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Option<SourceKind> {
    let head = Head::new(bytes, content_type);
    let mut best: Option<(Confidence, SourceKind)> = None;
    for kind in kind::all() {
        if let Some(c) = kind.sniff(&head) {
            // On a tie, the kind listed first keeps it.
            if best.is_none_or(|(b, _)| c > b) {
                best = Some((c, kind));
            }
        }
    }
    best.map(|(_, kind)| kind)
}

/// The name of the first element of an XML/HTML document.
fn first_element(head: &str) -> String {
    let mut rest = head;
    loop {
        let Some(lt) = rest.find('<') else {
            return String::new();
        };
        rest = &rest[lt + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            match rest.find('>') {
                Some(gt) => rest = &rest[gt + 1..],
                None => return String::new(),
            }
            continue;
        }
        return rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
    }
}

/// A short human description of what a body looks like, for error messages.
pub fn describe(bytes: &[u8], content_type: Option<&str>) -> String {
    match sniff(bytes, content_type) {
        Some(kind) => kind.describe().to_string(),
        None if bytes.is_empty() => "an empty body".to_string(),
        None => match content_type {
            Some(ct) => format!("a document of type {ct}"),
            None => {
                let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]);
                let text: String = text.chars().filter(|c| !c.is_control()).collect();
                format!("a document starting with {text:?}")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str) -> Option<SourceKind> {
        Some(SourceKind::from_name(name).unwrap())
    }

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(sniff(b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\n", None), kind("ics"));
        assert_eq!(sniff(b"begin:vcalendar\n", None), kind("ics"));
        assert_eq!(
            sniff(
                b"<?xml version=\"1.0\"?>\n<!-- c -->\n<rss version=\"2.0\">",
                None
            ),
            kind("feed")
        );
        assert_eq!(
            sniff(
                b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>",
                None
            ),
            kind("feed")
        );
        assert_eq!(sniff(b"<rdf:RDF xmlns:rdf=\"x\">", None), kind("feed"));
        assert_eq!(
            sniff(b"<!DOCTYPE html><html lang=fr>", Some("text/calendar")),
            kind("html")
        );
        assert_eq!(
            sniff(b"{\"version\": \"https://jsonfeed.org/version/1.1\"}", None),
            kind("feed")
        );
        assert_eq!(
            sniff(b"{\"events\": [], \"rest_url\": \"x\"}", None),
            kind("wordpress")
        );
        assert_eq!(sniff(b"", None), None);
        assert_eq!(sniff(b"%PDF-1.4", None), None);
        assert_eq!(describe(b"", None), "an empty body");
        assert_eq!(describe(b"<html><body>", None), "an HTML page");
    }

    /// Where two kinds claim the same body (answers pinned before the
    /// kinds moved behind one trait).
    #[test]
    fn the_surest_kind_wins() {
        let cases: [(&str, Option<&str>, Option<&str>); 11] = [
            ("<rss><html>", None, Some("feed")),
            ("<html><rss>", None, Some("html")),
            ("<foo><rss>", None, Some("feed")),
            ("<foo><rss>", Some("text/html"), Some("feed")),
            ("<foo>", Some("text/html"), Some("html")),
            ("<foo>", None, None),
            (
                "{\"events\": [], \"version\": \"https://jsonfeed.org/version/1\"}",
                None,
                Some("feed"),
            ),
            ("[{\"events\": []}]", None, None),
            ("junk\nBEGIN:VCALENDAR", Some("text/calendar"), Some("ics")),
            ("junk\nBEGIN:VCALENDAR", None, None),
            ("<x>BEGIN:VCALENDAR", Some("text/calendar"), None),
        ];
        for (body, ct, expected) in cases {
            assert_eq!(
                sniff(body.as_bytes(), ct).map(SourceKind::as_str),
                expected,
                "{body:?} ({ct:?})"
            );
        }
    }
}
