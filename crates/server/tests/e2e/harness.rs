//! Test harness: a real server on 127.0.0.1:0 over a fresh database, and a client that behaves
//! like a browser (cookie jar, redirects not followed, so each 302/303 can be asserted).

#![allow(dead_code, unreachable_pub)]

use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use std::time::Duration;
use tempfile::TempDir;
pub use ticketbooth_domain::model::ClientOptions;
use ticketbooth_domain::model::{Application, IdTokenAlg, NewApplication, NewUser, User};
use ticketbooth_domain::password;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{generate_client_id, Secret};
use ticketbooth_server::{AppState, MailConfig, MailTransport, ServerConfig, WebhookSettings};
use ticketbooth_store::DynStore;
pub use ticketbooth_testkit::{hidden_inputs, location, location_query, Browser};

pub const PASSWORD: &str = "correct horse battery";
pub const CALLBACK: &str = "https://client.example/callback";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Declares an end-to-end test that runs once per backend: `NAME::sqlite` always, and
/// `NAME::postgres` and `NAME::pgbouncer` (PostgreSQL through a transaction-pooling PgBouncer)
/// when `TEST_DATABASE_URL` is set and, for the latter, `pgbouncer` is installed (each says so and
/// passes when it cannot run).
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body() $body

            #[tokio::test]
            async fn sqlite() {
                $crate::harness::Backend::Sqlite.run(body()).await
            }

            #[tokio::test]
            async fn postgres() {
                $crate::harness::Backend::Postgres.run(body()).await
            }

            #[tokio::test]
            async fn pgbouncer() {
                $crate::harness::Backend::PgBouncer.run(body()).await
            }
        }
    };
}
pub(crate) use backend_test;

/// The database behind a test's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL through PgBouncer in transaction-pooling mode.
    PgBouncer,
}

tokio::task_local! {
    static BACKEND: Backend;
}

impl Backend {
    /// Runs a test body with this backend, or skips it (saying so) when PostgreSQL is not configured.
    pub async fn run(self, body: impl std::future::Future<Output = ()>) {
        if self != Backend::Sqlite && std::env::var("TEST_DATABASE_URL").is_err() {
            eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL run of this test is skipped");
            return;
        }
        if self == Backend::PgBouncer && pgbouncer().is_none() {
            eprintln!("skipped: pgbouncer is not installed, so the run through PgBouncer is skipped");
            return;
        }
        BACKEND.scope(self, body).await
    }

    /// How the backend's store connects.
    pub fn pool_settings(self) -> ticketbooth_store::PoolSettings {
        let pooler = match self {
            Backend::PgBouncer => ticketbooth_store::Pooler::Transaction,
            Backend::Sqlite | Backend::Postgres => ticketbooth_store::Pooler::None,
        };
        ticketbooth_store::PoolSettings { pooler, ..Default::default() }
    }

    /// The backend of the running test.
    pub fn current() -> Backend {
        BACKEND.try_with(|backend| *backend).unwrap_or(Backend::Sqlite)
    }

    /// A fresh, migrated store: a SQLite file in `dir`, an isolated PostgreSQL schema, or (behind
    /// PgBouncer, which ignores the schema option) a database of its own. Returns the store, the
    /// URL it connects to, and the URL a test reads the rows at (the same, but past the pooler).
    pub async fn fresh_store(self, dir: &std::path::Path) -> (DynStore, String, String) {
        let (url, direct_url) = match self {
            Backend::Sqlite => {
                let path = dir.join("test.db").to_str().unwrap().to_owned();
                (path.clone(), path)
            }
            Backend::Postgres => {
                let base = std::env::var("TEST_DATABASE_URL").unwrap();
                let url = ticketbooth_store::postgres::create_isolated_schema(&base).await.expect("create schema");
                (url.clone(), url)
            }
            Backend::PgBouncer => {
                let base = std::env::var("TEST_DATABASE_URL").unwrap();
                let (database, direct_url) =
                    ticketbooth_store::postgres::create_isolated_database(&base).await.expect("create database");
                (pgbouncer().unwrap().url(&database), direct_url)
            }
        };
        let store = ticketbooth_store::connect(&url, self.pool_settings()).await.expect("connect");
        store.migrate().await.expect("migrate");
        (store, url, direct_url)
    }
}

