//! Events entered by hand (`/admin/events/new`): for a member with no feed
//! at all. The form (title and description in each language, date and time
//! pickers, all day, recurrence, venue from the gazetteer, image, link,
//! categories, status) becomes a [`ManualEvent`] that the process saves
//! into the built-in source of hand-entered events and runs at once
//! ([`crate::admin::sources::SourceAdmin::save_manual_event`]), so these
//! events dedup and publish like any other. `?replace=ID` opens one as it
//! was saved ([`ManualEvent::from_raw`] of its stored record), to change
//! or delete it; an event's screen links there from its hand-entered record.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::events::{category_checkboxes, status_label, venue_options};
use super::frame::{self, Section};
use super::sources::{admin_failed, source_admin};
use super::{encode, tr_args, Ctx, Fields, Form, Screen};
use crate::admin::scope::Act;
use crate::admin::sources::{ManualEvent, MANUAL_SOURCE};
use crate::layout::esc;
use index::manual::ManualRecord;
use model::Status;

/// `GET /admin/events/new`: the empty form; `replace=ID` the form of the
/// hand-entered event ID as saved, which it saves over.
pub async fn new_form(Screen { ctx, query, .. }: Screen) -> Response {
    if let Err(r) = ctx.may(Act::Manual, "/admin/events").await {
        return r;
    }
    let Some(id) = query.get("replace").map(str::to_string) else {
        let saved = ctx
            .read("console manual events", |ix| {
                ix.manual_events(MANUAL_SOURCE)
            })
            .await;
        return match saved {
            Ok(saved) => {
                let list = saved_list(&ctx, &saved);
                form_page(&ctx, &query, None, None, StatusCode::OK, &list)
            }
            Err(r) => r,
        };
    };
    // Editing one: the form holds what was saved.
    let config = Arc::clone(&ctx.state.config());
    let lookup = id.clone();
    let saved = ctx
        .read("console manual event", move |ix| {
            Ok(ix
                .manual_event(&lookup)?
                .map(|r| ManualEvent::from_raw(&r.raw, &config)))
        })
        .await;
    match saved {
        Ok(Some(event)) => {
            let mut values = fields_of(&serde_json::to_value(&event).unwrap_or(Value::Null));
            if let Some(done) = query.get("done") {
                values.0.push(("done".into(), done.to_string()));
            }
            form_page(&ctx, &values, Some(&id), None, StatusCode::OK, "")
        }
        Ok(None) => ctx.not_found(&id, "/admin/events/new"),
        Err(r) => r,
    }
}

