//! The console's pages and forms through the real router (with its
//! session and security layers) over a real store in a temporary folder:
//! every screen for an admin, 403 for an editor on the admin's screens, the
//! login form for anonymous visitors, every form refused without or with a
//! wrong CSRF token, the CSP and no inline script or style on any page, and
//! the curation forms doing what they say (hide, edit and lock, unlock,
//! merge, split, undo).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use index::Index;
use model::{Occurrence, Venue};
use tower::ServiceExt;

use crate::admin::auth::{secret, AuthSettings};
use crate::testdata::{at, names, occurrence, source_run, two_sources};
use crate::{AppState, CategoryInfo, PublishConfig};

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A signed-in browser: its session cookie and the page's CSRF token.
#[derive(Clone)]
struct Who {
    cookie: String,
    csrf: String,
}

struct Console {
    app: Router,
    index: Arc<Index>,
    _dir: tempfile::TempDir,
}

const PASSWORD: &str = "correct horse battery staple";

fn occ(source: &str, uid: &str, title: &str, start: &str) -> Occurrence {
    let mut o = occurrence(source, uid, title, at(start));
    o.event.categories = vec!["musique".into()];
    o
}

async fn console() -> Console {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(Index::open(dir.path()).unwrap());
    two_sources(&index, "Salle André-Mathieu");
    index
        .record_success(source_run(
            "mda",
            vec![
                occ(
                    "mda",
                    "noel",
                    "Concert de Noël",
                    "2030-12-05T20:00:00-05:00",
                ),
                occ(
                    "mda",
                    "belles",
                    "Les Belles-sœurs",
                    "2030-12-06T19:30:00-05:00",
                ),
            ],
        ))
        .unwrap();
    let mut salle = occ(
        "salle",
        "tremblay",
        "Michel Tremblay : lecture",
        "2030-12-06T19:30:00-05:00",
    );
    salle.event.venue = None;
    index
        .record_success(source_run("salle", vec![salle]))
        .unwrap();
    let hash = secret::hash_password(PASSWORD).unwrap();
    index
        .create_account("admin@example.org", "admin", &[], &hash)
        .unwrap();
    index
        .create_account("editor@example.org", "editor", &[], &hash)
        .unwrap();
    let category = |slug: &str, fr: &str, en: &str| CategoryInfo {
        slug: slug.into(),
        name: names(&[("fr", fr), ("en", en)]),
    };
    let mut state = AppState::new(
        Arc::clone(&index),
        Arc::new(PublishConfig {
            name: "Signé Laval".into(),
            base_url: "http://127.0.0.1".into(),
            timezone: chrono_tz::America::Toronto,
            languages: vec!["fr".into(), "en".into()],
            categories: vec![
                category("musique", "Musique", "Music"),
                category("theatre", "Théâtre", "Theatre"),
            ],
            venues: vec![Venue {
                id: "mda".into(),
                name: "Maison des arts".into(),
                address: Some("1395, boulevard de la Concorde Ouest".into()),
                city: Some("Laval".into()),
                lat: Some(45.56),
                lon: Some(-73.71),
                precision: None,
            }],
            paused: Vec::new(),
            network: Default::default(),
            source_kinds: vec!["ics".into()],
        }),
        Default::default(),
    );
    state.auth = AuthSettings {
        failures_per_account: 3,
        ..AuthSettings::default()
    };
    Console {
        app: crate::router(state),
        index,
        _dir: dir,
    }
}

