//! `events create` and `orders create` (contract §1): the organizer's catalogue and stand-in
//! purchases, since checkout is not part of the public API.

use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};
use serde_json::json;
use ticketbooth_domain::model::normalize_email;
use ticketbooth_domain::ticketing::{
    generate_reference_code, Event, NewEvent, NewOrder, NewTicketType, Order, TicketType,
};
use ticketbooth_store::{DynStore, EventChange, Store, StoreError};

#[derive(Debug, Subcommand)]
pub(crate) enum EventsCommand {
    /// Create a published event with its ticket types.
    Create(CreateEvent),
    /// Change an event (webhook subscribers get `event.updated`).
    Update(UpdateEvent),
    /// Make a new key the event's active signer of offline passes; passes signed before keep
    /// verifying, as the old key stays published.
    RotateCheckInKey {
        /// The event's id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct UpdateEvent {
    /// The event's id.
    id: i64,
    #[arg(long)]
    name: Option<String>,
    /// Start, RFC 3339.
    #[arg(long)]
    starts_at: Option<String>,
    /// End, RFC 3339.
    #[arg(long)]
    ends_at: Option<String>,
    #[arg(long)]
    location: Option<String>,
    /// `active`, `draft` or `ended`.
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CreateEvent {
    #[arg(long)]
    pub(crate) organizer: i64,
    #[arg(long)]
    pub(crate) name: String,
    /// Start, RFC 3339 (default: a week from now).
    #[arg(long)]
    pub(crate) starts_at: Option<String>,
    /// End, RFC 3339 (default: four hours after the start).
    #[arg(long)]
    pub(crate) ends_at: Option<String>,
    /// A ticket type, `NAME:PRICE_SATANGS[:QUOTA]` (repeatable).
    #[arg(long = "ticket-type")]
    pub(crate) ticket_types: Vec<String>,
    /// Thai description.
    #[arg(long, default_value = "")]
    pub(crate) description: String,
    /// English description.
    #[arg(long, default_value = "")]
    pub(crate) description_en: String,
    #[arg(long, default_value = "")]
    pub(crate) location: String,
    /// Tickets the API may create for this event.
    #[arg(long, default_value_t = 1000)]
    pub(crate) api_ticket_quota: i64,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OrdersCommand {
    /// Record an order for a user, with its tickets.
    Create(CreateOrder),
}

#[derive(Debug, Args)]
pub(crate) struct CreateOrder {
    #[arg(long)]
    pub(crate) event: i64,
    /// The buyer's email.
    #[arg(long)]
    pub(crate) user: String,
    #[arg(long)]
    pub(crate) ticket_type: i64,
    #[arg(long, default_value_t = 1)]
    pub(crate) quantity: u32,
    /// Mark the order paid (else pending).
    #[arg(long)]
    pub(crate) paid: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

fn parse_time(name: &str, value: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc)).with_context(|| format!("--{name} `{v}`"))
        })
        .transpose()
}

