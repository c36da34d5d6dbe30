//! Curation through the JSON API, end to end: two member calendars served
//! on 127.0.0.1 and ingested by the real pipeline into a real store, the
//! real router on 127.0.0.1, staff signed in by session (with its CSRF
//! token) or by API token. A lock, a hide, a merge and a split each hold
//! through two later ingests whose sources changed, are seen by the public
//! API and the ICS feed, are audited, and are undone from the audit.

use std::net::SocketAddr;

use publish::admin::auth::secret;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{client, FixtureServer, Resource, World};

const PASSWORD: &str = "une phrase de passe assez longue";

/// One VEVENT: uid, title, local start (Toronto), description.
struct Ev<'a>(&'a str, &'a str, &'a str, &'a str);

fn ics(events: &[Ev<'_>]) -> Vec<u8> {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//curation//FR\r\n");
    for Ev(uid, title, start, description) in events {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{title}\r\n\
             DTSTART;TZID=America/Toronto:{start}\r\nDURATION:PT2H\r\n\
             LOCATION:Maison des arts de Laval\r\nDESCRIPTION:{description}\r\nEND:VEVENT\r\n"
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s.into_bytes()
}

struct Bench {
    server: FixtureServer,
    world: World,
    base: String,
    /// `Bearer ...` of an editor token named "robot".
    token: String,
}

impl Bench {
    /// The theatre and the city both list the Christmas concert (the
    /// dedup merges them); the theatre a play; the city a recital at
    /// another hour (the dedup keeps it apart).
    async fn start() -> Bench {
        let server = FixtureServer::start().await;
        let bench_sources = format!(
            "[[source]]\nid = \"theatre\"\nurl = \"{}\"\npriority = 10\n\n\
             [[source]]\nid = \"ville\"\nurl = \"{}\"\n",
            server.url("theatre.ics"),
            server.url("ville.ics")
        );
        let world = World::new(&bench_sources);
        let b = Bench {
            server,
            world,
            base: String::new(),
            token: String::new(),
        };
        b.publish(1, "20270108T200000", "20270108T200000");
        b.world.ingest().await;
        let hash = secret::hash_password(PASSWORD).unwrap();
        assert!(b
            .world
            .index
            .create_account("admin@example.org", "admin", &[], &hash)
            .unwrap());
        let token = secret::new_api_token().unwrap();
        assert!(b
            .world
            .index
            .create_token("robot", "editor", &[], &secret::token_hash(&token.secret))
            .unwrap());
        let app = publish::router(b.world.state());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Bench {
            base: format!("http://{addr}"),
            token: format!("Bearer {}", token.secret),
            ..b
        }
    }

    /// Version `n` of both calendars: the concert at `concert` (local),
    /// the recital at `recital`; descriptions and the play's title change
    /// with `n`.
    fn publish(&self, n: u32, concert: &str, recital: &str) {
        let theatre = ics(&[
            Ev(
                "noel@theatre",
                "Concert de Noël",
                concert,
                &format!("Version {n}"),
            ),
            Ev(
                "bs@theatre",
                &format!("Les Belles-sœurs (reprise {n})"),
                "20270109T200000",
                "Théâtre",
            ),
        ]);
        let ville = ics(&[
            Ev(
                "n1@ville",
                "Concert de Noël",
                concert,
                &format!("Billets {n}"),
            ),
            Ev(
                "rec@ville",
                &format!("Chorale des Fêtes : récital {n}"),
                recital,
                "Chant",
            ),
        ]);
        self.server
            .put("theatre.ics", Resource::ok(theatre, "text/calendar"));
        self.server
            .put("ville.ics", Resource::ok(ville, "text/calendar"));
    }

    async fn reingest(&self, n: u32, concert: &str, recital: &str) {
        self.publish(n, concert, recital);
        for r in self.world.ingest().await {
            assert!(
                matches!(r.outcome, babillard::pipeline::Outcome::Updated(_)),
                "{r}"
            );
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = client()
            .request(method, self.url(path))
            .header(AUTHORIZATION, &self.token);
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_string());
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn public(&self, path: &str) -> (StatusCode, Value) {
        let r = client().get(self.url(path)).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn feed(&self) -> String {
        client()
            .get(self.url("/feeds/events.ics?from=2027-01-01"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Public events from January 2027, by the set of their sources.
    async fn events(&self) -> Vec<Value> {
        let (status, page) = self
            .public("/api/v1/events?from=2027-01-01&limit=100")
            .await;
        assert_eq!(status, StatusCode::OK);
        page["events"].as_array().cloned().unwrap_or_default()
    }

    async fn event_with(&self, sources: &[&str]) -> Option<Value> {
        let mut want: Vec<&str> = sources.to_vec();
        want.sort_unstable();
        self.events().await.into_iter().find(|e| {
            let mut have: Vec<&str> = e["sources"]
                .as_array()
                .map(|s| s.iter().filter_map(|r| r["source"].as_str()).collect())
                .unwrap_or_default();
            have.sort_unstable();
            have == want
        })
    }
}

fn id(e: &Value) -> String {
    e["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_curation_route_is_guarded() {
    let b = Bench::start().await;
    let concert = b
        .event_with(&["theatre", "ville"])
        .await
        .expect("merged by the dedup");
    let eid = id(&concert);
    let routes: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/admin/events/{eid}"),
            json!({"title": "x"}),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/events/{eid}/locks/title"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/events/{eid}/hide"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/events/{eid}/unhide"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/admin/merge".to_string(),
            json!({"ids": [eid, "x"]}),
        ),
        (
            Method::POST,
            "/api/v1/admin/split".to_string(),
            json!({"id": eid, "source": "ville"}),
        ),
        (
            Method::POST,
            "/api/v1/admin/audit/1/undo".to_string(),
            Value::Null,
        ),
        (Method::GET, "/api/v1/admin/audit".to_string(), Value::Null),
        (
            Method::GET,
            format!("/api/v1/admin/events/{eid}"),
            Value::Null,
        ),
    ];
    // Anonymous: 401 with JSON, and no CORS header.
    for (method, path, body) in &routes {
        let r = client()
            .request(method.clone(), b.url(path))
            .header(CONTENT_TYPE, "application/json")
            .header("Origin", "https://elsewhere.example")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
        let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert!(v["error"].is_string());
    }
    // A session without, then with a wrong, CSRF token: 401 on every write.
    let r = client()
        .post(b.url("/api/v1/admin/login"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"email": "admin@example.org", "password": PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("babillard_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .expect("a session cookie");
    let csrf = serde_json::from_str::<Value>(&r.text().await.unwrap()).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    for (method, path, body) in routes.iter().filter(|r| r.0 != Method::GET) {
        for token in [None, Some("not-the-token")] {
            let mut req = client()
                .request(method.clone(), b.url(path))
                .header(COOKIE, &cookie)
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
            if let Some(t) = token {
                req = req.header("X-CSRF-Token", t);
            }
            let r = req.send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} csrf {token:?}"
            );
        }
    }
    // With the session's token, a write goes through and names its author.
    let r = client()
        .patch(b.url(&format!("/api/v1/admin/events/{eid}")))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"status": "postponed"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, audit) = b.call(Method::GET, "/api/v1/admin/audit", None).await;
    assert_eq!(audit["entries"][0]["who"], "admin@example.org");
    assert_eq!(audit["entries"][0]["action"], "event.patch");
    // Bad bodies: 400 naming the field; unknown events 404.
    for (path, method, body, field) in [
        (
            format!("/api/v1/admin/events/{eid}"),
            Method::PATCH,
            json!({"start": "samedi"}),
            "start",
        ),
        (
            format!("/api/v1/admin/events/{eid}"),
            Method::PATCH,
            json!({"venue": "nulle-part"}),
            "venue",
        ),
        (
            format!("/api/v1/admin/events/{eid}"),
            Method::PATCH,
            json!(["title"]),
            "body",
        ),
        (
            format!("/api/v1/admin/events/{eid}"),
            Method::PATCH,
            json!({"sequence": 3}),
            "sequence",
        ),
        (
            format!("/api/v1/admin/events/{eid}/hide"),
            Method::POST,
            json!({"series": "oui"}),
            "series",
        ),
        (
            "/api/v1/admin/merge".to_string(),
            Method::POST,
            json!({"ids": "a,b"}),
            "ids",
        ),
        (
            "/api/v1/admin/merge".to_string(),
            Method::POST,
            json!({"ids": [eid]}),
            "ids",
        ),
        (
            "/api/v1/admin/split".to_string(),
            Method::POST,
            json!({"id": eid}),
            "source",
        ),
        (
            "/api/v1/admin/split".to_string(),
            Method::POST,
            json!({"id": eid, "source": "absente"}),
            "source",
        ),
    ] {
        let (status, v) = b.call(method.clone(), &path, Some(body.clone())).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{method} {path} {body}: {v}"
        );
        assert_eq!(v["field"], field, "{body}");
    }
    let (status, _) = b
        .call(
            Method::PATCH,
            "/api/v1/admin/events/nope",
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = b
        .call(Method::GET, "/api/v1/admin/audit?limit=0", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_lock_and_a_hide_hold_through_two_ingests_and_are_undone() {
    let b = Bench::start().await;
    let concert = b.event_with(&["theatre", "ville"]).await.unwrap();
    let play = b.event_with(&["theatre"]).await.unwrap();
    let (cid, pid) = (id(&concert), id(&play));
    let (status, edited) = b
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/events/{cid}"),
            Some(json!({"title": "Concert de Noël des Petits Chanteurs", "venue": "maison-des-arts"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["id"], cid.as_str());
    assert_eq!(edited["venue"]["id"], "maison-des-arts");
    let (status, _) = b
        .call(
            Method::POST,
            &format!("/api/v1/admin/events/{pid}/hide"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for n in [2, 3] {
        b.reingest(n, "20270108T193000", "20270108T213000").await;
        let (_, now) = b.public(&format!("/api/v1/events/{cid}")).await;
        assert_eq!(
            now["title"], "Concert de Noël des Petits Chanteurs",
            "ingest {n}"
        );
        assert_eq!(
            now["start"], "2027-01-08T19:30:00-05:00",
            "unlocked fields follow the sources"
        );
        assert!(now["description"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("Version {n}")));
        let (status, _) = b.public(&format!("/api/v1/events/{pid}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "hidden, ingest {n}");
        let feed = b.feed().await;
        assert!(
            feed.contains("Concert de Noël des Petits Chanteurs"),
            "ingest {n}"
        );
        assert!(
            !feed.contains("Belles-s"),
            "hidden from the feed, ingest {n}"
        );
        assert!(b.events().await.iter().all(|e| e["id"] != pid.as_str()));
    }
    // Its page is gone, and the static export holds neither its page nor
    // its title; the edited title is what the export publishes.
    let r = client()
        .get(b.url(&format!("/events/{pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let out = tempfile::tempdir().unwrap();
    publish::export::export(b.world.state(), out.path(), None)
        .await
        .unwrap();
    let mut exported = String::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                exported.push_str(&text);
            }
        }
    }
    assert!(!out
        .path()
        .join("events")
        .join(format!("{pid}.html"))
        .exists());
    assert!(
        !exported.contains("Belles-s"),
        "the hidden event is not exported"
    );
    assert!(exported.contains("Concert de Noël des Petits Chanteurs"));
    // The console still sees the hidden event, with its records.
    let (status, seen) = b
        .call(Method::GET, &format!("/api/v1/admin/events/{pid}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["hidden"], true);
    assert_eq!(seen["event"]["title"], "Les Belles-sœurs (reprise 3)");
    assert_eq!(seen["records"].as_array().map(Vec::len), Some(1));
    let (_, seen) = b
        .call(Method::GET, &format!("/api/v1/admin/events/{cid}"), None)
        .await;
    assert_eq!(
        seen["locks"]["title"],
        "Concert de Noël des Petits Chanteurs"
    );
    assert_eq!(seen["records"].as_array().map(Vec::len), Some(2));
    // Undo both from the audit trail, newest first.
    let (_, audit) = b
        .call(Method::GET, "/api/v1/admin/audit?limit=1", None)
        .await;
    assert_eq!(audit["entries"][0]["action"], "event.hide");
    assert_eq!(audit["entries"][0]["who"], "robot");
    let hide_entry = audit["entries"][0]["id"].as_i64().unwrap();
    let cursor = audit["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, older) = b
        .call(
            Method::GET,
            &format!("/api/v1/admin/audit?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(older["entries"][0]["action"], "event.patch");
    assert!(older["entries"][0]["before"].is_object() && older["entries"][0]["after"].is_object());
    let patch_entry = older["entries"][0]["id"].as_i64().unwrap();
    for entry in [hide_entry, patch_entry] {
        let (status, v) = b
            .call(
                Method::POST,
                &format!("/api/v1/admin/audit/{entry}/undo"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let (status, again) = b
        .call(
            Method::POST,
            &format!("/api/v1/admin/audit/{hide_entry}/undo"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, back) = b.public(&format!("/api/v1/events/{pid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(back["title"], "Les Belles-sœurs (reprise 3)");
    let (_, back) = b.public(&format!("/api/v1/events/{cid}")).await;
    assert_eq!(back["title"], "Concert de Noël");
}

#[tokio::test]
async fn a_merge_and_a_split_hold_through_two_ingests_with_stable_ids() {
    let b = Bench::start().await;
    let concert = b.event_with(&["theatre", "ville"]).await.unwrap();
    let recital = b.event_with(&["ville"]).await.expect("the recital apart");
    let (cid, rid) = (id(&concert), id(&recital));
    // The recital is the same show as the concert, says a person...
    let (status, merged) = b
        .call(
            Method::POST,
            "/api/v1/admin/merge",
            Some(json!({"ids": [cid, rid]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert!(merged["id"] == cid.as_str() || merged["id"] == rid.as_str());
    let merged_id = id(&merged);
    let uid_line = |feed: &str| feed.lines().filter(|l| l.starts_with("UID:")).count();
    for n in [2, 3] {
        // ...even when the city moves it to the next day.
        b.reingest(n, "20270108T200000", "20270109T140000").await;
        let events = b.events().await;
        let holding: Vec<&Value> = events
            .iter()
            .filter(|e| e["id"] == merged_id.as_str())
            .collect();
        assert_eq!(holding.len(), 1, "ingest {n}");
        assert_eq!(
            holding[0]["sources"].as_array().map(Vec::len),
            Some(3),
            "ingest {n}"
        );
        assert_eq!(
            uid_line(&b.feed().await),
            2,
            "the merged event and the play, ingest {n}"
        );
    }
    // Split the theatre's record out: the rest keeps the id.
    let (status, kept) = b
        .call(
            Method::POST,
            "/api/v1/admin/split",
            Some(json!({"id": merged_id, "source": "theatre"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["id"], merged_id.as_str());
    let alone = b.event_with(&["theatre"]).await;
    let theatre_titles: Vec<String> = b
        .events()
        .await
        .iter()
        .filter(|e| {
            e["sources"].as_array().map(Vec::len) == Some(1)
                && e["sources"][0]["source"] == "theatre"
        })
        .map(|e| e["title"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        theatre_titles.iter().any(|t| t == "Concert de Noël"),
        "{theatre_titles:?} {alone:?}"
    );
    let split_id = b
        .events()
        .await
        .into_iter()
        .find(|e| {
            e["title"] == "Concert de Noël" && e["sources"].as_array().map(Vec::len) == Some(1)
        })
        .map(|e| id(&e))
        .unwrap();
    for n in [4, 5] {
        b.reingest(n, "20270108T200000", "20270109T140000").await;
        let events = b.events().await;
        let rest = events
            .iter()
            .find(|e| e["id"] == merged_id.as_str())
            .expect("the rest keeps its id");
        let mut sources: Vec<&str> = rest["sources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["source"].as_str())
            .collect();
        sources.sort_unstable();
        assert_eq!(sources, vec!["ville", "ville"], "ingest {n}");
        let split = events
            .iter()
            .find(|e| e["id"] == split_id.as_str())
            .expect("the split keeps its id");
        assert_eq!(split["sources"][0]["source"], "theatre");
    }
    // Undo the split: one event again, under the merged id.
    let (_, audit) = b.call(Method::GET, "/api/v1/admin/audit", None).await;
    assert_eq!(audit["entries"][0]["action"], "event.split");
    let entry = audit["entries"][0]["id"].as_i64().unwrap();
    let (status, _) = b
        .call(
            Method::POST,
            &format!("/api/v1/admin/audit/{entry}/undo"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let events = b.events().await;
    let one = events
        .iter()
        .find(|e| e["id"] == merged_id.as_str())
        .unwrap();
    assert_eq!(one["sources"].as_array().map(Vec::len), Some(3));
}
