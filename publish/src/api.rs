//! The JSON API: `/api/v1/events`, `/api/v1/events/{id}`, `/api/v1/sources`,
//! `/api/v1/categories`, `/api/v1/venues` and `/healthz`.
//!
//! Categories and venues count the events that match the query (the
//! parameters of `/api/v1/events`; `from` defaults to now, so by default
//! they count upcoming events). Every configured category is listed, and
//! every venue of the gazetteer, even with no event; venues that events
//! name but the gazetteer does not follow them.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use model::{Event, Venue};
use serde::Serialize;

use crate::cache::{self, CachePolicy};
use crate::calendars::Site;
use crate::handler::{sources_with_next_runs, Defaults, Request};
use crate::lang::localize;
use crate::respond::internal_error;
use crate::{AppState, PublishConfig};

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(events))
        .route("/api/v1/events/{id}", get(event))
        .route("/api/v1/sources", get(sources))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/venues", get(venues))
        .route("/healthz", get(healthz))
}

#[derive(Serialize)]
struct EventsPage {
    events: Vec<Event>,
    next_cursor: Option<String>,
    total: usize,
}

/// `GET /api/v1/events`.
pub async fn events(req: Request) -> Response {
    req.events(
        CachePolicy::Revalidate,
        Defaults::Upcoming,
        "events query",
        |page, search| {
            let mut events = page.events;
            if let Some(lang) = &search.lang {
                events.iter_mut().for_each(|e| localize(e, lang));
            }
            Json(EventsPage {
                events,
                next_cursor: page.next_cursor.map(|c| c.encode()),
                total: page.total,
            })
            .into_response()
        },
    )
    .await
}

/// `GET /api/v1/events/{id}`.
pub async fn event(Path(id): Path<String>, req: Request) -> Response {
    req.event(CachePolicy::Revalidate, &id, |mut event, lang| {
        if let Some(lang) = &lang {
            localize(&mut event, lang);
        }
        Json(event).into_response()
    })
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

/// `GET /api/v1/categories`.
pub async fn categories(req: Request) -> Response {
    facet_answer(req, |config, facets| {
        Json(category_counts(config, &facets.categories)).into_response()
    })
    .await
}

/// `GET /api/v1/venues`.
pub async fn venues(req: Request) -> Response {
    facet_answer(req, |config, facets| {
        Json(venue_counts(config, &facets.venues)).into_response()
    })
    .await
}

/// An answer made from the facets of the request's query (the API's
/// parameters and defaults).
async fn facet_answer(
    req: Request,
    answer: impl FnOnce(&PublishConfig, &index::Facets) -> Response,
) -> Response {
    req.search(
        CachePolicy::Revalidate,
        Defaults::Upcoming,
        "facets",
        |ix, query| ix.facets(query),
        |facets, _| answer(&req.config, &facets),
    )
    .await
}

/// `GET /api/v1/sources`, `next_run` from the scheduler.
pub async fn sources(
    State(state): State<AppState>,
    Site(site): Site,
    headers: HeaderMap,
) -> Response {
    let sources = match sources_with_next_runs(&state, "sources").await {
        Ok(s) => crate::calendars::own_sources(&site, s),
        Err(response) => return response,
    };
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
