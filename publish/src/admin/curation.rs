//! The curation routes of the JSON API, each behind [`Editor`]: an
//! event's fields and locks, hide and unhide, forced merge and split, the
//! audit trail and undo. The rules and the rows are `index::curation`'s;
//! these handlers only read the request, resolve a venue id against the
//! gazetteer and the venues seen, and answer per the contract (the Event,
//! 400 `{"error","field"}`, 404, 409).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use index::{CurationError, Index, Query};
use model::Venue;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::{Editor, Staff};
use super::scope::{api_check, Act};
use crate::respond::{internal_error, json_error};
use crate::AppState;

/// The curation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/events/{id}",
            get(curated_event).patch(patch_event),
        )
        .route("/api/v1/admin/events/{id}/locks/{field}", delete(unlock))
        .route("/api/v1/admin/events/{id}/hide", post(hide))
        .route("/api/v1/admin/events/{id}/unhide", post(unhide))
        .route("/api/v1/admin/merge", post(merge))
        .route("/api/v1/admin/split", post(split))
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/admin/audit/{id}/undo", post(undo))
}

/// 400 `{"error", "field"}`.
pub fn field_error(field: &str, message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into(), "field": field})),
    )
        .into_response()
}

fn curation_error(e: CurationError) -> Response {
    match e {
        CurationError::NotFound(m) => json_error(StatusCode::NOT_FOUND, m),
        CurationError::Invalid(f) => field_error(&f.field, f.reason),
        CurationError::Conflict(m) => json_error(StatusCode::CONFLICT, m),
        CurationError::Index(e) => internal_error("curation", &e),
    }
}

/// The answer to a curation that did not go through (boxed: a response
/// is large, and most calls succeed).
struct Refusal(Box<Response>);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// Run a curation on the blocking pool; a refusal is its answer.
async fn curate<T, F>(index: &Arc<Index>, f: F) -> Result<T, Refusal>
where
    T: Send + 'static,
    F: FnOnce(&Index) -> Result<T, CurationError> + Send + 'static,
{
    let index = Arc::clone(index);
    match tokio::task::spawn_blocking(move || f(&index)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Refusal(Box::new(curation_error(e)))),
        Err(join) => Err(Refusal(Box::new(internal_error("curation", &join)))),
    }
}

/// A body that is not what a route takes: 400 naming the field.
struct BodyError {
    field: &'static str,
    message: String,
}

impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        field_error(self.field, self.message)
    }
}

/// The body as a JSON object; an empty body is an empty object.
fn object(body: &Bytes) -> Result<Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => return Ok(map),
        Ok(_) => "expected a JSON object".to_string(),
        Err(e) => format!("not JSON: {e}"),
    };
    Err(BodyError {
        field: "body",
        message,
    })
}

/// A body field of type `T`, or 400 naming it.
fn take<T: for<'de> Deserialize<'de>>(
    map: &Map<String, Value>,
    field: &'static str,
) -> Result<T, BodyError> {
    let value = map.get(field).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value).map_err(|_| BodyError {
        field,
        message: format!("{field}: missing or of the wrong type"),
    })
}

