//! The admin commands: `users create`, `organizers create`, `apps create` (contract §1).

use crate::config::Settings;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::json;
use ticketbooth_domain::model::{normalize_email, ClientOptions, IdTokenAlg, NewApplication, NewUser, User};
use ticketbooth_domain::password::{self, MIN_PASSWORD_LENGTH};
use ticketbooth_domain::redirect;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{generate_client_id, Secret};
use ticketbooth_store::{DynStore, Store, StoreError};

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Create a user (operator-created accounts count as verified).
    Create(CreateUser),
    /// List users.
    List(ListUsers),
    /// Mail a password reset link to a user, as the "forgot password" page does.
    ResetPassword(ResetPassword),
    #[command(flatten)]
    Roles(crate::review::UserRoleCommand),
}

#[derive(Debug, Args)]
pub(crate) struct ListUsers {
    /// At most this many, oldest first.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Print one JSON array of users.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ResetPassword {
    #[arg(long)]
    email: String,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CreateUser {
    #[arg(long)]
    pub(crate) email: String,
    #[arg(long)]
    pub(crate) password: String,
    #[arg(long, default_value = "")]
    pub(crate) first_name: String,
    #[arg(long, default_value = "")]
    pub(crate) last_name: String,
    #[arg(long)]
    pub(crate) phone: Option<String>,
    /// Make the user an administrator.
    #[arg(long)]
    pub(crate) admin: bool,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrganizersCommand {
    /// Create an organizer.
    Create(CreateOrganizer),
}

#[derive(Debug, Args)]
pub(crate) struct CreateOrganizer {
    #[arg(long)]
    pub(crate) name: String,
    /// Email of a user to make a member (repeatable).
    #[arg(long = "member")]
    pub(crate) members: Vec<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AppsCommand {
    /// Register an API application (approved at once).
    Create(CreateApp),
    #[command(flatten)]
    Review(crate::review::ReviewCommand),
}

#[derive(Debug, Args)]
pub(crate) struct CreateApp {
    #[arg(long)]
    pub(crate) name: String,
    /// A redirect URI, matched exactly (repeatable). Needed unless the application only signs in
    /// devices (`--grant device_code`).
    #[arg(long = "redirect-uri", required_unless_present = "grants")]
    pub(crate) redirect_uris: Vec<String>,
    /// The scopes the application may request, space-separated.
    #[arg(long, default_value = "public")]
    pub(crate) scopes: String,
    /// A public client: no secret, PKCE required.
    #[arg(long)]
    pub(crate) public: bool,
    /// The organizer that owns the application.
    #[arg(long)]
    pub(crate) organizer: Option<i64>,
    /// How the application's id_tokens are signed: RS256 (the OpenID Connect default) or ES256.
    #[arg(long, default_value = "RS256", value_parser = parse_id_token_alg)]
    pub(crate) id_token_alg: IdTokenAlg,
    /// A grant beyond authorization code, refresh and client credentials (repeatable):
    /// `device_code` (RFC 8628 device sign-in, for door scanners and kiosks).
    #[arg(long = "grant", value_enum)]
    pub(crate) grants: Vec<ExtraGrant>,
    /// Authorization requests must be pushed to /oauth/par first (RFC 9126).
    #[arg(long)]
    pub(crate) require_par: bool,
    /// Tokens are issued only bound to a DPoP key (RFC 9449).
    #[arg(long)]
    pub(crate) require_dpop: bool,
    /// Seconds after a refresh during which the just-rotated refresh token, presented again,
    /// returns the same new pair instead of revoking the family (0: strict rotation).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub(crate) refresh_grace_seconds: u32,
    /// A file with the public keys (a JWK Set) the application signs `private_key_jwt`
    /// assertions with; it then authenticates with those instead of a secret.
    #[arg(long, conflicts_with = "public")]
    pub(crate) jwks: Option<std::path::PathBuf>,
    /// Where OpenID Connect RP-initiated logout may send the browser afterwards (repeatable,
    /// matched exactly).
    #[arg(long = "post-logout-redirect-uri")]
    pub(crate) post_logout_redirect_uris: Vec<String>,
    /// Where a signed logout token is posted when a person signs out (Back-Channel Logout 1.0).
    #[arg(long)]
    pub(crate) backchannel_logout_uri: Option<String>,
    #[arg(long)]
    pub(crate) json: bool,
}

/// The grants an application opts into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExtraGrant {
    #[value(name = "device_code", alias = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

fn parse_id_token_alg(name: &str) -> Result<IdTokenAlg, String> {
    IdTokenAlg::from_name(name).ok_or_else(|| format!("`{name}` is not RS256 or ES256"))
}

/// A JWK Set of public keys, as a client registers it for `private_key_jwt`.
fn read_jwks(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let keys = value["keys"].as_array().filter(|keys| !keys.is_empty());
    let keys = keys.with_context(|| format!("{} is not a JWK Set with keys", path.display()))?;
    for key in keys {
        serde_json::from_value::<jsonwebtoken::jwk::Jwk>(key.clone()).context("a key of the JWK Set is not a JWK")?;
        if ["d", "p", "q", "k"].iter().any(|part| key.get(part).is_some()) {
            bail!("the JWK Set holds a private or secret key: register public keys only");
        }
    }
    Ok(value.to_string())
}

/// Prints a created object: the JSON object alone with `--json`, else a readable line.
pub(crate) fn print(json: bool, value: serde_json::Value, human: String) {
    if json {
        println!("{value}");
    } else {
        println!("{human}");
    }
}

pub(crate) async fn users(store: DynStore, settings: &Settings, command: UsersCommand) -> anyhow::Result<()> {
    let args = match command {
        UsersCommand::Create(args) => args,
        UsersCommand::List(args) => return list_users(store.as_ref(), args).await,
        UsersCommand::ResetPassword(args) => return reset_password(store, settings, args).await,
        UsersCommand::Roles(command) => return crate::review::roles(store, settings, command).await,
    };
    let store = store.as_ref();
    let json = args.json;
    let user = create_user(store, args).await?;
    let after = json!({ "email": user.email, "admin": user.is_admin });
    crate::review::audit_cli(store, "user.create", format!("user:{}", user.id), after).await?;
    print(
        json,
        json!({ "id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name }),
        format!("created user {} <{}>", user.id, user.email),
    );
    Ok(())
}

async fn list_users(store: &dyn Store, args: ListUsers) -> anyhow::Result<()> {
    let users = store.list_users(args.limit).await?;
    let listed: Vec<serde_json::Value> = users
        .iter()
        .map(|user| {
            json!({
                "id": user.id,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email_verified": user.email_verified(),
                "admin": user.is_admin,
                "language": user.language.tag(),
                "created_at": user.created_at.to_rfc3339(),
            })
        })
        .collect();
    if args.json {
        println!("{}", serde_json::Value::Array(listed));
    } else {
        for user in &users {
            let verified = if user.email_verified() { "verified" } else { "unverified" };
            println!("{}\t{}\t{}\t{verified}", user.id, user.email, user.full_name());
        }
    }
    Ok(())
}

/// Queues the reset mail and delivers it at once (a running server would within seconds too).
async fn reset_password(store: DynStore, settings: &Settings, args: ResetPassword) -> anyhow::Result<()> {
    let email = normalize_email(&args.email);
    let issuer = settings.issuer.clone().unwrap_or_else(|| format!("http://{}", settings.addr));
    let config = settings.server(&issuer)?;
    ticketbooth_server::check_mail(&config.mail).map_err(|err| anyhow::anyhow!("mail: {err}"))?;
    let state = ticketbooth_server::AppState::new(store.clone(), config);
    let user = store.find_user_by_email(&email).await?.with_context(|| format!("no user has the email {email}"))?;
    ticketbooth_server::portal::send_password_reset(&state, &crate::review::operator(), &user).await?;
    let delivered =
        ticketbooth_server::deliver_mail_now(&store, &state.config.mail).await.map_err(anyhow::Error::msg)?;
    let pending = store.undelivered_mail().await?;
    print(
        args.json,
        json!({ "email": email, "queued": true, "undelivered": pending }),
        format!("reset link mailed to {email} ({delivered} message(s) handled, {pending} waiting in the outbox)"),
    );
    Ok(())
}

/// Creates a user after checking the email and password.
pub(crate) async fn create_user(store: &dyn Store, args: CreateUser) -> anyhow::Result<User> {
    let email = normalize_email(&args.email);
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        bail!("`{email}` is not an email address");
    }
    if args.password.chars().count() < MIN_PASSWORD_LENGTH {
        bail!("the password must be at least {MIN_PASSWORD_LENGTH} characters");
    }
    let password_hash = password::hash(&args.password)?;
    let new = NewUser {
        email: email.clone(),
        password_hash,
        first_name: args.first_name,
        last_name: args.last_name,
        phone: args.phone,
        is_admin: args.admin,
        email_verified: true,
        language: Default::default(),
    };
    match store.create_user(new).await {
        Err(StoreError::Conflict(_)) => bail!("a user with email {email} already exists"),
        other => Ok(other?),
    }
}

pub(crate) async fn organizers(store: &dyn Store, command: OrganizersCommand) -> anyhow::Result<()> {
    let OrganizersCommand::Create(args) = command;
    let mut member_ids = Vec::with_capacity(args.members.len());
    for email in &args.members {
        let user = store
            .find_user_by_email(&normalize_email(email))
            .await?
            .with_context(|| format!("no user with email {email}"))?;
        member_ids.push(user.id);
    }
    let organizer = store.create_organizer(&args.name, &member_ids).await?;
    let after = json!({ "name": organizer.name, "member_ids": member_ids });
    crate::review::audit_cli(store, "organizer.create", format!("organizer:{}", organizer.id), after).await?;
    print(
        args.json,
        json!({ "id": organizer.id, "name": organizer.name }),
        format!("created organizer {} {}", organizer.id, organizer.name),
    );
    Ok(())
}

pub(crate) async fn apps(store: DynStore, settings: &Settings, command: AppsCommand) -> anyhow::Result<()> {
    let args = match command {
        AppsCommand::Create(args) => args,
        AppsCommand::Review(command) => return crate::review::review(store, settings, command).await,
    };
    let store = store.as_ref();
    let json = args.json;
    let secret = (!args.public && args.jwks.is_none()).then(Secret::generate);
    let app = create_app(store, args, generate_client_id(), secret.as_ref()).await?;
    let after = ticketbooth_domain::portal::audit_view(&app);
    crate::review::audit_cli(store, "application.create", format!("application:{}", app.id), after).await?;
    let mut value = json!({
        "id": app.id,
        "client_id": app.client_id,
        "name": app.name,
        "redirect_uris": app.redirect_uris,
        "scopes": app.scopes.to_string(),
        "confidential": app.is_confidential(),
        "device_grant": app.options.device_grant,
        "require_pushed_authorization_requests": app.options.require_par,
        "require_dpop": app.options.require_dpop,
        "refresh_grace_seconds": app.options.refresh_grace_seconds,
    });
    if let Some(secret) = &secret {
        value["client_secret"] = secret.expose().into();
    }
    let human = match &secret {
        Some(secret) => format!(
            "created application {} \"{}\"\nclient_id:     {}\nclient_secret: {} (shown this once)",
            app.id,
            app.name,
            app.client_id,
            secret.expose()
        ),
        None => format!("created public application {} \"{}\"\nclient_id: {}", app.id, app.name, app.client_id),
    };
    print(json, value, human);
    Ok(())
}

/// Registers an application after checking its redirect URIs, scopes and organizer.
pub(crate) async fn create_app(
    store: &dyn Store,
    args: CreateApp,
    client_id: String,
    secret: Option<&Secret>,
) -> anyhow::Result<ticketbooth_domain::model::Application> {
    let redirect_uris = args
        .redirect_uris
        .iter()
        .map(|uri| redirect::validate_registration(uri).with_context(|| format!("redirect URI `{uri}`")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let scopes = ScopeSet::parse(&args.scopes).context("--scopes")?;
    if scopes.is_empty() {
        bail!("--scopes must name at least one scope");
    }
    let jwks = args.jwks.as_deref().map(read_jwks).transpose()?;
    let post_logout_redirect_uris = args
        .post_logout_redirect_uris
        .iter()
        .map(|uri| redirect::validate_registration(uri).with_context(|| format!("post-logout redirect URI `{uri}`")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let backchannel_logout_uri = args
        .backchannel_logout_uri
        .as_deref()
        .map(|uri| {
            url::Url::parse(uri).ok().filter(|url| matches!(url.scheme(), "https" | "http")).map(|_| uri.to_owned())
        })
        .map(|uri| uri.context("--backchannel-logout-uri must be an http(s) URL"))
        .transpose()?;
    if let Some(organizer_id) = args.organizer {
        store.find_organizer(organizer_id).await?.with_context(|| format!("no organizer with id {organizer_id}"))?;
    }
    let new = NewApplication {
        client_id,
        name: args.name,
        secret_hash: secret.map(Secret::hash),
        redirect_uris,
        scopes,
        organizer_id: args.organizer,
        id_token_alg: args.id_token_alg,
        options: ClientOptions {
            device_grant: args.grants.contains(&ExtraGrant::DeviceCode),
            require_par: args.require_par,
            require_dpop: args.require_dpop,
            refresh_grace_seconds: args.refresh_grace_seconds,
        },
        jwks,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        ..NewApplication::default()
    };
    match store.create_application(new).await {
        Err(StoreError::Conflict(_)) => bail!("an application with that client_id already exists"),
        other => Ok(other?),
    }
}
