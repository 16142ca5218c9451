//! `ticketbooth-bench`: prepares a data set, starts the release server on it, drives every
//! scenario with wrk and reports requests per second, latency, errors and the server's memory.
//! Run it through `bench/run`, which builds the release binaries and installs wrk first.

mod modern;
mod overload;
mod pg_costs;
mod prepare;
mod report;
mod scenarios;
mod webhooks;

use anyhow::{bail, Context};
use clap::Parser;
use prepare::Sizes;
use report::{Measurement, Report};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Load benchmark for Ticketbooth.
#[derive(Debug, Parser)]
struct Args {
    /// The release `ticketbooth` binary to benchmark.
    #[arg(long, default_value = "target/release/ticketbooth")]
    server: PathBuf,
    /// A few seconds per scenario and a small data set: the regression guard CI runs.
    #[arg(long)]
    quick: bool,
    /// Load 1,000,000 live tokens and 100,000 users before measuring.
    #[arg(long)]
    large: bool,
    /// Also run every scenario on this PostgreSQL server (a fresh schema is made).
    #[arg(long, env = "BENCH_POSTGRES_URL")]
    postgres: Option<String>,
    /// Also run every scenario through the transaction-pooling PgBouncer at this URL, without a
    /// database (`postgres://user@host:port`), in front of the `--postgres` server: a fresh
    /// database is made there, and the server runs with `--db-pooler transaction`.
    #[arg(long, env = "BENCH_PGBOUNCER_URL", requires = "postgres")]
    pgbouncer: Option<String>,
    /// Seconds per scenario (default 10, quick 3).
    #[arg(long)]
    duration: Option<u32>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Where results.json, results.md and results.svg go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// On PostgreSQL, also read commits, rows written and WAL bytes per request from the
    /// server's statistics (waits 11 s after each scenario for them).
    #[arg(long)]
    postgres_costs: bool,
    /// Only these scenarios (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[derive(Deserialize)]
struct WrkSummary {
    requests: u64,
    duration_us: u64,
    errors: u64,
    /// Of `errors`, the answers of status 400 and above.
    #[serde(default)]
    status_errors: u64,
    p50_us: u64,
    p99_us: u64,
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_server(binary: &Path, database: &Database, port: u16) -> anyhow::Result<Server> {
    let pooler = if database.pooled { "transaction" } else { "none" };
    let child = Command::new(binary)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--database-url", &database.server_url])
        .args(["--db-pooler", pooler])
        // The `/me` limit (10 a minute per token) would make bearer-read measure refusals. The
        // failure throttles stay on: they only count failures, but are checked on every request.
        .args(["--me-rate-limit", "0", "--sweep-interval", "0"])
        .args(["--metrics-token", overload::METRICS_TOKEN])
        // The webhooks scenario's receiver listens on 127.0.0.1.
        .arg("--allow-insecure-webhooks")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("start {}", binary.display()))?;
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the server did not start listening");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

/// Resident set size of a process, in MB.
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub(crate) fn run_wrk(
    server: &Server,
    scenario: &scenarios::Scenario,
    seconds: u32,
    connections: u32,
    dir: &Path,
) -> anyhow::Result<(WrkSummary, f64)> {
    const THREADS: u32 = 2;
    let script = dir.join(format!("{}.lua", scenario.name));
    std::fs::write(&script, &scenario.script)?;
    let mut wrk = Command::new("wrk")
        .args(["-t", &THREADS.to_string(), "-c", &connections.to_string(), "-d", &format!("{seconds}s")])
        .args(["--latency", "-s"])
        .arg(&script)
        .arg(&server.base)
        .env("BENCH_THREADS", THREADS.to_string())
        .env("BENCH_DATA", scenario.data.as_deref().map(Path::as_os_str).unwrap_or_default())
        .stdout(Stdio::piped())
        .spawn()
        .context("run wrk (bench/run installs it)")?;
    let mut peak = 0.0_f64;
    while wrk.try_wait()?.is_none() {
        peak = peak.max(rss_mb(server.child.id()));
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = wrk.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .with_context(|| format!("wrk printed no summary for {}: {stdout}", scenario.name))?;
    Ok((serde_json::from_str(line)?, peak))
}

/// A backend's fresh database.
struct Database {
    /// What the server connects to.
    server_url: String,
    /// The same database past any pooler (to prepare the data set and read statistics).
    direct_url: String,
    /// The server reaches it through a transaction pooler.
    pooled: bool,
}

async fn fresh_database(backend: &str, args: &Args, dir: &Path) -> anyhow::Result<Database> {
    let direct = |url: String| Database { server_url: url.clone(), direct_url: url, pooled: false };
    Ok(match (backend, args.postgres.as_deref(), args.pgbouncer.as_deref()) {
        ("postgres", Some(url), _) => direct(ticketbooth_store::postgres::create_isolated_schema(url).await?),
        ("pgbouncer", Some(url), Some(pooler)) => {
            let (name, direct_url) = ticketbooth_store::postgres::create_isolated_database(url).await?;
            let server_url = format!("{}/{name}", pooler.trim_end_matches('/'));
            Database { server_url, direct_url, pooled: true }
        }
        _ => direct(dir.join("bench.db").to_string_lossy().into_owned()),
    })
}

/// One wrk run as a measurement.
fn measurement(
    backend: &str,
    scenario: &str,
    summary: &WrkSummary,
    rss_idle: f64,
    rss_peak: f64,
    healthz: f64,
) -> Measurement {
    let rate = summary.requests as f64 / (summary.duration_us.max(1) as f64 / 1e6);
    Measurement {
        backend: backend.into(),
        scenario: scenario.into(),
        requests: summary.requests,
        requests_per_second: rate,
        p50_ms: summary.p50_us as f64 / 1000.0,
        p99_ms: summary.p99_us as f64 / 1000.0,
        errors: summary.errors,
        rss_idle_mb: rss_idle,
        rss_peak_mb: rss_peak.max(rss_idle),
        ratio_to_healthz: rate / healthz,
        postgres_costs: None,
    }
}

/// What a scenario run needs to know of its surroundings.
pub(crate) struct Run<'a> {
    server: &'a Server,
    seconds: u32,
    connections: u32,
    dir: &'a Path,
    rss_idle: f64,
    healthz: f64,
}

/// The webhooks scenario (see `webhooks`): ticket creation into the outbox; the backlog's
/// delivery to a local receiver alone; then a second backlog delivered while `bearer-read` runs.
async fn measure_webhooks(
    run: &Run<'_>,
    backend: &str,
    files: &prepare::DataFiles,
) -> anyhow::Result<Vec<Measurement>> {
    let world = &files.webhooks;
    let (url, received) = webhooks::start_receiver().await?;
    let patience = Duration::from_secs(300);
    let mut measured = Vec::new();
    let mut delivered_before = 0;
    for with_reads in [false, true] {
        webhooks::point_endpoint(&run.server.base, world, prepare::UNREACHABLE_HOOK).await?;
        eprintln!("== {backend}: ticket-create (webhook events into the outbox) for {} s", run.seconds);
        let create = webhooks::ticket_create(world);
        let (created, peak) = run_wrk(run.server, &create, run.seconds, run.connections, run.dir)?;
        if !with_reads {
            measured.push(measurement(backend, "ticket-create", &created, run.rss_idle, peak, run.healthz));
        }
        let expected = delivered_before + created.requests.saturating_sub(created.errors);
        webhooks::point_endpoint(&run.server.base, world, &url).await?;
        let resumed = Instant::now();
        let (delivered, rate, peak) = if with_reads {
            eprintln!(
                "== {backend}: bearer-read while {} webhook deliveries drain, for {} s",
                created.requests, run.seconds
            );
            let bearer = scenarios::all(files).into_iter().find(|s| s.name == "bearer-read").context("bearer-read")?;
            // wrk and the wait both block: here and on a scoped thread, while the receiver
            // answers on the runtime's other threads.
            let (reading, drain) = tokio::task::block_in_place(|| {
                std::thread::scope(|scope| {
                    let drain = scope.spawn(|| webhooks::drained(&received, expected, resumed, patience));
                    (run_wrk(run.server, &bearer, run.seconds, run.connections, run.dir), drain.join())
                })
            });
            let (reads, peak) = reading?;
            measured.push(measurement(backend, "bearer-read (delivering)", &reads, run.rss_idle, peak, run.healthz));
            let (delivered, rate) = drain.map_err(|_| anyhow::anyhow!("the delivery wait panicked"))??;
            (delivered, rate, peak)
        } else {
            eprintln!("== {backend}: delivering {} webhook events", created.requests);
            let drain = tokio::task::block_in_place(|| webhooks::drained(&received, expected, resumed, patience));
            let (delivered, rate) = drain?;
            (delivered, rate, rss_mb(run.server.child.id()))
        };
        measured.push(Measurement {
            backend: backend.into(),
            scenario: if with_reads { "webhook-deliveries (with reads)" } else { "webhook-deliveries" }.into(),
            requests: delivered - delivered_before,
            requests_per_second: rate,
            p50_ms: 0.0,
            p99_ms: 0.0,
            errors: 0,
            rss_idle_mb: run.rss_idle,
            rss_peak_mb: run.rss_idle.max(peak),
            ratio_to_healthz: rate / run.healthz,
            postgres_costs: None,
        });
        delivered_before = delivered;
    }
    Ok(measured)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seconds = args.duration.unwrap_or(if args.quick { 3 } else { 10 });
    // Enough single-use secrets for 40,000 requests a second (twice the fastest seen), and
    // sign-ins for 400 a second.
    let sizes = Sizes {
        filler_users: if args.large { 100_000 } else { 0 },
        filler_tokens: if args.large { 1_000_000 } else { 0 },
        bearer_tokens: 1_000,
        single_use: 40_000 * seconds as usize,
        sessions: 400 * seconds as usize,
        dpop_proofs: 20_000 * seconds as usize,
    };
    let mut backends = vec!["sqlite"];
    if args.postgres.is_some() {
        backends.push("postgres");
    }
    if args.pgbouncer.is_some() {
        backends.push("pgbouncer");
    }
    // Whether `--only` (empty: everything) names a scenario.
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let mut measurements = Vec::new();
    for backend in backends {
        let dir = std::env::temp_dir().join(format!("ticketbooth-bench-{}-{backend}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let database = fresh_database(backend, &args, &dir).await?;
        let database_url = database.direct_url.clone();
        eprintln!("== {backend}: preparing the data set");
        let store = ticketbooth_store::connect(&database_url, Default::default()).await?;
        store.migrate().await?;
        // The port is chosen first: the DPoP proofs name the server's URL.
        let port = free_port()?;
        let files = prepare::prepare(&store, sizes, &format!("http://127.0.0.1:{port}"), &dir).await?;
        drop(store);

        let server = start_server(&args.server, &database, port)?;
        std::thread::sleep(Duration::from_millis(500));
        let rss_idle = rss_mb(server.child.id());
        let mut healthz_rate = None;
        for scenario in scenarios::all(&files) {
            if !wanted(scenario.name) {
                continue;
            }
            eprintln!("== {backend}: {} for {seconds} s", scenario.name);
            let costed = backend != "sqlite" && args.postgres_costs && scenario.name != "healthz";
            let counters = if costed { Some(pg_costs::read(&database_url).await?) } else { None };
            let (mut summary, rss_peak) = run_wrk(&server, &scenario, seconds, args.connections, &dir)?;
            let costs = match counters {
                Some(before) => {
                    tokio::time::sleep(pg_costs::REPORTING_DELAY).await;
                    let costs = before.per_request(&pg_costs::read(&database_url).await?, summary.requests);
                    eprintln!("   per request: {costs:?}");
                    Some(costs)
                }
                None => None,
            };
            if scenario.refusals_expected {
                // device-poll measures the answer a pending device gets: 400 authorization_pending.
                summary.errors -= summary.status_errors.min(summary.errors);
            }
            if let (true, Some(data)) = (scenario.single_use, &scenario.data) {
                let supplied = std::fs::read_to_string(data)?.lines().count() as u64;
                if summary.requests > supplied {
                    bail!(
                        "{}: {} requests but only {supplied} single-use secrets prepared; raise Sizes",
                        scenario.name,
                        summary.requests
                    );
                }
            }
            let rate = summary.requests as f64 / (summary.duration_us.max(1) as f64 / 1e6);
            let healthz = *healthz_rate.get_or_insert(rate);
            let mut measured = measurement(backend, scenario.name, &summary, rss_idle, rss_peak, healthz);
            measured.postgres_costs = costs;
            measurements.push(measured);
        }
        let healthz = healthz_rate.unwrap_or(1.0);
        let context = Run { server: &server, seconds, connections: args.connections, dir: &dir, rss_idle, healthz };
        if wanted("webhooks") {
            measurements.extend(measure_webhooks(&context, backend, &files).await?);
        }
        if wanted("overload") {
            let tokens =
                scenarios::all(&files).into_iter().find(|s| s.name == "client-credentials").context("scenario")?;
            measurements.extend(overload::measure(&context, backend, &tokens).await?);
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }

    let report = Report {
        date: chrono::Utc::now().to_rfc3339(),
        machine: format!("{} cores", std::thread::available_parallelism().map_or(0, |n| n.get())),
        connections: args.connections,
        duration_seconds: seconds,
        data_set: if args.large { "1,000,000 tokens, 100,000 users".into() } else { "small".into() },
        measurements,
    };
    println!("{}", report.table());
    report.write(&args.out)?;
    let errors: u64 = report.measurements.iter().map(|m| m.errors).sum();
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}
