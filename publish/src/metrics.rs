//! `/metrics`: the Prometheus text exposition of the process's one
//! recorder (`metrics` + `metrics-exporter-prometheus`, without its HTTP
//! listener: this route renders from the recorder's handle).
//!
//! A global recorder can be installed only once per process, and tests
//! build many routers: [`handle`] installs it on first use and every router
//! renders from the same handle. What the pipeline, the scheduler and the
//! store record (with the `metrics` macros) shows here too.
//!
//! Recorded where things happen:
//! * `babillard_http_requests_total{route,status}`: counter, by matched
//!   route pattern (`/api/v1/events/{id}`; `unmatched` for 404s of the
//!   fallback) and status code;
//! * `babillard_fetches_total{source,class}`: counter, one per source
//!   fetch, `class` = `ok`, `not_modified` or the error class
//!   (`status_4xx`, `status_5xx`, `refused`, `dns`, `timeout`...);
//! * `babillard_fetch_duration_seconds{source}`: histogram, reading a
//!   source (its fetches and parsing);
//! * `babillard_source_run_duration_seconds{source}`: histogram, a whole
//!   source run (read, normalize, store);
//! * `babillard_index_commit_seconds`: histogram, each search index commit;
//! * `babillard_scheduler_lag_seconds{source}`: gauge, how late the last
//!   scheduled run started after its planned time;
//! * `babillard_answer_cache_total{result}`: counter, `hit` or `miss` of
//!   the rendered-answer cache.
//!
//! Set from the store at each scrape:
//! * `babillard_index_generation`: gauge;
//! * `babillard_events{status}`: gauge, events by status (`scheduled`,
//!   `cancelled`, `postponed`, `hidden`);
//! * `babillard_database_bytes`, `babillard_search_index_bytes`: gauges;
//! * `babillard_source_events{source}`: gauge, events of each source;
//! * `babillard_source_up{source}`: gauge, 1 when the last run succeeded,
//!   0 when it failed (absent for a source never run).

use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use index::{SourceStatus, StoreStats};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::cache::{self, CachePolicy};
use crate::respond::run_index;
use crate::AppState;

/// Histogram buckets (seconds) of every `*_seconds` histogram: from a
/// millisecond commit to a source that takes its whole budget.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed as the global one on first use.
/// Should another recorder already be installed, the handle still renders
/// what is recorded through it (the gauges set at each scrape).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), SECONDS_BUCKETS)
        {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("metrics buckets refused ({e}); histograms become summaries");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only its own");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "babillard_http_requests_total",
        "HTTP requests answered, by route and status."
    );
    describe_counter!(
        "babillard_fetches_total",
        "Source fetches, by source and result class (ok, not_modified or the error class)."
    );
    describe_histogram!(
        "babillard_fetch_duration_seconds",
        Unit::Seconds,
        "Time to read a source (its fetches and parsing)."
    );
    describe_histogram!(
        "babillard_source_run_duration_seconds",
        Unit::Seconds,
        "Time of a whole source run (read, normalize, store)."
    );
    describe_histogram!(
        "babillard_index_commit_seconds",
        Unit::Seconds,
        "Time of each search index commit."
    );
    describe_gauge!(
        "babillard_scheduler_lag_seconds",
        Unit::Seconds,
        "How late the last scheduled run of each source started."
    );
    describe_counter!(
        "babillard_answer_cache_total",
        "Rendered-answer cache lookups, by result (hit, miss)."
    );
    describe_gauge!(
        "babillard_index_generation",
        "Generation of the published data."
    );
    describe_gauge!("babillard_events", "Events in the store, by status.");
    describe_gauge!(
        "babillard_database_bytes",
        Unit::Bytes,
        "Size of the database on disk."
    );
    describe_gauge!(
        "babillard_search_index_bytes",
        Unit::Bytes,
        "Size of the search index on disk."
    );
    describe_gauge!(
        "babillard_source_events",
        "Events of each source in the store."
    );
    describe_gauge!(
        "babillard_source_up",
        "Whether the last run of each source succeeded."
    );
}

