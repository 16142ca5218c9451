//! Resource servers (RFC 8707) and the clients that arrive without an operator: metadata-document
//! clients and dynamically registered ones (RFC 7591), with their review under the `approval`
//! policy.

use crate::StoreResult;
use async_trait::async_trait;
use ticketbooth_domain::model::{Application, NewApplication, Review};
use ticketbooth_domain::portal::AuditEntry;
use ticketbooth_domain::resource::{NewResource, Resource};

#[async_trait]
pub trait RegistryStore: Send + Sync + 'static {
    /// Registers a resource server; `Conflict` when the identifier is taken.
    async fn create_resource(&self, resource: NewResource) -> StoreResult<Resource>;
    async fn find_resource(&self, identifier: &str) -> StoreResult<Option<Resource>>;
    async fn list_resources(&self) -> StoreResult<Vec<Resource>>;
    /// Stores a metadata-document client as its document now reads: inserted with `app.review` the
    /// first time, afterwards its name, website, redirect URIs, scopes and cache expiry replaced
    /// while its review and everything else stay.
    async fn save_document_client(&self, app: NewApplication) -> StoreResult<Application>;
    /// Replaces a registered client's metadata (RFC 7592 §2.2); `None` when it is gone.
    async fn update_registered_client(
        &self,
        application_id: i64,
        app: NewApplication,
    ) -> StoreResult<Option<Application>>;
    /// Clients waiting for an admin's decision, oldest first.
    async fn clients_in_review(&self) -> StoreResult<Vec<Application>>;
    /// Decides on a pending client (approved or rejected), with its audit line; false when it is
    /// gone or was decided already.
    async fn decide_client(&self, application_id: i64, decision: Review, audit: &AuditEntry) -> StoreResult<bool>;
}
