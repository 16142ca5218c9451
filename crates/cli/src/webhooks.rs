//! `webhooks create|list|delete` (contract §8): an organizer's webhook subscriptions, as the
//! API manages them.

use anyhow::{bail, Context};
use chrono::Utc;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use ticketbooth_domain::webhooks::{check_endpoint_url, generate_secret, EventType};
use ticketbooth_store::{Endpoint, NewEndpoint, Store};

#[derive(Debug, Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Subscribe an endpoint to an organizer's events; prints its signing secret once.
    Create(CreateWebhook),
    /// List an organizer's subscriptions.
    List {
        #[arg(long)]
        organizer: i64,
        #[arg(long)]
        json: bool,
    },
    /// Delete a subscription with its queue and delivery log.
    Delete {
        #[arg(long)]
        organizer: i64,
        /// The subscription's id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CreateWebhook {
    #[arg(long)]
    organizer: i64,
    /// Where events are POSTed (https).
    #[arg(long)]
    url: String,
    /// Comma-separated event types: ticket.created, ticket.invalidated, ticket.checked_in,
    /// order.paid, event.updated.
    #[arg(long, value_delimiter = ',', required = true)]
    events: Vec<String>,
    #[arg(long, default_value = "")]
    description: String,
    /// Accept http:// on loopback and private addresses, as `serve --allow-insecure-webhooks`
    /// delivers to (development only).
    #[arg(long)]
    allow_insecure: bool,
    #[arg(long)]
    json: bool,
}

fn describe(endpoint: &Endpoint) -> Value {
    json!({
        "id": endpoint.id,
        "organizer_id": endpoint.organizer_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
        "status": if endpoint.disabled_at.is_some() { "disabled" } else { "enabled" },
    })
}

pub(crate) async fn run(store: &dyn Store, command: WebhooksCommand) -> anyhow::Result<()> {
    match command {
        WebhooksCommand::Create(args) => {
            store
                .find_organizer(args.organizer)
                .await?
                .with_context(|| format!("no organizer with id {}", args.organizer))?;
            let url = check_endpoint_url(&args.url, args.allow_insecure)
                .map_err(|problem| anyhow::anyhow!("--url: {problem}"))?;
            let mut events = Vec::new();
            for name in args.events.iter().map(|name| name.trim()).filter(|name| !name.is_empty()) {
                match EventType::from_name(name) {
                    Some(kind) => events.push(kind),
                    None => bail!("--events: {name:?} is not an event type"),
                }
            }
            if events.is_empty() {
                bail!("--events must name at least one event type");
            }
            let new = NewEndpoint {
                organizer_id: args.organizer,
                url: url.to_string(),
                description: args.description,
                events,
                secret: generate_secret(),
            };
            let created = store.create_webhook_endpoint(new, Utc::now()).await?;
            let mut printed = describe(&created);
            printed["secret"] = json!(created.secret);
            crate::admin::print(
                args.json,
                printed,
                format!(
                    "created webhook {} for {}; its signing secret (shown once): {}",
                    created.id, created.url, created.secret
                ),
            );
        }
        WebhooksCommand::List { organizer, json } => {
            let endpoints = store.webhook_endpoints(organizer).await?;
            let text = endpoints
                .iter()
                .map(|e| {
                    format!(
                        "{}\t{}\t{}",
                        e.id,
                        e.url,
                        e.events.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            crate::admin::print(json, json!({ "webhooks": endpoints.iter().map(describe).collect::<Vec<_>>() }), text);
        }
        WebhooksCommand::Delete { organizer, id, json } => {
            if !store.delete_webhook_endpoint(organizer, id).await? {
                bail!("organizer {organizer} has no webhook {id}");
            }
            crate::admin::print(json, json!({ "id": id, "deleted": true }), format!("deleted webhook {id}"));
        }
    }
    Ok(())
}
