//! The events: the search (the public filters, through [`crate::params`]
//! and [`Index::query`]) with hidden and locked events shown, and one event
//! with every source record side by side, where each public field came
//! from, the edit form (what it changes gets locked), unlock, hide and
//! unhide, merge with other events and split a source's record out.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use index::{CurationError, Facets, Page as EventsPage, SourceStatus};
use model::{Event, Occurrence, Status};
use serde_json::{Map, Value};

use super::frame::{self, Section};
use super::{encode, tr, tr_args, Ctx, Fields, Form, Screen};
use crate::admin::scope::Act;
use crate::admin::sources::MANUAL_SOURCE;
use crate::layout::{self, esc};
use crate::params::{self, QueryDefaults};

/// The public fields a person may set, in the order the screens show them.
pub(super) const FIELDS: &[&str] = index::LOCKABLE;

/// What the search screen reads in one go.
struct Listing {
    page: EventsPage,
    facets: Facets,
    hidden: Vec<Event>,
    locked: HashMap<String, Vec<String>>,
    sources: Vec<SourceStatus>,
}

/// `GET /admin`, `GET /admin/events`: the search.
pub async fn list(Screen { ctx, query, raw }: Screen) -> Response {
    let state = ctx.state.clone();
    let config = &state.config();
    let now = Utc::now();
    let defaults = QueryDefaults::upcoming(now, &config.languages);
    let (search, problem) =
        match params::parse_query_with(raw.as_deref(), config.timezone, &defaults) {
            Ok((q, _)) => (q, None),
            Err(e) => (
                params::parse_query_with(None, config.timezone, &defaults)
                    .map(|(q, _)| q)
                    .unwrap_or_else(|_| index::Query::from(now)),
                Some(e),
            ),
        };
    let mut search = search;
    let mut facet_query = index::Query::from(now);
    facet_query.limit = params::MAX_LIMIT;
    // An editor of some calendars sees their events only.
    let reach = ctx.reach();
    reach.restrict(&mut search);
    reach.restrict(&mut facet_query);
    let listing = ctx
        .read("console events", move |ix| {
            let mut hidden = ix.hidden_events()?;
            hidden.retain(|e| reach.event(e));
            Ok(Listing {
                page: ix.query(&search)?,
                facets: ix.facets(&facet_query)?,
                hidden,
                locked: ix.locked_fields()?,
                sources: ix.sources()?,
            })
        })
        .await;
    let listing = match listing {
        Ok(l) => l,
        Err(r) => return r,
    };
    let mut flash = frame::flash(&ctx.lang, &query);
    if let Some(e) = problem {
        flash = Some((
            tr_args(
                &ctx.lang,
                "console-search-bad",
                &[("parameter", e.parameter.clone().into())],
            ),
            true,
        ));
    }
    let body = list_html(&ctx, &query, raw.as_deref(), &listing);
    let switch = params::with_pairs(
        "/admin/events",
        &params::pairs_without(raw.as_deref(), &["lang", "done"]),
    );
    ctx.render(
        StatusCode::OK,
        Section::Events,
        &crate::i18n::tr(&ctx.lang, "console-events-title"),
        &body,
        &switch,
        flash,
    )
}

fn options(selected: Option<&str>, items: &[(String, String)], all: &str) -> String {
    let mut out = format!("<option value=\"\">{all}</option>");
    for (value, label) in items {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            esc(value),
            if selected == Some(value.as_str()) {
                " selected"
            } else {
                ""
            },
            esc(label)
        );
    }
    out
}

