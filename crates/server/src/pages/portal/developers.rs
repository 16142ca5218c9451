//! The developer portal: request an application, follow the request, and run what was approved
//! (the secret shown once, rotation with a grace period, edits, usage, ready-to-copy commands).

use super::{actor, path_id, Fields, REQUESTABLE_SCOPES};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::i18n::Tr;
use crate::pages::account::{frame, AccountForm, Visit};
use crate::pages::templates::{AccountFrame, DeveloperAppPage, DeveloperFormPage, DevelopersPage};
use crate::pages::{page, see_other};
use crate::portal::{self, PortalError};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::model::{Application, Organizer, User};
use ticketbooth_domain::portal::{audit_view, check_draft, ApplicationRequest, AuditEntry, DraftInput, RequestStatus};
use ticketbooth_domain::scope::{Scope, ScopeSet};
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::{ApplicationEdit, ApplicationFilter, RequestFilter};
use url::form_urlencoded;

/// A request as the portal lists it.
pub(crate) struct RequestView {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// The message id of its status.
    pub(crate) status: &'static str,
    pub(crate) pending: bool,
    pub(crate) change: bool,
    pub(crate) reason: Option<String>,
    pub(crate) scopes: String,
    pub(crate) created: String,
}

pub(crate) fn request_view(t: Tr, request: &ApplicationRequest) -> RequestView {
    RequestView {
        id: request.id,
        name: request.draft.name.clone(),
        status: match request.status {
            RequestStatus::Pending => "portal-status-pending",
            RequestStatus::Approved => "portal-status-approved",
            RequestStatus::Rejected => "portal-status-rejected",
        },
        pending: request.status == RequestStatus::Pending,
        change: request.application_id.is_some() && request.status == RequestStatus::Pending,
        reason: request.review_reason.clone(),
        scopes: request.granted_scopes.unwrap_or(request.draft.scopes).to_string(),
        created: t.date_time(request.created_at),
    }
}

/// The request form's values, as typed (to show them again with the problems).
#[derive(Default)]
pub(crate) struct DraftValues {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) website: String,
    pub(crate) redirect_uris: String,
    pub(crate) confidential: bool,
    pub(crate) scopes: ScopeSet,
    pub(crate) organizer_id: Option<i64>,
    pub(crate) purpose: String,
}

impl DraftValues {
    fn from_fields(fields: &Fields) -> DraftValues {
        DraftValues {
            name: fields.get("name").to_owned(),
            description: fields.get("description").to_owned(),
            website: fields.get("website").to_owned(),
            redirect_uris: fields.get("redirect_uris").to_owned(),
            confidential: fields.get("client_type") != "public",
            scopes: fields.scopes(),
            organizer_id: fields.get("organizer_id").parse().ok(),
            purpose: fields.get("purpose").to_owned(),
        }
    }

    /// The values as the draft rule reads them; `scopes` are the checked boxes' names.
    fn input<'a>(&'a self, scopes: &'a [String]) -> DraftInput<'a> {
        DraftInput {
            name: &self.name,
            description: &self.description,
            website: &self.website,
            redirect_uris: &self.redirect_uris,
            confidential: self.confidential,
            scopes,
            organizer_id: self.organizer_id,
            purpose: &self.purpose,
        }
    }

    /// Whether the form shows organizer `id` selected.
    pub(crate) fn organizer_is(&self, id: &i64) -> bool {
        self.organizer_id == Some(*id)
    }

    /// Whether the form shows `scope` checked.
    pub(crate) fn has(&self, scope: &Scope) -> bool {
        self.scopes.contains(*scope)
    }
}

