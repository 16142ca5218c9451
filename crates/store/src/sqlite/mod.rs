//! The SQLite backend: WAL mode, foreign keys on, one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling writes through a single connection turns lock
//! contention (`SQLITE_BUSY`) into a queue, while WAL lets the readers run beside it.
//!
//! Checkpoints (copying the WAL back into the database, with an `fsync`) would otherwise run
//! inside whichever commit crosses the WAL size threshold, stalling that request and every write
//! queued behind it. The writer therefore never checkpoints; a background task on its own
//! connection does, four times a second.
//!
//! Durability follows [`SqliteSync`]: by default (`synchronous = FULL`) each commit syncs the WAL
//! before it is acknowledged, and the group commit (`sql/group_commit.rs`) makes the requests
//! that queued together share that one sync. `NORMAL` leaves the sync to the checkpoints.

mod checkpoint;
mod inline;

use crate::rows::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow, TokenWithUserRow};
use crate::sql::{columns, Backend, Commit, SqlStore};
use crate::{PoolSettings, PoolStats, StoreError, StoreResult};
use checkpoint::{spawn_checkpointer, CHECKPOINT_INTERVAL};
use inline::InlineReaders;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, Sqlite, SqliteConnection};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ticketbooth_domain::secret::SecretHash;
use tokio::sync::{Mutex, MutexGuard};

/// SQLite's connections: one writer, readers, and inline readers for the hot lookups.
#[derive(Debug)]
pub(crate) struct SqliteBackend {
    writer: Arc<Mutex<SqliteConnection>>,
    readers: Readers,
    /// Connections for the hot point lookups, run inline on the async worker that asks (see
    /// [`INLINE_READERS_PER_CORE`]).
    inline_readers: InlineReaders,
    /// How long a write waits for the writer before it is answered "unavailable".
    acquire_timeout: Duration,
}

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

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
/// Page cache of the writer, in KiB. Its inserts land on random leaves of the token-hash indexes,
/// which no cache of a sensible size holds, so a larger one buys little: server CPU per request
/// measured the same at 4 and 10 MiB (client credentials, code exchange, refresh; 2026-12-04),
/// and 4 MiB keeps the RSS under 80 MB while sign-in's Argon2 memory is in use.
const WRITER_CACHE_KIB: i64 = -4096;

/// SQLite's `synchronous` setting: what a power cut can take back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// Every commit is `fsync`ed to the WAL before it is acknowledged: nothing acknowledged is
    /// lost to a power cut or kernel crash. Group commit shares one sync among the writes that
    /// queued together.
    #[default]
    Full,
    /// Commits reach the operating system (so survive a process crash) but are synced only at
    /// checkpoints: a power cut or kernel crash can take back the commits since the last one
    /// (at most the last quarter second, the checkpoint interval); the file stays consistent.
    Normal,
}

impl SqliteSync {
    /// The setting's name, as `PRAGMA synchronous` and `--sqlite-synchronous` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SqliteSync::Full => "full",
            SqliteSync::Normal => "normal",
        }
    }
}

/// How long a write waits for each of the two things it may wait for: the writer connection, and
/// the write lock when another program (a backup, an operator's shell) holds it. Half the acquire
/// timeout each, so a write is answered within the acquire timeout ("unavailable" rather than a
/// hang).
fn each_wait(acquire_timeout: Duration) -> Duration {
    acquire_timeout / 2
}

/// Opens (creating if missing) the database a `sqlite:` URL or a plain file path names.
pub(crate) async fn open(url: &str, settings: PoolSettings) -> StoreResult<SqlStore<SqliteBackend>> {
    open_checkpointing_every(url, settings, CHECKPOINT_INTERVAL).await
}

