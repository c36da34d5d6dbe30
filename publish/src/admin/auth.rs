//! Who is acting, and whether they may: the guard of every write.
//!
//! Staff sign in with an e-mail and a password (`POST
//! /api/v1/admin/login`, `login.rs`); the session lives in the database
//! ([`store::SqliteSessionStore`] under `tower-sessions`), its cookie
//! `babillard_session` is HttpOnly, SameSite=Strict, Path=/, Secure behind
//! https, and it ends after [`SESSION_IDLE`] without activity, at logout,
//! or when the account is removed or its password changed. Scripts use an
//! API token instead (`Authorization: Bearer bab_...`), kept as its hash.
//!
//! The extractors [`Editor`] and [`Admin`] guard the routes: 401 when
//! nobody is signed in (or the token is unknown or revoked), 403 when the
//! role may not. A write (POST, PATCH, PUT, DELETE) through a session also
//! needs the session's CSRF token in the `X-CSRF-Token` header, compared in
//! constant time; the console's HTML forms
//! (`application/x-www-form-urlencoded`, under `/admin`, never `/api/`)
//! carry it as a field named `csrf`, which their handler checks with
//! [`Staff::check_csrf`]. A token needs no CSRF token: a browser never
//! sends it on its own. [`MaybeStaff`] is for pages that show a login form
//! to anonymous visitors. Before any of this, `admin::router` refuses (403)
//! a write that a page of another site sent with the session cookie, or to
//! a login ([`is_cross_site`]).
//!
//! Every error is JSON `{"error"}` (400 adds `"field"`), in the
//! aggregator's first language. `secret.rs` holds the hashing and the
//! random tokens, `login.rs` the login, logout and its rate limit,
//! `accounts.rs` the admin's accounts routes.

mod accounts;
mod login;
pub mod secret;
pub mod store;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use index::{Index, IndexError};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::{i18n, AppState};

pub use login::{sign_in, sign_out, ClientAddr};
pub use secret::{MIN_PASSWORD_CHARS, TOKEN_PREFIX};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "babillard_session";
/// The header that carries the CSRF token on a write.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field that carries it in the console's HTML forms.
pub const CSRF_FIELD: &str = "csrf";
/// How long a session lives without activity.
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 60 * 60);

/// Where the signed-in staff member is kept in the session.
pub(crate) const STAFF_KEY: &str = "staff";

/// What a session remembers: who signed in, their CSRF token, and when
/// its expiry was last pushed back (Unix seconds).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SessionStaff {
    pub email: String,
    pub csrf: String,
    #[serde(default)]
    pub seen: i64,
}

/// How stale a session's expiry may get before a request pushes it back:
/// a quarter of the idle time, at most five minutes. Saving on every
/// request would take the store's write lock (shared with the ingest) for
/// every click.
fn refresh_after(idle: Duration) -> i64 {
    let secs = (idle / 4).min(Duration::from_secs(5 * 60)).as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The knobs of authentication; tests shorten them.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// Failed logins counted over this window...
    pub failure_window: Duration,
    /// ...at most this many per account...
    pub failures_per_account: u32,
    /// ...and this many per client address, before 429.
    pub failures_per_address: u32,
}

impl Default for AuthSettings {
    fn default() -> AuthSettings {
        AuthSettings {
            session_idle: SESSION_IDLE,
            failure_window: Duration::from_secs(15 * 60),
            failures_per_account: 5,
            failures_per_address: 20,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "admin" => Ok(Role::Admin),
            "editor" => Ok(Role::Editor),
            other => Err(format!("unknown role {other:?} (admin or editor)")),
        }
    }
}

/// Who is acting: a signed-in account (session cookie) or an API token.
#[derive(Clone, Debug)]
pub struct Staff {
    /// The account's e-mail or the token's name (what the audit records).
    pub who: String,
    pub role: Role,
    /// The calendars curated; empty: all.
    pub calendars: Vec<String>,
    /// The session's CSRF token; `None` for an API token.
    pub csrf_token: Option<String>,
}

