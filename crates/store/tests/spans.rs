//! Store calls open debug-level spans named after them. In a test binary of its own: tracing
//! caches which call sites are enabled process-wide, and other tests' threads would race it.

use std::sync::{Arc, Mutex};
use ticketbooth_domain::model::NewApplication;
use ticketbooth_domain::scope::ScopeSet;
use tracing_subscriber::layer::SubscriberExt;

/// Records the names of the spans opened while it is the default subscriber.
#[derive(Clone, Default)]
struct SpanNames(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanNames {
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        _id: &tracing::span::Id,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        self.0.lock().unwrap().push(attributes.metadata().name().to_owned());
    }
}

#[tokio::test]
async fn each_store_call_opens_a_debug_span_named_after_it() {
    let names = SpanNames::default();
    let subscriber =
        tracing_subscriber::registry().with(names.clone()).with(tracing_subscriber::filter::LevelFilter::DEBUG);
    let _default = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let store =
        ticketbooth_store::connect(dir.path().join("spans.db").to_str().unwrap(), Default::default()).await.unwrap();
    store.migrate().await.unwrap();
    let app = store
        .create_application(NewApplication {
            client_id: "app".into(),
            name: "App".into(),
            secret_hash: None,
            redirect_uris: vec![],
            scopes: ScopeSet::parse("public").unwrap(),
            organizer_id: None,
            id_token_alg: Default::default(),
            ..NewApplication::default()
        })
        .await
        .unwrap();
    names.0.lock().unwrap().clear();
    store.find_application(app.id).await.unwrap();
    store.find_application_by_client_id("app").await.unwrap();
    let names = names.0.lock().unwrap().clone();
    assert_eq!(names, ["find_application", "find_application_by_client_id"]);
}
