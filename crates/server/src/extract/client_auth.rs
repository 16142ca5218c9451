//! Client authentication at the token endpoint (RFC 6749 §2.3.1): HTTP Basic or
//! `client_id`/`client_secret` in the body, never both. Public clients send only `client_id`.

use super::client_assertion;
use super::params::{FromParams, Params};
use crate::error::OAuthError;
use crate::throttle::Attempt;
use crate::AppState;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use percent_encoding::percent_decode_str;
use ticketbooth_domain::model::Application;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_store::{FoundGrant, GrantKey, StoreResult};

/// The client a token request authenticated as.
pub(crate) struct AuthenticatedClient {
    pub(crate) app: Application,
    /// False for a public client, which proved nothing but its id; true for a secret or a
    /// `private_key_jwt` assertion.
    pub(crate) with_secret: bool,
    /// The grant the request presents ([`ClientRequest::presented_grant`]), read with the client.
    pub(crate) grant: Option<FoundGrant>,
}

struct Credentials {
    client_id: String,
    client_secret: Option<String>,
}

fn from_basic(headers: &HeaderMap) -> Result<Option<Credentials>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| OAuthError::invalid_client())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(OAuthError::invalid_client());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| OAuthError::invalid_client())?;
    let decoded = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(OAuthError::invalid_client)?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    let decode = |part: &str| {
        percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| OAuthError::invalid_client())
    };
    Ok(Some(Credentials { client_id: decode(id)?, client_secret: Some(decode(secret)?) }))
}

/// A request that may carry its client's credentials in its body.
pub(crate) trait ClientRequest: FromParams {
    fn client_id(&self) -> Option<&str>;
    fn client_secret(&self) -> Option<&str>;
    /// The grant (a code, a refresh token) the request presents, to be read in the same statement
    /// as its client's row: on PostgreSQL that saves a round trip on every code exchange and refresh.
    fn presented_grant(&self) -> Option<GrantKey> {
        None
    }
}

/// The application `client_id` names and, when the request presents a grant, that grant.
pub(super) async fn find_client(
    state: &AppState,
    client_id: &str,
    request: &impl ClientRequest,
) -> StoreResult<(Option<Application>, Option<FoundGrant>)> {
    match request.presented_grant() {
        None => Ok((state.store.find_application_by_client_id(client_id).await?, None)),
        Some(key) => {
            let (app, grant) = state.store.find_client_and_grant(client_id, &key).await?;
            Ok((app, Some(grant)))
        }
    }
}

fn from_body(request: &impl ClientRequest) -> Option<Credentials> {
    let client_secret = request.client_secret().map(str::to_owned);
    request.client_id().map(|id| Credentials { client_id: id.to_owned(), client_secret })
}

/// Authenticates the client of a token request from `address`. Failures are counted per (client
/// id, address) and per address; past a limit they answer 429 instead of 401.
pub(crate) async fn authenticate(
    state: &AppState,
    address: &str,
    headers: &HeaderMap,
    request: &impl ClientRequest,
) -> Result<AuthenticatedClient, OAuthError> {
    let basic = from_basic(headers)?;
    let body = from_body(request);
    let credentials = match (basic, body) {
        (Some(basic), Some(body)) if body.client_secret.is_some() || body.client_id != basic.client_id => {
            return Err(OAuthError::invalid_request("Use one client authentication method, not two."))
        }
        (Some(basic), _) => basic,
        (None, Some(body)) => body,
        (None, None) => return Err(OAuthError::invalid_client()),
    };

    let (app, grant) = find_client(state, &credentials.client_id, request).await?;
    // Hash even when the client is unknown, so the response time does not tell which ids exist.
    let presented = credentials.client_secret.as_deref().map(SecretHash::of);
    let now = Utc::now();
    // A suspended application's clients are refused as unknown ones, until it is resumed.
    let authenticated = app.filter(Application::is_usable).and_then(|app| match presented {
        Some(presented) if app.accepts_secret(&presented, now) => {
            Some(AuthenticatedClient { app, with_secret: true, grant })
        }
        None if !app.is_confidential() => Some(AuthenticatedClient { app, with_secret: false, grant }),
        _ => None,
    });
    if let Some(client) = authenticated {
        // The right secret always gets in: a 256-bit secret cannot be guessed, so counting
        // successes would only let strangers lock a client out.
        return Ok(client);
    }
    refuse(state, &credentials.client_id, address, now).await
}

/// A failed client authentication: counted against the limits, answered `invalid_client`, or
/// 429 once past them. Secrets and assertions share the counters.
pub(super) async fn refuse(
    state: &AppState,
    client_id: &str,
    address: &str,
    now: chrono::DateTime<Utc>,
) -> Result<AuthenticatedClient, OAuthError> {
    let attempt = Attempt::new("client", client_id, address, state.config.client_auth_limits, now);
    match attempt.take(&state.store, now).await? {
        Ok(()) => Err(OAuthError::invalid_client()),
        Err(wait) => Err(OAuthError::throttled(wait)),
    }
}

/// Reads a client-authenticated request's body (form or JSON) into its type and authenticates its
/// client: the start of every token-endpoint-style request.
pub(crate) async fn read_request<T: ClientRequest>(
    state: &AppState,
    address: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(T, AuthenticatedClient), OAuthError> {
    let params = Params::from_body(headers, body).map_err(|err| OAuthError::invalid_request(err.to_string()))?;
    let request = T::from_params(&params)?;
    let client = match client_assertion::from_params(&params)? {
        Some(assertion) => client_assertion::authenticate(state, address, headers, &request, &assertion).await?,
        None => authenticate(state, address, headers, &request).await?,
    };
    Ok((request, client))
}