fn list_html(ctx: &Ctx, query: &Fields, raw: Option<&str>, l: &Listing) -> String {
    let lang = ctx.lang.as_str();
    let config = &ctx.state.config();
    let categories: Vec<(String, String)> = config
        .categories
        .iter()
        .map(|c| (c.slug.clone(), config.category_name(&c.slug, Some(lang))))
        .collect();
    let mut venues: Vec<(String, String)> = config
        .venues
        .iter()
        .map(|v| (v.id.clone(), v.name.clone()))
        .collect();
    for (v, _) in &l.facets.venues {
        if !venues.iter().any(|(id, _)| id == &v.id) {
            venues.push((v.id.clone(), v.name.clone()));
        }
    }
    let sources: Vec<(String, String)> = l
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.name.clone()))
        .collect();
    let mut b = String::with_capacity(16 * 1024);
    let _ = writeln!(
        b,
        "<form class=\"search\" method=\"get\" action=\"/admin/events\" role=\"search\">\
<input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<div class=\"row end\"><div class=\"field q\"><label for=\"q\">{q_l}</label><input type=\"search\" id=\"q\" name=\"q\" value=\"{q}\"></div>\
<div class=\"field\"><label for=\"from\">{from_l}</label><input type=\"date\" id=\"from\" name=\"from\" value=\"{from}\"></div>\
<div class=\"field\"><label for=\"to\">{to_l}</label><input type=\"date\" id=\"to\" name=\"to\" value=\"{to}\"></div></div>\
<div class=\"row end\"><div class=\"field\"><label for=\"category\">{cat_l}</label><select id=\"category\" name=\"category\">{cats}</select></div>\
<div class=\"field\"><label for=\"venue\">{venue_l}</label><select id=\"venue\" name=\"venue\">{venues}</select></div>\
<div class=\"field\"><label for=\"source\">{source_l}</label><select id=\"source\" name=\"source\">{sources}</select></div>\
<div class=\"field\"><button type=\"submit\">{go}</button></div></div></form>",
        lang = esc(lang),
        q_l = ctx.t("console-search-q"),
        q = esc(query.get("q").unwrap_or("")),
        from_l = ctx.t("console-search-from"),
        from = esc(query.get("from").unwrap_or("")),
        to_l = ctx.t("console-search-to"),
        to = esc(query.get("to").unwrap_or("")),
        cat_l = ctx.t("console-field-categories"),
        cats = options(query.get("category"), &categories, &ctx.t("console-all")),
        venue_l = ctx.t("console-field-venue"),
        venues = options(query.get("venue"), &venues, &ctx.t("console-all")),
        source_l = ctx.t("console-source"),
        sources = options(query.get("source"), &sources, &ctx.t("console-all")),
        go = ctx.t("console-search-go"),
    );
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"found\"><h2 id=\"found\">{}</h2>",
        tr_args(
            lang,
            "console-events-found",
            &[("count", l.page.total.into())]
        )
    );
    if l.page.events.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", ctx.t("console-events-none"));
    } else {
        b.push_str(&events_table(ctx, &l.page.events, &l.locked, None));
    }
    if let Some(cursor) = l.page.next_cursor {
        let mut pairs = params::pairs_without(raw, &["cursor", "done"]);
        pairs.push(("cursor".into(), cursor.encode()));
        let _ = writeln!(
            b,
            "<p><a rel=\"next\" href=\"{}\">{}</a></p>",
            esc(&params::with_pairs("/admin/events", &pairs)),
            ctx.t("console-next-page")
        );
    }
    b.push_str("</section>\n");
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"hidden\"><h2 id=\"hidden\">{}</h2>\n<p class=\"hint\">{}</p>",
        ctx.t("console-hidden-title"),
        ctx.t("console-hidden-help")
    );
    if l.hidden.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", ctx.t("console-hidden-none"));
    } else {
        b.push_str(&events_table(ctx, &l.hidden, &l.locked, Some(())));
    }
    b.push_str("</section>\n");
    b
}

/// A table of events: when, title (to its screen), venue, sources, what a
/// person set; with `unhide`, a button to bring each back.
fn events_table(
    ctx: &Ctx,
    events: &[Event],
    locked: &HashMap<String, Vec<String>>,
    unhide: Option<()>,
) -> String {
    let lang = ctx.lang.as_str();
    let (when_l, title_l, venue_l, sources_l, state_l) = (
        ctx.t("console-col-when"),
        ctx.t("console-field-title"),
        ctx.t("console-field-venue"),
        ctx.t("console-col-sources"),
        ctx.t("console-col-state"),
    );
    let mut b = format!(
        "<table><thead><tr><th scope=\"col\">{when_l}</th><th scope=\"col\">{title_l}</th>\
<th scope=\"col\">{venue_l}</th><th scope=\"col\">{sources_l}</th><th scope=\"col\">{state_l}</th></tr></thead><tbody>\n"
    );
    for e in events {
        let mut state = String::new();
        if e.status != Status::Scheduled {
            let _ = write!(
                state,
                "<span class=\"badge\">{}</span> ",
                status_label(lang, e.status)
            );
        }
        if let Some(fields) = locked.get(&e.id).filter(|f| !f.is_empty()) {
            let names: Vec<String> = fields.iter().map(|f| field_label(lang, f)).collect();
            let _ = write!(
                state,
                "<span class=\"badge lock\">{}</span> {} ",
                ctx.t("console-locked"),
                names.join(", ")
            );
        }
        if unhide.is_some() {
            let _ = write!(
                state,
                "<span class=\"badge hidden\">{}</span> <form class=\"inline\" method=\"post\" action=\"/admin/events/{id}/unhide\">{hidden}\
<button type=\"submit\" class=\"quiet\">{unhide}<span class=\"sr\"> — {title}</span></button></form>",
                ctx.t("console-hidden"),
                id = esc(&encode(&e.id)),
                hidden = ctx.hidden(),
                unhide = ctx.t("console-unhide"),
                title = esc(&e.title),
            );
        }
        let sources: Vec<String> = e.sources.iter().map(|s| esc(&s.source)).collect();
        let _ = writeln!(
            b,
            "<tr><td data-label=\"{when_l}\"><time datetime=\"{start}\">{when}</time></td>\
<td data-label=\"{title_l}\"><a href=\"{href}\">{title}</a></td><td data-label=\"{venue_l}\">{venue}</td>\
<td data-label=\"{sources_l}\">{sources}</td><td data-label=\"{state_l}\">{state}</td></tr>",
            start = esc(&e.start.to_rfc3339()),
            when = esc(&when_text(lang, e)),
            href = esc(&ctx.href(&format!("/admin/events/{}", encode(&e.id)))),
            title = esc(&e.title),
            venue = e.venue.as_ref().map(|v| esc(&v.name)).unwrap_or_default(),
            sources = sources.join(", "),
        );
    }
    b.push_str("</tbody></table>\n");
    b
}

