//! The staff console in real headless Chromium (Debian's
//! `/usr/bin/chromium`, driven by playwright-core from
//! `tests/browser/console.mjs`): a person signs in with the keyboard only,
//! hides an event and sees it gone from the portal and the widget, edits a
//! title and finds it in the ICS feed, adds a member by pasting its address
//! (a calendar served on 127.0.0.1) through the preview, enters an event by
//! hand in French and finds it in the ICS feed; every screen fits 360 px.
//!
//! The aggregator runs as under `serve`: the real router with the console's
//! [`babillard::control::Control`] over the real pipeline, a sources.toml in
//! a temporary folder, a real SQLite store.

use std::path::Path;
use std::sync::Arc;

use babillard::control::Control;
use chrono::{Duration, NaiveDate, Utc};
use chrono_tz::America::Toronto;
use publish::admin::sources::SourceAdmin;
use serde_json::json;

use crate::harness::{chromium, run_browser_script, FixtureServer, Resource, World};

const EMAIL: &str = "conseil@example.org";
const PASSWORD: &str = "un mot de passe assez long";

/// An ICS calendar of timed events (uid, title, local day, hour) in Toronto.
fn ics(events: &[(&str, &str, NaiveDate, u32)]) -> Vec<u8> {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//babillard tests//console//FR\r\n",
    );
    for (uid, title, day, hour) in events {
        let start = day.and_hms_opt(*hour, 0, 0).unwrap_or_default();
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}@console.test\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{title}\r\n\
DTSTART;TZID=America/Toronto:{}\r\nDTEND;TZID=America/Toronto:{}\r\nLOCATION:Maison des arts de Laval\r\n\
CATEGORIES:Concert\r\nEND:VEVENT\r\n",
            start.format("%Y%m%dT%H%M%S"),
            (start + Duration::hours(2)).format("%Y%m%dT%H%M%S"),
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = chromium();

    let today = Utc::now().with_timezone(&Toronto).date_naive();
    let server = FixtureServer::start().await;
    server.put(
        "agenda.ics",
        Resource::ok(
            ics(&[
                ("noel", "Concert de Noël", today + Duration::days(1), 19),
                ("belles", "Les Belles-sœurs", today + Duration::days(2), 20),
            ]),
            "text/calendar",
        ),
    );
    server.put(
        "membre.ics",
        Resource::ok(
            ics(&[(
                "atelier",
                "Atelier du centre",
                today + Duration::days(3),
                10,
            )]),
            "text/calendar",
        ),
    );
    let world = World::new(&format!(
        "[[source]]\nid = \"maison-des-arts\"\nname = \"Maison des arts\"\nkind = \"ics\"\nurl = \"{}\"\n",
        server.url("agenda.ics")
    ));
    // The fixture is relative to today: ingest at today's clock.
    let pipeline = world.ingest_today().await;
    let hash = publish::admin::auth::secret::hash_password(PASSWORD).unwrap();
    assert!(world
        .index
        .create_account(EMAIL, "admin", &[], &hash)
        .unwrap());

    let mut state = world.state();
    let control: Arc<dyn SourceAdmin> = Control::new(Arc::clone(&pipeline));
    state.source_admin = Some(control);
    let app = publish::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let shots = root.join("target/screenshots");
    let cfg = json!({
        "base": base,
        "chromium": chromium,
        "shots": shots,
        "email": EMAIL,
        "password": PASSWORD,
        "hide_title": "Concert de Noël",
        "edit_title": "Les Belles-sœurs",
        "new_title": "Les Belles-sœurs (supplémentaire)",
        "member_url": server.url("membre.ics"),
        "member_title": "Atelier du centre",
        "member_name": "Centre communautaire",
        "member_id": "centre-communautaire",
        "manual_title": "Atelier de tricot",
        "manual_date": (today + Duration::days(6)).format("%Y-%m-%d").to_string(),
    });
    run_browser_script(world.dir.path(), "console.mjs", &cfg).await;
    println!("screenshots in {}", shots.display());

    // What the person did is on disk and in the audit trail.
    let toml = std::fs::read_to_string(world.dir.path().join("sources.toml")).unwrap();
    assert!(toml.contains("id = \"centre-communautaire\""), "{toml}");
    let actions: Vec<String> = world
        .index
        .audit(50, None)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["event.hide", "event.patch"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    std::mem::forget(server);
}
