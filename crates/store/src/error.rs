//! The store's error type: callers see `NotFound`/`Conflict` as such, anything else as opaque.

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness or reference rule was broken; the constraint's name says which.
    #[error("conflict on {0}")]
    Conflict(String),
    /// A row the operation needed does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value could not be read back into its domain type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A write batched with others failed; the message is the batch's error.
    #[error("batched write failed: {0}")]
    Batched(String),
    /// The database cannot be reached or cannot take writes just now (stopped, restarting, out of
    /// connections, locked, read-only, full); the same request may succeed when retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// The error to give each request whose write was batched with others into the failed one:
    /// an outage stays an outage; anything else is the batch's failure.
    pub(crate) fn for_batch(&self) -> StoreError {
        match self {
            StoreError::Unavailable(message) => StoreError::Unavailable(message.clone()),
            other => StoreError::Batched(other.to_string()),
        }
    }

    /// Whether retrying later may succeed because the database itself was unavailable.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if may_break_connection(&err) {
            crate::postgres::note_connection_fault();
        }
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_owned())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound,
            _ if is_outage(&err) => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Database(Box::new(err)),
        }
    }
}

/// Whether `err` says the database is out of reach or cannot write now, rather than that the
/// statement was wrong: the request may be retried, and answering it 503 tells the client so.
fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_outage_code(&code)),
        _ => false,
    }
}

/// Whether `err` may have left its connection unusable: the pool then checks connections before
/// handing them out again.
fn may_break_connection(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs and SQLite's primary result codes that mean "not now" (see [`is_outage`]).
fn is_outage_code(code: &str) -> bool {
    // PostgreSQL: class 08 connection exception, 53 insufficient resources (too many connections,
    // disk full), 57P01–57P03 shutdown and starting up, 25006 read-only transaction (a standby).
    // SQLite (extended codes carry the primary one in their low byte): 5 BUSY, 6 LOCKED,
    // 8 READONLY, 10 IOERR, 13 FULL, 14 CANTOPEN.
    if code.len() == 5 {
        return code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "57P01" | "57P02" | "57P03" | "25006");
    }
    code.parse::<u32>().is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6 | 8 | 10 | 13 | 14))
}

#[cfg(test)]
mod tests {
    use super::is_outage_code;

    #[test]
    fn outage_codes_are_the_not_now_ones_of_either_database() {
        for code in
            ["08006", "08001", "53300", "53100", "57P01", "57P03", "25006", "5", "517", "8", "1032", "10", "13", "14"]
        {
            assert!(is_outage_code(code), "{code}");
        }
        for code in ["23505", "23503", "40001", "42P01", "22P02", "42501", "19", "2067", "1", "11"] {
            assert!(!is_outage_code(code), "{code}");
        }
    }
}
