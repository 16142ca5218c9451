//! The data set a benchmark run needs, written straight into the store (bulk where it is large)
//! and, for the secrets the load generator must present, into plain files.

use anyhow::Context;
use chrono::{Duration, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use ticketbooth_domain::model::{BrowserSession, NewAccessToken, NewApplication, NewAuthorizationCode, NewUser};
use ticketbooth_domain::password;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{Secret, SecretHash};
use ticketbooth_domain::ticketing::{NewEvent, NewTicketType};
use ticketbooth_domain::token::{ACCESS_TOKEN_TTL, AUTHORIZATION_CODE_TTL, REFRESH_TOKEN_TTL};
use ticketbooth_domain::webhooks::EventType;
use ticketbooth_store::{DynStore, NewEndpoint};

pub(crate) const CLIENT_ID: &str = "bench-client";
pub(crate) const CLIENT_SECRET: &str = "bench-secret";
pub(crate) const CALLBACK: &str = "https://bench.example/callback";
pub(crate) const EMAIL: &str = "bench@ticketbooth.test";
pub(crate) const PASSWORD: &str = "bench-password";
/// People signing in during the sign-in scenario, in turn: many people at once, as on a busy
/// evening, not one person 32 times in parallel (which the per-account throttle refuses past
/// its limit, as it must).
const SIGN_IN_USERS: usize = 256;

/// How much to prepare.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    /// Users besides the bench user (they share one password hash: hashing 100,000 passwords
    /// with Argon2id would take hours and changes nothing the benchmark reads).
    pub(crate) filler_users: usize,
    /// Live tokens besides the ones the load generator presents.
    pub(crate) filler_tokens: usize,
    /// Known access tokens, cycled by the read scenarios.
    pub(crate) bearer_tokens: usize,
    /// Single-use codes and refresh tokens: enough for the fastest expected run.
    pub(crate) single_use: usize,
    /// Anonymous sessions with their CSRF tokens and who signs in with each, one per sign-in.
    pub(crate) sessions: usize,
    /// Single-use DPoP proofs for the DPoP-bound reads.
    pub(crate) dpop_proofs: usize,
}

/// The files holding the secrets for the load generator.
pub(crate) struct DataFiles {
    pub(crate) bearer: PathBuf,
    pub(crate) codes: PathBuf,
    pub(crate) refresh: PathBuf,
    pub(crate) sessions: PathBuf,
    pub(crate) webhooks: WebhookWorld,
    /// Device codes of pending device authorizations.
    pub(crate) devices: PathBuf,
    /// "token proof" lines: DPoP-bound tokens with single-use proofs.
    pub(crate) dpop: PathBuf,
}

/// The webhooks scenario's organizer: an event with room for every ticket the run creates, an
/// application token that may create them, and an endpoint subscribed to `ticket.created`.
pub(crate) struct WebhookWorld {
    pub(crate) organizer_id: i64,
    pub(crate) event_id: i64,
    pub(crate) ticket_type_id: i64,
    pub(crate) endpoint_id: i64,
    pub(crate) token: String,
}

/// Where the webhook endpoint points until the scenario's receiver is up: a port nobody listens
/// on, so deliveries wait in the queue.
pub(crate) const UNREACHABLE_HOOK: &str = "http://127.0.0.1:9/hooks";

