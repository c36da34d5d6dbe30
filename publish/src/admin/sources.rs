//! Administering the member sources from the console: the interface the
//! binary implements (publish never depends on ingest), held as
//! [`crate::AppState::source_admin`]. When it is `None` (a router built
//! without the binary, as in most tests), the sources routes answer 503.
//!
//! The routes under `/api/v1/admin/sources` and the manual events are
//! filled in by the onboarding work; this file holds the shared types.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use model::Event;
use serde::{Deserialize, Serialize};

use crate::AppState;

/// What an administration call answers, later.
pub type AdminFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, SourceAdminError>> + Send + 'a>>;

/// The operations on sources a person may ask for; `who` is the e-mail or
/// token name that goes into the audit trail.
pub trait SourceAdmin: Send + Sync + 'static {
    /// Fetch `url` as a new source would (the same guards), storing nothing.
    fn preview(&self, url: &str) -> AdminFuture<'_, Preview>;
    /// Add a `[[source]]` (its keys as in `sources.toml`), then run it.
    fn add(
        &self,
        who: &str,
        source: serde_json::Map<String, serde_json::Value>,
    ) -> AdminFuture<'_, ()>;
    /// Change some keys of source `id`.
    fn update(
        &self,
        who: &str,
        id: &str,
        changes: serde_json::Map<String, serde_json::Value>,
    ) -> AdminFuture<'_, ()>;
    fn run_now(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    fn pause(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    fn resume(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
    /// Add `word` to the `matches` of the `[[category]]` `slug`.
    fn map_category(&self, who: &str, word: &str, slug: &str) -> AdminFuture<'_, ()>;
    /// Create (`id` `None`) or replace a manual event; its id.
    fn save_manual_event(
        &self,
        who: &str,
        id: Option<&str>,
        event: ManualEvent,
    ) -> AdminFuture<'_, String>;
    fn delete_manual_event(&self, who: &str, id: &str) -> AdminFuture<'_, ()>;
}

/// What a URL holds, as a new source would read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Preview {
    pub kind: String,
    pub events: Vec<Event>,
    pub warnings: Vec<String>,
}

/// An event entered by hand. Times are local to the aggregator:
/// `YYYY-MM-DDTHH:MM`, or `YYYY-MM-DD` for a whole day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualEvent {
    /// Language code → title.
    #[serde(default)]
    pub title: BTreeMap<String, String>,
    /// Language code → description.
    #[serde(default)]
    pub description: BTreeMap<String, String>,
    pub start: String,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub all_day: bool,
    #[serde(default)]
    pub recurrence: Option<ManualRecurrence>,
    /// A venue id of the gazetteer.
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Category slugs.
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub status: Option<model::Status>,
}

/// How a manual event repeats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ManualRecurrence {
    /// Every week or month from the start, until a date or a count.
    Rule {
        freq: ManualFrequency,
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
pub enum ManualFrequency {
    Weekly,
    Monthly,
}

/// Why an administration call failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceAdminError {
    /// A value a person gave is wrong: 400 `{"error", "field"}`.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// No such source or manual event: 404.
    #[error("not found: {0}")]
    NotFound(String),
    /// `check` refused the configuration this would write: 400 with its
    /// messages (the file is left as it was).
    #[error("refused: {}", .0.join("; "))]
    Refused(Vec<String>),
    /// Fetching or writing failed: 502.
    #[error("{0}")]
    Failed(String),
}

impl IntoResponse for SourceAdminError {
    fn into_response(self) -> Response {
        match self {
            SourceAdminError::Invalid { field, message } => (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": message, "field": field })),
            )
                .into_response(),
            SourceAdminError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "error": what })),
            )
                .into_response(),
            SourceAdminError::Refused(messages) => (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": messages.join("\n"), "messages": messages })),
            )
                .into_response(),
            SourceAdminError::Failed(message) => {
                tracing::warn!(error = %message, "source administration failed");
                (
                    StatusCode::BAD_GATEWAY,
                    Json(serde_json::json!({ "error": message })),
                )
                    .into_response()
            }
        }
    }
}

/// The sources routes (none yet: see the module doc).
pub fn routes() -> Router<AppState> {
    Router::new()
}
