//! Partner webhooks: the event types, the snapshot an event carries, endpoint URL rules (with the
//! addresses a delivery must never reach), secrets and the retry schedule. Signing itself is the
//! Standard Webhooks library's, in the server.

use crate::ticketing::{Event, Order, Ticket};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use url::{Host, Url};

/// What happened, as a subscription names it and the payload's `type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    TicketCreated,
    TicketInvalidated,
    TicketCheckedIn,
    OrderPaid,
    EventUpdated,
    /// Sent to one endpoint on request ("send a test event"); no subscription names it.
    Test,
}

impl EventType {
    /// The types a subscription may name.
    pub const SUBSCRIBABLE: [EventType; 5] = [
        EventType::TicketCreated,
        EventType::TicketInvalidated,
        EventType::TicketCheckedIn,
        EventType::OrderPaid,
        EventType::EventUpdated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::TicketCreated => "ticket.created",
            EventType::TicketInvalidated => "ticket.invalidated",
            EventType::TicketCheckedIn => "ticket.checked_in",
            EventType::OrderPaid => "order.paid",
            EventType::EventUpdated => "event.updated",
            EventType::Test => "webhook.test",
        }
    }

    /// A subscribable type by name.
    pub fn from_name(name: &str) -> Option<EventType> {
        Self::SUBSCRIBABLE.into_iter().find(|kind| kind.as_str() == name)
    }

    /// A stored type by name (the test type included).
    pub fn from_stored(name: &str) -> Option<EventType> {
        Self::from_name(name).or((name == EventType::Test.as_str()).then_some(EventType::Test))
    }
}

/// A scan recorded with a `ticket.checked_in` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInNote {
    pub id: i64,
    /// `entry` or `exit`.
    pub kind: String,
    pub scanned_at: DateTime<Utc>,
    pub device: Option<String>,
}

/// The object an event is about, as it was when the change committed: the outbox stores this
/// snapshot and each delivery renders it in the API's model, so a late delivery still tells what
/// happened then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Ticket(Box<Ticket>),
    CheckIn(Box<Ticket>, CheckInNote),
    Order(Box<Order>),
    Event(Box<Event>),
    Test,
}

/// A new event's public id: the payload's `id` and the `webhook-id` header of every delivery of it.
pub fn generate_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("evt_{}", hex::encode(bytes))
}

/// A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// Why an endpoint URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("url must be an absolute URL")]
    Malformed,
    #[error("url must use https (http is allowed for loopback only when the server allows insecure webhooks)")]
    NotHttps,
    #[error("url must not carry credentials or a fragment")]
    CredentialsOrFragment,
    #[error("url must not point at a loopback, private or link-local address")]
    ForbiddenAddress,
    #[error("url is longer than 2000 characters")]
    TooLong,
}

/// Checks an endpoint URL's form: https (http only to loopback when `allow_insecure`), no
/// credentials, no fragment, and, when the host is an address, not one a delivery may not reach.
/// Names are resolved and checked again at each delivery (DNS can change).
pub fn check_endpoint_url(text: &str, allow_insecure: bool) -> Result<Url, UrlProblem> {
    if text.len() > 2000 {
        return Err(UrlProblem::TooLong);
    }
    let url = Url::parse(text).map_err(|_| UrlProblem::Malformed)?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(UrlProblem::CredentialsOrFragment);
    }
    let address = match url.host() {
        None => return Err(UrlProblem::Malformed),
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => Some(IpAddr::from([127, 0, 0, 1])),
        Some(Host::Domain(_)) => None,
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure && address.is_some_and(|ip| ip.is_loopback()) => {}
        _ => return Err(UrlProblem::NotHttps),
    }
    if !allow_insecure && address.is_some_and(forbidden_address) {
        return Err(UrlProblem::ForbiddenAddress);
    }
    Ok(url)
}