impl Console {
    async fn call(&self, method: &str, path: &str, who: Option<&Who>, form: Option<&str>) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(who) = who {
            req = req.header(header::COOKIE, &who.cookie);
        }
        let body = match form {
            Some(f) => {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(f.to_string())
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

    async fn get(&self, path: &str, who: Option<&Who>) -> Resp {
        self.call("GET", path, who, None).await
    }

    async fn post(&self, path: &str, who: Option<&Who>, form: &str) -> Resp {
        self.call("POST", path, who, Some(form)).await
    }

    /// Sign in through the login form; the CSRF token read from a page.
    async fn sign_in(&self, email: &str) -> Who {
        let form = format!(
            "email={}&password={}&next=%2Fadmin%2Fevents",
            crate::params::encode_value(email),
            crate::params::encode_value(PASSWORD)
        );
        let r = self.post("/admin/login", None, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            r.header("location").starts_with("/admin/events"),
            "{}",
            r.header("location")
        );
        let cookie = r
            .header("set-cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert!(cookie.starts_with("babillard_session="), "{cookie}");
        let mut who = Who {
            cookie,
            csrf: String::new(),
        };
        let page = self.get("/admin/events", Some(&who)).await;
        who.csrf = csrf_of(&page.body);
        assert!(!who.csrf.is_empty());
        who
    }

    fn id_of(&self, title: &str) -> String {
        let mut q = index::Query::from(at("2030-01-01T00:00:00Z").with_timezone(&chrono::Utc));
        q.limit = 100;
        let page = self.index.query(&q).unwrap();
        page.events
            .iter()
            .find(|e| e.title == title)
            .map(|e| e.id.clone())
            .unwrap_or_else(|| panic!("no event {title}"))
    }

    fn public_titles(&self) -> Vec<String> {
        let mut q = index::Query::from(at("2030-01-01T00:00:00Z").with_timezone(&chrono::Utc));
        q.limit = 100;
        self.index
            .query(&q)
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.title)
            .collect()
    }
}

/// A console with the admin signed in, and the form field of its CSRF token.
async fn as_admin() -> (Console, Who, String) {
    let c = console().await;
    let admin = c.sign_in("admin@example.org").await;
    let csrf = format!("csrf={}", admin.csrf);
    (c, admin, csrf)
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker)
        .map(|i| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .unwrap_or_default()
}

/// The page is ours: the CSP is strict, and nothing inline could need it
/// loosened.
fn assert_clean_page(path: &str, r: &Resp) {
    let csp = r.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("script-src 'self'")
            && csp.contains("style-src 'self'"),
        "{path}: CSP {csp:?}"
    );
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert!(r.header("content-type").starts_with("text/html"), "{path}");
    let html = &r.body;
    assert!(!html.contains("<style"), "{path}: inline <style>");
    assert!(!html.contains(" style="), "{path}: a style attribute");
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        assert!(
            tag.contains(" src=\"/admin/assets/"),
            "{path}: inline script {tag}"
        );
    }
    for handler in [
        " onclick=",
        " onsubmit=",
        " onload=",
        " onchange=",
        "javascript:",
    ] {
        assert!(!html.contains(handler), "{path}: {handler}");
    }
    assert!(
        html.contains("<a class=\"skip\" href=\"#main\">"),
        "{path}: skip link"
    );
    assert!(html.contains("aria-live=\"polite\""), "{path}: live region");
    assert_eq!(html.matches("<h1>").count(), 1, "{path}: one h1");
    // Every field has its label.
    for (i, _) in html.match_indices("<input ") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        if tag.contains("type=\"hidden\"") {
            continue;
        }
        let id = tag
            .split("id=\"")
            .nth(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .unwrap_or_else(|| panic!("{path}: an input without id: {tag}"));
        assert!(
            html.contains(&format!("<label for=\"{id}\""))
                || html.contains(&format!("<label class=\"check\" for=\"{id}\""))
                || html.contains(&format!("<label class=\"sr\" for=\"{id}\"")),
            "{path}: no label for {id}"
        );
    }
}

