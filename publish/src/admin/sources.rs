//! Administering the member sources from the console: the interface the
//! binary implements (publish never depends on ingest), held as
//! [`crate::AppState::source_admin`]. When it is `None` (a router built
//! without the binary, as in most tests), the sources routes answer 503.
//!
//! The routes: `POST /api/v1/admin/sources/preview` (any staff),
//! `POST /api/v1/admin/sources`, `PATCH .../{id}`, `POST .../{id}/pause`,
//! `.../resume` (admins), `POST .../{id}/run` (any staff),
//! `POST /api/v1/admin/categories/map` (admins), and the events entered by
//! hand, `POST /api/v1/admin/manual-events`, `PUT` and `DELETE
//! .../{id}` (any staff). A bad body, a value `check` would refuse, a
//! wrong date: 400 `{"error", "field"}`.
//!
//! [`ManualEvent::to_raw`] makes the record the built-in source lists of an
//! event entered by hand ([`ManualEvent::from_raw`] gives the form back).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, patch, post};
use chrono::{NaiveDate, NaiveDateTime};
use model::{Event, RawEvent, TimeValue};
use serde::{Deserialize, Serialize};

use crate::admin::auth::{Admin, Editor, Staff};
use crate::admin::scope::{api_check, Act};
use crate::i18n;
use crate::respond::{json_error, run_index};
use crate::{AppState, PublishConfig};

/// The id of the built-in source that lists the events entered by hand
/// (`index::manual`); `check` refuses it in `sources.toml`.
pub const MANUAL_SOURCE: &str = "saisie";

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
    /// Change the gazetteer's venue `id` (any of `name`, `aliases`,
    /// `address`, `city`, `lat`, `lon`), or add a venue seen in events to
    /// it; every source then runs again.
    fn update_venue(
        &self,
        who: &str,
        id: &str,
        changes: serde_json::Map<String, serde_json::Value>,
    ) -> AdminFuture<'_, ()>;
    /// Merge `from` into the gazetteer's venue `into`: their names become
    /// its aliases; every source then runs again.
    fn merge_venues(&self, who: &str, into: &str, from: Vec<VenueRef>) -> AdminFuture<'_, ()>;
    /// Undo a change of the gazetteer or the taxonomy from its audit entry
    /// (`venue.update`, `venue.merge`, `category.map`); every source then
    /// runs again. The entry itself is marked undone by the caller.
    fn undo_change(&self, who: &str, entry: index::AuditEntry) -> AdminFuture<'_, ()>;
}

/// A venue named in a merge: its id and the name events show for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueRef {
    pub id: String,
    pub name: String,
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
            SourceAdminError::Refused(messages) => {
                let field = messages.iter().find_map(|m| field_of(m));
                (
                    StatusCode::BAD_REQUEST,
                    Json(serde_json::json!({
                        "error": messages.join("\n"),
                        "field": field,
                        "messages": messages,
                    })),
                )
                    .into_response()
            }
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

/// The sources routes: previews and members (`Admin`, but an editor may
/// run a source now), category words (`Admin`) and events entered by hand
/// (`Editor`). Bodies are read here so that a bad one is a 400
/// `{"error", "field"}` like every other refusal.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/sources/preview", post(preview))
        .route("/api/v1/admin/sources", post(add))
        .route("/api/v1/admin/sources/{id}", patch(update))
        .route("/api/v1/admin/sources/{id}/run", post(run_now))
        .route("/api/v1/admin/sources/{id}/pause", post(pause))
        .route("/api/v1/admin/sources/{id}/resume", post(resume))
        .route("/api/v1/admin/categories/map", post(map_category))
        .route(
            "/api/v1/admin/manual-events",
            get(list_manual).post(create_manual),
        )
        .route(
            "/api/v1/admin/manual-events/{id}",
            get(one_manual).put(replace_manual).delete(delete_manual),
        )
}

/// Why a sources route answers before (or instead of) the work.
enum Refusal {
    /// No [`SourceAdmin`] in this process (503), in this language.
    Unavailable(String),
    /// A body that is not what the route takes (400).
    Body {
        message: String,
        field: Option<String>,
    },
    Admin(SourceAdminError),
}

