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
//! No external asset: the only script is a few inline lines that add
//! "copy" buttons to the snippets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use index::{Facets, Page as EventsPage};
use model::{Event, Status};

use crate::api::{aggregator_tz, cached, generation, run_index};
use crate::cache::{self, CachePolicy};
use crate::lang::localize;
use crate::layout::{self, esc, page_lang, t, Page};
use crate::pages::{subscribe_links, SubscribeLinks};
use crate::params::{self, ParamError, QueryDefaults, MAX_LIMIT};
use crate::widget::{parse_view, widget_attributes};
use crate::{AppState, PublishConfig};

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(portal))
        .route("/sources", get(sources_page))
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A 400 HTML page naming the parameter that could not be understood.
pub fn bad_request(config: &PublishConfig, lang: &str, e: &ParamError) -> Response {
    let body = format!(
        "<h1>{title}</h1>\n<p role=\"alert\">{what} <code>{param}</code> : {msg}</p>\n\
<p><a href=\"/?lang={lang}\">{back}</a></p>",
        title = t(lang, "Requête invalide", "Bad request"),
        what = t(lang, "Paramètre", "Parameter"),
        param = esc(&e.parameter),
        msg = esc(&e.message),
        lang = esc(lang),
        back = t(lang, "Retour à l’agenda", "Back to the calendar"),
    );
    let page = layout::page(
        config,
        &Page {
            title: t(lang, "Requête invalide", "Bad request"),
            lang,
            head: NO_FAVICON,
            body: &body,
            switch_path: None,
        },
    );
    html(StatusCode::BAD_REQUEST, page)
}

// ---------------------------------------------------------------- dates

/// "décembre 2026" / "December 2026".
pub fn month_label(lang: &str, year: i32, month: u32) -> String {
    format!("{} {year}", layout::month_name(lang, month))
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
            t(lang, "Toute la journée", "All day").to_string()
        } else {
            format!(
                "{} {}",
                t(lang, "jusqu’au", "until"),
                layout::date_text(last, lang)
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
                "{start} – {}, {}",
                layout::date_text(end.date_naive(), lang),
                layout::time_text(end.hour(), end.minute(), lang)
            ),
            None => start,
        }
    }
}

// ---------------------------------------------------------------- query strings

/// `raw` without the keys in `drop`, re-encoded.
fn query_without(raw: Option<&str>, drop: &[&str]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| !drop.contains(&k.as_ref()) && !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn with_pairs(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encode(pairs))
    }
}

/// The parameters that make a subscription: the filters, without dates or
/// paging (a subscription follows the agenda as it moves on).
const FILTER_KEYS: [&str; 8] = [
    "q",
    "category",
    "venue",
    "source",
    "near",
    "radius_km",
    "bbox",
    "lang",
];

fn filters_only(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| FILTER_KEYS.contains(&k.as_ref()) && !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
        .collect()
}

fn first_value(raw: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .filter(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .last()
}

/// `month=2026-12`.
fn parse_month(raw: Option<&str>) -> Result<Option<(i32, u32)>, ParamError> {
    let Some(value) = first_value(raw, "month") else {
        return Ok(None);
    };
    let bad = || ParamError {
        parameter: "month".into(),
        message: format!("{value:?} is not a month such as 2026-12"),
    };
    let (y, m) = value.split_once('-').ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || !(1900..=9999).contains(&y) {
        return Err(bad());
    }
    Ok(Some((y, m)))
}

fn month_start(y: i32, m: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, 1)
}

fn next_month(y: i32, m: u32) -> (i32, u32) {
    if m == 12 {
        (y + 1, 1)
    } else {
        (y, m + 1)
    }
}

