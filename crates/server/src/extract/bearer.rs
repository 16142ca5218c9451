//! The bearer-token extractor (RFC 6750 §2): the `Authorization: Bearer` header, else the
//! `access_token` query parameter, else an `access_token` field of a form-encoded POST body.
//! Sending the token more than one way is `invalid_request` (RFC 6750 §2).

use super::params::Params;
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, Method};
use chrono::Utc;
use ticketbooth_domain::model::AccessToken;
use ticketbooth_domain::secret::{looks_like_secret, SecretHash};
use ticketbooth_domain::Scope;

/// A request's valid, unexpired, unrevoked access token.
#[derive(Debug, Clone)]
pub(crate) struct Bearer(pub(crate) AccessToken);

impl Bearer {
    /// The token's user, or 403 when it is an application (client-credentials) token.
    pub(crate) fn user_id(&self) -> Result<i64, ApiError> {
        self.0.user_id.ok_or_else(|| {
            ApiError::insufficient_scope("public", "This operation needs a user token, not an application token.")
        })
    }

    /// 403 unless the token carries `scope`.
    pub(crate) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(
                scope.as_str(),
                format!("This operation needs the {} scope.", scope.as_str()),
            ))
        }
    }
}

impl FromRequest<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let mut presented = Vec::with_capacity(1);

        for value in parts.headers.get_all(header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| malformed())?;
            let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
            if scheme.eq_ignore_ascii_case("bearer") {
                presented.push(token.trim().to_owned());
            }
        }
        if let Some(query) = parts.uri.query() {
            let params = Params::from_urlencoded(query).map_err(|_| malformed())?;
            presented.extend(params.pairs().filter(|(n, _)| *n == "access_token").map(|(_, v)| v.to_owned()));
        }
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if parts.method == Method::POST && is_form {
            let body = Bytes::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(|_| ApiError::invalid_request("The request body could not be read."))?;
            let text = std::str::from_utf8(&body).map_err(|_| malformed())?;
            let params = Params::from_urlencoded(text).map_err(|_| malformed())?;
            presented.extend(params.pairs().filter(|(n, _)| *n == "access_token").map(|(_, v)| v.to_owned()));
        }

        let token = match presented.as_slice() {
            [] => return Err(ApiError::invalid_token("An access token is required.")),
            [token] => token,
            _ => return Err(ApiError::invalid_request("The access token was sent more than once.")),
        };
        if !looks_like_secret(token) {
            return Err(ApiError::invalid_token("The access token is invalid."));
        }
        match state.store.find_access_token(&SecretHash::of(token)).await? {
            Some(token) if token.is_active(Utc::now()) => Ok(Bearer(token)),
            Some(_) => Err(ApiError::invalid_token("The access token expired or was revoked.")),
            None => Err(ApiError::invalid_token("The access token is invalid.")),
        }
    }
}

fn malformed() -> ApiError {
    ApiError::invalid_request("The Authorization header or access_token parameter is malformed.")
}
