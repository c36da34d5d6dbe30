//! The public portal `GET /` and the sources' health `GET /sources`,
//! server-rendered in the shared frame of [`crate::layout`].
//!
//! The portal takes the API's parameters (`q`, `from`, `to`, `category`,
//! `venue`, `source`, `near`, `radius_km`, `bbox`, `lang`, `limit`,
//! `cursor`) plus `view` (`list` or `month`) and `month` (`2026-12`). It
//! shows a search form whose selects carry counts from the index's facets,
//! the events (grouped by day, or in a month table with previous/next
//! links), subscribe links for the current filters, and the snippets that
//! embed the same search elsewhere (the widget or an iframe on `/embed`).
//! No external asset: the only script, `/assets/portal.js` (served from
//! the binary, no inline script: see [`crate::security`]), adds "copy"
//! buttons to the snippets.

mod form;
mod month;
mod sources;

use std::fmt::Write as _;

use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use index::{Facets, Page as EventsPage};
use model::{Event, Status};

use crate::cache::CachePolicy;
use crate::handler::{Defaults, Request, Search};
use crate::i18n;
use crate::lang::localize;
use crate::layout::{self, esc, page_lang, tr_esc, tr_html, Page};
use crate::pages::{subscribe_links, SubscribeLinks};
use crate::params::{self, ParamError, MAX_LIMIT};
use crate::respond::{html, json_error, run_index};
use crate::{AppState, PublishConfig};
pub use month::month_label;
pub use sources::sources_page;

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(portal))
        .route("/sources", get(sources_page))
        .route("/assets/portal.js", get(portal_js))
}

/// The portal's script, served as is.
pub const PORTAL_JS: &str = include_str!("../../assets/portal.js");

/// `GET /assets/portal.js`: ETag from the bytes, cached for an hour.
async fn portal_js(headers: HeaderMap) -> Response {
    static ETAG_VALUE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let etag = ETAG_VALUE.get_or_init(|| crate::cache::body_etag(PORTAL_JS.as_bytes()));
    crate::widget::script(&headers, etag, PORTAL_JS)
}

/// A 400 HTML page naming the parameter that could not be understood and
/// what it expects; the parser's own message (the API's, in English) is
/// folded under it.
pub fn bad_request(config: &PublishConfig, lang: &str, e: &ParamError) -> Response {
    let body = format!(
        "<h1>{title}</h1>\n<p role=\"alert\">{what} {hint}</p>\n\
<details><summary>{detail}</summary><code>{message}</code></details>\n\
<p><a href=\"{p}/?lang={lang}\">{back}</a></p>",
        p = esc(&config.network.prefix),
        title = tr_esc(lang, "error-bad-request-title"),
        what = tr_html(
            lang,
            "error-bad-parameter",
            &[("parameter", &format!("<code>{}</code>", esc(&e.parameter)))]
        ),
        hint = esc(&i18n::tr_args(
            lang,
            "error-parameter-hint",
            &[
                ("parameter", e.parameter.as_str().into()),
                ("languages", config.languages.join(", ").into()),
                ("max", MAX_LIMIT.into()),
            ]
        )),
        detail = tr_esc(lang, "error-detail"),
        message = esc(&e.message),
        lang = esc(lang),
        back = tr_esc(lang, "error-back"),
    );
    error_page(
        config,
        lang,
        StatusCode::BAD_REQUEST,
        &i18n::tr(lang, "error-bad-request-title"),
        &body,
    )
}

/// The answer to a path no route serves: a 404 page for a browser (it
/// asks for `text/html`) outside the API, else the API's JSON error.
pub fn not_found(config: &PublishConfig, headers: &HeaderMap, uri: &Uri) -> Response {
    let path = uri.path();
    let browser = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !browser || path.starts_with("/api/") {
        return json_error(StatusCode::NOT_FOUND, format!("no page at {path}"));
    }
    let asked = params::parse_lang(uri.query(), &config.languages).unwrap_or(None);
    let lang = page_lang(config, asked.as_deref());
    let title = i18n::tr(lang, "error-page-not-found-title");
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"{}/?lang={}\">{}</a></p>",
        esc(&title),
        tr_html(
            lang,
            "error-page-not-found",
            &[("path", &format!("<code>{}</code>", esc(path)))]
        ),
        esc(&config.network.prefix),
        esc(lang),
        tr_esc(lang, "error-back"),
    );
    error_page(config, lang, StatusCode::NOT_FOUND, &title, &body)
}

