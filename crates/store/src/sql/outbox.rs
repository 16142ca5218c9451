//! The mail outbox. A claim is one guarded `UPDATE … RETURNING` whose condition is checked again
//! on each row it locks (PostgreSQL re-evaluates it after a concurrent update; SQLite has one
//! writer), so two instances never claim one message at once. On PostgreSQL the rows are picked
//! `FOR UPDATE SKIP LOCKED`: a second instance takes the next messages instead of waiting for the
//! first one's and then finding them taken.

use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore};
use crate::rows::ts;
use crate::{OutgoingMail, QueuedMail, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};

type QueuedRow = (i64, String, String, Vec<u8>, i64);

#[async_trait::async_trait]
impl<B> crate::MailOutbox for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    for<'q> &'q [u8]: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    for<'r> QueuedRow: sqlx::FromRow<'r, Row<B>>,
    for<'r> (i64,): sqlx::FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn enqueue_mail(&self, mail: &OutgoingMail, now: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(
                "INSERT INTO mail_outbox (sender, recipient, message, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(&mail.sender)
            .bind(&mail.recipient)
            .bind(mail.message.as_slice())
            .bind(ts(now))
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>> {
        let statement = claim_statement("mail_outbox", "sender, recipient, message", B::SKIP_CLAIMED_ROWS);
        let mut conn = self.backend.write().await?;
        let rows: Vec<QueuedRow> = self
            .sql
            .query_as(&statement)
            .bind(ts(now))
            .bind(ts(lease_until))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(rows
            .into_iter()
            .map(|(id, sender, recipient, message, attempts)| QueuedMail {
                id,
                mail: OutgoingMail { sender, recipient, message },
                attempts,
            })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_mail_sent(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql.query(&mark_sent_statement("mail_outbox")).bind(ts(now)).bind(id).execute(&mut *conn).await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_mail_failed(&self, id: i64, retry_at: DateTime<Utc>, error: &str) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(&mark_failed_statement("mail_outbox"))
            .bind(ts(retry_at))
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn undelivered_mail(&self) -> StoreResult<u64> {
        let (count,): (i64,) = self
            .sql
            .query_as("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")
            .fetch_one(&mut *self.backend.read().await?)
            .await?;
        Ok(count.unsigned_abs())
    }
}

/// The claim of an outbox table (`mail_outbox`, `logout_outbox`: `id`, `sent_at`,
/// `next_attempt_at`, `claimed_until`, `attempts`): up to `$3` due rows, oldest first, leased until
/// `$2`; returns `id`, then `columns`, then `attempts`. `skip` is the backend's
/// `FOR UPDATE SKIP LOCKED` (or nothing).
pub(super) fn claim_statement(table: &str, columns: &str, skip: &str) -> String {
    // The picked ids are materialized once: as a plain `IN (subquery)` PostgreSQL may run the
    // subquery again while updating, and with `SKIP LOCKED` that returned more than `LIMIT`.
    format!(
        "WITH picked AS MATERIALIZED (SELECT id FROM {table} \
             WHERE sent_at IS NULL AND next_attempt_at <= $1 \
               AND (claimed_until IS NULL OR claimed_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT $3 {skip}) \
         UPDATE {table} SET claimed_until = $2 FROM picked \
         WHERE {table}.id = picked.id AND {table}.sent_at IS NULL \
           AND ({table}.claimed_until IS NULL OR {table}.claimed_until <= $1) \
         RETURNING {table}.id, {columns}, attempts"
    )
}

/// Records a delivery: `$1` the time, `$2` the row.
pub(super) fn mark_sent_statement(table: &str) -> String {
    format!("UPDATE {table} SET sent_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2")
}

/// Records a failed attempt: `$1` the next attempt's time, `$2` the error, `$3` the row.
pub(super) fn mark_failed_statement(table: &str) -> String {
    format!(
        "UPDATE {table} SET attempts = attempts + 1, next_attempt_at = $1, claimed_until = NULL, \
         last_error = $2 WHERE id = $3"
    )
}
