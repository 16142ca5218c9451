//! Inline reads: the hot point lookups run with `rusqlite` on the calling thread, and their rows
//! read in the order of the column lists in [`crate::sql::columns`], under the names the `sqlx`
//! derives use.

use crate::rows::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow, TokenWithUserRow};
use crate::{StoreError, StoreResult};
use rusqlite::types::FromSql;
use rusqlite::{OptionalExtension, Result, Row, ToSql};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// Read-only `rusqlite` connections, one per async worker thread.
#[derive(Debug)]
pub(super) struct InlineReaders(Vec<Mutex<rusqlite::Connection>>);

impl InlineReaders {
    /// `count` read-only connections to the database at `path`, each with a page cache of
    /// `cache_kib` (SQLite's negative `cache_size`).
    pub(super) fn open(path: &Path, count: usize, cache_kib: i64) -> StoreResult<InlineReaders> {
        let connect = || -> Result<Mutex<rusqlite::Connection>> {
            let connection = rusqlite::Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            connection.busy_timeout(Duration::ZERO)?;
            connection.pragma_update(None, "cache_size", cache_kib)?;
            Ok(Mutex::new(connection))
        };
        let connections = (0..count).map(|_| connect()).collect::<Result<Vec<_>>>().map_err(database_error)?;
        Ok(InlineReaders(connections))
    }

    /// One row of `query`, its one parameter bound to `key`, from a free inline connection;
    /// `None` when every inline connection is busy or the database is locked (the caller then
    /// asks a reader connection: the calling thread never waits).
    pub(super) fn read<T>(
        &self,
        query: &str,
        key: impl ToSql,
        row: fn(&Row<'_>) -> Result<T>,
    ) -> Option<StoreResult<Option<T>>> {
        let connection = self.0.iter().find_map(|connection| connection.try_lock().ok())?;
        let found =
            connection.prepare_cached(query).and_then(|mut statement| statement.query_row([key], row).optional());
        match found {
            Err(rusqlite::Error::SqliteFailure(failure, _)) if failure.code == rusqlite::ErrorCode::DatabaseBusy => {
                None
            }
            found => Some(found.map_err(database_error)),
        }
    }

    /// Holds every inline connection, so reads take the reader connections (tests).
    #[cfg(test)]
    pub(super) fn hold_all(&self) -> Vec<std::sync::MutexGuard<'_, rusqlite::Connection>> {
        self.0.iter().map(|connection| connection.lock().unwrap()).collect()
    }
}

/// A `rusqlite` failure as the store reports it (reads break no constraint, so none is mapped).
fn database_error(err: rusqlite::Error) -> StoreError {
    StoreError::Database(Box::new(err))
}

/// A row's columns, read one after the other.
///
/// By position: `rusqlite` finds a column by name by comparing it with every column's name, which
/// for the 20 columns of the bearer check's row cost about 4% of the server's CPU under load. The
/// names are checked in debug builds, so a reordered column list fails every test that reads it.
struct Columns<'a, 'r> {
    row: &'a Row<'r>,
    next: usize,
}

impl<'a, 'r> Columns<'a, 'r> {
    fn of(row: &'a Row<'r>) -> Self {
        Columns { row, next: 0 }
    }

    /// The next column, which the column list names `name`.
    fn take<T: FromSql>(&mut self, name: &str) -> Result<T> {
        debug_assert_eq!(self.row.as_ref().column_name(self.next).ok(), Some(name), "column {}", self.next);
        let value = self.row.get(self.next);
        self.next += 1;
        value
    }
}

impl AccessTokenRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<AccessTokenRow> {
        AccessTokenRow::from_columns(&mut Columns::of(row))
    }

    fn from_columns(columns: &mut Columns<'_, '_>) -> Result<AccessTokenRow> {
        Ok(AccessTokenRow {
            id: columns.take("id")?,
            application_id: columns.take("application_id")?,
            user_id: columns.take("user_id")?,
            scopes: columns.take("scopes")?,
            created_at: columns.take("created_at")?,
            expires_at: columns.take("expires_at")?,
            revoked_at: columns.take("revoked_at")?,
            has_refresh_token: columns.take("has_refresh_token")?,
            refresh_expires_at: columns.take("refresh_expires_at")?,
            family_id: columns.take("family_id")?,
            dpop_jkt: columns.take("dpop_jkt")?,
            audience: columns.take("audience")?,
        })
    }
}

impl TokenWithUserRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<TokenWithUserRow> {
        let mut columns = Columns::of(row);
        Ok(TokenWithUserRow {
            token: AccessTokenRow::from_columns(&mut columns)?,
            u_id: columns.take("u_id")?,
            u_email: columns.take("u_email")?,
            u_password_hash: columns.take("u_password_hash")?,
            u_first_name: columns.take("u_first_name")?,
            u_last_name: columns.take("u_last_name")?,
            u_phone: columns.take("u_phone")?,
            u_birthday: columns.take("u_birthday")?,
            u_gender: columns.take("u_gender")?,
            u_is_admin: columns.take("u_is_admin")?,
            u_created_at: columns.take("u_created_at")?,
            u_email_verified_at: columns.take("u_email_verified_at")?,
            u_language: columns.take("u_language")?,
            u_disabled_at: columns.take("u_disabled_at")?,
        })
    }
}

impl ApplicationRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<ApplicationRow> {
        let mut columns = Columns::of(row);
        Ok(ApplicationRow {
            id: columns.take("id")?,
            client_id: columns.take("client_id")?,
            name: columns.take("name")?,
            secret_hash: columns.take("secret_hash")?,
            redirect_uris: columns.take("redirect_uris")?,
            scopes: columns.take("scopes")?,
            organizer_id: columns.take("organizer_id")?,
            id_token_alg: columns.take("id_token_alg")?,
            created_at: columns.take("created_at")?,
            description: columns.take("description")?,
            website: columns.take("website")?,
            owner_id: columns.take("owner_id")?,
            suspended_at: columns.take("suspended_at")?,
            secret_shown: columns.take("secret_shown")?,
            previous_secret_hash: columns.take("previous_secret_hash")?,
            previous_secret_expires_at: columns.take("previous_secret_expires_at")?,
            device_grant: columns.take("device_grant")?,
            require_par: columns.take("require_par")?,
            require_dpop: columns.take("require_dpop")?,
            refresh_grace_seconds: columns.take("refresh_grace_seconds")?,
            jwks: columns.take("jwks")?,
            post_logout_redirect_uris: columns.take("post_logout_redirect_uris")?,
            backchannel_logout_uri: columns.take("backchannel_logout_uri")?,
            origin: columns.take("origin")?,
            review: columns.take("review")?,
            registration_token_hash: columns.take("registration_token_hash")?,
            metadata_expires_at: columns.take("metadata_expires_at")?,
        })
    }
}

impl AuthorizationCodeRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<AuthorizationCodeRow> {
        let mut columns = Columns::of(row);
        Ok(AuthorizationCodeRow {
            id: columns.take("id")?,
            code_hash: columns.take("code_hash")?,
            application_id: columns.take("application_id")?,
            user_id: columns.take("user_id")?,
            redirect_uri: columns.take("redirect_uri")?,
            redirect_uri_was_sent: columns.take("redirect_uri_was_sent")?,
            scopes: columns.take("scopes")?,
            code_challenge: columns.take("code_challenge")?,
            nonce: columns.take("nonce")?,
            auth_time: columns.take("auth_time")?,
            created_at: columns.take("created_at")?,
            expires_at: columns.take("expires_at")?,
            redeemed_at: columns.take("redeemed_at")?,
            resource: columns.take("resource")?,
        })
    }
}
