//! The token endpoint's rules for redeeming a code (RFC 6749 §4.1.3, RFC 7636 §4.6) and using a
//! refresh token (RFC 6749 §6). Each failure is `invalid_grant` or `invalid_scope`; the text says
//! which rule failed without revealing whether the grant belongs to someone else.

use crate::model::{AccessToken, AuthorizationCode};
use crate::oauth_error::OAuthErrorCode;
use crate::pkce;
use crate::scope::ScopeSet;
use chrono::{DateTime, Utc};

/// A refused grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("The authorization code is invalid, expired or was issued to another client.")]
    UnknownCode,
    #[error("The authorization code has already been used.")]
    CodeReused,
    #[error("redirect_uri does not match the one of the authorization request.")]
    RedirectMismatch,
    #[error("code_verifier is required: the authorization request used PKCE.")]
    MissingVerifier,
    #[error("code_verifier does not match the code_challenge.")]
    VerifierMismatch,
    #[error("code_verifier was sent but the authorization request had no code_challenge.")]
    UnexpectedVerifier,
    #[error("The refresh token is invalid, expired, revoked or was issued to another client.")]
    UnknownRefreshToken,
    /// A refresh token that was already rotated (or revoked) was presented again: the caller must
    /// revoke its whole family (RFC 9700 §4.14.2).
    #[error("The refresh token is invalid, expired, revoked or was issued to another client.")]
    RefreshReused,
    #[error("The requested scope exceeds the scope originally granted.")]
    ScopeBeyondGrant,
    #[error("The scope is malformed or unknown.")]
    MalformedScope,
}

impl GrantError {
    /// The RFC 6749 §5.2 error code for this failure.
    pub fn code(&self) -> OAuthErrorCode {
        match self {
            GrantError::ScopeBeyondGrant | GrantError::MalformedScope => OAuthErrorCode::InvalidScope,
            _ => OAuthErrorCode::InvalidGrant,
        }
    }
}

/// What a code redemption presented besides the code and the client.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeRedemption<'a> {
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// Checks a stored code against the authenticated client and the redemption request. A code
/// already redeemed yields `CodeReused`, on which the caller must revoke the code's tokens.
pub fn check_code_redemption(
    code: &AuthorizationCode,
    client_application_id: i64,
    request: CodeRedemption<'_>,
    now: DateTime<Utc>,
) -> Result<(), GrantError> {
    if code.application_id != client_application_id {
        return Err(GrantError::UnknownCode);
    }
    if code.redeemed_at.is_some() {
        return Err(GrantError::CodeReused);
    }
    if now >= code.expires_at {
        return Err(GrantError::UnknownCode);
    }
    // RFC 6749 §4.1.3: required and identical when the authorization request carried one. A client
    // that sends one anyway must send the right one.
    match request.redirect_uri {
        Some(sent) if sent != code.redirect_uri => return Err(GrantError::RedirectMismatch),
        None if code.redirect_uri_was_sent => return Err(GrantError::RedirectMismatch),
        _ => {}
    }
    match (&code.code_challenge, request.code_verifier) {
        (Some(challenge), Some(verifier)) => match pkce::verify(verifier, challenge) {
            Ok(true) => Ok(()),
            _ => Err(GrantError::VerifierMismatch),
        },
        (Some(_), None) => Err(GrantError::MissingVerifier),
        // RFC 9700 §2.1.1: refuse a verifier for a code without challenge (PKCE downgrade).
        (None, Some(_)) => Err(GrantError::UnexpectedVerifier),
        (None, None) => Ok(()),
    }
}

