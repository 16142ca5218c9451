//! The `ticketbooth` binary's admin commands, run as an operator would (contract §1).

use std::process::{Command, Output};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { dir: tempfile::tempdir().unwrap() }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ticketbooth"))
            .args(args)
            .arg("--database-url")
            .arg(self.dir.path().join("cli.db"))
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .expect("run ticketbooth")
    }

    /// Runs a command that must succeed and print exactly one JSON object on stdout.
    fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.trim().lines().count(), 1, "one line of JSON: {stdout}");
        serde_json::from_str(&stdout).expect("stdout is JSON")
    }

    fn fails(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(!output.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "one-line error: {stderr}");
        stderr
    }
}

fn keys(value: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[test]
fn users_create_prints_the_user_and_refuses_duplicates_and_weak_passwords() {
    let cli = Cli::new();
    let user = cli.json(&[
        "users",
        "create",
        "--email",
        "Ann@Example.com",
        "--password",
        "long enough pw",
        "--first-name",
        "Ann",
        "--json",
    ]);
    assert_eq!(keys(&user), ["email", "first_name", "id", "last_name"]);
    assert_eq!(user["email"], "ann@example.com");
    assert_eq!(user["first_name"], "Ann");
    assert!(user["id"].is_i64());

    assert!(cli
        .fails(&["users", "create", "--email", "ann@example.com", "--password", "long enough pw"])
        .contains("already exists"));
    assert!(cli
        .fails(&["users", "create", "--email", "bob@example.com", "--password", "short"])
        .contains("at least 8"));
    assert!(cli
        .fails(&["users", "create", "--email", "not-an-email", "--password", "long enough pw"])
        .contains("not an email"));
}

#[test]
fn organizers_and_apps_are_created_with_their_owners() {
    let cli = Cli::new();
    cli.json(&["users", "create", "--email", "member@example.com", "--password", "long enough pw", "--json"]);
    let organizer =
        cli.json(&["organizers", "create", "--name", "Siam Shows", "--member", "member@example.com", "--json"]);
    assert_eq!(keys(&organizer), ["id", "name"]);
    assert_eq!(organizer["name"], "Siam Shows");
    assert!(cli.fails(&["organizers", "create", "--name", "X", "--member", "ghost@example.com"]).contains("no user"));

    let organizer_id = organizer["id"].to_string();
    let app = cli.json(&[
        "apps",
        "create",
        "--name",
        "Door Scanner",
        "--redirect-uri",
        "https://scanner.example/cb",
        "--redirect-uri",
        "com.example.scanner:/cb",
        "--scopes",
        "public organizer",
        "--organizer",
        &organizer_id,
        "--json",
    ]);
    assert_eq!(keys(&app), ["client_id", "client_secret", "confidential", "id", "name", "redirect_uris", "scopes"]);
    assert_eq!(app["confidential"], true);
    assert_eq!(app["scopes"], "public organizer");
    assert_eq!(app["redirect_uris"], serde_json::json!(["https://scanner.example/cb", "com.example.scanner:/cb"]));
    let secret = app["client_secret"].as_str().unwrap();
    assert!(secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()));

    let public = cli.json(&[
        "apps",
        "create",
        "--name",
        "Mobile",
        "--redirect-uri",
        "com.example.app:/cb",
        "--public",
        "--json",
    ]);
    assert_eq!(public["confidential"], false);
    assert_eq!(public["scopes"], "public");
    assert!(public.get("client_secret").is_none());
    assert_ne!(public["client_id"], app["client_id"]);
}

#[test]
fn apps_create_refuses_bad_redirect_uris_scopes_and_organizers() {
    let cli = Cli::new();
    assert!(cli
        .fails(&["apps", "create", "--name", "A", "--redirect-uri", "https://a.example/cb#frag"])
        .contains("fragment"));
    assert!(cli.fails(&["apps", "create", "--name", "A", "--redirect-uri", "/relative"]).contains("absolute"));
    assert!(cli
        .fails(&["apps", "create", "--name", "A", "--redirect-uri", "https://a.example/cb", "--scopes", "admin"])
        .contains("admin"));
    assert!(cli
        .fails(&["apps", "create", "--name", "A", "--redirect-uri", "https://a.example/cb", "--organizer", "99"])
        .contains("no organizer"));
}

#[test]
fn demo_is_idempotent_and_migrate_succeeds() {
    let cli = Cli::new();
    assert!(cli.run(&["migrate"]).status.success());
    let first = cli.json(&["demo", "--json"]);
    assert_eq!(first["created"], true);
    assert_eq!(first["application"]["client_id"], "demo-client");
    let second = cli.json(&["demo", "--json"]);
    assert_eq!(second["created"], false);
    assert_eq!(second["user"]["id"], first["user"]["id"]);
    assert_eq!(second["application"]["id"], first["application"]["id"]);
}
