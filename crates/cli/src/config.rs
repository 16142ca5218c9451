//! The effective configuration: defaults, then a TOML file (`--config`, `TICKETBOOTH_CONFIG`),
//! then the environment, then command-line flags, each over the one before. The file's keys are
//! the flags' names with `_` for `-`; an unknown key is refused, naming it.

use anyhow::Context;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;
use ticketbooth_server::throttle::FailureLimits;
use ticketbooth_server::{
    ArrivalPolicy, ClientFetchSettings, ConnectionLimits, MailConfig, MailTransport, Profile, ServerConfig,
    WebhookSettings,
};
use ticketbooth_store::{PoolSettings, Pooler, SqliteSync};

/// Every setting a file, the environment or a flag can give.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// A SQLite file path or `sqlite:` URL, or a `postgres://` URL (`DATABASE_URL`).
    pub(crate) database_url: String,
    pub(crate) db_max_connections: u32,
    /// Seconds.
    pub(crate) db_acquire_timeout: u64,
    pub(crate) sqlite_synchronous: SqliteSynchronous,
    /// What sits between this instance and PostgreSQL: `none`, or a `transaction` pooler.
    pub(crate) db_pooler: DbPooler,
    /// `auto`: every command applies pending migrations first; `refuse`: only `migrate` does, and
    /// other commands refuse to start while any are pending.
    pub(crate) migrations: MigrationPolicy,
    pub(crate) addr: String,
    pub(crate) issuer: Option<String>,
    pub(crate) me_rate_limit: u32,
    pub(crate) sign_in_failures_per_account: u32,
    pub(crate) sign_in_failures_per_address: u32,
    pub(crate) client_auth_failures_per_client: u32,
    pub(crate) client_auth_failures_per_address: u32,
    pub(crate) client_ip_header: Option<String>,
    pub(crate) metrics_token: Option<String>,
    /// Seconds, like every timeout and interval below.
    pub(crate) header_read_timeout: u64,
    pub(crate) request_timeout: u64,
    pub(crate) idle_timeout: u64,
    pub(crate) shutdown_timeout: u64,
    pub(crate) max_concurrent_requests: usize,
    pub(crate) sweep_interval: u64,
    /// Whether people may create their own accounts at `/account/new`.
    pub(crate) sign_up: Switch,
    /// `smtp://user:pass@host:port` or `smtps://…`; without it mail is written to `mail_outbox`.
    pub(crate) smtp_url: Option<String>,
    /// The directory that receives one `.eml` file per message when there is no `smtp_url`.
    pub(crate) mail_outbox: String,
    /// The `From` of every message.
    pub(crate) mail_from: String,
    /// Whether webhook endpoints may be http:// on loopback and private addresses.
    pub(crate) allow_insecure_webhooks: bool,
    /// `eventpop` (compatible) or `oauth2.1` (strict).
    pub(crate) profile: ProfileName,
    pub(crate) client_metadata_documents: Arrival,
    pub(crate) registration: Arrival,
    pub(crate) allow_private_client_metadata: bool,
    pub(crate) client_metadata_ca_file: Option<String>,
}

/// The server profile's name, as `--profile` and `TICKETBOOTH_PROFILE` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub(crate) enum ProfileName {
    #[serde(rename = "eventpop")]
    #[value(name = "eventpop")]
    Eventpop,
    #[serde(rename = "oauth2.1")]
    #[value(name = "oauth2.1")]
    OAuth21,
}

impl From<ProfileName> for Profile {
    fn from(name: ProfileName) -> Profile {
        match name {
            ProfileName::Eventpop => Profile::Eventpop,
            ProfileName::OAuth21 => Profile::OAuth21,
        }
    }
}

/// What happens to clients that arrive without an operator (`--client-metadata-documents`,
/// `--registration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Arrival {
    Off,
    Approval,
    Open,
}

impl From<Arrival> for ArrivalPolicy {
    fn from(arrival: Arrival) -> Self {
        match arrival {
            Arrival::Off => ArrivalPolicy::Off,
            Arrival::Approval => ArrivalPolicy::Approval,
            Arrival::Open => ArrivalPolicy::Open,
        }
    }
}

/// A feature turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Switch {
    On,
    Off,
}

/// When an SQLite commit reaches stable storage (`--sqlite-synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SqliteSynchronous {
    Full,
    Normal,
}

/// What sits between an instance and PostgreSQL (`--db-pooler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DbPooler {
    None,
    Transaction,
}

/// Whether commands apply pending migrations themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MigrationPolicy {
    Auto,
    Refuse,
}

