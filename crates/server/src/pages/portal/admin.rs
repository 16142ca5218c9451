//! The admin console's requests, applications and audit log.

use super::developers::{done_notice, request_view};
use super::{actor, path_id, Fields, Staff, StaffForm, REQUESTABLE_SCOPES};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::params::Params;
use crate::i18n::Tr;
use crate::pages::account::frame;
use crate::pages::templates::{
    AdminAppPage, AdminAppsPage, AdminAuditPage, AdminRequestPage, AdminRequestsPage, AuditLine,
};
use crate::pages::{page, see_other};
use crate::portal::{self, PortalError};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::model::Application;
use ticketbooth_store::{ApplicationEdit, ApplicationFilter, AuditFilter, RequestFilter};

/// A query parameter's value, trimmed; empty when absent, repeated or malformed.
pub(crate) fn query_text(query: Option<&str>, name: &'static str) -> String {
    let params = Params::from_urlencoded(query.unwrap_or_default()).unwrap_or_default();
    params.single(name).ok().flatten().unwrap_or_default().trim().to_owned()
}

/// The requests, pending first: the console's front page.
#[utoipa::path(get, path = "/admin", operation_id = "show_admin_requests", tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, description = "Not an administrator", content_type = "text/html")))]
pub(crate) async fn requests(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let requests = state.store.list_requests(RequestFilter::default()).await?;
    let requests = requests.iter().map(|request| request_view(t, request)).collect();
    let arrivals = state.store.clients_in_review().await?;
    let mut frame = frame(t, "/admin", &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    page(StatusCode::OK, &AdminRequestsPage { frame, requests, arrivals })
}

/// One request, with everything its requester wrote, and the review form.
#[utoipa::path(get, path = "/admin/requests/{request_id}", operation_id = "show_admin_request", tag = "Pages",
    params(("request_id" = i64, Path)),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")))]
pub(crate) async fn request(
    State(state): State<AppState>,
    t: Tr,
    Path(request_id): Path<String>,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let request = state.store.find_request(path_id(&request_id)?).await?.ok_or(PortalError::NotFound)?;
    let requester = state.store.find_user(request.requester_id).await?;
    let organizer = match request.draft.organizer_id {
        Some(id) => state.store.find_organizer(id).await?,
        None => None,
    };
    let here = format!("/admin/requests/{}", request.id);
    let frame = frame(t, &here, &session, &user, None);
    let view = request_view(t, &request);
    page(StatusCode::OK, &AdminRequestPage { frame, request, view, requester, organizer, scopes: &REQUESTABLE_SCOPES })
}

/// Approves (granting the checked scopes) or rejects (with `reason`) a pending request.
#[utoipa::path(post, path = "/admin/requests/{request_id}", operation_id = "review_request", tag = "Pages",
    params(("request_id" = i64, Path)),
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`decision` (`approve` or `reject`), `scopes` (repeated: those granted), `reason`, `csrf_token`"),
    responses((status = 303, description = "Reviewed: back to the requests"),
        (status = 400, description = "Not pending, no reason, or scopes not requested", content_type = "text/html"),
        (status = 403, description = "Not an administrator, or a missing or foreign CSRF token", content_type = "text/html")))]
pub(crate) async fn review(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    ClientAddress(address): ClientAddress,
    StaffForm { user, fields, .. }: StaffForm,
) -> Result<Response, PageError> {
    let id = path_id(&request_id)?;
    let actor = actor(&user, &address);
    match fields.get("decision") {
        "approve" => {
            portal::approve(&state, &actor, id, Some(fields.scopes())).await?;
            Ok(see_other("/admin?done=approved"))
        }
        "reject" if !fields.get("reason").is_empty() => {
            portal::reject(&state, &actor, id, fields.get("reason")).await?;
            Ok(see_other("/admin?done=rejected"))
        }
        "reject" => Err(PageError::bad_request("portal-error-reason")),
        _ => Err(PageError::bad_request("error-form-malformed")),
    }
}

/// Applications, searched by name or client id.
#[utoipa::path(get, path = "/admin/applications", operation_id = "show_admin_applications", tag = "Pages",
    params(("q" = Option<String>, Query, description = "Name or client id holds this")),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html")))]
pub(crate) async fn applications(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let search = query_text(query.as_deref(), "q");
    let filter = ApplicationFilter {
        search: Some(&search).filter(|s| !s.is_empty()).map(String::as_str),
        limit: 200,
        ..ApplicationFilter::default()
    };
    let apps = state.store.list_applications(filter).await?;
    let frame = frame(t, "/admin/applications", &session, &user, None);
    page(StatusCode::OK, &AdminAppsPage { frame, apps, search })
}

async fn find_app(state: &AppState, id: &str) -> Result<Application, PageError> {
    Ok(state.store.find_application(path_id(id)?).await?.ok_or(PortalError::NotFound)?)
}

/// One application, with its owner, usage and the staff's actions.
#[utoipa::path(get, path = "/admin/applications/{application_id}", operation_id = "show_admin_application", tag = "Pages",
    params(("application_id" = i64, Path)),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")))]
