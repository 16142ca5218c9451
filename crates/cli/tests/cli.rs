//! The `ticketbooth` binary's admin commands, run as an operator would (contract §1).

use std::process::{Command, Output};
use ticketbooth_testkit::smtp::Received;

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
            // Mail from commands lands in the test's own outbox.
            .env("TICKETBOOTH_MAIL_OUTBOX", self.outbox())
            .env("TICKETBOOTH_ISSUER", "https://tickets.example")
            .output()
            .expect("run ticketbooth")
    }

    fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
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
    assert_eq!(
        keys(&app),
        [
            "client_id",
            "client_secret",
            "confidential",
            "device_grant",
            "id",
            "name",
            "redirect_uris",
            "refresh_grace_seconds",
            "require_dpop",
            "require_pushed_authorization_requests",
            "scopes"
        ]
    );
    assert_eq!(app["confidential"], true);
    assert_eq!(app["scopes"], "public organizer");
    assert_eq!((app["device_grant"].as_bool(), app["refresh_grace_seconds"].as_i64()), (Some(false), Some(0)));

    // A scanner that signs in by device code needs no redirect URI; the options are stored.
    let scanner = cli.json(&[
        "apps",
        "create",
        "--name",
        "Gate Scanner",
        "--public",
        "--grant",
        "device_code",
        "--refresh-grace-seconds",
        "30",
        "--require-par",
        "--require-dpop",
        "--json",
    ]);
    assert_eq!(scanner["device_grant"], true);
    assert_eq!(scanner["refresh_grace_seconds"], 30);
    assert_eq!(scanner["require_pushed_authorization_requests"], true);
    assert_eq!(scanner["require_dpop"], true);
    let usage_error = |args: &[&str]| {
        let output = cli.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?} is a usage error");
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(usage_error(&["apps", "create", "--name", "No URI"]).contains("--redirect-uri"));
    let too_long = ["apps", "create", "--name", "G", "--grant", "device_code", "--refresh-grace-seconds", "301"];
    assert!(usage_error(&too_long).contains("301"));
    let es256 = [
        "apps",
        "create",
        "--name",
        "EC",
        "--redirect-uri",
        "https://ec.example/cb",
        "--id-token-alg",
        "ES256",
        "--json",
    ];
    assert_eq!(cli.json(&es256)["name"], "EC");
    let refused = cli.run(&[
        "apps",
        "create",
        "--name",
        "H",
        "--redirect-uri",
        "https://h.example/cb",
        "--id-token-alg",
        "HS256",
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("RS256 or ES256"));
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

#[test]
fn demo_refuses_a_database_with_other_users_or_applications_unless_forced() {
    for other in [
        &["users", "create", "--email", "real@example.com", "--password", "a long passphrase", "--json"][..],
        &["apps", "create", "--name", "Real", "--redirect-uri", "https://real.example/cb", "--json"][..],
    ] {
        let cli = Cli::new();
        cli.json(other);
        let refused = cli.fails(&["demo", "--json"]);
        assert!(refused.contains("--force"), "{refused}");
        let serve = cli.run(&["serve", "--demo", "--addr", "127.0.0.1:0"]);
        assert!(!serve.status.success(), "serve --demo refuses too");
        assert!(String::from_utf8_lossy(&serve.stderr).contains("besides the demo data set"));
        let forced = cli.json(&["demo", "--force", "--json"]);
        assert_eq!(forced["created"], true);
        assert_eq!(cli.json(&["demo", "--force", "--json"])["created"], false);
    }
}

#[test]
fn events_and_orders_are_created_for_organizers_and_users() {
    let cli = Cli::new();
    cli.json(&[
        "users",
        "create",
        "--email",
        "fan@example.com",
        "--password",
        "long enough pw",
        "--first-name",
        "Fan",
        "--json",
    ]);
    let organizer = cli.json(&["organizers", "create", "--name", "Siam Shows", "--json"]);
    let organizer_id = organizer["id"].to_string();
    let event = cli.json(&[
        "events",
        "create",
        "--organizer",
        &organizer_id,
        "--name",
        "River Jazz",
        "--starts-at",
        "2027-02-01T19:00:00+07:00",
        "--ends-at",
        "2027-02-01T23:00:00+07:00",
        "--ticket-type",
        "Early Bird:150000:2",
        "--ticket-type",
        "Student:0",
        "--json",
    ]);
    assert_eq!(keys(&event), ["id", "name", "organizer_id", "ticket_types"]);
    assert_eq!(event["organizer_id"], organizer["id"]);
    assert_eq!(event["ticket_types"][0]["name"], "Early Bird");
    assert_eq!(event["ticket_types"][0]["price_satangs"], 150000);
    assert_eq!(event["ticket_types"][1]["price_satangs"], 0);

    let event_id = event["id"].to_string();
    let early_bird = event["ticket_types"][0]["id"].to_string();
    let order = cli.json(&[
        "orders",
        "create",
        "--event",
        &event_id,
        "--user",
        "fan@example.com",
        "--ticket-type",
        &early_bird,
        "--quantity",
        "2",
        "--paid",
        "--json",
    ]);
    assert_eq!(keys(&order), ["event_id", "id", "status", "ticket_ids"]);
    assert_eq!(order["status"], "paid");
    assert_eq!(order["ticket_ids"].as_array().unwrap().len(), 2);
    assert!(cli
        .fails(&["orders", "create", "--event", &event_id, "--user", "fan@example.com", "--ticket-type", &early_bird])
        .contains("sold out"));
    let pending = cli.json(&[
        "orders",
        "create",
        "--event",
        &event_id,
        "--user",
        "fan@example.com",
        "--ticket-type",
        &event["ticket_types"][1]["id"].to_string(),
        "--json",
    ]);
    assert_eq!(pending["status"], "pending");

    assert!(cli.fails(&["events", "create", "--organizer", "999", "--name", "X"]).contains("no organizer"));
    assert!(cli
        .fails(&["events", "create", "--organizer", &organizer_id, "--name", "X", "--ticket-type", "Bad"])
        .contains("NAME:PRICE"));
    assert!(cli
        .fails(&["events", "create", "--organizer", &organizer_id, "--name", "X", "--starts-at", "soon"])
        .contains("starts-at"));
    assert!(cli
        .fails(&["orders", "create", "--event", &event_id, "--user", "ghost@example.com", "--ticket-type", &early_bird])
        .contains("no user"));
    assert!(cli
        .fails(&["orders", "create", "--event", "999", "--user", "fan@example.com", "--ticket-type", &early_bird])
        .contains("no event"));
}

#[test]
fn demo_seeds_a_believable_catalogue() {
    let cli = Cli::new();
    let demo = cli.json(&["demo", "--json"]);
    let catalogue = &demo["catalogue"];
    assert_eq!(catalogue["organizers"].as_array().unwrap().len(), 2);
    assert!(catalogue["events"].as_array().unwrap().len() >= 4);
    assert!(catalogue["orders"].as_u64().unwrap() >= 5);
    assert!(catalogue["tickets"].as_u64().unwrap() >= 8);
}

#[test]
fn users_list_and_reset_password_work_from_the_shell() {
    let cli = Cli::new();
    cli.json(&["users", "create", "--email", "ops@example.com", "--password", "long enough pw", "--json"]);
    let output = cli.run(&["users", "list", "--json"]);
    assert!(output.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let users = listed.as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["email"], "ops@example.com");
    assert_eq!(users[0]["email_verified"], true, "operator-created accounts count as verified");

    let sent = cli.json(&["users", "reset-password", "--email", "OPS@example.com", "--json"]);
    assert_eq!(sent["email"], "ops@example.com");
    assert_eq!(sent["undelivered"], 0, "delivered to the outbox at once");
    let files: Vec<_> = std::fs::read_dir(cli.outbox()).unwrap().flatten().map(|entry| entry.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|ext| ext.to_str()), Some("eml"));
    let message = Received { recipients: Vec::new(), raw: std::fs::read(&files[0]).unwrap() };
    assert_eq!(message.subject(), "Reset your password");
    assert_eq!(message.header("To").as_deref(), Some("ops@example.com"));
    assert!(message.body("text/html").is_some(), "multipart: plain text and HTML");
    assert!(message.link("https://tickets.example/password/reset/").is_some(), "links use the issuer");

    assert!(cli.fails(&["users", "reset-password", "--email", "nobody@example.com"]).contains("no user"));
}

