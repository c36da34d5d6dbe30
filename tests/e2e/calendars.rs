//! Several calendars and territories on one installation, end to end: ICS
//! sources served on 127.0.0.1, the real pipeline (one ingest, one dedup
//! for all), the real router and the real binary.
//!
//! Sources: `mda` (the Maison des arts, in the territory `ouest`),
//! `biblio` (a library network, places known only by their town) and
//! `salle` (a hall, which cross-lists one of the Maison des arts' shows).
//! Calendars: `arts` = mda + biblio, `scene` = biblio + salle (they share
//! `biblio`), `reseau` = both (a network), `ouest` = every event in the
//! territory `ouest`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::{
    babillard, chromium, get_json, run_browser_script, test_policy, FixtureServer, Resource, World,
    AGGREGATOR, TAXONOMY,
};

/// A square around the Maison des arts (lon -73.80..-73.65, lat
/// 45.50..45.60) with a hole around (45.555, -73.66), where the hall is.
const OUEST: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature",
  "properties": {"name": "Ouest"},
  "geometry": {"type": "Polygon", "coordinates": [
    [[-73.80, 45.50], [-73.65, 45.50], [-73.65, 45.60], [-73.80, 45.60], [-73.80, 45.50]],
    [[-73.67, 45.55], [-73.655, 45.55], [-73.655, 45.56], [-73.67, 45.56], [-73.67, 45.55]]
  ]}}]}"#;

/// Two islands, far from everything else, and the town of Vimont.
const ILES: &str = r#"{"type": "MultiPolygon", "coordinates": [
  [[[-73.00, 46.00], [-72.90, 46.00], [-72.90, 46.10], [-73.00, 46.10], [-73.00, 46.00]]],
  [[[-72.50, 46.00], [-72.40, 46.00], [-72.40, 46.10], [-72.50, 46.10], [-72.50, 46.00]]]
]}"#;

/// A small logo.
const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0b6e4f"/><text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff">A</text></svg>"##;

fn vevent(
    uid: &str,
    title: &str,
    day: &str,
    location: Option<&str>,
    geo: Option<(f64, f64)>,
) -> String {
    let mut s = format!(
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{title}\r\n\
DTSTART;TZID=America/Toronto:{day}T200000\r\nDTEND;TZID=America/Toronto:{day}T220000\r\n"
    );
    if let Some(l) = location {
        s.push_str(&format!("LOCATION:{l}\r\n"));
    }
    if let Some((lat, lon)) = geo {
        s.push_str(&format!("GEO:{lat};{lon}\r\n"));
    }
    s.push_str("END:VEVENT\r\n");
    s
}

fn calendar(events: &[String]) -> Resource {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard tests//calendars//FR\r\n",
    );
    for e in events {
        s.push_str(e);
    }
    s.push_str("END:VCALENDAR\r\n");
    Resource::ok(s.into_bytes(), "text/calendar")
}

struct Setup {
    world: World,
    _server: FixtureServer,
}

