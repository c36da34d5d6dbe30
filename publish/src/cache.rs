//! ETags, `If-None-Match` and `Cache-Control`, written once for every GET.
//!
//! Answers that come from the index get an ETag computed *before* any query
//! or rendering, from the index generation, the route (the request path)
//! and the normalized query string; when the query leaves `from` to default
//! to now, the answer also depends on the clock, so the current five-minute
//! window joins the hash. A calendar app polling an unchanged feed thus gets
//! a 304 without the index being asked anything but its generation. Small
//! answers that do not follow the generation (sources, health, metrics) get
//! an ETag from a hash of their body.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::params;

/// How long clients may keep an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// `no-cache`: always revalidate (the JSON API).
    Revalidate,
    /// `public, max-age=300` (feeds, pages, widget).
    Public,
}

impl CachePolicy {
    fn header(self) -> HeaderValue {
        match self {
            CachePolicy::Revalidate => HeaderValue::from_static("no-cache"),
            CachePolicy::Public => HeaderValue::from_static("public, max-age=300"),
        }
    }
}

/// The width of the clock window in ETags of clock-dependent answers.
const CLOCK_WINDOW_SECS: i64 = 300;

/// A strong ETag (quoted) from its parts.
fn strong_etag(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// The ETag of an answer computed from the index: generation, route (the
/// path), normalized query, and the clock window when `from` defaults to
/// now.
pub fn query_etag(
    generation: u64,
    route: &str,
    raw_query: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let normalized = params::normalized_query(raw_query);
    let window = if params::has_explicit_from(raw_query) {
        String::new()
    } else {
        now.timestamp().div_euclid(CLOCK_WINDOW_SECS).to_string()
    };
    strong_etag(&[
        &generation.to_be_bytes(),
        route.as_bytes(),
        normalized.as_bytes(),
        window.as_bytes(),
    ])
}

/// The ETag of a body.
pub fn body_etag(body: &[u8]) -> String {
    strong_etag(&[b"body", body])
}

/// Whether `If-None-Match` (any number of headers, lists, weak tags, `*`)
/// matches `etag` (weak comparison, as RFC 9110 asks for this header).
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == bare)
}

/// 304 with the ETag and the cache policy, no body.
pub fn not_modified(etag: &str, policy: CachePolicy) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    decorate(&mut response, etag, policy);
    response
}

fn decorate(response: &mut Response, etag: &str, policy: CachePolicy) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(ETAG, v);
    }
    headers.insert(CACHE_CONTROL, policy.header());
}

/// Rendered answers kept by their ETag, so that many clients asking for the
/// same unchanged feed cost one rendering. The ETag already names the index
/// generation, the route and the normalized query: an entry can never be
/// served for other data. One per router (in [`crate::AppState`]).
#[derive(Clone, Default)]
pub struct ResponseCache {
    entries: Arc<Mutex<HashMap<String, Cached>>>,
    /// One rendering at a time per ETag: after a write changes the
    /// generation, a hundred clients asking for the same feed wait for one
    /// rendering (and one gzip) instead of each doing it at once.
    rendering: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

#[derive(Clone)]
struct Cached {
    status: StatusCode,
    headers: HeaderMap,
    body: axum::body::Bytes,
    /// Whether a gzip variant is worth it: a textual body of at least
    /// [`GZIP_MIN`] bytes not encoded already (feeds are read by calendar
    /// apps that accept gzip: a 700 KB feed is 35 KB).
    compressible: bool,
    /// The body gzipped, made the first time a client that accepts gzip
    /// asks (not for the answers only other clients read), shared by every
    /// copy of this entry.
    gzip: Arc<std::sync::OnceLock<Option<axum::body::Bytes>>>,
}

impl Cached {
    /// The answer, gzipped when the client accepts it and it is worth it.
    fn respond(&self, etag: &str, gzip_ok: bool) -> Response {
        let mut headers = self.headers.clone();
        let gz = if self.compressible && gzip_ok {
            self.gzip.get_or_init(|| gzip(&self.body)).as_ref()
        } else {
            None
        };
        let body = match gz {
            Some(gz) => {
                headers.insert(
                    axum::http::header::CONTENT_ENCODING,
                    HeaderValue::from_static("gzip"),
                );
                if let Ok(v) = HeaderValue::from_str(&gzip_etag(etag)) {
                    headers.insert(ETAG, v);
                }
                gz.clone()
            }
            _ => self.body.clone(),
        };
        if self.compressible {
            headers.append(
                axum::http::header::VARY,
                HeaderValue::from_static("accept-encoding"),
            );
        }
        headers.remove(axum::http::header::CONTENT_LENGTH);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        response
    }
}

/// The ETag of the gzip variant of an answer whose ETag is `etag`.
pub(crate) fn gzip_etag(etag: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}-gz\""),
        None => format!("{etag}-gz"),
    }
}

