//! `GET /oauth/authorize` shows the consent page (after sign-in); `POST /oauth/authorize` takes
//! the user's decision and redirects to the client with a code or `access_denied`
//! (RFC 6749 §4.1.1–§4.1.2.1, contract §3).

use crate::client_documents::{self, ClientLookup};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::{CsrfForm, CsrfProtected};
use crate::extract::params::Params;
use crate::extract::params::{FromParams, ParamError};
use crate::extract::session;
use crate::i18n::Tr;
use crate::oauth::par;
use crate::pages::templates::ConsentPage;
use crate::resources;
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use ticketbooth_domain::authorize::{
    self, AuthorizationParams, AuthorizeError, Prompt, RedirectedError, UnsafeToRedirect, ValidAuthorization,
};
use ticketbooth_domain::client_metadata;
use ticketbooth_domain::model::{Application, BrowserSession, ClientOrigin, NewAuthorizationCode, User};
use ticketbooth_domain::redirect;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::token::AUTHORIZATION_CODE_TTL;
use ticketbooth_domain::{OAuthErrorCode, Scope};

/// The consent form: the session's CSRF token, the decision, and the authorization request's
/// parameters (those of `GET /oauth/authorize`) carried through the page as hidden fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct ConsentForm {
    /// The session's CSRF token, from the consent page.
    #[schema(value_type = String)]
    csrf_token: Option<String>,
    /// `approve` or `deny`.
    #[schema(value_type = String)]
    decision: Option<String>,
    #[schema(ignore)]
    request: AuthorizationParams,
}

impl FromParams for ConsentForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(ConsentForm {
            csrf_token: params.optional("csrf_token")?,
            decision: params.optional("decision")?,
            request: AuthorizationParams::from_pairs(params.pairs()),
        })
    }
}

impl CsrfProtected for ConsentForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The authorization endpoint: shows the consent page, or sends the browser to sign in first
/// (without a session, with `prompt=login`, or when the sign-in is older than `max_age`).
///
/// An unknown client or an unregistered redirect URI shows an error page (400) and never
/// redirects; every other error is redirected to the client with `error` and `state`.
#[utoipa::path(
    get,
    path = "/oauth/authorize",
    operation_id = "start_authorization",
    tag = "OAuth 2",
    params(AuthorizationParams),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html"),
        (status = 302, description = "An error redirected to the client (RFC 6749 §4.1.2.1)"),
        (status = 303, description = "To the sign-in page"),
        (status = 400, description = "Unknown client or redirect URI: an error page", content_type = "text/html"),
    )
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let params =
        Params::from_urlencoded(&query).map_err(|_| PageError::bad_request("error-authorization-malformed"))?;
    let request = AuthorizationParams::from_pairs(params.pairs());
    let Validated { app, valid, pushed } = match validate(&state, &request, &address).await? {
        Ok(validated) => validated,
        Err(response) => return Ok(response),
    };
    let signed_in = session::signed_in(&state, &headers).await?;
    if valid.wants_sign_up(signed_in.as_ref().and_then(|(session, _)| session.authenticated_at)) {
        // OpenID Connect Prompt Create: sign-up first, then this request without `create`.
        if !state.config.sign_up {
            return Ok(redirect_error(&state, valid.error(OAuthErrorCode::InvalidRequest, "Sign-up is turned off.")));
        }
        return Ok(see_other(&format!("/account/new?{}", return_to_query(&request))));
    }
    let fresh = signed_in.filter(|(session, _)| !valid.needs_sign_in(session.authenticated_at, Utc::now()));
    let Some((session, user)) = fresh else {
        if valid.prompt == Prompt::None {
            return Ok(redirect_error(&state, valid.error(OAuthErrorCode::LoginRequired, "The user must sign in.")));
        }
        return Ok(see_other(&format!("/session/new?{}", return_to_query(&request))));
    };
    // Remembered consent: a user who already granted these scopes is not asked again.
    let granted = state.store.find_consent(user.id, app.id).await?;
    if valid.prompt != Prompt::Consent && granted.is_some_and(|granted| valid.scopes.is_subset_of(granted)) {
        return approve(&state, &app, &user, &session, &valid, pushed.as_ref()).await;
    }
    if valid.prompt == Prompt::None {
        return Ok(redirect_error(&state, valid.error(OAuthErrorCode::ConsentRequired, "The user has not consented.")));
    }
    let signed_in_as =
        t.tn("consent-signed-in", &[("email", &user.email), ("host", &redirect_host(&valid.redirect_uri))]);
    let here = format!("/oauth/authorize?{query}");
    // A metadata-document client is whoever controls its host: the page names the host, and warns
    // when the client only returns to the person's own device, where any program can claim a name.
    let document_host =
        (app.origin == ClientOrigin::MetadataDocument).then(|| client_metadata::document_host(&app.client_id));
    let page = ConsentPage {
        loopback_only: document_host.is_some() && client_metadata::redirects_only_to_loopback(&app.redirect_uris),
        document_host,
        t,
        here: &here,
        app_name: &app.name,
        signed_in_as,
        scopes: valid.scopes.iter().map(scope_message).collect(),
        hidden: request.to_pairs(),
        csrf_token: &session.csrf_token,
    };
    Ok(Html(page.render()?).into_response())
}

