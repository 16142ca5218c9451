//! Row types as SQLite returns them, and their conversion into domain records.

use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, BrowserSession, IdTokenAlg, SigningKey, User,
};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_domain::ticketing::{Event, Order, Ticket, TicketType};

/// A UTC time as stored: Unix seconds.
pub(crate) fn ts(time: DateTime<Utc>) -> i64 {
    time.timestamp()
}

/// A stored Unix time back as UTC (out-of-range values clamp to the epoch).
pub(crate) fn from_ts(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

mod inline;

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
    id_token_alg: String,
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
            id_token_alg: IdTokenAlg::from_name(&self.id_token_alg)
                .ok_or_else(|| StoreError::Corrupt(format!("id_token_alg {:?}", self.id_token_alg)))?,
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
    family_id: Option<i64>,
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
                family_id: self.family_id.unwrap_or(self.id),
            },
            self.refresh_expires_at.map(from_ts),
        ))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    organizer_id: i64,
    title: String,
    description: String,
    description_en: String,
    location_name: String,
    cover_url: Option<String>,
    poster_url: Option<String>,
    status: String,
    start_at: i64,
    end_at: i64,
    api_ticket_quota: i64,
    created_at: i64,
    updated_at: i64,
}

impl EventRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Event {
        Event {
            id: row.id,
            organizer_id: row.organizer_id,
            title: row.title,
            description: row.description,
            description_en: row.description_en,
            location_name: row.location_name,
            cover_url: row.cover_url,
            poster_url: row.poster_url,
            status: row.status,
            start_at: from_ts(row.start_at),
            end_at: from_ts(row.end_at),
            api_ticket_quota: row.api_ticket_quota,
            created_at: from_ts(row.created_at),
            updated_at: from_ts(row.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketTypeRow {
    id: i64,
    event_id: i64,
    name: String,
    price_satangs: i64,
    quota: Option<i64>,
}

impl From<TicketTypeRow> for TicketType {
    fn from(row: TicketTypeRow) -> TicketType {
        TicketType {
            id: row.id,
            event_id: row.event_id,
            name: row.name,
            price_satangs: row.price_satangs,
            quota: row.quota,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OrderRow {
    id: i64,
    event_id: i64,
    user_id: Option<i64>,
    status: String,
    buyer_firstname: String,
    buyer_lastname: String,
    buyer_email: String,
    buyer_phone: String,
    buyer_phone_country: String,
    buyer_phone_country_code: String,
    buyer_phone_local: String,
    forms: String,
    paid_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl OrderRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    pub(crate) fn into_domain(self, ticket_ids: Vec<i64>) -> Order {
        Order {
            id: self.id,
            event_id: self.event_id,
            user_id: self.user_id,
            status: self.status,
            buyer_firstname: self.buyer_firstname,
            buyer_lastname: self.buyer_lastname,
            buyer_email: self.buyer_email,
            buyer_phone: self.buyer_phone,
            buyer_phone_country: self.buyer_phone_country,
            buyer_phone_country_code: self.buyer_phone_country_code,
            buyer_phone_local: self.buyer_phone_local,
            forms: self.forms,
            ticket_ids,
            paid_at: self.paid_at.map(from_ts),
            created_at: from_ts(self.created_at),
            updated_at: from_ts(self.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    order_id: Option<i64>,
    event_id: i64,
    user_id: Option<i64>,
    status: String,
    firstname: String,
    lastname: String,
    phone: String,
    email: String,
    reference_code: String,
    kind: String,
    external_id: Option<String>,
    revoke_note: Option<String>,
    forms: String,
    used_at: Option<i64>,
    registered_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    tt_id: i64,
    tt_name: String,
    tt_price_satangs: i64,
    tt_quota: Option<i64>,
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Ticket {
        Ticket {
            id: row.id,
            order_id: row.order_id,
            event_id: row.event_id,
            user_id: row.user_id,
            status: row.status,
            firstname: row.firstname,
            lastname: row.lastname,
            phone: row.phone,
            email: row.email,
            reference_code: row.reference_code,
            kind: row.kind,
            external_id: row.external_id,
            revoke_note: row.revoke_note,
            ticket_type: TicketType {
                id: row.tt_id,
                event_id: row.event_id,
                name: row.tt_name,
                price_satangs: row.tt_price_satangs,
                quota: row.tt_quota,
            },
            forms: row.forms,
            used_at: row.used_at.map(from_ts),
            registered_at: row.registered_at.map(from_ts),
            created_at: from_ts(row.created_at),
            updated_at: from_ts(row.updated_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    id: i64,
    kid: String,
    algorithm: String,
    private_key: Vec<u8>,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
    published_until: Option<i64>,
}

impl From<SigningKeyRow> for SigningKey {
    fn from(row: SigningKeyRow) -> SigningKey {
        SigningKey {
            id: row.id,
            kid: row.kid,
            algorithm: row.algorithm,
            private_key: row.private_key,
            public_jwk: row.public_jwk,
            created_at: from_ts(row.created_at),
            retired_at: row.retired_at.map(from_ts),
            published_until: row.published_until.map(from_ts),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenWithUserRow {
    #[sqlx(flatten)]
    token: AccessTokenRow,
    u_id: Option<i64>,
    u_email: Option<String>,
    u_password_hash: Option<String>,
    u_first_name: Option<String>,
    u_last_name: Option<String>,
    u_phone: Option<String>,
    u_birthday: Option<String>,
    u_gender: Option<String>,
    u_is_admin: Option<bool>,
    u_created_at: Option<i64>,
}

impl TokenWithUserRow {
    pub(crate) fn into_domain(self) -> StoreResult<(AccessToken, Option<User>)> {
        let user = self.u_id.map(|id| User {
            id,
            email: self.u_email.unwrap_or_default(),
            password_hash: self.u_password_hash.unwrap_or_default(),
            first_name: self.u_first_name.unwrap_or_default(),
            last_name: self.u_last_name.unwrap_or_default(),
            phone: self.u_phone,
            birthday: self.u_birthday,
            gender: self.u_gender,
            is_admin: self.u_is_admin.unwrap_or(false),
            created_at: from_ts(self.u_created_at.unwrap_or_default()),
        });
        let (token, _) = self.token.into_domain()?;
        Ok((token, user))
    }
}

/// A token row with its access-token hash, as a batched insert returns it.
#[derive(sqlx::FromRow)]
pub(crate) struct HashedAccessTokenRow {
    access_token_hash: Vec<u8>,
    #[sqlx(flatten)]
    token: AccessTokenRow,
}

impl HashedAccessTokenRow {
    pub(crate) fn into_domain(self) -> StoreResult<(SecretHash, AccessToken)> {
        let hash = hash(&self.access_token_hash)?;
        Ok((hash, self.token.into_domain()?.0))
    }
}
