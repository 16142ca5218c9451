//! The browser session: a random id in an `HttpOnly` cookie, its SHA-256 in the store, and a
//! per-session CSRF token that every form must echo (synchronizer token pattern).
//!
//! Before signing in, a browser has no session: nothing is stored for a visit to the sign-in
//! page. Its form is protected by a random token kept in a cookie of its own and echoed by the
//! form (double-submit); under an https issuer the cookie is `__Host-` prefixed, so no other
//! host (a sibling subdomain) can plant one.

use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::Utc;
use cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;
use ticketbooth_domain::model::{BrowserSession, SessionOrigin, User};
use ticketbooth_domain::secret::looks_like_secret;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::token::{SESSION_TTL, SIGN_IN_FORM_TTL};
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
    cookie_value(headers, COOKIE_NAME)
}

pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

fn sign_in_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "__Host-tb_signin"
    } else {
        "tb_signin"
    }
}

/// The sign-in form's CSRF token for a browser without a session, and the `Set-Cookie` header
/// that hands it out when the browser had none.
pub(crate) struct SignInToken {
    pub(crate) value: String,
    pub(crate) set_cookie: Option<HeaderValue>,
}

/// The browser's sign-in token, or a new one (stored nowhere but in the cookie).
pub(crate) fn sign_in_token(state: &AppState, headers: &HeaderMap) -> SignInToken {
    if let Some(value) = cookie_value(headers, sign_in_cookie_name(state)).filter(|value| looks_like_secret(value)) {
        return SignInToken { value, set_cookie: None };
    }
    let value = Secret::generate().expose().to_owned();
    let set_cookie = build_cookie(state, sign_in_cookie_name(state), &value, SIGN_IN_FORM_TTL.num_seconds());
    SignInToken { value, set_cookie: Some(set_cookie) }
}

/// The CSRF token for a form that a browser without a session may see: the session's own, or
/// the sign-in cookie's.
pub(crate) fn form_token(state: &AppState, headers: &HeaderMap, session: Option<&BrowserSession>) -> SignInToken {
    match session {
        Some(session) => SignInToken { value: session.csrf_token.clone(), set_cookie: None },
        None => sign_in_token(state, headers),
    }
}

/// Whether the sign-in form's CSRF token is the session's own or, for a browser without a
/// session, the one in its sign-in cookie.
pub(crate) fn sign_in_form_matches(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&BrowserSession>,
    presented: Option<&str>,
) -> bool {
    match session {
        Some(session) => csrf_matches(session, presented),
        None => cookie_value(headers, sign_in_cookie_name(state))
            .filter(|value| looks_like_secret(value))
            .is_some_and(|expected| same_token(&expected, presented)),
    }
}

/// The `Set-Cookie` header that removes the sign-in cookie once a session exists.
pub(crate) fn clear_sign_in_cookie(state: &AppState) -> HeaderValue {
    build_cookie(state, sign_in_cookie_name(state), "", 0)
}

fn build_cookie(state: &AppState, name: &'static str, value: &str, max_age_seconds: i64) -> HeaderValue {
    let cookie = Cookie::build((name, value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(cookie::time::Duration::seconds(max_age_seconds))
        .build();
    // Names are fixed and values hex, so the header is always valid; should it not be, the
    // browser is told to drop the cookie rather than keep a stale one.
    HeaderValue::from_str(&cookie.to_string())
        .or_else(|_| HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Where a session is started from: the browser's own name for itself (cut to 200
/// characters) and the client's address.
pub(crate) fn origin(headers: &HeaderMap, address: &str) -> SessionOrigin {
    let user_agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or_default();
    SessionOrigin {
        user_agent: user_agent.chars().take(200).collect(),
        address: address.chars().take(64).collect(),
        created_at: Utc::now(),
    }
}

/// Starts a session, signed in as `user_id` or anonymous, and returns the `Set-Cookie` header
/// that hands it to the browser. Signing in always starts a new session, so a planted id is
/// useless (session fixation).
pub(crate) async fn start(state: &AppState, user_id: Option<i64>, origin: SessionOrigin) -> StoreResult<HeaderValue> {
    let id = Secret::generate();
    let now = Utc::now();
    let session = BrowserSession {
        id_hash: id.hash(),
        user_id,
        csrf_token: Secret::generate().expose().to_owned(),
        authenticated_at: user_id.map(|_| now),
        expires_at: now + SESSION_TTL,
        origin,
    };
    state.store.create_session(&session).await?;
    Ok(build_cookie(state, COOKIE_NAME, id.expose(), SESSION_TTL.num_seconds()))
}

/// The `Set-Cookie` header that removes the session cookie.
pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("tb_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// Whether a form's CSRF token is the session's own, compared in constant time.
pub(crate) fn csrf_matches(session: &BrowserSession, presented: Option<&str>) -> bool {
    same_token(&session.csrf_token, presented)
}

/// Whether a presented token equals the expected one, compared in constant time.
fn same_token(expected: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|presented| bool::from(expected.as_bytes().ct_eq(presented.as_bytes())))
}

/// The session and its user, when the request's session is signed in.
pub(crate) async fn signed_in(state: &AppState, headers: &HeaderMap) -> StoreResult<Option<(BrowserSession, User)>> {
    let Some(session) = current(state, headers).await? else {
        return Ok(None);
    };
    let Some(user_id) = session.user_id else {
        return Ok(None);
    };
    // A disabled account's sessions were ended; one started in a race with that ends here.
    let user = state.store.find_user(user_id).await?.filter(|user| user.disabled_at.is_none());
    Ok(user.map(|user| (session, user)))
}