/// The form, filled with `values` (a form sent back with a problem).
fn form_page(
    ctx: &Ctx,
    values: &Fields,
    replace: Option<&str>,
    problem: Option<String>,
    status: StatusCode,
    after: &str,
) -> Response {
    let config = &ctx.state.config();
    let lang = ctx.lang.as_str();
    let v = |name: &str| esc(values.raw(name));
    let action = match replace {
        Some(id) => format!("/admin/manual/{}", encode(id)),
        None => "/admin/events/new".to_string(),
    };
    let mut b = format!(
        "<p class=\"hint\">{}</p>\n<form method=\"post\" action=\"{}\">{}\n",
        ctx.t("console-manual-help"),
        esc(&action),
        ctx.hidden()
    );
    for (i, l) in config.languages.iter().enumerate() {
        let required = if i == 0 { " required" } else { "" };
        let name_id = format!("console-lang-{l}");
        let language = if crate::i18n::has(&name_id) {
            crate::i18n::tr(lang, &name_id)
        } else {
            l.clone()
        };
        let _ = writeln!(
            b,
            "<fieldset><legend>{legend}</legend>\
<div class=\"field\"><label for=\"m-title-{l}\">{title_l}</label><input type=\"text\" id=\"m-title-{l}\" name=\"title_{l}\" lang=\"{l}\" value=\"{title}\"{required}></div>\
<div class=\"field\"><label for=\"m-description-{l}\">{desc_l}</label><textarea id=\"m-description-{l}\" name=\"description_{l}\" lang=\"{l}\">{desc}</textarea></div></fieldset>",
            l = esc(l),
            legend = tr_args(lang, "console-manual-in", &[("language", language.into())]),
            title_l = ctx.t("console-field-title"),
            title = v(&format!("title_{l}")),
            desc_l = ctx.t("console-field-description"),
            desc = v(&format!("description_{l}")),
        );
    }
    let _ = writeln!(
        b,
        "<fieldset><legend>{when}</legend>\
<div class=\"field\"><input type=\"checkbox\" id=\"m-all-day\" name=\"all_day\" value=\"1\" data-all-day{all_day}> <label class=\"check\" for=\"m-all-day\">{all_day_l}</label></div>\
<div class=\"row\"><div class=\"field\"><label for=\"m-start-date\">{sd_l}</label><input type=\"date\" id=\"m-start-date\" name=\"start_date\" value=\"{sd}\" required></div>\
<div class=\"field\" data-timed><label for=\"m-start-time\">{st_l}</label><input type=\"time\" id=\"m-start-time\" name=\"start_time\" value=\"{st}\"></div>\
<div class=\"field\"><label for=\"m-end-date\">{ed_l}</label><input type=\"date\" id=\"m-end-date\" name=\"end_date\" value=\"{ed}\"></div>\
<div class=\"field\" data-timed><label for=\"m-end-time\">{et_l}</label><input type=\"time\" id=\"m-end-time\" name=\"end_time\" value=\"{et}\"></div></div>\
<p class=\"hint\">{zone}</p></fieldset>",
        when = ctx.t("console-manual-when"),
        all_day = if values.checked("all_day") { " checked" } else { "" },
        all_day_l = ctx.t("console-field-all-day"),
        sd_l = ctx.t("console-start-date"),
        sd = v("start_date"),
        st_l = ctx.t("console-start-time"),
        st = v("start_time"),
        ed_l = ctx.t("console-end-date"),
        ed = v("end_date"),
        et_l = ctx.t("console-end-time"),
        et = v("end_time"),
        zone = tr_args(lang, "console-times-in", &[("zone", config.timezone.name().into())]),
    );
    let rec = values.get("recurrence").unwrap_or("none");
    let radio = |value: &str, id: &str| {
        format!(
            "<span class=\"check\"><input type=\"radio\" id=\"m-rec-{value}\" name=\"recurrence\" value=\"{value}\"{}> <label for=\"m-rec-{value}\">{}</label></span>",
            if rec == value { " checked" } else { "" },
            ctx.t(id)
        )
    };
    let _ = writeln!(
        b,
        "<fieldset data-recurrence><legend>{legend}</legend><div class=\"checks\">{none}{weekly}{monthly}{dates}</div>\
<div class=\"row\" data-for=\"weekly monthly\"><div class=\"field\"><label for=\"m-until\">{until_l}</label><input type=\"date\" id=\"m-until\" name=\"until\" value=\"{until}\"></div>\
<div class=\"field\"><label for=\"m-count\">{count_l}</label><input type=\"number\" id=\"m-count\" name=\"count\" min=\"1\" max=\"500\" value=\"{count}\"></div></div>\
<div class=\"field\" data-for=\"dates\"><label for=\"m-dates\">{dates_l}</label><textarea id=\"m-dates\" name=\"dates\" aria-describedby=\"m-dates-help\">{dates_v}</textarea>\
<p class=\"hint\" id=\"m-dates-help\">{dates_help}</p></div></fieldset>",
        legend = ctx.t("console-recurrence"),
        none = radio("none", "console-recurrence-none"),
        weekly = radio("weekly", "console-recurrence-weekly"),
        monthly = radio("monthly", "console-recurrence-monthly"),
        dates = radio("dates", "console-recurrence-dates"),
        until_l = ctx.t("console-recurrence-until"),
        until = v("until"),
        count_l = ctx.t("console-recurrence-count"),
        count = v("count"),
        dates_l = ctx.t("console-recurrence-dates-list"),
        dates_v = v("dates"),
        dates_help = ctx.t("console-recurrence-dates-help"),
    );
    let chosen_venue = values.get("venue");
    let venues = venue_options(ctx, chosen_venue);
    let chosen_status = values.get("status").unwrap_or("scheduled");
    let statuses: String = [Status::Scheduled, Status::Cancelled, Status::Postponed]
        .iter()
        .map(|s| {
            format!(
                "<option value=\"{0}\"{1}>{2}</option>",
                s.as_str(),
                if s.as_str() == chosen_status {
                    " selected"
                } else {
                    ""
                },
                status_label(lang, *s)
            )
        })
        .collect();
    let _ = writeln!(
        b,
        "<div class=\"row\"><div class=\"field\"><label for=\"m-venue\">{venue_l}</label><select id=\"m-venue\" name=\"venue\">{venues}</select></div>\
<div class=\"field\"><label for=\"m-status\">{status_l}</label><select id=\"m-status\" name=\"status\">{statuses}</select></div></div>\
<div class=\"field\"><label for=\"m-url\">{url_l}</label><input type=\"url\" id=\"m-url\" name=\"url\" value=\"{url}\"></div>\
<div class=\"field\"><label for=\"m-image\">{image_l}</label><input type=\"url\" id=\"m-image\" name=\"image\" value=\"{image}\"></div>\
{categories}\n<p><button type=\"submit\">{save}</button></p></form>",
        venue_l = ctx.t("console-field-venue"),
        status_l = ctx.t("console-field-status"),
        url_l = ctx.t("console-field-url"),
        url = v("url"),
        image_l = ctx.t("console-field-image"),
        image = v("image"),
        categories = category_checkboxes(ctx, "m-cat", &values.all("categories")),
        save = ctx.t("console-manual-save"),
    );
    if let Some(id) = replace {
        let _ = writeln!(
            b,
            "<form method=\"post\" action=\"/admin/manual/{}/delete\" data-confirm=\"{}\">{}<button type=\"submit\" class=\"danger\">{}</button></form>",
            esc(&encode(id)),
            ctx.t("console-manual-delete-confirm"),
            ctx.hidden(),
            ctx.t("console-manual-delete")
        );
    }
    b.push_str(after);
    let flash = match problem {
        Some(p) => Some((p, true)),
        None => frame::flash(lang, values),
    };
    let title = crate::i18n::tr(lang, "console-manual-title");
    let mut switch = "/admin/events/new".to_string();
    if let Some(id) = replace {
        switch.push_str(&format!("?replace={}", encode(id)));
    }
    ctx.render(status, Section::NewEvent, &title, &b, &switch, flash)
}

