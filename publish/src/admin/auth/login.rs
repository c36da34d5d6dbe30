//! Signing in and out, and the rate limit of failed logins.
//!
//! Failures are counted per account and per client address over
//! [`AuthSettings::failure_window`] in the `login_failures` table, so a
//! restart does not reset them. An attempt is counted as a failure before
//! the password is checked (and uncounted when it was right), in the same
//! transaction as the check of the limit, so that attempts sent all at
//! once get no more tries than attempts sent one by one. Past either limit
//! every attempt is refused with 429 and `Retry-After` (the seconds until
//! the oldest failure leaves the window), even one with the right
//! password: otherwise the limit would only slow a guesser down until they
//! guessed. A success clears the account's failures, not the address's
//! (one good account must not reset the guessing of others from the same
//! place).
//!
//! The client address is the peer's (an IPv6 one counts as its /64);
//! behind a reverse proxy on the same machine (a loopback peer) it is the
//! last address of `X-Forwarded-For`, the one that proxy saw. A router
//! served without the peer's address (`into_make_service_with_connect_info`)
//! limits per account only.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use index::accounts::{LoginAttempt, LoginLimit};
use serde_json::{json, Map, Value};
use tower_sessions::Session;

use super::{
    blocking, lang_of, normalize_email, secret, unix_now, AuthError, AuthRejection, AuthSettings,
    Editor, SessionStaff, STAFF_KEY,
};
use crate::AppState;

/// The address a request comes from, when known.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddr(client_addr(peer, &parts.headers)))
    }
}

fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?;
    if !peer.is_loopback() {
        return Some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back();
    Some(forwarded.unwrap_or(peer))
}

fn window_secs(settings: &AuthSettings) -> i64 {
    i64::try_from(settings.failure_window.as_secs())
        .unwrap_or(i64::MAX)
        .max(1)
}

/// The keys a login attempt counts under, each with its limit.
fn failure_keys(
    email: &str,
    client: Option<IpAddr>,
    settings: &AuthSettings,
) -> Vec<(String, u32)> {
    let mut keys = vec![(format!("account:{email}"), settings.failures_per_account)];
    if let Some(ip) = client {
        keys.push((
            format!("address:{}", address_key(ip)),
            settings.failures_per_address,
        ));
    }
    keys
}

/// What an address counts as: an IPv4 address, or the /64 of an IPv6 one
/// (one subscriber holds a whole /64 and could rotate within it).
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Sign `email` in on `session` when the password is right and neither
/// limit is reached; the new session's CSRF token. The console's login
/// form calls it too.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    client: ClientAddr,
    email: &str,
    password: &str,
) -> Result<String, AuthRejection> {
    let lang = lang_of(state);
    sign_in_inner(state, session, client, email, password)
        .await
        .map_err(|e| AuthRejection::from(e).in_lang(lang))
}

