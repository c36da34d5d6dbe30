//! Source kinds: what `kind = "..."` can say in `sources.toml`, and all that
//! differs from one kind to the next, behind one trait.
//!
//! A kind is a unit struct in its own module (`ics.rs`, `feed.rs`,
//! `html.rs`, `wordpress.rs`) implementing [`Kind`]: its name, how its
//! documents look ([`Kind::sniff`]), where a source of this kind is read
//! first and whether that read may be conditional, and its pure parser.
//! [`KINDS`] is the one list of kinds: reading a source, detecting a kind,
//! the configuration check and its error messages read it, and so does the
//! OpenAPI document (the binary hands publish the names, as publish does not
//! depend on ingest). Outside the kinds' own modules, no code branches on a
//! particular kind.
//!
//! A [`SourceKind`] is the configuration's value: a `Copy` handle on one
//! entry of [`KINDS`], compared by name.
//!
//! # Adding a kind
//!
//! 1. Write its module, declared in `lib.rs` (`pub mod NAME;`): a unit
//!    struct implementing [`Kind`] whose `parse` is pure (bytes and a
//!    [`ParseContext`] in, [`Parsed`] out; no I/O, no clock, no panic).
//!    Give `sniff` a [`Confidence`] that ranks it against the other kinds'
//!    answers for the same bytes; override `first_url`, `hidden_behind`
//!    when the kind needs them.
//! 2. Add one line to [`KINDS`]. Its place there only breaks ties between
//!    kinds sniffing a body with the same confidence; the names it lists
//!    become valid in `sources.toml`, in `babillard check` and in the
//!    OpenAPI document by themselves.
//! 3. Drop its fixtures in `tests/fixtures/NAME/` with their expectations
//!    and add its name to the `conformance!` line of `conformance.rs` (a
//!    test fails until it is there): the one parser suite then runs on it.
//!    Give its typical first bytes to the registry test below, which
//!    checks that every kind has a name of its own and recognizes its own
//!    documents (the tests that pin public lists of names, such as the
//!    configuration's error message, then say where the new name shows).

use chrono::NaiveDate;

use crate::sniff::{Confidence, Head};
use crate::{feed, html, ics, wordpress, ParseContext, ParseError, Parsed, SourceConfig};

/// Everything that makes a kind of source a kind.
pub trait Kind: Sync {
    /// The name in `sources.toml` (`kind = "ics"`), stored with the source.
    fn name(&self) -> &'static str;

    /// What a document of this kind is, for messages ("an iCalendar file").
    fn describe(&self) -> &'static str;

    /// How sure this kind is that a body is one of its documents, from its
    /// head; None when it is not. The surest kind wins.
    fn sniff(&self, head: &Head) -> Option<Confidence>;

    /// Where a source of this kind is read first.
    fn first_url(&self, source: &SourceConfig, _today: NaiveDate) -> String {
        source.url.clone()
    }

    /// Single-document kinds fetch their one document conditionally (ETag,
    /// Last-Modified): an unchanged answer means an unchanged source. A
    /// listing's first page proves nothing about the pages it links to, so
    /// its validators are kept only when it linked to none
    /// ([`crate::read::read_source`]).
    fn conditional(&self) -> bool;

    /// Parse one document of this kind.
    fn parse(&self, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError>;

    /// For a web source with no `kind`: true when the document its URL
    /// answered (`body`, sniffed as `page`) shows that the source is in
    /// truth of this kind, to be read at [`Kind::first_url`]. A WordPress
    /// page running The Events Calendar hides the calendar's API.
    fn hidden_behind(&self, _page: SourceKind, _body: &[u8]) -> bool {
        false
    }
}

/// Every kind, in the order that breaks sniffing ties. The only list.
pub static KINDS: &[&dyn Kind] = &[
    &ics::IcsKind,
    &feed::FeedKind,
    &html::HtmlKind,
    &wordpress::WordPressKind,
];

/// A kind as the configuration holds it: a handle on an entry of [`KINDS`].
#[derive(Clone, Copy)]
pub struct SourceKind(&'static dyn Kind);

impl SourceKind {
    /// The kind named `name` (`kind = "..."`), if there is one.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        all().find(|k| k.name() == name)
    }

    /// The kind's name, as written in `sources.toml` and stored.
    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// Whether this is `kind` (`page.is(&HtmlKind)`).
    pub fn is(self, kind: &dyn Kind) -> bool {
        self.as_str() == kind.name()
    }
}

impl std::ops::Deref for SourceKind {
    type Target = dyn Kind;

