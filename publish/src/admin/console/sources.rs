//! The sources: their health (as `/sources` shows it, with the last error
//! explained), run now / pause / resume, and adding a member by its
//! address: paste a URL, see what babillard finds there (the kind, the
//! events, the warnings), adjust the name, id, language, priority, default
//! venue, categories and schedule, save. What touches `sources.toml` or
//! fetches goes through [`SourceAdmin`] (the binary's side); without it,
//! these actions answer 503.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::events::{category_checkboxes, venue_options, when_text};
use super::frame::{self, Section};
use super::{encode, tr_args, AdminForm, AdminScreen, Ctx, Fields, Form, Screen};
use crate::admin::sources::{Preview, SourceAdmin, SourceAdminError, MANUAL_SOURCE};
use crate::handler::sources_with_next_runs;
use crate::layout::esc;

/// The process's side of sources administration, or the 503 page.
pub(super) fn source_admin(ctx: &Ctx) -> Result<Arc<dyn SourceAdmin>, Response> {
    ctx.state.source_admin.clone().ok_or_else(|| {
        ctx.error(
            StatusCode::SERVICE_UNAVAILABLE,
            "console-error-title",
            &ctx.t("console-sources-unavailable"),
            "/admin/sources",
        )
    })
}

/// A failed sources request: its status and the reason, already HTML.
pub(super) fn admin_failed(ctx: &Ctx, e: &SourceAdminError) -> (StatusCode, String) {
    let lang = ctx.lang.as_str();
    match e {
        SourceAdminError::Invalid { field, message } => (
            StatusCode::BAD_REQUEST,
            tr_args(
                lang,
                "console-error-invalid",
                &[
                    ("field", field.clone().into()),
                    ("message", message.clone().into()),
                ],
            ),
        ),
        SourceAdminError::NotFound(what) => (
            StatusCode::NOT_FOUND,
            tr_args(
                lang,
                "console-error-not-found",
                &[("what", what.clone().into())],
            ),
        ),
        SourceAdminError::Refused(messages) => {
            let list: String = messages
                .iter()
                .map(|m| format!("<li><code>{}</code></li>", esc(m)))
                .collect();
            (
                StatusCode::BAD_REQUEST,
                format!("{}<ul>{list}</ul>", ctx.t("console-error-check")),
            )
        }
        SourceAdminError::Failed(message) => {
            tracing::warn!(error = %message, "console: sources request failed");
            (
                StatusCode::BAD_GATEWAY,
                tr_args(
                    lang,
                    "console-error-failed",
                    &[("message", message.clone().into())],
                ),
            )
        }
    }
}

/// Warnings under a heading (`tag`: `h3`, or `summary` inside `<details>`).
fn warnings_list(lang: &str, tag: &str, warnings: &[String]) -> String {
    let items: String = warnings
        .iter()
        .map(|w| format!("<li>{}</li>", esc(w)))
        .collect();
    format!(
        "<{tag}>{}</{tag}><ul>{items}</ul>",
        tr_args(
            lang,
            "console-warnings",
            &[("count", warnings.len().into())]
        )
    )
}

fn when(ctx: &Ctx, d: Option<DateTime<Utc>>) -> String {
    match d {
        Some(d) => {
            let local = d.with_timezone(&ctx.state.config().timezone);
            format!(
                "<time datetime=\"{}\">{}</time>",
                esc(&d.to_rfc3339()),
                esc(&local.format("%Y-%m-%d %H:%M").to_string())
            )
        }
        None => "—".to_string(),
    }
}