/// `/metrics` over the process's recorder.
pub fn routes(metrics: Arc<Metrics>) -> Router<AppState> {
    Router::new().route(
        "/metrics",
        get(move |State(state): State<AppState>, headers: HeaderMap| {
            metrics_page(state, metrics, headers)
        }),
    )
}

/// `GET /metrics`: the gauges set from the store, then the exposition
/// (ETag from the body: fetch states change without the generation).
async fn metrics_page(state: AppState, metrics: Arc<Metrics>, headers: HeaderMap) -> Response {
    let generation = state.index.generation();
    let sources = match run_index(&state.index, "metrics sources", |ix| ix.sources()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let stats = match run_index(&state.index, "metrics stats", |ix| ix.stats()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let body = metrics.render(generation, &sources, &stats);
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        body.into_bytes(),
    )
}

/// The router's side of the metrics: counts requests and renders.
#[derive(Debug)]
pub struct Metrics {
    handle: &'static PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics { handle: handle() }
    }
}

impl Metrics {
    /// Count one answered request.
    pub fn record(&self, route: &str, status: u16) {
        metrics::counter!(
            "babillard_http_requests_total",
            "route" => route.to_string(),
            "status" => status.to_string()
        )
        .increment(1);
    }

    /// Set the gauges that come from the store, then render everything.
    pub fn render(&self, generation: u64, sources: &[SourceStatus], stats: &StoreStats) -> String {
        // The gauges are the process's: two scrapes at once (of two routers
        // over two stores, in tests) must not interleave setting and
        // rendering them.
        static RENDERING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = RENDERING.lock().unwrap_or_else(|p| p.into_inner());
        metrics::gauge!("babillard_index_generation").set(generation as f64);
        for status in ["scheduled", "cancelled", "postponed", "hidden"] {
            if !stats.events_by_status.iter().any(|(s, _)| s == status) {
                metrics::gauge!("babillard_events", "status" => status).set(0.0);
            }
        }
        for (status, n) in &stats.events_by_status {
            metrics::gauge!("babillard_events", "status" => status.clone()).set(*n as f64);
        }
        metrics::gauge!("babillard_database_bytes").set(stats.db_bytes as f64);
        metrics::gauge!("babillard_search_index_bytes").set(stats.index_bytes as f64);
        for s in sources {
            metrics::gauge!("babillard_source_events", "source" => s.id.clone())
                .set(s.events as f64);
            let up = match s.status.as_str() {
                "ok" => 1.0,
                "error" => 0.0,
                _ => continue,
            };
            metrics::gauge!("babillard_source_up", "source" => s.id.clone()).set(up);
        }
        self.handle.render()
    }
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
        m.record("/unit/events", 200);
        m.record("/unit/events", 200);
        m.record("/unit/events", 400);
        m.record("we\"ird\\", 404);
        let stats = StoreStats {
            events_by_status: vec![("scheduled".into(), 5), ("cancelled".into(), 1)],
            db_bytes: 4096,
            index_bytes: 100,
        };
        let text = m.render(
            7,
            &[
                source("unit-a", "ok", 3),
                source("unit-b", "error", 0),
                source("unit-c", "never", 0),
            ],
            &stats,
        );
        for line in [
            "babillard_http_requests_total{route=\"/unit/events\",status=\"200\"} 2",
            "babillard_http_requests_total{route=\"/unit/events\",status=\"400\"} 1",
            "babillard_http_requests_total{route=\"we\\\"ird\\\\\",status=\"404\"} 1",
            "babillard_source_events{source=\"unit-a\"} 3",
            "babillard_source_events{source=\"unit-c\"} 0",
            "babillard_source_up{source=\"unit-a\"} 1",
            "babillard_source_up{source=\"unit-b\"} 0",
            "babillard_events{status=\"scheduled\"} 5",
            "babillard_events{status=\"cancelled\"} 1",
            "babillard_events{status=\"postponed\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert!(text.contains("# TYPE babillard_http_requests_total counter"));
        assert!(!text.contains("babillard_source_up{source=\"unit-c\"}"));
    }
}
