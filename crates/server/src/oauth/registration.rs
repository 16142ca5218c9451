//! Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), behind
//! `serve --registration off|approval|open` (default `off`: Eventpop creates API applications by
//! request only). Under `approval` a registered client exists at once but is refused until an
//! admin approves it in the console.

use crate::error::{no_store_headers, OAuthError, OAuthErrorBody};
use crate::extract::address::ClientAddress;
use crate::throttle::{Attempt, FailureLimits};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use ticketbooth_domain::client_metadata::{AuthMethod, ClientMetadata, MetadataError, Source, ValidClientMetadata};
use ticketbooth_domain::model::{Application, ClientOrigin, NewApplication};
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_domain::secret::{generate_client_id, Secret, SecretHash};
use ticketbooth_domain::OAuthErrorCode;
use utoipa::ToSchema;

/// A registered client's information (RFC 7591 §3.2.1, RFC 7592 §3).
#[derive(Serialize, ToSchema)]
pub(crate) struct ClientInformation {
    client_id: String,
    /// Only in the registration's answer: it is stored hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// 0: the secret does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    client_id_issued_at: i64,
    /// Only in the registration's answer: it is stored hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    registration_access_token: Option<String>,
    registration_client_uri: String,
    client_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_uri: Option<String>,
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: &'static str,
    grant_types: Vec<String>,
    response_types: Vec<&'static str>,
    scope: String,
    id_token_signed_response_alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// `approved`, or `pending` until an admin approves the client (`--registration approval`).
    review_status: &'static str,
}

/// Registers a client (RFC 7591 §3.1).
///
/// Answers 403 `access_denied` while registration is off (the default).
#[utoipa::path(
    post,
    path = "/oauth/register",
    operation_id = "register_client",
    tag = "OAuth 2",
    request_body(content = ClientMetadata, content_type = "application/json"),
    responses(
        (status = 201, body = ClientInformation),
        (status = 400, description = "invalid_client_metadata or invalid_redirect_uri", body = OAuthErrorBody),
        (status = 403, description = "Registration is off", body = OAuthErrorBody),
        (status = 429, description = "Too many registrations from this address; see Retry-After", body = OAuthErrorBody),
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let Some(review) = state.config.registration.newcomer_review() else {
        return Err(OAuthError::new(OAuthErrorCode::AccessDenied, "Dynamic client registration is off.")
            .with_status(StatusCode::FORBIDDEN));
    };
    let now = chrono::Utc::now();
    let attempt = Attempt::new("register", "registration", &address, FailureLimits::ARRIVALS, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        return Err(OAuthError::throttled(wait));
    }
    let valid = read_metadata(&headers, &body)?;
    let secret = matches!(valid.auth_method, AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost)
        .then(Secret::generate);
    let registration_token = Secret::generate();
    let app = state
        .store
        .create_application(NewApplication {
            client_id: generate_client_id(),
            secret_hash: secret.as_ref().map(Secret::hash),
            origin: ClientOrigin::Registration,
            review,
            registration_token_hash: Some(registration_token.hash()),
            ..application(valid)
        })
        .await?;
    tracing::info!(client_id = %app.client_id, address = %address, review = review.as_str(), "client registered");
    let mut information = information(&state, &app);
    information.client_secret = secret.map(|secret| secret.expose().to_owned());
    information.client_secret_expires_at = information.client_secret.as_ref().map(|_| 0);
    information.registration_access_token = Some(registration_token.expose().to_owned());
    Ok((StatusCode::CREATED, no_store_headers(), Json(information)).into_response())
}

/// Reads a registered client's information (RFC 7592 §2.1), with its registration access token.
#[utoipa::path(
    get,
    path = "/oauth/register/{client_id}",
    operation_id = "read_registered_client",
    tag = "OAuth 2",
    params(("client_id" = String, Path)),
    responses(
        (status = 200, body = ClientInformation),
        (status = 401, description = "invalid_token: not this client's registration access token", body = OAuthErrorBody),
    ),
    security(("registration_token" = []))
)]
pub(crate) async fn read(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let app = registered(&state, &client_id, &headers).await?;
    Ok((no_store_headers(), Json(information(&state, &app))).into_response())
}

/// Replaces a registered client's metadata (RFC 7592 §2.2). The authentication method cannot
/// change; `client_id` in the body must be the client's.
#[utoipa::path(
    put,
    path = "/oauth/register/{client_id}",
    operation_id = "update_registered_client",
    tag = "OAuth 2",
    params(("client_id" = String, Path)),
    request_body(content = ClientMetadata, content_type = "application/json"),
    responses(
        (status = 200, body = ClientInformation),
        (status = 400, description = "invalid_client_metadata or invalid_redirect_uri", body = OAuthErrorBody),
        (status = 401, description = "invalid_token: not this client's registration access token", body = OAuthErrorBody),
    ),
    security(("registration_token" = []))
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let app = registered(&state, &client_id, &headers).await?;
    let metadata: ClientMetadata = parse(&headers, &body)?;
    if metadata.client_id.as_deref() != Some(app.client_id.as_str()) {
        return Err(invalid_metadata("The body's client_id must be the client's."));
    }
    let valid = metadata.validate(Source::Registration).map_err(metadata_error)?;
    if valid.auth_method != auth_method(&app) {
        return Err(invalid_metadata("token_endpoint_auth_method cannot change; register a new client instead."));
    }
    let updated = state.store.update_registered_client(app.id, application(valid)).await?;
    let updated = updated.ok_or_else(unknown_registration)?;
    Ok((no_store_headers(), Json(information(&state, &updated))).into_response())
}

