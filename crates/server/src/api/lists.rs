//! The four list operations: the caller's own tickets and orders at an organizer (#3, #4), the
//! organizer's events (#5) and every ticket of one event (#6).

use super::models::{list_envelope, EventBody, OrderBody, TicketBody};
use super::{authorize_organizer, event_of, existing_organizer, listing, PathIds};
use crate::error::ApiError;
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::Value;
use ticketbooth_domain::access;
use ticketbooth_domain::listing::{parse_event_ticket_filter, EventTicketFilter, EventTicketParams, ListKind};
use ticketbooth_store::TicketQuery;

/// #3: the caller's own tickets for this organizer's events. User token, `public`.
pub(super) async fn user_tickets(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<Value>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    let user_id = access::user_resources(&request.bearer.caller(&state).await?, organizer_id)?;
    let listing = listing(&request, ListKind::UserTickets)?;
    let no_filter = EventTicketFilter::default();
    let query =
        TicketQuery { organizer_id, event_id: None, user_id: Some(user_id), listing: &listing, filter: &no_filter };
    let page = state.store.list_tickets(query).await?;
    let items: Vec<TicketBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(list_envelope("tickets", items, page.total, listing.page, listing.per_page)))
}

/// #4: the caller's own orders for this organizer's events. User token, `public`.
pub(super) async fn user_orders(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<Value>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    let user_id = access::user_resources(&request.bearer.caller(&state).await?, organizer_id)?;
    let listing = listing(&request, ListKind::UserOrders)?;
    let page = state.store.list_orders(organizer_id, Some(user_id), &listing).await?;
    let items: Vec<OrderBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(list_envelope("orders", items, page.total, listing.page, listing.per_page)))
}

/// #5: the organizer's events. Application token of the organizer, or user token with
/// `organizer` scope of a member.
pub(super) async fn events(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<Value>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    authorize_organizer(&state, &request, organizer_id).await?;
    let listing = listing(&request, ListKind::Events)?;
    let page = state.store.list_events(organizer_id, &listing).await?;
    let items: Vec<EventBody> = page.items.into_iter().map(|e| EventBody::new(e, &state.config.issuer)).collect();
    Ok(Json(list_envelope("events", items, page.total, listing.page, listing.per_page)))
}

/// #6: every ticket of one event, filtered. Organizer access as #5.
pub(super) async fn event_tickets(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<Value>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    authorize_organizer(&state, &request, organizer_id).await?;
    let event = event_of(&state, organizer_id, path.get("event_id")).await?;
    let listing = listing(&request, ListKind::EventTickets)?;
    let filter = parse_event_ticket_filter(EventTicketParams {
        status: request.query("status")?,
        ticket_type_id: request.query("ticket_type_id")?,
        email: request.query("email")?,
        phone: request.query("phone")?,
        updated_before: request.query("updated_before")?,
        updated_after: request.query("updated_after")?,
        min_id: request.query("min_id")?,
        max_id: request.query("max_id")?,
    })
    .map_err(ApiError::invalid_request)?;
    let query =
        TicketQuery { organizer_id, event_id: Some(event.id), user_id: None, listing: &listing, filter: &filter };
    let page = state.store.list_tickets(query).await?;
    let items: Vec<TicketBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(list_envelope("tickets", items, page.total, listing.page, listing.per_page)))
}
