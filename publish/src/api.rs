//! The JSON API: `/api/v1/events`, `/api/v1/events/{id}`, `/api/v1/sources`,
//! `/api/v1/categories`, `/api/v1/venues` and `/healthz`, plus the helpers
//! every handler uses (index calls on the blocking pool, JSON errors).
//!
//! Categories and venues count the events that match the query (the
//! parameters of `/api/v1/events`; `from` defaults to now, so by default
//! they count upcoming events). Every configured category is listed, and
//! every venue of the gazetteer, even with no event; venues that events
//! name but the gazetteer does not follow them.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use chrono_tz::Tz;
use index::{Index, IndexError};
use model::{Event, Venue};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::cache::{self, CachePolicy};
use crate::lang::localize;
use crate::params::{self, ParamError, QueryDefaults};
use crate::{AppState, PublishConfig};

/// `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// 400 `{"error": message, "parameter": name}`.
pub fn param_error(e: ParamError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": e.message, "parameter": e.parameter })),
    )
        .into_response()
}

/// 500 `{"error": "internal error"}`, the detail going to the log only.
pub fn internal_error(context: &str, detail: &dyn std::fmt::Display) -> Response {
    tracing::error!(context, error = %detail, "internal error");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// Run a (synchronous) index call on the blocking pool; an error or a
/// panic becomes a logged 500.
pub async fn run_index<T, F>(index: &Arc<Index>, context: &'static str, f: F) -> Result<T, Response>
where
    T: Send + 'static,
    F: FnOnce(&Index) -> Result<T, IndexError> + Send + 'static,
{
    let index = Arc::clone(index);
    match tokio::task::spawn_blocking(move || f(&index)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(internal_error(context, &e)),
        Err(join) => Err(internal_error(context, &join)),
    }
}

/// The aggregator's zone (UTC if the configuration names none we know;
/// the configuration check rejects that anyway).
pub fn aggregator_tz(state: &AppState) -> Tz {
    state.config.timezone.parse::<Tz>().unwrap_or_else(|_| {
        tracing::warn!(timezone = %state.config.timezone, "unknown aggregator time zone, using UTC");
        Tz::UTC
    })
}

/// An `Index` generation read without blocking the runtime for long (it is
/// a counter).
pub fn generation(state: &AppState) -> u64 {
    state.index.generation()
}

#[derive(Serialize)]
struct EventsPage {
    events: Vec<Event>,
    next_cursor: Option<String>,
    total: usize,
}

/// `GET /api/v1/events`.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let generation = generation(&state);
    let render = async {
        let now = Utc::now();
        let defaults = QueryDefaults {
            from: now,
            limit: 50,
            languages: &state.config.languages,
        };
        let (query, lang) =
            match params::parse_query_with(raw.as_deref(), aggregator_tz(&state), &defaults) {
                Ok(parsed) => parsed,
                Err(e) => return param_error(e),
            };
        let page = match run_index(&state.index, "events query", move |ix| ix.query(&query)).await {
            Ok(page) => page,
            Err(response) => return response,
        };
        let mut events = page.events;
        if let Some(lang) = &lang {
            events.iter_mut().for_each(|e| localize(e, lang));
        }
        Json(EventsPage {
            events,
            next_cursor: page.next_cursor.map(|c| c.encode()),
            total: page.total,
        })
        .into_response()
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Revalidate,
        render,
    )
    .await
}

/// `GET /api/v1/events/{id}`.
pub async fn event(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let generation = generation(&state);
    let render = async {
        let lang = match params::parse_lang(raw.as_deref(), &state.config.languages) {
            Ok(lang) => lang,
            Err(e) => return param_error(e),
        };
        let lookup = id.clone();
        match run_index(&state.index, "event lookup", move |ix| ix.event(&lookup)).await {
            Ok(Some(mut event)) => {
                if let Some(lang) = &lang {
                    localize(&mut event, lang);
                }
                Json(event).into_response()
            }
            Ok(None) => json_error(StatusCode::NOT_FOUND, format!("no event with id {id}")),
            Err(response) => response,
        }
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Revalidate,
        render,
    )
    .await
}

/// One item of `/api/v1/categories`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    pub slug: String,
    /// Language → name, for every configured language.
    pub name: BTreeMap<String, String>,
    /// Events that match the query.
    pub events: usize,
}

/// One item of `/api/v1/venues`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VenueCount {
    #[serde(flatten)]
    pub venue: Venue,
    /// Events that match the query.
    pub events: usize,
}

