//! The backends every behaviour test runs on: SQLite always, PostgreSQL when `TEST_DATABASE_URL`
//! names a server (each run in a fresh schema), and PostgreSQL through a transaction-pooling
//! PgBouncer when `pgbouncer` is installed too (each run in a fresh database).

use ticketbooth_domain::model::{NewApplication, NewUser};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_store::DynStore;

pub(crate) struct Backend {
    pub(crate) name: &'static str,
    pub(crate) store: DynStore,
    /// The database's URL, for a test that must go around the store.
    pub(crate) url: String,
    pub(crate) _dir: Option<tempfile::TempDir>,
}

pub(crate) async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("behaviour.db");
    let sqlite = ticketbooth_store::connect(path.to_str().unwrap(), Default::default()).await.unwrap();
    sqlite.migrate().await.unwrap();
    let url = format!("sqlite://{}", path.display());
    let mut backends = vec![Backend { name: "sqlite", store: sqlite, url, _dir: Some(dir) }];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(base) => {
            let url = ticketbooth_store::postgres::create_isolated_schema(&base).await.unwrap();
            let postgres = ticketbooth_store::connect(&url, Default::default()).await.unwrap();
            postgres.migrate().await.unwrap();
            backends.push(Backend { name: "postgres", store: postgres, url, _dir: None });
            match through_pgbouncer(&base).await {
                Some(backend) => backends.push(backend),
                None => eprintln!("skipped: pgbouncer is not installed, so this test did not run through it"),
            }
        }
        Err(_) => {
            eprintln!("skipped: TEST_DATABASE_URL is not set, so this test ran on SQLite only")
        }
    }
    backends
}

/// A store on a fresh database behind the test process's PgBouncer; its `url` goes around the
/// pooler.
async fn through_pgbouncer(base: &str) -> Option<Backend> {
    let bouncer = ticketbooth_testkit::pgbouncer::shared(base)?;
    let (database, url) = ticketbooth_store::postgres::create_isolated_database(base).await.unwrap();
    let settings =
        ticketbooth_store::PoolSettings { pooler: ticketbooth_store::Pooler::Transaction, ..Default::default() };
    let store = ticketbooth_store::connect(&bouncer.url(&database), settings).await.unwrap();
    store.migrate().await.unwrap();
    Some(Backend { name: "pgbouncer", store, url, _dir: None })
}

pub(crate) fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: "$argon2id$stub-not-verified-here".into(),
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        phone: None,
        is_admin: false,
        email_verified: true,
        language: Default::default(),
    }
}

pub(crate) fn new_app(client_id: &str) -> NewApplication {
    NewApplication {
        client_id: client_id.into(),
        name: "App".into(),
        secret_hash: Some(SecretHash::of("secret")),
        redirect_uris: vec!["https://a.example/cb".into(), "com.example.app:/cb".into()],
        scopes: ScopeSet::parse("public organizer").unwrap(),
        organizer_id: None,
        id_token_alg: Default::default(),
        ..NewApplication::default()
    }
}
