//! The back-channel logout outbox: claimed and marked like the mail outbox (`outbox.rs`).

use super::outbox::{claim_statement, mark_failed_statement, mark_sent_statement};
use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore};
use crate::logouts::QueuedLogout;
use crate::rows::ts;
use crate::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Connection, Encode, Executor, IntoArguments, Type};

type QueuedRow = (i64, i64, String, String, String, i64);

#[async_trait::async_trait]
impl<B> crate::LogoutOutbox for SqlStore<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    for<'q> Args<'q, B>: IntoArguments<'q, B::Db>,
    for<'q> &'q str: Encode<'q, B::Db> + Type<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    for<'r> QueuedRow: sqlx::FromRow<'r, Row<B>>,
    for<'r> (i64, String): sqlx::FromRow<'r, Row<B>>,
    for<'r> &'r str: ColumnIndex<Row<B>>,
    usize: ColumnIndex<Row<B>>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn queue_logouts(
        &self,
        user_id: i64,
        subject: &str,
        new_jti: &(dyn Fn() -> String + Send + Sync),
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut conn = self.backend.write().await?;
        let mut tx = conn.begin().await?;
        let listening: Vec<(i64, String)> = self
            .sql
            .query_as(
                "SELECT a.id, a.backchannel_logout_uri FROM consents c JOIN applications a ON a.id = c.application_id \
             WHERE c.user_id = $1 AND a.backchannel_logout_uri IS NOT NULL AND a.suspended_at IS NULL",
            )
            .bind(user_id)
            .fetch_all(&mut *tx)
            .await?;
        for (application_id, uri) in &listening {
            self.sql
                .query(
                    "INSERT INTO logout_outbox (application_id, uri, subject, jti, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
                )
                .bind(application_id)
                .bind(uri.as_str())
                .bind(subject)
                .bind(new_jti())
                .bind(ts(now))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        conn.commit().await?;
        Ok(listening.len() as u64)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_logouts(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<QueuedLogout>> {
        let statement = claim_statement("logout_outbox", "application_id, uri, subject, jti", B::SKIP_CLAIMED_ROWS);
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
            .map(|(id, application_id, uri, subject, jti, attempts)| QueuedLogout {
                id,
                application_id,
                uri,
                subject,
                jti,
                attempts,
            })
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_logout_sent(&self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql.query(&mark_sent_statement("logout_outbox")).bind(ts(now)).bind(id).execute(&mut *conn).await?;
        conn.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn mark_logout_failed(&self, id: i64, retry_at: DateTime<Utc>, error: &str) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query(&mark_failed_statement("logout_outbox"))
            .bind(ts(retry_at))
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }
}