/// The events entered by hand so far, each a link to its form.
fn saved_list(ctx: &Ctx, saved: &[ManualRecord]) -> String {
    let mut b = format!(
        "<section aria-labelledby=\"saved\"><h2 id=\"saved\">{}</h2>\n",
        ctx.t("console-manual-saved")
    );
    if saved.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", ctx.t("console-manual-none"));
    } else {
        b.push_str("<ul>");
        for m in saved {
            let _ = write!(
                b,
                "<li><a href=\"{}\">{}</a> <span class=\"muted\">{}</span></li>",
                esc(&ctx.href(&format!("/admin/events/new?replace={}", encode(&m.id)))),
                esc(&m.raw.title),
                tr_args(
                    &ctx.lang,
                    "console-manual-by",
                    &[
                        ("who", m.created_by.clone().into()),
                        (
                            "date",
                            m.updated_at
                                .with_timezone(&ctx.state.config().timezone)
                                .format("%Y-%m-%d")
                                .to_string()
                                .into()
                        ),
                    ]
                )
            );
        }
        b.push_str("</ul>\n");
    }
    b.push_str("</section>\n");
    b
}

/// The form's values for a hand-entered event as it was saved (its
/// [`ManualEvent`] as JSON), to edit it.
fn fields_of(event: &Value) -> Fields {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let text = |v: &Value| v.as_str().map(str::to_string);
    for (key, field) in [("title", "title_"), ("description", "description_")] {
        if let Some(map) = event.get(key).and_then(Value::as_object) {
            for (lang, value) in map {
                if let Some(t) = text(value) {
                    pairs.push((format!("{field}{lang}"), t));
                }
            }
        }
    }
    for (key, date, time) in [
        ("start", "start_date", "start_time"),
        ("end", "end_date", "end_time"),
    ] {
        if let Some(when) = event.get(key).and_then(Value::as_str) {
            let (d, t) = when.split_once('T').unwrap_or((when, ""));
            pairs.push((date.into(), d.to_string()));
            pairs.push((time.into(), t.chars().take(5).collect()));
        }
    }
    if event.get("all_day").and_then(Value::as_bool) == Some(true) {
        pairs.push(("all_day".into(), "1".into()));
    }
    match event.get("recurrence") {
        Some(r) if r.get("dates").is_some() => {
            pairs.push(("recurrence".into(), "dates".into()));
            let dates: Vec<String> = r["dates"]
                .as_array()
                .map(|a| a.iter().filter_map(text).collect())
                .unwrap_or_default();
            pairs.push(("dates".into(), dates.join("\n")));
        }
        Some(r) if r.get("freq").is_some() => {
            pairs.push(("recurrence".into(), text(&r["freq"]).unwrap_or_default()));
            if let Some(until) = r.get("until").and_then(text) {
                pairs.push(("until".into(), until));
            }
            if let Some(count) = r.get("count").and_then(Value::as_u64) {
                pairs.push(("count".into(), count.to_string()));
            }
        }
        _ => {}
    }
    for key in ["venue", "image", "url", "status"] {
        if let Some(v) = event.get(key).and_then(text) {
            pairs.push((key.into(), v));
        }
    }
    if let Some(list) = event.get("categories").and_then(Value::as_array) {
        for c in list.iter().filter_map(text) {
            pairs.push(("categories".into(), c));
        }
    }
    Fields(pairs)
}

