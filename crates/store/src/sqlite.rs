//! The SQLite backend: WAL mode, foreign keys on, one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time; funnelling writes through a single connection turns lock
//! contention (`SQLITE_BUSY`) into a queue, while WAL lets the readers run beside it.

use crate::StoreResult;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// Ticketbooth's store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

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

        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        let reader = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(true)).await?;
        Ok(SqliteStore { writer, reader })
    }

    fn pools(&self) -> [&SqlitePool; 2] {
        [&self.writer, &self.reader]
    }
}

crate::sql::impl_store!(SqliteStore, "./migrations/sqlite", sqlx::SqliteConnection, sqlx::Sqlite);
