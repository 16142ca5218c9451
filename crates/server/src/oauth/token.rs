//! `POST /oauth/token` (RFC 6749 §3.2): the `authorization_code`, `refresh_token`,
//! `client_credentials` and device code (RFC 8628) grants, each bound to the request's DPoP key
//! when it sends a proof (RFC 9449).

use super::device;
use crate::dpop::{self, ProofFailure};
use crate::error::{no_store_headers, OAuthError, OAuthErrorBody};
use crate::extract::address::ClientAddress;
use crate::extract::client_auth::ClientRequest;
use crate::extract::client_auth::{self, AuthenticatedClient};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::keys;
use crate::resources;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use ticketbooth_domain::device::{answer_poll, PollAnswer, POLL_SLACK_MS, SLOW_DOWN_STEP_SECONDS};
use ticketbooth_domain::grant::{self, CodeRedemption, GrantError};
use ticketbooth_domain::model::{AccessToken, AuthorizationCode, NewAccessToken};
use ticketbooth_domain::oidc::{IdTokenClaims, IdTokenInput};
use ticketbooth_domain::resource;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::token::{TokenResponse, ACCESS_TOKEN_TTL, REFRESH_TOKEN_TTL};
use ticketbooth_domain::OAuthErrorCode;
use ticketbooth_domain::Scope;
use ticketbooth_store::{FoundGrant, GrantKey};

/// The token request's parameters (RFC 6749 §4.1.3, §4.4.2, §6).
#[derive(utoipa::ToSchema)]
pub(crate) struct TokenRequest {
    /// `authorization_code`, `refresh_token`, `client_credentials` or
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    grant_type: String,
    /// With HTTP Basic, leave out; a public client sends only this.
    client_id: Option<String>,
    client_secret: Option<String>,
    /// For `authorization_code`.
    code: Option<String>,
    /// For `authorization_code`, when the authorization request carried one.
    redirect_uri: Option<String>,
    /// For `authorization_code` after a PKCE authorization request.
    code_verifier: Option<String>,
    /// For `refresh_token`.
    refresh_token: Option<String>,
    /// For `urn:ietf:params:oauth:grant-type:device_code`.
    device_code: Option<String>,
    /// For `client_credentials` (default `public`) or to narrow a refresh.
    scope: Option<String>,
    /// RFC 8707: the resource server the access token is for; with a code or refresh token, the
    /// one the grant was for (or any known one, when the grant named none).
    resource: Option<String>,
}

impl FromParams for TokenRequest {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(TokenRequest {
            grant_type: params.required("grant_type")?,
            client_id: params.optional("client_id")?,
            client_secret: params.optional("client_secret")?,
            code: params.optional("code")?,
            redirect_uri: params.optional("redirect_uri")?,
            code_verifier: params.optional("code_verifier")?,
            refresh_token: params.optional("refresh_token")?,
            device_code: params.optional("device_code")?,
            scope: params.optional("scope")?,
            resource: params.optional("resource")?,
        })
    }
}

impl ClientRequest for TokenRequest {
    fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }

    /// The code or refresh token its grant type takes, which the grant then finds in
    /// [`Grant::found`].
    fn presented_grant(&self) -> Option<GrantKey> {
        match self.grant_type.as_str() {
            "authorization_code" => self.code.as_deref().map(|code| GrantKey::Code(SecretHash::of(code))),
            "refresh_token" => self.refresh_token.as_deref().map(|token| GrantKey::RefreshToken(SecretHash::of(token))),
            _ => None,
        }
    }
}

