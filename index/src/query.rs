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
