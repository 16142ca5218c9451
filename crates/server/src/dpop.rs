//! DPoP (RFC 9449): checking the `DPoP` proof header, and the server nonces of §8.
//!
//! A proof is a JWS whose header carries the client's public key. It is checked here with
//! jsonwebtoken (signature, `typ`, algorithm) and by `ticketbooth_domain::dpop` (method, URL, age,
//! access-token hash); its `jti` is then recorded in the store, so a replay is refused on every
//! instance. Tokens are bound to the key's RFC 7638 thumbprint (`jkt`).
//!
//! Nonces are stateless: a five-minute window number and its HMAC under a secret every instance
//! reads from the store, so any instance accepts any instance's nonce of this window or the last.

use crate::{jose, AppState};
use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{DecodingKey, Validation};
use sha2::Sha256;
use ticketbooth_domain::dpop::{self, ProofClaims, ProofTarget, PROOF_MAX_AGE_SECONDS, PROOF_MAX_SKEW_SECONDS};
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_store::StoreError;

/// The request header a proof travels in.
const DPOP: &str = "dpop";
/// How long a nonce's window lasts; a nonce is accepted in its window and the next.
const NONCE_WINDOW_SECONDS: i64 = 300;

/// A verified proof: the thumbprint of the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proof {
    pub(crate) jkt: String,
}

/// Why a request's proof was refused.
#[derive(Debug)]
pub(crate) enum ProofFailure {
    /// `invalid_dpop_proof`, with why.
    Invalid(String),
    /// `use_dpop_nonce`: the proof must carry a current nonce.
    NonceNeeded,
    Store(StoreError),
}

impl From<StoreError> for ProofFailure {
    fn from(err: StoreError) -> Self {
        ProofFailure::Store(err)
    }
}

fn invalid(why: impl Into<String>) -> ProofFailure {
    ProofFailure::Invalid(why.into())
}

/// Checks the request's `DPoP` header, if any, against the request: its method, its `path` on
/// this server and, at a resource, its access token. `None` when the request carries no proof.
/// With `nonce_required` a proof without a current nonce is answered `use_dpop_nonce`.
pub(crate) async fn verify(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    access_token: Option<&str>,
    nonce_required: bool,
) -> Result<Option<Proof>, ProofFailure> {
    let mut sent = headers.get_all(DPOP).iter();
    let Some(proof) = sent.next() else { return Ok(None) };
    if sent.next().is_some() {
        return Err(invalid("Send one DPoP header."));
    }
    let proof = proof.to_str().map_err(|_| invalid("The DPoP header is not a JWT."))?;
    let header = jsonwebtoken::decode_header(proof).map_err(|_| invalid("The DPoP header is not a JWT."))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(invalid("The DPoP proof's typ must be dpop+jwt."));
    }
    // The advertised list (`dpop_signing_alg_values_supported`) is the checked one.
    if !jose::algorithm_name(header.alg).is_some_and(|name| dpop::SIGNING_ALGORITHMS.contains(&name)) {
        return Err(invalid("The DPoP proof's alg is not supported."));
    }
    let jwk = header.jwk.as_ref().ok_or_else(|| invalid("The DPoP proof's header has no jwk."))?;
    if carries_private_key(proof) {
        return Err(invalid("The DPoP proof's jwk must be a public key."));
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("The DPoP proof's jwk is not a usable key."))?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<ProofClaims>(proof, &key, &validation)
        .map_err(|_| invalid("The DPoP proof's signature or claims are invalid."))?
        .claims;
    let jkt = jwk.thumbprint(ThumbprintHash::SHA256).map_err(|_| invalid("The DPoP proof's jwk has no thumbprint."))?;
    let now = Utc::now();
    let url = state.config.url(path);
    dpop::check_claims(&claims, ProofTarget { method, url: &url, access_token }, now)
        .map_err(|err| invalid(err.to_string()))?;
    match &claims.nonce {
        Some(nonce) if !nonce_is_current(state, nonce, now).await? => return Err(ProofFailure::NonceNeeded),
        None if nonce_required => return Err(ProofFailure::NonceNeeded),
        _ => {}
    }
    // Remembered until the proof would be too old anyway.
    let until = DateTime::from_timestamp(claims.iat, 0).unwrap_or(now)
        + Duration::seconds(PROOF_MAX_AGE_SECONDS + PROOF_MAX_SKEW_SECONDS);
    let replay_key = SecretHash::of(&format!("{jkt}\n{}", claims.jti));
    if !state.store.remember_proof(&replay_key, until).await? {
        return Err(invalid("The DPoP proof was used before."));
    }
    Ok(Some(Proof { jkt }))
}

/// Whether the proof's header `jwk` has a private part (`d`, or RSA's primes): such a proof
/// gave its key away and is refused (RFC 9449 §4.3 step 7).
fn carries_private_key(proof: &str) -> bool {
    let header = proof.split('.').next().and_then(|part| URL_SAFE_NO_PAD.decode(part).ok());
    let header: Option<serde_json::Value> = header.and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let Some(jwk) = header.as_ref().and_then(|header| header.get("jwk")).and_then(|jwk| jwk.as_object()) else {
        return true;
    };
    ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|part| jwk.contains_key(*part))
}

/// A nonce for the client's next proof.
pub(crate) async fn nonce(state: &AppState) -> Result<String, StoreError> {
    let window = Utc::now().timestamp().div_euclid(NONCE_WINDOW_SECONDS);
    Ok(nonce_for(&nonce_key(state).await?, window))
}

async fn nonce_is_current(state: &AppState, nonce: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let key = nonce_key(state).await?;
    let window = now.timestamp().div_euclid(NONCE_WINDOW_SECONDS);
    Ok([window, window - 1].into_iter().any(|window| {
        let expected = nonce_for(&key, window);
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), nonce.as_bytes()).into()
    }))
}

fn nonce_for(key: &[u8], window: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&window.to_be_bytes());
    let tag = mac.finalize().into_bytes();
    let mut nonce = window.to_be_bytes().to_vec();
    nonce.extend_from_slice(&tag[..16]);
    URL_SAFE_NO_PAD.encode(nonce)
}

/// The nonce secret: read from the store once per process (every instance shares it).
async fn nonce_key(state: &AppState) -> Result<Vec<u8>, StoreError> {
    state
        .dpop_nonce_key
        .get_or_try_init(|| async {
            let candidate = Secret::salt();
            state.store.server_secret("dpop-nonce", &candidate, Utc::now()).await
        })
        .await
        .cloned()
}
