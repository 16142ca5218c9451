//! The demo data set: a user, an organizer and a confidential application with fixed, published
//! credentials, so the walk-through printed by `serve --demo` can be followed by hand.
//! Never seed it into a production database.

use crate::admin::{self, CreateApp, CreateUser};
use chrono::{Duration, Utc};
use clap::Args;
use serde_json::json;
use ticketbooth_domain::model::{normalize_email, User};
use ticketbooth_domain::portal::{audit_draft, Actor, ApplicationDraft, AuditEntry};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::Secret;
use ticketbooth_server::DemoCredentials;
use ticketbooth_store::{Store, TicketRef};

pub(crate) const DEMO_EMAIL: &str = "demo@ticketbooth.test";
pub(crate) const DEMO_PASSWORD: &str = "ticketbooth-demo";
pub(crate) const DEMO_CLIENT_ID: &str = "demo-client";
pub(crate) const DEMO_CLIENT_SECRET: &str = "demo-secret-do-not-use-in-production";
/// Every user the demo data set creates.
const DEMO_USERS: [&str; 2] = [DEMO_EMAIL, "malee@ticketbooth.test"];

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Base URL the demo application's redirect URI points at.
    #[arg(long, env = "TICKETBOOTH_ISSUER", default_value = "http://127.0.0.1:3000")]
    issuer: String,
    /// Print what was seeded as one JSON object.
    #[arg(long)]
    json: bool,
    /// Seed even a database that holds other users or applications.
    #[arg(long)]
    force: bool,
}

/// What the demo consists of.
pub(crate) struct Seeded {
    pub(crate) user_id: i64,
    pub(crate) organizer_id: Option<i64>,
    pub(crate) application_id: Option<i64>,
    /// Set only when this run created the data set.
    pub(crate) catalogue: Option<Catalogue>,
    pub(crate) created: bool,
}

/// The organizers, events and orders a fresh seed made.
pub(crate) struct Catalogue {
    pub(crate) organizers: Vec<(i64, String)>,
    pub(crate) events: Vec<(i64, String)>,
    pub(crate) orders: usize,
    pub(crate) tickets: usize,
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

/// Seeds the demo data unless it is already there. A database that holds any other user or
/// application is refused unless `force`: the demo's credentials are published.
pub(crate) async fn seed(store: &dyn Store, issuer: &str, force: bool) -> anyhow::Result<Seeded> {
    if !force && store.holds_others_than(&DEMO_USERS, &[DEMO_CLIENT_ID]).await? {
        anyhow::bail!(
            "this database holds users or applications besides the demo data set; the demo's published \
             password and client secret would let anyone in, so it is not seeded (--force seeds anyway)"
        );
    }
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
            catalogue: None,
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
    let malee = admin::create_user(
        store,
        CreateUser {
            email: DEMO_USERS[1].into(),
            password: DEMO_PASSWORD.into(),
            first_name: "Malee".into(),
            last_name: "Srisuk".into(),
            phone: Some("0898765432".into()),
            // The demo's administrator: the console has a request to review.
            admin: true,
            json: false,
        },
    )
    .await?;
    let organizer = store.create_organizer("Bangkok Live Events", &[user.id]).await?;
    let jazz = store.create_organizer("Siam Jazz Society", &[malee.id]).await?;
    let app = admin::create_app(
        store,
        CreateApp {
            name: "Demo Ticket Wallet".into(),
            redirect_uris: vec![callback(issuer)],
            scopes: "public organizer".into(),
            public: false,
            organizer: Some(organizer.id),
            id_token_alg: Default::default(),
            grants: vec![],
            require_par: false,
            require_dpop: false,
            refresh_grace_seconds: 0,
            jwks: None,
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            json: false,
        },
        DEMO_CLIENT_ID.into(),
        Some(&Secret::from_known(DEMO_CLIENT_SECRET)),
    )
    .await?;
    seed_request(store, &user, organizer.id).await?;
    let catalogue =
        seed_catalogue(store, [(organizer.id, organizer.name), (jazz.id, jazz.name)], &user, &malee).await?;
    Ok(Seeded {
        user_id: user.id,
        organizer_id: Some(organizer.id),
        application_id: Some(app.id),
        catalogue: Some(catalogue),
        created: true,
    })
}

/// One demo event: organizer index, title, Thai and English descriptions, venue, days from now,
/// ticket types.
type DemoEvent = (usize, &'static str, &'static str, &'static str, &'static str, i64, &'static [&'static str]);

const DEMO_EVENTS: [DemoEvent; 4] = [
    (
        0,
        "Bangkok Indie Night 2027",
        "คืนแห่งดนตรีอินดี้ที่ดีที่สุดของกรุงเทพฯ พร้อมศิลปินกว่า 12 วง",
        "Bangkok's best night of independent music, with more than 12 bands.",
        "Lido Connect, Siam Square",
        21,
        &["Early Bird:150000:200", "Regular:220000", "VIP Standing:450000:50"],
    ),
    (
        0,
        "Songkran Beats Festival",
        "เทศกาลดนตรีอิเล็กทรอนิกส์ฉลองสงกรานต์ สาดน้ำ เต้นรำ ตลอดคืน",
        "An electronic music festival for Songkran: water, dancing, all night long.",
        "Show DC, Rama 9",
        120,
        &["General Admission:180000", "Festival Pass (2 days):320000:500"],
    ),
    (
        1,
        "Jazz by the River",
        "ดนตรีแจ๊สริมแม่น้ำเจ้าพระยายามพระอาทิตย์ตก",
        "Jazz on the banks of the Chao Phraya at sunset.",
        "ICONSIAM River Park",
        14,
        &["Riverside Seat:120000:300", "Student:0:100"],
    ),
    (
        1,
        "Late Night Jam Session",
        "แจมดนตรีสดกับนักดนตรีแจ๊สรุ่นใหม่ ย่านเจริญกรุง",
        "Open jam with young jazz musicians in Charoen Krung.",
        "Speakerbox, Charoen Krung",
        35,
        &["Walk-in:50000"],
    ),
];

