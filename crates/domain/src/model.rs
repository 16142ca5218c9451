//! The records Ticketbooth keeps, in domain terms. Ids are `i64`, times are UTC.

use crate::scope::ScopeSet;
use crate::secret::SecretHash;
use chrono::{DateTime, Utc};

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Stored lower-cased, so sign-in is case-insensitive.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    /// When the person proved they read mail at `email`; `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// The language of the person's e-mails (the pages follow the browser).
    pub language: Language,
    /// While set, the person cannot sign in (an administrator disabled the account).
    pub disabled_at: Option<DateTime<Utc>>,
}

impl User {
    /// Whether `email` is known to be the person's (OpenID Connect `email_verified`).
    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }

    /// First and last name joined, as Eventpop's `full_name`.
    pub fn full_name(&self) -> String {
        match (self.first_name.trim(), self.last_name.trim()) {
            ("", last) => last.to_owned(),
            (first, "") => first.to_owned(),
            (first, last) => format!("{first} {last}"),
        }
    }
}

/// What is needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub is_admin: bool,
    /// Operators' accounts count as verified; a sign-up's address is proved by its welcome link.
    pub email_verified: bool,
    pub language: Language,
}

/// The languages Ticketbooth speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    English,
    Thai,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Thai];

    /// The BCP 47 tag: `en` or `th`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Thai => "th",
        }
    }

    /// The language a stored or posted tag names.
    pub fn from_tag(tag: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|language| language.tag() == tag)
    }
}

/// Normalises an email address for storage and lookup.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An event organizer (a company or a team) that owns events and, optionally, applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organizer {
    pub id: i64,
    pub name: String,
}

/// A registered OAuth client ("API application").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    /// `None` for public clients (PKCE only, no secret).
    pub secret_hash: Option<SecretHash>,
    pub redirect_uris: Vec<String>,
    /// The most an authorization or token request of this client may ask for.
    pub scopes: ScopeSet,
    /// The organizer that owns the application, if any.
    pub organizer_id: Option<i64>,
    /// How its id_tokens are signed.
    pub id_token_alg: IdTokenAlg,
    pub created_at: DateTime<Utc>,
    pub description: String,
    pub website: String,
    /// The developer who requested it; `None` for applications an operator created.
    pub owner_id: Option<i64>,
    /// While set, the application's clients are refused and its tokens are revoked.
    pub suspended_at: Option<DateTime<Utc>>,
    /// False until the owner has seen the secret (it is made at that first view).
    pub secret_shown: bool,
    /// A rotated-out secret that works until its expiry.
    pub previous_secret: Option<(SecretHash, DateTime<Utc>)>,
    pub options: ClientOptions,
    /// The public keys (a JWK Set, JSON) the client signs `private_key_jwt` assertions with
    /// (RFC 7523 §2.2); such a client authenticates with them instead of a secret.
    pub jwks: Option<String>,
    /// Where RP-initiated logout may send the browser afterwards (matched exactly).
    pub post_logout_redirect_uris: Vec<String>,
    /// Where a signed logout token is posted when a person signs out (Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    pub origin: ClientOrigin,
    pub review: Review,
    /// RFC 7592: the hash of the token that manages a dynamically registered client.
    pub registration_token_hash: Option<SecretHash>,
    /// For a metadata-document client: when its cached document is to be fetched again.
    pub metadata_expires_at: Option<DateTime<Utc>>,
}

impl Application {
    /// Whether the application may be used: approved and not suspended.
    pub fn is_usable(&self) -> bool {
        self.review == Review::Approved && self.suspended_at.is_none()
    }
}

/// How an application came to be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientOrigin {
    /// By an operator, or from a developer's approved request.
    #[default]
    Console,
    /// Its `client_id` is the https URL of its metadata document
    /// (draft-ietf-oauth-client-id-metadata-document).
    MetadataDocument,
    /// Dynamic client registration (RFC 7591).
    Registration,
}

impl ClientOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientOrigin::Console => "console",
            ClientOrigin::MetadataDocument => "metadata_document",
            ClientOrigin::Registration => "registration",
        }
    }

    pub fn from_name(name: &str) -> Option<ClientOrigin> {
        [ClientOrigin::Console, ClientOrigin::MetadataDocument, ClientOrigin::Registration]
            .into_iter()
            .find(|origin| origin.as_str() == name)
    }
}

/// Where an application stands with the platform's staff. Only clients that arrive by themselves
/// (metadata documents, registration) under the `approval` policy are ever anything but approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Review {
    #[default]
    Approved,
    Pending,
    Rejected,
}

impl Review {
    pub fn as_str(self) -> &'static str {
        match self {
            Review::Approved => "approved",
            Review::Pending => "pending",
            Review::Rejected => "rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<Review> {
        [Review::Approved, Review::Pending, Review::Rejected].into_iter().find(|review| review.as_str() == name)
    }
}

/// Per-application protocol options beyond Eventpop's, all off by default (contract §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientOptions {
    /// May use the device authorization grant (RFC 8628).
    pub device_grant: bool,
    /// Authorization requests must be pushed first (RFC 9126 §5).
    pub require_par: bool,
    /// Tokens are issued only DPoP-bound (RFC 9449 §5.2).
    pub require_dpop: bool,
    /// Within this many seconds of a rotation, the rotated refresh token may be presented again
    /// and yields the same new pair; 0 is strict rotation.
    pub refresh_grace_seconds: u32,
}

