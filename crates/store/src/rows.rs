//! Row types as SQLite returns them, and their conversion into domain records.

use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{AccessToken, Application, AuthorizationCode, BrowserSession, User};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;

/// A UTC time as stored: Unix seconds.
pub(crate) fn ts(time: DateTime<Utc>) -> i64 {
    time.timestamp()
}

/// A stored Unix time back as UTC (out-of-range values clamp to the epoch).
fn from_ts(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn scopes(stored: &str) -> StoreResult<ScopeSet> {
    ScopeSet::parse(stored).map_err(|err| StoreError::Corrupt(format!("scopes: {err}")))
}

fn hash(stored: &[u8]) -> StoreResult<SecretHash> {
    SecretHash::from_bytes(stored).ok_or_else(|| StoreError::Corrupt("hash length".into()))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    email: String,
    password_hash: String,
    first_name: String,
    last_name: String,
    phone: Option<String>,
    birthday: Option<String>,
    gender: Option<String>,
    is_admin: bool,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: row.id,
            email: row.email,
            password_hash: row.password_hash,
            first_name: row.first_name,
            last_name: row.last_name,
            phone: row.phone,
            birthday: row.birthday,
            gender: row.gender,
            is_admin: row.is_admin,
            created_at: from_ts(row.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    id: i64,
    client_id: String,
    name: String,
    secret_hash: Option<Vec<u8>>,
    redirect_uris: String,
    scopes: String,
    organizer_id: Option<i64>,
    created_at: i64,
}

impl ApplicationRow {
    pub(crate) fn into_domain(self) -> StoreResult<Application> {
        Ok(Application {
            id: self.id,
            client_id: self.client_id,
            name: self.name,
            secret_hash: self.secret_hash.as_deref().map(hash).transpose()?,
            redirect_uris: self.redirect_uris.lines().map(str::to_owned).collect(),
            scopes: scopes(&self.scopes)?,
            organizer_id: self.organizer_id,
            created_at: from_ts(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id_hash: Vec<u8>,
    user_id: Option<i64>,
    csrf_token: String,
    authenticated_at: Option<i64>,
    expires_at: i64,
}

impl SessionRow {
    pub(crate) fn into_domain(self) -> StoreResult<BrowserSession> {
        Ok(BrowserSession {
            id_hash: hash(&self.id_hash)?,
            user_id: self.user_id,
            csrf_token: self.csrf_token,
            authenticated_at: self.authenticated_at.map(from_ts),
            expires_at: from_ts(self.expires_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthorizationCodeRow {
    id: i64,
    code_hash: Vec<u8>,
    application_id: i64,
    user_id: i64,
    redirect_uri: String,
    redirect_uri_was_sent: bool,
    scopes: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    auth_time: i64,
    created_at: i64,
    expires_at: i64,
    redeemed_at: Option<i64>,
}

impl AuthorizationCodeRow {
    pub(crate) fn into_domain(self) -> StoreResult<AuthorizationCode> {
        Ok(AuthorizationCode {
            id: self.id,
            code_hash: hash(&self.code_hash)?,
            application_id: self.application_id,
            user_id: self.user_id,
            redirect_uri: self.redirect_uri,
            redirect_uri_was_sent: self.redirect_uri_was_sent,
            scopes: scopes(&self.scopes)?,
            code_challenge: self.code_challenge,
            nonce: self.nonce,
            auth_time: from_ts(self.auth_time),
            created_at: from_ts(self.created_at),
            expires_at: from_ts(self.expires_at),
            redeemed_at: self.redeemed_at.map(from_ts),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessTokenRow {
    id: i64,
    application_id: i64,
    user_id: Option<i64>,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
    has_refresh_token: bool,
    refresh_expires_at: Option<i64>,
}

impl AccessTokenRow {
    /// The token and, when it has a refresh token, that refresh token's expiry.
    pub(crate) fn into_domain(self) -> StoreResult<(AccessToken, Option<DateTime<Utc>>)> {
        Ok((
            AccessToken {
                id: self.id,
                application_id: self.application_id,
                user_id: self.user_id,
                scopes: scopes(&self.scopes)?,
                created_at: from_ts(self.created_at),
                expires_at: from_ts(self.expires_at),
                revoked_at: self.revoked_at.map(from_ts),
                has_refresh_token: self.has_refresh_token,
            },
            self.refresh_expires_at.map(from_ts),
        ))
    }
}
