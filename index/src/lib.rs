//! # index
//!
//! The store and the search index. SQLite ([`store`]) is the truth: sources
//! and their fetch state, the fetch log, raw records per source, occurrences
//! and events. The tantivy index ([`search`]) is derived from it and can be
//! rebuilt at any time ([`Index::reindex`]). [`Index`] is the one API the
//! rest of babillard uses: one writer (the source runs, serialized by the
//! caller or by the internal write lock), many readers that never wait for it.

pub mod query;

pub use query::{Cursor, Page, Query, QueryError};

use std::path::Path;

use chrono::{DateTime, Utc};
use model::{Event, Occurrence, RawEvent, SourceId};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("search index {path}: {source}")]
    Search {
        path: String,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A configured source, as the store records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    pub id: SourceId,
    pub name: String,
    /// The configured kind, if any.
    pub kind: Option<String>,
    pub url: String,
}

/// What the store remembers of the last successful fetch of a source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// sha256 of the last body parsed, to skip an unchanged body.
    pub content_hash: Option<String>,
}

/// The result of one successful source run, written in one transaction.
#[derive(Clone, Debug)]
pub struct SourceRun {
    pub source: SourceId,
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    /// The kind that was read (configured or detected).
    pub kind: Option<String>,
    pub fetch: FetchState,
    /// Every record the source lists now; records it no longer lists go.
    pub records: Vec<RawEvent>,
    /// The occurrences normalized from `records`.
    pub occurrences: Vec<Occurrence>,
    /// Non-fatal problems, kept with the run in the fetch log.
    pub warnings: Vec<String>,
}

/// Counts of one run, over events (occurrences) of that source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunCounts {
    pub found: usize,
    pub new: usize,
    pub updated: usize,
    pub removed: usize,
}

/// The health of a source (`/api/v1/sources`, `babillard sources`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceStatus {
    pub id: String,
    pub name: String,
    pub kind: Option<String>,
    pub url: String,
    /// `ok`, `error` or `never`.
    pub status: String,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Stable class of the last error (`timeout`, `status_5xx`, `parse`, ...).
    pub error_class: Option<String>,
    /// Events of this source currently in the store.
    pub events: usize,
    /// Filled by the scheduler, not the store.
    pub next_run: Option<DateTime<Utc>>,
}

/// The store and the search index.
pub struct Index {}

impl Index {
    /// Open (creating if needed) `data_dir/babillard.sqlite` and
    /// `data_dir/search/`, run migrations, and bring the search index up to
    /// date with the store if a crash left it behind.
    pub fn open(data_dir: &Path) -> Result<Index, IndexError> {
        let _ = data_dir;
        unimplemented!()
    }

    /// Record the configured sources (insert or update name, kind, url).
    /// Sources no longer configured are removed with their records and
    /// events.
    pub fn sync_sources(&self, sources: &[SourceInfo]) -> Result<(), IndexError> {
        let _ = sources;
        unimplemented!()
    }

    pub fn fetch_state(&self, source: &SourceId) -> Result<FetchState, IndexError> {
        let _ = source;
        unimplemented!()
    }

    /// Apply a successful run in one transaction, then update the search
    /// index for the events it touched.
    pub fn record_success(&self, run: SourceRun) -> Result<RunCounts, IndexError> {
        let _ = run;
        unimplemented!()
    }

    /// The source answered 304 or an identical body: nothing to parse or
    /// write beyond the fetch time.
    pub fn record_unchanged(
        &self,
        source: &SourceId,
        at: DateTime<Utc>,
        duration_ms: u64,
    ) -> Result<RunCounts, IndexError> {
        let _ = (source, at, duration_ms);
        unimplemented!()
    }

    /// The run failed: keep every event, remember the error.
    pub fn record_failure(
        &self,
        source: &SourceId,
        at: DateTime<Utc>,
        duration_ms: u64,
        class: &str,
        message: &str,
    ) -> Result<(), IndexError> {
        let _ = (source, at, duration_ms, class, message);
        unimplemented!()
    }

    /// Rebuild the search index from the store; returns the event count.
    pub fn reindex(&self) -> Result<usize, IndexError> {
        unimplemented!()
    }

    pub fn query(&self, query: &Query) -> Result<Page, IndexError> {
        let _ = query;
        unimplemented!()
    }

    pub fn event(&self, id: &str) -> Result<Option<Event>, IndexError> {
        let _ = id;
        unimplemented!()
    }

    pub fn sources(&self) -> Result<Vec<SourceStatus>, IndexError> {
        unimplemented!()
    }

    /// Grows on every commit that changed published data; part of ETags.
    pub fn generation(&self) -> u64 {
        unimplemented!()
    }

    /// Ok when the database and the search index answer.
    pub fn health(&self) -> Result<(), IndexError> {
        unimplemented!()
    }
}
