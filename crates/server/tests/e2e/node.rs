//! The Node.js helpers under `browser-tests/` (pinned packages, installed by `npm ci`): where they
//! are, and a helper process spoken to in JSON lines.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The Node.js helpers' folder, with its pinned packages installed (`npm ci --prefix browser-tests`).
pub(crate) fn node_helpers() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../browser-tests");
    if dir.join("node_modules/standardwebhooks").is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("CI").is_none(), "CI must have run npm ci --prefix browser-tests");
    eprintln!("skipped: the Node.js helpers are not installed (npm ci --prefix browser-tests)");
    None
}

/// A Node.js helper spoken to in JSON lines.
pub(crate) struct Node {
    child: Child,
    stdin: ChildStdin,
    pub(crate) stdout: Lines<BufReader<ChildStdout>>,
}

impl Node {
    pub(crate) fn start(helpers: &Path, script: &str, options: Value) -> Node {
        let mut child = Command::new("node")
            .arg(helpers.join(script))
            .arg(options.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Node { child, stdin, stdout }
    }

    pub(crate) async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.stdout.next_line()).await;
        let Ok(Ok(Some(line))) = line else {
            let mut stderr = String::new();
            let _ = self.child.stderr.take().unwrap().read_to_string(&mut stderr).await;
            panic!("the Node.js helper stopped: {stderr}");
        };
        serde_json::from_str(&line).unwrap()
    }

    /// The next message, which must be `step`.
    pub(crate) async fn expect(&mut self, step: &str) -> Value {
        let message = self.next().await;
        assert_eq!(message["step"], step, "{message}");
        message
    }

    pub(crate) async fn send(&mut self, line: &str) {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await.unwrap();
    }
}
