//! Partner webhooks on the server side: the settings, how an event is rendered (the object in
//! the API's own model) and signed (Standard Webhooks), and the delivery worker.

pub(crate) mod delivery;

use crate::api::models::time;
use crate::api::models::{EventBody, OrderBody, TicketBody};
use serde_json::{json, Value};
use std::time::Duration;
use ticketbooth_domain::webhooks::Subject;
use ticketbooth_store::StoredEvent;

pub use delivery::spawn_webhook_delivery;

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow `http://` endpoints on loopback and endpoints on private addresses
    /// (`serve --allow-insecure-webhooks`; for development and tests).
    pub allow_insecure: bool,
    /// One attempt's limit, connection to the answer's first KiB.
    pub timeout: Duration,
    /// Scales the retry schedule (1.0 in production; tests shrink it to milliseconds).
    pub retry_scale: f64,
    /// How often a worker looks for deliveries queued by other instances or due for a retry.
    pub poll_interval: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_insecure: false,
            timeout: Duration::from_secs(10),
            retry_scale: 1.0,
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// The JSON body of an event: `id`, `type`, `created_at` and the object it is about, in the
/// API's model under the object's name.
pub(crate) fn payload(event: &StoredEvent, issuer: &str) -> Value {
    let mut body = json!({
        "id": event.public_id,
        "type": event.event_type.as_str(),
        "created_at": time(event.created_at),
    });
    let object = match &event.subject {
        Subject::Ticket(ticket) => json!({ "ticket": TicketBody::from((**ticket).clone()) }),
        Subject::CheckIn(ticket, note) => json!({
            "ticket": TicketBody::from((**ticket).clone()),
            "check_in": {
                "id": note.id,
                "type": note.kind,
                "datetime": time(note.scanned_at),
                "device": note.device,
            },
        }),
        Subject::Order(order) => json!({ "order": OrderBody::from((**order).clone()) }),
        Subject::Event(ticketing_event) => json!({ "event": EventBody::new((**ticketing_event).clone(), issuer) }),
        Subject::Test => json!({ "message": "A test event sent on request." }),
    };
    if let (Some(body), Value::Object(object)) = (body.as_object_mut(), object) {
        body.extend(object);
    }
    body
}

/// The `webhook-signature` header: one `v1,` signature per secret, space-separated (Standard
/// Webhooks), so a receiver holding either secret verifies it during a rotation.
pub(crate) fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = standardwebhooks::Webhook::new(secret).map_err(|err| format!("signing secret: {err}"))?;
        signatures.push(signer.sign(id, timestamp, body).map_err(|err| format!("signing: {err}"))?);
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_each_secret_during_a_rotation() {
        let (old, new) =
            (ticketbooth_domain::webhooks::generate_secret(), ticketbooth_domain::webhooks::generate_secret());
        let body = br#"{"id":"evt_1"}"#;
        let now = chrono::Utc::now().timestamp();
        let header = signature(&[&new, &old], "evt_1", now, body).unwrap();
        assert_eq!(header.split(' ').count(), 2);
        for secret in [&old, &new] {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("webhook-id", "evt_1".parse().unwrap());
            headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
            headers.insert("webhook-signature", header.parse().unwrap());
            standardwebhooks::Webhook::new(secret).unwrap().verify(body, &headers).expect("verifies");
        }
        let stranger = ticketbooth_domain::webhooks::generate_secret();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("webhook-id", "evt_1".parse().unwrap());
        headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
        headers.insert("webhook-signature", header.parse().unwrap());
        assert!(standardwebhooks::Webhook::new(&stranger).unwrap().verify(body, &headers).is_err());
    }
}
