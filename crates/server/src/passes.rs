//! Offline passes: each ticket's `secret` is a compact JWS (EdDSA, Ed25519) over a few ids and a
//! validity window, signed with its event's key. Each event has its own keys, made on first use
//! and kept in the store (every instance signs with the same one), published as a JWKS; rotation
//! retires the active key, which stays published so passes it signed keep verifying.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde_json::{json, Value};
use ticketbooth_domain::check_in::{PassClaims, Refusal};
use ticketbooth_domain::ticketing::{Event, Ticket};
use ticketbooth_store::{CheckInKey, DynStore, NewCheckInKey, StoreError};

/// A fresh Ed25519 key with its RFC 7638 thumbprint as `kid`.
pub fn generate() -> Result<NewCheckInKey, String> {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let der = signing.to_pkcs8_der().map_err(|err| err.to_string())?;
    let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
    // RFC 7638 §3.2 (RFC 8037 §2 for OKP): the required members in lexicographic order.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()));
    let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" });
    Ok(NewCheckInKey { kid, private_key: der.as_bytes().to_vec(), public_jwk: jwk.to_string() })
}

/// The event's active key, made now if it has none.
async fn active_key(store: &DynStore, event_id: i64) -> Result<CheckInKey, StoreError> {
    let keys = store.check_in_keys(event_id).await?;
    if let Some(active) = keys.into_iter().find(|key| key.retired_at.is_none()) {
        return Ok(active);
    }
    let key = generate().map_err(StoreError::Corrupt)?;
    store.add_check_in_key(event_id, key, false, Utc::now()).await
}

/// Makes a new key the event's active one (`events rotate-check-in-key`).
pub async fn rotate(store: &DynStore, event_id: i64) -> Result<CheckInKey, StoreError> {
    let key = generate().map_err(StoreError::Corrupt)?;
    store.add_check_in_key(event_id, key, true, Utc::now()).await
}

/// The event's public keys as a JWK Set.
pub async fn jwks(store: &DynStore, event_id: i64) -> Result<Value, StoreError> {
    // Publishing makes the first key, so a scanner can sync before any pass was shown.
    active_key(store, event_id).await?;
    let keys: Vec<Value> = store
        .check_in_keys(event_id)
        .await?
        .iter()
        .filter_map(|key| serde_json::from_str(&key.public_jwk).ok())
        .collect();
    Ok(json!({ "keys": keys }))
}

/// Signs passes of one event with its active key (one key lookup for many tickets).
pub struct PassSigner {
    header: Header,
    key: EncodingKey,
    start_at: chrono::DateTime<Utc>,
    end_at: chrono::DateTime<Utc>,
}

impl PassSigner {
    /// The signer of `event`'s passes, its first key made now if it has none.
    pub async fn of(store: &DynStore, event: &Event) -> Result<PassSigner, StoreError> {
        let key = active_key(store, event.id).await?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = None;
        header.kid = Some(key.kid.clone());
        let key = EncodingKey::from_ed_der(&key.private_key);
        Ok(PassSigner { header, key, start_at: event.start_at, end_at: event.end_at })
    }

    /// The ticket's pass.
    pub fn sign(&self, ticket: &Ticket) -> Result<String, StoreError> {
        let claims = PassClaims::for_ticket(ticket, self.start_at, self.end_at);
        jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|err| StoreError::Corrupt(format!("pass signing: {err}")))
    }
}

/// The ticket's pass, signed with its event's active key.
pub async fn issue(store: &DynStore, ticket: &Ticket, event: &Event) -> Result<String, StoreError> {
    PassSigner::of(store, event).await?.sign(ticket)
}

/// Verifies a pass presented at `event_id`'s door: its claims, or why it is refused
/// (`wrong_event` for a genuine pass of another event).
pub async fn verify(store: &DynStore, event_id: i64, pass: &str) -> Result<Result<PassClaims, Refusal>, StoreError> {
    // The claims name the event whose keys to try; nothing is trusted before the signature holds.
    let Ok(unverified) = jsonwebtoken::dangerous::insecure_decode::<PassClaims>(pass) else {
        return Ok(Err(Refusal::Invalid));
    };
    let Some(kid) = unverified.header.kid.filter(|_| unverified.header.alg == Algorithm::EdDSA) else {
        return Ok(Err(Refusal::Invalid));
    };
    let claimed_event = unverified.claims.e;
    let keys = store.check_in_keys(claimed_event).await?;
    let Some(key) = keys.iter().find(|key| key.kid == kid) else { return Ok(Err(Refusal::Invalid)) };
    let jwk: Value = serde_json::from_str(&key.public_jwk).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    let decoding = jwk["x"].as_str().and_then(|x| DecodingKey::from_ed_components(x).ok());
    let Some(decoding) = decoding else { return Ok(Err(Refusal::Invalid)) };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "nbf"]);
    validation.leeway = 300;
    Ok(match jsonwebtoken::decode::<PassClaims>(pass, &decoding, &validation) {
        Ok(verified) if verified.claims.e == event_id => Ok(verified.claims),
        Ok(_) => Err(Refusal::WrongEvent),
        Err(_) => Err(Refusal::Invalid),
    })
}
