//! The OAuth 2 endpoints (contract §2).

mod authorize;
mod token;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

/// Routes under `/oauth`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize::show).post(authorize::decide))
        .route("/oauth/token", post(token::issue))
}
