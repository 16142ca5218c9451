//! Authorization codes and tokens. A code, and a refresh token once rotated, is single-use: of any number of concurrent claims exactly one stores its token.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, NewAccessToken, NewAuthorizationCode, User,
};
use ticketbooth_domain::secret::SecretHash;

/// The grant a token request presents, by the hash of its secret.
#[derive(Debug, Clone)]
pub enum GrantKey {
    /// An authorization code.
    Code(SecretHash),
    /// A refresh token.
    RefreshToken(SecretHash),
}

/// What a [`GrantKey`] found: the same kind of grant, `None` when nothing has that hash.
#[derive(Debug, Clone)]
pub enum FoundGrant {
    /// As [`TokenStore::find_authorization_code`] returns it.
    Code(Option<AuthorizationCode>),
    /// As [`TokenStore::find_by_refresh_token`] returns it.
    RefreshToken(Option<(AccessToken, DateTime<Utc>)>),
}

/// Authorization codes and tokens. A code, and a refresh token once rotated, is single-use: of any number of concurrent claims exactly one stores its token.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// The application `client_id` names and the grant `key` presents, read together: a code
    /// exchange or a refresh starts with both, and on PostgreSQL each read is a round trip. With
    /// no such application the grant is not looked up, and reported as not found.
    async fn find_client_and_grant(
        &self,
        client_id: &str,
        key: &GrantKey,
    ) -> StoreResult<(Option<Application>, FoundGrant)>;
    /// Stores a new authorization code (by hash).
    async fn create_authorization_code(&self, code: NewAuthorizationCode) -> StoreResult<()>;
    /// Finds a code by hash, redeemed or not, so a replay can be recognised.
    async fn find_authorization_code(&self, code_hash: &SecretHash) -> StoreResult<Option<AuthorizationCode>>;
    /// Marks the code redeemed and stores the token minted from it, in one transaction. Returns
    /// `None`, storing nothing, when the code was already redeemed (a concurrent redemption won).
    async fn redeem_authorization_code(&self, code_id: i64, token: NewAccessToken) -> StoreResult<Option<AccessToken>>;
    /// Revokes every token minted from a code (RFC 6749 §4.1.2: a replayed code).
    async fn revoke_tokens_from_code(&self, code_id: i64, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Stores a token (client credentials).
    async fn create_access_token(&self, token: NewAccessToken) -> StoreResult<AccessToken>;
    /// Finds a token by the hash of its access token.
    async fn find_access_token(&self, hash: &SecretHash) -> StoreResult<Option<AccessToken>>;
    /// Finds a token by the hash of its access token together with its user, in one query: the
    /// bearer check on every API request.
    async fn find_access_token_with_user(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, Option<User>)>>;
    /// Finds a token by the hash of its refresh token, returning also the refresh token's expiry.
    async fn find_by_refresh_token(&self, hash: &SecretHash) -> StoreResult<Option<(AccessToken, DateTime<Utc>)>>;
    /// Revokes the old token pair and stores its successor, in one transaction. Returns `None`,
    /// storing nothing, when the old pair was already revoked (a concurrent rotation won).
    async fn rotate_refresh_token(
        &self,
        old_token_id: i64,
        successor: NewAccessToken,
    ) -> StoreResult<Option<AccessToken>>;
    /// The token that replaced `previous_token_id` under a refresh grace window, and the salt its
    /// secrets were derived with; `None` when the rotation had no grace window.
    async fn find_grace_successor(&self, previous_token_id: i64) -> StoreResult<Option<(AccessToken, Vec<u8>)>>;
    /// Revokes one token pair (RFC 7009); false when it was already revoked.
    async fn revoke_access_token(&self, token_id: i64, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Revokes every token of a refresh chain (RFC 9700 §4.14: a rotated refresh token was reused).
    async fn revoke_token_family(&self, family_id: i64, now: DateTime<Utc>) -> StoreResult<u64>;
    /// Inserts many tokens in few statements (data imports, load tests); returns how many.
    async fn import_access_tokens(&self, tokens: &[NewAccessToken]) -> StoreResult<u64>;
}
