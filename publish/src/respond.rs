//! The answers every handler may give besides its own: JSON errors, HTML
//! pages, and index calls run on the blocking pool (whose failure is a
//! logged 500). Nothing here knows about caching or routes, so every module
//! can use it.

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use index::{Index, IndexError};

use crate::params::ParamError;

/// `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// 400 `{"error": message, "parameter": name}`.
pub fn param_error(e: ParamError) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": e.message, "parameter": e.parameter })),
    )
        .into_response()
}

/// 500 `{"error": "internal error"}`, the detail going to the log only.
pub fn internal_error(context: &str, detail: &dyn std::fmt::Display) -> Response {
    tracing::error!(context, error = %detail, "internal error");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// An HTML page with `status`.
pub fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// Run a (synchronous) index call on the blocking pool; an error or a
/// panic becomes a logged 500.
pub async fn run_index<T, F>(index: &Arc<Index>, context: &'static str, f: F) -> Result<T, Response>
where
    T: Send + 'static,
    F: FnOnce(&Index) -> Result<T, IndexError> + Send + 'static,
{
    let index = Arc::clone(index);
    match tokio::task::spawn_blocking(move || f(&index)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(internal_error(context, &e)),
        Err(join) => Err(internal_error(context, &join)),
    }
}