/// Whether the request accepts gzip (`Accept-Encoding: gzip`, not `gzip;q=0`).
pub(crate) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
}

fn gzip(body: &[u8]) -> Option<axum::body::Bytes> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 8),
        flate2::Compression::new(6),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok().map(axum::body::Bytes::from)
}

/// Bodies smaller than this are sent as they are.
const GZIP_MIN: usize = 1024;

impl ResponseCache {
    /// Entries kept at most; past that the cache starts afresh.
    pub const MAX_ENTRIES: usize = 256;
    /// Larger bodies are not kept.
    pub const MAX_BODY: usize = 16 * 1024 * 1024;

    fn get(&self, etag: &str, gzip_ok: bool) -> Option<Response> {
        let c = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.get(etag)?.clone()
        };
        Some(c.respond(etag, gzip_ok))
    }

    async fn keep(&self, etag: &str, response: Response, gzip_ok: bool) -> Response {
        let (parts, body) = response.into_parts();
        let body = match axum::body::to_bytes(body, Self::MAX_BODY).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot read a rendered body: {e}");
                return crate::respond::json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error",
                );
            }
        };
        let textual = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.starts_with("text/")
                    || ct.contains("json")
                    || ct.contains("xml")
                    || ct.contains("javascript")
            });
        let compressible = textual
            && body.len() >= GZIP_MIN
            && !parts
                .headers
                .contains_key(axum::http::header::CONTENT_ENCODING);
        let cached = Cached {
            status: parts.status,
            headers: parts.headers,
            body,
            compressible,
            gzip: Arc::default(),
        };
        {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(etag.to_string(), cached.clone());
        }
        cached.respond(etag, gzip_ok)
    }

    /// The turn to render `etag` (shared by every request for it now).
    fn turn(&self, etag: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut rendering = self.rendering.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(rendering.entry(etag.to_string()).or_default())
    }

    /// `etag` is no longer being rendered (its answer is kept, or was not
    /// worth keeping).
    fn rendered(&self, etag: &str, turn: &Arc<tokio::sync::Mutex<()>>) {
        let mut rendering = self.rendering.lock().unwrap_or_else(|p| p.into_inner());
        if rendering.get(etag).is_some_and(|t| Arc::ptr_eq(t, turn)) {
            rendering.remove(etag);
        }
    }

    /// How many answers are kept (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The one helper for answers computed from the index: the ETag comes from