/// The token endpoint: trades a code, a refresh token or client credentials for tokens.
///
/// Client authentication by HTTP Basic or `client_id`/`client_secret` in the body, not both.
/// Responses carry `Cache-Control: no-store`.
#[utoipa::path(
    post,
    path = "/oauth/token",
    operation_id = "request_token",
    tag = "OAuth 2",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded", description = "Also accepted as a JSON object of the same fields."),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = OAuthErrorBody),
        (status = 401, description = "invalid_client, with WWW-Authenticate: Basic", body = OAuthErrorBody),
    ),
    security((), ("client_basic" = []))
)]
pub(crate) async fn issue(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let (request, mut client) = client_auth::read_request::<TokenRequest>(&state, &address, &headers, &body).await?;
    let proof = token_endpoint_proof(&state, &headers, &client).await?;
    let found = client.grant.take();
    let grant = Grant { client: &client, request: &request, dpop_jkt: proof.map(|proof| proof.jkt), found };
    let (grant_type, response) = match request.grant_type.as_str() {
        "authorization_code" => ("authorization_code", authorization_code(&state, grant).await?),
        "refresh_token" => ("refresh_token", refresh_token(&state, grant).await?),
        "client_credentials" => ("client_credentials", client_credentials(&state, grant).await?),
        device::GRANT_TYPE => ("device_code", device_code(&state, grant).await?),
        _ => {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                "Supported grant types: authorization_code, refresh_token, client_credentials, \
                 urn:ietf:params:oauth:grant-type:device_code.",
            ))
        }
    };
    state.metrics.token_issued(grant_type);
    Ok((no_store_headers(), Json(response)).into_response())
}

/// A token request: its authenticated client, its parameters, when it carried a valid DPoP
/// proof the thumbprint of the key the tokens are to be bound to, and the code or refresh token it
/// presents as read with the client ([`TokenRequest::presented_grant`]).
struct Grant<'a> {
    client: &'a AuthenticatedClient,
    request: &'a TokenRequest,
    dpop_jkt: Option<String>,
    found: Option<FoundGrant>,
}

/// The token request's DPoP proof (RFC 9449 §5): checked when sent, with a server nonce required,
/// and required for applications registered with `--require-dpop`.
async fn token_endpoint_proof(
    state: &AppState,
    headers: &HeaderMap,
    client: &AuthenticatedClient,
) -> Result<Option<dpop::Proof>, OAuthError> {
    let refused = |code, description: String| OAuthError::new(code, description);
    match dpop::verify(state, headers, "POST", "/oauth/token", None, true).await {
        Ok(None) if client.app.options.require_dpop => Err(refused(
            OAuthErrorCode::InvalidDpopProof,
            "This application's tokens are DPoP-bound: send a DPoP proof.".into(),
        )),
        Ok(proof) => Ok(proof),
        Err(ProofFailure::Invalid(why)) => Err(refused(OAuthErrorCode::InvalidDpopProof, why)),
        Err(ProofFailure::NonceNeeded) => Err(refused(
            OAuthErrorCode::UseDpopNonce,
            "Put the DPoP-Nonce header's value in the proof's nonce claim.".into(),
        )
        .with_dpop_nonce(dpop::nonce(state).await?)),
        Err(ProofFailure::Store(err)) => Err(err.into()),
    }
}

/// A fresh token pair for the given owner and scopes, and the row that stores its hashes.
struct Minted {
    access: Secret,
    refresh: Option<Secret>,
    record: NewAccessToken,
}

fn mint(client: &AuthenticatedClient, user_id: Option<i64>, scopes: ScopeSet, now: DateTime<Utc>) -> Minted {
    let refresh = user_id.map(|_| Secret::generate());
    mint_pair(client, user_id, scopes, now, Secret::generate(), refresh)
}

fn mint_pair(
    client: &AuthenticatedClient,
    user_id: Option<i64>,
    scopes: ScopeSet,
    now: DateTime<Utc>,
    access: Secret,
    refresh: Option<Secret>,
) -> Minted {
    let record = NewAccessToken {
        access_token_hash: access.hash(),
        refresh_token_hash: refresh.as_ref().map(Secret::hash),
        application_id: client.app.id,
        user_id,
        scopes,
        authorization_code_id: None,
        previous_token_id: None,
        family_id: None,
        created_at: now,
        expires_at: now + ACCESS_TOKEN_TTL,
        refresh_expires_at: refresh.as_ref().map(|_| now + REFRESH_TOKEN_TTL),
        grace_salt: None,
        dpop_jkt: None,
        audience: None,
    };
    Minted { access, refresh, record }
}

