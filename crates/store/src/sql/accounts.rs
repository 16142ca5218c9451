//! Users, organizers and browser sessions.

use super::built::BuiltStatements;
use super::columns::user_columns;
use super::{Args, Backend, Column, Conn, Row, SqlStore};
use crate::rows::{ts, SessionRow, UserRow};
use crate::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::model::{BrowserSession, NewUser, Organizer, User};
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
        let found: Vec<(bool,)> = B::Db::fetch_built(&mut *self.backend.read().await?, |qb| {
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
        let row: UserRow = sqlx::query_as(concat!(
            "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING ",
            user_columns!()
        ))
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(&user.phone)
        .bind(user.is_admin)
        .bind(ts(Utc::now()))
        .fetch_one(&mut *self.backend.write().await?)
        .await?;
        Ok(row.into())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_user(&self, id: i64) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(Into::into))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn import_users(&self, users: &[NewUser]) -> StoreResult<u64> {
        let now = ts(Utc::now());
        let mut inserted = 0;
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        // 8 parameters a row, well under both backends' per-statement limits.
        for chunk in users.chunks(1000) {
            let chunk = chunk.to_vec();
            inserted += B::Db::execute_built(&mut *tx, move |qb| {
                qb.push(
                    "INSERT INTO users (email, password_hash, first_name, last_name, phone, is_admin, created_at, \
                     updated_at) ",
                );
                qb.push_values(chunk, |mut row, user| {
                    row.push_bind(user.email)
                        .push_bind(user.password_hash)
                        .push_bind(user.first_name)
                        .push_bind(user.last_name)
                        .push_bind(user.phone)
                        .push_bind(user.is_admin)
                        .push_bind(now)
                        .push_bind(now);
                });
            })
            .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO organizers (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(ts(Utc::now()))
            .fetch_one(&mut *tx)
            .await?;
        for user_id in member_ids {
            sqlx::query(
                "INSERT INTO organizer_members (organizer_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Organizer { id, name: name.to_owned() })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT id, name FROM organizers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(row.map(|(id, name)| Organizer { id, name }))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_session(&self, session: &BrowserSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO browser_sessions (id_hash, user_id, csrf_token, authenticated_at, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.id_hash.as_bytes().as_slice())
        .bind(session.user_id)
        .bind(&session.csrf_token)
        .bind(session.authenticated_at.map(ts))
        .bind(ts(Utc::now()))
        .bind(ts(session.expires_at))
        .execute(&mut *self.backend.write().await?)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn find_session(&self, id_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<BrowserSession>> {
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT id_hash, user_id, csrf_token, authenticated_at, expires_at \
             FROM browser_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash.as_bytes().as_slice())
        .bind(ts(now))
        .fetch_optional(&mut *self.backend.read().await?)
        .await?;
        row.map(SessionRow::into_domain).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
            .bind(id_hash.as_bytes().as_slice())
            .execute(&mut *self.backend.write().await?)
            .await?;
        Ok(())
    }
}
