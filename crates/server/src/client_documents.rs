//! Clients identified by a metadata document (draft-ietf-oauth-client-id-metadata-document, as
//! the Model Context Protocol profiles it): the `client_id` is an https URL, the document there is
//! the client's registration. Fetched with the SSRF rules of webhooks, cached in the store for as
//! long as its `Cache-Control` allows (so every instance shares it), and admitted under the
//! operator's policy (`serve --client-metadata-documents`).

use crate::config::ClientFetchSettings;
use crate::outbound::PublicOnly;
use crate::throttle::{Attempt, FailureLimits};
use crate::AppState;
use chrono::Utc;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use ticketbooth_domain::client_metadata::{self, ClientMetadata, Source, MAX_DOCUMENT_BYTES};
use ticketbooth_domain::model::{Application, ClientOrigin, NewApplication, Review};
use ticketbooth_domain::webhooks::forbidden_address;
use ticketbooth_store::StoreError;
use tokio::sync::{OnceCell, Semaphore};
use url::{Host, Url};

/// Documents fetched at once by one instance; more wait their turn (within the fetch timeout), so a
/// flood of new client ids cannot open unbounded outbound connections.
const CONCURRENT_FETCHES: usize = 8;

/// What a `client_id` turned out to be.
#[derive(Debug)]
pub(crate) enum ClientLookup {
    /// An approved, unsuspended client.
    Usable(Box<Application>),
    /// A client that arrived by itself and waits for an admin's approval.
    AwaitingApproval,
    /// No client: unknown, suspended, rejected, or metadata documents are off.
    Unknown,
    /// A metadata document that could not be used, and why (shown to the person).
    BadDocument(String),
    /// Too many new clients from this address: wait this many seconds.
    Throttled(u64),
}

/// The application a `client_id` names, fetching its metadata document when the id is an https
/// URL whose cached copy is missing or stale.
pub(crate) async fn look_up(state: &AppState, client_id: &str, address: &str) -> Result<ClientLookup, StoreError> {
    let found = state.store.find_application_by_client_id(client_id).await?;
    if !client_metadata::is_document_url(client_id)
        || found.as_ref().is_some_and(|app| app.origin != ClientOrigin::MetadataDocument)
    {
        return Ok(classify(found));
    }
    let fresh = found.as_ref().is_some_and(|app| app.metadata_expires_at.is_some_and(|until| until > Utc::now()));
    let Some(review) = state.config.client_metadata_documents.newcomer_review() else {
        return Ok(ClientLookup::Unknown);
    };
    if found.as_ref().is_some_and(|app| app.review == Review::Rejected) {
        return Ok(ClientLookup::Unknown);
    }
    if fresh {
        return Ok(classify(found));
    }
    if found.is_none() {
        // Counted before the fetch, so parallel first uses cannot slip past the limit.
        let now = Utc::now();
        let attempt = Attempt::new("document", "first-use", address, FailureLimits::ARRIVALS, now);
        if let Err(wait) = attempt.take(&state.store, now).await? {
            return Ok(ClientLookup::Throttled(wait));
        }
    }
    let (metadata, lifetime) = match state.document_fetcher.fetch(&state.config.client_fetch, client_id).await {
        Ok(fetched) => fetched,
        Err(why) => return Ok(ClientLookup::BadDocument(why)),
    };
    let valid = match metadata.validate(Source::Document { url: client_id }) {
        Ok(valid) => valid,
        Err(err) => return Ok(ClientLookup::BadDocument(err.to_string())),
    };
    let saved = state
        .store
        .save_document_client(NewApplication {
            client_id: client_id.to_owned(),
            name: valid.name,
            website: valid.website,
            redirect_uris: valid.redirect_uris,
            scopes: valid.scopes,
            id_token_alg: valid.id_token_alg,
            origin: ClientOrigin::MetadataDocument,
            review,
            metadata_expires_at: Some(Utc::now() + lifetime),
            ..NewApplication::default()
        })
        .await?;
    Ok(classify(Some(saved)))
}

fn classify(found: Option<Application>) -> ClientLookup {
    match found {
        Some(app) if app.is_usable() => ClientLookup::Usable(Box::new(app)),
        Some(app) if app.review == Review::Pending && app.suspended_at.is_none() => ClientLookup::AwaitingApproval,
        _ => ClientLookup::Unknown,
    }
}

/// The HTTP client documents are fetched with, and the bound on fetches at once.
pub(crate) struct Fetcher {
    client: OnceCell<reqwest::Client>,
    permits: Semaphore,
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher { client: OnceCell::new(), permits: Semaphore::new(CONCURRENT_FETCHES) }
    }
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").finish_non_exhaustive()
    }
}

impl Fetcher {
    /// Fetches and parses the document at `client_id`, with how long it may be cached. The error
    /// is a sentence for the person who followed the client's link.
    async fn fetch(
        &self,
        settings: &ClientFetchSettings,
        client_id: &str,
    ) -> Result<(ClientMetadata, Duration), String> {
        let url = client_metadata::check_document_url(client_id).map_err(|err| err.to_string())?;
        if !settings.allow_private && literal_address(&url).is_some_and(forbidden_address) {
            return Err("The client's metadata document is on an address this server does not reach.".into());
        }
        let client = self.client.get_or_try_init(|| async { http_client(settings) }).await.map_err(|err| {
            tracing::error!(error = %err, "client metadata fetcher could not be built");
            "Client metadata documents cannot be fetched right now.".to_owned()
        })?;
        let fetched = tokio::time::timeout(settings.timeout, async {
            let _permit = self.permits.acquire().await.map_err(|_| "The server is shutting down.".to_owned())?;
            read_document(client, url).await
        })
        .await;
        match fetched {
            Ok(result) => result,
            Err(_) => Err("The client's metadata document could not be fetched (timed out).".into()),
        }
    }
}

async fn read_document(client: &reqwest::Client, url: Url) -> Result<(ClientMetadata, Duration), String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|err| format!("The client's metadata document could not be fetched ({}).", describe(&err)))?;
    if response.status() != reqwest::StatusCode::OK {
        // Redirects are not followed: a document must be served where its URL says.
        return Err(format!("The client's metadata document answered {} instead of 200.", response.status().as_u16()));
    }
    if response.content_length().is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64) {
        return Err(too_large());
    }
    let cache_control =
        response.headers().get(reqwest::header::CACHE_CONTROL).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|err| format!("The document could not be read ({}).", describe(&err)))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let metadata: ClientMetadata =
        serde_json::from_slice(&body).map_err(|err| format!("The client's metadata document is not valid: {err}."))?;
    Ok((metadata, client_metadata::cache_lifetime(cache_control.as_deref())))
}

fn too_large() -> String {
    format!("The client's metadata document is larger than {MAX_DOCUMENT_BYTES} bytes.")
}

fn describe(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "no connection"
    } else {
        "transfer failed"
    }
}

fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    }
}

fn http_client(settings: &ClientFetchSettings) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .https_only(true)
        .connect_timeout(settings.timeout)
        .timeout(settings.timeout)
        .user_agent(concat!("Ticketbooth/", env!("CARGO_PKG_VERSION"), " (client metadata)"));
    if !settings.allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    if let Some(pem) = &settings.extra_root_pem {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
    }
    builder.build()
}
