//! The router end to end: a real index (SQLite + tantivy in a temp dir)
//! filled through its API, the real router served on 127.0.0.1, and plain
//! HTTP/1.0 requests over TCP.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use index::{FetchState, Index, SourceInfo, SourceRun};
use model::{
    Event, Occurrence, RawEvent, SourceId, SourceRef, Status, TimeValue, Translation, Venue,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{router, AppState, PublishConfig};

fn sid(s: &str) -> SourceId {
    SourceId::new(s).unwrap()
}

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn occ(source: &str, uid: &str, title: &str, start: DateTime<FixedOffset>) -> Occurrence {
    let source_id = sid(source);
    Occurrence {
        source: source_id.clone(),
        record_uid: uid.to_string(),
        key: String::new(),
        priority: 0,
        unmapped_categories: Vec::new(),
        event: Event {
            id: model::ids::occurrence_id(&source_id, uid, ""),
            series_id: None,
            title: title.to_string(),
            description: Some(format!("À propos de {title}")),
            start,
            end: Some(start + Duration::hours(2)),
            all_day: false,
            timezone: "America/Toronto".to_string(),
            status: Status::Scheduled,
            url: None,
            image: None,
            categories: vec!["musique".to_string()],
            language: Some("fr".to_string()),
            translations: BTreeMap::new(),
            venue: Some(Venue {
                id: "mda".into(),
                name: "Maison des arts".into(),
                address: None,
                city: Some("Laval".into()),
                lat: Some(45.56),
                lon: Some(-73.71),
            }),
            sources: vec![SourceRef {
                source: source.to_string(),
                uid: uid.to_string(),
                url: None,
            }],
            updated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            sequence: 0,
            organizer: None,
            price: None,
        },
    }
}

fn run(source: &str, occurrences: Vec<Occurrence>) -> SourceRun {
    SourceRun {
        source: sid(source),
        at: Utc::now(),
        duration_ms: 5,
        kind: Some("ics".into()),
        fetch: FetchState::default(),
        records: occurrences
            .iter()
            .map(|o| {
                RawEvent::new(
                    o.record_uid.clone(),
                    o.event.title.clone(),
                    TimeValue::Offset { at: o.event.start },
                )
            })
            .collect(),
        occurrences,
        warnings: Vec::new(),
    }
}

/// Five events of `mda` in 2030, one ten days ago, and a second source
/// never run.
fn fill(index: &Index) -> Vec<Occurrence> {
    index
        .sync_sources(&[
            SourceInfo {
                id: sid("mda"),
                name: "Maison des arts".into(),
                kind: Some("ics".into()),
                url: "https://mda.example.org/events.ics".into(),
            },
            SourceInfo {
                id: sid("salle"),
                name: "Salle".into(),
                kind: None,
                url: "https://salle.example.org/".into(),
            },
        ])
        .unwrap();
    let mut occurrences: Vec<Occurrence> = (1..=5)
        .map(|i| {
            occ(
                "mda",
                &format!("e{i}"),
                &format!("Concert numéro {i}"),
                t(&format!("2030-0{i}-10T20:00:00-05:00")),
            )
        })
        .collect();
    occurrences[0].event.translations.insert(
        "en".into(),
        Translation {
            title: "Concert number 1".into(),
            description: Some("About concert 1".into()),
        },
    );
    let past = (Utc::now() - Duration::days(10)).fixed_offset();
    occurrences.push(occ("mda", "past", "Récital passé", past));
    index
        .record_success(run("mda", occurrences.clone()))
        .unwrap();
    occurrences
}

struct Server {
    addr: SocketAddr,
    index: Arc<Index>,
    occurrences: Vec<Occurrence>,
    _dir: tempfile::TempDir,
}

async fn serve() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(Index::open(dir.path()).unwrap());
    let occurrences = fill(&index);
    let mut next = HashMap::new();
    next.insert(
        "mda".to_string(),
        "2030-01-01T00:30:00Z".parse::<DateTime<Utc>>().unwrap(),
    );
    let state = AppState {
        index: Arc::clone(&index),
        config: Arc::new(PublishConfig {
            name: "Signé Laval".into(),
            base_url: "https://agenda.example.org".into(),
            timezone: "America/Toronto".into(),
            languages: vec!["fr".into(), "en".into()],
            categories: Vec::new(),
            venues: Vec::new(),
        }),
        next_runs: Arc::new(RwLock::new(next)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        addr,
        index,
        occurrences,
        _dir: dir,
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// One HTTP/1.0 request (no chunked encoding, the server closes).
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body,
    }
}

async fn get(addr: SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[("Origin", "https://example.net")]).await
}

