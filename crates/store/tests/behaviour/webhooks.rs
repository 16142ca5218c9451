//! The webhook outbox and its claims, and door check-in, on every backend.

use crate::support::*;
use chrono::{Duration, TimeZone, Utc};
use std::collections::HashSet;
use ticketbooth_domain::check_in::{Direction, Refusal};
use ticketbooth_domain::ticketing::{
    Event, NewEvent, NewExternalTicket, NewOrder, NewTicketType, TicketStatus, TicketType,
};
use ticketbooth_domain::webhooks::{EventType, Subject};
use ticketbooth_store::{
    Attempt, AttemptRecord, DeliveryState, DynStore, EventChange, NewEndpoint, Scan, ScanTarget, TicketCreation,
    TicketRef,
};

struct World {
    organizer_id: i64,
    event: Event,
    other_event: Event,
    types: Vec<TicketType>,
    buyer_id: i64,
}

async fn world(store: &DynStore) -> World {
    let buyer = store.create_user(new_user("door@example.com")).await.unwrap();
    let organizer = store.create_organizer("Org", &[buyer.id]).await.unwrap();
    let start = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
    let event = |title: &str| NewEvent {
        organizer_id: organizer.id,
        title: title.into(),
        description: String::new(),
        description_en: String::new(),
        location_name: "Bangkok".into(),
        cover_url: None,
        poster_url: None,
        start_at: start,
        end_at: start + Duration::hours(3),
        api_ticket_quota: 100,
        ticket_types: vec![NewTicketType { name: "Regular".into(), price_satangs: 100, quota: None }],
    };
    let (event_a, types) = store.create_event(event("A")).await.unwrap();
    let (other_event, _) = store.create_event(event("B")).await.unwrap();
    World { organizer_id: organizer.id, event: event_a, other_event, types, buyer_id: buyer.id }
}

fn external(world: &World, code: &str) -> NewExternalTicket {
    NewExternalTicket {
        event_id: world.event.id,
        ticket_type_id: world.types[0].id,
        firstname: "Som".into(),
        lastname: "Chai".into(),
        email: "som@partner.example".into(),
        phone: "0800000000".into(),
        external_id: None,
        reference_code: code.into(),
        now: Utc::now(),
    }
}

async fn ticket(store: &DynStore, world: &World, code: &str) -> i64 {
    match store.create_external_ticket(external(world, code)).await.unwrap() {
        TicketCreation::Created(ticket) => ticket.id,
        other => panic!("{other:?}"),
    }
}

async fn subscribe(store: &DynStore, organizer_id: i64, events: Vec<EventType>) -> i64 {
    let endpoint = NewEndpoint {
        organizer_id,
        url: "https://partner.example/hooks".into(),
        description: String::new(),
        events,
        secret: ticketbooth_domain::webhooks::generate_secret(),
    };
    store.create_webhook_endpoint(endpoint, Utc::now()).await.unwrap().id
}

fn scan(event_id: i64, target: ScanTarget, direction: Direction, nonce: &str) -> Scan {
    Scan {
        event_id,
        target,
        direction,
        nonce: nonce.into(),
        device: Some("door 1".into()),
        scanned_at: Utc::now(),
        force: false,
        now: Utc::now(),
    }
}

