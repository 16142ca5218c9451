//! Faults a production server meets, on real `ticketbooth serve` processes: the database going
//! away under load and coming back, a crash under write load, and far more connections than it can
//! serve. Every phase is bounded in time, and what a test starts it stops by PID.

mod common;

use common::cluster::Cluster;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The tests here load the machine on purpose and measure how long answers take: they take turns,
/// so that one's flood does not slow another's requests.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The acquire timeout the outage drills run with (`--db-acquire-timeout`).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the database stays away in a drill.
const OUTAGE: Duration = Duration::from_secs(8);

/// What a load's clients were told.
#[derive(Debug, Default)]
struct Seen {
    /// Access tokens received as issued.
    tokens: Vec<String>,
    /// 503 answers, each with `Retry-After`.
    unavailable: usize,
    /// 503 answers without `Retry-After`.
    unavailable_without_retry_after: usize,
    /// Any other answer or failure: `(status, body)`, 0 for a transport error.
    other: Vec<(u16, String)>,
    /// The longest any request waited for its answer.
    slowest: Duration,
}

/// Client-credentials requests from `workers` clients, each one after another, until `stop`.
fn token_load(
    server: &Server,
    app: &Value,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Seen>> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let form = client_credentials(app);
    (0..workers)
        .map(|_| {
            let (http, url, form, stop) = (http.clone(), server.url("/oauth/token"), form.clone(), Arc::clone(stop));
            tokio::spawn(async move {
                let mut seen = Seen::default();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let answer = http.post(&url).form(&form).send().await;
                    seen.slowest = seen.slowest.max(started.elapsed());
                    let response = match answer {
                        Ok(response) => response,
                        Err(err) => {
                            seen.other.push((0, err.to_string()));
                            continue;
                        }
                    };
                    let status = response.status();
                    let retry_after = response.headers().contains_key("retry-after");
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    match status {
                        StatusCode::OK => seen.tokens.push(body["access_token"].as_str().unwrap().to_owned()),
                        StatusCode::SERVICE_UNAVAILABLE if retry_after => seen.unavailable += 1,
                        StatusCode::SERVICE_UNAVAILABLE => seen.unavailable_without_retry_after += 1,
                        other => seen.other.push((other.as_u16(), body.to_string())),
                    }
                }
                seen
            })
        })
        .collect()
}

/// Waits for the workers and adds up what they saw.
async fn collect(workers: Vec<tokio::task::JoinHandle<Seen>>) -> Seen {
    let mut total = Seen::default();
    for worker in workers {
        let seen = worker.await.unwrap();
        total.tokens.extend(seen.tokens);
        total.unavailable += seen.unavailable;
        total.unavailable_without_retry_after += seen.unavailable_without_retry_after;
        total.other.extend(seen.other);
        total.slowest = total.slowest.max(seen.slowest);
    }
    total
}

async fn status_of(http: &reqwest::Client, url: String) -> u16 {
    http.get(url).send().await.map_or(0, |response| response.status().as_u16())
}

/// How the database is taken away in a drill.
enum Outage {
    /// Another program holds SQLite's write lock (`BEGIN IMMEDIATE`): a backup tool, an
    /// operator's shell. Making the file unwritable cannot be done here: tests run as root, whom
    /// file modes do not stop.
    SqliteLock { path: String, holder: Option<SqliteConnection> },
    /// The PostgreSQL server stops (fast shutdown: sessions are ended) and starts again.
    PostgresDown(Cluster),
}

impl Outage {
    async fn begin(&mut self) {
        match self {
            Outage::SqliteLock { path, holder } => {
                let options = SqliteConnectOptions::new().filename(&*path);
                let mut connection = SqliteConnection::connect_with(&options).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE").execute(&mut connection).await.unwrap();
                *holder = Some(connection);
            }
            Outage::PostgresDown(cluster) => cluster.stop(),
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::SqliteLock { holder, .. } => {
                let mut connection = holder.take().expect("the lock is held");
                sqlx::query("ROLLBACK").execute(&mut connection).await.unwrap();
                connection.close().await.unwrap();
            }
            Outage::PostgresDown(cluster) => cluster.start(),
        }
    }
}