/// `GET /admin/sources`.
pub async fn list(Screen { ctx, query, .. }: Screen) -> Response {
    let state = ctx.state.clone();
    let sources = match sources_with_next_runs(&state, "console sources").await {
        Ok(s) => s,
        Err(_) => return ctx.internal("console sources", &"index"),
    };
    let lang = ctx.lang.as_str();
    let mut b = String::with_capacity(16 * 1024);
    if ctx.is_admin() {
        let _ = writeln!(
            b,
            "<p><a class=\"button\" href=\"{}\">{}</a></p>",
            esc(&ctx.href("/admin/sources/new")),
            ctx.t("console-add-member")
        );
    }
    let ok = sources.iter().filter(|s| s.status == "ok").count();
    let failing = sources.iter().filter(|s| s.status == "error").count();
    let _ = writeln!(
        b,
        "<p>{}</p>",
        tr_args(
            lang,
            "console-sources-summary",
            &[
                ("total", sources.len().into()),
                ("ok", ok.into()),
                ("failing", failing.into())
            ]
        )
    );
    let (name_l, state_l, last_l, error_l, events_l, next_l, act_l) = (
        ctx.t("console-source"),
        ctx.t("console-col-state"),
        ctx.t("console-last-success"),
        ctx.t("console-last-error"),
        ctx.t("console-col-events"),
        ctx.t("console-next-run"),
        ctx.t("console-col-actions"),
    );
    let _ = writeln!(
        b,
        "<table><thead><tr><th scope=\"col\">{name_l}</th><th scope=\"col\">{state_l}</th><th scope=\"col\">{last_l}</th>\
<th scope=\"col\">{error_l}</th><th scope=\"col\">{events_l}</th><th scope=\"col\">{next_l}</th>{act}</tr></thead><tbody>",
        act = if ctx.is_admin() {
            format!("<th scope=\"col\">{act_l}</th>")
        } else {
            String::new()
        }
    );
    let paused = ctx.state.config().paused.clone();
    for s in &sources {
        let is_paused = paused.contains(&s.id);
        let (cls, label) = match s.status.as_str() {
            _ if is_paused => ("never", ctx.t("console-source-paused")),
            "ok" if s.needs_attention() => ("warning", ctx.t("console-source-warning")),
            "ok" => ("ok", ctx.t("console-source-ok")),
            "error" => ("error", ctx.t("console-source-error")),
            _ => ("never", ctx.t("console-source-never")),
        };
        let error = match (&s.last_error, s.status.as_str()) {
            (Some(e), _) => format!(
                "<span class=\"error\">{}</span><br><span class=\"hint\">{}</span>",
                esc(&crate::explain::explain(
                    lang,
                    s.error_class.as_deref(),
                    Some(e)
                )),
                esc(e)
            ),
            (None, _) => "—".to_string(),
        };
        let warnings = if s.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "<details>{}</details>",
                warnings_list(lang, "summary", &s.warnings)
            )
        };
        let actions = if ctx.is_admin() {
            let id = esc(&encode(&s.id));
            let button = |action: &str, label_id: &str| {
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/admin/sources/{id}/{action}\">{}\
<button type=\"submit\" class=\"quiet\">{}<span class=\"sr\"> — {}</span></button></form>",
                    ctx.hidden(),
                    ctx.t(label_id),
                    esc(&s.name)
                )
            };
            // The built-in source of hand-entered events has no settings to
            // pause: it is read whenever one is saved.
            let settings = if s.id == MANUAL_SOURCE {
                format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&ctx.href("/admin/events/new")),
                    ctx.t("console-nav-new-event")
                )
            } else {
                let toggle = if is_paused {
                    button("resume", "console-resume")
                } else {
                    button("pause", "console-pause")
                };
                format!(
                    "{toggle}<form class=\"inline\" method=\"post\" action=\"/admin/sources/{id}/schedule\">{hidden}\
<label for=\"sched-{id}\">{label}</label> <input id=\"sched-{id}\" name=\"schedule\" type=\"text\" required \
placeholder=\"*/30 * * * *\" size=\"12\"> <button type=\"submit\" class=\"quiet\">{go}</button></form>",
                    hidden = ctx.hidden(),
                    label = ctx.t("console-source-new-schedule"),
                    go = ctx.t("console-source-reschedule"),
                )
            };
            format!(
                "<td data-label=\"{act_l}\">{}{settings}</td>",
                button("run", "console-run-now")
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{name}<br><span class=\"muted\">{id} · {kind}</span><br>\
<a class=\"muted\" href=\"{url}\" rel=\"noopener noreferrer\">{url}</a>{warnings}</th>\
<td data-label=\"{state_l}\" class=\"{cls}\">{label}</td><td data-label=\"{last_l}\">{last}</td>\
<td data-label=\"{error_l}\">{error}</td><td data-label=\"{events_l}\">{events}</td><td data-label=\"{next_l}\">{next}</td>{actions}</tr>",
            name = esc(&s.name),
            id = esc(&s.id),
            // The built-in source has no kind; one not yet read has none yet.
            kind = match (s.kind.as_deref(), s.id == MANUAL_SOURCE) {
                (_, true) => ctx.t("console-source-builtin"),
                (Some(k), false) => esc(k),
                (None, false) => ctx.t("portal-sources-kind-unknown"),
            },
            url = esc(&s.url),
            last = when(&ctx, s.last_success_at),
            events = s.events,
            next = when(&ctx, s.next_run),
        );
    }
    b.push_str("</tbody></table>\n");
    let title = crate::i18n::tr(lang, "console-sources-title");
    ctx.render(
        StatusCode::OK,
        Section::Sources,
        &title,
        &b,
        "/admin/sources",
        frame::flash(lang, &query),
    )
}

