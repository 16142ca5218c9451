//! PostgreSQL's connection pool.
//!
//! `sqlx` 0.8.6's pool pings every connection it takes back, unconditionally, from a task it
//! spawns for the purpose: one more round trip, and one more task, per store operation. Without
//! it, the bench machine issues a quarter to a third more tokens a second (`docs/benchmarks.md`).
//! This pool takes a connection back as it is, and spends a round trip on it only when needed:
//! - when it holds unsent work (the `ROLLBACK` of a transaction dropped unfinished), which is sent
//!   and answered before anyone else gets the connection, so no lock outlives its operation;
//! - when a statement anywhere failed in a way that may break connections since it was last known
//!   good (see [`note_connection_fault`]): it is pinged before reuse, and closed if it does not
//!   answer, so an outage costs each dead connection no more than one failed request.
//!
//! Connections open on demand, up to the pool's size, and stay open.

use crate::PoolStats;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{timeout_at, Instant};

/// How many statements, in this process, failed in a way that may have broken their connection.
/// A connection last known good before the latest such failure is pinged before reuse.
static CONNECTION_FAULTS: AtomicU64 = AtomicU64::new(0);

/// Records that a statement failed in a way that may have broken its connection (an I/O error,
/// the server shutting down); called for every such error the store sees.
pub(crate) fn note_connection_fault() {
    CONNECTION_FAULTS.fetch_add(1, Ordering::AcqRel);
}

fn connection_faults() -> u64 {
    CONNECTION_FAULTS.load(Ordering::Acquire)
}

/// A bounded set of connections to one PostgreSQL database.
#[derive(Debug)]
pub(crate) struct ConnectionPool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: PgConnectOptions,
    /// Connections nobody holds, the most recently returned last: reusing it keeps the fewest
    /// connections busy and their server processes' caches warm.
    idle: Mutex<Vec<Live>>,
    /// One permit per connection the pool may open; a connection in use holds one.
    permits: Arc<Semaphore>,
    /// Connections open, whether idle, in use or being checked.
    open: Arc<AtomicU32>,
    acquire_timeout: Duration,
}

/// An open connection, counted in the pool's `open` for as long as it exists.
#[derive(Debug)]
struct Live {
    conn: PgConnection,
    /// [`CONNECTION_FAULTS`] when the connection was last known good.
    faults_seen: u64,
    _counted: Counted,
}

#[derive(Debug)]
struct Counted(Arc<AtomicU32>);

impl Counted {
    fn new(open: &Arc<AtomicU32>) -> Counted {
        open.fetch_add(1, Ordering::AcqRel);
        Counted(Arc::clone(open))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection held for one store operation; back in the pool when dropped.
#[derive(Debug)]
pub(crate) struct PooledConnection {
    live: Option<Live>,
    permit: Option<OwnedSemaphorePermit>,
    shared: Arc<Shared>,
}

impl ConnectionPool {
    /// Opens one connection, so that a wrong URL or an unreachable server fails at start.
    pub(crate) async fn connect(
        options: PgConnectOptions,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<ConnectionPool, sqlx::Error> {
        let shared = Arc::new(Shared {
            options,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_connections.max(1) as usize)),
            open: Arc::new(AtomicU32::new(0)),
            acquire_timeout,
        });
        let pool = ConnectionPool { shared };
        drop(pool.acquire().await?);
        Ok(pool)
    }

    /// A connection, within the acquire timeout: an idle one, or a new one while the pool is not
    /// full. `PoolTimedOut` when none comes free in time; the connect error when the server
    /// cannot be reached.
    pub(crate) async fn acquire(&self) -> Result<PooledConnection, sqlx::Error> {
        let shared = &self.shared;
        let deadline = Instant::now() + shared.acquire_timeout;
        let permit = timeout_at(deadline, shared.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        while let Some(mut live) = shared.take_idle() {
            let faults = connection_faults();
            if live.faults_seen != faults {
                // A connection fault since this one was last good: make sure it still answers.
                match timeout_at(deadline, live.conn.ping()).await {
                    Ok(Ok(())) => live.faults_seen = faults,
                    Ok(Err(_)) => continue,
                    Err(_) => return Err(sqlx::Error::PoolTimedOut),
                }
            }
            return Ok(shared.hand_out(live, permit));
        }
        let faults_seen = connection_faults();
        let conn = timeout_at(deadline, PgConnection::connect_with(&shared.options))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        let live = Live { conn, faults_seen, _counted: Counted::new(&shared.open) };
        Ok(shared.hand_out(live, permit))
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let idle = u32::try_from(self.shared.lock_idle().len()).unwrap_or(u32::MAX);
        PoolStats { size: self.shared.open.load(Ordering::Acquire), idle }
    }

    pub(crate) fn acquire_timeout(&self) -> Duration {
        self.shared.acquire_timeout
    }
}

impl Shared {
    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Live>> {
        // The vector stays whole whatever panicked while it was held: push and pop only.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take_idle(&self) -> Option<Live> {
        self.lock_idle().pop()
    }

    fn hand_out(self: &Arc<Self>, live: Live, permit: OwnedSemaphorePermit) -> PooledConnection {
        PooledConnection { live: Some(live), permit: Some(permit), shared: Arc::clone(self) }
    }

    /// Sends the connection's unsent work and waits for the server's answer, then keeps it for
    /// reuse, or closes it (by dropping it: a broken connection cannot take a goodbye) if it does
    /// not answer in time or is still inside a transaction. The permit is held until then, so the
    /// pool never has more connections than permits.
    async fn check_in(self: Arc<Self>, mut live: Live, permit: OwnedSemaphorePermit) {
        let faults = connection_faults();
        let answered = tokio::time::timeout(self.acquire_timeout, live.conn.ping()).await;
        if matches!(answered, Ok(Ok(()))) && !live.conn.is_in_transaction() {
            live.faults_seen = faults;
            self.lock_idle().push(live);
        }
        drop(permit);
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let (Some(live), Some(permit)) = (self.live.take(), self.permit.take()) else { return };
        let clean =
            !live.conn.should_flush() && !live.conn.is_in_transaction() && live.faults_seen == connection_faults();
        if clean {
            self.shared.lock_idle().push(live);
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(Arc::clone(&self.shared).check_in(live, permit)));
        }
    }
}

impl Deref for PooledConnection {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.live.as_ref().expect("a pooled connection is present until it is dropped").conn
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.live.as_mut().expect("a pooled connection is present until it is dropped").conn
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionPool;
    use crate::StoreError;
    use sqlx::postgres::PgConnectOptions;
    use sqlx::{Connection, PgConnection};
    use std::str::FromStr;
    use std::time::Duration;

