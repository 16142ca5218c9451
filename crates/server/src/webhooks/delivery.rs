//! The delivery worker. Any instance claims endpoints whose next delivery is due (a lease, so one
//! worker per endpoint at a time), sends each endpoint's queue in order and stops it at the first
//! failure, which waits for its retry; endpoints are served concurrently. An attempt is recorded
//! only after it ends, so a process killed in between sends it again later with the same
//! `webhook-id` (at least once).

use super::{payload, signature, WebhookSettings};
use crate::outbound::PublicOnly;
use chrono::{TimeDelta, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ticketbooth_domain::webhooks::{forbidden_address, retry_delay, verdict, with_jitter, AttemptVerdict};
use ticketbooth_store::{Attempt, AttemptRecord, ClaimedEndpoint, DeliveryState, DynStore, QueuedDelivery};
use tokio::sync::{Notify, OnceCell};

/// Endpoints served at once, and deliveries per endpoint and claim.
const ENDPOINTS_PER_CLAIM: u32 = 32;
const DELIVERIES_PER_ENDPOINT: u32 = 200;
/// How long a claim keeps other workers off an endpoint. A worker starts no attempt after
/// `SEND_BUDGET` and each attempt ends within the timeout, so the lease outlasts the work.
const LEASE: TimeDelta = TimeDelta::seconds(30);
const SEND_BUDGET: Duration = Duration::from_secs(15);
/// How long an idle worker waits after a wake-up before it claims.
const GATHER: Duration = Duration::from_millis(20);
/// The part of an answer kept in the delivery log.
const RESPONSE_KEPT: usize = 1024;

/// Runs the worker until the process ends: woken when this instance queues an event, and every
/// poll interval for events queued elsewhere or due for a retry.
pub fn spawn_webhook_delivery(
    store: DynStore,
    settings: WebhookSettings,
    issuer: String,
    queued: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let senders = Arc::new(tokio::sync::Semaphore::new(ENDPOINTS_PER_CLAIM as usize));
        let worker =
            Arc::new(Worker { store, client: OnceCell::new(), settings, issuer, senders, freed: Arc::default() });
        loop {
            if worker.clone().round().await {
                continue;
            }
            tokio::select! {
                () = queued.notified() => {
                    // Events come in bursts: gather them, so a stream of changes costs the writer
                    // a claim per window rather than one per change.
                    tokio::time::sleep(GATHER).await;
                }
                () = worker.freed.notified() => {}
                () = tokio::time::sleep(worker.settings.poll_interval) => {}
            }
        }
    })
}

fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The whole exchange's limit is `send`'s; this only bounds the connection within it.
        .connect_timeout(settings.timeout)
        .user_agent(concat!("Ticketbooth-Webhooks/", env!("CARGO_PKG_VERSION")));
    let builder = if settings.allow_insecure { builder } else { builder.dns_resolver(Arc::new(PublicOnly)) };
    builder.build()
}

struct Worker {
    store: DynStore,
    /// Made at the first delivery: its TLS roots cost a server that sends no webhooks 10 MB.
    client: OnceCell<reqwest::Client>,
    settings: WebhookSettings,
    issuer: String,
    /// Woken by senders that finish: their endpoint may have more waiting, and a sender is free.
    freed: Arc<Notify>,
    /// Endpoints being served now. Each is served by a task of its own, so one slow endpoint
    /// (10 s timeouts) never holds up the others.
    senders: Arc<tokio::sync::Semaphore>,
}

