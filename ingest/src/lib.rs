//! # ingest
//!
//! Reading sources: one HTTP client policy for every kind ([`fetch`]), byte
//! decoding ([`decode`]), kind detection ([`sniff`]) and one module per kind
//! ([`ics`], [`feed`], [`html`], [`wordpress`]), each implementing
//! [`kind::Kind`] and listed once in [`kind::KINDS`]. A kind's parser is a
//! function from bytes (plus a [`ParseContext`]) to [`RawEvent`]s and links
//! to follow; it does no I/O, reads no clock, guesses no time zone and never
//! panics. [`bounds`] holds the caps every kind applies to what it read
//! (field lengths, records per document), with a warning for each cut.
//! [`read`] is one source run's reading half: fetch, parse, follow links
//! (bounded), and hand the records to the caller.
//!
//! This crate never writes to the database.

pub mod bounds;
pub mod config;
#[cfg(test)]
mod conformance;
pub mod datetext;
pub mod decode;
pub mod feed;
pub mod fetch;
pub mod geocode;
pub mod html;
pub mod ics;
pub mod kind;
pub mod read;
pub mod sniff;
pub mod wordpress;

pub use config::{Selectors, SourceConfig};
pub use kind::{Kind, SourceKind};
pub use model::RawEvent;

/// What a parser knows besides the bytes. Parsers read no clock: `today`
/// is given (to infer the year of "5 décembre").
///
/// The default (no Content-Type, no URL, `today` the 1st of January 1970)
/// suits a document read on its own, in a test or a benchmark, of a kind
/// that carries its own dates and absolute URLs (iCalendar).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseContext {
    /// The Content-Type header, which may carry a charset.
    pub content_type: Option<String>,
    /// The document's URL, the base for relative links.
    pub url: String,
    /// The source's declared language, if any.
    pub lang: Option<String>,
    /// The source's `[source.selectors]`, if any.
    pub selectors: Option<Selectors>,
    /// The date of the run, in the aggregator's zone.
    pub today: chrono::NaiveDate,
}

/// What a parser found in one document.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    pub events: Vec<RawEvent>,
    /// Records whose date must come from their detail page (a feed item
    /// whose text carries no date, a listing entry with only a title): every
    /// field known is set, and `start` is a placeholder that the detail page
    /// replaces. Each has a matching [`Link::Detail`]; a record that its page
    /// does not date is dropped.
    pub undated: Vec<RawEvent>,
    /// Links the source run may follow (next page, detail pages).
    pub links: Vec<Link>,
    /// Problems that did not stop the parse (a broken VEVENT, a bad date):
    /// what could be read is in `events`.
    pub warnings: Vec<ParseWarning>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// The next page of a listing (rel="next", WordPress `next_rest_url`).
    NextPage(String),
    /// The detail page of a listed record whose data is incomplete; the
    /// record's `uid` says which one the page completes.
    Detail { url: String, uid: String },
}

/// A problem inside a document, with where it was (1-based line when known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A document that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not of the expected kind (HTML where ICS was expected).
    #[error("expected {expected} but the source answered {found}")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    /// The document is of the right kind but broken beyond reading, at `line`.
    #[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Malformed {
        line: Option<usize>,
        message: String,
    },
}