async fn webhook_world(store: &DynStore) -> anyhow::Result<WebhookWorld> {
    let organizer = store.create_organizer("Bench Live", &[]).await?;
    let start = Utc::now() + Duration::days(7);
    let (event, types) = store
        .create_event(NewEvent {
            organizer_id: organizer.id,
            title: "Bench Night".into(),
            description: String::new(),
            description_en: String::new(),
            location_name: "Bangkok".into(),
            cover_url: None,
            poster_url: None,
            start_at: start,
            end_at: start + Duration::hours(4),
            api_ticket_quota: i64::MAX,
            ticket_types: vec![NewTicketType { name: "GA".into(), price_satangs: 0, quota: None }],
        })
        .await?;
    let app = store
        .create_application(NewApplication {
            client_id: "bench-box-office".into(),
            name: "Box office".into(),
            secret_hash: Some(SecretHash::of(CLIENT_SECRET)),
            redirect_uris: vec![CALLBACK.into()],
            scopes: ScopeSet::parse("public organizer")?,
            organizer_id: Some(organizer.id),
            id_token_alg: Default::default(),
            ..NewApplication::default()
        })
        .await?;
    let token = Secret::generate();
    let now = Utc::now();
    store
        .import_access_tokens(&[NewAccessToken {
            scopes: ScopeSet::parse("organizer")?,
            user_id: None,
            ..self::token(app.id, 0, token.hash(), None)
        }])
        .await?;
    let endpoint = store
        .create_webhook_endpoint(
            NewEndpoint {
                organizer_id: organizer.id,
                url: UNREACHABLE_HOOK.into(),
                description: "bench receiver".into(),
                events: vec![EventType::TicketCreated],
                secret: ticketbooth_domain::webhooks::generate_secret(),
            },
            now,
        )
        .await?;
    Ok(WebhookWorld {
        organizer_id: organizer.id,
        event_id: event.id,
        ticket_type_id: types[0].id,
        endpoint_id: endpoint.id,
        token: token.expose().to_owned(),
    })
}

fn progress(label: &str, done: usize, total: usize, started: Instant) {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    eprint!(
        "\r  {label:<14} [{}{}] {done:>9}/{total} {:>5.1}s",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        started.elapsed().as_secs_f64()
    );
    if done >= total {
        eprintln!();
    }
}

pub(crate) fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).with_context(|| path.display().to_string())?);
    for line in lines {
        writeln!(file, "{line}")?;
    }
    Ok(file.flush()?)
}

/// The `number`th user of a bulk set, all sharing one password hash.
fn user_with_hash(email: String, first_name: &str, number: usize, hash: &str) -> NewUser {
    NewUser {
        email,
        password_hash: hash.to_owned(),
        first_name: first_name.into(),
        last_name: number.to_string(),
        phone: None,
        is_admin: false,
        email_verified: true,
        language: Default::default(),
    }
}

pub(crate) fn token(
    application_id: i64,
    user_id: i64,
    access: SecretHash,
    refresh: Option<SecretHash>,
) -> NewAccessToken {
    let now = Utc::now();
    NewAccessToken {
        access_token_hash: access,
        refresh_token_hash: refresh,
        application_id,
        user_id: Some(user_id),
        scopes: ScopeSet::parse("public").unwrap_or_default(),
        authorization_code_id: None,
        previous_token_id: None,
        family_id: None,
        created_at: now,
        // Long enough that no token expires during a run.
        expires_at: now + ACCESS_TOKEN_TTL,
        refresh_expires_at: refresh.map(|_| now + REFRESH_TOKEN_TTL),
        grace_salt: None,
        dpop_jkt: None,
        audience: None,
    }
}