/// The developer's requests and applications.
#[utoipa::path(get, path = "/developers", operation_id = "show_developer_portal", tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page")))]
pub(crate) async fn index(
    State(state): State<AppState>,
    t: Tr,
    RawQuery(query): RawQuery,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let filter = RequestFilter { requester_id: Some(user.id), ..RequestFilter::default() };
    let requests = state.store.list_requests(filter).await?.iter().map(|request| request_view(t, request)).collect();
    let apps = state
        .store
        .list_applications(ApplicationFilter { owner_id: Some(user.id), limit: 200, ..ApplicationFilter::default() })
        .await?;
    let mut frame = frame(t, "/developers", &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    page(StatusCode::OK, &DevelopersPage { frame, requests, apps })
}

/// What `?done=…` after a portal form says.
pub(crate) fn done_notice(t: Tr, query: Option<&str>) -> Option<String> {
    let done = query?.strip_prefix("done=")?;
    Some(t.t(match done {
        "requested" => "portal-done-requested",
        "withdrawn" => "portal-done-withdrawn",
        "deleted" => "portal-done-deleted",
        "saved" => "portal-done-saved",
        "review" => "portal-done-review",
        "suspended" => "portal-done-suspended",
        "resumed" => "portal-done-resumed",
        "approved" => "portal-done-approved",
        "rejected" => "portal-done-rejected",
        "disabled" => "portal-done-disabled",
        "enabled" => "portal-done-enabled",
        "reset" => "portal-done-reset",
        "role" => "portal-done-role",
        "member" => "portal-done-member",
        "created" => "portal-done-created",
        _ => return None,
    }))
}

/// The form that requests an application.
#[utoipa::path(get, path = "/developers/new", operation_id = "show_application_request_form", tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page")))]
pub(crate) async fn new(
    State(state): State<AppState>,
    t: Tr,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let organizers = state.store.organizers_of(user.id).await?;
    let values = DraftValues { confidential: true, scopes: ScopeSet::only(Scope::Public), ..DraftValues::default() };
    let frame = frame(t, "/developers/new", &session, &user, None);
    page(StatusCode::OK, &form_page(frame, organizers, values, Vec::new()))
}

fn form_page(
    frame: AccountFrame<'_>,
    organizers: Vec<Organizer>,
    values: DraftValues,
    problems: Vec<String>,
) -> DeveloperFormPage<'_> {
    DeveloperFormPage { frame, organizers, values, problems, scopes: &REQUESTABLE_SCOPES }
}

/// Stores a request as pending and tells the requester and the administrators.
#[utoipa::path(post, path = "/developers/new", operation_id = "request_application", tag = "Pages",
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`name`, `description`, `website`, `redirect_uris` (one per line), `client_type` (`confidential` or `public`), `scopes` (repeated), `organizer_id`, `purpose`, `csrf_token`"),
    responses(
        (status = 303, description = "Requested: back to the portal"),
        (status = 400, description = "The form again, with its problems", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    AccountForm { session, user, form }: AccountForm<Fields>,
) -> Result<Response, PageError> {
    let organizers = state.store.organizers_of(user.id).await?;
    let member_of: Vec<i64> = organizers.iter().map(|organizer| organizer.id).collect();
    let values = DraftValues::from_fields(&form);
    let scopes = form.all("scopes");
    match check_draft(&values.input(&scopes), &member_of) {
        Ok(draft) => {
            portal::request_application(&state, &actor(&user, &address), &user, None, &draft).await?;
            Ok(see_other("/developers?done=requested"))
        }
        Err(problems) => {
            let problems = problems
                .iter()
                .map(|problem| match problem.subject() {
                    Some(subject) => format!("{} ({subject})", t.t(problem.message_id())),
                    None => t.t(problem.message_id()),
                })
                .collect();
            let frame = frame(t, "/developers/new", &session, &user, None);
            page(StatusCode::BAD_REQUEST, &form_page(frame, organizers, values, problems))
        }
    }
}

/// An application of the developer's, or a missing page.
async fn own_application(state: &AppState, user: &User, id: &str) -> Result<Application, PageError> {
    let app = state.store.find_application(path_id(id)?).await?;
    app.filter(|app| app.owner_id == Some(user.id)).ok_or_else(|| PageError::not_found("error-not-found-body"))
}

/// One application: its credentials (the secret made and shown at the first view only), usage,
/// commands to copy, and the forms that rotate, edit and delete it.
#[utoipa::path(get, path = "/developers/applications/{application_id}", operation_id = "show_developer_application",
    tag = "Pages", params(("application_id" = i64, Path)),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"), (status = 404, content_type = "text/html")))]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    Path(application_id): Path<String>,
    RawQuery(query): RawQuery,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let app = own_application(&state, &user, &application_id).await?;
    // The first view makes the secret; the store lets only one view win.
    let mut shown = None;
    if !app.secret_shown {
        let secret = Secret::generate();
        if state.store.reveal_secret(app.id, &secret.hash()).await? {
            shown = Some(secret);
        }
    }
    let here = format!("/developers/applications/{}", app.id);
    let mut frame = frame(t, &here, &session, &user, None);
    frame.notice = done_notice(t, query.as_deref());
    render_app(&state, t, frame, app, shown).await
}

