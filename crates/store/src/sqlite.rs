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

use crate::sql::PendingTokens;
use crate::{PoolStats, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

/// Ticketbooth's store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<SqliteConnection>>,
    pending_tokens: Arc<PendingTokens>,
    readers: Arc<Readers>,
    /// The checkpointer runs while any clone of the store is alive.
    _alive: Arc<()>,
}

/// The read connections, handed out first-free from a rotating start.
///
/// A mutex per connection instead of an `sqlx` pool: every query already makes a round trip to the
/// connection's worker thread, and the pool's acquire and release bookkeeping doubled the cost of
/// each one (measured: 6,000 against 12,400 single-row inserts a second).
#[derive(Debug)]
struct Readers {
    connections: Vec<Mutex<SqliteConnection>>,
    next: AtomicUsize,
}

/// How often the background task checkpoints the WAL.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// Two cores serve reads well from four connections; more only add threads to switch between.
const READERS: usize = 4;

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

        let writer_options = options.clone().pragma("wal_autocheckpoint", "0").pragma("cache_size", "-16384");
        let writer = SqliteConnection::connect_with(&writer_options).await?;
        let reader_options = options.clone().read_only(true);
        let mut connections = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            connections.push(Mutex::new(SqliteConnection::connect_with(&reader_options).await?));
        }
        let checkpointer = SqliteConnection::connect_with(&options).await?;
        let alive = Arc::new(());
        spawn_checkpointer(checkpointer, Arc::downgrade(&alive));
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            pending_tokens: Arc::default(),
            readers: Arc::new(Readers { connections, next: AtomicUsize::new(0) }),
            _alive: alive,
        })
    }

    /// The single write connection.
    async fn write(&self) -> StoreResult<MutexGuard<'_, SqliteConnection>> {
        Ok(self.writer.lock().await)
    }

    /// The write connection, held by value so a spawned batch can own it.
    async fn write_owned(&self) -> StoreResult<OwnedMutexGuard<SqliteConnection>> {
        Ok(Arc::clone(&self.writer).lock_owned().await)
    }

    /// A free read connection, or the next one in turn when all are busy.
    async fn read(&self) -> StoreResult<MutexGuard<'_, SqliteConnection>> {
        let connections = &self.readers.connections;
        let start = self.readers.next.fetch_add(1, Ordering::Relaxed);
        for offset in 0..connections.len() {
            if let Ok(guard) = connections[(start + offset) % connections.len()].try_lock() {
                return Ok(guard);
            }
        }
        Ok(connections[start % connections.len()].lock().await)
    }

    fn stats(&self) -> PoolStats {
        let connections = std::iter::once(&*self.writer).chain(&self.readers.connections);
        let (size, idle) =
            connections.fold((0, 0), |(size, idle), c| (size + 1, idle + u32::from(c.try_lock().is_ok())));
        PoolStats { size, idle }
    }
}

/// Checkpoints the WAL once a second without blocking the writer (`PASSIVE`), until the store is
/// dropped.
fn spawn_checkpointer(mut connection: SqliteConnection, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(CHECKPOINT_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if alive.upgrade().is_none() {
                break;
            }
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut connection).await {
                tracing::warn!(error = %err, "WAL checkpoint failed; will retry");
            }
        }
        let _ = connection.close().await;
    });
}

crate::sql::impl_store!(SqliteStore, "./migrations/sqlite", sqlx::SqliteConnection, sqlx::Sqlite);
