//! The accounts screen's JSON, for admins only:
//! `GET /api/v1/admin/accounts`, `POST /api/v1/admin/accounts`
//! `{"email", "password", "role", "calendars"}` and
//! `DELETE /api/v1/admin/accounts/{email}`. Each change is a row of the
//! audit trail (never with the password or its hash).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::login::{json_object, str_field};
use super::{blocking, lang_of, normalize_email, secret, Admin, AuthError, AuthRejection, Role};
use crate::AppState;

/// Every account (no password hash).
async fn list(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Value>, AuthRejection> {
    let lang = lang_of(&state);
    let accounts = blocking(&state.index, |index| index.accounts())
        .await
        .map_err(|e| AuthRejection::from(e).in_lang(lang))?;
    Ok(Json(json!({ "accounts": accounts })))
}

async fn create(
    State(state): State<AppState>,
    Admin(staff): Admin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AuthRejection> {
    let lang = lang_of(&state);
    create_inner(&state, &staff.who, &headers, &body)
        .await
        .map_err(|e| AuthRejection::from(e).in_lang(lang))
}

async fn create_inner(
    state: &AppState,
    who: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(StatusCode, Json<Value>), AuthError> {
    let fields = json_object(headers, body)?;
    let email = normalize_email(str_field(&fields, "email", "auth-invalid-email")?).ok_or(
        AuthError::Invalid {
            field: "email",
            message: "auth-invalid-email",
        },
    )?;
    let role: Role = str_field(&fields, "role", "auth-invalid-role")?
        .parse()
        .map_err(|_| AuthError::Invalid {
            field: "role",
            message: "auth-invalid-role",
        })?;
    let bad_calendars = AuthError::Invalid {
        field: "calendars",
        message: "auth-invalid-calendars",
    };
    let calendars: Vec<String> = match fields.get("calendars") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value(value.clone()).map_err(|_| bad_calendars)?,
    };
    let password = str_field(&fields, "password", "auth-password-short")?.to_string();
    let hash = tokio::task::spawn_blocking(move || secret::hash_password(&password))
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
        .map_err(|e| match e {
            secret::SecretError::TooShort => AuthError::Invalid {
                field: "password",
                message: "auth-password-short",
            },
            other => AuthError::Internal(other.to_string()),
        })?;
    let (e, c) = (email.clone(), calendars.clone());
    let created = blocking(&state.index, move |index| {
        index.create_account(&e, role.as_str(), &c, &hash)
    })
    .await?;
    if !created {
        return Err(AuthError::AccountExists);
    }
    let after = json!({ "email": email, "role": role, "calendars": calendars });
    audit(
        state,
        who,
        "account.create",
        &email,
        None,
        Some(after.clone()),
    )
    .await;
    Ok((StatusCode::CREATED, Json(after)))
}

async fn remove(
    State(state): State<AppState>,
    Admin(staff): Admin,
    Path(email): Path<String>,
) -> Result<StatusCode, AuthRejection> {
    let lang = lang_of(&state);
    remove_inner(&state, &staff.who, &email)
        .await
        .map_err(|e| AuthRejection::from(e).in_lang(lang))
}

async fn remove_inner(state: &AppState, who: &str, email: &str) -> Result<StatusCode, AuthError> {
    let email = email.trim().to_lowercase();
    // Nobody removes themselves: the last admin could lock everyone out.
    if email.eq_ignore_ascii_case(who) {
        return Err(AuthError::Invalid {
            field: "email",
            message: "auth-remove-self",
        });
    }
    let e = email.clone();
    let before = blocking(&state.index, move |index| index.account(&e))
        .await?
        .ok_or(AuthError::NoAccount)?;
    let e = email.clone();
    let removed = blocking(&state.index, move |index| index.remove_account(&e)).await?;
    if !removed {
        return Err(AuthError::NoAccount);
    }
    let before =
        json!({ "email": before.email, "role": before.role, "calendars": before.calendars });
    audit(state, who, "account.remove", &email, Some(before), None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Write the audit row of an account change. The change is made: a
/// failure to record it is logged, not turned into an error answer.
async fn audit(
    state: &AppState,
    who: &str,
    action: &'static str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    let (who, target) = (who.to_string(), target.to_string());
    let logged = blocking(&state.index, move |index| {
        index.log_action(&who, action, &target, before, after)
    })
    .await;
    if let Err(e) = logged {
        tracing::error!(error = %e, action, "could not audit an account change");
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/accounts", get(list).post(create))
        .route("/api/v1/admin/accounts/{email}", delete(remove))
}
