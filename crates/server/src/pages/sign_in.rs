//! Sign-in (`/session/new`) and sign-out (`/session/delete`), contract §3.

use super::templates::SignInPage;
use super::{page, see_other};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::{CsrfForm, CsrfOnly, CsrfProtected, FormRejection, VisitorForm};
use crate::extract::params::Params;
use crate::extract::params::{FromParams, ParamError};
use crate::extract::session;
use crate::i18n::Tr;
use crate::passwords::PasswordSlot;
use crate::throttle::Attempt;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use ticketbooth_domain::model::normalize_email;
use ticketbooth_domain::model::{BrowserSession, SessionOrigin};
use ticketbooth_domain::password;

/// `return_to` for a query string.
pub(crate) fn percent_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Where a successful sign-in may send the browser: only back into an authorization request on
/// this server or one of its pages behind sign-in (no open redirect), else home. The path must be
/// clean, visible ASCII as a `Location` header needs it (a decoded control character would make
/// the header invalid), so anything else is dropped.
pub(crate) fn safe_return_to(requested: Option<&str>) -> &str {
    let ours = |path: &str| {
        ["/oauth/authorize", "/account", "/developers", "/admin"]
            .iter()
            .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?'])))
    };
    match requested {
        Some(path) if ours(path) && path.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'\\') => path,
        _ => "/",
    }
}

/// What the sign-in page shows besides its form.
struct SignInView<'a> {
    return_to: &'a str,
    email: &'a str,
    error: Option<String>,
}

fn render(
    state: &AppState,
    t: Tr,
    status: StatusCode,
    csrf_token: &str,
    view: SignInView<'_>,
) -> Result<Response, PageError> {
    let here = format!("/session/new?return_to={}", percent_encode(view.return_to));
    let sign_in = SignInPage {
        t,
        here: &here,
        csrf_token,
        return_to: view.return_to,
        email: view.email,
        error: view.error,
        sign_up: state.config.sign_up,
    };
    page(status, &sign_in)
}

/// The sign-in form's fields.
#[derive(utoipa::ToSchema)]
pub(crate) struct SignInForm {
    #[schema(value_type = String)]
    email: Option<String>,
    #[schema(value_type = String)]
    password: Option<String>,
    /// The CSRF token from the sign-in page.
    #[schema(value_type = String)]
    csrf_token: Option<String>,
    /// Where to go after signing in: only an authorization request on this server.
    return_to: Option<String>,
}

impl CsrfProtected for SignInForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

impl FromParams for SignInForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(SignInForm {
            email: params.optional("email")?,
            password: params.optional("password")?,
            csrf_token: params.optional("csrf_token")?,
            return_to: params.optional("return_to")?,
        })
    }
}

/// The sign-in page. A browser without a session gets its form's CSRF token in a cookie; nothing
/// is stored until the form succeeds.
#[utoipa::path(
    get,
    path = "/session/new",
    operation_id = "show_sign_in",
    tag = "Pages",
    params(("return_to" = Option<String>, Query, description = "An authorization request to return to")),
    responses((status = 200, content_type = "text/html"))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::from_urlencoded(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let return_to = safe_return_to(params.single("return_to").ok().flatten());
    let session = session::current(&state, &headers).await?;
    let token = session::form_token(&state, &headers, session.as_ref());
    let view = SignInView { return_to, email: "", error: None };
    Ok(with_cookie(render(&state, t, StatusCode::OK, &token.value, view)?, token.set_cookie))
}

/// Adds a `Set-Cookie` header, if there is one.
pub(crate) fn with_cookie(mut response: Response, set_cookie: Option<HeaderValue>) -> Response {
    if let Some(set_cookie) = set_cookie {
        response.headers_mut().append(header::SET_COOKIE, set_cookie);
    }
    response
}

/// Checks the email and password; on success starts a new, signed-in session and returns to the
/// authorization request. Needs the form's CSRF token.
#[utoipa::path(
    post,
    path = "/session/new",
    operation_id = "sign_in",
    tag = "Pages",
    request_body(content = SignInForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Signed in: back to `return_to`"),
        (status = 401, description = "Wrong email or password: the form again", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token, or the account is disabled (with the right password)", content_type = "text/html"),
    )
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    VisitorForm { session, form }: VisitorForm<SignInForm>,
) -> Result<Response, PageError> {
    let csrf_token = form.csrf_token.as_deref().unwrap_or_default();
    let return_to = safe_return_to(form.return_to.as_deref());
    let email = normalize_email(form.email.as_deref().unwrap_or_default());
    let password = form.password.unwrap_or_default();

    // The attempt is counted before the password is looked at, so parallel guesses cannot slip
    // past the limit; a successful sign-in gives it back.
    let now = Utc::now();
    let attempt = Attempt::new("signin", &email, &address, state.config.sign_in_limits, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        let error = Some(t.t1("sign-in-throttled", "minutes", &wait.div_ceil(60).to_string()));
        let mut response = render(
            &state,
            t,
            StatusCode::TOO_MANY_REQUESTS,
            csrf_token,
            SignInView { return_to, email: &email, error },
        )?;
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Ok(response);
    }

    let slot = password_slot(&state, &attempt).await?;
    let user = state.store.find_user_by_email(&email).await?;
    let verified = verify_password(slot, password, user.as_ref().map(|user| user.password_hash.clone())).await;
    let Some(user) = user.filter(|_| verified) else {
        tracing::info!("sign-in failed");
        state.metrics.sign_in_failed();
        let error = Some(t.t("sign-in-failed"));
        return render(&state, t, StatusCode::UNAUTHORIZED, csrf_token, SignInView { return_to, email: &email, error });
    };

    attempt.refund(&state.store).await?;
    if user.disabled_at.is_some() {
        // Said only to someone who knows the password, so it tells a stranger nothing.
        tracing::info!(user_id = user.id, "sign-in to a disabled account refused");
        let error = Some(t.t("sign-in-disabled"));
        return render(&state, t, StatusCode::FORBIDDEN, csrf_token, SignInView { return_to, email: &email, error });
    }
    begin_signed_in(&state, session.as_ref(), user.id, session::origin(&headers, &address), return_to).await
}

