//! Group commit: writes queued by concurrent requests (tokens, DPoP proofs) and stored by one
//! flush, a batch at a time (see [`Pending`]).

use crate::StoreResult;
use ticketbooth_domain::model::{AccessToken, NewAccessToken};
use tokio::sync::oneshot;

/// What a queued token must win before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Nothing: the token is stored unconditionally (client credentials).
    Unconditional,
    /// The authorization code with this id, still unredeemed (RFC 6749 §4.1.2: single use).
    Code(i64),
    /// The token with this id, still unrevoked: the refresh token the new pair replaces.
    Refresh(i64),
}

/// A token waiting for the writer (naming its claim, if any, in `authorization_code_id` or
/// `previous_token_id`), with the channel its request awaits the result on (`None` when the claim
/// was lost).
#[derive(Debug)]
pub(crate) struct PendingToken {
    pub(crate) token: NewAccessToken,
    pub(crate) answer: oneshot::Sender<StoreResult<Option<AccessToken>>>,
}

/// A DPoP proof waiting for the writer, with the channel its request awaits: true when the proof
/// was new, false when any request (here, in this batch, or on another instance) had it first.
#[derive(Debug)]
pub(crate) struct PendingProof {
    pub(crate) proof_hash: [u8; 32],
    pub(crate) expires_at: i64,
    pub(crate) answer: oneshot::Sender<StoreResult<bool>>,
}

/// Tokens waiting for the writer.
pub(crate) type PendingTokens = Pending<PendingToken>;

/// Writes waiting for the writer.
///
/// Group commit: a request that needs to store a token queues it and waits for its answer. The
/// request that finds no flush under way starts one, in a task of its own: it takes the writer,
/// then the whole queue, and stores it in one multi-row insert (whose triggers take the claims),
/// and goes on with whatever queued meanwhile until the queue is empty. Under load one commit
/// carries many tokens; alone, a request stores just its own. Each answer is sent after the
/// commit. The other requests never touch the writer, so they never queue for it one by one.
#[derive(Debug)]
pub(crate) struct Pending<T>(std::sync::Mutex<Queue<T>>);

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending(std::sync::Mutex::new(Queue { items: Vec::new(), flushing: false }))
    }
}

#[derive(Debug)]
struct Queue<T> {
    items: Vec<T>,
    /// A flush is under way, and will take what is queued.
    flushing: bool,
}

impl<T> Pending<T> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<T>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a write; true when no flush was under way, so the caller must start one.
    pub(crate) fn queue(&self, item: T) -> bool {
        let mut queue = self.lock();
        queue.items.push(item);
        !std::mem::replace(&mut queue.flushing, true)
    }

    /// Everything queued, for the flush to store; `None` when the queue is empty, which ends the
    /// flush (the next token queued starts another).
    pub(crate) fn take_or_finish(&self) -> Option<Vec<T>> {
        let mut queue = self.lock();
        if queue.items.is_empty() {
            queue.flushing = false;
            return None;
        }
        Some(std::mem::take(&mut queue.items))
    }

    /// Marks the flush the caller runs; should it stop before the queue is empty (a panic, or the
    /// runtime shutting down), the queued requests get an error instead of waiting forever, and
    /// the next token queued starts a new flush.
    pub(crate) fn flush_guard(&self) -> FlushGuard<'_, T> {
        FlushGuard(self)
    }
}

/// See [`Pending::flush_guard`].
pub(crate) struct FlushGuard<'a, T>(&'a Pending<T>);

impl<T> FlushGuard<'_, T> {
    /// The flush emptied the queue and ended normally.
    pub(crate) fn finish(self) {
        std::mem::forget(self);
    }
}

impl<T> Drop for FlushGuard<'_, T> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        // Dropping the queued items drops their answer channels: their requests get an error.
        queue.items.clear();
        queue.flushing = false;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ticketbooth_domain::scope::ScopeSet;
    use ticketbooth_domain::secret::Secret;
    use tokio::sync::oneshot::error::TryRecvError;

    type Answer = oneshot::Receiver<StoreResult<Option<AccessToken>>>;

    /// A fresh application token (client credentials) for `application_id`.
    pub(crate) fn app_token(application_id: i64) -> NewAccessToken {
        let now = chrono::Utc::now();
        NewAccessToken {
            access_token_hash: Secret::generate().hash(),
            refresh_token_hash: None,
            application_id,
            user_id: None,
            scopes: ScopeSet::parse("public").unwrap(),
            authorization_code_id: None,
            previous_token_id: None,
            family_id: None,
            created_at: now,
            expires_at: now + chrono::Duration::hours(2),
            refresh_expires_at: None,
            grace_salt: None,
            dpop_jkt: None,
            audience: None,
        }
    }

    fn token() -> (PendingToken, Answer) {
        let (answer, receiver) = oneshot::channel();
        (PendingToken { token: app_token(1), answer }, receiver)
    }

    #[test]
    fn only_a_token_queued_while_no_flush_runs_starts_one_and_a_flush_ends_on_an_empty_queue() {
        let queue = PendingTokens::default();
        let (first, _first) = token();
        let (second, _second) = token();
        assert!(queue.queue(first), "the first token starts a flush");
        assert!(!queue.queue(second), "the flush under way will take the second");
        assert_eq!(queue.take_or_finish().map(|batch| batch.len()), Some(2));
        let (third, _third) = token();
        assert!(!queue.queue(third), "the flush goes on until the queue is empty");
        assert_eq!(queue.take_or_finish().map(|batch| batch.len()), Some(1));
        assert!(queue.take_or_finish().is_none(), "an empty queue ends the flush");
        let (fourth, _fourth) = token();
        assert!(queue.queue(fourth), "so the next token starts another");
    }

    #[test]
    fn a_flush_that_stops_early_fails_what_is_queued_and_the_next_token_starts_another() {
        let queue = PendingTokens::default();
        let (first, mut first_answer) = token();
        assert!(queue.queue(first));
        drop(queue.flush_guard()); // as a panic or a runtime shutdown inside the flush would
        assert_eq!(first_answer.try_recv().unwrap_err(), TryRecvError::Closed);
        let (second, mut second_answer) = token();
        assert!(queue.queue(second), "a new flush starts");
        queue.flush_guard().finish();
        assert_eq!(second_answer.try_recv().unwrap_err(), TryRecvError::Empty, "a finished flush drops nothing");
    }
}
