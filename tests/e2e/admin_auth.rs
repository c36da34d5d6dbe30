//! The guard of the staff console, end to end: accounts in a real SQLite
//! file, the real router on 127.0.0.1 (with the peer's address, as the
//! binary serves it), real cookies read from `Set-Cookie`, and the real
//! binary for the `user` and `token` commands.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use index::Index;
use publish::admin::auth::{secret, AuthSettings};
use publish::{AppState, LiveConfig};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::{client, World, AGGREGATOR};

const ADMIN: &str = "admin@example.org";
const EDITOR: &str = "editor@example.org";
const PASSWORD: &str = "une phrase de passe assez longue";

/// A world with an admin and an editor, served with `settings`.
struct Console {
    world: Arc<World>,
    base: String,
}

/// Serve the real router over `state` on 127.0.0.1, as the binary does
/// (with the peer's address); its base URL.
async fn serve(state: AppState) -> String {
    let app = publish::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

impl Console {
    async fn start(settings: AuthSettings) -> Console {
        Console::start_with(settings, |_| {}).await
    }

    /// A console whose state `tweak` changes before serving.
    async fn start_with(settings: AuthSettings, tweak: impl FnOnce(&mut AppState)) -> Console {
        let world = World::new("");
        let hash = secret::hash_password(PASSWORD).unwrap();
        assert!(world
            .index
            .create_account(ADMIN, "admin", &[], &hash)
            .unwrap());
        assert!(world
            .index
            .create_account(EDITOR, "editor", &["laval".into()], &hash)
            .unwrap());
        let mut state = world.state();
        state.auth = settings;
        tweak(&mut state);
        let base = serve(state).await;
        Console {
            world: Arc::new(world),
            base,
        }
    }

    /// Another router over the same store, as after a restart.
    async fn restart(&self, settings: AuthSettings) -> Console {
        let mut state = self.world.state();
        state.auth = settings;
        let base = serve(state).await;
        Console {
            world: Arc::clone(&self.world),
            base,
        }
    }

    async fn get(&self, path: &str, auth: Auth<'_>) -> reqwest::Response {
        auth.apply(client().get(self.url(path)))
            .send()
            .await
            .unwrap()
    }

    async fn post_account(&self, auth: Auth<'_>, body: &Value) -> reqwest::Response {
        self.write(Method::POST, "/api/v1/admin/accounts", auth, body)
            .await
    }

    async fn delete_account(&self, auth: Auth<'_>, email: &str) -> reqwest::Response {
        let path = format!("/api/v1/admin/accounts/{email}");
        self.write(Method::DELETE, &path, auth, &json!({})).await
    }

    /// A JSON write: `method` `path` with `body`.
    async fn write(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Auth<'_>,
        body: &Value,
    ) -> reqwest::Response {
        auth.apply(client().request(method, self.url(path)))
            .json_body(body)
            .send()
            .await
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login_raw(&self, email: &str, password: &str) -> reqwest::Response {
        client()
            .post(self.url("/api/v1/admin/login"))
            .json_body(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Sign in; the session cookie (`name=value`) and the CSRF token.
    async fn login(&self, email: &str) -> Signed {
        let r = self.login_raw(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = session_cookie(r.headers()).expect("a session cookie");
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();
        Signed {
            cookie: cookie.split(';').next().unwrap().to_string(),
            csrf,
        }
    }
}

/// reqwest is built without its `json` feature here.
trait JsonBody {
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header(CONTENT_TYPE, "application/json")
            .body(value.to_string())
    }
}

struct Signed {
    cookie: String,
    csrf: String,
}

/// How a request authenticates.
#[derive(Clone, Copy)]
enum Auth<'a> {
    Nobody,
    /// The session cookie only (no CSRF header).
    Cookie(&'a Signed),
    /// The session cookie and this CSRF header.
    CookieCsrf(&'a Signed, &'a str),
    /// The session with its own CSRF token.
    Session(&'a Signed),
    Bearer(&'a str),
}

impl Auth<'_> {
    fn apply(self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::Nobody => r,
            Auth::Cookie(s) => r.header(COOKIE, &s.cookie),
            Auth::CookieCsrf(s, csrf) => r.header(COOKIE, &s.cookie).header("X-CSRF-Token", csrf),
            Auth::Session(s) => r.header(COOKIE, &s.cookie).header("X-CSRF-Token", &s.csrf),
            Auth::Bearer(t) => r.header(AUTHORIZATION, format!("Bearer {t}")),
        }
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("babillard_session="))
        .map(str::to_string)
}

async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    let text = r.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_answers_a_csrf_token() {
    let c = Console::start(AuthSettings::default()).await;
    let r = c.login_raw(ADMIN, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = session_cookie(r.headers()).unwrap();
    let attrs: Vec<String> = cookie.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
    assert!(attrs.contains(&"samesite=strict".to_string()), "{cookie}");
    assert!(attrs.contains(&"path=/".to_string()), "{cookie}");
    // The test aggregator's base_url is https.
    assert!(attrs.contains(&"secure".to_string()), "{cookie}");
    assert!(attrs.iter().any(|a| a.starts_with("max-age=")), "{cookie}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (_, body) = json_of(r).await;
    assert!(body["csrf_token"].as_str().unwrap().len() >= 40, "{body}");

    // The session's row holds the SHA-256 of the id, not the id.
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    assert_eq!(c.world.index.load_session(&value, 0).unwrap(), None);
    let key = hex::encode(Sha256::digest(value.as_bytes()));
    assert!(c.world.index.load_session(&key, 0).unwrap().is_some());
}

#[tokio::test]
async fn a_session_reads_and_writes_with_its_csrf_token_only() {
    let c = Console::start(AuthSettings::default()).await;
    let s = c.login(ADMIN).await;
    let other = c.login(EDITOR).await;
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&s)).await;
    // A fresh session is not written again on every request.
    assert_eq!(session_cookie(r.headers()), None);
    let (status, me) = json_of(r).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["who"], ADMIN);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["csrf_token"], s.csrf.as_str());

    let new_account = json!({ "email": "new@example.org", "password": PASSWORD, "role": "editor" });
    let post = |auth| c.write(Method::POST, "/api/v1/admin/accounts", auth, &new_account);
    // No CSRF header: 401.
    let (status, body) = json_of(post(Auth::Cookie(&s)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"].as_str().unwrap().contains("X-CSRF-Token"),
        "{body}"
    );
    // A wrong one, or another session's: 401.
    let wrong = format!("{}x", s.csrf);
    for csrf in [wrong.as_str(), other.csrf.as_str(), ""] {
        let (status, body) = json_of(post(Auth::CookieCsrf(&s, csrf)).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{csrf:?}: {body}");
    }
    assert_eq!(c.world.index.account("new@example.org").unwrap(), None);
    // A form is no way around it on the JSON API.
    let r = Auth::Cookie(&s)
        .apply(client().post(c.url("/api/v1/admin/logout")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("csrf=")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&s)).await;
    assert_eq!(r.status(), StatusCode::OK, "still signed in");
    // The right one: the write happens.
    assert_eq!(post(Auth::Session(&s)).await.status(), StatusCode::CREATED);
    assert_eq!(
        c.world
            .index
            .account("new@example.org")
            .unwrap()
            .unwrap()
            .role,
        "editor"
    );
    // A DELETE is a write too.
    let path = "/api/v1/admin/accounts/new@example.org";
    let r = c
        .write(Method::DELETE, path, Auth::Cookie(&s), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(c.world.index.account("new@example.org").unwrap().is_some());
    let r = c
        .write(Method::DELETE, path, Auth::Session(&s), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn logout_revokes_the_session_on_the_server() {
    let c = Console::start(AuthSettings::default()).await;
    let s = c.login(EDITOR).await;
    let r = client()
        .post(c.url("/api/v1/admin/logout"))
        .header(COOKIE, &s.cookie)
        .header("X-CSRF-Token", &s.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The old cookie, replayed, is worth nothing.
    let r = client()
        .get(c.url("/api/v1/admin/me"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_password_and_unknown_account_are_the_same_401() {
    let c = Console::start(AuthSettings::default()).await;
    let (status, wrong) = json_of(c.login_raw(ADMIN, "pas le bon mot de passe").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, unknown) = json_of(c.login_raw("nobody@example.org", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nothing tells an existing account from another.
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong["error"],
        "Adresse courriel ou mot de passe incorrect."
    );
    // No session is made for a failure.
    let r = c.login_raw(ADMIN, "pas le bon mot de passe").await;
    assert_eq!(session_cookie(r.headers()), None);
    // The e-mail is read without case or surrounding spaces.
    let r = c.login_raw(" Admin@Example.ORG ", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn bad_bodies_are_400_with_their_field() {
    let c = Console::start(AuthSettings::default()).await;
    let cases = [
        (json!({ "email": "admin", "password": PASSWORD }), "email"),
        (json!({ "password": PASSWORD }), "email"),
        (json!({ "email": ADMIN }), "password"),
        (json!({ "email": ADMIN, "password": 12 }), "password"),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let r = c
            .write(Method::POST, "/api/v1/admin/login", Auth::Nobody, &body)
            .await;
        let (status, answer) = json_of(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // A form post (what a cross-site page can send) is not a login.
    let r = client()
        .post(c.url("/api/v1/admin/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("email={ADMIN}&password={PASSWORD}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(session_cookie(r.headers()), None);

    // The accounts route checks its body too.
    let s = c.login(ADMIN).await;
    let cases = [
        (
            json!({ "email": "x@example.org", "password": "court", "role": "editor" }),
            "password",
        ),
        (
            json!({ "email": "x", "password": PASSWORD, "role": "editor" }),
            "email",
        ),
        (
            json!({ "email": "x@example.org", "password": PASSWORD, "role": "root" }),
            "role",
        ),
        (
            json!({ "email": "x@example.org", "password": PASSWORD, "role": "editor", "calendars": "laval" }),
            "calendars",
        ),
    ];
    for (body, field) in cases {
        let r = c.post_account(Auth::Session(&s), &body).await;
        let (status, answer) = json_of(r).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["field"], field, "{body}: {answer}");
    }
    assert_eq!(c.world.index.account("x@example.org").unwrap(), None);
    // An existing e-mail: 409 on the field.
    let body = json!({ "email": EDITOR, "password": PASSWORD, "role": "admin" });
    let r = c.post_account(Auth::Session(&s), &body).await;
    let (status, answer) = json_of(r).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["field"], "email");
    assert_eq!(
        c.world.index.account(EDITOR).unwrap().unwrap().role,
        "editor"
    );
}

#[tokio::test]
async fn anonymous_requests_are_401_and_editors_403_on_admin_routes() {
    let c = Console::start(AuthSettings::default()).await;
    let body = json!({ "email": "x@example.org", "password": PASSWORD, "role": "admin" });
    for r in [
        c.get("/api/v1/admin/me", Auth::Nobody).await,
        c.get("/api/v1/admin/accounts", Auth::Nobody).await,
        c.post_account(Auth::Nobody, &body).await,
        c.write(
            Method::POST,
            "/api/v1/admin/logout",
            Auth::Nobody,
            &json!({}),
        )
        .await,
        client()
            .delete(c.url(&format!("/api/v1/admin/accounts/{EDITOR}")))
            .send()
            .await
            .unwrap(),
        // A cookie that names no session.
        client()
            .get(c.url("/api/v1/admin/me"))
            .header(COOKIE, "babillard_session=AAAAAAAAAAAAAAAAAAAAAA")
            .send()
            .await
            .unwrap(),
    ] {
        let (status, answer) = json_of(r).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(
            answer["error"],
            "Connectez-vous d’abord\u{a0}: votre session a pris fin ou vous n’êtes pas connecté."
        );
    }

    let s = c.login(EDITOR).await;
    let (status, me) = json_of(c.get("/api/v1/admin/me", Auth::Cookie(&s)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "editor");
    assert_eq!(me["calendars"], json!(["laval"]));
    for r in [
        c.get("/api/v1/admin/accounts", Auth::Cookie(&s)).await,
        c.post_account(Auth::Session(&s), &body).await,
        c.delete_account(Auth::Session(&s), ADMIN).await,
    ] {
        let (status, answer) = json_of(r).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains("rôle")));
    }
    assert!(c.world.index.account(ADMIN).unwrap().is_some());
    assert_eq!(c.world.index.account("x@example.org").unwrap(), None);
}

#[tokio::test]
async fn admins_list_add_and_remove_accounts_and_each_change_is_audited() {
    let c = Console::start(AuthSettings::default()).await;
    let admin = c.login(ADMIN).await;
    let editor = c.login(EDITOR).await;
    let (status, list) = json_of(c.get("/api/v1/admin/accounts", Auth::Cookie(&admin)).await).await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, [ADMIN, EDITOR]);
    assert!(!list.to_string().contains("argon2"), "{list}");

    let body = json!({ "email": "Nouveau@Example.org", "password": PASSWORD, "role": "editor", "calendars": ["laval"] });
    let r = c.post_account(Auth::Session(&admin), &body).await;
    let (status, created) = json_of(r).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["email"], "nouveau@example.org");
    // The new account signs in with its password.
    let r = c.login_raw("nouveau@example.org", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Nobody removes themselves.
    let r = c.delete_account(Auth::Session(&admin), ADMIN).await;
    let (status, answer) = json_of(r).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["field"], "email");
    // Removing the editor ends the editor's session at once.
    let r = c.delete_account(Auth::Session(&admin), EDITOR).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&editor)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c.delete_account(Auth::Session(&admin), EDITOR).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let audit = c.world.index.audit(10, None).unwrap();
    let rows: Vec<(String, String, String)> = audit
        .entries
        .iter()
        .map(|e| (e.who.clone(), e.action.clone(), e.target.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (
                ADMIN.to_string(),
                "account.remove".to_string(),
                EDITOR.to_string()
            ),
            (
                ADMIN.to_string(),
                "account.create".to_string(),
                "nouveau@example.org".to_string()
            ),
        ]
    );
    assert_eq!(audit.entries[0].before.as_ref().unwrap()["role"], "editor");
    assert!(!format!("{:?}", audit.entries).contains("argon2"));
}

#[tokio::test]
async fn a_session_expires_after_its_idle_time_and_activity_pushes_it_back() {
    let settings = AuthSettings {
        session_idle: Duration::from_secs(6),
        ..AuthSettings::default()
    };
    let c = Console::start(settings).await;
    let idle = c.login(ADMIN).await;
    let busy = c.login(EDITOR).await;
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&idle)).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The cookie says so too.
    let r = c.login_raw(EDITOR, PASSWORD).await;
    let cookie = session_cookie(r.headers()).unwrap().to_lowercase();
    assert!(cookie.contains("max-age=6"), "{cookie}");

    // One of them is used after three seconds...
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&busy)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(session_cookie(r.headers()).is_some(), "a fresh cookie");
    // ...and lives past the first one's end (the store keeps whole
    // seconds, rounded up: the other ends within seven seconds, this one
    // lives at least nine).
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&idle)).await;
    let (status, _) = json_of(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = c.post_account(Auth::Session(&idle), &json!({})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c.get("/api/v1/admin/me", Auth::Cookie(&busy)).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_work_without_csrf_until_revoked() {
    let c = Console::start(AuthSettings::default()).await;
    let admin = secret::new_api_token().unwrap();
    let editor = secret::new_api_token().unwrap();
    assert!(c
        .world
        .index
        .create_token("robot", "admin", &[], &admin.hash)
        .unwrap());
    assert!(c
        .world
        .index
        .create_token("stagiaire", "editor", &[], &editor.hash)
        .unwrap());

    let (status, me) = json_of(c.get("/api/v1/admin/me", Auth::Bearer(&admin.secret)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["who"], "robot");
    assert_eq!(me["csrf_token"], Value::Null);
    // A write needs no CSRF token: a browser never sends a token by itself.
    let body = json!({ "email": "bot@example.org", "password": PASSWORD, "role": "editor" });
    let r = c.post_account(Auth::Bearer(&admin.secret), &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let audit = c.world.index.audit(1, None).unwrap();
    assert_eq!(audit.entries[0].who, "robot");
    // An editor token: 403 on an admin route.
    let r = c
        .get("/api/v1/admin/accounts", Auth::Bearer(&editor.secret))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Unknown, malformed, or of another scheme: 401, even with a valid
    // session beside it.
    let session = c.login(ADMIN).await;
    for header in [
        "Bearer bab_nope".to_string(),
        format!("Bearer {}x", admin.secret),
        format!("Basic {}", admin.secret),
        "Bearer".to_string(),
    ] {
        let r = client()
            .get(c.url("/api/v1/admin/me"))
            .header(AUTHORIZATION, header.as_str())
            .header(COOKIE, &session.cookie)
            .send()
            .await
            .unwrap();
        let (status, answer) = json_of(r).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header}");
        assert!(
            answer["error"].as_str().unwrap().contains("jeton"),
            "{answer}"
        );
    }

    assert!(c.world.index.revoke_token("robot").unwrap());
    let r = c.get("/api/v1/admin/me", Auth::Bearer(&admin.secret)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get("/api/v1/admin/me", Auth::Bearer(&editor.secret))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn failed_logins_are_limited_per_account_and_per_address_across_restarts() {
    let settings = AuthSettings {
        failures_per_account: 3,
        failures_per_address: 6,
        ..AuthSettings::default()
    };
    let c = Console::start(settings.clone()).await;
    // A success clears the account's count.
    for _ in 0..2 {
        let r = c.login_raw(ADMIN, "mauvais mot de passe").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(c.login_raw(ADMIN, PASSWORD).await.status(), StatusCode::OK);
    for _ in 0..3 {
        let r = c.login_raw(ADMIN, "mauvais mot de passe").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Past the limit, even the right password is refused, with Retry-After.
    let r = c.login_raw(ADMIN, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert_eq!(session_cookie(r.headers()), None);
    let (_, answer) = json_of(r).await;
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("Réessayez dans 15 minutes"),
        "{answer}"
    );
    // Another account is not locked by it...
    assert_eq!(c.login_raw(EDITOR, PASSWORD).await.status(), StatusCode::OK);

    // ...and a restart does not reset the limit: it is in the database.
    let c2 = c.restart(settings.clone()).await;
    assert_eq!(
        c2.login_raw(ADMIN, PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Per address: guessing many accounts from one place. Five failures
    // of this address so far (2 + 3); one more reaches the limit of six.
    let r = c2.login_raw("someone@example.org", "essai").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c2.login_raw(EDITOR, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_staff_api_has_no_cors_and_the_security_headers() {
    let c = Console::start(AuthSettings::default()).await;
    let s = c.login(ADMIN).await;
    // Preflight for a cross-origin login: not answered.
    let r = client()
        .request(Method::OPTIONS, c.url("/api/v1/admin/login"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_success(), "{}", r.status());
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    for path in [
        "/api/v1/admin/me",
        "/api/v1/admin/accounts",
        "/api/v1/admin/nothing-here",
    ] {
        let r = client()
            .get(c.url(path))
            .header("Origin", "https://evil.example")
            .header(COOKIE, &s.cookie)
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert!(!h.contains_key("access-control-allow-origin"), "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path.ends_with("nothing-here") {
            let (status, body) = json_of(r).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert!(body["error"].is_string());
        }
    }
    // The public API keeps its CORS.
    let r = client()
        .get(c.url("/api/v1/events"))
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https_only() {
    let c = Console::start_with(AuthSettings::default(), |state| {
        let mut config = (*state.config()).clone();
        config.base_url = "http://localhost:8080".into();
        state.live_config = LiveConfig::new(Arc::new(config));
    })
    .await;
    let r = c.login_raw(ADMIN, PASSWORD).await;
    let cookie = session_cookie(r.headers()).unwrap();
    assert!(!cookie.to_lowercase().contains("secure"), "{cookie}");
    // A reverse proxy that terminated https says so.
    let r = client()
        .post(c.url("/api/v1/admin/login"))
        .header("X-Forwarded-Proto", "https")
        .json_body(&json!({ "email": ADMIN, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(r.headers()).unwrap();
    let attrs: Vec<String> = cookie.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"secure".to_string()), "{cookie}");
    assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
}

/// Run the binary in `dir` with `stdin` as its standard input.
fn babillard_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_babillard"))
        .current_dir(dir)
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    // A command refused before it reads its input (a bad e-mail, an
    // unknown flag) may have closed it already.
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_user_and_token_commands() {
    let dir = tempfile::tempdir().unwrap();
    // `--calendar` names a configured calendar.
    let config = format!(
        "{AGGREGATOR}\n[[calendar]]\nid = \"laval\"\nname = \"Laval\"\nsources = [\"saisie\"]\n"
    );
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    let run = |args: &[&str], stdin: &str| babillard_with_stdin(dir.path(), args, stdin);

    // The password is one line of standard input, at least 12 characters.
    let (code, out, err) = run(
        &["user", "add", "marie@example.org", "--role", "admin"],
        "trop court\n",
    );
    assert_ne!(code, 0);
    assert!(err.contains("au moins 12 caractères"), "{err}");
    assert!(out.is_empty());
    let (code, _, err) = run(&["user", "add", "marie@example.org", "--role", "admin"], "");
    assert_ne!(code, 0, "{err}");
    let (code, _, err) = run(
        &["user", "add", "marie", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("n’est pas une adresse courriel valide"),
        "{err}"
    );
    let (code, _, err) = run(
        &["user", "add", "marie@example.org", "--role", "root"],
        &format!("{PASSWORD}\n"),
    );
    assert_ne!(code, 0, "{err}");
    // Never from an argument.
    let (code, _, _) = run(
        &[
            "user",
            "add",
            "marie@example.org",
            "--role",
            "admin",
            "--password",
            PASSWORD,
        ],
        "",
    );
    assert_ne!(code, 0);
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "Marie@Example.org",
            "--role",
            "editor",
            "--calendar",
            "laval",
        ],
        &format!("{PASSWORD}\r\n"),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "paul@example.org",
            "--role",
            "editor",
            "--calendar",
            "montreal",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("Aucun agenda « montreal »") && err.contains("configurés : laval"),
        "{err}"
    );
    let (code, _, err) = run(
        &[
            "token",
            "create",
            "--role",
            "editor",
            "--name",
            "x",
            "--calendar",
            "montreal",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("Aucun agenda « montreal »"), "{err}");
    let (code, _, err) = run(
        &["user", "add", "marie@example.org", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("existe déjà"), "{err}");
    let (code, out, err) = run(&["user", "list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("marie@example.org") && out.contains("editor") && out.contains("laval"),
        "{out}"
    );

    // The token, alone on standard output.
    let (code, token_out, err) = run(
        &["token", "create", "--role", "editor", "--name", "site-web"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let token = token_out.strip_suffix('\n').unwrap();
    assert!(token.starts_with("bab_"), "{token_out:?}");
    assert_eq!(token.len(), 47, "{token_out:?}");
    assert!(!token.contains(char::is_whitespace));
    assert!(err.contains("site-web") && !err.contains(token), "{err}");
    let (code, _, err) = run(
        &["token", "create", "--role", "admin", "--name", "site-web"],
        "",
    );
    assert_ne!(code, 0);
    assert!(err.contains("existe déjà"), "{err}");
    // A token's name cannot pass for an account in the audit trail.
    let (code, out, _) = run(
        &[
            "token",
            "create",
            "--role",
            "admin",
            "--name",
            "marie@example.org",
        ],
        "",
    );
    assert_ne!(code, 0);
    assert!(out.is_empty());

    {
        let index = Index::open(&dir.path().join("data")).unwrap();
        // Only the hash is kept.
        let found = index
            .token_by_hash(&secret::token_hash(token))
            .unwrap()
            .unwrap();
        assert_eq!(
            (found.name.as_str(), found.role.as_str()),
            ("site-web", "editor")
        );
        let (account, hash) = index
            .account_with_hash("marie@example.org")
            .unwrap()
            .unwrap();
        assert_eq!(account.calendars, ["laval"]);
        assert!(hash.starts_with("$argon2id$"));
        // The line ending is not part of the password.
        assert!(secret::verify_password(PASSWORD, Some(&hash)));
        index
            .create_session("s", Some("marie@example.org"), b"{}", i64::MAX)
            .unwrap();
    }

    // A new password ends the sessions.
    let new_password = "un tout autre mot de passe";
    let (code, _, err) = run(
        &["user", "password", "marie@example.org"],
        &format!("{new_password}\n"),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &["user", "password", "nobody@example.org"],
        &format!("{new_password}\n"),
    );
    assert_ne!(code, 0);
    assert!(err.contains("Aucun compte"), "{err}");
    {
        let index = Index::open(&dir.path().join("data")).unwrap();
        let (_, hash) = index
            .account_with_hash("marie@example.org")
            .unwrap()
            .unwrap();
        assert!(secret::verify_password(new_password, Some(&hash)));
        assert!(!secret::verify_password(PASSWORD, Some(&hash)));
        assert_eq!(index.load_session("s", 0).unwrap(), None);
    }

    let (code, out, err) = run(&["token", "list"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("site-web") && out.contains("editor"), "{out}");
    assert!(!out.contains(token) && !out.contains("révoqué"), "{out}");
    let (code, _, err) = run(&["token", "revoke", "site-web"], "");
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(&["token", "list"], "");
    assert!(
        out.contains("site-web") && out.contains("révoqué le"),
        "{out}"
    );
    let (code, _, _) = run(&["token", "revoke", "site-web"], "");
    assert_ne!(code, 0);
    let (code, _, err) = run(&["user", "remove", "marie@example.org"], "");
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(&["user", "remove", "marie@example.org"], "");
    assert_ne!(code, 0);

    let index = Index::open(&dir.path().join("data")).unwrap();
    assert_eq!(
        index.token_by_hash(&secret::token_hash(token)).unwrap(),
        None
    );
    assert!(index.accounts().unwrap().is_empty());
    let audit = index.audit(10, None).unwrap();
    let actions: Vec<&str> = audit.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.remove",
            "token.revoke",
            "account.password",
            "token.create",
            "account.create"
        ]
    );
    assert!(audit.entries.iter().all(|e| e.who.starts_with("cli:")));
    assert!(!format!("{:?}", audit.entries).contains(token));
}

#[tokio::test]
async fn a_page_of_another_site_cannot_sign_in_nor_write() {
    let c = Console::start(AuthSettings::default()).await;
    let login = json!({ "email": ADMIN, "password": PASSWORD });
    let from = |origin: &'static str, site: Option<&'static str>| {
        let r = client()
            .post(c.url("/api/v1/admin/login"))
            .header("Origin", origin)
            .json_body(&login);
        match site {
            Some(site) => r.header("Sec-Fetch-Site", site),
            None => r,
        }
    };
    for (origin, site) in [
        ("https://evil.example", None),
        ("https://evil.example", Some("cross-site")),
        ("null", None),
    ] {
        let r = from(origin, site).send().await.unwrap();
        assert_eq!(session_cookie(r.headers()), None, "{origin}");
        let (status, body) = json_of(r).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("autre site"),
            "{body}"
        );
    }
    // The console's own pages, and the public address behind a proxy.
    let own: &'static str = Box::leak(c.base.clone().into_boxed_str());
    for origin in [own, "https://agenda.example.org"] {
        let r = from(origin, Some("same-origin")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{origin}");
    }
    // A signed-in session's write from elsewhere, CSRF token and all.
    let s = c.login(ADMIN).await;
    let r = Auth::Session(&s)
        .apply(client().post(c.url("/api/v1/admin/accounts")))
        .header("Origin", "https://evil.example")
        .json_body(&json!({ "email": "x@example.org", "password": PASSWORD, "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(c.world.index.account("x@example.org").unwrap(), None);
    // Anonymous, from elsewhere: the contract's 401, as for any anonymous write.
    let r = client()
        .post(c.url("/api/v1/admin/accounts"))
        .header("Origin", "https://evil.example")
        .json_body(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// Stops the child it holds (a `babillard serve` of this test) when dropped,
/// even when an assertion failed first.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn an_account_added_while_serve_runs_signs_in_to_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), AGGREGATOR).unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let _served = Served(
        Command::new(env!("CARGO_BIN_EXE_babillard"))
            .current_dir(dir.path())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "error")
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if client().get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
    }
    assert!(up, "serve answers");

    // The CLI writes into the store the server reads.
    let (code, _, err) = babillard_with_stdin(
        dir.path(),
        &["user", "add", "claire@example.org", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "user add while serve runs: {err}");
    let (code, token, err) = babillard_with_stdin(
        dir.path(),
        &["token", "create", "--role", "admin", "--name", "cron"],
        "",
    );
    assert_eq!(code, 0, "{err}");

    let login = |password: &'static str| {
        client()
            .post(format!("{base}/api/v1/admin/login"))
            .json_body(&json!({ "email": "claire@example.org", "password": password }))
            .send()
    };
    let r = login(PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = session_cookie(r.headers()).unwrap();
    assert!(cookie.to_lowercase().contains("httponly"), "{cookie}");
    let r = client()
        .get(format!("{base}/api/v1/admin/accounts"))
        .header(AUTHORIZATION, format!("Bearer {}", token.trim_end()))
        .send()
        .await
        .unwrap();
    let (status, list) = json_of(r).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["accounts"][0]["email"], "claire@example.org");
    // The binary knows the peer's address: the per-address limit holds
    // across accounts (twenty failures, then 429).
    for i in 0..20 {
        let r = client()
            .post(format!("{base}/api/v1/admin/login"))
            .json_body(&json!({ "email": format!("guess{i}@example.org"), "password": "essai" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = login(PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn guesses_sent_all_at_once_get_no_more_tries() {
    let settings = AuthSettings {
        failures_per_account: 3,
        failures_per_address: 100,
        ..AuthSettings::default()
    };
    let c = Arc::new(Console::start(settings).await);
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..10 {
        let c = Arc::clone(&c);
        guesses.spawn(async move {
            c.login_raw(ADMIN, &format!("essai numéro {i}"))
                .await
                .status()
        });
    }
    let mut tried = 0;
    let mut refused = 0;
    while let Some(status) = guesses.join_next().await {
        match status.unwrap() {
            StatusCode::UNAUTHORIZED => tried += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!((tried, refused), (3, 7));
}
