//! Persistence for Ticketbooth: the [`Store`] trait, in domain terms, and its backends.
//!
//! The server depends only on the trait; the backend is chosen once, from the database URL, by
//! [`connect`]. Rules that decide *whether* something may happen live in the domain crate; the
//! store only guarantees that state changes are atomic (single-use codes, refresh rotation).

mod error;
mod identity;
pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;
mod ticketing;

use std::sync::Arc;

pub use error::{StoreError, StoreResult};
pub use identity::IdentityStore;
pub use postgres::PoolSettings;
pub use ticketing::{Invalidation, Page, TicketCreation, TicketQuery, TicketRef, TicketStore};

/// Everything the service needs from persistence.
pub trait Store: IdentityStore + TicketStore {}

impl<T: IdentityStore + TicketStore> Store for T {}

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
        Ok(Arc::new(postgres::PgStore::open(database_url, pool).await?))
    } else {
        Ok(Arc::new(sqlite::SqliteStore::open(database_url).await?))
    }
}
