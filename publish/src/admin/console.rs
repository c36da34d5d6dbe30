//! The staff console's HTML pages under `/admin` (and their assets under
//! `/admin/assets/`): filled in by the console work, reading who is
//! signed in through [`super::auth::MaybeStaff`].

use axum::Router;

use crate::AppState;

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