/// Addresses a webhook must not reach unless the operator allows it: loopback, private,
/// link-local, shared (CGNAT), unspecified, multicast and broadcast, in IPv4 and IPv6 (IPv4-mapped
/// IPv6 judged as its IPv4 address).
pub fn forbidden_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The waits before each retry of a failed delivery: quick at first, then hours, about 3 days in
/// all (2 days 19 hours 46 minutes, before jitter).
pub const RETRY_SCHEDULE: [Duration; 12] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(4 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(16 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The wait after failed attempt number `attempts` (1 for the first), before jitter; `None` when
/// the schedule is used up and the delivery has failed for good.
pub fn retry_delay(attempts: u32) -> Option<Duration> {
    RETRY_SCHEDULE.get(usize::try_from(attempts).ok()?.checked_sub(1)?).copied()
}

/// `delay` spread by up to ±20 % (`unit` in [0, 1)), so endpoints that failed together do not
/// all retry at the same instant.
pub fn with_jitter(delay: Duration, unit: f64) -> Duration {
    delay.mul_f64(0.8 + 0.4 * unit.clamp(0.0, 1.0))
}

/// What the answer to one delivery attempt means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptVerdict {
    Delivered,
    /// Try again later.
    Retry,
    /// The receiver said `410 Gone`: stop sending to the endpoint.
    Gone,
}

/// Reads an attempt's HTTP status (`None`: no answer, e.g. a timeout or a refused connection).
pub fn verdict(status: Option<u16>) -> AttemptVerdict {
    match status {
        Some(200..=299) => AttemptVerdict::Delivered,
        Some(410) => AttemptVerdict::Gone,
        _ => AttemptVerdict::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_and_the_test_type_is_not_subscribable() {
        for kind in EventType::SUBSCRIBABLE {
            assert_eq!(EventType::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(EventType::from_name("webhook.test"), None);
        assert_eq!(EventType::from_stored("webhook.test"), Some(EventType::Test));
        assert_eq!(EventType::from_name("ticket.deleted"), None);
    }

    #[test]
    fn endpoint_urls_must_be_https_and_public() {
        assert!(check_endpoint_url("https://partner.example/hooks", false).is_ok());
        assert_eq!(check_endpoint_url("http://partner.example/hooks", false), Err(UrlProblem::NotHttps));
        assert_eq!(check_endpoint_url("http://127.0.0.1:9/h", false), Err(UrlProblem::NotHttps));
        assert!(check_endpoint_url("http://127.0.0.1:9/h", true).is_ok());
        assert_eq!(check_endpoint_url("http://10.0.0.1/h", true), Err(UrlProblem::NotHttps));
        for forbidden in [
            "https://127.0.0.1/h",
            "https://localhost/h",
            "https://10.1.2.3/h",
            "https://192.168.0.7/h",
            "https://169.254.169.254/latest",
            "https://100.64.0.1/h",
            "https://[::1]/h",
            "https://[fe80::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:10.0.0.1]/h",
            "https://0.0.0.0/h",
        ] {
            assert_eq!(check_endpoint_url(forbidden, false), Err(UrlProblem::ForbiddenAddress), "{forbidden}");
        }
        assert_eq!(check_endpoint_url("https://u:p@partner.example/", false), Err(UrlProblem::CredentialsOrFragment));
        assert_eq!(check_endpoint_url("https://partner.example/#x", false), Err(UrlProblem::CredentialsOrFragment));
        assert_eq!(check_endpoint_url("not a url", false), Err(UrlProblem::Malformed));
        assert!(!forbidden_address("8.8.8.8".parse().unwrap()));
        assert!(!forbidden_address("2001:4860::8888".parse().unwrap()));
    }

    #[test]
    fn retries_grow_and_end_after_about_three_days() {
        let delays: Vec<Duration> = (1..).map_while(retry_delay).collect();
        assert!(delays.windows(2).all(|pair| pair[0] < pair[1]), "each wait is longer than the last");
        let total: Duration = delays.iter().sum();
        assert!(total > Duration::from_secs(60 * 3600) && total < Duration::from_secs(80 * 3600), "{total:?}");
        assert_eq!(retry_delay(0), None);
        assert_eq!(retry_delay(1), Some(Duration::from_secs(5)));
        assert_eq!(with_jitter(Duration::from_secs(10), 0.0), Duration::from_secs(8));
        assert_eq!(with_jitter(Duration::from_secs(10), 1.0), Duration::from_secs(12));
    }

    #[test]
    fn only_2xx_delivers_and_410_gives_up() {
        assert_eq!(verdict(Some(204)), AttemptVerdict::Delivered);
        assert_eq!(verdict(Some(410)), AttemptVerdict::Gone);
        assert_eq!(verdict(Some(500)), AttemptVerdict::Retry);
        assert_eq!(verdict(Some(301)), AttemptVerdict::Retry);
        assert_eq!(verdict(None), AttemptVerdict::Retry);
    }

    #[test]
    fn secrets_and_ids_have_their_prefixes() {
        let secret = generate_secret();
        assert_eq!(STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap().len(), 32);
        assert_ne!(generate_secret(), secret);
        assert!(generate_event_id().starts_with("evt_"));
    }
}
