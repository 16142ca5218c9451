//! The account area (`/account…`, behind sign-in): profile, e-mail and password; my tickets;
//! connected applications; sessions. Every page is `no-store` (the default of
//! [`super::security_headers`]) and every form carries the session's CSRF token.

pub(crate) mod apps;
pub(crate) mod profile;
pub(crate) mod sessions;
pub(crate) mod tickets;

use super::see_other;
use super::templates::{AccountFrame, ACCOUNT_TABS};
use crate::error::PageError;
use crate::extract::session;
use crate::i18n::Tr;
use crate::AppState;
use axum::http::HeaderMap;
use axum::response::Response;
use ticketbooth_domain::model::{BrowserSession, User};

/// Where a visitor without a signed-in session goes: sign in, then back to the account.
fn to_sign_in() -> Response {
    see_other("/session/new?return_to=%2Faccount")
}

/// The signed-in session and its user, or the redirect to the sign-in page.
pub(crate) async fn account_visit(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Result<(BrowserSession, User), Response>, PageError> {
    Ok(session::signed_in(state, headers).await?.ok_or_else(to_sign_in))
}

/// The user of a session that posted a form, or the redirect to the sign-in page.
pub(crate) async fn signed_in_or_redirect(
    state: &AppState,
    session: &BrowserSession,
) -> Result<Result<User, Response>, PageError> {
    let user = match session.user_id {
        Some(user_id) => state.store.find_user(user_id).await?,
        None => None,
    };
    Ok(user.ok_or_else(to_sign_in))
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
        tabs: ACCOUNT_TABS.iter().map(|(path, label)| (*path, *label, *path == here)).collect(),
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
