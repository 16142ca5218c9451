//! Users, organizers and browser sessions.

use super::built::BuiltStatements;
use super::columns::{session_columns, user_columns};
use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore, Statements};
use crate::rows::{ts, SessionRow, UserRow};
use crate::StoreResult;
use crate::{Profile, SessionSelection};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{BrowserSession, Language, NewUser, Organizer, User};
use ticketbooth_domain::secret::SecretHash;

#[async_trait::async_trait]
impl<B> crate::AccountStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Option<Vec<u8>>: Column<B::Db>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn holds_others_than(&self, user_emails: &[&str], client_ids: &[&str]) -> StoreResult<bool> {
        // Each list starts with '' (no email or client id is empty), so an empty list
        // still makes a valid `NOT IN`.
        let emails: Vec<String> = std::iter::once("").chain(user_emails.iter().copied()).map(str::to_owned).collect();
        let ids: Vec<String> = std::iter::once("").chain(client_ids.iter().copied()).map(str::to_owned).collect();
        let found: Vec<(bool,)> = B::Db::fetch_built(self.sql, &mut *self.backend.read().await?, |qb| {
            qb.push("SELECT EXISTS (SELECT 1 FROM users WHERE email NOT IN (");
            let mut separated = qb.separated(", ");
            for email in emails {
                separated.push_bind(email);
            }
            qb.push(")) OR EXISTS (SELECT 1 FROM applications WHERE client_id NOT IN (");
            let mut separated = qb.separated(", ");
            for client_id in ids {
                separated.push_bind(client_id);
            }
            qb.push("))");
        })
        .await?;
        let others = found.first().is_some_and(|(others,)| *others);
        Ok(others)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_user(&self, user: NewUser) -> StoreResult<User> {
        let mut conn = self.backend.write().await?;
        let row: UserRow = self
            .sql
            .query_as(concat!(
                "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, \
             created_at, updated_at, email_verified_at, language) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING ",
                user_columns!()
            ))
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.phone)
            .bind(user.is_admin)
            .bind(ts(Utc::now()))
            .bind(user.email_verified.then(|| ts(Utc::now())))
            .bind(user.language.tag())
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(row.into())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = self
            .sql
            .query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = self
            .sql
            .query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_users(&self, limit: u32) -> StoreResult<Vec<User>> {
        let rows: Vec<UserRow> = self
            .sql
            .query_as(concat!("SELECT ", user_columns!(), " FROM users ORDER BY id LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn update_profile(&self, user_id: i64, profile: &Profile) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query("UPDATE users SET first_name = $1, last_name = $2, phone = $3, updated_at = $4 WHERE id = $5")
            .bind(&profile.first_name)
            .bind(&profile.last_name)
            .bind(&profile.phone)
            .bind(ts(Utc::now()))
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_language(&self, user_id: i64, language: Language) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language.tag())
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_password(&self, user_id: i64, password_hash: &str) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        set_password_ending_sessions(self.sql, &mut tx, user_id, password_hash).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn import_users(&self, users: &[NewUser]) -> StoreResult<u64> {
        let now = ts(Utc::now());
        let mut inserted = 0;
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // 10 parameters a row, well under both backends' per-statement limits.
        for chunk in users.chunks(1000) {
            let chunk = chunk.to_vec();
            inserted += B::Db::execute_built(self.sql, &mut *tx, move |qb| {
                qb.push(
                    "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, created_at, \
                     updated_at, email_verified_at, language) ",
                );
                qb.push_values(chunk, |mut row, user| {
                    row.push_bind(user.email)
                        .push_bind(user.password_hash)
                        .push_bind(user.first_name)
                        .push_bind(user.last_name)
                        .push_bind(user.phone)
                        .push_bind(user.is_admin)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(user.email_verified.then_some(now))
                        .push_bind(user.language.tag());
                });
            })
            .await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let id: i64 = self
            .sql
            .query_scalar("INSERT INTO organizers (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(ts(Utc::now()))
            .fetch_one(&mut *tx)
            .await?;
        for user_id in member_ids {
            self.sql
                .query(
                    "INSERT INTO organizer_members (organizer_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(Organizer { id, name: name.to_owned() })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>> {
        let row: Option<(i64, String)> = self
            .sql
            .query_as("SELECT id, name FROM organizers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(|(id, name)| Organizer { id, name }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, session: &BrowserSession) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO browser_sessions (id_hash, user_id, csrf_token, authenticated_at, \
             created_at, expires_at, user_agent, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(session.id_hash.as_bytes().as_slice())
            .bind(session.user_id)
            .bind(&session.csrf_token)
            .bind(session.authenticated_at.map(ts))
            .bind(ts(session.origin.created_at))
            .bind(ts(session.expires_at))
            .bind(&session.origin.user_agent)
            .bind(&session.origin.address)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_session(&self, id_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<BrowserSession>> {
        let row: Option<SessionRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM browser_sessions WHERE id_hash = $1 AND expires_at > $2"
            ))
            .bind(id_hash.as_bytes().as_slice())
            .bind(ts(now))
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        row.map(SessionRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query("DELETE FROM browser_sessions WHERE id_hash = $1")
            .bind(id_hash.as_bytes().as_slice())
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_sessions(&self, user_id: i64, now: DateTime<Utc>) -> StoreResult<Vec<BrowserSession>> {
        let rows: Vec<SessionRow> = self
            .sql
            .query_as(concat!(
                "SELECT ",
                session_columns!(),
                " FROM browser_sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash"
            ))
            .bind(user_id)
            .bind(ts(now))
            .fetch_all(&mut *self.backend.read().await?)
            .await?;
        rows.into_iter().map(SessionRow::into_domain).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn end_sessions(&self, user_id: i64, which: SessionSelection<'_>) -> StoreResult<u64> {
        let (statement, id_hash) = match which {
            SessionSelection::Only(id_hash) => {
                ("DELETE FROM browser_sessions WHERE user_id = $1 AND id_hash = $2", id_hash)
            }
            SessionSelection::AllBut(id_hash) => {
                ("DELETE FROM browser_sessions WHERE user_id = $1 AND id_hash <> $2", id_hash)
            }
        };
        let mut conn = self.backend.write().await?;
        let done =
            self.sql.query(statement).bind(user_id).bind(id_hash.as_bytes().as_slice()).execute(&mut *conn).await?;
        conn.commit().await?;
        Ok(done.rows_affected())
    }
}

/// Sets a password and ends every session of the user, inside the caller's transaction.
pub(super) async fn set_password_ending_sessions<DB>(
    sql: Statements,
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: i64,
    password_hash: &str,
) -> StoreResult<()>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    i64: Column<DB>,
{
    sql.query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(ts(Utc::now()))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sql.query("DELETE FROM browser_sessions WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    Ok(())
}
