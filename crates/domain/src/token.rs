//! Token lifetimes and the token endpoint's success body (contract §2).

use crate::scope::ScopeSet;
use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Access tokens live two hours, as Eventpop's do.
pub const ACCESS_TOKEN_TTL: Duration = Duration::seconds(7200);
/// Authorization codes live ten minutes (RFC 6749 §4.1.2 recommends at most ten).
pub const AUTHORIZATION_CODE_TTL: Duration = Duration::minutes(10);
/// Refresh tokens live 30 days from their issue; each rotation starts a new 30 days.
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);
/// ID tokens live one hour; a retired signing key stays published this long (and for the access
/// token lifetime, whichever is longer) so every token it signed can still be verified.
pub const ID_TOKEN_TTL: Duration = Duration::hours(1);
/// A signed-in browser session lasts 12 hours.
pub const SESSION_TTL: Duration = Duration::hours(12);
/// The sign-in form's CSRF cookie (a browser without a session) lasts one hour.
pub const SIGN_IN_FORM_TTL: Duration = Duration::hours(1);

/// The successful token response, field for field and in Eventpop's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// 64 lowercase hex characters.
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to the DPoP key of the request (RFC 9449 §5).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Bearer"))]
    pub token_type: &'static str,
    /// Seconds the access token lives: 7200.
    pub expires_in: i64,
    /// 64 lowercase hex characters; absent for application (client-credentials) tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The OpenID Connect ID token, when the `openid` scope was granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// Builds the body for a freshly minted token pair.
    pub fn new(
        access_token: &Secret,
        refresh_token: Option<&Secret>,
        scopes: ScopeSet,
        created_at: DateTime<Utc>,
    ) -> TokenResponse {
        TokenResponse {
            access_token: access_token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL.num_seconds(),
            refresh_token: refresh_token.map(|secret| secret.expose().to_owned()),
            scope: scopes.to_string(),
            created_at: created_at.timestamp(),
            id_token: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    #[test]
    fn token_response_has_eventpops_exact_shape() {
        let access = Secret::from_known("a".repeat(64));
        let refresh = Secret::from_known("b".repeat(64));
        let created = DateTime::from_timestamp(1_552_036_500, 0).unwrap();
        let body = TokenResponse::new(&access, Some(&refresh), ScopeSet::only(Scope::Public), created);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            format!(
                "{{\"access_token\":\"{}\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"refresh_token\":\"{}\",\"scope\":\"public\",\"created_at\":1552036500}}",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        let app_token = TokenResponse::new(&access, None, ScopeSet::only(Scope::Public), created);
        assert!(!serde_json::to_string(&app_token).unwrap().contains("refresh_token"));
    }
}
