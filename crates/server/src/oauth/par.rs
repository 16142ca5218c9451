//! Pushed authorization requests (RFC 9126): `POST /oauth/par` takes an authorization request
//! from the authenticated client, checks it as the authorization endpoint would, and answers a
//! `request_uri` for the browser to bring to `/oauth/authorize` with `client_id` alone. The
//! parameters never pass through the browser, so nobody on the way can read or change them.

use crate::error::{no_store_headers, OAuthError, OAuthErrorBody};
use crate::extract::address::ClientAddress;
use crate::extract::client_auth::{self, ClientRequest};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use serde::Serialize;
use ticketbooth_domain::authorize::{self, AuthorizationParams, AuthorizeError};
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::OAuthErrorCode;

/// A pushed request must be opened at the authorization endpoint within a minute (RFC 9126 §2.2
/// suggests 5 to 600 seconds; the client redirects at once).
pub(crate) const PUSHED_REQUEST_TTL: Duration = Duration::seconds(60);
/// The prefix RFC 9126 §2.2 gives `request_uri` values.
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// An authorization request's parameters, with the client's credentials.
#[derive(utoipa::ToSchema)]
pub(crate) struct PushedRequestForm {
    /// With HTTP Basic, leave out; a public client sends only this.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// The parameters of `GET /oauth/authorize` (`response_type`, `redirect_uri`, `scope`,
    /// `state`, `code_challenge`, `code_challenge_method`, `nonce`, `prompt`, `max_age`).
    #[schema(ignore)]
    request: AuthorizationParams,
}

impl FromParams for PushedRequestForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(PushedRequestForm {
            client_id: params.optional("client_id")?,
            client_secret: params.optional("client_secret")?,
            request: AuthorizationParams::from_pairs(params.pairs()),
        })
    }
}

impl ClientRequest for PushedRequestForm {
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }
}

/// RFC 9126 §2.2.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PushedRequestCreated {
    /// `urn:ietf:params:oauth:request_uri:` and 64 hex characters; single use.
    request_uri: String,
    /// Seconds to bring it to the authorization endpoint: 60.
    expires_in: i64,
}

/// Pushes an authorization request; the answer's `request_uri` goes to `/oauth/authorize` with
/// `client_id`. The request is checked now, so errors come back here as JSON, not redirected.
#[utoipa::path(
    post,
    path = "/oauth/par",
    operation_id = "push_authorization_request",
    tag = "OAuth 2",
    request_body(content = PushedRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 201, body = PushedRequestCreated),
        (status = 400, body = OAuthErrorBody),
        (status = 401, description = "invalid_client, with WWW-Authenticate: Basic", body = OAuthErrorBody),
    ),
    security((), ("client_basic" = []))
)]
pub(crate) async fn push(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (form, client) = client_auth::read_request::<PushedRequestForm>(&state, &address, &headers, &body).await?;
    let mut request = form.request;
    if request.request_uri.is_some() {
        return Err(OAuthError::invalid_request("request_uri cannot itself be pushed."));
    }
    // The authenticated client is the request's client, whatever the body said (RFC 9126 §2.1).
    match &request.client_id {
        Some(named) if *named != client.app.client_id => {
            return Err(OAuthError::invalid_request("client_id does not match the authenticated client."))
        }
        _ => request.client_id = Some(client.app.client_id.clone()),
    }
    match authorize::validate(&request, &client.app) {
        Ok(valid) => {
            crate::resources::require(&state, valid.resource.as_deref(), valid.scopes).await?;
        }
        Err(AuthorizeError::UnsafeToRedirect(err)) => return Err(OAuthError::invalid_request(err.to_string())),
        Err(AuthorizeError::Redirect(err)) => return Err(OAuthError::new(err.code, err.description)),
    }
    if state.config.profile.requires_pkce() && request.code_challenge.is_none() {
        return Err(OAuthError::invalid_request(PKCE_REQUIRED));
    }
    let handle = Secret::generate();
    let parameters = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(request.to_pairs()).finish();
    let expires_at = Utc::now() + PUSHED_REQUEST_TTL;
    state.store.push_authorization_request(&handle.hash(), client.app.id, &parameters, expires_at).await?;
    let created = PushedRequestCreated {
        request_uri: format!("{REQUEST_URI_PREFIX}{}", handle.expose()),
        expires_in: PUSHED_REQUEST_TTL.num_seconds(),
    };
    Ok((StatusCode::CREATED, no_store_headers(), Json(created)).into_response())
}

/// What the `oauth2.1` profile tells a request without PKCE.
pub(crate) const PKCE_REQUIRED: &str = "PKCE is required: send code_challenge with code_challenge_method=S256.";

/// The stored form of a `request_uri`; `None` for one this server cannot have issued.
pub(crate) fn request_uri_hash(request_uri: &str) -> Option<SecretHash> {
    request_uri.strip_prefix(REQUEST_URI_PREFIX).map(SecretHash::of)
}

/// Why a `request_uri` was refused, for the error page (the pushed request holds the redirect
/// URI, so nothing can be redirected).
pub(crate) fn refused_request_uri() -> String {
    format!("{}: the request_uri is unknown, expired or already used.", OAuthErrorCode::InvalidRequestUri)
}