/// The test process's PgBouncer in front of the `TEST_DATABASE_URL` server.
fn pgbouncer() -> Option<&'static ticketbooth_testkit::pgbouncer::PgBouncer> {
    ticketbooth_testkit::pgbouncer::shared(&std::env::var("TEST_DATABASE_URL").ok()?)
}

/// The instance's webhook worker.
fn spawn_webhooks(store: &DynStore, state: &AppState) {
    ticketbooth_server::spawn_logout_delivery(state.clone());
    ticketbooth_server::spawn_webhook_delivery(
        store.clone(),
        state.config.webhooks.clone(),
        state.config.issuer.clone(),
        state.webhooks_queued.clone(),
    );
}

pub struct TestApp {
    pub base: String,
    pub store: DynStore,
    /// A browser: keeps cookies, does not follow redirects.
    pub browser: Browser,
    /// A client application's HTTP client: no cookies.
    pub http: Client,
    pub dir: TempDir,
    pub backend: Backend,
    /// The database URL, for tests that look at the stored rows themselves (past any pooler).
    pub database_url: String,
    /// The URL the server's store connects to.
    pub store_url: String,
}

/// A registered client and its secret (None for public clients).
pub struct TestClient {
    pub app: Application,
    pub secret: Option<String>,
}

impl TestClient {
    pub fn id(&self) -> &str {
        &self.app.client_id
    }
    pub fn secret(&self) -> &str {
        self.secret.as_deref().expect("confidential client")
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose configuration `configure` adjusts (the issuer, limits, …).
    pub async fn spawn_with(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = Backend::current();
        let (store, store_url, database_url) = backend.fresh_store(dir.path()).await;
        install_signing_keys(&store).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = ServerConfig::new(&base);
        // Mail goes to files in the test's directory unless the test names an SMTP server, and
        // failed deliveries are retried within a test's patience.
        config.mail = MailConfig {
            retry_base: Duration::from_millis(200),
            poll_interval: Duration::from_millis(200),
            ..MailConfig::outbox(dir.path().join("mail-outbox"))
        };
        // Webhook receivers in tests listen on 127.0.0.1, and retries come within milliseconds.
        config.webhooks = WebhookSettings {
            allow_insecure: true,
            retry_scale: 0.01,
            poll_interval: Duration::from_millis(50),
            ..WebhookSettings::default()
        };
        configure(&mut config);
        let state = AppState::new(store.clone(), config);
        ticketbooth_server::spawn_mail_delivery(store.clone(), state.config.mail.clone(), state.mail_queued.clone());
        spawn_webhooks(&store, &state);
        tokio::spawn(ticketbooth_server::serve(listener, state, std::future::pending()));
        let browser = Browser::new(&base);
        let http = Client::builder().redirect(Policy::none()).build().unwrap();
        TestApp { base, store, browser, http, dir, backend, database_url, store_url }
    }

    /// Another instance of the server on the same database, with its own store and connections
    /// (as a second process would have); returns its base URL.
    pub async fn second_instance(&self) -> String {
        let store = ticketbooth_store::connect(&self.store_url, self.backend.pool_settings()).await.expect("connect");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = ServerConfig::new(&base);
        config.mail = MailConfig::outbox(self.dir.path().join("mail-outbox-2"));
        config.webhooks = WebhookSettings {
            allow_insecure: true,
            retry_scale: 0.01,
            poll_interval: Duration::from_millis(50),
            ..WebhookSettings::default()
        };
        let state = AppState::new(store.clone(), config);
        spawn_webhooks(&store, &state);
        tokio::spawn(ticketbooth_server::serve(listener, state, std::future::pending()));
        base
    }

    /// A server whose mail goes through the SMTP server at `smtp_url`.
    pub async fn spawn_with_smtp(smtp_url: &str, configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
        let smtp_url = smtp_url.to_owned();
        Self::spawn_with(move |config| {
            config.mail.transport = MailTransport::Smtp(smtp_url);
            configure(config);
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn create_user(&self, email: &str) -> User {
        self.store
            .create_user(NewUser {
                email: email.into(),
                password_hash: password::hash(PASSWORD).unwrap(),
                first_name: "Malee".into(),
                last_name: "Suksan".into(),
                phone: Some("0899999999".into()),
                is_admin: false,
                email_verified: true,
                language: Default::default(),
            })
            .await
            .unwrap()
    }

    pub async fn create_client(&self, confidential: bool, redirect_uris: &[&str], scopes: &str) -> TestClient {
        self.create_client_owned_by(None, confidential, redirect_uris, scopes).await
    }

    /// A confidential first-party client whose id_tokens are signed with `alg`.
    pub async fn create_client_signing_with(&self, alg: IdTokenAlg, scopes: &str) -> TestClient {
        self.register(None, true, &[CALLBACK], scopes, alg).await
    }

    /// A confidential client with `scopes`, owned by an organizer (or first-party with `None`).
    pub async fn create_client_owned_by(
        &self,
        organizer_id: Option<i64>,
        confidential: bool,
        redirect_uris: &[&str],
        scopes: &str,
    ) -> TestClient {
        self.register(organizer_id, confidential, redirect_uris, scopes, IdTokenAlg::default()).await
    }

    /// A first-party client with per-application protocol options.
    pub async fn create_client_with_options(
        &self,
        confidential: bool,
        redirect_uris: &[&str],
        scopes: &str,
        options: ClientOptions,
    ) -> TestClient {
        self.register_with(None, confidential, redirect_uris, scopes, IdTokenAlg::default(), options).await
    }

    /// A confidential client that authenticates with `private_key_jwt`, by the keys of `jwks`.
    pub async fn create_client_with_keys(&self, jwks: String, scopes: &str) -> TestClient {
        let app = self
            .store
            .create_application(NewApplication {
                client_id: generate_client_id(),
                name: "Box Office".into(),
                redirect_uris: vec![CALLBACK.into()],
                scopes: ScopeSet::parse(scopes).unwrap(),
                jwks: Some(jwks),
                ..NewApplication::default()
            })
            .await
            .unwrap();
        TestClient { app, secret: None }
    }

    async fn register(
        &self,
        organizer_id: Option<i64>,
        confidential: bool,
        redirect_uris: &[&str],
        scopes: &str,
        id_token_alg: IdTokenAlg,
    ) -> TestClient {
        self.register_with(organizer_id, confidential, redirect_uris, scopes, id_token_alg, ClientOptions::default())
            .await
    }

    async fn register_with(
        &self,
        organizer_id: Option<i64>,
        confidential: bool,
        redirect_uris: &[&str],
        scopes: &str,
        id_token_alg: IdTokenAlg,
        options: ClientOptions,
    ) -> TestClient {
        let secret = confidential.then(Secret::generate);
        let app = self
            .store
            .create_application(NewApplication {
                client_id: generate_client_id(),
                name: "Concert Companion".into(),
                secret_hash: secret.as_ref().map(Secret::hash),
                redirect_uris: redirect_uris.iter().map(|u| u.to_string()).collect(),
                scopes: ScopeSet::parse(scopes).unwrap(),
                organizer_id,
                id_token_alg,
                options,
                ..NewApplication::default()
            })
            .await
            .unwrap();
        TestClient { app, secret: secret.map(|s| s.expose().to_owned()) }
    }

    /// Another browser, with its own cookie jar (another person, or an attacker).
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    pub async fn authorize(&self, params: &[(&str, &str)]) -> Response {
        self.browser.authorize(params).await
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.browser.sign_in(email, password).await
    }

    pub async fn consent(&self, params: &[(&str, &str)], decision: &str) -> Response {
        self.browser.consent(params, decision).await
    }

    pub async fn obtain_code(&self, email: &str, params: &[(&str, &str)]) -> String {
        self.browser.obtain_code(email, PASSWORD, params).await
    }

    /// `POST /oauth/token` with a form body, from the client application.
    pub async fn token(&self, form: &[(&str, &str)]) -> Response {
        self.http.post(self.url("/oauth/token")).form(form).send().await.unwrap()
    }

    /// `POST /oauth/token` trading `code` with body credentials.
    pub async fn redeem(&self, client: &TestClient, code: &str) -> Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
            ("redirect_uri", CALLBACK),
            ("code", code),
        ])
        .await
    }

    /// `POST /oauth/token` trading a refresh token with body credentials.
    pub async fn refresh(&self, client: &TestClient, refresh_token: &str) -> Response {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Exchanges a code with body credentials and returns the JSON body (asserting 200).
    pub async fn exchange(&self, client: &TestClient, code: &str) -> serde_json::Value {
        let response = self.redeem(client, code).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// A user token for `email` (signed in by a new browser) with `scope`, through the code flow.
    pub async fn user_token(&self, email: &str, client: &TestClient, scope: &str) -> String {
        let mut params = code_request(client);
        params.push(("scope", scope));
        let code = self.new_browser().obtain_code(email, PASSWORD, &params).await;
        self.exchange(client, &code).await["access_token"].as_str().unwrap().to_owned()
    }

    /// An application token of `client` (client credentials).
    pub async fn app_token(&self, client: &TestClient) -> String {
        let response = self
            .token(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<serde_json::Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }

    /// `GET` an API path with a bearer token; returns the status and the JSON body.
    pub async fn api_get(&self, path: &str, token: &str) -> (StatusCode, serde_json::Value) {
        let response = self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// `POST` a JSON body to an API path with a bearer token.
    pub async fn api_post(&self, path: &str, token: &str, body: serde_json::Value) -> (StatusCode, serde_json::Value) {
        let response = self.http.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// How many rows a table of the test's database holds.
    pub async fn count_rows(&self, table: &str) -> i64 {
        use sqlx::Connection;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match self.backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", self.database_url);
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
            }
            Backend::Postgres | Backend::PgBouncer => {
                let mut conn = sqlx::PgConnection::connect(&self.database_url).await.unwrap();
                sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap()
            }
        }
    }

    /// `GET /api/public/me` with a bearer header.
    pub async fn me(&self, token: &str) -> Response {
        self.http.get(self.url("/api/public/me")).bearer_auth(token).send().await.unwrap()
    }
}

/// Gives a fresh store the test process's signing keys: generated once (a 2048-bit RSA key takes
/// a while), installed as each server's first keys, as `keys::ensure` would generate them.
pub async fn install_signing_keys(store: &DynStore) {
    static KEYS: std::sync::OnceLock<Vec<ticketbooth_domain::model::NewSigningKey>> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        IdTokenAlg::ALL.into_iter().map(|alg| ticketbooth_server::keys::generate(alg).expect("a key")).collect()
    });
    let now = chrono::Utc::now();
    for key in keys {
        store.add_signing_key(key.clone(), now, now).await.expect("signing key");
    }
}

/// The standard authorization request of a confidential client.
pub fn code_request(client: &TestClient) -> Vec<(&str, &str)> {
    vec![("response_type", "code"), ("client_id", client.id()), ("redirect_uri", CALLBACK), ("state", "xyz-123")]
}

/// The parts of a token error body.
pub async fn oauth_error(response: Response) -> (StatusCode, String, serde_json::Value) {
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_owned(), body)
}

/// A client's P-256 key pair: signs DPoP proofs (RFC 9449 §4.2) and client assertions (RFC 7523).
pub struct EcKey {
    encoding: jsonwebtoken::EncodingKey,
    pub jwk: jsonwebtoken::jwk::Jwk,
}

impl EcKey {
    pub fn new() -> EcKey {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let point = secret.public_key().to_encoded_point(false);
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": Secret::generate().expose()[..8],
            "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
        });
        let der = secret.to_pkcs8_der().unwrap();
        EcKey {
            encoding: jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()),
            jwk: serde_json::from_value(jwk).unwrap(),
        }
    }

    /// The public key as a JWK Set, as a client registers it.
    pub fn jwks(&self) -> String {
        serde_json::json!({ "keys": [self.jwk] }).to_string()
    }

    /// `claims` signed with ES256 under `header` (its alg set here).
    pub fn sign(&self, mut header: jsonwebtoken::Header, claims: &serde_json::Value) -> String {
        header.alg = jsonwebtoken::Algorithm::ES256;
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// A DPoP proof for `method` on `url`, with the token's `ath` and the server's nonce if given.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>, nonce: Option<&str>) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        use sha2::Digest;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let mut claims = serde_json::json!({
            "jti": Secret::generate().expose(), "htm": method, "htu": url, "iat": chrono::Utc::now().timestamp(),
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())).into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        self.sign(header, &claims)
    }
}
