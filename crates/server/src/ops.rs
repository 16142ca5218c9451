//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers) and
//! `/metrics` (Prometheus).

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz)).routes(routes!(metrics))
}

/// The process answers.
#[utoipa::path(get, path = "/healthz", tag = "Operations", responses((status = 200, description = "`{\"status\": \"ok\"}`")))]
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "Operations",
    responses((status = 200, description = "Ready"), (status = 503, description = "The database does not answer"))
)]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" })))
        }
    }
}

/// Prometheus metrics of this instance (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "Operations", responses((status = 200, description = "OpenMetrics text")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(state.store.pool_stats());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
}
