//! The webhooks scenario. wrk creates tickets through the API while the organizer's endpoint
//! points nowhere, so every `ticket.created` waits in the outbox (the API's write path with the
//! outbox in its transaction: `ticket-create`). Then the endpoint is pointed at a receiver in
//! this process (its queue resumes at once) and the backlog is timed as it drains
//! (`webhook-deliveries`). A second backlog drains while `bearer-read` runs:
//! `bearer-read (delivering)` against `bearer-read` is what delivery costs the API.

use crate::prepare::WebhookWorld;
use crate::scenarios::{Scenario, DONE};
use anyhow::{bail, Context};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver saw: deliveries, and when the last one came.
#[derive(Default)]
pub(crate) struct Received {
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
}

async fn receive(axum::extract::State(received): axum::extract::State<Arc<Received>>) -> axum::http::StatusCode {
    received.count.fetch_add(1, Ordering::Relaxed);
    *received.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
    axum::http::StatusCode::NO_CONTENT
}

/// Starts the receiver on 127.0.0.1; its URL and counters.
pub(crate) async fn start_receiver() -> anyhow::Result<(String, Arc<Received>)> {
    let received = Arc::new(Received::default());
    let app = axum::Router::new().route("/hooks", axum::routing::post(receive)).with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, received))
}

/// The ticket-creation scenario: one new API ticket per request.
pub(crate) fn ticket_create(world: &WebhookWorld) -> Scenario {
    let script = format!(
        r#"wrk.method = "POST"
wrk.path = "/api/public/organizers/{}/events/{}/tickets"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {}"
wrk.body = '{{"ticket_type_id":{},"firstname":"Bench","lastname":"Mark","email":"bench@bench.example","phone":"0800000000"}}'
{DONE}"#,
        world.organizer_id, world.event_id, world.token, world.ticket_type_id
    );
    Scenario { name: "ticket-create", script, data: None, single_use: false, refusals_expected: false }
}

/// Points the endpoint at `url` through the API.
pub(crate) async fn point_endpoint(base: &str, world: &WebhookWorld, url: &str) -> anyhow::Result<()> {
    let path = format!("{base}/api/public/organizers/{}/webhooks/{}", world.organizer_id, world.endpoint_id);
    let response = reqwest::Client::new()
        .patch(path)
        .bearer_auth(&world.token)
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .context("point the webhook endpoint at the receiver")?;
    if !response.status().is_success() {
        bail!("pointing the endpoint failed: {}", response.text().await.unwrap_or_default());
    }
    Ok(())
}

/// Waits until the receiver has `expected` deliveries in all (at most `patience`); the count,
/// and the rate of those since `resumed` (from the count then to the last delivery).
pub(crate) fn drained(
    received: &Received,
    expected: u64,
    resumed: Instant,
    patience: Duration,
) -> anyhow::Result<(u64, f64)> {
    let before = received.count.load(Ordering::Relaxed);
    let deadline = resumed + patience;
    loop {
        let count = received.count.load(Ordering::Relaxed);
        if count >= expected {
            let last = received.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).unwrap_or(resumed);
            let seconds = (last - resumed).as_secs_f64().max(1e-3);
            return Ok((count, (count - before) as f64 / seconds));
        }
        if Instant::now() > deadline {
            bail!("only {count} of {expected} webhook deliveries arrived within {patience:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