#[tokio::test]
async fn changes_queue_their_events_in_the_same_transaction_for_subscribers_only() {
    for backend in backends().await {
        let store = &backend.store;
        let world = world(store).await;
        ticket(store, &world, "BEFORE-SUB").await;
        assert_eq!(store.pending_webhook_deliveries().await.unwrap(), 0, "{}: nobody subscribed yet", backend.name);

        let all = subscribe(store, world.organizer_id, EventType::SUBSCRIBABLE.to_vec()).await;
        let created_only = subscribe(store, world.organizer_id, vec![EventType::TicketCreated]).await;
        let stranger = store.create_organizer("Elsewhere", &[]).await.unwrap();
        let strangers = subscribe(store, stranger.id, EventType::SUBSCRIBABLE.to_vec()).await;

        ticket(store, &world, "AFTER-SUB").await;
        store
            .invalidate_ticket(world.event.id, TicketRef::ReferenceCode("AFTER-SUB".into()), None, Utc::now())
            .await
            .unwrap();
        let order = NewOrder {
            event_id: world.event.id,
            user_id: world.buyer_id,
            ticket_type_id: world.types[0].id,
            quantity: 2,
            paid: true,
            buyer_firstname: "A".into(),
            buyer_lastname: "B".into(),
            buyer_email: "a@b.example".into(),
            buyer_phone: String::new(),
        };
        store.create_order(order, vec!["ORD-1".into(), "ORD-2".into()]).await.unwrap();
        let change = EventChange { title: Some("A, moved".into()), ..EventChange::default() };
        store.update_event(world.event.id, change, Utc::now()).await.unwrap().unwrap();

        let types_of = |endpoint: i64| {
            let store = store.clone();
            let organizer = if endpoint == strangers { stranger.id } else { world.organizer_id };
            async move {
                let page = store.webhook_deliveries(organizer, endpoint, 1, 100).await.unwrap();
                page.items.iter().rev().map(|d| d.event.event_type.as_str()).collect::<Vec<_>>()
            }
        };
        assert_eq!(
            types_of(all).await,
            ["ticket.created", "ticket.invalidated", "ticket.created", "ticket.created", "order.paid", "event.updated"],
            "{}",
            backend.name
        );
        assert_eq!(
            types_of(created_only).await,
            ["ticket.created", "ticket.created", "ticket.created"],
            "{}",
            backend.name
        );
        assert!(types_of(strangers).await.is_empty(), "{}: another organizer's endpoint gets nothing", backend.name);

        // The snapshot is the object as the change left it.
        let deliveries = store.webhook_deliveries(world.organizer_id, all, 1, 100).await.unwrap().items;
        let invalidated = deliveries.iter().find(|d| d.event.event_type == EventType::TicketInvalidated).unwrap();
        match &invalidated.event.subject {
            Subject::Ticket(ticket) => assert_eq!(ticket.status, TicketStatus::Revoked),
            other => panic!("{other:?}"),
        }
        let moved = deliveries.iter().find(|d| d.event.event_type == EventType::EventUpdated).unwrap();
        assert!(matches!(&moved.event.subject, Subject::Event(event) if event.title == "A, moved"), "{}", backend.name);
    }
}