impl Staff {
    /// Check the CSRF token a form sent (constant time). An API token
    /// needs none.
    pub fn check_csrf(&self, given: &str) -> Result<(), AuthRejection> {
        match &self.csrf_token {
            None => Ok(()),
            Some(_) if given.is_empty() => Err(AuthError::CsrfMissing.into()),
            Some(expected) if secret::same_secret(expected, given) => Ok(()),
            Some(_) => Err(AuthError::CsrfWrong.into()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this person curates `calendar` (admins and accounts without
    /// a list curate every calendar).
    pub fn curates(&self, calendar: &str) -> bool {
        self.is_admin() || self.calendars.is_empty() || self.calendars.iter().any(|c| c == calendar)
    }
}

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Nobody is signed in (or the session ended): 401.
    #[error("not signed in")]
    SignedOut,
    /// The API token is unknown or revoked: 401.
    #[error("bad API token")]
    BadToken,
    /// A write through a session without its CSRF token: 401.
    #[error("CSRF token missing")]
    CsrfMissing,
    #[error("CSRF token wrong")]
    CsrfWrong,
    /// Wrong e-mail or password: 401.
    #[error("bad credentials")]
    BadCredentials,
    /// The role may not: 403.
    #[error("forbidden")]
    Forbidden,
    /// A write sent by a page of another site: 403.
    #[error("cross-site write")]
    CrossSite,
    /// Too many failed logins: 429 with `Retry-After`.
    #[error("too many failed logins; retry in {retry_after}s")]
    TooMany { retry_after: u64 },
    /// A bad body: 400 `{"error", "field"}`; `message` is a message id of
    /// `auth.ftl`.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: &'static str,
    },
    /// The e-mail already has an account: 409 `{"error", "field"}`.
    #[error("account exists")]
    AccountExists,
    /// No such account: 404.
    #[error("no such account")]
    NoAccount,
    /// Something broke on our side: 500, the detail logged.
    #[error("internal: {0}")]
    Internal(String),
}

/// An [`AuthError`] with the language it is told in.
#[derive(Debug)]
pub struct AuthRejection {
    pub error: AuthError,
    lang: &'static str,
}

impl From<AuthError> for AuthRejection {
    fn from(error: AuthError) -> AuthRejection {
        AuthRejection {
            error,
            lang: i18n::LANGUAGES[0],
        }
    }
}

impl AuthRejection {
    /// The same refusal, told in `lang` (when we have messages for it).
    pub fn in_lang(mut self, lang: &str) -> AuthRejection {
        if let Some(l) = i18n::LANGUAGES.iter().find(|l| **l == lang) {
            self.lang = l;
        }
        self
    }
}

/// The first of the aggregator's languages we have messages for.
pub(crate) fn lang_of(state: &AppState) -> &'static str {
    state
        .config()
        .languages
        .iter()
        .find_map(|l| i18n::LANGUAGES.iter().find(|x| **x == l.as_str()))
        .copied()
        .unwrap_or(i18n::LANGUAGES[0])
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let lang = self.lang;
        let tr = |id: &str| i18n::tr(lang, id);
        let (status, body) = match &self.error {
            AuthError::SignedOut => (StatusCode::UNAUTHORIZED, tr("auth-signed-out")),
            AuthError::BadToken => (StatusCode::UNAUTHORIZED, tr("auth-bad-token")),
            AuthError::CsrfMissing => (StatusCode::UNAUTHORIZED, tr("auth-csrf-missing")),
            AuthError::CsrfWrong => (StatusCode::UNAUTHORIZED, tr("auth-csrf-wrong")),
            AuthError::BadCredentials => (StatusCode::UNAUTHORIZED, tr("auth-bad-credentials")),
            AuthError::Forbidden => (StatusCode::FORBIDDEN, tr("auth-forbidden")),
            AuthError::CrossSite => (StatusCode::FORBIDDEN, tr("auth-cross-site")),
            AuthError::TooMany { retry_after } => {
                let minutes = retry_after.div_ceil(60).max(1);
                let message = i18n::tr_args(lang, "auth-too-many", &[("minutes", minutes.into())]);
                let mut response = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(serde_json::json!({ "error": message })),
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(*retry_after));
                return response;
            }
            AuthError::Invalid { field, message } => {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(serde_json::json!({ "error": tr(message), "field": field })),
                )
                    .into_response();
            }
            AuthError::AccountExists => {
                return (
                    StatusCode::CONFLICT,
                    Json(
                        serde_json::json!({ "error": tr("auth-account-exists"), "field": "email" }),
                    ),
                )
                    .into_response();
            }
            AuthError::NoAccount => (StatusCode::NOT_FOUND, tr("auth-no-account")),
            AuthError::Internal(detail) => {
                tracing::error!(error = %detail, "authentication failed internally");
                (StatusCode::INTERNAL_SERVER_ERROR, tr("auth-internal"))
            }
        };
        (status, Json(serde_json::json!({ "error": body }))).into_response()
    }
}

/// Run a (synchronous) index call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    index: &Arc<Index>,
    f: impl FnOnce(&Index) -> Result<T, IndexError> + Send + 'static,
) -> Result<T, AuthError> {
    let index = Arc::clone(index);
    match tokio::task::spawn_blocking(move || f(&index)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(AuthError::Internal(e.to_string())),
        Err(e) => Err(AuthError::Internal(e.to_string())),
    }
}

