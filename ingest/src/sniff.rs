//! What a body is, from its bytes (never trusted from the URL).

use crate::SourceKind;

/// Guess the kind of a document from its first bytes and Content-Type.
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Option<SourceKind> {
    let _ = content_type;
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with("begin:vcalendar") {
        Some(SourceKind::Ics)
    } else if head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf") {
        Some(SourceKind::Feed)
    } else if head.contains("<html") || head.starts_with("<!doctype html") {
        Some(SourceKind::Html)
    } else {
        None
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
            None => "a document of unknown type".to_string(),
        },
    }
}
