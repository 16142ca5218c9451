//! The device authorization grant (RFC 8628): `POST /oauth/device_authorization` starts it, the
//! person approves on `/device` (`pages::device`), and the device polls `POST /oauth/token` with
//! `grant_type=urn:ietf:params:oauth:grant-type:device_code`.

use super::token::requested_scopes;
use crate::error::{no_store_headers, OAuthError, OAuthErrorBody};
use crate::extract::address::ClientAddress;
use crate::extract::client_auth::{self, AuthenticatedClient, ClientRequest};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use ticketbooth_domain::device::{
    display_user_code, generate_user_code, NewDeviceAuthorization, DEVICE_CODE_TTL, POLL_INTERVAL_SECONDS,
};
use ticketbooth_domain::secret::Secret;
use ticketbooth_domain::{OAuthErrorCode, Scope};
use ticketbooth_store::StoreError;

/// The device grant's `grant_type` (RFC 8628 §3.4).
pub(crate) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The device authorization request's parameters (RFC 8628 §3.1).
#[derive(utoipa::ToSchema)]
pub(crate) struct DeviceAuthorizationRequest {
    /// With HTTP Basic, leave out; a public client sends only this.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// Space-separated; default `public`.
    scope: Option<String>,
    /// RFC 8707: the resource server the device's token is for.
    resource: Option<String>,
}

impl FromParams for DeviceAuthorizationRequest {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(DeviceAuthorizationRequest {
            client_id: params.optional("client_id")?,
            client_secret: params.optional("client_secret")?,
            scope: params.optional("scope")?,
            resource: params.optional("resource")?,
        })
    }
}

impl ClientRequest for DeviceAuthorizationRequest {
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }
}

/// RFC 8628 §3.2.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DeviceAuthorizationResponse {
    /// What the device polls the token endpoint with: 64 hex characters.
    device_code: String,
    /// What the person types at `verification_uri`: `XXXX-XXXX`.
    user_code: String,
    verification_uri: String,
    /// `verification_uri` with the user code filled in, for a QR code.
    verification_uri_complete: String,
    /// Seconds: 600.
    expires_in: i64,
    /// Seconds between polls: 5 to start with.
    interval: u32,
}

/// Starts a device sign-in: a device code for the device to poll with and a user code for the
/// person to type at `/device`.
///
/// The application must be registered for the device grant (`apps create --grant device_code`);
/// public clients send only `client_id`.
#[utoipa::path(
    post,
    path = "/oauth/device_authorization",
    operation_id = "start_device_authorization",
    tag = "OAuth 2",
    request_body(content = DeviceAuthorizationRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = DeviceAuthorizationResponse),
        (status = 400, body = OAuthErrorBody),
        (status = 401, description = "invalid_client, with WWW-Authenticate: Basic", body = OAuthErrorBody),
    ),
    security((), ("client_basic" = []))
)]
pub(crate) async fn start(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (request, client) =
        client_auth::read_request::<DeviceAuthorizationRequest>(&state, &address, &headers, &body).await?;
    require_device_grant(&client)?;
    let scopes = requested_scopes(&client, request.scope.as_deref())?;
    if scopes.contains(Scope::OpenId) {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidScope,
            "openid is for the authorization code flow; a device gets an access token.",
        ));
    }
    let resource = crate::resources::require(&state, request.resource.as_deref(), scopes).await?;
    let device_code = Secret::generate();
    let now = Utc::now();
    // 20⁸ codes, a few thousand live at most: a collision is rare, and simply drawn again.
    let mut attempts = 0;
    let stored = loop {
        let new = NewDeviceAuthorization {
            device_code_hash: device_code.hash(),
            user_code: generate_user_code(),
            application_id: client.app.id,
            scopes,
            created_at: now,
            expires_at: now + DEVICE_CODE_TTL,
            interval_seconds: POLL_INTERVAL_SECONDS,
            resource: resource.clone(),
        };
        match state.store.create_device_authorization(new).await {
            Err(StoreError::Conflict(_)) if attempts < 3 => attempts += 1,
            other => break other?,
        }
    };
    let user_code = display_user_code(&stored.user_code);
    let verification_uri = format!("{}/device", state.config.issuer);
    let verification_uri_complete = format!(
        "{verification_uri}?{}",
        url::form_urlencoded::Serializer::new(String::new()).append_pair("user_code", &user_code).finish()
    );
    let response = DeviceAuthorizationResponse {
        device_code: device_code.expose().to_owned(),
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_in: DEVICE_CODE_TTL.num_seconds(),
        interval: stored.interval_seconds,
    };
    Ok((no_store_headers(), Json(response)).into_response())
}

/// Refuses clients that did not opt into the device grant (RFC 8628 §3.2, §5.6 of RFC 6749).
pub(crate) fn require_device_grant(client: &AuthenticatedClient) -> Result<(), OAuthError> {
    match client.app.options.device_grant {
        true => Ok(()),
        false => Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "The application is not registered for the device authorization grant.",
        )),
    }
}