fn role_of(stored: &str, whose: &str) -> Result<Role, AuthError> {
    Role::from_str(stored).map_err(|e| AuthError::Internal(format!("{whose}: {e}")))
}

/// Who the request comes from: an API token when it has an
/// `Authorization` header (a wrong one is an error, not anonymity), else
/// the session's account, else nobody.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Staff>, AuthError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let value = value.to_str().map_err(|_| AuthError::BadToken)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::BadToken)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::BadToken);
        }
        let hash = secret::token_hash(token.trim());
        let token = blocking(&state.index, move |index| index.token_by_hash(&hash))
            .await?
            .ok_or(AuthError::BadToken)?;
        return Ok(Some(Staff {
            role: role_of(&token.role, &token.name)?,
            who: token.name,
            calendars: token.calendars,
            csrf_token: None,
        }));
    }
    let Some(session) = parts.extensions.get::<Session>().cloned() else {
        return Ok(None);
    };
    let signed_in = session
        .get::<SessionStaff>(STAFF_KEY)
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    let Some(signed_in) = signed_in else {
        return Ok(None);
    };
    // The account as it is now: a changed role applies at once.
    let email = signed_in.email.clone();
    let account = blocking(&state.index, move |index| index.account(&email)).await?;
    let Some(account) = account else {
        if let Err(e) = session.flush().await {
            tracing::warn!(error = %e, "could not end the session of a removed account");
        }
        return Ok(None);
    };
    // Activity pushes the expiry back (the session layer saves a session
    // that changed, with a new expiry and cookie).
    let now = unix_now();
    if now.saturating_sub(signed_in.seen) >= refresh_after(state.auth.session_idle) {
        let refreshed = SessionStaff {
            seen: now,
            ..signed_in.clone()
        };
        session
            .insert(STAFF_KEY, refreshed)
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
    }
    Ok(Some(Staff {
        role: role_of(&account.role, &account.email)?,
        who: account.email,
        calendars: account.calendars,
        csrf_token: Some(signed_in.csrf),
    }))
}

/// A write through a session carries the CSRF token in its header; the
/// console's forms (outside `/api/`) carry it as a field, which their
/// handler checks. The JSON API takes no forms, so a form sent there
/// needs the header like any other write.
fn guard_write(parts: &Parts, staff: &Staff) -> Result<(), AuthRejection> {
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || staff.csrf_token.is_none() {
        return Ok(());
    }
    let form = !parts.uri.path().starts_with("/api/")
        && parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
    if form {
        return Ok(());
    }
    match parts.headers.get(CSRF_HEADER).map(|v| v.to_str()) {
        None => Err(AuthError::CsrfMissing.into()),
        Some(Err(_)) => Err(AuthError::CsrfWrong.into()),
        Some(Ok(given)) => staff.check_csrf(given),
    }
}

async fn staff_for_write(parts: &Parts, state: &AppState) -> Result<Staff, AuthRejection> {
    let lang = lang_of(state);
    let staff = authenticate(parts, state)
        .await
        .map_err(|e| AuthRejection::from(e).in_lang(lang))?
        .ok_or_else(|| AuthRejection::from(AuthError::SignedOut).in_lang(lang))?;
    guard_write(parts, &staff).map_err(|e| e.in_lang(lang))?;
    Ok(staff)
}

/// Any signed-in staff member (or token); 401 otherwise.
#[derive(Clone, Debug)]
pub struct Editor(pub Staff);

/// An admin; 401 when anonymous, 403 for an editor.
#[derive(Clone, Debug)]
pub struct Admin(pub Staff);

/// For HTML pages: who is signed in, if anyone. Never rejects.
#[derive(Clone, Debug)]
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<AppState> for Editor {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Editor, AuthRejection> {
        staff_for_write(parts, state).await.map(Editor)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Admin, AuthRejection> {
        let staff = staff_for_write(parts, state).await?;
        if staff.role != Role::Admin {
            return Err(AuthRejection::from(AuthError::Forbidden).in_lang(lang_of(state)));
        }
        Ok(Admin(staff))
    }
}

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeStaff, std::convert::Infallible> {
        match authenticate(parts, state).await {
            Ok(staff) => Ok(MaybeStaff(staff)),
            Err(AuthError::Internal(detail)) => {
                tracing::error!(error = %detail, "authentication failed internally");
                Ok(MaybeStaff(None))
            }
            Err(_) => Ok(MaybeStaff(None)),
        }
    }
}

