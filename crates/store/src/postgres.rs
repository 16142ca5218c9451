//! The PostgreSQL backend: one pool serves reads and writes; PostgreSQL's row locks settle races
//! between instances (the single-use guards in `sql/tokens.rs` block, then match nothing).
//!
//! Behind a transaction-pooling PgBouncer ([`Pooler::Transaction`]) a client keeps its server
//! connection only while a transaction is open, so every store operation runs in one, and its
//! statements are unnamed: `sqlx` prepares a statement in one exchange and runs it in the next,
//! and a named statement would stay behind on a server connection that PgBouncer then hands to
//! another client.

use crate::sql::{Backend, Commit, SqlStore};
use crate::sqlite::SqliteSync;
use crate::{PoolStats, StoreResult};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool, Postgres, Transaction};
use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

/// PostgreSQL's connections.
#[derive(Debug)]
pub(crate) struct PgBackend {
    pool: PgPool,
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
pub(crate) enum PgSession {
    /// Each statement commits on its own.
    Direct(PoolConnection<Postgres>),
    /// Inside the operation's transaction (behind a transaction pooler). Dropped without
    /// [`Commit::commit`], it rolls back, which is how reads end. A statement whose failure the
    /// operation forgives must not run in it: PostgreSQL answers the COMMIT of a failed
    /// transaction by rolling it back, without an error.
    InTransaction(Transaction<'static, Postgres>),
}

impl Deref for PgSession {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            PgSession::Direct(conn) => conn,
            PgSession::InTransaction(tx) => tx,
        }
    }
}

impl DerefMut for PgSession {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            PgSession::Direct(conn) => conn,
            PgSession::InTransaction(tx) => tx,
        }
    }
}

impl Commit for PgSession {
    async fn commit(self) -> StoreResult<()> {
        match self {
            PgSession::Direct(_) => Ok(()),
            PgSession::InTransaction(tx) => Ok(tx.commit().await?),
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
    // No ping before each use: it would double the round trips of every query; a broken
    // connection fails its query instead, and the pool replaces it.
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .test_before_acquire(false)
        .acquire_timeout(settings.acquire_timeout)
        .connect_with(options)
        .await?;
    tracing::info!(pooler = settings.pooler.as_str(), "PostgreSQL connected");
    Ok(SqlStore::new(PgBackend { pool, pooler: settings.pooler }))
}

impl PgBackend {
    async fn session(&self) -> StoreResult<PgSession> {
        Ok(match self.pooler {
            Pooler::None => PgSession::Direct(self.pool.acquire().await?),
            Pooler::Transaction => PgSession::InTransaction(self.pool.begin().await?),
        })
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
        let mut tx = self.pool.begin().await?;
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
