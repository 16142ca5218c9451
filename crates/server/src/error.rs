//! The server's error types, each rendered once in the format its audience expects:
//! [`OAuthError`] as RFC 6749 §5.2 JSON (token endpoint), [`ApiError`] as the API's JSON with
//! RFC 6750 `WWW-Authenticate` (resource API), [`PageError`] as an HTML page (browser pages).
//! Internal causes are logged here and never reach a response body.

use crate::extract::params::ParamError;
use crate::pages::templates::ErrorPage;
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::borrow::Cow;
use ticketbooth_domain::access::AccessError;
use ticketbooth_domain::grant::GrantError;
use ticketbooth_domain::OAuthErrorCode;
use ticketbooth_store::StoreError;
use utoipa::ToSchema;

/// An error of the token endpoint and the other OAuth endpoints (RFC 6749 §5.2).
#[derive(Serialize, ToSchema)]
pub(crate) struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope` or `server_error`.
    error: String,
    error_description: String,
}

/// An error of the resource API (eventpop-api.md §0.3).
#[derive(Serialize, ToSchema)]
pub(crate) struct ApiErrorBody {
    /// Always false.
    success: bool,
    /// `invalid_token`, `insufficient_scope`, `organizer_mismatch`, `not_found`,
    /// `duplicate_reference_code`, `quota_exceeded`, `already_revoked`, `already_used`,
    /// `invalid_request`, `rate_limited`, …
    error: String,
    error_description: String,
}

/// Realm named in every `WWW-Authenticate` challenge.
const REALM: &str = "ticketbooth";

fn log_internal(err: &dyn std::error::Error) {
    tracing::error!(error = %err, "internal error");
}

/// Seconds a client is told to wait (`Retry-After`) when the database is unavailable: long
/// enough for a restart or fail-over to begin answering, short enough not to strand anyone.
pub(crate) const OUTAGE_RETRY_SECONDS: u64 = 2;

/// What an API or token-endpoint client is told when the database is unavailable.
const OUTAGE_DESCRIPTION: &str = "The service is briefly unavailable; retry later.";

/// Logs a store failure; true when it was an outage (answered 503 with `Retry-After`, since the
/// same request may succeed later), false for an internal error (500).
fn log_store_error(err: &StoreError) -> bool {
    if err.is_unavailable() {
        tracing::warn!(error = %err, "database unavailable");
        true
    } else {
        log_internal(err);
        false
    }
}

/// An error of the token endpoint.
#[derive(Debug)]
pub(crate) struct OAuthError {
    code: OAuthErrorCode,
    description: Cow<'static, str>,
    /// Seconds for `Retry-After` on 429.
    retry_after: Option<u64>,
    /// A fresh nonce for the client's next DPoP proof (`DPoP-Nonce`, RFC 9449 §8).
    dpop_nonce: Option<String>,
    /// A status other than the code's usual one (RFC 7592 answers a bad registration token 401).
    status: Option<StatusCode>,
}

impl OAuthError {
    pub(crate) fn new(code: OAuthErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError { code, description: description.into(), retry_after: None, dpop_nonce: None, status: None }
    }

    /// The same error with another HTTP status.
    pub(crate) fn with_status(self, status: StatusCode) -> Self {
        OAuthError { status: Some(status), ..self }
    }

    /// The same error, telling the client the nonce to put in its next DPoP proof.
    pub(crate) fn with_dpop_nonce(self, nonce: String) -> Self {
        OAuthError { dpop_nonce: Some(nonce), ..self }
    }

    pub(crate) fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub(crate) fn invalid_client() -> Self {
        Self::new(OAuthErrorCode::InvalidClient, "Client authentication failed.")
    }

    /// 429: too many failed client authentications; retry after `seconds`.
    pub(crate) fn throttled(seconds: u64) -> Self {
        OAuthError {
            retry_after: Some(seconds),
            ..Self::new(OAuthErrorCode::TemporarilyUnavailable, "Too many failed attempts; retry later.")
        }
    }
}

impl From<ParamError> for OAuthError {
    fn from(err: ParamError) -> Self {
        OAuthError::invalid_request(err.to_string())
    }
}

impl From<GrantError> for OAuthError {
    fn from(err: GrantError) -> Self {
        OAuthError::new(err.code(), err.to_string())
    }
}

impl From<StoreError> for OAuthError {
    fn from(err: StoreError) -> Self {
        if log_store_error(&err) {
            return OAuthError {
                retry_after: Some(OUTAGE_RETRY_SECONDS),
                ..Self::new(OAuthErrorCode::TemporarilyUnavailable, OUTAGE_DESCRIPTION)
                    .with_status(StatusCode::SERVICE_UNAVAILABLE)
            };
        }
        OAuthError::new(OAuthErrorCode::ServerError, "The server could not complete the request.")
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or(match self.code {
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        });
        let body = Json(OAuthErrorBody {
            error: self.code.as_str().to_owned(),
            error_description: self.description.into_owned(),
        });
        let mut response = (status, no_store_headers(), body).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(nonce) = self.dpop_nonce.as_deref().and_then(|nonce| HeaderValue::from_str(nonce).ok()) {
            response.headers_mut().insert(DPOP_NONCE, nonce);
        }
        if self.code == OAuthErrorCode::InvalidClient {
            // RFC 6749 §5.2: a 401 carries the scheme the client should authenticate with.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"ticketbooth\""));
        }
        if self.code == OAuthErrorCode::InvalidToken {
            // RFC 7592 §2 answers a bad registration access token as RFC 6750 §3 does.
            let challenge = HeaderValue::from_static("Bearer realm=\"ticketbooth\", error=\"invalid_token\"");
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, required on token responses (RFC 6749 §5.1).
pub(crate) fn no_store_headers() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// An error of the resource API: `{"success": false, "error", "error_description"}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: Cow<'static, str>,
    /// Extra `WWW-Authenticate` attribute (`scope="…"`) for insufficient-scope errors.
    challenge_scope: Option<&'static str>,
    /// Seconds for `Retry-After` on 429.
    retry_after: Option<u64>,
    /// Whether the error is about the token, and so carries a `WWW-Authenticate` challenge.
    challenge: bool,
    /// The challenge's scheme: `DPoP` for a request that used DPoP or a DPoP-bound token.
    dpop: bool,
    /// A fresh nonce for the client's next DPoP proof.
    dpop_nonce: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code,
            description: description.into(),
            challenge_scope: None,
            retry_after: None,
            challenge: false,
            dpop: false,
            dpop_nonce: None,
        }
    }

    /// 401 about a DPoP proof or binding (RFC 9449 §7.1), challenging with the DPoP scheme.
    pub(crate) fn invalid_dpop(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        ApiError { dpop: true, ..Self::new(StatusCode::UNAUTHORIZED, code, description).with_challenge() }
    }

    /// The same error, challenging with the DPoP scheme (the request used DPoP).
    pub(crate) fn in_dpop_scheme(self) -> Self {
        ApiError { dpop: true, ..self }
    }

    /// The same error, with the nonce the client's next DPoP proof must carry.
    pub(crate) fn with_dpop_nonce(self, nonce: String) -> Self {
        ApiError { dpop_nonce: Some(nonce), ..self }
    }

    /// 401: the token is missing, unknown, expired or revoked (RFC 6750 §3.1).
    pub(crate) fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description).with_challenge()
    }

    /// 400 about how the token was sent (RFC 6750 §3.1 `invalid_request`).
    pub(crate) fn malformed_token_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::invalid_request(description).with_challenge()
    }

    fn with_challenge(self) -> Self {
        ApiError { challenge: true, ..self }
    }

    /// 403: the token lacks a scope the operation needs (RFC 6750 §3.1).
    pub(crate) fn insufficient_scope(scope: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            challenge_scope: Some(scope),
            ..Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description).with_challenge()
        }
    }

    /// 404: the organizer, event, ticket type or ticket does not exist (or is not the caller's).
    pub(crate) fn not_found(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 429 with `Retry-After`.
    pub(crate) fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests for this token; retry later.")
        }
    }

    /// 400: the request is malformed.
    pub(crate) fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn www_authenticate(&self) -> Option<HeaderValue> {
        if !self.challenge {
            return None;
        }
        // Descriptions are our own ASCII sentences without quotes, so they are safe in a quoted-string.
        let scheme = if self.dpop { "DPoP" } else { "Bearer" };
        let mut value =
            format!("{scheme} realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"", self.code, self.description);
        if let Some(scope) = self.challenge_scope {
            value.push_str(&format!(", scope=\"{scope}\""));
        }
        if self.dpop {
            value.push_str(&format!(", algs=\"{}\"", ticketbooth_domain::dpop::SIGNING_ALGORITHMS.join(" ")));
        }
        HeaderValue::from_str(&value).ok()
    }
}