/// "samedi 5 décembre 2026, 20 h" in the event's own zone.
pub(super) fn when_text(lang: &str, e: &Event) -> String {
    let date = layout::date_text(e.start.date_naive(), lang);
    if e.all_day {
        format!("{date} ({})", tr(lang, "console-all-day-short"))
    } else {
        use chrono::Timelike;
        format!(
            "{date}, {}",
            layout::time_text(e.start.hour(), e.start.minute(), lang)
        )
    }
}

pub(super) fn status_label(lang: &str, s: Status) -> String {
    match s {
        Status::Scheduled => tr(lang, "console-status-scheduled"),
        Status::Cancelled => tr(lang, "console-status-cancelled"),
        Status::Postponed => tr(lang, "console-status-postponed"),
    }
}

/// A public field's name in `lang` (an unknown one as itself).
pub(super) fn field_label(lang: &str, field: &str) -> String {
    if FIELDS.contains(&field) {
        tr(lang, &format!("console-field-{}", field.replace('_', "-")))
    } else {
        esc(field)
    }
}

// ------------------------------------------------------------- one event

/// `GET /admin/events/{id}`.
pub async fn one(Path(id): Path<String>, Screen { ctx, query, .. }: Screen) -> Response {
    let path = format!("/admin/events/{}", encode(&id));
    if let Err(r) = ctx.may(Act::Event(id.clone()), "/admin/events").await {
        return r;
    }
    let lookup = id.clone();
    let found = ctx
        .read("console event", move |ix| {
            Ok((ix.curated_event(&lookup)?, ix.sources()?))
        })
        .await;
    let (curated, sources) = match found {
        Ok((Some(c), s)) => (c, s),
        Ok((None, _)) => return no_event(&ctx, id),
        Err(r) => return r,
    };
    let body = event_html(&ctx, &curated, &sources);
    ctx.render(
        StatusCode::OK,
        Section::Events,
        &curated.event.title,
        &body,
        &path,
        frame::flash(&ctx.lang, &query),
    )
}

/// The 404 page of an unknown event id.
fn no_event(ctx: &Ctx, id: String) -> Response {
    ctx.error(
        StatusCode::NOT_FOUND,
        "console-no-event-title",
        &tr_args(&ctx.lang, "console-no-event-text", &[("id", id.into())]),
        "/admin/events",
    )
}

/// A field of an event in its JSON shape (what locks hold and records are
/// compared on); a venue compares by its id.
fn field_value(e: &Event, field: &str) -> Value {
    match field {
        "venue" => e
            .venue
            .as_ref()
            .map(|v| Value::String(v.id.clone()))
            .unwrap_or(Value::Null),
        "categories" => {
            let mut c = e.categories.clone();
            c.sort();
            Value::from(c)
        }
        "start" => Value::from(e.start.timestamp()),
        "end" => e
            .end
            .map(|d| Value::from(d.timestamp()))
            .unwrap_or(Value::Null),
        _ => serde_json::to_value(e)
            .ok()
            .and_then(|v| v.get(field).cloned())
            .unwrap_or(Value::Null),
    }
}