impl From<SourceAdminError> for Refusal {
    fn from(e: SourceAdminError) -> Refusal {
        Refusal::Admin(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unavailable(lang) => json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                i18n::tr(&lang, "onboard-unavailable"),
            ),
            Refusal::Body { message, field } => (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": message, "field": field })),
            )
                .into_response(),
            Refusal::Admin(e) => e.into_response(),
        }
    }
}

type Answer = Result<Response, Refusal>;

/// The implementation, or the 503 that says there is none.
fn admin_of(state: &AppState) -> Result<Arc<dyn SourceAdmin>, Refusal> {
    state.source_admin.clone().ok_or_else(|| {
        Refusal::Unavailable(
            state
                .config()
                .languages
                .first()
                .cloned()
                .unwrap_or_else(|| "fr".to_string()),
        )
    })
}

/// A JSON body, or 400 `{"error", "field"}` naming the field serde named.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|e| {
        let message = e.to_string();
        let field = message
            .split('`')
            .nth(1)
            .filter(|f| !f.is_empty())
            .map(str::to_string);
        Refusal::Body { message, field }
    })
}

/// The store's view of source `id` after a change: `{"id", "source"}`.
async fn source_answer(state: &AppState, status: StatusCode, id: &str) -> Response {
    let sources = match run_index(&state.index, "sources", |index| index.sources()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let source = sources.into_iter().find(|s| s.id == id);
    (
        status,
        Json(serde_json::json!({ "id": id, "source": source })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct UrlBody {
    url: String,
}

async fn preview(State(state): State<AppState>, Editor(_staff): Editor, bytes: Bytes) -> Answer {
    let admin = admin_of(&state)?;
    let request: UrlBody = body(&bytes)?;
    Ok(Json(admin.preview(&request.url).await?).into_response())
}

async fn add(State(state): State<AppState>, Admin(staff): Admin, bytes: Bytes) -> Answer {
    let admin = admin_of(&state)?;
    let fields: serde_json::Map<String, serde_json::Value> = body(&bytes)?;
    let Some(id) = fields
        .get("id")
        .and_then(|v| v.as_str())
        .map(str::to_string)
    else {
        return Err(Refusal::Body {
            message: "a source needs an `id`".to_string(),
            field: Some("id".to_string()),
        });
    };
    admin.add(&staff.who, fields).await?;
    Ok(source_answer(&state, StatusCode::CREATED, &id).await)
}

async fn update(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let admin = admin_of(&state)?;
    let changes: serde_json::Map<String, serde_json::Value> = body(&bytes)?;
    admin.update(&staff.who, &id, changes).await?;
    Ok(source_answer(&state, StatusCode::OK, &id).await)
}

/// Any staff member may run a source now.
async fn run_now(
    State(state): State<AppState>,
    Editor(staff): Editor,
    Path(id): Path<String>,
) -> Answer {
    admin_of(&state)?.run_now(&staff.who, &id).await?;
    Ok(source_answer(&state, StatusCode::OK, &id).await)
}

async fn pause(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Path(id): Path<String>,
) -> Answer {
    admin_of(&state)?.pause(&staff.who, &id).await?;
    Ok(source_answer(&state, StatusCode::OK, &id).await)
}

async fn resume(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Path(id): Path<String>,
) -> Answer {
    admin_of(&state)?.resume(&staff.who, &id).await?;
    Ok(source_answer(&state, StatusCode::OK, &id).await)
}

#[derive(Deserialize)]
struct MapBody {
    word: String,
    slug: String,
}

async fn map_category(State(state): State<AppState>, Admin(staff): Admin, bytes: Bytes) -> Answer {
    let admin = admin_of(&state)?;
    let request: MapBody = body(&bytes)?;
    admin
        .map_category(&staff.who, &request.word, &request.slug)
        .await?;
    Ok(
        Json(serde_json::json!({ "word": request.word.trim(), "slug": request.slug }))
            .into_response(),
    )
}

/// A manual event as the console edits it: `{"id", "event": ManualEvent,
/// "created_by", "created_at", "updated_at"}`.
fn manual_json(m: &index::manual::ManualRecord, config: &PublishConfig) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "event": ManualEvent::from_raw(&m.raw, config),
        "created_by": m.created_by,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    })
}

/// `GET /api/v1/admin/manual-events`: every event entered by hand, oldest
/// first, `{"events": [...]}`.
async fn list_manual(State(state): State<AppState>, Editor(_staff): Editor) -> Response {
    match run_index(&state.index, "manual events", |index| {
        index.manual_events(MANUAL_SOURCE)
    })
    .await
    {
        Ok(list) => {
            let events: Vec<serde_json::Value> = list
                .iter()
                .map(|m| manual_json(m, &state.config()))
                .collect();
            Json(serde_json::json!({ "events": events })).into_response()
        }
        Err(response) => response,
    }
}

async fn one_manual(
    State(state): State<AppState>,
    Editor(_staff): Editor,
    Path(id): Path<String>,
) -> Response {
    let wanted = id.clone();
    match run_index(&state.index, "manual event", move |index| {
        index.manual_event(&wanted)
    })
    .await
    {
        Ok(Some(m)) => Json(manual_json(&m, &state.config())).into_response(),
        Ok(None) => SourceAdminError::NotFound(format!("manual event {id:?}")).into_response(),
        Err(response) => response,
    }
}

async fn create_manual(
    State(state): State<AppState>,
    Editor(staff): Editor,
    bytes: Bytes,
) -> Answer {
    save_manual(state, staff, None, bytes).await
}

async fn replace_manual(
    State(state): State<AppState>,
    Editor(staff): Editor,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    save_manual(state, staff, Some(id), bytes).await
}

async fn save_manual(state: AppState, staff: Staff, id: Option<String>, bytes: Bytes) -> Answer {
    if let Err(r) = api_check(&state, &staff, Act::Manual).await {
        return Ok(r);
    }
    let admin = admin_of(&state)?;
    let event: ManualEvent = body(&bytes)?;
    let status = if id.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let id = admin
        .save_manual_event(&staff.who, id.as_deref(), event)
        .await?;
    Ok((status, Json(serde_json::json!({ "id": id }))).into_response())
}

async fn delete_manual(
    State(state): State<AppState>,
    Editor(staff): Editor,
    Path(id): Path<String>,
) -> Answer {
    if let Err(r) = api_check(&state, &staff, Act::Manual).await {
        return Ok(r);
    }
    admin_of(&state)?
        .delete_manual_event(&staff.who, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The `[[source]]` key a message of `check` is about, when it names one:
/// by the words `check` starts its messages with, else the first key it
/// quotes (`` `priority` must be an integer ``).
fn field_of(message: &str) -> Option<String> {
    // `FILE:LINE:COL: message`: the message is after the third colon.
    let text = message
        .splitn(4, ':')
        .nth(3)
        .unwrap_or(message)
        .trim_start();
    const STARTS: &[(&str, &str)] = &[
        ("source id", "id"),
        ("duplicate source id", "id"),
        ("invalid cron expression", "schedule"),
        ("url ", "url"),
        ("unknown kind", "kind"),
        ("unknown venue", "venue"),
        ("unknown category", "categories"),
        ("lang ", "lang"),
    ];
    STARTS
        .iter()
        .find(|(start, _)| text.starts_with(start))
        .map(|(_, field)| field.to_string())
        .or_else(|| {
            text.split('`')
                .nth(1)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
        })
}

impl ManualEvent {
    /// The record the built-in source lists for this event (`id` is its
    /// uid): times local to the aggregator's zone, the recurrence as an
    /// RRULE or RDATEs, the gazetteer venue's name, address and point, the
    /// first of the aggregator's languages given as the record's text and
    /// the others as its translations.
    pub fn to_raw(&self, id: &str, config: &PublishConfig) -> Result<RawEvent, SourceAdminError> {
        let invalid = |field: &str, message: String| SourceAdminError::Invalid {
            field: field.to_string(),
            message,
        };
        let titles: BTreeMap<&str, &str> = self
            .title
            .iter()
            .map(|(l, t)| (l.as_str(), t.trim()))
            .filter(|(_, t)| !t.is_empty())
            .collect();
        // The aggregator's languages in order, then any other given.
        let language = config
            .languages
            .iter()
            .map(String::as_str)
            .find(|l| titles.contains_key(l))
            .or_else(|| titles.keys().next().copied())
            .ok_or_else(|| {
                invalid(
                    "title",
                    "a title is needed, in at least one language".into(),
                )
            })?;
        let description = |lang: &str| {
            self.description
                .get(lang)
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
        };
        let zone = config.timezone.name().to_string();
        let start = parse_local(&self.start, self.all_day, &zone).ok_or_else(|| {
            invalid(
                "start",
                format!(
                    "{:?} is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)",
                    self.start
                ),
            )
        })?;
        let mut raw = RawEvent::new(id, titles[language], start.clone());
        raw.language = Some(language.to_string());
        raw.description = description(language);
        raw.translations = titles
            .iter()
            .filter(|(l, _)| **l != language)
            .map(|(l, t)| {
                (
                    l.to_string(),
                    model::Translation {
                        title: t.to_string(),
                        description: description(l),
                    },
                )
            })
            .collect();
        if let Some(end) = self.end.as_deref().filter(|e| !e.trim().is_empty()) {
            let mut end_value = parse_local(end, self.all_day, &zone).ok_or_else(|| {
                invalid(
                    "end",
                    format!(
                        "{end:?} is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)"
                    ),
                )
            })?;
            // A person gives the last day of an all-day event; iCalendar's
            // end is the day after.
            if let TimeValue::Date { date } = &mut end_value {
                *date = date.succ_opt().unwrap_or(*date);
            }
            let (s, e) = (start.as_written(), end_value.as_written());
            if e < s || (e == s && !self.all_day) {
                return Err(invalid("end", "the end must come after the start".into()));
            }
            raw.end = Some(end_value);
        }
        match &self.recurrence {
            None => {}
            Some(ManualRecurrence::Rule { freq, until, count }) => {
                let mut rule = match freq {
                    ManualFrequency::Weekly => "FREQ=WEEKLY".to_string(),
                    ManualFrequency::Monthly => "FREQ=MONTHLY".to_string(),
                };
                match (until.as_deref().filter(|u| !u.is_empty()), count) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            "recurrence",
                            "give an end date or a number of times, not both".into(),
                        ))
                    }
                    (Some(u), None) => {
                        let date = NaiveDate::parse_from_str(u, "%Y-%m-%d").map_err(|_| {
                            invalid("recurrence", format!("{u:?} is not a date (YYYY-MM-DD)"))
                        })?;
                        if date < start.as_written().date() {
                            return Err(invalid(
                                "recurrence",
                                "the repetition ends before the start".into(),
                            ));
                        }
                        rule.push_str(&format!(";UNTIL={}", date.format("%Y%m%d")));
                    }
                    (None, Some(0)) => {
                        return Err(invalid("recurrence", "the count must be at least 1".into()))
                    }
                    (None, Some(n)) => rule.push_str(&format!(";COUNT={n}")),
                    (None, None) => {}
                }
                raw.rrule = vec![rule];
            }
            Some(ManualRecurrence::Dates { dates }) => {
                let time = start.as_written().time();
                for d in dates {
                    let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                        invalid("recurrence", format!("{d:?} is not a date (YYYY-MM-DD)"))
                    })?;
                    raw.rdate.push(match start {
                        TimeValue::Date { .. } => TimeValue::Date { date },
                        _ => TimeValue::Zoned {
                            local: date.and_time(time),
                            tzid: zone.clone(),
                        },
                    });
                }
            }
        }
        if let Some(venue_id) = self.venue.as_deref().filter(|v| !v.is_empty()) {
            let venue = config
                .venues
                .iter()
                .find(|v| v.id == venue_id)
                .ok_or_else(|| invalid("venue", format!("no venue has the id {venue_id:?}")))?;
            raw.location = Some(venue.name.clone());
            raw.address = venue.address.clone();
            raw.city = venue.city.clone();
            raw.geo = venue
                .lat
                .zip(venue.lon)
                .and_then(|(lat, lon)| model::GeoPoint::new(lat, lon));
        }
        for (field, value) in [("image", &self.image), ("url", &self.url)] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                match url::Url::parse(v) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
                    _ => return Err(invalid(field, format!("{v:?} is not an http(s) address"))),
                }
                if field == "image" {
                    raw.image = Some(v.to_string());
                } else {
                    raw.url = Some(v.to_string());
                }
            }
        }
        for slug in &self.categories {
            if !config.categories.iter().any(|c| &c.slug == slug) {
                return Err(invalid(
                    "categories",
                    format!("no category has the slug {slug:?}"),
                ));
            }
        }
        raw.categories = self.categories.clone();
        raw.status = self.status;
        Ok(raw)
    }

    /// The form of a record [`ManualEvent::to_raw`] made (to edit it).
    pub fn from_raw(raw: &RawEvent, config: &PublishConfig) -> ManualEvent {
        let mut title = BTreeMap::new();
        let mut description = BTreeMap::new();
        let lang = raw
            .language
            .clone()
            .or_else(|| config.languages.first().cloned())
            .unwrap_or_else(|| "fr".to_string());
        title.insert(lang.clone(), raw.title.clone());
        if let Some(d) = &raw.description {
            description.insert(lang, d.clone());
        }
        for (l, t) in &raw.translations {
            title.insert(l.clone(), t.title.clone());
            if let Some(d) = &t.description {
                description.insert(l.clone(), d.clone());
            }
        }
        let all_day = raw.start.is_date();
        let written = |t: &TimeValue| match t {
            TimeValue::Date { date } => date.format("%Y-%m-%d").to_string(),
            other => other.as_written().format("%Y-%m-%dT%H:%M").to_string(),
        };
        let end = raw.end.as_ref().map(|e| match e {
            // Back to the last day, as a person gives it.
            TimeValue::Date { date } => date
                .pred_opt()
                .unwrap_or(*date)
                .format("%Y-%m-%d")
                .to_string(),
            other => written(other),
        });
        let recurrence = if let Some(rule) = raw.rrule.first() {
            let mut freq = ManualFrequency::Weekly;
            let (mut until, mut count) = (None, None);
            for part in rule.split(';') {
                match part.split_once('=') {
                    Some(("FREQ", "MONTHLY")) => freq = ManualFrequency::Monthly,
                    Some(("UNTIL", u)) => {
                        until = NaiveDate::parse_from_str(u.get(..8).unwrap_or(u), "%Y%m%d")
                            .ok()
                            .map(|d| d.format("%Y-%m-%d").to_string())
                    }
                    Some(("COUNT", n)) => count = n.parse().ok(),
                    _ => {}
                }
            }
            Some(ManualRecurrence::Rule { freq, until, count })
        } else if !raw.rdate.is_empty() {
            Some(ManualRecurrence::Dates {
                dates: raw
                    .rdate
                    .iter()
                    .map(|d| d.as_written().date().format("%Y-%m-%d").to_string())
                    .collect(),
            })
        } else {
            None
        };
        let venue = raw.location.as_ref().and_then(|name| {
            config
                .venues
                .iter()
                .find(|v| &v.name == name)
                .map(|v| v.id.clone())
        });
        ManualEvent {
            title,
            description,
            start: written(&raw.start),
            end,
            all_day,
            recurrence,
            venue,
            image: raw.image.clone(),
            url: raw.url.clone(),
            categories: raw.categories.clone(),
            status: raw.status,
        }
    }
}