#[tokio::test]
async fn events_are_listed_paged_and_translated() {
    let s = serve().await;
    let r = get(s.addr, "/api/v1/events?from=2030-01-01&limit=2").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r.header("etag").is_some_and(|e| e.starts_with('"')));
    let page = r.json();
    assert_eq!(page["total"], 5);
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["title"], "Concert numéro 1");
    assert_eq!(events[0]["start"], "2030-01-10T20:00:00-05:00");
    assert_eq!(events[1]["title"], "Concert numéro 2");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();

    let r = get(
        s.addr,
        &format!("/api/v1/events?from=2030-01-01&limit=2&cursor={cursor}"),
    )
    .await;
    let page = r.json();
    assert_eq!(page["events"][0]["title"], "Concert numéro 3");
    assert_eq!(page["total"], 5);

    // The whole list ends with a null cursor.
    let page = get(s.addr, "/api/v1/events?from=2030-01-01").await.json();
    assert_eq!(page["events"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);

    // from defaults to now: the past event is not listed.
    let page = get(s.addr, "/api/v1/events").await.json();
    assert_eq!(page["total"], 5);

    // to is exclusive, ranges overlap.
    let page = get(
        s.addr,
        "/api/v1/events?from=2030-01-01&to=2030-03-10T20:00:00-05:00",
    )
    .await
    .json();
    assert_eq!(page["total"], 2);

    // lang=en swaps in the translation and keeps the original.
    let page = get(s.addr, "/api/v1/events?from=2030-01-01&limit=1&lang=en")
        .await
        .json();
    let e = &page["events"][0];
    assert_eq!(e["title"], "Concert number 1");
    assert_eq!(e["description"], "About concert 1");
    assert_eq!(e["language"], "en");
    assert_eq!(e["translations"]["fr"]["title"], "Concert numéro 1");
    assert!(e["translations"].get("en").is_none());
}

