//! The password threads: Argon2id costs tens of milliseconds of CPU and 19 MiB of memory per
//! hash, so hashes run on a pool of their own (one thread per core) that the async workers never
//! wait on, behind a bounded queue. A sign-in arriving to a full queue is answered 503 at once,
//! before its attempt is counted: a flood of sign-ins can neither grow memory nor make an honest
//! person's attempt wait for seconds, nor use up anyone's failure allowance.

use crate::error::PageError;
use axum::http::StatusCode;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hashes that may wait for a password thread, per thread. An Argon2id verification takes about
/// 40 ms here, so a full queue is about two thirds of a second of work; and 32 sign-ins at once on
/// 2 cores (the benchmark's load) all find a place.
const QUEUED_PER_THREAD: usize = 16;

/// The password threads and their queue.
pub struct PasswordThreads {
    pool: rayon::ThreadPool,
    queue: Arc<Semaphore>,
}

impl std::fmt::Debug for PasswordThreads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordThreads").field("free", &self.queue.available_permits()).finish()
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
        let queue = Arc::new(Semaphore::new(pool.current_num_threads() * (QUEUED_PER_THREAD + 1)));
        PasswordThreads { pool, queue }
    }

    /// A place in the queue, or 503 (with `Retry-After`) when it is full.
    pub(crate) fn reserve(&self) -> Result<PasswordSlot<'_>, PageError> {
        match Arc::clone(&self.queue).try_acquire_owned() {
            Ok(permit) => Ok(PasswordSlot { pool: &self.pool, permit }),
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

/// A reserved place on the password threads (see [`PasswordThreads::reserve`]).
pub(crate) struct PasswordSlot<'a> {
    pool: &'a rayon::ThreadPool,
    permit: OwnedSemaphorePermit,
}

impl PasswordSlot<'_> {
    /// Runs `work` on a password thread; the place is given back when it ends. `None` only if
    /// the work panicked.
    pub(crate) async fn run<T: Send + 'static>(self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (sender, done) = tokio::sync::oneshot::channel();
        let permit = self.permit;
        self.pool.spawn(move || {
            let answer = work();
            // Given back before the answer, so whoever gets the answer finds the place free.
            drop(permit);
            let _ = sender.send(answer);
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
        let capacity = threads.queue.available_permits();
        let held: Vec<_> = (0..capacity).map(|_| threads.reserve().expect("a free place")).collect();
        let refused = threads.reserve().err().expect("the queue is full");
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        let mut held = held.into_iter();
        assert_eq!(held.next().unwrap().run(|| 7).await, Some(7));
        assert!(threads.reserve().is_ok(), "the finished hash gave its place back");
    }
}
