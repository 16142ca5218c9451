//! OpenID Connect Core: the ID token's claims (§2, §3.1.3.6) and the userinfo claims (§5.3),
//! released according to the granted scopes (§5.4).

use crate::model::User;
use crate::scope::{Scope, ScopeSet};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `at_hash`: the left half of SHA-256 of the access token, base64url (§3.1.3.6; SHA-256 for both RS256 and ES256).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The subject identifier of a user: stable, never reassigned.
pub fn subject(user_id: i64) -> String {
    user_id.to_string()
}

/// Claims released by the `profile` and `email` scopes, shared by ID tokens and userinfo.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the person proved the address (the welcome e-mail's link, or an operator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl UserClaims {
    /// The claims `scopes` allow about `user`.
    pub fn for_scopes(user: &User, scopes: ScopeSet) -> UserClaims {
        let mut claims = UserClaims::default();
        if scopes.contains(Scope::Profile) {
            claims.name = Some(user.full_name());
            claims.given_name = Some(user.first_name.clone());
            claims.family_name = Some(user.last_name.clone());
        }
        if scopes.contains(Scope::Email) {
            claims.email = Some(user.email.clone());
            claims.email_verified = Some(user.email_verified());
        }
        claims
    }
}

/// An ID token's claims.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub azp: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub at_hash: String,
    #[serde(flatten)]
    pub user: UserClaims,
}

/// What an ID token is issued for.
pub struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    pub scopes: ScopeSet,
    pub nonce: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub access_token: &'a str,
    pub now: DateTime<Utc>,
}

impl IdTokenClaims {
    /// The claims of an ID token issued with an access token.
    pub fn new(input: IdTokenInput<'_>) -> IdTokenClaims {
        IdTokenClaims {
            iss: input.issuer.to_owned(),
            sub: subject(input.user.id),
            aud: input.client_id.to_owned(),
            azp: input.client_id.to_owned(),
            exp: (input.now + crate::token::ID_TOKEN_TTL).timestamp(),
            iat: input.now.timestamp(),
            auth_time: input.auth_time.timestamp(),
            nonce: input.nonce,
            at_hash: at_hash(input.access_token),
            user: UserClaims::for_scopes(input.user, input.scopes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: 42,
            email: "ann@example.com".into(),
            password_hash: String::new(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            phone: None,
            birthday: None,
            gender: None,
            is_admin: false,
            created_at: Utc::now(),
            email_verified_at: None,
            language: Default::default(),
            disabled_at: None,
        }
    }

    #[test]
    fn at_hash_is_the_left_half_of_sha256_base64url() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223…; its first 16 bytes, base64url.
        assert_eq!(at_hash("abc"), "ungWv48Bz-pBQUDeXa4iIw");
    }

    #[test]
    fn claims_follow_the_granted_scopes() {
        let openid = ScopeSet::parse("openid").unwrap();
        assert_eq!(UserClaims::for_scopes(&user(), openid), UserClaims::default());
        let all = ScopeSet::parse("openid profile email").unwrap();
        let claims = UserClaims::for_scopes(&user(), all);
        assert_eq!(claims.name.as_deref(), Some("Ann Lee"));
        assert_eq!(claims.email.as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn id_token_claims_carry_nonce_auth_time_and_at_hash() {
        let now = Utc::now();
        let claims = IdTokenClaims::new(IdTokenInput {
            issuer: "https://id.example",
            client_id: "client",
            user: &user(),
            scopes: ScopeSet::parse("openid").unwrap(),
            nonce: Some("n-0S6_WzA2Mj".into()),
            auth_time: now - chrono::Duration::minutes(5),
            access_token: "abc",
            now,
        });
        assert_eq!((claims.sub.as_str(), claims.aud.as_str()), ("42", "client"));
        assert_eq!(claims.exp - claims.iat, 3600);
        assert_eq!(claims.auth_time, (now - chrono::Duration::minutes(5)).timestamp());
        assert_eq!(claims.at_hash, at_hash("abc"));
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["nonce"], "n-0S6_WzA2Mj");
        assert!(json.get("email").is_none());
    }
}