#[test]
fn requests_are_reviewed_and_applications_run_from_the_shell_and_every_step_is_audited() {
    let cli = Cli::new();
    cli.json(&["demo", "--json"]);
    let run_json = |args: &[&str]| -> serde_json::Value {
        let output = cli.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    let pending = run_json(&["apps", "requests", "--status", "pending", "--json"]);
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 1, "the demo's request");
    assert_eq!(pending[0]["scopes"], "public organizer");
    let id = pending[0]["id"].to_string();

    assert!(cli.fails(&["apps", "approve", &id, "--scopes", "email"]).contains("among those requested"));
    let app = cli.json(&["apps", "approve", &id, "--scopes", "public", "--json"]);
    assert_eq!(app["scopes"], "public");
    assert_eq!(app["confidential"], true);
    assert!(app.get("client_secret").is_none(), "the reviewer never sees the secret");
    assert!(cli.fails(&["apps", "reject", &id, "--reason", "late"]).contains("already reviewed"));
    let app_id = app["id"].to_string();

    let rotated = cli.json(&["apps", "rotate-secret", &app_id, "--grace-days", "2", "--json"]);
    assert_eq!(rotated["client_secret"].as_str().unwrap().len(), 64);
    assert!(cli.fails(&["apps", "rotate-secret", &app_id, "--grace-days", "8"]).contains("at most 7 days"));
    assert_eq!(cli.json(&["apps", "suspend", &app_id, "--json"])["suspended"], true);
    assert_eq!(cli.json(&["apps", "resume", &app_id, "--json"])["suspended"], false);

    let granted = cli.json(&["users", "grant-admin", "--email", "demo@ticketbooth.test", "--json"]);
    assert_eq!((granted["admin"].clone(), granted["changed"].clone()), (true.into(), true.into()));
    cli.json(&["users", "revoke-admin", "--email", "malee@ticketbooth.test", "--json"]);
    assert!(cli
        .fails(&["users", "revoke-admin", "--email", "demo@ticketbooth.test"])
        .contains("keep an administrator"));
    assert_eq!(cli.json(&["users", "disable", "--email", "malee@ticketbooth.test", "--json"])["disabled"], true);
    assert_eq!(cli.json(&["users", "enable", "--email", "malee@ticketbooth.test", "--json"])["disabled"], false);

    let log = run_json(&["audit", "--json"]);
    let actions: Vec<&str> =
        log.as_array().unwrap().iter().rev().map(|line| line["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "request.create",
            "request.approve",
            "application.rotate-secret",
            "application.suspend",
            "application.resume",
            "user.grant-admin",
            "user.revoke-admin",
            "user.disable",
            "user.enable"
        ]
    );
    assert!(log[0]["actor"].as_str().unwrap().starts_with("cli:"));
    assert!(!log.to_string().contains(rotated["client_secret"].as_str().unwrap()), "no secret in the log");
    let later = run_json(&["audit", "--since", "2999-01-01T00:00:00Z", "--json"]);
    assert_eq!(later, serde_json::json!([]));
    // The requester was told of the approval.
    let subjects: Vec<String> = std::fs::read_dir(cli.outbox())
        .unwrap()
        .flatten()
        .map(|entry| Received { recipients: Vec::new(), raw: std::fs::read(entry.path()).unwrap() }.subject())
        .collect();
    assert!(subjects.iter().any(|subject| subject.contains("was approved")), "{subjects:?}");
}