/// `POST /admin/sources/{id}/{action}`: `run`, `pause` or `resume` (admin).
pub async fn act(
    Path((id, action)): Path<(String, String)>,
    AdminForm(Form { ctx, fields }): AdminForm,
) -> Response {
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let who = ctx.staff.who.as_str();
    let (result, done) = match action.as_str() {
        "schedule" => {
            // A new cron schedule, checked by `check` when written.
            let Some(schedule) = fields.get("schedule") else {
                let text = crate::i18n::tr_args(
                    &ctx.lang,
                    "console-error-invalid",
                    &[
                        ("field", ctx.t("console-source-schedule").into()),
                        ("message", ctx.t("console-invalid-required").into()),
                    ],
                );
                return ctx.error(
                    StatusCode::BAD_REQUEST,
                    "console-error-title",
                    &text,
                    "/admin/sources",
                );
            };
            let mut changes = serde_json::Map::new();
            changes.insert(
                "schedule".to_string(),
                serde_json::Value::String(schedule.to_string()),
            );
            (admin.update(who, &id, changes).await, "rescheduled")
        }
        "run" => (admin.run_now(who, &id).await, "run"),
        "pause" => (admin.pause(who, &id).await, "paused"),
        "resume" => (admin.resume(who, &id).await, "resumed"),
        _ => return ctx.not_found(&action, "/admin/sources"),
    };
    match result {
        Ok(()) => ctx.done("/admin/sources", done),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, "/admin/sources")
        }
    }
}

// ------------------------------------------------------------ a new member

/// `GET /admin/sources/new`: paste an address (admin).
pub async fn new_form(AdminScreen(Screen { ctx, query, .. }): AdminScreen) -> Response {
    add_page(&ctx, &query, None, None, StatusCode::OK)
}

/// The "add a member" page: the address form, then (once previewed) what
/// was found and the form that saves the source.
fn add_page(
    ctx: &Ctx,
    values: &Fields,
    preview: Option<&Preview>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = ctx.lang.as_str();
    let url = values.get("url").unwrap_or("");
    let mut b = format!(
        "<p class=\"hint\">{help}</p>\n<form method=\"post\" action=\"/admin/sources/preview\" data-swap=\"#preview\" data-busy=\"{busy}\">{hidden}\
<div class=\"field\"><label for=\"s-url\">{url_l}</label><input type=\"url\" id=\"s-url\" name=\"url\" value=\"{url}\" required \
placeholder=\"https://\" aria-describedby=\"s-url-help\"><p class=\"hint\" id=\"s-url-help\">{url_help}</p></div>\
<button type=\"submit\">{go}</button></form>\n<section id=\"preview\" aria-labelledby=\"preview-title\">",
        help = ctx.t("console-add-help"),
        busy = ctx.t("console-preview-busy"),
        hidden = ctx.hidden(),
        url_l = ctx.t("console-source-url"),
        url = esc(url),
        url_help = ctx.t("console-source-url-help"),
        go = ctx.t("console-preview"),
    );
    if let Some(p) = &problem {
        let _ = write!(
            b,
            "<h2 id=\"preview-title\">{}</h2><div role=\"alert\" class=\"flash bad\">{p}</div>",
            ctx.t("console-error-title")
        );
    }
    if let Some(p) = preview {
        b.push_str(&preview_html(ctx, values, p));
    }
    b.push_str("</section>\n");
    let title = crate::i18n::tr(lang, "console-add-member");
    ctx.render(
        status,
        Section::Sources,
        &title,
        &b,
        "/admin/sources/new",
        frame::flash(lang, values),
    )
}

