//! Every kind of source through the same client and source run: feeds whose
//! items link to detail pages, listings over two pages, The Events
//! Calendar's API over two pages, a broken page among good ones, robots.txt,
//! kinds detected from what the URL answers, and the one list of kinds that
//! the configuration and the OpenAPI document show.

use babillard::config::{Config, ConfigError};
use babillard::pipeline::Outcome;
use serde_json::{json, Value};

use crate::harness::{get_json, read_fixture, FixtureServer, Resource, World, AGGREGATOR};

const RANGE: &str = "from=2026-09-01&to=2028-01-01&limit=1000";

fn found(outcome: &Outcome) -> usize {
    match outcome {
        Outcome::Updated(c) => c.found,
        other => panic!("expected an update, got {other:?}"),
    }
}

fn expected_count(rel: &str) -> usize {
    let v: Value = serde_json::from_slice(&read_fixture(rel)).unwrap();
    v["events"].as_array().unwrap().len()
}

fn detail_page(title: &str, start: &str, place: &str) -> Vec<u8> {
    format!(
        r#"<!DOCTYPE html><html lang="fr"><head><title>{title}</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Event","name":"{title}","startDate":"{start}","location":{{"@type":"Place","name":"{place}","address":"4, boulevard des Laurentides, Laval, QC H7G 2S6"}}}}</script>
</head><body><h1>{title}</h1></body></html>"#
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_whose_items_link_to_detail_pages_takes_their_dates() {
    let server = FixtureServer::start().await;
    server.put_rewritten(
        "feed.xml",
        "feed/drupal_rss_no_dates.xml",
        "application/rss+xml",
        &["https://www.bibliotheques.example.qc.ca"],
    );
    server.put(
        "activites/heure-du-conte-en-pyjama",
        Resource::ok(
            detail_page(
                "Heure du conte en pyjama",
                "2026-12-04T18:30:00-05:00",
                "Bibliothèque Multicentre",
            ),
            "text/html",
        ),
    );
    server.put(
        "activites/club-de-lecture-ados",
        Resource::ok(
            detail_page(
                "Club de lecture ados",
                "2026-12-09T16:00:00-05:00",
                "Bibliothèque Multicentre",
            ),
            "text/html",
        ),
    );
    // The third item's page is broken: that item is dropped, the others stay.
    server.put(
        "activites/atelier-de-gravure",
        Resource {
            status: 500,
            ..Resource::ok(Vec::new(), "text/html")
        },
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"biblio\"\nkind = \"feed\"\nurl = \"{}\"\n",
        server.url("feed.xml")
    ));
    let report = world.ingest_one("biblio").await;
    assert_eq!(found(&report.outcome), 2, "{report} {:?}", report.warnings);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("atelier-de-gravure")),
        "{:?}",
        report.warnings
    );
    let api = world.serve().await;
    let (_, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0]["start"], "2026-12-04T18:30:00-05:00",
        "the page's date, not the item's publication date"
    );
    assert_eq!(events[0]["venue"]["name"], "Bibliothèque Multicentre");
    assert_eq!(
        events[0]["sources"][0]["uid"],
        "412 at https://www.bibliotheques.example.qc.ca"
            .replace("https://www.bibliotheques.example.qc.ca", &server.base)
    );
    // The feed changes, its items' pages do not: they cost a 304 each and
    // still date their items.
    let pages = [
        "activites/heure-du-conte-en-pyjama",
        "activites/club-de-lecture-ados",
    ];
    server.edit("feed.xml", |r| {
        r.body.extend_from_slice(b"\n<!-- edited -->\n")
    });
    let report = world.ingest_one("biblio").await;
    assert_eq!(found(&report.outcome), 2, "{report} {:?}", report.warnings);
    for p in pages {
        assert_eq!(server.not_modified(p), 1, "{p} was asked conditionally");
    }
    let (_, again) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_eq!(again["events"][0]["start"], "2026-12-04T18:30:00-05:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_page_listing_unchanged_costs_one_conditional_request() {
    let server = FixtureServer::start().await;
    server.put_rewritten(
        "agenda",
        "html/wix_page_jsonld_array.html",
        "text/html",
        &[],
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"wix\"\nkind = \"html\"\nurl = \"{}\"\n",
        server.url("agenda")
    ));
    let first = world.ingest_one("wix").await;
    let listed = found(&first.outcome);
    assert!(listed > 0, "{first}: {:?}", first.warnings);
    // One page, no page linked: its validators judge the whole source.
    let second = world.ingest_one("wix").await;
    assert!(
        matches!(second.outcome, Outcome::Unchanged { .. }),
        "{second}"
    );
    assert_eq!(server.not_modified("agenda"), 1, "asked conditionally");
    assert_eq!(server.hits("agenda"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_over_two_pages_is_read_whole_and_a_failing_page_fails_the_run() {
    let server = FixtureServer::start().await;
    server.put_rewritten(
        "evenements",
        "html/drupal_listing_jsonld_graph.html",
        "text/html",
        &["https://culture.example.ca"],
    );
    server.put_rewritten(
        "evenements?page=1",
        "html/artist_run_centre_hevent.html",
        "text/html",
        &["https://verticale.example"],
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"culture\"\nkind = \"html\"\nurl = \"{}\"\n",
        server.url("evenements")
    ));
    let report = world.ingest_one("culture").await;
    let want = expected_count("html/drupal_listing_jsonld_graph.expected.json")
        + expected_count("html/artist_run_centre_hevent.expected.json");
    assert!(
        found(&report.outcome) >= want,
        "{report}: {:?}",
        report.warnings
    );
    assert_eq!(server.hits("evenements?page=1"), 1, "page 2 read once");
    let before = world.index.sources().unwrap()[0].events;

    // Unchanged, it is read whole again: page 1's ETag says nothing of
    // page 2, so it is not asked conditionally.
    let again = world.ingest_one("culture").await;
    assert!(
        matches!(again.outcome, Outcome::Unchanged { .. }),
        "{again}"
    );
    assert_eq!(server.not_modified("evenements"), 0, "page 1 asked in full");
    assert_eq!(server.hits("evenements?page=1"), 2, "page 2 read again");

    // Page 2 now fails: the listing is not taken as shorter, the run fails
    // and every event stays.
    server.edit("evenements?page=1", |r| r.status = 503);
    let report = world.ingest_one("culture").await;
    assert!(matches!(report.outcome, Outcome::Failed { .. }), "{report}");
    assert_eq!(world.index.sources().unwrap()[0].events, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_calendar_api_is_followed_over_its_pages() {
    let server = FixtureServer::start().await;
    server.put_rewritten(
        "wp-json/tribe/events/v1/events",
        "wordpress/tec_page1.json",
        "application/json",
        &["https://maisondesarts.example"],
    );
    server.put_rewritten(
        "wp-json/tribe/events/v1/events?start_date=2026-11-15&per_page=3&page=2",
        "wordpress/tec_page2.json",
        "application/json",
        &["https://maisondesarts.example"],
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"mda\"\nkind = \"wordpress\"\nurl = \"{}\"\n",
        server.base
    ));
    let report = world.ingest_one("mda").await;
    let want = expected_count("wordpress/tec_page1.expected.json")
        + expected_count("wordpress/tec_page2.expected.json");
    assert!(
        found(&report.outcome) >= want,
        "{report}: {:?}",
        report.warnings
    );
    assert_eq!(
        server.hits("wp-json/tribe/events/v1/events?start_date=2026-11-15&per_page=3&page=2"),
        1
    );
    let api = world.serve().await;
    let (_, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    let statuses: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"cancelled") && statuses.contains(&"postponed"),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_page_among_good_ones_fails_alone() {
    let server = FixtureServer::start().await;
    server.put_rewritten(
        "belles-soeurs",
        "html/wordpress_tec_event_page.html",
        "text/html",
        &["https://maisondesarts.example"],
    );
    server.put_rewritten(
        "events",
        "html/wix_page_jsonld_array.html",
        "text/html",
        &["https://www.zonelibre-collectif.example"],
    );
    server.put(
        "broken",
        Resource::ok(
            b"\x00\x01PK\x03\x04 not a page".to_vec(),
            "application/octet-stream",
        ),
    );
    let toml = format!(
        "[[source]]\nid = \"mda\"\nkind = \"html\"\nurl = \"{}\"\n\n[[source]]\nid = \"wix\"\nkind = \"html\"\nurl = \"{}\"\n\n[[source]]\nid = \"broken\"\nkind = \"html\"\nurl = \"{}\"\n",
        server.url("belles-soeurs"),
        server.url("events"),
        server.url("broken")
    );
    let world = World::new(&toml);
    let reports = world.ingest().await;
    assert_eq!(
        found(&reports[0].outcome),
        expected_count("html/wordpress_tec_event_page.expected.json")
    );
    assert_eq!(
        found(&reports[1].outcome),
        expected_count("html/wix_page_jsonld_array.expected.json")
    );
    assert!(
        !reports[1].warnings.is_empty(),
        "the broken JSON-LD block of the Wix page is reported"
    );
    match &reports[2].outcome {
        Outcome::Failed { class, .. } => assert_eq!(class, "wrong_kind"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_honoured() {
    let server = FixtureServer::start().await;
    server.put(
        "robots.txt",
        Resource::ok(b"User-agent: *\nDisallow: /prive/\n".to_vec(), "text/plain"),
    );
    server.put_fixture(
        "prive/agenda.ics",
        "ics/eventbrite_export.ics",
        "text/calendar",
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"prive\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("prive/agenda.ics")
    ));
    let report = world.ingest_one("prive").await;
    match &report.outcome {
        Outcome::Failed { class, message } => {
            assert_eq!(class, "refused");
            assert!(message.contains("robots.txt"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.hits("prive/agenda.ics"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinds_are_detected_from_what_the_url_answers() {
    let server = FixtureServer::start().await;
    server.put_fixture("agenda", "ics/google_calendar_export.ics", "text/plain");
    server.put_fixture("rss", "feed/rss10_rdf_xcal.rdf", "application/xml");
    server.put_rewritten(
        "programmation",
        "html/artist_run_centre_hevent.html",
        "text/html",
        &["https://verticale.example"],
    );
    // A WordPress site running The Events Calendar: its page, and its API.
    server.put(
        "site",
        Resource::ok(
            format!(
                "<!DOCTYPE html><html><head><link rel=\"https://api.w.org/\" href=\"{}/wp-json/\"></head><body class=\"tribe-events-page-template\"><div class=\"tribe-events\"></div></body></html>",
                server.base
            )
            .into_bytes(),
            "text/html",
        ),
    );
    server.put_rewritten(
        "site/wp-json/tribe/events/v1/events",
        "wordpress/tec_page2.json",
        "application/json",
        &["https://maisondesarts.example"],
    );
    let mut toml = String::new();
    for id in ["agenda", "rss", "programmation", "site"] {
        toml.push_str(&format!(
            "[[source]]\nid = \"{id}\"\nurl = \"{}\"\n\n",
            server.url(id)
        ));
    }
    let world = World::new(&toml);
    for r in world.ingest().await {
        assert!(found(&r.outcome) > 0, "{r}: {:?}", r.warnings);
    }
    let kinds: Vec<(String, Option<String>)> = world
        .index
        .sources()
        .unwrap()
        .into_iter()
        // The built-in source of events entered by hand is always there.
        .filter(|s| s.id != babillard::config::MANUAL_SOURCE)
        .map(|s| (s.id, s.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("agenda".to_string(), Some("ics".to_string())),
            ("rss".to_string(), Some("feed".to_string())),
            ("programmation".to_string(), Some("html".to_string())),
            ("site".to_string(), Some("wordpress".to_string())),
        ]
    );
}

/// ingest's registry is the one list of kinds: the configuration accepts
/// each of its names and names them all when given another, and the OpenAPI
/// document lists them, byte for byte as before the registry.
#[test]
fn the_configuration_and_the_openapi_document_show_the_registry_kinds() {
    let names: Vec<&str> = ingest::kind::names().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.toml");
    let mut toml = AGGREGATOR.to_string();
    for name in &names {
        toml.push_str(&format!(
            "\n[[source]]\nid = \"{name}\"\nkind = \"{name}\"\nurl = \"https://example.org/{name}\"\n"
        ));
    }
    let config = Config::parse(&toml, &path).unwrap_or_else(|e| panic!("{e}"));
    let configured: Vec<&str> = config
        .sources
        .iter()
        .map(|s| s.kind.expect("a kind").as_str())
        .collect();
    assert_eq!(configured, names);

    let published = config.publish_config();
    assert_eq!(published.source_kinds, names);
    let doc = publish::openapi::document(
        &published.base_url,
        &published.languages,
        &published.source_kinds,
    );
    let listed = &doc["components"]["schemas"]["Source"]["properties"]["kind"]["enum"];
    let mut expected: Vec<Value> = names.iter().map(|&n| json!(n)).collect();
    expected.push(Value::Null);
    assert_eq!(listed, &Value::Array(expected));
    assert_eq!(
        listed.to_string(),
        r#"["ics","feed","html","wordpress",null]"#
    );

    let bad = format!(
        "{AGGREGATOR}\n[[source]]\nid = \"x\"\nkind = \"rss\"\nurl = \"https://example.org/x\"\n"
    );
    match Config::parse(&bad, &path) {
        Err(ConfigError::Invalid { problems, .. }) => {
            let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
            assert_eq!(
                messages,
                ["unknown kind \"rss\" (expected ics, feed, html or wordpress)"]
            );
        }
        other => panic!("{other:?}"),
    }
}
