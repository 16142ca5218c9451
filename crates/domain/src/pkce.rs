//! Proof Key for Code Exchange (RFC 7636), `S256` only: `plain` offers no protection once the
//! authorization request leaks, so RFC 9700 §2.1.1 tells servers not to accept it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Why a PKCE parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// A method other than `S256`.
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    /// A challenge that is not 43 base64url characters (the SHA-256 of a verifier).
    #[error("code_challenge must be a base64url-encoded SHA-256 digest")]
    MalformedChallenge,
    /// A verifier outside RFC 7636 §4.1's grammar.
    #[error("code_verifier must be 43 to 128 unreserved characters")]
    MalformedVerifier,
}

/// Validates an authorization request's `code_challenge` and `code_challenge_method`.
/// The method defaults to `plain` in RFC 7636, so an omitted method is refused too.
pub fn validate_challenge(challenge: &str, method: Option<&str>) -> Result<(), PkceError> {
    if method != Some("S256") {
        return Err(PkceError::UnsupportedMethod);
    }
    let well_formed =
        challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if well_formed {
        Ok(())
    } else {
        Err(PkceError::MalformedChallenge)
    }
}

/// The `S256` challenge for a verifier: BASE64URL(SHA256(verifier)).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Checks a token request's `code_verifier` against the stored challenge in constant time.
pub fn verify(verifier: &str, challenge: &str) -> Result<bool, PkceError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(PkceError::MalformedVerifier);
    }
    Ok(bool::from(s256_challenge(verifier).as_bytes().ct_eq(challenge.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), Ok(true));
        assert_eq!(verify(&verifier.replace('d', "e"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), Ok(false));
    }

    #[test]
    fn plain_and_missing_methods_are_refused() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(validate_challenge(challenge, Some("plain")), Err(PkceError::UnsupportedMethod));
        assert_eq!(validate_challenge(challenge, None), Err(PkceError::UnsupportedMethod));
        assert_eq!(validate_challenge(challenge, Some("S256")), Ok(()));
        assert_eq!(validate_challenge("short", Some("S256")), Err(PkceError::MalformedChallenge));
    }

    #[test]
    fn malformed_verifiers_are_refused() {
        assert_eq!(verify("too-short", "x"), Err(PkceError::MalformedVerifier));
        assert_eq!(verify(&"a".repeat(129), "x"), Err(PkceError::MalformedVerifier));
        assert_eq!(verify(&format!("{}!", "a".repeat(42)), "x"), Err(PkceError::MalformedVerifier));
    }
}