/// A venue by id: the gazetteer first, else a venue events already have.
pub(crate) fn venue_by_id(state: &AppState, id: &str) -> Result<Option<Venue>, CurationError> {
    if let Some(v) = state.config().venues.iter().find(|v| v.id == id) {
        return Ok(Some(v.clone()));
    }
    let mut query = Query::from(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    query.venues = vec![id.to_string()];
    query.limit = 1;
    let page = state.index.query(&query)?;
    Ok(page
        .events
        .into_iter()
        .filter_map(|e| e.venue)
        .find(|v| v.id == id))
}

/// `GET /api/v1/admin/events/{id}`: the event, hidden or not, its locks
/// and every source record it is made of.
async fn curated_event(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = api_check(&state, &staff, Act::Event(id.clone())).await {
        return r;
    }
    let found = curate(&state.index, move |index| Ok(index.curated_event(&id)?)).await;
    match found {
        Ok(Some(c)) => Json(c).into_response(),
        Ok(None) => json_error(StatusCode::NOT_FOUND, "no such event"),
        Err(r) => r.into_response(),
    }
}

/// `PATCH /api/v1/admin/events/{id}`: set fields and lock them.
async fn patch_event(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = api_check(&state, &staff, Act::Event(id.clone())).await {
        return r;
    }
    let mut fields = match object(&body) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    // The contract names a venue by its id; the lock keeps the whole venue.
    if let Some(venue) = fields.get("venue").cloned() {
        let resolved = match venue {
            Value::Null => Value::Null,
            Value::String(vid) => {
                let s = state.clone();
                let found = curate(&state.index, move |_| venue_by_id(&s, &vid)).await;
                match found {
                    Ok(Some(v)) => serde_json::to_value(v).unwrap_or(Value::Null),
                    Ok(None) => return field_error("venue", "unknown venue id"),
                    Err(r) => return r.into_response(),
                }
            }
            _ => return field_error("venue", "expected a venue id or null"),
        };
        fields.insert("venue".to_string(), resolved);
    }
    let who = staff.who;
    match curate(&state.index, move |index| {
        index.patch_event(&who, &id, fields)
    })
    .await
    {
        Ok(event) => Json(event).into_response(),
        Err(r) => r.into_response(),
    }
}

/// `DELETE /api/v1/admin/events/{id}/locks/{field}`.
async fn unlock(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path((id, field)): Path<(String, String)>,
) -> Response {
    if let Err(r) = api_check(&state, &staff, Act::Event(id.clone())).await {
        return r;
    }
    let who = staff.who;
    match curate(&state.index, move |index| index.unlock(&who, &id, &field)).await {
        Ok(event) => Json(event).into_response(),
        Err(r) => r.into_response(),
    }
}

/// Hide or unhide `id` (or its series): the event named must be curated
/// (a series' occurrences come from the same sources).
async fn set_hidden(
    state: AppState,
    staff: Staff,
    id: String,
    body: Bytes,
    hide: bool,
) -> Response {
    if let Err(r) = api_check(&state, &staff, Act::Event(id.clone())).await {
        return r;
    }
    let who = staff.who;
    let map = match object(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let series = match map.get("series") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return field_error("series", "expected true or false"),
    };
    let done = curate(&state.index, move |index| {
        if hide {
            index.hide(&who, &id, series)
        } else {
            index.unhide(&who, &id, series)
        }
    })
    .await;
    match done {
        Ok(()) => Json(json!({"hidden": hide, "series": series})).into_response(),
        Err(r) => r.into_response(),
    }
}

/// `POST /api/v1/admin/events/{id}/hide` (`{"series": true}` for the series).
async fn hide(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    set_hidden(state, staff, id, body, true).await
}

/// `POST /api/v1/admin/events/{id}/unhide`.
async fn unhide(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    set_hidden(state, staff, id, body, false).await
}

/// `POST /api/v1/admin/merge` `{"ids": [...]}`.
async fn merge(Editor(staff): Editor, State(state): State<AppState>, body: Bytes) -> Response {
    let ids: Vec<String> = match object(&body).and_then(|m| take(&m, "ids")) {
        Ok(ids) => ids,
        Err(r) => return r.into_response(),
    };
    if let Err(r) = api_check(&state, &staff, Act::Events(ids.clone())).await {
        return r;
    }
    let who = staff.who;
    match curate(&state.index, move |index| index.merge(&who, &ids)).await {
        Ok(event) => Json(event).into_response(),
        Err(r) => r.into_response(),
    }
}

/// `POST /api/v1/admin/split` `{"id", "source"}`.
async fn split(Editor(staff): Editor, State(state): State<AppState>, body: Bytes) -> Response {
    let map = match object(&body) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let (id, source): (String, String) = match (take(&map, "id"), take(&map, "source")) {
        (Ok(i), Ok(s)) => (i, s),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    if let Err(r) = api_check(&state, &staff, Act::Event(id.clone())).await {
        return r;
    }
    let who = staff.who;
    match curate(&state.index, move |index| index.split(&who, &id, &source)).await {
        Ok(event) => Json(event).into_response(),
        Err(r) => r.into_response(),
    }
}

/// `GET /api/v1/admin/audit?limit=N&cursor=C`: newest first.
async fn audit(
    Editor(_): Editor,
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut limit = 50usize;
    let mut cursor: Option<i64> = None;
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=500).contains(&n) => limit = n,
                _ => {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "limit is a number from 1 to 500", "parameter": "limit"})),
                    )
                        .into_response()
                }
            },
            "cursor" => match value.parse::<i64>() {
                Ok(n) if n > 0 => cursor = Some(n),
                _ => {
                    return (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "cursor is the next_cursor of a previous page", "parameter": "cursor"})),
                    )
                        .into_response()
                }
            },
            _ => {}
        }
    }
    match curate(&state.index, move |index| Ok(index.audit(limit, cursor)?)).await {
        Ok(page) => Json(json!({
            "entries": page.entries,
            "next_cursor": page.next.map(|n| n.to_string()),
        }))
        .into_response(),
        Err(r) => r.into_response(),
    }
}

