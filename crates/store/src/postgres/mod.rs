//! The PostgreSQL backend: one pool serves reads and writes; PostgreSQL's row locks settle races
//! between instances (the single-use guards in `sql/tokens.rs` block, then match nothing).
//!
//! Behind a transaction-pooling PgBouncer ([`Pooler::Transaction`]) a client keeps its server
//! connection only while a transaction is open, so every store operation runs in one, and its
//! statements are unnamed: `sqlx` prepares a statement in one exchange and runs it in the next,
//! and a named statement would stay behind on a server connection that PgBouncer then hands to
//! another client.

mod pool;

pub(crate) use pool::note_connection_fault;

use crate::sql::{Backend, Commit, SqlStore};
use crate::sqlite::SqliteSync;
use crate::{PoolStats, StoreResult};
use pool::{ConnectionPool, PooledConnection};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgTransactionManager};
use sqlx::{Connection, Postgres, TransactionManager};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

/// PostgreSQL's connections.
#[derive(Debug)]
pub(crate) struct PgBackend {
    pool: ConnectionPool,
    pooler: Pooler,
}

/// The migrations, serialized by [`MIGRATION_LOCK`] rather than `sqlx`'s session lock: a session
/// lock behind a transaction pooler is taken on one server connection and may be released on
/// another.
static MIGRATOR: LazyLock<Migrator> = LazyLock::new(|| {
    let mut migrator = sqlx::migrate!("./migrations/postgres");
    migrator.set_locking(false);
    migrator
});

/// The transaction-scoped advisory lock that lets one instance at a time migrate.
const MIGRATION_LOCK: i64 = 0x7469_636b_6574_626f;

/// What sits between Ticketbooth and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pooler {
    /// Nothing, or a pooler that gives each client a server connection for the whole session:
    /// statements are prepared once per connection and kept.
    #[default]
    None,
    /// A pooler that hands server connections out per transaction (PgBouncer's
    /// `pool_mode = transaction`): each store operation is one transaction, and statements are
    /// prepared anew in it. Costs about two round trips per operation more.
    Transaction,
}

impl Pooler {
    pub fn as_str(self) -> &'static str {
        match self {
            Pooler::None => "none",
            Pooler::Transaction => "transaction",
        }
    }
}

/// A connection held for one store operation; it derefs to the connection itself.
#[derive(Debug)]
pub(crate) struct PgSession {
    conn: PooledConnection,
    /// Whether the operation runs in a transaction of its own (behind a transaction pooler).
    /// Dropped without [`Commit::commit`], that transaction rolls back, which is how reads end. A
    /// statement whose failure the operation forgives must not run in it: PostgreSQL answers the
    /// COMMIT of a failed transaction by rolling it back, without an error.
    in_transaction: bool,
}

impl PgSession {
    async fn begin(mut conn: PooledConnection) -> StoreResult<PgSession> {
        PgTransactionManager::begin(&mut conn, None).await?;
        Ok(PgSession { conn, in_transaction: true })
    }
}

impl Deref for PgSession {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for PgSession {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl Commit for PgSession {
    async fn commit(mut self) -> StoreResult<()> {
        if self.in_transaction {
            PgTransactionManager::commit(&mut self.conn).await?;
            self.in_transaction = false;
        }
        Ok(())
    }
}

impl Drop for PgSession {
    fn drop(&mut self) {
        if self.in_transaction {
            // Queued here, sent and answered as the pool takes the connection back.
            PgTransactionManager::start_rollback(&mut self.conn);
        }
    }
}

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
    /// What sits between this instance and PostgreSQL (see [`Pooler`]).
    pub pooler: Pooler,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            sqlite_synchronous: SqliteSync::Full,
            pooler: Pooler::None,
        }
    }
}

/// Connects to the database a `postgres://` URL names.
pub(crate) async fn open(url: &str, settings: PoolSettings) -> StoreResult<SqlStore<PgBackend>> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = ConnectionPool::connect(options, settings.max_connections, settings.acquire_timeout).await?;
    tracing::info!(pooler = settings.pooler.as_str(), "PostgreSQL connected");
    Ok(SqlStore::new(PgBackend { pool, pooler: settings.pooler }))
}

impl PgBackend {
    async fn session(&self) -> StoreResult<PgSession> {
        let conn = self.pool.acquire().await?;
        match self.pooler {
            Pooler::None => Ok(PgSession { conn, in_transaction: false }),
            Pooler::Transaction => PgSession::begin(conn).await,
        }
    }
}

impl Backend for PgBackend {
    type Db = Postgres;
    type Writer<'a> = PgSession;
    type Reader<'a> = PgSession;

    /// Waits for the token inserts under way to commit and holds new ones until the transaction
    /// ends. A statement under READ COMMITTED would otherwise miss a successor that a concurrent
    /// rotation commits after the statement began.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str> = Some("LOCK TABLE access_tokens IN SHARE ROW EXCLUSIVE MODE");
    const SKIP_CLAIMED_ROWS: &'static str = "FOR UPDATE SKIP LOCKED";
    const LOCK_ROWS: &'static str = "FOR UPDATE";

    fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    /// All pending migrations in one transaction, which holds [`MIGRATION_LOCK`]. The migrator's
    /// own statements are named; they are closed before the transaction ends, so that none stays
    /// behind on a server connection a pooler hands on.
    async fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .persistent(false)
            .execute(&mut *tx)
            .await?;
        let migrated = MIGRATOR.run_direct(&mut *tx).await;
        tx.clear_cached_statements().await?;
        migrated?;
        Ok(tx.commit().await?)
    }

    fn keeps_statements(&self) -> bool {
        self.pooler == Pooler::None
    }

    /// PostgreSQL takes writes on any connection.
    async fn write(&self) -> StoreResult<PgSession> {
        self.session().await
    }

    async fn read(&self) -> StoreResult<PgSession> {
        self.session().await
    }

    fn acquire_timeout(&self) -> Duration {
        self.pool.acquire_timeout()
    }

    fn stats(&self) -> PoolStats {
        self.pool.stats()
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

/// Creates an empty database with a random name on the server `url` names, for a test that
/// reaches it through a pooler (which ignores the schema option [`create_isolated_schema`]
/// uses). Databases such tests left behind, an hour old or more, are dropped first. Returns the
/// database's name and its URL on the server itself.
pub async fn create_isolated_database(url: &str) -> StoreResult<(String, String)> {
    const PREFIX: &str = "tb_isolated_";
    let mut conn = PgConnection::connect(url).await?;
    // A database's creation time is its directory's. Tests run at once: a directory may be gone
    // (dropped by another) or not there yet (being created), and a drop may lose a race; the
    // clean-up is best effort.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE $1 \
         AND (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'",
    )
    .bind(format!("{PREFIX}%"))
    .fetch_all(&mut conn)
    .await?;
    for name in stale {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await;
    }
    let name = format!("{PREFIX}{}", &ticketbooth_domain::secret::generate_client_id()[..16]);
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    conn.close().await?;
    // The URL with its path (the database) replaced; test URLs carry no query.
    let server = url.split('?').next().unwrap_or(url).rsplit_once('/').map_or(url, |(server, _)| server);
    let direct = format!("{server}/{name}");
    Ok((name, direct))
}
