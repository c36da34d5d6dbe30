//! `/metrics`: a small hand-written Prometheus registry.
//!
//! * `babillard_http_requests_total{route,status}`: counter, by matched
//!   route pattern (`/api/v1/events/{id}`; `unmatched` for 404s of the
//!   fallback) and status code;
//! * `babillard_index_generation`: gauge;
//! * `babillard_source_events{source}`: gauge, events of each source;
//! * `babillard_source_up{source}`: gauge, 1 when the last run succeeded,
//!   0 when it failed (absent for a source never run).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use index::SourceStatus;

use crate::cache::{self, CachePolicy};
use crate::respond::run_index;
use crate::AppState;

/// `/metrics` over `metrics`, the counters the router's middleware feeds.
pub fn routes(metrics: Arc<Metrics>) -> Router<AppState> {
    Router::new().route(
        "/metrics",
        get(move |State(state): State<AppState>, headers: HeaderMap| {
            metrics_page(state, metrics, headers)
        }),
    )
}

/// `GET /metrics`: the counters, the index generation and each source's
/// health (ETag from the body: fetch states change without the generation).
async fn metrics_page(state: AppState, metrics: Arc<Metrics>, headers: HeaderMap) -> Response {
    let generation = state.index.generation();
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

/// Request counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(String, u16), Arc<AtomicU64>>>,
}

impl Metrics {
    /// Count one answered request.
    pub fn record(&self, route: &str, status: u16) {
        let counter = {
            let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            map.entry((route.to_string(), status))
                .or_insert_with(|| Arc::new(AtomicU64::new(0)))
                .clone()
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, generation: u64, sources: &[SourceStatus]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP babillard_http_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE babillard_http_requests_total counter\n");
        let mut rows: Vec<((String, u16), u64)> = {
            let map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            map.iter()
                .map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed)))
                .collect()
        };
        rows.sort();
        for ((route, status), n) in rows {
            let _ = writeln!(
                out,
                "babillard_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape_label(&route)
            );
        }
        out.push_str("# HELP babillard_index_generation Generation of the published data.\n");
        out.push_str("# TYPE babillard_index_generation gauge\n");
        let _ = writeln!(out, "babillard_index_generation {generation}");
        out.push_str("# HELP babillard_source_events Events of each source in the store.\n");
        out.push_str("# TYPE babillard_source_events gauge\n");
        for s in sources {
            let _ = writeln!(
                out,
                "babillard_source_events{{source=\"{}\"}} {}",
                escape_label(&s.id),
                s.events
            );
        }
        out.push_str("# HELP babillard_source_up Whether the last run of each source succeeded.\n");
        out.push_str("# TYPE babillard_source_up gauge\n");
        for s in sources {
            let up = match s.status.as_str() {
                "ok" => 1,
                "error" => 0,
                _ => continue,
            };
            let _ = writeln!(
                out,
                "babillard_source_up{{source=\"{}\"}} {up}",
                escape_label(&s.id)
            );
        }
        out
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(id: &str, status: &str, events: usize) -> SourceStatus {
        SourceStatus {
            id: id.into(),
            name: id.into(),
            kind: None,
            url: String::new(),
            status: status.into(),
            last_fetch_at: None,
            last_success_at: None,
            last_error: None,
            error_class: None,
            events,
            next_run: None,
            unmapped_categories: Default::default(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record("/api/v1/events", 200);
        m.record("/api/v1/events", 200);
        m.record("/api/v1/events", 400);
        m.record("we\"ird\\", 404);
        let text = m.render(
            7,
            &[
                source("a", "ok", 3),
                source("b", "error", 0),
                source("c", "never", 0),
            ],
        );
        for line in [
            "babillard_http_requests_total{route=\"/api/v1/events\",status=\"200\"} 2",
            "babillard_http_requests_total{route=\"/api/v1/events\",status=\"400\"} 1",
            "babillard_http_requests_total{route=\"we\\\"ird\\\\\",status=\"404\"} 1",
            "babillard_index_generation 7",
            "babillard_source_events{source=\"a\"} 3",
            "babillard_source_events{source=\"c\"} 0",
            "babillard_source_up{source=\"a\"} 1",
            "babillard_source_up{source=\"b\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(!text.contains("babillard_source_up{source=\"c\"}"));
    }
}
