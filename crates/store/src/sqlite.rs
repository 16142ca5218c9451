//! The SQLite backend: WAL mode, foreign keys on, one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling writes through a single connection turns lock
//! contention (`SQLITE_BUSY`) into a queue, while WAL lets the readers run beside it.
//!
//! Checkpoints (copying the WAL back into the database, with an `fsync`) would otherwise run
//! inside whichever commit crosses the WAL size threshold, stalling that request and every write
//! queued behind it. The writer therefore never checkpoints; a background task on its own
//! connection does, four times a second. Commits stay durable against a process crash
//! (`synchronous = NORMAL` in WAL mode: the WAL is written before a commit returns).

use crate::sql::PendingTokens;
use crate::{PoolStats, StoreError, StoreResult};
use rusqlite::OptionalExtension;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// Ticketbooth's store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<SqliteConnection>>,
    pending_tokens: Arc<PendingTokens>,
    readers: Arc<Readers>,
    /// Connections for the hot point lookups, run inline on the async worker that asks (see
    /// [`INLINE_READERS_PER_CORE`]).
    inline_readers: Arc<Vec<std::sync::Mutex<rusqlite::Connection>>>,
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

/// How often the background task checkpoints the WAL (measured: at 1 s the pass that holds writes
/// back took 24 ms under load).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// A checkpoint pass this short leaves so little behind that the last pass may hold writes back.
const QUICK_PASS: Duration = Duration::from_millis(2);
/// Catch-up passes before the last one, should the writer outpace them.
const MAX_CATCH_UP_PASSES: usize = 6;
/// A file-system sync this short leaves little for the last pass to sync while it holds writes back.
const QUICK_SYNC: Duration = Duration::from_millis(2);
/// File-system syncs before the last pass, should the writer outpace them.
const MAX_SYNCS: usize = 4;
/// Connections for inline reads, per core: one per async worker thread (tokio starts one per
/// core) is all that can be in use at once.
///
/// A lookup by a unique key takes microseconds, less than the thread switches of a query on a
/// reader connection (whose `sqlx` worker thread takes the query and sends the row back); so the
/// hot ones run on the calling thread. `rusqlite` drives the same SQLite library `sqlx` links.
const INLINE_READERS_PER_CORE: usize = 1;
/// Two cores serve reads well from four connections; more only add threads to switch between.
const READERS: usize = 4;
/// Page cache of each inline reader, in KiB (SQLite's negative `cache_size`). The default 2 MiB
/// held less than the bearer check's working set in the benchmark (1,000 tokens cycled among
/// 200,000: one index leaf each), so LRU evicted every page before its next use and each check
/// read from the file: 0.6 `pread` a request, none at 6 MiB. Caches count in the RSS target
/// (80 MB under load), so these are sized to the working set, not generously.
const INLINE_READER_CACHE_KIB: i64 = -5120;
/// Page cache of the writer, in KiB. Measured: 4 and 16 MiB stored client-credentials tokens
/// equally fast; code exchange was perhaps 8% slower at 8 MiB (within the noise of this machine).
/// 10 MiB since RS256 keys and the new connection loop added 2 MB to the RSS peak.
const WRITER_CACHE_KIB: i64 = -10240;

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL or a plain file path names.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        SqliteStore::open_checkpointing_every(url, CHECKPOINT_INTERVAL).await
    }

    /// [`SqliteStore::open`], with the background checkpoint rounds this far apart.
    async fn open_checkpointing_every(url: &str, interval: Duration) -> StoreResult<SqliteStore> {
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

        // A WAL that grew under a burst is cut back to 64 MiB when it starts over.
        let writer_options = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", "67108864")
            .pragma("cache_size", WRITER_CACHE_KIB.to_string());
        let writer = SqliteConnection::connect_with(&writer_options).await?;
        let reader_options = options.clone().read_only(true);
        let mut connections = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            connections.push(Mutex::new(SqliteConnection::connect_with(&reader_options).await?));
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let inline_readers = (0..INLINE_READERS_PER_CORE * cores)
            .map(|_| {
                let connection = rusqlite::Connection::open_with_flags(
                    options.get_filename(),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                connection.busy_timeout(Duration::ZERO)?;
                connection.pragma_update(None, "cache_size", INLINE_READER_CACHE_KIB)?;
                Ok(std::sync::Mutex::new(connection))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let checkpointer = SqliteConnection::connect_with(&options).await?;
        let writer = Arc::new(Mutex::new(writer));
        let directory = match options.get_filename().parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        spawn_checkpointer(checkpointer, interval, Arc::downgrade(&writer), directory);
        Ok(SqliteStore {
            writer,
            pending_tokens: Arc::default(),
            readers: Arc::new(Readers { connections, next: AtomicUsize::new(0) }),
            inline_readers: Arc::new(inline_readers),
        })
    }

    /// SQLite has one writer: a write transaction already sees every token stored before it and
    /// none while it runs.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str> = None;

    /// The single write connection.
    async fn write(&self) -> StoreResult<MutexGuard<'_, SqliteConnection>> {
        Ok(self.writer.lock().await)
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

    /// One row of a point lookup (see [`crate::sql::point_read`]) from a free inline connection,
    /// on the calling thread; `None` when every inline connection is busy (the caller then asks a
    /// reader connection).
    fn read_inline<P: rusqlite::Params, T>(
        &self,
        query: &str,
        params: P,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<StoreResult<Option<T>>> {
        let connection = self.inline_readers.iter().find_map(|connection| connection.try_lock().ok())?;
        let found =
            connection.prepare_cached(query).and_then(|mut statement| statement.query_row(params, row).optional());
        match found {
            // Never wait on the calling thread: a busy database is the reader connections' job.
            Err(rusqlite::Error::SqliteFailure(failure, _)) if failure.code == rusqlite::ErrorCode::DatabaseBusy => {
                None
            }
            found => Some(found.map_err(StoreError::from)),
        }
    }

    fn stats(&self) -> PoolStats {
        let connections = std::iter::once(&*self.writer).chain(&self.readers.connections);
        let (size, idle) =
            connections.fold((0, 0), |(size, idle), c| (size + 1, idle + u32::from(c.try_lock().is_ok())));
        PoolStats { size, idle }
    }
}

/// Checkpoints the WAL every `interval`, until the store is dropped.
///
/// A checkpoint that runs beside a busy writer never catches up with it, and the WAL only starts
/// over after a complete one: it grew by gigabytes in a sustained benchmark, and every read slowed
/// with it. So passes run beside the writer, each copying what was committed during the one
/// before, until one is quick; then a last pass holds writes back while it copies the few frames
/// left. That completes the checkpoint, and the next commit starts the WAL over.
///
/// Only a complete pass syncs the database file, and it syncs every page copied since the previous
/// complete one: under load that is tens of megabytes, and it took 12–29 ms with writes held back.
/// So before the last pass the file system is synced from outside SQLite, while writes go on, and
/// the last pass has little left to sync (see [`sync_file_system`]; measured under code exchange:
/// a median of 3.6 ms and a p90 of 6 ms with writes held back).
fn spawn_checkpointer(
    mut connection: SqliteConnection,
    interval: Duration,
    writer: Weak<Mutex<SqliteConnection>>,
    directory: PathBuf,
) {
    tokio::spawn(async move {
        // The first round a period after opening: short-lived commands never need one.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(writer) = writer.upgrade() else { break };
            if let Err(err) = checkpoint_round(&mut connection, &writer, &directory).await {
                tracing::warn!(error = %err, "WAL checkpoint failed; will retry");
            }
        }
        let _ = connection.close().await;
    });
}

/// One round of checkpoint passes (see [`spawn_checkpointer`]) on the database in `directory`;
/// returns the last pass's `(busy, frames in the WAL, frames checkpointed)`.
async fn checkpoint_round(
    connection: &mut SqliteConnection,
    writer: &Mutex<SqliteConnection>,
    directory: &Path,
) -> StoreResult<(i64, i64, i64)> {
    for _ in 0..MAX_CATCH_UP_PASSES {
        let started = Instant::now();
        checkpoint(connection).await?;
        if started.elapsed() < QUICK_PASS {
            break;
        }
    }
    // Each sync takes about as long as the writes it flushes, and writes go on meanwhile; so sync,
    // copy what came in during the sync, and sync again, until a sync is quick.
    for _ in 0..MAX_SYNCS {
        let started = Instant::now();
        sync_file_system(directory).await;
        if started.elapsed() < QUICK_SYNC {
            break;
        }
        checkpoint(connection).await?;
    }
    let _writes_held_back = writer.lock().await;
    checkpoint(connection).await
}

/// Writes the file system's dirty pages to disk (`syncfs`), so that the sync inside the next
/// checkpoint pass finds little left to write. Best effort: a failure only makes that pass longer.
///
/// The file system rather than the database file: SQLite's own descriptor is out of reach, and
/// opening and closing a second one would drop SQLite's POSIX locks on the file (tried: it ended
/// in I/O errors under load). Locks are per file, so the directory's descriptor is safe to close.
async fn sync_file_system(directory: &Path) {
    #[cfg(target_os = "linux")]
    {
        let directory = directory.to_path_buf();
        let synced = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            Ok(rustix::fs::syncfs(std::fs::File::open(directory)?)?)
        })
        .await;
        if let Ok(Err(err)) = synced {
            tracing::debug!(error = %err, "syncfs before a checkpoint failed");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = directory;
}

/// One `PASSIVE` checkpoint: it waits for no one, and copies what readers no longer need.
async fn checkpoint(connection: &mut SqliteConnection) -> StoreResult<(i64, i64, i64)> {
    Ok(sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(connection).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::app_token;
    use crate::IdentityStore;
    use ticketbooth_domain::model::{Application, NewApplication};
    use ticketbooth_domain::scope::ScopeSet;
    use ticketbooth_domain::secret::Secret;

    /// A migrated store at `path` with checkpoint rounds `interval` apart, and one application in it.
    async fn store_with_app(path: &std::path::Path, interval: Duration) -> (SqliteStore, Application) {
        let store = SqliteStore::open_checkpointing_every(path.to_str().unwrap(), interval).await.unwrap();
        store.migrate().await.unwrap();
        let app = store
            .create_application(NewApplication {
                client_id: "app".into(),
                name: "App".into(),
                secret_hash: Some(Secret::generate().hash()),
                redirect_uris: vec![],
                scopes: ScopeSet::parse("public").unwrap(),
                organizer_id: None,
                id_token_alg: Default::default(),
            })
            .await
            .unwrap();
        (store, app)
    }

    #[tokio::test]
    async fn the_fallback_reader_answers_like_the_inline_connections_when_they_are_busy() {
        let dir = tempfile::tempdir().unwrap();
        let (store, app) = store_with_app(&dir.path().join("inline.db"), CHECKPOINT_INTERVAL).await;
        let new = app_token(app.id);
        let hash = new.access_token_hash;
        let stored = store.create_access_token(new).await.unwrap();

        let inline = store.find_access_token(&hash).await.unwrap();
        let held: Vec<_> = store.inline_readers.iter().map(|connection| connection.lock().unwrap()).collect();
        assert!(store.read_inline(crate::sql::TOKEN_BY_HASH, [hash.as_bytes().as_slice()], |_| Ok(())).is_none());
        let fallback = store.find_access_token(&hash).await.unwrap();
        drop(held);
        assert_eq!(inline.as_ref(), Some(&stored), "inline");
        assert_eq!(fallback.as_ref(), Some(&stored), "reader connection");
        assert_eq!(store.find_application_by_client_id("app").await.unwrap(), Some(app));
        assert_eq!(store.find_access_token(&Secret::generate().hash()).await.unwrap(), None);
    }

    /// The WAL starts over only after a complete checkpoint, and a pass beside a busy writer
    /// rarely completes: without rounds that do, the WAL grows without bound under sustained load.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_after_a_checkpoint_round_while_tokens_are_written_without_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        // No background rounds: this test runs the round itself.
        let (store, app) = store_with_app(&path, Duration::from_secs(3600)).await;
        let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (store, writing) = (store.clone(), Arc::clone(&writing));
                tokio::spawn(async move {
                    let mut written = 0;
                    while writing.load(Ordering::Relaxed) {
                        store.create_access_token(app_token(app.id)).await.unwrap();
                        written += 1;
                    }
                    written
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut connection =
            SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path)).await.unwrap();
        let (_, frames_before, _) = checkpoint_round(&mut connection, &store.writer, dir.path()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        writing.store(false, Ordering::Relaxed);
        let mut written = 0;
        for writer in writers {
            written += writer.await.unwrap();
        }
        let (_, frames_after, _) = checkpoint(&mut connection).await.unwrap();
        assert!(written > 0 && frames_before > 0, "tokens were written, so the WAL had frames");
        assert!(
            frames_after < frames_before,
            "the WAL started over after the round: {frames_after} frames now, {frames_before} before"
        );
    }
}

crate::sql::impl_store!(SqliteStore, "./migrations/sqlite", sqlx::SqliteConnection, sqlx::Sqlite);
