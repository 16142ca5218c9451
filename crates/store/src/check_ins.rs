//! Door check-in: scans, the event's live counts, revoked tickets for offline scanners, and the
//! per-event keys that sign tickets' offline passes.

use crate::{Page, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::check_in::{CheckIn, CheckInCounts, Direction, Refusal};
use ticketbooth_domain::ticketing::Ticket;

/// Which ticket a scan names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanTarget {
    /// By id, from a verified pass of this event.
    TicketId(i64),
    /// By reference code, typed or read off a printed ticket.
    ReferenceCode(String),
    /// Refused before any lookup (a pass that fails verification, or of another event); the scan
    /// is still recorded.
    Refused(Refusal),
}

/// A scan to record.
#[derive(Debug, Clone)]
pub struct Scan {
    pub event_id: i64,
    pub target: ScanTarget,
    pub direction: Direction,
    pub nonce: String,
    pub device: Option<String>,
    pub scanned_at: DateTime<Utc>,
    /// Record it as admitted whatever the ticket's state (an offline scan uploaded later).
    pub force: bool,
    pub now: DateTime<Utc>,
}

/// The answer to a scan.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub check_in: CheckIn,
    /// The ticket as it is after the scan, when one was found.
    pub ticket: Option<Ticket>,
    /// True when the nonce was seen before: this is the first answer again.
    pub replayed: bool,
}

/// A revoked ticket, for scanners' offline lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedTicket {
    pub id: i64,
    pub reference_code: String,
    pub revoked_at: DateTime<Utc>,
}

/// A key that signs an event's passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInKey {
    pub kid: String,
    /// PKCS#8 DER.
    pub private_key: Vec<u8>,
    /// The public half as a JWK (JSON).
    pub public_jwk: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// A key to add.
#[derive(Debug, Clone)]
pub struct NewCheckInKey {
    pub kid: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
}

/// Scans and the keys of offline passes.
#[async_trait]
pub trait CheckInStore: Send + Sync + 'static {
    /// Records a scan and applies it to its ticket, idempotent on the event and nonce; emits
    /// `ticket.checked_in` for an admitted entry, in the same transaction.
    async fn record_scan(&self, scan: Scan) -> StoreResult<ScanOutcome>;
    /// A page of the event's scans, newest first.
    async fn check_ins(&self, event_id: i64, page: u32, per_page: u32) -> StoreResult<Page<CheckIn>>;
    async fn check_in_counts(&self, event_id: i64) -> StoreResult<CheckInCounts>;
    /// The event's tickets revoked at or after `since`, oldest first, at most `limit`.
    async fn revoked_tickets(&self, event_id: i64, since: DateTime<Utc>, limit: u32)
        -> StoreResult<Vec<RevokedTicket>>;
    /// Every key of the event, the active one (not retired) first.
    async fn check_in_keys(&self, event_id: i64) -> StoreResult<Vec<CheckInKey>>;
    /// Adds `key` as the event's active key: when `replace`, the current one is retired; else
    /// only when the event has none (two instances making the first key agree on one).
    async fn add_check_in_key(
        &self,
        event_id: i64,
        key: NewCheckInKey,
        replace: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<CheckInKey>;
}
