//! Venue edits and merges through the console's JSON API, with the
//! binary's [`Control`] behind it: the gazetteer in `sources.toml` is
//! changed (comments kept, accepted by the real `babillard check`), every
//! source runs again, and the public events follow: a merged venue's
//! events move to the venue kept (its name learned as an alias), an
//! edited venue's address reaches its events.

use std::sync::Arc;
use std::time::Duration;

use babillard::control::Control;
use publish::admin::auth::secret::new_api_token;
use serde_json::{json, Value};

use crate::harness::{babillard, client, get_json, FixtureServer, Resource, World};

fn ics(location: &str) -> Vec<u8> {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//venues//FR\r\n\
         BEGIN:VEVENT\r\nUID:conte@biblio\r\nDTSTAMP:20261101T000000Z\r\n\
         SUMMARY:L'heure du conte\r\nDTSTART;TZID=America/Toronto:20270113T100000\r\n\
         DURATION:PT1H\r\nLOCATION:{location}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    .into_bytes()
}

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

/// The venue of the one event, once `ok` holds (the sources run again in
/// the background after a change of the gazetteer).
async fn venue_when(api: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        let (_, page) = get_json(&format!("{api}/api/v1/events?from=2027-01-01&limit=10")).await;
        last = page["events"][0]["venue"].clone();
        if ok(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the event's venue never became what was expected: {last}");
}

#[tokio::test]
async fn a_venue_merge_learns_an_alias_and_an_edit_reaches_the_events() {
    let server = FixtureServer::start().await;
    server.put(
        "biblio.ics",
        Resource::ok(ics("Centre culturel Marius-Barbeau"), "text/calendar"),
    );
    let world = World::new(&format!(
        "# Les bibliothèques de Laval.\n[[source]]\nid = \"biblio\"   # la biblio\nurl = \"{}\"\n",
        server.url("biblio.ics")
    ));
    world.ingest().await;
    let editor = new_api_token().unwrap();
    assert!(world
        .index
        .create_token("robot", "editor", &[], &editor.hash)
        .unwrap());
    let mut state = world.state();
    let control = Control::new(Arc::clone(&world.pipeline));
    control.publish_to(state.live_config.clone());
    state.source_admin = Some(control);
    let app = publish::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let seen = venue_when(&api, |v| v["name"].is_string()).await;
    assert_eq!(seen["name"], "Centre culturel Marius-Barbeau");
    let seen_id = seen["id"].as_str().unwrap().to_string();
    assert_ne!(seen_id, "maison-des-arts");

    // Bad requests name their field; nothing is written.
    let toml_path = world.dir.path().join("sources.toml");
    let before = std::fs::read_to_string(&toml_path).unwrap();
    for (body, field) in [
        (json!({"from": [seen_id]}), "into"),
        (json!({"into": "maison-des-arts"}), "from"),
        (
            json!({"into": "maison-des-arts", "from": ["nulle-part"]}),
            "from",
        ),
    ] {
        let (status, v) = send(
            &api,
            &editor.secret,
            "POST",
            "/api/v1/admin/venues/merge",
            body.clone(),
        )
        .await;
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["field"], field);
    }
    let (status, v) = send(
        &api,
        &editor.secret,
        "PATCH",
        "/api/v1/admin/venues/maison-des-arts",
        json!({"lon": null}),
    )
    .await;
    assert_eq!(
        status, 400,
        "check refuses a venue with a latitude and no longitude: {v}"
    );
    assert_eq!(
        std::fs::read_to_string(&toml_path).unwrap(),
        before,
        "a refused write leaves the file"
    );

    // Merge the venue seen into the gazetteer's Maison des arts.
    let (status, v) = send(
        &api,
        &editor.secret,
        "POST",
        "/api/v1/admin/venues/merge",
        json!({"into": "maison-des-arts", "from": [seen_id]}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let moved = venue_when(&api, |v| v["id"] == "maison-des-arts").await;
    assert_eq!(moved["name"], "Maison des arts de Laval");
    let text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(
        text.contains("\"Centre culturel Marius-Barbeau\""),
        "learned as an alias: {text}"
    );
    assert!(text.starts_with("[aggregator]") || text.contains("# Les bibliothèques de Laval."));
    assert!(
        text.contains("id = \"biblio\"   # la biblio"),
        "comments kept"
    );
    let (code, out, err) = babillard(world.dir.path(), &["check", "--offline"]);
    assert_eq!(code, 0, "check accepts the file: {out} {err}");

    // The source renames the place; the alias still places it.
    server.put(
        "biblio.ics",
        Resource::ok(
            ics("centre culturel marius-barbeau, Laval"),
            "text/calendar",
        ),
    );
    world.ingest().await;
    venue_when(&api, |v| v["id"] == "maison-des-arts").await;

    // Edit the venue: its events show the new address.
    let (status, v) = send(
        &api,
        &editor.secret,
        "PATCH",
        "/api/v1/admin/venues/maison-des-arts",
        json!({"address": "1395, boulevard de la Concorde Ouest, Laval, QC H7N 5W1 (entrée est)"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let edited = venue_when(&api, |v| {
        v["address"]
            .as_str()
            .is_some_and(|a| a.contains("entrée est"))
    })
    .await;
    assert_eq!(edited["id"], "maison-des-arts");
    // The router publishes with the new gazetteer at once.
    let (_, venues) = get_json(&format!("{api}/api/v1/venues")).await;
    let mda = venues
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "maison-des-arts")
        .cloned()
        .unwrap();
    assert!(
        mda["address"].as_str().unwrap().contains("entrée est"),
        "{mda}"
    );

    // The console's venues screen offers the same, as plain HTML forms.
    let page = client()
        .get(format!("{api}/admin/venues"))
        .bearer_auth(&editor.secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/admin/venues/maison-des-arts/edit\""),
        "{page}"
    );
    let r = client()
        .post(format!("{api}/admin/venues/maison-des-arts/edit"))
        .bearer_auth(&editor.secret)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Maison+des+arts+de+Laval&address=1395%2C+boulevard+de+la+Concorde+Ouest&city=Laval+%28Chomedey%29&lat=45.5605&lon=-73.713")
        .send()
        .await
        .unwrap();
    // Redirected (303, followed) to the screen with its message.
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.url().path() == "/admin/venues");
    assert!(r.text().await.unwrap().contains("Lieu enregistré"));
    venue_when(&api, |v| v["city"] == "Laval (Chomedey)").await;
    let r = client()
        .post(format!("{api}/admin/venues/maison-des-arts/edit"))
        .bearer_auth(&editor.secret)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=Maison+des+arts&lat=quarante&lon=-73.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a latitude that is not a number");

    // The changes are in the audit trail, by the token's name.
    let (status, audit) = send(
        &api,
        &editor.secret,
        "GET",
        "/api/v1/admin/audit",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["venue.update", "venue.update", "venue.merge"]);
    assert_eq!(audit["entries"][0]["who"], "robot");

    // Each can be undone from the audit trail: the last edit first...
    let entries = audit["entries"].as_array().unwrap().clone();
    assert!(entries.iter().all(|e| e["undoable"] == true));
    let id_of = |i: usize| entries[i]["id"].as_i64().unwrap();
    let (status, v) = send(
        &api,
        &editor.secret,
        "POST",
        &format!("/api/v1/admin/audit/{}/undo", id_of(0)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    venue_when(&api, |v| v["city"] == "Laval").await;
    let (status, _) = send(
        &api,
        &editor.secret,
        "POST",
        &format!("/api/v1/admin/audit/{}/undo", id_of(0)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 409, "an entry is undone once");
    // ...then the merge: the events go back to the venue the source names.
    let (status, v) = send(
        &api,
        &editor.secret,
        "POST",
        &format!("/api/v1/admin/audit/{}/undo", id_of(2)),
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let back = venue_when(&api, |v| v["id"] != "maison-des-arts").await;
    // (the source writes it in lower case since its second version)
    assert_eq!(
        back["name"].as_str().map(str::to_lowercase).as_deref(),
        Some("centre culturel marius-barbeau")
    );
    let text = std::fs::read_to_string(&toml_path).unwrap();
    assert!(
        !text.contains("\"Centre culturel Marius-Barbeau\""),
        "the alias is forgotten: {text}"
    );
    let (code, out, err) = babillard(world.dir.path(), &["check", "--offline"]);
    assert_eq!(code, 0, "check accepts the file put back: {out} {err}");
    let (_, audit) = send(
        &api,
        &editor.secret,
        "GET",
        "/api/v1/admin/audit",
        Value::Null,
    )
    .await;
    assert_eq!(audit["entries"][0]["action"], "undo");
    assert_eq!(audit["entries"][0]["who"], "robot");
}
