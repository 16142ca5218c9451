//! DPoP (RFC 9449): what a proof's claims must say about the request it accompanies. Signature
//! checking and the replay cache are the server's; these are the rules.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// A proof's `iat` may be this old (RFC 9449 §11.1 leaves the window to the server).
pub const PROOF_MAX_AGE_SECONDS: i64 = 300;
/// …and this far ahead of our clock.
pub const PROOF_MAX_SKEW_SECONDS: i64 = 60;
/// The asymmetric JWS algorithms a proof may be signed with (`dpop_signing_alg_values_supported`).
pub const SIGNING_ALGORITHMS: [&str; 5] = ["ES256", "ES384", "EdDSA", "RS256", "PS256"];

/// A DPoP proof's claims (RFC 9449 §4.2).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ProofClaims {
    pub jti: String,
    pub htm: String,
    pub htu: String,
    pub iat: i64,
    /// The access token's hash, on requests that carry one.
    pub ath: Option<String>,
    /// The server's nonce, when it asked for one.
    pub nonce: Option<String>,
}

/// What a proof must match: the request it came with.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The request's URL as the client addressed it (query and fragment are ignored).
    pub url: &'a str,
    /// The access token sent with the proof, at a resource.
    pub access_token: Option<&'a str>,
}

/// Why a proof's claims were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("The DPoP proof has no usable jti.")]
    Jti,
    #[error("The DPoP proof's htm is not this request's method.")]
    Method,
    #[error("The DPoP proof's htu is not this request's URL.")]
    Url,
    #[error("The DPoP proof's iat is too old or in the future.")]
    IssuedAt,
    #[error("The DPoP proof's ath does not match the access token.")]
    AccessTokenHash,
}

/// Checks a proof's claims against the request (RFC 9449 §4.3, steps 9–12).
pub fn check_claims(claims: &ProofClaims, target: ProofTarget<'_>, now: DateTime<Utc>) -> Result<(), ProofError> {
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(ProofError::Jti);
    }
    if claims.htm != target.method {
        return Err(ProofError::Method);
    }
    if !same_resource(&claims.htu, target.url) {
        return Err(ProofError::Url);
    }
    let age = now.timestamp() - claims.iat;
    if !(-PROOF_MAX_SKEW_SECONDS..=PROOF_MAX_AGE_SECONDS).contains(&age) {
        return Err(ProofError::IssuedAt);
    }
    match (target.access_token, &claims.ath) {
        (Some(token), Some(ath)) if *ath == access_token_hash(token) => Ok(()),
        (Some(_), _) => Err(ProofError::AccessTokenHash),
        (None, _) => Ok(()),
    }
}

/// `ath`: the base64url SHA-256 of the access token (RFC 9449 §4.2).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// RFC 9449 §4.3 step 9 with RFC 3986 §6 normalisation: scheme, host, port and path equal, query
/// and fragment ignored.
fn same_resource(htu: &str, url: &str) -> bool {
    let (Ok(htu), Ok(url)) = (url::Url::parse(htu), url::Url::parse(url)) else { return false };
    htu.scheme() == url.scheme()
        && htu.host_str() == url.host_str()
        && htu.port_or_known_default() == url.port_or_known_default()
        && htu.path() == url.path()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://tickets.example/api/public/me";

    fn claims() -> ProofClaims {
        ProofClaims {
            jti: "e1j3V_bKic8-LAEB".into(),
            htm: "GET".into(),
            htu: URL.into(),
            iat: Utc::now().timestamp(),
            ath: Some(access_token_hash("token")),
            nonce: None,
        }
    }

    fn target(access_token: Option<&str>) -> ProofTarget<'_> {
        ProofTarget { method: "GET", url: URL, access_token }
    }

    #[test]
    fn a_proof_must_name_this_request_recently_and_its_token() {
        let now = Utc::now();
        assert_eq!(check_claims(&claims(), target(Some("token")), now), Ok(()));
        let with_query = ProofClaims { htu: "https://TICKETS.example:443/api/public/me?x=1#f".into(), ..claims() };
        assert_eq!(check_claims(&with_query, target(Some("token")), now), Ok(()), "normalised, query ignored");
        let cases = [
            (ProofClaims { jti: String::new(), ..claims() }, ProofError::Jti),
            (ProofClaims { htm: "POST".into(), ..claims() }, ProofError::Method),
            (ProofClaims { htu: "https://tickets.example/api/public/me/".into(), ..claims() }, ProofError::Url),
            (ProofClaims { htu: "http://tickets.example/api/public/me".into(), ..claims() }, ProofError::Url),
            (ProofClaims { iat: now.timestamp() - 301, ..claims() }, ProofError::IssuedAt),
            (ProofClaims { iat: now.timestamp() + 61, ..claims() }, ProofError::IssuedAt),
            (ProofClaims { ath: None, ..claims() }, ProofError::AccessTokenHash),
            (ProofClaims { ath: Some(access_token_hash("other")), ..claims() }, ProofError::AccessTokenHash),
        ];
        for (proof, error) in cases {
            assert_eq!(check_claims(&proof, target(Some("token")), now), Err(error.clone()), "{error}");
        }
        assert_eq!(check_claims(&ProofClaims { ath: None, ..claims() }, target(None), now), Ok(()), "token endpoint");
    }

    #[test]
    fn ath_is_the_base64url_sha256_of_the_token() {
        // RFC 9449 §7.1's example token and its ath.
        assert_eq!(
            access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
