//! Sign-up (`/account/new`): creates an account, mails a link that confirms the address, and
//! signs the person in.
//!
//! The answer never tells whether the address already had an account: both cases hash the
//! password, queue one message (a welcome to a new account, a "you already have an account"
//! note with a reset link to an existing one), start a session (signed in only for the new
//! account) and show the same "check your inbox" page.

use super::sign_in::{percent_encode, safe_return_to, with_cookie, with_new_session};
use super::templates::SignUpPage;
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
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::account::{self, LinkPurpose, PasswordProblem};
use ticketbooth_domain::model::{normalize_email, NewUser};
use ticketbooth_domain::password;
use ticketbooth_store::StoreError;

/// The sign-up form's fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct SignUpForm {
    #[schema(value_type = String)]
    email: Option<String>,
    /// At least 10 characters, not the e-mail address, not a common password.
    #[schema(value_type = String)]
    password: Option<String>,
    #[schema(value_type = String)]
    first_name: Option<String>,
    #[schema(value_type = String)]
    last_name: Option<String>,
    /// The CSRF token from the sign-up page.
    #[schema(value_type = String)]
    csrf_token: Option<String>,
    /// An authorization request to continue after sign-up.
    return_to: Option<String>,
}

impl FromParams for SignUpForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(SignUpForm {
            email: params.optional("email")?,
            password: params.optional("password")?,
            first_name: params.optional("first_name")?,
            last_name: params.optional("last_name")?,
            csrf_token: params.optional("csrf_token")?,
            return_to: params.optional("return_to")?,
        })
    }
}

impl CsrfProtected for SignUpForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The message id explaining why a new password was refused.
pub(crate) fn password_problem(problem: PasswordProblem) -> &'static str {
    match problem {
        PasswordProblem::TooShort => "password-too-short",
        PasswordProblem::TooLong => "password-too-long",
        PasswordProblem::SameAsEmail => "password-same-as-email",
        PasswordProblem::Common => "password-common",
    }
}

fn sign_up_off() -> PageError {
    PageError::not_found("error-sign-up-off")
}

/// The sign-up form.
#[utoipa::path(
    get,
    path = "/account/new",
    operation_id = "show_sign_up",
    tag = "Pages",
    params(("return_to" = Option<String>, Query, description = "An authorization request to continue after sign-up")),
    responses((status = 200, content_type = "text/html"), (status = 404, description = "Sign-up is off", content_type = "text/html"))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !state.config.sign_up {
        return Err(sign_up_off());
    }
    let params = Params::from_urlencoded(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let return_to = safe_return_to(params.single("return_to").ok().flatten());
    let session = session::current(&state, &headers).await?;
    let token = session::form_token(&state, &headers, session.as_ref());
    let form = SignUpView { return_to, email: "", first_name: "", last_name: "", error: None };
    Ok(with_cookie(render(t, StatusCode::OK, &token.value, form)?, token.set_cookie))
}

/// What the form shows again after a refusal.
struct SignUpView<'a> {
    return_to: &'a str,
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    error: Option<String>,
}

fn render(t: Tr, status: StatusCode, csrf_token: &str, view: SignUpView<'_>) -> Result<Response, PageError> {
    let here = format!("/account/new?return_to={}", percent_encode(view.return_to));
    let sign_up = SignUpPage {
        t,
        here: &here,
        csrf_token,
        return_to: view.return_to,
        email: view.email,
        first_name: view.first_name,
        last_name: view.last_name,
        error: view.error,
    };
    page(status, &sign_up)
}

