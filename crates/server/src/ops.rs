//! Operations endpoints: `/healthz` (the process answers), `/readyz` (the database answers and
//! takes writes) and `/metrics` (Prometheus).

use crate::error::ApiError;
use crate::metrics::Backlog;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use subtle::ConstantTimeEq;

/// The process answers.
#[utoipa::path(get, path = "/healthz", operation_id = "check_health", tag = "Operations", responses((status = 200, description = "`{\"status\": \"ok\"}`")))]
pub(crate) async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The database answers and takes writes.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "check_readiness",
    tag = "Operations",
    responses((status = 200, description = "Ready"), (status = 503, description = "The database does not answer or cannot take writes"))
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable" })))
        }
    }
}

/// Prometheus metrics of this instance (OpenMetrics text), for a scraper that presents the
/// configured metrics token as a bearer token (`serve --metrics-token`). Without a configured
/// token the route does not exist: request counts and pool sizes are not for everyone.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "get_metrics",
    tag = "Operations",
    responses(
        (status = 200, description = "OpenMetrics text"),
        (status = 401, description = "Missing or wrong metrics token"),
        (status = 404, description = "No metrics token is configured"),
    ),
    security(("metrics_token" = []))
)]
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return ApiError::not_found("No route matches this path.").into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if !presented.is_some_and(|presented| bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"ticketbooth-metrics\"")],
            "A metrics token is required.",
        )
            .into_response();
    }
    // A growing backlog means the mail server, or partners' endpoints, refuse or are unreachable.
    let count = |counted: Result<u64, ticketbooth_store::StoreError>, queue: &str| {
        counted.unwrap_or_else(|err| {
            tracing::warn!(%err, queue, "could not count a queue");
            0
        })
    };
    let backlog = Backlog {
        mail: count(state.store.undelivered_mail().await, "mail"),
        webhooks: count(state.store.pending_webhook_deliveries().await, "webhooks"),
    };
    let body = state.metrics.render(state.store.pool_stats(), backlog);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}
