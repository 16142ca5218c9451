//! The mail outbox. A claim is one guarded `UPDATE … RETURNING` whose condition is checked again
//! on each row it locks (PostgreSQL re-evaluates it after a concurrent update; SQLite has one
//! writer), so two instances never claim one message at once. On PostgreSQL the rows are picked
//! `FOR UPDATE SKIP LOCKED`: a second instance takes the next messages instead of waiting for the
//! first one's and then finding them taken.

use super::{Args, Backend, Column, Conn, Row, SqlStore};
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
        sqlx::query(
            "INSERT INTO mail_outbox (sender, recipient, message, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&mail.sender)
        .bind(&mail.recipient)
        .bind(mail.message.as_slice())
        .bind(ts(now))
        .execute(&mut *self.backend.write().await?)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedMail>> {
        // The picked ids are materialized once: as a plain `IN (subquery)` PostgreSQL may run the
        // subquery again while updating, and with `SKIP LOCKED` that returned more than `LIMIT`.
        let statement = format!(
            "WITH picked AS MATERIALIZED (SELECT id FROM mail_outbox \
                 WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                   AND (claimed_until IS NULL OR claimed_until <= $1) \
                 ORDER BY next_attempt_at, id LIMIT $3 {}) \
             UPDATE mail_outbox SET claimed_until = $2 FROM picked \
             WHERE mail_outbox.id = picked.id AND mail_outbox.sent_at IS NULL \
               AND (mail_outbox.claimed_until IS NULL OR mail_outbox.claimed_until <= $1) \
             RETURNING mail_outbox.id, sender, recipient, message, attempts",
            B::SKIP_CLAIMED_ROWS
        );
        let rows: Vec<QueuedRow> = sqlx::query_as(&statement)
            .bind(ts(now))
            .bind(ts(lease_until))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.backend.write().await?)
            .await?;
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
        sqlx::query("UPDATE mail_outbox SET sent_at = $1, claimed_until = NULL, last_error = NULL WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&mut *self.backend.write().await?)
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_mail_failed(&self, id: i64, retry_at: DateTime<Utc>, error: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $1, claimed_until = NULL, \
             last_error = $2 WHERE id = $3",
        )
        .bind(ts(retry_at))
        .bind(error)
        .bind(id)
        .execute(&mut *self.backend.write().await?)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn undelivered_mail(&self) -> StoreResult<u64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")
            .fetch_one(&mut *self.backend.read().await?)
            .await?;
        Ok(count.unsigned_abs())
    }
}