    /// A pool on the server `TEST_DATABASE_URL` names, or `None` (and a note) without one.
    async fn pool(size: u32, acquire_timeout: Duration) -> Option<(ConnectionPool, String)> {
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            return None;
        };
        let options = PgConnectOptions::from_str(&url).unwrap();
        Some((ConnectionPool::connect(options, size, acquire_timeout).await.unwrap(), url))
    }

    async fn backend_pid(conn: &mut PgConnection) -> Result<i32, StoreError> {
        Ok(sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(conn).await?)
    }

    #[tokio::test]
    async fn a_transaction_dropped_unfinished_ends_before_its_connection_waits_idle() {
        let Some((pool, url)) = pool(2, Duration::from_secs(5)).await else { return };
        let lock = i64::from(std::process::id()) << 8;
        let mut conn = pool.acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(lock).execute(&mut *tx).await.unwrap();
        drop(tx);
        drop(conn);

        // Nobody uses the pool again: the lock must go all the same, with the ROLLBACK the pool
        // sends as it takes the connection back.
        let mut other = PgConnection::connect(&url).await.unwrap();
        let mut released = false;
        for _ in 0..100 {
            released =
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(lock).fetch_one(&mut other).await.unwrap();
            if released {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(released, "the dropped transaction still holds its lock");
        assert_eq!(pool.stats().size, 1, "the connection was kept, not replaced");
    }

    #[tokio::test]
    async fn the_pool_opens_no_more_connections_than_its_size_and_reuses_them() {
        let Some((pool, _)) = pool(3, Duration::from_secs(10)).await else { return };
        let pool = std::sync::Arc::new(pool);
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let mut conn = pool.acquire().await.unwrap();
                    sqlx::query("SELECT pg_sleep(0.01)").execute(&mut *conn).await.unwrap();
                    let size = pool.stats().size;
                    (backend_pid(&mut conn).await.unwrap(), size)
                })
            })
            .collect();
        let mut pids = std::collections::HashSet::new();
        for task in tasks {
            let (pid, size) = task.await.unwrap();
            assert!(size <= 3, "{size} connections open");
            pids.insert(pid);
        }
        assert!(pids.len() <= 3, "{} server processes served the pool", pids.len());
        let stats = pool.stats();
        assert_eq!(stats.idle, stats.size, "every connection is back");
    }

    #[tokio::test]
    async fn a_connection_the_server_ended_fails_one_statement_and_is_then_replaced() {
        let Some((pool, url)) = pool(1, Duration::from_secs(5)).await else { return };
        let first = backend_pid(&mut pool.acquire().await.unwrap()).await.unwrap();
        let mut admin = PgConnection::connect(&url).await.unwrap();
        sqlx::query("SELECT pg_terminate_backend($1, 5000)").bind(first).execute(&mut admin).await.unwrap();

        let failed = backend_pid(&mut pool.acquire().await.unwrap()).await;
        assert!(failed.as_ref().is_err_and(StoreError::is_unavailable), "{failed:?}");
        let second = backend_pid(&mut pool.acquire().await.unwrap()).await.unwrap();
        assert_ne!(first, second);
        assert_eq!(pool.stats().size, 1);
    }

    #[tokio::test]
    async fn a_full_pool_answers_pool_timed_out_after_the_acquire_timeout() {
        let Some((pool, _)) = pool(1, Duration::from_millis(200)).await else { return };
        let held = pool.acquire().await.unwrap();
        let started = std::time::Instant::now();
        let waited = pool.acquire().await;
        assert!(matches!(waited, Err(sqlx::Error::PoolTimedOut)), "{waited:?}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(held);
        assert!(pool.acquire().await.is_ok(), "the connection returned is handed out again");
    }
}
