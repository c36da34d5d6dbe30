//! Sources administration from the console: what the binary does for
//! publish (publish never depends on ingest), behind the [`SourceAdmin`]
//! trait held in `AppState.source_admin` (None: these routes answer 503).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use model::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What previewing a URL found, without storing anything.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Preview {
    pub kind: String,
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

/// An event entered by hand in the console.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ManualEvent {
    /// Language code → title.
    pub title: BTreeMap<String, String>,
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    /// `YYYY-MM-DDTHH:MM` or `YYYY-MM-DD`, local to the aggregator.
    pub start: String,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub all_day: bool,
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    /// A `[[venue]]` id.
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    /// `scheduled`, `cancelled` or `postponed`.
    #[serde(default)]
    pub status: Option<String>,
}

/// How a hand-entered event repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Recurrence {
    /// Every week or month from the start, until a date or a count.
    Rule {
        freq: Frequency,
        #[serde(default)]
        until: Option<String>,
        #[serde(default)]
        count: Option<u32>,
    },
    /// These dates (`YYYY-MM-DD`), at the start's time.
    Dates { dates: Vec<String> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Weekly,
    Monthly,
}

/// Why a sources administration request failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceAdminError {
    /// A bad value in the request (400 with `field`).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// No such source or manual event (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// The configuration `check` would refuse (400): its messages,
    /// `FILE:LINE:COL: message`.
    #[error("{}", .0.join("\n"))]
    Refused(Vec<String>),
    /// The work could not be done (fetching, writing the file).
    #[error("{0}")]
    Failed(String),
}

pub type AdminFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SourceAdminError>> + Send + 'a>>;

/// What the console asks of the running process about sources.
pub trait SourceAdmin: Send + Sync + 'static {
    fn preview(&self, url: &str) -> AdminFuture<'_, Preview>;
    fn add(&self, who: &str, source: serde_json::Map<String, Value>) -> AdminFuture<'_, ()>;
    fn update(
        &self,
        who: &str,
        id: &str,
        changes: serde_json::Map<String, Value>,
    ) -> AdminFuture<'_, ()>;
    fn run_now(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    fn pause(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    fn resume(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    /// Adds `word` to the `matches` of the `[[category]]` `slug`.
    fn map_category(&self, who: &str, word: &str, slug: &str) -> AdminFuture<'_, ()>;
    /// Returns the manual event's id.
    fn save_manual_event(
        &self,
        who: &str,
        id: Option<&str>,
        event: ManualEvent,
    ) -> AdminFuture<'_, String>;
    fn delete_manual_event(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
}
