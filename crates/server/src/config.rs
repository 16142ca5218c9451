//! The server's configuration, built once by the CLI.

use crate::connections::ConnectionLimits;
use crate::mail::MailConfig;
use crate::throttle::FailureLimits;
use crate::webhooks::WebhookSettings;
use ticketbooth_domain::model::Review;

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The public base URL, without a trailing slash (`TICKETBOOTH_ISSUER`).
    pub issuer: String,
    /// Set by `serve --demo`: mounts `/demo/callback`, which shows a received code and the curl
    /// command that trades it with these credentials.
    pub demo: Option<DemoCredentials>,
    /// Requests per minute per token on `/api/public/me`; 0 switches the limit off
    /// (`TICKETBOOTH_ME_RATE_LIMIT`, default 10).
    pub me_rate_limit: u32,
    /// Limits on failed sign-ins.
    pub sign_in_limits: FailureLimits,
    /// Limits on sign-ups, reset requests and verification resends per address (each sends mail).
    pub mail_request_limits: FailureLimits,
    /// Whether people may create their own accounts (`serve --sign-up on|off`).
    pub sign_up: bool,
    /// How mail is sent.
    pub mail: MailConfig,
    /// Limits on failed client authentications at the token endpoint.
    pub client_auth_limits: FailureLimits,
    /// A header carrying the client's address, set by a trusted proxy (`TICKETBOOTH_CLIENT_IP_HEADER`,
    /// e.g. `x-forwarded-for`); without it the peer address is used.
    pub client_ip_header: Option<String>,
    /// The bearer token a metrics scraper presents at `/metrics` (`TICKETBOOTH_METRICS_TOKEN`);
    /// without one, `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// Timeouts for slow and idle clients, and the shutdown's grace time.
    pub connection_limits: ConnectionLimits,
    /// How webhooks are delivered.
    pub webhooks: WebhookSettings,
    /// Eventpop compatibility or OAuth 2.1 strictness (`serve --profile`, `TICKETBOOTH_PROFILE`).
    pub profile: Profile,
    /// Whether clients identified by a metadata document URL are taken
    /// (`serve --client-metadata-documents`, default `approval`).
    pub client_metadata_documents: ArrivalPolicy,
    /// Whether clients may register themselves (RFC 7591; `serve --registration`, default `off`).
    pub registration: ArrivalPolicy,
    /// How metadata documents are fetched.
    pub client_fetch: ClientFetchSettings,
}

/// What happens to a client that arrives without an operator (a metadata document or a
/// registration request): Eventpop creates API applications by request only, so by default an
/// admin approves each one first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalPolicy {
    /// Refused.
    Off,
    /// Held as a pending request in the admin console until an admin approves it.
    Approval,
    /// Accepted at once; people still see the consent page.
    Open,
}

impl ArrivalPolicy {
    /// The review a newly arrived client starts with; `None` when such clients are refused.
    pub fn newcomer_review(self) -> Option<Review> {
        match self {
            ArrivalPolicy::Off => None,
            ArrivalPolicy::Approval => Some(Review::Pending),
            ArrivalPolicy::Open => Some(Review::Approved),
        }
    }
}

/// How client metadata documents are fetched (outbound requests a client's `client_id` causes).
#[derive(Debug, Clone)]
pub struct ClientFetchSettings {
    /// Allow documents on loopback and private addresses (`serve --allow-private-client-metadata`;
    /// for development and tests only: in production it would open the server to SSRF).
    pub allow_private: bool,
    /// An extra trusted root certificate, PEM (`serve --client-metadata-ca-file`): for a private
    /// PKI, or a test's own certificate authority.
    pub extra_root_pem: Option<Vec<u8>>,
    /// One fetch's limit, connection to the last byte.
    pub timeout: std::time::Duration,
}

impl Default for ClientFetchSettings {
    fn default() -> Self {
        ClientFetchSettings { allow_private: false, extra_root_pem: None, timeout: std::time::Duration::from_secs(5) }
    }
}

/// What the server accepts beyond the RFCs' musts (`serve --profile eventpop|oauth2.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// Eventpop compatibility: access tokens also in the query string and the form body, and
    /// confidential clients may leave PKCE out.
    #[default]
    Eventpop,
    /// What OAuth 2.1 and RFC 9700 ask: access tokens in the `Authorization` header only, and
    /// PKCE for every client.
    OAuth21,
}

impl Profile {
    /// Every authorization request must carry a PKCE challenge (RFC 9700 §2.1.1).
    pub fn requires_pkce(self) -> bool {
        self == Profile::OAuth21
    }

    /// Access tokens are taken from the query string and the form body (RFC 6750 §2.2–2.3),
    /// which OAuth 2.1 §5.1 drops: they end up in logs and browser history.
    pub fn token_outside_header(self) -> bool {
        self == Profile::Eventpop
    }

    /// How the resource API takes access tokens, as RFC 9728's `bearer_methods_supported` names
    /// them (both discovery documents and the resource metadata say it).
    pub fn bearer_methods(self) -> &'static [&'static str] {
        match self.token_outside_header() {
            true => &["header", "body", "query"],
            false => &["header"],
        }
    }

    /// The name `--profile` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Eventpop => "eventpop",
            Profile::OAuth21 => "oauth2.1",
        }
    }

    /// The profile `--profile` names.
    pub fn from_name(name: &str) -> Option<Profile> {
        [Profile::Eventpop, Profile::OAuth21].into_iter().find(|profile| profile.as_str() == name)
    }
}

/// The demo application's credentials, as printed by `serve --demo`.
#[derive(Clone)]
pub struct DemoCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoCredentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// A configuration for the given issuer URL.
    pub fn new(issuer: &str) -> ServerConfig {
        ServerConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            demo: None,
            me_rate_limit: 10,
            sign_in_limits: FailureLimits::SIGN_IN,
            mail_request_limits: FailureLimits::MAIL_REQUESTS,
            sign_up: true,
            mail: MailConfig::outbox("mail-outbox"),
            client_auth_limits: FailureLimits::CLIENT_AUTH,
            client_ip_header: None,
            metrics_token: None,
            connection_limits: ConnectionLimits::default(),
            webhooks: WebhookSettings::default(),
            profile: Profile::default(),
            client_metadata_documents: ArrivalPolicy::Approval,
            registration: ArrivalPolicy::Off,
            client_fetch: ClientFetchSettings::default(),
        }
    }

    /// Cookies get `Secure` when the issuer is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// An absolute URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}
