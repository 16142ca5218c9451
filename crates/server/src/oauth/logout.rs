//! `GET|POST /oauth/logout`: OpenID Connect RP-Initiated Logout 1.0. An application sends the
//! browser here to end the person's Ticketbooth session, naming itself by `id_token_hint` (or
//! `client_id`) and where to come back to (`post_logout_redirect_uri`, registered, matched
//! exactly, with `state` echoed). Without a valid hint for the signed-in person the page asks them
//! first, so no other site can sign them out. Each sign-out queues back-channel logout
//! notifications (`crate::logout`).

use crate::error::PageError;
use crate::extract::form::{CsrfForm, CsrfProtected, FormRejection};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::extract::session;
use crate::i18n::Tr;
use crate::pages::templates::LogoutPage;
use crate::pages::{notice, page};
use crate::{keys, logout, AppState};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ticketbooth_domain::model::{Application, BrowserSession};
use ticketbooth_domain::oidc::subject;
use ticketbooth_domain::redirect;

/// The end-session request (RP-Initiated Logout 1.0 §2), as a query or a form.
#[derive(Default, utoipa::IntoParams, utoipa::ToSchema)]
#[into_params(parameter_in = Query)]
pub(crate) struct EndSessionRequest {
    /// An ID token this server issued to the application (expired ones are accepted).
    id_token_hint: Option<String>,
    /// The application, when there is no `id_token_hint`; must match its `aud` otherwise.
    client_id: Option<String>,
    /// Where to send the browser afterwards: one of the application's registered URIs.
    post_logout_redirect_uri: Option<String>,
    /// Echoed to `post_logout_redirect_uri`.
    state: Option<String>,
    /// The confirmation form's CSRF token.
    #[param(ignore)]
    csrf_token: Option<String>,
}

impl FromParams for EndSessionRequest {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(EndSessionRequest {
            id_token_hint: params.optional("id_token_hint")?,
            client_id: params.optional("client_id")?,
            post_logout_redirect_uri: params.optional("post_logout_redirect_uri")?,
            state: params.optional("state")?,
            csrf_token: params.optional("csrf_token")?,
        })
    }
}