/// [`open`], with the background checkpoint rounds this far apart.
async fn open_checkpointing_every(
    url: &str,
    settings: PoolSettings,
    interval: Duration,
) -> StoreResult<SqlStore<SqliteBackend>> {
    let synchronous = match settings.sqlite_synchronous {
        SqliteSync::Full => SqliteSynchronous::Full,
        SqliteSync::Normal => SqliteSynchronous::Normal,
    };
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)?
    } else {
        SqliteConnectOptions::new().filename(url)
    }
    .create_if_missing(true)
    .journal_mode(SqliteJournalMode::Wal)
    .synchronous(synchronous)
    .foreign_keys(true)
    .busy_timeout(each_wait(settings.acquire_timeout))
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
    let inline_readers =
        InlineReaders::open(options.get_filename(), INLINE_READERS_PER_CORE * cores, INLINE_READER_CACHE_KIB)?;
    let checkpointer = SqliteConnection::connect_with(&options).await?;
    let writer = Arc::new(Mutex::new(writer));
    let directory = match options.get_filename().parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    spawn_checkpointer(checkpointer, interval, Arc::downgrade(&writer), directory);
    tracing::info!(synchronous = settings.sqlite_synchronous.as_str(), "SQLite database opened");
    Ok(SqlStore::new(SqliteBackend {
        writer,
        readers: Readers { connections, next: AtomicUsize::new(0) },
        inline_readers,
        acquire_timeout: settings.acquire_timeout,
    }))
}

/// Each statement on the writer commits on its own (or in the transaction it began).
impl Commit for MutexGuard<'_, SqliteConnection> {
    async fn commit(self) -> StoreResult<()> {
        Ok(())
    }
}

impl Backend for SqliteBackend {
    type Db = Sqlite;
    type Writer<'a> = MutexGuard<'a, SqliteConnection>;
    type Reader<'a> = MutexGuard<'a, SqliteConnection>;

    /// SQLite has one writer: a write transaction already sees every token stored before it and
    /// none while it runs.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str> = None;
    const SKIP_CLAIMED_ROWS: &'static str = "";
    const LOCK_ROWS: &'static str = "";

    fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut writer = self.write().await?;
        Ok(MIGRATOR.run_direct(&mut *writer).await?)
    }

    /// The single write connection; "unavailable" when it stays busy past the acquire timeout
    /// (a write ahead of this one is waiting out a lock another program holds).
    async fn write(&self) -> StoreResult<MutexGuard<'_, SqliteConnection>> {
        tokio::time::timeout(each_wait(self.acquire_timeout), self.writer.lock())
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer stayed busy past the acquire timeout".into()))
    }

    /// Readiness includes writes: an outage that leaves the file readable (another program holds
    /// the write lock, the disk went read-only) must still take the instance out of rotation.
    /// `BEGIN IMMEDIATE` takes the write lock without writing, and gives it back at once.
    async fn check_writes(&self) -> StoreResult<()> {
        let mut writer = self.write().await?;
        sqlx::query("PRAGMA busy_timeout = 100").execute(&mut *writer).await?;
        let locked = match sqlx::query("BEGIN IMMEDIATE").execute(&mut *writer).await {
            Ok(_) => sqlx::query("ROLLBACK").execute(&mut *writer).await.map(drop),
            Err(err) => Err(err),
        };
        // The writer's own busy timeout comes back whatever the probe found.
        let restore = format!("PRAGMA busy_timeout = {}", each_wait(self.acquire_timeout).as_millis());
        sqlx::query(&restore).execute(&mut *writer).await?;
        Ok(locked?)
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

    fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    fn stats(&self) -> PoolStats {
        let connections = std::iter::once(&*self.writer).chain(&self.readers.connections);
        let (size, idle) =
            connections.fold((0, 0), |(size, idle), c| (size + 1, idle + u32::from(c.try_lock().is_ok())));
        PoolStats { size, idle }
    }

    fn token_with_user_now(&self, hash: &SecretHash) -> Option<StoreResult<Option<TokenWithUserRow>>> {
        self.inline_readers.read(columns::TOKEN_WITH_USER_BY_HASH, hash.as_bytes(), TokenWithUserRow::from_inline)
    }

    fn token_now(&self, hash: &SecretHash) -> Option<StoreResult<Option<AccessTokenRow>>> {
        self.inline_readers.read(columns::TOKEN_BY_HASH, hash.as_bytes(), AccessTokenRow::from_inline)
    }

    fn refresh_token_now(&self, hash: &SecretHash) -> Option<StoreResult<Option<AccessTokenRow>>> {
        self.inline_readers.read(columns::TOKEN_BY_REFRESH_HASH, hash.as_bytes(), AccessTokenRow::from_inline)
    }

    fn application_now(&self, client_id: &str) -> Option<StoreResult<Option<ApplicationRow>>> {
        self.inline_readers.read(columns::APPLICATION_BY_CLIENT_ID, client_id, ApplicationRow::from_inline)
    }

    fn code_now(&self, hash: &SecretHash) -> Option<StoreResult<Option<AuthorizationCodeRow>>> {
        self.inline_readers.read(columns::CODE_BY_HASH, hash.as_bytes(), AuthorizationCodeRow::from_inline)
    }
}

