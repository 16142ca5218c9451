//! Token batches written on the calling thread.
//!
//! A batch is a transaction of up to five statements (begin, claims, insert, commit). Through
//! `sqlx` each is a round trip to the connection's worker thread, and the writer does nothing
//! else meanwhile: with the claims taken in Rust instead of by triggers, code exchange lost 20 %
//! of its throughput that way. A `rusqlite` connection runs the same statements back to back on
//! a blocking thread: one hand-over a batch, as the single trigger-guarded insert had. (On the
//! async worker itself it was slower still: it held one of the two workers.) It writes only
//! while the store's writer is held, so SQLite still sees one writer at a time.

use super::inline::database_error;
use crate::rows::{ts, HashedAccessTokenRow};
use crate::sql::tokens::{claim_statement, winners, INSERT_TOKENS, INSERT_TOKEN_COLUMNS, RETURNING_TOKENS};
use crate::StoreResult;
use chrono::Utc;
use rusqlite::{params_from_iter, Connection, TransactionBehavior};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use ticketbooth_domain::model::{AccessToken, NewAccessToken};
use ticketbooth_domain::secret::SecretHash;

/// Prepared statements kept: an insert and a claim per batch size up to the group commit's usual
/// sizes (the writer's queue rarely holds more than the server's concurrency).
const STATEMENT_CACHE: usize = 256;

/// The connection that stores token batches.
#[derive(Debug)]
pub(super) struct TokenWriter(Mutex<Connection>);

impl TokenWriter {
    /// A read-write connection to the database at `path`, with a page cache of `cache_kib`
    /// (SQLite's negative `cache_size`).
    pub(super) fn open(path: &Path, cache_kib: i64) -> StoreResult<TokenWriter> {
        let open = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            // A statement per batch size: the claims' `IN` lists and the insert's rows vary.
            connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            // As the `sqlx` connections: the checkpointer may hold the database briefly.
            connection.busy_timeout(Duration::from_secs(5))?;
            connection.pragma_update(None, "foreign_keys", true)?;
            connection.pragma_update(None, "synchronous", "NORMAL")?;
            connection.pragma_update(None, "cache_size", cache_kib)?;
            // As the other writer: the background task checkpoints, never a commit.
            connection.pragma_update(None, "wal_autocheckpoint", 0)?;
            connection.pragma_update(None, "journal_size_limit", 67_108_864)?;
            Ok(connection)
        };
        Ok(TokenWriter(Mutex::new(open().map_err(database_error)?)))
    }

    /// Stores a batch; `None` when the connection is unusable (a panic poisoned it), so the
    /// shared path stores the batch instead.
    pub(super) fn store(&self, tokens: &[&NewAccessToken]) -> Option<StoreResult<Vec<Option<AccessToken>>>> {
        let mut connection = self.0.lock().ok()?;
        Some(store(&mut connection, tokens).map_err(database_error).and_then(|rows| answers(tokens, rows)))
    }
}

/// Takes the batch's claims and inserts the winners' tokens, in one transaction.
fn store(connection: &mut Connection, tokens: &[&NewAccessToken]) -> rusqlite::Result<Vec<HashedAccessTokenRow>> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = ts(Utc::now());
    let codes: Vec<i64> = tokens.iter().filter_map(|token| token.authorization_code_id).collect();
    let previous: Vec<i64> = tokens.iter().filter_map(|token| token.previous_token_id).collect();
    let mut codes = claim(&transaction, "authorization_codes", "redeemed_at", &codes, now)?;
    let mut previous = claim(&transaction, "access_tokens", "revoked_at", &previous, now)?;
    let won = winners(tokens, &mut codes, &mut previous);
    let winners: Vec<&NewAccessToken> =
        tokens.iter().zip(won).filter(|(_, won)| *won).map(|(token, _)| *token).collect();
    let rows = insert(&transaction, &winners)?;
    transaction.commit()?;
    Ok(rows)
}

/// Sets `column` to `now` on the rows of `table` with these ids where it is still null, and
/// returns the ids it set.
fn claim(connection: &Connection, table: &str, column: &str, ids: &[i64], now: i64) -> rusqlite::Result<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let (set, ids_in) = claim_statement(table, column);
    let sql = format!("{set}?{ids_in}{}) RETURNING id", placeholders(ids.len()));
    let mut statement = connection.prepare_cached(&sql)?;
    let values = std::iter::once(now).chain(ids.iter().copied());
    let claimed = statement.query_map(params_from_iter(values), |row| row.get(0))?;
    claimed.collect()
}

/// Inserts the tokens in one statement and returns their rows.
fn insert(connection: &Connection, tokens: &[&NewAccessToken]) -> rusqlite::Result<Vec<HashedAccessTokenRow>> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let row = format!("({})", placeholders(INSERT_TOKEN_COLUMNS));
    let sql = format!("{INSERT_TOKENS} VALUES {}{RETURNING_TOKENS}", vec![row; tokens.len()].join(", "));
    let mut statement = connection.prepare_cached(&sql)?;
    let values = tokens.iter().flat_map(|token| {
        [
            rusqlite::types::Value::from(token.access_token_hash.as_bytes().to_vec()),
            token.refresh_token_hash.as_ref().map(|hash| hash.as_bytes().to_vec()).into(),
            token.application_id.into(),
            token.user_id.into(),
            token.scopes.to_string().into(),
            token.authorization_code_id.into(),
            token.previous_token_id.into(),
            ts(token.created_at).into(),
            ts(token.expires_at).into(),
            token.refresh_expires_at.map(ts).into(),
            token.family_id.into(),
        ]
    });
    let rows = statement.query_map(params_from_iter(values), HashedAccessTokenRow::from_inline)?;
    rows.collect()
}

/// `?, ?, …`, `count` of them.
fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// Each token of the batch as stored, or `None` where its claim was lost.
fn answers(tokens: &[&NewAccessToken], rows: Vec<HashedAccessTokenRow>) -> StoreResult<Vec<Option<AccessToken>>> {
    let mut stored: HashMap<SecretHash, AccessToken> =
        rows.into_iter().map(HashedAccessTokenRow::into_domain).collect::<StoreResult<_>>()?;
    Ok(tokens.iter().map(|token| stored.remove(&token.access_token_hash)).collect())
}