/// Creates an event after checking its organizer, times and ticket types.
pub(crate) async fn create_event(store: &dyn Store, args: CreateEvent) -> anyhow::Result<(Event, Vec<TicketType>)> {
    store.find_organizer(args.organizer).await?.with_context(|| format!("no organizer with id {}", args.organizer))?;
    let start_at =
        parse_time("starts-at", args.starts_at.as_deref())?.unwrap_or_else(|| Utc::now() + Duration::days(7));
    let end_at = parse_time("ends-at", args.ends_at.as_deref())?.unwrap_or(start_at + Duration::hours(4));
    if end_at < start_at {
        bail!("--ends-at is before --starts-at");
    }
    let ticket_types = args
        .ticket_types
        .iter()
        .map(|spec| NewTicketType::parse(spec).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    if args.api_ticket_quota < 0 {
        bail!("--api-ticket-quota must not be negative");
    }
    let new = NewEvent {
        organizer_id: args.organizer,
        title: args.name.trim().to_owned(),
        description: args.description,
        description_en: args.description_en,
        location_name: args.location,
        cover_url: None,
        poster_url: None,
        start_at,
        end_at,
        api_ticket_quota: args.api_ticket_quota,
        ticket_types,
    };
    Ok(store.create_event(new).await?)
}

/// Records an order with one ticket per quantity, each with a fresh reference code.
pub(crate) async fn create_order(store: &dyn Store, args: CreateOrder) -> anyhow::Result<Order> {
    let user = store
        .find_user_by_email(&normalize_email(&args.user))
        .await?
        .with_context(|| format!("no user with email {}", args.user))?;
    store.find_event(args.event).await?.with_context(|| format!("no event with id {}", args.event))?;
    if !(1..=100).contains(&args.quantity) {
        bail!("--quantity must be from 1 to 100");
    }
    let order = NewOrder {
        event_id: args.event,
        user_id: user.id,
        ticket_type_id: args.ticket_type,
        quantity: args.quantity,
        paid: args.paid,
        buyer_firstname: user.first_name.clone(),
        buyer_lastname: user.last_name.clone(),
        buyer_email: user.email.clone(),
        buyer_phone: user.phone.clone().unwrap_or_default(),
    };
    let codes = (0..args.quantity).map(|_| generate_reference_code()).collect();
    match store.create_order(order, codes).await {
        Err(StoreError::NotFound) => bail!("ticket type {} is not one of event {}'s", args.ticket_type, args.event),
        Err(StoreError::Conflict(what)) if what.contains("quota") => bail!("the ticket type's quota is sold out"),
        other => Ok(other?),
    }
}

pub(crate) async fn events(store: &DynStore, command: EventsCommand) -> anyhow::Result<()> {
    let args = match command {
        EventsCommand::Create(args) => args,
        EventsCommand::Update(args) => return update_event(store.as_ref(), args).await,
        EventsCommand::RotateCheckInKey { id, json } => {
            store.find_event(id).await?.with_context(|| format!("no event with id {id}"))?;
            let key = ticketbooth_server::passes::rotate(store, id).await?;
            crate::admin::print(json, json!({ "kid": key.kid }), format!("new active check-in key {}", key.kid));
            return Ok(());
        }
    };
    let json_output = args.json;
    let (event, ticket_types) = create_event(store.as_ref(), args).await?;
    let types: Vec<_> = ticket_types
        .iter()
        .map(|tt| json!({ "id": tt.id, "name": tt.name, "price_satangs": tt.price_satangs }))
        .collect();
    crate::admin::print(
        json_output,
        json!({ "id": event.id, "organizer_id": event.organizer_id, "name": event.title, "ticket_types": types }),
        format!("created event {} \"{}\" with {} ticket types", event.id, event.title, ticket_types.len()),
    );
    Ok(())
}

async fn update_event(store: &dyn Store, args: UpdateEvent) -> anyhow::Result<()> {
    let current = store.find_event(args.id).await?.with_context(|| format!("no event with id {}", args.id))?;
    let start_at = parse_time("starts-at", args.starts_at.as_deref())?;
    let end_at = parse_time("ends-at", args.ends_at.as_deref())?;
    if end_at.unwrap_or(current.end_at) < start_at.unwrap_or(current.start_at) {
        bail!("the event would end before it starts");
    }
    if let Some(status) = args.status.as_deref().filter(|status| !["active", "draft", "ended"].contains(status)) {
        bail!("--status {status:?} is not active, draft or ended");
    }
    if args.name.as_deref().is_some_and(|name| name.trim().is_empty()) {
        bail!("--name must not be empty");
    }
    let change = EventChange {
        title: args.name.map(|name| name.trim().to_owned()),
        location_name: args.location,
        start_at,
        end_at,
        status: args.status,
        ..EventChange::default()
    };
    let event = store
        .update_event(args.id, change, Utc::now())
        .await?
        .with_context(|| format!("no event with id {}", args.id))?;
    crate::admin::print(
        args.json,
        json!({ "id": event.id, "organizer_id": event.organizer_id, "name": event.title, "status": event.status }),
        format!("updated event {} \"{}\"", event.id, event.title),
    );
    Ok(())
}

pub(crate) async fn orders(store: &dyn Store, command: OrdersCommand) -> anyhow::Result<()> {
    let OrdersCommand::Create(args) = command;
    let json_output = args.json;
    let order = create_order(store, args).await?;
    crate::admin::print(
        json_output,
        json!({ "id": order.id, "event_id": order.event_id, "status": order.status, "ticket_ids": order.ticket_ids }),
        format!("created {} order {} with tickets {:?}", order.status, order.id, order.ticket_ids),
    );
    Ok(())
}