#[tokio::test]
async fn bad_parameters_get_400_naming_them() {
    let s = serve().await;
    for (query, parameter) in [
        ("from=demain", "from"),
        ("from=2030-01-02&to=2030-01-01", "to"),
        ("near=45.5", "near"),
        ("radius_km=3", "radius_km"),
        ("bbox=1,2,3", "bbox"),
        ("lang=de", "lang"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        for route in ["/api/v1/events", "/feeds/events.ics"] {
            let r = get(s.addr, &format!("{route}?{query}")).await;
            assert_eq!(r.status, 400, "{route}?{query}: {}", r.text());
            assert_eq!(r.header("content-type"), Some("application/json"));
            let body = r.json();
            assert_eq!(body["parameter"], parameter, "{route}?{query}");
            assert!(body["error"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(r.header("etag").is_none());
        }
    }
    // Unknown parameters are ignored.
    let r = get(s.addr, "/api/v1/events?_=12345&utm_source=x").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn one_event_by_id() {
    let s = serve().await;
    let first = &s.occurrences[0].event;
    let r = get(s.addr, &format!("/api/v1/events/{}", first.id)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let e = r.json();
    assert_eq!(e["id"], first.id.as_str());
    assert_eq!(e["title"], "Concert numéro 1");
    assert!(r.header("etag").is_some());
    let e = get(s.addr, &format!("/api/v1/events/{}?lang=en", first.id))
        .await
        .json();
    assert_eq!(e["title"], "Concert number 1");
    let r = get(s.addr, &format!("/api/v1/events/{}?lang=xx", first.id)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["parameter"], "lang");

    let r = get(s.addr, "/api/v1/events/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "no event with id nope");
}

#[tokio::test]
async fn etags_give_304_until_the_data_changes() {
    let s = serve().await;
    for path in [
        "/api/v1/events?from=2030-01-01",
        "/feeds/events.ics?from=2030-01-01",
        "/api/v1/events",
        "/feeds/events.ics",
        "/api/v1/sources",
        "/healthz",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 200, "{path}");
        let etag = r.header("etag").unwrap().to_string();
        for inm in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".to_string(),
        ] {
            let r = request(s.addr, "GET", path, &[("If-None-Match", &inm)]).await;
            assert_eq!(r.status, 304, "{path} with {inm}");
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag"), Some(etag.as_str()));
            assert!(r.header("cache-control").is_some());
        }
        let r = request(s.addr, "GET", path, &[("If-None-Match", "\"other\"")]).await;
        assert_eq!(r.status, 200, "{path}");
    }
    // The same query spelled differently has the same ETag.
    let a = get(s.addr, "/api/v1/events?from=2030-01-01&limit=3").await;
    let b = get(s.addr, "/api/v1/events?limit=3&from=2030-01-01&_=1").await;
    let c = get(s.addr, "/api/v1/events?limit=3&from=2030-01-01").await;
    assert_ne!(
        a.header("etag"),
        b.header("etag"),
        "cache busters make new ETags"
    );
    assert_eq!(a.header("etag"), c.header("etag"));

    // New data: a new ETag and a 200 for the old one.
    let path = "/api/v1/events?from=2030-01-01";
    let old = get(s.addr, path).await.header("etag").unwrap().to_string();
    let mut more = s.occurrences.clone();
    more.push(occ(
        "mda",
        "e6",
        "Concert numéro 6",
        t("2030-06-10T20:00:00-04:00"),
    ));
    let index = Arc::clone(&s.index);
    tokio::task::spawn_blocking(move || index.record_success(run("mda", more)).unwrap())
        .await
        .unwrap();
    let r = request(s.addr, "GET", path, &[("If-None-Match", &old)]).await;
    assert_eq!(r.status, 200);
    assert_ne!(r.header("etag"), Some(old.as_str()));
    assert_eq!(r.json()["total"], 6);
}

#[tokio::test]
async fn sources_health_and_metrics() {
    let s = serve().await;
    let r = get(s.addr, "/api/v1/sources").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let mda = list.iter().find(|x| x["id"] == "mda").unwrap();
    for key in [
        "id",
        "name",
        "kind",
        "url",
        "status",
        "last_fetch_at",
        "last_success_at",
        "last_error",
        "events",
        "next_run",
    ] {
        assert!(mda.get(key).is_some(), "{key} in {mda}");
    }
    assert_eq!(mda["status"], "ok");
    assert_eq!(mda["events"], 6);
    assert_eq!(mda["next_run"], "2030-01-01T00:30:00Z");
    let salle = list.iter().find(|x| x["id"] == "salle").unwrap();
    assert_eq!(salle["status"], "never");
    assert_eq!(salle["next_run"], Value::Null);

    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"status": "ok"}));

    get(s.addr, "/api/v1/events?limit=0").await;
    get(s.addr, "/nowhere").await;
    let r = get(s.addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/plain")));
    let text = r.text();
    for line in [
        "babillard_http_requests_total{route=\"/api/v1/sources\",status=\"200\"} 1",
        "babillard_http_requests_total{route=\"/healthz\",status=\"200\"} 1",
        "babillard_http_requests_total{route=\"/api/v1/events\",status=\"400\"} 1",
        "babillard_http_requests_total{route=\"unmatched\",status=\"404\"} 1",
        &format!("babillard_index_generation {}", s.index.generation()),
        "babillard_source_events{source=\"mda\"} 6",
        "babillard_source_events{source=\"salle\"} 0",
        "babillard_source_up{source=\"mda\"} 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}

#[tokio::test]
async fn ics_feed_and_single_event() {
    let s = serve().await;
    let r = get(s.addr, "/feeds/events.ics").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some("inline; filename=\"events.ics\"")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let text = r.text();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(text.contains("X-WR-CALNAME:Signé Laval\r\n"));
    // The feed keeps the last 30 days: the past event is in it.
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 6);
    assert!(text.contains("SUMMARY:Récital passé"));
    let first = &s.occurrences[0].event;
    assert!(text.contains(&format!("UID:{}@agenda.example.org", first.id)));

    let text = get(s.addr, "/feeds/events.ics?from=2030-03-01&lang=en")
        .await
        .text();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 3);
    let text = get(s.addr, "/feeds/events.ics?from=2030-01-01&limit=1&lang=en")
        .await
        .text();
    assert!(text.contains("SUMMARY:Concert number 1"));

    let r = get(s.addr, &format!("/events/{}.ics", first.id)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("inline; filename=\"{}.ics\"", first.id).as_str())
    );
    let text = r.text();
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 1);
    assert!(text.contains("DTSTART;TZID=America/Toronto:20300110T200000"));
    assert!(text.contains("BEGIN:VTIMEZONE"));
    let r = get(s.addr, "/events/nope.ics").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "no event with id nope");
}

#[tokio::test]
async fn unknown_routes_cors_and_head() {
    let s = serve().await;
    let r = get(s.addr, "/api/v2/nothing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.json()["error"].as_str().is_some());

    let r = request(
        s.addr,
        "OPTIONS",
        "/api/v1/events",
        &[
            ("Origin", "https://example.net"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "if-none-match"),
        ],
    )
    .await;
    assert!(r.status == 200 || r.status == 204, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let methods = r
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_string();
    for m in ["GET", "HEAD", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let r = get(s.addr, "/api/v1/events").await;
    assert!(r
        .header("access-control-expose-headers")
        .is_some_and(|h| h.to_ascii_lowercase().contains("etag")));

    let r = request(s.addr, "HEAD", "/api/v1/events", &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert!(r.header("etag").is_some());
}

/// Break the database under a running server: answers are JSON 500s (and
/// a 503 health), never a panic or a dropped connection.
#[tokio::test]
async fn index_errors_become_500_json() {
    let s = serve().await;
    let db = s._dir.path().join("babillard.sqlite");
    drop_all_tables(&db);
    for path in ["/api/v1/sources", "/api/v1/events/abc", "/metrics"] {
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 500, "{path}: {}", r.text());
        assert_eq!(r.json(), serde_json::json!({"error": "internal error"}));
    }
    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 200, "SELECT 1 still answers: {}", r.text());
}

fn drop_all_tables(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    };
    conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
    for table in tables {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS \"{table}\";"))
            .unwrap();
    }
}
