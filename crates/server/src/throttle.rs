//! Brute-force protection: failed sign-ins and failed client authentications are counted per
//! account (or client id) and per client address in fixed windows kept in the store, so every
//! instance sees the same counts. Past a limit, attempts are refused before any password or
//! secret is checked, until the window ends.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use ticketbooth_store::{DynStore, StoreResult};

/// Limits on failed attempts within one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimits {
    /// Failures allowed per account (or client id) per window; 0 = unlimited.
    pub per_subject: u32,
    /// Failures allowed per client address per window; 0 = unlimited.
    pub per_address: u32,
    /// The window's length in seconds.
    pub window_seconds: i64,
}

impl FailureLimits {
    /// Sign-in: 10 failures per account and 100 per address in 15 minutes.
    pub const SIGN_IN: FailureLimits = FailureLimits { per_subject: 10, per_address: 100, window_seconds: 900 };
    /// Client authentication: 20 failures per client id and 200 per address in 15 minutes.
    pub const CLIENT_AUTH: FailureLimits = FailureLimits { per_subject: 20, per_address: 200, window_seconds: 900 };
}

/// The counters one attempt is judged by.
pub(crate) struct Attempt {
    subject_key: String,
    address_key: String,
    limits: FailureLimits,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
}

impl Attempt {
    /// An attempt of `kind` (`signin`, `client`) on `subject` from `address`. Subjects are hashed
    /// so the store keeps no email addresses or client ids typed by strangers.
    pub(crate) fn new(kind: &str, subject: &str, address: &str, limits: FailureLimits, now: DateTime<Utc>) -> Attempt {
        let window = TimeDelta::seconds(limits.window_seconds.max(1));
        let window_start = now.duration_trunc(window).unwrap_or(now);
        let digest = hex_prefix(subject);
        Attempt {
            subject_key: format!("{kind}:subject:{digest}"),
            address_key: format!("{kind}:address:{address}"),
            limits,
            window_start,
            window_end: window_start + window,
        }
    }

    /// `Err(seconds to wait)` when either counter is at its limit.
    pub(crate) async fn check(&self, store: &DynStore, now: DateTime<Utc>) -> StoreResult<Result<(), u64>> {
        let limits = [self.limits.per_subject, self.limits.per_address];
        if limits == [0, 0] {
            return Ok(Ok(()));
        }
        // Both counts in one query: this runs before every sign-in and client authentication.
        let hits = store.rate_limit_hits([&self.subject_key, &self.address_key], self.window_start).await?;
        match limits.iter().zip(hits).any(|(limit, hits)| *limit > 0 && hits >= *limit) {
            true => Ok(Err((self.window_end - now).num_seconds().max(1).unsigned_abs())),
            false => Ok(Ok(())),
        }
    }

    /// Counts a failure against both counters.
    pub(crate) async fn record_failure(&self, store: &DynStore) -> StoreResult<()> {
        store.hit_rate_limit(&self.subject_key, self.window_start).await?;
        store.hit_rate_limit(&self.address_key, self.window_start).await?;
        Ok(())
    }
}

fn hex_prefix(subject: &str) -> String {
    Sha256::digest(subject.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}
