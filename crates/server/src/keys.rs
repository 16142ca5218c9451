//! ID-token signing keys: ES256 (P-256) keys generated here, kept in the store (so every instance
//! signs and publishes the same keys), rotated on demand, published as a JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use serde_json::{json, Value};
use ticketbooth_domain::model::{NewSigningKey, SigningKey};
use ticketbooth_domain::token::{ACCESS_TOKEN_TTL, ID_TOKEN_TTL};
use ticketbooth_store::{DynStore, StoreError, StoreResult};

/// The JWS algorithm of every key.
pub const ALGORITHM: &str = "ES256";

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no id_token signing key exists")]
    NoKey,
    #[error("key encoding failed: {0}")]
    Encoding(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh P-256 key pair, with the RFC 7638 thumbprint of its public JWK as `kid`.
pub fn generate() -> Result<NewSigningKey, KeyError> {
    let private = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = private.to_pkcs8_der().map_err(|err| KeyError::Encoding(err.to_string()))?;
    let point = private.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err(KeyError::Encoding("public key point is the identity".into()));
    };
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    // RFC 7638 §3.2: the thumbprint hashes the required members in lexicographic order.
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()));
    let jwk = json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": ALGORITHM, "use": "sig" });
    Ok(NewSigningKey {
        kid,
        algorithm: ALGORITHM.into(),
        private_key: der.as_bytes().to_vec(),
        public_jwk: jwk.to_string(),
    })
}

/// How long a retired key stays published: until every token it may have signed has expired.
fn retirement_grace() -> chrono::Duration {
    ID_TOKEN_TTL.max(ACCESS_TOKEN_TTL)
}

/// Makes a new key the active one; the previous ones stay published for their tokens' lifetime.
pub async fn rotate(store: &DynStore) -> Result<SigningKey, KeyError> {
    let now = Utc::now();
    Ok(store.add_signing_key(generate()?, now, now + retirement_grace()).await?)
}

/// Creates the first key unless one is published already (first start).
pub async fn ensure(store: &DynStore) -> Result<(), KeyError> {
    if store.published_signing_keys(Utc::now()).await?.is_empty() {
        let key = rotate(store).await?;
        tracing::info!(kid = %key.kid, "generated the first id_token signing key");
    }
    Ok(())
}

/// The published keys as a JWK Set (RFC 7517 §5).
pub async fn jwks(store: &DynStore) -> StoreResult<Value> {
    let keys: Vec<Value> = store
        .published_signing_keys(Utc::now())
        .await?
        .iter()
        .filter_map(|key| serde_json::from_str(&key.public_jwk).ok())
        .collect();
    Ok(json!({ "keys": keys }))
}

/// Signs claims with the active key.
pub async fn sign<T: Serialize>(store: &DynStore, claims: &T) -> Result<String, KeyError> {
    let keys = store.published_signing_keys(Utc::now()).await?;
    let active = keys.iter().find(|key| key.retired_at.is_none()).ok_or(KeyError::NoKey)?;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(active.kid.clone());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&active.private_key))
        .map_err(|err| KeyError::Encoding(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_a_thumbprint_kid_and_a_public_jwk_only() {
        let key = generate().unwrap();
        let jwk: Value = serde_json::from_str(&key.public_jwk).unwrap();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
            (Some("EC"), Some("P-256"), Some("ES256"))
        );
        assert_eq!(jwk["kid"], key.kid);
        assert_eq!(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap().len(), 32);
        assert!(jwk.get("d").is_none(), "the private part is never published");
        assert_ne!(generate().unwrap().kid, key.kid);
    }
}
