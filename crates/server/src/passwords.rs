//! The password threads: Argon2id costs tens of milliseconds of CPU and 19 MiB of memory per
//! hash, so hashes run on a pool of their own (one thread per core) that the async workers never
//! wait on, behind a bounded queue. A sign-in arriving to a full queue is answered 503 at once,
//! before its attempt is counted: a flood of sign-ins can neither grow memory nor make an honest
//! person's attempt wait for seconds, nor use up anyone's failure allowance. When the queue has
//! been empty for a moment, the threads give their working memory back.

use crate::error::PageError;
use axum::http::StatusCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use ticketbooth_domain::password;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hashes that may wait for a password thread, per thread. An Argon2id verification takes about
/// 40 ms here, so a full queue is about two thirds of a second of work; and 32 sign-ins at once on
/// 2 cores (the benchmark's load) all find a place.
const QUEUED_PER_THREAD: usize = 16;

/// How long the queue stays empty before the threads give back their working memory (19 MiB
/// each). Sign-ins closer together than this keep it; mapping it again made a verification 4%
/// slower (19.4 against 18.7 ms, `cargo bench -p ticketbooth-domain -- password`).
const IDLE_BEFORE_RELEASE: Duration = Duration::from_millis(500);

/// The password threads and their queue.
pub struct PasswordThreads {
    shared: Arc<Shared>,
}

/// What the threads, the slots and the release timer share.
struct Shared {
    pool: rayon::ThreadPool,
    queue: Arc<Semaphore>,
    /// Hashes started so far: a release waits for a quiet spell in which this does not move.
    started: AtomicU64,
}

impl std::fmt::Debug for PasswordThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordThreads").field("free", &self.shared.queue.available_permits()).finish()
    }
}

impl PasswordThreads {
    /// One thread per core.
    pub(crate) fn new() -> PasswordThreads {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .thread_name(|i| format!("argon2-{i}"))
            .build()
            .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().build().expect("a thread pool"));
        let queue = Arc::new(Semaphore::new(capacity(&pool)));
        PasswordThreads { shared: Arc::new(Shared { pool, queue, started: AtomicU64::new(0) }) }
    }

    /// A place in the queue, or 503 (with `Retry-After`) when it is full.
    pub(crate) fn reserve(&self) -> Result<PasswordSlot, PageError> {
        match Arc::clone(&self.shared.queue).try_acquire_owned() {
            Ok(permit) => Ok(PasswordSlot { shared: Arc::clone(&self.shared), permit }),
            Err(_) => {
                tracing::warn!("password queue full: sign-in refused with 503");
                Err(PageError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "error-sign-in-busy-title",
                    "error-sign-in-busy-body",
                ))
            }
        }
    }
}

/// Places in the queue: one running and [`QUEUED_PER_THREAD`] waiting, per thread of `pool`.
fn capacity(pool: &rayon::ThreadPool) -> usize {
    pool.current_num_threads() * (QUEUED_PER_THREAD + 1)
}

impl Shared {
    /// Once no hash is queued or running, and none starts for [`IDLE_BEFORE_RELEASE`], every
    /// thread frees its working memory.
    fn release_when_idle(self: Arc<Self>, runtime: &Handle) {
        if self.queue.available_permits() < capacity(&self.pool) {
            return; // the last hash still queued or running comes back here
        }
        let seen = self.started.load(Ordering::Relaxed);
        runtime.spawn(async move {
            tokio::time::sleep(IDLE_BEFORE_RELEASE).await;
            if self.started.load(Ordering::Relaxed) == seen {
                self.pool.spawn_broadcast(|_| password::release_memory());
            }
        });
    }
}

/// A reserved place on the password threads (see [`PasswordThreads::reserve`]).
pub(crate) struct PasswordSlot {
    shared: Arc<Shared>,
    permit: OwnedSemaphorePermit,
}

impl PasswordSlot {
    /// Runs `work` on a password thread; the place is given back when it ends. `None` only if
    /// the work panicked.
    pub(crate) async fn run<T: Send + 'static>(self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (sender, done) = tokio::sync::oneshot::channel();
        let PasswordSlot { shared, permit } = self;
        let runtime = Handle::current();
        shared.started.fetch_add(1, Ordering::Relaxed);
        let after_the_hash = Arc::clone(&shared);
        shared.pool.spawn(move || {
            let answer = work();
            // Given back before the answer, so whoever gets the answer finds the place free.
            drop(permit);
            let _ = sender.send(answer);
            after_the_hash.release_when_idle(&runtime);
        });
        done.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_a_finished_hash_frees_its_place() {
        let threads = PasswordThreads::new();
        let capacity = threads.shared.queue.available_permits();
        let held: Vec<_> = (0..capacity).map(|_| threads.reserve().expect("a free place")).collect();
        let refused = threads.reserve().err().expect("the queue is full");
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        let mut held = held.into_iter();
        assert_eq!(held.next().unwrap().run(|| 7).await, Some(7));
        assert!(threads.reserve().is_ok(), "the finished hash gave its place back");
    }

    #[tokio::test]
    async fn the_working_memory_is_kept_while_busy_and_given_back_once_idle() {
        let threads = PasswordThreads::new();
        let stored = password::hash("correct horse battery staple").unwrap();
        let held = || threads.shared.pool.broadcast(|_| password::memory_held()).into_iter().sum::<usize>();
        let slot = threads.reserve().unwrap();
        assert_eq!(slot.run(move || password::verify("correct horse battery staple", &stored)).await, Some(true));
        let finished = std::time::Instant::now();
        assert!(held() >= 19 * 1024 * 1024, "a verification left its 19 MiB on its thread");
        tokio::time::sleep(IDLE_BEFORE_RELEASE / 2).await;
        let still_held = held();
        if finished.elapsed() < IDLE_BEFORE_RELEASE {
            assert!(still_held > 0, "kept through a short quiet spell");
        }
        let deadline = finished + 20 * IDLE_BEFORE_RELEASE;
        while held() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(IDLE_BEFORE_RELEASE / 5).await;
        }
        assert_eq!(held(), 0, "given back once the queue stayed empty");
    }
}
