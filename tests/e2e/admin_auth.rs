//! The guard of the staff console, end to end: accounts in a real SQLite
//! file, the real router on 127.0.0.1 (with the peer's address, as the
//! binary serves it), real cookies read from `Set-Cookie`, and the real
//! binary for the `user` and `token` commands.

use std::net::SocketAddr;

use publish::admin::auth::{secret, AuthSettings};
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::{client, World};

const ADMIN: &str = "admin@example.org";
const EDITOR: &str = "editor@example.org";
const PASSWORD: &str = "une phrase de passe assez longue";

/// A world with an admin and an editor, served with `settings`.
struct Console {
    world: World,
    base: String,
}

impl Console {
    async fn start(settings: AuthSettings) -> Console {
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
        Console {
            world,
            base: format!("http://{addr}"),
        }
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
    let me = client()
        .get(c.url("/api/v1/admin/me"))
        .header(COOKIE, &s.cookie)
        .send()
        .await
        .unwrap();
    let (status, me) = json_of(me).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["who"], ADMIN);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["csrf_token"], s.csrf.as_str());

    let new_account = json!({ "email": "new@example.org", "password": PASSWORD, "role": "editor" });
    // No CSRF header: 401.
    let r = client()
        .post(c.url("/api/v1/admin/accounts"))
        .header(COOKIE, &s.cookie)
        .json_body(&new_account)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"].as_str().unwrap().contains("X-CSRF-Token"),
        "{body}"
    );
    // A wrong one: 401.
    let r = client()
        .post(c.url("/api/v1/admin/accounts"))
        .header(COOKIE, &s.cookie)
        .header("X-CSRF-Token", format!("{}x", s.csrf))
        .json_body(&new_account)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.world.index.account("new@example.org").unwrap(), None);
    // The right one: the write happens.
    let r = client()
        .post(c.url("/api/v1/admin/accounts"))
        .header(COOKIE, &s.cookie)
        .header("X-CSRF-Token", &s.csrf)
        .json_body(&new_account)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        c.world
            .index
            .account("new@example.org")
            .unwrap()
            .unwrap()
            .role,
        "editor"
    );
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