#[tokio::test]
async fn an_endpoint_is_claimed_by_one_worker_and_served_in_order() {
    for backend in backends().await {
        let store = &backend.store;
        let world = world(store).await;
        let endpoint = subscribe(store, world.organizer_id, vec![EventType::TicketCreated]).await;
        for code in ["Q1", "Q2", "Q3"] {
            ticket(store, &world, code).await;
        }
        let now = Utc::now();
        let lease = now + Duration::seconds(30);
        // Concurrent claims: exactly one gets the endpoint.
        let claims = futures_join(store, now, lease).await;
        assert_eq!(claims.iter().filter(|claimed| !claimed.is_empty()).count(), 1, "{}", backend.name);
        let claimed = claims.into_iter().find(|claimed| !claimed.is_empty()).unwrap().remove(0);
        assert_eq!(claimed.endpoint.id, endpoint);
        let ids: Vec<i64> = claimed.deliveries.iter().map(|d| d.id).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]) && ids.len() == 3, "{}: in order", backend.name);

        // The first delivered, the second failed: the queue waits for the second's retry.
        let record = |delivery_id: i64, state: DeliveryState| AttemptRecord {
            delivery_id,
            attempt: Attempt {
                attempt: 1,
                started_at: now,
                duration_ms: 3,
                response_status: Some(if state == DeliveryState::Delivered { 200 } else { 500 }),
                response_body: "ok".into(),
                error: None,
            },
            state,
        };
        let retry_at = now + Duration::seconds(60);
        let records = [record(ids[0], DeliveryState::Delivered), record(ids[1], DeliveryState::RetryAt(retry_at))];
        store.finish_webhook_attempts(endpoint, &records, None, now).await.unwrap();
        assert!(store.claim_webhook_endpoints(now, lease, 10, 10).await.unwrap().is_empty(), "{}", backend.name);
        let later = store.claim_webhook_endpoints(retry_at, retry_at + Duration::seconds(30), 10, 10).await.unwrap();
        let heads: Vec<i64> = later[0].deliveries.iter().map(|d| d.id).collect();
        assert_eq!(heads, ids[1..], "{}: the failed one first, then the rest", backend.name);
        assert_eq!(later[0].deliveries[0].attempts, 1);

        // 410: failed for good and the endpoint disabled; nothing more is claimed.
        let mut gone = record(ids[1], DeliveryState::Failed);
        (gone.attempt.attempt, gone.attempt.response_status) = (2, Some(410));
        let gone = [gone];
        store.finish_webhook_attempts(endpoint, &gone, Some("the receiver answered 410 Gone"), retry_at).await.unwrap();
        let far = retry_at + Duration::days(1);
        assert!(store.claim_webhook_endpoints(far, far, 10, 10).await.unwrap().is_empty(), "{}", backend.name);
        let disabled = store.find_webhook_endpoint(world.organizer_id, endpoint).await.unwrap().unwrap();
        assert_eq!(disabled.disabled_reason.as_deref(), Some("the receiver answered 410 Gone"));

        // The log keeps every attempt; a redelivery queues the same event again.
        let log = store.find_webhook_delivery(world.organizer_id, endpoint, ids[1]).await.unwrap().unwrap();
        let statuses: Vec<Option<u16>> = log.attempts.iter().map(|a| a.response_status).collect();
        assert_eq!((log.status.as_str(), statuses), ("failed", vec![Some(500), Some(410)]), "{}", backend.name);
        let again = store.redeliver_webhook(world.organizer_id, endpoint, ids[1], far).await.unwrap().unwrap();
        assert_eq!(again.event.public_id, log.event.public_id);
        assert_ne!(again.id, log.id);
        assert!(store.redeliver_webhook(world.organizer_id + 1, endpoint, ids[1], far).await.unwrap().is_none());
    }
}

async fn futures_join(
    store: &DynStore,
    now: chrono::DateTime<Utc>,
    lease: chrono::DateTime<Utc>,
) -> Vec<Vec<ticketbooth_store::ClaimedEndpoint>> {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_webhook_endpoints(now, lease, 10, 10).await.unwrap() })
        })
        .collect();
    let mut claims = Vec::new();
    for task in tasks {
        claims.push(task.await.unwrap());
    }
    claims
}

#[tokio::test]
async fn of_two_doors_scanning_one_ticket_at_once_exactly_one_admits_it() {
    for backend in backends().await {
        let store = &backend.store;
        let world = world(store).await;
        let id = ticket(store, &world, "RACE").await;
        let tasks: Vec<_> = (0..12)
            .map(|door| {
                let store = store.clone();
                let scan = scan(world.event.id, ScanTarget::TicketId(id), Direction::Entry, &format!("door-{door}"));
                tokio::spawn(async move { store.record_scan(scan).await.unwrap() })
            })
            .collect();
        let mut admitted = 0;
        for task in tasks {
            let outcome = task.await.unwrap();
            match outcome.check_in.refusal {
                None => admitted += 1,
                Some(refusal) => {
                    assert_eq!(refusal, Refusal::AlreadyCheckedIn, "{}", backend.name);
                    assert!(outcome.check_in.inside_since.is_some(), "{}: says since when", backend.name);
                }
            }
        }
        assert_eq!(admitted, 1, "{}", backend.name);
        let counts = store.check_in_counts(world.event.id).await.unwrap();
        assert_eq!((counts.inside, counts.checked_in, counts.tickets), (1, 1, 1), "{}", backend.name);
        assert_eq!(store.check_ins(world.event.id, 1, 100).await.unwrap().total, 12, "{}", backend.name);
    }
}