/// A source id suggested from an address: the host's first telling label
/// (`agenda.mda.example.org` → `mda`), else, for an address by IP or a
/// single-label host, the file's name (`/membre.ics` → `membre`).
fn suggest_id(url: &str) -> String {
    const VAGUE: [&str; 7] = [
        "www",
        "agenda",
        "calendar",
        "calendrier",
        "events",
        "evenements",
        "ical",
    ];
    let Ok(u) = url::Url::parse(url) else {
        return String::new();
    };
    let labels: Vec<&str> = match u.host() {
        Some(url::Host::Domain(d)) => d.split('.').collect(),
        _ => Vec::new(),
    };
    let named = labels
        .iter()
        .take(labels.len().saturating_sub(1))
        .find(|l| !VAGUE.contains(l))
        .copied();
    let word = match named {
        Some(w) => w.to_string(),
        None => u
            .path_segments()
            .and_then(|mut s| s.next_back())
            .map(|f| f.split('.').next().unwrap_or(f).to_string())
            .unwrap_or_default(),
    };
    let id: String = word
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id.trim_matches('-').to_string()
}

fn preview_html(ctx: &Ctx, values: &Fields, p: &Preview) -> String {
    let config = &ctx.state.config();
    let lang = ctx.lang.as_str();
    let url = values.get("url").unwrap_or("");
    let mut b = format!(
        "<h2 id=\"preview-title\">{}</h2>\n<p>{}</p>\n",
        tr_args(
            lang,
            "console-preview-found",
            &[("count", p.events.len().into())]
        ),
        tr_args(
            lang,
            "console-preview-kind",
            &[("kind", p.kind.clone().into())]
        ),
    );
    if !p.warnings.is_empty() {
        b.push_str(&warnings_list(lang, "h3", &p.warnings));
    }
    if !p.events.is_empty() {
        let _ = write!(
            b,
            "<h3>{}</h3><ul class=\"preview\">",
            ctx.t("console-preview-events")
        );
        for e in p.events.iter().take(20) {
            let _ = write!(
                b,
                "<li><strong>{}</strong> — {}{}</li>",
                esc(&e.title),
                esc(&when_text(lang, e)),
                e.venue
                    .as_ref()
                    .map(|v| format!(" · {}", esc(&v.name)))
                    .unwrap_or_default()
            );
        }
        b.push_str("</ul>\n");
        if p.events.len() > 20 {
            let _ = writeln!(
                b,
                "<p class=\"muted\">{}</p>",
                tr_args(
                    lang,
                    "console-preview-more",
                    &[("count", (p.events.len() - 20).into())]
                )
            );
        }
    }
    let id = values
        .get("id")
        .map(str::to_string)
        .unwrap_or_else(|| suggest_id(url));
    let name = values.get("name").unwrap_or("");
    let chosen_lang = values
        .get("source_lang")
        .map(str::to_string)
        .or_else(|| config.languages.first().cloned())
        .unwrap_or_default();
    let langs: String = config
        .languages
        .iter()
        .map(|l| {
            format!(
                "<option value=\"{0}\"{1}>{2}</option>",
                esc(l),
                if *l == chosen_lang { " selected" } else { "" },
                esc(&crate::i18n::tr(l, "language-name"))
            )
        })
        .collect();
    let chosen_venue = values.get("venue");
    let venues = venue_options(ctx, chosen_venue);
    let _ = writeln!(
        b,
        "<h3>{save_title}</h3>\n<form method=\"post\" action=\"/admin/sources/new\">{hidden}\
<input type=\"hidden\" name=\"url\" value=\"{url}\"><input type=\"hidden\" name=\"kind\" value=\"{kind}\">\
<div class=\"row\"><div class=\"field\"><label for=\"s-name\">{name_l}</label><input type=\"text\" id=\"s-name\" name=\"name\" value=\"{name}\" required></div>\
<div class=\"field\"><label for=\"s-id\">{id_l}</label><input type=\"text\" id=\"s-id\" name=\"id\" value=\"{id}\" required pattern=\"[a-z0-9\\-]+\" aria-describedby=\"s-id-help\">\
<p class=\"hint\" id=\"s-id-help\">{id_help}</p></div></div>\
<div class=\"row\"><div class=\"field\"><label for=\"s-lang\">{lang_l}</label><select id=\"s-lang\" name=\"source_lang\">{langs}</select></div>\
<div class=\"field\"><label for=\"s-priority\">{prio_l}</label><input type=\"number\" id=\"s-priority\" name=\"priority\" value=\"{prio}\" min=\"-100\" max=\"100\"></div>\
<div class=\"field\"><label for=\"s-venue\">{venue_l}</label><select id=\"s-venue\" name=\"venue\">{venues}</select></div></div>\
<div class=\"field\"><label for=\"s-schedule\">{sched_l}</label><input type=\"text\" id=\"s-schedule\" name=\"schedule\" value=\"{sched}\" aria-describedby=\"s-sched-help\">\
<p class=\"hint\" id=\"s-sched-help\">{sched_help}</p></div>\
{categories}\n<p><button type=\"submit\">{save}</button></p></form>",
        save_title = ctx.t("console-add-save-title"),
        hidden = ctx.hidden(),
        url = esc(url),
        kind = esc(&p.kind),
        name_l = ctx.t("console-source-name"),
        name = esc(name),
        id_l = ctx.t("console-source-id"),
        id = esc(&id),
        id_help = ctx.t("console-source-id-help"),
        lang_l = ctx.t("console-source-lang"),
        prio_l = ctx.t("console-source-priority"),
        prio = esc(values.get("priority").unwrap_or("0")),
        venue_l = ctx.t("console-source-venue"),
        sched_l = ctx.t("console-source-schedule"),
        sched = esc(values.get("schedule").unwrap_or("")),
        sched_help = ctx.t("console-source-schedule-help"),
        categories = category_checkboxes(ctx, "s-cat", &values.all("categories")),
        save = ctx.t("console-add-save"),
    );
    b
}