pub(crate) async fn application(
    State(state): State<AppState>,
    t: Tr,
    Path(application_id): Path<String>,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    let app = find_app(&state, &application_id).await?;
    let here = format!("/admin/applications/{}", app.id);
    let mut frame = frame(t, &here, &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    render_app(&state, t, frame, app, None).await
}

async fn render_app(
    state: &AppState,
    t: Tr,
    frame: crate::pages::templates::AccountFrame<'_>,
    app: Application,
    secret: Option<String>,
) -> Result<Response, PageError> {
    let owner = match app.owner_id {
        Some(id) => state.store.find_user(id).await?,
        None => None,
    };
    let usage = state.store.application_usage(app.id, Utc::now()).await?;
    let previous_until = app.previous_secret.as_ref().map(|(_, until)| t.date_time(*until));
    page(
        StatusCode::OK,
        &AdminAppPage { frame, app, owner, usage, secret, previous_until, scopes: &REQUESTABLE_SCOPES },
    )
}

/// Suspends, resumes, rotates the secret of (shown once, on the answer) or edits an application:
/// the form's `action` says which.
#[utoipa::path(post, path = "/admin/applications/{application_id}", operation_id = "change_admin_application",
    tag = "Pages", params(("application_id" = i64, Path)),
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`action` (`suspend`, `resume`, `rotate` with `grace_days`, `edit` with `name`, `description`, `website`, `redirect_uris`, `scopes`, or `review` with `decision` `approve` or `reject` and `reason`), `csrf_token`"),
    responses((status = 200, description = "Rotated: the new secret, shown this once", content_type = "text/html"),
        (status = 303, description = "Done: back to the application"),
        (status = 400, description = "A field was refused", content_type = "text/html"),
        (status = 403, description = "Not an administrator, or a missing or foreign CSRF token", content_type = "text/html")))]
pub(crate) async fn change_application(
    State(state): State<AppState>,
    t: Tr,
    Path(application_id): Path<String>,
    ClientAddress(address): ClientAddress,
    StaffForm { session, user, fields }: StaffForm,
) -> Result<Response, PageError> {
    let app = find_app(&state, &application_id).await?;
    let actor = actor(&user, &address);
    let back = format!("/admin/applications/{}", app.id);
    match fields.get("action") {
        "suspend" | "resume" => {
            let suspend = fields.get("action") == "suspend";
            portal::set_suspended(&state, &actor, &app, suspend).await?;
            Ok(see_other(&format!("{back}?done={}", if suspend { "suspended" } else { "resumed" })))
        }
        "review" => {
            let approve = match fields.get("decision") {
                "approve" => true,
                "reject" if !fields.get("reason").is_empty() => false,
                "reject" => return Err(PageError::bad_request("portal-error-reason")),
                _ => return Err(PageError::bad_request("error-form-malformed")),
            };
            portal::decide_client(&state, &actor, &app, approve, fields.get("reason")).await?;
            Ok(see_other(&format!("{back}?done={}", if approve { "approved" } else { "rejected" })))
        }
        "rotate" => {
            let days = fields.get("grace_days").parse().map_err(|_| PortalError::GraceTooLong)?;
            let secret = portal::rotate_secret(&state, &actor, &app, days).await?;
            let app = find_app(&state, &application_id).await?;
            let mut frame = frame(t, &back, &session, &user, None);
            frame.notice = Some(t.t("portal-done-rotated"));
            render_app(&state, t, frame, app, Some(secret.expose().to_owned())).await
        }
        "edit" => {
            let redirect_uris: Vec<String> = fields
                .get("redirect_uris")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            for uri in &redirect_uris {
                ticketbooth_domain::redirect::validate_registration(uri)
                    .map_err(|err| PageError::bad_request_detail(format!("{uri}: {err}")))?;
            }
            let scopes = fields.scopes();
            if redirect_uris.is_empty() || scopes.is_empty() || fields.get("name").is_empty() {
                return Err(PageError::bad_request("error-form-malformed"));
            }
            let edit = ApplicationEdit {
                name: Some(fields.get("name").to_owned()),
                description: Some(fields.get("description").to_owned()),
                website: Some(fields.get("website").to_owned()),
                redirect_uris: Some(redirect_uris),
                scopes: Some(scopes),
                organizer_id: None,
            };
            portal::edit_application(&state, &actor, &app, &edit).await?;
            Ok(see_other(&format!("{back}?done=saved")))
        }
        _ => Err(PageError::bad_request("error-form-malformed")),
    }
}

/// The audit log, newest first, filtered by action and by actor or target, a page at a time.
#[utoipa::path(get, path = "/admin/audit", operation_id = "show_audit_log", tag = "Pages",
    params(("action" = Option<String>, Query, description = "Actions starting with this"),
        ("who" = Option<String>, Query, description = "Actor holds this, or target equals it"),
        ("before" = Option<i64>, Query, description = "Lines older than this id (the next page)")),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 403, content_type = "text/html")))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Staff { session, user }: Staff,
) -> Result<Response, PageError> {
    const PAGE: u32 = 50;
    let text = |name: &'static str| query_text(query.as_deref(), name);
    let (action, who) = (text("action"), text("who"));
    let before = text("before").parse().ok();
    let filter = AuditFilter {
        action: Some(action.as_str()).filter(|a| !a.is_empty()),
        who: Some(who.as_str()).filter(|w| !w.is_empty()),
        before,
        limit: PAGE,
        ..AuditFilter::default()
    };
    let records = state.store.audit_log(filter).await?;
    let next = (records.len() == PAGE as usize).then(|| records.last().map(|line| line.id)).flatten();
    let lines = records
        .into_iter()
        .map(|line| AuditLine {
            at: t.date_time(line.at),
            actor: line.actor,
            address: line.address,
            action: line.action,
            target: line.target,
            before: line.before.map(|value| value.to_string()),
            after: line.after.map(|value| value.to_string()),
        })
        .collect();
    let next = next.map(|id| {
        url::form_urlencoded::Serializer::new(String::from("/admin/audit?"))
            .append_pair("action", &action)
            .append_pair("who", &who)
            .append_pair("before", &id.to_string())
            .finish()
    });
    let frame = frame(t, "/admin/audit", &session, &user, None);
    page(StatusCode::OK, &AdminAuditPage { frame, lines, action, who, next })
}
