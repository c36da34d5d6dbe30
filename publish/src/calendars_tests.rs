//! Calendars through the real router over a real index: `/c/{id}/` and
//! `Host` give the same answers, each calendar answers only its events,
//! unknown calendars are 404s, links and branding follow the calendar.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use index::{Index, Scope, ScopePart};
use serde_json::Value;

use super::{CalendarInfo, Network, TerritoryInfo};
use crate::testdata::{at, names, occurrence, request, serve_router, source_run, two_sources};
use crate::{AppState, CategoryInfo, PublishConfig};

fn part(sources: &[&str], territories: &[&str]) -> ScopePart {
    ScopePart {
        sources: sources.iter().map(|s| s.to_string()).collect(),
        territories: territories.iter().map(|s| s.to_string()).collect(),
        categories: None,
    }
}

fn calendar(id: &str, name: &str, parts: Vec<ScopePart>, sources: &[&str]) -> CalendarInfo {
    CalendarInfo {
        id: id.into(),
        name: name.into(),
        languages: vec!["fr".into(), "en".into()],
        scope: Scope { parts },
        sources: sources.iter().map(|s| s.to_string()).collect(),
        ..CalendarInfo::default()
    }
}

struct Server {
    addr: SocketAddr,
    mda: Vec<String>,
    salle: Vec<String>,
    _dir: tempfile::TempDir,
}

/// `mda` lists three concerts at the Maison des arts (in the territory
/// `laval`), `salle` two shows elsewhere (no place). Calendars: `mda`
/// (host `agenda.mda.example`), `salle` (branded), and `reseau`, a network
/// of both.
async fn serve() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(Index::open(dir.path()).unwrap());
    // Placed both by polygon and by municipality name.
    let geojson = dir.path().join("laval.geojson");
    std::fs::write(
        &geojson,
        r#"{"type":"Polygon","coordinates":[[[-73.9,45.5],[-73.5,45.5],[-73.5,45.7],[-73.9,45.7],[-73.9,45.5]]]}"#,
    )
    .unwrap();
    let territories =
        normalize::territory::Territories::load(&[normalize::territory::TerritoryConfig {
            id: "laval".into(),
            name: names(&[("fr", "Laval"), ("en", "Laval")]),
            geojson,
            municipalities: vec!["Laval".into()],
        }])
        .unwrap();
    index.set_territories(Arc::new(territories)).unwrap();
    two_sources(&index, "Salle");
    let mda: Vec<_> = (1..=3)
        .map(|i| {
            occurrence(
                "mda",
                &format!("m{i}"),
                &format!("Concert {i}"),
                at(&format!("2030-0{i}-10T20:00:00-05:00")),
            )
        })
        .collect();
    let salle: Vec<_> = (1..=2)
        .map(|i| {
            let mut o = occurrence(
                "salle",
                &format!("s{i}"),
                &format!("Spectacle {i}"),
                at(&format!("2030-0{i}-12T20:00:00-05:00")),
            );
            o.event.venue = None;
            o
        })
        .collect();
    index.record_success(source_run("mda", mda)).unwrap();
    index.record_success(source_run("salle", salle)).unwrap();
    let ids = |source: &str| -> Vec<String> {
        let mut q = index::Query::from(at("2029-01-01T00:00:00Z").to_utc());
        q.sources = vec![source.to_string()];
        index
            .query(&q)
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let (mda, salle) = (ids("mda"), ids("salle"));
    assert_eq!((mda.len(), salle.len()), (3, 2));

    let mut cal_mda = calendar(
        "mda",
        "Agenda de la Maison des arts",
        vec![part(&["mda"], &[])],
        &["mda"],
    );
    cal_mda.hosts = vec!["agenda.mda.example".into()];
    let mut cal_salle = calendar(
        "salle",
        "Agenda de la Salle",
        vec![part(&["salle"], &[])],
        &["salle"],
    );
    cal_salle.accent = Some("#0b6e4f".into());
    cal_salle.intro = names(&[
        ("fr", "Les spectacles de la Salle."),
        ("en", "The Salle's shows."),
    ]);
    let reseau = calendar(
        "reseau",
        "Réseau",
        vec![part(&["mda"], &[]), part(&["salle"], &[])],
        &["mda", "salle"],
    );
    let network = Network {
        territories: vec![TerritoryInfo {
            id: "laval".into(),
            name: names(&[("fr", "Laval")]),
        }],
        calendars: vec![Arc::new(cal_mda), Arc::new(cal_salle), Arc::new(reseau)],
        current: None,
        prefix: String::new(),
    };
    let state = AppState {
        index: Arc::clone(&index),
        live_config: crate::LiveConfig::new(Arc::new(PublishConfig {
            name: "Signé Laval".into(),
            base_url: "https://agenda.example.org".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: vec![CategoryInfo {
                slug: "musique".into(),
                name: names(&[("fr", "Musique"), ("en", "Music")]),
            }],
            venues: Vec::new(),
            source_kinds: vec!["ics".into()],
            paused: Vec::new(),
            network,
        })),
        next_runs: Arc::new(RwLock::new(HashMap::new())),
        responses: Default::default(),
        auth: Default::default(),
        source_admin: None,
    };
    Server {
        addr: serve_router(state).await,
        mda,
        salle,
        _dir: dir,
    }
}

