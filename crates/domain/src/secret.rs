//! High-entropy secrets (tokens, codes, client secrets, session ids) and their stored form.
//!
//! Each secret is 32 random bytes written as 64 lowercase hex characters, the shape Eventpop's
//! tokens have. Only the SHA-256 of a secret is ever stored: with 256 bits of entropy a fast hash is
//! as safe as a slow KDF and costs nothing per request (design.md, "Secrets").

use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// A freshly generated secret, to be shown once and then forgotten.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 bytes from the operating system's CSPRNG, hex-encoded.
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Secret(hex::encode(bytes))
    }

    /// A secret derived from another with HKDF-SHA256 (RFC 5869): the same `from`, `salt` and
    /// `purpose` give the same secret, and without `from` it is as unguessable as a generated one.
    /// The refresh grace window uses it to hand out a rotation's pair again without storing it.
    pub fn derive(from: &str, salt: &[u8], purpose: &str) -> Secret {
        let mut bytes = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(salt), from.as_bytes())
            .expand(purpose.as_bytes(), &mut bytes)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Secret(hex::encode(bytes))
    }

    /// 32 random bytes to salt a derivation with.
    pub fn salt() -> [u8; 32] {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        bytes
    }

    /// Wraps a secret that was chosen elsewhere (the demo data set's fixed client secret).
    pub fn from_known(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's text, for the one response that hands it out.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash that is stored in place of the secret.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// SHA-256 of a secret: the only form in which secrets reach the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Hashes a presented secret so it can be looked up or compared.
    pub fn of(presented: &str) -> SecretHash {
        SecretHash(Sha256::digest(presented.as_bytes()).into())
    }

    /// Rebuilds a hash read back from the store.
    pub fn from_bytes(bytes: &[u8]) -> Option<SecretHash> {
        bytes.try_into().ok().map(SecretHash)
    }

    /// The raw digest, as stored.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares two hashes without leaking, through timing, how many leading bytes match.
    pub fn constant_time_eq(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", hex::encode(&self.0[..4]))
    }
}

/// Generates a public client identifier: 32 hex characters, unguessable but not secret.
pub fn generate_client_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether a presented value has the shape of one of our secrets (64 lowercase hex characters).
/// Lets callers refuse junk before any lookup.
pub fn looks_like_secret(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_64_lowercase_hex_and_distinct() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert!(looks_like_secret(a.expose()));
        assert_ne!(a, b);
    }

    #[test]
    fn derived_secrets_repeat_for_the_same_inputs_only() {
        let from = Secret::generate();
        let from = from.expose();
        let salt = Secret::salt();
        let access = Secret::derive(from, &salt, "access");
        assert!(looks_like_secret(access.expose()));
        assert_eq!(access, Secret::derive(from, &salt, "access"));
        assert_ne!(access, Secret::derive(from, &salt, "refresh"));
        assert_ne!(access, Secret::derive(from, &Secret::salt(), "access"));
        assert_ne!(access, Secret::derive(Secret::generate().expose(), &salt, "access"));
    }

    #[test]
    fn hash_is_sha256_of_the_text() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            hex::encode(SecretHash::of("abc").as_bytes()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(SecretHash::of("abc").constant_time_eq(&SecretHash::of("abc")));
        assert!(!SecretHash::of("abc").constant_time_eq(&SecretHash::of("abd")));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = Secret::generate();
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }

    #[test]
    fn shape_check() {
        assert!(!looks_like_secret("ABC"));
        assert!(!looks_like_secret(&"A".repeat(64)));
        assert!(looks_like_secret(&"0a".repeat(32)));
        assert_eq!(generate_client_id().len(), 32);
    }
}
