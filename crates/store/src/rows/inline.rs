//! The hot-path rows as `rusqlite` returns them to the SQLite backend's inline readers, read by
//! the same column names as the `sqlx` derives read them.

use super::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow, TokenWithUserRow};
use rusqlite::{Result, Row};

impl AccessTokenRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<AccessTokenRow> {
        Ok(AccessTokenRow {
            id: row.get("id")?,
            application_id: row.get("application_id")?,
            user_id: row.get("user_id")?,
            scopes: row.get("scopes")?,
            created_at: row.get("created_at")?,
            expires_at: row.get("expires_at")?,
            revoked_at: row.get("revoked_at")?,
            has_refresh_token: row.get("has_refresh_token")?,
            refresh_expires_at: row.get("refresh_expires_at")?,
            family_id: row.get("family_id")?,
        })
    }
}

impl TokenWithUserRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<TokenWithUserRow> {
        Ok(TokenWithUserRow {
            token: AccessTokenRow::from_inline(row)?,
            u_id: row.get("u_id")?,
            u_email: row.get("u_email")?,
            u_password_hash: row.get("u_password_hash")?,
            u_first_name: row.get("u_first_name")?,
            u_last_name: row.get("u_last_name")?,
            u_phone: row.get("u_phone")?,
            u_birthday: row.get("u_birthday")?,
            u_gender: row.get("u_gender")?,
            u_is_admin: row.get("u_is_admin")?,
            u_created_at: row.get("u_created_at")?,
        })
    }
}

impl ApplicationRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<ApplicationRow> {
        Ok(ApplicationRow {
            id: row.get("id")?,
            client_id: row.get("client_id")?,
            name: row.get("name")?,
            secret_hash: row.get("secret_hash")?,
            redirect_uris: row.get("redirect_uris")?,
            scopes: row.get("scopes")?,
            organizer_id: row.get("organizer_id")?,
            created_at: row.get("created_at")?,
        })
    }
}

impl AuthorizationCodeRow {
    pub(crate) fn from_inline(row: &Row<'_>) -> Result<AuthorizationCodeRow> {
        Ok(AuthorizationCodeRow {
            id: row.get("id")?,
            code_hash: row.get("code_hash")?,
            application_id: row.get("application_id")?,
            user_id: row.get("user_id")?,
            redirect_uri: row.get("redirect_uri")?,
            redirect_uri_was_sent: row.get("redirect_uri_was_sent")?,
            scopes: row.get("scopes")?,
            code_challenge: row.get("code_challenge")?,
            nonce: row.get("nonce")?,
            auth_time: row.get("auth_time")?,
            created_at: row.get("created_at")?,
            expires_at: row.get("expires_at")?,
            redeemed_at: row.get("redeemed_at")?,
        })
    }
}