/// A field of an event as a person reads it, already HTML.
fn field_text(ctx: &Ctx, e: &Event, field: &str) -> String {
    let lang = ctx.lang.as_str();
    let config = &ctx.state.config();
    let none = || "<span class=\"muted\">—</span>".to_string();
    match field {
        "title" => esc(&e.title),
        "description" => match e.description.as_deref() {
            Some(d) if !d.is_empty() => {
                let short: String = d.chars().take(400).collect();
                let more = if d.chars().count() > 400 { "…" } else { "" };
                format!("{}{more}", esc(&short))
            }
            _ => none(),
        },
        "start" => esc(&when_text(lang, e)),
        "end" => match e.end {
            Some(end) => {
                use chrono::Timelike;
                let day = if e.all_day {
                    (end - Duration::seconds(1)).date_naive()
                } else {
                    end.date_naive()
                };
                let date = layout::date_text(day, lang);
                if e.all_day {
                    esc(&date)
                } else {
                    esc(&format!(
                        "{date}, {}",
                        layout::time_text(end.hour(), end.minute(), lang)
                    ))
                }
            }
            None => none(),
        },
        "all_day" => {
            if e.all_day {
                ctx.t("console-yes")
            } else {
                ctx.t("console-no")
            }
        }
        "status" => status_label(lang, e.status),
        "url" | "image" => match if field == "url" { &e.url } else { &e.image } {
            Some(u) => format!(
                "<a href=\"{0}\" rel=\"noopener noreferrer\">{0}</a>",
                esc(u)
            ),
            None => none(),
        },
        "categories" => {
            if e.categories.is_empty() {
                none()
            } else {
                e.categories
                    .iter()
                    .map(|c| esc(&config.category_name(c, Some(lang))))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
        "venue" => match &e.venue {
            Some(v) => {
                let mut s = esc(&v.name);
                if let Some(city) = v.city.as_deref().filter(|c| !v.name.contains(c)) {
                    let _ = write!(s, ", {}", esc(city));
                }
                s
            }
            None => none(),
        },
        _ => none(),
    }
}

fn source_name<'a>(sources: &'a [SourceStatus], id: &'a str) -> &'a str {
    sources
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.name.as_str())
        .unwrap_or(id)
}

fn event_html(ctx: &Ctx, c: &index::CuratedEvent, sources: &[SourceStatus]) -> String {
    let lang = ctx.lang.as_str();
    let e = &c.event;
    let id = encode(&e.id);
    let mut b = String::with_capacity(24 * 1024);
    let _ = writeln!(
        b,
        "<p class=\"muted\">{id_l} <code>{id_text}</code>{series}</p>",
        id_l = ctx.t("console-event-id"),
        id_text = esc(&e.id),
        series = e
            .series_id
            .as_deref()
            .map(|s| format!(" · {} <code>{}</code>", ctx.t("console-series-id"), esc(s)))
            .unwrap_or_default(),
    );
    if c.hidden {
        let _ = writeln!(
            b,
            "<p><span class=\"badge hidden\">{}</span> {}</p>",
            ctx.t("console-hidden"),
            ctx.t("console-hidden-explain")
        );
    }
    let _ = writeln!(
        b,
        "<p><a href=\"{}\">{}</a></p>",
        esc(&ctx.href(&format!("/events/{id}"))),
        ctx.t("console-public-page")
    );

    // Where each public field came from.
    let (field_l, value_l, from_l) = (
        ctx.t("console-col-field"),
        ctx.t("console-col-value"),
        ctx.t("console-col-from"),
    );
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"fields\"><h2 id=\"fields\">{}</h2>\n<p class=\"hint\">{}</p>\n\
<table><thead><tr><th scope=\"col\">{field_l}</th><th scope=\"col\">{value_l}</th><th scope=\"col\">{from_l}</th></tr></thead><tbody>",
        ctx.t("console-fields-title"),
        ctx.t("console-fields-help"),
    );
    for &field in FIELDS {
        let label = field_label(lang, field);
        let from = if c.locks.contains_key(field) {
            format!(
                "<span class=\"badge person\">{}</span> <form class=\"inline\" method=\"post\" action=\"/admin/events/{id}/unlock\">{hidden}\
<input type=\"hidden\" name=\"field\" value=\"{field}\"><button type=\"submit\" class=\"quiet\">{unlock}<span class=\"sr\"> — {label}</span></button></form>",
                ctx.t("console-set-by-person"),
                hidden = ctx.hidden(),
                unlock = ctx.t("console-unlock"),
            )
        } else {
            let public = field_value(e, field);
            let same: Vec<String> = c
                .records
                .iter()
                .filter(|r| field_value(&r.event, field) == public)
                .map(|r| esc(source_name(sources, r.source.as_str())))
                .collect();
            if same.is_empty() {
                ctx.t("console-from-merge")
            } else {
                same.join(", ")
            }
        };
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{label}</th><td data-label=\"{value_l}\">{}</td><td data-label=\"{from_l}\">{from}</td></tr>",
            field_text(ctx, e, field)
        );
    }
    b.push_str("</tbody></table></section>\n");

    // Every source record side by side.
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"records\"><h2 id=\"records\">{}</h2>\n<p class=\"hint\">{}</p>\n<div class=\"records\">",
        tr_args(lang, "console-records-title", &[("count", c.records.len().into())]),
        ctx.t("console-records-help"),
    );
    for r in &c.records {
        b.push_str(&record_html(ctx, e, r, sources));
    }
    b.push_str("</div></section>\n");

    b.push_str(&edit_form(ctx, e));
    b.push_str(&actions_html(ctx, c, sources));
    b
}

fn record_html(ctx: &Ctx, public: &Event, r: &Occurrence, sources: &[SourceStatus]) -> String {
    let lang = ctx.lang.as_str();
    let mut b = format!(
        "<article class=\"record\"><h3>{}</h3><p class=\"muted\">{} <code>{}</code></p><dl>",
        esc(source_name(sources, r.source.as_str())),
        ctx.t("console-record-uid"),
        esc(&r.record_uid)
    );
    for &field in FIELDS {
        let same = field_value(&r.event, field) == field_value(public, field);
        let _ = write!(
            b,
            "<dt>{}</dt><dd{}>{}{}</dd>",
            field_label(lang, field),
            if same { " class=\"same\"" } else { "" },
            field_text(ctx, &r.event, field),
            if same {
                format!(
                    "<span class=\"sr\"> ({})</span>",
                    ctx.t("console-same-as-public")
                )
            } else {
                String::new()
            }
        );
    }
    if let Some(url) = r.event.sources.iter().find_map(|s| s.url.as_deref()) {
        let _ = write!(
            b,
            "<dt>{}</dt><dd><a href=\"{1}\" rel=\"noopener noreferrer\">{1}</a></dd>",
            ctx.t("console-record-link"),
            esc(url)
        );
    }
    b.push_str("</dl>");
    // Entered by hand: the record's uid is the manual event's id.
    if r.source.as_str() == MANUAL_SOURCE {
        let _ = write!(
            b,
            "<p><a href=\"{}\">{}</a></p>",
            esc(&ctx.href(&format!(
                "/admin/events/new?replace={}",
                encode(&r.record_uid)
            ))),
            ctx.t("console-manual-edit")
        );
    }
    b.push_str("</article>\n");
    b
}

/// The zone of an event (its own, else the aggregator's).
fn zone(ctx: &Ctx, e: &Event) -> Tz {
    e.timezone.parse().unwrap_or(ctx.state.config().timezone)
}

