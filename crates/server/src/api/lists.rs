//! The four list operations: the caller's own tickets and orders at an organizer (#3, #4), the
//! organizer's events (#5) and every ticket of one event (#6).

use super::models::{EventBody, EventList, OrderBody, OrderList, TicketBody, TicketList};
use super::params::{EventTicketsQuery, EventsQuery, UserOrdersQuery, UserTicketsQuery};
use super::{authorize_organizer, existing_organizer, listing, organizer_event, PathIds};
use crate::error::ApiError;
use crate::error::ApiErrorBody;
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use ticketbooth_domain::access;
use ticketbooth_domain::listing::{parse_event_ticket_filter, EventTicketFilter, EventTicketParams, ListKind};
use ticketbooth_store::TicketQuery;

/// The caller's own tickets for this organizer's events (#3).
///
/// User token with the `public` scope. 401 `organizer_mismatch` when the token's application
/// belongs to another organizer.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/tickets",
    tag = "User resources",
    operation_id = "list_my_tickets",
    params(("organizer_id" = i64, Path), UserTicketsQuery),
    responses(
        (status = 200, body = TicketList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("user_token" = ["public"]))
)]
pub(crate) async fn user_tickets(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<TicketList>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    let user_id = access::user_resources(&request.bearer.caller(&state).await?, organizer_id)?;
    let listing = listing(&request, ListKind::UserTickets)?;
    let no_filter = EventTicketFilter::default();
    let query =
        TicketQuery { organizer_id, event_id: None, user_id: Some(user_id), listing: &listing, filter: &no_filter };
    let page = state.store.list_tickets(query).await?;
    let items: Vec<TicketBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(TicketList::new(items, page.total, listing.page, listing.per_page)))
}

/// The caller's own orders for this organizer's events (#4).
///
/// User token with the `public` scope; `order_by` also takes `paid_at`.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/orders",
    tag = "User resources",
    operation_id = "list_my_orders",
    params(("organizer_id" = i64, Path), UserOrdersQuery),
    responses(
        (status = 200, body = OrderList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("user_token" = ["public"]))
)]
pub(crate) async fn user_orders(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<OrderList>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    let user_id = access::user_resources(&request.bearer.caller(&state).await?, organizer_id)?;
    let listing = listing(&request, ListKind::UserOrders)?;
    let page = state.store.list_orders(organizer_id, Some(user_id), &listing).await?;
    let items: Vec<OrderBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(OrderList::new(items, page.total, listing.page, listing.per_page)))
}

/// The organizer's events (#5).
///
/// Application token of the owning organizer, or a member's user token with the `organizer` scope.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events",
    tag = "Organizer resources",
    operation_id = "list_organizer_events",
    params(("organizer_id" = i64, Path), EventsQuery),
    responses(
        (status = 200, body = EventList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn events(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<EventList>, ApiError> {
    let organizer_id = existing_organizer(&state, path.get("organizer_id")).await?;
    authorize_organizer(&state, &request, organizer_id).await?;
    let listing = listing(&request, ListKind::Events)?;
    let page = state.store.list_events(organizer_id, &listing).await?;
    let items: Vec<EventBody> = page.items.into_iter().map(|e| EventBody::new(e, &state.config.issuer)).collect();
    Ok(Json(EventList::new(items, page.total, listing.page, listing.per_page)))
}

/// Every ticket of one event, filtered (#6).
///
/// Organizer access as for the events list. `order_by` also takes `reference_code`.
#[utoipa::path(
    get,
    path = "/api/public/organizers/{organizer_id}/events/{event_id}/tickets",
    tag = "Organizer resources",
    operation_id = "list_event_tickets",
    params(("organizer_id" = i64, Path), ("event_id" = i64, Path), EventTicketsQuery),
    responses(
        (status = 200, body = TicketList),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
    ),
    security(("application_token" = []), ("user_token" = ["organizer"]))
)]
pub(crate) async fn event_tickets(
    State(state): State<AppState>,
    path: PathIds,
    request: ApiRequest,
) -> Result<Json<TicketList>, ApiError> {
    let event = organizer_event(&state, &path, &request).await?;
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
    let query = TicketQuery {
        organizer_id: event.organizer_id,
        event_id: Some(event.id),
        user_id: None,
        listing: &listing,
        filter: &filter,
    };
    let page = state.store.list_tickets(query).await?;
    let items: Vec<TicketBody> = page.items.into_iter().map(Into::into).collect();
    Ok(Json(TicketList::new(items, page.total, listing.page, listing.per_page)))
}