/// Whether a write comes from a page of another site, by what the browser
/// says: `Sec-Fetch-Site` other than `same-origin` or `none`, or an
/// `Origin` whose host is neither the request's `Host` (or
/// `X-Forwarded-Host`) nor `base_url`'s. Scripts that send neither header
/// are not browsers, and are judged by their credentials alone.
///
/// The CSRF token already guards every write of a session; this also
/// guards the login form (a page elsewhere must not sign a visitor into
/// its own account) and is one more lock on the rest.
pub fn is_cross_site(headers: &axum::http::HeaderMap, base_url: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    let Some(origin) = header("origin") else {
        return false;
    };
    let Some(origin_host) = url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(|h| host_port(h, u.port())))
    else {
        // `null` (a sandboxed frame, a file) or garbage.
        return true;
    };
    let base_host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(|h| host_port(h, u.port())));
    let same = |candidate: Option<&str>| {
        candidate.is_some_and(|c| c.trim().eq_ignore_ascii_case(&origin_host))
    };
    !(same(header("host")) || same(header("x-forwarded-host")) || same(base_host.as_deref()))
}

fn host_port(host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// An e-mail trimmed and lowercased, when it has the shape of one:
/// something, `@`, a domain with a dot; no spaces or control characters.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let fine = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    let shaped = fine(local)
        && fine(domain)
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254;
    shaped.then_some(email)
}

/// The routes of this module: login, logout, who am I, accounts.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(accounts::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(csrf: Option<&str>) -> Staff {
        Staff {
            who: "a@example.org".into(),
            role: Role::Editor,
            calendars: vec!["laval".into()],
            csrf_token: csrf.map(str::to_string),
        }
    }

    #[test]
    fn csrf_is_checked_for_sessions_only() {
        let s = staff(Some("abc"));
        assert!(s.check_csrf("abc").is_ok());
        assert!(matches!(
            s.check_csrf("abd").unwrap_err().error,
            AuthError::CsrfWrong
        ));
        assert!(matches!(
            s.check_csrf("").unwrap_err().error,
            AuthError::CsrfMissing
        ));
        assert!(staff(None).check_csrf("").is_ok());
    }

    #[test]
    fn roles_read_and_curate() {
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
        assert_eq!(serde_json::to_string(&Role::Editor).unwrap(), "\"editor\"");
        let s = staff(None);
        assert!(s.curates("laval") && !s.curates("montreal-nord"));
        assert!(Staff {
            role: Role::Admin,
            ..s
        }
        .curates("montreal-nord"));
    }

    #[test]
    fn cross_site_writes_are_told_by_the_browser_headers() {
        use axum::http::HeaderMap;
        let base = "https://agenda.example.org";
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_static(v));
            }
            m
        };
        // A script: no Origin, no Sec-Fetch-Site.
        assert!(!is_cross_site(&h(&[("host", "127.0.0.1:8080")]), base));
        // The console itself, directly or behind a proxy.
        assert!(!is_cross_site(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080"),
                ("sec-fetch-site", "same-origin")
            ]),
            base
        ));
        assert!(!is_cross_site(
            &h(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "https://agenda.example.org")
            ]),
            base
        ));
        assert!(!is_cross_site(
            &h(&[
                ("host", "10.0.0.2"),
                ("x-forwarded-host", "Agenda.example.org"),
                ("origin", "https://agenda.example.org")
            ]),
            "http://localhost"
        ));
        // Elsewhere.
        assert!(is_cross_site(
            &h(&[
                ("host", "agenda.example.org"),
                ("origin", "https://evil.example")
            ]),
            base
        ));
        assert!(is_cross_site(
            &h(&[
                ("host", "agenda.example.org"),
                ("origin", "https://agenda.example.org:8443")
            ]),
            base
        ));
        assert!(is_cross_site(
            &h(&[("host", "agenda.example.org"), ("origin", "null")]),
            base
        ));
        assert!(is_cross_site(&h(&[("sec-fetch-site", "cross-site")]), base));
        // A sibling subdomain is same-site, not same-origin.
        assert!(is_cross_site(&h(&[("sec-fetch-site", "same-site")]), base));
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email("  Marie@Example.ORG "),
            Some("marie@example.org".into())
        );
        for bad in [
            "",
            "marie",
            "@example.org",
            "marie@",
            "marie@localhost",
            "a b@example.org",
            "a@b@example.org",
            "a@.org",
            "a@example.",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejections_are_json_with_their_status() {
        let r = AuthRejection::from(AuthError::TooMany { retry_after: 61 }).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[RETRY_AFTER], "61");
        let r = AuthRejection::from(AuthError::Forbidden).into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = AuthRejection::from(AuthError::Invalid {
            field: "email",
            message: "auth-invalid-email",
        })
        .into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
}