/// The edit form: every field with the public value; what is changed gets
/// locked when saved.
fn edit_form(ctx: &Ctx, e: &Event) -> String {
    let config = &ctx.state.config();
    let lang = ctx.lang.as_str();
    let id = encode(&e.id);
    let start = e.start;
    let end_day = e.end.map(|end| {
        if e.all_day {
            (end - Duration::seconds(1)).date_naive()
        } else {
            end.date_naive()
        }
    });
    let statuses: String = [Status::Scheduled, Status::Cancelled, Status::Postponed]
        .iter()
        .map(|s| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                s.as_str(),
                if *s == e.status { " selected" } else { "" },
                status_label(lang, *s)
            )
        })
        .collect();
    let current_venue = e.venue.as_ref().map(|v| v.id.as_str());
    let mut venues = venue_options(ctx, current_venue);
    let listed = config
        .venues
        .iter()
        .any(|v| Some(v.id.as_str()) == current_venue);
    if let (Some(v), false) = (&e.venue, listed) {
        // A venue the gazetteer lacks: kept as it is unless another is chosen.
        let _ = write!(
            venues,
            "<option value=\"{}\" selected>{} ({})</option>",
            esc(&v.id),
            esc(&v.name),
            ctx.t("console-venue-seen")
        );
    }
    format!(
        "<section aria-labelledby=\"edit\"><h2 id=\"edit\">{title}</h2>\n<p class=\"hint\">{help}</p>\n\
<form method=\"post\" action=\"/admin/events/{id}/edit\">{hidden}\n\
<div class=\"field\"><label for=\"e-title\">{title_l}</label><input type=\"text\" id=\"e-title\" name=\"title\" value=\"{title_v}\" required></div>\n\
<div class=\"field\"><label for=\"e-description\">{desc_l}</label><textarea id=\"e-description\" name=\"description\">{desc_v}</textarea></div>\n\
<div class=\"field\"><input type=\"checkbox\" id=\"e-all-day\" name=\"all_day\" value=\"1\" data-all-day{all_day}> <label class=\"check\" for=\"e-all-day\">{all_day_l}</label></div>\n\
<div class=\"row\"><div class=\"field\"><label for=\"e-start-date\">{start_date_l}</label><input type=\"date\" id=\"e-start-date\" name=\"start_date\" value=\"{start_date}\" required></div>\n\
<div class=\"field\" data-timed><label for=\"e-start-time\">{start_time_l}</label><input type=\"time\" id=\"e-start-time\" name=\"start_time\" value=\"{start_time}\"></div>\n\
<div class=\"field\"><label for=\"e-end-date\">{end_date_l}</label><input type=\"date\" id=\"e-end-date\" name=\"end_date\" value=\"{end_date}\"></div>\n\
<div class=\"field\" data-timed><label for=\"e-end-time\">{end_time_l}</label><input type=\"time\" id=\"e-end-time\" name=\"end_time\" value=\"{end_time}\"></div></div>\n\
<p class=\"hint\">{zone_l}</p>\n\
<div class=\"row\"><div class=\"field\"><label for=\"e-status\">{status_l}</label><select id=\"e-status\" name=\"status\">{statuses}</select></div>\n\
<div class=\"field\"><label for=\"e-venue\">{venue_l}</label><select id=\"e-venue\" name=\"venue\">{venues}</select></div></div>\n\
<div class=\"field\"><label for=\"e-url\">{url_l}</label><input type=\"url\" id=\"e-url\" name=\"url\" value=\"{url_v}\"></div>\n\
<div class=\"field\"><label for=\"e-image\">{image_l}</label><input type=\"url\" id=\"e-image\" name=\"image\" value=\"{image_v}\"></div>\n\
{categories}\n<p><button type=\"submit\">{save}</button></p></form></section>\n",
        title = ctx.t("console-edit-title"),
        help = ctx.t("console-edit-help"),
        hidden = ctx.hidden(),
        title_l = ctx.t("console-field-title"),
        title_v = esc(&e.title),
        desc_l = ctx.t("console-field-description"),
        desc_v = esc(e.description.as_deref().unwrap_or("")),
        all_day = if e.all_day { " checked" } else { "" },
        all_day_l = ctx.t("console-field-all-day"),
        start_date_l = ctx.t("console-start-date"),
        start_date = start.format("%Y-%m-%d"),
        start_time_l = ctx.t("console-start-time"),
        start_time = if e.all_day {
            String::new()
        } else {
            start.format("%H:%M").to_string()
        },
        end_date_l = ctx.t("console-end-date"),
        end_date = end_day.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        end_time_l = ctx.t("console-end-time"),
        end_time = match (e.end, e.all_day) {
            (Some(end), false) => end.format("%H:%M").to_string(),
            _ => String::new(),
        },
        zone_l = tr_args(lang, "console-times-in", &[("zone", e.timezone.clone().into())]),
        status_l = ctx.t("console-field-status"),
        venue_l = ctx.t("console-field-venue"),
        url_l = ctx.t("console-field-url"),
        url_v = esc(e.url.as_deref().unwrap_or("")),
        image_l = ctx.t("console-field-image"),
        image_v = esc(e.image.as_deref().unwrap_or("")),
        categories = category_checkboxes(ctx, "e-cat", &e.categories),
        save = ctx.t("console-save-lock"),
    )
}