/// `POST /admin/sources/preview` (`url`): what the address holds (admin).
pub async fn preview(AdminForm(Form { ctx, fields }): AdminForm) -> Response {
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(url) = fields.get("url") else {
        let text = tr_args(
            &ctx.lang,
            "console-error-invalid",
            &[
                (
                    "field",
                    crate::i18n::tr(&ctx.lang, "console-source-url").into(),
                ),
                (
                    "message",
                    crate::i18n::tr(&ctx.lang, "console-invalid-required").into(),
                ),
            ],
        );
        return add_page(&ctx, &fields, None, Some(text), StatusCode::BAD_REQUEST);
    };
    match admin.preview(url).await {
        Ok(p) => add_page(&ctx, &fields, Some(&p), None, StatusCode::OK),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            add_page(&ctx, &fields, None, Some(text), status)
        }
    }
}

/// The `[[source]]` keys a saved form gives.
fn source_table(f: &Fields) -> Map<String, Value> {
    let mut s = Map::new();
    for key in ["id", "name", "url", "kind", "schedule", "venue"] {
        if let Some(v) = f.get(key) {
            s.insert(key.into(), Value::from(v));
        }
    }
    if let Some(l) = f.get("source_lang") {
        s.insert("lang".into(), Value::from(l));
    }
    if let Some(p) = f.get("priority") {
        match p.parse::<i64>() {
            Ok(n) => s.insert("priority".into(), Value::from(n)),
            // Left as text: the check names the key and says why.
            Err(_) => s.insert("priority".into(), Value::from(p)),
        };
    }
    let categories = f.all("categories");
    if !categories.is_empty() {
        s.insert("categories".into(), Value::from(categories));
    }
    s
}

/// `POST /admin/sources/new`: the source written and run (admin).
pub async fn add(AdminForm(Form { ctx, fields }): AdminForm) -> Response {
    let admin = match source_admin(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match admin.add(&ctx.staff.who, source_table(&fields)).await {
        Ok(()) => ctx.done("/admin/sources", "source-added"),
        Err(e) => {
            let (status, text) = admin_failed(&ctx, &e);
            // The form again, as filled, with what was found and why not.
            let found = match fields.get("url") {
                Some(url) => admin.preview(url).await.ok(),
                None => None,
            };
            let found = found.unwrap_or_else(|| Preview {
                kind: fields.get("kind").unwrap_or("").to_string(),
                events: Vec::new(),
                warnings: Vec::new(),
            });
            add_page(&ctx, &fields, Some(&found), Some(text), status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::suggest_id;

    #[test]
    fn an_id_is_suggested_from_the_address() {
        assert_eq!(suggest_id("https://agenda.mda.example.org/feed.ics"), "mda");
        assert_eq!(suggest_id("https://www.maisondesarts.ca/"), "maisondesarts");
        assert_eq!(suggest_id("http://127.0.0.1:4000/membre.ics"), "membre");
        assert_eq!(
            suggest_id("http://localhost/Centre_Culturel.ics"),
            "centre-culturel"
        );
        assert_eq!(suggest_id("not a url"), "");
    }
}