impl Default for Settings {
    fn default() -> Self {
        let connections = ConnectionLimits::default();
        Settings {
            database_url: "ticketbooth.db".into(),
            db_max_connections: PoolSettings::default().max_connections,
            db_acquire_timeout: PoolSettings::default().acquire_timeout.as_secs(),
            sqlite_synchronous: SqliteSynchronous::Full,
            db_pooler: DbPooler::None,
            migrations: MigrationPolicy::Auto,
            addr: "127.0.0.1:3000".into(),
            issuer: None,
            me_rate_limit: 10,
            sign_in_failures_per_account: FailureLimits::SIGN_IN.per_subject_and_address,
            sign_in_failures_per_address: FailureLimits::SIGN_IN.per_address,
            client_auth_failures_per_client: FailureLimits::CLIENT_AUTH.per_subject_and_address,
            client_auth_failures_per_address: FailureLimits::CLIENT_AUTH.per_address,
            client_ip_header: None,
            metrics_token: None,
            header_read_timeout: connections.header_read.as_secs(),
            request_timeout: connections.request.as_secs(),
            idle_timeout: connections.idle.as_secs(),
            shutdown_timeout: connections.shutdown_grace.as_secs(),
            max_concurrent_requests: connections.concurrent_requests,
            sweep_interval: 300,
            sign_up: Switch::On,
            smtp_url: None,
            mail_outbox: "mail-outbox".into(),
            mail_from: "Ticketbooth <no-reply@localhost>".into(),
            allow_insecure_webhooks: false,
            profile: ProfileName::Eventpop,
            client_metadata_documents: Arrival::Approval,
            registration: Arrival::Off,
            allow_private_client_metadata: false,
            client_metadata_ca_file: None,
        }
    }
}

/// The environment variables read besides `TICKETBOOTH_<KEY>`.
const UNPREFIXED_ENV: [&str; 1] = ["database_url"];

impl Settings {
    /// Layers the sources: defaults, the file (if any), the environment, then `flags` (the
    /// settings given on the command line, as a TOML table).
    pub(crate) fn load(file: Option<&Path>, flags: Serialized<toml::Table>) -> anyhow::Result<Settings> {
        let keys = Settings::keys();
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            anyhow::ensure!(file.is_file(), "configuration file {} not found", file.display());
            figment = figment.merge(Toml::file_exact(file));
        }
        let settings = figment
            .merge(Env::raw().only(&UNPREFIXED_ENV))
            .merge(Env::prefixed("TICKETBOOTH_").filter(move |key| keys.iter().any(|known| key == known.as_str())))
            .merge(flags)
            .extract::<Settings>()
            .map_err(|err| anyhow::anyhow!("configuration: {}", err.to_string().replace('\n', "; ")))?;
        Ok(settings)
    }

    /// The names of the settings: every field, optional ones included (filled here only so
    /// that TOML lists them; a `None` would leave its key out, and its variable unread).
    fn keys() -> Vec<String> {
        let every_field = Settings {
            issuer: Some(String::new()),
            client_ip_header: Some(String::new()),
            metrics_token: Some(String::new()),
            smtp_url: Some(String::new()),
            ..Settings::default()
        };
        match toml::Table::try_from(every_field) {
            Ok(table) => table.keys().cloned().collect(),
            Err(_) => Vec::new(),
        }
    }

    pub(crate) fn pool(&self) -> PoolSettings {
        PoolSettings {
            max_connections: self.db_max_connections.max(1),
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout),
            sqlite_synchronous: match self.sqlite_synchronous {
                SqliteSynchronous::Full => SqliteSync::Full,
                SqliteSynchronous::Normal => SqliteSync::Normal,
            },
            pooler: match self.db_pooler {
                DbPooler::None => Pooler::None,
                DbPooler::Transaction => Pooler::Transaction,
            },
        }
    }

    /// The server's configuration, for the issuer URL it will be reached at.
    pub(crate) fn server(&self, issuer: &str) -> anyhow::Result<ServerConfig> {
        let extra_root_pem = match self.client_metadata_ca_file.as_deref() {
            Some(path) => Some(std::fs::read(path).with_context(|| format!("read --client-metadata-ca-file {path}"))?),
            None => None,
        };
        Ok(ServerConfig {
            me_rate_limit: self.me_rate_limit,
            sign_in_limits: FailureLimits {
                per_subject_and_address: self.sign_in_failures_per_account,
                per_address: self.sign_in_failures_per_address,
                ..FailureLimits::SIGN_IN
            },
            client_auth_limits: FailureLimits {
                per_subject_and_address: self.client_auth_failures_per_client,
                per_address: self.client_auth_failures_per_address,
                ..FailureLimits::CLIENT_AUTH
            },
            client_ip_header: self.client_ip_header.as_ref().map(|header| header.to_ascii_lowercase()),
            metrics_token: self.metrics_token.clone().filter(|token| !token.is_empty()),
            connection_limits: ConnectionLimits {
                header_read: Duration::from_secs(self.header_read_timeout.max(1)),
                request: Duration::from_secs(self.request_timeout.max(1)),
                idle: Duration::from_secs(self.idle_timeout.max(1)),
                shutdown_grace: Duration::from_secs(self.shutdown_timeout),
                concurrent_requests: self.max_concurrent_requests.max(1),
            },
            sign_up: self.sign_up == Switch::On,
            mail: self.mail(),
            webhooks: WebhookSettings { allow_insecure: self.allow_insecure_webhooks, ..WebhookSettings::default() },
            profile: self.profile.into(),
            client_metadata_documents: self.client_metadata_documents.into(),
            registration: self.registration.into(),
            client_fetch: ClientFetchSettings {
                allow_private: self.allow_private_client_metadata,
                extra_root_pem,
                ..ClientFetchSettings::default()
            },
            ..ServerConfig::new(issuer)
        })
    }

    /// How mail is sent: through `smtp_url`, else into `mail_outbox`.
    pub(crate) fn mail(&self) -> MailConfig {
        let transport = match self.smtp_url.as_deref().filter(|url| !url.is_empty()) {
            Some(url) => MailTransport::Smtp(url.to_owned()),
            None => MailTransport::Outbox(self.mail_outbox.clone().into()),
        };
        MailConfig { from: self.mail_from.clone(), transport, ..MailConfig::outbox(&self.mail_outbox) }
    }

    /// The settings as TOML, secrets masked: what `config show` prints.
    pub(crate) fn to_masked_toml(&self) -> anyhow::Result<String> {
        toml::to_string(&self.masked()).context("write the configuration as TOML")
    }

    fn masked(&self) -> Settings {
        Settings {
            database_url: mask_password(&self.database_url),
            metrics_token: self.metrics_token.as_ref().map(|_| MASK.to_owned()),
            smtp_url: self.smtp_url.as_deref().map(mask_password),
            ..self.clone()
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_masked_toml() {
            Ok(text) => f.write_str(&text),
            Err(_) => f.write_str("Settings { .. }"),
        }
    }
}

