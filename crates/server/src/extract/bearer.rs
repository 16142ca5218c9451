//! The resource API's request extractor: authenticates the bearer token (RFC 6750 §2) and reads
//! the query string and body once, for handlers to take parameters from.
//!
//! The token comes from the `Authorization: Bearer` header, else the `access_token` query
//! parameter, else an `access_token` field of a form-encoded body; sending it more than one way is
//! `invalid_request` (RFC 6750 §2). Bodies may be urlencoded, JSON or multipart (§0.7).

use super::params::{media_type, ParamError, Params};
use crate::dpop::{self, ProofFailure};
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap};
use chrono::Utc;
use ticketbooth_domain::access::Caller;
use ticketbooth_domain::model::{AccessToken, User};
use ticketbooth_domain::resource;
use ticketbooth_domain::secret::{looks_like_secret, SecretHash};
use ticketbooth_domain::Scope;

/// A request's valid, unexpired, unrevoked access token, and its user (none for application tokens).
#[derive(Debug, Clone)]
pub(crate) struct Bearer {
    pub(crate) token: AccessToken,
    pub(crate) user: Option<User>,
}

impl Bearer {
    /// The token's user, or 403 when it is an application (client-credentials) token.
    pub(crate) fn user_id(&self) -> Result<i64, ApiError> {
        self.token.user_id.ok_or_else(|| {
            ApiError::insufficient_scope("public", "This operation needs a user token, not an application token.")
        })
    }

    /// 403 unless the token carries `scope`.
    pub(crate) fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.token.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::insufficient_scope(
                scope.as_str(),
                format!("This operation needs the {} scope.", scope.as_str()),
            ))
        }
    }

    /// The token as an access-control subject, with the organizer owning its application.
    pub(crate) async fn caller(&self, state: &AppState) -> Result<Caller, ApiError> {
        let app = state.store.find_application(self.token.application_id).await?;
        Ok(Caller {
            user_id: self.token.user_id,
            scopes: self.token.scopes,
            app_organizer_id: app.and_then(|app| app.organizer_id),
        })
    }
}

/// A request body as sent: JSON text, or name/value pairs (a form or multipart body).
pub(crate) enum RequestBody {
    Json(Bytes),
    Pairs(Params),
}

/// An authenticated resource-API request: its token, query parameters and body.
pub(crate) struct ApiRequest {
    pub(crate) bearer: Bearer,
    pub(crate) query: Params,
    pub(crate) body: RequestBody,
}

impl ApiRequest {
    /// A query parameter sent at most once, as sent (an empty value is a value, which a number,
    /// a date or a choice does not accept); 400 when repeated.
    pub(crate) fn query(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        Ok(self.query.single_as_sent(name).map_err(ParamError::Repeated)?)
    }

    /// The body read into `T` (its fields, whatever the encoding): 400 when it does not fit.
    pub(crate) fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        let invalid =
            |err: &dyn std::fmt::Display| ApiError::invalid_request(format!("The request body is invalid: {err}."));
        match &self.body {
            RequestBody::Json(bytes) => serde_json::from_slice(bytes).map_err(|err| invalid(&err)),
            RequestBody::Pairs(params) => {
                // Re-encoded so that numbers and booleans parse from text exactly as in a form.
                let pairs: Vec<(&str, &str)> = params.pairs().collect();
                let form = serde_urlencoded::to_string(pairs).map_err(|err| invalid(&err))?;
                serde_urlencoded::from_str(&form).map_err(|err| invalid(&err))
            }
        }
    }
}

/// The body of `request`, whose media type is `media`.
async fn read_body(request: Request, media: Option<&str>, state: &AppState) -> Result<RequestBody, ApiError> {
    fn body_error<E>(_: E) -> ApiError {
        ApiError::invalid_request("The request body could not be read.")
    }
    match media {
        Some("multipart/form-data") => {
            let mut multipart = Multipart::from_request(request, state).await.map_err(body_error)?;
            let mut pairs = Vec::new();
            while let Some(field) = multipart.next_field().await.map_err(body_error)? {
                let name = field.name().unwrap_or_default().to_owned();
                let value = field.text().await.map_err(body_error)?;
                pairs.push((name, value));
            }
            Params::from_pairs(pairs).map(RequestBody::Pairs).map_err(|err| ApiError::invalid_request(err.to_string()))
        }
        _ => {
            let bytes = Bytes::from_request(request, state).await.map_err(body_error)?;
            if media == Some("application/json") && !bytes.is_empty() {
                return Ok(RequestBody::Json(bytes));
            }
            Params::from_typed_body(media, &bytes)
                .map(RequestBody::Pairs)
                .map_err(|err| ApiError::invalid_request(err.to_string()))
        }
    }
}

