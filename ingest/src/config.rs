//! The `[[source]]` section of `sources.toml`, as this crate reads it.
//! Validation with file positions is the binary's `config.rs`; these are the
//! values once they are known good.

use model::SourceId;
use serde::{Deserialize, Serialize};

use crate::SourceKind;

/// `[source.selectors]`: where things are on a page with no structured data.
/// Each selector is CSS, optionally followed by `@attr` to read an attribute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selectors {
    pub event: Option<String>,
    pub title: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub location: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub date_format: Option<String>,
}

/// One `[[source]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceConfig {
    pub id: SourceId,
    pub name: String,
    /// One of [`crate::kind::KINDS`]; None: detected from what the URL
    /// answers.
    pub kind: Option<SourceKind>,
    /// An http(s) URL or a local file path.
    pub url: String,
    /// Cron expression overriding the aggregator's default.
    pub schedule: Option<String>,
    pub priority: i32,
    pub lang: Option<String>,
    pub categories: Vec<String>,
    pub venue: Option<String>,
    pub enabled: bool,
    pub selectors: Option<Selectors>,
    /// This source's time budget for a whole run, retries included
    /// (`timeout`, seconds); None: `[aggregator] source_timeout`.
    pub timeout: Option<std::time::Duration>,
    /// This source's cap on a body fetched over the network
    /// (`max_body_mb`); None: `[aggregator] max_body_mb`, else the fetch
    /// policy's. A local file is not held to it.
    pub max_body_bytes: Option<usize>,
}

impl SourceConfig {
    /// A minimal enabled source (used by tests and examples).
    pub fn new(id: SourceId, url: impl Into<String>, kind: Option<SourceKind>) -> SourceConfig {
        SourceConfig {
            name: id.to_string(),
            id,
            kind,
            url: url.into(),
            schedule: None,
            priority: 0,
            lang: None,
            categories: Vec::new(),
            venue: None,
            enabled: true,
            selectors: None,
            timeout: None,
            max_body_bytes: None,
        }
    }

    /// True when `url` is a local file path rather than http(s).
    pub fn is_local(&self) -> bool {
        !(self.url.starts_with("http://") || self.url.starts_with("https://"))
    }
}
