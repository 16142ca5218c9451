//! DPoP proofs seen (RFC 9449 §11.1) and the secrets every instance shares.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::secret::SecretHash;

#[async_trait]
pub trait ProofStore: Send + Sync + 'static {
    /// Records a proof (by the hash of its key and `jti`) until `expires_at`; false when it was
    /// recorded before, on any instance: a replay.
    async fn remember_proof(&self, proof_hash: &SecretHash, expires_at: DateTime<Utc>) -> StoreResult<bool>;
    /// The secret named `name`: the first caller's `candidate` becomes it, and every later call,
    /// on any instance, gets that one.
    async fn server_secret(&self, name: &str, candidate: &[u8], now: DateTime<Utc>) -> StoreResult<Vec<u8>>;
}
