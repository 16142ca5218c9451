//! The mail outbox: messages written with the request that caused them, delivered later by any
//! instance.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A message to deliver: its envelope and its RFC 5322 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    pub sender: String,
    pub recipient: String,
    pub message: Vec<u8>,
}

/// A queued message claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: OutgoingMail,
    /// Deliveries tried before this one.
    pub attempts: i64,
}

/// The mail outbox.
#[async_trait]
pub trait MailOutbox: Send + Sync + 'static {
    /// Queues a message, due now.
    async fn enqueue_mail(&self, mail: &OutgoingMail, now: DateTime<Utc>) -> StoreResult<()>;
    /// Claims up to `limit` due messages until `lease_until`: until then no other claim returns
    /// them, so two instances never deliver one message at the same time.
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>>;
    /// Records a delivery.
    async fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Records a failed delivery and when to try again.
    async fn mark_mail_failed(&self, id: i64, retry_at: DateTime<Utc>, error: &str) -> StoreResult<()>;
    /// Messages not yet delivered (metrics and tests).
    async fn undelivered_mail(&self) -> StoreResult<u64>;
}
