//! Single-use mailed links: taken by one guarded `UPDATE … RETURNING`, so two uses of one link
//! cannot both succeed, and the change the link makes happens in the same transaction.

use super::accounts::set_password_ending_sessions;
use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore, Statements};
use crate::rows::ts;
use crate::{EmailChange, NewAccountLink, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};
use ticketbooth_domain::account::LinkPurpose;
use ticketbooth_domain::secret::SecretHash;

/// Marks an unused, unexpired link of `purpose` used and returns its user and address.
async fn take_link<DB>(
    sql: Statements,
    tx: &mut sqlx::Transaction<'_, DB>,
    link_hash: &SecretHash,
    purpose: LinkPurpose,
    now: DateTime<Utc>,
) -> StoreResult<Option<(i64, String)>>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    for<'r> (i64, String): sqlx::FromRow<'r, DB::Row>,
{
    let taken: Option<(i64, String)> = sql
        .query_as(
            "UPDATE account_links SET used_at = $1 \
         WHERE link_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, email",
        )
        .bind(ts(now))
        .bind(link_hash.as_bytes().as_slice())
        .bind(purpose.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(taken)
}

/// Marks the account's address verified, if it is still `email`: a link mailed to an address the
/// account has since left proves nothing about the new one.
async fn mark_verified<DB>(
    sql: Statements,
    tx: &mut sqlx::Transaction<'_, DB>,
    user_id: i64,
    email: &str,
    now: DateTime<Utc>,
) -> StoreResult<()>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    i64: Column<DB>,
{
    sql.query("UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2 AND email = $3")
        .bind(ts(now))
        .bind(user_id)
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl<B> crate::AccountLinkStore for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    Option<i64>: Column<B::Db>,
    for<'r> (i64, String): sqlx::FromRow<'r, Row<B>>,
    for<'r> (i64,): sqlx::FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_link(&self, link: &NewAccountLink) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO account_links (link_hash, user_id, purpose, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(link.link_hash.as_bytes().as_slice())
            .bind(link.user_id)
            .bind(link.purpose.as_str())
            .bind(&link.email)
            .bind(ts(Utc::now()))
            .bind(ts(link.expires_at))
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn peek_link(
        &self,
        link_hash: &SecretHash,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        let found: Option<(i64,)> = self
            .sql
            .query_as(
                "SELECT user_id FROM account_links \
             WHERE link_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(link_hash.as_bytes().as_slice())
            .bind(purpose.as_str())
            .bind(ts(now))
            .fetch_optional(&mut *self.backend.read().await?)
            .await?;
        Ok(found.map(|(user_id,)| user_id))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn verify_email(&self, link_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<i64>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let Some((user_id, email)) = take_link(self.sql, &mut tx, link_hash, LinkPurpose::VerifyEmail, now).await?
        else {
            return Ok(None);
        };
        mark_verified(self.sql, &mut tx, user_id, &email, now).await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(Some(user_id))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn reset_password(
        &self,
        link_hash: &SecretHash,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let Some((user_id, email)) = take_link(self.sql, &mut tx, link_hash, LinkPurpose::ResetPassword, now).await?
        else {
            return Ok(None);
        };
        set_password_ending_sessions(self.sql, &mut tx, user_id, password_hash).await?;
        mark_verified(self.sql, &mut tx, user_id, &email, now).await?;
        // Other reset links mailed before this one die with it.
        self.sql
            .query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
            .bind(ts(now))
            .bind(user_id)
            .bind(LinkPurpose::ResetPassword.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(Some(user_id))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn change_email(&self, link_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<EmailChange>> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let Some((user_id, new_email)) = take_link(self.sql, &mut tx, link_hash, LinkPurpose::ChangeEmail, now).await?
        else {
            return Ok(None);
        };
        let old: Option<(String,)> =
            self.sql.query_as("SELECT email FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        let Some((old_email,)) = old else { return Ok(None) };
        // A taken address fails with `Conflict`; dropping the transaction then rolls the link's use
        // back, so it can be tried again once the address is free.
        self.sql
            .query("UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3")
            .bind(&new_email)
            .bind(ts(now))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        conn.commit().await?;
        Ok(Some(EmailChange { user_id, old_email, new_email }))
    }
}
