//! The staff console: the HTML pages under `/admin` and the JSON API under
//! `/api/v1/admin/`, for signed-in staff only (anonymous visitors get the
//! login form or 401).
//!
//! * [`auth`]: accounts, sessions, API tokens, the CSRF guard, and the
//!   extractors every route takes ([`auth::Editor`], [`auth::Admin`],
//!   [`auth::MaybeStaff`]);
//! * [`curation`]: events (fields, locks, hide, merge, split) and the audit;
//! * [`scope`]: what an editor tied to calendars may curate, the one check
//!   the API and the console's forms ask;
//! * [`sources`]: member sources and manual events, through the
//!   [`sources::SourceAdmin`] the binary provides;
//! * [`venues`]: venue edits and merges (aliases learned), written into
//!   the gazetteer through the same [`sources::SourceAdmin`];
//! * [`console`]: the HTML pages.
//!
//! [`router`] adds what every route here shares, and the public routes do
//! not have: the session layer, the security headers (no caching, no
//! framing, no sniffing, a strict Content-Security-Policy: the console
//! loads its CSS and JavaScript from `/admin/assets/`, nothing inline and
//! nothing from elsewhere), the refusal of writes sent by pages of other
//! sites, a JSON 404 for unknown API paths, and no CORS (the public
//! router's CORS layer is applied before this router is merged).

pub mod auth;
pub mod console;
pub mod curation;
pub mod scope;
pub mod sources;
pub mod venues;

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::respond::json_error;
use crate::AppState;

/// The console's Content-Security-Policy.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' https: data:; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'; connect-src 'self'";

/// Every route of the console, without the layers (see [`router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(curation::routes())
        .merge(sources::routes())
        .merge(venues::routes())
        .merge(console::routes())
}

/// The console's routes with their layers, ready to merge into the
/// public router (outside its CORS layer).
pub fn router(state: &AppState) -> Router<AppState> {
    let secure = state.config().base_url.starts_with("https://");
    let idle =
        CookieDuration::try_from(state.auth.session_idle).unwrap_or(CookieDuration::hours(12));
    let sessions = SessionManagerLayer::new(auth::store::SqliteSessionStore::new(
        std::sync::Arc::clone(&state.index),
    ))
    .with_name(auth::SESSION_COOKIE)
    .with_http_only(true)
    .with_same_site(SameSite::Strict)
    .with_path("/")
    .with_secure(secure)
    // The expiry slides with activity: `auth` marks a session changed
    // when its expiry is due to be pushed back, and a changed session is
    // saved with a fresh expiry and cookie.
    .with_expiry(Expiry::OnInactivity(idle));
    routes()
        .route("/api/v1/admin", any(api_not_found))
        .route("/api/v1/admin/{*rest}", any(api_not_found))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_site_writes,
        ))
        .layer(middleware::from_fn(security_headers))
}

/// Refuse a write that a page of another site sent (see
/// [`auth::is_cross_site`]) when it could act as someone: it carries the
/// session cookie, or it signs in (a path ending in `/login`, the API's or
/// the console form's). An anonymous write from elsewhere goes on to its
/// route, whose guard answers 401 as for any anonymous write.
async fn same_site_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let acts = request.uri().path().ends_with("/login") || has_session_cookie(request.headers());
    if !safe && acts && auth::is_cross_site(request.headers(), &state.config().base_url) {
        return auth::AuthRejection::from(auth::AuthError::CrossSite).into_response();
    }
    next.run(request).await
}

fn has_session_cookie(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| {
            c.trim()
                .split_once('=')
                .is_some_and(|(name, _)| name == auth::SESSION_COOKIE)
        })
}

async fn api_not_found(uri: Uri) -> Response {
    json_error(StatusCode::NOT_FOUND, format!("no page at {}", uri.path()))
}

/// The headers of every answer under `/admin` and `/api/v1/admin/`, and
/// `Secure` on cookies when a proxy says the client came over https.
async fn security_headers(request: Request, next: Next) -> Response {
    let behind_https = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    if behind_https {
        let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
        if !cookies.is_empty() {
            headers.remove(SET_COOKIE);
            for cookie in cookies {
                headers.append(SET_COOKIE, with_secure(cookie));
            }
        }
    }
    response
}

/// `cookie` with the `Secure` attribute (unchanged when it has it).
fn with_secure(cookie: HeaderValue) -> HeaderValue {
    let Ok(text) = cookie.to_str() else {
        return cookie;
    };
    let has = text
        .split(';')
        .skip(1)
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"));
    if has {
        return cookie;
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_is_added_once() {
        let plain = HeaderValue::from_static("babillard_session=x; HttpOnly; Path=/");
        assert_eq!(
            with_secure(plain),
            "babillard_session=x; HttpOnly; Path=/; Secure"
        );
        let already = HeaderValue::from_static("a=b; Secure; HttpOnly");
        assert_eq!(with_secure(already.clone()), already);
    }
}
