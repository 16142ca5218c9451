//! What developers and the platform's staff do to applications and accounts, shared by the pages
//! (`/developers`, `/admin`) and the command line: each action checks its rule, changes the store
//! with its audit line in one transaction, and tells the people concerned by mail.

use crate::i18n::Tr;
use crate::mail::{self, Notice};
use crate::AppState;
use chrono::Utc;
use ticketbooth_domain::model::{Application, Review, User};
use ticketbooth_domain::portal::{
    audit_draft, audit_view, grace_period, Actor, ApplicationDraft, ApplicationRequest, AuditEntry, RequestStatus,
};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{generate_client_id, Secret};
use ticketbooth_store::{ApplicationEdit, Approval, RequestFilter, RoleChange, StoreError};

/// Why an action was refused.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("not found")]
    NotFound,
    #[error("the request was already reviewed")]
    NotPending,
    #[error("the granted scopes must be among those requested")]
    ScopesNotRequested,
    #[error("the grace period is at most 7 days")]
    GraceTooLong,
    #[error("the platform must keep an administrator")]
    LastAdmin,
    #[error("the application has no secret (a public client)")]
    NoSecret,
    #[error("at most {MAX_PENDING_REQUESTS} requests may wait for review at once")]
    TooManyPending,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many of a developer's requests may wait for review at once.
pub const MAX_PENDING_REQUESTS: usize = 5;

/// Result of an action.
pub type PortalResult<T> = Result<T, PortalError>;

/// Stores a developer's request and tells them and the administrators.
pub(crate) async fn request_application(
    state: &AppState,
    actor: &Actor,
    requester: &User,
    application_id: Option<i64>,
    draft: &ApplicationDraft,
) -> PortalResult<ApplicationRequest> {
    // Each request mails every administrator: a bound on the open ones keeps that from flooding.
    let open = RequestFilter {
        requester_id: Some(requester.id),
        status: Some(RequestStatus::Pending),
        ..RequestFilter::default()
    };
    if state.store.list_requests(open).await?.len() >= MAX_PENDING_REQUESTS {
        return Err(PortalError::TooManyPending);
    }
    let action = if application_id.is_some() { "request.change" } else { "request.create" };
    let audit = AuditEntry::new(actor, action, String::new()).with_change(None, Some(audit_draft(draft)));
    let request = state.store.create_request(requester.id, application_id, draft, Utc::now(), &audit).await?;
    let t = Tr::new(requester.language);
    let link = state.config.url("/developers");
    let notice = Notice::RequestReceived { name: &draft.name, link: &link };
    mail::send(state, (&requester.email, &requester.full_name()), &t, notice).await?;
    let review = state.config.url(&format!("/admin/requests/{}", request.id));
    for admin in state.store.list_admins().await? {
        let t = Tr::new(admin.language);
        let notice = Notice::RequestToReview { name: &draft.name, requester: &requester.email, link: &review };
        mail::send(state, (&admin.email, &admin.full_name()), &t, notice).await?;
    }
    Ok(request)
}

/// Approves a pending request, granting `scopes` (the requested ones when `None`; a trimmed set
/// must be among them). A new confidential application gets a secret nobody holds, which its
/// owner's first view replaces: the reviewer never sees the secret.
pub async fn approve(
    state: &AppState,
    actor: &Actor,
    request_id: i64,
    scopes: Option<ScopeSet>,
) -> PortalResult<Application> {
    let request = state.store.find_request(request_id).await?.ok_or(PortalError::NotFound)?;
    let scopes = scopes.unwrap_or(request.draft.scopes);
    if scopes.is_empty() || !scopes.is_subset_of(request.draft.scopes) {
        return Err(PortalError::ScopesNotRequested);
    }
    let approval = Approval {
        request_id,
        reviewer_id: actor.user_id,
        scopes,
        client_id: generate_client_id(),
        unseen_secret: request.draft.confidential.then(|| Secret::generate().hash()),
        now: Utc::now(),
    };
    let mut after = audit_draft(&request.draft);
    after["granted_scopes"] = scopes.to_string().into();
    let audit =
        AuditEntry::new(actor, "request.approve", format!("request:{request_id}")).with_change(None, Some(after));
    let app = state.store.approve_request(&approval, &audit).await?.ok_or(PortalError::NotPending)?;
    if let Some(requester) = state.store.find_user(request.requester_id).await? {
        let link = state.config.url(&format!("/developers/applications/{}", app.id));
        let t = Tr::new(requester.language);
        let notice = Notice::RequestApproved { name: &app.name, link: &link };
        mail::send(state, (&requester.email, &requester.full_name()), &t, notice).await?;
    }
    Ok(app)
}