async fn setup() -> Setup {
    let server = FixtureServer::start().await;
    server.put(
        "mda.ics",
        calendar(&[
            vevent(
                "mda-1@t",
                "Exposition Pellan",
                "20261203",
                Some("Maison des arts de Laval"),
                None,
            ),
            vevent(
                "mda-2@t",
                "Les Belles-sœurs",
                "20261205",
                Some("Maison des arts de Laval"),
                None,
            ),
        ]),
    );
    server.put(
        "biblio.ics",
        calendar(&[
            vevent(
                "b-1@t",
                "Heure du conte",
                "20261204",
                Some("Bibliothèque Gabrielle-Roy, Vimont"),
                None,
            ),
            vevent("b-2@t", "Club de lecture", "20261206", None, None),
        ]),
    );
    server.put(
        "salle.ics",
        calendar(&[
            // The same show as mda-2, cross-listed by the hall.
            vevent(
                "s-1@t",
                "Les Belles-sœurs",
                "20261205",
                Some("Maison des arts de Laval"),
                None,
            ),
            vevent(
                "s-2@t",
                "Gala de la salle",
                "20261207",
                Some("Salle du Trou"),
                Some((45.555, -73.66)),
            ),
            vevent(
                "s-3@t",
                "Concert insulaire",
                "20261208",
                Some("Pavillon des îles"),
                Some((46.05, -72.95)),
            ),
        ]),
    );
    let text = format!(
        "{AGGREGATOR}\n\
[[source]]\nid = \"mda\"\nname = \"Maison des arts\"\nkind = \"ics\"\nurl = \"{}\"\npriority = 10\n\n\
[[source]]\nid = \"biblio\"\nname = \"Bibliothèques\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
[[source]]\nid = \"salle\"\nname = \"La Salle\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
[[territory]]\nid = \"ouest\"\nname = {{ fr = \"Ouest\", en = \"West\" }}\ngeojson = \"territoires/ouest.geojson\"\n\n\
[[territory]]\nid = \"iles\"\nname = \"Les îles\"\ngeojson = \"territoires/iles.geojson\"\nmunicipalities = [\"Vimont\"]\n\n\
[[calendar]]\nid = \"arts\"\nname = \"Agenda des arts\"\nsources = [\"mda\", \"biblio\"]\naccent = \"#0b6e4f\"\nlogo = \"logos/arts.svg\"\n\n\
[[calendar]]\nid = \"scene\"\nname = \"Agenda de la scène\"\nsources = [\"biblio\", \"salle\"]\naccent = \"#1d3fb8\"\nhosts = [\"scene.example\"]\n\n\
[[calendar]]\nid = \"reseau\"\nname = \"Le réseau\"\ncalendars = [\"arts\", \"scene\"]\n\n\
[[calendar]]\nid = \"ouest\"\nname = \"Agenda de l'Ouest\"\nterritories = [\"ouest\"]\n\n\
{TAXONOMY}",
        server.url("mda.ics"),
        server.url("biblio.ics"),
        server.url("salle.ics"),
    );
    let world = World::from_files(
        &text,
        &[
            ("territoires/ouest.geojson", OUEST.as_bytes()),
            ("territoires/iles.geojson", ILES.as_bytes()),
            ("logos/arts.svg", LOGO.as_bytes()),
        ],
        test_policy(),
    );
    for r in world.ingest().await {
        assert!(
            matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
            "{r}"
        );
    }
    Setup {
        world,
        _server: server,
    }
}

/// The body of a GET of `url`, with `Host: host` when given.
async fn text(url: &str, host: Option<&str>) -> String {
    let mut request = crate::harness::client().get(url);
    if let Some(host) = host {
        request = request.header("Host", host);
    }
    request.send().await.unwrap().text().await.unwrap()
}

async fn events(api: &str, path: &str) -> Vec<Value> {
    let (status, page) = get_json(&format!("{api}{path}")).await;
    assert_eq!(status, 200, "{path}: {page}");
    page["events"].as_array().cloned().unwrap_or_default()
}