#[test]
fn clients_that_arrived_by_themselves_are_reviewed_from_the_shell() {
    use ticketbooth_domain::model::{ClientOrigin, NewApplication, Review};
    let cli = Cli::new();
    cli.json(&["resources", "list", "--json"]);
    // Two metadata-document clients waiting, as the `approval` policy leaves them.
    let database = cli.dir.path().join("cli.db");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ids: Vec<i64> = runtime.block_on(async {
        let store = ticketbooth_store::connect(database.to_str().unwrap(), Default::default()).await.unwrap();
        let mut ids = Vec::new();
        for name in ["agent-a", "agent-b"] {
            let waiting = NewApplication {
                client_id: format!("https://{name}.example/client.json"),
                name: name.into(),
                redirect_uris: vec!["http://127.0.0.1/callback".into()],
                origin: ClientOrigin::MetadataDocument,
                review: Review::Pending,
                ..NewApplication::default()
            };
            ids.push(store.create_application(waiting).await.unwrap().id);
        }
        ids
    });
    let (first, second) = (ids[0].to_string(), ids[1].to_string());
    let waiting = cli.json(&["apps", "arrivals", "--json"]);
    assert_eq!(waiting.as_array().unwrap().len(), 2);
    assert_eq!(
        (waiting[0]["origin"].as_str(), waiting[0]["review"].as_str()),
        (Some("metadata_document"), Some("pending"))
    );
    assert_eq!(cli.json(&["apps", "approve-client", &first, "--json"])["review"], "approved");
    let no_reason = cli.fails(&["apps", "reject-client", &second, "--reason", " "]);
    assert!(no_reason.contains("--reason"), "{no_reason}");
    assert_eq!(
        cli.json(&["apps", "reject-client", &second, "--reason", "unknown vendor", "--json"])["review"],
        "rejected"
    );
    let again = cli.fails(&["apps", "approve-client", &second]);
    assert!(again.contains("already"), "{again}");
    assert_eq!(cli.json(&["apps", "arrivals", "--json"]), serde_json::json!([]));
    let audit = cli.json(&["audit", "--action", "application.", "--json"]);
    let actions: Vec<&str> = audit.as_array().unwrap().iter().filter_map(|line| line["action"].as_str()).collect();
    assert!(actions.contains(&"application.approve") && actions.contains(&"application.reject"), "{actions:?}");
}