/// The gazetteer as the options of a `<select>`, "no venue" first,
/// `chosen` selected.
pub(super) fn venue_options(ctx: &Ctx, chosen: Option<&str>) -> String {
    let mut b = format!(
        "<option value=\"\">{}</option>",
        ctx.t("console-venue-none")
    );
    for v in &ctx.state.config().venues {
        let _ = write!(
            b,
            "<option value=\"{}\"{}>{}</option>",
            esc(&v.id),
            if chosen == Some(v.id.as_str()) {
                " selected"
            } else {
                ""
            },
            esc(&v.name)
        );
    }
    b
}

/// The taxonomy as checkboxes named `categories`, `chosen` ticked.
pub(super) fn category_checkboxes(ctx: &Ctx, prefix: &str, chosen: &[String]) -> String {
    let config = &ctx.state.config();
    let mut b = format!(
        "<fieldset><legend>{}</legend><div class=\"checks\">",
        ctx.t("console-field-categories")
    );
    for (i, c) in config.categories.iter().enumerate() {
        let _ = write!(
            b,
            "<span class=\"check\"><input type=\"checkbox\" id=\"{prefix}-{i}\" name=\"categories\" value=\"{slug}\"{checked}> \
<label for=\"{prefix}-{i}\">{name}</label></span>",
            slug = esc(&c.slug),
            checked = if chosen.contains(&c.slug) { " checked" } else { "" },
            name = esc(&config.category_name(&c.slug, Some(&ctx.lang))),
        );
    }
    b.push_str("</div></fieldset>");
    b
}

fn actions_html(ctx: &Ctx, c: &index::CuratedEvent, sources: &[SourceStatus]) -> String {
    let e = &c.event;
    let id = encode(&e.id);
    let hidden = ctx.hidden();
    let mut b = format!(
        "<section aria-labelledby=\"curate\"><h2 id=\"curate\">{}</h2>\n",
        ctx.t("console-curate-title")
    );
    let (action, button, confirm) = if c.hidden {
        ("unhide", ctx.t("console-unhide"), String::new())
    } else {
        (
            "hide",
            ctx.t("console-hide"),
            format!(" data-confirm=\"{}\"", ctx.t("console-hide-confirm")),
        )
    };
    let _ = write!(
        b,
        "<h3>{title}</h3><p class=\"hint\">{help}</p><div class=\"actions\">\
<form class=\"inline\" method=\"post\" action=\"/admin/events/{id}/{action}\"{confirm}>{hidden}<button type=\"submit\">{button}</button></form>",
        title = ctx.t("console-visibility"),
        help = ctx.t("console-hide-help"),
    );
    if e.series_id.is_some() {
        let _ = write!(
            b,
            "<form class=\"inline\" method=\"post\" action=\"/admin/events/{id}/{action}\"{confirm}>{hidden}\
<input type=\"hidden\" name=\"series\" value=\"1\"><button type=\"submit\">{button} — {series}</button></form>",
            series = ctx.t("console-whole-series"),
        );
    }
    b.push_str("</div>\n");
    let _ = writeln!(
        b,
        "<h3>{title}</h3><form method=\"post\" action=\"/admin/events/{id}/merge\">{hidden}\
<div class=\"field\"><label for=\"merge-ids\">{label}</label><input type=\"text\" id=\"merge-ids\" name=\"ids\" required aria-describedby=\"merge-help\">\
<p class=\"hint\" id=\"merge-help\">{help}</p></div><button type=\"submit\">{button}</button></form>",
        title = ctx.t("console-merge-title"),
        label = ctx.t("console-merge-ids"),
        help = ctx.t("console-merge-help"),
        button = ctx.t("console-merge"),
    );
    let mut split_sources: Vec<&str> = c.records.iter().map(|r| r.source.as_str()).collect();
    split_sources.sort_unstable();
    split_sources.dedup();
    if split_sources.len() > 1 {
        let opts: String = split_sources
            .iter()
            .map(|s| {
                format!(
                    "<option value=\"{}\">{}</option>",
                    esc(s),
                    esc(source_name(sources, s))
                )
            })
            .collect();
        let _ = writeln!(
            b,
            "<h3>{title}</h3><form method=\"post\" action=\"/admin/events/{id}/split\" data-confirm=\"{confirm}\">{hidden}\
<div class=\"field\"><label for=\"split-source\">{label}</label><select id=\"split-source\" name=\"source\">{opts}</select>\
<p class=\"hint\">{help}</p></div><button type=\"submit\">{button}</button></form>",
            title = ctx.t("console-split-title"),
            confirm = ctx.t("console-split-confirm"),
            label = ctx.t("console-split-source"),
            help = ctx.t("console-split-help"),
            button = ctx.t("console-split"),
        );
    }
    b.push_str("</section>\n");
    b
}

// ------------------------------------------------------------- the actions