async fn seed_catalogue(
    store: &dyn Store,
    organizers: [(i64, String); 2],
    somchai: &ticketbooth_domain::model::User,
    malee: &ticketbooth_domain::model::User,
) -> anyhow::Result<Catalogue> {
    use crate::ticketing::{create_event, create_order, CreateEvent, CreateOrder};
    let mut events = Vec::new();
    let mut ticket_types = Vec::new();
    for (organizer, title, thai, english, venue, days, types) in DEMO_EVENTS {
        let starts_at =
            (Utc::now() + Duration::days(days)).date_naive().and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
        let (event, types) = create_event(
            store,
            CreateEvent {
                organizer: organizers[organizer].0,
                name: title.into(),
                starts_at: Some(starts_at.to_rfc3339()),
                ends_at: Some((starts_at + Duration::hours(5)).to_rfc3339()),
                ticket_types: types.iter().map(|t| t.to_string()).collect(),
                description: thai.into(),
                description_en: english.into(),
                location: venue.into(),
                api_ticket_quota: 1000,
                json: false,
            },
        )
        .await?;
        events.push((event.id, event.title));
        ticket_types.push(types);
    }
    // (buyer, event index, ticket type index, quantity, paid)
    let purchases = [
        (somchai, 0, 0, 2, true),
        (somchai, 1, 1, 1, true),
        (somchai, 2, 0, 1, true),
        (malee, 0, 1, 1, true),
        (malee, 2, 1, 1, false),
        (malee, 3, 0, 3, true),
    ];
    let mut tickets = Vec::new();
    for (buyer, event, ticket_type, quantity, paid) in purchases {
        let order = create_order(
            store,
            CreateOrder {
                event: events[event].0,
                user: buyer.email.clone(),
                ticket_type: ticket_types[event][ticket_type].id,
                quantity,
                paid,
                json: false,
            },
        )
        .await?;
        tickets.extend(order.ticket_ids);
    }
    // A checked-in ticket and a revoked one make the statuses believable.
    store.mark_ticket_used(tickets[tickets.len() - 1], Utc::now()).await?;
    store
        .invalidate_ticket(events[3].0, TicketRef::Id(tickets[tickets.len() - 2]), Some("Refunded".into()), Utc::now())
        .await?;
    Ok(Catalogue { organizers: organizers.to_vec(), events, orders: purchases.len(), tickets: tickets.len() })
}

/// The walk-through printed by `serve --demo`.
/// A pending application request from the demo user, for the admin console to show.
async fn seed_request(store: &dyn Store, user: &User, organizer_id: i64) -> anyhow::Result<()> {
    let draft = ApplicationDraft {
        name: "Door Scanner".into(),
        description: "Checks tickets in at the door of our events.".into(),
        website: "https://scanner.example".into(),
        redirect_uris: vec!["https://scanner.example/callback".into()],
        confidential: true,
        scopes: ScopeSet::parse("public organizer")?,
        organizer_id: Some(organizer_id),
        purpose: "Our door staff scan tickets with it.".into(),
    };
    let actor = Actor { user_id: Some(user.id), name: user.email.clone(), address: "demo".into() };
    let audit = AuditEntry::new(&actor, "request.create", String::new()).with_change(None, Some(audit_draft(&draft)));
    store.create_request(user.id, None, &draft, Utc::now(), &audit).await?;
    Ok(())
}

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
         App flow:      curl -s -X POST {issuer}/oauth/token -u {DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET} -d grant_type=client_credentials\n   \
         then:          curl -s -H 'Authorization: Bearer APP_TOKEN' {issuer}/api/public/organizers/{organizer}/events\n\n\
         Developers:    {issuer}/developers (as the demo user: a request waits for review there)\n\
         Admin console: {issuer}/admin as {admin} / {DEMO_PASSWORD} (review the pending request)\n\n\
         Accounts:      sign up at {issuer}/account/new (or add &prompt=create to the URL in 1.); reset a password at\n   \
         {issuer}/password/forgot. Without --smtp-url, mail is written as .eml files into the mail outbox directory.\n{catalogue}",
        if seeded.created { "seeded just now" } else { "already seeded" },
        organizer = seeded.organizer_id.unwrap_or(1),
        admin = DEMO_USERS[1],
        catalogue = seeded.catalogue.as_ref().map_or(String::new(), |c| format!(
            "\nSeeded {} organizers, {} events, {} orders and {} tickets.\n",
            c.organizers.len(),
            c.events.len(),
            c.orders,
            c.tickets
        )),
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
    let seeded = seed(store, &args.issuer, args.force).await?;
    if args.json {
        println!(
            "{}",
            json!({
                "created": seeded.created,
                "user": { "id": seeded.user_id, "email": DEMO_EMAIL, "password": DEMO_PASSWORD },
                "organizer_id": seeded.organizer_id,
                "catalogue": seeded.catalogue.as_ref().map(|c| json!({
                    "organizers": c.organizers.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect::<Vec<_>>(),
                    "events": c.events.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect::<Vec<_>>(),
                    "orders": c.orders,
                    "tickets": c.tickets,
                })),
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
