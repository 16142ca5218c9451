//! OpenID Connect and discovery: userinfo, the JWKS, the authorization server metadata
//! (RFC 8414) and OpenID Connect discovery, and Doorkeeper's token info.

use crate::error::{ApiError, ApiErrorBody};
use crate::extract::bearer::ApiRequest;
use crate::extract::client_assertion;
use crate::{keys, AppState, ArrivalPolicy, ServerConfig};
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};
use ticketbooth_domain::model::IdTokenAlg;
use ticketbooth_domain::oidc::{subject, UserClaims};
use ticketbooth_domain::Scope;
use utoipa::ToSchema;

/// The userinfo answer: `sub` and the claims the token's scopes release.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserInfo {
    sub: String,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    claims: UserClaims,
}

/// The signed-in user's claims (OpenID Connect Core §5.3). Needs a token with the `openid` scope.
#[utoipa::path(
    get,
    path = "/oauth/userinfo",
    operation_id = "get_userinfo",
    tag = "OAuth 2",
    responses((status = 200, body = UserInfo), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)),
    security(("user_token" = ["openid"]))
)]
pub(crate) async fn userinfo(request: ApiRequest) -> Result<Json<UserInfo>, ApiError> {
    claims(request)
}

/// The signed-in user's claims, asked with POST (OpenID Connect Core §5.3.1).
#[utoipa::path(
    post,
    path = "/oauth/userinfo",
    operation_id = "post_userinfo",
    tag = "OAuth 2",
    responses((status = 200, body = UserInfo), (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)),
    security(("user_token" = ["openid"]))
)]
pub(crate) async fn userinfo_posted(request: ApiRequest) -> Result<Json<UserInfo>, ApiError> {
    claims(request)
}

fn claims(request: ApiRequest) -> Result<Json<UserInfo>, ApiError> {
    request.bearer.require(Scope::OpenId)?;
    request.bearer.user_id()?;
    let user =
        request.bearer.user.as_ref().ok_or_else(|| ApiError::invalid_token("The token's user no longer exists."))?;
    Ok(Json(UserInfo { sub: subject(user.id), claims: UserClaims::for_scopes(user, request.bearer.token.scopes) }))
}

/// Doorkeeper's token info: the bearer token's own details.
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenInfo {
    resource_owner_id: Option<i64>,
    scope: Vec<&'static str>,
    expires_in: i64,
    application: TokenInfoApplication,
    created_at: i64,
    /// The resource server the token is for (RFC 8707), when it was issued for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct TokenInfoApplication {
    uid: String,
}

/// The bearer token's owner, scopes, remaining lifetime and application.
#[utoipa::path(
    get,
    path = "/oauth/token/info",
    operation_id = "get_token_info",
    tag = "OAuth 2",
    responses((status = 200, body = TokenInfo), (status = 401, body = ApiErrorBody)),
    security(("user_token" = []), ("application_token" = []))
)]
pub(crate) async fn token_info(
    State(state): State<AppState>,
    request: ApiRequest,
) -> Result<Json<TokenInfo>, ApiError> {
    let token = &request.bearer.token;
    let app = state.store.find_application(token.application_id).await?;
    Ok(Json(TokenInfo {
        resource_owner_id: token.user_id,
        scope: token.scopes.iter().map(Scope::as_str).collect(),
        expires_in: (token.expires_at - Utc::now()).num_seconds().max(0),
        application: TokenInfoApplication { uid: app.map(|app| app.client_id).unwrap_or_default() },
        created_at: token.created_at.timestamp(),
        aud: token.audience.clone(),
    }))
}

/// The public keys that verify ID tokens, current and recently retired (RFC 7517).
#[utoipa::path(get, path = "/oauth/discovery/keys", operation_id = "get_signing_keys", tag = "OAuth 2", responses((status = 200, description = "A JWK Set")))]
pub(crate) async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(keys::jwks(&state.store).await?))
}

fn metadata(config: &ServerConfig) -> serde_json::Map<String, Value> {
    let issuer = config.issuer.as_str();
    let url = |path: &str| format!("{issuer}{path}");
    // `create` (OpenID Connect Prompt Create) only while people may sign up.
    let prompts: &[&str] = if config.sign_up {
        &["none", "login", "consent", "select_account", "create"]
    } else {
        &["none", "login", "consent", "select_account"]
    };
    let value = json!({
        "issuer": issuer,
        "authorization_endpoint": url("/oauth/authorize"),
        "token_endpoint": url("/oauth/token"),
        "revocation_endpoint": url("/oauth/revoke"),
        "introspection_endpoint": url("/oauth/introspect"),
        "userinfo_endpoint": url("/oauth/userinfo"),
        "device_authorization_endpoint": url("/oauth/device_authorization"),
        "end_session_endpoint": url("/oauth/logout"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": false,
        "pushed_authorization_request_endpoint": url("/oauth/par"),
        // Per application (`apps create --require-par`); the server itself takes both.
        "require_pushed_authorization_requests": false,
        "jwks_uri": url("/oauth/discovery/keys"),
        "service_documentation": url("/docs/api"),
        "scopes_supported": Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": client_assertion::SIGNING_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": client_assertion::SIGNING_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": client_assertion::SIGNING_ALGORITHMS,
        "code_challenge_methods_supported": ["S256"],
        // Extensions that state the profile (`serve --profile`): RFC 9728's name for where the
        // resource API takes tokens, and whether every client must use PKCE.
        "bearer_methods_supported": config.profile.bearer_methods(),
        "pkce_required": config.profile.requires_pkce(),
        "dpop_signing_alg_values_supported": ticketbooth_domain::dpop::SIGNING_ALGORITHMS,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": prompts,
    });
    let mut map = match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    // Clients that arrive by themselves, as the operator's policy allows.
    map.insert(
        "client_id_metadata_document_supported".into(),
        json!(config.client_metadata_documents != ArrivalPolicy::Off),
    );
    if config.registration != ArrivalPolicy::Off {
        map.insert("registration_endpoint".into(), json!(url("/oauth/register")));
    }
    map
}

/// Authorization server metadata (RFC 8414).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", operation_id = "get_authorization_server_metadata", tag = "OAuth 2", responses((status = 200, description = "RFC 8414 metadata")))]
pub(crate) async fn oauth_metadata(State(state): State<AppState>) -> Json<Value> {
    Json(Value::Object(metadata(&state.config)))
}

/// OpenID Connect discovery (OpenID Connect Discovery 1.0 §3).
#[utoipa::path(get, path = "/.well-known/openid-configuration", operation_id = "get_openid_configuration", tag = "OAuth 2", responses((status = 200, description = "OpenID Provider metadata")))]
pub(crate) async fn openid_configuration(State(state): State<AppState>) -> Json<Value> {
    let mut map = metadata(&state.config);
    map.insert("subject_types_supported".into(), json!(["public"]));
    map.insert("id_token_signing_alg_values_supported".into(), json!(IdTokenAlg::ALL.map(IdTokenAlg::as_str)));
    map.insert(
        "claims_supported".into(),
        json!([
            "iss",
            "sub",
            "aud",
            "azp",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "name",
            "given_name",
            "family_name",
            "email",
            "email_verified",
        ]),
    );
    map.insert("claims_parameter_supported".into(), json!(false));
    map.insert("request_parameter_supported".into(), json!(false));
    Json(Value::Object(map))
}