const MASK: &str = "********";

/// A URL that may hold a password (database, SMTP), given as a flag: its `Debug` masks it.
#[derive(Clone, Serialize)]
#[serde(transparent)]
pub(crate) struct SecretUrl(String);

impl std::str::FromStr for SecretUrl {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(SecretUrl(text.to_owned()))
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", mask_password(&self.0))
    }
}

/// A secret given as a flag: its `Debug` shows only that there is one.
#[derive(Clone, Serialize)]
#[serde(transparent)]
pub(crate) struct SecretFlag(String);

impl std::str::FromStr for SecretFlag {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(SecretFlag(text.to_owned()))
    }
}

impl std::fmt::Debug for SecretFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

/// A database URL with its password, if any, masked.
pub(crate) fn mask_password(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => match url.set_password(Some(MASK)) {
            Ok(()) => url.to_string(),
            Err(()) => MASK.to_owned(),
        },
        _ => database_url.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return its own large error.
mod tests {
    use super::*;

    fn flags(text: &str) -> Serialized<toml::Table> {
        Serialized::globals(text.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn flags_override_the_environment_which_overrides_the_file_which_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "addr = \"0.0.0.0:1\"\nme_rate_limit = 5\nidle_timeout = 7\n")?;
            jail.set_env("TICKETBOOTH_ME_RATE_LIMIT", "6");
            jail.set_env("TICKETBOOTH_IDLE_TIMEOUT", "8");
            let settings = Settings::load(Some(Path::new("t.toml")), flags("idle_timeout = 9")).unwrap();
            assert_eq!(settings.addr, "0.0.0.0:1", "from the file");
            assert_eq!(settings.me_rate_limit, 6, "the environment over the file");
            assert_eq!(settings.idle_timeout, 9, "the flag over the environment");
            assert_eq!(settings.request_timeout, Settings::default().request_timeout, "the default");
            Ok(())
        });
    }

    #[test]
    fn optional_settings_are_read_from_the_environment_too() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TICKETBOOTH_ISSUER", "https://tickets.example");
            jail.set_env("TICKETBOOTH_SMTP_URL", "smtps://mailer:pw@smtp.example:465");
            jail.set_env("TICKETBOOTH_MAIL_OUTBOX", "/var/spool/ticketbooth");
            jail.set_env("TICKETBOOTH_SIGN_UP", "off");
            let settings = Settings::load(None, flags("")).unwrap();
            assert_eq!(settings.issuer.as_deref(), Some("https://tickets.example"));
            assert_eq!(settings.smtp_url.as_deref(), Some("smtps://mailer:pw@smtp.example:465"));
            assert_eq!(settings.mail_outbox, "/var/spool/ticketbooth");
            assert_eq!(settings.sign_up, Switch::Off);
            assert_eq!(settings.profile, ProfileName::Eventpop, "the default profile");
            jail.set_env("TICKETBOOTH_PROFILE", "oauth2.1");
            let strict = Settings::load(None, flags("")).unwrap();
            assert_eq!(strict.server("https://tickets.example").unwrap().profile, Profile::OAuth21);
            jail.set_env("TICKETBOOTH_PROFILE", "oauth2");
            assert!(Settings::load(None, flags("")).is_err(), "an unknown profile is refused");
            assert!(matches!(settings.mail().transport, MailTransport::Smtp(_)));
            assert!(!settings.to_masked_toml().unwrap().contains(":pw@"), "the SMTP password is masked");
            Ok(())
        });
    }

    #[test]
    fn arrival_policies_default_to_approval_and_off_and_read_the_environment() {
        figment::Jail::expect_with(|jail| {
            let defaults = Settings::load(None, flags("")).unwrap().server("https://t.example").unwrap();
            assert_eq!(defaults.client_metadata_documents, ArrivalPolicy::Approval);
            assert_eq!(defaults.registration, ArrivalPolicy::Off);
            assert!(!defaults.client_fetch.allow_private);
            jail.set_env("TICKETBOOTH_CLIENT_METADATA_DOCUMENTS", "open");
            let settings = Settings::load(None, flags("registration = \"approval\"")).unwrap();
            let config = settings.server("https://t.example").unwrap();
            assert_eq!(config.client_metadata_documents, ArrivalPolicy::Open);
            assert_eq!(config.registration, ArrivalPolicy::Approval);
            let missing = Settings::load(None, flags("client_metadata_ca_file = \"/nonexistent.pem\"")).unwrap();
            assert!(missing.server("https://t.example").is_err(), "an unreadable CA file is an error");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused_by_name() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "adress = \"0.0.0.0:1\"\n")?;
            let err = Settings::load(Some(Path::new("t.toml")), flags("")).unwrap_err().to_string();
            assert!(err.contains("adress"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn environment_variables_that_are_not_settings_are_left_alone() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TICKETBOOTH_LOG_FORMAT", "json");
            jail.set_env("DATABASE_URL", "postgres://app:hunter2@db/tb");
            let settings = Settings::load(None, flags("")).unwrap();
            assert_eq!(settings.database_url, "postgres://app:hunter2@db/tb");
            Ok(())
        });
    }

    #[test]
    fn secrets_are_masked_in_the_shown_configuration_and_in_debug_output() {
        let settings = Settings {
            database_url: "postgres://app:hunter2@db/tb".into(),
            metrics_token: Some("scrape-me".into()),
            ..Settings::default()
        };
        for shown in [settings.to_masked_toml().unwrap(), format!("{settings:?}")] {
            assert!(!shown.contains("hunter2") && !shown.contains("scrape-me"), "{shown}");
            assert!(shown.contains("postgres://app:********@db/tb"), "{shown}");
        }
    }

    #[test]
    fn flags_print_no_secrets_in_debug_output() {
        let url: SecretUrl = "postgres://app:hunter2@db/tb".parse().unwrap();
        let token: SecretFlag = "scrape-me".parse().unwrap();
        assert_eq!(format!("{url:?}"), "\"postgres://app:********@db/tb\"");
        assert_eq!(format!("{token:?}"), "********");
    }

    #[test]
    fn the_server_configuration_carries_every_setting() {
        let settings =
            Settings { me_rate_limit: 3, sign_in_failures_per_address: 4, idle_timeout: 5, ..Settings::default() };
        let config = settings.server("http://localhost:1/").unwrap();
        assert_eq!(config.issuer, "http://localhost:1");
        assert_eq!(config.me_rate_limit, 3);
        assert_eq!(config.sign_in_limits.per_address, 4);
        assert_eq!(config.connection_limits.idle, Duration::from_secs(5));
    }
}