#[tokio::test]
async fn every_screen_renders_for_an_admin_in_french_then_english() {
    let c = console().await;
    let admin = c.sign_in("admin@example.org").await;
    let id = c.id_of("Concert de Noël");
    let screens = [
        ("/admin", "Événements"),
        ("/admin/events?q=concert", "Concert de Noël"),
        (
            &format!("/admin/events/{id}") as &str,
            "D’où vient chaque champ",
        ),
        ("/admin/events/new", "Aucun événement saisi pour l’instant."),
        ("/admin/sources", "Maison des arts"),
        ("/admin/sources/new", "Ajouter un membre"),
        ("/admin/venues", "Maison des arts"),
        ("/admin/categories", "Musique"),
        ("/admin/audit", "Journal des changements"),
        ("/admin/accounts", "editor@example.org"),
    ];
    for (path, expect) in screens {
        let r = c.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(r.body.contains(expect), "{path}: no {expect:?}");
        assert!(r.body.contains("<html lang=\"fr\">"), "{path}");
        assert_clean_page(path, &r);
        let sep = if path.contains('?') { '&' } else { '?' };
        let en = c.get(&format!("{path}{sep}lang=en"), Some(&admin)).await;
        assert_eq!(en.status, StatusCode::OK, "{path} in English");
        assert!(en.body.contains("<html lang=\"en\">"), "{path}");
        assert!(en.body.contains("Sign out"), "{path}: English frame");
        assert_clean_page(path, &en);
    }
    let css = c.get("/admin/assets/console.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.body.contains("@media (max-width:600px)"));
    let js = c.get("/admin/assets/console.js", None).await;
    assert!(js.header("content-type").starts_with("text/javascript"));
    assert!(js.body.contains("data-confirm"));
}

#[tokio::test]
async fn an_editor_curates_but_gets_403_on_the_admin_screens() {
    let c = console().await;
    let editor = c.sign_in("editor@example.org").await;
    for path in [
        "/admin/events",
        "/admin/sources",
        "/admin/venues",
        "/admin/categories",
        "/admin/audit",
    ] {
        let r = c.get(path, Some(&editor)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    let sources = c.get("/admin/sources", Some(&editor)).await;
    assert!(
        !sources.body.contains("/run\""),
        "no run button for an editor"
    );
    assert!(
        !sources.body.contains("/admin/accounts\""),
        "no accounts link for an editor"
    );
    for path in ["/admin/accounts", "/admin/sources/new"] {
        let r = c.get(path, Some(&editor)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.body.contains("réservé aux administrateurs"), "{path}");
        assert_clean_page(path, &r);
    }
    let csrf = format!("csrf={}", editor.csrf);
    for (path, form) in [
        (
            "/admin/accounts",
            format!("{csrf}&email=x%40example.org&role=admin&password=aaaaaaaaaaaaaaaa"),
        ),
        (
            "/admin/accounts/remove",
            format!("{csrf}&email=admin%40example.org"),
        ),
        ("/admin/sources/mda/run", csrf.clone()),
        (
            "/admin/sources/preview",
            format!("{csrf}&url=http%3A%2F%2F127.0.0.1%2F"),
        ),
        (
            "/admin/sources/new",
            format!("{csrf}&id=x&url=http%3A%2F%2F127.0.0.1%2F"),
        ),
        (
            "/admin/categories/map",
            format!("{csrf}&word=jazz&slug=musique"),
        ),
    ] {
        let r = c.post(path, Some(&editor), &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    assert_eq!(c.index.accounts().unwrap().len(), 2);
}

#[tokio::test]
async fn anonymous_visitors_get_the_login_form() {
    let c = console().await;
    let id = c.id_of("Concert de Noël");
    for path in [
        "/admin".to_string(),
        "/admin/events".into(),
        format!("/admin/events/{id}"),
        "/admin/events/new".into(),
        "/admin/sources".into(),
        "/admin/venues".into(),
        "/admin/categories".into(),
        "/admin/audit".into(),
        "/admin/accounts".into(),
        "/admin/login".into(),
    ] {
        let r = c.get(&path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains("action=\"/admin/login\""), "{path}");
        assert!(r.body.contains("name=\"password\""), "{path}");
        assert!(r.body.contains("Connexion"), "{path}");
        assert!(
            !r.body.contains("Concert de Noël"),
            "{path} shows nothing else"
        );
        assert_clean_page(&path, &r);
    }
    // A form posted without a session: 401 and the login form, nothing done.
    let r = c
        .post(&format!("/admin/events/{id}/hide"), None, "csrf=x")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("action=\"/admin/login\""));
    assert!(c.public_titles().contains(&"Concert de Noël".to_string()));
}

#[tokio::test]
async fn a_wrong_password_is_said_in_french_then_the_rate_limit() {
    let c = console().await;
    let form = "email=admin%40example.org&password=wrong-password-123";
    let r = c.post("/admin/login", None, form).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body
            .contains("Adresse courriel ou mot de passe incorrect."),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"admin@example.org\""),
        "the address is kept"
    );
    assert!(r.header("set-cookie").is_empty() || !r.body.contains("Se déconnecter"));
    for _ in 0..2 {
        c.post("/admin/login", None, form).await;
    }
    // Past the limit even the right password is refused, with the wait.
    let right = format!(
        "email=admin%40example.org&password={}",
        crate::params::encode_value(PASSWORD)
    );
    let r = c.post("/admin/login", None, &right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("Trop de tentatives de connexion"),
        "{}",
        r.body
    );
    assert!(r.header("retry-after").parse::<u64>().unwrap() > 0);
    let en = c
        .post("/admin/login", None, &format!("{right}&lang=en"))
        .await;
    assert!(en.body.contains("Too many sign-in attempts"));
}

#[tokio::test]
async fn every_form_refuses_a_missing_or_wrong_csrf_token() {
    let c = console().await;
    let admin = c.sign_in("admin@example.org").await;
    let id = c.id_of("Concert de Noël");
    let forms = [
        format!("/admin/events/{id}/edit"),
        format!("/admin/events/{id}/unlock"),
        format!("/admin/events/{id}/hide"),
        format!("/admin/events/{id}/unhide"),
        format!("/admin/events/{id}/merge"),
        format!("/admin/events/{id}/split"),
        "/admin/events/new".into(),
        "/admin/manual/abc".into(),
        "/admin/manual/abc/delete".into(),
        "/admin/sources/mda/run".into(),
        "/admin/sources/mda/pause".into(),
        "/admin/sources/preview".into(),
        "/admin/sources/new".into(),
        "/admin/categories/map".into(),
        "/admin/audit/1/undo".into(),
        "/admin/accounts".into(),
        "/admin/accounts/remove".into(),
        "/admin/logout".into(),
    ];
    for path in &forms {
        for form in [
            "title=X&email=editor%40example.org",
            "csrf=not-the-token&title=X&email=editor%40example.org",
        ] {
            let r = c.post(path, Some(&admin), form).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{path} with {form}: {}",
                r.body
            );
            assert!(r.body.contains("Formulaire expiré"), "{path}");
        }
    }
    // Nothing happened: still signed in, the event public, both accounts.
    assert!(c.public_titles().contains(&"Concert de Noël".to_string()));
    assert_eq!(c.index.accounts().unwrap().len(), 2);
    let r = c.get("/admin/events", Some(&admin)).await;
    assert!(r.body.contains("Se déconnecter"));
}

#[tokio::test]
async fn hide_edit_unlock_and_undo_through_the_forms() {
    let (c, admin, csrf) = as_admin().await;
    let id = c.id_of("Concert de Noël");
    let page = format!("/admin/events/{id}");

    // Hide: gone from the public answers, listed among the hidden.
    let r = c.post(&format!("{page}/hide"), Some(&admin), &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), format!("{page}?lang=fr&done=hidden"));
    assert!(!c.public_titles().contains(&"Concert de Noël".to_string()));
    let list = c.get("/admin/events?done=hidden", Some(&admin)).await;
    let hidden = &list.body[list.body.find("id=\"hidden\"").unwrap()..];
    assert!(hidden.contains("Concert de Noël"));
    assert!(
        list.body.contains("Événement masqué"),
        "the message after the redirect"
    );
    let r = c.post(&format!("{page}/unhide"), Some(&admin), &csrf).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.public_titles().contains(&"Concert de Noël".to_string()));

    // Edit: only the changed field is set, and locked.
    let form = format!(
        "{csrf}&title=Grand+concert+de+No%C3%ABl&description=%C3%80+propos+de+Concert+de+No%C3%ABl\
&start_date=2030-12-05&start_time=20%3A00&end_date=2030-12-05&end_time=22%3A00&status=scheduled\
&venue=mda&categories=musique"
    );
    let r = c.post(&format!("{page}/edit"), Some(&admin), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.header("location").ends_with("done=saved"));
    let curated = c.index.curated_event(&id).unwrap().unwrap();
    assert_eq!(curated.event.title, "Grand concert de Noël");
    assert_eq!(curated.locks.keys().collect::<Vec<_>>(), vec!["title"]);
    let shown = c.get(&page, Some(&admin)).await;
    assert!(shown.body.contains("Fixé par une personne"));
    assert!(shown.body.contains("name=\"field\" value=\"title\""));
    assert_clean_page(&page, &shown);
    let list = c.get("/admin/events", Some(&admin)).await;
    assert!(list.body.contains("Verrouillé"), "locked events are marked");

    // The same form again changes nothing.
    let r = c.post(&format!("{page}/edit"), Some(&admin), &form).await;
    assert!(r.header("location").ends_with("done=unchanged"));

    // A bad value: the reason, in French, and nothing saved.
    let bad = form.replace("end_time=22%3A00", "end_time=18%3A00");
    let r = c.post(&format!("{page}/edit"), Some(&admin), &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("la fin doit venir après le début"),
        "{}",
        r.body
    );

    // Unlock gives the title back to the source.
    let r = c
        .post(
            &format!("{page}/unlock"),
            Some(&admin),
            &format!("{csrf}&field=title"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        c.index.curated_event(&id).unwrap().unwrap().event.title,
        "Concert de Noël"
    );

    // The audit lists it all, newest first; undo the unlock.
    let audit = c.get("/admin/audit", Some(&admin)).await;
    assert_clean_page("/admin/audit", &audit);
    let unlock_at = audit.body.find("event.unlock").unwrap();
    let patch_at = audit.body.find("event.patch").unwrap();
    assert!(unlock_at < patch_at, "newest first");
    assert!(audit.body.contains("admin@example.org"));
    let entry = c.index.audit(1, None).unwrap().entries.remove(0);
    assert_eq!(entry.action, "event.unlock");
    let r = c
        .post(
            &format!("/admin/audit/{}/undo", entry.id),
            Some(&admin),
            &csrf,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        c.index.curated_event(&id).unwrap().unwrap().event.title,
        "Grand concert de Noël"
    );
    // Undoing it twice is refused in words.
    let r = c
        .post(
            &format!("/admin/audit/{}/undo", entry.id),
            Some(&admin),
            &csrf,
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.body.contains("Impossible de faire ce changement"));
}

