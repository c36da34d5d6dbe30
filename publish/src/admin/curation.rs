//! The curation routes of the JSON API (`/api/v1/admin/events/...`,
//! `merge`, `split`, `audit`): filled in by the curation work over
//! `index::Index`'s curation methods, each behind
//! [`super::auth::Editor`] or [`super::auth::Admin`].

use axum::Router;

use crate::AppState;

/// The curation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
