//! Staff accounts (admin only): the list, adding one (e-mail, role,
//! password: hashed with Argon2id by [`auth::secret`]) and removing one
//! (which ends its sessions). Each change is an audit row.

use std::fmt::Write as _;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::frame::{self, Section};
use super::{tr_args, AdminForm, AdminScreen, Ctx, Fields, Form, Screen};
use crate::admin::auth::{self, secret, Role};
use crate::layout::esc;

/// `GET /admin/accounts`.
pub async fn list(AdminScreen(Screen { ctx, query, .. }): AdminScreen) -> Response {
    page(&ctx, &query, None, StatusCode::OK).await
}

async fn page(ctx: &Ctx, values: &Fields, problem: Option<String>, status: StatusCode) -> Response {
    let accounts = match ctx.read("console accounts", |ix| ix.accounts()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let lang = ctx.lang.as_str();
    let (email_l, role_l, since_l, act_l) = (
        ctx.t("console-account-email"),
        ctx.t("console-account-role"),
        ctx.t("console-account-since"),
        ctx.t("console-col-actions"),
    );
    let mut b = format!(
        "<table><thead><tr><th scope=\"col\">{email_l}</th><th scope=\"col\">{role_l}</th><th scope=\"col\">{since_l}</th>\
<th scope=\"col\">{act_l}</th></tr></thead><tbody>\n"
    );
    for a in &accounts {
        let role = match a.role.as_str() {
            "admin" => ctx.t("console-role-admin"),
            "editor" => ctx.t("console-role-editor"),
            other => esc(other),
        };
        let remove = if a.email.eq_ignore_ascii_case(&ctx.staff.who) {
            format!(
                "<span class=\"muted\">{}</span>",
                ctx.t("console-account-you")
            )
        } else {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/admin/accounts/remove\" data-confirm=\"{confirm}\">{hidden}\
<input type=\"hidden\" name=\"email\" value=\"{email}\"><button type=\"submit\" class=\"danger\">{label}<span class=\"sr\"> — {email}</span></button></form>",
                confirm = tr_args(lang, "console-account-remove-confirm", &[("email", a.email.clone().into())]),
                hidden = ctx.hidden(),
                email = esc(&a.email),
                label = ctx.t("console-account-remove"),
            )
        };
        let _ = writeln!(
            b,
            "<tr><th scope=\"row\">{email}</th><td data-label=\"{role_l}\">{role}</td>\
<td data-label=\"{since_l}\">{since}</td><td data-label=\"{act_l}\">{remove}</td></tr>",
            email = esc(&a.email),
            since = esc(&a
                .created_at
                .with_timezone(&ctx.state.config().timezone)
                .format("%Y-%m-%d")
                .to_string()),
        );
    }
    b.push_str("</tbody></table>\n");
    let role = values.get("role").unwrap_or("editor");
    let _ = writeln!(
        b,
        "<section aria-labelledby=\"add\"><h2 id=\"add\">{title}</h2>\n{alert}<form method=\"post\" action=\"/admin/accounts\">{hidden}\
<div class=\"row\"><div class=\"field\"><label for=\"a-email\">{email_l}</label><input type=\"email\" id=\"a-email\" name=\"email\" value=\"{email}\" required autocomplete=\"off\"></div>\
<div class=\"field\"><label for=\"a-role\">{role_l}</label><select id=\"a-role\" name=\"role\">\
<option value=\"editor\"{editor_sel}>{editor}</option><option value=\"admin\"{admin_sel}>{admin}</option></select></div></div>\
<div class=\"field\"><label for=\"a-password\">{password_l}</label><input type=\"password\" id=\"a-password\" name=\"password\" required \
minlength=\"{min}\" autocomplete=\"new-password\" aria-describedby=\"a-password-help\">\
<p class=\"hint\" id=\"a-password-help\">{password_help}</p></div>\
<p><button type=\"submit\">{save}</button></p></form></section>",
        title = ctx.t("console-account-add"),
        alert = problem
            .map(|p| format!("<p role=\"alert\" class=\"flash bad\">{p}</p>"))
            .unwrap_or_default(),
        hidden = ctx.hidden(),
        email = esc(values.get("email").unwrap_or("")),
        editor_sel = if role == "editor" { " selected" } else { "" },
        admin_sel = if role == "admin" { " selected" } else { "" },
        editor = ctx.t("console-role-editor"),
        admin = ctx.t("console-role-admin"),
        password_l = ctx.t("console-login-password"),
        min = auth::MIN_PASSWORD_CHARS,
        password_help = tr_args(
            lang,
            "console-account-password-help",
            &[("count", auth::MIN_PASSWORD_CHARS.into())]
        ),
        save = ctx.t("console-account-save"),
    );
    let title = crate::i18n::tr(lang, "console-accounts-title");
    ctx.render(
        status,
        Section::Accounts,
        &title,
        &b,
        "/admin/accounts",
        frame::flash(lang, values),
    )
}

