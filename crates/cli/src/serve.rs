//! `ticketbooth serve`: binds, optionally seeds the demo, and serves until SIGINT or SIGTERM.

use crate::config::Settings;
use crate::demo;
use anyhow::Context;
use clap::Args;
use serde::Serialize;
use std::time::Duration;
use ticketbooth_server::{AppState, ServerConfig};
use ticketbooth_store::DynStore;
use tokio::net::TcpListener;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Seed the demo data set into an empty database and print how to try it.
    #[arg(long)]
    demo: bool,
    /// With --demo: seed even a database that holds other users or applications.
    #[arg(long, requires = "demo")]
    force: bool,
    #[command(flatten)]
    pub(crate) settings: ServeFlags,
}

/// The server's settings, as flags; unset flags leave the other sources' values (defaults in
/// brackets; each also reads `TICKETBOOTH_<NAME>` and the configuration file's `<name>`).
#[derive(Debug, clap::Args, Serialize)]
pub(crate) struct ServeFlags {
    /// Address to listen on [127.0.0.1:3000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    addr: Option<String>,
    /// Public base URL of this server [http://<addr>].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    /// Requests per minute per token on /api/public/me (0 = no limit) [10].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    me_rate_limit: Option<u32>,
    /// Failed sign-ins allowed per account from one client address in 15 minutes (0 = no limit) [10].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_in_failures_per_account: Option<u32>,
    /// Failed sign-ins allowed per client address in 15 minutes (0 = no limit) [100].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_in_failures_per_address: Option<u32>,
    /// Failed client authentications allowed per client id from one client address in 15 minutes
    /// (0 = no limit) [20].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    client_auth_failures_per_client: Option<u32>,
    /// Failed client authentications allowed per client address in 15 minutes (0 = no limit) [200].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    client_auth_failures_per_address: Option<u32>,
    /// Header a trusted proxy puts the client address in (its right-most entry is used), e.g.
    /// x-forwarded-for. Without it the peer address is used.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ip_header: Option<String>,
    /// Bearer token a metrics scraper must present at /metrics; without it /metrics is not served.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics_token: Option<crate::config::SecretFlag>,
    /// Seconds a client has to send a request's head (from its first byte, or the connection's
    /// opening) [10].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    header_read_timeout: Option<u64>,
    /// Seconds to answer a request, reading its body included (408 after) [30].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    request_timeout: Option<u64>,
    /// Seconds a kept-alive connection may sit idle before it is closed [60].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    idle_timeout: Option<u64>,
    /// Seconds a shutdown waits for open requests before dropping their connections [30].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    shutdown_timeout: Option<u64>,
    /// Requests handled at once; past it requests are answered 503 with Retry-After at once,
    /// instead of queueing [32 per core].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_concurrent_requests: Option<usize>,
    /// Seconds between sweeps of expired codes, tokens and sessions (0 = never) [300].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    sweep_interval: Option<u64>,
    /// Let people create their own accounts at /account/new [on].
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_up: Option<crate::config::Switch>,
    /// Send mail through this SMTP server: smtp://user:pass@host:port (add ?tls=required for
    /// STARTTLS) or smtps://user:pass@host:port. Without it, mail goes to --mail-outbox.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    smtp_url: Option<crate::config::SecretUrl>,
    /// Directory that receives each message as an .eml file when there is no --smtp-url [mail-outbox].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    mail_outbox: Option<String>,
    /// The From of every message [Ticketbooth <no-reply@localhost>].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    mail_from: Option<String>,
    /// Let webhook endpoints be http:// on loopback and on private or link-local addresses
    /// (development and tests only: it turns off the protection against reaching internal
    /// services) [off].
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_insecure_webhooks: bool,
    /// `eventpop` keeps Eventpop's compatibility (tokens in the query string and form body,
    /// PKCE optional for confidential clients); `oauth2.1` drops what OAuth 2.1 and RFC 9700
    /// discourage [eventpop].
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<crate::config::ProfileName>,
    /// Clients whose client_id is the https URL of their metadata document: `off` refuses them,
    /// `approval` holds each new one for an admin's approval in /admin, `open` takes them at once
    /// (people still see the consent page) [approval].
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    client_metadata_documents: Option<crate::config::Arrival>,
    /// Dynamic client registration at /oauth/register (RFC 7591): `off`, `approval` (registered
    /// clients wait for an admin) or `open` [off].
    #[arg(long, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    registration: Option<crate::config::Arrival>,
    /// Let metadata documents be fetched from loopback and private addresses (development and
    /// tests only: it turns off the protection against reaching internal services) [off].
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    allow_private_client_metadata: bool,
    /// A PEM file of an extra root certificate trusted when fetching metadata documents (a
    /// private certificate authority).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    client_metadata_ca_file: Option<String>,
}

pub(crate) async fn run(store: DynStore, settings: &Settings, args: ServeArgs) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(&settings.addr).await.with_context(|| format!("cannot listen on {}", settings.addr))?;
    let local = listener.local_addr()?;
    let issuer = settings.issuer.clone().unwrap_or_else(|| format!("http://{local}"));
    ticketbooth_server::keys::ensure(&store).await?;
    let config = settings.server(&issuer)?;
    let demo = match args.demo {
        true => {
            let seeded = demo::seed(store.as_ref(), &config.issuer, args.force).await?;
            eprintln!("{}", demo::instructions(&seeded, &config.issuer));
            Some(seeded.credentials())
        }
        false => None,
    };
    let config = ServerConfig { demo, ..config };
    ticketbooth_server::check_mail(&config.mail).map_err(|err| anyhow::anyhow!("mail: {err}"))?;
    let state = AppState::new(store.clone(), config);
    let delivery =
        ticketbooth_server::spawn_mail_delivery(store.clone(), state.config.mail.clone(), state.mail_queued.clone());
    let logouts = ticketbooth_server::spawn_logout_delivery(state.clone());
    let webhooks = ticketbooth_server::spawn_webhook_delivery(
        store.clone(),
        state.config.webhooks.clone(),
        state.config.issuer.clone(),
        state.webhooks_queued.clone(),
    );
    let sweeper = (settings.sweep_interval > 0)
        .then(|| ticketbooth_server::spawn_sweeper(store.clone(), Duration::from_secs(settings.sweep_interval)));
    tracing::info!(%local, %issuer, "ticketbooth listening");
    ticketbooth_server::serve(listener, state, shutdown_signal()).await?;
    // Mail not yet delivered stays in the outbox for the next start (or another instance).
    delivery.abort();
    // Webhook deliveries not yet recorded are sent again once their claim runs out.
    webhooks.abort();
    logouts.abort();
    if let Some(sweeper) = sweeper {
        sweeper.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
