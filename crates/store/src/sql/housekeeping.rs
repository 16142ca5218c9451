//! Schema, health and clean-up.

use super::{Args, Backend, Column, Commit, Conn, Row, RowsAffected, SqlStore};
use crate::rows::ts;
use crate::{PoolStats, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrate;
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};

#[async_trait::async_trait]
impl<B> crate::Housekeeping for SqlStore<B>
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
    Conn<B>: Migrate,
{
    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        self.backend.migrate().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn pending_migrations(&self) -> StoreResult<Vec<i64>> {
        let mut conn = self.backend.write().await?;
        conn.ensure_migrations_table().await?;
        // The statement `Migrate::list_applied_migrations` would run is kept; this one follows
        // the store's choice.
        let applied: Vec<i64> =
            self.sql.query_scalar("SELECT version FROM _sqlx_migrations").fetch_all(&mut *conn).await?;
        conn.commit().await?;
        let known = self.backend.migrator().iter().map(|migration| migration.version);
        Ok(known.filter(|version| !applied.contains(version)).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.sql.query("SELECT 1").execute(&mut *self.backend.read().await?).await?;
        self.backend.check_writes().await
    }

    fn pool_stats(&self) -> PoolStats {
        self.backend.stats()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_expired(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        // The sweeper's round also writes a token usage tally that no later token flushed.
        self.flush_usage().await?;
        const STATEMENTS: [&str; 13] = [
            "DELETE FROM authorization_codes WHERE id IN \
             (SELECT id FROM authorization_codes WHERE expires_at < $1 LIMIT $2)",
            "DELETE FROM access_tokens WHERE id IN (SELECT id FROM access_tokens \
             WHERE expires_at < $1 AND (refresh_expires_at IS NULL OR refresh_expires_at < $1) LIMIT $2)",
            "DELETE FROM browser_sessions WHERE id_hash IN \
             (SELECT id_hash FROM browser_sessions WHERE expires_at < $1 LIMIT $2)",
            // Rate-limit windows are a minute long; an hour-old one is of no more use.
            "DELETE FROM rate_limits WHERE (key, window_start) IN \
             (SELECT key, window_start FROM rate_limits WHERE window_start < $1 - 3600 LIMIT $2)",
            "DELETE FROM account_links WHERE link_hash IN \
             (SELECT link_hash FROM account_links WHERE expires_at < $1 LIMIT $2)",
            // Token counts are kept 31 days: the portal shows the last 30 (hours since the epoch).
            "DELETE FROM application_usage WHERE (application_id, hour) IN \
             (SELECT application_id, hour FROM application_usage WHERE hour < $1 / 3600 - 31 * 24 LIMIT $2)",
            // Delivered mail is kept a week, for an operator looking into a complaint.
            "DELETE FROM mail_outbox WHERE id IN \
             (SELECT id FROM mail_outbox WHERE sent_at < $1 - 604800 LIMIT $2)",
            // The webhook delivery log is kept 30 days; a delivery still pending is kept until
            // it ends (its retries take about 3 days). Events go with their last delivery.
            "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
             WHERE status <> 'pending' AND created_at < $1 - 2592000 LIMIT $2)",
            "DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events ev \
             WHERE created_at < $1 - 2592000 AND NOT EXISTS \
               (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id) LIMIT $2)",
            "DELETE FROM device_authorizations WHERE id IN \
             (SELECT id FROM device_authorizations WHERE expires_at < $1 LIMIT $2)",
            "DELETE FROM pushed_authorization_requests WHERE id IN \
             (SELECT id FROM pushed_authorization_requests WHERE expires_at < $1 LIMIT $2)",
            "DELETE FROM dpop_proofs WHERE proof_hash IN \
             (SELECT proof_hash FROM dpop_proofs WHERE expires_at < $1 LIMIT $2)",
            // Logout notifications are kept a day: one not delivered by then is given up.
            "DELETE FROM logout_outbox WHERE id IN \
             (SELECT id FROM logout_outbox WHERE created_at < $1 - 86400 LIMIT $2)",
        ];
        let mut deleted = 0;
        for statement in STATEMENTS {
            let mut conn = self.backend.write().await?;
            deleted += self
                .sql
                .query(statement)
                .bind(ts(now))
                .bind(i64::from(limit))
                .execute(&mut *conn)
                .await?
                .rows_affected();
            conn.commit().await?;
        }
        Ok(deleted)
    }
}
