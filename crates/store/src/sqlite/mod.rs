//! The SQLite backend: WAL mode, foreign keys on, one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling writes through a single connection turns lock
//! contention (`SQLITE_BUSY`) into a queue, while WAL lets the readers run beside it.

mod rows;

use crate::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rows::{ts, AccessTokenRow, ApplicationRow, AuthorizationCodeRow, SessionRow, UserRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, BrowserSession, NewAccessToken, NewApplication,
    NewAuthorizationCode, NewUser, Organizer, User,
};
use ticketbooth_domain::secret::SecretHash;

/// Ticketbooth's store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

const ACCESS_TOKEN_COLUMNS: &str = "id, application_id, user_id, scopes, created_at, expires_at, \
     revoked_at, refresh_token_hash IS NOT NULL AS has_refresh_token, refresh_expires_at";
const CODE_COLUMNS: &str = "id, code_hash, application_id, user_id, redirect_uri, \
     redirect_uri_was_sent, scopes, code_challenge, nonce, auth_time, created_at, expires_at, redeemed_at";

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL or a plain file path names.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));

        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    async fn insert_token(
        conn: &mut sqlx::SqliteConnection,
        token: &NewAccessToken,
    ) -> StoreResult<AccessToken> {
        let row: AccessTokenRow = sqlx::query_as(&format!(
            "INSERT INTO access_tokens (access_token_hash, refresh_token_hash, application_id, user_id, \
             scopes, authorization_code_id, previous_token_id, created_at, expires_at, refresh_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {ACCESS_TOKEN_COLUMNS}"
        ))
        .bind(token.access_token_hash.as_bytes().as_slice())
        .bind(token.refresh_token_hash.as_ref().map(|h| h.as_bytes().to_vec()))
        .bind(token.application_id)
        .bind(token.user_id)
        .bind(token.scopes.to_string())
        .bind(token.authorization_code_id)
        .bind(token.previous_token_id)
        .bind(ts(token.created_at))
        .bind(ts(token.expires_at))
        .bind(token.refresh_expires_at.map(ts))
        .fetch_one(conn)
        .await?;
        row.into_domain().map(|(token, _)| token)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.writer)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let now = ts(Utc::now());
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING id, email, password_hash, first_name, last_name, phone, birthday, gender, is_admin, created_at",
        )
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.phone)
        .bind(user.is_admin)
        .bind(now)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.into())
    }

    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, password_hash, first_name, last_name, phone, birthday, gender, is_admin, created_at \
             FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, password_hash, first_name, last_name, phone, birthday, gender, is_admin, created_at \
             FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(Into::into))
    }

    async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO organizers (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(ts(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        for user_id in member_ids {
            sqlx::query(
                "INSERT INTO organizer_members (organizer_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Organizer {
            id,
            name: name.to_owned(),
        })
    }

    async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM organizers WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(|(id, name)| Organizer { id, name }))
    }

    async fn create_application(&self, app: NewApplication) -> StoreResult<Application> {
        let row: ApplicationRow = sqlx::query_as(
            "INSERT INTO applications (client_id, name, secret_hash, redirect_uris, scopes, organizer_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, client_id, name, secret_hash, redirect_uris, scopes, organizer_id, created_at",
        )
        .bind(&app.client_id)
        .bind(&app.name)
        .bind(app.secret_hash.as_ref().map(|h| h.as_bytes().to_vec()))
        .bind(app.redirect_uris.join("\n"))
        .bind(app.scopes.to_string())
        .bind(app.organizer_id)
        .bind(ts(Utc::now()))
        .fetch_one(&self.writer)
        .await?;
        row.into_domain()
    }

    async fn find_application_by_client_id(
        &self,
        client_id: &str,
    ) -> StoreResult<Option<Application>> {
        let row: Option<ApplicationRow> = sqlx::query_as(
            "SELECT id, client_id, name, secret_hash, redirect_uris, scopes, organizer_id, created_at \
             FROM applications WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(ApplicationRow::into_domain).transpose()
    }

    async fn create_session(&self, session: &BrowserSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO browser_sessions (id_hash, user_id, csrf_token, authenticated_at, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.id_hash.as_bytes().as_slice())
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(session.authenticated_at.map(ts))
        .bind(ts(Utc::now()))
        .bind(ts(session.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn find_session(
        &self,
        id_hash: &SecretHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<BrowserSession>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, authenticated_at, expires_at \
             FROM browser_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash.as_bytes().as_slice())
        .bind(ts(now))
        .fetch_optional(&self.reader)
        .await?;
        row.map(SessionRow::into_domain).transpose()
    }

    async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
            .bind(id_hash.as_bytes().as_slice())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_hash, application_id, user_id, redirect_uri, \
             redirect_uri_was_sent, scopes, code_challenge, nonce, auth_time, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(code.code_hash.as_bytes().as_slice())
        .bind(code.application_id)
        .bind(code.user_id)
        .bind(&code.redirect_uri)
        .bind(code.redirect_uri_was_sent)
        .bind(code.scopes.to_string())
        .bind(&code.code_challenge)
        .bind(&code.nonce)
        .bind(ts(code.auth_time))
        .bind(ts(code.created_at))
        .bind(ts(code.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn find_authorization_code(
        &self,
        code_hash: &SecretHash,
    ) -> StoreResult<Option<AuthorizationCode>> {
        let row: Option<AuthorizationCodeRow> = sqlx::query_as(&format!(
            "SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1"
        ))
        .bind(code_hash.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await?;
        row.map(AuthorizationCodeRow::into_domain).transpose()
    }

    async fn redeem_authorization_code(
        &self,
        code_id: i64,
        token: NewAccessToken,
    ) -> StoreResult<Option<AccessToken>> {
        let mut tx = self.writer.begin().await?;
        let claimed = sqlx::query(
            "UPDATE authorization_codes SET redeemed_at = $1 WHERE id = $2 AND redeemed_at IS NULL",
        )
        .bind(ts(token.created_at))
        .bind(code_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(None);
        }
        let token = Self::insert_token(&mut tx, &token).await?;
        tx.commit().await?;
        Ok(Some(token))
    }

    async fn revoke_tokens_from_code(&self, code_id: i64, now: DateTime<Utc>) -> StoreResult<u64> {
        let revoked = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE authorization_code_id = $2 AND revoked_at IS NULL",
        )
        .bind(ts(now))
        .bind(code_id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(revoked)
    }

    async fn create_access_token(&self, token: NewAccessToken) -> StoreResult<AccessToken> {
        let mut conn = self.writer.acquire().await?;
        Self::insert_token(&mut conn, &token).await
    }

    async fn find_access_token(&self, hash: &SecretHash) -> StoreResult<Option<AccessToken>> {
        let row: Option<AccessTokenRow> = sqlx::query_as(&format!(
            "SELECT {ACCESS_TOKEN_COLUMNS} FROM access_tokens WHERE access_token_hash = $1"
        ))
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row
            .map(AccessTokenRow::into_domain)
            .transpose()?
            .map(|(token, _)| token))
    }

    async fn find_by_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>> {
        let row: Option<AccessTokenRow> = sqlx::query_as(&format!(
            "SELECT {ACCESS_TOKEN_COLUMNS} FROM access_tokens WHERE refresh_token_hash = $1"
        ))
        .bind(hash.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await?;
        match row.map(AccessTokenRow::into_domain).transpose()? {
            Some((token, Some(refresh_expires_at))) => Ok(Some((token, refresh_expires_at))),
            Some((_, None)) => Err(StoreError::Corrupt("refresh token without expiry".into())),
            None => Ok(None),
        }
    }

    async fn rotate_refresh_token(
        &self,
        old_token_id: i64,
        successor: NewAccessToken,
    ) -> StoreResult<Option<AccessToken>> {
        let mut tx = self.writer.begin().await?;
        let revoked = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ts(successor.created_at))
        .bind(old_token_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if revoked != 1 {
            return Ok(None);
        }
        let token = Self::insert_token(&mut tx, &successor).await?;
        tx.commit().await?;
        Ok(Some(token))
    }
}