fn prev_month(y: i32, m: u32) -> (i32, u32) {
    if m == 1 {
        (y - 1, 12)
    } else {
        (y, m - 1)
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
pub async fn portal(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    RawQuery(raw): RawQuery,
) -> Response {
    let generation = generation(&state);
    let render = async {
        match render_portal(&state, raw.as_deref()).await {
            Ok(body) => html(StatusCode::OK, body),
            Err(response) => response,
        }
    };
    cached(
        &state,
        generation,
        &headers,
        &uri,
        raw.as_deref(),
        CachePolicy::Public,
        render,
    )
    .await
}

struct View {
    month: Option<(i32, u32)>,
}

async fn render_portal(state: &AppState, raw: Option<&str>) -> Result<String, Response> {
    let config = &state.config;
    let asked = params::parse_lang(raw, &config.languages)
        .map_err(|e| bad_request(config, page_lang(config, None), &e))?;
    let lang = page_lang(config, asked.as_deref()).to_string();
    let bad = |e: ParamError| bad_request(config, &lang, &e);
    let tz = aggregator_tz(state);
    let now = Utc::now();
    let view_name = parse_view(raw).map_err(bad)?;
    let month = parse_month(raw).map_err(bad)?;
    let defaults = QueryDefaults {
        from: now,
        limit: 50,
        languages: &config.languages,
    };
    let (mut query, _) = params::parse_query_with(raw, tz, &defaults).map_err(bad)?;
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
        let (ny, nm) = next_month(y, m);
        let (Some(start), Some(end)) = (month_start(y, m), month_start(ny, nm)) else {
            return Err(bad(ParamError {
                parameter: "month".into(),
                message: "out of range".into(),
            }));
        };
        let midnight = |d: NaiveDate| params::local_to_utc(d.and_time(NaiveTime::MIN), tz);
        let (Some(from), Some(to)) = (midnight(start), midnight(end)) else {
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
    .await?;
    Ok(portal_html(
        state, raw, &lang, &view, page, &facets, now, tz,
    ))
}

#[allow(clippy::too_many_arguments)]
fn portal_html(
    state: &AppState,
    raw: Option<&str>,
    lang: &str,
    view: &View,
    mut page: EventsPage,
    facets: &Facets,
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let config = &state.config;
    page.events.iter_mut().for_each(|e| localize(e, lang));
    let mut b = String::with_capacity(16 * 1024);
    let _ = writeln!(
        b,
        "<h1>{}</h1>",
        t(lang, "Agenda culturel", "Cultural calendar")
    );
    b.push_str(&search_form(config, raw, lang, view, facets));
    b.push_str(&view_tabs(raw, lang, view));
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"results\">\n<h2 id=\"results\">{}</h2>\n<p class=\"muted\" role=\"status\">{}</p>",
        match view.month {
            Some((y, m)) => month_label(lang, y, m),
            None => t(lang, "Événements", "Events").to_string(),
        },
        count_label(lang, page.total)
    );
    match view.month {
        Some((y, m)) => b.push_str(&month_table(raw, lang, y, m, &page.events, now, tz)),
        None => b.push_str(&day_list(config, lang, &page.events)),
    }
    if view.month.is_none() {
        if let Some(cursor) = page.next_cursor {
            let mut pairs = query_without(raw, &["cursor"]);
            pairs.push(("cursor".into(), cursor.encode()));
            let _ = writeln!(
                b,
                "<p><a rel=\"next\" href=\"{}\">{}</a></p>",
                esc(&with_pairs("/", &pairs)),
                t(lang, "Événements suivants →", "Next events →")
            );
        }
    }
    b.push_str("</section>\n");
    b.push_str(&subscribe_section(config, raw, lang));
    b.push_str(&embed_section(config, raw, lang));
    let switch = with_pairs("/", &query_without(raw, &["lang"]));
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
    match (lang, n) {
        ("en", 1) => "1 event".into(),
        ("en", n) => format!("{n} events"),
        (_, 0) => "Aucun événement".into(),
        (_, 1) => "1 événement".into(),
        (_, n) => format!("{n} événements"),
    }
}

fn search_form(
    config: &PublishConfig,
    raw: Option<&str>,
    lang: &str,
    view: &View,
    facets: &Facets,
) -> String {
    let q = first_value(raw, "q").unwrap_or_default();
    let date = |k: &str| {
        first_value(raw, k)
            .map(|v| v.chars().take(10).collect::<String>())
            .unwrap_or_default()
    };
    let selected_cat = first_value(raw, "category").unwrap_or_default();
    let selected_venue = first_value(raw, "venue").unwrap_or_default();
    let mut cats: Vec<(String, String, usize)> = config
        .categories
        .iter()
        .map(|c| {
            (
                c.slug.clone(),
                config.category_name(&c.slug, Some(lang)),
                facets.categories.get(&c.slug).copied().unwrap_or(0),
            )
        })
        .collect();
    for (slug, n) in &facets.categories {
        if !cats.iter().any(|(s, _, _)| s == slug) {
            cats.push((slug.clone(), config.category_name(slug, Some(lang)), *n));
        }
    }
    let mut venues: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for (v, n) in &facets.venues {
        venues.insert(v.id.clone(), (v.name.clone(), *n));
    }
    for v in &config.venues {
        venues.entry(v.id.clone()).or_insert((v.name.clone(), 0));
    }
    let mut venues: Vec<(String, String, usize)> =
        venues.into_iter().map(|(id, (n, c))| (id, n, c)).collect();
    venues.sort_by_key(|a| a.1.to_lowercase());
    let options = |items: &[(String, String, usize)], selected: &str, all: &str| {
        let mut s = format!("<option value=\"\">{}</option>", esc(all));
        for (id, name, n) in items {
            let _ = write!(
                s,
                "<option value=\"{}\"{}>{} ({n})</option>",
                esc(id),
                if id == selected { " selected" } else { "" },
                esc(name)
            );
        }
        s
    };
    let mut hidden = String::new();
    let _ = write!(
        hidden,
        "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        esc(lang)
    );
    if view.month.is_some() {
        hidden.push_str("<input type=\"hidden\" name=\"view\" value=\"month\">");
    }
    for (k, v) in query_without(raw, &[]) {
        if matches!(k.as_str(), "source" | "near" | "radius_km" | "bbox") {
            let _ = write!(
                hidden,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(&k),
                esc(&v)
            );
        }
    }
    format!(
        "<form class=\"search\" method=\"get\" action=\"/\" role=\"search\" aria-label=\"{label}\">\n\
<div class=\"f q\"><label for=\"f-q\">{search}</label><input id=\"f-q\" type=\"search\" name=\"q\" value=\"{q}\"></div>\n\
<div class=\"f\"><label for=\"f-from\">{from_l}</label><input id=\"f-from\" type=\"date\" name=\"from\" value=\"{from}\"></div>\n\
<div class=\"f\"><label for=\"f-to\">{to_l}</label><input id=\"f-to\" type=\"date\" name=\"to\" value=\"{to}\"></div>\n\
<div class=\"f\"><label for=\"f-category\">{cat_l}</label><select id=\"f-category\" name=\"category\">{cats}</select></div>\n\
<div class=\"f\"><label for=\"f-venue\">{venue_l}</label><select id=\"f-venue\" name=\"venue\">{venues}</select></div>\n\
{hidden}<div class=\"f\"><button type=\"submit\">{go}</button></div>\n</form>\n",
        label = t(lang, "Rechercher des événements", "Search events"),
        search = t(lang, "Recherche", "Search"),
        q = esc(&q),
        from_l = t(lang, "Du", "From"),
        from = esc(&date("from")),
        to_l = t(lang, "Au (exclu)", "To (excluded)"),
        to = esc(&date("to")),
        cat_l = t(lang, "Catégorie", "Category"),
        cats = options(
            &cats,
            &selected_cat,
            t(lang, "Toutes les catégories", "All categories")
        ),
        venue_l = t(lang, "Lieu", "Venue"),
        venues = options(
            &venues,
            &selected_venue,
            t(lang, "Tous les lieux", "All venues")
        ),
        hidden = hidden,
        go = t(lang, "Rechercher", "Search"),
    )
}

fn view_tabs(raw: Option<&str>, lang: &str, view: &View) -> String {
    let base = query_without(raw, &["view", "month", "cursor"]);
    let list = with_pairs("/", &base);
    let mut month_pairs = base.clone();
    month_pairs.push(("view".into(), "month".into()));
    let month = with_pairs("/", &month_pairs);
    let current = |on: bool| if on { " aria-current=\"page\"" } else { "" };
    format!(
        "<nav class=\"views\" aria-label=\"{}\"><a href=\"{}\"{}>{}</a> <a href=\"{}\"{}>{}</a></nav>\n",
        t(lang, "Affichage", "View"),
        esc(&list),
        current(view.month.is_none()),
        t(lang, "Liste", "List"),
        esc(&month),
        current(view.month.is_some()),
        t(lang, "Mois", "Month"),
    )
}

fn event_link(e: &Event, lang: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(e.id.as_bytes()).collect();
    format!("/events/{id}?lang={lang}")
}

fn status_badge(lang: &str, e: &Event) -> &'static str {
    match e.status {
        Status::Cancelled => {
            if lang == "en" {
                "<strong class=\"badge cancelled\">Cancelled</strong> "
            } else {
                "<strong class=\"badge cancelled\">Annulé</strong> "
            }
        }
        Status::Postponed => {
            if lang == "en" {
                "<strong class=\"badge postponed\">Postponed</strong> "
            } else {
                "<strong class=\"badge postponed\">Reporté</strong> "
            }
        }
        _ => "",
    }
}

fn day_list(config: &PublishConfig, lang: &str, events: &[Event]) -> String {
    if events.is_empty() {
        return format!(
            "<p>{}</p>\n",
            t(
                lang,
                "Aucun événement ne correspond à cette recherche.",
                "No event matches this search."
            )
        );
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
            href = esc(&event_link(e, lang)),
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

fn month_table(
    raw: Option<&str>,
    lang: &str,
    y: i32,
    m: u32,
    events: &[Event],
    now: DateTime<Utc>,
    tz: Tz,
) -> String {
    let (Some(first), Some(next)) = (month_start(y, m), {
        let (ny, nm) = next_month(y, m);
        month_start(ny, nm)
    }) else {
        return String::new();
    };
    let mut by_day: BTreeMap<NaiveDate, Vec<&Event>> = BTreeMap::new();
    for e in events {
        let (a, z) = event_days(e);
        let mut d = a.max(first);
        while d <= z && d < next {
            by_day.entry(d).or_default().push(e);
            d += Duration::days(1);
        }
    }
    let base = query_without(raw, &["view", "month", "cursor", "from", "to"]);
    let link = |(yy, mm): (i32, u32)| {
        let mut p = base.clone();
        p.push(("view".into(), "month".into()));
        p.push(("month".into(), format!("{yy}-{mm:02}")));
        with_pairs("/", &p)
    };
    let prev = prev_month(y, m);
    let nextm = next_month(y, m);
    let mut b = format!(
        "<nav class=\"months\" aria-label=\"{nav}\"><a rel=\"prev\" href=\"{ph}\">← {pl}</a> \
<a rel=\"next\" href=\"{nh}\">{nl} →</a></nav>\n\
<table class=\"month\"><caption>{cap}</caption>\n<thead><tr>",
        nav = t(lang, "Mois", "Months"),
        ph = esc(&link(prev)),
        pl = esc(&month_label(lang, prev.0, prev.1)),
        nh = esc(&link(nextm)),
        nl = esc(&month_label(lang, nextm.0, nextm.1)),
        cap = esc(&month_label(lang, y, m)),
    );
    let days = layout::weekday_names(lang);
    for d in days {
        let short: String = d.chars().take(3).collect();
        let _ = write!(
            b,
            "<th scope=\"col\"><abbr title=\"{d}\">{short}</abbr></th>"
        );
    }
    b.push_str("</tr></thead>\n<tbody>\n<tr>");
    let today = now.with_timezone(&tz).date_naive();
    let lead = first.weekday().num_days_from_monday();
    for _ in 0..lead {
        b.push_str("<td class=\"off\"></td>");
    }
    let mut col = lead;
    let mut d = first;
    while d < next {
        if col == 7 {
            b.push_str("</tr>\n<tr>");
            col = 0;
        }
        let evs = by_day.get(&d).map(Vec::as_slice).unwrap_or(&[]);
        let _ = write!(
            b,
            "<td class=\"{cls}\"{cur}><span class=\"dn\" aria-hidden=\"true\">{n}</span><span class=\"dl\">{label}</span>",
            cls = if evs.is_empty() { "empty" } else { "has" },
            cur = if d == today {
                " aria-current=\"date\""
            } else {
                ""
            },
            n = d.day(),
            label = esc(&layout::date_text(d, lang)),
        );
        if !evs.is_empty() {
            b.push_str("<ul>");
            for e in evs {
                let time = if e.all_day {
                    String::new()
                } else {
                    format!(
                        "{} ",
                        layout::time_text(e.start.hour(), e.start.minute(), lang)
                    )
                };
                let _ = write!(
                    b,
                    "<li{cls}>{badge}<a href=\"{href}\">{time}{title}</a></li>",
                    cls = if e.status == Status::Cancelled {
                        " class=\"cancelled\""
                    } else {
                        ""
                    },
                    badge = status_badge(lang, e),
                    href = esc(&event_link(e, lang)),
                    time = esc(&time),
                    title = esc(&e.title),
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</td>");
        col += 1;
        d += Duration::days(1);
    }
    while col < 7 {
        b.push_str("<td class=\"off\"></td>");
        col += 1;
    }
    b.push_str("</tr>\n</tbody></table>\n");
    b
}

fn subscribe_section(config: &PublishConfig, raw: Option<&str>, lang: &str) -> String {
    let filters = encode(&filters_only(raw));
    let (s, rss) = subscribe(&config.base_url, &config.name, &filters);
    format!(
        "<section aria-labelledby=\"subscribe\" class=\"subscribe\">\n<h2 id=\"subscribe\">{title}</h2>\n\
<p class=\"muted\">{help}</p>\n<ul class=\"buttons\">\
<li><a class=\"button\" href=\"{webcal}\">{apple}</a></li>\
<li><a class=\"button\" href=\"{google}\" rel=\"noopener\">Google Agenda</a></li>\
<li><a class=\"button\" href=\"{outlook}\" rel=\"noopener\">Outlook.com</a></li>\
<li><a class=\"button\" href=\"{ics}\">{ics_l}</a></li>\
<li><a class=\"button\" href=\"{rss}\">RSS</a></li></ul>\n</section>\n",
        title = t(lang, "S’abonner", "Subscribe"),
        help = t(
            lang,
            "Ces liens suivent la recherche en cours : votre agenda se met à jour tout seul.",
            "These links follow the current search: your calendar updates itself."
        ),
        webcal = esc(&s.webcal),
        apple = t(lang, "Apple Calendrier, Thunderbird (webcal)", "Apple Calendar, Thunderbird (webcal)"),
        google = esc(&s.google),
        outlook = esc(&s.outlook),
        ics = esc(&s.https),
        ics_l = t(lang, "Fichier iCalendar (.ics)", "iCalendar file (.ics)"),
        rss = esc(&rss),
    )
}

fn embed_section(config: &PublishConfig, raw: Option<&str>, lang: &str) -> String {
    let base = config.base_url.trim_end_matches('/');
    let view = first_value(raw, "embed_view")
        .filter(|v| v == "month")
        .map(|_| "month")
        .unwrap_or("list");
    let limit: usize = first_value(raw, "embed_limit")
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .unwrap_or(10);
    let mut filters = filters_only(raw);
    filters.retain(|(k, _)| k != "lang");
    filters.push(("lang".into(), lang.to_string()));
    filters.push(("view".into(), view.to_string()));
    if view == "list" {
        filters.push(("limit".into(), limit.to_string()));
    }
    let enc = encode(&filters);
    let attrs: String = widget_attributes(Some(&enc))
        .iter()
        .map(|(k, v)| format!(" {k}=\"{}\"", esc(v)))
        .collect();
    let widget = format!(
        "<script src=\"{base}/widget.js\" async></script>\n<babillard-events{attrs}></babillard-events>"
    );
    let iframe = format!(
        "<iframe src=\"{base}/embed?{}\" title=\"{}\" width=\"100%\" height=\"600\" style=\"border:0\" loading=\"lazy\"></iframe>",
        esc(&enc),
        esc(&config.name)
    );
    let mut hidden = String::new();
    for (k, v) in query_without(raw, &["embed_view", "embed_limit", "cursor"]) {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(&k),
            esc(&v)
        );
    }
    if first_value(raw, "lang").is_none() {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            esc(lang)
        );
    }
    format!(
        "<section aria-labelledby=\"integrer\" class=\"embed\">\n<h2 id=\"integrer\">{title}</h2>\n\
<p class=\"muted\">{help}</p>\n\
<form method=\"get\" action=\"/#integrer\" class=\"search\">{hidden}\
<div class=\"f\"><label for=\"e-view\">{view_l}</label><select id=\"e-view\" name=\"embed_view\">\
<option value=\"list\"{ls}>{list_l}</option><option value=\"month\"{ms}>{month_l}</option></select></div>\
<div class=\"f\"><label for=\"e-limit\">{limit_l}</label><input id=\"e-limit\" type=\"number\" min=\"1\" max=\"1000\" name=\"embed_limit\" value=\"{limit}\"></div>\
<div class=\"f\"><button type=\"submit\">{go}</button></div></form>\n\
<h3 id=\"snip-widget\">{w_l}</h3>\n<pre class=\"snippet\" tabindex=\"0\" aria-labelledby=\"snip-widget\"><code>{widget}</code></pre>\n\
<h3 id=\"snip-iframe\">{i_l}</h3>\n<pre class=\"snippet\" tabindex=\"0\" aria-labelledby=\"snip-iframe\"><code>{iframe}</code></pre>\n\
<script>{js}</script>\n</section>\n",
        title = t(lang, "Intégrer", "Embed"),
        help = t(
            lang,
            "Copiez un de ces extraits dans votre site pour y afficher la recherche en cours.",
            "Paste one of these snippets into your site to show the current search there."
        ),
        hidden = hidden,
        view_l = t(lang, "Affichage", "View"),
        ls = if view == "list" { " selected" } else { "" },
        ms = if view == "month" { " selected" } else { "" },
        list_l = t(lang, "Liste", "List"),
        month_l = t(lang, "Mois", "Month"),
        limit_l = t(lang, "Nombre d’événements", "Number of events"),
        limit = limit,
        go = t(lang, "Mettre à jour", "Update"),
        w_l = t(lang, "Widget (script)", "Widget (script)"),
        i_l = t(
            lang,
            "Iframe (si votre site refuse les scripts)",
            "Iframe (if your site refuses scripts)"
        ),
        widget = esc(&widget),
        iframe = esc(&iframe),
        js = COPY_JS.replace("{copy}", t(lang, "Copier", "Copy")).replace(
            "{done}",
            t(lang, "Copié", "Copied")
        ),
    )
}

/// Adds a "copy" button after each snippet, where the clipboard exists.
const COPY_JS: &str = "(function(){if(!navigator.clipboard)return;document.querySelectorAll('pre.snippet').forEach(function(p){var b=document.createElement('button');b.type='button';b.textContent='{copy}';b.addEventListener('click',function(){navigator.clipboard.writeText(p.textContent).then(function(){b.textContent='{done}';});});p.after(b);});})();";

/// No icon to fetch: browsers otherwise ask for `/favicon.ico`.
pub const NO_FAVICON: &str = "<link rel=\"icon\" href=\"data:,\">";

/// The portal's own rules, after the shared stylesheet.
const PORTAL_CSS: &str = "\
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
table.sources .status{font-weight:700;white-space:nowrap}\
@media (max-width:40rem){table.sources td{border:0;padding:.15rem 0}table.sources tr{border-bottom:1px solid var(--line);padding:.5rem 0}\
table.sources td[data-label]::before{content:attr(data-label) ' : ';font-weight:600;color:var(--muted)}}";

// ---------------------------------------------------------------- /sources

/// `GET /sources`: the health of every source, readable at a glance. The
/// ETag is a hash of the page (fetch states and next runs change without
/// the index generation growing).
pub async fn sources_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let config = &state.config;
    let lang = match params::parse_lang(raw.as_deref(), &config.languages) {
        Ok(l) => page_lang(config, l.as_deref()).to_string(),
        Err(e) => return bad_request(config, page_lang(config, None), &e),
    };
    let mut sources = match run_index(&state.index, "sources page", |ix| ix.sources()).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    {
        let next = state.next_runs.read().unwrap_or_else(|e| e.into_inner());
        for s in &mut sources {
            s.next_run = next.get(&s.id).copied();
        }
    }
    let tz = aggregator_tz(&state);
    let when = |d: Option<DateTime<Utc>>| match d {
        Some(d) => {
            let local = d.with_timezone(&tz);
            format!(
                "<time datetime=\"{}\">{}</time>",
                esc(&d.to_rfc3339()),
                esc(&local.format("%Y-%m-%d %H:%M").to_string())
            )
        }
        None => "—".to_string(),
    };
    let ok = sources.iter().filter(|s| s.status == "ok").count();
    let failing = sources.iter().filter(|s| s.status == "error").count();
    let mut b = format!(
        "<h1>{title}</h1>\n<p role=\"status\"><span class=\"ok\">● {ok} {ok_l}</span> · \
<span class=\"error\">▲ {failing} {err_l}</span> · {total} source{plural} · {tz_l} {tz}</p>\n\
<table class=\"sources\">\n<caption class=\"muted\">{cap}</caption>\n<thead><tr>\
<th scope=\"col\">Source</th><th scope=\"col\">{st}</th><th scope=\"col\">{lf}</th><th scope=\"col\">{ls}</th>\
<th scope=\"col\">{le}</th><th scope=\"col\">{ev}</th><th scope=\"col\">{nr}</th></tr></thead>\n<tbody>\n",
        title = t(&lang, "État des sources", "Sources' health"),
        ok_l = t(&lang, "en ordre", "ok"),
        err_l = t(&lang, "en erreur", "failing"),
        total = sources.len(),
        plural = if sources.len() == 1 { "" } else { "s" },
        tz_l = t(&lang, "heures de", "times in"),
        tz = esc(&config.timezone),
        cap = t(
            &lang,
            "Les mêmes données que /api/v1/sources.",
            "The same data as /api/v1/sources."
        ),
        st = t(&lang, "État", "Status"),
        lf = t(&lang, "Dernière lecture", "Last fetch"),
        ls = t(&lang, "Dernier succès", "Last success"),
        le = t(&lang, "Dernière erreur", "Last error"),
        ev = t(&lang, "Événements", "Events"),
        nr = t(&lang, "Prochaine lecture", "Next run"),
    );
    for s in &sources {
        let (cls, label) = match s.status.as_str() {
            "ok" => ("ok", t(&lang, "● En ordre", "● OK")),
            "error" => ("error", t(&lang, "▲ Erreur", "▲ Error")),
            _ => ("never", t(&lang, "○ Jamais lue", "○ Never read")),
        };
        let _ = writeln!(
            b,
            "<tr class=\"{cls}-row\"><th scope=\"row\">{name}<br><span class=\"muted\">{id} · {kind}</span><br>\
<a href=\"{url}\" class=\"muted\">{url_text}</a></th>\
<td data-label=\"{st}\" class=\"status {cls}\">{label}</td><td data-label=\"{lf}\">{fetch}</td>\
<td data-label=\"{ls}\">{success}</td><td data-label=\"{le}\">{error}</td>\
<td data-label=\"{ev}\">{events}</td><td data-label=\"{nr}\">{next}</td></tr>",
            name = esc(&s.name),
            id = esc(&s.id),
            kind = esc(s.kind.as_deref().unwrap_or("?")),
            url = esc(&s.url),
            url_text = esc(&s.url),
            st = t(&lang, "État", "Status"),
            lf = t(&lang, "Dernière lecture", "Last fetch"),
            ls = t(&lang, "Dernier succès", "Last success"),
            le = t(&lang, "Dernière erreur", "Last error"),
            ev = t(&lang, "Événements", "Events"),
            nr = t(&lang, "Prochaine lecture", "Next run"),
            fetch = when(s.last_fetch_at),
            success = when(s.last_success_at),
            error = s
                .last_error
                .as_deref()
                .map(|e| format!("<span class=\"error\">{}</span>", esc(e)))
                .unwrap_or_else(|| "—".into()),
            events = s.events,
            next = when(s.next_run),
        );
    }
    b.push_str("</tbody></table>\n");
    let switch = "/sources".to_string();
    let body = layout::page(
        config,
        &Page {
            title: t(&lang, "État des sources", "Sources' health"),
            lang: &lang,
            head: &format!("{NO_FAVICON}<style>{PORTAL_CSS}</style>"),
            body: &b,
            switch_path: Some(&switch),
        },
    );
    cache::by_body(
        &headers,
        CachePolicy::Revalidate,
        StatusCode::OK,
        "text/html; charset=utf-8",
        body.into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    //! The portal, `/sources`, `/widget.js` and `/embed` over a real index
    //! (SQLite + tantivy in a temporary folder) and the real router on
    //! 127.0.0.1, with plain HTTP/1.0 requests.

    use std::collections::BTreeMap;
    use std::net::SocketAddr;
    use std::sync::{Arc, RwLock};

    use chrono::{DateTime, Duration, FixedOffset};
    use index::{FetchState, Index, SourceInfo, SourceRun};
    use model::{Event, Occurrence, RawEvent, SourceId, SourceRef, Status, TimeValue, Venue};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::{router, CategoryInfo};

    fn occ(uid: &str, title: &str, start: &str, category: &str) -> Occurrence {
        let source = SourceId::new("mda").unwrap();
        let start: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(start).unwrap();
        Occurrence {
            source: source.clone(),
            record_uid: uid.to_string(),
            key: String::new(),
            priority: 0,
            unmapped_categories: Vec::new(),
            event: Event {
                id: model::ids::occurrence_id(&source, uid, ""),
                series_id: None,
                title: title.to_string(),
                description: None,
                description_html: None,
                start,
                end: Some(start + Duration::hours(2)),
                all_day: false,
                timezone: "America/Toronto".into(),
                status: if uid == "annule" {
                    Status::Cancelled
                } else {
                    Status::Scheduled
                },
                url: None,
                image: None,
                categories: vec![category.to_string()],
                language: Some("fr".into()),
                translations: BTreeMap::new(),
                venue: Some(Venue {
                    id: "maison-des-arts".into(),
                    name: "Maison des arts".into(),
                    address: None,
                    city: Some("Laval".into()),
                    lat: Some(45.56),
                    lon: Some(-73.71),
                }),
                sources: vec![SourceRef {
                    source: "mda".into(),
                    uid: uid.into(),
                    url: None,
                }],
                updated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
                sequence: 0,
                organizer: None,
                price: None,
            },
        }
    }

    struct Server {
        addr: SocketAddr,
        _dir: tempfile::TempDir,
    }

    async fn serve() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let index = Arc::new(Index::open(dir.path()).unwrap());
        index
            .sync_sources(&[
                SourceInfo {
                    id: SourceId::new("mda").unwrap(),
                    name: "Maison des arts".into(),
                    kind: Some("ics".into()),
                    url: "https://mda.example.org/events.ics".into(),
                },
                SourceInfo {
                    id: SourceId::new("salle").unwrap(),
                    name: "Salle <b>".into(),
                    kind: None,
                    url: "https://salle.example.org/".into(),
                },
            ])
            .unwrap();
        let occurrences = vec![
            occ(
                "a",
                "Concert de Noël",
                "2030-12-05T20:00:00-05:00",
                "musique",
            ),
            occ(
                "b",
                "Les Belles-sœurs",
                "2030-12-06T19:30:00-05:00",
                "theatre",
            ),
            occ("annule", "Récital", "2030-12-20T19:00:00-05:00", "musique"),
            occ(
                "c",
                "Concert du Nouvel An",
                "2031-01-01T20:00:00-05:00",
                "musique",
            ),
        ];
        index
            .record_success(SourceRun {
                source: SourceId::new("mda").unwrap(),
                at: Utc::now(),
                duration_ms: 5,
                kind: Some("ics".into()),
                fetch: FetchState::default(),
                records: occurrences
                    .iter()
                    .map(|o| {
                        RawEvent::new(
                            o.record_uid.clone(),
                            o.event.title.clone(),
                            TimeValue::Offset { at: o.event.start },
                        )
                    })
                    .collect(),
                occurrences,
                warnings: Vec::new(),
            })
            .unwrap();
        let category = |slug: &str, fr: &str, en: &str| CategoryInfo {
            slug: slug.into(),
            name: [
                ("fr".to_string(), fr.to_string()),
                ("en".to_string(), en.to_string()),
            ]
            .into_iter()
            .collect(),
        };
        let state = AppState {
            index,
            config: Arc::new(PublishConfig {
                name: "Signé Laval".into(),
                base_url: "https://agenda.example.org".into(),
                timezone: "America/Toronto".into(),
                languages: vec!["fr".into(), "en".into()],
                categories: vec![
                    category("musique", "Musique", "Music"),
                    category("theatre", "Théâtre", "Theatre"),
                ],
                venues: Vec::new(),
                source_kinds: Vec::new(),
            }),
            next_runs: Arc::new(RwLock::new(Default::default())),
            responses: Default::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server { addr, _dir: dir }
    }

    struct Resp {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    }

    impl Resp {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    async fn get_with(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Resp {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut req =
            format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nOrigin: https://example.net\r\n");
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Resp {
            status,
            headers,
            body: body.to_string(),
        }
    }

    async fn get(addr: SocketAddr, path: &str) -> Resp {
        get_with(addr, path, &[]).await
    }

    async fn revalidates(addr: SocketAddr, path: &str, r: &Resp) {
        let etag = r
            .header("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"));
        let again = get_with(addr, path, &[("If-None-Match", etag)]).await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
    }

    #[tokio::test]
    async fn widget_js_is_served_with_etag_cache_and_cors() {
        let s = serve().await;
        let r = get(s.addr, "/widget.js").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type"),
            Some("application/javascript; charset=utf-8")
        );
        assert_eq!(r.header("cache-control"), Some("public, max-age=3600"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert_eq!(r.body, crate::widget::WIDGET_JS);
        assert_eq!(
            r.header("etag"),
            Some(cache::body_etag(crate::widget::WIDGET_JS.as_bytes()).as_str())
        );
        revalidates(s.addr, "/widget.js", &r).await;
    }

    #[tokio::test]
    async fn embed_is_a_framable_page_holding_the_widget() {
        let s = serve().await;
        let path = "/embed?category=musique&category=theatre&radius_km=3&near=45.5,-73.7&view=month&lang=en";
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.header("x-frame-options").is_none());
        assert!(r.body.contains("<html lang=\"en\">"));
        assert!(r.body.contains(
            "<babillard-events category=\"musique,theatre\" radius-km=\"3\" near=\"45.5,-73.7\" view=\"month\" lang=\"en\"></babillard-events>"
        ), "{}", r.body);
        assert!(r
            .body
            .contains("<script src=\"../widget.js\" async></script>"));
        assert!(r.body.contains("<base target=\"_top\">"));
        revalidates(s.addr, path, &r).await;
        // No lang: the default language; bad parameters: a 400 page naming them.
        let r = get(s.addr, "/embed").await;
        assert!(r.body.contains("<babillard-events lang=\"fr\">"));
        for (query, param) in [
            ("from=hier", "from"),
            ("view=grid", "view"),
            ("limit=0", "limit"),
            ("lang=de", "lang"),
        ] {
            let r = get(s.addr, &format!("/embed?{query}")).await;
            assert_eq!(r.status, 400, "{query}");
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            assert!(
                r.body.contains(&format!("<code>{param}</code>")),
                "{query}: {}",
                r.body
            );
        }
    }

    #[tokio::test]
    async fn the_portal_lists_filters_subscribes_and_embeds() {
        let s = serve().await;
        let path = "/?from=2030-12-01&category=musique";
        let r = get(s.addr, path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let b = &r.body;
        assert!(b.contains("<html lang=\"fr\">"));
        assert!(b.contains("Concert de Noël") && b.contains("Concert du Nouvel An"));
        assert!(!b.contains("Les Belles-sœurs"), "category filter");
        assert!(b.contains("<strong class=\"badge cancelled\">Annulé</strong>"));
        // Days in French, times in the event's zone.
        assert!(b.contains("jeudi 5 décembre 2030"), "{b}");
        assert!(b.contains("20 h – 22 h"));
        assert!(b.contains("3 événements"));
        // Selects: the chosen category selected, counts from the facets
        // without the category filter.
        assert!(
            b.contains("<option value=\"musique\" selected>Musique (3)</option>"),
            "{b}"
        );
        assert!(b.contains("<option value=\"theatre\">Théâtre (1)</option>"));
        assert!(b.contains("<option value=\"maison-des-arts\">Maison des arts (4)</option>"));
        assert!(b.contains("<label for=\"f-q\">") && b.contains("role=\"search\""));
        // Event links, subscribe links for the filters (without dates).
        assert!(b.contains("href=\"/events/"));
        assert!(
            b.contains("href=\"webcal://agenda.example.org/feeds/events.ics?category=musique\"")
        );
        assert!(b.contains("href=\"https://agenda.example.org/feeds/events.rss?category=musique\""));
        assert!(b.contains(
            "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fagenda.example.org%2Ffeeds%2Fevents.ics%3Fcategory%3Dmusique"
        ));
        assert!(b.contains(
            "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fagenda.example.org"
        ));
        // Embed snippets for the same search.
        assert!(b.contains(
            "&lt;script src=&quot;https://agenda.example.org/widget.js&quot; async&gt;&lt;/script&gt;"
        ));
        assert!(b.contains(
            "&lt;babillard-events category=&quot;musique&quot; lang=&quot;fr&quot; view=&quot;list&quot; limit=&quot;10&quot;&gt;"
        ), "{b}");
        assert!(b.contains("https://agenda.example.org/embed?category=musique&amp;amp;lang=fr&amp;amp;view=list&amp;amp;limit=10"), "{b}");
        // No external asset.
        assert!(!b.contains("<script src") && !b.contains("<link rel=\"stylesheet\""));
        // Language switch keeps the filters.
        assert!(b.contains("href=\"/?from=2030-12-01&amp;category=musique&lang=en\""));
        revalidates(s.addr, path, &r).await;

        let r = get(s.addr, "/?from=2030-12-01&lang=en&embed_view=month").await;
        assert!(r.body.contains("Thursday, December 5, 2030"), "{}", r.body);
        assert!(r.body.contains("8:00 PM – 10:00 PM"));
        assert!(r.body.contains("4 events"));
        assert!(r.body.contains("view=&quot;month&quot;"));
    }

    #[tokio::test]
    async fn the_portal_month_view_is_a_table_with_prev_and_next() {
        let s = serve().await;
        let r = get(s.addr, "/?view=month&month=2030-12&category=musique").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = &r.body;
        assert!(b.contains("<table class=\"month\"><caption>décembre 2030</caption>"));
        assert!(
            b.contains("href=\"/?category=musique&amp;view=month&amp;month=2030-11\""),
            "{b}"
        );
        assert!(b.contains("href=\"/?category=musique&amp;view=month&amp;month=2031-01\""));
        assert!(b.contains("20 h Concert de Noël"));
        assert!(!b.contains("Nouvel An"), "January is another month");
        assert!(b.contains("2 événements"));
        assert!(b.contains("aria-current=\"page\">Mois</a>"));
        // 2030-12-01 is a Sunday: six empty cells before it (weeks start on Monday).
        assert!(b.contains(&"<td class=\"off\"></td>".repeat(6)));
        let r = get(s.addr, "/?view=month&month=2031-01&lang=en").await;
        assert!(r.body.contains("<caption>January 2031</caption>"));
        assert!(r.body.contains("8:00 PM Concert du Nouvel An"));
        for (query, param) in [
            ("month=2030-13", "month"),
            ("view=week", "view"),
            ("from=2030-12-01&to=2030-11-01", "to"),
            ("near=45", "near"),
        ] {
            let r = get(s.addr, &format!("/?{query}")).await;
            assert_eq!(r.status, 400, "{query}");
            assert!(
                r.body.contains(&format!("<code>{param}</code>")),
                "{query}: {}",
                r.body
            );
        }
    }

    #[tokio::test]
    async fn the_sources_page_shows_each_sources_health() {
        let s = serve().await;
        let r = get(s.addr, "/sources").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let b = &r.body;
        assert!(
            b.contains("<td data-label=\"État\" class=\"status ok\">● En ordre</td>"),
            "{b}"
        );
        assert!(b.contains("class=\"status never\">○ Jamais lue</td>"));
        assert!(b.contains("Salle &lt;b&gt;"), "escaped");
        assert!(b.contains("<td data-label=\"Événements\">4</td>"));
        assert!(b.contains("● 1 en ordre"));
        revalidates(s.addr, "/sources", &r).await;
        let r = get(s.addr, "/sources?lang=en").await;
        assert!(r.body.contains("● OK") && r.body.contains("Last success"));
        assert_eq!(get(s.addr, "/sources?lang=xx").await.status, 400);
    }

    #[test]
    fn dates_read_naturally_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(layout::date_text(d, "fr"), "samedi 5 décembre 2026");
        assert_eq!(layout::date_text(d, "en"), "Saturday, December 5, 2026");
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(layout::date_text(first, "fr"), "mardi 1er décembre 2026");
        assert_eq!(layout::time_text(20, 0, "fr"), "20 h");
        assert_eq!(layout::time_text(9, 5, "fr"), "9 h 05");
        assert_eq!(layout::time_text(20, 0, "en"), "8:00 PM");
        assert_eq!(layout::time_text(0, 30, "en"), "12:30 AM");
        assert_eq!(layout::time_text(12, 0, "en"), "12:00 PM");
        assert_eq!(parse_month(Some("month=2026-02")), Ok(Some((2026, 2))));
        assert!(parse_month(Some("month=2026-2x")).is_err());
        assert_eq!(parse_month(Some("month=")), Ok(None));
    }
}