impl From<ParamError> for ApiError {
    fn from(err: ParamError) -> Self {
        ApiError::invalid_request(err.to_string())
    }
}

impl From<AccessError> for ApiError {
    fn from(err: AccessError) -> Self {
        let description = err.to_string();
        match err {
            AccessError::InsufficientScope { scope, .. } => ApiError::insufficient_scope(scope, description),
            AccessError::OrganizerMismatch => {
                ApiError::new(StatusCode::UNAUTHORIZED, "organizer_mismatch", description)
            }
            AccessError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "organizer_mismatch", description),
            AccessError::NotFound => ApiError::not_found(description),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        if log_store_error(&err) {
            return ApiError {
                retry_after: Some(OUTAGE_RETRY_SECONDS),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", OUTAGE_DESCRIPTION)
            };
        }
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "The server could not complete the request.")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let challenge = self.www_authenticate();
        let body = Json(ApiErrorBody {
            success: false,
            error: self.code.to_owned(),
            error_description: self.description.into_owned(),
        });
        let mut response = (self.status, body).into_response();
        if let Some(challenge) = challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(nonce) = self.dpop_nonce.as_deref().and_then(|nonce| HeaderValue::from_str(nonce).ok()) {
            response.headers_mut().insert(DPOP_NONCE, nonce);
        }
        response
    }
}

