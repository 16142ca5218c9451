//! Resource servers and self-arriving clients: a metadata document's client is one row however
//! many instances fetch it at once, keeps its review while its document changes, and is decided
//! once; a registered client is updated only as such.

use crate::support::*;

use chrono::{Duration, Utc};
use std::sync::Arc;
use ticketbooth_domain::model::{ClientOrigin, NewApplication, Review};
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_domain::resource::NewResource;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_store::StoreError;

const DOCUMENT: &str = "https://agent.example/client.json";

fn document_client(name: &str, review: Review) -> NewApplication {
    NewApplication {
        client_id: DOCUMENT.into(),
        name: name.into(),
        redirect_uris: vec![format!("https://agent.example/{name}")],
        scopes: ScopeSet::parse("public").unwrap(),
        origin: ClientOrigin::MetadataDocument,
        review,
        metadata_expires_at: Some(Utc::now() + Duration::minutes(5)),
        ..NewApplication::default()
    }
}

fn audit() -> AuditEntry {
    let actor = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
    AuditEntry::new(&actor, "application.approve", "application:1".into())
}

#[tokio::test]
async fn resources_are_unique_by_identifier() {
    for Backend { name, store, .. } in backends().await {
        let new = || NewResource {
            identifier: "https://checkin.example/".into(),
            name: "Door".into(),
            scopes: ScopeSet::parse("public organizer").unwrap(),
        };
        let created = store.create_resource(new()).await.unwrap();
        assert!(matches!(store.create_resource(new()).await, Err(StoreError::Conflict(_))), "{name}");
        assert_eq!(store.find_resource("https://checkin.example/").await.unwrap(), Some(created.clone()), "{name}");
        assert_eq!(store.find_resource("https://checkin.example").await.unwrap(), None, "{name}: exact match");
        assert_eq!(store.list_resources().await.unwrap(), vec![created], "{name}");
    }
}

#[tokio::test]
async fn a_document_client_is_one_row_that_keeps_its_review_and_is_decided_once() {
    for Backend { name, store, .. } in backends().await {
        // Eight instances fetch the same new document at once: one row.
        let saves = (0..8).map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(
                async move { store.save_document_client(document_client(&format!("v{i}"), Review::Pending)).await },
            )
        });
        let mut ids = Vec::new();
        for save in saves {
            ids.push(save.await.unwrap().unwrap().id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{name}: {ids:?}");
        assert_eq!(store.clients_in_review().await.unwrap().len(), 1, "{name}");

        // A changed document changes the client, not its review.
        let refreshed = store.save_document_client(document_client("renamed", Review::Approved)).await.unwrap();
        assert_eq!((refreshed.name.as_str(), refreshed.review), ("renamed", Review::Pending), "{name}");
        assert_eq!(refreshed.redirect_uris, vec!["https://agent.example/renamed".to_owned()], "{name}");

        let decisions = (0..4).map(|i| {
            let store = Arc::clone(&store);
            let decision = if i % 2 == 0 { Review::Approved } else { Review::Rejected };
            tokio::spawn(async move { store.decide_client(refreshed.id, decision, &audit()).await.unwrap() })
        });
        let mut decided = 0;
        for decision in decisions {
            decided += usize::from(decision.await.unwrap());
        }
        assert_eq!(decided, 1, "{name}: one decision stands");
        assert!(store.clients_in_review().await.unwrap().is_empty(), "{name}");
        let decided_review = store.find_application(refreshed.id).await.unwrap().unwrap().review;
        assert_ne!(decided_review, Review::Pending, "{name}");
    }
}

#[tokio::test]
async fn only_a_registered_client_is_updated_as_one() {
    for Backend { name, store, .. } in backends().await {
        let console = store.create_application(new_app("console")).await.unwrap();
        let registered = store
            .create_application(NewApplication { origin: ClientOrigin::Registration, ..new_app("registered") })
            .await
            .unwrap();
        let edit = NewApplication {
            name: "Edited".into(),
            redirect_uris: vec!["https://e.example/cb".into()],
            ..new_app("x")
        };
        assert_eq!(store.update_registered_client(console.id, edit.clone()).await.unwrap(), None, "{name}");
        let updated = store.update_registered_client(registered.id, edit).await.unwrap().unwrap();
        assert_eq!((updated.name.as_str(), updated.client_id.as_str()), ("Edited", "registered"), "{name}");
        assert_eq!(updated.origin, ClientOrigin::Registration, "{name}");
        // A console application never takes a document's metadata, even under its client id.
        let spoof = NewApplication { client_id: "console".into(), ..document_client("spoof", Review::Approved) };
        let kept = store.save_document_client(spoof).await;
        assert!(kept.is_err() || kept.as_ref().is_ok_and(|app| app.name != "spoof"), "{name}: {kept:?}");
        assert_eq!(store.find_application(console.id).await.unwrap().unwrap().name, console.name, "{name}");
    }
}
