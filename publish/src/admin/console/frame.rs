//! The console's page frame (header, language switch, the screens'
//! navigation, the message region, footer), its two assets and the error
//! pages.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{tr, with_lang, Query};
use crate::admin::auth::{Role, Staff};
use crate::i18n;
use crate::layout::esc;
use crate::respond::html;
use crate::AppState;

/// The stylesheet, `/admin/assets/console.css`.
pub const CONSOLE_CSS: &str = include_str!("../../../assets/console.css");
/// The progressive script, `/admin/assets/console.js`.
pub const CONSOLE_JS: &str = include_str!("../../../assets/console.js");

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CONSOLE_CSS)
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", CONSOLE_JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Which screen a page belongs to (the navigation marks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Events,
    NewEvent,
    Sources,
    Venues,
    Categories,
    Audit,
    Accounts,
    None,
}

const NAV: &[(Section, &str, &str, bool)] = &[
    (
        Section::Events,
        "/admin/events",
        "console-nav-events",
        false,
    ),
    (
        Section::NewEvent,
        "/admin/events/new",
        "console-nav-new-event",
        false,
    ),
    (
        Section::Sources,
        "/admin/sources",
        "console-nav-sources",
        false,
    ),
    (
        Section::Venues,
        "/admin/venues",
        "console-nav-venues",
        false,
    ),
    (
        Section::Categories,
        "/admin/categories",
        "console-nav-categories",
        false,
    ),
    (Section::Audit, "/admin/audit", "console-nav-audit", false),
    (
        Section::Accounts,
        "/admin/accounts",
        "console-nav-accounts",
        true,
    ),
];

/// What goes into a console page.
pub struct Frame<'a> {
    pub lang: &'a str,
    pub staff: Option<&'a Staff>,
    pub section: Section,
    /// The page's `<h1>`, as text.
    pub title: &'a str,
    /// The main content after the `<h1>`, already HTML.
    pub body: &'a str,
    /// This page's path and query without `lang`, for the language switch.
    pub switch: &'a str,
    /// A message to show in the live region, already HTML; `bad` marks a failure.
    pub flash: Option<(String, bool)>,
}

/// A whole console page.
pub fn page(state: &AppState, f: &Frame<'_>) -> String {
    let lang = f.lang;
    let config = &state.config();
    let switch = config
        .languages
        .iter()
        .filter(|l| i18n::LANGUAGES.contains(&l.as_str()))
        .map(|l| {
            if l == lang {
                format!(
                    "<span aria-current=\"true\">{}</span>",
                    esc(&l.to_uppercase())
                )
            } else {
                format!(
                    "<a href=\"{}\" hreflang=\"{l}\" lang=\"{l}\">{}</a>",
                    esc(&with_lang(f.switch, l)),
                    esc(&l.to_uppercase()),
                    l = esc(l)
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let (who, nav) = match f.staff {
        Some(staff) => {
            let role = match staff.role {
                Role::Admin => tr(lang, "console-role-admin"),
                Role::Editor => tr(lang, "console-role-editor"),
            };
            let logout = if staff.csrf_token.is_some() {
                format!(
                    "<form method=\"post\" action=\"/admin/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<input type=\"hidden\" name=\"lang\" value=\"{lang}\"><button type=\"submit\" class=\"quiet\">{out}</button></form>",
                    csrf = esc(staff.csrf_token.as_deref().unwrap_or("")),
                    lang = esc(lang),
                    out = tr(lang, "console-logout"),
                )
            } else {
                String::new()
            };
            let items: String = NAV
                .iter()
                .filter(|(_, _, _, admin)| !admin || staff.role == Role::Admin)
                .map(|(section, path, id, _)| {
                    format!(
                        "<li><a href=\"{}\"{}>{}</a></li>",
                        esc(&with_lang(path, lang)),
                        if *section == f.section {
                            " aria-current=\"page\""
                        } else {
                            ""
                        },
                        tr(lang, id)
                    )
                })
                .collect();
            (
                format!(
                    "<div class=\"who\"><span>{} <span class=\"muted\">({role})</span></span>{logout}</div>",
                    esc(&staff.who)
                ),
                format!(
                    "<nav class=\"console\" aria-label=\"{}\"><ul>{items}</ul></nav>\n",
                    tr(lang, "console-nav-label")
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    let (flash, flash_class) = match &f.flash {
        Some((text, true)) => (text.clone(), "flash bad"),
        Some((text, false)) => (text.clone(), "flash"),
        None => (String::new(), "flash"),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"robots\" content=\"noindex\">\n\
<title>{title} · {console} · {name}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
<link rel=\"stylesheet\" href=\"/admin/assets/console.css\">\n\
<script src=\"/admin/assets/console.js\" defer></script>\n</head>\n<body>\n\
<a class=\"skip\" href=\"#main\">{skip}</a>\n\
<header class=\"site\"><a class=\"brand\" href=\"{home}\">{name} <span>· {console}</span></a>\
<nav class=\"lang\" aria-label=\"{langs}\">{switch}</nav>{who}</header>\n{nav}\
<main id=\"main\" tabindex=\"-1\">\n<h1>{title}</h1>\n\
<div id=\"live\" class=\"{flash_class}\" role=\"status\" aria-live=\"polite\">{flash}</div>\n{body}\n</main>\n\
<footer class=\"site\"><a href=\"{portal}\">{portal_l}</a> · babillard</footer>\n</body>\n</html>\n",
        lang = esc(lang),
        title = esc(f.title),
        console = tr(lang, "console-name"),
        name = esc(&config.name),
        skip = tr(lang, "console-skip"),
        home = esc(&with_lang("/admin", lang)),
        langs = tr(lang, "console-language"),
        body = f.body,
        portal = esc(&with_lang("/", lang)),
        portal_l = tr(lang, "console-to-portal"),
    )
}

/// The message a redirect asked for (`done=ID`: `console-done-ID`), when
/// it is one of ours.
pub fn flash(lang: &str, query: &Query) -> Option<(String, bool)> {
    let done = query.get("done")?;
    let id = format!("console-done-{done}");
    let known = done.chars().all(|c| c.is_ascii_lowercase() || c == '-') && i18n::has(&id);
    known.then(|| (tr(lang, &id), false))
}

/// An error page: `title_id` a message id, `text` already HTML, a link back.
pub fn error_page(
    state: &AppState,
    lang: &str,
    staff: Option<&Staff>,
    status: StatusCode,
    title_id: &str,
    text: &str,
    back: &str,
) -> Response {
    let title = i18n::tr(lang, title_id);
    let body = format!(
        "<p role=\"alert\">{text}</p>\n<p><a href=\"{}\">{}</a></p>",
        esc(&with_lang(back, lang)),
        tr(lang, "console-back")
    );
    html(
        status,
        page(
            state,
            &Frame {
                lang,
                staff,
                section: Section::None,
                title: &title,
                body: &body,
                switch: back,
                flash: None,
            },
        ),
    )
}