async fn render_app(
    state: &AppState,
    t: Tr,
    frame: AccountFrame<'_>,
    app: Application,
    shown: Option<Secret>,
) -> Result<Response, PageError> {
    let usage = state.store.application_usage(app.id, Utc::now()).await?;
    let filter = RequestFilter {
        application_id: Some(app.id),
        status: Some(RequestStatus::Pending),
        ..RequestFilter::default()
    };
    let pending_change = state.store.list_requests(filter).await?.first().map(|request| request_view(t, request));
    let organizers = state.store.organizers_of(frame.user.id).await?;
    let commands = Commands::for_app(&state.config.issuer, &app);
    let values = DraftValues {
        name: app.name.clone(),
        description: app.description.clone(),
        website: app.website.clone(),
        redirect_uris: app.redirect_uris.join("\n"),
        confidential: app.is_confidential(),
        scopes: app.scopes,
        organizer_id: app.organizer_id,
        purpose: String::new(),
    };
    let view = DeveloperAppPage {
        previous_until: app.previous_secret.as_ref().map(|(_, until)| t.date_time(*until)),
        last_issued: usage.last_issued_at.map(|at| t.date_time(at)),
        frame,
        app,
        secret: shown.map(|secret| secret.expose().to_owned()),
        usage,
        commands,
        pending_change,
        values,
        organizers,
        scopes: &REQUESTABLE_SCOPES,
    };
    page(StatusCode::OK, &view)
}

/// Ready-to-copy commands for an application.
pub(crate) struct Commands {
    pub(crate) authorize_url: String,
    pub(crate) exchange: String,
    pub(crate) call: String,
    pub(crate) client_credentials: Option<String>,
}

impl Commands {
    fn for_app(issuer: &str, app: &Application) -> Commands {
        let redirect_uri = app.redirect_uris.first().map(String::as_str).unwrap_or_default();
        let scope = app.scopes.to_string();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", "STATE")
            .append_pair("code_challenge", "CODE_CHALLENGE")
            .append_pair("code_challenge_method", "S256")
            .finish();
        let credentials = if app.is_confidential() {
            format!("-u '{}:CLIENT_SECRET'", app.client_id)
        } else {
            format!("-d client_id='{}'", app.client_id)
        };
        Commands {
            authorize_url: format!("{issuer}/oauth/authorize?{query}"),
            exchange: format!(
                "curl {credentials} -d grant_type=authorization_code -d code=CODE \\\n  -d redirect_uri='{redirect_uri}' -d code_verifier=CODE_VERIFIER {issuer}/oauth/token"
            ),
            call: format!("curl -H 'Authorization: Bearer ACCESS_TOKEN' {issuer}/api/public/me"),
            client_credentials: (app.is_confidential() && app.organizer_id.is_some()).then(|| {
                format!("curl {credentials} -d grant_type=client_credentials -d scope=organizer {issuer}/oauth/token")
            }),
        }
    }
}

/// Rotates the secret (shown on the answer, once), saves an edit (a change of scopes or
/// organizer goes back to review), or deletes the application: the form's `action` says which.
#[utoipa::path(post, path = "/developers/applications/{application_id}", operation_id = "change_developer_application",
    tag = "Pages", params(("application_id" = i64, Path)),
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded",
        description = "`action` (`rotate` with `grace_days`; `edit` with `description`, `website`, `redirect_uris`, `scopes`, `organizer_id`; `delete`), `csrf_token`"),
    responses(
        (status = 200, description = "Rotated: the new secret, shown this once", content_type = "text/html"),
        (status = 303, description = "Saved or deleted"),
        (status = 400, description = "A field was refused", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
    ))]