async fn json(addr: SocketAddr, path: &str, host: Option<&str>) -> (u16, Value) {
    let mut headers = vec![("Accept", "application/json")];
    if let Some(h) = host {
        headers.push(("Host", h));
    }
    let r = request(addr, "GET", path, &headers).await;
    (r.status, r.json())
}

fn ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events in {v}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const ALL: &str = "/api/v1/events?from=2029-01-01";

#[tokio::test]
async fn each_calendar_answers_exactly_its_events_under_its_prefix_and_its_host() {
    let s = serve().await;
    let mut all = s.mda.clone();
    all.extend(s.salle.clone());
    let (status, root) = json(s.addr, ALL, None).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&root), sorted(all.clone()));

    let (_, mda) = json(s.addr, &format!("/c/mda{ALL}"), None).await;
    assert_eq!(ids(&mda), sorted(s.mda.clone()));
    assert_eq!(mda["total"], 3);
    let (_, salle) = json(s.addr, &format!("/c/salle{ALL}"), None).await;
    assert_eq!(ids(&salle), sorted(s.salle.clone()));
    let (_, reseau) = json(s.addr, &format!("/c/reseau{ALL}"), None).await;
    assert_eq!(ids(&reseau), sorted(all.clone()));

    // The calendar's host serves the same answer at its root.
    let (status, hosted) = json(s.addr, ALL, Some("Agenda.MDA.example:8080")).await;
    assert_eq!(status, 200);
    assert_eq!(hosted["events"], mda["events"]);
    // An unknown host is the whole installation.
    let (_, other) = json(s.addr, ALL, Some("elsewhere.example")).await;
    assert_eq!(ids(&other), sorted(all));

    // One event, one id everywhere; another calendar's event is not found.
    let one = &s.mda[0];
    let (status, e) = json(s.addr, &format!("/c/mda/api/v1/events/{one}"), None).await;
    assert_eq!((status, e["id"].as_str()), (200, Some(one.as_str())));
    assert_eq!(e["territories"], serde_json::json!(["laval"]));
    let (status, _) = json(s.addr, &format!("/c/salle/api/v1/events/{one}"), None).await;
    assert_eq!(status, 404);
    let r = request(
        s.addr,
        "GET",
        &format!("/c/salle/events/{one}"),
        &[("Accept", "text/html")],
    )
    .await;
    assert_eq!(r.status, 404);
    let r = request(s.addr, "GET", &format!("/c/salle/events/{one}.ics"), &[]).await;
    assert_eq!(r.status, 404);
    let r = request(s.addr, "GET", &format!("/c/reseau/events/{one}.ics"), &[]).await;
    assert_eq!(r.status, 200);

    // Feeds hold exactly the calendar's events.
    let ics = request(
        s.addr,
        "GET",
        "/c/salle/feeds/events.ics?from=2029-01-01",
        &[],
    )
    .await;
    let ics = ics.text();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("Spectacle 1") && !ics.contains("Concert 1"));
    assert!(ics.contains("Agenda de la Salle"));
    let rss = request(
        s.addr,
        "GET",
        "/c/mda/feeds/events.rss?from=2029-01-01",
        &[],
    )
    .await
    .text();
    assert_eq!(rss.matches("<item>").count(), 3, "{rss}");
    assert!(rss.contains("https://agenda.example.org/c/mda/events/"));

    // Sources and counts are the calendar's.
    let (_, sources) = json(s.addr, "/c/salle/api/v1/sources", None).await;
    let listed: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec!["salle"]);
    let (_, cats) = json(s.addr, "/c/salle/api/v1/categories?from=2029-01-01", None).await;
    assert_eq!(cats[0]["events"], 2);
}

