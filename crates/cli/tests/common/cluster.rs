//! A PostgreSQL server of the test's own (`initdb` and `pg_ctl` on a spare port), so a test can
//! stop and start it while the machine's shared server keeps running for everyone else.

use std::path::{Path, PathBuf};
use std::process::Command;
use ticketbooth_testkit::pgbouncer::running_as_root;

/// A private PostgreSQL cluster in a temporary directory, stopped and removed when dropped.
pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The test runs as root, so the server's tools run as `postgres` (it refuses root).
    as_postgres: bool,
}

impl Cluster {
    /// A new cluster (not yet started), or `None` when the server binaries are not installed.
    pub(crate) fn create() -> Option<Cluster> {
        let bin = server_binaries()?;
        let dir = tempfile::tempdir().unwrap();
        // PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres`.
        let as_postgres = running_as_root();
        if as_postgres {
            let owned = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(owned.success(), "chown the cluster's directory to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { dir, bin, port, as_postgres };
        let data = cluster.data();
        cluster.run("initdb", &["--auth=trust", "--username=postgres", "--no-sync", "--encoding=UTF8", "-D", &data]);
        Some(cluster)
    }

    /// `postgres://` URL of the cluster's `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it takes connections.
    pub(crate) fn start(&self) {
        let options = format!("-p {} -c listen_addresses=127.0.0.1 -k {}", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log");
        self.run("pg_ctl", &["-D", &self.data(), "-l", log.to_str().unwrap(), "-o", &options, "-w", "start"]);
    }

    /// Stops the server the way an operator's restart does: sessions are ended at once, committed
    /// work is kept.
    pub(crate) fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").to_str().unwrap().to_owned()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let status = self.command(tool).args(args).status();
        assert!(status.is_ok_and(|status| status.success()), "{tool} {args:?} failed");
    }

    /// One of the server's tools, run as `postgres` when the test runs as root.
    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.dir.path().join("data").join("postmaster.pid").exists() {
            let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).status();
        }
    }
}

/// The newest installed PostgreSQL's `bin` directory (Debian's layout, or `PG_BIN`).
fn server_binaries() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("PG_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            Path::new(&bin).join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
