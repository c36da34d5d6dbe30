//! Editors limited to their calendars, through the real router (its
//! session and security layers) over a real store and search index in a
//! temporary folder: the JSON API with API tokens, the console's pages and
//! forms with a signed-in session; an unscoped editor and an admin as
//! before.
//!
//! The world: source `mda` lists two concerts at the Maison des arts
//! (venue `mda`), source `salle` a reading and a show at the Théâtre des
//! Muses (venue `theatre`). Calendar `mda` is `mda`'s events; calendar
//! `salle` is `salle`'s, and lists the events entered by hand ("saisie")
//! among its sources. This process has no `SourceAdmin` (the binary
//! provides it), so a venue or hand-entered event that passes the check
//! ends in the 503 that says the configuration cannot be written here,
//! which is how these tests tell "allowed" from "refused" (403).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use index::{Index, Scope, ScopePart};
use model::Venue;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{Act, Reach};
use crate::admin::auth::{secret, Role, Staff};
use crate::calendars::{CalendarInfo, Network};
use crate::testdata::{at, names, occurrence, source_run, two_sources};
use crate::{AppState, CategoryInfo, PublishConfig};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    app: Router,
    state: AppState,
    index: Arc<Index>,
    /// Token name → secret.
    tokens: Vec<(&'static str, String)>,
    _dir: tempfile::TempDir,
}

