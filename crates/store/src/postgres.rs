//! The PostgreSQL backend: one pool serves reads and writes; PostgreSQL's row locks settle races
//! between instances (the single-use guards in [`crate::sql`] block, then match nothing).

use crate::sql::PendingTokens;
use crate::{PoolStats, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Ticketbooth's store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    pending_tokens: Arc<PendingTokens>,
}

/// Pool settings for [`PgStore::open`].
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections this instance opens.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names.
    pub async fn open(url: &str, settings: PoolSettings) -> StoreResult<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        // No ping before each use: it would double the round trips of every query; a broken
        // connection fails its query instead, and the pool replaces it.
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .test_before_acquire(false)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(PgStore { pool, pending_tokens: Arc::default() })
    }

    /// Run first in a transaction that must see every token stored before it and none stored
    /// while it runs (consent revocation): waits for the token inserts under way to commit and
    /// holds new ones until the transaction ends. A statement under READ COMMITTED would otherwise
    /// miss a successor that a concurrent rotation commits after the statement began.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str> = Some("LOCK TABLE access_tokens IN SHARE ROW EXCLUSIVE MODE");

    /// A connection for writing; PostgreSQL takes writes on any connection.
    async fn write(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    /// A connection for reading.
    async fn read(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    /// PostgreSQL answers over the network: no read is cheap enough to run inline.
    fn read_inline<P, T>(
        &self,
        _query: &str,
        _params: P,
        _row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<Option<T>>> {
        None
    }

    fn stats(&self) -> PoolStats {
        PoolStats { size: self.pool.size(), idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX) }
    }
}

/// Creates an empty schema with a random name on the server `url` names and returns a URL whose
/// connections use it, so parallel test runs never see each other's rows.
pub async fn create_isolated_schema(url: &str) -> StoreResult<String> {
    use sqlx::Connection;
    let schema = format!("tb_test_{}", &ticketbooth_domain::secret::generate_client_id()[..16]);
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await?;
    conn.close().await?;
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}options[search_path]={schema}"))
}

crate::sql::impl_store!(PgStore, "./migrations/postgres", sqlx::PgConnection, sqlx::Postgres);
