//! Real `ticketbooth serve` processes on 127.0.0.1: a crash in the middle of a burst loses no token
//! a client received, and several instances on one PostgreSQL behave as one server.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ticketbooth_testkit::{location_query, Browser};

#[tokio::test]
async fn every_token_a_client_received_survives_a_sigkill_in_the_middle_of_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    for database_url in database_urls(&dir).await {
        let app = admin(&database_url, &["apps", "create", "--name", "Burst", "--redirect-uri", CALLBACK]);
        let secret = app["client_secret"].as_str().unwrap().to_owned();
        let mut server = Server::start(&database_url);

        let received = Arc::new(Mutex::new(Vec::<String>::new()));
        let http = reqwest::Client::new();
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (http, url, received) = (http.clone(), server.url("/oauth/token"), Arc::clone(&received));
                let form = client_credentials(&app);
                tokio::spawn(async move {
                    // Bounded: at most 500 requests per worker; stops at the first failure (the kill).
                    for _ in 0..500 {
                        let Ok(response) = http.post(&url).form(&form).send().await else { break };
                        let Ok(body) = response.json::<Value>().await else { break };
                        let Some(token) = body["access_token"].as_str() else { break };
                        received.lock().unwrap().push(token.to_owned());
                    }
                })
            })
            .collect();
        // Kill once the burst is well under way.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while received.lock().unwrap().len() < 100 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        for worker in workers {
            worker.await.unwrap();
        }
        let received = received.lock().unwrap().clone();
        assert!(received.len() >= 100, "the burst must have been under way: {} tokens", received.len());

        eprintln!("{database_url}: {} tokens received before SIGKILL", received.len());
        let restarted = Server::start(&database_url);
        assert_tokens_kept(&restarted, &received, &database_url).await;
        let mut secrets: Vec<&str> = received.iter().map(String::as_str).collect();
        secrets.push(&secret);
        server.assert_logs_free_of(&secrets);
        restarted.assert_logs_free_of(&secrets);
    }
}

