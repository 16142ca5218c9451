//! Partner webhooks: endpoints and their subscriptions, the outbox of events (written by the
//! ticketing changes themselves, in their transactions), deliveries and the log of attempts.

use crate::{Page, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::webhooks::{EventType, Subject};

/// An endpoint to create.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub organizer_id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub secret: String,
}

/// A subscriber's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: i64,
    pub organizer_id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
    pub secret: String,
    /// A rotated-out secret and until when deliveries are also signed with it.
    pub previous_secret: Option<(String, DateTime<Utc>)>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    /// The secrets a delivery at `now` is signed with: the current one, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous =
            self.previous_secret.as_ref().filter(|(_, until)| *until > now).map(|(secret, _)| secret.as_str());
        std::iter::once(self.secret.as_str()).chain(previous).collect()
    }
}

/// Changes to an endpoint; `None` leaves a field as it is. A new URL, or re-enabling, tries the
/// endpoint's waiting deliveries at once.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub events: Option<Vec<EventType>>,
    /// `Some(true)` re-enables a disabled endpoint (its queue resumes), `Some(false)` disables it.
    pub enabled: Option<bool>,
}

/// An event in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The public id: the payload's `id` and the `webhook-id` header.
    pub public_id: String,
    pub event_type: EventType,
    pub subject: Subject,
    pub created_at: DateTime<Utc>,
}

/// A delivery waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDelivery {
    pub id: i64,
    /// Attempts made before this one.
    pub attempts: u32,
    pub event: StoredEvent,
}

/// An endpoint claimed by one worker, with the head of its queue in order.
#[derive(Debug, Clone)]
pub struct ClaimedEndpoint {
    pub endpoint: Endpoint,
    pub deliveries: Vec<QueuedDelivery>,
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Delivered,
    /// Failed; try again at this time.
    RetryAt(DateTime<Utc>),
    /// Failed for good (schedule used up, or the receiver said 410).
    Failed,
}

/// One attempt, to record with what it made of its delivery.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt: Attempt,
    pub state: DeliveryState,
}

/// A recorded attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub response_status: Option<u16>,
    pub response_body: String,
    pub error: Option<String>,
}

/// A delivery with its attempts (the delivery log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub event: StoredEvent,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub attempts: Vec<Attempt>,
}

/// Webhook endpoints, the event outbox and the delivery log.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn create_webhook_endpoint(&self, endpoint: NewEndpoint, now: DateTime<Utc>) -> StoreResult<Endpoint>;
    /// An organizer's endpoints, oldest first.
    async fn webhook_endpoints(&self, organizer_id: i64) -> StoreResult<Vec<Endpoint>>;
    async fn find_webhook_endpoint(&self, organizer_id: i64, id: i64) -> StoreResult<Option<Endpoint>>;
    async fn update_webhook_endpoint(
        &self,
        organizer_id: i64,
        id: i64,
        change: EndpointChange,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Endpoint>>;
    /// Deletes an endpoint with its queue and log; false when there was none.
    async fn delete_webhook_endpoint(&self, organizer_id: i64, id: i64) -> StoreResult<bool>;
    /// Replaces the secret; the old one signs too until `previous_until`.
    async fn rotate_webhook_secret(
        &self,
        organizer_id: i64,
        id: i64,
        secret: &str,
        previous_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Endpoint>>;
    /// Queues a `webhook.test` event for this endpoint alone; returns its delivery.
    async fn queue_test_event(&self, endpoint: &Endpoint, now: DateTime<Utc>) -> StoreResult<Delivery>;
    /// Claims up to `endpoints` enabled endpoints whose next delivery is due, until
    /// `lease_until` (no other claim returns them meanwhile), each with up to `per_endpoint`
    /// due deliveries in the order they were queued.
    async fn claim_webhook_endpoints(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        endpoints: u32,
        per_endpoint: u32,
    ) -> StoreResult<Vec<ClaimedEndpoint>>;
    /// Records a claimed endpoint's attempts, disables it when `disable` gives a reason, and
    /// releases the claim; in one transaction.
    async fn finish_webhook_attempts(
        &self,
        endpoint_id: i64,
        attempts: &[AttemptRecord],
        disable: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// A page of an endpoint's deliveries, newest first, with their attempts.
    async fn webhook_deliveries(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Page<Delivery>>;
    async fn find_webhook_delivery(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        delivery_id: i64,
    ) -> StoreResult<Option<Delivery>>;
    /// Queues the delivery's event again for its endpoint (a new delivery, same `webhook-id`).
    async fn redeliver_webhook(
        &self,
        organizer_id: i64,
        endpoint_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Delivery>>;
    /// Deliveries not yet delivered nor failed (metrics, tests, the benchmark).
    async fn pending_webhook_deliveries(&self) -> StoreResult<u64>;
}
