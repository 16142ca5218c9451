//! The profile page (`/account`): names and phone, the e-mail address (changed through a link
//! sent to the new one), and the password (changed with the current one).

use super::{frame, AccountForm, Visit};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::CsrfProtected;
use crate::extract::params::{FromParams, ParamError, Params};
use crate::extract::session;
use crate::i18n::Tr;
use crate::mail::{self, Notice};
use crate::pages::sign_in::{password_slot, verify_password};
use crate::pages::sign_up::{hash_password, password_problem};
use crate::pages::templates::{AccountFrame, ProfilePage};
use crate::pages::{links, page, see_other};
use crate::throttle::Attempt;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::account::{self, LinkPurpose};
use ticketbooth_domain::model::{normalize_email, BrowserSession, User};
use ticketbooth_store::Profile;

/// The profile page.
#[utoipa::path(
    get,
    path = "/account",
    operation_id = "show_account",
    tag = "Pages",
    params(("done" = Option<String>, Query, description = "What the last form did, to confirm it")),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(
    t: Tr,
    Visit { session, user }: Visit,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::from_urlencoded(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let done = params.single("done").ok().flatten();
    page(StatusCode::OK, &ProfilePage { frame: frame(t, "/account", &session, &user, done) })
}

/// The profile page again with an error, after a refused form.
fn refused(
    t: Tr,
    status: StatusCode,
    session: &BrowserSession,
    user: &User,
    error: String,
) -> Result<Response, PageError> {
    let frame = AccountFrame { error: Some(error), ..frame(t, "/account", session, user, None) };
    page(status, &ProfilePage { frame })
}

/// The profile form's fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct ProfileForm {
    #[schema(value_type = String)]
    first_name: Option<String>,
    #[schema(value_type = String)]
    last_name: Option<String>,
    phone: Option<String>,
    #[schema(value_type = String)]
    csrf_token: Option<String>,
}

impl FromParams for ProfileForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(ProfileForm {
            first_name: params.optional("first_name")?,
            last_name: params.optional("last_name")?,
            phone: params.optional("phone")?,
            csrf_token: params.optional("csrf_token")?,
        })
    }
}

impl CsrfProtected for ProfileForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// Saves names and phone.
#[utoipa::path(
    post,
    path = "/account/profile",
    operation_id = "update_profile",
    tag = "Pages",
    request_body(content = ProfileForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Saved: back to the profile"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 422, description = "A field breaks a rule", content_type = "text/html"),
    )
)]
pub(crate) async fn update(
    State(state): State<AppState>,
    t: Tr,
    AccountForm { session, user, form }: AccountForm<ProfileForm>,
) -> Result<Response, PageError> {
    let first_name = account::clean_name(form.first_name.as_deref().unwrap_or_default());
    let last_name = account::clean_name(form.last_name.as_deref().unwrap_or_default());
    let phone = form.phone.as_deref().map(str::trim).filter(|phone| !phone.is_empty());
    let phone_ok =
        phone.is_none_or(|phone| phone.len() <= 32 && phone.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)));
    let (Some(first_name), Some(last_name), true) = (first_name, last_name, phone_ok) else {
        return refused(t, StatusCode::UNPROCESSABLE_ENTITY, &session, &user, t.t("sign-up-name-invalid"));
    };
    let profile = Profile { first_name, last_name, phone: phone.map(str::to_owned) };
    state.store.update_profile(user.id, &profile).await?;
    Ok(see_other("/account?done=saved"))
}

/// A form that needs the current password.
#[derive(utoipa::ToSchema)]
pub(crate) struct CredentialForm {
    /// The new e-mail address (e-mail change) or the new password (password change).
    #[schema(value_type = String)]
    email: Option<String>,
    password: Option<String>,
    #[schema(value_type = String)]
    current_password: Option<String>,
    #[schema(value_type = String)]
    csrf_token: Option<String>,
}

impl FromParams for CredentialForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(CredentialForm {
            email: params.optional("email")?,
            password: params.optional("password")?,
            current_password: params.optional("current_password")?,
            csrf_token: params.optional("csrf_token")?,
        })
    }
}