#[cfg(test)]
mod tests {
    use super::checkpoint::{checkpoint, checkpoint_round};
    use super::*;
    use crate::sql::group_commit::tests::app_token;
    use crate::{ClientStore, Housekeeping, TokenStore};
    use ticketbooth_domain::model::{Application, NewApplication};
    use ticketbooth_domain::scope::ScopeSet;
    use ticketbooth_domain::secret::Secret;

    /// A migrated store at `path` with checkpoint rounds `interval` apart, and one application in it.
    async fn store_with_app(path: &std::path::Path, interval: Duration) -> (SqlStore<SqliteBackend>, Application) {
        let store = open_checkpointing_every(path.to_str().unwrap(), PoolSettings::default(), interval).await.unwrap();
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
                ..NewApplication::default()
            })
            .await
            .unwrap();
        (store, app)
    }

    #[tokio::test]
    async fn commits_are_synced_by_default_and_normal_is_an_opt_in() {
        let dir = tempfile::tempdir().unwrap();
        for (setting, expected) in [(SqliteSync::Full, 2), (SqliteSync::Normal, 1)] {
            let path = dir.path().join(format!("{}.db", setting.as_str()));
            let settings = PoolSettings { sqlite_synchronous: setting, ..PoolSettings::default() };
            let store = open(path.to_str().unwrap(), settings).await.unwrap();
            let mut writer = store.backend.write().await.unwrap();
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *writer).await.unwrap();
            assert_eq!(synchronous, expected, "{setting:?}");
        }
        assert_eq!(PoolSettings::default().sqlite_synchronous, SqliteSync::Full, "the default is FULL");
    }

    #[tokio::test]
    async fn a_write_lock_held_by_another_program_makes_writes_and_readiness_unavailable_until_it_ends() {
        use crate::Housekeeping;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let settings = PoolSettings { acquire_timeout: Duration::from_millis(300), ..PoolSettings::default() };
        let store = open(path.to_str().unwrap(), settings).await.unwrap();
        store.migrate().await.unwrap();
        let new_app = NewApplication {
            client_id: "locked".into(),
            name: "Locked".into(),
            scopes: ScopeSet::parse("public").unwrap(),
            ..NewApplication::default()
        };
        let app_id = store.create_application(new_app).await.unwrap().id;
        store.ping().await.expect("ready before the lock");

        let mut other = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path)).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.unwrap();
        let refused = store.create_access_token(app_token(app_id)).await.unwrap_err();
        assert!(refused.is_unavailable(), "a lock is an outage, not an internal error: {refused}");
        let not_ready = store.ping().await.unwrap_err();
        assert!(not_ready.is_unavailable(), "{not_ready}");
        assert!(store.find_application_by_client_id("locked").await.unwrap().is_some(), "reads go on");

        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        store.ping().await.expect("ready again");
        store.create_access_token(app_token(app_id)).await.expect("writes again");
    }

    #[tokio::test]
    async fn the_fallback_reader_answers_like_the_inline_connections_when_they_are_busy() {
        let dir = tempfile::tempdir().unwrap();
        let (store, app) = store_with_app(&dir.path().join("inline.db"), CHECKPOINT_INTERVAL).await;
        let new = app_token(app.id);
        let hash = new.access_token_hash;
        let stored = store.create_access_token(new).await.unwrap();

        let inline = store.find_access_token(&hash).await.unwrap();
        let held = store.backend.inline_readers.hold_all();
        assert!(store.backend.token_now(&hash).is_none(), "no inline connection is free");
        let fallback = store.find_access_token(&hash).await.unwrap();
        // The client and a grant, read together: the joined statement, on SQLite too.
        let unknown = crate::GrantKey::Code(Secret::generate().hash());
        let (client, grant) = store.find_client_and_grant("app", &unknown).await.unwrap();
        assert_eq!(client.as_ref(), Some(&app), "the client, from the joined statement");
        assert!(matches!(grant, crate::FoundGrant::Code(None)), "no such code");
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
        let (_, frames_before, _) = checkpoint_round(&mut connection, &store.backend.writer, dir.path()).await.unwrap();
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