impl CsrfProtected for EndSessionRequest {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// Who asked for the sign-out, and where the browser goes after it.
struct EndSession {
    app: Option<Application>,
    /// The `sub` of a valid `id_token_hint`.
    hinted_subject: Option<String>,
    /// `post_logout_redirect_uri` with `state`, once checked against the registration.
    return_to: Option<String>,
}

/// Signs the person out, or asks them first.
///
/// With a valid `id_token_hint` for the signed-in person the session ends at once; otherwise a
/// page asks. An unknown application, an invalid hint or an unregistered
/// `post_logout_redirect_uri` gets an error page, never a redirect.
#[utoipa::path(
    get,
    path = "/oauth/logout",
    operation_id = "logout_from_application",
    tag = "OAuth 2",
    params(EndSessionRequest),
    responses(
        (status = 200, description = "The confirmation page, or the signed-out page", content_type = "text/html"),
        (status = 302, description = "Signed out: to `post_logout_redirect_uri` with `state`"),
        (status = 400, description = "An error page", content_type = "text/html"),
    )
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::from_urlencoded(&query.unwrap_or_default())
        .map_err(|_| PageError::bad_request("error-authorization-malformed"))?;
    let request =
        EndSessionRequest::from_params(&params).map_err(|err| PageError::bad_request_detail(err.to_string()))?;
    let end = resolve(&state, &request).await?;
    let Some((session, user)) = session::signed_in(&state, &headers).await? else {
        return finish(&state, t, None, &end).await;
    };
    if end.hinted_subject.as_deref() == Some(subject(user.id).as_str()) {
        return finish(&state, t, Some(&session), &end).await;
    }
    let hidden: Vec<(&'static str, &str)> = [
        ("id_token_hint", &request.id_token_hint),
        ("client_id", &request.client_id),
        ("post_logout_redirect_uri", &request.post_logout_redirect_uri),
        ("state", &request.state),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
    .collect();
    let asked_by = end.app.as_ref().map(|app| t.t1("logout-asked-by", "app", &app.name));
    let signed_in_as = t.t1("home-signed-in", "email", &user.email);
    page(
        StatusCode::OK,
        &LogoutPage { t, here: "/oauth/logout", csrf_token: &session.csrf_token, asked_by, signed_in_as, hidden },
    )
}

/// The confirmation page's answer: signs the person out. Needs the page's CSRF token.
#[utoipa::path(
    post,
    path = "/oauth/logout",
    operation_id = "confirm_logout_from_application",
    tag = "OAuth 2",
    request_body(content = EndSessionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The signed-out page", content_type = "text/html"),
        (status = 302, description = "Signed out: to `post_logout_redirect_uri` with `state`"),
        (status = 400, description = "An error page", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    )
)]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    t: Tr,
    form: Result<CsrfForm<EndSessionRequest>, FormRejection>,
) -> Result<Response, PageError> {
    let (session, request) = match form {
        Ok(CsrfForm { session, form }) => (Some(session), form),
        // Signed out already: nothing to end, and nowhere checked to go.
        Err(FormRejection::NoSession) => (None, EndSessionRequest::default()),
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let end = resolve(&state, &request).await?;
    finish(&state, t, session.as_ref(), &end).await
}

/// Checks the request: the hint is ours, names the same application as `client_id`, and the
/// return URI is one that application registered.
async fn resolve(state: &AppState, request: &EndSessionRequest) -> Result<EndSession, PageError> {
    let hint = match &request.id_token_hint {
        Some(token) => Some(
            keys::verify_own(&state.store, &state.config.issuer, token)
                .await?
                .ok_or_else(|| PageError::bad_request_detail("The id_token_hint is not an ID token of this server."))?,
        ),
        None => None,
    };
    let hinted_client = hint.as_ref().and_then(|claims| match &claims["aud"] {
        serde_json::Value::String(aud) => Some(aud.clone()),
        serde_json::Value::Array(auds) => auds.first().and_then(|aud| aud.as_str()).map(str::to_owned),
        _ => None,
    });
    let client_id = match (&request.client_id, hinted_client) {
        (Some(named), Some(hinted)) if *named != hinted => {
            return Err(PageError::bad_request_detail("client_id does not match the id_token_hint's audience."))
        }
        (named, hinted) => named.clone().or(hinted),
    };
    let app =
        match &client_id {
            Some(client_id) => {
                Some(state.store.find_application_by_client_id(client_id).await?.ok_or_else(|| {
                    PageError::bad_request_detail("No application is registered with this client_id.")
                })?)
            }
            None => None,
        };
    let return_to = match (&request.post_logout_redirect_uri, &app) {
        (None, _) => None,
        (Some(uri), Some(app)) if app.post_logout_redirect_uris.iter().any(|registered| registered == uri) => {
            let query: Vec<(&str, &str)> = request.state.as_deref().map(|state| ("state", state)).into_iter().collect();
            Some(redirect::with_query(uri, &query))
        }
        (Some(_), _) => {
            return Err(PageError::bad_request_detail(
                "post_logout_redirect_uri is not registered for this application (or no application was named).",
            ))
        }
    };
    let hinted_subject = hint.and_then(|claims| claims["sub"].as_str().map(str::to_owned));
    Ok(EndSession { app, hinted_subject, return_to })
}

/// Ends the session (after queueing its back-channel notifications), then goes where asked.
async fn finish(
    state: &AppState,
    t: Tr,
    session: Option<&BrowserSession>,
    end: &EndSession,
) -> Result<Response, PageError> {
    if let Some(session) = session {
        if let Some(user_id) = session.user_id {
            logout::queue(state, user_id).await?;
        }
        state.store.delete_session(&session.id_hash).await?;
    }
    let mut response = match &end.return_to {
        Some(location) => (StatusCode::FOUND, [(header::LOCATION, location.clone())]).into_response(),
        None => {
            notice(t, "/oauth/logout", StatusCode::OK, t.t("signed-out-title"), vec![t.t("signed-out-body")], None)?
        }
    };
    response.headers_mut().insert(header::SET_COOKIE, session::clear_cookie());
    Ok(response)
}
