//! Load shedding: at most so many requests are handled at once; the next ones are answered 503
//! with `Retry-After` before any work is queued for them (no body read, no database, no hash).
//!
//! Past its capacity a server that queues every request makes every request slow, and its
//! memory grows with the queue. Refusing the excess at once keeps the admitted requests as fast
//! as at capacity, tells the refused clients when to come back, and lets the server recover the
//! moment the load drops, since there is no backlog to work off. The operations endpoints are
//! always admitted: a saturated instance is alive, and a probe must not be shed with the load.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The requests an instance handles at once, and the count of those refused.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    places: Arc<Semaphore>,
    shed: Counter,
}

/// Holds a request's place until it is answered; `None` for a request that needs none.
pub(crate) type Place = Option<OwnedSemaphorePermit>;

/// Paths admitted whatever the load.
const ALWAYS_ADMITTED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

impl Admission {
    /// Admits at most `limit` requests at once (at least one), counting refusals in `shed`.
    pub(crate) fn new(limit: usize, shed: Counter) -> Admission {
        Admission { places: Arc::new(Semaphore::new(limit.clamp(1, Semaphore::MAX_PERMITS))), shed }
    }

    /// A place for a request to `path`, or [`AtCapacity`]: answer it at once.
    pub(crate) fn admit(&self, path: &str) -> Result<Place, AtCapacity> {
        if ALWAYS_ADMITTED.contains(&path) {
            return Ok(None);
        }
        match Arc::clone(&self.places).try_acquire_owned() {
            Ok(place) => Ok(Some(place)),
            Err(_) => {
                self.shed.inc();
                Err(AtCapacity)
            }
        }
    }
}

/// A request refused because the instance is at capacity.
#[derive(Debug)]
pub(crate) struct AtCapacity;

impl IntoResponse for AtCapacity {
    /// 503 with `Retry-After: 1`, in a JSON body both the API's and OAuth's error formats accept.
    fn into_response(self) -> Response {
        let body = r#"{"success":false,"error":"temporarily_unavailable","error_description":"The server is at capacity; retry in a moment."}"#;
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, HeaderValue::from_static("1")),
                (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                // The connection is closed after the answer: a client that retries at once pays
                // for a new connection, and an idle one holds no buffers here meanwhile.
                (header::CONNECTION, HeaderValue::from_static("close")),
            ],
            body,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_limit_requests_are_refused_until_a_place_is_given_back_and_probes_always_pass() {
        let shed = Counter::default();
        let admission = Admission::new(2, shed.clone());
        let first = admission.admit("/oauth/token").unwrap();
        let _second = admission.admit("/api/public/me").unwrap();
        let refused = admission.admit("/oauth/token").unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        assert_eq!(shed.get(), 1, "the refusal is counted");
        assert!(admission.admit("/healthz").unwrap().is_none(), "probes need no place");
        assert!(admission.admit("/readyz").is_ok());
        drop(first);
        assert!(admission.admit("/oauth/token").unwrap().is_some(), "a finished request gave its place back");
    }
}
