//! Applications by request: developers' requests, their review, and running the applications
//! that came of them (suspension, secret rotation, edits, usage). Every change writes its audit
//! entry in the same transaction.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ticketbooth_domain::model::Application;
use ticketbooth_domain::portal::{ApplicationDraft, ApplicationRequest, AuditEntry, RequestStatus, Usage};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;

/// Which requests to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub requester_id: Option<i64>,
    pub application_id: Option<i64>,
}

/// Which applications to list: all, an owner's, or those whose name or client id holds `search`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplicationFilter<'a> {
    pub owner_id: Option<i64>,
    pub search: Option<&'a str>,
    pub limit: u32,
}

/// A reviewer's approval of a pending request.
#[derive(Debug, Clone)]
pub struct Approval {
    pub request_id: i64,
    pub reviewer_id: Option<i64>,
    /// What is granted: the request's scopes, perhaps trimmed.
    pub scopes: ScopeSet,
    /// For a new application: its client id, and (confidential only) a secret hash nobody holds,
    /// replaced at the owner's first view.
    pub client_id: String,
    pub unseen_secret: Option<SecretHash>,
    pub now: DateTime<Utc>,
}

/// What an edit changes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ApplicationEdit {
    pub name: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub scopes: Option<ScopeSet>,
    pub organizer_id: Option<Option<i64>>,
}

impl ApplicationEdit {
    /// `app` as it reads once the edit is applied (what the audit line records as "after").
    pub fn applied_to(&self, app: &Application) -> Application {
        let mut after = app.clone();
        if let Some(name) = &self.name {
            after.name.clone_from(name);
        }
        if let Some(description) = &self.description {
            after.description.clone_from(description);
        }
        if let Some(website) = &self.website {
            after.website.clone_from(website);
        }
        if let Some(redirect_uris) = &self.redirect_uris {
            after.redirect_uris.clone_from(redirect_uris);
        }
        if let Some(scopes) = self.scopes {
            after.scopes = scopes;
        }
        if let Some(organizer_id) = self.organizer_id {
            after.organizer_id = organizer_id;
        }
        after
    }
}

/// Developers' requests and the applications that came of them.
#[async_trait]
pub trait PortalStore: Send + Sync + 'static {
    /// Stores a pending request: for a new application, or (with `application_id`) a change of
    /// scopes or organizer to an existing one.
    async fn create_request(
        &self,
        requester_id: i64,
        application_id: Option<i64>,
        draft: &ApplicationDraft,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<ApplicationRequest>;
    /// A request by id.
    async fn find_request(&self, id: i64) -> StoreResult<Option<ApplicationRequest>>;
    /// Requests, pending first, then newest first.
    async fn list_requests(&self, filter: RequestFilter) -> StoreResult<Vec<ApplicationRequest>>;
    /// Approves a pending request: registers the new application, or applies the change to its
    /// application. `None` when the request is not pending (any more).
    async fn approve_request(&self, approval: &Approval, audit: &AuditEntry) -> StoreResult<Option<Application>>;
    /// Rejects a pending request with a reason; false when it is not pending.
    async fn reject_request(
        &self,
        id: i64,
        reviewer_id: Option<i64>,
        reason: &str,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Withdraws (deletes) a requester's pending request; false when there is none.
    async fn withdraw_request(&self, id: i64, requester_id: i64, audit: &AuditEntry) -> StoreResult<bool>;
    /// Applications, newest first.
    async fn list_applications(&self, filter: ApplicationFilter<'_>) -> StoreResult<Vec<Application>>;
    /// Replaces the unseen secret of an approved application with `secret_hash`, once: true only
    /// for the first caller, who may show the secret.
    async fn reveal_secret(&self, application_id: i64, secret_hash: &SecretHash) -> StoreResult<bool>;
    /// Makes `secret_hash` the secret; the one it replaces keeps working until `previous_until`
    /// (or stops at once).
    async fn rotate_secret(
        &self,
        application_id: i64,
        secret_hash: &SecretHash,
        previous_until: Option<DateTime<Utc>>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Applies an edit; false when the application is gone.
    async fn update_application(
        &self,
        application_id: i64,
        edit: &ApplicationEdit,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Suspends an application and revokes its every token and code; false when it is gone.
    async fn suspend_application(
        &self,
        application_id: i64,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Ends a suspension; false when the application is gone.
    async fn resume_application(&self, application_id: i64, audit: &AuditEntry) -> StoreResult<bool>;
    /// Deletes an application with its tokens, codes and grants; false when it is gone.
    async fn delete_application(&self, application_id: i64, audit: &AuditEntry) -> StoreResult<bool>;
    /// Tokens issued and grants held, as of `now`.
    async fn application_usage(&self, application_id: i64, now: DateTime<Utc>) -> StoreResult<Usage>;
}
