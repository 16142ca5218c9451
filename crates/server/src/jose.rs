//! The cryptography behind jsonwebtoken: its RustCrypto provider, with ES256 signatures verified
//! by `ring` (already linked for TLS). A DPoP-bound request verifies an ES256 proof, and
//! RustCrypto's P-256 verification took most of such a request's time (`docs/benchmarks.md`);
//! ring's is several times faster. Everything else is RustCrypto's, unchanged.

use jsonwebtoken::crypto::{rust_crypto, CryptoProvider, JwtVerifier};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::sync::LazyLock;

static PROVIDER: LazyLock<CryptoProvider> =
    LazyLock::new(|| CryptoProvider { verifier_factory: verifier, ..rust_crypto::DEFAULT_PROVIDER.clone() });

/// Makes this the process's provider. Only the first call, before any token is signed or
/// verified, can take effect; later ones (a second server in one test process) change nothing.
pub(crate) fn install() {
    let _ = LazyLock::force(&PROVIDER).install_default();
}

fn verifier(algorithm: &Algorithm, key: &DecodingKey) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    match algorithm {
        // A JWK's EC key is kept as the SEC 1 uncompressed point, which is what ring takes.
        Algorithm::ES256 => Ok(Box::new(RingEs256 { point: key.try_get_as_bytes()?.to_vec() })),
        _ => (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(algorithm, key),
    }
}

/// The JWS name of an asymmetric algorithm we verify, to check against an advertised list;
/// `None` for the others (HMAC above all: a public key must never serve as an HMAC secret).
pub(crate) fn algorithm_name(algorithm: Algorithm) -> Option<&'static str> {
    Some(match algorithm {
        Algorithm::RS256 => "RS256",
        Algorithm::PS256 => "PS256",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => return None,
    })
}

/// ES256 (ECDSA P-256 SHA-256, the JWS fixed-length `r || s` signature) by ring.
struct RingEs256 {
    point: Vec<u8>,
}

impl signature::Verifier<Vec<u8>> for RingEs256 {
    fn verify(&self, message: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &self.point)
            .verify(message, signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for RingEs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;
    use ticketbooth_domain::model::IdTokenAlg;

    #[test]
    fn ring_verifies_what_rustcrypto_signs_and_refuses_a_changed_message() {
        let key = keys::generate(IdTokenAlg::ES256).unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_str(&key.public_jwk).unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_ec_der(&key.private_key);
        let signed = jsonwebtoken::crypto::sign(b"header.payload", &encoding, Algorithm::ES256).unwrap();
        let signature = jsonwebtoken::crypto::verify;
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let ring = verifier(&Algorithm::ES256, &decoding).unwrap();
        let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &signed).unwrap();
        assert!(ring.verify(b"header.payload", &raw).is_ok());
        assert!(ring.verify(b"header.payloaD", &raw).is_err());
        assert!(
            signature(&signed, b"header.payload", &decoding, Algorithm::ES256).unwrap(),
            "and through jsonwebtoken"
        );
    }
}
