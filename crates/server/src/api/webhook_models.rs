//! The webhook API's request and response models.

use super::models::time;
use super::params::Text;
use chrono::Utc;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ticketbooth_domain::webhooks::EventType;
use ticketbooth_store::{Attempt, Delivery, Endpoint};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// The event types a subscription names: a JSON array (or, in a form, a comma-separated list)
/// of at least one subscribable type.
#[derive(Debug, Clone)]
pub(crate) struct EventTypes(pub(crate) Vec<EventType>);

impl<'de> Deserialize<'de> for EventTypes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Names {
            List(Vec<String>),
            Text(String),
        }
        let names = match Names::deserialize(deserializer)? {
            Names::List(names) => names,
            Names::Text(text) => text.split(',').map(|name| name.trim().to_owned()).collect(),
        };
        let mut types = Vec::with_capacity(names.len());
        for name in &names {
            let kind = EventType::from_name(name)
                .ok_or_else(|| serde::de::Error::custom(format_args!("{name:?} is not an event type")))?;
            if !types.contains(&kind) {
                types.push(kind);
            }
        }
        if types.is_empty() {
            return Err(serde::de::Error::custom("events must name at least one event type"));
        }
        Ok(EventTypes(types))
    }
}

impl PartialSchema for EventTypes {
    fn schema() -> RefOr<Schema> {
        let names = EventType::SUBSCRIBABLE.map(EventType::as_str);
        let item = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names));
        ArrayBuilder::new().items(item).min_items(Some(1)).into()
    }
}

impl ToSchema for EventTypes {}

/// A subscription to create.
#[derive(Deserialize, ToSchema)]
pub(crate) struct CreateWebhookRequest {
    /// Where events are POSTed: https (http to loopback only when the server allows insecure
    /// webhooks); not a private, loopback or link-local address.
    #[schema(inline)]
    pub(crate) url: Text<1, 2000>,
    #[schema(inline)]
    pub(crate) events: EventTypes,
    #[serde(default)]
    #[schema(inline)]
    pub(crate) description: Option<Text<0, 500>>,
}

/// Changes to a subscription; fields left out stay as they are.
#[derive(Deserialize, ToSchema)]
pub(crate) struct UpdateWebhookRequest {
    #[serde(default)]
    #[schema(inline)]
    pub(crate) url: Option<Text<1, 2000>>,
    #[serde(default)]
    #[schema(inline)]
    pub(crate) events: Option<EventTypes>,
    #[serde(default)]
    #[schema(inline)]
    pub(crate) description: Option<Text<0, 500>>,
    /// `true` re-enables a disabled endpoint (its queue resumes); `false` pauses it.
    #[serde(default)]
    pub(crate) enabled: Option<bool>,
}

/// A subscription.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookBody {
    id: i64,
    organizer_id: i64,
    url: String,
    description: String,
    events: Vec<&'static str>,
    /// `enabled` or `disabled`.
    status: &'static str,
    disabled_reason: Option<String>,
    /// Until when deliveries are also signed with the previous secret, after a rotation.
    previous_secret_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Endpoint> for WebhookBody {
    fn from(e: &Endpoint) -> Self {
        WebhookBody {
            id: e.id,
            organizer_id: e.organizer_id,
            url: e.url.clone(),
            description: e.description.clone(),
            events: e.events.iter().map(|kind| kind.as_str()).collect(),
            status: if e.disabled_at.is_some() { "disabled" } else { "enabled" },
            disabled_reason: e.disabled_reason.clone(),
            previous_secret_expires_at: e
                .previous_secret
                .as_ref()
                .map(|(_, until)| *until)
                .filter(|until| *until > Utc::now())
                .map(time),
            created_at: time(e.created_at),
            updated_at: time(e.updated_at),
        }
    }
}

/// `{"success", "webhook"}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookResponse {
    success: bool,
    webhook: WebhookBody,
}

impl WebhookResponse {
    pub(crate) fn new(endpoint: &Endpoint) -> Self {
        WebhookResponse { success: true, webhook: endpoint.into() }
    }
}

/// A new or rotated subscription with its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookSecretResponse {
    success: bool,
    webhook: WebhookBody,
    /// `whsec_` and the base64 key (Standard Webhooks).
    secret: String,
}

impl WebhookSecretResponse {
    pub(crate) fn new(endpoint: &Endpoint) -> Self {
        WebhookSecretResponse { success: true, webhook: endpoint.into(), secret: endpoint.secret.clone() }
    }
}

/// An organizer's subscriptions.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookList {
    success: bool,
    webhooks: Vec<WebhookBody>,
}

impl WebhookList {
    pub(crate) fn new(endpoints: &[Endpoint]) -> Self {
        WebhookList { success: true, webhooks: endpoints.iter().map(WebhookBody::from).collect() }
    }
}

/// `{"success": true}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Done {
    success: bool,
}

impl Done {
    pub(crate) const fn new() -> Self {
        Done { success: true }
    }
}

/// One attempt at a delivery.
#[derive(Serialize, ToSchema)]
pub(crate) struct AttemptBody {
    attempt: u32,
    started_at: String,
    duration_ms: i64,
    /// The receiver's HTTP status; null when it did not answer.
    response_status: Option<u16>,
    /// The first KiB of the answer.
    response_body: String,
    /// Why there was no answer (refused, timed out, …).
    error: Option<String>,
}

impl From<&Attempt> for AttemptBody {
    fn from(a: &Attempt) -> Self {
        AttemptBody {
            attempt: a.attempt,
            started_at: time(a.started_at),
            duration_ms: a.duration_ms,
            response_status: a.response_status,
            response_body: a.response_body.clone(),
            error: a.error.clone(),
        }
    }
}

/// A delivery of an event to the endpoint, with the request sent and every attempt.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryBody {
    id: i64,
    /// The event's id: the payload's `id` and the `webhook-id` header.
    event_id: String,
    event_type: &'static str,
    /// `pending`, `delivered` or `failed`.
    status: String,
    next_attempt_at: Option<String>,
    created_at: String,
    finished_at: Option<String>,
    /// The JSON body POSTed (the same at every attempt).
    #[schema(value_type = Object)]
    payload: Value,
    attempts: Vec<AttemptBody>,
}

impl DeliveryBody {
    pub(crate) fn new(d: &Delivery, issuer: &str) -> Self {
        DeliveryBody {
            id: d.id,
            event_id: d.event.public_id.clone(),
            event_type: d.event.event_type.as_str(),
            status: d.status.clone(),
            next_attempt_at: d.next_attempt_at.map(time),
            created_at: time(d.created_at),
            finished_at: d.finished_at.map(time),
            payload: crate::webhooks::payload(&d.event, issuer),
            attempts: d.attempts.iter().map(AttemptBody::from).collect(),
        }
    }
}

/// `{"success", "delivery"}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryResponse {
    success: bool,
    delivery: DeliveryBody,
}

impl DeliveryResponse {
    pub(crate) fn new(delivery: &Delivery, issuer: &str) -> Self {
        DeliveryResponse { success: true, delivery: DeliveryBody::new(delivery, issuer) }
    }
}

/// A page of an endpoint's deliveries, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryList {
    success: bool,
    deliveries: Vec<DeliveryBody>,
    count: usize,
    total: u64,
    page: u32,
    per_page: u32,
}

impl DeliveryList {
    pub(crate) fn new(deliveries: Vec<DeliveryBody>, total: u64, page: u32, per_page: u32) -> Self {
        DeliveryList { success: true, count: deliveries.len(), deliveries, total, page, per_page }
    }
}
