//! The identity half of the store: users, organizers, applications, browser sessions,
//! authorization codes and tokens.

use crate::{PoolStats, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, BrowserSession, Consent, NewAccessToken, NewApplication,
    NewAuthorizationCode, NewSigningKey, NewUser, Organizer, SigningKey, User,
};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;

/// Users, organizers, applications, sessions, codes and tokens.
#[async_trait]
pub trait IdentityStore: Send + Sync + 'static {
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Whether the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;

    /// Connections open and idle in this process's pools (metrics).
    fn pool_stats(&self) -> PoolStats;

    /// Deletes up to `limit` rows from each table of expired things (codes, tokens whose access
    /// and refresh tokens have both expired, sessions) and returns how many went.
    async fn delete_expired(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64>;

    // Users and organizers.

    /// Whether any user or application exists besides the ones named (the demo data set's
    /// guard against seeding published credentials into a real database).
    async fn holds_others_than(&self, user_emails: &[&str], client_ids: &[&str]) -> StoreResult<bool>;

    /// Creates a user; `Conflict` when the email is taken.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// Finds a user by normalised email.
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Finds a user by id.
    async fn find_user(&self, id: i64) -> StoreResult<Option<User>>;
    /// Creates an organizer with the given members.
    async fn create_organizer(&self, name: &str, member_ids: &[i64]) -> StoreResult<Organizer>;
    /// Finds an organizer by id.
    async fn find_organizer(&self, id: i64) -> StoreResult<Option<Organizer>>;

    // Applications.

    /// Registers an application; `Conflict` when the client id is taken.
    async fn create_application(&self, app: NewApplication) -> StoreResult<Application>;
    /// Finds an application by id.
    async fn find_application(&self, id: i64) -> StoreResult<Option<Application>>;
    /// Finds an application by its public client id.
    async fn find_application_by_client_id(&self, client_id: &str) -> StoreResult<Option<Application>>;

    // Browser sessions.

    /// Stores a new session.
    async fn create_session(&self, session: &BrowserSession) -> StoreResult<()>;
    /// Finds an unexpired session.
    async fn find_session(&self, id_hash: &SecretHash, now: DateTime<Utc>) -> StoreResult<Option<BrowserSession>>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &SecretHash) -> StoreResult<()>;

    // Authorization codes.

    /// Stores a new authorization code (by hash).
    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()>;
    /// Finds a code by hash, redeemed or not, so a replay can be recognised.
    async fn find_authorization_code(&self, code_hash: &SecretHash) -> StoreResult<Option<AuthorizationCode>>;
    /// Marks the code redeemed and stores the token minted from it, in one transaction. Returns
    /// `None`, storing nothing, when the code was already redeemed (a concurrent redemption won).
    async fn redeem_authorization_code(&self, code_id: i64, token: NewAccessToken) -> StoreResult<Option<AccessToken>>;
    /// Revokes every token minted from a code (RFC 6749 §4.1.2: a replayed code).
    async fn revoke_tokens_from_code(&self, code_id: i64, now: DateTime<Utc>) -> StoreResult<u64>;

    // Tokens.

    /// Stores a token (client credentials).
    async fn create_access_token(&self, token: NewAccessToken) -> StoreResult<AccessToken>;
    /// Finds a token by the hash of its access token.
    async fn find_access_token(&self, hash: &SecretHash) -> StoreResult<Option<AccessToken>>;
    /// Finds a token by the hash of its access token together with its user, in one query: the
    /// bearer check on every API request.
    async fn find_access_token_with_user(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, Option<User>)>>;
    /// Finds a token by the hash of its refresh token, returning also the refresh token's expiry.
    async fn find_by_refresh_token(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>>;
    /// Revokes one token pair (RFC 7009); false when it was already revoked.
    async fn revoke_access_token(&self, token_id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Revokes every token of a refresh chain (RFC 9700 §4.14: a rotated refresh token was reused).
    async fn revoke_token_family(&self, family_id: i64, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Inserts many users in few statements (data imports, load tests); returns how many.
    async fn import_users(&self, users: &[NewUser]) -> StoreResult<u64>;
    /// Inserts many tokens in few statements (data imports, load tests); returns how many.
    async fn import_access_tokens(&self, tokens: &[NewAccessToken]) -> StoreResult<u64>;

    // Consent and signing keys.

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

    /// Revokes the old token pair and stores its successor, in one transaction. Returns `None`,
    /// storing nothing, when the old pair was already revoked (a concurrent rotation won).
    async fn rotate_refresh_token(
        &self,
        old_token_id: i64,
        successor: NewAccessToken,
    ) -> StoreResult<Option<AccessToken>>;
}