/// `YYYY-MM-DDTHH:MM` (seconds allowed) in `zone`, or `YYYY-MM-DD`; a
/// date-time of an all-day event keeps its date.
fn parse_local(s: &str, all_day: bool, zone: &str) -> Option<TimeValue> {
    let s = s.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(TimeValue::Date { date });
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Some(if all_day {
        TimeValue::Date { date: local.date() }
    } else {
        TimeValue::Zoned {
            local,
            tzid: zone.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PublishConfig {
        PublishConfig {
            name: "Test".into(),
            base_url: "https://agenda.example.org".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: vec![crate::CategoryInfo {
                slug: "musique".into(),
                name: BTreeMap::from([("fr".into(), "Musique".into())]),
            }],
            venues: vec![model::Venue {
                id: "mda".into(),
                name: "Maison des arts de Laval".into(),
                address: Some("1395, boulevard de la Concorde Ouest".into()),
                city: Some("Laval".into()),
                lat: Some(45.5605),
                lon: Some(-73.713),
                precision: None,
            }],
            paused: Vec::new(),
            network: Default::default(),
            source_kinds: vec![],
        }
    }

    fn form() -> ManualEvent {
        ManualEvent {
            title: BTreeMap::from([
                ("en".into(), "Knitting workshop".into()),
                ("fr".into(), "Atelier de tricot".into()),
            ]),
            description: BTreeMap::from([("fr".into(), "Apportez vos aiguilles.".into())]),
            start: "2026-12-03T19:00".into(),
            end: Some("2026-12-03T21:00".into()),
            all_day: false,
            recurrence: Some(ManualRecurrence::Rule {
                freq: ManualFrequency::Weekly,
                until: Some("2027-01-28".into()),
                count: None,
            }),
            venue: Some("mda".into()),
            image: Some("https://img.example.org/t.jpg".into()),
            url: None,
            categories: vec!["musique".into()],
            status: Some(model::Status::Scheduled),
        }
    }

    #[test]
    fn a_form_becomes_the_record_of_the_built_in_source_and_back() {
        let raw = form().to_raw("m-1", &config()).unwrap();
        assert_eq!(raw.uid, "m-1");
        // French first, English as the record's own translation.
        assert_eq!(raw.title, "Atelier de tricot");
        assert_eq!(raw.language.as_deref(), Some("fr"));
        assert_eq!(raw.description.as_deref(), Some("Apportez vos aiguilles."));
        assert_eq!(raw.translations["en"].title, "Knitting workshop");
        assert_eq!(raw.translations["en"].description, None);
        assert_eq!(
            raw.start,
            TimeValue::Zoned {
                local: "2026-12-03T19:00:00".parse().unwrap(),
                tzid: "America/Toronto".into()
            }
        );
        assert_eq!(raw.rrule, vec!["FREQ=WEEKLY;UNTIL=20270128"]);
        assert_eq!(raw.location.as_deref(), Some("Maison des arts de Laval"));
        assert_eq!(raw.city.as_deref(), Some("Laval"));
        assert!(raw.geo.is_some());
        assert_eq!(ManualEvent::from_raw(&raw, &config()), form());
    }

    #[test]
    fn all_day_events_end_on_the_day_after_and_dates_are_rdates() {
        let mut f = form();
        f.all_day = true;
        f.start = "2026-12-05".into();
        f.end = Some("2026-12-06".into());
        f.recurrence = Some(ManualRecurrence::Dates {
            dates: vec!["2026-12-12".into(), "2026-12-19".into()],
        });
        let raw = f.to_raw("m-2", &config()).unwrap();
        let date = |s: &str| TimeValue::Date {
            date: s.parse().unwrap(),
        };
        assert_eq!(raw.start, date("2026-12-05"));
        assert_eq!(raw.end, Some(date("2026-12-07")));
        assert_eq!(raw.rdate, vec![date("2026-12-12"), date("2026-12-19")]);
        assert_eq!(ManualEvent::from_raw(&raw, &config()), f);
    }

    #[test]
    fn a_wrong_value_names_its_field() {
        let field = |f: ManualEvent| match f.to_raw("m", &config()) {
            Err(SourceAdminError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut f = form();
        f.title.clear();
        assert_eq!(field(f), "title");
        let mut f = form();
        f.start = "demain".into();
        assert_eq!(field(f), "start");
        let mut f = form();
        f.end = Some("2026-12-03T18:00".into());
        assert_eq!(field(f), "end");
        let mut f = form();
        f.recurrence = Some(ManualRecurrence::Rule {
            freq: ManualFrequency::Monthly,
            until: Some("2027-01-01".into()),
            count: Some(3),
        });
        assert_eq!(field(f), "recurrence");
        let mut f = form();
        f.venue = Some("ailleurs".into());
        assert_eq!(field(f), "venue");
        let mut f = form();
        f.image = Some("javascript:alert(1)".into());
        assert_eq!(field(f), "image");
        let mut f = form();
        f.categories = vec!["cuisine".into()];
        assert_eq!(field(f), "categories");
    }
}
