//! The SQL both backends share, as plain generic Rust: [`SqlStore`] implements every store trait
//! for any [`Backend`]. Statements are written in the dialect common to SQLite and PostgreSQL
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`); times are Unix seconds and secrets 32-byte
//! digests in both. A backend opens its connections, names its migrations, and may answer the hot
//! point lookups faster than a query (SQLite does, inline); nothing else differs.
//!
//! One file per responsibility: `accounts`, `clients`, `tokens` (with the single-use rules),
//! `consents`, `throttles`, `ticketing` and `housekeeping`. Each states the same `sqlx` bounds on
//! its `impl`: Rust does not carry a trait's `where` clauses to its users (rust-lang/rust#20671),
//! so they cannot be written once on [`Backend`].

mod account_links;
mod accounts;
mod admin;
mod audit;
mod built;
mod check_ins;
mod clients;
pub(crate) mod columns;
mod consents;
mod devices;
pub(crate) mod group_commit;
mod housekeeping;
mod logouts;
mod outbox;
mod portal;
mod proofs;
mod registry;
mod throttles;
pub(crate) mod ticketing;
mod tokens;
mod usage;
mod wallet;
mod webhook_outbox;
mod webhooks;

use crate::rows::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow, TokenWithUserRow};
use crate::{PoolStats, StoreResult};
use built::BuiltStatements;
use group_commit::{Pending, PendingProof, PendingTokens};
use sqlx::database::HasStatementCache;
use sqlx::migrate::Migrator;
use sqlx::{Database, Decode, Encode, Type};
use std::future::Future;
use std::ops::DerefMut;
use std::sync::Arc;
use ticketbooth_domain::secret::SecretHash;

/// What a database backend gives the shared SQL: connections, migrations, and optionally a
/// faster path for the hot point lookups.
pub(crate) trait Backend: Send + Sync + 'static {
    /// The `sqlx` database.
    type Db: Database<QueryResult: RowsAffected> + BuiltStatements + HasStatementCache;
    /// A connection held for writing; what it wrote stands once [`Commit::commit`] returns.
    type Writer<'a>: DerefMut<Target = <Self::Db as Database>::Connection> + Commit + Send
    where
        Self: 'a;
    /// A connection held for reading.
    type Reader<'a>: DerefMut<Target = <Self::Db as Database>::Connection> + Send
    where
        Self: 'a;

    /// Run first in a transaction that must see every token stored before it and none stored
    /// while it runs (consent revocation); `None` where transactions are serial anyway.
    const SERIALIZE_TOKEN_WRITES: Option<&'static str>;

    /// Ends a `SELECT` that picks rows for a worker to claim, so that concurrent claimers pass
    /// over each other's rows instead of waiting for them; empty where writes are serial anyway.
    const SKIP_CLAIMED_ROWS: &'static str;

    /// Ends a `SELECT` whose rows the transaction must hold until it commits; empty where writes
    /// are serial anyway.
    const LOCK_ROWS: &'static str;

    /// The backend's migrations.
    fn migrator(&self) -> &'static Migrator;
    /// Applies the pending migrations.
    fn migrate(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether a prepared statement may outlive the transaction that prepared it: not behind a
    /// transaction-pooling PgBouncer, which hands the server connection to another client then.
    fn keeps_statements(&self) -> bool {
        true
    }
    /// A connection for writing.
    fn write(&self) -> impl Future<Output = StoreResult<Self::Writer<'_>>> + Send;
    /// A connection for reading.
    fn read(&self) -> impl Future<Output = StoreResult<Self::Reader<'_>>> + Send;
    /// Connections open and idle.
    fn stats(&self) -> PoolStats;
    /// How long a request may wait for its write before it is answered "unavailable".
    fn acquire_timeout(&self) -> std::time::Duration;
    /// Fails when writes cannot be made now though reads can (part of readiness); a backend whose
    /// reads and writes share connections has nothing more to check.
    fn check_writes(&self) -> impl Future<Output = StoreResult<()>> + Send {
        async { Ok(()) }
    }

    // The hot point lookups (bearer check, client authentication, the grants, introspection),
    // each one row by a unique key. A backend that can answer one without a query's round trip
    // returns `Some`; `None` (the default) sends it down the shared query path.

    /// The token and its user, by access-token hash.
    fn token_with_user_now(&self, _hash: &SecretHash) -> Option<StoreResult<Option<TokenWithUserRow>>> {
        None
    }
    /// A token by access-token hash.
    fn token_now(&self, _hash: &SecretHash) -> Option<StoreResult<Option<AccessTokenRow>>> {
        None
    }
    /// A token by refresh-token hash.
    fn refresh_token_now(&self, _hash: &SecretHash) -> Option<StoreResult<Option<AccessTokenRow>>> {
        None
    }
    /// An application by client id.
    fn application_now(&self, _client_id: &str) -> Option<StoreResult<Option<ApplicationRow>>> {
        None
    }
    /// An authorization code by hash.
    fn code_now(&self, _hash: &SecretHash) -> Option<StoreResult<Option<AuthorizationCodeRow>>> {
        None
    }
}

/// Ends a store operation's writes: commits them where the connection holds a transaction for
/// the operation (behind a transaction pooler), and does nothing where each statement commits.
/// A writer dropped without it rolls back whatever its transaction held.
pub(crate) trait Commit {
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Starts the statements of a store: named and kept per connection where the backend keeps
/// statements (one round trip per later run), unnamed where it does not (see
/// [`Backend::keeps_statements`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Statements {
    keep: bool,
}

impl Statements {
    pub(crate) fn query<Db: Database + HasStatementCache>(
        self,
        sql: &str,
    ) -> sqlx::query::Query<'_, Db, Db::Arguments<'_>> {
        sqlx::query(sql).persistent(self.keep)
    }

    pub(crate) fn query_as<Db: Database + HasStatementCache, O>(
        self,
        sql: &str,
    ) -> sqlx::query::QueryAs<'_, Db, O, Db::Arguments<'_>>
    where
        O: for<'r> sqlx::FromRow<'r, Db::Row>,
    {
        sqlx::query_as(sql).persistent(self.keep)
    }

    pub(crate) fn query_scalar<Db: Database + HasStatementCache, O>(
        self,
        sql: &str,
    ) -> sqlx::query::QueryScalar<'_, Db, O, Db::Arguments<'_>>
    where
        (O,): for<'r> sqlx::FromRow<'r, Db::Row>,
    {
        sqlx::query_scalar(sql).persistent(self.keep)
    }

    /// Whether statements are kept (for statements built at run time).
    pub(crate) fn keep(self) -> bool {
        self.keep
    }
}

/// Ticketbooth's store on a backend.
#[derive(Debug)]
pub(crate) struct SqlStore<B> {
    pub(crate) backend: Arc<B>,
    /// How this store's statements are prepared.
    pub(crate) sql: Statements,
    pending_tokens: Arc<PendingTokens>,
    pending_proofs: Arc<Pending<PendingProof>>,
    usage: Arc<usage::UsageTally>,
}

impl<B> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        SqlStore {
            backend: Arc::clone(&self.backend),
            sql: self.sql,
            pending_tokens: Arc::clone(&self.pending_tokens),
            pending_proofs: Arc::clone(&self.pending_proofs),
            usage: Arc::clone(&self.usage),
        }
    }
}

impl<B: Backend> SqlStore<B> {
    pub(crate) fn new(backend: B) -> Self {
        SqlStore {
            sql: Statements { keep: backend.keeps_statements() },
            backend: Arc::new(backend),
            pending_tokens: Arc::default(),
            pending_proofs: Arc::default(),
            usage: Arc::default(),
        }
    }
}

impl<B: Backend> SqlStore<B> {
    /// The answer to a write queued for a group commit, or "unavailable" once the acquire timeout
    /// has passed: in an outage a batch waits out the one before it, and a request must not wait
    /// for both. A write answered so may still commit; it was never acknowledged, so nobody
    /// holds what it stored.
    pub(crate) async fn batched_answer<T>(
        &self,
        receiver: tokio::sync::oneshot::Receiver<StoreResult<T>>,
    ) -> StoreResult<T> {
        match tokio::time::timeout(self.backend.acquire_timeout(), receiver).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(crate::StoreError::Batched("the batch was dropped".into())),
            Err(_) => {
                Err(crate::StoreError::Unavailable("the write did not complete within the acquire timeout".into()))
            }
        }
    }
}

/// `text` for a `LIKE … ESCAPE '!'` pattern: its wildcards and the escape character match
/// themselves.
pub(crate) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '!' | '%' | '_') {
            escaped.push('!');
        }
        escaped.push(c);
    }
    escaped
}

/// How many rows a statement changed (`sqlx` has no trait for it).
pub(crate) trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// A value type a backend stores and reads back (the bound each store impl states per type).
pub(crate) trait Column<Db: Database>:
    for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db> + Send
{
}

impl<T, Db: Database> Column<Db> for T where T: for<'q> Encode<'q, Db> + for<'r> Decode<'r, Db> + Type<Db> + Send {}

/// The connection type of a backend.
pub(crate) type Conn<B> = <<B as Backend>::Db as Database>::Connection;
/// The row type of a backend.
pub(crate) type Row<B> = <<B as Backend>::Db as Database>::Row;
/// The argument buffer of a backend.
pub(crate) type Args<'q, B> = <<B as Backend>::Db as Database>::Arguments<'q>;
