//! What the process tests share: a real `ticketbooth serve` on 127.0.0.1, the admin commands,
//! and the databases to run on.
#![allow(dead_code)] // each test binary uses its own part

pub(crate) mod cluster;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ticketbooth");
pub(crate) const PASSWORD: &str = "a long test password";
pub(crate) const CALLBACK: &str = "https://client.example/callback";

/// A running `ticketbooth serve`, killed with SIGKILL when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    /// Everything the server logged, for checking that no secret is ever written there.
    pub(crate) logs: Arc<Mutex<String>>,
}

impl Server {
    pub(crate) fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[])
    }

    /// A server with extra `serve` flags.
    pub(crate) fn start_with(database_url: &str, flags: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--sweep-interval", "0", "--database-url", database_url])
            .args(flags)
            .env("TICKETBOOTH_LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ticketbooth serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        // Every line is kept, the start-up ones included.
        let logs = Arc::new(Mutex::new(String::new()));
        let base = loop {
            let line = lines.next().expect("server exited before listening").expect("read stderr");
            logs.lock().unwrap().push_str(&line);
            logs.lock().unwrap().push('\n');
            let Ok(log) = serde_json::from_str::<Value>(&line) else { continue };
            if log["fields"]["message"] == "ticketbooth listening" {
                break format!("http://{}", log["fields"]["local"].as_str().expect("local address"));
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut logs = sink.lock().unwrap();
                logs.push_str(&line);
                logs.push('\n');
            }
        });
        Server { child, base, logs }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Asserts that none of `secrets` appears in what the server logged so far.
    pub(crate) fn assert_logs_free_of(&self, secrets: &[&str]) {
        let logs = self.logs.lock().unwrap();
        assert!(logs.contains("request"), "request logging is on");
        for secret in secrets {
            assert!(!logs.contains(secret), "a secret reached the logs");
        }
    }

    /// SIGKILL: no graceful shutdown, no flushing.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs an admin command with `--json` and returns its object.
pub(crate) fn admin(database_url: &str, args: &[&str]) -> Value {
    let output = Command::new(BIN)
        .args(args)
        .args(["--json", "--database-url", database_url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run ticketbooth");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

pub(crate) async fn postgres_url() -> Option<String> {
    let base = std::env::var("TEST_DATABASE_URL").ok()?;
    Some(ticketbooth_store::postgres::create_isolated_schema(&base).await.expect("create schema"))
}

/// The backends to run on: a SQLite file in `dir`, and PostgreSQL when configured.
pub(crate) async fn database_urls(dir: &tempfile::TempDir) -> Vec<String> {
    let mut urls = vec![dir.path().join("processes.db").to_str().unwrap().to_owned()];
    match postgres_url().await {
        Some(url) => urls.push(url),
        None => eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL run is skipped"),
    }
    urls
}

/// The form of a client-credentials request for an application that `apps create --json` printed.
pub(crate) fn client_credentials(app: &Value) -> [(&'static str, String); 3] {
    [
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", app["client_id"].as_str().unwrap().to_owned()),
        ("client_secret", app["client_secret"].as_str().unwrap().to_owned()),
    ]
}

/// Asserts that `server` still knows every application token in `tokens`: `/me` refuses an active
/// application token for its kind (403), never as unknown (401). `context` names the run.
pub(crate) async fn assert_tokens_kept(server: &Server, tokens: &[String], context: &str) {
    let http = reqwest::Client::new();
    for token in tokens {
        let response = http.get(server.url("/api/public/me")).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::FORBIDDEN, "{context}: a received token was lost");
    }
}
