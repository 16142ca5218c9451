//! Users, organizers and browser sessions.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{BrowserSession, NewUser, Organizer, User};
use ticketbooth_domain::secret::SecretHash;

/// Users, organizers and browser sessions.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Whether any user or application exists besides the ones named (the demo data set's
    /// guard against seeding published credentials into a real database).
    async fn holds_others_than(&self, user_emails: &[&str], client_ids: &[&str]) -> StoreResult<bool>;
    /// Creates a user; `Conflict` when the email is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// Finds a user by normalised email.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Finds a user by id.
    async fn find_user(&self, id: i64) -> StoreResult<Option<User>>;
    /// Inserts many users in few statements (data imports, load tests); returns how many.
    async fn import_users(&self, users: &[NewUser]) -> StoreResult<u64>;
    /// Creates an organizer with the given members.
    async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer>;
    /// Finds an organizer by id.
    async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>>;
    /// Stores a new session.
    async fn create_session(&self, session: &BrowserSession) -> StoreResult<()>;
    /// Finds an unexpired session.
    async fn find_session(&self, id_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<BrowserSession>>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()>;
}
