//! Our own pages: sign-in, sign-out, home, static files and, with `--demo`, a callback page that
//! shows the code it received. Every response carries the security headers of [`security_headers`].

pub(crate) mod account;
pub(crate) mod device;
pub(crate) mod language;
pub(crate) mod links;
pub(crate) mod password;
pub(crate) mod portal;
pub(crate) mod sign_in;
pub(crate) mod sign_up;
pub(crate) mod templates;
pub(crate) mod verify;

use crate::error::PageError;
use crate::extract::session;
use crate::i18n::{self, Tr};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use serde::Deserialize;
use templates::{DemoCallbackPage, HomePage, NoticePage};

/// Headers for every response: no framing, no sniffing, no referrer (codes travel in URLs), a
/// Content-Security-Policy that allows no script at all, and `Cache-Control: no-store` unless the
/// handler chose otherwise (pages behind a session, redirects carrying codes, API answers with
/// personal data: nothing may be kept by a shared cache or the browser's history).
const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::CACHE_CONTROL, "no-store"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// Adds [`SECURITY_HEADERS`] to every response the router gives: one synchronous step that makes
/// room for all of them at once (five layers of one header each cost 4 % of the simplest route's
/// throughput, mostly in growing the header map one insert at a time).
pub(crate) fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(tower::util::MapResponseLayer::new(add_security_headers))
}

fn add_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.reserve(SECURITY_HEADERS.len());
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Renders a page route's error pages in the request's language: [`PageError`] answers carry
/// the error (rendered in English), and those in another language are rendered again here.
pub(crate) async fn localized_errors(request: Request, next: Next) -> Response {
    let language = i18n::negotiate(request.headers());
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().filter(|_| language != Default::default()) else {
        return response;
    };
    let mut page = error.render(Tr::new(language));
    // Headers the handler set (`Retry-After`, cookies) stay.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().append(name.clone(), value.clone());
        }
    }
    page
}

/// A page's path and query, where its language switch returns to.
pub(crate) fn here(uri: &Uri) -> String {
    uri.path_and_query().map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned())
}

/// Renders a template as a page with `status`.
pub(crate) fn page(status: StatusCode, template: &impl Template) -> Result<Response, PageError> {
    Ok((status, Html(template.render()?)).into_response())
}

/// `303 See Other` to a path on this server.
pub(crate) fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}

/// A page with a heading, paragraphs and an optional button.
pub(crate) fn notice(
    t: Tr,
    here: &str,
    status: StatusCode,
    title: String,
    paragraphs: Vec<String>,
    action: Option<(String, String)>,
) -> Result<Response, PageError> {
    page(status, &NoticePage { t, here, title, paragraphs, action })
}

/// A path on this server to send the browser back to, or `/`: only clean, visible ASCII that
/// starts with one `/` (no `//host` or `/\host`, which browsers treat as another site).
pub(crate) fn local_path(requested: Option<&str>) -> &str {
    match requested {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.bytes().all(|byte| byte.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/",
    }
}

/// The account's home page: who is signed in, and a sign-out button.
#[utoipa::path(get, path = "/", operation_id = "show_home", tag = "Pages", responses((status = 200, content_type = "text/html")))]
pub(crate) async fn home(State(state): State<AppState>, t: Tr, headers: HeaderMap) -> Result<Response, PageError> {
    let session = session::current(&state, &headers).await?;
    let user = match session.as_ref().and_then(|s| s.user_id) {
        Some(user_id) => state.store.find_user(user_id).await?,
        None => None,
    };
    let home = HomePage {
        t,
        here: "/",
        user_email: user.as_ref().map(|u| u.email.as_str()),
        csrf_token: session.as_ref().map(|s| s.csrf_token.as_str()).unwrap_or_default(),
        sign_up: state.config.sign_up,
    };
    page(StatusCode::OK, &home)
}

/// Files served under `/static/`: name, media type, contents.
const STATIC_ASSETS: [(&str, &str, &str); 3] = [
    ("style.css", "text/css; charset=utf-8", include_str!("../../static/style.css")),
    ("avatar.svg", "image/svg+xml", include_str!("../../static/avatar.svg")),
    ("event.svg", "image/svg+xml", include_str!("../../static/event.svg")),
];

/// The pages' stylesheet and the default avatar and event images.
#[utoipa::path(
    get,
    path = "/static/{file}",
    operation_id = "get_static_asset",
    tag = "Pages",
    params(("file" = String, Path, description = "`style.css`, `avatar.svg` or `event.svg`")),
    responses((status = 200, description = "The file"), (status = 404, description = "No such file"))
)]
pub(crate) async fn static_asset(Path(file): Path<String>) -> Response {
    match STATIC_ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, media_type, body)) => {
            ([(header::CONTENT_TYPE, *media_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => PageError::not_found("error-no-file").into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The demo application's redirect URI (`serve --demo` only): shows what arrived and the curl
/// command that trades the code.
#[utoipa::path(
    get,
    path = "/demo/callback",
    operation_id = "show_demo_callback",
    tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 404, description = "The demo is not running"))
)]
pub(crate) async fn demo_callback(
    State(state): State<AppState>,
    t: Tr,
    uri: Uri,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let Some(demo) = &state.config.demo else {
        return Err(PageError::not_found("error-no-demo"));
    };
    let here = here(&uri);
    let callback = DemoCallbackPage {
        t,
        here: &here,
        token_url: state.config.url("/oauth/token"),
        client_id: &demo.client_id,
        client_secret: &demo.client_secret,
        redirect_uri: state.config.url("/demo/callback"),
        code: query.code.as_deref(),
        state: query.state.as_deref(),
        error: query.error.as_deref(),
        error_description: query.error_description.as_deref(),
    };
    page(StatusCode::OK, &callback)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path(Some("/account?x=1")), "/account?x=1");
        for hostile in
            ["https://evil.example/", "//evil.example/", "/\\evil", "/a b", "/caf\u{e9}", "/x\r\nSet-Cookie: a=b"]
        {
            assert_eq!(local_path(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(local_path(None), "/");
    }
}
