//! Row types as SQLite returns them, and their conversion into domain records.

mod with_grant;

pub(crate) use with_grant::{ApplicationWithCodeRow, ApplicationWithTokenRow};

use crate::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::{
    AccessToken, Application, AuthorizationCode, BrowserSession, ClientOptions, ClientOrigin, IdTokenAlg, Language,
    Review, SessionOrigin, SigningKey, User,
};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_domain::ticketing::{Event, Order, Ticket, TicketStatus, TicketType};

/// A UTC time as stored: Unix seconds.
pub(crate) fn ts(time: DateTime<Utc>) -> i64 {
    time.timestamp()
}

/// A stored Unix time back as UTC (out-of-range values clamp to the epoch).
pub(crate) fn from_ts(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

pub(crate) fn scopes(stored: &str) -> StoreResult<ScopeSet> {
    ScopeSet::parse(stored).map_err(|err| StoreError::Corrupt(format!("scopes: {err}")))
}

fn hash(stored: &[u8]) -> StoreResult<SecretHash> {
    SecretHash::from_bytes(stored).ok_or_else(|| StoreError::Corrupt("hash length".into()))
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) id: i64,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) phone: Option<String>,
    pub(crate) birthday: Option<String>,
    pub(crate) gender: Option<String>,
    pub(crate) is_admin: bool,
    pub(crate) created_at: i64,
    pub(crate) email_verified_at: Option<i64>,
    pub(crate) language: String,
    pub(crate) disabled_at: Option<i64>,
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
            email_verified_at: row.email_verified_at.map(from_ts),
            language: Language::from_tag(&row.language).unwrap_or_default(),
            disabled_at: row.disabled_at.map(from_ts),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationRow {
    pub(crate) id: i64,
    pub(crate) client_id: String,
    pub(crate) name: String,
    pub(crate) secret_hash: Option<Vec<u8>>,
    pub(crate) redirect_uris: String,
    pub(crate) scopes: String,
    pub(crate) organizer_id: Option<i64>,
    pub(crate) id_token_alg: String,
    pub(crate) created_at: i64,
    pub(crate) description: String,
    pub(crate) website: String,
    pub(crate) owner_id: Option<i64>,
    pub(crate) suspended_at: Option<i64>,
    pub(crate) secret_shown: bool,
    pub(crate) previous_secret_hash: Option<Vec<u8>>,
    pub(crate) previous_secret_expires_at: Option<i64>,
    pub(crate) device_grant: bool,
    pub(crate) require_par: bool,
    pub(crate) require_dpop: bool,
    pub(crate) refresh_grace_seconds: i64,
    pub(crate) jwks: Option<String>,
    pub(crate) post_logout_redirect_uris: String,
    pub(crate) backchannel_logout_uri: Option<String>,
    pub(crate) origin: String,
    pub(crate) review: String,
    pub(crate) registration_token_hash: Option<Vec<u8>>,
    pub(crate) metadata_expires_at: Option<i64>,
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
            description: self.description,
            website: self.website,
            owner_id: self.owner_id,
            suspended_at: self.suspended_at.map(from_ts),
            secret_shown: self.secret_shown,
            previous_secret: match (self.previous_secret_hash, self.previous_secret_expires_at) {
                (Some(stored), Some(until)) => Some((hash(&stored)?, from_ts(until))),
                _ => None,
            },
            options: ClientOptions {
                device_grant: self.device_grant,
                require_par: self.require_par,
                require_dpop: self.require_dpop,
                refresh_grace_seconds: u32::try_from(self.refresh_grace_seconds).map_err(|_| {
                    StoreError::Corrupt(format!("refresh_grace_seconds {}", self.refresh_grace_seconds))
                })?,
            },
            jwks: self.jwks,
            post_logout_redirect_uris: self.post_logout_redirect_uris.lines().map(str::to_owned).collect(),
            backchannel_logout_uri: self.backchannel_logout_uri,
            origin: ClientOrigin::from_name(&self.origin)
                .ok_or_else(|| StoreError::Corrupt(format!("application origin {:?}", self.origin)))?,
            review: Review::from_name(&self.review)
                .ok_or_else(|| StoreError::Corrupt(format!("application review {:?}", self.review)))?,
            registration_token_hash: self.registration_token_hash.as_deref().map(hash).transpose()?,
            metadata_expires_at: self.metadata_expires_at.map(from_ts),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    pub(crate) id_hash: Vec<u8>,
    pub(crate) user_id: Option<i64>,
    pub(crate) csrf_token: String,
    pub(crate) authenticated_at: Option<i64>,
    pub(crate) expires_at: i64,
    pub(crate) user_agent: String,
    pub(crate) address: String,
    pub(crate) created_at: i64,
}

