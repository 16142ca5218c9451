//! Single-use links sent by mail: e-mail verification, password reset, e-mail change.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::account::LinkPurpose;
use ticketbooth_domain::secret::SecretHash;

/// A link to store: the SHA-256 of its secret, never the secret.
#[derive(Debug, Clone)]
pub struct NewAccountLink {
    pub link_hash: SecretHash,
    pub user_id: i64,
    pub purpose: LinkPurpose,
    /// The address the link was mailed to (for an e-mail change, the new address).
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// What an e-mail change link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChange {
    pub user_id: i64,
    pub old_email: String,
    pub new_email: String,
}

/// Single-use links sent by mail. Each redeeming method takes the link and makes its change in
/// one transaction: a link works once, and never half.
#[async_trait]
pub trait AccountLinkStore: Send + Sync + 'static {
    /// Stores a link.
    async fn create_link(&self, link: &NewAccountLink) -> StoreResult<()>;
    /// The user an unused, unexpired link of `purpose` belongs to, without using it (the reset
    /// page shows its form only for a link that still works).
    async fn peek_link(
        &self,
        link_hash: &SecretHash,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;
    /// Uses a verification link: marks the address verified if it is still the account's.
    /// Returns the user's id, or `None` for a used, expired or unknown link.
    async fn verify_email(&self, link_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<i64>>;
    /// Uses a reset link: sets the password, ends every session, and marks the address verified
    /// (the link proved it). Returns the user's id, or `None` for a used, expired or unknown link.
    async fn reset_password(
        &self,
        link_hash: &SecretHash,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;
    /// Uses an e-mail change link: moves the account to the new, now verified, address.
    /// `Conflict` when another account took the address meanwhile (the link stays unused).
    async fn change_email(&self, link_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<EmailChange>>;
}