/// The pair a rotation under a grace window hands out: derived from the presented refresh token
/// and `salt`, so that token presented again within the window yields the same pair.
fn derived_pair(presented: &str, salt: &[u8]) -> (Secret, Secret) {
    (
        Secret::derive(presented, salt, "ticketbooth access token"),
        Secret::derive(presented, salt, "ticketbooth refresh token"),
    )
}

impl Minted {
    /// Binds the pair to the request's DPoP key, if it sent a proof.
    fn bound_to(mut self, dpop_jkt: &Option<String>) -> Minted {
        self.record.dpop_jkt = dpop_jkt.clone();
        self
    }

    /// Makes the pair for a resource server (RFC 8707), `None` for the public API as before.
    fn for_audience(mut self, audience: Option<String>) -> Minted {
        self.record.audience = audience;
        self
    }

    fn response(&self) -> TokenResponse {
        let response =
            TokenResponse::new(&self.access, self.refresh.as_ref(), self.record.scopes, self.record.created_at);
        with_token_type(response, self.record.dpop_jkt.is_some())
    }
}

/// `token_type` `DPoP` for a bound pair (RFC 9449 §5).
fn with_token_type(response: TokenResponse, dpop_bound: bool) -> TokenResponse {
    match dpop_bound {
        true => TokenResponse { token_type: "DPoP", ..response },
        false => response,
    }
}

async fn authorization_code(state: &AppState, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
    let (client, request) = (grant.client, grant.request);
    if request.code.is_none() {
        return Err(ParamError::Missing("code").into());
    }
    let redemption = CodeRedemption {
        redirect_uri: request.redirect_uri.as_deref(),
        code_verifier: request.code_verifier.as_deref(),
    };
    let now = Utc::now();
    let Some(FoundGrant::Code(Some(code))) = grant.found else {
        return Err(GrantError::UnknownCode.into());
    };
    match grant::check_code_redemption(&code, client.app.id, redemption, now) {
        Ok(()) => {}
        Err(GrantError::CodeReused) => return Err(replayed(state, code.id, now).await),
        Err(err) => return Err(err.into()),
    }
    let audience = audience(state, code.resource.as_deref(), request.resource.as_deref(), code.scopes).await?;
    let mut minted =
        mint(client, Some(code.user_id), code.scopes, now).bound_to(&grant.dpop_jkt).for_audience(audience);
    minted.record.authorization_code_id = Some(code.id);
    // Sign before storing, so the response can be sent the moment the token is committed.
    let id_token = match code.scopes.contains(Scope::OpenId) {
        true => Some(id_token(state, client, &code, minted.access.expose(), now).await?),
        false => None,
    };
    match state.store.redeem_authorization_code(code.id, minted.record.clone()).await? {
        Some(_) => Ok(TokenResponse { id_token, ..minted.response() }),
        // A concurrent redemption won: this request is a replay like any other.
        None => Err(replayed(state, code.id, now).await),
    }
}

