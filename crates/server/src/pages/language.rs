//! The language switch on every page: remembers the choice in a cookie (and, for a signed-in
//! person, as the language of their mail), then goes back to the page.

use super::{local_path, see_other};
use crate::error::PageError;
use crate::extract::params::Params;
use crate::extract::session;
use crate::i18n::LANGUAGE_COOKIE;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use cookie::{Cookie, SameSite};
use ticketbooth_domain::model::Language;

/// Switches the pages' language. A plain link rather than a form: the choice of language
/// changes nothing but how pages read, so a forged request can do no harm.
#[utoipa::path(
    get,
    path = "/language/{language}",
    operation_id = "switch_language",
    tag = "Pages",
    params(
        ("language" = String, Path, description = "`en` or `th`"),
        ("return_to" = Option<String>, Query, description = "The page to go back to (a path on this server)"),
    ),
    responses((status = 303, description = "Back to the page, in the new language"), (status = 404, description = "No such language", content_type = "text/html"))
)]
pub(crate) async fn switch(
    State(state): State<AppState>,
    Path(tag): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let Some(language) = Language::from_tag(&tag) else {
        return Err(PageError::not_found("error-not-found-body"));
    };
    let params = Params::from_urlencoded(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let return_to = local_path(params.single("return_to").ok().flatten());
    if let Some((_, user)) = session::signed_in(&state, &headers).await? {
        if user.language != language {
            state.store.set_language(user.id, language).await?;
        }
    }
    let cookie = Cookie::build((LANGUAGE_COOKIE, language.tag()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(cookie::time::Duration::days(365))
        .build();
    let mut response = see_other(return_to);
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}
