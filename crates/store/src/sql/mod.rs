//! The SQL both backends share. Every statement is written in the dialect common to SQLite and
//! PostgreSQL (`$n` placeholders, `RETURNING`, `ON CONFLICT`); times are Unix seconds and secrets
//! 32-byte digests in both. So one implementation of [`Store`](crate::Store) serves both backends,
//! and each backend module only opens its pools and names its migrations.

/// Column lists as literals, so statements are assembled at compile time with `concat!`.
macro_rules! user_columns {
    () => {
        "id, email, password_hash, first_name, last_name, phone, birthday, gender, is_admin, created_at"
    };
}
/// Token and user columns for `FROM access_tokens t LEFT JOIN users u`, user columns prefixed `u_`.
macro_rules! token_with_user_columns {
    () => {
        "t.id, t.application_id, t.user_id, t.scopes, t.created_at, t.expires_at, t.revoked_at, \
         t.refresh_token_hash IS NOT NULL AS has_refresh_token, t.refresh_expires_at, t.family_id, \
         u.id AS u_id, u.email AS u_email, u.password_hash AS u_password_hash, u.first_name AS u_first_name, \
         u.last_name AS u_last_name, u.phone AS u_phone, u.birthday AS u_birthday, u.gender AS u_gender, \
         u.is_admin AS u_is_admin, u.created_at AS u_created_at"
    };
}
macro_rules! application_columns {
    () => {
        "id, client_id, name, secret_hash, redirect_uris, scopes, organizer_id, id_token_alg, created_at"
    };
}
macro_rules! code_columns {
    () => {
        "id, code_hash, application_id, user_id, redirect_uri, redirect_uri_was_sent, scopes, \
         code_challenge, nonce, auth_time, created_at, expires_at, redeemed_at"
    };
}
macro_rules! access_token_columns {
    () => {
        "id, application_id, user_id, scopes, created_at, expires_at, revoked_at, \
         refresh_token_hash IS NOT NULL AS has_refresh_token, refresh_expires_at, family_id"
    };
}

macro_rules! event_columns {
    () => {
        "id, organizer_id, title, description, description_en, location_name, cover_url, poster_url, status, \
         start_at, end_at, api_ticket_quota, created_at, updated_at"
    };
}
macro_rules! ticket_type_columns {
    () => {
        "id, event_id, name, price_satangs, quota"
    };
}
macro_rules! order_columns {
    () => {
        "id, event_id, user_id, status, buyer_firstname, buyer_lastname, buyer_email, buyer_phone, \
         buyer_phone_country, buyer_phone_country_code, buyer_phone_local, forms, paid_at, created_at, updated_at"
    };
}
/// Ticket columns with the ticket type's, for `FROM tickets t JOIN ticket_types tt`.
macro_rules! ticket_columns {
    () => {
        "t.id, t.order_id, t.event_id, t.user_id, t.status, t.firstname, t.lastname, t.phone, t.email, \
         t.reference_code, t.kind, t.external_id, t.revoke_note, t.forms, t.used_at, t.registered_at, t.created_at, \
         t.updated_at, tt.id AS tt_id, tt.name AS tt_name, tt.price_satangs AS tt_price_satangs, tt.quota AS tt_quota"
    };
}

/// The point lookups on the hot paths (bearer check, client authentication, code and refresh
/// grants, introspection): one row by a unique key, bound as `$1`.
pub(crate) const TOKEN_WITH_USER_BY_HASH: &str = concat!(
    "SELECT ",
    token_with_user_columns!(),
    " FROM access_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.access_token_hash = $1"
);
pub(crate) const TOKEN_BY_HASH: &str =
    concat!("SELECT ", access_token_columns!(), " FROM access_tokens WHERE access_token_hash = $1");
pub(crate) const TOKEN_BY_REFRESH_HASH: &str =
    concat!("SELECT ", access_token_columns!(), " FROM access_tokens WHERE refresh_token_hash = $1");
pub(crate) const APPLICATION_BY_CLIENT_ID: &str =
    concat!("SELECT ", application_columns!(), " FROM applications WHERE client_id = $1");
pub(crate) const CODE_BY_HASH: &str =
    concat!("SELECT ", code_columns!(), " FROM authorization_codes WHERE code_hash = $1");