/// [`query_etag`] before anything else; a matching `If-None-Match` gets a
/// 304 and `render` never runs; an answer already rendered for this ETag
/// comes from `cache` and `render` never runs either; otherwise a
/// successful rendered answer gets the ETag and the cache policy and is
/// kept (errors get neither).
pub async fn by_generation<F>(
    cache: &ResponseCache,
    generation: u64,
    headers: &HeaderMap,
    route: &str,
    raw_query: Option<&str>,
    policy: CachePolicy,
    render: F,
) -> Response
where
    F: Future<Output = Response>,
{
    let etag = query_etag(generation, route, raw_query, Utc::now());
    if if_none_match(headers, &etag) {
        return not_modified(&etag, policy);
    }
    let gz_etag = gzip_etag(&etag);
    if if_none_match(headers, &gz_etag) {
        return not_modified(&gz_etag, policy);
    }
    let gzip_ok = accepts_gzip(headers);
    if let Some(response) = cache.get(&etag, gzip_ok) {
        metrics::counter!("babillard_answer_cache_total", "result" => "hit").increment(1);
        return response;
    }
    // One rendering per ETag at a time: whoever waited for it finds the
    // answer kept.
    let turn = cache.turn(&etag);
    let _rendering = turn.lock().await;
    if let Some(response) = cache.get(&etag, gzip_ok) {
        metrics::counter!("babillard_answer_cache_total", "result" => "hit").increment(1);
        return response;
    }
    metrics::counter!("babillard_answer_cache_total", "result" => "miss").increment(1);
    let mut response = render.await;
    if response.status().is_success() {
        decorate(&mut response, &etag, policy);
        if response.status() == StatusCode::OK {
            response = cache.keep(&etag, response, gzip_ok).await;
        }
    }
    cache.rendered(&etag, &turn);
    response
}