fn titles(events: &[Value]) -> BTreeSet<String> {
    events
        .iter()
        .map(|e| e["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const ALL: &str = "/api/v1/events?from=2026-11-01&limit=100";

#[tokio::test]
async fn two_calendars_sharing_a_source_and_their_network_hold_exactly_their_events() {
    let s = setup().await;
    let api = s.world.serve().await;

    let root = events(&api, ALL).await;
    // The cross-listed show is one event, merged once for everybody.
    assert_eq!(root.len(), 6, "{:#?}", titles(&root));
    let shared: Vec<&Value> = root
        .iter()
        .filter(|e| e["title"] == "Les Belles-sœurs")
        .collect();
    assert_eq!(shared.len(), 1);
    let shared_id = shared[0]["id"].as_str().unwrap().to_string();
    let listed_by: BTreeSet<&str> = shared[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(listed_by, BTreeSet::from(["mda", "salle"]));

    let arts = events(&api, &format!("/c/arts{ALL}")).await;
    assert_eq!(
        titles(&arts),
        set(&[
            "Exposition Pellan",
            "Les Belles-sœurs",
            "Heure du conte",
            "Club de lecture"
        ])
    );
    let scene = events(&api, &format!("/c/scene{ALL}")).await;
    assert_eq!(
        titles(&scene),
        set(&[
            "Heure du conte",
            "Club de lecture",
            "Les Belles-sœurs",
            "Gala de la salle",
            "Concert insulaire"
        ])
    );
    let reseau = events(&api, &format!("/c/reseau{ALL}")).await;
    assert_eq!(reseau.len(), 6, "the network holds each event once");
    assert_eq!(titles(&reseau), titles(&root));
    // One id everywhere.
    for list in [&arts, &scene, &reseau] {
        let ids: Vec<&str> = list
            .iter()
            .filter(|e| e["title"] == "Les Belles-sœurs")
            .map(|e| e["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![shared_id.as_str()]);
    }
    // The calendar's host answers as its prefix does.
    let hosted: Value =
        serde_json::from_str(&text(&format!("{api}{ALL}"), Some("scene.example")).await).unwrap();
    assert_eq!(hosted["events"].as_array().unwrap(), &scene);

    // Feeds hold exactly the calendar's events.
    for (cal, n) in [("arts", 4), ("scene", 5), ("reseau", 6)] {
        let ics = text(
            &format!("{api}/c/{cal}/feeds/events.ics?from=2026-11-01"),
            None,
        )
        .await;
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), n, "{cal}: {ics}");
        let rss = text(
            &format!("{api}/c/{cal}/feeds/events.rss?from=2026-11-01"),
            None,
        )
        .await;
        assert_eq!(rss.matches("<item>").count(), n, "{cal}");
    }
    // Its sources, only.
    let (_, sources) = get_json(&format!("{api}/c/arts/api/v1/sources")).await;
    let ids: Vec<&str> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["mda", "biblio"]);
    let (_, sources) = get_json(&format!("{api}/c/reseau/api/v1/sources")).await;
    assert_eq!(sources.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn events_are_placed_in_territories_and_filtered_by_them() {
    let s = setup().await;
    let api = s.world.serve().await;
    let root = events(&api, ALL).await;
    let placed = |title: &str| -> Value {
        root.iter()
            .find(|e| e["title"] == title)
            .map(|e| e["territories"].clone())
            .unwrap_or_else(|| panic!("no {title}"))
    };
    // The gazetteer places the Maison des arts inside the square.
    assert_eq!(placed("Exposition Pellan"), json!(["ouest"]));
    // In the hole: in no territory.
    assert_eq!(placed("Gala de la salle"), json!([]));
    // On one island of a MultiPolygon.
    assert_eq!(placed("Concert insulaire"), json!(["iles"]));
    // No place at all: in none.
    assert_eq!(placed("Club de lecture"), json!([]));
    // Known only by its town (no coordinates): by the municipality's name.
    let conte = root
        .iter()
        .find(|e| e["title"] == "Heure du conte")
        .unwrap();
    assert_eq!(conte["territories"], json!(["iles"]), "{}", conte["venue"]);

    let west = events(&api, &format!("{ALL}&territory=ouest")).await;
    assert_eq!(
        titles(&west),
        set(&["Exposition Pellan", "Les Belles-sœurs"])
    );
    let calendar = events(&api, &format!("/c/ouest{ALL}")).await;
    assert_eq!(titles(&calendar), titles(&west));
    let both = events(&api, &format!("{ALL}&territory=ouest&territory=iles")).await;
    assert_eq!(both.len(), 4);
    let (status, e) = get_json(&format!("{api}{ALL}&territory=nulle-part")).await;
    assert_eq!((status, e["parameter"].as_str()), (400, Some("territory")));
}

#[tokio::test]
async fn the_binary_checks_exports_and_lists_per_calendar() {
    let s = setup().await;
    let dir = s.world.dir.path();
    // `check` reports a cycle with its path and a broken GeoJSON with its
    // file and why.
    let text = std::fs::read_to_string(dir.join("sources.toml")).unwrap();
    let broken = text
        .replace("calendars = [\"arts\", \"scene\"]", "calendars = [\"arts\", \"scene\"]\n")
        .replace(
            "[[calendar]]\nid = \"arts\"\nname = \"Agenda des arts\"\nsources = [\"mda\", \"biblio\"]",
            "[[calendar]]\nid = \"arts\"\nname = \"Agenda des arts\"\nsources = [\"mda\", \"biblio\"]\ncalendars = [\"reseau\"]",
        );
    let bad_dir = tempfile::tempdir().unwrap();
    std::fs::write(bad_dir.path().join("sources.toml"), &broken).unwrap();
    std::fs::create_dir_all(bad_dir.path().join("territoires")).unwrap();
    std::fs::write(bad_dir.path().join("territoires/ouest.geojson"), OUEST).unwrap();
    std::fs::create_dir_all(bad_dir.path().join("logos")).unwrap();
    std::fs::write(bad_dir.path().join("logos/arts.svg"), LOGO).unwrap();
    std::fs::write(
        bad_dir.path().join("territoires/iles.geojson"),
        r#"{"type": "Point", "coordinates": [-73.0, 46.0]}"#,
    )
    .unwrap();
    let (code, out, err) = babillard(bad_dir.path(), &["check", "--offline"]);
    assert_eq!(code, 2, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("arts -> reseau -> arts") || all.contains("reseau -> arts -> reseau"),
        "{all}"
    );
    assert!(
        all.contains("territoires/iles.geojson") && all.contains("Point"),
        "{all}"
    );

    // `sources --calendar` and `export --calendar`.
    let (code, out, err) = babillard(dir, &["sources", "--calendar", "arts", "--json"]);
    assert_eq!(code, 0, "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["mda", "biblio"]);
    let (code, _, err) = babillard(dir, &["sources", "--calendar", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope"), "{err}");

    let out_dir = dir.join("public-arts");
    let (code, out, err) = babillard(
        dir,
        &[
            "export",
            "--out",
            out_dir.to_str().unwrap(),
            "--calendar",
            "arts",
            "--base-url",
            "https://arts.example.org",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let ics = std::fs::read_to_string(out_dir.join("feeds/events.ics")).unwrap();
    assert!(
        ics.contains("Exposition Pellan") && !ics.contains("Gala de la salle"),
        "{ics}"
    );
    let portal = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert!(portal.contains("Agenda des arts"));
    assert!(
        !portal.contains("href=\"/c/"),
        "an exported calendar links at its own root"
    );
}

/// A host page on its own origin with two widgets of two calendars, and
/// one of the whole installation narrowed to a territory.
fn host_page(api: &str) -> Resource {
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Hôte</title>
<script src="{api}/widget.js" async></script></head>
<body><h1>Deux agendas</h1>
<babillard-events id="arts" calendar="arts" from="2026-11-01" limit="20"></babillard-events>
<babillard-events id="scene" calendar="scene" from="2026-11-01" limit="20"></babillard-events>
<babillard-events id="ouest" territory="ouest" from="2026-11-01" limit="20"></babillard-events>
</body></html>"#
    );
    Resource::ok(page.into_bytes(), "text/html; charset=utf-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_widgets_of_two_calendars_on_one_page_each_wear_their_branding() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = chromium();
    let s = setup().await;
    let api = s.world.serve().await;
    let host = FixtureServer::start().await;
    host.put("host.html", host_page(&api));
    let arts = titles(&events(&api, &format!("/c/arts{ALL}")).await);
    let scene = titles(&events(&api, &format!("/c/scene{ALL}")).await);
    let ouest = titles(&events(&api, &format!("{ALL}&territory=ouest")).await);
    let cfg = json!({
        "api": api,
        "host": host.url("host.html"),
        "chromium": chromium,
        "shots": root.join("target/screenshots"),
        "widgets": [
            {"id": "arts", "name": "Agenda des arts", "accent": "rgb(11, 110, 79)", "titles": arts,
             "logo": format!("{api}/c/arts/logo")},
            {"id": "scene", "name": "Agenda de la scène", "accent": "rgb(29, 63, 184)", "titles": scene},
            {"id": "ouest", "titles": ouest},
        ],
    });
    let stdout = run_browser_script(s.world.dir.path(), "calendars.mjs", &cfg).await;
    println!("{stdout}");
    std::mem::forget(host);
}
