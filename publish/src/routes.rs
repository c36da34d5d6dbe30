//! The router: the routes of every public module merged with the 404 of
//! unknown paths (JSON, or a page for a browser outside the API) under
//! CORS, then the staff console's (outside CORS: see [`crate::admin`]),
//! then request counting (for `/metrics`).

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use crate::metrics::Metrics;
use crate::{admin, api, feeds, metrics, openapi, portal, rss, widget, AppState};

/// Build the router over `state`.
pub fn build(state: AppState) -> Router {
    let metrics = Arc::new(Metrics::default());
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
        .expose_headers([header::ETAG]);
    let public = Router::new()
        .merge(api::routes())
        .merge(openapi::routes())
        .merge(metrics::routes(Arc::clone(&metrics)))
        .merge(feeds::routes())
        .merge(rss::routes())
        .merge(widget::routes())
        .merge(portal::routes())
        .fallback(not_found)
        .layer(cors);
    Router::new()
        .merge(public)
        .merge(admin::router(&state))
        .layer(middleware::from_fn_with_state(metrics, count_requests))
        .with_state(state)
}

async fn not_found(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Response {
    portal::not_found(&state.config(), &headers, &uri)
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
