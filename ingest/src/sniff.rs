//! What a body is, from its bytes (never trusted from the URL).

use crate::SourceKind;

/// Guess the kind of a document from its first bytes (and, when they are
/// ambiguous, its Content-Type). None when it is none of the kinds.
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Option<SourceKind> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if head.starts_with("begin:vcalendar") || head.starts_with("begin:vevent") {
        return Some(SourceKind::Ics);
    }
    if head.starts_with('{') || head.starts_with('[') {
        if head.contains("jsonfeed.org/version") {
            return Some(SourceKind::Feed);
        }
        if head.starts_with('{')
            && (head.contains("\"events\"") || head.contains("\"next_rest_url\""))
        {
            return Some(SourceKind::Wordpress);
        }
        return None;
    }
    if head.starts_with('<') {
        // Feeds: the root element, after any XML declaration, comments,
        // processing instructions or doctype.
        let root = first_element(head);
        if matches!(root.as_str(), "rss" | "feed" | "rdf:rdf" | "rdf") {
            return Some(SourceKind::Feed);
        }
        if root == "html"
            || head.starts_with("<!doctype html")
            || head.contains("<html")
            || head.contains("<body")
            || head.contains("<head")
        {
            return Some(SourceKind::Html);
        }
        if head.contains("<rss") || head.contains("<feed") {
            return Some(SourceKind::Feed);
        }
        if ct.contains("html") {
            return Some(SourceKind::Html);
        }
        return None;
    }
    if ct.contains("text/calendar") && head.contains("begin:vcalendar") {
        return Some(SourceKind::Ics);
    }
    None
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
        Some(SourceKind::Html) => "an HTML page".to_string(),
        Some(SourceKind::Feed) => "an RSS/Atom feed".to_string(),
        Some(SourceKind::Ics) => "an iCalendar file".to_string(),
        Some(SourceKind::Wordpress) => "a WordPress API answer".to_string(),
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

    #[test]
    fn kinds_come_from_the_bytes() {
        assert_eq!(
            sniff(b"\xEF\xBB\xBFBEGIN:VCALENDAR\r\n", None),
            Some(SourceKind::Ics)
        );
        assert_eq!(sniff(b"begin:vcalendar\n", None), Some(SourceKind::Ics));
        assert_eq!(
            sniff(
                b"<?xml version=\"1.0\"?>\n<!-- c -->\n<rss version=\"2.0\">",
                None
            ),
            Some(SourceKind::Feed)
        );
        assert_eq!(
            sniff(
                b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>",
                None
            ),
            Some(SourceKind::Feed)
        );
        assert_eq!(
            sniff(b"<rdf:RDF xmlns:rdf=\"x\">", None),
            Some(SourceKind::Feed)
        );
        assert_eq!(
            sniff(b"<!DOCTYPE html><html lang=fr>", Some("text/calendar")),
            Some(SourceKind::Html)
        );
        assert_eq!(
            sniff(b"{\"version\": \"https://jsonfeed.org/version/1.1\"}", None),
            Some(SourceKind::Feed)
        );
        assert_eq!(
            sniff(b"{\"events\": [], \"rest_url\": \"x\"}", None),
            Some(SourceKind::Wordpress)
        );
        assert_eq!(sniff(b"", None), None);
        assert_eq!(sniff(b"%PDF-1.4", None), None);
        assert_eq!(describe(b"", None), "an empty body");
        assert_eq!(describe(b"<html><body>", None), "an HTML page");
    }
}
