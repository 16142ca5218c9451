//! `ticketbooth`: parses the command line, sets up logging, opens the store and dispatches.

mod admin;
mod config;
mod demo;
mod resources;
mod review;
mod serve;
mod ticketing;
mod webhooks;

use anyhow::Context;
use clap::{Parser, Subcommand};
use config::{DbPooler, MigrationPolicy, Settings, SqliteSynchronous};
use figment::providers::Serialized;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Ticketbooth: an OAuth 2 authorization server and ticketing API, wire-compatible with Eventpop.
///
/// Settings come from defaults, then a TOML file (--config), then the environment
/// (TICKETBOOTH_<SETTING>, and DATABASE_URL), then flags; `ticketbooth config show` prints the result.
#[derive(Debug, Parser)]
#[command(name = "ticketbooth", version, about)]
struct Cli {
    /// A TOML file of settings, keyed like the flags (`me_rate_limit = 10`).
    #[arg(long, global = true, env = "TICKETBOOTH_CONFIG")]
    config: Option<PathBuf>,

    #[command(flatten)]
    database: DatabaseFlags,

    #[command(subcommand)]
    command: Command,
}

/// The settings every command has, as flags; unset flags leave the other sources' values.
#[derive(Debug, clap::Args, Serialize)]
struct DatabaseFlags {
    /// Database URL: a SQLite file path or `sqlite:` URL (created on first use), or a `postgres://`
    /// URL [default: ticketbooth.db; env: DATABASE_URL].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    database_url: Option<config::SecretUrl>,

    /// Most database connections this process opens (PostgreSQL) [default: 10].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    db_max_connections: Option<u32>,

    /// Seconds a request waits for a free database connection before failing (PostgreSQL) [default: 5].
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    db_acquire_timeout: Option<u64>,

    /// `full`: every SQLite commit is synced to disk before it is acknowledged, so a power cut
    /// loses nothing acknowledged; `normal`: synced at checkpoints (four a second), so a power
    /// cut or kernel crash may take back the last moments' commits [default: full].
    #[arg(long, global = true, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    sqlite_synchronous: Option<SqliteSynchronous>,

    /// `transaction`: PostgreSQL is reached through a pooler that hands out server connections
    /// per transaction (PgBouncer's `pool_mode = transaction`), so each store operation runs in
    /// one transaction with unnamed statements; `none`: a direct connection, or a session
    /// pooler [default: none].
    #[arg(long, global = true, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    db_pooler: Option<DbPooler>,

    /// `auto`: every command applies pending migrations first; `refuse`: only `migrate` does, and
    /// other commands refuse to start while any are pending [default: auto].
    #[arg(long, global = true, value_enum)]
    #[serde(skip_serializing_if = "Option::is_none")]
    migrations: Option<MigrationPolicy>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage users.
    #[command(subcommand)]
    Users(admin::UsersCommand),
    /// Manage organizers.
    #[command(subcommand)]
    Organizers(admin::OrganizersCommand),
    /// Manage API applications (OAuth clients).
    #[command(subcommand)]
    Apps(admin::AppsCommand),
    /// Read the audit log: every staff and developer action, newest first.
    Audit(review::AuditArgs),
    /// Manage events.
    #[command(subcommand)]
    Events(ticketing::EventsCommand),
    /// Record orders.
    #[command(subcommand)]
    Orders(ticketing::OrdersCommand),
    /// Manage an organizer's webhook subscriptions.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
    /// Register resource servers tokens may be issued for (RFC 8707).
    #[command(subcommand)]
    Resources(resources::ResourcesCommand),
    /// Manage id_token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Seed the demo data set (idempotent).
    Demo(demo::DemoArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the settings every source gave, as TOML, secrets masked.
    Show,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a new signing key the active one; the previous keys stay published until every token
    /// they signed has expired.
    Rotate {
        #[arg(long)]
        json: bool,
    },
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("TICKETBOOTH_LOG_FORMAT").is_ok_and(|format| format == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

/// The settings the command line gave, over the other sources'.
fn flags(cli: &Cli) -> anyhow::Result<Serialized<toml::Table>> {
    let mut flags = toml::Table::try_from(&cli.database)?;
    if let Command::Serve(args) = &cli.command {
        flags.extend(toml::Table::try_from(&args.settings)?);
    }
    Ok(Serialized::globals(flags))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref(), flags(&cli)?)?;
    if let Command::Config(ConfigCommand::Show) = cli.command {
        print!("{}", settings.to_masked_toml()?);
        return Ok(());
    }
    let store = ticketbooth_store::connect(&settings.database_url, settings.pool()).await?;
    match (&cli.command, settings.migrations) {
        (Command::Migrate, _) | (_, MigrationPolicy::Auto) => store.migrate().await?,
        (_, MigrationPolicy::Refuse) => {
            let pending = store.pending_migrations().await.context("check the database's migrations")?;
            anyhow::ensure!(
                pending.is_empty(),
                "{} database migrations are pending (versions {pending:?}); run `ticketbooth migrate` first",
                pending.len()
            );
        }
    }
    match cli.command {
        Command::Serve(args) => serve::run(store, &settings, args).await,
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => Ok(()),
        Command::Users(command) => admin::users(store, &settings, command).await,
        Command::Organizers(command) => admin::organizers(store.as_ref(), command).await,
        Command::Apps(command) => admin::apps(store, &settings, command).await,
        Command::Audit(args) => review::audit(store, args).await,
        Command::Events(command) => ticketing::events(&store, command).await,
        Command::Webhooks(command) => webhooks::run(store.as_ref(), command).await,
        Command::Resources(command) => resources::run(store.as_ref(), command).await,
        Command::Orders(command) => ticketing::orders(store.as_ref(), command).await,
        Command::Keys(KeysCommand::Rotate { json }) => {
            // One new key per algorithm; `kid` is the default algorithm's (RS256).
            let keys = ticketbooth_server::keys::rotate(&store).await?;
            let listed: Vec<_> =
                keys.iter().map(|key| serde_json::json!({ "kid": key.kid, "alg": key.algorithm })).collect();
            let text = keys.iter().map(|key| format!("{} {}", key.algorithm, key.kid)).collect::<Vec<_>>().join(", ");
            admin::print(
                json,
                serde_json::json!({ "kid": keys.first().map(|key| key.kid.clone()), "keys": listed }),
                format!("new active signing keys: {text}"),
            );
            Ok(())
        }
        Command::Demo(args) => demo::run(store.as_ref(), args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
