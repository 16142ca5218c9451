//! Webhook subscriptions of an organizer (an extension beyond Eventpop): create, list, show,
//! update, delete, rotate the secret, send a test event, read the delivery log, redeliver.
//! Organizer access as for the organizer's events.

use super::params::{self, PageQuery};
use super::webhook_models::{
    CreateWebhookRequest, DeliveryBody, DeliveryList, DeliveryResponse, Done, UpdateWebhookRequest, WebhookList,
    WebhookResponse, WebhookSecretResponse,
};
use super::{authorize_organizer, existing_organizer, path_id, PathIds};
use crate::error::{ApiError, ApiErrorBody};
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{TimeDelta, Utc};
use ticketbooth_domain::webhooks::{check_endpoint_url, generate_secret};
use ticketbooth_store::{Endpoint, EndpointChange, NewEndpoint};

/// How long a rotated-out secret still signs deliveries, so receivers can switch without a gap.
const PREVIOUS_SECRET_GRACE: TimeDelta = TimeDelta::hours(24);

/// The path's organizer, once the caller may act for it.
async fn organizer(state: &AppState, path: &PathIds, request: &ApiRequest) -> Result<i64, ApiError> {
    let organizer_id = existing_organizer(state, path.get("organizer_id")).await?;
    authorize_organizer(state, request, organizer_id).await?;
    Ok(organizer_id)
}

/// The path's endpoint of the organizer, 404 otherwise.
async fn endpoint(state: &AppState, path: &PathIds, request: &ApiRequest) -> Result<Endpoint, ApiError> {
    let organizer_id = organizer(state, path, request).await?;
    let id = path_id(path.get("webhook_id"))?;
    state.store.find_webhook_endpoint(organizer_id, id).await?.ok_or_else(|| ApiError::not_found("No such webhook."))
}

/// An endpoint URL the server will deliver to; 422 otherwise.
async fn deliverable_url(state: &AppState, text: &str) -> Result<String, ApiError> {
    let allow_insecure = state.config.webhooks.allow_insecure;
    let refuse = |message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_url", message);
    let url = check_endpoint_url(text, allow_insecure).map_err(|problem| refuse(problem.to_string()))?;
    if !allow_insecure {
        if let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) {
            if crate::outbound::resolves_to_forbidden(host, port).await {
                return Err(refuse("url resolves to a loopback, private or link-local address".into()));
            }
        }
    }
    Ok(url.to_string())
}

/// Subscribes an endpoint to events of the organizer; the answer holds its signing secret, shown
/// this once.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/webhooks",
    operation_id = "create_webhook",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path)),
    request_body(content = CreateWebhookRequest, content_type = "application/json", description = "Also accepted as a form (events comma-separated)."),
    responses(
        (status = 201, body = WebhookSecretResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<(StatusCode, Json<WebhookSecretResponse>), ApiError> {
    let organizer_id = organizer(&state, &path, &request).await?;
    let fields: CreateWebhookRequest = request.body()?;
    let url = deliverable_url(&state, &fields.url.0).await?;
    let new = NewEndpoint {
        organizer_id,
        url,
        description: fields.description.map(|text| text.0).unwrap_or_default(),
        events: fields.events.0,
        secret: generate_secret(),
    };
    let created = state.store.create_webhook_endpoint(new, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(WebhookSecretResponse::new(&created))))
}

/// The organizer's subscriptions, oldest first.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/webhooks",
    operation_id = "list_webhooks",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path)),
    responses(
        (status = 200, body = WebhookList),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<WebhookList>, ApiError> {
    let organizer_id = organizer(&state, &path, &request).await?;
    Ok(Json(WebhookList::new(&state.store.webhook_endpoints(organizer_id).await?)))
}

/// One subscription.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}",
    operation_id = "show_webhook",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path)),
    responses(
        (status = 200, body = WebhookResponse),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<WebhookResponse>, ApiError> {
    Ok(Json(WebhookResponse::new(&endpoint(&state, &path, &request).await?)))
}

/// Changes a subscription's URL, events or description, or disables or re-enables it.
#[utoipa::path(
    patch,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}",
    operation_id = "update_webhook",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path)),
    request_body(content = UpdateWebhookRequest, content_type = "application/json", description = "Also accepted as a form."),
    responses(
        (status = 200, body = WebhookResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<WebhookResponse>, ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    let fields: UpdateWebhookRequest = request.body()?;
    let url = match fields.url {
        Some(url) => Some(deliverable_url(&state, &url.0).await?),
        None => None,
    };
    let change = EndpointChange {
        url,
        description: fields.description.map(|text| text.0),
        events: fields.events.map(|events| events.0),
        enabled: fields.enabled,
    };
    let updated = state.store.update_webhook_endpoint(current.organizer_id, current.id, change, Utc::now()).await?;
    if fields.enabled == Some(true) {
        state.webhooks_queued.notify_one();
    }
    Ok(Json(WebhookResponse::new(&updated.ok_or_else(|| ApiError::not_found("No such webhook."))?)))
}

/// Deletes a subscription with its queue and delivery log.
#[utoipa::path(
    delete,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}",
    operation_id = "delete_webhook",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path)),
    responses(
        (status = 200, body = Done),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<Done>, ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    match state.store.delete_webhook_endpoint(current.organizer_id, current.id).await? {
        true => Ok(Json(Done::new())),
        false => Err(ApiError::not_found("No such webhook.")),
    }
}

