//! Signing in and out from the console: the login form posts to
//! `/admin/login`, which opens the same session as the JSON login
//! ([`auth::sign_in`]: the same rate limit, the same cookie); its refusals
//! are said in the console's words (wrong address or password, too many
//! attempts and how long to wait).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use tower_sessions::Session;

use super::frame::{self, Frame, Section};
use super::{see_other, tr, tr_args, with_lang, Fields, Form};
use crate::admin::auth::{self, AuthError, ClientAddr, MaybeStaff};
use crate::i18n;
use crate::layout::{esc, page_lang};
use crate::respond::html;
use crate::AppState;

/// Where to go once signed in: a console path, never another site.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/admin",
    }
}

/// The login form (what anonymous visitors of any screen get), with the
/// message `problem` (an id) when there is one.
pub fn login_page(
    state: &AppState,
    lang: &str,
    next: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> Response {
    login_page_with(
        state,
        lang,
        next,
        problem.map(|id| tr(lang, id)),
        "",
        status,
    )
}

fn login_page_with(
    state: &AppState,
    lang: &str,
    next: &str,
    problem: Option<String>,
    email: &str,
    status: StatusCode,
) -> Response {
    let alert = problem
        .map(|p| format!("<p role=\"alert\" class=\"flash bad\">{p}</p>\n"))
        .unwrap_or_default();
    let body = format!(
        "{alert}<form class=\"login\" method=\"post\" action=\"/admin/login\">\
<input type=\"hidden\" name=\"lang\" value=\"{lang}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
<div class=\"field\"><label for=\"email\">{email_l}</label><input type=\"email\" id=\"email\" name=\"email\" value=\"{email}\" \
autocomplete=\"username\" required></div>\
<div class=\"field\"><label for=\"password\">{password_l}</label><input type=\"password\" id=\"password\" name=\"password\" \
autocomplete=\"current-password\" required></div>\
<p><button type=\"submit\">{go}</button></p></form>\n<p class=\"hint\">{help}</p>\n",
        lang = esc(lang),
        next = esc(safe_next(Some(next))),
        email_l = tr(lang, "console-login-email"),
        email = esc(email),
        password_l = tr(lang, "console-login-password"),
        go = tr(lang, "console-login-go"),
        help = tr(lang, "console-login-help"),
    );
    let title = i18n::tr(lang, "console-login-title");
    let switch = format!("/admin/login?next={}", super::encode(safe_next(Some(next))));
    html(
        status,
        frame::page(
            state,
            &Frame {
                lang,
                staff: None,
                section: Section::None,
                title: &title,
                body: &body,
                switch: &switch,
                flash: None,
            },
        ),
    )
}

/// `GET /admin/login`.
pub async fn form(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = Fields::from_query(raw.as_deref());
    let lang = page_lang(&state.config(), query.get("lang")).to_string();
    let next = safe_next(query.get("next"));
    if staff.is_some() {
        return see_other(&with_lang(next, &lang));
    }
    // A message after logout is shown above the form.
    let message = frame::flash(&lang, &query).map(|(text, _)| text);
    login_page_with(&state, &lang, next, message, "", StatusCode::OK)
}

/// `POST /admin/login` (`email`, `password`, `next`): the session, then
/// back to where the person was going.
pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let lang = page_lang(&state.config(), fields.get("lang")).to_string();
    let next = safe_next(fields.get("next")).to_string();
    let email = fields.get("email").unwrap_or("");
    let password = fields.raw("password");
    match auth::sign_in(&state, &session, client, email, password).await {
        Ok(_) => see_other(&with_lang(&next, &lang)),
        Err(rejection) => {
            let (status, text, retry) = match &rejection.error {
                AuthError::BadCredentials => (
                    StatusCode::UNAUTHORIZED,
                    tr(&lang, "console-login-bad"),
                    None,
                ),
                AuthError::TooMany { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    tr_args(
                        &lang,
                        "console-login-too-many",
                        &[("minutes", retry_after.div_ceil(60).max(1).into())],
                    ),
                    Some(*retry_after),
                ),
                AuthError::Invalid { message, .. } => {
                    (StatusCode::BAD_REQUEST, tr(&lang, message), None)
                }
                other => {
                    tracing::error!(error = %other, "console login failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        tr(&lang, "console-internal-text"),
                        None,
                    )
                }
            };
            let mut response = login_page_with(&state, &lang, &next, Some(text), email, status);
            if let Some(secs) = retry {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
}

/// `POST /admin/logout`: the session ends.
pub async fn logout(session: Session, Form { ctx, .. }: Form) -> Response {
    if let Err(e) = session.flush().await {
        return ctx.internal("console logout", &e);
    }
    see_other(&format!(
        "/admin/login?lang={}&done=logged-out",
        super::encode(&ctx.lang)
    ))
}
