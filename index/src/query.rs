//! The one query type answered by the index, for the API, the feeds, the
//! embed page and the `search` command.

use chrono::{DateTime, Utc};

/// A search over events. Events are returned when they overlap
/// `[from, to)`, in start order.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// Full-text search, French and English, accents ignored.
    pub q: Option<String>,
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
    /// Any of these category slugs.
    pub categories: Vec<String>,
    pub venues: Vec<String>,
    pub sources: Vec<String>,
    /// Any of these territory ids (`territory=`).
    pub territories: Vec<String>,
    /// Only the events of a calendar (`/c/{id}/`); `None`: every event.
    pub scope: Option<Scope>,
    /// (lat, lon, radius in km).
    pub near: Option<(f64, f64, f64)>,
    /// (minlon, minlat, maxlon, maxlat).
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// 1..=1000.
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl Query {
    /// Everything from `from` on, first page of 50.
    pub fn from(from: DateTime<Utc>) -> Query {
        Query {
            q: None,
            from,
            to: None,
            categories: Vec::new(),
            venues: Vec::new(),
            sources: Vec::new(),
            territories: Vec::new(),
            scope: None,
            near: None,
            bbox: None,
            limit: 50,
            cursor: None,
        }
    }
}

/// Where the previous page ended: after the event with this sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor(pub u64);

impl Cursor {
    pub fn encode(self) -> String {
        format!("{:016x}", self.0)
    }

    pub fn decode(s: &str) -> Result<Cursor, QueryError> {
        if s.len() != 16 {
            return Err(QueryError::BadCursor);
        }
        u64::from_str_radix(s, 16)
            .map(Cursor)
            .map_err(|_| QueryError::BadCursor)
    }
}

/// One page of results.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub events: Vec<model::Event>,
    pub next_cursor: Option<Cursor>,
    /// Every match across all pages.
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the cursor is not one this server gave")]
    BadCursor,
}

/// The events of a calendar: those matching any of its parts. A calendar
/// with members, territories and member calendars (a network) is flattened
/// into parts by the configuration: its own part, then each member
/// calendar's parts narrowed by its own category restriction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    pub parts: Vec<ScopePart>,
}

/// Events listed by any of `sources` or taking place in any of
/// `territories`, and, when `categories` is given, in one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopePart {
    pub sources: Vec<String>,
    pub territories: Vec<String>,
    /// `None`: every category (and events with none).
    pub categories: Option<Vec<String>>,
}

impl Scope {
    /// Whether `event` is in the calendar: the same rule the search index
    /// applies to a query's `scope`.
    pub fn matches(&self, event: &model::Event) -> bool {
        self.parts.iter().any(|p| p.matches(event))
    }
}

impl ScopePart {
    pub fn matches(&self, event: &model::Event) -> bool {
        let listed = event
            .sources
            .iter()
            .any(|s| self.sources.contains(&s.source));
        let placed = event
            .territories
            .iter()
            .any(|t| self.territories.contains(t));
        let category = match &self.categories {
            None => true,
            Some(allowed) => event.categories.iter().any(|c| allowed.contains(c)),
        };
        (listed || placed) && category
    }
}