/// The JWS algorithm an application's id_tokens are signed with. RS256 is the default OpenID
/// Connect Dynamic Client Registration §2 gives a client that did not ask for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IdTokenAlg {
    #[default]
    RS256,
    ES256,
}

impl IdTokenAlg {
    /// Every supported algorithm, the default first.
    pub const ALL: [IdTokenAlg; 2] = [IdTokenAlg::RS256, IdTokenAlg::ES256];

    /// The JWS `alg` name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::RS256 => "RS256",
            IdTokenAlg::ES256 => "ES256",
        }
    }

    /// The algorithm a JWS `alg` name stands for.
    pub fn from_name(name: &str) -> Option<IdTokenAlg> {
        IdTokenAlg::ALL.into_iter().find(|alg| alg.as_str() == name)
    }
}

impl Application {
    /// Whether the client holds a secret (RFC 6749 §2.1 "confidential").
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some() || self.jwks.is_some()
    }

    /// Whether `presented` is the client's secret at `now`: the current one, or a rotated-out one
    /// still in its grace period. Both are compared in constant time.
    pub fn accepts_secret(&self, presented: &SecretHash, now: DateTime<Utc>) -> bool {
        let current = self.secret_hash.as_ref().is_some_and(|stored| stored.constant_time_eq(presented));
        let previous = self
            .previous_secret
            .as_ref()
            .is_some_and(|(stored, until)| stored.constant_time_eq(presented) & (now < *until));
        current | previous
    }
}

/// What is needed to register an application.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<SecretHash>,
    pub redirect_uris: Vec<String>,
    pub scopes: ScopeSet,
    pub organizer_id: Option<i64>,
    pub id_token_alg: IdTokenAlg,
    pub description: String,
    pub website: String,
    pub owner_id: Option<i64>,
    /// Whether the secret is to be made at the owner's first view (approval stores a hash nobody
    /// holds).
    pub secret_unseen: bool,
    pub options: ClientOptions,
    pub jwks: Option<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub origin: ClientOrigin,
    pub review: Review,
    pub registration_token_hash: Option<SecretHash>,
    pub metadata_expires_at: Option<DateTime<Utc>>,
}

/// A browser session on our own pages. Anonymous until sign-in; every form carries its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSession {
    pub id_hash: SecretHash,
    pub user_id: Option<i64>,
    /// Synchronizer token for the session's forms (OWASP CSRF cheat sheet).
    pub csrf_token: String,
    pub authenticated_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// Where it was started, for the person's list of sessions.
    pub origin: SessionOrigin,
}

/// The browser and address a session was started from, as shown on the sessions page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionOrigin {
    pub user_agent: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
}

/// A stored authorization code (its hash) and what it was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub id: i64,
    pub code_hash: SecretHash,
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (RFC 6749 §4.1.3 then requires it
    /// at the token endpoint).
    pub redirect_uri_was_sent: bool,
    pub scopes: ScopeSet,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The resource (RFC 8707) the authorization was asked for.
    pub resource: Option<String>,
}

/// A new authorization code to store.
#[derive(Debug, Clone)]
pub struct NewAuthorizationCode {
    pub code_hash: SecretHash,
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub redirect_uri_was_sent: bool,
    pub scopes: ScopeSet,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub resource: Option<String>,
}

/// An issued access token (and its refresh token, if any), by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: i64,
    pub application_id: i64,
    /// `None` for application (client-credentials) tokens.
    pub user_id: Option<i64>,
    pub scopes: ScopeSet,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub has_refresh_token: bool,
    /// The id of the first token of its refresh chain (its own id for a first token).
    pub family_id: i64,
    /// The JWK SHA-256 thumbprint of the DPoP key the token is bound to (RFC 9449 §6); `None` for
    /// a bearer token.
    pub dpop_jkt: Option<String>,
    /// The resource (RFC 8707) the token is for; `None` for the public API, as before.
    pub audience: Option<String>,
}

impl AccessToken {
    /// Whether the token may still be used at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

/// A token pair to store.
#[derive(Debug, Clone)]
pub struct NewAccessToken {
    pub access_token_hash: SecretHash,
    pub refresh_token_hash: Option<SecretHash>,
    pub application_id: i64,
    pub user_id: Option<i64>,
    pub scopes: ScopeSet,
    /// The authorization code the token descends from, so a replayed code can revoke it.
    pub authorization_code_id: Option<i64>,
    /// The token pair this one replaced by refresh-token rotation.
    pub previous_token_id: Option<i64>,
    /// The first token of the refresh chain this one continues (`None` for a first token).
    pub family_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Set when the client has a refresh grace window: the salt this pair's secrets were derived
    /// with from the refresh token it replaced (`secret::Secret::derive`).
    pub grace_salt: Option<Vec<u8>>,
    /// The DPoP key thumbprint to bind the pair to.
    pub dpop_jkt: Option<String>,
    pub audience: Option<String>,
}

/// An id_token signing key (ES256), as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub id: i64,
    pub kid: String,
    pub algorithm: String,
    /// PKCS#8 DER of the private key.
    pub private_key: Vec<u8>,
    /// The public key as a JWK JSON object.
    pub public_jwk: String,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    pub published_until: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

/// A signing key to store.
#[derive(Clone)]
pub struct NewSigningKey {
    pub kid: String,
    pub algorithm: String,
    pub private_key: Vec<u8>,
    pub public_jwk: String,
}

/// An application a user has authorized, and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub application: Application,
    pub scopes: ScopeSet,
    pub granted_at: DateTime<Utc>,
}