impl FromRequest<AppState> for ApiRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut presented = Vec::with_capacity(1);
        let mut dpop_scheme = false;
        for value in request.headers().get_all(header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| malformed())?;
            let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
            if scheme.eq_ignore_ascii_case("bearer") {
                presented.push(token.trim().to_owned());
            } else if scheme.eq_ignore_ascii_case("dpop") {
                presented.push(token.trim().to_owned());
                dpop_scheme = true;
            }
        }
        // What the proof is checked against; kept only for requests that use DPoP.
        let for_the_api = request.uri().path().starts_with(resource::API_PATH);
        let dpop_target = dpop_scheme.then(|| {
            (request.headers().clone(), request.method().as_str().to_owned(), request.uri().path().to_owned())
        });
        let query = Params::from_urlencoded(request.uri().query().unwrap_or_default())
            .map_err(|err| ApiError::invalid_request(err.to_string()))?;
        let in_header = presented.len();
        presented.extend(query.values("access_token").map(str::to_owned));
        let media = media_type(request.headers());
        let is_form = media.as_deref() == Some("application/x-www-form-urlencoded");
        let body = read_body(request, media.as_deref(), state).await?;
        if let (true, RequestBody::Pairs(fields)) = (is_form, &body) {
            presented.extend(fields.values("access_token").map(str::to_owned));
        }
        if presented.len() > in_header && !state.config.profile.token_outside_header() {
            return Err(ApiError::malformed_token_request(
                "Send the access token in the Authorization header: this server follows OAuth 2.1.",
            ));
        }

        let token = match presented.as_slice() {
            [] => return Err(ApiError::invalid_token("An access token is required.")),
            [token] => token,
            _ => return Err(ApiError::malformed_token_request("The access token was sent more than once.")),
        };
        if !looks_like_secret(token) {
            return Err(ApiError::invalid_token("The access token is invalid."));
        }
        let in_scheme = |err: ApiError| if dpop_scheme { err.in_dpop_scheme() } else { err };
        let bearer = match state.store.find_access_token_with_user(&SecretHash::of(token)).await? {
            Some((token, user)) if token.is_active(Utc::now()) => Bearer { token, user },
            Some(_) => return Err(in_scheme(ApiError::invalid_token("The access token expired or was revoked."))),
            None => return Err(in_scheme(ApiError::invalid_token("The access token is invalid."))),
        };
        // RFC 8707: a token issued for another resource server is not good here (RFC 9068 §4).
        if let Some(audience) = bearer.token.audience.as_deref() {
            if for_the_api && audience != resource::api_identifier(&state.config.issuer) {
                return Err(in_scheme(ApiError::invalid_token("The access token is for another resource.")));
            }
        }
        match (dpop_target, bearer.token.dpop_jkt.as_deref()) {
            (None, None) => {}
            // RFC 9449 §7.2: a bound token is never accepted as a bearer token.
            (None, Some(_)) => {
                return Err(ApiError::invalid_dpop(
                    "invalid_token",
                    "This token is DPoP-bound: send it as Authorization: DPoP with a proof.",
                ))
            }
            (Some(_), None) => {
                return Err(ApiError::invalid_dpop("invalid_token", "This token is not DPoP-bound: send it as Bearer."))
            }
            (Some((headers, method, path)), Some(jkt)) => {
                check_proof(state, &headers, &method, &path, token, jkt).await?;
            }
        }
        Ok(ApiRequest { bearer, query, body })
    }
}

/// The proof sent with a DPoP-bound token: valid for this request and token, and signed with the
/// token's key (RFC 9449 §7.1). No nonce is asked for here: the token endpoint asked for one.
async fn check_proof(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    token: &str,
    jkt: &str,
) -> Result<(), ApiError> {
    let refused = |why: String| ApiError::invalid_dpop("invalid_dpop_proof", why);
    match dpop::verify(state, headers, method, path, Some(token), false).await {
        Ok(Some(proof)) if proof.jkt == jkt => Ok(()),
        Ok(Some(_)) => Err(refused("The DPoP proof is signed with another key than the token's.".into())),
        Ok(None) => Err(refused("A DPoP-bound token needs a DPoP proof.".into())),
        Err(ProofFailure::Invalid(why)) => Err(refused(why)),
        Err(ProofFailure::NonceNeeded) => {
            let nonce = dpop::nonce(state).await?;
            Err(ApiError::invalid_dpop("use_dpop_nonce", "Put the DPoP-Nonce header's value in the proof.")
                .with_dpop_nonce(nonce))
        }
        Err(ProofFailure::Store(err)) => Err(err.into()),
    }
}

fn malformed() -> ApiError {
    ApiError::malformed_token_request("The Authorization header or access_token parameter is malformed.")
}
