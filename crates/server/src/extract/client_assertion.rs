//! `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the client
//! signs a short-lived JWT with a key of the JWK Set it registered, and sends it as
//! `client_assertion` with `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
//! Each assertion is accepted once (its `jti` is remembered until it expires, on every instance).

use super::client_auth::{self, AuthenticatedClient, ClientRequest};
use super::params::Params;
use crate::error::OAuthError;
use crate::{jose, AppState};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use ticketbooth_domain::model::Application;
use ticketbooth_domain::secret::SecretHash;

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The algorithms an assertion may be signed with (`token_endpoint_auth_signing_alg_values_supported`).
pub(crate) const SIGNING_ALGORITHMS: [&str; 5] = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];
/// An assertion may not live longer than this, the lifetime common libraries (Authlib) give it:
/// its `jti` is remembered that long.
const MAX_LIFETIME: Duration = Duration::hours(1);
/// The endpoints that take client authentication: an assertion may name any, or the issuer.
const AUDIENCE_PATHS: [&str; 5] =
    ["/oauth/token", "/oauth/par", "/oauth/device_authorization", "/oauth/introspect", "/oauth/revoke"];

#[derive(Deserialize)]
struct AssertionClaims {
    sub: String,
    exp: i64,
    jti: Option<String>,
}

/// The request's `client_assertion`, if it sent one (with the right type).
pub(crate) fn from_params(params: &Params) -> Result<Option<String>, OAuthError> {
    let assertion_type: Option<String> = params.optional("client_assertion_type")?;
    let assertion: Option<String> = params.optional("client_assertion")?;
    match (assertion_type.as_deref(), assertion) {
        (None, None) => Ok(None),
        (Some(ASSERTION_TYPE), Some(assertion)) => Ok(Some(assertion)),
        (Some(ASSERTION_TYPE), None) => Err(OAuthError::invalid_request("client_assertion is missing.")),
        _ => Err(OAuthError::invalid_request(
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        )),
    }
}

/// Authenticates the client by its assertion. Failures count against the same limits as wrong
/// secrets, and answer `invalid_client` without saying which check failed.
pub(crate) async fn authenticate(
    state: &AppState,
    address: &str,
    headers: &HeaderMap,
    request: &impl ClientRequest,
    assertion: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    if headers.contains_key(header::AUTHORIZATION) || request.client_secret().is_some() {
        return Err(OAuthError::invalid_request("Use one client authentication method, not two."));
    }
    let Some(client_id) = request.client_id().map(str::to_owned).or_else(|| unverified_issuer(assertion)) else {
        return Err(OAuthError::invalid_client());
    };
    let (app, grant) = client_auth::find_client(state, &client_id, request).await?;
    let app = app.filter(Application::is_usable);
    let now = Utc::now();
    let verified = match &app {
        Some(app) => verify(state, app, assertion, now),
        None => None,
    };
    // Remembered only once verified, so nobody can burn another client's jti.
    if let (Some(app), Some((jti, expires))) = (app, verified) {
        let key = SecretHash::of(&format!("client_assertion\n{}\n{jti}", app.client_id));
        if state.store.remember_proof(&key, expires).await? {
            return Ok(AuthenticatedClient { app, with_secret: true, grant });
        }
        tracing::warn!(application_id = app.id, "client assertion replayed");
    }
    client_auth::refuse(state, &client_id, address, now).await
}

/// The assertion's `jti` and expiry, when it is signed by one of the client's keys and says
/// what RFC 7523 §3 asks: `iss` and `sub` the client, `aud` this server, `exp` soon.
fn verify(state: &AppState, app: &Application, assertion: &str, now: DateTime<Utc>) -> Option<(String, DateTime<Utc>)> {
    let keys: JwkSet = serde_json::from_str(app.jwks.as_deref()?).ok()?;
    let header = jsonwebtoken::decode_header(assertion).ok()?;
    if !SIGNING_ALGORITHMS.contains(&jose::algorithm_name(header.alg)?) {
        return None;
    }
    let mut validation = Validation::new(header.alg);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_issuer(&[&app.client_id]);
    let mut audience: Vec<String> = AUDIENCE_PATHS.iter().map(|path| state.config.url(path)).collect();
    audience.push(state.config.issuer.clone());
    validation.set_audience(&audience);
    validation.leeway = 30;
    let candidates = keys.keys.iter().filter(|key| header.kid.is_none() || key.common.key_id == header.kid);
    let claims = candidates
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .find_map(|key| jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).ok())?
        .claims;
    let expires = DateTime::from_timestamp(claims.exp, 0)?;
    let jti = claims.jti.filter(|jti| !jti.is_empty() && jti.len() <= 256)?;
    (claims.sub == app.client_id && expires <= now + MAX_LIFETIME).then_some((jti, expires))
}

/// The `iss` of an assertion not yet verified: only to find whose keys to verify it with.
fn unverified_issuer(assertion: &str) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(assertion.split('.').nth(1)?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&payload).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}