/// Deletes a registered client with its tokens and grants (RFC 7592 §2.3).
#[utoipa::path(
    delete,
    path = "/oauth/register/{client_id}",
    operation_id = "delete_registered_client",
    tag = "OAuth 2",
    params(("client_id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "invalid_token: not this client's registration access token", body = OAuthErrorBody),
    ),
    security(("registration_token" = []))
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let app = registered(&state, &client_id, &headers).await?;
    let actor = Actor { user_id: None, name: format!("client {}", app.client_id), address };
    let audit = AuditEntry::new(&actor, "application.delete", format!("application:{}", app.id));
    state.store.delete_application(app.id, &audit).await?;
    Ok((StatusCode::NO_CONTENT, no_store_headers()).into_response())
}

/// The registered client `client_id`, when the request carries its registration access token.
/// Every failure is the same 401, so the endpoint tells nobody which clients exist.
async fn registered(state: &AppState, client_id: &str, headers: &HeaderMap) -> Result<Application, OAuthError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| SecretHash::of(token.trim()));
    let app = state.store.find_application_by_client_id(client_id).await?;
    match (app, presented) {
        (Some(app), Some(presented))
            if app.origin == ClientOrigin::Registration
                && app.registration_token_hash.as_ref().is_some_and(|stored| stored.constant_time_eq(&presented)) =>
        {
            Ok(app)
        }
        _ => Err(unknown_registration()),
    }
}

fn unknown_registration() -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidToken, "The registration access token is not valid for this client.")
        .with_status(StatusCode::UNAUTHORIZED)
}

fn read_metadata(headers: &HeaderMap, body: &[u8]) -> Result<ValidClientMetadata, OAuthError> {
    let metadata: ClientMetadata = parse(headers, body)?;
    if metadata.client_id.is_some() {
        return Err(invalid_metadata("client_id is assigned by the server; leave it out."));
    }
    metadata.validate(Source::Registration).map_err(metadata_error)
}

fn parse(headers: &HeaderMap, body: &[u8]) -> Result<ClientMetadata, OAuthError> {
    let json = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        value.split(';').next().is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(invalid_metadata("Send the client metadata as application/json."));
    }
    serde_json::from_slice(body).map_err(|err| invalid_metadata(&format!("The client metadata is not valid: {err}.")))
}

fn invalid_metadata(description: &str) -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidClientMetadata, description.to_owned())
}

fn metadata_error(err: MetadataError) -> OAuthError {
    match err {
        MetadataError::RedirectUri(why) => OAuthError::new(OAuthErrorCode::InvalidRedirectUri, why),
        MetadataError::Field(why) => OAuthError::new(OAuthErrorCode::InvalidClientMetadata, why),
    }
}

/// The application fields the metadata decides.
fn application(valid: ValidClientMetadata) -> NewApplication {
    NewApplication {
        name: valid.name,
        website: valid.website,
        redirect_uris: valid.redirect_uris,
        scopes: valid.scopes,
        id_token_alg: valid.id_token_alg,
        jwks: valid.jwks,
        ..NewApplication::default()
    }
}

fn auth_method(app: &Application) -> AuthMethod {
    match (&app.secret_hash, &app.jwks) {
        (_, Some(_)) => AuthMethod::PrivateKeyJwt,
        (Some(_), None) => AuthMethod::ClientSecretBasic,
        (None, None) => AuthMethod::None,
    }
}

fn information(state: &AppState, app: &Application) -> ClientInformation {
    let mut grant_types = vec!["authorization_code".to_owned(), "refresh_token".to_owned()];
    if app.is_confidential() {
        grant_types.push("client_credentials".to_owned());
    }
    ClientInformation {
        client_id: app.client_id.clone(),
        client_secret: None,
        client_secret_expires_at: None,
        client_id_issued_at: app.created_at.timestamp(),
        registration_access_token: None,
        registration_client_uri: state.config.url(&format!("/oauth/register/{}", app.client_id)),
        client_name: app.name.clone(),
        client_uri: Some(app.website.clone()).filter(|website| !website.is_empty()),
        redirect_uris: app.redirect_uris.clone(),
        token_endpoint_auth_method: auth_method(app).as_str(),
        grant_types,
        response_types: vec!["code"],
        scope: app.scopes.to_string(),
        id_token_signed_response_alg: app.id_token_alg.as_str(),
        jwks: app.jwks.as_deref().and_then(|jwks| serde_json::from_str(jwks).ok()),
        review_status: app.review.as_str(),
    }
}
