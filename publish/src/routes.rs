//! The router: the routes of every public module merged with the 404 of
//! unknown paths (JSON, or a page for a browser outside the API) under
//! CORS, then the staff console's (outside CORS: see [`crate::admin`]),
//! then request counting (for `/metrics`), under the server's limits:
//! the security headers of every public answer ([`crate::security`]), a
//! deadline for each answer ([`REQUEST_TIMEOUT`]), a bound on the answers
//! in flight ([`MAX_IN_FLIGHT`]) and on request bodies ([`MAX_BODY_BYTES`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

use crate::metrics::Metrics;
use crate::respond::json_error;
use crate::{admin, api, feeds, metrics, openapi, portal, rss, security, widget, AppState};

/// How long one answer may take before the client gets a 503: far above
/// any answer of a healthy server, low enough that a stuck request does not
/// hold its connection and its slot for ever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How many requests are answered at once; beyond, an immediate 503 with
/// `Retry-After` rather than a queue that grows until memory runs out.
pub const MAX_IN_FLIGHT: usize = 512;
/// The largest request body (only the staff console takes bodies: forms
/// and JSON far smaller than this).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// What `Retry-After` says when the server is full.
const RETRY_AFTER_SECONDS: &str = "1";

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
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(deadline))
        .layer(middleware::from_fn_with_state(metrics, count_requests))
        .layer(middleware::from_fn_with_state(
            Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            limit_in_flight,
        ))
        // Outermost: the limits' own answers get the headers too.
        .layer(middleware::from_fn(security::headers))
        .with_state(state)
}

/// A 503 (JSON, like every error the API gives) when the answer takes
/// longer than [`REQUEST_TIMEOUT`]; the handler's future is dropped.
async fn deadline(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the answer took longer than {} seconds",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
    }
}

/// At most [`MAX_IN_FLIGHT`] requests answered at once; the others get a
/// 503 with `Retry-After` at once (shedding, not queueing).
async fn limit_in_flight(
    State(slots): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_slot) = slots.try_acquire() else {
        let mut response = json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many requests at once; retry in a moment",
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
        return response;
    };
    next.run(request).await
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