/// The [`ManualEvent`] a form describes, or the field that is wrong and why
/// (already HTML).
fn manual_event(ctx: &Ctx, f: &Fields) -> Result<ManualEvent, String> {
    let config = &ctx.state.config();
    let lang = ctx.lang.as_str();
    let bad = |field: &str, message: &str| {
        tr_args(
            lang,
            "console-error-invalid",
            &[
                ("field", crate::i18n::tr(lang, field).into()),
                ("message", crate::i18n::tr(lang, message).into()),
            ],
        )
    };
    let mut title = serde_json::Map::new();
    let mut description = serde_json::Map::new();
    for l in &config.languages {
        if let Some(t) = f.get(&format!("title_{l}")) {
            title.insert(l.clone(), Value::from(t));
        }
        let d = f.raw(&format!("description_{l}")).replace("\r\n", "\n");
        if !d.trim().is_empty() {
            description.insert(l.clone(), Value::from(d.trim()));
        }
    }
    if title.is_empty() {
        return Err(bad("console-field-title", "console-invalid-required"));
    }
    let all_day = f.checked("all_day");
    let date = |name: &str| -> Result<Option<String>, String> {
        match f.get(name) {
            None => Ok(None),
            Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(|d| Some(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| bad("console-start-date", "console-invalid-date")),
        }
    };
    let time = |name: &str| -> Result<Option<String>, String> {
        match f.get(name) {
            None => Ok(None),
            Some(t) => chrono::NaiveTime::parse_from_str(t, "%H:%M")
                .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M:%S"))
                .map(|t| Some(t.format("%H:%M").to_string()))
                .map_err(|_| bad("console-start-time", "console-invalid-date")),
        }
    };
    let start_date =
        date("start_date")?.ok_or_else(|| bad("console-start-date", "console-invalid-required"))?;
    let start = match (all_day, time("start_time")?) {
        (false, Some(t)) => format!("{start_date}T{t}"),
        (false, None) => return Err(bad("console-start-time", "console-invalid-required")),
        (true, _) => start_date.clone(),
    };
    let end = match (date("end_date")?, all_day, time("end_time")?) {
        (Some(d), true, _) => Some(d),
        (Some(d), false, Some(t)) => Some(format!("{d}T{t}")),
        (None, false, Some(t)) => Some(format!("{start_date}T{t}")),
        (Some(d), false, None) => Some(format!("{d}T{}", time("start_time")?.unwrap_or_default())),
        (None, _, _) => None,
    };
    if let Some(end) = &end {
        if end.as_str() < start.as_str() {
            return Err(bad("console-end-date", "console-invalid-end-before-start"));
        }
    }
    let recurrence = match f.get("recurrence").unwrap_or("none") {
        "none" => Value::Null,
        freq @ ("weekly" | "monthly") => {
            let until = date("until")
                .map_err(|_| bad("console-recurrence-until", "console-invalid-date"))?;
            let count = match f.get("count") {
                None => None,
                Some(c) => Some(
                    c.parse::<u32>()
                        .ok()
                        .filter(|c| (1..=500).contains(c))
                        .ok_or_else(|| bad("console-recurrence-count", "console-invalid-count"))?,
                ),
            };
            if until.is_none() && count.is_none() {
                return Err(bad("console-recurrence", "console-invalid-recurrence-end"));
            }
            json!({ "freq": freq, "until": until, "count": count })
        }
        "dates" => {
            let mut dates = Vec::new();
            for d in f
                .raw("dates")
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter(|d| !d.is_empty())
            {
                let d = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| bad("console-recurrence-dates-list", "console-invalid-date"))?;
                dates.push(d.format("%Y-%m-%d").to_string());
            }
            if dates.is_empty() {
                return Err(bad(
                    "console-recurrence-dates-list",
                    "console-invalid-required",
                ));
            }
            json!({ "dates": dates })
        }
        _ => return Err(bad("console-recurrence", "console-invalid-choice")),
    };
    let venue = f.get("venue");
    if venue.is_some_and(|v| !config.venues.iter().any(|g| g.id == v)) {
        return Err(bad("console-field-venue", "console-invalid-choice"));
    }
    for field in ["url", "image"] {
        if let Some(u) = f.get(field) {
            let ok =
                url::Url::parse(u).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https");
            if !ok {
                return Err(bad(
                    &format!("console-field-{field}"),
                    "console-invalid-url",
                ));
            }
        }
    }
    let categories = f.all("categories");
    if categories
        .iter()
        .any(|c| !config.categories.iter().any(|k| &k.slug == c))
    {
        return Err(bad("console-field-categories", "console-invalid-choice"));
    }
    let status = f.get("status").unwrap_or("scheduled");
    if !["scheduled", "cancelled", "postponed"].contains(&status) {
        return Err(bad("console-field-status", "console-invalid-choice"));
    }
    let value = json!({
        "title": title,
        "description": description,
        "start": start,
        "end": end,
        "all_day": all_day,
        "recurrence": recurrence,
        "venue": venue,
        "image": f.get("image"),
        "url": f.get("url"),
        "categories": categories,
        "status": status,
    });
    serde_json::from_value(value).map_err(|e| {
        tr_args(
            lang,
            "console-error-refused",
            &[("message", e.to_string().into())],
        )
    })
}

