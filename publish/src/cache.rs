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

use std::future::Future;

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

/// The one helper for answers computed from the index: the ETag comes from
/// [`query_etag`] before anything else; a matching `If-None-Match` gets a
/// 304 and `render` never runs; otherwise a successful rendered answer gets
/// the ETag and the cache policy (errors get neither).
pub async fn by_generation<F>(
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
    let mut response = render.await;
    if response.status().is_success() {
        decorate(&mut response, &etag, policy);
    }
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
}