#[tokio::test]
async fn three_instances_on_one_postgresql_behave_as_one_server() {
    let Some(database_url) = postgres_url().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set; the scale-out test needs PostgreSQL");
        return;
    };
    admin(&database_url, &["users", "create", "--email", "scale@example.com", "--password", PASSWORD]);
    let app = admin(&database_url, &["apps", "create", "--name", "Scale", "--redirect-uri", CALLBACK]);
    let (client_id, secret) = (app["client_id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    let servers: Vec<Server> = (0..3).map(|_| Server::start(&database_url)).collect();
    let params = [("response_type", "code"), ("client_id", client_id), ("redirect_uri", CALLBACK), ("state", "s")];

    // Sign in on instance 1, consent on instance 2 (cookies are per host, not per port).
    let browser = Browser::new(&servers[0].base);
    assert_eq!(browser.sign_in("scale@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let approved = browser.at(&servers[1].base).consent(&params, "approve").await;
    assert_eq!(approved.status(), StatusCode::FOUND);
    let code = location_query(&approved).remove("code").unwrap();

    // Redeem on instance 3.
    let http = reqwest::Client::new();
    let exchange = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("redirect_uri", CALLBACK),
        ("code", &code),
    ];
    let response = http.post(servers[2].url("/oauth/token")).form(&exchange).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();

    // A token minted on one instance is accepted by all.
    for server in &servers {
        let me = http.get(server.url("/api/public/me")).bearer_auth(access).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::OK, "{}", server.base);
    }

    // Replaying the code on instance 1 revokes the token; every instance refuses it at once.
    let replay = http.post(servers[0].url("/oauth/token")).form(&exchange).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    for server in &servers {
        let me = http.get(server.url("/api/public/me")).bearer_auth(access).send().await.unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{}", server.base);
    }

    // Concurrent refreshes of one refresh token spread over the instances: exactly one wins.
    let code = browser.at(&servers[2].base).obtain_code("scale@example.com", PASSWORD, &params).await;
    let mut exchange = exchange;
    exchange[4] = ("code", &code);
    let tokens: Value =
        http.post(servers[1].url("/oauth/token")).form(&exchange).send().await.unwrap().json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let attempts: Vec<_> = (0..30)
        .map(|i| {
            let (http, url) = (http.clone(), servers[i % 3].url("/oauth/token"));
            let form = [
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client_id.to_owned()),
                ("client_secret", secret.to_owned()),
                ("refresh_token", refresh.clone()),
            ];
            tokio::spawn(async move { http.post(url).form(&form).send().await.unwrap().status() })
        })
        .collect();
    let mut successes = 0;
    for attempt in attempts {
        successes += usize::from(attempt.await.unwrap() == StatusCode::OK);
    }
    assert_eq!(successes, 1, "exactly one rotation wins across instances");

    // A signing key rotated once is published by every instance at once: keys live in the database.
    let rotated = admin(&database_url, &["keys", "rotate"]);
    for server in &servers {
        let jwks: Value = http.get(server.url("/oauth/discovery/keys")).send().await.unwrap().json().await.unwrap();
        let published: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|key| &key["kid"]).collect();
        for new in rotated["keys"].as_array().unwrap() {
            assert!(published[..2].contains(&&new["kid"]), "{}: the new keys come first", server.base);
        }
        assert!(published.contains(&&rotated["kid"]));
        assert_eq!(published.len(), 4, "the previous RS256 and ES256 keys stay published");
    }

    for server in &servers {
        server.assert_logs_free_of(&[access, &refresh, &code, secret, PASSWORD]);
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_cleanly() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let database_url = dir.path().join("shutdown.db").to_str().unwrap().to_owned();
    let mut server = Server::start(&database_url);
    let address = server.base.trim_start_matches("http://").to_owned();

    // A request whose body is only half sent when the signal arrives.
    let body = "grant_type=client_credentials&client_id=nobody&client_secret=nothing";
    let (first, rest) = body.split_at(20);
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "POST /oauth/token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.child.try_wait().unwrap().is_none(), "the server waits for the request in flight");

    stream.write_all(rest.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 401"), "the request got its full answer: {response}");
    assert!(response.contains("invalid_client"), "{response}");

    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
}

/// Runs the binary with `args` and returns (success, stderr).
fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN).args(args).env("RUST_LOG", "warn").output().expect("run ticketbooth");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn with_migrations_refused_only_migrate_touches_the_schema_and_the_rest_wait_for_it() {
    let dir = tempfile::tempdir().unwrap();
    for url in database_urls(&dir).await {
        let users = [
            "users",
            "create",
            "--email",
            "m@example.com",
            "--password",
            PASSWORD,
            "--database-url",
            &url,
            "--migrations",
            "refuse",
        ];
        let (ok, stderr) = run(&users);
        assert!(!ok && stderr.contains("migrations are pending") && stderr.contains("ticketbooth migrate"), "{stderr}");
        let (ok, stderr) = run(&["migrate", "--database-url", &url, "--migrations", "refuse"]);
        assert!(ok, "{stderr}");
        let (ok, stderr) = run(&users);
        assert!(ok, "after `migrate` the others start: {stderr}");
    }
}

#[test]
fn a_configuration_file_is_read_and_config_show_masks_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ticketbooth.toml");
    std::fs::write(&file, "me_rate_limit = 42\nmetrics_token = \"scrape-me\"\n").unwrap();
    let output = Command::new(BIN)
        .args(["config", "show", "--database-url", "postgres://app:hunter2@db.example/tb"])
        .env("TICKETBOOTH_CONFIG", &file)
        .output()
        .expect("run ticketbooth");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(shown.contains("me_rate_limit = 42"), "{shown}");
    assert!(shown.contains("postgres://app:********@db.example/tb"), "{shown}");
    assert!(!shown.contains("hunter2") && !shown.contains("scrape-me"), "{shown}");
}