    fn deref(&self) -> &(dyn Kind + 'static) {
        self.0
    }
}

impl PartialEq for SourceKind {
    fn eq(&self, other: &SourceKind) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SourceKind {}

impl std::hash::Hash for SourceKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SourceKind").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every kind, in registry order.
pub fn all() -> impl Iterator<Item = SourceKind> {
    KINDS.iter().map(|&k| SourceKind(k))
}

/// The names of every kind, in registry order.
pub fn names() -> impl Iterator<Item = &'static str> {
    KINDS.iter().map(|k| k.name())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::sniff::sniff;

    /// A typical first document of each kind, by name.
    fn typical(name: &str) -> (&'static [u8], Option<&'static str>) {
        match name {
            "ics" => (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", Some("text/calendar")),
            "feed" => (
                b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>",
                Some("application/rss+xml"),
            ),
            "html" => (
                b"<!DOCTYPE html><html lang=\"fr\"><head>",
                Some("text/html"),
            ),
            "wordpress" => (
                b"{\"events\": [], \"next_rest_url\": null}",
                Some("application/json"),
            ),
            other => panic!("kind {other:?} has no typical document in this test: add one"),
        }
    }

    #[test]
    fn every_kind_has_its_own_name_and_sniffs_its_own_bytes() {
        let mut seen = HashSet::new();
        for kind in all() {
            assert!(seen.insert(kind.name()), "{} is listed twice", kind.name());
            assert!(!kind.describe().is_empty());
            assert_eq!(SourceKind::from_name(kind.name()), Some(kind));
            let (bytes, ct) = typical(kind.name());
            assert_eq!(sniff(bytes, ct), Some(kind), "{}", kind.name());
            assert_eq!(crate::sniff::describe(bytes, ct), kind.describe());
        }
        assert_eq!(seen.len(), KINDS.len());
        assert_eq!(
            names().collect::<Vec<_>>(),
            ["ics", "feed", "html", "wordpress"],
            "the names and their order are public: sources.toml, the store, the OpenAPI document"
        );
        assert_eq!(SourceKind::from_name("rss"), None);
        assert_eq!(SourceKind::from_name("ICS"), None);
    }

    #[test]
    fn single_document_kinds_are_read_conditionally() {
        let conditional: Vec<&str> = all()
            .filter(|k| k.conditional())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(conditional, ["ics", "feed"]);
    }

    #[test]
    fn the_events_calendar_hides_behind_a_web_page_and_is_read_at_its_api() {
        let page = b"<!DOCTYPE html><html><head><link rel=\"https://api.w.org/\" href=\"https://x.example/wp-json/\"></head><body class=\"tribe-events\">";
        let html = SourceKind::from_name("html").unwrap();
        let feed = SourceKind::from_name("feed").unwrap();
        let behind: Vec<&str> = all()
            .filter(|k| k.hidden_behind(html, page))
            .map(SourceKind::as_str)
            .collect();
        assert_eq!(behind, ["wordpress"]);
        assert!(
            all().all(|k| !k.hidden_behind(feed, page)),
            "only a web page hides an API"
        );
        assert!(all().all(|k| !k.hidden_behind(html, b"<html><body>no calendar")));

        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let source = SourceConfig::new(
            model::SourceId::new("site").unwrap(),
            "https://x.example/",
            None,
        );
        for kind in all() {
            let url = kind.first_url(&source, today);
            if kind.as_str() == "wordpress" {
                assert_eq!(
                    url,
                    "https://x.example/wp-json/tribe/events/v1/events?start_date=2026-12-05&per_page=50"
                );
            } else {
                assert_eq!(url, source.url, "{kind}");
            }
        }
    }
}
