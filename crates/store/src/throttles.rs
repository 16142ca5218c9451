//! Fixed-window counters for rate limits and brute-force throttles.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Fixed-window counters for rate limits and brute-force throttles.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// Counts a hit in the fixed window starting at `window_start` and returns the window's hits.
    async fn hit_rate_limit(&self, key: &str, window_start: DateTime<Utc>) -> StoreResult<u32>;
    /// Counts a hit for each of two different keys in one statement and returns both windows'
    /// hits, so concurrent attempts each see their own count.
    async fn take_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<[u32; 2]>;
    /// Takes back one hit from each of two keys (an attempt that succeeded).
    async fn refund_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<()>;
}