/// `POST /admin/accounts` (`email`, `role`, `password`).
pub async fn add(AdminForm(Form { ctx, fields }): AdminForm) -> Response {
    let bad = |id: &str| Some(ctx.t(id));
    let Some(email) = fields.get("email").and_then(auth::normalize_email) else {
        return page(
            &ctx,
            &fields,
            bad("console-account-bad-email"),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let role = match fields.get("role") {
        Some("admin") => Role::Admin,
        Some("editor") | None => Role::Editor,
        Some(_) => {
            return page(
                &ctx,
                &fields,
                bad("console-invalid-choice"),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    };
    let password = fields.raw("password").to_string();
    let hashed = tokio::task::spawn_blocking(move || secret::hash_password(&password)).await;
    let hash = match hashed {
        Ok(Ok(h)) => h,
        Ok(Err(secret::SecretError::TooShort)) => {
            let text = tr_args(
                &ctx.lang,
                "console-account-password-help",
                &[("count", auth::MIN_PASSWORD_CHARS.into())],
            );
            return page(&ctx, &fields, Some(text), StatusCode::BAD_REQUEST).await;
        }
        Ok(Err(e)) => return ctx.internal("console account hash", &e),
        Err(e) => return ctx.internal("console account hash", &e),
    };
    let who = ctx.staff.who.clone();
    let e = email.clone();
    let created = ctx
        .read("console account add", move |ix| {
            let created = ix.create_account(&e, role.as_str(), &[], &hash)?;
            if created {
                ix.log_action(
                    &who,
                    "account.add",
                    &e,
                    None,
                    Some(json!({ "email": e, "role": role.as_str() })),
                )?;
            }
            Ok(created)
        })
        .await;
    match created {
        Ok(true) => ctx.done("/admin/accounts", "account-added"),
        Ok(false) => {
            page(
                &ctx,
                &fields,
                bad("console-account-exists"),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(r) => r,
    }
}

/// `POST /admin/accounts/remove` (`email`); nobody removes themselves.
pub async fn remove(AdminForm(Form { ctx, fields }): AdminForm) -> Response {
    let back = "/admin/accounts";
    let email = fields.get("email").unwrap_or("").to_lowercase();
    if email.eq_ignore_ascii_case(&ctx.staff.who) {
        return ctx.error(
            StatusCode::BAD_REQUEST,
            "console-error-title",
            &ctx.t("console-account-remove-self"),
            back,
        );
    }
    let who = ctx.staff.who.clone();
    let e = email.clone();
    let removed = ctx
        .read("console account remove", move |ix| {
            let before = ix.account(&e)?;
            let removed = ix.remove_account(&e)?;
            if removed {
                ix.log_action(
                    &who,
                    "account.remove",
                    &e,
                    before.map(|a| json!({ "email": a.email, "role": a.role })),
                    None,
                )?;
            }
            Ok(removed)
        })
        .await;
    match removed {
        Ok(true) => ctx.done(back, "account-removed"),
        Ok(false) => ctx.not_found(&email, back),
        Err(r) => r,
    }
}
