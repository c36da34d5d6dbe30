//! # publish
//!
//! The HTTP surface: the axum router, one writer per output format (JSON,
//! iCalendar, RSS, HTML), the widget and the static export. It reads the
//! store only through [`index::Index`].
//!
//! * [`params`] parses the query parameters shared by the API, the feeds
//!   and the embed page;
//! * [`cache`] gives every GET its ETag, `If-None-Match` and `Cache-Control`;
//! * [`api`] answers the JSON API and `/healthz`;
//! * [`feeds`] serves the iCalendar feeds that [`ics`] writes;
//! * [`metrics`] keeps the counters of `/metrics`;
//! * [`lang`] shows events in the language asked for;
//! * [`routes`] puts them together in the router.

pub mod api;
pub mod cache;
pub mod feeds;
pub mod ics;
pub mod lang;
pub mod metrics;
pub mod params;
pub mod routes;

#[cfg(test)]
mod testdata;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use index::Index;

/// What publishing needs from `[aggregator]`.
#[derive(Clone, Debug)]
pub struct PublishConfig {
    /// Shown in feeds, pages and widgets.
    pub name: String,
    /// Absolute links in feeds and JSON-LD, without a trailing slash.
    pub base_url: String,
    /// IANA zone of the aggregator.
    pub timezone: String,
    /// First one is the default.
    pub languages: Vec<String>,
}

/// Next scheduled run per source id, kept up to date by the scheduler.
pub type NextRuns = Arc<RwLock<HashMap<String, DateTime<Utc>>>>;

/// Shared state of the router.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    pub config: Arc<PublishConfig>,
    pub next_runs: NextRuns,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> axum::Router {
    routes::build(state)
}