/// Creates the account (or mails the existing owner), then shows "check your inbox".
#[utoipa::path(
    post,
    path = "/account/new",
    operation_id = "sign_up",
    tag = "Pages",
    request_body(content = SignUpForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Check your inbox (the same page whether or not the address had an account)", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 404, description = "Sign-up is off", content_type = "text/html"),
        (status = 422, description = "A field breaks a rule: the form again", content_type = "text/html"),
        (status = 429, description = "Too many sign-ups for this address", content_type = "text/html"),
    )
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    VisitorForm { session, form }: VisitorForm<SignUpForm>,
) -> Result<Response, PageError> {
    if !state.config.sign_up {
        return Err(sign_up_off());
    }
    let csrf_token = form.csrf_token.as_deref().unwrap_or_default();
    let return_to = safe_return_to(form.return_to.as_deref());
    let email = normalize_email(form.email.as_deref().unwrap_or_default());
    let password = form.password.unwrap_or_default();
    let first_name = form.first_name.as_deref().unwrap_or_default();
    let last_name = form.last_name.as_deref().unwrap_or_default();
    let refuse = |status: StatusCode, error: String| {
        let view = SignUpView { return_to, email: &email, first_name, last_name, error: Some(error) };
        render(t, status, csrf_token, view)
    };
    let (Some(first_name), Some(last_name)) = (account::clean_name(first_name), account::clean_name(last_name)) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.t("sign-up-name-invalid"));
    };
    if !account::plausible_email(&email) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.t("sign-up-email-invalid"));
    }
    if let Err(problem) = account::check_new_password(&password, &email) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.t(password_problem(problem)));
    }
    let now = Utc::now();
    let attempt = Attempt::new("signup", &email, &address, state.config.mail_request_limits, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            t.t1("sign-up-throttled", "minutes", &wait.div_ceil(60).to_string()),
        )?;
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Ok(response);
    }

    // Hashed in both cases, so an existing address takes as long as a new one.
    let password_hash = hash_password(&state, password).await?;
    let origin = session::origin(&headers, &address);
    let new_user = NewUser {
        email: email.clone(),
        password_hash,
        first_name: first_name.clone(),
        last_name: last_name.clone(),
        phone: None,
        is_admin: false,
        email_verified: false,
        language: t.language(),
    };
    let signed_in_as = match state.store.create_user(new_user).await {
        Ok(user) => {
            send_verification(&state, &t, user.id, &user.email, &user.full_name()).await?;
            tracing::info!(user_id = user.id, "account created by sign-up");
            Some(user.id)
        }
        Err(StoreError::Conflict(_)) => {
            if let Some(owner) = state.store.find_user_by_email(&email).await? {
                let reset_link = state.config.url("/password/forgot");
                let owner_t = Tr::new(owner.language);
                mail::send(
                    &state,
                    (&owner.email, &owner.full_name()),
                    &owner_t,
                    Notice::AccountExists { reset_link: &reset_link },
                )
                .await?;
            }
            None
        }
        Err(err) => return Err(err.into()),
    };
    let sent = notice(
        t,
        "/account/new",
        StatusCode::OK,
        t.t("sign-up-sent-title"),
        vec![t.t1("sign-up-sent-body", "email", &email), t.t("sign-up-sent-next")],
        Some((t.t("continue"), continue_to(return_to).to_owned())),
    )?;
    with_new_session(&state, session.as_ref(), signed_in_as, origin, sent).await
}

/// Where "Continue" leads after sign-up: the authorization request, else the account.
fn continue_to(return_to: &str) -> &str {
    if return_to == "/" {
        "/account"
    } else {
        return_to
    }
}

/// Hashes a new password on the password threads (503 when their queue is full).
pub(crate) async fn hash_password(state: &AppState, password: String) -> Result<String, PageError> {
    match state.passwords.reserve()?.run(move || password::hash(&password)).await {
        Some(Ok(hash)) => Ok(hash),
        _ => Err(PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "error-internal-title", "error-internal-body")),
    }
}

/// Stores a new verification link for `email` and mails it.
pub(crate) async fn send_verification(
    state: &AppState,
    t: &Tr,
    user_id: i64,
    email: &str,
    name: &str,
) -> Result<(), PageError> {
    let link = links::issue(state, user_id, LinkPurpose::VerifyEmail, email).await?;
    mail::send(state, (email, name), t, Notice::Welcome { link: &link }).await?;
    Ok(())
}
