//! The venue routes of the JSON API, behind [`Editor`] (editors curate
//! events and venues): `PATCH /api/v1/admin/venues/{id}` edits a venue of
//! the gazetteer (or adds a venue seen in events to it), `POST
//! /api/v1/admin/venues/merge` `{"into", "from": [ids]}` merges venues, the
//! names of `from` becoming aliases of `into`. Both are written into
//! `sources.toml` by the binary ([`super::sources::SourceAdmin`]) and the
//! sources run again, so every event follows.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::auth::Editor;
use super::curation::{field_error, venue_by_id};
use super::scope::{api_check, Act};
use super::sources::VenueRef;
use crate::respond::json_error;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/venues/merge", post(merge))
        .route("/api/v1/admin/venues/{id}", patch(update))
}

fn body_object(body: &Bytes) -> Result<serde_json::Map<String, Value>, &'static str> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("expected a JSON object"),
    }
}

/// `PATCH /api/v1/admin/venues/{id}` with any of `name`, `aliases`,
/// `address`, `city`, `lat`, `lon`.
async fn update(
    Editor(staff): Editor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = api_check(&state, &staff, Act::Venues(vec![id.clone()])).await {
        return r;
    }
    let Some(admin) = state.source_admin.clone() else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the console cannot write the configuration here",
        );
    };
    let mut changes = match body_object(&body) {
        Ok(m) => m,
        Err(e) => return field_error("body", e),
    };
    // A venue seen in events joins the gazetteer under its own name unless
    // another is given.
    if !state.config().venues.iter().any(|v| v.id == id) && !changes.contains_key("name") {
        let s = state.clone();
        let vid = id.clone();
        let seen = tokio::task::spawn_blocking(move || venue_by_id(&s, &vid)).await;
        match seen {
            Ok(Ok(Some(v))) => {
                changes.insert("name".to_string(), Value::String(v.name));
            }
            Ok(Ok(None)) => return json_error(StatusCode::NOT_FOUND, format!("no venue {id}")),
            _ => return json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }
    match admin.update_venue(&staff.who, &id, changes).await {
        Ok(()) => Json(json!({"venue": id})).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /api/v1/admin/venues/merge` `{"into": ID, "from": [ID...]}`.
async fn merge(Editor(staff): Editor, State(state): State<AppState>, body: Bytes) -> Response {
    let map = match body_object(&body) {
        Ok(m) => m,
        Err(e) => return field_error("body", e),
    };
    let Some(into) = map.get("into").and_then(Value::as_str).map(str::to_string) else {
        return field_error("into", "the id of the venue to keep");
    };
    let Some(from) = map.get("from").and_then(Value::as_array).cloned() else {
        return field_error("from", "a list of venue ids");
    };
    let mut ids = Vec::new();
    for v in from {
        let Some(id) = v.as_str().map(str::to_string) else {
            return field_error("from", "a list of venue ids");
        };
        ids.push(id);
    }
    // Both sides of the merge must be venues of the editor's calendars.
    let mut both = ids.clone();
    both.push(into.clone());
    if let Err(r) = api_check(&state, &staff, Act::Venues(both)).await {
        return r;
    }
    let Some(admin) = state.source_admin.clone() else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the console cannot write the configuration here",
        );
    };
    let mut refs = Vec::new();
    for id in ids {
        let s = state.clone();
        let vid = id.clone();
        match tokio::task::spawn_blocking(move || venue_by_id(&s, &vid)).await {
            Ok(Ok(Some(v))) => refs.push(VenueRef { id, name: v.name }),
            Ok(Ok(None)) => return field_error("from", format!("unknown venue {id}")),
            _ => return json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }
    match admin.merge_venues(&staff.who, &into, refs).await {
        Ok(()) => Json(json!({"venue": into})).into_response(),
        Err(e) => e.into_response(),
    }
}
