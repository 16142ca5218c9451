//! Door check-in for an organizer's event (an extension beyond Eventpop): scans online or
//! uploaded later, the check-in list with live counts, and what an offline scanner syncs (the
//! event's pass keys and its revoked tickets). Organizer access as for the event's tickets,
//! except the public keys, which anyone may fetch.

use super::check_in_models::{
    CheckInKeys, CheckInList, CheckInRequest, CheckInResponse, RevokedTicketList, TicketSecretResponse,
};
use super::params::{self, PageQuery, UpdatedSinceQuery};
use super::{event_of, existing_organizer, organizer_event, path_id, PathIds};
use crate::error::{ApiError, ApiErrorBody};
use crate::extract::bearer::ApiRequest;
use crate::{passes, AppState};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use ticketbooth_domain::check_in::Direction;
use ticketbooth_store::{Scan, ScanTarget};

/// Revoked tickets per sync page.
const REVOKED_PAGE: u32 = 1000;

/// Records a scan of a ticket at the event's door and answers `ok` or why not. Idempotent on
/// `nonce`. Of two doors scanning one ticket at once, exactly one gets `ok`.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins",
    operation_id = "check_in",
    tag = "Check-in",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path)),
    request_body(content = CheckInRequest, content_type = "application/json", description = "Also accepted as a form."),
    responses(
        (status = 200, description = "The scan's result (`ok` or a reason), recorded", body = CheckInResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<CheckInResponse>, ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
    let fields: CheckInRequest = request.body()?;
    let now = Utc::now();
    // Scanners' clocks drift: a time ahead of ours is taken as now.
    let scanned_at = fields.datetime.map_or(now, |time| time.0.min(now));
    let target = match (fields.secret, fields.reference_code) {
        (Some(secret), None) => match passes::verify(&state.store, event.id, &secret.0).await? {
            Ok(claims) => ScanTarget::TicketId(claims.t),
            Err(refusal) => ScanTarget::Refused(refusal),
        },
        (None, Some(code)) => ScanTarget::ReferenceCode(code.0),
        _ => return Err(ApiError::invalid_request("Send either secret or reference_code.")),
    };
    let scan = Scan {
        event_id: event.id,
        target,
        direction: fields.direction.unwrap_or(Direction::Entry),
        nonce: fields.nonce.0,
        device: fields.device.map(|device| device.0).filter(|device| !device.is_empty()),
        scanned_at,
        force: fields.force.unwrap_or(false),
        now,
    };
    let outcome = state.store.record_scan(scan).await?;
    if !outcome.replayed {
        state.webhooks_queued.notify_one();
    }
    Ok(Json(CheckInResponse::new(&outcome.check_in, outcome.ticket.map(Into::into), outcome.replayed)))
}

/// The event's scans, newest first, with its live counts (inside now, checked in, total).
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins",
    operation_id = "list_check_ins",
    tag = "Check-in",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path), PageQuery),
    responses(
        (status = 200, body = CheckInList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<CheckInList>, ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
    let (page, per_page) =
        params::page(request.query("page")?, request.query("per_page")?).map_err(ApiError::invalid_request)?;
    let counts = state.store.check_in_counts(event.id).await?;
    let found = state.store.check_ins(event.id, page, per_page).await?;
    Ok(Json(CheckInList::new(counts, &found.items, found.total, page, per_page)))
}

/// The event's public keys for verifying passes offline (a JWK Set, Ed25519). No token needed.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/check_in_keys",
    operation_id = "list_check_in_keys",
    tag = "Check-in",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path)),
    responses((status = 200, body = CheckInKeys), (status = 404, body = ApiErrorBody)),
    security(())
)]
pub(crate) async fn keys(State(state): State<AppState>, path: PathIds) -> Result<Json<CheckInKeys>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    let event = event_of(&state, organizer_id, path.get("event_id")).await?;
    Ok(Json(CheckInKeys::new(passes::jwks(&state.store, event.id).await?)))
}

/// The event's tickets revoked since a time, for a scanner's offline list.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/revoked_tickets",
    operation_id = "list_revoked_tickets",
    tag = "Check-in",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path), UpdatedSinceQuery),
    responses(
        (status = 200, body = RevokedTicketList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn revoked(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<RevokedTicketList>, ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
    let since = match request.query("updated_since")? {
        None => DateTime::<Utc>::UNIX_EPOCH,
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|_| ApiError::invalid_request("updated_since must be an RFC 3339 time."))?
            .with_timezone(&Utc),
    };
    let mut revoked = state.store.revoked_tickets(event.id, since, REVOKED_PAGE + 1).await?;
    let has_more = revoked.len() > REVOKED_PAGE as usize;
    revoked.truncate(REVOKED_PAGE as usize);
    Ok(Json(RevokedTicketList::new(&revoked, has_more)))
}

/// A ticket's pass (its `secret`), to print or send as a QR code.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/{ticket_id}/secret",
    operation_id = "show_ticket_secret",
    tag = "Check-in",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path), ("ticket_id" = i64, Path)),
    responses(
        (status = 200, body = TicketSecretResponse),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn secret(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<TicketSecretResponse>, ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
    let ticket_id = path_id(path.get("ticket_id"))?;
    let ticket = state
        .store
        .find_ticket(ticket_id)
        .await?
        .filter(|ticket| ticket.event_id == event.id)
        .ok_or_else(|| ApiError::not_found("No such ticket in this event."))?;
    Ok(Json(TicketSecretResponse::new(ticket.id, passes::issue(&state.store, &ticket, &event).await?)))
}
