//! The router: every route, CORS, request counting, `/metrics` and the JSON
//! 404 of unknown paths.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use crate::api::{self, json_error, run_index};
use crate::cache::{self, CachePolicy};
use crate::feeds;
use crate::metrics::Metrics;
use crate::AppState;

/// Build the router over `state`.
pub fn build(state: AppState) -> Router {
    let metrics = Arc::new(Metrics::default());
    let metrics_route = {
        let metrics = Arc::clone(&metrics);
        move |State(state): State<AppState>, headers: HeaderMap| async move {
            metrics_handler(state, metrics, headers).await
        }
    };
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([header::ETAG]);
    Router::new()
        .route("/api/v1/events", get(api::events))
        .route("/api/v1/events/{id}", get(api::event))
        .route("/api/v1/sources", get(api::sources))
        .route("/api/v1/categories", get(api::categories))
        .route("/api/v1/venues", get(api::venues))
        .route("/api/v1/openapi.json", get(crate::openapi::openapi_json))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics_route))
        .route("/feeds/events.ics", get(feeds::events_ics))
        .route("/events/{file}", get(feeds::event_file))
        .merge(crate::rss::routes())
        .merge(crate::pages::routes())
        .merge(crate::widget::routes())
        .merge(crate::portal::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(metrics, count_requests))
        .layer(cors)
        .with_state(state)
}

async fn not_found(uri: Uri) -> Response {
    json_error(StatusCode::NOT_FOUND, format!("no page at {}", uri.path()))
}

async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    metrics.record(&route, response.status().as_u16());
    response
}

async fn metrics_handler(state: AppState, metrics: Arc<Metrics>, headers: HeaderMap) -> Response {
    let generation = api::generation(&state);
    let sources = match run_index(&state.index, "metrics sources", |ix| ix.sources()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let body = metrics.render(generation, &sources);
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        body.into_bytes(),
    )
}
