//! Resource indicators (RFC 8707): which resource server a token is for, and the protected
//! resource metadata the public API publishes about itself (RFC 9728).

use crate::scope::{Scope, ScopeSet};
use chrono::{DateTime, Utc};
use url::Url;

/// The public API's path under the issuer: its resource identifier is `{issuer}/api/public`.
pub const API_PATH: &str = "/api/public";

/// Where the protected resource metadata of a resource at `path` is published (RFC 9728 §3.1: the
/// well-known segment goes between the host and the resource's path).
pub const METADATA_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// The public API's resource identifier.
pub fn api_identifier(issuer: &str) -> String {
    format!("{issuer}{API_PATH}")
}

/// The URL of the public API's protected resource metadata, as `WWW-Authenticate` names it.
pub fn api_metadata_url(issuer: &str) -> String {
    format!("{issuer}{METADATA_PREFIX}{API_PATH}")
}

/// A resource server registered besides the public API (`resources create`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: i64,
    /// The absolute URI clients name in `resource` and tokens carry as `aud`.
    pub identifier: String,
    pub name: String,
    /// The scopes the resource accepts.
    pub scopes: ScopeSet,
    pub created_at: DateTime<Utc>,
}

/// A resource server to register.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub identifier: String,
    pub name: String,
    pub scopes: ScopeSet,
}

/// Why a `resource` parameter was refused (RFC 8707 §2 answers all with `invalid_target`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("The resource must be an absolute URI without a fragment.")]
    Malformed,
    #[error("Only one resource may be named per request.")]
    Several,
    #[error("The resource is not one this server issues tokens for.")]
    Unknown,
    #[error("The resource does not accept the requested scope.")]
    ScopeNotAccepted,
}

/// Checks the form RFC 8707 §2 requires of a resource indicator: an absolute URI, no fragment.
pub fn check_form(resource: &str) -> Result<(), ResourceError> {
    let url = Url::parse(resource).map_err(|_| ResourceError::Malformed)?;
    if url.fragment().is_some() || resource.contains('#') || url.cannot_be_a_base() {
        return Err(ResourceError::Malformed);
    }
    Ok(())
}

/// The scopes a resource server accepts from a token. OpenID Connect's scopes are for this
/// server's userinfo, so any resource's token may carry them.
pub fn accepts(resource_scopes: ScopeSet, requested: ScopeSet) -> Result<(), ResourceError> {
    let oidc = [Scope::OpenId, Scope::Profile, Scope::Email];
    match requested.iter().all(|scope| oidc.contains(&scope) || resource_scopes.contains(scope)) {
        true => Ok(()),
        false => Err(ResourceError::ScopeNotAccepted),
    }
}

/// The audience a token request ends with: the request's `resource`, which must be the one the
/// grant was for when the grant named one (RFC 8707 §2.2: a token request may narrow, never widen).
pub fn audience_for(granted: Option<&str>, requested: Option<&str>) -> Result<Option<String>, ResourceError> {
    match (granted, requested) {
        (Some(granted), Some(requested)) if granted != requested => Err(ResourceError::Unknown),
        (Some(granted), _) => Ok(Some(granted.to_owned())),
        (None, requested) => Ok(requested.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_must_be_absolute_without_fragment() {
        assert_eq!(check_form("https://api.example/mcp"), Ok(()));
        assert_eq!(check_form("urn:example:resource"), Err(ResourceError::Malformed));
        assert_eq!(check_form("/api/public"), Err(ResourceError::Malformed));
        assert_eq!(check_form("https://api.example/#x"), Err(ResourceError::Malformed));
    }

    #[test]
    fn a_token_request_may_not_name_another_resource_than_its_grant() {
        assert_eq!(audience_for(Some("https://a"), None), Ok(Some("https://a".into())));
        assert_eq!(audience_for(Some("https://a"), Some("https://a")), Ok(Some("https://a".into())));
        assert_eq!(audience_for(Some("https://a"), Some("https://b")), Err(ResourceError::Unknown));
        assert_eq!(audience_for(None, Some("https://b")), Ok(Some("https://b".into())));
        assert_eq!(audience_for(None, None), Ok(None));
    }

    #[test]
    fn a_resource_accepts_its_scopes_and_openid_connects() {
        let public = ScopeSet::only(Scope::Public);
        assert_eq!(accepts(public, ScopeSet::parse("public openid email").unwrap()), Ok(()));
        assert_eq!(accepts(public, ScopeSet::parse("organizer").unwrap()), Err(ResourceError::ScopeNotAccepted));
    }

    #[test]
    fn the_api_metadata_sits_between_host_and_path() {
        assert_eq!(
            api_metadata_url("https://tb.example"),
            "https://tb.example/.well-known/oauth-protected-resource/api/public"
        );
    }
}
