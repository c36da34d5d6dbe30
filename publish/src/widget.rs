//! Routes of `widget` (being written).

use axum::Router;

use crate::AppState;

/// The routes this module serves, merged into the router.
pub fn routes() -> Router<AppState> {
    Router::new()
}