#[tokio::test]
async fn merge_and_split_through_the_forms() {
    let (c, admin, csrf) = as_admin().await;
    let belles = c.id_of("Les Belles-sœurs");
    let lecture = c.id_of("Michel Tremblay : lecture");
    // The other event given as the address of its public page.
    let r = c
        .post(
            &format!("/admin/events/{belles}/merge"),
            Some(&admin),
            &format!("{csrf}&ids=http%3A%2F%2F127.0.0.1%2Fevents%2F{lecture}%3Flang%3Dfr"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let merged_id = r
        .header("location")
        .trim_start_matches("/admin/events/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(merged_id == belles || merged_id == lecture);
    let page = c
        .get(&format!("/admin/events/{merged_id}"), Some(&admin))
        .await;
    assert!(
        page.body.contains("Les 2 fiches des sources, côte à côte"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Salle André-Mathieu") && page.body.contains("Maison des arts"));
    assert!(page.body.contains("name=\"source\""), "a split form");
    let titles = c.public_titles();
    assert_eq!(titles.len(), 2, "{titles:?}");

    // Nothing to merge with: said, nothing done.
    let r = c
        .post(
            &format!("/admin/events/{merged_id}/merge"),
            Some(&admin),
            &format!("{csrf}&ids="),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = c
        .post(
            &format!("/admin/events/{merged_id}/split"),
            Some(&admin),
            &format!("{csrf}&source=salle"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(c.public_titles().len(), 3);
}

#[tokio::test]
async fn sources_actions_without_a_source_admin_answer_503_in_words() {
    let (c, admin, csrf) = as_admin().await;
    // A failing source's error is a sentence that says what to do.
    let salle = model::SourceId::new("salle").unwrap();
    c.index
        .record_failure(
            &salle,
            chrono::Utc::now(),
            80,
            "status_4xx",
            "https://salle.example.org/: HTTP status 404",
        )
        .unwrap();
    let page = c.get("/admin/sources", Some(&admin)).await;
    assert!(
        page.body.contains("404 (page introuvable)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("corrigez l’URL"), "{}", page.body);
    for (path, form) in [
        ("/admin/sources/mda/run", csrf.clone()),
        (
            "/admin/sources/preview",
            format!("{csrf}&url=http%3A%2F%2F127.0.0.1%2Fa.ics"),
        ),
        (
            "/admin/categories/map",
            format!("{csrf}&word=jazz&slug=musique"),
        ),
        (
            "/admin/events/new",
            format!("{csrf}&title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00"),
        ),
    ] {
        let r = c.post(path, Some(&admin), &form).await;
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            r.body
        );
        assert!(
            r.body
                .contains("La gestion des sources n’est pas disponible"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_hand_entered_event_is_checked_before_anything_is_saved() {
    let (c, admin, csrf) = as_admin().await;
    for (form, says) in [
        ("start_date=2030-12-10&start_time=10%3A00", "Titre"),
        ("title_fr=Atelier&start_date=2030-13-45&start_time=10%3A00", "n’est pas valide"),
        ("title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00&end_date=2030-12-09&end_time=10%3A00", "la fin doit venir après le début"),
        ("title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00&recurrence=weekly", "jusqu’à quand"),
        ("title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00&recurrence=dates&dates=demain", "n’est pas valide"),
        ("title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00&venue=nowhere", "ce choix n’existe pas"),
        ("title_fr=Atelier&start_date=2030-12-10&start_time=10%3A00&url=ftp%3A%2F%2Fx", "https://"),
    ] {
        let r = c
            .post("/admin/events/new", Some(&admin), &format!("{csrf}&{form}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{form}");
        assert!(r.body.contains(says), "{form}: no {says:?}");
        assert!(r.body.contains("role=\"status\" aria-live=\"polite\">"), "{form}");
        // The form comes back as it was filled.
        if form.contains("title_fr=Atelier") {
            assert!(r.body.contains("value=\"Atelier\""), "{form}");
        }
        assert_clean_page("/admin/events/new", &r);
    }
}

#[tokio::test]
async fn accounts_are_added_and_removed_by_an_admin() {
    let (c, admin, csrf) = as_admin().await;
    let r = c
        .post(
            "/admin/accounts",
            Some(&admin),
            &format!("{csrf}&email=nouveau%40example.org&role=editor&password=court"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Au moins"), "{}", r.body);
    let r = c
        .post(
            "/admin/accounts",
            Some(&admin),
            &format!(
                "{csrf}&email=Nouveau%40Example.org&role=editor&password=un+mot+de+passe+long"
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c
        .post(
            "/admin/accounts",
            Some(&admin),
            &format!("{csrf}&email=nouveau%40example.org&role=admin&password=un+mot+de+passe+long"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("déjà un compte"));
    let list = c.get("/admin/accounts", Some(&admin)).await;
    assert!(list.body.contains("nouveau@example.org"));
    let r = c
        .post(
            "/admin/accounts/remove",
            Some(&admin),
            &format!("{csrf}&email=admin%40example.org"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "nobody removes themselves"
    );
    let r = c
        .post(
            "/admin/accounts/remove",
            Some(&admin),
            &format!("{csrf}&email=nouveau%40example.org"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(c.index.accounts().unwrap().len(), 2);
    let actions: Vec<String> = c
        .index
        .audit(10, None)
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, vec!["account.remove", "account.add"]);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let c = console().await;
    let admin = c.sign_in("admin@example.org").await;
    let r = c
        .post(
            "/admin/logout",
            Some(&admin),
            &format!("csrf={}", admin.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.header("location").starts_with("/admin/login"));
    let after = c.get("/admin/events", Some(&admin)).await;
    assert!(after.body.contains("action=\"/admin/login\""));
}

#[tokio::test]
async fn unknown_events_and_actions_are_404_pages() {
    let (c, admin, csrf) = as_admin().await;
    let r = c.get("/admin/events/nope", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Événement introuvable"));
    assert_clean_page("/admin/events/nope", &r);
    let r = c.post("/admin/events/nope/hide", Some(&admin), &csrf).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.body.contains("Cet élément n’existe plus"), "{}", r.body);
    let id = c.id_of("Concert de Noël");
    let r = c
        .post(&format!("/admin/events/{id}/explode"), Some(&admin), &csrf)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(c.public_titles().contains(&"Concert de Noël".to_string()));
}
