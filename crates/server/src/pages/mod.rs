//! Our own pages: sign-in, sign-out, home, the stylesheet and, with `--demo`, a callback page that
//! shows the code it received. Every response carries the security headers of [`security_headers`].

mod sign_in;
pub(crate) mod templates;

use crate::error::PageError;
use crate::extract::session;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use templates::{DemoCallbackPage, HomePage};
use tower_http::set_header::SetResponseHeaderLayer;

/// Routes of the pages people see.
pub(crate) fn router(demo: bool) -> Router<AppState> {
    let mut router = Router::new()
        .route("/", get(home))
        .route("/session/new", get(sign_in::show).post(sign_in::submit))
        .route("/session/delete", post(sign_in::sign_out))
        .route("/static/style.css", get(stylesheet))
        .route("/static/avatar.svg", get(avatar))
        .route("/static/event.svg", get(event_image));
    if demo {
        router = router.route("/demo/callback", get(demo_callback));
    }
    router
}

/// Headers for every response: no framing, no sniffing, no referrer (codes travel in URLs), and a
/// Content-Security-Policy that allows no script at all.
pub(crate) fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let headers: [(HeaderName, &'static str); 4] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
    })
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let session = session::current(&state, &headers).await?;
    let user = match session.as_ref().and_then(|s| s.user_id) {
        Some(user_id) => state.store.find_user(user_id).await?,
        None => None,
    };
    let page = HomePage {
        user_email: user.as_ref().map(|u| u.email.as_str()),
        csrf_token: session.as_ref().map(|s| s.csrf_token.as_str()).unwrap_or_default(),
    };
    Ok(Html(page.render()?).into_response())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/style.css"),
    )
}

async fn avatar() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/avatar.svg"),
    )
}

async fn event_image() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        include_str!("../../static/event.svg"),
    )
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The demo application's redirect URI: shows what arrived and the curl that trades the code.
async fn demo_callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let Some(demo) = &state.config.demo else {
        return Err(PageError::new(StatusCode::NOT_FOUND, "Not found", "The demo is not running."));
    };
    let page = DemoCallbackPage {
        token_url: state.config.url("/oauth/token"),
        client_id: &demo.client_id,
        client_secret: &demo.client_secret,
        redirect_uri: state.config.url("/demo/callback"),
        code: query.code.as_deref(),
        state: query.state.as_deref(),
        error: query.error.as_deref(),
        error_description: query.error_description.as_deref(),
    };
    Ok(Html(page.render()?).into_response())
}