#[tokio::test]
async fn a_retried_nonce_gets_the_first_answer_even_when_racing() {
    for backend in backends().await {
        let store = &backend.store;
        let world = world(store).await;
        let id = ticket(store, &world, "NONCE").await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let scan = scan(world.event.id, ScanTarget::TicketId(id), Direction::Entry, "same-nonce");
                tokio::spawn(async move { store.record_scan(scan).await.unwrap() })
            })
            .collect();
        let mut ids = HashSet::new();
        for task in tasks {
            let outcome = task.await.unwrap();
            assert_eq!(outcome.check_in.refusal, None, "{}: every answer is the first one, ok", backend.name);
            ids.insert(outcome.check_in.id);
        }
        assert_eq!(ids.len(), 1, "{}", backend.name);
        assert_eq!(store.check_ins(world.event.id, 1, 10).await.unwrap().total, 1, "{}", backend.name);
    }
}

#[tokio::test]
async fn entry_exit_and_the_refusals() {
    for backend in backends().await {
        let store = &backend.store;
        let world = world(store).await;
        let event = world.event.id;
        let id = ticket(store, &world, "WALK").await;
        let go = |target: ScanTarget, direction: Direction, nonce: &str| {
            let store = store.clone();
            let scan = scan(event, target, direction, nonce);
            async move { store.record_scan(scan).await.unwrap() }
        };
        let by_code = |code: &str| ScanTarget::ReferenceCode(code.into());
        assert_eq!(go(by_code("WALK"), Direction::Entry, "1").await.check_in.refusal, None);
        assert_eq!(go(by_code("WALK"), Direction::Entry, "2").await.check_in.refusal, Some(Refusal::AlreadyCheckedIn));
        assert_eq!(go(by_code("WALK"), Direction::Exit, "3").await.check_in.refusal, None);
        let back = go(by_code("WALK"), Direction::Entry, "4").await;
        assert_eq!(back.check_in.refusal, None, "{}: entry after exit", backend.name);
        assert_eq!(back.ticket.unwrap().status, TicketStatus::Used);
        // A checked-in ticket is used: invalidation refuses it as before.
        let refused = store.invalidate_ticket(event, TicketRef::Id(id), None, Utc::now()).await.unwrap();
        assert_eq!(refused, ticketbooth_store::Invalidation::AlreadyUsed);

        assert_eq!(go(by_code("NOPE"), Direction::Entry, "5").await.check_in.refusal, Some(Refusal::Invalid));
        let elsewhere = NewExternalTicket { event_id: world.other_event.id, ..external(&world, "OTHER") };
        store.create_external_ticket(elsewhere).await.unwrap();
        assert_eq!(go(by_code("OTHER"), Direction::Entry, "6").await.check_in.refusal, Some(Refusal::WrongEvent));

        let pending = NewOrder {
            event_id: event,
            user_id: world.buyer_id,
            ticket_type_id: world.types[0].id,
            quantity: 1,
            paid: false,
            buyer_firstname: "P".into(),
            buyer_lastname: "Q".into(),
            buyer_email: "p@q.example".into(),
            buyer_phone: String::new(),
        };
        store.create_order(pending, vec!["UNPAID".into()]).await.unwrap();
        assert_eq!(go(by_code("UNPAID"), Direction::Entry, "7").await.check_in.refusal, Some(Refusal::Unpaid));

        ticket(store, &world, "GONE").await;
        store.invalidate_ticket(event, TicketRef::ReferenceCode("GONE".into()), None, Utc::now()).await.unwrap();
        assert_eq!(go(by_code("GONE"), Direction::Entry, "8").await.check_in.refusal, Some(Refusal::Revoked));
        // Forced (an offline door let them in): recorded as admitted, saying what it would have been.
        let mut forced = scan(event, by_code("GONE"), Direction::Entry, "9");
        forced.force = true;
        let outcome = store.record_scan(forced).await.unwrap();
        assert!(outcome.check_in.forced, "{}", backend.name);
        assert_eq!(outcome.check_in.refusal, Some(Refusal::Revoked));
        assert_eq!(outcome.ticket.unwrap().status, TicketStatus::Revoked, "{}: stays revoked", backend.name);

        let revoked = store.revoked_tickets(event, Utc::now() - Duration::minutes(5), 10).await.unwrap();
        assert_eq!(revoked.iter().map(|t| t.reference_code.as_str()).collect::<Vec<_>>(), ["GONE"], "{}", backend.name);
        assert!(store.revoked_tickets(event, Utc::now() + Duration::minutes(5), 10).await.unwrap().is_empty());
    }
}