/// The OpenID Connect ID token for a code's user (OpenID Connect Core §3.1.3.3).
async fn id_token(
    state: &AppState,
    client: &AuthenticatedClient,
    code: &AuthorizationCode,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<String, OAuthError> {
    let user = state.store.find_user(code.user_id).await?.ok_or(GrantError::UnknownCode)?;
    let claims = IdTokenClaims::new(IdTokenInput {
        issuer: &state.config.issuer,
        client_id: &client.app.client_id,
        user: &user,
        scopes: code.scopes,
        nonce: code.nonce.clone(),
        auth_time: code.auth_time,
        access_token,
        now,
    });
    keys::sign(&state.store, &claims, client.app.id_token_alg).await.map_err(|err| {
        tracing::error!(error = %err, "id_token signing failed");
        OAuthError::new(OAuthErrorCode::ServerError, "The ID token could not be signed.")
    })
}

/// RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued from it are revoked.
async fn replayed(state: &AppState, code_id: i64, now: DateTime<Utc>) -> OAuthError {
    match state.store.revoke_tokens_from_code(code_id, now).await {
        Ok(revoked) => {
            tracing::warn!(code_id, revoked, "authorization code replayed; its tokens were revoked");
            GrantError::CodeReused.into()
        }
        Err(err) => err.into(),
    }
}

async fn refresh_token(state: &AppState, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
    let (client, request) = (grant.client, grant.request);
    let presented = request.refresh_token.as_deref().ok_or(ParamError::Missing("refresh_token"))?;
    let requested_scope = request.scope.as_deref();
    let now = Utc::now();
    let Some(FoundGrant::RefreshToken(Some((old, refresh_expires_at)))) = grant.found else {
        return Err(GrantError::UnknownRefreshToken.into());
    };
    let scopes = match grant::check_refresh(&old, refresh_expires_at, client.app.id, requested_scope, now) {
        Ok(scopes) => scopes,
        Err(GrantError::RefreshReused) => return again_or_reused(state, client, &old, presented, now).await,
        Err(err) => return Err(err.into()),
    };
    // RFC 9449 §5: a public client's refresh token is bound to its DPoP key, so only the
    // holder of that key can use it; a confidential client's is bound by its credentials.
    if !client.with_secret && old.dpop_jkt.is_some() && old.dpop_jkt != grant.dpop_jkt {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidDpopProof,
            "The refresh token is bound to a DPoP key: send a proof signed with it.",
        ));
    }
    let minted = match client.app.options.refresh_grace_seconds {
        0 => mint(client, old.user_id, scopes, now),
        _ => {
            let salt = Secret::salt();
            let (access, refresh) = derived_pair(presented, &salt);
            let mut minted = mint_pair(client, old.user_id, scopes, now, access, Some(refresh));
            minted.record.grace_salt = Some(salt.to_vec());
            minted
        }
    };
    let audience = audience(state, old.audience.as_deref(), request.resource.as_deref(), scopes).await?;
    let mut minted = minted.bound_to(&grant.dpop_jkt).for_audience(audience);
    minted.record.previous_token_id = Some(old.id);
    minted.record.family_id = Some(old.family_id);
    match state.store.rotate_refresh_token(old.id, minted.record.clone()).await? {
        Some(_) => Ok(minted.response()),
        // A concurrent rotation won: this request presented a rotated token.
        None => again_or_reused(state, client, &old, presented, now).await,
    }
}

/// A rotated refresh token presented again: within the client's grace window the pair it was
/// rotated to, derived again (the same answer on every instance, since the salt is stored);
/// otherwise reuse.
async fn again_or_reused(
    state: &AppState,
    client: &AuthenticatedClient,
    old: &AccessToken,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let grace = client.app.options.refresh_grace_seconds;
    if grace > 0 {
        if let Some((successor, salt)) = state.store.find_grace_successor(old.id).await? {
            if grant::within_refresh_grace(&successor, grace, now) {
                let (access, refresh) = derived_pair(presented, &salt);
                let response = TokenResponse::new(&access, Some(&refresh), successor.scopes, successor.created_at);
                return Ok(with_token_type(response, successor.dpop_jkt.is_some()));
            }
        }
    }
    Err(reused(state, old.family_id, now).await)
}

/// RFC 9700 §4.14.2: a rotated refresh token came back, so either its holder or an attacker has
/// a copy. Every token of the family is revoked; the legitimate client signs in again.
async fn reused(state: &AppState, family_id: i64, now: DateTime<Utc>) -> OAuthError {
    match state.store.revoke_token_family(family_id, now).await {
        Ok(revoked) => {
            tracing::warn!(family_id, revoked, "rotated refresh token reused; its family was revoked");
            GrantError::RefreshReused.into()
        }
        Err(err) => err.into(),
    }
}

