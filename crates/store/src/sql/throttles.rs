//! Rate-limit windows.

use super::{Args, Backend, Column, Commit, Conn, Row, SqlStore};
use crate::rows::ts;
use crate::StoreResult;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Encode, Executor, IntoArguments, Type};

#[async_trait::async_trait]
impl<B> crate::ThrottleStore for SqlStore<B>
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
    async fn hit_rate_limit(&self, key: &str, window_start: DateTime<Utc>) -> StoreResult<u32> {
        let mut conn = self.backend.write().await?;
        let hits: i64 = self
            .sql
            .query_scalar(
                "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
            )
            .bind(key)
            .bind(ts(window_start))
            .fetch_one(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(u32::try_from(hits).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn take_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<[u32; 2]> {
        // Parameters in order of first use: SQLite numbers `$n` by appearance.
        let mut conn = self.backend.write().await?;
        let rows: Vec<(String, i64)> = self
            .sql
            .query_as(
                "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1), ($3, $2, 1) \
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING key, hits",
            )
            .bind(keys[0])
            .bind(ts(window_start))
            .bind(keys[1])
            .fetch_all(&mut *conn)
            .await?;
        conn.commit().await?;
        let count = |key: &str| {
            let hits = rows.iter().find(|(found, _)| found == key).map_or(0, |(_, hits)| *hits);
            u32::try_from(hits).unwrap_or(u32::MAX)
        };
        Ok([count(keys[0]), count(keys[1])])
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn refund_rate_limits(&self, keys: [&str; 2], window_start: DateTime<Utc>) -> StoreResult<()> {
        let mut conn = self.backend.write().await?;
        self.sql
            .query("UPDATE rate_limits SET hits = hits - 1 WHERE window_start = $1 AND key IN ($2, $3) AND hits > 0")
            .bind(ts(window_start))
            .bind(keys[0])
            .bind(keys[1])
            .execute(&mut *conn)
            .await?;
        conn.commit().await?;
        Ok(())
    }
}
