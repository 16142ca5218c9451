//! The account page: the applications the user has authorized, each with a button that revokes
//! the grant and every token the application holds for the user.

use super::templates::{AccountPage, AuthorizedApp};
use crate::error::PageError;
use crate::extract::form::{CsrfForm, CsrfOnly};
use crate::extract::session;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

fn to_sign_in() -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, "/session/new?return_to=%2Faccount")]).into_response()
}

/// The applications the signed-in user has authorized.
#[utoipa::path(
    get,
    path = "/account",
    operation_id = "show_account",
    tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let Some(session) = session::current(&state, &headers).await?.filter(|s| s.user_id.is_some()) else {
        return Ok(to_sign_in());
    };
    let user_id = session.user_id.unwrap_or_default();
    let Some(user) = state.store.find_user(user_id).await? else { return Ok(to_sign_in()) };
    let apps = state
        .store
        .list_consents(user.id)
        .await?
        .into_iter()
        .map(|consent| AuthorizedApp {
            id: consent.application.id,
            name: consent.application.name,
            scopes: consent.scopes.iter().map(|scope| scope.description()).collect(),
            granted_on: consent.granted_at.format("%-d %B %Y").to_string(),
        })
        .collect();
    let page = AccountPage { user_email: &user.email, csrf_token: &session.csrf_token, apps };
    Ok(Html(page.render()?).into_response())
}

/// Revokes an application's access: forgets the consent and revokes every token it holds for the
/// user. Needs the form's CSRF token.
#[utoipa::path(
    post,
    path = "/account/applications/{application_id}/revoke",
    operation_id = "revoke_application_access",
    tag = "Pages",
    params(("application_id" = i64, Path)),
    responses(
        (status = 303, description = "Revoked: back to the account page"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    )
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    CsrfForm { session, .. }: CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let Some(user_id) = session.user_id else {
        return Err(PageError::forbidden_csrf());
    };
    if let Ok(application_id) = application_id.parse::<i64>() {
        let revoked = state.store.revoke_consent(user_id, application_id, Utc::now()).await?;
        tracing::info!(application_id, revoked, "user revoked an application's access");
    }
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/account")]).into_response())
}
