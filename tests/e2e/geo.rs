//! Geotagging end to end: a source naming a place the gazetteer does not
//! know, a fake Nominatim on loopback, the real pipeline, store and router.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use babillard::pipeline::Outcome;
use serde_json::Value;

use crate::harness::{get_json, test_policy, FixtureServer, Resource, World, TAXONOMY};

/// A fake Nominatim: knows one place, fails on another, counts queries.
#[derive(Default)]
struct Nominatim {
    calls: Mutex<HashMap<String, usize>>,
}

impl Nominatim {
    fn calls(&self, needle: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(q, _)| q.contains(needle))
            .map(|(_, n)| n)
            .sum()
    }

    fn total(&self) -> usize {
        self.calls.lock().unwrap().values().sum()
    }
}

async fn search(
    State(fake): State<Arc<Nominatim>>,
    Query(params): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let q = params.get("q").cloned().unwrap_or_default();
    *fake.calls.lock().unwrap().entry(q.clone()).or_default() += 1;
    assert_eq!(params.get("format").map(String::as_str), Some("jsonv2"));
    assert_eq!(params.get("countrycodes").map(String::as_str), Some("ca"));
    if q.contains("Val-des-Arbres") {
        (
            StatusCode::OK,
            r#"[{"lat":"45.6012","lon":"-73.7801","display_name":"Centre communautaire Val-des-Arbres, Laval",
                "address":{"city":"Laval","state":"Québec","country_code":"ca"}}]"#
                .to_string(),
        )
    } else if q.contains("Boum") {
        (StatusCode::INTERNAL_SERVER_ERROR, "down".to_string())
    } else {
        (StatusCode::OK, "[]".to_string())
    }
}

async fn start_nominatim() -> (Arc<Nominatim>, String) {
    let fake = Arc::new(Nominatim::default());
    let app = Router::new()
        .route("/search", get(search))
        .with_state(Arc::clone(&fake));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (fake, format!("http://{addr}"))
}

fn calendar(events: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//FR\r\nX-WR-TIMEZONE:America/Toronto\r\n",
    );
    for (uid, start, location) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART;TZID=America/Toronto:{start}\r\nDURATION:PT2H\r\nSUMMARY:Soirée {uid}\r\nLOCATION:{location}\r\nEND:VEVENT\r\n"
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s.into_bytes()
}

const VAL_DES_ARBRES: &str = "Centre communautaire Val-des-Arbres\\, 3485 boul. Sainte-Rose";

