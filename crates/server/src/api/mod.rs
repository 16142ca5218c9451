//! The resource API under `/api/public` (eventpop-api.md §3).

mod me;

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

/// Routes under `/api/public`.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/public/info", get(info))
        // POST too, so a token can arrive as a form field (RFC 6750 §2.2).
        .route("/api/public/me", get(me::show).post(me::show))
}

/// `GET /api/public/info`: the service's name and version. Public, no token.
async fn info() -> Json<Value> {
    Json(json!({ "name": "Ticketbooth", "version": env!("CARGO_PKG_VERSION") }))
}
