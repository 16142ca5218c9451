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
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result alias for store operations.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() || db.is_foreign_key_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_owned())
            }
            sqlx::Error::RowNotFound => StoreError::NotFound,
            _ => StoreError::Database(Box::new(err)),
        }
    }
}
