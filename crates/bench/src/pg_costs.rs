//! What each request costs PostgreSQL: commits, rows written and WAL bytes, read from the server's
//! own statistics before and after a scenario. The WAL position is exact at once; the commit and
//! row counters reach the statistics only when each server process reports them (at the latest
//! ten seconds after it goes idle), so the closing reading waits for that.

use sqlx::{Connection, PgConnection};
use std::time::Duration;

/// Cumulative counters at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counters {
    commits: f64,
    rows: f64,
    wal_bytes: f64,
}

/// Per-request costs of a scenario.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub(crate) struct Costs {
    pub(crate) commits: f64,
    pub(crate) rows_written: f64,
    pub(crate) wal_bytes: f64,
}

/// How long the server processes may keep their counts before reporting them.
pub(crate) const REPORTING_DELAY: Duration = Duration::from_secs(11);

pub(crate) async fn read(url: &str) -> anyhow::Result<Counters> {
    let mut conn = PgConnection::connect(url).await?;
    let (commits, rows, wal_bytes): (f64, f64, f64) = sqlx::query_as(
        "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::float8, \
                (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables \
                 WHERE schemaname = current_schema())::float8, \
                (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(Counters { commits, rows, wal_bytes })
}

impl Counters {
    /// The costs per request of `requests` made between `self` and `after`.
    pub(crate) fn per_request(&self, after: &Counters, requests: u64) -> Costs {
        let n = requests.max(1) as f64;
        Costs {
            commits: (after.commits - self.commits) / n,
            rows_written: (after.rows - self.rows) / n,
            wal_bytes: (after.wal_bytes - self.wal_bytes) / n,
        }
    }
}