#[test]
fn resource_servers_are_registered_from_the_shell() {
    let cli = Cli::new();
    let made = cli.json(&[
        "resources",
        "create",
        "--identifier",
        "https://checkin.example/",
        "--scopes",
        "public organizer",
        "--json",
    ]);
    assert_eq!(keys(&made), ["id", "identifier", "name", "scopes"]);
    assert_eq!(
        (made["name"].as_str(), made["scopes"].as_str()),
        (Some("https://checkin.example/"), Some("public organizer"))
    );
    let listed = cli.json(&["resources", "list", "--json"]);
    assert_eq!(listed["resources"][0]["identifier"], "https://checkin.example/");
    let taken = cli.fails(&["resources", "create", "--identifier", "https://checkin.example/"]);
    assert!(taken.contains("exists"), "{taken}");
    let fragment = cli.fails(&["resources", "create", "--identifier", "https://checkin.example/#x"]);
    assert!(fragment.contains("fragment"), "{fragment}");
    let scope = cli.fails(&["resources", "create", "--identifier", "https://x.example/", "--scopes", "tickets"]);
    assert!(scope.contains("--scopes"), "{scope}");
}

#[test]
fn webhooks_are_managed_and_events_updated_from_the_shell() {
    let cli = Cli::new();
    let organizer = cli.json(&["organizers", "create", "--name", "Hooks Co", "--json"]);
    let id = organizer["id"].to_string();
    let made = cli.json(&[
        "webhooks",
        "create",
        "--organizer",
        &id,
        "--url",
        "https://partner.example/hooks",
        "--events",
        "ticket.created,order.paid",
        "--description",
        "partner",
        "--json",
    ]);
    assert_eq!(keys(&made), ["description", "events", "id", "organizer_id", "secret", "status", "url"]);
    assert_eq!(made["events"], serde_json::json!(["order.paid", "ticket.created"]));
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    let listed = cli.json(&["webhooks", "list", "--organizer", &id, "--json"]);
    assert_eq!(listed["webhooks"][0]["id"], made["id"]);
    assert!(listed["webhooks"][0].get("secret").is_none(), "the secret is shown once");

    // Refused: plain http (unless allowed for development), an internal address, an unknown type.
    let refused = cli.fails(&[
        "webhooks",
        "create",
        "--organizer",
        &id,
        "--url",
        "http://127.0.0.1:9/h",
        "--events",
        "order.paid",
    ]);
    assert!(refused.contains("https"), "{refused}");
    let internal =
        cli.fails(&["webhooks", "create", "--organizer", &id, "--url", "https://10.0.0.8/h", "--events", "order.paid"]);
    assert!(internal.contains("private"), "{internal}");
    let unknown =
        cli.fails(&["webhooks", "create", "--organizer", &id, "--url", "https://p.example/h", "--events", "x.y"]);
    assert!(unknown.contains("x.y"), "{unknown}");
    cli.json(&[
        "webhooks",
        "create",
        "--organizer",
        &id,
        "--url",
        "http://127.0.0.1:9/h",
        "--events",
        "order.paid",
        "--allow-insecure",
        "--json",
    ]);

    let webhook = made["id"].to_string();
    let deleted = cli.json(&["webhooks", "delete", "--organizer", &id, &webhook, "--json"]);
    assert_eq!(deleted["deleted"], true);
    cli.fails(&["webhooks", "delete", "--organizer", &id, &webhook]);

    let event = cli.json(&["events", "create", "--organizer", &id, "--name", "Gig", "--json"]);
    let event_id = event["id"].to_string();
    let updated = cli.json(&["events", "update", &event_id, "--name", "Gig, moved", "--status", "draft", "--json"]);
    assert_eq!((updated["name"].as_str(), updated["status"].as_str()), (Some("Gig, moved"), Some("draft")));
    cli.fails(&["events", "update", &event_id, "--status", "cancelled"]);
    let key = cli.json(&["events", "rotate-check-in-key", &event_id, "--json"]);
    assert!(key["kid"].as_str().is_some_and(|kid| kid.len() == 43), "{key}");
}