/// Rejects a pending request with a reason the requester is told.
pub async fn reject(state: &AppState, actor: &Actor, request_id: i64, reason: &str) -> PortalResult<()> {
    let request = state.store.find_request(request_id).await?.ok_or(PortalError::NotFound)?;
    let audit = AuditEntry::new(actor, "request.reject", format!("request:{request_id}"))
        .with_change(None, Some(serde_json::json!({ "reason": reason })));
    if !state.store.reject_request(request_id, actor.user_id, reason, Utc::now(), &audit).await? {
        return Err(PortalError::NotPending);
    }
    if let Some(requester) = state.store.find_user(request.requester_id).await? {
        let t = Tr::new(requester.language);
        let notice = Notice::RequestRejected { name: &request.draft.name, reason };
        mail::send(state, (&requester.email, &requester.full_name()), &t, notice).await?;
    }
    Ok(())
}

/// Gives an application a new secret; the old one keeps working for `grace_days` (at most 7).
/// The new secret is returned to be shown this once.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    app: &Application,
    grace_days: u32,
) -> PortalResult<Secret> {
    let grace = grace_period(grace_days).ok_or(PortalError::GraceTooLong)?;
    if !app.is_confidential() {
        return Err(PortalError::NoSecret);
    }
    let secret = Secret::generate();
    let previous_until = (grace_days > 0).then(|| Utc::now() + grace);
    let audit = AuditEntry::new(actor, "application.rotate-secret", format!("application:{}", app.id))
        .with_change(None, Some(serde_json::json!({ "grace_days": grace_days })));
    if !state.store.rotate_secret(app.id, &secret.hash(), previous_until, &audit).await? {
        return Err(PortalError::NotFound);
    }
    Ok(secret)
}

/// Suspends an application (its tokens and codes are revoked at once) or resumes it.
pub async fn set_suspended(state: &AppState, actor: &Actor, app: &Application, suspended: bool) -> PortalResult<()> {
    let target = format!("application:{}", app.id);
    let changed = if suspended {
        let audit = AuditEntry::new(actor, "application.suspend", target);
        state.store.suspend_application(app.id, Utc::now(), &audit).await?
    } else {
        let audit = AuditEntry::new(actor, "application.resume", target);
        state.store.resume_application(app.id, &audit).await?
    };
    if changed {
        Ok(())
    } else {
        Err(PortalError::NotFound)
    }
}

/// Approves or rejects a client that arrived by itself (a metadata document or a registration)
/// under the `approval` policy; `NotPending` when it was decided already.
pub async fn decide_client(
    state: &AppState,
    actor: &Actor,
    app: &Application,
    approve: bool,
    reason: &str,
) -> PortalResult<()> {
    let (action, decision) = match approve {
        true => ("application.approve", Review::Approved),
        false => ("application.reject", Review::Rejected),
    };
    let audit = AuditEntry::new(actor, action, format!("application:{}", app.id))
        .with_change(None, Some(serde_json::json!({ "client_id": app.client_id, "reason": reason })));
    match state.store.decide_client(app.id, decision, &audit).await? {
        true => Ok(()),
        false => Err(PortalError::NotPending),
    }
}

/// Disables an account (its sessions, codes and tokens end) or enables it; `false` when it was
/// so already.
pub async fn set_disabled(state: &AppState, actor: &Actor, user: &User, disabled: bool) -> PortalResult<bool> {
    let action = if disabled { "user.disable" } else { "user.enable" };
    let audit = AuditEntry::new(actor, action, format!("user:{}", user.id));
    Ok(state.store.set_disabled(user.id, disabled, Utc::now(), &audit).await?)
}

/// Grants or revokes the administrator role; the last administrator keeps it.
pub async fn set_admin(state: &AppState, actor: &Actor, user: &User, admin: bool) -> PortalResult<bool> {
    let action = if admin { "user.grant-admin" } else { "user.revoke-admin" };
    let audit = AuditEntry::new(actor, action, format!("user:{}", user.id));
    match state.store.set_admin(user.id, admin, &audit).await? {
        RoleChange::Changed => Ok(true),
        RoleChange::Unchanged => Ok(false),
        RoleChange::LastAdmin => Err(PortalError::LastAdmin),
    }
}

/// Mails a user a password reset link, as the reset page does, and records who asked.
pub async fn send_password_reset(state: &AppState, actor: &Actor, user: &User) -> PortalResult<()> {
    crate::pages::password::send_reset_link(state, user).await?;
    state.store.record(&AuditEntry::new(actor, "user.reset-password", format!("user:{}", user.id))).await?;
    Ok(())
}

/// Applies an edit to an application, its audit line recording the application before and after.
pub(crate) async fn edit_application(
    state: &AppState,
    actor: &Actor,
    app: &Application,
    edit: &ApplicationEdit,
) -> PortalResult<()> {
    let after = edit.applied_to(app);
    let audit = AuditEntry::new(actor, "application.edit", format!("application:{}", app.id))
        .with_change(Some(audit_view(app)), Some(audit_view(&after)));
    if !state.store.update_application(app.id, edit, &audit).await? {
        return Err(PortalError::NotFound);
    }
    Ok(())
}
