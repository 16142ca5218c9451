//! The public API as a protected resource (RFC 9728): its metadata, which names this server as
//! its authorization server, and the `resource_metadata` pointer on every challenge it sends, so
//! a client that only knows the API's URL (an AI agent, say) can find how to get a token.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use ticketbooth_domain::resource;
use ticketbooth_domain::Scope;

/// The public API's protected resource metadata (RFC 9728 §2, §3).
#[utoipa::path(
    get,
    path = "/.well-known/oauth-protected-resource/api/public",
    operation_id = "get_api_resource_metadata",
    tag = "OAuth 2",
    responses((status = 200, description = "RFC 9728 protected resource metadata"))
)]
pub(crate) async fn api_metadata(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state))
}

/// The same document at the root well-known location, for clients that look there first.
#[utoipa::path(
    get,
    path = "/.well-known/oauth-protected-resource",
    operation_id = "get_resource_metadata",
    tag = "OAuth 2",
    responses((status = 200, description = "RFC 9728 protected resource metadata of the public API"))
)]
pub(crate) async fn root_metadata(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state))
}

fn document(state: &AppState) -> Value {
    let config = &state.config;
    json!({
        "resource": resource::api_identifier(&config.issuer),
        "authorization_servers": [config.issuer],
        "scopes_supported": [Scope::Public.as_str(), Scope::Organizer.as_str()],
        "bearer_methods_supported": config.profile.bearer_methods(),
        "dpop_signing_alg_values_supported": ticketbooth_domain::dpop::SIGNING_ALGORITHMS,
        "dpop_bound_access_tokens_required": false,
        "resource_name": "Ticketbooth public API",
        "resource_documentation": config.url("/docs/api"),
    })
}

/// Adds `resource_metadata` (RFC 9728 §5.1) to the API's `WWW-Authenticate` challenges.
pub(crate) async fn point_to_metadata(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let for_the_api = request.uri().path().starts_with(resource::API_PATH);
    let mut response = next.run(request).await;
    if !for_the_api {
        return response;
    }
    if let Some(challenge) = response.headers().get(header::WWW_AUTHENTICATE).and_then(|value| value.to_str().ok()) {
        let pointed =
            format!("{challenge}, resource_metadata=\"{}\"", resource::api_metadata_url(&state.config.issuer));
        if let Ok(value) = HeaderValue::from_str(&pointed) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}