/// A place on the password threads for a counted attempt; when they are saturated the attempt is
/// given back and the sign-in refused with 503, so a flood never uses up anyone's allowance.
pub(crate) async fn password_slot(state: &AppState, attempt: &Attempt) -> Result<PasswordSlot, PageError> {
    match state.passwords.reserve() {
        Ok(slot) => Ok(slot),
        Err(busy) => {
            attempt.refund(&state.store).await?;
            Err(busy)
        }
    }
}

/// Checks a password against a stored hash (or, for an unknown account, against a dummy, so
/// both take as long) in the place `slot` reserved on the password threads.
pub(crate) async fn verify_password(slot: PasswordSlot, presented: String, stored: Option<String>) -> bool {
    let verified = slot.run(move || match stored {
        Some(stored) => password::verify(&presented, &stored),
        None => {
            password::verify_against_dummy(&presented);
            false
        }
    });
    verified.await.unwrap_or(false)
}

/// Replaces the browser's session (if any) with a new one signed in as `user_id`, and goes to
/// `location`: after sign-in, password changes and resets.
pub(crate) async fn begin_signed_in(
    state: &AppState,
    previous: Option<&BrowserSession>,
    user_id: i64,
    origin: SessionOrigin,
    location: &str,
) -> Result<Response, PageError> {
    with_new_session(state, previous, Some(user_id), origin, see_other(location)).await
}

/// Replaces the browser's session (if any) with a new one, signed in as `user_id` or anonymous,
/// and hands it out with `response` (a new session at every sign-in: no session fixation).
pub(crate) async fn with_new_session(
    state: &AppState,
    previous: Option<&BrowserSession>,
    user_id: Option<i64>,
    origin: SessionOrigin,
    mut response: Response,
) -> Result<Response, PageError> {
    if let Some(previous) = previous {
        state.store.delete_session(&previous.id_hash).await?;
    }
    let session_cookie = session::start(state, user_id, origin).await?;
    response.headers_mut().append(header::SET_COOKIE, session_cookie);
    response.headers_mut().append(header::SET_COOKIE, session::clear_sign_in_cookie(state));
    Ok(response)
}

/// Ends the session. Needs the form's CSRF token.
#[utoipa::path(
    post,
    path = "/session/delete",
    operation_id = "sign_out",
    tag = "Pages",
    responses((status = 303, description = "Signed out: home"), (status = 403, description = "Missing or foreign CSRF token"))
)]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    form: Result<CsrfForm<CsrfOnly>, FormRejection>,
) -> Result<Response, PageError> {
    let session = match form {
        Ok(CsrfForm { session, .. }) => session,
        // Nothing to sign out of: home, as after signing out.
        Err(FormRejection::NoSession) => return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response()),
        Err(rejection) => return Ok(rejection.into_response()),
    };
    if let Some(user_id) = session.user_id {
        crate::logout::queue(&state, user_id).await?;
    }
    state.store.delete_session(&session.id_hash).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/".to_owned())], [(header::SET_COOKIE, session::clear_cookie())])
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_only_leads_back_into_an_authorization_request_or_a_page_behind_sign_in() {
        for ours in ["/oauth/authorize?client_id=x", "/account", "/developers/applications/3", "/admin?done=x"] {
            assert_eq!(safe_return_to(Some(ours)), ours);
        }
        for hostile in [
            "/adminx",
            "/developers\\evil",
            "/account.evil.example",
            "https://evil.example/",
            "//evil.example/oauth/authorize?",
            "/oauth/authorizex",
            "/\\evil",
            "/oauth/authorize?client_id=x\r\nSet-Cookie: a=b",
            "/oauth/authorize?client_id=\u{7f}",
            "/oauth/authorize?state=caf\u{e9}",
            "/oauth/authorize?state=a b",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(safe_return_to(None), "/");
    }
}
