//! A PgBouncer in transaction-pooling mode in front of the test PostgreSQL server, set up as an
//! operator would (`pool_mode = transaction`, `ignore_startup_parameters = extra_float_digits`),
//! so that a suite can run through it. One is started per test process, on first use, and ends
//! with the process: it gets SIGTERM when its parent dies (`setpriv --pdeathsig`), and its parent
//! is a thread that lives as long as the process.
//!
//! PgBouncer ignores the `options` startup parameter, so a test behind it cannot pick a schema the
//! way the direct PostgreSQL tests do; it gets a database of its own instead (`*` below makes
//! PgBouncer serve any database name the server has).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A running PgBouncer.
#[derive(Debug)]
pub struct PgBouncer {
    port: u16,
    /// The user it logs in as (the server's, trusted like it).
    user: String,
    /// Holds the configuration and the log until the process ends.
    dir: tempfile::TempDir,
}

impl PgBouncer {
    /// The `postgres://` URL of `database` through the pooler.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{}@127.0.0.1:{}/{database}", self.user, self.port)
    }

    /// PgBouncer's log (to show when a test fails).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

static SHARED: OnceLock<Option<PgBouncer>> = OnceLock::new();

/// This process's PgBouncer in front of the server `server_url` names (a `postgres://` URL whose
/// user the server trusts, like the test server's), started on first use; `None` when
/// `pgbouncer` is not installed or the URL names no host.
pub fn shared(server_url: &str) -> Option<&'static PgBouncer> {
    SHARED
        .get_or_init(|| {
            let server = url::Url::parse(server_url).ok()?;
            start(server.host_str()?, server.port().unwrap_or(5432), server.username())
        })
        .as_ref()
}

fn start(host: &str, server_port: u16, user: &str) -> Option<PgBouncer> {
    let program = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].into_iter().find(|path| Path::new(path).exists())?;
    let dir = tempfile::tempdir().expect("a directory for PgBouncer");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a spare port").local_addr().expect("port").port();
    let config = dir.path().join("pgbouncer.ini");
    // Idle server connections close within seconds, and one user's connections are capped, so
    // the pools of finished tests (one database each) never use up the server's connections.
    std::fs::write(
        &config,
        format!(
            "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
             listen_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {users}\n\
             pool_mode = transaction\nignore_startup_parameters = extra_float_digits\nmax_client_conn = 2000\n\
             default_pool_size = 10\nmax_user_connections = 40\nserver_idle_timeout = 2\nlogfile = {log}\n",
            users = dir.path().join("users.txt").display(),
            log = dir.path().join("pgbouncer.log").display(),
        ),
    )
    .expect("write pgbouncer.ini");
    std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).expect("write the auth file");
    let mut command = Command::new("setpriv");
    // PgBouncer refuses to run as root: as root, it runs as `postgres`, which owns its directory.
    if running_as_root() {
        let owned = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
        assert!(owned.is_ok_and(|status| status.success()), "chown PgBouncer's directory to postgres");
        command.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
    }
    command.args(["--pdeathsig=TERM", "--", program, "--quiet"]).arg(&config).stdin(Stdio::null());
    let (started, spawned) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let child = command.spawn();
        let _ = started.send(child.as_ref().map(|_| ()).map_err(|err| err.to_string()));
        // The parent-death signal follows this thread, so it never ends.
        loop {
            std::thread::park();
        }
    });
    spawned.recv().expect("the PgBouncer thread").expect("start pgbouncer");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "PgBouncer did not listen within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(PgBouncer { port, user: user.to_owned(), dir })
}

/// Whether the tests run as root (then PostgreSQL's tools and PgBouncer, which refuse root, run
/// as `postgres`).
pub fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}