impl Worker {
    /// Claims as many endpoints as there are free senders and starts serving each; true when it
    /// claimed any.
    async fn round(self: Arc<Self>) -> bool {
        let free = u32::try_from(self.senders.available_permits()).unwrap_or(0).min(ENDPOINTS_PER_CLAIM);
        if free == 0 {
            return false;
        }
        let now = Utc::now();
        let claimed = match self.store.claim_webhook_endpoints(now, now + LEASE, free, DELIVERIES_PER_ENDPOINT).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(%err, "could not read the webhook queue");
                return false;
            }
        };
        let busy = !claimed.is_empty();
        for endpoint in claimed {
            // Only this loop takes senders, and it claimed no more endpoints than were free.
            let Ok(sender) = Arc::clone(&self.senders).try_acquire_owned() else { break };
            let worker = Arc::clone(&self);
            tokio::spawn(async move {
                worker.clone().serve(endpoint).await;
                drop(sender);
                worker.freed.notify_one();
            });
        }
        busy
    }

    /// Sends an endpoint's claimed deliveries in order, stopping at the first failure, then
    /// records the attempts and releases the claim.
    async fn serve(self: Arc<Self>, claimed: ClaimedEndpoint) {
        let endpoint = &claimed.endpoint;
        let started = Instant::now();
        let mut records = Vec::new();
        let mut disable = None;
        for delivery in &claimed.deliveries {
            if started.elapsed() > SEND_BUDGET {
                break;
            }
            let (record, gone) = self.attempt(&claimed, delivery).await;
            let delivered = record.state == DeliveryState::Delivered;
            if record.state == DeliveryState::Failed {
                disable =
                    Some(if gone { "the receiver answered 410 Gone" } else { "deliveries kept failing for 3 days" });
            }
            records.push(record);
            if !delivered {
                break;
            }
        }
        if let Some(reason) = disable {
            tracing::warn!(endpoint = endpoint.id, organizer = endpoint.organizer_id, url = %endpoint.url, reason,
                "webhook endpoint disabled");
        }
        if let Err(err) = self.store.finish_webhook_attempts(endpoint.id, &records, disable, Utc::now()).await {
            // The attempts are sent again when the lease runs out: at least once, never lost.
            tracing::warn!(%err, endpoint = endpoint.id, "could not record webhook attempts");
        }
    }

    /// One attempt; also says whether the receiver answered 410.
    async fn attempt(&self, claimed: &ClaimedEndpoint, delivery: &QueuedDelivery) -> (AttemptRecord, bool) {
        let endpoint = &claimed.endpoint;
        let started_at = Utc::now();
        let clock = Instant::now();
        let outcome = self.send(claimed, delivery, started_at.timestamp()).await;
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (response_status, response_body, error) = match outcome {
            Ok((status, body)) => (Some(status), body, None),
            Err(err) => (None, String::new(), Some(err)),
        };
        let attempt = delivery.attempts.saturating_add(1);
        let judged = verdict(response_status);
        let state = match judged {
            AttemptVerdict::Delivered => DeliveryState::Delivered,
            AttemptVerdict::Gone => DeliveryState::Failed,
            AttemptVerdict::Retry => match retry_delay(attempt) {
                Some(delay) => {
                    let wait = with_jitter(delay, rand::random::<f64>()).mul_f64(self.settings.retry_scale);
                    DeliveryState::RetryAt(Utc::now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(24)))
                }
                None => DeliveryState::Failed,
            },
        };
        if judged != AttemptVerdict::Delivered {
            tracing::info!(endpoint = endpoint.id, delivery = delivery.id, attempt, status = ?response_status,
                error = error.as_deref().unwrap_or(""), "webhook attempt failed");
        }
        let record = AttemptRecord {
            delivery_id: delivery.id,
            attempt: Attempt { attempt, started_at, duration_ms, response_status, response_body, error },
            state,
        };
        (record, judged == AttemptVerdict::Gone)
    }

    /// Posts the signed event; the answer's status and first KiB.
    async fn send(
        &self,
        claimed: &ClaimedEndpoint,
        delivery: &QueuedDelivery,
        timestamp: i64,
    ) -> Result<(u16, String), String> {
        let endpoint = &claimed.endpoint;
        let url = reqwest::Url::parse(&endpoint.url).map_err(|err| format!("url: {err}"))?;
        // Names are checked by the resolver; an address in the URL is checked here.
        if !self.settings.allow_insecure {
            if let Some(ip) = url.host_str().and_then(|host| host.trim_matches(['[', ']']).parse().ok()) {
                if forbidden_address(ip) {
                    return Err("the endpoint's address is not public".into());
                }
            }
        }
        let body = serde_json::to_vec(&payload(&delivery.event, &self.issuer)).map_err(|err| err.to_string())?;
        let id = &delivery.event.public_id;
        let signature = signature(&endpoint.signing_secrets(Utc::now()), id, timestamp, &body)?;
        let client =
            self.client.get_or_try_init(|| async { client(&self.settings) }).await.map_err(|err| describe(&err))?;
        let exchange = async {
            let mut response = client
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", id.as_str())
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .map_err(|err| describe(&err))?;
            let status = response.status().as_u16();
            let mut kept = Vec::new();
            while kept.len() < RESPONSE_KEPT {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            kept.truncate(RESPONSE_KEPT);
            Ok((status, String::from_utf8_lossy(&kept).into_owned()))
        };
        tokio::time::timeout(self.settings.timeout, exchange).await.map_err(|_| "timed out".to_owned())?
    }
}

/// A delivery error in a line, with its cause.
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
