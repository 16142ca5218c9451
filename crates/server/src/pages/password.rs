//! Forgotten passwords: `/password/forgot` mails a single-use link (one hour) to
//! `/password/reset/{secret}`, whose form sets a new password, ends every session of the person,
//! signs them in afresh here, and announces the change by mail.
//!
//! The request page answers the same whether or not the address has an account, and does the
//! same work: one lookup and one queued message (a reset link, or a note that no account uses
//! the address).

use super::sign_in::{begin_signed_in, with_cookie};
use super::sign_up::{hash_password, password_problem};
use super::templates::{ForgotPage, ResetPage};
use super::{links, notice, page};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::{CsrfProtected, VisitorForm};
use crate::extract::params::{FromParams, ParamError, Params};
use crate::extract::session;
use crate::i18n::Tr;
use crate::mail::{self, Notice};
use crate::throttle::Attempt;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::account::{self, LinkPurpose};
use ticketbooth_domain::model::{normalize_email, User};
use ticketbooth_store::StoreResult;

/// The reset request form's fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct ForgotForm {
    #[schema(value_type = String)]
    email: Option<String>,
    #[schema(value_type = String)]
    csrf_token: Option<String>,
}

impl FromParams for ForgotForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(ForgotForm { email: params.optional("email")?, csrf_token: params.optional("csrf_token")? })
    }
}

impl CsrfProtected for ForgotForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The new-password form's fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct ResetForm {
    /// At least 10 characters, not the e-mail address, not a common password.
    #[schema(value_type = String)]
    password: Option<String>,
    #[schema(value_type = String)]
    csrf_token: Option<String>,
}

impl FromParams for ResetForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(ResetForm { password: params.optional("password")?, csrf_token: params.optional("csrf_token")? })
    }
}

impl CsrfProtected for ResetForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The form that asks for a reset link.
#[utoipa::path(get, path = "/password/forgot", operation_id = "show_forgot_password", tag = "Pages", responses((status = 200, content_type = "text/html")))]
pub(crate) async fn show_forgot(
    State(state): State<AppState>,
    t: Tr,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let session = session::current(&state, &headers).await?;
    let token = session::form_token(&state, &headers, session.as_ref());
    let forgot = ForgotPage { t, here: "/password/forgot", csrf_token: &token.value };
    Ok(with_cookie(page(StatusCode::OK, &forgot)?, token.set_cookie))
}

/// Mails a reset link if the address has an account; answers the same either way.
#[utoipa::path(
    post,
    path = "/password/forgot",
    operation_id = "request_password_reset",
    tag = "Pages",
    request_body(content = ForgotForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Check your inbox (whether or not the address has an account)", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 429, description = "Too many requests for this address", content_type = "text/html"),
    )
)]
pub(crate) async fn request_reset(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    VisitorForm { form, .. }: VisitorForm<ForgotForm>,
) -> Result<Response, PageError> {
    let email = normalize_email(form.email.as_deref().unwrap_or_default());
    let sent = || {
        notice(
            t,
            "/password/forgot",
            StatusCode::OK,
            t.t("forgot-sent-title"),
            vec![t.t1("forgot-sent-body", "email", &email)],
            None,
        )
    };
    if !account::plausible_email(&email) {
        return sent();
    }
    let now = Utc::now();
    let attempt = Attempt::new("reset", &email, &address, state.config.mail_request_limits, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        let mut response = notice(
            t,
            "/password/forgot",
            StatusCode::TOO_MANY_REQUESTS,
            t.t("forgot-title"),
            vec![t.t1("sign-up-throttled", "minutes", &wait.div_ceil(60).to_string())],
            None,
        )?;
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Ok(response);
    }
    match state.store.find_user_by_email(&email).await? {
        Some(user) => send_reset_link(&state, &user).await?,
        None => {
            let sign_up_link = state.config.sign_up.then(|| state.config.url("/account/new"));
            mail::send(&state, (&email, ""), &t, Notice::NoAccount { sign_up_link: sign_up_link.as_deref() }).await?;
        }
    }
    sent()
}

