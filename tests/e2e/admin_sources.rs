//! Sources and events entered by hand, through the console's JSON API on
//! the real router, with the binary's [`Control`] behind it: previews of
//! sources served on 127.0.0.1 (an ICS, a feed, a page with JSON-LD, a page
//! with nothing), members added to `sources.toml` (comments kept, accepted
//! by the real `babillard check`, published at once), refused writes that
//! leave the file as it was, pause/resume/run, and events entered by hand
//! that reach the ICS feed and the English API and merge with a member's
//! listing of the same show.

use std::sync::Arc;

use babillard::control::Control;
use publish::admin::auth::secret::new_api_token;
use serde_json::{json, Value};

use crate::harness::{
    babillard, client, get_json, test_policy, FixtureServer, Resource, World, AGGREGATOR, TAXONOMY,
};

const RANGE: &str = "from=2026-11-01&to=2027-06-01&limit=1000";

/// A world served with the console's sources administration, and an admin
/// and an editor token.
struct Console {
    world: World,
    api: String,
    admin: String,
    editor: String,
}

impl Console {
    async fn new(sources: &str) -> Console {
        Console::from_world(World::new(sources)).await
    }

    async fn from_world(world: World) -> Console {
        let token = |name: &str, role: &str| {
            let t = new_api_token().unwrap();
            assert!(world.index.create_token(name, role, &[], &t.hash).unwrap());
            t.secret
        };
        let admin = token("console-admin", "admin");
        let editor = token("console-editor", "editor");
        let mut state = world.state();
        let control = Control::new(Arc::clone(&world.pipeline));
        control.publish_to(state.live_config.clone());
        state.source_admin = Some(control);
        let app = publish::router(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // With the peer's address, as the binary serves (the login's
            // rate limit reads it).
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        Console {
            world,
            api: format!("http://{addr}"),
            admin,
            editor,
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client().request(method, format!("{}{path}", self.api));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        (status, json)
    }

    async fn as_editor(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, Some(&self.editor), body).await
    }

    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("PATCH", path, Some(&self.admin), Some(body))
            .await
    }

    async fn preview(&self, url: impl Into<String>) -> (u16, Value) {
        let body = json!({ "url": url.into() });
        self.post("/api/v1/admin/sources/preview", body).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, Some(&self.admin), Some(body)).await
    }

    fn sources_toml(&self) -> String {
        std::fs::read_to_string(self.world.dir.path().join("sources.toml")).unwrap()
    }

    async fn events(&self, query: &str) -> Vec<Value> {
        let (status, page) = get_json(&format!("{}/api/v1/events?{RANGE}{query}", self.api)).await;
        assert_eq!(status, 200, "{page}");
        page["events"].as_array().unwrap().clone()
    }
}

fn titles(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["title"].as_str()).collect()
}

