//! The PostgreSQL backend: one pool serves reads and writes; PostgreSQL's row locks settle races
//! between instances (the single-use guards in `sql/tokens.rs` block, then match nothing).

use crate::sql::{Backend, SqlStore};
use crate::sqlite::SqliteSync;
use crate::{PoolStats, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// PostgreSQL's connections.
#[derive(Debug)]
pub(crate) struct PgBackend {
    pool: PgPool,
}

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connection settings of a store (see [`crate::connect`]).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Most connections this instance opens (PostgreSQL).
    pub max_connections: u32,
    /// How long a request waits for a free connection (PostgreSQL), or for the write lock
    /// (SQLite), before it is answered 503.
    pub acquire_timeout: Duration,
    /// When an SQLite commit is on stable storage (see [`SqliteSync`]).
    pub sqlite_synchronous: SqliteSync,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            sqlite_synchronous: SqliteSync::Full,
        }
    }
}

/// Connects to the database a `postgres://` URL names.
pub(crate) async fn open(url: &str, settings: PoolSettings) -> StoreResult<SqlStore<PgBackend>> {
    let options = PgConnectOptions::from_str(url)?;
    // No ping before each use: it would double the round trips of every query; a broken
    // connection fails its query instead, and the pool replaces it.
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .test_before_acquire(false)
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await?;
    Ok(SqlStore::new(PgBackend { pool }))
}

impl Backend for PgBackend {
    type Db = Postgres;
    type Writer<'a> = PoolConnection<Postgres>;
    type Reader<'a> = PoolConnection<Postgres>;

    /// Waits for the token inserts under way to commit and holds new ones until the transaction
    /// ends. A statement under READ COMMITTED would otherwise miss a successor that a concurrent
    /// rotation commits after the statement began.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str> = Some("LOCK TABLE access_tokens IN SHARE ROW EXCLUSIVE MODE");
    const SKIP_CLAIMED_ROWS: &'static str = "FOR UPDATE SKIP LOCKED";
    const LOCK_ROWS: &'static str = "FOR UPDATE";

    fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    /// PostgreSQL takes writes on any connection.
    async fn write(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    async fn read(&self) -> StoreResult<PoolConnection<Postgres>> {
        Ok(self.pool.acquire().await?)
    }

    fn acquire_timeout(&self) -> Duration {
        self.pool.options().get_acquire_timeout()
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
