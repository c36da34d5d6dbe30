//! A client for geocoding services that speak the Nominatim API.
//!
//! `GET {base}/search?format=jsonv2&q=...&limit=1&countrycodes=ca&addressdetails=1&accept-language=fr`
//! through the shared [`FetchClient`] (its timeouts, body cap, private
//! network guard and User-Agent, which names babillard and the aggregator's
//! URL as Nominatim's usage policy asks). At most one request per
//! [`Geocoder::min_interval`] (1 s by default) across every task that shares
//! the geocoder: a tokio mutex holds the time of the last request and is held
//! while a request is under way. The answer's first place gives the
//! coordinates and the city (`address.city`, else `town`, `village`,
//! `municipality`); an empty array is "no such place". The rule around the
//! requests (the store's cache first, a cap per run, what a failure means)
//! is `normalize::geocode`'s; the binary adapts this client to its
//! `Geocoder` trait (ingest does not depend on normalize).

use std::time::Duration;

use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::fetch::{FetchClient, FetchError, FetchOutcome, Validators};

/// A place the service found.
#[derive(Clone, Debug, PartialEq)]
pub struct GeoHit {
    pub lat: f64,
    pub lon: f64,
    /// The municipality, when the service gave one.
    pub city: Option<String>,
}

/// Why a lookup failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeocodeError {
    #[error("geocoder URL {url:?} is not an absolute http(s) URL")]
    InvalidUrl { url: String },
    #[error("geocoder: {0}")]
    Fetch(#[from] FetchError),
    #[error("geocoder {url}: answer is not Nominatim JSON: {message}")]
    BadAnswer { url: String, message: String },
}

/// A Nominatim client, rate-limited.
pub struct Geocoder {
    client: FetchClient,
    base: Url,
    language: String,
    min_interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Geocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geocoder")
            .field("base", &self.base.as_str())
            .field("language", &self.language)
            .field("min_interval", &self.min_interval)
            .finish()
    }
}

impl Geocoder {
    /// A client of the service at `base_url` (its root, or its `/search`
    /// endpoint), asking for names in `language`.
    pub fn new(
        client: FetchClient,
        base_url: &str,
        language: &str,
    ) -> Result<Geocoder, GeocodeError> {
        let invalid = || GeocodeError::InvalidUrl {
            url: base_url.to_string(),
        };
        let mut base = Url::parse(base_url.trim()).map_err(|_| invalid())?;
        if !matches!(base.scheme(), "http" | "https") || !base.has_host() {
            return Err(invalid());
        }
        let path = base.path().trim_end_matches('/').to_string();
        if !path.ends_with("/search") {
            base.set_path(&format!("{path}/search"));
        }
        base.set_query(None);
        base.set_fragment(None);
        Ok(Geocoder {
            client,
            base,
            language: language.to_string(),
            min_interval: Duration::from_secs(1),
            last: Mutex::new(None),
        })
    }

    /// Space requests by `interval` instead of one second (tests, or a
    /// service of one's own).
    pub fn with_min_interval(mut self, interval: Duration) -> Geocoder {
        self.min_interval = interval;
        self
    }

    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// The URL asked for `query`.
    pub fn search_url(&self, query: &str) -> Url {
        let mut url = self.base.clone();
        url.query_pairs_mut()
            .append_pair("format", "jsonv2")
            .append_pair("q", query)
            .append_pair("limit", "1")
            .append_pair("countrycodes", "ca")
            .append_pair("addressdetails", "1")
            .append_pair("accept-language", &self.language);
        url
    }

