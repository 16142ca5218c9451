//! Token revocation (RFC 7009) and introspection (RFC 7662): a client asks about, or gives up, a
//! token it holds. A client sees and revokes only its own tokens; anything else looks unknown.

use crate::error::{no_store_headers, OAuthError, OAuthErrorBody};
use crate::extract::address::ClientAddress;
use crate::extract::client_auth::ClientRequest;
use crate::extract::client_auth::{self, AuthenticatedClient};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use ticketbooth_domain::model::AccessToken;
use ticketbooth_domain::oidc::subject;
use ticketbooth_domain::secret::{looks_like_secret, SecretHash};
use ticketbooth_domain::OAuthErrorCode;
use utoipa::ToSchema;

/// Which half of a token pair a presented token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Access,
    /// A refresh token, with its own expiry.
    Refresh(DateTime<Utc>),
}

/// Where to look for a presented token first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Access,
    Refresh,
}

/// The parameters of a revocation or introspection request.
#[derive(ToSchema)]
pub(crate) struct TokenQuery {
    /// The access or refresh token.
    token: String,
    /// `access_token` or `refresh_token`: where to look first.
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl FromParams for TokenQuery {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(TokenQuery {
            token: params.required("token")?,
            token_type_hint: params.optional("token_type_hint")?,
            client_id: params.optional("client_id")?,
            client_secret: params.optional("client_secret")?,
        })
    }
}

impl ClientRequest for TokenQuery {
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }
}

/// Finds the caller's token by its access or refresh half, the hinted half first (RFC 7009 §2.1).
async fn find_own_token(
    state: &AppState,
    client: &AuthenticatedClient,
    query: &TokenQuery,
) -> Result<Option<(AccessToken, TokenKind)>, OAuthError> {
    let token = query.token.as_str();
    let order = match query.token_type_hint.as_deref() {
        None | Some("access_token") => [Lookup::Access, Lookup::Refresh],
        Some("refresh_token") => [Lookup::Refresh, Lookup::Access],
        Some(_) => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedTokenType,
                "token_type_hint must be access_token or refresh_token.",
            ))
        }
    };
    if !looks_like_secret(token) {
        return Ok(None);
    }
    let hash = SecretHash::of(token);
    for lookup in order {
        let found = match lookup {
            Lookup::Access => state.store.find_access_token(&hash).await?.map(|token| (token, TokenKind::Access)),
            Lookup::Refresh => state
                .store
                .find_by_refresh_token(&hash)
                .await?
                .map(|(token, expires_at)| (token, TokenKind::Refresh(expires_at))),
        };
        if let Some((found, kind)) = found {
            // Another client's token is reported exactly like an unknown one.
            return Ok((found.application_id == client.app.id).then_some((found, kind)));
        }
    }
    Ok(None)
}

/// Revokes a token the client holds: an access token, or a refresh token with every token of its
/// family. Unknown tokens answer 200 too (RFC 7009 §2.2).
#[utoipa::path(
    post,
    path = "/oauth/revoke",
    operation_id = "revoke_token",
    tag = "OAuth 2",
    request_body(content = TokenQuery, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked, or unknown"),
        (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody),
    ),
    security((), ("client_basic" = []))
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (query, client) = client_auth::read_request::<TokenQuery>(&state, &address, &headers, &body).await?;
    let now = Utc::now();
    match find_own_token(&state, &client, &query).await? {
        Some((token, TokenKind::Refresh(_))) => {
            state.store.revoke_token_family(token.family_id, now).await?;
        }
        Some((token, TokenKind::Access)) => {
            state.store.revoke_access_token(token.id, now).await?;
        }
        None => {}
    }
    Ok((StatusCode::OK, no_store_headers()).into_response())
}

/// An introspection answer (RFC 7662 §2.2); inactive tokens carry `active` alone.
#[derive(Serialize, ToSchema, Default)]
pub(super) struct Introspection {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    /// The resource server the token is for (RFC 8707); absent for the public API's classic tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    /// For a DPoP-bound token, the key it is bound to (RFC 9449 §6.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    cnf: Option<Confirmation>,
}

/// RFC 7800 confirmation: the JWK SHA-256 thumbprint of a DPoP key.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Confirmation {
    jkt: String,
}

/// Tells a confidential client whether one of its tokens is active, and what it grants.
#[utoipa::path(
    post,
    path = "/oauth/introspect",
    operation_id = "introspect_token",
    tag = "OAuth 2",
    request_body(content = TokenQuery, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Introspection),
        (status = 400, body = OAuthErrorBody), (status = 401, body = OAuthErrorBody),
    ),
    security(("client_basic" = []))
)]
pub(crate) async fn introspect(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (query, client) = client_auth::read_request::<TokenQuery>(&state, &address, &headers, &body).await?;
    if !client.with_secret {
        // RFC 7662 §2.1: the endpoint requires authorization; a public client proves nothing.
        return Err(OAuthError::invalid_client());
    }
    let now = Utc::now();
    // RFC 7662 §2.1: access and refresh tokens alike; a revoked or rotated pair is inactive.
    let (token, token_type, expires_at) = match find_own_token(&state, &client, &query).await? {
        Some((token, TokenKind::Access)) if token.is_active(now) => {
            let expires_at = token.expires_at;
            let token_type = if token.dpop_jkt.is_some() { "DPoP" } else { "Bearer" };
            (token, token_type, expires_at)
        }
        Some((token, TokenKind::Refresh(expires_at))) if token.revoked_at.is_none() && now < expires_at => {
            (token, "refresh_token", expires_at)
        }
        _ => return Ok((no_store_headers(), Json(Introspection::default())).into_response()),
    };
    let user = match token.user_id {
        Some(user_id) => state.store.find_user(user_id).await?,
        None => None,
    };
    let answer = Introspection {
        active: true,
        scope: Some(token.scopes.to_string()),
        client_id: Some(client.app.client_id.clone()),
        username: user.map(|user| user.email),
        token_type: Some(token_type),
        exp: Some(expires_at.timestamp()),
        iat: Some(token.created_at.timestamp()),
        sub: token.user_id.map(subject),
        iss: Some(state.config.issuer.clone()),
        aud: token.audience.clone(),
        cnf: token.dpop_jkt.map(|jkt| Confirmation { jkt }),
    };
    Ok((no_store_headers(), Json(answer)).into_response())
}