/// The 404 page of `/c/{id}/...` when no calendar has that id, in `lang`,
/// linking to the installation's portal.
pub fn unknown_calendar_page(config: &PublishConfig, lang: &str, id: &str) -> Response {
    let title = i18n::tr(lang, "error-calendar-not-found-title");
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/?lang={}\">{}</a></p>",
        esc(&title),
        tr_html(
            lang,
            "error-calendar-not-found",
            &[("id", &format!("<code>{}</code>", esc(id)))]
        ),
        esc(lang),
        tr_esc(lang, "error-back"),
    );
    error_page(config, lang, StatusCode::NOT_FOUND, &title, &body)
}

/// A 500 HTML page: the index could not be read (the cause is in the log,
/// written by [`crate::respond::run_index`]).
pub fn server_error(config: &PublishConfig, lang: &str) -> Response {
    let title = i18n::tr(lang, "error-server-title");
    let body = format!(
        "<h1>{}</h1>\n<p role=\"alert\">{}</p>\n<p><a href=\"{}/?lang={}\">{}</a></p>",
        esc(&title),
        tr_esc(lang, "error-server"),
        esc(&config.network.prefix),
        esc(lang),
        tr_esc(lang, "error-back"),
    );
    error_page(
        config,
        lang,
        StatusCode::INTERNAL_SERVER_ERROR,
        &title,
        &body,
    )
}

/// An error page in the shared frame, kept out of search engines.
pub fn error_page(
    config: &PublishConfig,
    lang: &str,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let page = layout::page(
        config,
        &Page {
            title,
            lang,
            head: &format!("{NO_FAVICON}<meta name=\"robots\" content=\"noindex\">"),
            body,
            switch_path: None,
        },
    );
    html(status, page)
}

/// The local days an event covers, in its own zone (all-day ends are
/// exclusive), at most 62.
fn event_days(e: &Event) -> (NaiveDate, NaiveDate) {
    let first = e.start.date_naive();
    let last = match e.end {
        Some(end) if end > e.start => (end - Duration::seconds(1)).date_naive(),
        _ => first,
    };
    let last = last.min(first + Duration::days(62));
    (first, last.max(first))
}

/// When an event happens, on its day: times, or "all day" / "until ...".
fn when_label(lang: &str, e: &Event) -> String {
    let (first, last) = event_days(e);
    if e.all_day {
        if first == last {
            i18n::tr(lang, "when-all-day")
        } else {
            i18n::tr_args(
                lang,
                "when-until",
                &[("date", layout::date_text(last, lang).into())],
            )
        }
    } else {
        let start = layout::time_text(e.start.hour(), e.start.minute(), lang);
        match e.end {
            Some(end) if first == last => format!(
                "{start} – {}",
                layout::time_text(end.hour(), end.minute(), lang)
            ),
            Some(end) => format!(
                "{start} – {}",
                layout::date_time_text(
                    lang,
                    end.date_naive(),
                    &layout::time_text(end.hour(), end.minute(), lang)
                )
            ),
            None => start,
        }
    }
}

/// Subscribe links for the filters in `filters` (already encoded, may be
/// empty) on `base_url`: those of [`crate::pages::subscribe_links`], plus
/// the RSS feed of the same search.
pub fn subscribe(base_url: &str, name: &str, filters: &str) -> (SubscribeLinks, String) {
    let links = subscribe_links(base_url, Some(filters)).named(name);
    let base = base_url.trim_end_matches('/');
    let rss = if filters.is_empty() {
        format!("{base}/feeds/events.rss")
    } else {
        format!("{base}/feeds/events.rss?{filters}")
    };
    (links, rss)
}