/// Every configured category, in configuration order, with its names and
/// the count of matching events; then any category events carry that the
/// configuration no longer has (named by its slug).
pub fn category_counts(
    config: &PublishConfig,
    counts: &BTreeMap<String, usize>,
) -> Vec<CategoryCount> {
    let mut out: Vec<CategoryCount> = config
        .categories
        .iter()
        .map(|c| {
            let mut name = c.name.clone();
            for l in &config.languages {
                name.entry(l.clone())
                    .or_insert_with(|| config.category_name(&c.slug, Some(l)));
            }
            CategoryCount {
                slug: c.slug.clone(),
                name,
                events: counts.get(&c.slug).copied().unwrap_or(0),
            }
        })
        .collect();
    for (slug, n) in counts {
        if !config.categories.iter().any(|c| &c.slug == slug) {
            out.push(CategoryCount {
                slug: slug.clone(),
                name: config
                    .languages
                    .iter()
                    .map(|l| (l.clone(), slug.clone()))
                    .collect(),
                events: *n,
            });
        }
    }
    out
}

/// The gazetteer in configuration order, each venue with its count (and
/// what events know of it where the gazetteer is silent), then the venues
/// events name that the gazetteer lacks, by name.
pub fn venue_counts(config: &PublishConfig, seen: &[(Venue, usize)]) -> Vec<VenueCount> {
    let mut out: Vec<VenueCount> = config
        .venues
        .iter()
        .map(|v| {
            let mut venue = v.clone();
            let mut events = 0;
            if let Some((s, n)) = seen.iter().find(|(s, _)| s.id == v.id) {
                events = *n;
                venue.address = venue.address.or_else(|| s.address.clone());
                venue.city = venue.city.or_else(|| s.city.clone());
                if venue.lat.is_none() || venue.lon.is_none() {
                    venue.lat = s.lat;
                    venue.lon = s.lon;
                }
            }
            VenueCount { venue, events }
        })
        .collect();
    for (v, n) in seen {
        if !config.venues.iter().any(|c| c.id == v.id) {
            out.push(VenueCount {
                venue: v.clone(),
                events: *n,
            });
        }
    }
    out
}

/// Facets of the query in `raw` (the API's parameters and defaults).
async fn facets_of(state: &AppState, raw: Option<&str>) -> Result<index::Facets, Response> {
    let defaults = QueryDefaults {
        from: Utc::now(),
        limit: 50,
        languages: &state.config.languages,
    };
    let (query, _lang) =
        params::parse_query_with(raw, aggregator_tz(state), &defaults).map_err(param_error)?;
    run_index(&state.index, "facets", move |ix| ix.facets(&query)).await
}

/// An answer computed from the index, through the ETag, the 304 and the
/// router's cache of rendered answers ([`cache::by_generation`]).
pub async fn cached<F: std::future::Future<Output = Response>>(
    state: &AppState,
    generation: u64,
    headers: &HeaderMap,
    uri: &Uri,
    raw: Option<&str>,
    policy: CachePolicy,
    render: F,
) -> Response {
    cache::by_generation(
        &state.responses,
        generation,
        headers,
        uri.path(),
        raw,
        policy,
        render,
    )
    .await
}

/// `GET /api/v1/categories`.
pub async fn categories(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    facet_answer(state, headers, uri, raw, |config, facets| {
        Json(category_counts(config, &facets.categories)).into_response()
    })
    .await
}

/// `GET /api/v1/venues`.
pub async fn venues(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    facet_answer(state, headers, uri, raw, |config, facets| {
        Json(venue_counts(config, &facets.venues)).into_response()
    })
    .await
}

/// An answer made from the facets of the request's query.
async fn facet_answer(
    state: AppState,
    headers: HeaderMap,
    uri: Uri,
    raw: Option<String>,
    answer: impl FnOnce(&PublishConfig, &index::Facets) -> Response,
) -> Response {
    let generation = generation(&state);
    let render = async {
        match facets_of(&state, raw.as_deref()).await {
            Ok(facets) => answer(&state.config, &facets),
            Err(response) => response,
        }
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Revalidate,
        render,
    )
    .await
}

/// `GET /api/v1/sources`, `next_run` from the scheduler.
pub async fn sources(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut sources = match run_index(&state.index, "sources", |ix| ix.sources()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    {
        let next = state.next_runs.read().unwrap_or_else(|e| e.into_inner());
        for s in &mut sources {
            s.next_run = next.get(&s.id).copied();
        }
    }
    match serde_json::to_vec(&sources) {
        Ok(body) => cache::by_body(
            &headers,
            CachePolicy::Revalidate,
            StatusCode::OK,
            "application/json",
            body,
        ),
        Err(e) => internal_error("sources json", &e),
    }
}

/// `GET /healthz`: 200 `{"status":"ok"}`, or 503 with the reason.
pub async fn healthz(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let index = Arc::clone(&state.index);
    let (status, body) = match tokio::task::spawn_blocking(move || index.health()).await {
        Ok(Ok(())) => (StatusCode::OK, serde_json::json!({ "status": "ok" })),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "error", "error": e.to_string() }),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "health check panicked");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "error", "error": "health check failed" }),
            )
        }
    };
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        status,
        "application/json",
        body.to_string().into_bytes(),
    )
}