/// Why an undo did not go through.
pub(crate) enum UndoError {
    Curation(CurationError),
    /// The binary could not put `sources.toml` back.
    Admin(super::sources::SourceAdminError),
    /// Nothing here can write `sources.toml`.
    Unavailable,
    Internal(String),
}

/// Undo audit entry `id`: a change to an event by the index itself; a
/// change of the gazetteer or the taxonomy by the binary, which puts
/// `sources.toml` back, then marked undone in the audit trail. The API and
/// the console both come here.
pub(crate) async fn undo_entry(state: &AppState, who: String, id: i64) -> Result<(), UndoError> {
    let index = Arc::clone(&state.index);
    /// An index call that may refuse, run off the runtime.
    type Call = Box<dyn FnOnce(&Index) -> Result<(), CurationError> + Send>;
    let blocking = |f: Call| {
        let index = Arc::clone(&index);
        async move {
            match tokio::task::spawn_blocking(move || f(&index)).await {
                Ok(r) => r.map_err(UndoError::Curation),
                Err(e) => Err(UndoError::Internal(e.to_string())),
            }
        }
    };
    let lookup = Arc::clone(&index);
    let entry = match tokio::task::spawn_blocking(move || lookup.audit_entry(id)).await {
        Ok(Ok(Some(entry))) => entry,
        Ok(Ok(None)) => {
            return Err(UndoError::Curation(CurationError::NotFound(format!(
                "no audit entry {id}"
            ))))
        }
        Ok(Err(e)) => return Err(UndoError::Curation(e.into())),
        Err(e) => return Err(UndoError::Internal(e.to_string())),
    };
    if !index::CONFIG_UNDOABLE.contains(&entry.action.as_str()) {
        return blocking(Box::new(move |ix| ix.undo(&who, id))).await;
    }
    if entry.undone_by.is_some() {
        return Err(UndoError::Curation(CurationError::Conflict(format!(
            "entry {id} is already undone"
        ))));
    }
    let Some(admin) = state.source_admin.clone() else {
        return Err(UndoError::Unavailable);
    };
    admin
        .undo_change(&who, entry)
        .await
        .map_err(UndoError::Admin)?;
    blocking(Box::new(move |ix| ix.record_undo(&who, id))).await
}

/// `POST /api/v1/admin/audit/{id}/undo`.
async fn undo(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return json_error(StatusCode::NOT_FOUND, "no such audit entry");
    };
    if let Err(r) = api_check(&state, &staff, Act::Undo(id)).await {
        return r;
    }
    match undo_entry(&state, staff.who, id).await {
        Ok(()) => Json(json!({"undone": id})).into_response(),
        Err(UndoError::Curation(e)) => curation_error(e),
        Err(UndoError::Admin(e)) => e.into_response(),
        Err(UndoError::Unavailable) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server cannot write its configuration",
        ),
        Err(UndoError::Internal(e)) => internal_error("undo", &e),
    }
}
