//! The staff console at `/admin`: server-rendered pages in the portal's
//! style where the council's staff correct what the machine got wrong.
//!
//! Every screen is a `GET` that renders a whole page, and every action a
//! plain HTML form `POST` (`application/x-www-form-urlencoded`, with the
//! session's CSRF token in the field `csrf`, checked by
//! [`Staff::check_csrf`]) that redirects back (303) with a message, so
//! nothing needs JavaScript; `/admin/assets/console.js` only adds
//! confirmations and the URL preview without a reload. No inline script or
//! style anywhere: [`super::router`] gives every answer a strict
//! Content-Security-Policy that allows neither.
//!
//! Every string a person reads comes from `publish/locales/*/console.ftl`
//! through [`crate::i18n`], French first; `?lang=en` (and a hidden `lang`
//! field in forms) switches the language without a cookie.
//!
//! The screens, one module each:
//! * `login`: the login form (the same session as the JSON login) and
//!   logout; an anonymous visitor of any screen gets the login form;
//! * `events`: the search with the public filters, hidden and locked
//!   events, and one event with its source records side by side, the edit
//!   form (which locks what it changes), unlock, hide, merge and split;
//! * `manual`: events entered by hand (a built-in source);
//! * `sources`: the sources' health, run now / pause / resume, and
//!   adding a member by its address through a preview (admin);
//! * `catalog`: venues (the gazetteer and the venues seen) and
//!   categories (with the words that matched nothing, to map them);
//! * `audit`: every change, newest first, with undo;
//! * `accounts`: staff accounts (admin).
//!
//! What is shared lives here: the extractors every handler takes
//! (`Screen` and `Form`, and their admin-only `AdminScreen` and
//! `AdminForm`: the login form for anonymous visitors, the CSRF check,
//! the 403 for editors, all before the handler runs), `Ctx` (who asks,
//! in which language), the form reader `Fields`, and the redirect that
//! carries a message.

// A screen's early answer (the login form, a 403 page) is the axum
// `Response` it returns, once per request: boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod accounts;
mod audit;
mod catalog;
mod events;
mod frame;
mod login;
mod manual;
mod sources;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use index::{Index, IndexError};

use super::auth::{MaybeStaff, Role, Staff};
use super::scope;
use crate::i18n;
use crate::layout::{esc, page_lang};
use crate::respond::html;
use crate::AppState;
use frame::Section;

/// The console's routes, merged by [`super::routes`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(events::list))
        .route("/admin/", get(events::list))
        .route("/admin/assets/console.css", get(frame::css))
        .route("/admin/assets/console.js", get(frame::js))
        .route("/admin/login", get(login::form).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/events", get(events::list))
        .route(
            "/admin/events/new",
            get(manual::new_form).post(manual::create),
        )
        .route("/admin/events/{id}", get(events::one))
        .route("/admin/events/{id}/edit", post(events::edit))
        .route("/admin/events/{id}/merge", post(events::merge))
        .route("/admin/events/{id}/{action}", post(events::act))
        .route("/admin/manual/{id}", post(manual::update))
        .route("/admin/manual/{id}/delete", post(manual::delete))
        .route("/admin/sources", get(sources::list))
        .route(
            "/admin/sources/new",
            get(sources::new_form).post(sources::add),
        )
        .route("/admin/sources/preview", post(sources::preview))
        .route("/admin/sources/{id}/{action}", post(sources::act))
        .route("/admin/venues", get(catalog::venues))
        .route("/admin/venues/merge", post(catalog::merge_venue))
        .route("/admin/venues/{id}/edit", post(catalog::edit_venue))
        .route("/admin/categories", get(catalog::categories))
        .route("/admin/categories/map", post(catalog::map))
        .route("/admin/audit", get(audit::list))
        .route("/admin/audit/{id}/undo", post(audit::undo))
        .route("/admin/accounts", get(accounts::list).post(accounts::add))
        .route("/admin/accounts/remove", post(accounts::remove))
}

/// Who asks, in which language: what every screen renders with.
pub(crate) struct Ctx {
    pub state: AppState,
    pub staff: Staff,
    pub lang: String,
}

/// A screen's request: who asks (anonymous visitors get the login form,
/// which brings them back here) and its query, whose `lang` picks the
/// language.
pub(crate) struct Screen {
    pub ctx: Ctx,
    pub query: Query,
    /// The query string as it came.
    pub raw: Option<String>,
}

/// A screen for admins only: editors get a 403 page.
pub(crate) struct AdminScreen(pub Screen);

/// A form's request: signed in (else 401 and the login form), its fields
/// (`lang` picks the language), its `csrf` field the session's token (else
/// a 403 page). Nothing is done before all of this holds.
pub(crate) struct Form {
    pub ctx: Ctx,
    pub fields: Fields,
}