async fn events(api: &str, query: &str) -> Vec<Value> {
    let (status, body) = get_json(&format!("{api}/api/v1/events?{query}")).await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_venues_are_geocoded_once_and_found_near_their_place() {
    let (nominatim, geocoder_url) = start_nominatim().await;
    let server = FixtureServer::start().await;
    let ics = "text/calendar; charset=utf-8";
    server.put(
        "agenda.ics",
        Resource::ok(
            calendar(&[
                ("a", "20261205T200000", VAL_DES_ARBRES),
                ("b", "20261206T200000", "Nulle part connue"),
            ]),
            ics,
        ),
    );
    server.put(
        "boum.ics",
        Resource::ok(calendar(&[("c", "20261207T200000", "Salle Boum")]), ics),
    );

    let text = format!(
        "[aggregator]\nname = \"Geo\"\nbase_url = \"https://agenda.example.org\"\n\
         timezone = \"America/Toronto\"\nlanguages = [\"fr\", \"en\"]\n\
         allow_private_networks = true\ngeocoder = \"{geocoder_url}\"\n\n\
         [[source]]\nid = \"agenda\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"boum\"\nkind = \"ics\"\nurl = \"{}\"\n\n{TAXONOMY}",
        server.url("agenda.ics"),
        server.url("boum.ics"),
    );
    let world = World::from_config(&text, test_policy());
    // The world's pipeline runs on the fixtures' day.
    let pipeline = &world.pipeline;
    let reports = pipeline.ingest(&[], |_| {}).await;
    assert_eq!(reports.len(), 2, "one report per source: {reports:?}");
    for r in &reports {
        assert!(matches!(r.outcome, Outcome::Updated(_)), "{r}");
    }
    // The geocoder's failure is a warning of the run, not its failure.
    let boum = reports.iter().find(|r| r.source == "boum").unwrap();
    assert!(
        boum.warnings.iter().any(|w| w.contains("geocoder")),
        "{:?}",
        boum.warnings
    );
    assert_eq!(nominatim.calls("Val-des-Arbres"), 1);
    assert_eq!(nominatim.calls("Nulle part"), 1);

    let api = world.serve().await;

    let range = "from=2026-09-01&to=2028-01-01&limit=1000";
    let all = events(&api, range).await;
    let a = all
        .iter()
        .find(|e| e["title"] == "Soirée a")
        .unwrap_or_else(|| panic!("{all:?}"));
    let venue = &a["venue"];
    assert_eq!(venue["lat"].as_f64(), Some(45.6012), "{venue}");
    assert_eq!(venue["lon"].as_f64(), Some(-73.7801), "{venue}");
    assert_eq!(venue["city"], "Laval", "{venue}");
    // The query named a street: an address-level position.
    assert_eq!(venue["precision"], "address", "{venue}");
    let b = all.iter().find(|e| e["title"] == "Soirée b").unwrap();
    assert!(b["venue"]["lat"].is_null(), "{}", b["venue"]);
    let c = all.iter().find(|e| e["title"] == "Soirée c").unwrap();
    assert!(c["venue"]["lat"].is_null(), "{}", c["venue"]);

    // Found near its place, not far from it.
    let near = events(&api, &format!("{range}&near=45.60,-73.78&radius_km=2")).await;
    let titles: Vec<&str> = near.iter().filter_map(|e| e["title"].as_str()).collect();
    assert_eq!(titles, vec!["Soirée a"]);
    let quebec = events(&api, &format!("{range}&near=46.81,-71.21&radius_km=20")).await;
    assert!(quebec.is_empty(), "{quebec:?}");

    // The source changes (a new event at the same place): normalized again,
    // but the place comes from the cache, and so does "not found".
    server.put(
        "agenda.ics",
        Resource::ok(
            calendar(&[
                ("a", "20261205T200000", VAL_DES_ARBRES),
                ("b", "20261206T200000", "Nulle part connue"),
                ("d", "20261212T200000", VAL_DES_ARBRES),
            ]),
            ics,
        ),
    );
    let before = nominatim.total();
    let r = pipeline.ingest(&["agenda".to_string()], |_| {}).await;
    match &r[0].outcome {
        Outcome::Updated(c) => assert_eq!(c.new, 1, "{c:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(nominatim.total(), before, "the cache answered");
    let near = events(&api, &format!("{range}&near=45.60,-73.78&radius_km=2")).await;
    let titles: Vec<&str> = near.iter().filter_map(|e| e["title"].as_str()).collect();
    assert_eq!(titles, vec!["Soirée a", "Soirée d"]);
}

/// A world of two sources of the fixture server, an ICS and an HTML one
/// (each `(id, path)`), read once; the world and its API's base URL.
async fn ics_and_html(
    server: &FixtureServer,
    ics: (&str, &str),
    html: (&str, &str),
) -> (crate::harness::World, String) {
    let world = crate::harness::World::new(&format!(
        "[[source]]\nid = \"{}\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
         [[source]]\nid = \"{}\"\nkind = \"html\"\nurl = \"{}\"\n",
        ics.0,
        server.url(ics.1),
        html.0,
        server.url(html.1),
    ));
    for r in world.ingest().await {
        assert!(matches!(r.outcome, Outcome::Updated(_)), "{r}");
    }
    let api = world.serve().await;
    (world, api)
}

/// The event of `title` in `events`.
fn titled<'a>(events: &'a [Value], title: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no {title:?} in {events:?}"))
}

/// A source moves its events to other venues between two runs (a gazetteer
/// venue to an unknown hall, one unknown hall to another, the same text
/// with new coordinates): each event shows its new venue, keeping its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_changed_at_the_source_moves_the_event() {
    let server = FixtureServer::start().await;
    let ics = "text/calendar; charset=utf-8";
    let html = "text/html; charset=utf-8";
    server.put_fixture("agenda.ics", "geo/venue_change_before.ics", ics);
    server.put_fixture("programmation", "geo/venue_change_before.html", html);
    let (world, api) = ics_and_html(
        &server,
        ("diffuseur", "agenda.ics"),
        ("programmation", "programmation"),
    )
    .await;
    let range = "from=2026-11-01&to=2027-01-01&limit=100";
    let before = events(&api, range).await;
    assert_eq!(before.len(), 6, "{before:?}");
    let quatuor = titled(&before, "Quatuor Molinari").clone();
    assert_eq!(quatuor["venue"]["id"], "maison-des-arts");
    let conte = titled(&before, "Conte de Noël").clone();
    assert_eq!(conte["venue"]["city"], "Laval", "{}", conte["venue"]);
    let cirque = titled(&before, "Cirque sous le chapiteau").clone();
    assert_eq!(cirque["venue"]["lat"].as_f64(), Some(45.572));
    let soeurs = titled(&before, "Les Belles-sœurs").clone();
    assert_eq!(soeurs["venue"]["id"], "maison-des-arts");
    let chorale = titled(&before, "Chorale des Fêtes").clone();
    assert_eq!(chorale["venue"]["city"], "Laval", "{}", chorale["venue"]);
    let conte_biblio = titled(&before, "Heure du conte").clone();
    assert_eq!(
        conte_biblio["venue"]["city"], "Laval",
        "{}",
        conte_biblio["venue"]
    );

    server.put_fixture("agenda.ics", "geo/venue_change_after.ics", ics);
    server.put_fixture("programmation", "geo/venue_change_after.html", html);
    let reports = world.ingest().await;
    for r in &reports {
        match &r.outcome {
            Outcome::Updated(c) => assert_eq!(c.new, 0, "{r}"),
            other => panic!("{other:?}"),
        }
    }
    let after = events(&api, range).await;
    assert_eq!(after.len(), 6, "{after:?}");
    // The namesake in another town is another venue.
    let moved = titled(&after, "Les Belles-sœurs");
    assert_eq!(moved["venue"]["name"], "Maison des arts de Terrebonne");
    for (was, title, city) in [
        (&soeurs, "Les Belles-sœurs", "Terrebonne"),
        (&chorale, "Chorale des Fêtes", "Terrebonne"),
        (&conte_biblio, "Heure du conte", "Blainville"),
    ] {
        let moved = titled(&after, title);
        assert_eq!(moved["id"], was["id"], "{title}");
        let venue = &moved["venue"];
        assert_eq!(venue["city"], city, "{venue}");
        let town = normalize::places::municipality(city).unwrap();
        assert_eq!(venue["lat"].as_f64(), Some(town.lat), "{venue}");
        assert_eq!(venue["lon"].as_f64(), Some(town.lon), "{venue}");
    }
    assert_eq!(
        titled(&after, "Chorale des Fêtes")["venue"]["name"],
        "Chapelle du Sacré-Cœur"
    );

    let moved = titled(&after, "Quatuor Molinari");
    assert_eq!(moved["id"], quatuor["id"]);
    let venue = &moved["venue"];
    assert_eq!(venue["name"], "Théâtre Lionel-Groulx", "{venue}");
    assert_eq!(venue["city"], "Sainte-Thérèse", "{venue}");
    assert_ne!(venue["id"], "maison-des-arts", "{venue}");
    let (lat, lon) = (
        venue["lat"].as_f64().unwrap(),
        venue["lon"].as_f64().unwrap(),
    );
    assert!(
        (lat - 45.64).abs() < 0.05 && (lon + 73.83).abs() < 0.05,
        "{venue}"
    );
    assert_eq!(venue["precision"], "municipality", "{venue}");

    let moved = titled(&after, "Conte de Noël");
    assert_eq!(moved["id"], conte["id"]);
    let venue = &moved["venue"];
    assert_eq!(venue["name"], "Salle Desjardins", "{venue}");
    assert_eq!(venue["city"], "Terrebonne", "{venue}");
    assert_ne!(venue["id"], conte["venue"]["id"], "{venue}");
    let lat = venue["lat"].as_f64().unwrap();
    assert!((lat - 45.70).abs() < 0.05, "{venue}");

    let moved = titled(&after, "Cirque sous le chapiteau");
    assert_eq!(moved["id"], cirque["id"]);
    let venue = &moved["venue"];
    assert_eq!(venue["lat"].as_f64(), Some(45.701), "{venue}");
    assert_eq!(venue["lon"].as_f64(), Some(-73.647), "{venue}");
    assert_eq!(venue["city"], "Terrebonne", "{venue}");
    assert_eq!(venue["precision"], "venue", "{venue}");
}

/// Listings of venues the gazetteer does not know, whose town is written
/// in their place text, in the forms sources use, with the municipality a
/// reader places each in. Written by hand from the texts.
const IN_TOWN: &[(&str, &str)] = &[
    ("Café Le Signet, Terrebonne", "Terrebonne"),
    ("Théâtre Lionel-Groulx, Sainte-Thérèse", "Sainte-Thérèse"),
    ("Salle paroissiale (Blainville)", "Blainville"),
    ("Bibliothèque de Boisbriand", "Boisbriand"),
    ("Maison de la culture de Mascouche", "Mascouche"),
    ("Centre communautaire - Rosemère", "Rosemère"),
    (
        "Église Saint-Eustache, 123 rue Saint-Louis, Saint-Eustache, QC J7R 1X9",
        "Saint-Eustache",
    ),
    (
        "Amphithéâtre Hydro-Québec\n1335 chemin du Coteau Terrebonne QC J6W 5H2",
        "Terrebonne",
    ),
    (
        "Salle Pauline-Julien, 15615 boul. Gouin O., Montréal (Québec) H9H 5K4",
        "Montréal",
    ),
    ("Le Zénith, 4500 rue Fleury Est Montréal-Nord", "Montréal"),
    ("Cabaret du Vieux-Bourg (Montréal)", "Montréal"),
    (
        "Chapelle du Bon-Pasteur, 100 rue Sherbrooke O, Montréal",
        "Montréal",
    ),
    (
        "Théâtre Gilles-Vigneault, 1055 boul. Grignon, Saint-Jérôme, Qc",
        "Saint-Jérôme",
    ),
    ("Parc Régional, Saint-Colomban", "Saint-Colomban"),
    (
        "Grange du Domaine, 2 rang Saint-Vincent, Mirabel",
        "Mirabel",
    ),
    (
        "Salle Jean-Grimaldi, 1111 rue Lapierre, bureau 200, Longueuil QC J4J 4E9",
        "Longueuil",
    ),
    ("Centre d'art de Brossard", "Brossard"),
    ("Marché public, Deux-Montagnes", "Deux-Montagnes"),
    ("Pavillon du lac - Lorraine", "Lorraine"),
    (
        "Chalet du parc, 20 chemin du Lac, Bois-des-Filion",
        "Bois-des-Filion",
    ),
    (
        "Maison du citoyen, 25 rue Laurier, Gatineau, QC J8X 4C8",
        "Gatineau",
    ),
    (
        "Centre culturel de l'Université, 2500 boul. de l'Université, Sherbrooke (Québec)",
        "Sherbrooke",
    ),
    (
        "Le Grand Théâtre, 269 boul. René-Lévesque E., Québec, QC G1R 2B3",
        "Québec",
    ),
    ("Amphithéâtre Cogeco (Trois-Rivières)", "Trois-Rivières"),
    ("Centre culturel Desjardins, Joliette", "Joliette"),
    ("Salle Odyssée, 855 boul. de la Gappe Gatineau", "Gatineau"),
    (
        "Théâtre de la Ville, 180 rue de Gentilly E., Longueuil",
        "Longueuil",
    ),
    ("Vieux-Presbytère de Chambly", "Chambly"),
    ("Maison des jeunes, Sainte-Julie", "Sainte-Julie"),
    ("Complexe sportif de Varennes", "Varennes"),
    ("Salle Alphonse-Desjardins, Candiac", "Candiac"),
    // "Espace La Prairie" (a town's name ending a venue's, no comma nor
    // "de") is not read as a place: "Salle Honoré-Mercier" is not in Mercier.
    ("Espace culturel, La Prairie", "La Prairie"),
    ("Parc de la Cité, Vaudreuil-Dorion", "Vaudreuil-Dorion"),
    ("Place Saint-Bernard, Mont-Tremblant", "Mont-Tremblant"),
    (
        "Cinéma Pine, 24 boul. Morin, Sainte-Adèle QC J8B 2P6",
        "Sainte-Adèle",
    ),
    (
        "Gare de Prévost, 1272 rue de la Traverse, Prévost",
        "Prévost",
    ),
    (
        "Arts Centre, 100 Queen St W, Toronto, ON M5H 2N2",
        "Toronto",
    ),
    ("Library Hall (Ottawa)", "Ottawa"),
    (
        "The Grand Theatre, 218 Princess Street, Kingston, Ontario",
        "Kingston",
    ),
    (
        "Salle Desjardins, 1135 ch. du Coteau, Terrebonne",
        "Terrebonne",
    ),
    (
        "Centre des arts de la scène Jean-Besré, Sherbrooke",
        "Sherbrooke",
    ),
    (
        "Maison Trestler, 85 ch. de la Commune, Vaudreuil-Dorion",
        "Vaudreuil-Dorion",
    ),
];

/// The same, in a city field of its own (schema.org `addressLocality`).
const CITY_FIELD: &[(&str, &str, &str)] = &[
    ("Salle des Chevaliers", "", "Laval"),
    ("Sous le chapiteau", "12 rue Principale", "Repentigny"),
    ("Centre récréatif", "", "Granby"),
    (
        "Église Sainte-Famille",
        "1000 boul. Lévesque",
        "Montréal-Nord",
    ),
    ("Salle communautaire", "", "Ville de Drummondville"),
    ("Auditorium", "3 rue du Collège", "Saint-Hyacinthe"),
];

fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

/// Every listing whose place text or city field names a municipality is on
/// the map: with coordinates (its town's centre at least) and a precision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_venue_naming_a_municipality_is_on_the_map() {
    let server = FixtureServer::start().await;
    let mut ics = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//FR\r\nX-WR-TIMEZONE:America/Toronto\r\n",
    );
    for (i, (location, _)) in IN_TOWN.iter().enumerate() {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:town-{i}\r\nDTSTAMP:20261101T000000Z\r\n\
             DTSTART;TZID=America/Toronto:202612{:02}T200000\r\nSUMMARY:Spectacle {i}\r\n\
             LOCATION:{}\r\nEND:VEVENT\r\n",
            1 + i % 28,
            ics_text(location)
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    let ld: Vec<Value> = CITY_FIELD
        .iter()
        .enumerate()
        .map(|(i, (name, street, city))| {
            let mut address =
                serde_json::json!({"@type": "PostalAddress", "addressLocality": city});
            if !street.is_empty() {
                address["streetAddress"] = Value::from(*street);
            }
            serde_json::json!({"@context": "https://schema.org", "@type": "Event",
                "name": format!("Soirée {i}"),
                "url": format!("https://ville.example/evenements/{i}"),
                "startDate": format!("2026-12-{:02}T19:00:00-05:00", 10 + i),
                "location": {"@type": "Place", "name": name, "address": address}})
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Activités</title>\
         <script type=\"application/ld+json\">{}</script></head><body></body></html>",
        Value::Array(ld)
    );
    server.put("towns.ics", Resource::ok(ics.into_bytes(), "text/calendar"));
    server.put(
        "activites",
        Resource::ok(html.into_bytes(), "text/html; charset=utf-8"),
    );
    let (_world, api) =
        ics_and_html(&server, ("towns", "towns.ics"), ("activites", "activites")).await;
    let all = events(&api, "from=2026-11-01&to=2027-01-01&limit=1000").await;
    let expected: Vec<(String, &str)> = IN_TOWN
        .iter()
        .enumerate()
        .map(|(i, (_, town))| (format!("Spectacle {i}"), *town))
        .chain(
            CITY_FIELD
                .iter()
                .enumerate()
                .map(|(i, (_, _, town))| (format!("Soirée {i}"), *town)),
        )
        .collect();
    assert!(expected.len() >= 40);
    let mut placed = 0;
    let mut misses = Vec::new();
    for (title, town) in &expected {
        let venue = &titled(&all, title)["venue"];
        // A borough written as its town and a compass word is in its town.
        let want = normalize::places::municipality(town)
            .or_else(|| normalize::places::place_in_text(town))
            .unwrap_or_else(|| panic!("{town} is not a listed municipality"));
        let at = venue["lat"].as_f64().zip(venue["lon"].as_f64());
        let near = at.is_some_and(|(lat, lon)| {
            normalize::places::haversine_km(lat, lon, want.lat, want.lon) < 1.0
        });
        // The city read is that town (or a borough of it), never a street.
        let city = venue["city"].as_str().unwrap_or_default();
        let city_town = normalize::places::municipality(city)
            .or_else(|| normalize::places::place_in_text(city));
        if near && venue["precision"] == "municipality" && city_town == Some(want) {
            placed += 1;
        } else {
            misses.push(format!("{title} ({town}): {venue}"));
        }
    }
    // The event page says the position is approximate, in its language,
    // and its JSON-LD gives the town, not a position.
    let id = titled(&all, "Spectacle 0")["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (lang, note) in [
        ("fr", "(position approximative : centre de la municipalité)"),
        ("en", "(approximate position: town centre)"),
    ] {
        let page = crate::harness::client()
            .get(format!("{api}/events/{id}?lang={lang}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(note), "{lang}: {html}");
        assert!(!html.contains("GeoCoordinates"), "{html}");
        assert!(
            html.contains("\"addressLocality\":\"Terrebonne\""),
            "{html}"
        );
    }
    eprintln!(
        "venues naming a municipality placed on the map: {placed}/{} ({:.0} %)",
        expected.len(),
        100.0 * placed as f64 / expected.len() as f64
    );
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// Two sources list one show at one hall; one gives the hall's coordinates,
/// the other only its town: the event has the hall's position, not the
/// town's centre.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_position_wins_over_a_town_centre() {
    let server = FixtureServer::start().await;
    let show = |geo: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//FR\r\nBEGIN:VEVENT\r\nUID:show\r\n\
             DTSTAMP:20261101T000000Z\r\nDTSTART;TZID=America/Toronto:20261209T200000\r\n\
             SUMMARY:Les Cowboys Fringants\r\nLOCATION:Salle Claude-Léveillée\\, Laval\r\n{geo}\
             END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        .into_bytes()
    };
    server.put("town.ics", Resource::ok(show(""), "text/calendar"));
    server.put(
        "hall.ics",
        Resource::ok(show("GEO:45.5580;-73.7210\r\n"), "text/calendar"),
    );
    // "hall" sorts after "a-town": the tie on priority is not what decides.
    let world = crate::harness::World::new(&format!(
        "[[source]]\nid = \"a-town\"\nurl = \"{}\"\n\n[[source]]\nid = \"hall\"\nurl = \"{}\"\n",
        server.url("town.ics"),
        server.url("hall.ics"),
    ));
    for r in world.ingest().await {
        assert!(matches!(r.outcome, Outcome::Updated(_)), "{r}");
    }
    let api = world.serve().await;
    let all = events(&api, "from=2026-11-01&to=2027-01-01").await;
    assert_eq!(all.len(), 1, "{all:?}");
    let venue = &all[0]["venue"];
    assert_eq!(venue["lat"].as_f64(), Some(45.558), "{venue}");
    assert_eq!(venue["precision"], "venue", "{venue}");
    assert_eq!(all[0]["sources"].as_array().map(Vec::len), Some(2));
}
