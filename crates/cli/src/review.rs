//! The staff's commands (contract §7): reviewing application requests, suspending and resuming
//! applications, rotating secrets, administrator roles, disabled accounts, and the audit log.
//! Each calls the same action as the admin console and is audited as the command line's.

use crate::admin::print;
use crate::config::Settings;
use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use ticketbooth_domain::model::{normalize_email, Application, User};
use ticketbooth_domain::portal::{Actor, ApplicationRequest, AuditEntry, RequestStatus};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_server::portal;
use ticketbooth_server::AppState;
use ticketbooth_store::{AuditFilter, DynStore, RequestFilter};

#[derive(Debug, Args)]
pub(crate) struct ListRequests {
    /// Only requests with this status: pending, approved or rejected.
    #[arg(long, value_parser = parse_status)]
    status: Option<RequestStatus>,
    /// Print one JSON array.
    #[arg(long)]
    json: bool,
}

fn parse_status(name: &str) -> Result<RequestStatus, String> {
    RequestStatus::from_name(name).ok_or_else(|| format!("`{name}` is not pending, approved or rejected"))
}

#[derive(Debug, Args)]
pub(crate) struct Approve {
    /// The request's id.
    id: i64,
    /// Grant only these of the requested scopes, space-separated.
    #[arg(long)]
    scopes: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct Reject {
    /// The request's id.
    id: i64,
    /// Why; the requester is told.
    #[arg(long)]
    reason: String,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AppId {
    /// The application's id.
    id: i64,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateSecret {
    /// The application's id.
    id: i64,
    /// How many days (0 to 7) the old secret keeps working.
    #[arg(long, default_value_t = 0)]
    grace_days: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UserByEmail {
    #[arg(long)]
    email: String,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Only lines at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    /// Only actions starting with this (`application.`, `user.disable`).
    #[arg(long)]
    action: Option<String>,
    /// At most this many lines, newest first.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Print one JSON array.
    #[arg(long)]
    json: bool,
}

/// The staff commands of `apps`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReviewCommand {
    /// List application requests, pending first.
    Requests(ListRequests),
    /// Approve a pending request (optionally granting fewer scopes).
    Approve(Approve),
    /// Reject a pending request with a reason.
    Reject(Reject),
    /// Suspend an application: its tokens and codes are revoked, its clients refused.
    Suspend(AppId),
    /// Resume a suspended application.
    Resume(AppId),
    /// Give an application a new client secret (shown this once).
    RotateSecret(RotateSecret),
    /// List the clients that arrived by themselves (metadata documents, registration) and wait
    /// for approval.
    Arrivals {
        #[arg(long)]
        json: bool,
    },
    /// Approve a client waiting for approval.
    ApproveClient(AppId),
    /// Reject a client waiting for approval; it stays refused.
    RejectClient(RejectClient),
}

#[derive(Debug, Args)]
pub(crate) struct RejectClient {
    /// The application's id.
    id: i64,
    /// Why (kept in the audit log).
    #[arg(long)]
    reason: String,
    #[arg(long)]
    json: bool,
}

/// The staff commands of `users`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserRoleCommand {
    /// Make a user a platform administrator.
    GrantAdmin(UserByEmail),
    /// Take the administrator role from a user (never from the last one).
    RevokeAdmin(UserByEmail),
    /// Disable an account: its sessions, codes and tokens end, sign-in is refused.
    Disable(UserByEmail),
    /// Enable a disabled account.
    Enable(UserByEmail),
}

/// The command line as an actor in the audit log: `cli:` and the operating-system user.
pub(crate) fn operator() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    Actor { user_id: None, name: format!("cli:{user}"), address: "local".to_owned() }
}

/// Records a command-line action that changed the store without an audit line of its own.
pub(crate) async fn audit_cli(
    store: &dyn ticketbooth_store::Store,
    action: &'static str,
    target: String,
    after: serde_json::Value,
) -> anyhow::Result<()> {
    store.record(&AuditEntry::new(&operator(), action, target).with_change(None, Some(after))).await?;
    Ok(())
}

/// The server's state, for actions that mail people; what they queue is delivered before exit.
fn state(store: &DynStore, settings: &Settings) -> anyhow::Result<AppState> {
    let issuer = settings.issuer.clone().unwrap_or_else(|| format!("http://{}", settings.addr));
    let config = settings.server(&issuer)?;
    ticketbooth_server::check_mail(&config.mail).map_err(|err| anyhow::anyhow!("mail: {err}"))?;
    Ok(AppState::new(store.clone(), config))
}

async fn deliver(state: &AppState) -> anyhow::Result<()> {
    ticketbooth_server::deliver_mail_now(&state.store, &state.config.mail).await.map_err(anyhow::Error::msg)?;
    Ok(())
}

fn request_json(request: &ApplicationRequest) -> serde_json::Value {
    let draft = &request.draft;
    json!({
        "id": request.id,
        "status": request.status.as_str(),
        "requester_id": request.requester_id,
        "application_id": request.application_id,
        "name": draft.name,
        "description": draft.description,
        "website": draft.website,
        "redirect_uris": draft.redirect_uris,
        "confidential": draft.confidential,
        "scopes": draft.scopes.to_string(),
        "organizer_id": draft.organizer_id,
        "purpose": draft.purpose,
        "granted_scopes": request.granted_scopes.map(|scopes| scopes.to_string()),
        "review_reason": request.review_reason,
        "created_at": request.created_at.to_rfc3339(),
    })
}

fn app_json(app: &Application) -> serde_json::Value {
    json!({
        "id": app.id,
        "client_id": app.client_id,
        "name": app.name,
        "redirect_uris": app.redirect_uris,
        "scopes": app.scopes.to_string(),
        "confidential": app.is_confidential(),
        "organizer_id": app.organizer_id,
        "owner_id": app.owner_id,
        "suspended": app.suspended_at.is_some(),
        "origin": app.origin.as_str(),
        "review": app.review.as_str(),
    })
}

async fn find_app(store: &DynStore, id: i64) -> anyhow::Result<Application> {
    store.find_application(id).await?.with_context(|| format!("no application with id {id}"))
}

async fn find_user(store: &DynStore, email: &str) -> anyhow::Result<User> {
    let email = normalize_email(email);
    store.find_user_by_email(&email).await?.with_context(|| format!("no user has the email {email}"))
}

pub(crate) async fn review(store: DynStore, settings: &Settings, command: ReviewCommand) -> anyhow::Result<()> {
    let state = state(&store, settings)?;
    let actor = operator();
    match command {
        ReviewCommand::Requests(args) => {
            let requests =
                store.list_requests(RequestFilter { status: args.status, ..RequestFilter::default() }).await?;
            if args.json {
                println!("{}", serde_json::Value::Array(requests.iter().map(request_json).collect()));
            }
            for request in requests.iter().filter(|_| !args.json) {
                let draft = &request.draft;
                println!("{}\t{}\t{}\t{}", request.id, request.status.as_str(), draft.name, draft.scopes);
            }
        }
        ReviewCommand::Approve(args) => {
            let scopes = args.scopes.as_deref().map(ScopeSet::parse).transpose().context("--scopes")?;
            let app = portal::approve(&state, &actor, args.id, scopes).await?;
            deliver(&state).await?;
            let human = format!(
                "approved request {}: application {} \"{}\", client_id {} (its owner sees the secret at first view)",
                args.id, app.id, app.name, app.client_id
            );
            print(args.json, app_json(&app), human);
        }
        ReviewCommand::Reject(args) => {
            portal::reject(&state, &actor, args.id, args.reason.trim()).await?;
            deliver(&state).await?;
            print(args.json, json!({ "id": args.id, "status": "rejected" }), format!("rejected request {}", args.id));
        }
        ReviewCommand::Arrivals { json } => {
            let waiting = store.clients_in_review().await?;
            if json {
                println!("{}", serde_json::Value::Array(waiting.iter().map(app_json).collect()));
            }
            for app in waiting.iter().filter(|_| !json) {
                println!("{}\t{}\t{}\t{}", app.id, app.origin.as_str(), app.client_id, app.name);
            }
        }
        ReviewCommand::ApproveClient(args) => decide_client(&state, &actor, args.id, None, args.json).await?,
        ReviewCommand::RejectClient(args) => {
            let reason = args.reason.trim();
            anyhow::ensure!(!reason.is_empty(), "--reason must say why");
            decide_client(&state, &actor, args.id, Some(reason), args.json).await?
        }
        ReviewCommand::Suspend(args) => set_suspended(&state, &actor, args, true).await?,
        ReviewCommand::Resume(args) => set_suspended(&state, &actor, args, false).await?,
        ReviewCommand::RotateSecret(args) => {
            let app = find_app(&store, args.id).await?;
            let secret = portal::rotate_secret(&state, &actor, &app, args.grace_days).await?;
            let value = json!({ "id": app.id, "client_id": app.client_id, "client_secret": secret.expose(),
                                "grace_days": args.grace_days });
            let human = format!("client_secret: {} (shown this once)", secret.expose());
            print(args.json, value, human);
        }
    }
    Ok(())
}

/// Approves (`reason` none) or rejects a client waiting for approval.
async fn decide_client(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reason: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let app = find_app(&state.store, id).await?;
    portal::decide_client(state, actor, &app, reason.is_none(), reason.unwrap_or_default()).await?;
    let app = find_app(&state.store, id).await?;
    print(json, app_json(&app), format!("{} client {} \"{}\"", app.review.as_str(), app.id, app.name));
    Ok(())
}

async fn set_suspended(state: &AppState, actor: &Actor, args: AppId, suspended: bool) -> anyhow::Result<()> {
    let app = find_app(&state.store, args.id).await?;
    portal::set_suspended(state, actor, &app, suspended).await?;
    let app = find_app(&state.store, args.id).await?;
    let verb = if suspended { "suspended" } else { "resumed" };
    print(args.json, app_json(&app), format!("{verb} application {} \"{}\"", app.id, app.name));
    Ok(())
}

pub(crate) async fn roles(store: DynStore, settings: &Settings, command: UserRoleCommand) -> anyhow::Result<()> {
    let state = state(&store, settings)?;
    let actor = operator();
    let (args, verb) = match &command {
        UserRoleCommand::GrantAdmin(args) => (args, "granted the administrator role to"),
        UserRoleCommand::RevokeAdmin(args) => (args, "took the administrator role from"),
        UserRoleCommand::Disable(args) => (args, "disabled"),
        UserRoleCommand::Enable(args) => (args, "enabled"),
    };
    let user = find_user(&store, &args.email).await?;
    let changed = match &command {
        UserRoleCommand::GrantAdmin(_) => portal::set_admin(&state, &actor, &user, true).await?,
        UserRoleCommand::RevokeAdmin(_) => portal::set_admin(&state, &actor, &user, false).await?,
        UserRoleCommand::Disable(_) => portal::set_disabled(&state, &actor, &user, true).await?,
        UserRoleCommand::Enable(_) => portal::set_disabled(&state, &actor, &user, false).await?,
    };
    let user = find_user(&store, &args.email).await?;
    let value = json!({ "id": user.id, "email": user.email, "admin": user.is_admin,
                        "disabled": user.disabled_at.is_some(), "changed": changed });
    let human = if changed { format!("{verb} {}", user.email) } else { format!("{} was so already", user.email) };
    print(args.json, value, human);
    Ok(())
}

pub(crate) async fn audit(store: DynStore, args: AuditArgs) -> anyhow::Result<()> {
    if args.action.as_deref().is_some_and(str::is_empty) {
        bail!("--action must not be empty");
    }
    let filter =
        AuditFilter { since: args.since, action: args.action.as_deref(), limit: args.limit, ..AuditFilter::default() };
    let lines = store.audit_log(filter).await?;
    if args.json {
        let lines: Vec<_> = lines
            .iter()
            .map(|line| {
                json!({ "id": line.id, "at": line.at.to_rfc3339(), "actor_id": line.actor_id, "actor": line.actor,
                        "address": line.address, "action": line.action, "target": line.target,
                        "before": line.before, "after": line.after })
            })
            .collect();
        println!("{}", serde_json::Value::Array(lines));
        return Ok(());
    }
    for line in lines {
        println!("{}\t{}\t{}\t{}\t{}", line.at.to_rfc3339(), line.actor, line.address, line.action, line.target);
    }
    Ok(())
}
