//! Mailed links that prove an address: the welcome e-mail's (`/account/verify/{secret}`), an
//! e-mail change's (`/account/verify/change/{secret}`), and the banner's "send the link again".

use super::account::AccountForm;
use super::sign_up::send_verification;
use super::{links, notice, see_other};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::CsrfOnly;
use crate::i18n::Tr;
use crate::mail::{self, Notice};
use crate::throttle::Attempt;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_store::StoreError;

fn link_invalid(t: Tr) -> Result<Response, PageError> {
    links::invalid(t, Some(("nav-account", "/account")))
}

/// Confirms the account's address.
#[utoipa::path(
    get,
    path = "/account/verify/{secret}",
    operation_id = "verify_email",
    tag = "Pages",
    params(("secret" = String, Path, description = "The welcome e-mail's link secret")),
    responses((status = 200, description = "Confirmed", content_type = "text/html"), (status = 400, description = "A used, expired or unknown link", content_type = "text/html"))
)]
pub(crate) async fn verify(
    State(state): State<AppState>,
    t: Tr,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let Some(hash) = links::hash_of(&secret) else { return link_invalid(t) };
    if state.store.verify_email(&hash, Utc::now()).await?.is_none() {
        return link_invalid(t);
    }
    let account = Some((t.t("nav-account"), "/account".to_owned()));
    notice(t, "/account", StatusCode::OK, t.t("verify-done-title"), vec![t.t("verify-done-body")], account)
}

/// Moves the account to the address the link was sent to, and tells the old address.
#[utoipa::path(
    get,
    path = "/account/verify/change/{secret}",
    operation_id = "confirm_email_change",
    tag = "Pages",
    params(("secret" = String, Path, description = "The change e-mail's link secret")),
    responses((status = 200, description = "Changed", content_type = "text/html"), (status = 400, description = "A used, expired or unknown link, or the address was taken meanwhile", content_type = "text/html"))
)]
pub(crate) async fn confirm_change(
    State(state): State<AppState>,
    t: Tr,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let Some(hash) = links::hash_of(&secret) else { return link_invalid(t) };
    let change = match state.store.change_email(&hash, Utc::now()).await {
        Ok(Some(change)) => change,
        Ok(None) | Err(StoreError::Conflict(_)) => return link_invalid(t),
        Err(err) => return Err(err.into()),
    };
    tracing::info!(user_id = change.user_id, "e-mail address changed");
    if let Some(user) = state.store.find_user(change.user_id).await? {
        let user_t = Tr::new(user.language);
        let notice_old = Notice::EmailChanged { new_email: &change.new_email };
        mail::send(&state, (&change.old_email, &user.full_name()), &user_t, notice_old).await?;
    }
    let account = Some((t.t("nav-account"), "/account".to_owned()));
    let body = vec![t.t1("email-changed", "email", &change.new_email)];
    notice(t, "/account", StatusCode::OK, t.t("verify-done-title"), body, account)
}

/// Mails a new verification link (the banner's button).
#[utoipa::path(
    post,
    path = "/account/verify/resend",
    operation_id = "resend_verification",
    tag = "Pages",
    responses(
        (status = 303, description = "Back to the account"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    )
)]
pub(crate) async fn resend(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    AccountForm { user, .. }: AccountForm<CsrfOnly>,
) -> Result<Response, PageError> {
    if user.email_verified() {
        return Ok(see_other("/account"));
    }
    let now = Utc::now();
    let attempt = Attempt::new("verify", &user.email, &address, state.config.mail_request_limits, now);
    if attempt.take(&state.store, now).await?.is_err() {
        return Ok(see_other("/account?done=throttled"));
    }
    send_verification(&state, &t, user.id, &user.email, &user.full_name()).await?;
    Ok(see_other("/account?done=resent"))
}
