//! Ticketbooth's HTTP edge: the OAuth 2 endpoints, the sign-in and consent pages, and the public
//! API. Handlers stay thin: they parse, call a domain rule, call the store, and render.

mod admission;
pub mod api;
mod client_documents;
mod config;
mod connections;
mod dpop;
mod error;
mod extract;
mod i18n;
mod jose;
pub mod keys;
mod logout;
mod mail;
mod metrics;
pub mod oauth;
mod openapi;
mod ops;
mod outbound;
pub mod pages;
pub mod passes;
pub mod passwords;
pub mod portal;
mod resources;
mod routes;
mod sweeper;
pub mod throttle;
pub mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use ticketbooth_store::DynStore;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use config::{ArrivalPolicy, ClientFetchSettings, DemoCredentials, Profile, ServerConfig};
pub use connections::ConnectionLimits;
pub use logout::spawn_logout_delivery;
pub use mail::delivery::{check as check_mail, deliver_now as deliver_mail_now, spawn_delivery as spawn_mail_delivery};
pub use mail::{MailConfig, MailTransport};
pub use metrics::Metrics;
pub use sweeper::spawn_sweeper;
pub use webhooks::{spawn_webhook_delivery, WebhookSettings};

/// What every handler can reach: a handle on [`AppParts`], shared by every request.
///
/// One `Arc` rather than one per part: axum clones the state several times per request (each
/// middleware and extractor that takes it), and the clones and drops of ten shared counters cost
/// the bearer read about 8% of its CPU, in cache lines passed between the cores.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

/// The parts of [`AppState`].
pub struct AppParts {
    pub store: DynStore,
    pub config: Arc<ServerConfig>,
    pub metrics: Arc<Metrics>,
    /// Where Argon2id runs: one thread per core, each with its own 19 MiB of working memory (given
    /// back once the queue is quiet), behind a bounded queue, so a sign-in burst neither costs
    /// gigabytes nor blocks the async workers.
    pub passwords: Arc<passwords::PasswordThreads>,
    /// Woken when a request queues mail, so this instance's delivery task sends it at once.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Woken when a request queues a webhook delivery, so this instance's worker sends it at once.
    pub webhooks_queued: Arc<tokio::sync::Notify>,
    /// The secret DPoP nonces are derived from, read from the store on first use.
    pub(crate) dpop_nonce_key: Arc<tokio::sync::OnceCell<Vec<u8>>>,
    /// Woken when a sign-out queues back-channel logout notifications.
    pub logouts_queued: Arc<tokio::sync::Notify>,
    /// Fetches client metadata documents; made at the first fetch (its TLS roots cost memory).
    pub(crate) document_fetcher: Arc<client_documents::Fetcher>,
}

impl AppState {
    /// Bundles a store and a configuration.
    pub fn new(store: DynStore, config: ServerConfig) -> AppState {
        jose::install();
        AppState(Arc::new(AppParts {
            store,
            config: Arc::new(config),
            metrics: Arc::default(),
            passwords: Arc::new(passwords::PasswordThreads::new()),
            mail_queued: Arc::default(),
            webhooks_queued: Arc::default(),
            dpop_nonce_key: Arc::default(),
            logouts_queued: Arc::default(),
            document_fetcher: Arc::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// Request bodies above this size are refused with 413: no form or token request comes close.
const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The whole application's router.
pub fn router(state: AppState) -> Router {
    let (routes, _document) = routes::routes().split_for_parts();
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), oauth::protected_resource::point_to_metadata))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record));
    pages::security_headers(routes)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            // The path only: query strings can carry tokens, codes and personal data.
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves, then finishes in-flight
/// requests (within the configured grace time) before returning.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.connection_limits;
    let shed = state.metrics.shed_counter();
    connections::serve(listener, router(state), limits, shed, shutdown).await
}

/// Unknown routes: JSON under `/api/`, a page in the visitor's language elsewhere.
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        error::ApiError::not_found("No route matches this path.").into_response()
    } else {
        error::PageError::not_found("error-not-found-body").render(i18n::Tr::new(i18n::negotiate(&headers)))
    }
}

/// A known route asked with the wrong method.
async fn method_not_allowed(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let message = "This method is not allowed here.";
    if uri.path().starts_with("/api/") || uri.path().starts_with("/oauth/token") {
        error::ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", message).into_response()
    } else {
        error::PageError::new(StatusCode::METHOD_NOT_ALLOWED, "error-method-title", "error-method-body")
            .render(i18n::Tr::new(i18n::negotiate(&headers)))
    }
}