/// RFC 9449 §8's response header.
pub(crate) const DPOP_NONCE: header::HeaderName = header::HeaderName::from_static("dpop-nonce");

/// A failure shown to a person as an HTML page, in their language (see `into_response`).
#[derive(Debug, Clone)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    /// The title's message id.
    pub(crate) title: &'static str,
    pub(crate) message: PageText,
}

/// What an error page says.
#[derive(Debug, Clone)]
pub(crate) enum PageText {
    /// A message id, shown in the person's language.
    Message(&'static str),
    /// A protocol detail written for the developer of the application that sent the person
    /// (malformed authorization requests), shown as it is.
    Detail(Cow<'static, str>),
}

impl PageError {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: &'static str) -> Self {
        PageError { status, title, message: PageText::Message(message) }
    }

    pub(crate) fn bad_request(message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "error-bad-request-title", message)
    }

    /// A bad request explained by a protocol detail in English.
    pub(crate) fn bad_request_detail(detail: impl Into<Cow<'static, str>>) -> Self {
        PageError {
            status: StatusCode::BAD_REQUEST,
            title: "error-bad-request-title",
            message: PageText::Detail(detail.into()),
        }
    }

    pub(crate) fn forbidden_csrf() -> Self {
        Self::new(StatusCode::FORBIDDEN, "error-csrf-title", "error-csrf-body")
    }

    /// A console page asked for by someone who is not an administrator.
    pub(crate) fn forbidden_admin() -> Self {
        Self::new(StatusCode::FORBIDDEN, "error-forbidden-title", "error-admin-only")
    }

    pub(crate) fn not_found(message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "error-not-found-title", message)
    }
}

impl From<ParamError> for PageError {
    fn from(err: ParamError) -> Self {
        PageError::bad_request_detail(err.to_string())
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        if log_store_error(&err) {
            return PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "error-unavailable-title",
                "error-unavailable-body",
            );
        }
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "error-internal-title", "error-internal-body")
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        log_internal(&err);
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "error-internal-title", "error-page-failed")
    }
}

impl IntoResponse for PageError {
    /// The page in English, carrying the error so that a page route's
    /// [`crate::pages::localized_errors`] can render it again in the request's language.
    fn into_response(self) -> Response {
        let mut response = self.render(crate::i18n::Tr::new(Default::default()));
        response.extensions_mut().insert(self);
        response
    }
}

impl PageError {
    /// The error page in the language of `t`.
    pub(crate) fn render(&self, t: crate::i18n::Tr) -> Response {
        let message = match &self.message {
            PageText::Message(id) => t.t(id),
            PageText::Detail(detail) => detail.to_string(),
        };
        let title = t.t(self.title);
        let hint = self.status == StatusCode::BAD_REQUEST;
        let page = ErrorPage { t, here: "/", title: &title, message: &message, hint };
        match page.render() {
            Ok(html) if self.status == StatusCode::SERVICE_UNAVAILABLE => {
                (self.status, [(header::RETRY_AFTER, HeaderValue::from(OUTAGE_RETRY_SECONDS))], Html(html))
                    .into_response()
            }
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(err) => {
                log_internal(&err);
                (self.status, message).into_response()
            }
        }
    }
}