/// Takes the consent form's decision: redirects to the client with a code, or `access_denied`.
///
/// Needs a signed-in session and its CSRF token (403 otherwise).
#[utoipa::path(
    post,
    path = "/oauth/authorize",
    operation_id = "decide_consent",
    tag = "OAuth 2",
    request_body(content = ConsentForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the client's redirect URI with `code` and `state`, or `error=access_denied`"),
        (status = 400, description = "An error page", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token, or no session", content_type = "text/html"),
    )
)]
pub(crate) async fn decide(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    CsrfForm { session, form }: CsrfForm<ConsentForm>,
) -> Result<Response, PageError> {
    let user = match session.user_id {
        Some(user_id) => state.store.find_user(user_id).await?,
        None => None,
    };
    let Some(user) = user else {
        return Err(PageError::forbidden_csrf());
    };
    // The hidden fields are re-validated: nothing the browser sends back is trusted.
    let Validated { app, valid, pushed } = match validate(&state, &form.request, &address).await? {
        Ok(validated) => validated,
        Err(response) => return Ok(response),
    };
    match form.decision.as_deref() {
        Some("approve") => {
            let granted = state.store.find_consent(user.id, app.id).await?.unwrap_or_default();
            let scopes = valid.scopes.iter().fold(granted, |set, scope| set.with(scope));
            state.store.save_consent(user.id, app.id, scopes, Utc::now()).await?;
            approve(&state, &app, &user, &session, &valid, pushed.as_ref()).await
        }
        Some("deny") => {
            if let Some(pushed) = &pushed {
                spend(&state, &app, pushed).await?;
            }
            Ok(redirect_error(&state, valid.error(OAuthErrorCode::AccessDenied, "The user denied the request.")))
        }
        _ => Err(PageError::bad_request("error-decision-missing")),
    }
}

/// Issues a code and sends the browser back to the client with `code`, `state` and `iss`.
async fn approve(
    state: &AppState,
    app: &Application,
    user: &User,
    session: &BrowserSession,
    valid: &ValidAuthorization,
    pushed: Option<&SecretHash>,
) -> Result<Response, PageError> {
    if let Some(pushed) = pushed {
        spend(state, app, pushed).await?;
    }
    let code = issue_code(state, app, user, valid, session.authenticated_at).await?;
    let mut query = vec![("code", code.expose())];
    if let Some(state_param) = &valid.state {
        query.push(("state", state_param));
    }
    query.push(("iss", &state.config.issuer));
    Ok(found(redirect::with_query(&valid.redirect_uri, &query)))
}

/// An error redirected to the client, naming this server as `iss` (RFC 9207 mix-up defence).
fn redirect_error(state: &AppState, error: RedirectedError) -> Response {
    found(redirect::with_query(&error.location(), &[("iss", &state.config.issuer)]))
}

/// A request that passed validation: its client, its rules and, for a pushed request (RFC 9126),
/// the hash of its `request_uri`, spent when the user decides.
struct Validated {
    app: Application,
    valid: ValidAuthorization,
    pushed: Option<SecretHash>,
}