pub(crate) async fn change(
    State(state): State<AppState>,
    t: Tr,
    Path(application_id): Path<String>,
    ClientAddress(address): ClientAddress,
    AccountForm { session, user, form }: AccountForm<Fields>,
) -> Result<Response, PageError> {
    let app = own_application(&state, &user, &application_id).await?;
    let actor = actor(&user, &address);
    let here = format!("/developers/applications/{}", app.id);
    match form.get("action") {
        "rotate" => {
            let days = form.get("grace_days").parse().map_err(|_| PortalError::GraceTooLong)?;
            let secret = portal::rotate_secret(&state, &actor, &app, days).await?;
            let app = own_application(&state, &user, &application_id).await?;
            let mut frame = frame(t, &here, &session, &user, None);
            frame.notice = Some(t.t("portal-done-rotated"));
            render_app(&state, t, frame, app, Some(secret)).await
        }
        "delete" => {
            let audit = AuditEntry::new(&actor, "application.delete", format!("application:{}", app.id))
                .with_change(Some(audit_view(&app)), None);
            state.store.delete_application(app.id, &audit).await?;
            Ok(see_other("/developers?done=deleted"))
        }
        "edit" => edit(&state, t, &actor, &user, app, &form).await,
        _ => Err(PageError::bad_request("error-form-malformed")),
    }
}

/// Applies an edit's redirect URIs, description and website at once; a change of scopes or
/// organizer becomes a request for review.
async fn edit(
    state: &AppState,
    t: Tr,
    actor: &ticketbooth_domain::portal::Actor,
    user: &User,
    app: Application,
    form: &Fields,
) -> Result<Response, PageError> {
    let member_of: Vec<i64> = state.store.organizers_of(user.id).await?.iter().map(|organizer| organizer.id).collect();
    // Name and client type are not the developer's to edit; the purpose was for the first review.
    let values = DraftValues {
        name: app.name.clone(),
        confidential: app.is_confidential(),
        purpose: String::new(),
        ..DraftValues::from_fields(form)
    };
    let scopes = form.all("scopes");
    // An organizer the application has already counts as the developer's to keep.
    let allowed: Vec<i64> = member_of.into_iter().chain(app.organizer_id).collect();
    let draft = check_draft(&values.input(&scopes), &allowed).map_err(|problems| {
        let detail: Vec<String> = problems.iter().map(|problem| t.t(problem.message_id())).collect();
        PageError::bad_request_detail(detail.join(" "))
    })?;
    let edit = ApplicationEdit {
        description: Some(draft.description.clone()),
        website: Some(draft.website.clone()),
        redirect_uris: Some(draft.redirect_uris.clone()),
        ..ApplicationEdit::default()
    };
    portal::edit_application(state, actor, &app, &edit).await?;
    let base = format!("/developers/applications/{}", app.id);
    if draft.scopes != app.scopes || draft.organizer_id != app.organizer_id {
        portal::request_application(state, actor, user, Some(app.id), &draft).await?;
        return Ok(see_other(&format!("{base}?done=review")));
    }
    Ok(see_other(&format!("{base}?done=saved")))
}

/// Withdraws a pending request of the developer's.
#[utoipa::path(post, path = "/developers/requests/{request_id}/withdraw", operation_id = "withdraw_application_request",
    tag = "Pages", params(("request_id" = i64, Path)),
    request_body(content = Fields, content_type = "application/x-www-form-urlencoded", description = "`csrf_token`"),
    responses((status = 303, description = "Withdrawn: back to the portal"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html")))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
    ClientAddress(address): ClientAddress,
    AccountForm { user, .. }: AccountForm<Fields>,
) -> Result<Response, PageError> {
    let id = path_id(&request_id)?;
    let audit = AuditEntry::new(&actor(&user, &address), "request.withdraw", format!("request:{id}"));
    if !state.store.withdraw_request(id, user.id, &audit).await? {
        return Err(PortalError::NotPending.into());
    }
    Ok(see_other("/developers?done=withdrawn"))
}