/// A form for admins only: editors get a 403 page.
pub(crate) struct AdminForm(pub Form);

/// The largest form body read (a description is at most a few pages).
const FORM_LIMIT: usize = 256 * 1024;

async fn staff_of(parts: &mut Parts, state: &AppState) -> Option<Staff> {
    match MaybeStaff::from_request_parts(parts, state).await {
        Ok(MaybeStaff(staff)) => staff,
        Err(never) => match never {},
    }
}

/// Where a refused form sends the person back: the console page it was
/// posted from (browsers send the referrer to the same origin), else the
/// console's home.
fn back_of(headers: &HeaderMap) -> String {
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .filter(|p| p.starts_with("/admin") && !p.starts_with("//"))
        .unwrap_or_else(|| "/admin".to_string())
}

impl FromRequestParts<AppState> for Screen {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Screen, Response> {
        let staff = staff_of(parts, state).await;
        let query = Fields::from_query(parts.uri.query());
        let lang = page_lang(&state.config(), query.get("lang")).to_string();
        match staff {
            Some(staff) => Ok(Screen {
                ctx: Ctx {
                    state: state.clone(),
                    staff,
                    lang,
                },
                query,
                raw: parts.uri.query().map(str::to_string),
            }),
            None => Err(login::login_page(
                state,
                &lang,
                parts.uri.path(),
                None,
                StatusCode::OK,
            )),
        }
    }
}

impl FromRequestParts<AppState> for AdminScreen {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<AdminScreen, Response> {
        let screen = Screen::from_request_parts(parts, state).await?;
        screen.ctx.require_admin()?;
        Ok(AdminScreen(screen))
    }
}

impl FromRequest<AppState> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Form, Response> {
        let (mut parts, body) = request.into_parts();
        let staff = staff_of(&mut parts, state).await;
        let back = back_of(&parts.headers);
        let default_lang = page_lang(&state.config(), None).to_string();
        let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
            return Err(frame::error_page(
                state,
                &default_lang,
                staff.as_ref(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "console-error-title",
                &tr(&default_lang, "console-too-large"),
                &back,
            ));
        };
        let fields = Fields::parse(&bytes);
        let lang = page_lang(&state.config(), fields.get("lang")).to_string();
        let Some(staff) = staff else {
            return Err(login::login_page(
                state,
                &lang,
                &back,
                Some("console-login-needed"),
                StatusCode::UNAUTHORIZED,
            ));
        };
        if staff.check_csrf(fields.get("csrf").unwrap_or("")).is_err() {
            return Err(frame::error_page(
                state,
                &lang,
                Some(&staff),
                StatusCode::FORBIDDEN,
                "console-csrf-title",
                &tr(&lang, "console-csrf-text"),
                &back,
            ));
        }
        Ok(Form {
            ctx: Ctx {
                state: state.clone(),
                staff,
                lang,
            },
            fields,
        })
    }
}

impl FromRequest<AppState> for AdminForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<AdminForm, Response> {
        let form = Form::from_request(request, state).await?;
        form.ctx.require_admin()?;
        Ok(AdminForm(form))
    }
}

impl Ctx {
    /// Admin-only screens and actions: a 403 page for editors.
    pub(crate) fn require_admin(&self) -> Result<(), Response> {
        if self.staff.role == Role::Admin {
            Ok(())
        } else {
            Err(self.error(
                StatusCode::FORBIDDEN,
                "console-forbidden-title",
                &tr(&self.lang, "console-forbidden-text"),
                "/admin",
            ))
        }
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.staff.role == Role::Admin
    }

    /// What this staff member curates (lists narrow to it).
    pub(crate) fn reach(&self) -> scope::Reach {
        scope::Reach::of(&self.staff, &self.state.config())
    }

    /// Whether this staff member may do `act` (the API's decision,
    /// [`scope::check`]): else the 403 page that says why, with a link
    /// back to `back`.
    pub(crate) async fn may(&self, act: scope::Act, back: &str) -> Result<(), Response> {
        match scope::check(&self.state, &self.staff, act).await {
            Ok(()) => Ok(()),
            Err(scope::Denied::Internal(detail)) => Err(self.internal("curation scope", &detail)),
            Err(denied) => Err(self.error(
                StatusCode::FORBIDDEN,
                "console-scope-title",
                &esc(&denied.message(&self.lang, &self.staff)),
                back,
            )),
        }
    }

    /// The message `id`, escaped for HTML.
    pub(crate) fn t(&self, id: &str) -> String {
        tr(&self.lang, id)
    }