/// Stores a new reset link for `user` and mails it, in the person's language.
pub(crate) async fn send_reset_link(state: &AppState, user: &User) -> StoreResult<()> {
    let link = links::issue(state, user.id, LinkPurpose::ResetPassword, &user.email).await?;
    let user_t = Tr::new(user.language);
    mail::send(state, (&user.email, &user.full_name()), &user_t, Notice::ResetPassword { link: &link }).await?;
    tracing::info!(user_id = user.id, "password reset link sent");
    Ok(())
}

fn link_invalid(t: Tr) -> Result<Response, PageError> {
    links::invalid(t, Some(("forgot-button", "/password/forgot")))
}

/// The new-password form, for a link that still works; a clear page otherwise. Opening the
/// link uses nothing up, so mail scanners that follow links do no harm.
#[utoipa::path(
    get,
    path = "/password/reset/{secret}",
    operation_id = "show_password_reset",
    tag = "Pages",
    params(("secret" = String, Path, description = "The mailed link's secret")),
    responses((status = 200, content_type = "text/html"), (status = 400, description = "A used, expired or unknown link", content_type = "text/html"))
)]
pub(crate) async fn show_reset(
    State(state): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response, PageError> {
    let Some(hash) = links::hash_of(&secret) else { return link_invalid(t) };
    if state.store.peek_link(&hash, LinkPurpose::ResetPassword, Utc::now()).await?.is_none() {
        return link_invalid(t);
    }
    let session = session::current(&state, &headers).await?;
    let token = session::form_token(&state, &headers, session.as_ref());
    let action = format!("/password/reset/{secret}");
    let reset = ResetPage { t, here: &action, csrf_token: &token.value, action: &action, error: None };
    Ok(with_cookie(page(StatusCode::OK, &reset)?, token.set_cookie))
}

/// Sets the new password, ends every session, signs the person in here and mails them.
#[utoipa::path(
    post,
    path = "/password/reset/{secret}",
    operation_id = "reset_password",
    tag = "Pages",
    params(("secret" = String, Path, description = "The mailed link's secret")),
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Password changed and signed in: to the account"),
        (status = 400, description = "A used, expired or unknown link", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 422, description = "The password breaks a rule: the form again", content_type = "text/html"),
    )
)]
pub(crate) async fn reset(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Path(secret): Path<String>,
    VisitorForm { session, form }: VisitorForm<ResetForm>,
) -> Result<Response, PageError> {
    let now = Utc::now();
    let Some(hash) = links::hash_of(&secret) else { return link_invalid(t) };
    let Some(user_id) = state.store.peek_link(&hash, LinkPurpose::ResetPassword, now).await? else {
        return link_invalid(t);
    };
    let Some(user) = state.store.find_user(user_id).await? else { return link_invalid(t) };
    let password = form.password.unwrap_or_default();
    if let Err(problem) = account::check_new_password(&password, &user.email) {
        let action = format!("/password/reset/{secret}");
        let csrf_token = form.csrf_token.as_deref().unwrap_or_default();
        let error = Some(t.t(password_problem(problem)));
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage { t, here: &action, csrf_token, action: &action, error },
        );
    }
    let password_hash = hash_password(&state, password).await?;
    // The link is taken here, atomically with the change: of two racing submissions one wins.
    if state.store.reset_password(&hash, &password_hash, now).await?.is_none() {
        return link_invalid(t);
    }
    tracing::info!(user_id, "password reset");
    let reset_link = state.config.url("/password/forgot");
    mail::send(
        &state,
        (&user.email, &user.full_name()),
        &Tr::new(user.language),
        Notice::PasswordChanged { reset_link: &reset_link },
    )
    .await?;
    begin_signed_in(&state, session.as_ref(), user.id, session::origin(&headers, &address), "/account?done=reset").await
}
