//! The admin console's users and organizers.

use super::admin::query_text;
use super::developers::done_notice;
use super::{actor, path_id, Fields, Staff, StaffForm};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::i18n::Tr;
use crate::pages::account::frame;
use crate::pages::templates::{AdminOrganizersPage, AdminUserPage, AdminUsersPage};
use crate::pages::{page, see_other};
use crate::portal::{self, PortalError};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::model::{normalize_email, User};
use ticketbooth_domain::portal::AuditEntry;

/// Users, searched by e-mail or name.
#[utoipa::path(get, path = "/admin/users", operation_id = "show_admin_users", tag = "Pages",
    params(("q" = Option<String>, Query, description = "E-mail or name holds this")),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html")))]
pub(crate) async fn users(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let search = query_text(query.as_deref(), "q");
    let users = state.store.search_users(&search, 200).await?;
    let frame = frame(t, "/admin/users", &session, &user, None);
    page(StatusCode::OK, &AdminUsersPage { frame, users, search })
}

async fn find_user(state: &AppState, id: &str) -> Result<User, PageError> {
    Ok(state.store.find_user(path_id(id)?).await?.ok_or(PortalError::NotFound)?)
}

/// One user: organizers, authorized applications, sessions, and the staff's actions.
#[utoipa::path(get, path = "/admin/users/{user_id}", operation_id = "show_admin_user", tag = "Pages",
    params(("user_id" = i64, Path)),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")))]
pub(crate) async fn user(
    State(state): State<AppState>,
    t: Tr,
    Path(user_id): Path<String>,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let subject = find_user(&state, &user_id).await?;
    let organizers = state.store.organizers_of(subject.id).await?;
    let apps =
        state.store.list_consents(subject.id).await?.into_iter().map(|consent| consent.application.name).collect();
    let sessions = state
        .store
        .list_sessions(subject.id, Utc::now())
        .await?
        .into_iter()
        .map(|session| (session.origin.user_agent, session.origin.address, t.date_time(session.origin.created_at)))
        .collect();
    let here = format!("/admin/users/{}", subject.id);
    let mut frame = frame(t, &here, &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    page(StatusCode::OK, &AdminUserPage { frame, subject, organizers, apps, sessions })
}

/// Disables, enables, mails a reset link to, or grants or revokes the administrator role of a
/// user: the form's `action` says which.
#[utoipa::path(post, path = "/admin/users/{user_id}", operation_id = "change_admin_user", tag = "Pages",
    params(("user_id" = i64, Path)),
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`action` (`disable`, `enable`, `reset-password`, `grant-admin`, `revoke-admin`), `csrf_token`"),
    responses((status = 303, description = "Done: back to the user"),
        (status = 400, description = "The last administrator keeps the role", content_type = "text/html"),
        (status = 403, description = "Not an administrator, or a missing or foreign CSRF token", content_type = "text/html")))]
pub(crate) async fn change_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    ClientAddress(address): ClientAddress,
    StaffForm { user, fields, .. }: StaffForm,
) -> Result<Response, PageError> {
    let subject = find_user(&state, &user_id).await?;
    let actor = actor(&user, &address);
    let done = match fields.get("action") {
        "disable" => portal::set_disabled(&state, &actor, &subject, true).await.map(|_| "disabled")?,
        "enable" => portal::set_disabled(&state, &actor, &subject, false).await.map(|_| "enabled")?,
        "reset-password" => portal::send_password_reset(&state, &actor, &subject).await.map(|_| "reset")?,
        "grant-admin" => portal::set_admin(&state, &actor, &subject, true).await.map(|_| "role")?,
        "revoke-admin" => portal::set_admin(&state, &actor, &subject, false).await.map(|_| "role")?,
        _ => return Err(PageError::bad_request("error-form-malformed")),
    };
    Ok(see_other(&format!("/admin/users/{}?done={done}", subject.id)))
}

/// Organizers with their members, and the form that creates one.
#[utoipa::path(get, path = "/admin/organizers", operation_id = "show_admin_organizers", tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html")))]
pub(crate) async fn organizers(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let mut organizers = Vec::new();
    for organizer in state.store.list_organizers().await? {
        let members = state.store.organizer_members(organizer.id).await?;
        organizers.push((organizer, members));
    }
    let mut frame = frame(t, "/admin/organizers", &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    page(StatusCode::OK, &AdminOrganizersPage { frame, organizers })
}

/// Creates an organizer (`action=create`, `name`), or adds (`action=add`, `organizer_id`,
/// `email`) or removes (`action=remove`, `organizer_id`, `user_id`) a member.
#[utoipa::path(post, path = "/admin/organizers", operation_id = "change_admin_organizers", tag = "Pages",
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`action` (`create` with `name`; `add` with `organizer_id`, `email`; `remove` with `organizer_id`, `user_id`), `csrf_token`"),
    responses((status = 303, description = "Done: back to the organizers"),
        (status = 400, description = "A field was refused", content_type = "text/html"),
        (status = 403, description = "Not an administrator, or a missing or foreign CSRF token", content_type = "text/html")))]
pub(crate) async fn change_organizers(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    StaffForm { user, fields, .. }: StaffForm,
) -> Result<Response, PageError> {
    let actor = actor(&user, &address);
    let organizer_id = fields.get("organizer_id").parse::<i64>().ok();
    match (fields.get("action"), organizer_id) {
        ("create", _) if !fields.get("name").is_empty() => {
            let organizer = state.store.create_organizer(fields.get("name"), &[]).await?;
            let audit = AuditEntry::new(&actor, "organizer.create", format!("organizer:{}", organizer.id))
                .with_change(None, Some(serde_json::json!({ "name": organizer.name })));
            state.store.record(&audit).await?;
        }
        ("add", Some(organizer_id)) => {
            let email = normalize_email(fields.get("email"));
            let member = state.store.find_user_by_email(&email).await?.ok_or(PortalError::NotFound)?;
            state.store.find_organizer(organizer_id).await?.ok_or(PortalError::NotFound)?;
            let audit = AuditEntry::new(&actor, "organizer.add-member", format!("organizer:{organizer_id}"))
                .with_change(None, Some(serde_json::json!({ "user_id": member.id, "email": member.email })));
            state.store.set_membership(organizer_id, member.id, true, &audit).await?;
        }
        ("remove", Some(organizer_id)) => {
            let user_id = fields.get("user_id").parse::<i64>().map_err(|_| PortalError::NotFound)?;
            let audit = AuditEntry::new(&actor, "organizer.remove-member", format!("organizer:{organizer_id}"))
                .with_change(Some(serde_json::json!({ "user_id": user_id })), None);
            state.store.set_membership(organizer_id, user_id, false, &audit).await?;
        }
        _ => return Err(PageError::bad_request("error-form-malformed")),
    }
    Ok(see_other("/admin/organizers?done=member"))
}