/// Fills a fresh, migrated store and writes the secrets into `dir`.
pub(crate) async fn prepare(store: &DynStore, sizes: Sizes, base: &str, dir: &Path) -> anyhow::Result<DataFiles> {
    let hash = tokio::task::spawn_blocking(|| password::hash(PASSWORD)).await??;
    let user = store
        .create_user(NewUser {
            email: EMAIL.into(),
            password_hash: hash.clone(),
            first_name: "Bench".into(),
            last_name: "Mark".into(),
            phone: None,
            is_admin: false,
            email_verified: true,
            language: Default::default(),
        })
        .await?;
    let app = store
        .create_application(NewApplication {
            client_id: CLIENT_ID.into(),
            name: "Benchmark".into(),
            secret_hash: Some(SecretHash::of(CLIENT_SECRET)),
            redirect_uris: vec![CALLBACK.into()],
            scopes: ScopeSet::parse("public")?,
            organizer_id: None,
            id_token_alg: Default::default(),
            ..NewApplication::default()
        })
        .await?;

    let started = Instant::now();
    for start in (0..sizes.filler_users).step_by(10_000) {
        let batch: Vec<NewUser> = (start..(start + 10_000).min(sizes.filler_users))
            .map(|i| user_with_hash(format!("user{i}@bench.example"), "Filler", i, &hash))
            .collect();
        store.import_users(&batch).await?;
        progress("users", start + batch.len(), sizes.filler_users, started);
    }

    let started = Instant::now();
    for start in (0..sizes.filler_tokens).step_by(20_000) {
        let count = (sizes.filler_tokens - start).min(20_000);
        let batch: Vec<NewAccessToken> =
            (0..count).map(|_| token(app.id, user.id, Secret::generate().hash(), None)).collect();
        store.import_access_tokens(&batch).await?;
        progress("filler tokens", start + count, sizes.filler_tokens, started);
    }

    let bearer: Vec<Secret> = (0..sizes.bearer_tokens).map(|_| Secret::generate()).collect();
    let refresh: Vec<Secret> = (0..sizes.single_use).map(|_| Secret::generate()).collect();
    let mut rows: Vec<NewAccessToken> = bearer.iter().map(|s| token(app.id, user.id, s.hash(), None)).collect();
    rows.extend(refresh.iter().map(|s| token(app.id, user.id, Secret::generate().hash(), Some(s.hash()))));
    store.import_access_tokens(&rows).await?;

    let started = Instant::now();
    let now = Utc::now();
    let codes: Vec<Secret> = (0..sizes.single_use).map(|_| Secret::generate()).collect();
    for (i, code) in codes.iter().enumerate() {
        store
            .create_authorization_code(NewAuthorizationCode {
                code_hash: code.hash(),
                application_id: app.id,
                user_id: user.id,
                redirect_uri: CALLBACK.into(),
                redirect_uri_was_sent: true,
                scopes: ScopeSet::parse("public")?,
                code_challenge: None,
                nonce: None,
                auth_time: now,
                created_at: now,
                // Codes must outlive preparation and the run.
                expires_at: now + AUTHORIZATION_CODE_TTL + Duration::minutes(50),
                resource: None,
            })
            .await?;
        if (i + 1) % 5000 == 0 || i + 1 == codes.len() {
            progress("codes", i + 1, codes.len(), started);
        }
    }

    let sign_in_users: Vec<NewUser> =
        (0..SIGN_IN_USERS).map(|i| user_with_hash(format!("signin{i}@bench.example"), "Visitor", i, &hash)).collect();
    store.import_users(&sign_in_users).await?;
    let mut sessions = Vec::with_capacity(sizes.sessions);
    for i in 0..sizes.sessions {
        let id = Secret::generate();
        let csrf = Secret::generate().expose().to_owned();
        store
            .create_session(&BrowserSession {
                id_hash: id.hash(),
                user_id: None,
                csrf_token: csrf.clone(),
                authenticated_at: None,
                expires_at: now + Duration::hours(1),
                origin: Default::default(),
            })
            .await?;
        sessions.push(format!("{} {csrf} {}", id.expose(), sign_in_users[i % SIGN_IN_USERS].email));
    }

    let webhooks = webhook_world(store).await?;
    let devices = crate::modern::devices(store, dir).await?;
    let dpop = crate::modern::dpop_reads(store, app.id, user.id, base, sizes.dpop_proofs, dir).await?;
    let files = DataFiles {
        webhooks,
        devices,
        dpop,
        bearer: dir.join("bearer.txt"),
        codes: dir.join("codes.txt"),
        refresh: dir.join("refresh.txt"),
        sessions: dir.join("sessions.txt"),
    };
    write_lines(&files.bearer, bearer.iter().map(|s| s.expose().to_owned()))?;
    write_lines(&files.codes, codes.iter().map(|s| s.expose().to_owned()))?;
    write_lines(&files.refresh, refresh.iter().map(|s| s.expose().to_owned()))?;
    write_lines(&files.sessions, sessions.into_iter())?;
    Ok(files)
}
