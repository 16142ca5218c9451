//! ID-token signing keys: one active RS256 (RSA 2048) and one active ES256 (P-256) key, generated
//! here, kept in the store (so every instance signs and publishes the same keys), rotated on
//! demand, published together as a JWKS. Each application's id_tokens use its own algorithm.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{json, Value};
use ticketbooth_domain::model::{IdTokenAlg, NewSigningKey, SigningKey};
use ticketbooth_domain::token::{ACCESS_TOKEN_TTL, ID_TOKEN_TTL};
use ticketbooth_store::{DynStore, StoreError, StoreResult};

/// The size of generated RSA keys (RFC 7518 §3.3 asks for at least 2048 bits).
const RSA_BITS: usize = 2048;

/// Why a key could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no active {0} id_token signing key exists")]
    NoKey(&'static str),
    #[error("key encoding failed: {0}")]
    Encoding(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh key pair for `alg`, with the RFC 7638 thumbprint of its public JWK as `kid`.
pub fn generate(alg: IdTokenAlg) -> Result<NewSigningKey, KeyError> {
    let encoding = |err: &dyn std::fmt::Display| KeyError::Encoding(err.to_string());
    let (private_key, mut jwk, canonical) = match alg {
        IdTokenAlg::ES256 => {
            let private = p256::SecretKey::random(&mut rand::rngs::OsRng);
            let der = private.to_pkcs8_der().map_err(|err| encoding(&err))?;
            let point = private.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(KeyError::Encoding("public key point is the identity".into()));
            };
            let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
            // RFC 7638 §3.2: the thumbprint hashes the required members in lexicographic order.
            let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
            (der.as_bytes().to_vec(), json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }), canonical)
        }
        IdTokenAlg::RS256 => {
            let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, RSA_BITS).map_err(|err| encoding(&err))?;
            let der = private.to_pkcs1_der().map_err(|err| encoding(&err))?;
            let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
            let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
            let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
            (der.as_bytes().to_vec(), json!({ "kty": "RSA", "n": n, "e": e }), canonical)
        }
    };
    let kid = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()));
    jwk["kid"] = json!(kid);
    jwk["alg"] = json!(alg.as_str());
    jwk["use"] = json!("sig");
    Ok(NewSigningKey { kid, algorithm: alg.as_str().into(), private_key, public_jwk: jwk.to_string() })
}

/// How long a retired key stays published: until every token it may have signed has expired.
fn retirement_grace() -> chrono::Duration {
    ID_TOKEN_TTL.max(ACCESS_TOKEN_TTL)
}

/// Makes a new key of `alg` the active one; the previous ones stay published for their tokens'
/// lifetime.
pub async fn rotate_one(store: &DynStore, alg: IdTokenAlg) -> Result<SigningKey, KeyError> {
    // RSA key generation takes tens of milliseconds of CPU: off the async workers.
    let key = tokio::task::spawn_blocking(move || generate(alg))
        .await
        .map_err(|err| KeyError::Encoding(err.to_string()))??;
    let now = Utc::now();
    Ok(store.add_signing_key(key, now, now + retirement_grace()).await?)
}

/// Rotates the keys of every algorithm (`keys rotate`); returns the new keys.
pub async fn rotate(store: &DynStore) -> Result<Vec<SigningKey>, KeyError> {
    let mut rotated = Vec::new();
    for alg in IdTokenAlg::ALL {
        rotated.push(rotate_one(store, alg).await?);
    }
    Ok(rotated)
}

/// Creates an active key for each algorithm that has none (first start, or an upgrade that added
/// an algorithm).
pub async fn ensure(store: &DynStore) -> Result<(), KeyError> {
    let published = store.published_signing_keys(Utc::now()).await?;
    for alg in IdTokenAlg::ALL {
        if !published.iter().any(|key| key.retired_at.is_none() && key.algorithm == alg.as_str()) {
            let key = rotate_one(store, alg).await?;
            tracing::info!(kid = %key.kid, alg = alg.as_str(), "generated an id_token signing key");
        }
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

/// Signs claims with the active key of `alg`.
pub async fn sign<T: Serialize>(store: &DynStore, claims: &T, alg: IdTokenAlg) -> Result<String, KeyError> {
    sign_typed(store, claims, alg, None).await
}

/// Signs claims with the active key of `alg`, naming the token's type in the header (`typ`,
/// RFC 8725 §3.11: a logout token is `logout+jwt`, so it cannot pass for an ID token).
pub async fn sign_typed<T: Serialize>(
    store: &DynStore,
    claims: &T,
    alg: IdTokenAlg,
    typ: Option<&str>,
) -> Result<String, KeyError> {
    let keys = store.published_signing_keys(Utc::now()).await?;
    let active = keys
        .iter()
        .find(|key| key.retired_at.is_none() && key.algorithm == alg.as_str())
        .ok_or(KeyError::NoKey(alg.as_str()))?;
    let (algorithm, key) = match alg {
        IdTokenAlg::ES256 => (Algorithm::ES256, EncodingKey::from_ec_der(&active.private_key)),
        IdTokenAlg::RS256 => (Algorithm::RS256, EncodingKey::from_rsa_der(&active.private_key)),
    };
    let mut header = Header::new(algorithm);
    header.kid = Some(active.kid.clone());
    header.typ = typ.map(str::to_owned).or(header.typ);
    jsonwebtoken::encode(&header, claims, &key).map_err(|err| KeyError::Encoding(err.to_string()))
}

/// The claims of a token this server signed with one of its published keys, expired or not
/// (an `id_token_hint` may be old); `None` when it is not ours or does not verify.
pub async fn verify_own(store: &DynStore, issuer: &str, token: &str) -> StoreResult<Option<Value>> {
    let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
    let keys = store.published_signing_keys(Utc::now()).await?;
    let alg = crate::jose::algorithm_name(header.alg);
    let key = keys.iter().find(|key| Some(&key.kid) == header.kid.as_ref() && Some(key.algorithm.as_str()) == alg);
    let Some(jwk) = key.and_then(|key| serde_json::from_str::<jsonwebtoken::jwk::Jwk>(&key.public_jwk).ok()) else {
        return Ok(None);
    };
    let Ok(decoding) = jsonwebtoken::DecodingKey::from_jwk(&jwk) else { return Ok(None) };
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    validation.set_issuer(&[issuer]);
    Ok(jsonwebtoken::decode::<Value>(token, &decoding, &validation).ok().map(|data| data.claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rsa_keys_publish_their_modulus_and_exponent_only() {
        let key = generate(IdTokenAlg::RS256).unwrap();
        let jwk: Value = serde_json::from_str(&key.public_jwk).unwrap();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["e"].as_str()),
            (Some("RSA"), Some("RS256"), Some("AQAB"))
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap().len(), RSA_BITS / 8);
        assert_eq!(jwk["kid"], key.kid);
        assert!(jwk.get("d").is_none() && jwk.get("p").is_none(), "the private part is never published");
    }

    #[test]
    fn generated_keys_have_a_thumbprint_kid_and_a_public_jwk_only() {
        let key = generate(IdTokenAlg::ES256).unwrap();
        let jwk: Value = serde_json::from_str(&key.public_jwk).unwrap();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
            (Some("EC"), Some("P-256"), Some("ES256"))
        );
        assert_eq!(jwk["kid"], key.kid);
        assert_eq!(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap().len(), 32);
        assert!(jwk.get("d").is_none(), "the private part is never published");
        assert_ne!(generate(IdTokenAlg::ES256).unwrap().kid, key.kid);
    }
}
