//! Webhooks end to end, with real receivers on 127.0.0.1: management, what is delivered and how
//! it is signed (checked by the Standard Webhooks reference library in Node.js), retries with
//! growing gaps, 410, the delivery log, redelivery, SSRF refusals and two instances sharing one
//! queue.

use crate::api_world::*;
use crate::harness::*;
use crate::node::node_helpers;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request a receiver got.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) signature: String,
    pub(crate) body: Value,
    pub(crate) raw: Vec<u8>,
    pub(crate) at: Instant,
}

#[derive(Default)]
struct ReceiverState {
    received: Mutex<Vec<Received>>,
    /// Statuses to answer, in turn; 200 once used up.
    script: Mutex<Vec<u16>>,
    /// How long each answer takes.
    delay: Duration,
    in_flight: Mutex<usize>,
    most_in_flight: Mutex<usize>,
}

/// A webhook receiver on 127.0.0.1.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    state: Arc<ReceiverState>,
}

async fn receive(State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: axum::body::Bytes) -> AxumStatus {
    {
        let mut in_flight = state.in_flight.lock().unwrap();
        *in_flight += 1;
        let mut most = state.most_in_flight.lock().unwrap();
        *most = (*most).max(*in_flight);
    }
    tokio::time::sleep(state.delay).await;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    state.received.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw: body.to_vec(),
        at: Instant::now(),
    });
    *state.in_flight.lock().unwrap() -= 1;
    let mut script = state.script.lock().unwrap();
    let status = if script.is_empty() { 200 } else { script.remove(0) };
    AxumStatus::from_u16(status).unwrap()
}

