//! `ticketbooth`: parses the command line, sets up logging, opens the store and dispatches.

mod admin;
mod demo;
mod serve;
mod ticketing;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::time::Duration;
use ticketbooth_store::PoolSettings;
use tracing_subscriber::EnvFilter;

/// Ticketbooth: an OAuth 2 authorization server and ticketing API, wire-compatible with Eventpop.
#[derive(Debug, Parser)]
#[command(name = "ticketbooth", version, about)]
struct Cli {
    /// Database URL: a SQLite file path or `sqlite:` URL (created and migrated on first use), or a
    /// `postgres://` URL.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "ticketbooth.db")]
    database_url: String,

    /// Most database connections this process opens (PostgreSQL).
    #[arg(long, global = true, env = "TICKETBOOTH_DB_MAX_CONNECTIONS", default_value_t = 10)]
    db_max_connections: u32,

    /// Seconds a request waits for a free database connection before failing (PostgreSQL).
    #[arg(long, global = true, env = "TICKETBOOTH_DB_ACQUIRE_TIMEOUT", default_value_t = 5)]
    db_acquire_timeout: u64,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    Users(admin::UsersCommand),
    /// Manage organizers.
    #[command(subcommand)]
    Organizers(admin::OrganizersCommand),
    /// Manage API applications (OAuth clients).
    #[command(subcommand)]
    Apps(admin::AppsCommand),
    /// Manage events.
    #[command(subcommand)]
    Events(ticketing::EventsCommand),
    /// Record orders.
    #[command(subcommand)]
    Orders(ticketing::OrdersCommand),
    /// Manage id_token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Seed the demo data set (idempotent).
    Demo(demo::DemoArgs),
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    let pool = PoolSettings {
        max_connections: cli.db_max_connections.max(1),
        acquire_timeout: Duration::from_secs(cli.db_acquire_timeout),
    };
    let store = ticketbooth_store::connect(&cli.database_url, pool).await?;
    store.migrate().await?;
    match cli.command {
        Command::Serve(args) => serve::run(store, args).await,
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Users(command) => admin::users(store.as_ref(), command).await,
        Command::Organizers(command) => admin::organizers(store.as_ref(), command).await,
        Command::Apps(command) => admin::apps(store.as_ref(), command).await,
        Command::Events(command) => ticketing::events(store.as_ref(), command).await,
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