/// The events of an iCalendar text: (SUMMARY, DTSTART line) of each VEVENT,
/// lines unfolded.
fn vevents(ics: &str) -> Vec<(String, String)> {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    let mut out = Vec::new();
    let (mut summary, mut start, mut inside) = (String::new(), String::new(), false);
    for line in unfolded.split("\r\n") {
        match line {
            "BEGIN:VEVENT" => {
                inside = true;
                summary.clear();
                start.clear();
            }
            "END:VEVENT" => {
                inside = false;
                out.push((summary.clone(), start.clone()));
            }
            l if inside && l.starts_with("SUMMARY") => {
                summary = l
                    .split_once(':')
                    .map(|(_, v)| v.replace("\\,", ","))
                    .unwrap_or_default()
            }
            l if inside && l.starts_with("DTSTART") => start = l.to_string(),
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_reads_an_ics_a_feed_and_a_page_with_json_ld_and_stores_nothing() {
    let server = FixtureServer::start().await;
    server.put_fixture("cal.ics", "ics/google_calendar_export.ics", "text/calendar");
    server.put_fixture("feed.xml", "feed/rss10_rdf_xcal.rdf", "application/rdf+xml");
    server.put_fixture(
        "agenda.html",
        "html/wix_page_jsonld_array.html",
        "text/html; charset=utf-8",
    );
    server.put_fixture("broken.ics", "ics/broken_partial.ics", "text/calendar");
    let console = Console::new("").await;

    for (path, kind, title) in [
        ("cal.ics", "ics", "Heure du conte en pyjama"),
        ("feed.xml", "feed", "Mon oncle Antoine (Claude Jutra, 1971)"),
        ("agenda.html", "html", "Nuit électro-acoustique"),
    ] {
        let (status, preview) = console.preview(server.url(path)).await;
        assert_eq!(status, 200, "{path}: {preview}");
        assert_eq!(preview["kind"], kind, "{path}: {preview}");
        let events = preview["events"].as_array().unwrap();
        assert!(
            !events.is_empty() && events.len() <= 50,
            "{path}: {preview}"
        );
        assert!(
            titles(events).contains(&title),
            "{path}: {:?}",
            titles(events)
        );
        // Public events, as the API shows them.
        assert!(events
            .iter()
            .all(|e| e["id"].is_string() && e["start"].is_string()));
    }

    // What could not be read is said in French, the rest is there.
    let (status, preview) = console.preview(server.url("broken.ics")).await;
    assert_eq!(status, 200, "{preview}");
    assert!(
        !preview["events"].as_array().unwrap().is_empty(),
        "{preview}"
    );
    let warnings = preview["warnings"].to_string();
    assert!(warnings.contains("pas pu être lu"), "{warnings}");

    // Nothing stored: no event, no source.
    assert!(console.events("").await.is_empty());
    let ids: Vec<String> = console
        .world
        .index
        .sources()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec!["saisie"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_of_a_page_with_nothing_says_what_to_do_in_french() {
    let server = FixtureServer::start().await;
    server.put(
        "plain",
        Resource::ok(
            b"<!DOCTYPE html><html lang=\"fr\"><head><title>Le centre</title></head>\
              <body><h1>Bienvenue au centre</h1><p>Nos activit\xc3\xa9s.</p></body></html>"
                .to_vec(),
            "text/html; charset=utf-8",
        ),
    );
    server.put(
        "with-feed",
        Resource::ok(
            b"<!DOCTYPE html><html lang=\"fr\"><head><title>Le centre</title>\
              <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Agenda\" href=\"/agenda/feed/\">\
              </head><body><h1>Bienvenue</h1></body></html>"
                .to_vec(),
            "text/html; charset=utf-8",
        ),
    );
    let console = Console::new("").await;

    let (status, preview) = console.preview(server.url("plain")).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["kind"], "html");
    assert_eq!(preview["events"], json!([]));
    let warnings = preview["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{preview}");
    let w = warnings[0].as_str().unwrap();
    assert!(
        w.starts_with("Aucun événement reconnu à cette adresse"),
        "{w}"
    );
    assert!(w.contains("sélecteurs"), "{w}");

    let (status, preview) = console.preview(server.url("with-feed")).await;
    assert_eq!(status, 200, "{preview}");
    let w = preview["warnings"][0].as_str().unwrap();
    assert_eq!(
        w,
        format!(
            "Aucun événement reconnu sur cette page\u{a0}: indiquez des sélecteurs, ou utilisez le flux annoncé par la page ({}).",
            server.url("agenda/feed/")
        )
    );

    // A file path is no address to preview.
    let (status, answer) = console.preview("/etc/passwd").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "url");
    // A bad body names its field.
    let (status, answer) = console
        .post("/api/v1/admin/sources/preview", json!({"adresse": "x"}))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "url", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_keeps_the_private_network_guard() {
    let server = FixtureServer::start().await;
    server.put_fixture("cal.ics", "ics/google_calendar_export.ics", "text/calendar");
    let world = World::with_policy(
        "",
        ingest::fetch::FetchPolicy {
            allow_private_networks: false,
            ..test_policy()
        },
    );
    let console = Console::from_world(world).await;
    let (status, answer) = console.preview(server.url("cal.ics")).await;
    assert_eq!(status, 502, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("réseau privé"),
        "{answer}"
    );
    assert_eq!(server.hits("cal.ics"), 0);
}

const COMMENTED: &str = "# Les membres du conseil.\n# Ce commentaire reste.\n\n[[source]]\nid = \"premier\"   # le premier membre\nurl = \"premier.ics\"\n\n# Un commentaire entre les membres et le reste.\n";

/// A world whose sources.toml is the harness's with comments and one local
/// source, as a person wrote it.
fn commented_world() -> World {
    let text = format!("{AGGREGATOR}\n{COMMENTED}\n{TAXONOMY}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("premier.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let path = dir.path().join("sources.toml");
    std::fs::write(&path, &text).unwrap();
    let config = Arc::new(babillard::config::Config::load(&path).unwrap());
    let index = Arc::new(index::Index::open(&dir.path().join("data")).unwrap());
    index.sync_sources(&config.source_infos()).unwrap();
    let pipeline = babillard::pipeline::Pipeline::with_policy(
        Arc::clone(&config),
        Arc::clone(&index),
        test_policy(),
    )
    .unwrap()
    .at(crate::harness::fixture_now());
    World {
        dir,
        config,
        index,
        pipeline: Arc::new(pipeline),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_added_through_the_api_is_written_checked_and_published_at_once() {
    let server = FixtureServer::start().await;
    server.put_fixture("cal.ics", "ics/google_calendar_export.ics", "text/calendar");
    let console = Console::from_world(commented_world()).await;
    let before = console.sources_toml();

    // An editor may not add a member.
    let body = json!({"id": "bibliotheques", "name": "Bibliothèques de Laval",
                      "url": server.url("cal.ics"), "lang": "fr", "priority": 5,
                      "venue": "maison-des-arts", "categories": ["musique"]});
    let (status, answer) = console
        .as_editor("POST", "/api/v1/admin/sources", Some(body.clone()))
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = console
        .send("POST", "/api/v1/admin/sources", None, Some(body.clone()))
        .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(console.sources_toml(), before);

    let (status, answer) = console.post("/api/v1/admin/sources", body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["source"]["status"], "ok", "{answer}");
    assert_eq!(answer["source"]["name"], "Bibliothèques de Laval");

    // Every comment kept, the new table after the last source.
    let after = console.sources_toml();
    let cut = before.find("# Un commentaire entre").unwrap();
    assert!(after.starts_with(&before[..cut]), "{after}");
    assert!(after.ends_with(&before[cut..]), "{after}");
    assert!(
        after[cut..]
            .starts_with("[[source]]\nid = \"bibliotheques\"\nname = \"Bibliothèques de Laval\"\n"),
        "{after}"
    );

    // The real `check` accepts the file.
    let path = console.world.dir.path().join("sources.toml");
    let (code, out, err) = babillard(
        console.world.dir.path(),
        &["check", "--offline", "--config", path.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: 2 sources"), "{out}");

    // Its events are published at once.
    let events = console.events("&source=bibliotheques").await;
    assert!(
        titles(&events).contains(&"Heure du conte en pyjama"),
        "{events:?}"
    );
    assert_eq!(server.hits("cal.ics"), 1);

    // Audited: who, what, the table written.
    let audit = console.world.index.audit(10, None).unwrap();
    let entry = &audit.entries[0];
    assert_eq!(
        (
            entry.who.as_str(),
            entry.action.as_str(),
            entry.target.as_str()
        ),
        ("console-admin", "source.add", "bibliotheques")
    );
    assert_eq!(entry.before, None);
    assert_eq!(entry.after.as_ref().unwrap()["url"], server.url("cal.ics"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_check_would_refuse_is_refused_with_its_message_and_the_file_stays() {
    let server = FixtureServer::start().await;
    server.put_fixture("cal.ics", "ics/google_calendar_export.ics", "text/calendar");
    let console = Console::from_world(commented_world()).await;
    let before = console.sources_toml();
    let path = console
        .world
        .dir
        .path()
        .join("sources.toml")
        .display()
        .to_string();

    let (status, answer) = console
        .post(
            "/api/v1/admin/sources",
            json!({"id": "autre", "url": server.url("cal.ics"), "schedule": "61 * * * *"}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "schedule", "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("{path}:"))
            && error.contains("invalid cron expression \"61 * * * *\""),
        "{answer}"
    );

    let (status, answer) = console
        .post(
            "/api/v1/admin/sources",
            json!({"id": "premier", "url": server.url("cal.ics")}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "id", "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("duplicate source id \"premier\""),
        "{answer}"
    );
    // The same message as `check` gives for such a file.
    let text = format!(
        "{before}\n[[source]]\nid = \"premier\"\nurl = \"{}\"\n",
        server.url("cal.ics")
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("premier.ics"), "").unwrap();
    std::fs::write(dir.path().join("sources.toml"), text).unwrap();
    let (code, _, err) = babillard(dir.path(), &["check", "--offline"]);
    assert_eq!(code, 2);
    assert!(err.contains("duplicate source id \"premier\""), "{err}");

    // The reserved id of the events entered by hand.
    let (status, answer) = console
        .post(
            "/api/v1/admin/sources",
            json!({"id": "saisie", "url": server.url("cal.ics")}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "id");

    assert_eq!(console.sources_toml(), before);
    assert_eq!(server.hits("cal.ics"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_is_paused_resumed_run_and_rescheduled() {
    let server = FixtureServer::start().await;
    server.put_fixture("cal.ics", "ics/google_calendar_export.ics", "text/calendar");
    let console = Console::new(&format!(
        "[[source]]\nid = \"biblio\"\nurl = \"{}\"\n",
        server.url("cal.ics")
    ))
    .await;
    console.world.ingest().await;
    assert_eq!(server.hits("cal.ics"), 1);

    // An editor may run a source now, not pause it.
    let (status, answer) = console
        .as_editor("POST", "/api/v1/admin/sources/biblio/run", None)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["source"]["status"], "ok", "{answer}");
    assert_eq!(server.hits("cal.ics"), 2);
    let (status, _) = console
        .as_editor("POST", "/api/v1/admin/sources/biblio/pause", None)
        .await;
    assert_eq!(status, 403);

    let (status, answer) = console
        .post("/api/v1/admin/sources/biblio/pause", json!({}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(console.sources_toml().contains("enabled = false"));
    assert!(!console.world.pipeline.config().sources[0].enabled);
    // A paused member is not read by a full pass.
    console.world.ingest().await;
    assert_eq!(server.hits("cal.ics"), 2);
    // The console says so, and offers to resume it, not to pause it.
    let screen = client()
        .get(format!("{}/admin/sources", console.api))
        .bearer_auth(&console.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(screen.contains("En pause"), "{screen}");
    assert!(screen.contains("action=\"/admin/sources/biblio/resume\""));
    assert!(!screen.contains("action=\"/admin/sources/biblio/pause\""));
    // A new schedule from the console's form, written into the file; a
    // schedule `check` refuses is refused with its message.
    let form = |schedule: &str| {
        client()
            .post(format!("{}/admin/sources/biblio/schedule", console.api))
            .bearer_auth(&console.admin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "schedule={}",
                schedule
                    .replace(' ', "+")
                    .replace('/', "%2F")
                    .replace('*', "%2A")
            ))
            .send()
    };
    let r = form("15 */2 * * *").await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "redirected to the screen");
    assert!(r.text().await.unwrap().contains("Horaire changé"));
    assert!(
        console
            .sources_toml()
            .contains("schedule = \"15 */2 * * *\""),
        "{}",
        console.sources_toml()
    );
    let r = form("toutes les heures").await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        console
            .sources_toml()
            .contains("schedule = \"15 */2 * * *\""),
        "the file is left as it was"
    );

    // Resumed: written, and read at once.
    let (status, answer) = console
        .post("/api/v1/admin/sources/biblio/resume", json!({}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(console.sources_toml().contains("enabled = true"));
    assert_eq!(server.hits("cal.ics"), 3);

    // A new schedule.
    let (status, answer) = console
        .patch(
            "/api/v1/admin/sources/biblio",
            json!({"schedule": "15 6 * * *"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(console.sources_toml().contains("schedule = \"15 6 * * *\""));
    assert_eq!(
        console.world.pipeline.config().sources[0]
            .schedule
            .as_deref(),
        Some("15 6 * * *")
    );
    let (status, answer) = console
        .patch("/api/v1/admin/sources/biblio", json!({"schedule": "never"}))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "schedule");

    let (status, _) = console
        .post("/api/v1/admin/sources/nope/pause", json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = console
        .post("/api/v1/admin/sources/nope/run", json!({}))
        .await;
    assert_eq!(status, 404);
}

fn weekly_workshop() -> Value {
    json!({
        "title": {"fr": "Atelier de tricot", "en": "Knitting workshop"},
        "description": {"fr": "Apportez vos aiguilles.", "en": "Bring your needles."},
        "start": "2026-12-03T19:00",
        "end": "2026-12-03T21:00",
        "recurrence": {"freq": "weekly", "count": 4},
        "venue": "maison-des-arts",
        "categories": ["musique"],
        "url": "https://tricot.example.org/"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_entered_by_hand_reaches_the_feed_and_the_english_api() {
    let console = Console::new("").await;

    // Anyone signed in may enter one; nobody else.
    let (status, _) = console
        .send(
            "POST",
            "/api/v1/admin/manual-events",
            None,
            Some(weekly_workshop()),
        )
        .await;
    assert_eq!(status, 401);
    let (status, answer) = console
        .as_editor(
            "POST",
            "/api/v1/admin/manual-events",
            Some(weekly_workshop()),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["id"].as_str().unwrap().to_string();

    // Listed for the console with the form it was entered with.
    let (status, list) = console
        .as_editor("GET", "/api/v1/admin/manual-events", None)
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["events"][0]["id"], id.as_str());
    assert_eq!(list["events"][0]["created_by"], "console-editor");
    let mut expected = weekly_workshop();
    expected["all_day"] = json!(false);
    expected["image"] = Value::Null;
    expected["status"] = Value::Null;
    expected["recurrence"]["until"] = Value::Null;
    assert_eq!(list["events"][0]["event"], expected);
    let (status, one) = console
        .as_editor("GET", &format!("/api/v1/admin/manual-events/{id}"), None)
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one, list["events"][0]);
    let (status, _) = console
        .send("GET", "/api/v1/admin/manual-events", None, None)
        .await;
    assert_eq!(status, 401);

    let events = console.events("").await;
    assert_eq!(titles(&events), vec!["Atelier de tricot"; 4], "{events:?}");
    assert_eq!(events[0]["start"], "2026-12-03T19:00:00-05:00");
    assert_eq!(events[3]["start"], "2026-12-24T19:00:00-05:00");
    assert_eq!(events[0]["venue"]["id"], "maison-des-arts");
    assert_eq!(events[0]["sources"][0]["source"], "saisie");
    assert_eq!(events[0]["categories"], json!(["musique"]));

    let english = console.events("&lang=en").await;
    assert_eq!(titles(&english), vec!["Knitting workshop"; 4]);
    // The built-in source on /sources, named in the page's language.
    for (lang, name) in [("fr", "Saisie manuelle"), ("en", "Entered by hand")] {
        let page = client()
            .get(format!("{}/sources?lang={lang}", console.api))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("<th scope=\"row\">{name}<br>")),
            "{page}"
        );
    }
    assert_eq!(english[0]["description"], "Bring your needles.");

    let ics = client()
        .get(format!("{}/feeds/events.ics?{RANGE}", console.api))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let found: Vec<(String, String)> = vevents(&ics)
        .into_iter()
        .filter(|(s, _)| s == "Atelier de tricot")
        .collect();
    assert_eq!(found.len(), 4, "{ics}");
    assert_eq!(
        found[0].1, "DTSTART;TZID=America/Toronto:20261203T190000",
        "{ics}"
    );

    // Changed: the same events, a new title.
    let mut changed = weekly_workshop();
    changed["title"]["fr"] = json!("Atelier de tricot (complet)");
    let (status, answer) = console
        .as_editor(
            "PUT",
            &format!("/api/v1/admin/manual-events/{id}"),
            Some(changed),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let again = console.events("").await;
    assert_eq!(titles(&again), vec!["Atelier de tricot (complet)"; 4]);
    assert_eq!(
        again.iter().map(|e| &e["id"]).collect::<Vec<_>>(),
        events.iter().map(|e| &e["id"]).collect::<Vec<_>>()
    );

    // A bad date names its field; an unknown venue too.
    let mut bad = weekly_workshop();
    bad["start"] = json!("3 décembre");
    let (status, answer) = console.post("/api/v1/admin/manual-events", bad).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "start");
    let mut bad = weekly_workshop();
    bad["venue"] = json!("nulle-part");
    let (status, answer) = console.post("/api/v1/admin/manual-events", bad).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["field"], "venue");

    // Deleted: gone.
    let (status, _) = console
        .as_editor("DELETE", &format!("/api/v1/admin/manual-events/{id}"), None)
        .await;
    assert_eq!(status, 204);
    assert!(console.events("").await.is_empty());
    let actions: Vec<(String, String)> = console
        .world
        .index
        .audit(10, None)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| (e.who, e.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("console-editor", "manual_event.delete"),
            ("console-editor", "manual_event.update"),
            ("console-editor", "manual_event.add"),
        ]
        .map(|(w, a)| (w.to_string(), a.to_string()))
    );
    let (status, _) = console
        .as_editor("DELETE", &format!("/api/v1/admin/manual-events/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_entered_by_hand_merges_with_a_members_listing_of_the_same_show() {
    let server = FixtureServer::start().await;
    server.put(
        "mda.ics",
        Resource::ok(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//MDA//FR\r\n\
BEGIN:VEVENT\r\nUID:belles-soeurs-2026-12-05@mda.example\r\nDTSTAMP:20261020T120000Z\r\n\
DTSTART;TZID=America/Toronto:20261205T200000\r\nDTEND;TZID=America/Toronto:20261205T221500\r\n\
SUMMARY:Les Belles-sœurs\r\nDESCRIPTION:La pièce de Michel Tremblay.\r\n\
LOCATION:Maison des arts de Laval\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .as_bytes()
                .to_vec(),
            "text/calendar",
        ),
    );
    let console = Console::new(&format!(
        "[[source]]\nid = \"mda\"\nurl = \"{}\"\nlang = \"fr\"\n",
        server.url("mda.ics")
    ))
    .await;
    console.world.ingest().await;
    assert_eq!(console.events("").await.len(), 1);

    let (status, answer) = console
        .post(
            "/api/v1/admin/manual-events",
            json!({"title": {"fr": "Les Belles-sœurs", "en": "The Sisters-in-Law"},
                   "start": "2026-12-05T20:00", "end": "2026-12-05T22:15",
                   "venue": "maison-des-arts"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let events = console.events("").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let mut sources: Vec<&str> = events[0]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    sources.sort();
    assert_eq!(sources, vec!["mda", "saisie"]);
    let english = console.events("&lang=en").await;
    assert_eq!(titles(&english), vec!["The Sisters-in-Law"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_sources_administration_the_routes_answer_503() {
    let world = World::new("");
    let t = new_api_token().unwrap();
    world
        .index
        .create_token("t", "admin", &[], &t.hash)
        .unwrap();
    let api = world.serve().await;
    let r = client()
        .post(format!("{api}/api/v1/admin/sources/preview"))
        .bearer_auth(&t.secret)
        .header("content-type", "application/json")
        .body(json!({"url": "https://example.org/"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_word_is_mapped_to_a_category_in_the_file() {
    let console = Console::from_world(commented_world()).await;
    let (status, answer) = console
        .post(
            "/api/v1/admin/categories/map",
            json!({"word": "Spectacle musical", "slug": "musique"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        console.sources_toml().contains(
            "matches = [\"music\", \"concert\", \"chanson\", \"musique\", \"Spectacle musical\"]"
        ),
        "{}",
        console.sources_toml()
    );
    let (status, _) = console
        .post(
            "/api/v1/admin/categories/map",
            json!({"word": "x", "slug": "nope"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = console
        .as_editor(
            "POST",
            "/api/v1/admin/categories/map",
            Some(json!({"word": "x", "slug": "musique"})),
        )
        .await;
    assert_eq!(status, 403);

    // Undone from the audit trail: the category has its words back.
    let (_, audit) = console
        .send("GET", "/api/v1/admin/audit", Some(&console.admin), None)
        .await;
    let entry = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "category.map")
        .cloned()
        .expect("the mapping is audited");
    assert_eq!(entry["undoable"], true);
    let (status, answer) = console
        .post(
            &format!("/api/v1/admin/audit/{}/undo", entry["id"]),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        console
            .sources_toml()
            .contains("matches = [\"music\", \"concert\", \"chanson\", \"musique\"]"),
        "{}",
        console.sources_toml()
    );
}

/// `GET path` on 127.0.0.1:port, the body (empty when nothing answers).
fn get_local(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes());
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body
}

/// The real binary serving (`run` or `serve`) in `dir` on a free port.
fn spawn_babillard(
    dir: &std::path::Path,
    command: &str,
    stderr: std::process::Stdio,
) -> (std::process::Child, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir)
        .args([command, "--addr", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "error")
        .stderr(stderr)
        .spawn()
        .unwrap();
    (child, port)
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    for _ in 0..150 {
        if ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("{what}: not within 15 s");
}

/// SIGHUP takes an edited sources.toml at once (a new source is read);
/// a file `check` refuses is logged with its message and the running
/// configuration stays.
#[test]
fn sighup_takes_the_file_or_keeps_the_running_configuration() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    for name in ["apple_calendar_export", "google_calendar_export"] {
        std::fs::copy(
            crate::harness::fixture(&format!("ics/{name}.ics")),
            dir.path().join(format!("{name}.ics")),
        )
        .unwrap();
    }
    let first =
        format!("{AGGREGATOR}\n[[source]]\nid = \"apple\"\nurl = \"apple_calendar_export.ics\"\n");
    let path = dir.path().join("sources.toml");
    std::fs::write(&path, &first).unwrap();
    let (mut child, port) = spawn_babillard(dir.path(), "run", Stdio::piped());
    let hup = |pid: u32| {
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    wait_until("the first pass", || {
        get_local(port, "/api/v1/sources").contains("\"status\":\"ok\"")
    });

    let second =
        format!("{first}\n[[source]]\nid = \"google\"\nurl = \"google_calendar_export.ics\"\n");
    std::fs::write(&path, &second).unwrap();
    hup(child.id());
    wait_until("the new source read", || {
        get_local(port, "/api/v1/events?source=google&from=2026-11-01")
            .contains("Heure du conte en pyjama")
    });

    std::fs::write(
        &path,
        second.replace(
            "id = \"google\"",
            "id = \"google\"\nschedule = \"61 * * * *\"",
        ),
    )
    .unwrap();
    hup(child.id());
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    assert!(get_local(port, "/api/v1/sources").contains("\"id\":\"google\""));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sources.toml:")
            && stderr.contains("invalid cron expression \"61 * * * *\""),
        "{stderr}"
    );
}

/// An edit of sources.toml on disk, with no signal, is taken within a few
/// seconds (a new source is read); a file `check` refuses is logged once
/// and the running configuration stays.
#[test]
fn a_change_of_the_file_on_disk_is_taken_without_a_signal() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    for name in ["apple_calendar_export", "google_calendar_export"] {
        std::fs::copy(
            crate::harness::fixture(&format!("ics/{name}.ics")),
            dir.path().join(format!("{name}.ics")),
        )
        .unwrap();
    }
    let first =
        format!("{AGGREGATOR}\n[[source]]\nid = \"apple\"\nurl = \"apple_calendar_export.ics\"\n");
    let path = dir.path().join("sources.toml");
    std::fs::write(&path, &first).unwrap();
    let (child, port) = spawn_babillard(dir.path(), "run", Stdio::piped());
    // Killed if an assertion fails before the end, so the test ends.
    struct Running(Option<std::process::Child>);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(c) = self.0.as_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    let mut running = Running(Some(child));
    wait_until("the first pass", || {
        get_local(port, "/api/v1/sources").contains("\"status\":\"ok\"")
    });
    let second =
        format!("{first}\n[[source]]\nid = \"google\"\nurl = \"google_calendar_export.ics\"\n");
    std::fs::write(&path, &second).unwrap();
    wait_until("the new source read", || {
        get_local(port, "/api/v1/events?source=google&from=2026-11-01")
            .contains("Heure du conte en pyjama")
    });
    std::fs::write(
        &path,
        second.replace(
            "id = \"google\"",
            "id = \"google\"\nschedule = \"61 * * * *\"",
        ),
    )
    .unwrap();
    // Two looks of the watcher, and then some.
    std::thread::sleep(std::time::Duration::from_millis(5000));
    assert!(get_local(port, "/api/v1/sources").contains("\"id\":\"google\""));
    let child = running.0.take().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr
            .matches("invalid cron expression \"61 * * * *\"")
            .count(),
        1,
        "{stderr}"
    );
}

/// Paused from the console, a source's scheduled task stops; resumed, it
/// is read at once and scheduled again; a new schedule restarts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_follows_what_the_console_writes() {
    use publish::admin::sources::SourceAdmin;
    use std::time::Duration;

    let server = FixtureServer::start().await;
    let ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261205T010000Z\r\nSUMMARY:X\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    server.put("fast.ics", Resource::ok(ics.to_vec(), "text/calendar"));
    let world = World::new(&format!(
        "[[source]]\nid = \"fast\"\nkind = \"ics\"\nurl = \"{}\"\nschedule = \"* * * * * *\"\n",
        server.url("fast.ics")
    ));
    let next_runs = publish::NextRuns::default();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let scheduler =
        babillard::scheduler::Scheduler::start(Arc::clone(&world.pipeline), next_runs.clone(), rx);
    let control = Control::new(Arc::clone(&world.pipeline));
    control.set_scheduler(Arc::clone(&scheduler));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(server.hits("fast.ics") >= 1);
    assert!(next_runs.read().unwrap().contains_key("saisie"));

    control.pause("test", "fast").await.unwrap();
    // A run under way may finish; then nothing more.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let paused = server.hits("fast.ics");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        server.hits("fast.ics"),
        paused,
        "a paused source is not run"
    );
    assert!(!next_runs.read().unwrap().contains_key("fast"));

    control.resume("test", "fast").await.unwrap();
    // Read at once (the schedule may already have run it again).
    assert!(server.hits("fast.ics") > paused, "resumed: read at once");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(server.hits("fast.ics") > paused + 1, "and scheduled again");

    control
        .update(
            "test",
            "fast",
            [("schedule".to_string(), json!("0 0 1 1 *"))]
                .into_iter()
                .collect(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let yearly = server.hits("fast.ics");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        server.hits("fast.ics"),
        yearly,
        "the new schedule is in force"
    );
    let next = next_runs.read().unwrap()["fast"];
    assert_eq!(next.format("%m-%d").to_string(), "01-01", "{next}");

    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), scheduler.wait_for_shutdown())
        .await
        .expect("the scheduler stops");
    assert!(next_runs.read().unwrap().is_empty());
}

/// Signed in with a session cookie, a write needs the session's CSRF token
/// in `X-CSRF-Token`: without it or with a wrong one, 401 and nothing
/// written; with it, the write happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_writes_only_with_its_csrf_token() {
    let console = Console::from_world(commented_world()).await;
    let password = "une phrase de passe assez longue";
    let hash = publish::admin::auth::secret::hash_password(password).unwrap();
    assert!(console
        .world
        .index
        .create_account("admin@example.org", "admin", &[], &hash)
        .unwrap());
    let r = client()
        .post(format!("{}/api/v1/admin/login", console.api))
        .header("content-type", "application/json")
        .body(json!({"email": "admin@example.org", "password": password}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("babillard_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_string();
    let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let before = console.sources_toml();

    let map = json!({"word": "Spectacle musical", "slug": "musique"}).to_string();
    let write = |token: Option<String>| {
        let mut req = client()
            .post(format!("{}/api/v1/admin/categories/map", console.api))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(map.clone());
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        req.send()
    };
    assert_eq!(write(None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        write(Some(format!("{csrf}x")))
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(console.sources_toml(), before);
    assert_eq!(
        write(Some(csrf.clone())).await.unwrap().status().as_u16(),
        200
    );
    assert!(console.sources_toml().contains("\"Spectacle musical\""));
    let audit = console.world.index.audit(1, None).unwrap();
    assert_eq!(audit.entries[0].who, "admin@example.org");
    assert_eq!(audit.entries[0].action, "category.map");
}

/// `POST path` with a Bearer token on 127.0.0.1:port: (status, body).
fn post_local(port: u16, path: &str, token: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Under `serve` nothing runs on a schedule, but "run now" reads the
/// source at once (the real binary).
#[test]
fn serve_runs_a_source_when_a_person_asks() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        crate::harness::fixture("ics/google_calendar_export.ics"),
        dir.path().join("agenda.ics"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sources.toml"),
        format!("{AGGREGATOR}\n[[source]]\nid = \"biblio\"\nurl = \"agenda.ics\"\n"),
    )
    .unwrap();
    let token = new_api_token().unwrap();
    {
        let index = index::Index::open(&dir.path().join("data")).unwrap();
        assert!(index.create_token("t", "editor", &[], &token.hash).unwrap());
    }
    let (mut child, port) = spawn_babillard(dir.path(), "serve", std::process::Stdio::inherit());
    wait_until("serve answers", || {
        get_local(port, "/api/v1/sources").contains("\"id\":\"biblio\"")
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !get_local(port, "/api/v1/events?source=biblio&from=2026-11-01")
            .contains("Heure du conte en pyjama"),
        "serve reads nothing by itself"
    );
    let (status, body) = post_local(port, "/api/v1/admin/sources/biblio/run", &token.secret);
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["source"]["status"], "ok", "{answer}");
    assert!(
        get_local(port, "/api/v1/events?source=biblio&from=2026-11-01")
            .contains("Heure du conte en pyjama")
    );
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}