/// Commands from several processes at once through a transaction-pooling PgBouncer, as instances
/// behind one would run them: each applies the migrations first (one does; the others wait for its
/// lock and find nothing to do), then creates a user.
#[test]
fn commands_run_at_once_through_pgbouncer_in_transaction_mode() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PgBouncer run is skipped");
        return;
    };
    let Some(bouncer) = ticketbooth_testkit::pgbouncer::shared(&base) else {
        eprintln!("skipped: pgbouncer is not installed");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (database, _) = runtime.block_on(ticketbooth_store::postgres::create_isolated_database(&base)).unwrap();
    let url = bouncer.url(&database);
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ticketbooth"));
        command
            .args(args)
            .args(["--database-url", &url])
            .env_remove("DATABASE_URL")
            .env("TICKETBOOTH_DB_POOLER", "transaction")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let emails: Vec<String> = (0..6).map(|n| format!("pooled{n}@example.com")).collect();
    let running: Vec<_> = emails
        .iter()
        .map(|email| {
            command(&["users", "create", "--email", email, "--password", "long enough pw", "--json"]).spawn().unwrap()
        })
        .collect();
    for child in running {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let output = command(&["users", "list", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut listed: Vec<&str> = listed.as_array().unwrap().iter().map(|user| user["email"].as_str().unwrap()).collect();
    listed.sort_unstable();
    assert_eq!(listed, emails.iter().map(String::as_str).collect::<Vec<_>>());
}
