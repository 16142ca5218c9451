//! The resource API under `/api/public` (eventpop-api.md §3): nine operations plus `/info`.
//! Every handler takes an [`ApiRequest`] (token, query, body) and answers JSON; every error is
//! `{"success": false, "error", "error_description"}` with the status §3 documents.

mod check_in_models;
pub(crate) mod check_ins;
pub(crate) mod lists;
pub(crate) mod me;
pub(crate) mod models;
mod params;
pub(crate) mod tickets;
mod webhook_models;
pub(crate) mod webhooks;

use crate::error::ApiError;
use crate::extract::bearer::ApiRequest;
use crate::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::Json;
use serde::Serialize;
use ticketbooth_domain::access::{self, Caller};
use ticketbooth_domain::listing::{parse_listing, ListKind, ListParams, Listing};
use ticketbooth_domain::ticketing::Event;
use utoipa::ToSchema;

/// The service's name and version.
#[derive(Serialize, ToSchema)]
pub(crate) struct InfoBody {
    name: &'static str,
    version: &'static str,
}

/// The service's name and version. No token needed.
#[utoipa::path(get, path = "/api/public/info", operation_id = "get_api_info", tag = "Info", responses((status = 200, body = InfoBody)))]
pub(crate) async fn info() -> Json<InfoBody> {
    Json(InfoBody { name: "Ticketbooth", version: env!("CARGO_PKG_VERSION") })
}

/// The path's parameters, never rejected: a parameter that cannot be decoded reads as empty,
/// which then fails to parse as an id and answers 404 like any other non-integer id (§0.1).
pub(crate) struct PathIds(Option<RawPathParams>);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(PathIds(RawPathParams::from_request_parts(parts, state).await.ok()))
    }
}

impl PathIds {
    fn get(&self, name: &str) -> &str {
        let params = self.0.as_ref();
        params.and_then(|params| params.iter().find(|(key, _)| *key == name)).map_or("", |(_, value)| value)
    }
}

/// A path id: an integer, else 404 (§0.1).
fn path_id(text: &str) -> Result<i64, ApiError> {
    text.parse().map_err(|_| ApiError::not_found("No such resource."))
}

/// The path's organizer id, 404 when no such organizer exists.
async fn existing_organizer(state: &AppState, text: &str) -> Result<i64, ApiError> {
    let id = path_id(text)?;
    match state.store.find_organizer(id).await? {
        Some(organizer) => Ok(organizer.id),
        None => Err(ApiError::not_found("No such organizer.")),
    }
}

/// Whether the caller's user belongs to the organizer (false for application tokens).
async fn membership(state: &AppState, caller: &Caller, organizer_id: i64) -> Result<bool, ApiError> {
    Ok(match caller.user_id {
        Some(user_id) => state.store.is_member(organizer_id, user_id).await?,
        None => false,
    })
}

/// Checks an organizer operation (#5–#8) for the request's token.
async fn authorize_organizer(state: &AppState, request: &ApiRequest, organizer_id: i64) -> Result<(), ApiError> {
    let caller = request.bearer.caller(state).await?;
    let is_member = membership(state, &caller, organizer_id).await?;
    Ok(access::organizer_operation(&caller, organizer_id, is_member)?)
}

/// The path's organizer and event for an organizer operation (#6–#8): the organizer must exist,
/// the caller may act for it, and the event must be one of its.
async fn organizer_event(state: &AppState, path: &PathIds, request: &ApiRequest) -> Result<Event, ApiError> {
    let organizer_id = existing_organizer(state, path.get("organizer_id")).await?;
    authorize_organizer(state, request, organizer_id).await?;
    event_of(state, organizer_id, path.get("event_id")).await
}

/// The path's event, 404 unless it exists and belongs to the organizer.
async fn event_of(state: &AppState, organizer_id: i64, text: &str) -> Result<Event, ApiError> {
    let id = path_id(text)?;
    match state.store.find_event(id).await? {
        Some(event) if event.organizer_id == organizer_id => Ok(event),
        _ => Err(ApiError::not_found("No such event for this organizer.")),
    }
}

/// The list parameters of the request, 400 when malformed.
fn listing(request: &ApiRequest, kind: ListKind) -> Result<Listing, ApiError> {
    let params = ListParams {
        page: request.query("page")?,
        per_page: request.query("per_page")?,
        order_by: request.query("order_by")?,
        order: request.query("order")?,
        q: request.query("q")?,
    };
    parse_listing(kind, params).map_err(ApiError::invalid_request)
}
