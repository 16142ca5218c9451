//! Which resource server a token is for (RFC 8707): the public API, whose identifier comes from
//! the issuer, or one registered with `resources create`.

use crate::error::OAuthError;
use crate::AppState;
use ticketbooth_domain::resource::{self, ResourceError};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::OAuthErrorCode;
use ticketbooth_store::StoreError;

/// Checks a requested `resource` for `scopes`: its form, that this server knows it, and that it
/// accepts the scopes. `Ok(None)` without one (the public API, as before RFC 8707).
pub(crate) async fn check(
    state: &AppState,
    requested: Option<&str>,
    scopes: ScopeSet,
) -> Result<Result<Option<String>, ResourceError>, StoreError> {
    let Some(requested) = requested else { return Ok(Ok(None)) };
    if let Err(err) = resource::check_form(requested) {
        return Ok(Err(err));
    }
    if requested == resource::api_identifier(&state.config.issuer) {
        // The public API takes every scope this server issues.
        return Ok(Ok(Some(requested.to_owned())));
    }
    let Some(known) = state.store.find_resource(requested).await? else {
        return Ok(Err(ResourceError::Unknown));
    };
    Ok(resource::accepts(known.scopes, scopes).map(|()| Some(known.identifier)))
}

/// [`check`] for the token, PAR and device endpoints: a refusal is their JSON error.
pub(crate) async fn require(
    state: &AppState,
    requested: Option<&str>,
    scopes: ScopeSet,
) -> Result<Option<String>, OAuthError> {
    check(state, requested, scopes).await?.map_err(refusal)
}

/// The error code of a refused resource (RFC 8707 §2): `invalid_target`, or `invalid_scope` when
/// the resource is known but does not take the scope.
pub(crate) fn error_code(err: &ResourceError) -> OAuthErrorCode {
    match err {
        ResourceError::ScopeNotAccepted => OAuthErrorCode::InvalidScope,
        _ => OAuthErrorCode::InvalidTarget,
    }
}

/// A refused resource as the token and PAR endpoints answer it.
pub(crate) fn refusal(err: ResourceError) -> OAuthError {
    OAuthError::new(error_code(&err), err.to_string())
}