/// For answers that do not follow the index generation: the ETag is a hash
/// of the body.
pub fn by_body(
    headers: &HeaderMap,
    policy: CachePolicy,
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let etag = body_etag(&body);
    if status.is_success() && if_none_match(headers, &etag) {
        return not_modified(&etag, policy);
    }
    let mut response = (
        status,
        [(axum::http::header::CONTENT_TYPE, content_type)],
        body,
    )
        .into_response();
    decorate(&mut response, &etag, policy);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn if_none_match_forms() {
        let tag = "\"abc\"";
        assert!(if_none_match(&headers(&["\"abc\""]), tag));
        assert!(if_none_match(&headers(&["W/\"abc\""]), tag));
        assert!(if_none_match(&headers(&["\"x\", W/\"abc\" , \"y\""]), tag));
        assert!(if_none_match(&headers(&["\"x\"", "\"abc\""]), tag));
        assert!(if_none_match(&headers(&["*"]), tag));
        assert!(!if_none_match(&headers(&["\"abcd\""]), tag));
        assert!(!if_none_match(&headers(&["abc"]), tag));
        assert!(!if_none_match(&headers(&[]), tag));
    }

    #[test]
    fn query_etags_follow_generation_route_query_and_clock() {
        let t: DateTime<Utc> = "2026-11-20T15:00:00Z".parse().unwrap();
        let later = t + chrono::Duration::minutes(10);
        let a = query_etag(1, "/api/v1/events", Some("limit=5&q=x"), t);
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_eq!(a, query_etag(1, "/api/v1/events", Some("q=x&limit=5"), t));
        assert_ne!(a, query_etag(2, "/api/v1/events", Some("q=x&limit=5"), t));
        assert_ne!(
            a,
            query_etag(1, "/feeds/events.ics", Some("q=x&limit=5"), t)
        );
        assert_ne!(a, query_etag(1, "/api/v1/events", Some("q=y&limit=5"), t));
        // `from` left to default: the clock matters; explicit: it does not.
        assert_ne!(
            a,
            query_etag(1, "/api/v1/events", Some("q=x&limit=5"), later)
        );
        let f = Some("from=2026-01-01&q=x");
        assert_eq!(query_etag(1, "/a", f, t), query_etag(1, "/a", f, later));
    }

    #[tokio::test]
    async fn an_answer_is_rendered_once_per_etag_and_again_when_data_changes() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = ResponseCache::default();
        let renders = AtomicUsize::new(0);
        let render = |text: &'static str| {
            renders.fetch_add(1, Ordering::SeqCst);
            async move { (StatusCode::OK, text).into_response() }
        };
        let h = HeaderMap::new();
        let q = Some("from=2026-12-01&category=musique");
        for _ in 0..3 {
            let r = by_generation(
                &cache,
                7,
                &h,
                "/feeds/events.ics",
                q,
                CachePolicy::Public,
                render("v7"),
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
            assert!(r.headers().get(ETAG).is_some());
            let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
            assert_eq!(&body[..], b"v7");
        }
        // The future is built by the caller but never polled on a hit.
        assert_eq!(cache.len(), 1);
        let r = by_generation(
            &cache,
            8,
            &h,
            "/feeds/events.ics",
            q,
            CachePolicy::Public,
            render("v8"),
        )
        .await;
        let body = axum::body::to_bytes(r.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"v8", "a new generation is rendered anew");
        assert_eq!(cache.len(), 2);
        // Errors are never kept.
        let err = async { (StatusCode::INTERNAL_SERVER_ERROR, "x").into_response() };
        let r = by_generation(&cache, 9, &h, "/x", None, CachePolicy::Public, err).await;
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(cache.len(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_requests_for_one_new_answer_wait_for_one_rendering() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = ResponseCache::default();
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = cache.clone();
            let renders = Arc::clone(&renders);
            tasks.push(tokio::spawn(async move {
                let render = async move {
                    renders.fetch_add(1, Ordering::SeqCst);
                    // A slow rendering: every other request arrives meanwhile.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    "the feed".into_response()
                };
                let r = by_generation(
                    &cache,
                    3,
                    &HeaderMap::new(),
                    "/feeds/events.ics",
                    None,
                    CachePolicy::Public,
                    render,
                )
                .await;
                axum::body::to_bytes(r.into_body(), 1024).await.unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(&t.await.unwrap()[..], b"the feed");
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert!(cache.rendering.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn large_text_answers_are_gzipped_for_clients_that_accept_it() {
        use std::io::Read;
        let cache = ResponseCache::default();
        let body: String = "BEGIN:VEVENT\r\nSUMMARY:Théâtre\r\nEND:VEVENT\r\n".repeat(200);
        let render = |b: String| async move {
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8",
                )],
                b,
            )
                .into_response()
        };
        let mut gz_headers = HeaderMap::new();
        gz_headers.insert(
            axum::http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br"),
        );
        let plain = HeaderMap::new();
        // A plain client first: the answer is kept, and gzipped when a
        // client that accepts gzip first asks for it.
        for (headers, gz) in [
            (&plain, false),
            (&gz_headers, true),
            (&plain, false),
            (&gz_headers, true),
        ] {
            let r = by_generation(
                &cache,
                1,
                headers,
                "/feeds/events.ics",
                None,
                CachePolicy::Public,
                render(body.clone()),
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK);
            let etag = r.headers().get(ETAG).unwrap().to_str().unwrap().to_string();
            let encoding = r
                .headers()
                .get(axum::http::header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string());
            assert!(r
                .headers()
                .get_all(axum::http::header::VARY)
                .iter()
                .any(|v| v == "accept-encoding"));
            let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
            if gz {
                assert_eq!(encoding.as_deref(), Some("gzip"));
                assert!(etag.ends_with("-gz\""), "{etag}");
                assert!(bytes.len() < body.len() / 5);
                let mut out = String::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_string(&mut out)
                    .unwrap();
                assert_eq!(out, body);
                // Revalidating the gzip variant is a 304.
                let mut h = gz_headers.clone();
                h.insert(IF_NONE_MATCH, HeaderValue::from_str(&etag).unwrap());
                let r = by_generation(
                    &cache,
                    1,
                    &h,
                    "/feeds/events.ics",
                    None,
                    CachePolicy::Public,
                    render(body.clone()),
                )
                .await;
                assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
            } else {
                assert_eq!(encoding, None);
                assert_eq!(&bytes[..], body.as_bytes());
            }
        }
        assert!(!accepts_gzip(&{
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::header::ACCEPT_ENCODING,
                HeaderValue::from_static("gzip;q=0, identity"),
            );
            h
        }));
    }
}
