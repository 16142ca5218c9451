//! The account area (`/account…`, behind sign-in): profile, e-mail and password; my tickets;
//! connected applications; sessions. Every page is `no-store` (the default of
//! [`super::security_headers`]) and every form carries the session's CSRF token.

pub(crate) mod apps;
pub(crate) mod profile;
pub(crate) mod sessions;
pub(crate) mod tickets;

use super::see_other;
use super::sign_in::percent_encode;
use super::templates::{AccountFrame, ACCOUNT_TABS, ADMIN_TAB};
use crate::error::PageError;
use crate::extract::form::{CsrfForm, CsrfProtected};
use crate::extract::session;
use crate::i18n::Tr;
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use ticketbooth_domain::model::{BrowserSession, User};

/// Where a visitor without a signed-in session goes: sign in, then back to the page asked for.
fn to_sign_in(asked_for: &str) -> Response {
    see_other(&format!("/session/new?return_to={}", percent_encode(asked_for)))
}

/// A signed-in person on an account page; anyone else is sent to sign in first.
pub(crate) struct Visit {
    pub(crate) session: BrowserSession,
    pub(crate) user: User,
}

impl FromRequestParts<AppState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match session::signed_in(state, &parts.headers).await {
            Ok(Some((session, user))) => Ok(Visit { session, user }),
            Ok(None) => Err(to_sign_in(parts.uri.path_and_query().map_or("/account", |p| p.as_str()))),
            Err(err) => Err(PageError::from(err).into_response()),
        }
    }
}

/// A form posted from an account page: its CSRF token matched the session's, and the session
/// is signed in (else the person is sent to sign in).
pub(crate) struct AccountForm<T> {
    pub(crate) session: BrowserSession,
    pub(crate) user: User,
    pub(crate) form: T,
}

impl<T: CsrfProtected + Send> FromRequest<AppState> for AccountForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let CsrfForm { session, form } =
            CsrfForm::<T>::from_request(request, state).await.map_err(IntoResponse::into_response)?;
        let user = match session.user_id {
            Some(user_id) => {
                state.store.find_user(user_id).await.map_err(|err| PageError::from(err).into_response())?
            }
            None => None,
        };
        // A form's page, not its action, is where to come back to.
        let user = user.ok_or_else(|| to_sign_in("/account"))?;
        Ok(AccountForm { session, user, form })
    }
}

/// The frame around an account page.
pub(crate) fn frame<'a>(
    t: Tr,
    here: &'a str,
    session: &'a BrowserSession,
    user: &'a User,
    done: Option<&str>,
) -> AccountFrame<'a> {
    AccountFrame {
        t,
        here,
        csrf_token: &session.csrf_token,
        user,
        tabs: ACCOUNT_TABS
            .iter()
            .chain(user.is_admin.then_some(&ADMIN_TAB))
            .map(|(path, label)| {
                (*path, *label, here == *path || (*path != "/account" && here.starts_with(&format!("{path}/"))))
            })
            .collect(),
        notice: done.and_then(|done| done_message(t, user, done)),
        error: None,
    }
}

/// What `?done=…` after a form says.
fn done_message(t: Tr, user: &User, done: &str) -> Option<String> {
    Some(match done {
        "reset" => t.t("reset-done"),
        "resent" => t.t1("verify-resent", "email", &user.email),
        "saved" => t.t("profile-saved"),
        "email" => t.t("email-change-sent"),
        "password" => t.t("password-changed"),
        "throttled" => t.t("throttled"),
        _ => return None,
    })
}
