//! The router: first the calendar of the request ([`crate::calendars`]),
//! then the routes of every public module merged with the 404 of
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

use crate::calendars::Site;
use crate::metrics::Metrics;
use crate::respond::json_error;
use crate::{
    admin, api, calendars, feeds, metrics, openapi, portal, rss, security, widget, AppState,
};

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
        .merge(calendars::routes())
        .fallback(not_found)
        .layer(cors);
    let routes = Router::new().merge(public).merge(admin::router(&state));
    let live = state.live_config.clone();
    // Counted outside the limits: the 503s of shedding and of the deadline
    // show in `/metrics`.
    let inner = with_limits(routes, MAX_IN_FLIGHT, REQUEST_TIMEOUT)
        .layer(middleware::from_fn_with_state(metrics, count_requests))
        .with_state(state);
    // The calendar of a request is found before routing, since its path
    // loses its `/c/{id}` prefix ([`calendars::route`]): a layer on a
    // router that only falls back to the inner one.
    Router::new()
        .fallback_service(inner)
        .layer(middleware::from_fn_with_state(live, calendars::route))
}

/// `routes` under the server's limits: bodies of at most
/// [`MAX_BODY_BYTES`] (413 beyond), an answer within `timeout` (else 503),
/// at most `max_in_flight` requests at once (else 503 at once), and, over
/// all of them, the security headers ([`crate::security`]), so that the
/// limits' own answers carry them too.
pub fn with_limits<S: Clone + Send + Sync + 'static>(
    routes: Router<S>,
    max_in_flight: usize,
    timeout: Duration,
) -> Router<S> {
    routes
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(timeout, deadline))
        .layer(middleware::from_fn_with_state(
            Arc::new(Semaphore::new(max_in_flight)),
            limit_in_flight,
        ))
        .layer(middleware::from_fn(security::headers))
}

/// A 503 (JSON, like every error the API gives) when the answer takes
/// longer than `timeout`; the handler's future is dropped.
async fn deadline(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the answer took longer than {} seconds",
                timeout.as_secs_f64()
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

async fn not_found(Site(config): Site, headers: axum::http::HeaderMap, uri: Uri) -> Response {
    portal::not_found(&config, &headers, &uri)
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::routing::{get, post};
    use tokio::sync::Notify;

    use super::*;
    use crate::testdata::request;

    /// A router under [`with_limits`] (one request at a time, `timeout`)
    /// whose `/wait` answers once `release` is notified and `/never` never
    /// answers.
    async fn serve_limited(release: Arc<Notify>, timeout: Duration) -> SocketAddr {
        let routes: Router = Router::new()
            .route(
                "/wait",
                get(move || {
                    let release = Arc::clone(&release);
                    async move {
                        release.notified().await;
                        "done"
                    }
                }),
            )
            .route("/never", get(std::future::pending::<&'static str>))
            .route("/fast", get(|| async { "fast" }))
            .route(
                "/echo",
                post(|body: axum::body::Bytes| async move { body.len().to_string() }),
            );
        let app = with_limits(routes, 1, timeout);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    }

    #[tokio::test]
    async fn a_full_server_sheds_at_once_and_a_stuck_answer_ends() {
        let release = Arc::new(Notify::new());
        // A deadline no step of this test comes near.
        let addr = serve_limited(Arc::clone(&release), Duration::from_secs(600)).await;
        // One slot, taken by /wait: the next request is shed with 503.
        let waiting = tokio::spawn(async move { request(addr, "GET", "/wait", &[]).await });
        let mut shed = None;
        // The waiting request may not have reached the handler yet: ask
        // until it holds the slot.
        for _ in 0..1000 {
            let r = request(addr, "GET", "/fast", &[]).await;
            if r.status == 503 {
                shed = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let shed = shed.expect("a request beyond the limit is shed");
        assert_eq!(shed.header("retry-after"), Some("1"));
        assert!(shed.json()["error"].as_str().is_some());
        assert_eq!(shed.header("x-content-type-options"), Some("nosniff"));
        release.notify_one();
        let waited = waiting.await.unwrap();
        assert_eq!(waited.status, 200);
        assert_eq!(waited.text(), "done");
        // The slot is free again.
        assert_eq!(request(addr, "GET", "/fast", &[]).await.status, 200);
        // A handler that never answers gets the 503 of the deadline.
        let addr = serve_limited(Arc::new(Notify::new()), Duration::from_millis(200)).await;
        let r = request(addr, "GET", "/never", &[]).await;
        assert_eq!(r.status, 503);
        assert!(r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("longer")));
        assert!(r.header("content-security-policy").is_some());
        assert_eq!(request(addr, "GET", "/fast", &[]).await.status, 200);
    }

    #[tokio::test]
    async fn a_body_beyond_the_limit_is_refused() {
        let addr = serve_limited(Arc::new(Notify::new()), Duration::from_secs(600)).await;
        let big = MAX_BODY_BYTES + 1;
        let r = request(
            addr,
            "POST",
            "/echo",
            &[("Content-Length", &big.to_string())],
        )
        .await;
        assert_eq!(r.status, 413);
    }
}
