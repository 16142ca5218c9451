//! Registered applications (OAuth clients) and the keys that sign ID tokens.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{Application, NewApplication, NewSigningKey, SigningKey};

/// Registered applications (OAuth clients) and the keys that sign ID tokens.
#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    /// Registers an application; `Conflict` when the client id is taken.
    async fn create_application(&self, app: NewApplication) -> StoreResult<Application>;
    /// Finds an application by id.
    async fn find_application(&self, id: i64) -> StoreResult<Option<Application>>;
    /// Finds an application by its public client id.
    async fn find_application_by_client_id(&self, client_id: &str) -> StoreResult<Option<Application>>;
    /// Makes a new signing key the active one of its algorithm; the previous ones of that
    /// algorithm stay published until `previous_published_until`.
    async fn add_signing_key(
        &self,
        key: NewSigningKey,
        now: DateTime<Utc>,
        previous_published_until: DateTime<Utc>,
    ) -> StoreResult<SigningKey>;
    /// The keys to publish at `now`, the active (newest) first.
    async fn published_signing_keys(&self, now: DateTime<Utc>) -> StoreResult<Vec<SigningKey>>;
}
