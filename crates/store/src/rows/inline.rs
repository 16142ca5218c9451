//! The hot-path rows as `rusqlite` returns them to the SQLite backend's inline readers, read in
//! the order of the column lists in [`crate::sql`] and under the names the `sqlx` derives use.

use super::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow, TokenWithUserRow};
use rusqlite::types::FromSql;
use rusqlite::{Result, Row};

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
        })
    }
}
