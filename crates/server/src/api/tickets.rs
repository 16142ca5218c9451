//! Ticket management: idempotent creation (#7), invalidation (#8) and search by reference code (#9).

use super::models::{CreateTicketRequest, InvalidateTicketRequest, TicketBody, TicketResponse};
use super::params::TicketSearchQuery;
use super::{membership, organizer_event, PathIds};
use crate::error::ApiError;
use crate::error::ApiErrorBody;
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use ticketbooth_domain::access;
use ticketbooth_domain::ticketing::{generate_reference_code, NewExternalTicket, Ticket};
use ticketbooth_store::{Invalidation, TicketCreation, TicketRef};

/// `{"success", "idempotent", "ticket"}` (§4.4).
fn ticket_response(status: StatusCode, idempotent: bool, ticket: Ticket) -> (StatusCode, Json<TicketResponse>) {
    (status, Json(TicketResponse::new(idempotent, ticket.into())))
}

/// Generated codes are retried this often if one happens to be taken (1 in 2^40 per ticket).
const GENERATED_CODE_ATTEMPTS: usize = 3;

/// Creates a ticket for an external ticketing system (#7).
///
/// Idempotent on `external_id`: repeating it answers 200 with the ticket already made and
/// `idempotent: true`. Organizer access as for the events list.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/tickets",
    operation_id = "create_ticket",
    tag = "Ticket management",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path)),
    request_body(content = CreateTicketRequest, content_type = "application/json", description = "Also accepted as a form or multipart body with the same fields."),
    responses(
        (status = 201, description = "Created", body = TicketResponse),
        (status = 200, description = "Replayed: the ticket with this external_id", body = TicketResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<(StatusCode, Json<TicketResponse>), ApiError> {
    let event = organizer_event(&state, &path, &request).await?;

    let fields: CreateTicketRequest = request.body()?;
    let ticket_type_id = fields.ticket_type_id.0;
    let external_id = fields.external_id.as_ref().map(|id| id.0.as_str());
    let chosen_code = fields.reference_code.as_ref().map(|code| code.0.as_str());
    match state.store.find_ticket_type(ticket_type_id).await? {
        Some(tt) if tt.event_id == event.id => {}
        _ => return Err(ApiError::not_found("No such ticket type for this event.")),
    }

    let attempts = if chosen_code.is_some() { 1 } else { GENERATED_CODE_ATTEMPTS };
    for _ in 0..attempts {
        let ticket = NewExternalTicket {
            event_id: event.id,
            ticket_type_id,
            firstname: fields.firstname.0.clone(),
            lastname: fields.lastname.0.clone(),
            email: fields.email.0.clone(),
            phone: fields.phone.0.clone(),
            external_id: external_id.map(str::to_owned),
            reference_code: chosen_code.map_or_else(generate_reference_code, str::to_owned),
            now: Utc::now(),
        };
        match state.store.create_external_ticket(ticket).await? {
            TicketCreation::Created(ticket) => return Ok(ticket_response(StatusCode::CREATED, false, ticket)),
            TicketCreation::Existing(ticket) => return Ok(ticket_response(StatusCode::OK, true, ticket)),
            TicketCreation::QuotaExceeded => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "quota_exceeded",
                    "The event's API ticket quota is used up.",
                ))
            }
            TicketCreation::ReferenceTaken if chosen_code.is_some() => break,
            TicketCreation::ReferenceTaken => continue,
        }
    }
    Err(ApiError::new(
        StatusCode::CONFLICT,
        "duplicate_reference_code",
        "Another ticket of this event has this reference_code.",
    ))
}

/// Revokes a ticket found by `ticket_id` or `reference_code` within the event (#8).
///
/// 422 when the ticket is already revoked or used. Organizer access as for the events list.
#[utoipa::path(
    post,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/invalidate",
    operation_id = "invalidate_ticket",
    tag = "Ticket management",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path)),
    request_body(content = InvalidateTicketRequest, content_type = "application/json", description = "Also accepted as a form or multipart body with the same fields."),
    responses(
        (status = 200, body = TicketResponse),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn invalidate(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<(StatusCode, Json<TicketResponse>), ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
    let fields: InvalidateTicketRequest = request.body()?;
    let target = match (fields.ticket_id, fields.reference_code) {
        (Some(id), _) => TicketRef::Id(id.0),
        (None, Some(code)) => TicketRef::ReferenceCode(code.0),
        (None, None) => return Err(ApiError::invalid_request("ticket_id or reference_code is required.")),
    };
    let reason = fields.reason.map(|reason| reason.0).filter(|reason| !reason.is_empty());
    match state.store.invalidate_ticket(event.id, target, reason, Utc::now()).await? {
        Invalidation::Revoked(ticket) => Ok(ticket_response(StatusCode::OK, false, *ticket)),
        Invalidation::NotFound => Err(ApiError::not_found("No such ticket in this event.")),
        Invalidation::AlreadyRevoked => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "already_revoked", "The ticket is already revoked."))
        }
        Invalidation::AlreadyUsed => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "already_used", "The ticket was already used."))
        }
    }
}

/// One ticket by event and reference code, as a bare ticket object (#9).
///
/// For the event's organizer only; every mismatch (event, code or organizer) is 404.
#[utoipa::path(
    get,
    path = "/api/public/tickets/search",
    operation_id = "search_ticket_by_reference_code",
    tag = "Ticket management",
    params(TicketSearchQuery),
    responses(
        (status = 200, body = TicketBody),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn search(State(state): State<AppState>, request: ApiRequest) -> Result<Json<TicketBody>, ApiError> {
    let not_found = || ApiError::not_found("No ticket matches.");
    let event_id = request
        .query("event_id")?
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid_request("event_id is required."))?;
    let reference_code = request
        .query("reference_code")?
        .filter(|code| !code.is_empty())
        .ok_or_else(|| ApiError::invalid_request("reference_code is required."))?;
    let event_id: i64 = event_id.parse().map_err(|_| not_found())?;
    let event = state.store.find_event(event_id).await?.ok_or_else(not_found)?;
    let caller = request.bearer.caller(&state).await?;
    let is_member = membership(&state, &caller, event.organizer_id).await?;
    access::ticket_search(&caller, event.organizer_id, is_member)?;
    let ticket = state.store.find_ticket_by_reference(event.id, reference_code).await?.ok_or_else(not_found)?;
    Ok(Json(ticket.into()))
}