/// The answer to a curation that failed: the reason in the console's
/// words (the store's own detail, in English, follows in a smaller line).
pub(super) fn curation_failed(ctx: &Ctx, e: CurationError, back: &str) -> Response {
    let detail = |d: &str| format!("<br><span class=\"hint\" lang=\"en\">{}</span>", esc(d));
    let (status, text) = match &e {
        CurationError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            format!("{}{}", ctx.t("console-error-gone"), detail(what)),
        ),
        CurationError::Invalid(fe) => (
            StatusCode::BAD_REQUEST,
            format!(
                "{}{}",
                tr_args(
                    &ctx.lang,
                    "console-error-invalid-field",
                    &[("field", i18n_field(&ctx.lang, &fe.field).into())],
                ),
                detail(&fe.reason)
            ),
        ),
        CurationError::Conflict(why) => (
            StatusCode::CONFLICT,
            format!("{}{}", ctx.t("console-error-conflict"), detail(why)),
        ),
        CurationError::Index(detail) => return ctx.internal("curation", detail),
    };
    ctx.error(status, "console-error-title", &text, back)
}

/// `POST /admin/events/{id}/edit`: the fields that differ from the public
/// event are set and locked.
pub async fn edit(Path(id): Path<String>, Form { ctx, fields }: Form) -> Response {
    let back = format!("/admin/events/{}", encode(&id));
    if let Err(r) = ctx.may(Act::Event(id.clone()), &back).await {
        return r;
    }
    let lookup = id.clone();
    let event = match ctx
        .read("console edit", move |ix| ix.curated_event(&lookup))
        .await
    {
        Ok(Some(c)) => c.event,
        Ok(None) => return no_event(&ctx, id),
        Err(r) => return r,
    };
    let changes = match changed_fields(&ctx, &event, &fields) {
        Ok(c) => c,
        Err((field, message_id)) => {
            let text = tr_args(
                &ctx.lang,
                "console-error-invalid",
                &[
                    ("field", i18n_field(&ctx.lang, &field).into()),
                    ("message", crate::i18n::tr(&ctx.lang, message_id).into()),
                ],
            );
            return ctx.error(StatusCode::BAD_REQUEST, "console-error-title", &text, &back);
        }
    };
    if changes.is_empty() {
        return ctx.done(&back, "unchanged");
    }
    let who = ctx.staff.who.clone();
    let target = id.clone();
    match ctx
        .blocking(move |ix| ix.patch_event(&who, &target, changes))
        .await
    {
        Ok(Ok(_)) => ctx.done(&back, "saved"),
        Ok(Err(e)) => curation_failed(&ctx, e, &back),
        Err(r) => r,
    }
}

fn i18n_field(lang: &str, field: &str) -> String {
    if FIELDS.contains(&field) {
        crate::i18n::tr(lang, &format!("console-field-{}", field.replace('_', "-")))
    } else {
        field.to_string()
    }
}

/// A date and an optional time in `tz`; all day (or no time) is midnight.
pub(super) fn local_instant(
    tz: Tz,
    date: &str,
    time: Option<&str>,
) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = match time {
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .ok()?,
        None => NaiveTime::MIN,
    };
    let local = date.and_time(time);
    // A time skipped by a DST change reads as the hour after.
    let at = tz.from_local_datetime(&local).earliest().or_else(|| {
        tz.from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
    })?;
    Some(at.fixed_offset())
}