    /// An error page (`title_id` a message id, `text` already HTML) with a
    /// link back to `back`.
    pub(crate) fn error(
        &self,
        status: StatusCode,
        title_id: &str,
        text: &str,
        back: &str,
    ) -> Response {
        frame::error_page(
            &self.state,
            &self.lang,
            Some(&self.staff),
            status,
            title_id,
            text,
            back,
        )
    }

    /// Run `f` on the blocking pool (the index is synchronous); a panic is
    /// a logged 500 page.
    pub(crate) async fn blocking<T, E, F>(&self, f: F) -> Result<Result<T, E>, Response>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&Index) -> Result<T, E> + Send + 'static,
    {
        let index = Arc::clone(&self.state.index);
        tokio::task::spawn_blocking(move || f(&index))
            .await
            .map_err(|e| self.internal("console", &e))
    }

    /// A read of the index for a page; an error is a logged 500 page.
    pub(crate) async fn read<T, F>(&self, context: &'static str, f: F) -> Result<T, Response>
    where
        T: Send + 'static,
        F: FnOnce(&Index) -> Result<T, IndexError> + Send + 'static,
    {
        match self.blocking(f).await? {
            Ok(v) => Ok(v),
            Err(e) => Err(self.internal(context, &e)),
        }
    }

    /// The 500 page, the detail going to the log only.
    pub(crate) fn internal(&self, context: &str, detail: &dyn std::fmt::Display) -> Response {
        tracing::error!(context, error = %detail, "console: internal error");
        self.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "console-internal-title",
            &self.t("console-internal-text"),
            "/admin",
        )
    }

    /// A whole page of `section` in the console's frame: `title` as text,
    /// `body` already HTML, `switch` this page's path for the language
    /// switch, `flash` the message to show (a failure when `true`).
    pub(crate) fn render(
        &self,
        status: StatusCode,
        section: Section,
        title: &str,
        body: &str,
        switch: &str,
        flash: Option<(String, bool)>,
    ) -> Response {
        html(
            status,
            frame::page(
                &self.state,
                &frame::Frame {
                    lang: &self.lang,
                    staff: Some(&self.staff),
                    section,
                    title,
                    body,
                    switch,
                    flash,
                },
            ),
        )
    }

    /// The 404 page for `what`, with a link back to `back`.
    pub(crate) fn not_found(&self, what: &str, back: &str) -> Response {
        self.error(
            StatusCode::NOT_FOUND,
            "console-error-title",
            &tr_args(
                &self.lang,
                "console-error-not-found",
                &[("what", what.into())],
            ),
            back,
        )
    }

    /// `path` in this language (`path` may hold a query already).
    pub(crate) fn href(&self, path: &str) -> String {
        with_lang(path, &self.lang)
    }

    /// The hidden fields every form carries.
    pub(crate) fn hidden(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"lang\" value=\"{}\">",
            esc(self.staff.csrf_token.as_deref().unwrap_or("")),
            esc(&self.lang)
        )
    }

    /// 303 to `path` in this language, with the message `console-done-{done}`.
    pub(crate) fn done(&self, path: &str, done: &str) -> Response {
        let sep = if path.contains('?') { '&' } else { '?' };
        see_other(&format!(
            "{path}{sep}lang={}&done={}",
            encode(&self.lang),
            encode(done)
        ))
    }
}

/// The message `id` in `lang`, escaped for HTML.
pub(crate) fn tr(lang: &str, id: &str) -> String {
    esc(&i18n::tr(lang, id))
}

/// The message `id` in `lang` with arguments, escaped for HTML.
pub(crate) fn tr_args(
    lang: &str,
    id: &str,
    args: &[(&'static str, i18n::FluentValue<'_>)],
) -> String {
    esc(&i18n::tr_args(lang, id, args))
}

/// `path` with `lang=` added to its query.
pub(crate) fn with_lang(path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={}", encode(lang))
}

/// A value for a query string or a path segment.
pub(crate) fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// 303 See Other to `location` (a path of this site).
pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// The pairs of a query string or of a form body, in order (a name may
/// come several times: checkboxes).
#[derive(Clone, Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

/// A query string read the same way as a form.
pub(crate) type Query = Fields;

impl Fields {
    pub(crate) fn parse(raw: &[u8]) -> Fields {
        Fields(
            url::form_urlencoded::parse(raw)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub(crate) fn from_query(raw: Option<&str>) -> Fields {
        Fields::parse(raw.unwrap_or("").as_bytes())
    }

    /// The last value of `name`, trimmed, when not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// The last value of `name` as given (empty when absent).
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every non-empty value of `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Whether a checkbox `name` was ticked.
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}
