//! Connected applications (`/account/applications`): the applications the person authorized,
//! each with a button that revokes the grant and every token the application holds for them.

use super::{frame, AccountForm, Visit};
use crate::error::PageError;
use crate::extract::form::CsrfOnly;
use crate::i18n::Tr;
use crate::oauth::authorize::scope_message;
use crate::pages::templates::{AppsPage, AuthorizedApp};
use crate::pages::{page, see_other};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

/// The applications the signed-in user has authorized.
#[utoipa::path(
    get,
    path = "/account/applications",
    operation_id = "show_connected_applications",
    tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let apps = state
        .store
        .list_consents(user.id)
        .await?
        .into_iter()
        .map(|consent| AuthorizedApp {
            id: consent.application.id,
            name: consent.application.name,
            scopes: consent.scopes.iter().map(scope_message).collect(),
            granted_on: t.date(consent.granted_at),
        })
        .collect();
    page(StatusCode::OK, &AppsPage { frame: frame(t, "/account/applications", &session, &user, None), apps })
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
        (status = 303, description = "Revoked: back to the connected applications"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    )
)]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    AccountForm { user, .. }: AccountForm<CsrfOnly>,
) -> Result<Response, PageError> {
    if let Ok(application_id) = application_id.parse::<i64>() {
        let revoked = state.store.revoke_consent(user.id, application_id, Utc::now()).await?;
        tracing::info!(application_id, revoked, "user revoked an application's access");
    }
    Ok(see_other("/account/applications"))
}