/// The fields of the form that differ from `e`, in the Event's JSON shape
/// (a venue as the gazetteer's whole venue); or the field that is wrong and
/// the message id that says why.
fn changed_fields(
    ctx: &Ctx,
    e: &Event,
    f: &Fields,
) -> Result<Map<String, Value>, (String, &'static str)> {
    let config = &ctx.state.config();
    let tz = zone(ctx, e);
    let mut out = Map::new();
    let title = f
        .get("title")
        .ok_or(("title".to_string(), "console-invalid-required"))?;
    if title != e.title {
        out.insert("title".into(), Value::from(title));
    }
    let description = f.raw("description").replace("\r\n", "\n");
    let description = description.trim();
    if description != e.description.as_deref().unwrap_or("").trim() {
        out.insert(
            "description".into(),
            if description.is_empty() {
                Value::Null
            } else {
                Value::from(description)
            },
        );
    }
    let all_day = f.checked("all_day");
    if all_day != e.all_day {
        out.insert("all_day".into(), Value::from(all_day));
    }
    let start_date = f
        .get("start_date")
        .ok_or(("start".to_string(), "console-invalid-required"))?;
    let start_time = if all_day { None } else { f.get("start_time") };
    let start = local_instant(tz, start_date, start_time)
        .ok_or(("start".to_string(), "console-invalid-date"))?;
    if start != e.start || all_day != e.all_day {
        out.insert("start".into(), Value::from(start.to_rfc3339()));
    }
    let end = match f.get("end_date") {
        None if f.get("end_time").is_some() && !all_day => {
            // A time alone ends on the start's day.
            Some(
                local_instant(tz, start_date, f.get("end_time"))
                    .ok_or(("end".to_string(), "console-invalid-date"))?,
            )
        }
        None => None,
        Some(d) if all_day => {
            let last =
                local_instant(tz, d, None).ok_or(("end".to_string(), "console-invalid-date"))?;
            let next = last.date_naive() + Duration::days(1);
            Some(
                local_instant(tz, &next.format("%Y-%m-%d").to_string(), None)
                    .ok_or(("end".to_string(), "console-invalid-date"))?,
            )
        }
        Some(d) => Some(
            local_instant(tz, d, f.get("end_time"))
                .ok_or(("end".to_string(), "console-invalid-date"))?,
        ),
    };
    if let Some(end) = end {
        if end <= start {
            return Err(("end".into(), "console-invalid-end-before-start"));
        }
    }
    if end != e.end || (all_day != e.all_day && end.is_some()) {
        out.insert(
            "end".into(),
            end.map(|d| Value::from(d.to_rfc3339()))
                .unwrap_or(Value::Null),
        );
    }
    let status = match f.get("status").unwrap_or("scheduled") {
        "scheduled" => Status::Scheduled,
        "cancelled" => Status::Cancelled,
        "postponed" => Status::Postponed,
        _ => return Err(("status".into(), "console-invalid-choice")),
    };
    if status != e.status {
        out.insert("status".into(), Value::from(status.as_str()));
    }
    for (field, current) in [("url", &e.url), ("image", &e.image)] {
        let given = f.get(field);
        if let Some(u) = given {
            let ok =
                url::Url::parse(u).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https");
            if !ok {
                return Err((field.into(), "console-invalid-url"));
            }
        }
        if given != current.as_deref() {
            out.insert(field.into(), given.map(Value::from).unwrap_or(Value::Null));
        }
    }
    let mut categories = f.all("categories");
    categories.sort();
    categories.dedup();
    if categories
        .iter()
        .any(|c| !config.categories.iter().any(|k| &k.slug == c))
    {
        return Err(("categories".into(), "console-invalid-choice"));
    }
    let mut current = e.categories.clone();
    current.sort();
    if categories != current {
        out.insert("categories".into(), Value::from(categories));
    }
    let venue = f.get("venue");
    let current_venue = e.venue.as_ref().map(|v| v.id.as_str());
    if venue != current_venue {
        match venue {
            None => {
                out.insert("venue".into(), Value::Null);
            }
            Some(v) => {
                let venue = config
                    .venues
                    .iter()
                    .find(|g| g.id == v)
                    .ok_or(("venue".to_string(), "console-invalid-choice"))?;
                out.insert(
                    "venue".into(),
                    serde_json::to_value(venue).unwrap_or(Value::Null),
                );
            }
        }
    }
    Ok(out)
}

/// `POST /admin/events/{id}/{action}`: `hide` and `unhide` (`series=1`
/// for the whole series), `unlock` (`field`: back to the sources), `split`
/// (`source`: that source's record out, as its own event).
pub async fn act(
    Path((id, action)): Path<(String, String)>,
    Form { ctx, fields }: Form,
) -> Response {
    let back = format!("/admin/events/{}", encode(&id));
    let done = match action.as_str() {
        "hide" => "hidden",
        "unhide" => "unhidden",
        "unlock" => "unlocked",
        "split" => "split",
        _ => return ctx.not_found(&action, &back),
    };
    if let Err(r) = ctx.may(Act::Event(id.clone()), &back).await {
        return r;
    }
    let who = ctx.staff.who.clone();
    let series = fields.checked("series");
    let field = fields.get("field").unwrap_or("").to_string();
    let source = fields.get("source").unwrap_or("").to_string();
    let result = ctx
        .blocking(move |ix| match action.as_str() {
            "hide" => ix.hide(&who, &id, series),
            "unhide" => ix.unhide(&who, &id, series),
            "unlock" => ix.unlock(&who, &id, &field).map(drop),
            _ => ix.split(&who, &id, &source).map(drop),
        })
        .await;
    match result {
        Ok(Ok(())) => ctx.done(&back, done),
        Ok(Err(e)) => curation_failed(&ctx, e, &back),
        Err(r) => r,
    }
}

/// The event ids in what a person pasted: ids or the addresses of event
/// pages (`/events/{id}` or `/admin/events/{id}`), separated by spaces or
/// commas.
pub(super) fn pasted_ids(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let id = match url::Url::parse(part) {
            Ok(u) => u
                .path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .unwrap_or_default(),
            Err(_) => part.rsplit('/').next().unwrap_or(part).to_string(),
        };
        let id = id.split(['?', '#']).next().unwrap_or("").to_string();
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// `POST /admin/events/{id}/merge` (`ids`): one event of this and those.
pub async fn merge(Path(id): Path<String>, Form { ctx, fields }: Form) -> Response {
    let back = format!("/admin/events/{}", encode(&id));
    let mut ids = vec![id.clone()];
    ids.extend(
        pasted_ids(fields.raw("ids"))
            .into_iter()
            .filter(|i| *i != id),
    );
    if ids.len() < 2 {
        return ctx.error(
            StatusCode::BAD_REQUEST,
            "console-error-title",
            &ctx.t("console-merge-needs-ids"),
            &back,
        );
    }
    if let Err(r) = ctx.may(Act::Events(ids.clone()), &back).await {
        return r;
    }
    let who = ctx.staff.who.clone();
    match ctx.blocking(move |ix| ix.merge(&who, &ids)).await {
        Ok(Ok(merged)) => ctx.done(&format!("/admin/events/{}", encode(&merged.id)), "merged"),
        Ok(Err(e)) => curation_failed(&ctx, e, &back),
        Err(r) => r,
    }
}