async fn save(Form { ctx, fields }: Form, id: Option<String>) -> Response {
    if let Err(r) = ctx.may(Act::Manual, "/admin/events").await {
        return r;
    }
    let event = match manual_event(&ctx, &fields) {
        Ok(e) => e,
        Err(problem) => {
            return form_page(
                &ctx,
                &fields,
                id.as_deref(),
                Some(problem),
                StatusCode::BAD_REQUEST,
                "",
            )
        }
    };
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin
        .save_manual_event(&ctx.staff.who, id.as_deref(), event)
        .await
    {
        Ok(saved) => ctx.done(
            &format!("/admin/events/new?replace={}", encode(&saved)),
            "manual-saved",
        ),
        Err(e) => {
            let problem = admin_failed(&ctx, &e);
            form_page(&ctx, &fields, id.as_deref(), Some(problem.1), problem.0, "")
        }
    }
}

/// `POST /admin/events/new`: a new hand-entered event.
pub async fn create(form: Form) -> Response {
    save(form, None).await
}

/// `POST /admin/manual/{id}`: the hand-entered event `id`, replaced.
pub async fn update(Path(id): Path<String>, form: Form) -> Response {
    save(form, Some(id)).await
}

/// `POST /admin/manual/{id}/delete`.
pub async fn delete(Path(id): Path<String>, Form { ctx, .. }: Form) -> Response {
    let back = format!("/admin/events/new?replace={}", encode(&id));
    if let Err(r) = ctx.may(Act::Manual, "/admin/events").await {
        return r;
    }
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin.delete_manual_event(&ctx.staff.who, &id).await {
        Ok(()) => ctx.done("/admin/events", "manual-deleted"),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, &back)
        }
    }
}