// ---------------------------------------------------------------- the portal

/// `GET /`.
pub async fn portal(req: Request) -> Response {
    req.cached(CachePolicy::Public, async {
        match render_portal(&req).await {
            Ok(body) => html(StatusCode::OK, body),
            Err(response) => response,
        }
    })
    .await
}

struct View {
    month: Option<(i32, u32)>,
}

async fn render_portal(req: &Request) -> Result<String, Response> {
    let state = &req.state;
    let raw = req.raw();
    let config = &req.config;
    let asked = req
        .lang()
        .map_err(|e| bad_request(config, page_lang(config, None), &e))?;
    let lang = page_lang(config, asked.as_deref()).to_string();
    let bad = |e: ParamError| bad_request(config, &lang, &e);
    let tz = config.timezone;
    let view_name = params::parse_view(raw).map_err(bad)?;
    let month = params::parse_month(raw).map_err(bad)?;
    let Search { mut query, now, .. } = req.search_query(Defaults::Upcoming).map_err(bad)?;
    let view = if view_name == "month" {
        let (y, m) = month.unwrap_or_else(|| {
            let from = if params::has_explicit_from(raw) {
                query.from
            } else {
                now
            };
            let local = from.with_timezone(&tz);
            (local.year(), local.month())
        });
        let Some((from, to)) = month::month_range(y, m, tz) else {
            return Err(bad(ParamError {
                parameter: "month".into(),
                message: "out of range".into(),
            }));
        };
        query.from = from;
        query.to = Some(to);
        query.limit = MAX_LIMIT;
        query.cursor = None;
        View {
            month: Some((y, m)),
        }
    } else {
        View { month: None }
    };
    let mut facet_query = query.clone();
    facet_query.categories.clear();
    facet_query.venues.clear();
    let (page, facets) = run_index(&state.index, "portal query", move |ix| {
        Ok((ix.query(&query)?, ix.facets(&facet_query)?))
    })
    .await
    .map_err(|_| server_error(config, &lang))?;
    Ok(portal_html(
        config, raw, &lang, &view, page, &facets, now, tz,
    ))
}

#[allow(clippy::too_many_arguments)]
fn portal_html(
    config: &PublishConfig,
    raw: Option<&str>,
    lang: &str,
    view: &View,
    mut page: EventsPage,
    facets: &Facets,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    page.events.iter_mut().for_each(|e| localize(e, lang));
    let mut b = String::with_capacity(16 * 1024);
    let _ = writeln!(b, "<h1>{}</h1>", tr_esc(lang, "portal-title"));
    if let Some(intro) = config.intro(lang) {
        let _ = writeln!(b, "<p class=\"intro\">{}</p>", esc(intro));
    }
    b.push_str(&form::search_form(config, raw, lang, view, facets));
    b.push_str(&form::view_tabs(config, raw, lang, view));
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"results\">\n<h2 id=\"results\">{}</h2>\n<p class=\"muted\" role=\"status\">{}</p>",
        match view.month {
            Some((y, m)) => esc(&month_label(lang, y, m)),
            None => tr_esc(lang, "portal-events"),
        },
        esc(&count_label(lang, page.total))
    );
    match view.month {
        Some((y, m)) => b.push_str(&month::month_table(
            &config.network.prefix,
            raw,
            lang,
            y,
            m,
            &page.events,
            now,
            tz,
        )),
        None => b.push_str(&day_list(config, lang, &page.events)),
    }
    if view.month.is_none() {
        if let Some(cursor) = page.next_cursor {
            let mut pairs = params::pairs_without(raw, &["cursor"]);
            pairs.push(("cursor".into(), cursor.encode()));
            let _ = writeln!(
                b,
                "<p><a rel=\"next\" href=\"{}\">{}</a></p>",
                esc(&params::with_pairs(&config.link("/"), &pairs)),
                tr_esc(lang, "portal-next")
            );
        }
    }
    b.push_str("</section>\n");
    b.push_str(&subscribe_section(config, raw, lang));
    b.push_str(&form::embed_section(config, raw, lang));
    let switch = params::with_pairs(&config.link("/"), &params::pairs_without(raw, &["lang"]));
    layout::page(
        config,
        &Page {
            title: &config.name,
            lang,
            head: &format!("{NO_FAVICON}<style>{PORTAL_CSS}</style>"),
            body: &b,
            switch_path: Some(&switch),
        },
    )
}