async fn sign_in_inner(
    state: &AppState,
    session: &Session,
    ClientAddr(client): ClientAddr,
    email: &str,
    password: &str,
) -> Result<String, AuthError> {
    let email = normalize_email(email).ok_or(AuthError::Invalid {
        field: "email",
        message: "auth-invalid-email",
    })?;
    if password.is_empty() {
        return Err(AuthError::Invalid {
            field: "password",
            message: "auth-password-missing",
        });
    }
    let settings = &state.auth;
    let now = unix_now();
    let window = window_secs(settings);
    let keys = failure_keys(&email, client, settings);

    // Counted as a failure before the password is even looked at (see
    // `Index::begin_login_attempt`): attempts sent all at once get no more
    // tries than attempts sent one by one.
    let attempt = blocking(&state.index, move |index| {
        let limits: Vec<LoginLimit<'_>> = keys
            .iter()
            .map(|(key, max)| LoginLimit { key, max: *max })
            .collect();
        index.begin_login_attempt(&limits, now, window)
    })
    .await?;
    let rows = match attempt {
        LoginAttempt::Allowed { rows } => rows,
        LoginAttempt::Refused { retry_at } => {
            let wait = retry_at.saturating_sub(now).max(1);
            return Err(AuthError::TooMany {
                retry_after: u64::try_from(wait).unwrap_or(1),
            });
        }
    };

    let looked_up = email.clone();
    let found = blocking(&state.index, move |index| {
        index.account_with_hash(&looked_up)
    })
    .await?;
    let (account, stored) = match found {
        Some((account, hash)) => (Some(account), Some(hash)),
        None => (None, None),
    };
    let given = password.to_string();
    let matches =
        tokio::task::spawn_blocking(move || secret::verify_password(&given, stored.as_deref()))
            .await
            .map_err(|e| AuthError::Internal(e.to_string()))?;
    let account = match account {
        Some(account) if matches => account,
        // The failure is already counted.
        _ => return Err(AuthError::BadCredentials),
    };

    // A success: uncount it, and forget the account's earlier failures.
    let account_key = format!("account:{email}");
    blocking(&state.index, move |index| {
        index.forget_login_attempt(&rows)?;
        index.clear_login_failures(&account_key)
    })
    .await?;
    let csrf = secret::new_csrf_token().map_err(|e| AuthError::Internal(e.to_string()))?;
    // A new id on every sign-in: an id planted before it is worth nothing.
    session
        .cycle_id()
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    session
        .insert(
            STAFF_KEY,
            SessionStaff {
                email: account.email,
                csrf: csrf.clone(),
                seen: unix_now(),
            },
        )
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(csrf)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON object body; anything else is 400 on `body`. Only JSON is
/// taken: a cross-site form cannot send it without a CORS preflight, which
/// this API never answers.
pub(super) fn json_object(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, AuthError> {
    let bad = AuthError::Invalid {
        field: "body",
        message: "auth-bad-body",
    };
    if !is_json(headers) {
        return Err(bad);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad),
    }
}

/// The string `field` of a body; 400 on it when missing or not a string.
pub(super) fn str_field<'a>(
    body: &'a Map<String, Value>,
    field: &'static str,
    message: &'static str,
) -> Result<&'a str, AuthError> {
    body.get(field)
        .and_then(Value::as_str)
        .ok_or(AuthError::Invalid { field, message })
}

/// `POST /api/v1/admin/login` `{"email", "password"}` → `{"csrf_token"}`.
async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AuthRejection> {
    let lang = lang_of(&state);
    let fields = json_object(&headers, &body).map_err(|e| AuthRejection::from(e).in_lang(lang))?;
    let email = str_field(&fields, "email", "auth-invalid-email")
        .map_err(|e| AuthRejection::from(e).in_lang(lang))?;
    let password = str_field(&fields, "password", "auth-password-missing")
        .map_err(|e| AuthRejection::from(e).in_lang(lang))?;
    let csrf = sign_in(&state, &session, client, email, password).await?;
    Ok(Json(json!({ "csrf_token": csrf })))
}

/// End the session: its row is deleted (a copy of the cookie is worth
/// nothing after it) and the cookie removed. The console's logout form
/// calls it too.
pub async fn sign_out(session: &Session) -> Result<(), AuthRejection> {
    session
        .flush()
        .await
        .map_err(|e| AuthRejection::from(AuthError::Internal(e.to_string())))
}

/// `POST /api/v1/admin/logout` (an API token has no session to end).
async fn logout(Editor(staff): Editor, session: Session) -> Result<StatusCode, AuthRejection> {
    if staff.csrf_token.is_some() {
        sign_out(&session).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/admin/me`: who is signed in, with the CSRF token the
/// console's scripts send back.
async fn me(Editor(staff): Editor) -> Json<Value> {
    Json(json!({
        "who": staff.who,
        "role": staff.role,
        "calendars": staff.calendars,
        "csrf_token": staff.csrf_token,
    }))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/login", post(login))
        .route("/api/v1/admin/logout", post(logout))
        .route("/api/v1/admin/me", get(me))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_client_is_the_peer_or_what_a_local_proxy_saw() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7"),
        );
        let remote: IpAddr = "192.0.2.1".parse().unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        // A remote peer cannot choose its address.
        assert_eq!(client_addr(Some(remote), &headers), Some(remote));
        // A local proxy's last hop is trusted.
        assert_eq!(
            client_addr(Some(local), &headers),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(client_addr(Some(local), &HeaderMap::new()), Some(local));
        assert_eq!(client_addr(None, &headers), None);
    }

    #[test]
    fn an_ipv6_client_counts_as_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7"
        );
        assert_eq!(address_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