impl SessionRow {
    pub(crate) fn into_domain(self) -> StoreResult<BrowserSession> {
        Ok(BrowserSession {
            id_hash: hash(&self.id_hash)?,
            user_id: self.user_id,
            csrf_token: self.csrf_token,
            authenticated_at: self.authenticated_at.map(from_ts),
            expires_at: from_ts(self.expires_at),
            origin: SessionOrigin {
                user_agent: self.user_agent,
                address: self.address,
                created_at: from_ts(self.created_at),
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthorizationCodeRow {
    pub(crate) id: i64,
    pub(crate) code_hash: Vec<u8>,
    pub(crate) application_id: i64,
    pub(crate) user_id: i64,
    pub(crate) redirect_uri: String,
    pub(crate) redirect_uri_was_sent: bool,
    pub(crate) scopes: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) auth_time: i64,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) redeemed_at: Option<i64>,
    pub(crate) resource: Option<String>,
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
            resource: self.resource,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessTokenRow {
    pub(crate) id: i64,
    pub(crate) application_id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) scopes: String,
    pub(crate) created_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) revoked_at: Option<i64>,
    pub(crate) has_refresh_token: bool,
    pub(crate) refresh_expires_at: Option<i64>,
    pub(crate) family_id: Option<i64>,
    pub(crate) dpop_jkt: Option<String>,
    pub(crate) audience: Option<String>,
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
                dpop_jkt: self.dpop_jkt,
                audience: self.audience,
            },
            self.refresh_expires_at.map(from_ts),
        ))
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub(crate) id: i64,
    pub(crate) organizer_id: i64,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) description_en: String,
    pub(crate) location_name: String,
    pub(crate) cover_url: Option<String>,
    pub(crate) poster_url: Option<String>,
    pub(crate) status: String,
    pub(crate) start_at: i64,
    pub(crate) end_at: i64,
    pub(crate) api_ticket_quota: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
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
    pub(crate) id: i64,
    pub(crate) event_id: i64,
    pub(crate) name: String,
    pub(crate) price_satangs: i64,
    pub(crate) quota: Option<i64>,
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
    pub(crate) id: i64,
    pub(crate) event_id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) status: String,
    pub(crate) buyer_firstname: String,
    pub(crate) buyer_lastname: String,
    pub(crate) buyer_email: String,
    pub(crate) buyer_phone: String,
    pub(crate) buyer_phone_country: String,
    pub(crate) buyer_phone_country_code: String,
    pub(crate) buyer_phone_local: String,
    pub(crate) forms: String,
    pub(crate) paid_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
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
    pub(crate) id: i64,
    pub(crate) order_id: Option<i64>,
    pub(crate) event_id: i64,
    pub(crate) user_id: Option<i64>,
    pub(crate) status: String,
    pub(crate) firstname: String,
    pub(crate) lastname: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) reference_code: String,
    pub(crate) kind: String,
    pub(crate) external_id: Option<String>,
    pub(crate) revoke_note: Option<String>,
    pub(crate) forms: String,
    pub(crate) used_at: Option<i64>,
    pub(crate) registered_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) tt_id: i64,
    pub(crate) tt_name: String,
    pub(crate) tt_price_satangs: i64,
    pub(crate) tt_quota: Option<i64>,
}

impl TicketRow {
    pub(crate) fn into_domain(self) -> StoreResult<Ticket> {
        Ok(Ticket {
            id: self.id,
            order_id: self.order_id,
            event_id: self.event_id,
            user_id: self.user_id,
            status: TicketStatus::from_name(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("ticket status {:?}", self.status)))?,
            firstname: self.firstname,
            lastname: self.lastname,
            phone: self.phone,
            email: self.email,
            reference_code: self.reference_code,
            kind: self.kind,
            external_id: self.external_id,
            revoke_note: self.revoke_note,
            ticket_type: TicketType {
                id: self.tt_id,
                event_id: self.event_id,
                name: self.tt_name,
                price_satangs: self.tt_price_satangs,
                quota: self.tt_quota,
            },
            forms: self.forms,
            used_at: self.used_at.map(from_ts),
            registered_at: self.registered_at.map(from_ts),
            created_at: from_ts(self.created_at),
            updated_at: from_ts(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SigningKeyRow {
    pub(crate) id: i64,
    pub(crate) kid: String,
    pub(crate) algorithm: String,
    pub(crate) private_key: Vec<u8>,
    pub(crate) public_jwk: String,
    pub(crate) created_at: i64,
    pub(crate) retired_at: Option<i64>,
    pub(crate) published_until: Option<i64>,
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
    pub(crate) token: AccessTokenRow,
    pub(crate) u_id: Option<i64>,
    pub(crate) u_email: Option<String>,
    pub(crate) u_password_hash: Option<String>,
    pub(crate) u_first_name: Option<String>,
    pub(crate) u_last_name: Option<String>,
    pub(crate) u_phone: Option<String>,
    pub(crate) u_birthday: Option<String>,
    pub(crate) u_gender: Option<String>,
    pub(crate) u_is_admin: Option<bool>,
    pub(crate) u_created_at: Option<i64>,
    pub(crate) u_email_verified_at: Option<i64>,
    pub(crate) u_language: Option<String>,
    pub(crate) u_disabled_at: Option<i64>,
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
            email_verified_at: self.u_email_verified_at.map(from_ts),
            language: self.u_language.as_deref().and_then(Language::from_tag).unwrap_or_default(),
            disabled_at: self.u_disabled_at.map(from_ts),
        });
        let (token, _) = self.token.into_domain()?;
        Ok((token, user))
    }
}

/// A token row with its access-token hash, as a batched insert returns it.
#[derive(sqlx::FromRow)]
pub(crate) struct HashedAccessTokenRow {
    pub(crate) access_token_hash: Vec<u8>,
    #[sqlx(flatten)]
    pub(crate) token: AccessTokenRow,
}

/// A token that replaced another under a refresh grace window, with the salt of its secrets.
#[derive(sqlx::FromRow)]
pub(crate) struct GraceSuccessorRow {
    pub(crate) grace_salt: Vec<u8>,
    #[sqlx(flatten)]
    pub(crate) token: AccessTokenRow,
}

impl HashedAccessTokenRow {
    pub(crate) fn into_domain(self) -> StoreResult<(SecretHash, AccessToken)> {
        let hash = hash(&self.access_token_hash)?;
        Ok((hash, self.token.into_domain()?.0))
    }
}