impl CsrfProtected for CredentialForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// Checks the current password, counted against the same limits as sign-in (a stolen session
/// must not become a password-guessing oracle).
async fn current_password_matches(
    state: &AppState,
    user: &User,
    address: &str,
    presented: String,
) -> Result<Result<(), Option<u64>>, PageError> {
    let now = Utc::now();
    let attempt = Attempt::new("signin", &user.email, address, state.config.sign_in_limits, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        return Ok(Err(Some(wait)));
    }
    let slot = password_slot(state, &attempt).await?;
    if verify_password(slot, presented, Some(user.password_hash.clone())).await {
        attempt.refund(&state.store).await?;
        Ok(Ok(()))
    } else {
        Ok(Err(None))
    }
}

fn wrong_password(t: Tr, session: &BrowserSession, user: &User, wait: Option<u64>) -> Result<Response, PageError> {
    match wait {
        Some(wait) => {
            let error = t.t1("sign-in-throttled", "minutes", &wait.div_ceil(60).to_string());
            let mut response = refused(t, StatusCode::TOO_MANY_REQUESTS, session, user, error)?;
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
            Ok(response)
        }
        None => refused(t, StatusCode::UNAUTHORIZED, session, user, t.t("password-current-wrong")),
    }
}

/// Changes the password: ends every other session and mails the person.
#[utoipa::path(
    post,
    path = "/account/password",
    operation_id = "change_password",
    tag = "Pages",
    request_body(content = CredentialForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Changed: back to the profile, signed in afresh"),
        (status = 401, description = "The current password is wrong", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 422, description = "The new password breaks a rule", content_type = "text/html"),
    )
)]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    AccountForm { session, user, form }: AccountForm<CredentialForm>,
) -> Result<Response, PageError> {
    let new_password = form.password.unwrap_or_default();
    if let Err(problem) = account::check_new_password(&new_password, &user.email) {
        return refused(t, StatusCode::UNPROCESSABLE_ENTITY, &session, &user, t.t(password_problem(problem)));
    }
    if let Err(wait) =
        current_password_matches(&state, &user, &address, form.current_password.unwrap_or_default()).await?
    {
        return wrong_password(t, &session, &user, wait);
    }
    let password_hash = hash_password(&state, new_password).await?;
    // Ends every session, this one too; a fresh one replaces it below.
    state.store.set_password(user.id, &password_hash).await?;
    let reset_link = state.config.url("/password/forgot");
    mail::send(
        &state,
        (&user.email, &user.full_name()),
        &Tr::new(user.language),
        Notice::PasswordChanged { reset_link: &reset_link },
    )
    .await?;
    crate::pages::sign_in::begin_signed_in(
        &state,
        None,
        user.id,
        session::origin(&headers, &address),
        "/account?done=password",
    )
    .await
}

/// Starts an e-mail change: mails a link to the new address; nothing changes until it is opened.
#[utoipa::path(
    post,
    path = "/account/email",
    operation_id = "change_email",
    tag = "Pages",
    request_body(content = CredentialForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Link sent: back to the profile"),
        (status = 401, description = "The current password is wrong", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 422, description = "Not an e-mail address", content_type = "text/html"),
    )
)]
pub(crate) async fn change_email(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    AccountForm { session, user, form }: AccountForm<CredentialForm>,
) -> Result<Response, PageError> {
    let new_email = normalize_email(form.email.as_deref().unwrap_or_default());
    if !account::plausible_email(&new_email) {
        return refused(t, StatusCode::UNPROCESSABLE_ENTITY, &session, &user, t.t("sign-up-email-invalid"));
    }
    if let Err(wait) =
        current_password_matches(&state, &user, &address, form.current_password.unwrap_or_default()).await?
    {
        return wrong_password(t, &session, &user, wait);
    }
    let now = Utc::now();
    let attempt = Attempt::new("change-email", &new_email, &address, state.config.mail_request_limits, now);
    if attempt.take(&state.store, now).await?.is_err() {
        return Ok(see_other("/account?done=throttled"));
    }
    // A taken address gets the link all the same (and the change fails when it is opened), so
    // this form does not tell which addresses have accounts.
    let link = links::issue(&state, user.id, LinkPurpose::ChangeEmail, &new_email).await?;
    mail::send(&state, (&new_email, &user.full_name()), &Tr::new(user.language), Notice::ChangeEmail { link: &link })
        .await?;
    Ok(see_other("/account?done=email"))
}