/// Looks up the client and validates the request (the pushed one, for a `request_uri`). The outer
/// error is a page; the inner `Err` is a ready response (an error page or an error redirected to
/// the client).
async fn validate(
    state: &AppState,
    request: &AuthorizationParams,
    address: &str,
) -> Result<Result<Validated, Response>, PageError> {
    let client_id = match authorize::require_client_id(request) {
        Ok(client_id) => client_id,
        Err(err) => return Ok(Err(unsafe_to_redirect(err))),
    };
    // A suspended or rejected application is refused as an unknown one.
    let app = match client_documents::look_up(state, client_id, address).await? {
        ClientLookup::Usable(app) => *app,
        ClientLookup::Unknown => return Ok(Err(unsafe_to_redirect(UnsafeToRedirect::UnknownClient))),
        ClientLookup::BadDocument(why) => return Ok(Err(PageError::bad_request_detail(why).into_response())),
        ClientLookup::Throttled(wait) => {
            let mut busy =
                PageError::new(StatusCode::TOO_MANY_REQUESTS, "error-busy-title", "throttled").into_response();
            busy.headers_mut().insert(header::RETRY_AFTER, wait.into());
            return Ok(Err(busy));
        }
        ClientLookup::AwaitingApproval => {
            return Err(PageError::new(StatusCode::FORBIDDEN, "awaiting-approval-title", "awaiting-approval-body"))
        }
    };
    let (pushed, flow_started_at, pushed_params) = match &request.request_uri {
        None => (None, None, None),
        Some(request_uri) => {
            let opened = match par::request_uri_hash(request_uri) {
                Some(hash) => state
                    .store
                    .open_pushed_request(&hash, app.id, Utc::now(), AUTHORIZATION_CODE_TTL)
                    .await?
                    .map(|opened| (hash, opened)),
                None => None,
            };
            let Some((hash, opened)) = opened else {
                return Ok(Err(PageError::bad_request_detail(par::refused_request_uri()).into_response()));
            };
            let params = Params::from_urlencoded(&opened.parameters)
                .map_err(|_| PageError::bad_request("error-authorization-malformed"))?;
            (Some(hash), Some(opened.opened_at), Some(AuthorizationParams::from_pairs(params.pairs())))
        }
    };
    let mut valid = match authorize::validate(pushed_params.as_ref().unwrap_or(request), &app) {
        Ok(valid) => valid,
        Err(AuthorizeError::UnsafeToRedirect(err)) => return Ok(Err(unsafe_to_redirect(err))),
        Err(AuthorizeError::Redirect(err)) => return Ok(Err(redirect_error(state, err))),
    };
    valid.flow_started_at = flow_started_at;
    match resources::check(state, valid.resource.as_deref(), valid.scopes).await? {
        Ok(resource) => valid.resource = resource,
        Err(err) => {
            let error = valid.error(resources::error_code(&err), &err.to_string());
            return Ok(Err(redirect_error(state, error)));
        }
    }
    if app.options.require_par && pushed.is_none() {
        let error =
            valid.error(OAuthErrorCode::InvalidRequest, "This application must push its requests to /oauth/par.");
        return Ok(Err(redirect_error(state, error)));
    }
    if state.config.profile.requires_pkce() && valid.code_challenge.is_none() {
        return Ok(Err(redirect_error(state, valid.error(OAuthErrorCode::InvalidRequest, par::PKCE_REQUIRED))));
    }
    Ok(Ok(Validated { app, valid, pushed }))
}

/// Spends a pushed request as the user decides: a second decision on it is refused.
async fn spend(state: &AppState, app: &Application, pushed: &SecretHash) -> Result<(), PageError> {
    match state.store.spend_pushed_request(pushed, app.id, Utc::now()).await? {
        true => Ok(()),
        false => Err(PageError::bad_request_detail(par::refused_request_uri())),
    }
}

fn unsafe_to_redirect(err: UnsafeToRedirect) -> Response {
    PageError::bad_request_detail(err.to_string()).into_response()
}

async fn issue_code(
    state: &AppState,
    app: &Application,
    user: &User,
    valid: &ValidAuthorization,
    authenticated_at: Option<chrono::DateTime<Utc>>,
) -> Result<Secret, PageError> {
    let code = Secret::generate();
    let now = Utc::now();
    state
        .store
        .create_authorization_code(NewAuthorizationCode {
            code_hash: code.hash(),
            application_id: app.id,
            user_id: user.id,
            redirect_uri: valid.redirect_uri.clone(),
            redirect_uri_was_sent: valid.redirect_uri_was_sent,
            scopes: valid.scopes,
            code_challenge: valid.code_challenge.clone(),
            nonce: valid.nonce.clone(),
            resource: valid.resource.clone(),
            auth_time: authenticated_at.unwrap_or(now),
            created_at: now,
            expires_at: now + AUTHORIZATION_CODE_TTL,
        })
        .await?;
    Ok(code)
}

/// `return_to=…` naming this request again, without the prompts that sign-in or sign-up answer.
fn return_to_query(request: &AuthorizationParams) -> String {
    let again = request.after_sign_in();
    let again = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(again.to_pairs()).finish();
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", &format!("/oauth/authorize?{again}"))
        .finish()
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

/// The message id of a scope's description on the consent and account pages.
pub(crate) fn scope_message(scope: Scope) -> &'static str {
    match scope {
        Scope::Public => "scope-public",
        Scope::Organizer => "scope-organizer",
        Scope::OpenId => "scope-openid",
        Scope::Profile => "scope-profile",
        Scope::Email => "scope-email",
    }
}

/// `302 Found`, the status RFC 6749 §4.1.2's examples use.
fn found(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The host the user will be sent to, shown on the consent page so they know where they go.
fn redirect_host(redirect_uri: &str) -> String {
    url::Url::parse(redirect_uri)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned).or_else(|| Some(url.scheme().to_owned())))
        .unwrap_or_default()
}
