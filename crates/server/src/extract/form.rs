//! Forms posted from Ticketbooth's own pages by a browser with a session.

use super::params::{FromParams, Params};
use super::session;
use crate::error::PageError;
use crate::AppState;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use ticketbooth_domain::model::BrowserSession;

/// A form that carries the session's CSRF token (synchronizer token pattern).
pub(crate) trait CsrfProtected: FromParams {
    /// The token the form echoed, if any.
    fn csrf_token(&self) -> Option<&str>;
}

/// A form posted by a browser with a session, parsed into `T`, whose CSRF token matched the
/// session's. Handlers behind it never see a forged or malformed form.
pub(crate) struct CsrfForm<T> {
    pub(crate) session: BrowserSession,
    pub(crate) form: T,
}

/// Why a form was refused.
pub(crate) enum FormRejection {
    /// The browser has no session (signed out, or it expired).
    NoSession,
    /// The form's CSRF token is missing or not the session's.
    Forged,
    /// The body is not a form, or a field breaks the form's rules, or the store failed.
    Invalid(PageError),
}

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        match self {
            FormRejection::NoSession | FormRejection::Forged => PageError::forbidden_csrf().into_response(),
            FormRejection::Invalid(err) => err.into_response(),
        }
    }
}

impl<T: CsrfProtected + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = FormRejection;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let form: T = parse(request, state).await?;
        let session = session::current(state, &headers).await.map_err(|err| FormRejection::Invalid(err.into()))?;
        let session = session.ok_or(FormRejection::NoSession)?;
        if !session::csrf_matches(&session, form.csrf_token()) {
            return Err(FormRejection::Forged);
        }
        Ok(CsrfForm { session, form })
    }
}

/// A form posted from a page that a browser without a session may see (sign-in, sign-up,
/// password reset): its CSRF token must be the session's or, without one, the sign-in cookie's.
pub(crate) struct VisitorForm<T> {
    pub(crate) session: Option<BrowserSession>,
    pub(crate) form: T,
}

impl<T: CsrfProtected + Send> FromRequest<AppState> for VisitorForm<T> {
    type Rejection = FormRejection;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let form: T = parse(request, state).await?;
        let session = session::current(state, &headers).await.map_err(|err| FormRejection::Invalid(err.into()))?;
        if !session::sign_in_form_matches(state, &headers, session.as_ref(), form.csrf_token()) {
            return Err(FormRejection::Forged);
        }
        Ok(VisitorForm { session, form })
    }
}

async fn parse<T: FromParams>(request: Request, state: &AppState) -> Result<T, FormRejection> {
    let malformed = || FormRejection::Invalid(PageError::bad_request("error-form-malformed"));
    let body = String::from_request(request, state).await.map_err(|_| malformed())?;
    let params = Params::from_urlencoded(&body).map_err(|_| malformed())?;
    T::from_params(&params).map_err(|err| FormRejection::Invalid(err.into()))
}

/// A form with nothing but its CSRF token (sign-out, revoking an application).
pub(crate) struct CsrfOnly {
    csrf_token: Option<String>,
}

impl FromParams for CsrfOnly {
    fn from_params(params: &Params) -> Result<Self, super::params::ParamError> {
        Ok(CsrfOnly { csrf_token: params.optional("csrf_token")? })
    }
}

impl CsrfProtected for CsrfOnly {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}
