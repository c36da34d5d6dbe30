//! The audit trail: every change a person made, newest first, fifty a page,
//! with what was there before and after as readable JSON, and an undo
//! button on each row not undone yet ([`index::Index::undo`]).

use std::fmt::Write as _;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::events::curation_failed;
use super::frame::{self, Section};
use super::{encode, tr_args, Form, Screen};
use crate::admin::curation::UndoError;
use crate::admin::scope::Act;
use crate::layout::esc;

/// Rows a page shows.
const PAGE: usize = 50;

fn json_block(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "<span class=\"muted\">—</span>".into(),
        Some(v) => format!(
            "<pre>{}</pre>",
            esc(&serde_json::to_string_pretty(v).unwrap_or_default())
        ),
    }
}

/// Whether an action's target is an event (`event.patch`, `event.hide`,
/// ...; the others name sources, accounts or audit rows).
fn targets_event(action: &str) -> bool {
    action.starts_with("event.")
}

/// `GET /admin/audit` (`before`: the cursor of the next page).
pub async fn list(Screen { ctx, query, .. }: Screen) -> Response {
    let state = &ctx.state;
    let before = query.get("before").and_then(|b| b.parse::<i64>().ok());
    let page = match ctx
        .read("console audit", move |ix| ix.audit(PAGE, before))
        .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let lang = ctx.lang.as_str();
    let tz = state.config().timezone;
    let (at_l, who_l, action_l, target_l, before_l, after_l, undo_l) = (
        ctx.t("console-audit-at"),
        ctx.t("console-audit-who"),
        ctx.t("console-audit-action"),
        ctx.t("console-audit-target"),
        ctx.t("console-audit-before"),
        ctx.t("console-audit-after"),
        ctx.t("console-undo"),
    );
    let mut b = format!("<p class=\"hint\">{}</p>\n", ctx.t("console-audit-help"));
    if page.entries.is_empty() {
        let _ = writeln!(b, "<p>{}</p>", ctx.t("console-audit-none"));
    } else {
        let _ = writeln!(
            b,
            "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">{at_l}</th><th scope=\"col\">{who_l}</th>\
<th scope=\"col\">{action_l}</th><th scope=\"col\">{target_l}</th><th scope=\"col\">{before_l}</th>\
<th scope=\"col\">{after_l}</th><th scope=\"col\"><span class=\"sr\">{undo_l}</span></th></tr></thead><tbody>"
        );
        for e in &page.entries {
            let at: DateTime<Utc> = e.at;
            let target = if targets_event(&e.action) && !e.target.is_empty() {
                format!(
                    "<a href=\"{}\"><code>{}</code></a>",
                    esc(&ctx.href(&format!("/admin/events/{}", encode(&e.target)))),
                    esc(&e.target)
                )
            } else {
                format!("<code>{}</code>", esc(&e.target))
            };
            let undo = match e.undone_by {
                Some(by) => tr_args(lang, "console-undone-by", &[("id", by.into())]),
                None if !e.undoable => String::new(),
                None => format!(
                    "<form class=\"inline\" method=\"post\" action=\"/admin/audit/{id}/undo\" data-confirm=\"{confirm}\">{hidden}\
<button type=\"submit\" class=\"quiet\">{undo_l}<span class=\"sr\"> — {action} {target_text}</span></button></form>",
                    id = e.id,
                    confirm = ctx.t("console-undo-confirm"),
                    hidden = ctx.hidden(),
                    action = esc(&e.action),
                    target_text = esc(&e.target),
                ),
            };
            let _ = writeln!(
                b,
                "<tr id=\"audit-{id}\"><td data-label=\"{at_l}\"><time datetime=\"{iso}\">{local}</time></td>\
<td data-label=\"{who_l}\">{who}</td><td data-label=\"{action_l}\"><code>{action}</code></td>\
<td data-label=\"{target_l}\">{target}</td><td data-label=\"{before_l}\">{before}</td>\
<td data-label=\"{after_l}\">{after}</td><td>{undo}</td></tr>",
                id = e.id,
                iso = esc(&at.to_rfc3339()),
                local = esc(&at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()),
                who = esc(&e.who),
                action = esc(&e.action),
                before = json_block(&e.before),
                after = json_block(&e.after),
            );
        }
        b.push_str("</tbody></table></div>\n");
    }
    if let Some(next) = page.next {
        let _ = writeln!(
            b,
            "<p><a rel=\"next\" href=\"{}\">{}</a></p>",
            esc(&ctx.href(&format!("/admin/audit?before={next}"))),
            ctx.t("console-older")
        );
    }
    let title = crate::i18n::tr(lang, "console-audit-title");
    let switch = match before {
        Some(b) => format!("/admin/audit?before={b}"),
        None => "/admin/audit".to_string(),
    };
    ctx.render(
        StatusCode::OK,
        Section::Audit,
        &title,
        &b,
        &switch,
        frame::flash(lang, &query),
    )
}

/// `POST /admin/audit/{id}/undo`.
pub async fn undo(Path(id): Path<i64>, Form { ctx, .. }: Form) -> Response {
    let back = "/admin/audit";
    if let Err(r) = ctx.may(Act::Undo(id), back).await {
        return r;
    }
    let who = ctx.staff.who.clone();
    match crate::admin::curation::undo_entry(&ctx.state, who, id).await {
        Ok(()) => ctx.done(back, "undone"),
        Err(UndoError::Curation(e)) => curation_failed(&ctx, e, back),
        Err(UndoError::Admin(e)) => {
            let (status, text) = super::sources::admin_failed(&ctx, &e);
            ctx.error(status, "console-error-title", &text, back)
        }
        Err(UndoError::Unavailable) => match super::sources::source_admin(&ctx) {
            Err(r) => r,
            Ok(_) => ctx.error(
                StatusCode::SERVICE_UNAVAILABLE,
                "console-error-title",
                &ctx.t("console-sources-unavailable"),
                back,
            ),
        },
        Err(UndoError::Internal(e)) => crate::respond::internal_error("console undo", &e),
    }
}