/// Takes the database away for [`OUTAGE`] in the middle of a token load, then gives it back, and
/// checks what the issue asks of the same process: 503 with `Retry-After` within the acquire
/// timeout (no 500, no hang), `/healthz` 200 and `/readyz` 503 meanwhile, normal service within
/// 5 s of the database's return, and every token a client received still valid.
async fn outage_drill(database_url: &str, mut outage: Outage) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = admin(database_url, &["apps", "create", "--name", "Outage", "--redirect-uri", CALLBACK]);
    let server = Server::start_with(database_url, &["--db-acquire-timeout", &ACQUIRE_TIMEOUT.as_secs().to_string()]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let load = token_load(&server, &app, 4, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;

    outage.begin().await;
    let began = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(status_of(&http, server.url("/healthz")).await, 200, "{database_url}: the process is alive");
    let asked = Instant::now();
    assert_eq!(status_of(&http, server.url("/readyz")).await, 503, "{database_url}: not ready without its database");
    assert!(asked.elapsed() <= ACQUIRE_TIMEOUT + Duration::from_secs(1), "{database_url}: readiness answers promptly");
    tokio::time::sleep(OUTAGE.saturating_sub(began.elapsed())).await;

    outage.end().await;
    let back = Instant::now();
    let form = client_credentials(&app);
    let recovered = loop {
        let answer = http.post(server.url("/oauth/token")).form(&form).send().await;
        if answer.is_ok_and(|response| response.status() == StatusCode::OK) {
            break back.elapsed();
        }
        assert!(back.elapsed() < Duration::from_secs(15), "{database_url}: no recovery after the database returned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let seen = collect(load).await;
    assert_eq!(status_of(&http, server.url("/readyz")).await, 200, "{database_url}: ready again");

    eprintln!(
        "{database_url}: {} tokens, {} answered 503, slowest answer {:?}, served again {recovered:?} after the database returned",
        seen.tokens.len(),
        seen.unavailable,
        seen.slowest
    );
    assert!(recovered <= Duration::from_secs(5), "{database_url}: served again after {recovered:?}");
    assert!(
        seen.other.is_empty(),
        "{database_url}: only 200 and 503 answers: {:?}",
        &seen.other[..seen.other.len().min(5)]
    );
    assert_eq!(seen.unavailable_without_retry_after, 0, "{database_url}: every 503 says when to retry");
    assert!(seen.unavailable > 0, "{database_url}: the outage was felt");
    // Within the acquire timeout, and a margin for a loaded test machine.
    assert!(
        seen.slowest <= ACQUIRE_TIMEOUT + Duration::from_secs(1),
        "{database_url}: a request hung for {:?}",
        seen.slowest
    );

    // Nothing a client received was lost.
    assert_tokens_kept(&server, &seen.tokens, database_url).await;
}

#[tokio::test]
async fn sqlite_held_by_another_program_answers_503_then_serves_again_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outage.db").to_str().unwrap().to_owned();
    outage_drill(&path.clone(), Outage::SqliteLock { path, holder: None }).await;
}

#[tokio::test]
async fn postgresql_stopped_under_load_answers_503_then_serves_again_with_nothing_lost() {
    let Some(cluster) = Cluster::create() else {
        eprintln!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) on this machine");
        return;
    };
    cluster.start();
    let url = cluster.url();
    outage_drill(&url, Outage::PostgresDown(cluster)).await;
}

#[tokio::test]
async fn an_sqlite_file_killed_under_write_load_is_intact_and_holds_every_token_received() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db").to_str().unwrap().to_owned();
    let app = admin(&path, &["apps", "create", "--name", "Crash", "--redirect-uri", CALLBACK]);
    let mut server = Server::start(&path);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        server.logs.lock().unwrap().contains(r#""synchronous":"full""#),
        "the server opened SQLite with synchronous = FULL, its default"
    );

    let stop = Arc::new(AtomicBool::new(false));
    let load = token_load(&server, &app, 8, &stop);
    let deadline = Instant::now() + Duration::from_secs(20);
    // Kill while the writes are well under way (the rows in the file say how far they are).
    let mut reader =
        SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path).read_only(true)).await.unwrap();
    loop {
        let stored: i64 =
            sqlx::query_scalar("SELECT count(*) FROM access_tokens").fetch_one(&mut reader).await.unwrap();
        if stored >= 300 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    reader.close().await.unwrap();
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let seen = collect(load).await;
    assert!(seen.tokens.len() >= 100, "the writes were under way: {} tokens", seen.tokens.len());

    // The file as the killed process left it, WAL included.
    let mut connection = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path)).await.unwrap();
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut connection).await.unwrap();
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check after SIGKILL");
    let broken_references: Vec<(String,)> =
        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check").fetch_all(&mut connection).await.unwrap();
    assert!(broken_references.is_empty(), "foreign keys hold: {broken_references:?}");
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM access_tokens").fetch_one(&mut connection).await.unwrap();
    connection.close().await.unwrap();
    eprintln!("{} tokens received before SIGKILL, {stored} in the file", seen.tokens.len());
    assert!(stored >= seen.tokens.len() as i64, "every token received is in the file");

    assert_tokens_kept(&Server::start(&path), &seen.tokens, &path).await;
}

/// Peak resident memory of a process (`VmHWM`), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() / 1024.0
}

#[tokio::test]
async fn two_thousand_connections_get_answers_or_a_fast_503_in_bounded_memory_and_the_server_recovers_at_once() {
    const CONNECTIONS: usize = 2000;
    let _turn = ONE_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("overload.db").to_str().unwrap().to_owned();
    let app = admin(&path, &["apps", "create", "--name", "Overload", "--redirect-uri", CALLBACK]);
    let server = Server::start_with(&path, &["--metrics-token", "overload-metrics"]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let load = token_load(&server, &app, CONNECTIONS, &stop);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(status_of(&http, server.url("/healthz")).await, 200, "probes are admitted whatever the load");
    stop.store(true, Ordering::Relaxed);
    let seen = collect(load).await;
    let peak = peak_rss_mb(server.child.id());

    // The moment the load is gone, requests are served: there is no backlog to work off.
    let form = client_credentials(&app);
    let after = http.post(server.url("/oauth/token")).form(&form).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::OK, "served at once after the load");
    let metrics = http.get(server.url("/metrics")).bearer_auth("overload-metrics").send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let shed: f64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("ticketbooth_http_requests_shed_total "))
        .map(|n| n.trim().parse().unwrap())
        .unwrap();

    eprintln!(
        "{CONNECTIONS} connections: {} tokens, {} answered 503 ({shed} shed), slowest answer {:?}, peak RSS {peak:.1} MB",
        seen.tokens.len(),
        seen.unavailable,
        seen.slowest
    );
    assert!(seen.other.is_empty(), "only 200 and 503 answers: {:?}", &seen.other[..seen.other.len().min(5)]);
    assert_eq!(seen.unavailable_without_retry_after, 0, "every 503 says when to retry");
    assert!(seen.unavailable > 0 && shed >= seen.unavailable as f64, "the excess was shed, and counted");
    assert!(!seen.tokens.is_empty(), "admitted requests were served");
    assert!(peak < 150.0, "peak RSS {peak:.1} MB under {CONNECTIONS} connections");
}