fn count_label(lang: &str, n: usize) -> String {
    i18n::tr_args(lang, "portal-count", &[("count", n.into())])
}

fn event_link(prefix: &str, e: &Event, lang: &str) -> String {
    let id = params::encode_value(&e.id);
    format!("{prefix}/events/{id}?lang={lang}")
}

fn status_badge(lang: &str, e: &Event) -> String {
    let (class, id) = match e.status {
        Status::Cancelled => ("cancelled", "status-cancelled"),
        Status::Postponed => ("postponed", "status-postponed"),
        Status::Scheduled => return String::new(),
    };
    format!(
        "<strong class=\"badge {class}\">{}</strong> ",
        tr_esc(lang, id)
    )
}

fn day_list(config: &PublishConfig, lang: &str, events: &[Event]) -> String {
    if events.is_empty() {
        return format!("<p>{}</p>\n", tr_esc(lang, "portal-no-match"));
    }
    let mut b = String::new();
    let mut current: Option<NaiveDate> = None;
    for e in events {
        let day = e.start.date_naive();
        if current != Some(day) {
            if current.is_some() {
                b.push_str("</ul>\n");
            }
            let _ = writeln!(
                b,
                "<h3 class=\"day\"><time datetime=\"{day}\">{}</time></h3>\n<ul class=\"events\">",
                esc(&layout::date_text(day, lang))
            );
            current = Some(day);
        }
        let cats: Vec<String> = e
            .categories
            .iter()
            .map(|c| esc(&config.category_name(c, Some(lang))))
            .collect();
        let venue = e
            .venue
            .as_ref()
            .map(|v| {
                let mut s = esc(&v.name);
                if let Some(city) = v.city.as_deref().filter(|c| !v.name.contains(c)) {
                    s.push_str(", ");
                    s.push_str(&esc(city));
                }
                format!("<span class=\"where\">{s}</span>")
            })
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<li class=\"event{cls}\"><p class=\"title\">{badge}<a href=\"{href}\">{title}</a></p>\
<p class=\"meta\"><time datetime=\"{start}\">{when}</time>{sep}{venue}</p>{cats}</li>",
            cls = if e.status == Status::Cancelled {
                " cancelled"
            } else {
                ""
            },
            badge = status_badge(lang, e),
            href = esc(&event_link(&config.network.prefix, e, lang)),
            title = esc(&e.title),
            start = esc(&e.start.to_rfc3339()),
            when = esc(&when_label(lang, e)),
            sep = if venue.is_empty() { "" } else { " · " },
            venue = venue,
            cats = if cats.is_empty() {
                String::new()
            } else {
                format!("<p class=\"cats\">{}</p>", cats.join(", "))
            },
        );
    }
    b.push_str("</ul>\n");
    b
}

