//! `resources create|list`: resource servers besides the public API that tokens may be issued
//! for (RFC 8707 `resource`; a token names its resource as `aud`).

use anyhow::bail;
use clap::Subcommand;
use serde_json::{json, Value};
use ticketbooth_domain::resource::{self, NewResource, Resource};
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_store::{Store, StoreError};

#[derive(Debug, Subcommand)]
pub(crate) enum ResourcesCommand {
    /// Register a resource server clients may name in `resource`.
    Create {
        /// Its identifier: an absolute URI without a fragment (usually its base URL).
        #[arg(long)]
        identifier: String,
        /// Space-separated scopes it accepts (public, organizer; openid, profile and email always go).
        #[arg(long, default_value = "public")]
        scopes: String,
        /// What people and admins see it called [its identifier].
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the registered resource servers.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn describe(resource: &Resource) -> Value {
    json!({
        "id": resource.id,
        "identifier": resource.identifier,
        "name": resource.name,
        "scopes": resource.scopes.to_string(),
    })
}

pub(crate) async fn run(store: &dyn Store, command: ResourcesCommand) -> anyhow::Result<()> {
    match command {
        ResourcesCommand::Create { identifier, scopes, name, json } => {
            resource::check_form(&identifier).map_err(|err| anyhow::anyhow!("--identifier: {err}"))?;
            let scopes = ScopeSet::parse(&scopes).map_err(|err| anyhow::anyhow!("--scopes: {err}"))?;
            let name = name.unwrap_or_else(|| identifier.clone());
            let created =
                match store.create_resource(NewResource { identifier: identifier.clone(), name, scopes }).await {
                    Ok(created) => created,
                    Err(StoreError::Conflict(_)) => bail!("a resource with the identifier {identifier} exists"),
                    Err(err) => return Err(err.into()),
                };
            let text =
                format!("registered resource {} ({}) for scopes {}", created.id, created.identifier, created.scopes);
            crate::admin::print(json, describe(&created), text);
        }
        ResourcesCommand::List { json } => {
            let resources = store.list_resources().await?;
            let text = resources
                .iter()
                .map(|r| format!("{}\t{}\t{}", r.id, r.identifier, r.scopes))
                .collect::<Vec<_>>()
                .join("\n");
            crate::admin::print(json, json!({ "resources": resources.iter().map(describe).collect::<Vec<_>>() }), text);
        }
    }
    Ok(())
}
