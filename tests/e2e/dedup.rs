//! The same show listed by two sources on two servers — the venue's
//! calendar (ICS, French, priority 10) and a tourism site's page (JSON-LD,
//! English, priority 1, doors-open time, "SOLD OUT –" prefix, the venue
//! under one of its aliases) — is published once: in the API with both
//! sources, in English with `lang=en`, and as one VEVENT in the feed.
//! And a French and an English listing with no word in common, the English
//! one of higher priority, are one event written in French.

use serde_json::Value;

use crate::harness::{client, get_json, FixtureServer, Resource, World};

const RANGE: &str = "from=2026-11-01&to=2027-01-01&limit=1000";

const VENUE_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//MDA//FR\r\n\
BEGIN:VEVENT\r\nUID:belles-soeurs-2026-12-05@mda.example\r\nDTSTAMP:20261020T120000Z\r\n\
DTSTART;TZID=America/Toronto:20261205T200000\r\nDTEND;TZID=America/Toronto:20261205T221500\r\n\
SUMMARY:Les Belles-sœurs\r\nDESCRIPTION:La pièce de Michel Tremblay.\r\n\
LOCATION:Maison des arts de Laval\r\nCATEGORIES:Théâtre\r\n\
URL:https://mda.example/spectacles/belles-soeurs\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:diner-2026-12-12@mda.example\r\nDTSTAMP:20261020T120000Z\r\n\
DTSTART;TZID=America/Toronto:20261212T200000\r\nSUMMARY:Le Dîner de cons\r\n\
LOCATION:Maison des arts de Laval\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const TOURISM_PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><title>What's on</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",
"@id":"https://tourism.example/en/events/42",
"name":"SOLD OUT – Les Belles-sœurs by Michel Tremblay",
"description":"Michel Tremblay's classic play, in French.",
"startDate":"2026-12-05T19:30:00-05:00",
"location":{"@type":"Place","name":"Salle Alfred-Pellan","address":"1395 boul. de la Concorde O., Laval"}}</script>
</head><body><h1>What's on</h1></body></html>"#;

/// The string `field` of each object in the array `items`.
fn strings<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    let items = items.as_array().expect("an array");
    items.iter().filter_map(|e| e[field].as_str()).collect()
}

fn vevents(ics: &str) -> usize {
    ics.matches("BEGIN:VEVENT").count()
}

/// Two sources on two servers: the venue's calendar (`mda`, ICS, French)
/// and a tourism site's page (`tourisme`, HTML, English), with their
/// priorities. The servers live as long as the pair returned.
async fn venue_and_tourism(
    ics: &str,
    venue_priority: i32,
    page: &str,
    tourism_priority: i32,
) -> (World, (FixtureServer, FixtureServer)) {
    let venue = FixtureServer::start().await;
    venue.put(
        "events.ics",
        Resource::ok(ics.as_bytes().to_vec(), "text/calendar"),
    );
    let tourism = FixtureServer::start().await;
    tourism.put(
        "en/events",
        Resource::ok(page.as_bytes().to_vec(), "text/html"),
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"mda\"\nkind = \"ics\"\nurl = \"{}\"\npriority = {venue_priority}\nlang = \"fr\"\n\n\
         [[source]]\nid = \"tourisme\"\nkind = \"html\"\nurl = \"{}\"\npriority = {tourism_priority}\nlang = \"en\"\n",
        venue.url("events.ics"),
        tourism.url("en/events")
    ));
    (world, (venue, tourism))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_show_from_two_sources_is_published_once() {
    let (world, _servers) = venue_and_tourism(VENUE_ICS, 10, TOURISM_PAGE, 1).await;
    let reports = world.ingest().await;
    assert_eq!(reports.len(), 2);
    let api = world.serve().await;

    let (status, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_eq!(status, 200);
    let events = body["events"].as_array().expect("events");
    assert_eq!(body["total"], 2, "{body:#}");
    let shows: Vec<&Value> = events
        .iter()
        .filter(|e| {
            e["title"]
                .as_str()
                .is_some_and(|t| t.contains("Belles-sœurs"))
        })
        .collect();
    assert_eq!(shows.len(), 1, "listed once: {body:#}");
    let show = shows[0];
    assert_eq!(show["title"], "Les Belles-sœurs", "the venue's title wins");
    assert_eq!(
        show["start"], "2026-12-05T20:00:00-05:00",
        "the show time, not doors"
    );
    assert_eq!(show["language"], "fr");
    assert_eq!(show["venue"]["id"], "maison-des-arts");
    assert_eq!(strings(&show["sources"], "source"), vec!["mda", "tourisme"]);
    assert_eq!(
        show["translations"]["en"]["title"],
        "SOLD OUT – Les Belles-sœurs by Michel Tremblay"
    );
    let id = show["id"].as_str().expect("id").to_string();

    // In English.
    let (_, en) = get_json(&format!("{api}/api/v1/events?{RANGE}&lang=en")).await;
    let titles = strings(&en["events"], "title");
    assert!(
        titles.contains(&"SOLD OUT – Les Belles-sœurs by Michel Tremblay"),
        "{titles:?}"
    );
    assert_eq!(en["total"], 2);

    // One VEVENT in the feed.
    let ics = client()
        .get(format!("{api}/feeds/events.ics?{RANGE}"))
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("feed body");
    assert_eq!(vevents(&ics), 2, "{ics}");
    assert_eq!(ics.matches("SUMMARY:Les Belles-sœurs").count(), 1, "{ics}");

    // Another ingest keeps the event and its id.
    world.ingest().await;
    let (status, again) = get_json(&format!("{api}/api/v1/events/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(again["sources"].as_array().map(Vec::len), Some(2));
}

const LIBRARY_ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//MDA//FR\r\n\
BEGIN:VEVENT\r\nUID:contes-2026-12-10@mda.example\r\nDTSTAMP:20261020T120000Z\r\n\
DTSTART;TZID=America/Toronto:20261210T193000\r\nSUMMARY:Soirée de contes pour adultes\r\n\
DESCRIPTION:Trois conteurs\\, une soirée.\r\n\
LOCATION:Maison des arts de Laval\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const TOURISM_STORIES: &str = r#"<!DOCTYPE html><html lang="en"><head><title>What's on</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",
"@id":"https://tourism.example/en/events/77",
"name":"Storytelling night for adults",
"description":"Three storytellers, one evening.",
"startDate":"2026-12-10T19:30:00-05:00",
"location":{"@type":"Place","name":"Salle Alfred-Pellan","address":"1395 boul. de la Concorde O., Laval"}}</script>
</head><body><h1>What's on</h1></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translation_of_higher_priority_is_published_in_french() {
    let (world, _servers) = venue_and_tourism(LIBRARY_ICS, 1, TOURISM_STORIES, 10).await;
    world.ingest().await;
    let api = world.serve().await;
    let (status, body) = get_json(&format!("{api}/api/v1/events?{RANGE}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1, "one event: {body:#}");
    let event = &body["events"][0];
    assert_eq!(event["title"], "Soirée de contes pour adultes", "{event:#}");
    assert_eq!(event["language"], "fr");
    assert_eq!(
        event["translations"]["en"]["title"],
        "Storytelling night for adults"
    );
    assert_eq!(
        strings(&event["sources"], "source"),
        vec!["tourisme", "mda"]
    );
}
