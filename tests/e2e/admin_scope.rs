//! Editors tied to calendars, through the binary's own sources
//! administration (the configuration file written for real): an editor of
//! a calendar whose members include the built-in manual source enters an
//! event that its calendar then shows, and edits a venue its calendar
//! uses; an editor of another calendar is refused both.

use std::sync::Arc;

use babillard::control::Control;
use publish::admin::auth::secret::new_api_token;
use serde_json::{json, Value};

use crate::harness::{
    client, get_json, test_policy, FixtureServer, Resource, World, AGGREGATOR, TAXONOMY,
};

async fn send(api: &str, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = client()
        .request(method, format!("{api}{path}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_editor_enters_events_and_edits_venues_of_their_calendar_only() {
    let server = FixtureServer::start().await;
    server.put(
        "salle.ics",
        Resource::ok(
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//FR\r\nBEGIN:VEVENT\r\nUID:s1@t\r\nDTSTAMP:20261101T000000Z\r\n\
SUMMARY:Gala\r\nDTSTART;TZID=America/Toronto:20261210T200000\r\nLOCATION:Salle du Nord\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .to_vec(),
            "text/calendar",
        ),
    );
    let text = format!(
        "{AGGREGATOR}\n[[source]]\nid = \"salle\"\nkind = \"ics\"\nurl = \"{}\"\n\n\
[[calendar]]\nid = \"quartier\"\nname = \"Le quartier\"\nsources = [\"saisie\"]\n\n\
[[calendar]]\nid = \"salle\"\nname = \"La salle\"\nsources = [\"salle\"]\n\n{TAXONOMY}",
        server.url("salle.ics")
    );
    let world = World::from_files(&text, &[], test_policy());
    world.ingest().await;
    let token = |name: &str, calendars: &[&str]| {
        let t = new_api_token().unwrap();
        let calendars: Vec<String> = calendars.iter().map(|c| c.to_string()).collect();
        assert!(world
            .index
            .create_token(name, "editor", &calendars, &t.hash)
            .unwrap());
        t.secret
    };
    let quartier = token("editeur-quartier", &["quartier"]);
    let salle = token("editeur-salle", &["salle"]);
    let mut state = world.state();
    let control = Control::new(Arc::clone(&world.pipeline));
    control.publish_to(state.live_config.clone());
    state.source_admin = Some(control);
    let app = publish::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });

    let workshop = json!({
        "title": {"fr": "Atelier de quartier"},
        "start": "2026-12-12T10:00",
        "end": "2026-12-12T12:00",
        "venue": "maison-des-arts"
    });
    // The hall's editor may not enter events: their calendar does not list
    // the manual source.
    let (status, answer) = send(
        &api,
        &salle,
        "POST",
        "/api/v1/admin/manual-events",
        workshop.clone(),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.to_string().contains("saisie"), "{answer}");
    // The district's editor may, and their calendar shows it.
    let (status, answer) = send(
        &api,
        &quartier,
        "POST",
        "/api/v1/admin/manual-events",
        workshop,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let (_, page) = get_json(&format!("{api}/c/quartier/api/v1/events?from=2026-11-01")).await;
    let titles: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Atelier de quartier"]);
    let (_, page) = get_json(&format!("{api}/c/salle/api/v1/events?from=2026-11-01")).await;
    let gala = page["events"][0].clone();
    assert_eq!(gala["title"], "Gala");

    // Venues: each edits the venue its calendar uses, not the other's.
    let (status, answer) = send(
        &api,
        &quartier,
        "PATCH",
        "/api/v1/admin/venues/maison-des-arts",
        json!({"address": "1395, boul. de la Concorde Ouest, Laval"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let hall = gala["venue"]["id"].as_str().unwrap().to_string();
    let (status, _) = send(
        &api,
        &quartier,
        "PATCH",
        &format!("/api/v1/admin/venues/{hall}"),
        json!({"city": "Laval"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, answer) = send(
        &api,
        &salle,
        "PATCH",
        &format!("/api/v1/admin/venues/{hall}"),
        json!({"city": "Laval"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    // The event of the other calendar is out of reach too.
    let gala_id = gala["id"].as_str().unwrap();
    let (status, _) = send(
        &api,
        &quartier,
        "PATCH",
        &format!("/api/v1/admin/events/{gala_id}"),
        json!({"title": "Pris"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, answer) = send(
        &api,
        &salle,
        "PATCH",
        &format!("/api/v1/admin/events/{gala_id}"),
        json!({"title": "Grand gala"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    std::mem::forget(server);
}
