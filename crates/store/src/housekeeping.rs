//! Schema, health and clean-up.

use crate::PoolStats;
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Schema, health and clean-up.
#[async_trait]
pub trait Housekeeping: Send + Sync + 'static {
    /// The versions of the migrations not yet applied.
    async fn pending_migrations(&self) -> StoreResult<Vec<i64>>;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Whether the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Connections open and idle in this process's pools (metrics).
    fn pool_stats(&self) -> PoolStats;
    /// Deletes up to `limit` rows from each table of expired things (codes, tokens whose access
    /// and refresh tokens have both expired, sessions, mailed links, mail delivered a week ago) and returns how many went.
    async fn delete_expired(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
}