async fn client_credentials(state: &AppState, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
    let (client, request) = (grant.client, grant.request);
    if !client.with_secret {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "Public clients cannot use the client_credentials grant.",
        ));
    }
    let scopes = requested_scopes(client, request.scope.as_deref())?;
    let audience = audience(state, None, request.resource.as_deref(), scopes).await?;
    let minted = mint(client, None, scopes, Utc::now()).bound_to(&grant.dpop_jkt).for_audience(audience);
    state.store.create_access_token(minted.record.clone()).await?;
    Ok(minted.response())
}

/// The audience of the tokens a grant ends in (RFC 8707 §2.2): the grant's own resource, which a
/// token request may repeat but not change; for a grant without one, any resource this server
/// knows that takes the scopes.
async fn audience(
    state: &AppState,
    granted: Option<&str>,
    requested: Option<&str>,
    scopes: ScopeSet,
) -> Result<Option<String>, OAuthError> {
    match granted {
        Some(_) => resource::audience_for(granted, requested).map_err(resources::refusal),
        None => resources::require(state, requested, scopes).await,
    }
}

/// The scopes a client asked for (default `public`), within those it is registered for.
pub(crate) fn requested_scopes(client: &AuthenticatedClient, scope: Option<&str>) -> Result<ScopeSet, OAuthError> {
    let scopes = ScopeSet::parse_requested(scope)
        .map_err(|err| OAuthError::new(OAuthErrorCode::InvalidScope, format!("The scope is invalid: {err}.")))?;
    if !scopes.is_subset_of(client.app.scopes) {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidScope,
            "The application is not registered for the requested scope.",
        ));
    }
    Ok(scopes)
}

/// A device's poll (RFC 8628 §3.4): each poll is recorded, so one that comes too early is told
/// `slow_down` and the interval grows on every instance alike.
async fn device_code(state: &AppState, grant: Grant<'_>) -> Result<TokenResponse, OAuthError> {
    let (client, request) = (grant.client, grant.request);
    let presented = request.device_code.as_deref().ok_or(ParamError::Missing("device_code"))?;
    device::require_device_grant(client)?;
    let now = Utc::now();
    let polled = state
        .store
        .poll_device_authorization(&SecretHash::of(presented), now, SLOW_DOWN_STEP_SECONDS, POLL_SLACK_MS)
        .await?;
    let Some(record) = polled else {
        return Err(OAuthError::new(OAuthErrorCode::InvalidGrant, "The device code is invalid."));
    };
    let user_id = match answer_poll(&record, client.app.id, now) {
        PollAnswer::Approved { user_id } => user_id,
        PollAnswer::Refused(code) => return Err(OAuthError::new(code, poll_refusal(code))),
    };
    let audience = audience(state, record.resource.as_deref(), request.resource.as_deref(), record.scopes).await?;
    let minted = mint(client, Some(user_id), record.scopes, now).bound_to(&grant.dpop_jkt).for_audience(audience);
    match state.store.redeem_device_authorization(record.id, minted.record.clone()).await? {
        Some(_) => Ok(minted.response()),
        // A concurrent poll redeemed it first: the device already has its tokens.
        None => Err(OAuthError::new(OAuthErrorCode::InvalidGrant, poll_refusal(OAuthErrorCode::InvalidGrant))),
    }
}

fn poll_refusal(code: OAuthErrorCode) -> &'static str {
    match code {
        OAuthErrorCode::AuthorizationPending => "The user has not yet approved the device.",
        OAuthErrorCode::SlowDown => "Polled too often: wait 5 more seconds between polls.",
        OAuthErrorCode::AccessDenied => "The user denied the request.",
        OAuthErrorCode::ExpiredToken => "The device code expired; start again.",
        _ => "The device code is invalid, was issued to another client or has been used.",
    }
}
