//! The router end to end: a real index (SQLite + tantivy in a temp dir)
//! filled through its API, the real router served on 127.0.0.1, and plain
//! HTTP/1.0 requests over TCP.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Duration, Utc};
use index::Index;
use model::{Occurrence, Status, Translation, Venue};
use serde_json::Value;

use crate::testdata::{
    at, get, names, occurrence, request, response_schema, serve_router, source_run, two_sources,
    validate,
};
use crate::{AppState, CategoryInfo, PublishConfig};

/// Five events of `mda` in 2030, one ten days ago, and a second source
/// never run.
fn fill(index: &Index) -> Vec<Occurrence> {
    two_sources(index, "Salle");
    let mut occurrences: Vec<Occurrence> = (1..=5)
        .map(|i| {
            occurrence(
                "mda",
                &format!("e{i}"),
                &format!("Concert numéro {i}"),
                at(&format!("2030-0{i}-10T20:00:00-05:00")),
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
    {
        // The first event has everything a page shows.
        let e = &mut occurrences[0].event;
        e.image = Some("https://mda.example.org/img/concert1.jpg".into());
        e.url = Some("https://mda.example.org/concert-1".into());
        e.organizer = Some("Maison des arts".into());
        e.price = Some("25 $".into());
        e.description = Some("À propos du concert 1.\n\nDeuxième paragraphe <b>".into());
        e.description_html = Some("<p>À propos du <em>concert</em> 1.</p>".into());
        e.categories = vec!["musique".into(), "theatre".into()];
        e.sources[0].url = Some("https://mda.example.org/concert-1".into());
        if let Some(v) = e.venue.as_mut() {
            v.address = Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".into());
        }
    }
    // The second one is cancelled, and a venue the gazetteer lacks.
    occurrences[1].event.status = Status::Cancelled;
    occurrences[1].event.venue = Some(Venue {
        id: "parc".into(),
        name: "Parc des Prairies".into(),
        address: None,
        city: Some("Laval".into()),
        lat: None,
        lon: None,
        precision: None,
    });
    let past = (Utc::now() - Duration::days(10)).fixed_offset();
    occurrences.push(occurrence("mda", "past", "Récital passé", past));
    index
        .record_success(source_run("mda", occurrences.clone()))
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
        live_config: crate::LiveConfig::new(Arc::new(PublishConfig {
            name: "Signé Laval".into(),
            base_url: "https://agenda.example.org".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: vec![
                CategoryInfo {
                    slug: "musique".into(),
                    name: names(&[("fr", "Musique"), ("en", "Music")]),
                },
                CategoryInfo {
                    slug: "theatre".into(),
                    name: names(&[("fr", "Théâtre")]),
                },
            ],
            venues: vec![
                Venue {
                    id: "salle-x".into(),
                    name: "Salle X".into(),
                    address: None,
                    city: None,
                    lat: None,
                    lon: None,
                    precision: None,
                },
                Venue {
                    id: "mda".into(),
                    name: "Maison des arts de Laval".into(),
                    address: Some("1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1".into()),
                    city: None,
                    lat: None,
                    lon: None,
                    precision: None,
                },
            ],
            paused: Vec::new(),
            network: Default::default(),
            source_kinds: ["ics", "feed", "html", "wordpress"]
                .map(String::from)
                .to_vec(),
        })),
        next_runs: Arc::new(RwLock::new(next)),
        responses: Default::default(),
        auth: Default::default(),
        source_admin: None,
    };
    let addr = serve_router(state).await;
    Server {
        addr,
        index,
        occurrences,
        _dir: dir,
    }
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
    more.push(occurrence(
        "mda",
        "e6",
        "Concert numéro 6",
        at("2030-06-10T20:00:00-04:00"),
    ));
    let index = Arc::clone(&s.index);
    tokio::task::spawn_blocking(move || index.record_success(source_run("mda", more)).unwrap())
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
    // Counters are the process's (every test's routers count into them).
    for series in [
        "babillard_http_requests_total{route=\"/api/v1/sources\",status=\"200\"} ",
        "babillard_http_requests_total{route=\"/healthz\",status=\"200\"} ",
        "babillard_http_requests_total{route=\"/api/v1/events\",status=\"400\"} ",
        "babillard_http_requests_total{route=\"unmatched\",status=\"404\"} ",
    ] {
        let n: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(series))
            .unwrap_or_else(|| panic!("{series} in\n{text}"))
            .parse()
            .unwrap();
        assert!(n >= 1.0, "{series}{n}");
    }
    for line in [
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

/// Wait for the HTTP date to be such that the ETag window does not roll
/// between two requests? Not needed: 304s are asked right after the 200.
async fn etag_roundtrip(addr: SocketAddr, path: &str) {
    let r = get(addr, path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    let etag = r
        .header("etag")
        .unwrap_or_else(|| panic!("{path}: no ETag"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
    let again = request(addr, "GET", path, &[("If-None-Match", etag)]).await;
    assert_eq!(again.status, 304, "{path}");
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn categories_and_venues_count_matching_events() {
    let s = serve().await;
    let r = get(s.addr, "/api/v1/categories").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Upcoming by default: the past recital is not counted.
    assert_eq!(
        r.json(),
        serde_json::json!([
            {"slug": "musique", "name": {"fr": "Musique", "en": "Music"}, "events": 5},
            {"slug": "theatre", "name": {"fr": "Théâtre", "en": "Théâtre"}, "events": 1}
        ])
    );
    let r = get(s.addr, "/api/v1/categories?from=2030-03-01&to=2031-01-01").await;
    let counts: Vec<(String, u64)> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["slug"].as_str().unwrap().into(),
                c["events"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("musique".to_string(), 3), ("theatre".to_string(), 0)]
    );
    let r = get(s.addr, "/api/v1/categories?from=2000-01-01").await;
    assert_eq!(r.json()[0]["events"], 6, "the past recital too");

    let r = get(s.addr, "/api/v1/venues").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!([
            {"id": "salle-x", "name": "Salle X", "address": null, "city": null,
             "lat": null, "lon": null, "events": 0},
            {"id": "mda", "name": "Maison des arts de Laval",
             "address": "1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1",
             "city": "Laval", "lat": 45.56, "lon": -73.71, "events": 4},
            {"id": "parc", "name": "Parc des Prairies", "address": null, "city": "Laval",
             "lat": null, "lon": null, "events": 1}
        ])
    );
    let r = get(s.addr, "/api/v1/venues?category=theatre").await;
    let counts: Vec<u64> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["events"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [0, 1]);

    for path in ["/api/v1/categories", "/api/v1/venues"] {
        etag_roundtrip(s.addr, path).await;
        etag_roundtrip(s.addr, &format!("{path}?from=2030-01-01&lang=en")).await;
        for (query, param) in [
            ("limit=0", "limit"),
            ("from=hier", "from"),
            ("lang=de", "lang"),
        ] {
            let r = get(s.addr, &format!("{path}?{query}")).await;
            assert_eq!(r.status, 400, "{path}?{query}");
            assert_eq!(r.json()["parameter"], param);
        }
    }
}

#[tokio::test]
async fn rss_feed_has_one_item_per_event_with_the_event_module() {
    let s = serve().await;
    let r = get(s.addr, "/feeds/events.rss").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    let xml = r.text();
    assert!(xml.contains("xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\""));
    // From now on: the five concerts, not the past recital.
    assert_eq!(xml.matches("<item>").count(), 5, "{xml}");
    assert!(!xml.contains("Récital passé"));
    let first = &s.occurrences[0].event;
    assert!(xml.contains(&format!(
        "<link>https://agenda.example.org/events/{}</link>",
        first.id
    )));
    assert!(xml.contains(&format!("<guid isPermaLink=\"false\">{}</guid>", first.id)));
    assert!(xml.contains("<ev:startdate>2030-01-10T20:00:00-05:00</ev:startdate>"));
    assert!(xml.contains("<category>Musique</category>"));
    assert!(xml.contains("<language>fr</language>"));
    assert!(xml.contains("ANNULÉ — "), "the cancelled one says so");

    let xml = get(s.addr, "/feeds/events.rss?lang=en&limit=1")
        .await
        .text();
    assert_eq!(xml.matches("<item>").count(), 1);
    assert!(xml.contains("<title>Concert number 1</title>"));
    assert!(xml.contains("<category>Music</category>"));
    assert!(
        xml.contains("<category>Théâtre</category>"),
        "no English name: the default"
    );
    assert!(xml.contains("<language>en</language>"));
    assert!(xml.contains(
        "<atom:link href=\"https://agenda.example.org/feeds/events.rss?lang=en&amp;limit=1\""
    ));
    let xml = get(s.addr, "/feeds/events.rss?from=2020-01-01")
        .await
        .text();
    assert_eq!(xml.matches("<item>").count(), 6);

    etag_roundtrip(s.addr, "/feeds/events.rss").await;
    let r = get(s.addr, "/feeds/events.rss?near=45").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["parameter"], "near");
}

fn jsonld(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("a JSON-LD script")
        + "<script type=\"application/ld+json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn event_page_shows_the_event_and_its_json_ld() {
    let s = serve().await;
    let first = &s.occurrences[0].event;
    let path = format!("/events/{}", first.id);
    let r = get(s.addr, &path).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let html = r.text();
    for want in [
        "<html lang=\"fr\">",
        "<h1>Concert numéro 1</h1>",
        "jeudi 10 janvier 2030, 20 h à 22 h",
        "<time datetime=\"2030-01-10T20:00:00-05:00\">",
        "https://www.openstreetmap.org/?mlat=45.56&amp;mlon=-73.71#map=17/45.56/-73.71",
        "1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1",
        "<p>À propos du <em>concert</em> 1.</p>",
        "<img class=\"event-image\" src=\"https://mda.example.org/img/concert1.jpg\"",
        ">Musique</a>",
        ">Théâtre</a>",
        &format!("href=\"/events/{}.ics?lang=fr\"", first.id),
        "https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Concert+num%C3%A9ro+1",
        "https://outlook.live.com/calendar/0/deeplink/compose?",
        "<a href=\"https://mda.example.org/concert-1\" rel=\"noopener\">Maison des arts</a>",
        "Ajouter à mon agenda",
    ] {
        assert!(html.contains(want), "missing {want} in\n{html}");
    }
    let ld = jsonld(&html);
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Event");
    assert_eq!(ld["name"], "Concert numéro 1");
    assert_eq!(ld["startDate"], "2030-01-10T20:00:00-05:00");
    assert_eq!(ld["endDate"], "2030-01-10T22:00:00-05:00");
    assert_eq!(ld["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(
        ld["eventAttendanceMode"],
        "https://schema.org/OfflineEventAttendanceMode"
    );
    assert_eq!(ld["location"]["@type"], "Place");
    assert_eq!(ld["location"]["name"], "Maison des arts");
    assert_eq!(
        ld["location"]["address"],
        serde_json::json!({"@type": "PostalAddress",
            "streetAddress": "1395, boulevard de la Concorde Ouest", "addressLocality": "Laval",
            "addressRegion": "QC", "postalCode": "H7N 5W1", "addressCountry": "CA"})
    );
    assert_eq!(
        ld["location"]["geo"],
        serde_json::json!({"@type": "GeoCoordinates", "latitude": 45.56, "longitude": -73.71})
    );
    assert_eq!(
        ld["image"],
        serde_json::json!(["https://mda.example.org/img/concert1.jpg"])
    );
    assert_eq!(ld["url"], "https://mda.example.org/concert-1");
    assert_eq!(ld["inLanguage"], "fr");
    assert_eq!(
        ld["organizer"],
        serde_json::json!({"@type": "Organization", "name": "Maison des arts"})
    );
    assert_eq!(ld["offers"]["price"], "25.00");
    assert_eq!(ld["offers"]["priceCurrency"], "CAD");

    // In English: the translation, the plain description (the HTML one is
    // French), English words.
    let html = get(s.addr, &format!("{path}?lang=en")).await.text();
    for want in [
        "<html lang=\"en\">",
        "<h1>Concert number 1</h1>",
        "Thursday, January 10, 2030, 8:00 PM – 10:00 PM",
        "<p>About concert 1</p>",
        ">Music</a>",
        "Add to my calendar",
    ] {
        assert!(html.contains(want), "missing {want} in\n{html}");
    }
    assert!(!html.contains("<em>concert</em>"));
    assert_eq!(jsonld(&html)["inLanguage"], "en");

    // Cancelled: the banner and the status.
    let second = &s.occurrences[1].event;
    let html = get(s.addr, &format!("/events/{}", second.id)).await.text();
    assert!(html.contains("<strong>Annulé</strong>"), "{html}");
    let ld = jsonld(&html);
    assert_eq!(ld["eventStatus"], "https://schema.org/EventCancelled");
    assert_eq!(
        ld["location"]["address"],
        serde_json::json!({"@type": "PostalAddress", "addressLocality": "Laval"})
    );

    etag_roundtrip(s.addr, &path).await;
    let r = get(s.addr, "/events/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("Événement introuvable"));
    let r = get(s.addr, "/events/nope?lang=en").await;
    assert!(r.text().contains("Event not found"));
    let r = get(s.addr, &format!("{path}?lang=de")).await;
    assert_eq!(r.status, 400);
    // A page's error is a page, naming the parameter.
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("<code>lang</code>"), "{}", r.text());
}

/// Every `"/api/v1..."` path given to `.route(` in the crate's sources,
/// except the staff API under `/api/v1/admin` (`src/admin/`): the document
/// describes the public API that anyone may read.
fn api_routes_in_sources() -> std::collections::BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("admin") {
                    stack.push(p);
                }
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") || p.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, _) in text.match_indices(".route(") {
                let rest = text[i + ".route(".len()..].trim_start();
                if let Some(lit) = rest.strip_prefix('"') {
                    let path = &lit[..lit.find('"').unwrap()];
                    if path.starts_with("/api/v1") {
                        found.insert(path.to_string());
                    }
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn openapi_document_is_kept_true() {
    let s = serve().await;
    let r = get(s.addr, "/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    etag_roundtrip(s.addr, "/api/v1/openapi.json").await;

    // (a) The routes and the document's paths are the same.
    let documented: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| p.starts_with("/api/v1"))
        .cloned()
        .collect();
    let routed = api_routes_in_sources();
    assert!(routed.len() >= 6, "{routed:?}");
    assert_eq!(documented, routed);
    let first = s.occurrences[0].event.id.clone();
    let concrete = |p: &str| p.replace("{id}", &first);
    for path in doc["paths"].as_object().unwrap().keys() {
        let r = get(s.addr, &concrete(path)).await;
        assert_eq!(r.status, 200, "{path} answers: {}", r.text());
    }
    // Every documented query parameter is one the parser knows, and back.
    let params: Vec<&str> = doc["components"]["parameters"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = crate::openapi::QUERY_PARAMETERS.to_vec();
    known.sort_unstable();
    assert_eq!(params, known);

    // (b) Real answers validate against the schemas.
    let check = |path: &str, status: u16, body: &Value| {
        let schema = response_schema(&doc, path, status)
            .unwrap_or_else(|| panic!("{path} {status} is not documented"));
        if let Err(errors) = validate(&doc, schema, body) {
            panic!("{path} {status}: {errors:#?}\n{body:#}");
        }
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "/api/v1/events",
            "/api/v1/events?from=2000-01-01&limit=1000".into(),
        ),
        (
            "/api/v1/events",
            "/api/v1/events?from=2030-01-01&limit=2&lang=en".into(),
        ),
        ("/api/v1/events/{id}", format!("/api/v1/events/{first}")),
        (
            "/api/v1/events/{id}",
            format!("/api/v1/events/{first}?lang=en"),
        ),
        ("/api/v1/events/{id}", "/api/v1/events/nope".into()),
        ("/api/v1/sources", "/api/v1/sources".into()),
        (
            "/api/v1/categories",
            "/api/v1/categories?from=2000-01-01".into(),
        ),
        ("/api/v1/venues", "/api/v1/venues?from=2000-01-01".into()),
        ("/api/v1/openapi.json", "/api/v1/openapi.json".into()),
        ("/healthz", "/healthz".into()),
        ("/api/v1/events", "/api/v1/events?limit=5000".into()),
        (
            "/api/v1/events/{id}",
            format!("/api/v1/events/{first}?lang=xx"),
        ),
        ("/api/v1/categories", "/api/v1/categories?bbox=1,2".into()),
        ("/api/v1/venues", "/api/v1/venues?to=never".into()),
    ];
    let mut statuses = std::collections::BTreeSet::new();
    for (documented_path, url) in cases {
        let r = get(s.addr, &url).await;
        statuses.insert(r.status);
        check(documented_path, r.status, &r.json());
    }
    assert_eq!(statuses.into_iter().collect::<Vec<_>>(), [200, 400, 404]);
    // The events answer does carry a venue, a translation and sources, so
    // their schemas were exercised.
    let all = get(s.addr, "/api/v1/events?from=2000-01-01").await.json();
    let e = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == first.as_str())
        .unwrap();
    assert!(e["venue"].is_object() && e["sources"][0].is_object());
    assert!(e["translations"]["en"].is_object());
}
