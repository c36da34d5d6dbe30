//! # publish
//!
//! The HTTP surface: the axum router, one writer per output format (JSON,
//! iCalendar, RSS, HTML), the widget and the static export. It reads the
//! store only through [`index::Index`].
//!
//! * [`params`] parses the query parameters shared by the API, the feeds,
//!   the embed page and the portal;
//! * [`respond`] writes the error answers and runs index calls off the
//!   runtime; [`handler`] is the skeleton of every answer computed from
//!   the index (the [`handler::Request`] extractor);
//! * [`cache`] gives every GET its ETag, `If-None-Match` and `Cache-Control`;
//! * [`api`] answers the JSON API and `/healthz`;
//! * [`feeds`] serves the iCalendar feeds that [`ics`] writes;
//! * [`metrics`] keeps the counters of `/metrics`;
//! * [`openapi`] documents the JSON API (`/api/v1/openapi.json`);
//! * [`rss`] writes `/feeds/events.rss`, [`pages`] the event pages;
//! * [`lang`] shows events in the language asked for;
//! * [`portal`] is the public portal and the sources page, [`widget`] the
//!   widget and `/embed`, [`export`] the static export;
//! * [`i18n`] is the one localization layer (Fluent, French first);
//! * [`admin`] is the staff console (accounts, sessions, curation,
//!   sources) under `/admin` and `/api/v1/admin/`;
//! * [`calendars`] serves each `[[calendar]]` under `/c/{id}/` and its
//!   hosts, and lists calendars and territories;
//! * [`routes`] merges the routes of each module into the router.

pub mod admin;
pub mod api;
pub mod cache;
pub mod calendars;
pub mod explain;
pub mod export;
pub mod feeds;
pub mod handler;
pub mod i18n;
pub mod ics;
pub mod lang;
pub mod layout;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod portal;
pub mod respond;
pub mod routes;
pub mod rss;
pub mod security;
pub mod widget;

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
    /// The aggregator's zone: dates and times without an offset in queries
    /// are local to it (the configuration has already checked the name).
    pub timezone: chrono_tz::Tz,
    /// First one is the default.
    pub languages: Vec<String>,
    /// The taxonomy, for category names in each language.
    pub categories: Vec<CategoryInfo>,
    /// The gazetteer (`[[venue]]`), in configuration order.
    pub venues: Vec<model::Venue>,
    /// The names a source's `kind` can take, which the OpenAPI document
    /// lists: ingest's registry, passed in by the binary.
    pub source_kinds: Vec<String>,
    /// The sources paused (`enabled = false`), by id.
    pub paused: Vec<String>,
    /// The calendars and territories, and which calendar this
    /// configuration serves (see [`calendars`]).
    pub network: calendars::Network,
}

/// A `[[category]]` as publishing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryInfo {
    pub slug: String,
    /// Language code → name.
    pub name: std::collections::BTreeMap<String, String>,
}

impl PublishConfig {
    /// The name of a category in `lang`, else in the default language, else its slug.
    pub fn category_name(&self, slug: &str, lang: Option<&str>) -> String {
        let Some(c) = self.categories.iter().find(|c| c.slug == slug) else {
            return slug.to_string();
        };
        lang.and_then(|l| c.name.get(l))
            .or_else(|| self.languages.first().and_then(|l| c.name.get(l)))
            .or_else(|| c.name.values().next())
            .cloned()
            .unwrap_or_else(|| slug.to_string())
    }
}

/// Next scheduled run per source id, kept up to date by the scheduler.
pub type NextRuns = Arc<RwLock<HashMap<String, DateTime<Utc>>>>;

/// The configuration the router publishes with, swapped whole when the
/// running process takes a new `sources.toml` (the console's writes,
/// SIGHUP). Clones share it. Its version grows on every swap and is part
/// of every answer's ETag ([`handler`]), so no answer rendered with the old
/// configuration is served as current.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    inner: Arc<RwLock<Live>>,
}

/// What [`LiveConfig`] holds: the configuration, its version and the
/// configurations of its calendars.
#[derive(Debug)]
struct Live {
    config: Arc<PublishConfig>,
    version: u64,
    variants: Arc<calendars::Variants>,
}

impl LiveConfig {
    pub fn new(config: Arc<PublishConfig>) -> LiveConfig {
        let variants = Arc::new(calendars::Variants::of(&config));
        LiveConfig {
            inner: Arc::new(RwLock::new(Live {
                config,
                version: 0,
                variants,
            })),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Live) -> T) -> T {
        // A poisoned lock only means a writer panicked between two plain
        // assignments; the value is whole.
        match self.inner.read() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// The configurations of the calendars now.
    pub fn variants(&self) -> Arc<calendars::Variants> {
        self.read(|l| Arc::clone(&l.variants))
    }

    /// The configuration now.
    pub fn get(&self) -> Arc<PublishConfig> {
        self.read(|l| Arc::clone(&l.config))
    }

    /// How many times it was swapped.
    pub fn version(&self) -> u64 {
        self.read(|l| l.version)
    }

    /// Publish with `config` from now on.
    pub fn set(&self, config: PublishConfig) {
        let variants = Arc::new(calendars::Variants::of(&config));
        let mut g = match self.inner.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let version = g.version.wrapping_add(1);
        *g = Live {
            config: Arc::new(config),
            version,
            variants,
        };
    }
}

/// Shared state of the router.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    /// Read it with [`AppState::config`].
    pub live_config: LiveConfig,
    pub next_runs: NextRuns,
    /// Rendered answers by ETag (see [`cache::ResponseCache`]).
    pub responses: cache::ResponseCache,
    /// Sessions and the login rate limit (see [`admin::auth`]).
    pub auth: admin::auth::AuthSettings,
    /// What the console may do to sources; `None` when the binary gave
    /// nothing (the sources routes answer 503).
    pub source_admin: Option<Arc<dyn admin::sources::SourceAdmin>>,
}

impl AppState {
    pub fn new(index: Arc<Index>, config: Arc<PublishConfig>, next_runs: NextRuns) -> AppState {
        AppState {
            index,
            live_config: LiveConfig::new(config),
            next_runs,
            responses: cache::ResponseCache::default(),
            auth: admin::auth::AuthSettings::default(),
            source_admin: None,
        }
    }

    /// The configuration now (see [`LiveConfig`]).
    pub fn config(&self) -> Arc<PublishConfig> {
        self.live_config.get()
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> axum::Router {
    routes::build(state)
}
