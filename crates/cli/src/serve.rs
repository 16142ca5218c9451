//! `ticketbooth serve`: binds, optionally seeds the demo, and serves until SIGINT or SIGTERM.

use crate::demo;
use anyhow::Context;
use clap::Args;
use std::time::Duration;
use ticketbooth_server::throttle::FailureLimits;
use ticketbooth_server::{AppState, ConnectionLimits, ServerConfig};
use ticketbooth_store::DynStore;
use tokio::net::TcpListener;

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TICKETBOOTH_ADDR", default_value = "127.0.0.1:3000")]
    addr: String,
    /// Public base URL of this server (default: http://<addr>).
    #[arg(long, env = "TICKETBOOTH_ISSUER")]
    issuer: Option<String>,
    /// Seed the demo data set into an empty database and print how to try it.
    #[arg(long)]
    demo: bool,
    /// With --demo: seed even a database that holds other users or applications.
    #[arg(long, requires = "demo")]
    force: bool,
    /// Requests per minute per token on /api/public/me (0 = no limit).
    #[arg(long, env = "TICKETBOOTH_ME_RATE_LIMIT", default_value_t = 10)]
    me_rate_limit: u32,
    /// Failed sign-ins allowed per account from one client address in 15 minutes (0 = no limit).
    #[arg(long, env = "TICKETBOOTH_SIGN_IN_FAILURES_PER_ACCOUNT", default_value_t = FailureLimits::SIGN_IN.per_subject_and_address)]
    sign_in_failures_per_account: u32,
    /// Failed sign-ins allowed per client address in 15 minutes (0 = no limit).
    #[arg(long, env = "TICKETBOOTH_SIGN_IN_FAILURES_PER_ADDRESS", default_value_t = FailureLimits::SIGN_IN.per_address)]
    sign_in_failures_per_address: u32,
    /// Failed client authentications allowed per client id from one client address in 15 minutes
    /// (0 = no limit).
    #[arg(long, env = "TICKETBOOTH_CLIENT_AUTH_FAILURES_PER_CLIENT", default_value_t = FailureLimits::CLIENT_AUTH.per_subject_and_address)]
    client_auth_failures_per_client: u32,
    /// Failed client authentications allowed per client address in 15 minutes (0 = no limit).
    #[arg(long, env = "TICKETBOOTH_CLIENT_AUTH_FAILURES_PER_ADDRESS", default_value_t = FailureLimits::CLIENT_AUTH.per_address)]
    client_auth_failures_per_address: u32,
    /// Header a trusted proxy puts the client address in (its right-most entry is used), e.g.
    /// x-forwarded-for. Without it the peer address is used.
    #[arg(long, env = "TICKETBOOTH_CLIENT_IP_HEADER")]
    client_ip_header: Option<String>,
    /// Bearer token a metrics scraper must present at /metrics; without it /metrics is not served.
    #[arg(long, env = "TICKETBOOTH_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Seconds a client has to send a request's head (from its first byte, or the connection's opening).
    #[arg(long, env = "TICKETBOOTH_HEADER_READ_TIMEOUT", default_value_t = 10)]
    header_read_timeout: u64,
    /// Seconds to answer a request, reading its body included (408 after).
    #[arg(long, env = "TICKETBOOTH_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Seconds a kept-alive connection may sit idle before it is closed.
    #[arg(long, env = "TICKETBOOTH_IDLE_TIMEOUT", default_value_t = 60)]
    idle_timeout: u64,
    /// Seconds a shutdown waits for open requests before dropping their connections.
    #[arg(long, env = "TICKETBOOTH_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    shutdown_timeout: u64,
    /// Seconds between sweeps of expired codes, tokens and sessions (0 = never).
    #[arg(long, env = "TICKETBOOTH_SWEEP_INTERVAL", default_value_t = 300)]
    sweep_interval: u64,
}

pub(crate) async fn run(store: DynStore, args: ServeArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(&args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    let local = listener.local_addr()?;
    let issuer = args.issuer.unwrap_or_else(|| format!("http://{local}"));
    ticketbooth_server::keys::ensure(&store).await?;
    let mut config = ServerConfig::new(&issuer);
    config.me_rate_limit = args.me_rate_limit;
    config.sign_in_limits = FailureLimits {
        per_subject_and_address: args.sign_in_failures_per_account,
        per_address: args.sign_in_failures_per_address,
        ..FailureLimits::SIGN_IN
    };
    config.client_auth_limits = FailureLimits {
        per_subject_and_address: args.client_auth_failures_per_client,
        per_address: args.client_auth_failures_per_address,
        ..FailureLimits::CLIENT_AUTH
    };
    config.connection_limits = ConnectionLimits {
        header_read: Duration::from_secs(args.header_read_timeout.max(1)),
        request: Duration::from_secs(args.request_timeout.max(1)),
        idle: Duration::from_secs(args.idle_timeout.max(1)),
        shutdown_grace: Duration::from_secs(args.shutdown_timeout),
    };
    config.metrics_token = args.metrics_token.filter(|token| !token.is_empty());
    config.client_ip_header = args.client_ip_header.map(|header| header.to_ascii_lowercase());
    if args.demo {
        let seeded = demo::seed(store.as_ref(), &config.issuer, args.force).await?;
        eprintln!("{}", demo::instructions(&seeded, &config.issuer));
        config.demo = Some(seeded.credentials());
    }
    let sweeper = (args.sweep_interval > 0)
        .then(|| ticketbooth_server::spawn_sweeper(store.clone(), Duration::from_secs(args.sweep_interval)));
    tracing::info!(%local, %issuer, "ticketbooth listening");
    ticketbooth_server::serve(listener, AppState::new(store, config), shutdown_signal()).await?;
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
