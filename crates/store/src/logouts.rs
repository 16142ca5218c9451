//! The back-channel logout outbox (OpenID Connect Back-Channel Logout 1.0): one notification per
//! application a person signed out of, written before the session ends and delivered by any
//! instance with retries.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A notification claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedLogout {
    pub id: i64,
    pub application_id: i64,
    /// The application's `backchannel_logout_uri` when the notification was queued.
    pub uri: String,
    /// The `sub` of the person who signed out.
    pub subject: String,
    /// The logout token's `jti`, the same on every attempt so the application can drop repeats.
    pub jti: String,
    /// Deliveries tried before this one.
    pub attempts: i64,
}

#[async_trait]
pub trait LogoutOutbox: Send + Sync + 'static {
    /// Queues a notification to every application the user authorized that has a
    /// `backchannel_logout_uri`; `new_jti` names each. Returns how many were queued.
    async fn queue_logouts(
        &self,
        user_id: i64,
        subject: &str,
        new_jti: &(dyn Fn() -> String + Send + Sync),
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// Claims up to `limit` due notifications until `lease_until`.
    async fn claim_logouts(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedLogout>>;
    /// Records a delivery.
    async fn mark_logout_sent(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Records a failed delivery and when to try again.
    async fn mark_logout_failed(&self, id: i64, retry_at: DateTime<Utc>, error: &str) -> StoreResult<()>;
}