#[tokio::test]
async fn territories_filter_every_query_and_an_unknown_one_is_a_400() {
    let s = serve().await;
    let (_, placed) = json(s.addr, &format!("{ALL}&territory=laval"), None).await;
    assert_eq!(ids(&placed), sorted(s.mda.clone()));
    let (_, none) = json(s.addr, &format!("/c/salle{ALL}&territory=laval"), None).await;
    assert!(ids(&none).is_empty());
    let (status, e) = json(s.addr, &format!("{ALL}&territory=atlantide"), None).await;
    assert_eq!(status, 400);
    assert_eq!(e["parameter"], "territory");
    let ics = request(
        s.addr,
        "GET",
        "/feeds/events.ics?from=2029-01-01&territory=laval",
        &[],
    )
    .await
    .text();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
    let r = request(
        s.addr,
        "GET",
        "/embed?territory=atlantide",
        &[("Accept", "text/html")],
    )
    .await;
    assert_eq!(r.status, 400);
    let r = request(
        s.addr,
        "GET",
        "/embed?territory=laval",
        &[("Accept", "text/html")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("territory=\"laval\""));
    let (_, list) = json(s.addr, "/api/v1/territories", None).await;
    assert_eq!(
        list,
        serde_json::json!([{"id": "laval", "name": {"fr": "Laval"}}])
    );
    // The portal offers the territory as a filter.
    let page = request(
        s.addr,
        "GET",
        "/?territory=laval",
        &[("Accept", "text/html")],
    )
    .await
    .text();
    assert!(page.contains("name=\"territory\""), "{page}");
    assert!(page.contains("<option value=\"laval\" selected>Laval</option>"));
}

#[tokio::test]
async fn an_unknown_calendar_is_a_404_in_json_or_in_french() {
    let s = serve().await;
    let (status, e) = json(s.addr, "/c/nulle-part/api/v1/events", None).await;
    assert_eq!(status, 404);
    let message = e["error"].as_str().unwrap();
    assert!(
        message.contains("nulle-part") && message.contains("mda"),
        "{message}"
    );
    let r = request(s.addr, "GET", "/c/nulle-part/feeds/events.ics", &[]).await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());
    let r = request(s.addr, "GET", "/c/nulle-part/", &[("Accept", "text/html")]).await;
    assert_eq!(r.status, 404);
    let page = r.text();
    assert!(page.contains("lang=\"fr\""));
    assert!(page.contains("Agenda introuvable"), "{page}");
    assert!(r.header("content-security-policy").is_some());
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    // A calendar without its slash is sent to it, query kept.
    let r = request(s.addr, "GET", "/c/mda?lang=en", &[]).await;
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("/c/mda/?lang=en"));
}

#[tokio::test]
async fn pages_link_within_their_calendar_and_wear_its_branding() {
    let s = serve().await;
    let html = |path: &'static str, host: Option<&'static str>| async move {
        let mut headers = vec![("Accept", "text/html")];
        if let Some(h) = host {
            headers.push(("Host", h));
        }
        let r = request(s.addr, "GET", path, &headers).await;
        assert_eq!(r.status, 200, "{path}");
        r
    };
    let portal = html("/c/salle/?from=2029-01-01", None).await;
    let page = portal.text();
    assert!(page.contains("<title>Agenda de la Salle</title>"), "{page}");
    assert!(page.contains("href=\"/c/salle/brand.css\""));
    assert!(page.contains("Les spectacles de la Salle."));
    assert!(page.contains(&format!("href=\"/c/salle/events/{}?lang=fr\"", s.salle[0])));
    assert!(!page.contains(&s.mda[0]));
    assert!(page.contains("action=\"/c/salle/\""));
    assert!(page.contains("href=\"/c/salle/feeds/events.ics\""));
    assert!(
        page.contains("calendar=&quot;salle&quot;"),
        "the widget snippet names the calendar"
    );
    // Every local link stays in the calendar.
    for link in page.split("href=\"/").skip(1) {
        assert!(
            link.starts_with("c/salle/"),
            "a link leaves the calendar: /{}",
            &link[..40.min(link.len())]
        );
    }
    let css = html("/c/salle/brand.css", None).await;
    assert_eq!(css.text(), ":root{--accent:#0b6e4f}\n");
    // The event page of a calendar links back into it.
    let path: &'static str = Box::leak(format!("/c/salle/events/{}", s.salle[0]).into_boxed_str());
    let event = html(path, None).await.text();
    for link in event.split("href=\"/").skip(1) {
        assert!(
            link.starts_with("c/salle/"),
            "a link leaves the calendar: /{}",
            &link[..40.min(link.len())]
        );
    }
    assert!(event.contains(&format!(
        "https://agenda.example.org/c/salle/events/{}",
        s.salle[0]
    )));
    let hosted = html("/?from=2029-01-01", Some("agenda.mda.example"))
        .await
        .text();
    assert!(hosted.contains("<title>Agenda de la Maison des arts</title>"));
    assert!(hosted.contains(&format!("href=\"/events/{}?lang=fr\"", s.mda[0])));
    assert!(!hosted.contains("/c/mda/"));
    // The same path answered for two calendars never shares an ETag.
    let a = request(s.addr, "GET", "/c/mda/api/v1/events", &[]).await;
    let b = request(s.addr, "GET", "/c/salle/api/v1/events", &[]).await;
    let c = request(
        s.addr,
        "GET",
        "/api/v1/events",
        &[("Host", "agenda.mda.example")],
    )
    .await;
    assert_ne!(a.header("etag"), b.header("etag"));
    assert_ne!(a.header("etag"), c.header("etag"));
    // The calendars and the branding, as JSON.
    let (_, list) = json(s.addr, "/api/v1/calendars", None).await;
    let got: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec!["mda", "salle", "reseau"]);
    let (_, own) = json(s.addr, "/c/salle/api/v1/calendar", None).await;
    assert_eq!(own["accent"], "#0b6e4f");
    assert_eq!(own["url"], "https://agenda.example.org/c/salle/");
    let (_, root) = json(s.addr, "/api/v1/calendar", None).await;
    assert_eq!(root["id"], Value::Null);
    assert_eq!(root["name"], "Signé Laval");
}
