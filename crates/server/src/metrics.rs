//! Prometheus metrics: request counts and latencies per route and status, tokens issued per grant
//! type, sign-in failures and database pool usage. Metrics are per instance (each instance is
//! scraped), unlike anything that decides a request's outcome, which lives in the store.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GrantLabels {
    grant_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    tokens_issued: Family<GrantLabels, Counter>,
    sign_in_failures: Counter,
    requests_shed: Counter,
    pool_connections: Family<PoolLabels, Gauge>,
    mail_undelivered: Gauge,
    webhooks_pending: Gauge,
}

/// The queues' backlogs, read when metrics are scraped.
pub(crate) struct Backlog {
    /// Mail not yet delivered.
    pub(crate) mail: u64,
    /// Webhook deliveries not yet delivered nor failed for good.
    pub(crate) webhooks: u64,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ticketbooth");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        let tokens_issued = Family::<GrantLabels, Counter>::default();
        registry.register("tokens_issued", "Access tokens issued by grant type", tokens_issued.clone());
        let sign_in_failures = Counter::default();
        registry.register("sign_in_failures", "Failed sign-in attempts", sign_in_failures.clone());
        let requests_shed = Counter::default();
        registry.register(
            "http_requests_shed",
            "Requests answered 503 at once because the instance was at capacity",
            requests_shed.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register("db_pool_connections", "Database pool connections by state", pool_connections.clone());
        let mail_undelivered = Gauge::default();
        registry.register(
            "mail_undelivered",
            "Messages in the outbox not yet delivered, on every instance together",
            mail_undelivered.clone(),
        );
        let webhooks_pending = Gauge::default();
        registry.register(
            "webhook_deliveries_pending",
            "Webhook deliveries waiting to be sent or retried, on every instance together",
            webhooks_pending.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            tokens_issued,
            sign_in_failures,
            requests_shed,
            pool_connections,
            mail_undelivered,
            webhooks_pending,
        }
    }
}

impl Metrics {
    /// Counts a token issued with `grant_type`.
    pub(crate) fn token_issued(&self, grant_type: &'static str) {
        self.tokens_issued.get_or_create(&GrantLabels { grant_type }).inc();
    }

    /// The count of requests shed at capacity (kept by the connection loop).
    pub(crate) fn shed_counter(&self) -> Counter {
        self.requests_shed.clone()
    }

    /// Counts a failed sign-in.
    pub(crate) fn sign_in_failed(&self) {
        self.sign_in_failures.inc();
    }

    /// The OpenMetrics text, with the pool gauges and the queues' backlogs read now.
    pub(crate) fn render(&self, pool: ticketbooth_store::PoolStats, backlog: Backlog) -> String {
        self.mail_undelivered.set(i64::try_from(backlog.mail).unwrap_or(i64::MAX));
        self.webhooks_pending.set(i64::try_from(backlog.webhooks).unwrap_or(i64::MAX));
        let idle = i64::from(pool.idle);
        self.pool_connections.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        self.pool_connections.get_or_create(&PoolLabels { state: "in_use" }).set(i64::from(pool.size) - idle);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Middleware that records every request's route, status and latency. The route is the matched
/// pattern (`/api/public/me`), never the raw path, so label values stay few and carry no data.
pub(crate) async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let metrics = &state.metrics;
    metrics
        .latency
        .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
        .observe(started.elapsed().as_secs_f64());
    metrics.requests.get_or_create(&RequestLabels { method, route, status: response.status().as_u16() }).inc();
    response
}