/// Webhook deliveries a receiver got: (webhook-id, ticket id).
type Deliveries = Arc<Mutex<Vec<(String, i64)>>>;

async fn record_delivery(
    axum::extract::State(deliveries): axum::extract::State<Deliveries>,
    headers: axum::http::HeaderMap,
    body: axum::Json<Value>,
) -> axum::http::StatusCode {
    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    deliveries.lock().unwrap().push((id, body["ticket"]["id"].as_i64().unwrap_or_default()));
    axum::http::StatusCode::NO_CONTENT
}

#[tokio::test]
async fn an_event_committed_before_a_sigkill_is_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    for database_url in database_urls(&dir).await {
        // The receiver's port, not yet listening: deliveries before the kill fail.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let hooks = format!("http://127.0.0.1:{port}/hooks");
        let organizer = admin(&database_url, &["organizers", "create", "--name", "Door Co"]);
        let organizer_id = organizer["id"].to_string();
        let event = admin(
            &database_url,
            &["events", "create", "--organizer", &organizer_id, "--name", "Gig", "--ticket-type", "GA:0"],
        );
        let app = admin(
            &database_url,
            &[
                "apps",
                "create",
                "--name",
                "Box office",
                "--redirect-uri",
                CALLBACK,
                "--scopes",
                "public organizer",
                "--organizer",
                &organizer_id,
            ],
        );
        admin(
            &database_url,
            &[
                "webhooks",
                "create",
                "--organizer",
                &organizer_id,
                "--url",
                &hooks,
                "--events",
                "ticket.created",
                "--allow-insecure",
            ],
        );
        let mut server = Server::start_with(&database_url, &["--allow-insecure-webhooks"]);
        let http = reqwest::Client::new();
        let form = client_credentials(&app);
        let token: Value =
            http.post(server.url("/oauth/token")).form(&form).send().await.unwrap().json().await.unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        let tickets_path = format!("/api/public/organizers/{organizer_id}/events/{}/tickets", event["id"]);
        let mut acknowledged = Vec::new();
        for n in 0..20 {
            let ticket = serde_json::json!({ "ticket_type_id": event["ticket_types"][0]["id"], "firstname": "Kill",
                "lastname": format!("Nine {n}"), "email": "k@example.com", "phone": "0800000000" });
            let response = http.post(server.url(&tickets_path)).bearer_auth(&token).json(&ticket).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            acknowledged.push(response.json::<Value>().await.unwrap()["ticket"]["id"].as_i64().unwrap());
        }
        server.kill();

        let deliveries: Deliveries = Arc::default();
        let receiver = axum::Router::new()
            .route("/hooks", axum::routing::post(record_delivery))
            .with_state(Arc::clone(&deliveries));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let receiving = tokio::spawn(async move { axum::serve(listener, receiver).await });
        let _restarted = Server::start_with(&database_url, &["--allow-insecure-webhooks"]);
        // A failed first attempt waits about 5 s; an attempt cut off by the kill waits for its
        // claim to run out (30 s).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let delivered: std::collections::HashSet<i64> =
                deliveries.lock().unwrap().iter().map(|(_, t)| *t).collect();
            if acknowledged.iter().all(|id| delivered.contains(id)) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{database_url}: delivered {delivered:?} of {acknowledged:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Duplicates are allowed, and carry the webhook-id of the first.
        let deliveries = deliveries.lock().unwrap().clone();
        for (id, ticket) in &deliveries {
            let same: std::collections::HashSet<&String> =
                deliveries.iter().filter(|(_, other)| other == ticket).map(|(id, _)| id).collect();
            assert_eq!(same.len(), 1, "{database_url}: ticket {ticket} came with several webhook-ids ({id})");
        }
        eprintln!("{database_url}: {} deliveries of {} events after the restart", deliveries.len(), acknowledged.len());
        receiving.abort();
    }
}