/// Replaces the signing secret; for 24 hours deliveries carry a signature with each, so the
/// receiver can switch without missing one. The answer holds the new secret, shown this once.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/rotate_secret",
    operation_id = "rotate_webhook_secret",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path)),
    responses(
        (status = 200, body = WebhookSecretResponse),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<WebhookSecretResponse>, ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    let now = Utc::now();
    let rotated = state
        .store
        .rotate_webhook_secret(current.organizer_id, current.id, &generate_secret(), now + PREVIOUS_SECRET_GRACE, now)
        .await?
        .ok_or_else(|| ApiError::not_found("No such webhook."))?;
    Ok(Json(WebhookSecretResponse::new(&rotated)))
}

/// Queues a `webhook.test` event for this endpoint alone.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/test",
    operation_id = "send_webhook_test",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryResponse),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn send_test(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<(StatusCode, Json<DeliveryResponse>), ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    let delivery = state.store.queue_test_event(&current, Utc::now()).await?;
    state.webhooks_queued.notify_one();
    Ok((StatusCode::ACCEPTED, Json(DeliveryResponse::new(&delivery, &state.config.issuer))))
}

/// The endpoint's delivery log (30 days), newest first: each delivery's payload and attempts.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path), PageQuery),
    responses(
        (status = 200, body = DeliveryList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<DeliveryList>, ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    let (page, per_page) =
        params::page(request.query("page")?, request.query("per_page")?).map_err(ApiError::invalid_request)?;
    let found = state.store.webhook_deliveries(current.organizer_id, current.id, page, per_page).await?;
    let items = found.items.iter().map(|delivery| DeliveryBody::new(delivery, &state.config.issuer)).collect();
    Ok(Json(DeliveryList::new(items, found.total, page, per_page)))
}

/// Sends a delivery's event to the endpoint again (a new delivery, the same `webhook-id`).
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id = "redeliver_webhook",
    tag = "Webhooks",
    params(("organizer_id" = i64, Path), ("webhook_id" = i64, Path), ("delivery_id" = i64, Path)),
    responses(
        (status = 202, body = DeliveryResponse),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<(StatusCode, Json<DeliveryResponse>), ApiError> {
    let current = endpoint(&state, &path, &request).await?;
    let delivery_id = path_id(path.get("delivery_id"))?;
    let queued = state
        .store
        .redeliver_webhook(current.organizer_id, current.id, delivery_id, Utc::now())
        .await?
        .ok_or_else(|| ApiError::not_found("No such delivery."))?;
    state.webhooks_queued.notify_one();
    Ok((StatusCode::ACCEPTED, Json(DeliveryResponse::new(&queued, &state.config.issuer))))
}