fn subscribe_section(config: &PublishConfig, raw: Option<&str>, lang: &str) -> String {
    let filters = params::encode_pairs(&params::filters_only(raw));
    let (s, rss) = subscribe(&config.base_url, &config.name, &filters);
    format!(
        "<section aria-labelledby=\"subscribe\" class=\"subscribe\">\n<h2 id=\"subscribe\">{title}</h2>\n\
<p class=\"muted\">{help}</p>\n<ul class=\"buttons\">\
<li><a class=\"button\" href=\"{webcal}\">{apple}</a></li>\
<li><a class=\"button\" href=\"{google}\" rel=\"noopener\">{google_l}</a></li>\
<li><a class=\"button\" href=\"{outlook}\" rel=\"noopener\">Outlook.com</a></li>\
<li><a class=\"button\" href=\"{ics}\">{ics_l}</a></li>\
<li><a class=\"button\" href=\"{rss}\">RSS</a></li></ul>\n</section>\n",
        title = tr_esc(lang, "portal-subscribe"),
        help = tr_esc(lang, "portal-subscribe-help"),
        webcal = esc(&s.webcal),
        apple = tr_esc(lang, "portal-subscribe-webcal"),
        google = esc(&s.google),
        google_l = tr_esc(lang, "google-calendar"),
        outlook = esc(&s.outlook),
        ics = esc(&s.https),
        ics_l = tr_esc(lang, "portal-subscribe-ics"),
        rss = esc(&rss),
    )
}

/// No icon to fetch: browsers otherwise ask for `/favicon.ico`.
pub const NO_FAVICON: &str = "<link rel=\"icon\" href=\"data:,\">";

/// The portal's own rules, after the shared stylesheet.
pub(crate) const PORTAL_CSS: &str = "\
form.search{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:1rem 0;padding:.75rem;border:1px solid var(--line);border-radius:6px}\
form.search .f{display:flex;flex-direction:column;min-width:0;flex:1 1 9rem}form.search .f.q{flex:2 1 14rem}\
label{font-weight:600;font-size:.9rem}\
input,select,button{font:inherit;padding:.4rem;border:1px solid #767676;border-radius:4px;max-width:100%;min-height:2.5rem;background:#fff;color:var(--fg)}\
button,.button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}\
.views a,.months a{display:inline-block;padding:.3rem .7rem;margin-right:.3rem}\
.views a[aria-current]{font-weight:700;text-decoration:none;border-bottom:3px solid var(--accent)}\
.months{display:flex;justify-content:space-between;margin:.5rem 0}\
h3.day{margin:1.5rem 0 .25rem;font-size:1.05rem}h3.day::first-letter,.dl::first-letter{text-transform:uppercase}\
ul.events{list-style:none;margin:0;padding:0}li.event{padding:.5rem 0;border-bottom:1px solid var(--line)}\
li.event p{margin:0}.title{font-weight:600}.meta,.cats{color:var(--muted);font-size:.95rem}\
.cancelled a{text-decoration:line-through}\
.badge{display:inline-block;font-size:.8rem;padding:0 .4rem;border-radius:4px;color:#fff;background:#a4161a}.badge.postponed{background:#7a4b00}\
ul.buttons{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.5rem}\
.button{display:inline-block;padding:.45rem .8rem;border-radius:4px;text-decoration:none;border:1px solid var(--accent)}\
pre.snippet{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;padding:.75rem;border-radius:4px;font-size:.85rem}\
table.month{table-layout:fixed}table.month caption{position:absolute;left:-9999px}\
table.month td{height:5.5rem;border:1px solid var(--line);font-size:.85rem;overflow-wrap:anywhere}\
table.month td[aria-current]{outline:3px solid var(--accent);outline-offset:-3px}\
table.month td.off{background:#f4f4f4}table.month ul{list-style:none;margin:0;padding:0}table.month li{margin:.2rem 0;line-height:1.2}\
.dn{font-weight:700}.dl{position:absolute;left:-9999px}\
@media (max-width:40rem){table.month td{height:auto;border:0;border-bottom:1px solid var(--line)}\
table.month td.off,table.month td.empty{display:none}.dn{display:none}.dl{position:static;display:block;font-weight:700}}\
table.sources .status{font-weight:700;white-space:nowrap}table.sources .why{min-width:16rem}\
table.sources th a{overflow-wrap:anywhere}\
@media (max-width:40rem){table.sources td{border:0;padding:.15rem 0}table.sources tr{border-bottom:1px solid var(--line);padding:.5rem 0}\
table.sources td[data-label]::before{content:attr(data-label) ' : ';font-weight:600;color:var(--muted)}}";

#[cfg(test)]
mod tests;