    /// Look `query` up: `Ok(None)` when the service knows no such place.
    pub async fn search(&self, query: &str) -> Result<Option<GeoHit>, GeocodeError> {
        let url = self.search_url(query);
        let outcome = {
            let mut last = self.last.lock().await;
            if let Some(at) = *last {
                tokio::time::sleep_until(at + self.min_interval).await;
            }
            *last = Some(Instant::now());
            self.client
                .fetch(url.as_str(), &Validators::default())
                .await
        }?;
        let body = match outcome {
            FetchOutcome::Fetched(f) => f.body,
            FetchOutcome::NotModified => {
                return Err(GeocodeError::BadAnswer {
                    url: url.to_string(),
                    message: "304 Not Modified to an unconditional request".to_string(),
                })
            }
        };
        parse_answer(&body).map_err(|message| GeocodeError::BadAnswer {
            url: url.to_string(),
            message,
        })
    }
}

/// The first place of a Nominatim `jsonv2` answer.
pub fn parse_answer(body: &[u8]) -> Result<Option<GeoHit>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let places = value
        .as_array()
        .ok_or_else(|| "expected a JSON array".to_string())?;
    let Some(first) = places.first() else {
        return Ok(None);
    };
    let coord = |key: &str| -> Result<f64, String> {
        let v = first
            .get(key)
            .ok_or_else(|| format!("the place has no {key:?}"))?;
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .filter(|x: &f64| x.is_finite())
            .ok_or_else(|| format!("{key:?} is not a number: {v}"))
    };
    let (lat, lon) = (coord("lat")?, coord("lon")?);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("coordinates out of range: {lat}, {lon}"));
    }
    let city = first.get("address").and_then(|a| {
        ["city", "town", "village", "municipality"]
            .iter()
            .find_map(|k| a.get(*k).and_then(Value::as_str))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
    });
    Ok(Some(GeoHit { lat, lon, city }))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;

    use super::*;
    use crate::fetch::FetchPolicy;

    #[derive(Default)]
    struct Fake {
        calls: AtomicUsize,
        queries: std::sync::Mutex<Vec<HashMap<String, String>>>,
        agents: std::sync::Mutex<Vec<String>>,
    }

    async fn search(
        State(fake): State<Arc<Fake>>,
        Query(q): Query<HashMap<String, String>>,
        headers: HeaderMap,
    ) -> impl IntoResponse {
        fake.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut agents) = fake.agents.lock() {
            agents.push(
                headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        let query = q.get("q").cloned().unwrap_or_default();
        if let Ok(mut queries) = fake.queries.lock() {
            queries.push(q);
        }
        match query.as_str() {
            "boom" => (StatusCode::INTERNAL_SERVER_ERROR, "oops".to_string()),
            "garbage" => (StatusCode::OK, "<html>not json".to_string()),
            "object" => (StatusCode::OK, "{\"error\":\"x\"}".to_string()),
            "nowhere" => (StatusCode::OK, "[]".to_string()),
            _ => (
                StatusCode::OK,
                r#"[{"place_id":1,"lat":"45.5605","lon":"-73.7130","display_name":"Maison des arts, Laval",
                   "address":{"road":"Boulevard de la Concorde","city":"Laval","state":"Québec","country_code":"ca"}}]"#
                    .to_string(),
            ),
        }
    }

    async fn serve(fake: Arc<Fake>) -> String {
        let router = Router::new().route("/search", get(search)).with_state(fake);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        format!("http://{addr}")
    }

    fn client() -> FetchClient {
        FetchClient::new(FetchPolicy {
            allow_private_networks: true,
            respect_robots: false,
            max_retries: 0,
            user_agent: "babillard/test (+https://agenda.example.org)".to_string(),
            ..FetchPolicy::default()
        })
        .expect("client")
    }

    #[tokio::test]
    async fn finds_a_place_with_its_city_and_asks_politely() {
        let fake = Arc::new(Fake::default());
        let base = serve(Arc::clone(&fake)).await;
        let g = Geocoder::new(client(), &format!("{base}/"), "fr").expect("geocoder");
        let hit = g
            .search("Maison des arts, 1395 boul. de la Concorde, Laval")
            .await
            .expect("answer")
            .expect("found");
        assert_eq!(
            hit,
            GeoHit {
                lat: 45.5605,
                lon: -73.7130,
                city: Some("Laval".to_string())
            }
        );
        assert_eq!(g.search("nowhere").await, Ok(None));
        let queries = fake.queries.lock().expect("lock").clone();
        let first = queries.first().expect("a request");
        for (k, v) in [
            ("format", "jsonv2"),
            ("limit", "1"),
            ("countrycodes", "ca"),
            ("accept-language", "fr"),
            ("q", "Maison des arts, 1395 boul. de la Concorde, Laval"),
        ] {
            assert_eq!(first.get(k).map(String::as_str), Some(v), "{k}");
        }
        let agents = fake.agents.lock().expect("lock").clone();
        assert_eq!(
            agents.first().map(String::as_str),
            Some("babillard/test (+https://agenda.example.org)")
        );
    }

    #[tokio::test]
    async fn three_lookups_take_at_least_two_seconds() {
        let fake = Arc::new(Fake::default());
        let base = serve(Arc::clone(&fake)).await;
        let g = Arc::new(Geocoder::new(client(), &base, "fr").expect("geocoder"));
        let started = std::time::Instant::now();
        // Concurrent callers are spaced too.
        let mut set = tokio::task::JoinSet::new();
        for q in ["a", "b", "c"] {
            let g = Arc::clone(&g);
            set.spawn(async move { g.search(q).await });
        }
        while let Some(r) = set.join_next().await {
            assert!(r.expect("task").expect("answer").is_some());
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert_eq!(fake.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn errors_are_errors_not_panics() {
        let fake = Arc::new(Fake::default());
        let base = serve(Arc::clone(&fake)).await;
        let g = Geocoder::new(client(), &base, "en")
            .expect("geocoder")
            .with_min_interval(Duration::from_millis(10));
        match g.search("boom").await {
            Err(GeocodeError::Fetch(FetchError::Status { code: 500, .. })) => {}
            other => panic!("{other:?}"),
        }
        for q in ["garbage", "object"] {
            match g.search(q).await {
                Err(GeocodeError::BadAnswer { .. }) => {}
                other => panic!("{q}: {other:?}"),
            }
        }
        // Nothing listens there.
        let dead = Geocoder::new(client(), "http://127.0.0.1:9", "fr").expect("geocoder");
        assert!(matches!(
            dead.search("x").await,
            Err(GeocodeError::Fetch(_))
        ));
        for bad in ["ftp://x.org", "nominatim", ""] {
            assert!(Geocoder::new(client(), bad, "fr").is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_are_parsed_strictly() {
        assert_eq!(parse_answer(b"[]"), Ok(None));
        let hit =
            parse_answer(br#"[{"lat": 45.5, "lon": -73.6, "address": {"town": "Terrebonne"}}]"#)
                .expect("ok")
                .expect("hit");
        assert_eq!(hit.city.as_deref(), Some("Terrebonne"));
        let hit = parse_answer(br#"[{"lat": "45.5", "lon": "-73.6"}]"#)
            .expect("ok")
            .expect("hit");
        assert_eq!(hit.city, None);
        for bad in [
            &b""[..],
            b"null",
            b"{}",
            b"[{\"lat\": \"north\", \"lon\": \"1\"}]",
            b"[{\"lat\": 95, \"lon\": 1}]",
            b"[{\"lon\": 1}]",
            b"[1]",
        ] {
            assert!(
                parse_answer(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_search_endpoint_is_found_from_the_base() {
        let g = Geocoder::new(
            client(),
            "https://geo.example.org/nominatim/search?x=1",
            "fr",
        )
        .expect("geocoder");
        let url = g.search_url("Salle A, Laval");
        assert_eq!(url.path(), "/nominatim/search");
        assert!(url.as_str().contains("q=Salle+A%2C+Laval"));
        assert!(!url.as_str().contains("x=1"));
    }
}
