//! What users granted applications.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::Consent;
use ticketbooth_domain::scope::ScopeSet;

/// What users granted applications.
#[async_trait]
pub trait ConsentStore: Send + Sync + 'static {
    /// The scopes a user granted an application, if any.
    async fn find_consent(&self, user_id: i64, application_id: i64) -> StoreResult<Option<ScopeSet>>;
    /// Records (replacing) the scopes a user granted an application.
    async fn save_consent(
        &self,
        user_id: i64,
        application_id: i64,
        scopes: ScopeSet,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The applications a user has authorized, most recent first.
    async fn list_consents(&self, user_id: i64) -> StoreResult<Vec<Consent>>;
    /// Forgets a consent and revokes every token the application holds for the user, in one
    /// transaction; returns how many tokens were revoked.
    async fn revoke_consent(&self, user_id: i64, application_id: i64, now: DateTime<Utc>) -> StoreResult<u64>;
}
