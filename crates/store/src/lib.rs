//! Persistence for Ticketbooth: the store traits, in domain terms, and their implementation on
//! SQLite and PostgreSQL.
//!
//! The server depends only on the traits; the backend is chosen once, from the database URL, by
//! [`connect`]. Rules that decide *whether* something may happen live in the domain crate; the
//! store only guarantees that state changes are atomic (single-use codes, refresh rotation).
//!
//! Each trait has one implementation, generic over the backend, in the file of the same name
//! under `sql/`: `AccountStore` in `sql/accounts.rs`, `MailOutbox` in `sql/outbox.rs`, and so on.

mod account_links;
mod accounts;
mod admin;
mod check_ins;
mod clients;
mod consents;
mod devices;
mod error;
mod housekeeping;
mod logouts;
mod outbox;
mod portal;
pub mod postgres;
mod proofs;
mod registry;
mod rows;
mod sql;
pub mod sqlite;
mod throttles;
mod ticketing;
mod tokens;
mod wallet;
mod webhooks;

use std::sync::Arc;

pub use account_links::{AccountLinkStore, EmailChange, NewAccountLink};
pub use accounts::{AccountStore, Profile, SessionSelection};
pub use admin::{AdminStore, AuditFilter, RoleChange};
pub use check_ins::{CheckInKey, CheckInStore, NewCheckInKey, RevokedTicket, Scan, ScanOutcome, ScanTarget};
pub use clients::ClientStore;
pub use consents::ConsentStore;
pub use devices::{DeviceStore, PushedRequest, PushedRequestStore};
pub use error::{StoreError, StoreResult};
pub use housekeeping::Housekeeping;
pub use logouts::{LogoutOutbox, QueuedLogout};
pub use outbox::{MailOutbox, OutgoingMail, QueuedMail};
pub use portal::{ApplicationEdit, ApplicationFilter, Approval, PortalStore, RequestFilter};
pub use postgres::{PoolSettings, Pooler};
pub use proofs::ProofStore;
pub use registry::RegistryStore;
pub use sqlite::SqliteSync;
pub use throttles::ThrottleStore;
pub use ticketing::{EventChange, Invalidation, Page, TicketCreation, TicketQuery, TicketRef, TicketStore};
pub use tokens::{FoundGrant, GrantKey, TokenStore};
pub use wallet::{EventTickets, WalletStore};
pub use webhooks::{
    Attempt, AttemptRecord, ClaimedEndpoint, Delivery, DeliveryState, Endpoint, EndpointChange, NewEndpoint,
    QueuedDelivery, StoredEvent, WebhookStore,
};

/// Everything the service needs from persistence.
pub trait Store:
    AccountStore
    + AccountLinkStore
    + MailOutbox
    + ClientStore
    + RegistryStore
    + PortalStore
    + AdminStore
    + TokenStore
    + ConsentStore
    + ThrottleStore
    + TicketStore
    + WalletStore
    + WebhookStore
    + CheckInStore
    + DeviceStore
    + PushedRequestStore
    + ProofStore
    + LogoutOutbox
    + Housekeeping
{
}

impl<T> Store for T where
    T: AccountStore
        + AccountLinkStore
        + MailOutbox
        + ClientStore
        + RegistryStore
        + PortalStore
        + AdminStore
        + TokenStore
        + ConsentStore
        + ThrottleStore
        + TicketStore
        + WalletStore
        + WebhookStore
        + CheckInStore
        + DeviceStore
        + PushedRequestStore
        + ProofStore
        + LogoutOutbox
        + Housekeeping
{
}

/// A snapshot of a backend's connection pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
}

/// A shared handle to whichever backend the URL selected.
pub type DynStore = Arc<dyn Store>;

/// Opens the store a database URL names: `postgres://` or `postgresql://` for PostgreSQL,
/// anything else (a file path or a `sqlite:` URL) for SQLite.
pub async fn connect(database_url: &str, pool: PoolSettings) -> StoreResult<DynStore> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(database_url, pool).await?))
    } else {
        Ok(Arc::new(sqlite::open(database_url, pool).await?))
    }
}
