//! Users, organizers and browser sessions.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{BrowserSession, Language, NewUser, Organizer, User};
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
    /// Every user, oldest first, up to `limit` (the operator's `users list`).
    async fn list_users(&self, limit: u32) -> StoreResult<Vec<User>>;
    /// Changes the names and phone a person edits on their profile.
    async fn update_profile(&self, user_id: i64, profile: &Profile) -> StoreResult<()>;
    /// Changes the language of the person's mail.
    async fn set_language(&self, user_id: i64, language: Language) -> StoreResult<()>;
    /// Sets a new password and ends every session of the person (a password change is a
    /// sign-out everywhere; the caller starts a fresh session where it happened).
    async fn set_password(&self, user_id: i64, password_hash: &str) -> StoreResult<()>;
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
    /// The person's unexpired signed-in sessions, newest first.
    async fn list_sessions(&self, user_id: i64, now: DateTime<Utc>) -> StoreResult<Vec<BrowserSession>>;
    /// Ends the person's sessions that `which` names; returns how many ended.
    async fn end_sessions(&self, user_id: i64, which: SessionSelection<'_>) -> StoreResult<u64>;
}

/// What a person edits on their profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
}

/// Which of a person's sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum SessionSelection<'a> {
    /// The one session with this id hash.
    Only(&'a SecretHash),
    /// Every session but this one.
    AllBut(&'a SecretHash),
}