impl Receiver {
    pub(crate) async fn start(script: &[u16], delay: Duration) -> Receiver {
        let state = Arc::new(ReceiverState { script: Mutex::new(script.to_vec()), delay, ..ReceiverState::default() });
        let app = axum::Router::new().route("/hooks", axum::routing::post(receive)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, state }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits until `count` requests arrived (at most 20 s).
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() > deadline {
                assert!(received.len() >= count, "expected {count} deliveries, got {}", received.len());
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn most_in_flight(&self) -> usize {
        *self.state.most_in_flight.lock().unwrap()
    }
}

/// Verifies a delivery with the Standard Webhooks library (the Rust one; the Node.js test below
/// uses the reference implementation).
fn verifies(received: &Received, secret: &str) -> bool {
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", received.id.parse().unwrap());
    headers.insert("webhook-timestamp", received.timestamp.parse().unwrap());
    headers.insert("webhook-signature", received.signature.parse().unwrap());
    standardwebhooks::Webhook::new(secret).unwrap().verify(&received.raw, &headers).is_ok()
}

pub(crate) async fn subscribe(w: &World, token: &str, url: &str, events: &[&str]) -> (i64, String) {
    let path = format!("/api/public/organizers/{}/webhooks", w.organizer_id);
    let (status, body) = w.app.api_post(&path, token, json!({ "url": url, "events": events })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["webhook"]["id"].as_i64().unwrap(), body["secret"].as_str().unwrap().to_owned())
}

async fn request(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    let response = builder.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn new_ticket(w: &World) -> Value {
    json!({ "ticket_type_id": w.types[0].id, "firstname": "Nok", "lastname": "Chai",
            "email": "nok@partner.example", "phone": "0822222222" })
}

/// Waits until the endpoint's newest delivery has `attempts` attempts and is no longer pending
/// (or has that many attempts and is pending, when `pending`).
async fn log_of(w: &World, token: &str, webhook: i64) -> Vec<Value> {
    let path = format!("/api/public/organizers/{}/webhooks/{webhook}/deliveries?per_page=100", w.organizer_id);
    let (status, body) = w.app.api_get(&path, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["deliveries"].as_array().unwrap().clone()
}

backend_test! {
    async fn subscriptions_are_managed_and_deliveries_carry_the_api_model_signed() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let hooks = format!("/api/public/organizers/{}/webhooks", w.organizer_id);

        // Refused: a non-loopback http URL, an unknown event type, no event types.
        for (body, expected) in [
            (json!({ "url": "http://partner.example/h", "events": ["ticket.created"] }), StatusCode::UNPROCESSABLE_ENTITY),
            (json!({ "url": receiver.url, "events": ["ticket.deleted"] }), StatusCode::BAD_REQUEST),
            (json!({ "url": receiver.url, "events": [] }), StatusCode::BAD_REQUEST),
        ] {
            let (status, answer) = w.app.api_post(&hooks, &token, body).await;
            assert_eq!(status, expected, "{answer}");
        }
        // Another organizer's application may not touch these.
        let stranger = w.app.app_token(&w.other_client).await;
        let (status, _) = w.app.api_get(&hooks, &stranger).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (webhook, secret) = subscribe(&w, &token, &receiver.url, &["ticket.created", "ticket.invalidated"]).await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        let (status, listed) = w.app.api_get(&hooks, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(listed["webhooks"][0]["id"], webhook);
        assert_eq!(listed["webhooks"][0]["status"], "enabled");
        assert!(listed["webhooks"][0].get("secret").is_none(), "the secret is shown once only");

        let (status, created) = w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;
        assert_eq!(status, StatusCode::CREATED);
        let code = created["ticket"]["reference_code"].as_str().unwrap().to_owned();
        let invalidate = json!({ "reference_code": code, "reason": "duplicate" });
        let (status, invalidated) = w.app.api_post(&w.event_path("/tickets/invalidate"), &token, invalidate).await;
        assert_eq!(status, StatusCode::OK);

        let received = receiver.wait_for(2).await;
        assert_eq!(received[0].body["type"], "ticket.created");
        assert_eq!(received[1].body["type"], "ticket.invalidated", "in the order they happened");
        // The object in the API's own model, as the change left it.
        assert_eq!(received[0].body["ticket"], created["ticket"]);
        assert_eq!(received[1].body["ticket"], invalidated["ticket"]);
        for delivery in &received {
            assert!(verifies(delivery, &secret), "signature");
            assert_eq!(delivery.body["id"], delivery.id.as_str(), "the payload's id is the webhook-id");
            assert!(delivery.signature.starts_with("v1,"));
            let age = chrono::Utc::now().timestamp() - delivery.timestamp.parse::<i64>().unwrap();
            assert!((0..60).contains(&age));
            assert!(delivery.body["created_at"].as_str().is_some());
        }
        assert!(!verifies(&received[0], &ticketbooth_domain::webhooks::generate_secret()));

        // The delivery log: each delivery with its payload and its attempt (recorded once the
        // worker's batch ends, just after the receiver answered).
        let deadline = Instant::now() + Duration::from_secs(10);
        let log = loop {
            let log = log_of(&w, &token, webhook).await;
            if log.iter().all(|d| d["status"] == "delivered") || Instant::now() > deadline {
                break log;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(log.len(), 2);
        assert_eq!(log[0]["event_type"], "ticket.invalidated", "newest first");
        assert_eq!((log[1]["status"].clone(), log[1]["attempts"][0]["response_status"].clone()), ("delivered".into(), 200.into()));
        assert_eq!(log[1]["payload"], received[0].body);

        // Narrowed to order.paid: a new ticket is not sent.
        let path = format!("{hooks}/{webhook}");
        let (status, updated) =
            request(&w.app, reqwest::Method::PATCH, &path, &token, Some(json!({ "events": ["order.paid"] }))).await;
        assert_eq!((status, updated["webhook"]["events"].clone()), (StatusCode::OK, json!(["order.paid"])));
        w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;

        // Rotation: both secrets sign for a day; a test event shows it.
        let (status, rotated) = w.app.api_post(&format!("{path}/rotate_secret"), &token, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let new_secret = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret);
        let (status, test) = w.app.api_post(&format!("{path}/test"), &token, json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{test}");
        let received = receiver.wait_for(3).await;
        assert_eq!(received.len(), 3, "the narrowed subscription sent no ticket.created");
        assert_eq!(received[2].body["type"], "webhook.test");
        assert!(verifies(&received[2], &new_secret) && verifies(&received[2], &secret));

        // Redelivery: the same event again, with the same webhook-id.
        let first = log[1]["id"].as_i64().unwrap();
        let (status, again) = w.app.api_post(&format!("{path}/deliveries/{first}/redeliver"), &token, json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{again}");
        let received = receiver.wait_for(4).await;
        assert_eq!(received[3].id, received[0].id);
        assert_eq!(received[3].body, received[0].body);

        let (status, _) = request(&w.app, reqwest::Method::DELETE, &path, &token, None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = w.app.api_get(&path, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

backend_test! {
    async fn failed_deliveries_are_retried_with_growing_gaps_and_410_disables() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let flaky = Receiver::start(&[500, 503, 500], Duration::ZERO).await;
        let gone = Receiver::start(&[410], Duration::ZERO).await;
        let (flaky_hook, _) = subscribe(&w, &token, &flaky.url, &["ticket.created"]).await;
        let (gone_hook, _) = subscribe(&w, &token, &gone.url, &["ticket.created"]).await;
        w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;

        let received = flaky.wait_for(4).await;
        assert!(received.iter().all(|r| r.id == received[0].id), "every attempt carries the same webhook-id");
        let gaps: Vec<Duration> = received.windows(2).map(|pair| pair[1].at - pair[0].at).collect();
        assert!(gaps.windows(2).all(|pair| pair[0] < pair[1]), "growing gaps: {gaps:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let log = log_of(&w, &token, flaky_hook).await;
        let statuses: Vec<Value> = log[0]["attempts"].as_array().unwrap().iter().map(|a| a["response_status"].clone()).collect();
        assert_eq!(statuses, [json!(500), json!(503), json!(500), json!(200)]);
        assert_eq!(log[0]["status"], "delivered");

        // 410: no retry, and the endpoint is disabled.
        assert_eq!(gone.wait_for(1).await.len(), 1);
        let path = format!("/api/public/organizers/{}/webhooks/{gone_hook}", w.organizer_id);
        let deadline = Instant::now() + Duration::from_secs(10);
        let shown = loop {
            let (_, shown) = w.app.api_get(&path, &token).await;
            if shown["webhook"]["status"] == "disabled" || Instant::now() > deadline {
                break shown;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(shown["webhook"]["status"], "disabled", "{shown}");
        assert!(shown["webhook"]["disabled_reason"].as_str().unwrap().contains("410"));
        w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;
        flaky.wait_for(5).await;
        assert_eq!(gone.received().len(), 1, "a disabled endpoint gets nothing more");
        assert_eq!(log_of(&w, &token, gone_hook).await[0]["status"], "failed");

        // A receiver that is down: the attempt is logged with why, and stays pending.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let down = format!("http://{}/hooks", closed.local_addr().unwrap());
        drop(closed);
        let (down_hook, _) = subscribe(&w, &token, &down, &["ticket.created"]).await;
        w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let log = loop {
            let log = log_of(&w, &token, down_hook).await;
            if log.first().is_some_and(|d| d["attempts"].as_array().unwrap().len() >= 2) || Instant::now() > deadline {
                break log;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(log[0]["status"], "pending");
        assert_eq!(log[0]["attempts"][0]["response_status"], Value::Null);
        assert!(log[0]["attempts"][0]["error"].as_str().is_some_and(|e| !e.is_empty()), "{}", log[0]);
    }
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_gets_retries() {
    let app = TestApp::spawn_with(|config| config.webhooks.timeout = Duration::from_millis(200)).await;
    let member = app.create_user("slow@example.com").await;
    let organizer = app.store.create_organizer("Org", &[member.id]).await.unwrap();
    let client = app.create_client_owned_by(Some(organizer.id), true, &[CALLBACK], "public organizer").await;
    let token = app.app_token(&client).await;
    let slow = Receiver::start(&[], Duration::from_millis(1000)).await;
    let path = format!("/api/public/organizers/{}/webhooks", organizer.id);
    let (_, made) = app.api_post(&path, &token, json!({ "url": slow.url, "events": ["ticket.created"] })).await;
    let webhook = made["webhook"]["id"].as_i64().unwrap();
    let (status, _) = app.api_post(&format!("{path}/{webhook}/test"), &token, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let deadline = Instant::now() + Duration::from_secs(15);
    let attempts = loop {
        let (_, log) = app.api_get(&format!("{path}/{webhook}/deliveries"), &token).await;
        let attempts = log["deliveries"][0]["attempts"].as_array().cloned().unwrap_or_default();
        if attempts.len() >= 2 || Instant::now() > deadline {
            break attempts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(attempts.len() >= 2, "retried: {attempts:?}");
    for attempt in &attempts {
        assert!(attempt["error"].as_str().unwrap().contains("timed out"), "{attempt}");
        assert!(attempt["duration_ms"].as_i64().unwrap() < 1000, "cut off at the timeout: {attempt}");
    }
}

backend_test! {
    async fn two_instances_never_send_one_attempt_twice_at_once() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let _second = w.app.second_instance().await;
        let receiver = Receiver::start(&[], Duration::from_millis(5)).await;
        subscribe(&w, &token, &receiver.url, &["ticket.created"]).await;
        let tickets = 40;
        for _ in 0..tickets {
            let (status, _) = w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let received = receiver.wait_for(tickets).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let received_now = receiver.received();
        assert_eq!(received_now.len(), tickets, "each event exactly once when nothing fails");
        let ids: std::collections::HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), tickets);
        assert_eq!(receiver.most_in_flight(), 1, "one sender per endpoint at a time, across instances");
        let ticket_ids: Vec<i64> = received.iter().map(|r| r.body["ticket"]["id"].as_i64().unwrap()).collect();
        assert!(ticket_ids.windows(2).all(|pair| pair[0] < pair[1]), "in order of creation: {ticket_ids:?}");
    }
}

backend_test! {
    async fn signatures_verify_with_the_standard_webhooks_reference_library() {
        let Some(helpers) = node_helpers() else { return };
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let secret_file = w.app.dir.path().join("secret");
        let log_file = w.app.dir.path().join("received.jsonl");
        std::fs::write(&secret_file, "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
        let node = std::process::Command::new("node")
            .arg(helpers.join("webhook-receiver.mjs"))
            .arg(&secret_file)
            .arg(&log_file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("node");
        let mut node = KillOnDrop(node);
        let mut port = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(node.0.stdout.take().unwrap()), &mut port).unwrap();
        let url = format!("http://127.0.0.1:{}/hooks", port.trim());
        let (webhook, secret) = subscribe(&w, &token, &url, &["ticket.created"]).await;
        std::fs::write(&secret_file, &secret).unwrap();

        let (_, created) = w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w)).await;
        let lines = read_lines(&log_file, 1).await;
        assert_eq!(lines[0]["verified"], true, "{}", lines[0]);
        assert_eq!(lines[0]["type"], "ticket.created");
        let body: Value = serde_json::from_str(lines[0]["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["ticket"], created["ticket"]);

        // After a rotation the reference library verifies with the new secret, and with the old
        // one during its grace period.
        let path = format!("/api/public/organizers/{}/webhooks/{webhook}", w.organizer_id);
        let (_, rotated) = w.app.api_post(&format!("{path}/rotate_secret"), &token, json!({})).await;
        std::fs::write(&secret_file, rotated["secret"].as_str().unwrap()).unwrap();
        w.app.api_post(&format!("{path}/test"), &token, json!({})).await;
        let lines = read_lines(&log_file, 2).await;
        assert_eq!(lines[1]["verified"], true, "{}", lines[1]);
        std::fs::write(&secret_file, &secret).unwrap();
        w.app.api_post(&format!("{path}/test"), &token, json!({})).await;
        let lines = read_lines(&log_file, 3).await;
        assert_eq!(lines[2]["verified"], true, "{}", lines[2]);
        // A stranger's secret does not verify: the library really checks.
        std::fs::write(&secret_file, ticketbooth_domain::webhooks::generate_secret()).unwrap();
        w.app.api_post(&format!("{path}/test"), &token, json!({})).await;
        let lines = read_lines(&log_file, 4).await;
        assert_eq!(lines[3]["verified"], false, "{}", lines[3]);
    }
}

/// A child process killed when the test ends, however it ends.
pub(crate) struct KillOnDrop(pub(crate) std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn read_lines(file: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        if lines.len() >= count || Instant::now() > deadline {
            assert!(lines.len() >= count, "expected {count} deliveries at the Node.js receiver, got {}", lines.len());
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn endpoints_on_internal_addresses_are_refused_by_default() {
    let app = TestApp::spawn_with(|config| config.webhooks.allow_insecure = false).await;
    let member = app.create_user("m@example.com").await;
    let organizer = app.store.create_organizer("Org", &[member.id]).await.unwrap();
    let client = app.create_client_owned_by(Some(organizer.id), true, &[CALLBACK], "public organizer").await;
    let token = app.app_token(&client).await;
    let path = format!("/api/public/organizers/{}/webhooks", organizer.id);
    for url in [
        "http://127.0.0.1:9/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
    ] {
        let (status, body) = app.api_post(&path, &token, json!({ "url": url, "events": ["ticket.created"] })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["error"], "invalid_url");
    }
    // A public https URL is accepted (it is not contacted until an event happens).
    let (status, body) = app
        .api_post(&path, &token, json!({ "url": "https://93.184.215.14/hooks", "events": ["ticket.created"] }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