/// Runs one of the point lookups above: inline where the backend can (see
/// `SqliteStore::read_inline`), else on a read connection. `$row` maps both libraries' rows.
///
/// The second form runs any one-row query with its parameters, `$inline` mapping the `rusqlite`
/// row to what `sqlx` reads as `$row`. Parameters are evaluated on whichever path runs, so they
/// must be `Copy` (keys, slices, numbers).
macro_rules! point_read {
    ($store:ident, $query:ident, $key:expr, $row:ty) => {
        $crate::sql::point_read!($store, $crate::sql::$query, ($key), $row, <$row>::from_inline)
    };
    ($store:ident, $query:expr, ($($param:expr),+), $row:ty, $inline:expr) => {
        match $store.read_inline($query, ($($param,)+), $inline) {
            Some(found) => found?,
            None => {
                sqlx::query_as::<_, $row>($query)
                    $(.bind($param))+
                    .fetch_optional(&mut *$store.read().await?)
                    .await?
            }
        }
    };
}

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
    pub(crate) token: ticketbooth_domain::model::NewAccessToken,
    pub(crate) answer: tokio::sync::oneshot::Sender<crate::StoreResult<Option<ticketbooth_domain::model::AccessToken>>>,
}

/// Tokens waiting for the writer.
///
/// Group commit: a request that needs to store a token queues it and waits for its answer. The
/// request that finds no flush under way starts one, in a task of its own: it takes the writer,
/// then the whole queue, and stores it in one multi-row insert (whose triggers take the claims),
/// and goes on with whatever queued meanwhile until the queue is empty. Under load one commit
/// carries many tokens; alone, a request stores just its own. Each answer is sent after the
/// commit. The other requests never touch the writer, so they never queue for it one by one.
#[derive(Debug, Default)]
pub(crate) struct PendingTokens(std::sync::Mutex<TokenQueue>);

#[derive(Debug, Default)]
struct TokenQueue {
    tokens: Vec<PendingToken>,
    /// A flush is under way, and will take what is queued.
    flushing: bool,
}

impl PendingTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, TokenQueue> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a token; true when no flush was under way, so the caller must start one.
    pub(crate) fn queue(&self, token: PendingToken) -> bool {
        let mut queue = self.lock();
        queue.tokens.push(token);
        !std::mem::replace(&mut queue.flushing, true)
    }

    /// Everything queued, for the flush to store; `None` when the queue is empty, which ends the
    /// flush (the next token queued starts another).
    pub(crate) fn take_or_finish(&self) -> Option<Vec<PendingToken>> {
        let mut queue = self.lock();
        if queue.tokens.is_empty() {
            queue.flushing = false;
            return None;
        }
        Some(std::mem::take(&mut queue.tokens))
    }

    /// Marks the flush the caller runs; should it stop before the queue is empty (a panic, or the
    /// runtime shutting down), the queued requests get an error instead of waiting forever, and
    /// the next token queued starts a new flush.
    pub(crate) fn flush_guard(&self) -> FlushGuard<'_> {
        FlushGuard(self)
    }
}

/// See [`PendingTokens::flush_guard`].
pub(crate) struct FlushGuard<'a>(&'a PendingTokens);

impl FlushGuard<'_> {
    /// The flush emptied the queue and ended normally.
    pub(crate) fn finish(self) {
        std::mem::forget(self);
    }
}

impl Drop for FlushGuard<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.tokens.clear();
        queue.flushing = false;
    }
}

pub(crate) mod identity;
pub(crate) mod ticketing;

/// Implements [`Store`](crate::Store) for a backend struct with connections of
/// connection type `$conn` on database `$db` (and `write()`, `read()` and `stats()` methods),
/// migrated from the folder `$migrations`.
macro_rules! impl_store {
    ($store:ty, $migrations:literal, $conn:ty, $db:ty) => {
        $crate::sql::identity::impl_identity!($store, $migrations, $conn);
        $crate::sql::ticketing::impl_ticketing!($store, $conn, $db);
    };
}

pub(crate) use {
    access_token_columns, application_columns, event_columns, impl_store, order_columns, point_read, ticket_columns,
    ticket_type_columns, user_columns,
};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ticketbooth_domain::model::NewAccessToken;
    use ticketbooth_domain::scope::ScopeSet;
    use ticketbooth_domain::secret::Secret;
    use tokio::sync::oneshot::{self, error::TryRecvError};

    type Answer = oneshot::Receiver<crate::StoreResult<Option<ticketbooth_domain::model::AccessToken>>>;

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