/// Checks a refresh token's record against the client and the request's optional `scope`,
/// returning the scopes for the new token pair (RFC 6749 §6: at most the original ones).
pub fn check_refresh(
    token: &AccessToken,
    refresh_expires_at: DateTime<Utc>,
    client_application_id: i64,
    requested_scope: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ScopeSet, GrantError> {
    if token.application_id != client_application_id || now >= refresh_expires_at {
        return Err(GrantError::UnknownRefreshToken);
    }
    if token.revoked_at.is_some() {
        return Err(GrantError::RefreshReused);
    }
    match requested_scope {
        None | Some("") => Ok(token.scopes),
        Some(requested) => {
            let requested = ScopeSet::parse(requested).map_err(|_| GrantError::MalformedScope)?;
            if requested.is_subset_of(token.scopes) {
                Ok(requested)
            } else {
                Err(GrantError::ScopeBeyondGrant)
            }
        }
    }
}

/// Whether a rotated refresh token presented again gets its successor's pair again (the client's
/// grace window, for apps that refresh from two threads or retry after a lost response): only
/// within `grace_seconds` of the rotation and while the successor is live, that is neither
/// rotated itself nor revoked. Anything else is reuse (RFC 9700 §4.14.2).
pub fn within_refresh_grace(successor: &AccessToken, grace_seconds: u32, now: DateTime<Utc>) -> bool {
    grace_seconds > 0
        && successor.revoked_at.is_none()
        && now < successor.created_at + chrono::Duration::seconds(i64::from(grace_seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;
    use crate::secret::SecretHash;
    use chrono::Duration;

    fn code(challenge: Option<&str>, redirect_sent: bool) -> AuthorizationCode {
        let now = Utc::now();
        AuthorizationCode {
            id: 1,
            code_hash: SecretHash::of("code"),
            application_id: 7,
            user_id: 3,
            redirect_uri: "https://app.example/cb".into(),
            redirect_uri_was_sent: redirect_sent,
            scopes: ScopeSet::only(Scope::Public),
            code_challenge: challenge.map(str::to_owned),
            nonce: None,
            auth_time: now,
            created_at: now,
            expires_at: now + Duration::minutes(10),
            redeemed_at: None,
            resource: None,
        }
    }

    fn redemption<'a>(redirect_uri: Option<&'a str>, code_verifier: Option<&'a str>) -> CodeRedemption<'a> {
        CodeRedemption { redirect_uri, code_verifier }
    }

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn a_fresh_code_for_its_own_client_is_accepted() {
        let now = Utc::now();
        assert_eq!(
            check_code_redemption(&code(None, true), 7, redemption(Some("https://app.example/cb"), None), now),
            Ok(())
        );
        assert_eq!(check_code_redemption(&code(None, false), 7, redemption(None, None), now), Ok(()));
    }

    #[test]
    fn another_clients_code_expired_or_used_codes_are_refused() {
        let now = Utc::now();
        let uri = Some("https://app.example/cb");
        assert_eq!(
            check_code_redemption(&code(None, true), 8, redemption(uri, None), now),
            Err(GrantError::UnknownCode)
        );
        assert_eq!(
            check_code_redemption(&code(None, true), 7, redemption(uri, None), now + Duration::minutes(11)),
            Err(GrantError::UnknownCode)
        );
        let mut used = code(None, true);
        used.redeemed_at = Some(now);
        assert_eq!(check_code_redemption(&used, 7, redemption(uri, None), now), Err(GrantError::CodeReused));
    }

    #[test]
    fn redirect_uri_must_repeat_the_authorization_requests() {
        let now = Utc::now();
        assert_eq!(
            check_code_redemption(&code(None, true), 7, redemption(None, None), now),
            Err(GrantError::RedirectMismatch)
        );
        assert_eq!(
            check_code_redemption(&code(None, false), 7, redemption(Some("https://app.example/other"), None), now),
            Err(GrantError::RedirectMismatch)
        );
    }

    #[test]
    fn pkce_verifier_rules() {
        let now = Utc::now();
        let with = code(Some(CHALLENGE), false);
        assert_eq!(check_code_redemption(&with, 7, redemption(None, Some(VERIFIER)), now), Ok(()));
        assert_eq!(check_code_redemption(&with, 7, redemption(None, None), now), Err(GrantError::MissingVerifier));
        assert_eq!(
            check_code_redemption(&with, 7, redemption(None, Some(&VERIFIER.replace('d', "x"))), now),
            Err(GrantError::VerifierMismatch)
        );
        assert_eq!(
            check_code_redemption(&code(None, false), 7, redemption(None, Some(VERIFIER)), now),
            Err(GrantError::UnexpectedVerifier)
        );
    }

    fn token() -> AccessToken {
        let now = Utc::now();
        AccessToken {
            id: 1,
            application_id: 7,
            user_id: Some(3),
            scopes: ScopeSet::only(Scope::Public).with(Scope::Organizer),
            created_at: now,
            expires_at: now + Duration::hours(2),
            revoked_at: None,
            has_refresh_token: true,
            family_id: 1,
            dpop_jkt: None,
            audience: None,
        }
    }

    #[test]
    fn grace_covers_a_live_successor_within_the_window_only() {
        let successor = token();
        let at = successor.created_at;
        assert!(within_refresh_grace(&successor, 30, at + chrono::Duration::seconds(29)));
        assert!(!within_refresh_grace(&successor, 30, at + chrono::Duration::seconds(30)));
        assert!(!within_refresh_grace(&successor, 0, at));
        let rotated = AccessToken { revoked_at: Some(at), ..token() };
        assert!(!within_refresh_grace(&rotated, 30, at));
    }

    #[test]
    fn refresh_keeps_or_narrows_the_scope() {
        let now = Utc::now();
        let expiry = now + Duration::days(30);
        assert_eq!(check_refresh(&token(), expiry, 7, None, now).unwrap().to_string(), "public organizer");
        assert_eq!(check_refresh(&token(), expiry, 7, Some("public"), now).unwrap().to_string(), "public");
        assert_eq!(check_refresh(&token(), expiry, 7, Some("public openid"), now), Err(GrantError::ScopeBeyondGrant));
        assert_eq!(GrantError::ScopeBeyondGrant.code(), OAuthErrorCode::InvalidScope);
    }

    #[test]
    fn refresh_refuses_foreign_revoked_and_expired_tokens() {
        let now = Utc::now();
        let expiry = now + Duration::days(30);
        assert_eq!(check_refresh(&token(), expiry, 8, None, now), Err(GrantError::UnknownRefreshToken));
        assert_eq!(check_refresh(&token(), now, 7, None, now), Err(GrantError::UnknownRefreshToken));
        let mut revoked = token();
        revoked.revoked_at = Some(now);
        assert_eq!(check_refresh(&revoked, expiry, 7, None, now), Err(GrantError::RefreshReused));
        assert_eq!(GrantError::RefreshReused.code(), OAuthErrorCode::InvalidGrant);
        // Another client presenting a rotated token learns nothing and triggers nothing.
        assert_eq!(check_refresh(&revoked, expiry, 8, None, now), Err(GrantError::UnknownRefreshToken));
    }
}
