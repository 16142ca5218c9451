//! The browser session: a random id in an `HttpOnly` cookie, its SHA-256 in the store, and a
//! per-session CSRF token that every form must echo (synchronizer token pattern).

use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::Utc;
use cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;
use ticketbooth_domain::model::BrowserSession;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::token::{ANONYMOUS_SESSION_TTL, SESSION_TTL};
use ticketbooth_store::StoreResult;

const COOKIE_NAME: &str = "tb_session";

/// Reads the session named by the request's cookie, if it exists and has not expired.
pub(crate) async fn current(state: &AppState, headers: &HeaderMap) -> StoreResult<Option<BrowserSession>> {
    let Some(id) = session_cookie(headers) else {
        return Ok(None);
    };
    state.store.find_session(&SecretHash::of(&id), Utc::now()).await
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == COOKIE_NAME)
        .map(|cookie| cookie.value().to_owned())
}

/// A session just stored, and the `Set-Cookie` header that hands it to the browser.
pub(crate) struct StartedSession {
    pub(crate) session: BrowserSession,
    pub(crate) set_cookie: HeaderValue,
}

/// Starts a session: anonymous (`user_id` `None`, only for the sign-in form's CSRF token) or
/// signed in. Signing in always starts a new session, so a planted id is useless (session fixation).
pub(crate) async fn start(state: &AppState, user_id: Option<i64>) -> StoreResult<StartedSession> {
    let id = Secret::generate();
    let now = Utc::now();
    let ttl = if user_id.is_some() { SESSION_TTL } else { ANONYMOUS_SESSION_TTL };
    let session = BrowserSession {
        id_hash: id.hash(),
        user_id,
        csrf_token: Secret::generate().expose().to_owned(),
        authenticated_at: user_id.map(|_| now),
        expires_at: now + ttl,
    };
    state.store.create_session(&session).await?;
    let cookie = Cookie::build((COOKIE_NAME, id.expose().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(cookie::time::Duration::seconds(ttl.num_seconds()))
        .build();
    let set_cookie =
        HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static("tb_session=; Path=/"));
    Ok(StartedSession { session, set_cookie })
}

/// The `Set-Cookie` header that removes the session cookie.
pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("tb_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// Whether a form's CSRF token is the session's own, compared in constant time.
pub(crate) fn csrf_matches(session: &BrowserSession, presented: Option<&str>) -> bool {
    presented.is_some_and(|presented| bool::from(session.csrf_token.as_bytes().ct_eq(presented.as_bytes())))
}