/// How a request is signed.
#[derive(Clone)]
enum Who {
    Nobody,
    Token(String),
    Session { cookie: String, csrf: String },
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn calendar(id: &str, sources: &[&str], lists: &[&str]) -> Arc<CalendarInfo> {
    Arc::new(CalendarInfo {
        id: id.into(),
        name: format!("Agenda {id}"),
        languages: vec!["fr".into(), "en".into()],
        scope: Scope {
            parts: vec![ScopePart {
                sources: sources.iter().map(|s| s.to_string()).collect(),
                territories: Vec::new(),
                categories: None,
            }],
        },
        sources: lists.iter().map(|s| s.to_string()).collect(),
        ..CalendarInfo::default()
    })
}

fn config() -> PublishConfig {
    PublishConfig {
        name: "Signé Laval".into(),
        base_url: "http://127.0.0.1".into(),
        timezone: chrono_tz::America::Toronto,
        languages: vec!["fr".into(), "en".into()],
        categories: vec![CategoryInfo {
            slug: "musique".into(),
            name: names(&[("fr", "Musique"), ("en", "Music")]),
        }],
        venues: vec![
            Venue {
                id: "mda".into(),
                name: "Maison des arts".into(),
                address: None,
                city: Some("Laval".into()),
                lat: Some(45.56),
                lon: Some(-73.71),
                precision: None,
            },
            theatre(),
        ],
        paused: Vec::new(),
        network: Network {
            calendars: vec![
                calendar("mda", &["mda"], &["mda"]),
                calendar("salle", &["salle"], &["salle", "saisie"]),
            ],
            ..Network::default()
        },
        source_kinds: vec!["ics".into()],
    }
}

fn theatre() -> Venue {
    Venue {
        id: "theatre".into(),
        name: "Théâtre des Muses".into(),
        address: None,
        city: Some("Laval".into()),
        lat: Some(45.57),
        lon: Some(-73.75),
        precision: None,
    }
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(Index::open(dir.path()).unwrap());
    two_sources(&index, "Salle des Muses");
    index
        .record_success(source_run(
            "mda",
            vec![
                occurrence(
                    "mda",
                    "noel",
                    "Concert de Noël",
                    at("2030-12-05T20:00:00-05:00"),
                ),
                occurrence(
                    "mda",
                    "belles",
                    "Les Belles-sœurs",
                    at("2030-12-06T19:30:00-05:00"),
                ),
            ],
        ))
        .unwrap();
    let at_theatre = |uid: &str, title: &str, start: &str| {
        let mut o = occurrence("salle", uid, title, at(start));
        o.event.venue = Some(theatre());
        o
    };
    index
        .record_success(source_run(
            "salle",
            vec![
                at_theatre(
                    "tremblay",
                    "Michel Tremblay : lecture",
                    "2030-12-07T19:30:00-05:00",
                ),
                at_theatre("conte", "Le conte d’hiver", "2030-12-08T14:00:00-05:00"),
            ],
        ))
        .unwrap();
    let mut tokens = Vec::new();
    for (name, role, calendars) in [
        ("admin", "admin", vec![]),
        ("editor", "editor", vec![]),
        ("ed-mda", "editor", vec!["mda".to_string()]),
        ("ed-salle", "editor", vec!["salle".to_string()]),
        ("ed-both", "editor", vec!["mda".to_string(), "salle".into()]),
        ("ed-gone", "editor", vec!["disparu".to_string()]),
    ] {
        let token = secret::new_api_token().unwrap();
        assert!(index
            .create_token(name, role, &calendars, &token.hash)
            .unwrap());
        tokens.push((name, token.secret));
    }
    let hash = secret::hash_password(PASSWORD).unwrap();
    index
        .create_account("mda@example.org", "editor", &["mda".to_string()], &hash)
        .unwrap();
    index
        .create_account("editor@example.org", "editor", &[], &hash)
        .unwrap();
    let state = AppState::new(Arc::clone(&index), Arc::new(config()), Default::default());
    World {
        app: crate::router(state.clone()),
        state,
        index,
        tokens,
        _dir: dir,
    }
}

impl World {
    fn token(&self, name: &str) -> Who {
        let secret = self
            .tokens
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone())
            .unwrap();
        Who::Token(secret)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        who: &Who,
        body: Option<(&str, String)>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        match who {
            Who::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Who::Session { cookie, .. } => req = req.header(header::COOKIE, cookie),
            Who::Nobody => {}
        }
        let body = match body {
            Some((kind, text)) => {
                req = req.header(header::CONTENT_TYPE, kind);
                Body::from(text)
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn api(&self, method: &str, path: &str, who: &Who, body: Value) -> Resp {
        let body = (!body.is_null()).then(|| ("application/json", body.to_string()));
        self.call(method, path, who, body).await
    }

    async fn get(&self, path: &str, who: &Who) -> Resp {
        self.call("GET", path, who, None).await
    }

    /// A console form, with the session's CSRF token.
    async fn form(&self, path: &str, who: &Who, fields: &str) -> Resp {
        let csrf = match who {
            Who::Session { csrf, .. } => csrf.clone(),
            Who::Token(_) | Who::Nobody => String::new(),
        };
        let body = format!("csrf={}&{fields}", crate::params::encode_value(&csrf));
        self.call(
            "POST",
            path,
            who,
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    /// Sign in through the console's login form.
    async fn sign_in(&self, email: &str) -> Who {
        let form = format!(
            "email={}&password={}&next=%2Fadmin%2Fevents",
            crate::params::encode_value(email),
            crate::params::encode_value(PASSWORD)
        );
        let r = self
            .call(
                "POST",
                "/admin/login",
                &Who::Nobody,
                Some(("application/x-www-form-urlencoded", form)),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let mut who = Who::Session {
            cookie: cookie.clone(),
            csrf: String::new(),
        };
        let page = self.get("/admin/events", &who).await;
        let marker = "name=\"csrf\" value=\"";
        let i = page.body.find(marker).unwrap() + marker.len();
        let csrf = page.body[i..i + page.body[i..].find('"').unwrap()].to_string();
        who = Who::Session { cookie, csrf };
        who
    }

    /// The id of the event titled `title`, hidden or not.
    fn id_of(&self, title: &str) -> String {
        let mut q = index::Query::from(at("2030-01-01T00:00:00Z").to_utc());
        q.limit = 100;
        let mut events = self.index.query(&q).unwrap().events;
        events.extend(self.index.hidden_events().unwrap());
        events
            .iter()
            .find(|e| e.title == title)
            .map(|e| e.id.clone())
            .unwrap_or_else(|| panic!("no event {title}"))
    }

    fn public_titles(&self) -> Vec<String> {
        let mut q = index::Query::from(at("2030-01-01T00:00:00Z").to_utc());
        q.limit = 100;
        let mut titles: Vec<String> = self
            .index
            .query(&q)
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.title)
            .collect();
        titles.sort();
        titles
    }

    /// The newest audit entry's id.
    fn last_audit(&self) -> i64 {
        self.index.audit(1, None).unwrap().entries[0].id
    }
}

#[test]
fn the_reach_of_each_account() {
    let config = config();
    let staff = |role: Role, calendars: &[&str]| Staff {
        who: "x".into(),
        role,
        calendars: calendars.iter().map(|c| c.to_string()).collect(),
        csrf_token: None,
    };
    assert_eq!(
        Reach::of(&staff(Role::Admin, &["mda"]), &config),
        Reach::All
    );
    assert_eq!(Reach::of(&staff(Role::Editor, &[]), &config), Reach::All);
    let mda = Reach::of(&staff(Role::Editor, &["mda"]), &config);
    assert_eq!(mda.scope().unwrap().parts.len(), 1);
    assert!(!mda.manual());
    let both = Reach::of(&staff(Role::Editor, &["mda", "salle"]), &config);
    assert_eq!(
        both.scope().unwrap().parts.len(),
        2,
        "the parts put together"
    );
    assert!(both.manual());
    // A calendar that no longer exists: nothing, not everything.
    let gone = Reach::of(&staff(Role::Editor, &["disparu"]), &config);
    assert_eq!(gone.scope(), Some(&Scope::default()));
    assert!(!gone.manual());
    let event = occurrence("mda", "x", "x", at("2030-01-01T00:00:00Z")).event;
    assert!(mda.event(&event) && both.event(&event) && Reach::All.event(&event));
    assert!(!gone.event(&event));
    assert!(!Reach::of(&staff(Role::Editor, &["salle"]), &config).event(&event));
}

#[tokio::test]
async fn through_the_api_an_editor_curates_the_events_of_their_calendar_only() {
    let w = world().await;
    let ed = w.token("ed-mda");
    let (noel, belles, tremblay, conte) = (
        w.id_of("Concert de Noël"),
        w.id_of("Les Belles-sœurs"),
        w.id_of("Michel Tremblay : lecture"),
        w.id_of("Le conte d’hiver"),
    );
    let event = |id: &str| format!("/api/v1/admin/events/{id}");

    // Reading.
    let r = w.get(&event(&noel), &ed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = w.get(&event(&tremblay), &ed).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.error()
            .contains("n’appartient à aucun de vos calendriers (mda)"),
        "{}",
        r.error()
    );

    // Patch and unlock.
    let r = w
        .api(
            "PATCH",
            &event(&noel),
            &ed,
            json!({"title": "Concert de Noël (complet)"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let own_patch = w.last_audit();
    let r = w
        .api("PATCH", &event(&tremblay), &ed, json!({"title": "Piraté"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = w
        .api(
            "DELETE",
            &format!("{}/locks/title", event(&tremblay)),
            &ed,
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Hide and unhide: a hidden event of the calendar is still theirs.
    let r = w
        .api(
            "POST",
            &format!("{}/hide", event(&belles)),
            &ed,
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(w.get(&event(&belles), &ed).await.status, StatusCode::OK);
    let r = w
        .api(
            "POST",
            &format!("{}/unhide", event(&belles)),
            &ed,
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for action in ["hide", "unhide"] {
        let r = w
            .api(
                "POST",
                &format!("{}/{action}", event(&tremblay)),
                &ed,
                json!({"series": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}: {}", r.body);
    }

    // Merge: every id must be theirs; split too.
    let r = w
        .api(
            "POST",
            "/api/v1/admin/merge",
            &ed,
            json!({"ids": [noel, tremblay]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = w
        .api(
            "POST",
            "/api/v1/admin/split",
            &ed,
            json!({"id": tremblay, "source": "salle"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // Nothing of the other calendar changed.
    assert_eq!(
        w.public_titles(),
        [
            "Concert de Noël (complet)",
            "Le conte d’hiver",
            "Les Belles-sœurs",
            "Michel Tremblay : lecture",
        ]
    );

    // Undo: their own change, not another calendar's.
    let admin = w.token("admin");
    let r = w
        .api(
            "PATCH",
            &event(&conte),
            &admin,
            json!({"title": "Le conte d’hiver (annulé)"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let other_patch = w.last_audit();
    let r = w
        .api(
            "POST",
            &format!("/api/v1/admin/audit/{other_patch}/undo"),
            &ed,
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(w
        .public_titles()
        .contains(&"Le conte d’hiver (annulé)".to_string()));
    let r = w
        .api(
            "POST",
            &format!("/api/v1/admin/audit/{own_patch}/undo"),
            &ed,
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(w.public_titles().contains(&"Concert de Noël".to_string()));

    // Merging two of theirs goes through.
    let r = w
        .api(
            "POST",
            "/api/v1/admin/merge",
            &ed,
            json!({"ids": [noel, belles]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let merged = r.json()["id"].as_str().unwrap().to_string();

    // An account whose calendar is gone curates nothing.
    let gone = w.token("ed-gone");
    let remaining = w.id_of("Michel Tremblay : lecture");
    assert_eq!(
        w.get(&event(&remaining), &gone).await.status,
        StatusCode::FORBIDDEN
    );
    let r = w
        .api("PATCH", &event(&remaining), &gone, json!({"title": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // An editor of both calendars, an unscoped editor and an admin may.
    for (name, title) in [
        ("ed-both", "Lecture A"),
        ("editor", "Lecture B"),
        ("admin", "Lecture C"),
    ] {
        let r = w
            .api(
                "PATCH",
                &event(&tremblay),
                &w.token(name),
                json!({"title": title}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.body);
    }
    let r = w
        .api(
            "POST",
            "/api/v1/admin/merge",
            &w.token("editor"),
            json!({"ids": [merged, tremblay]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn in_the_console_an_editor_sees_and_acts_on_their_calendar_only() {
    let w = world().await;
    let (noel, tremblay, conte) = (
        w.id_of("Concert de Noël"),
        w.id_of("Michel Tremblay : lecture"),
        w.id_of("Le conte d’hiver"),
    );
    // The admin hid one of the other calendar's events.
    let r = w
        .api(
            "POST",
            &format!("/api/v1/admin/events/{conte}/hide"),
            &w.token("admin"),
            Value::Null,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let ed = w.sign_in("mda@example.org").await;
    let list = w.get("/admin/events", &ed).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Concert de Noël") && list.body.contains("Les Belles-sœurs"));
    assert!(
        !list.body.contains("Michel Tremblay"),
        "another calendar's event listed"
    );
    assert!(
        !list.body.contains("Le conte d’hiver"),
        "another calendar's hidden event listed"
    );
    assert!(list.body.contains("2 événements"), "the count is theirs");
    // Searching for it finds nothing either.
    let search = w.get("/admin/events?q=Tremblay", &ed).await;
    assert!(!search.body.contains("Michel Tremblay"));

    // The other calendar's event: a 403 page, in French then English.
    let r = w.get(&format!("/admin/events/{tremblay}"), &ed).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Hors de vos calendriers"), "{}", r.body);
    let r = w
        .get(&format!("/admin/events/{tremblay}?lang=en"), &ed)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("belongs to none of your calendars (mda)"),
        "{}",
        r.body
    );
    for (path, fields) in [
        (format!("/admin/events/{tremblay}/hide"), String::new()),
        (
            format!("/admin/events/{tremblay}/edit"),
            "title=Pirat%C3%A9".to_string(),
        ),
        (
            format!("/admin/events/{tremblay}/unlock"),
            "field=title".to_string(),
        ),
        (
            format!("/admin/events/{noel}/merge"),
            format!("ids={tremblay}"),
        ),
    ] {
        let r = w.form(&path, &ed, &fields).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(r.body.contains("Hors de vos calendriers"), "{path}");
    }
    assert!(w
        .public_titles()
        .contains(&"Michel Tremblay : lecture".to_string()));

    // Their own event: the page, and the forms act.
    let r = w.get(&format!("/admin/events/{noel}"), &ed).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = w.form(&format!("/admin/events/{noel}/hide"), &ed, "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!w.public_titles().contains(&"Concert de Noël".to_string()));
    let list = w.get("/admin/events", &ed).await;
    assert!(
        list.body.contains("Concert de Noël"),
        "their hidden event is listed"
    );

    // An unscoped editor still sees everything.
    let editor = w.sign_in("editor@example.org").await;
    let list = w.get("/admin/events", &editor).await;
    assert!(list.body.contains("Michel Tremblay") && list.body.contains("Le conte d’hiver"));
    let r = w.get(&format!("/admin/events/{tremblay}"), &editor).await;
    assert_eq!(r.status, StatusCode::OK);

    // An account naming a calendar that is gone sees nothing.
    let gone = w.get("/admin/events", &w.token("ed-gone")).await;
    assert_eq!(gone.status, StatusCode::OK);
    assert!(!gone.body.contains("Les Belles-sœurs") && !gone.body.contains("Michel Tremblay"));
}

#[tokio::test]
async fn an_editor_cannot_edit_a_venue_only_another_calendar_uses() {
    let w = world().await;
    let ed = w.token("ed-mda");
    let unavailable = StatusCode::SERVICE_UNAVAILABLE; // allowed, nothing here writes
    let r = w
        .api(
            "PATCH",
            "/api/v1/admin/venues/theatre",
            &ed,
            json!({"address": "1 rue X"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.error().contains("Théâtre") || r.error().contains("theatre"),
        "{}",
        r.error()
    );
    let r = w
        .api(
            "PATCH",
            "/api/v1/admin/venues/mda",
            &ed,
            json!({"address": "1395, boul. de la Concorde"}),
        )
        .await;
    assert_eq!(r.status, unavailable, "{}", r.body);
    // A merge needs both venues.
    let merge = json!({"into": "mda", "from": ["theatre"]});
    let r = w
        .api("POST", "/api/v1/admin/venues/merge", &ed, merge.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let back = json!({"into": "theatre", "from": ["mda"]});
    let r = w.api("POST", "/api/v1/admin/venues/merge", &ed, back).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    for name in ["ed-both", "editor", "admin"] {
        let r = w
            .api(
                "POST",
                "/api/v1/admin/venues/merge",
                &w.token(name),
                merge.clone(),
            )
            .await;
        assert_eq!(r.status, unavailable, "{name}: {}", r.body);
        let r = w
            .api(
                "PATCH",
                "/api/v1/admin/venues/theatre",
                &w.token(name),
                json!({"city": "Laval"}),
            )
            .await;
        assert_eq!(r.status, unavailable, "{name}: {}", r.body);
    }

    // The console lists their venues only, and refuses the others' forms.
    let console = w.sign_in("mda@example.org").await;
    let venues = w.get("/admin/venues", &console).await;
    assert_eq!(venues.status, StatusCode::OK);
    assert!(venues.body.contains("Maison des arts"));
    assert!(
        !venues.body.contains("Théâtre des Muses"),
        "another calendar's venue listed"
    );
    let r = w
        .form(
            "/admin/venues/theatre/edit",
            &console,
            "name=Th%C3%A9%C3%A2tre&city=Laval",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Hors de vos calendriers"));
    let r = w
        .form("/admin/venues/merge", &console, "from=theatre&into=mda")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = w
        .form(
            "/admin/venues/mda/edit",
            &console,
            "name=Maison+des+arts&city=Laval",
        )
        .await;
    assert_eq!(r.status, unavailable, "{}", r.body);
    let all = w
        .get("/admin/venues", &w.sign_in("editor@example.org").await)
        .await;
    assert!(all.body.contains("Théâtre des Muses"));
}

#[tokio::test]
async fn hand_entered_events_need_a_calendar_listing_the_manual_source() {
    let w = world().await;
    let event = json!({
        "title": {"fr": "Atelier de poterie"},
        "start": "2030-12-10T10:00",
    });
    let ed = w.token("ed-mda");
    for (method, path) in [
        ("POST", "/api/v1/admin/manual-events"),
        ("PUT", "/api/v1/admin/manual-events/saisie-1"),
        ("DELETE", "/api/v1/admin/manual-events/saisie-1"),
    ] {
        let r = w.api(method, path, &ed, event.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            r.body
        );
        assert!(
            r.error()
                .contains("un administrateur doit ajouter « saisie » aux sources du calendrier"),
            "{}",
            r.error()
        );
    }
    for name in ["ed-salle", "ed-both", "editor", "admin"] {
        let r = w
            .api(
                "POST",
                "/api/v1/admin/manual-events",
                &w.token(name),
                event.clone(),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{name}: {}",
            r.body
        );
    }
    let gone = w
        .api(
            "POST",
            "/api/v1/admin/manual-events",
            &w.token("ed-gone"),
            event,
        )
        .await;
    assert_eq!(gone.status, StatusCode::FORBIDDEN);

    // The console says the same, in French and in English.
    let console = w.sign_in("mda@example.org").await;
    let r = w.get("/admin/events/new", &console).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("« saisie »"), "{}", r.body);
    let r = w.get("/admin/events/new?lang=en", &console).await;
    assert!(
        r.body
            .contains("an admin must add “saisie” to the calendar’s sources"),
        "{}",
        r.body
    );
    let r = w
        .form(
            "/admin/events/new",
            &console,
            "title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let salle = w.get("/admin/events/new", &w.token("ed-salle")).await;
    assert_eq!(salle.status, StatusCode::OK);
}

#[tokio::test]
async fn the_api_and_the_console_ask_the_same_check() {
    let w = world().await;
    let tremblay = w.id_of("Michel Tremblay : lecture");
    let staff = Staff {
        who: "ed-mda".into(),
        role: Role::Editor,
        calendars: vec!["mda".into()],
        csrf_token: None,
    };
    assert!(super::check(&w.state, &staff, Act::Event(tremblay.clone()))
        .await
        .is_err());
    assert!(
        super::check(&w.state, &staff, Act::Event(w.id_of("Concert de Noël")))
            .await
            .is_ok()
    );
    // An id that does not exist passes, for the action to say 404.
    assert!(super::check(&w.state, &staff, Act::Event("nope".into()))
        .await
        .is_ok());
    let r = w.get("/api/v1/admin/events/nope", &w.token("ed-mda")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
