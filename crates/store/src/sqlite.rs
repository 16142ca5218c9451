//! The SQLite backend: WAL mode, foreign keys on, one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling writes through a single connection turns lock
//! contention (`SQLITE_BUSY`) into a queue, while WAL lets the readers run beside it.
//!
//! Checkpoints (copying the WAL back into the database, with an `fsync`) would otherwise run
//! inside whichever commit crosses the WAL size threshold, stalling that request and every write
//! queued behind it. The writer therefore never checkpoints; a background task on its own
//! connection does, once a second. Commits stay durable against a process crash
//! (`synchronous = NORMAL` in WAL mode: the WAL is written before a commit returns).

use crate::StoreResult;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Ticketbooth's store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// The checkpointer runs while any clone of the store is alive.
    _alive: Arc<()>,
}

/// How often the background task checkpoints the WAL.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL or a plain file path names.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory");

        // No ping before each use: for SQLite it is a round trip to the connection's worker thread
        // that can only fail if the file vanished, which the query itself reports as well.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0").pragma("cache_size", "-16384"))
            .await?;
        // Two cores serve reads well from four connections; more only add threads to switch between.
        let reader =
            SqlitePoolOptions::new().max_connections(4).test_before_acquire(false).connect_with(options.clone().read_only(true)).await?;
        let checkpointer = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        let alive = Arc::new(());
        spawn_checkpointer(checkpointer, Arc::downgrade(&alive));
        Ok(SqliteStore { writer, reader, _alive: alive })
    }

    fn pools(&self) -> [&SqlitePool; 2] {
        [&self.writer, &self.reader]
    }
}

/// Checkpoints the WAL once a second without blocking the writer (`PASSIVE`), until the store is
/// dropped.
fn spawn_checkpointer(pool: SqlitePool, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(CHECKPOINT_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if alive.upgrade().is_none() {
                break;
            }
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(error = %err, "WAL checkpoint failed; will retry");
            }
        }
        pool.close().await;
    });
}

crate::sql::impl_store!(SqliteStore, "./migrations/sqlite", sqlx::SqliteConnection, sqlx::Sqlite);
