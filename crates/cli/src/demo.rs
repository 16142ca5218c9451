//! The demo data set: a user, an organizer and a confidential application with fixed, published
//! credentials, so the walk-through printed by `serve --demo` can be followed by hand.
//! Never seed it into a production database.

use crate::admin::{self, CreateApp, CreateUser};
use clap::Args;
use serde_json::json;
use ticketbooth_domain::model::normalize_email;
use ticketbooth_domain::secret::Secret;
use ticketbooth_server::DemoCredentials;
use ticketbooth_store::Store;

pub(crate) const DEMO_EMAIL: &str = "demo@ticketbooth.test";
pub(crate) const DEMO_PASSWORD: &str = "ticketbooth-demo";
pub(crate) const DEMO_CLIENT_ID: &str = "demo-client";
pub(crate) const DEMO_CLIENT_SECRET: &str = "demo-secret-do-not-use-in-production";

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Base URL the demo application's redirect URI points at.
    #[arg(long, env = "TICKETBOOTH_ISSUER", default_value = "http://127.0.0.1:3000")]
    issuer: String,
    /// Print what was seeded as one JSON object.
    #[arg(long)]
    json: bool,
}

/// What the demo consists of.
pub(crate) struct Seeded {
    pub(crate) user_id: i64,
    pub(crate) organizer_id: Option<i64>,
    pub(crate) application_id: Option<i64>,
    pub(crate) created: bool,
}

impl Seeded {
    pub(crate) fn credentials(&self) -> DemoCredentials {
        DemoCredentials { client_id: DEMO_CLIENT_ID.into(), client_secret: DEMO_CLIENT_SECRET.into() }
    }
}

/// The demo application's redirect URI for a given issuer.
fn callback(issuer: &str) -> String {
    format!("{}/demo/callback", issuer.trim_end_matches('/'))
}

/// Seeds the demo data unless it is already there.
pub(crate) async fn seed(store: &dyn Store, issuer: &str) -> anyhow::Result<Seeded> {
    if let Some(user) = store.find_user_by_email(&normalize_email(DEMO_EMAIL)).await? {
        let app = store.find_application_by_client_id(DEMO_CLIENT_ID).await?;
        if let Some(app) = &app {
            if !app.redirect_uris.contains(&callback(issuer)) {
                tracing::warn!(registered = ?app.redirect_uris, "the demo application was seeded for another issuer");
            }
        }
        return Ok(Seeded {
            user_id: user.id,
            organizer_id: app.as_ref().and_then(|app| app.organizer_id),
            application_id: app.map(|app| app.id),
            created: false,
        });
    }
    let user = admin::create_user(
        store,
        CreateUser {
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            first_name: "Somchai".into(),
            last_name: "Jaidee".into(),
            phone: Some("0812345678".into()),
            admin: false,
            json: false,
        },
    )
    .await?;
    let organizer = store.create_organizer("Bangkok Live Events", &[user.id]).await?;
    let app = admin::create_app(
        store,
        CreateApp {
            name: "Demo Ticket Wallet".into(),
            redirect_uris: vec![callback(issuer)],
            scopes: "public organizer".into(),
            public: false,
            organizer: Some(organizer.id),
            json: false,
        },
        DEMO_CLIENT_ID.into(),
        Some(&Secret::from_known(DEMO_CLIENT_SECRET)),
    )
    .await?;
    Ok(Seeded { user_id: user.id, organizer_id: Some(organizer.id), application_id: Some(app.id), created: true })
}

/// The walk-through printed by `serve --demo`.
pub(crate) fn instructions(seeded: &Seeded, issuer: &str) -> String {
    let redirect_uri = callback(issuer);
    let authorize = format!(
        "{issuer}/oauth/authorize?{}",
        url_query(&[
            ("response_type", "code"),
            ("client_id", DEMO_CLIENT_ID),
            ("redirect_uri", &redirect_uri),
            ("scope", "public"),
            ("state", "demo"),
        ])
    );
    format!(
        "\n=== Ticketbooth demo ({}) ===\n\
         Demo user:     {DEMO_EMAIL} / {DEMO_PASSWORD}\n\
         Demo client:   {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}\n\n\
         1. Open this URL in a browser, sign in and approve:\n   {authorize}\n\n\
         2. The callback page shows the code. Trade it for tokens:\n   \
         curl -s -X POST {issuer}/oauth/token -d grant_type=authorization_code -d client_id={DEMO_CLIENT_ID} \
         -d client_secret={DEMO_CLIENT_SECRET} -d redirect_uri={redirect_uri} -d code=CODE\n\n\
         3. Call the API with the access token:\n   \
         curl -s -H 'Authorization: Bearer ACCESS_TOKEN' {issuer}/api/public/me\n\n\
         App flow:      curl -s -X POST {issuer}/oauth/token -u {DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET} -d grant_type=client_credentials\n",
        if seeded.created { "seeded just now" } else { "already seeded" },
    )
}

fn url_query(pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

pub(crate) async fn run(store: &dyn Store, args: DemoArgs) -> anyhow::Result<()> {
    let seeded = seed(store, &args.issuer).await?;
    if args.json {
        println!(
            "{}",
            json!({
                "created": seeded.created,
                "user": { "id": seeded.user_id, "email": DEMO_EMAIL, "password": DEMO_PASSWORD },
                "organizer_id": seeded.organizer_id,
                "application": {
                    "id": seeded.application_id,
                    "client_id": DEMO_CLIENT_ID,
                    "client_secret": DEMO_CLIENT_SECRET,
                    "redirect_uri": callback(&args.issuer),
                },
            })
        );
    } else {
        println!("{}", instructions(&seeded, &args.issuer));
    }
    Ok(())
}
