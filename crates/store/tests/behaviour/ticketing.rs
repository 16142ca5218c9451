//! Events, orders, tickets, idempotent creation under concurrency, invalidation, rate limits.

use crate::support::*;
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use ticketbooth_domain::listing::{parse_listing, EventTicketFilter, ListKind, ListParams, Listing};
use ticketbooth_domain::ticketing::{
    Event, NewEvent, NewExternalTicket, NewOrder, NewTicketType, TicketStatus, TicketType,
};
use ticketbooth_store::{DynStore, Invalidation, TicketCreation, TicketQuery, TicketRef};

struct World {
    organizer_id: i64,
    other_organizer_id: i64,
    event: Event,
    types: Vec<TicketType>,
    buyer_id: i64,
}

async fn world(store: &DynStore, quota: i64) -> World {
    let buyer = store.create_user(new_user("buyer@example.com")).await.unwrap();
    let organizer = store.create_organizer("Org", &[buyer.id]).await.unwrap();
    let other = store.create_organizer("Other", &[]).await.unwrap();
    let start = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
    let (event, types) = store
        .create_event(NewEvent {
            organizer_id: organizer.id,
            title: "Gig".into(),
            description: "คอนเสิร์ต".into(),
            description_en: "Concert".into(),
            location_name: "Bangkok".into(),
            cover_url: None,
            poster_url: None,
            start_at: start,
            end_at: start + Duration::hours(3),
            api_ticket_quota: quota,
            ticket_types: vec![
                NewTicketType { name: "Regular".into(), price_satangs: 150_000, quota: Some(3) },
                NewTicketType { name: "Free".into(), price_satangs: 0, quota: None },
            ],
        })
        .await
        .unwrap();
    World { organizer_id: organizer.id, other_organizer_id: other.id, event, types, buyer_id: buyer.id }
}

fn order(world: &World, quantity: u32) -> NewOrder {
    NewOrder {
        event_id: world.event.id,
        user_id: world.buyer_id,
        ticket_type_id: world.types[0].id,
        quantity,
        paid: true,
        buyer_firstname: "Ann".into(),
        buyer_lastname: "Lee".into(),
        buyer_email: "Buyer@Example.com".into(),
        buyer_phone: "0811111111".into(),
    }
}

fn external(world: &World, external_id: Option<&str>, code: &str) -> NewExternalTicket {
    NewExternalTicket {
        event_id: world.event.id,
        ticket_type_id: world.types[1].id,
        firstname: "Ext".into(),
        lastname: "Ernal".into(),
        email: "ext_ernal@partner.example".into(),
        phone: "+66 2 123 4567".into(),
        external_id: external_id.map(str::to_owned),
        reference_code: code.into(),
        now: Utc::now(),
    }
}

fn listing(kind: ListKind, params: ListParams<'_>) -> Listing {
    parse_listing(kind, params).unwrap()
}

#[tokio::test]
async fn events_round_trip_with_their_ticket_types() {
    for Backend { name, store, .. } in backends().await {
        let world = world(&store, 1000).await;
        assert_eq!(store.find_event(world.event.id).await.unwrap().as_ref(), Some(&world.event), "{name}");
        assert_eq!(world.event.description, "คอนเสิร์ต", "{name}");
        assert_eq!(world.types.len(), 2, "{name}");
        assert_eq!(store.find_ticket_type(world.types[0].id).await.unwrap().as_ref(), Some(&world.types[0]), "{name}");
        assert!(store.is_member(world.organizer_id, world.buyer_id).await.unwrap(), "{name}");
        assert!(!store.is_member(world.other_organizer_id, world.buyer_id).await.unwrap(), "{name}");
        let page =
            store.list_events(world.organizer_id, &listing(ListKind::Events, ListParams::default())).await.unwrap();
        assert_eq!((page.total, page.items.len()), (1, 1), "{name}");
        let other = store
            .list_events(world.other_organizer_id, &listing(ListKind::Events, ListParams::default()))
            .await
            .unwrap();
        assert_eq!(other.total, 0, "{name}");
    }
}

#[tokio::test]
async fn orders_carry_their_ticket_ids_and_respect_the_ticket_type_quota() {
    for Backend { name, store, .. } in backends().await {
        let world = world(&store, 1000).await;
        let first = store.create_order(order(&world, 2), vec!["AAAA1111".into(), "AAAA2222".into()]).await.unwrap();
        assert_eq!(first.ticket_ids.len(), 2, "{name}");
        assert_eq!(first.status, "paid", "{name}");
        assert!(first.paid_at.is_some(), "{name}");
        let too_many = store.create_order(order(&world, 2), vec!["BBBB1111".into(), "BBBB2222".into()]).await;
        assert!(matches!(too_many, Err(ticketbooth_store::StoreError::Conflict(_))), "{name}: quota 3 of which 2 sold");

        let page = store
            .list_orders(
                world.organizer_id,
                Some(world.buyer_id),
                &listing(ListKind::UserOrders, ListParams::default()),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1, "{name}");
        assert_eq!(page.items[0].ticket_ids, first.ticket_ids, "{name}");
        let someone_else = store
            .list_orders(
                world.organizer_id,
                Some(world.buyer_id + 1000),
                &listing(ListKind::UserOrders, ListParams::default()),
            )
            .await
            .unwrap();
        assert_eq!(someone_else.total, 0, "{name}");
    }
}

#[tokio::test]
async fn ticket_lists_filter_sort_and_paginate_alike_on_every_backend() {
    for Backend { name, store, .. } in backends().await {
        let world = world(&store, 1000).await;
        let sold =
            store.create_order(order(&world, 3), vec!["CCC1".into(), "AAA1".into(), "BBB1".into()]).await.unwrap();
        for (external_id, code) in [("e1", "ZZZ9"), ("e2", "YYY9")] {
            store.create_external_ticket(external(&world, Some(external_id), code)).await.unwrap();
        }
        store.mark_ticket_used(sold.ticket_ids[1], Utc::now() - Duration::minutes(5)).await.unwrap();
        store.mark_ticket_used(sold.ticket_ids[0], Utc::now()).await.unwrap();

        let list = |params: ListParams<'static>, filter: EventTicketFilter| {
            let store = store.clone();
            let listing = listing(ListKind::EventTickets, params);
            let organizer_id = world.organizer_id;
            let event_id = world.event.id;
            async move {
                let query = TicketQuery {
                    organizer_id,
                    event_id: Some(event_id),
                    user_id: None,
                    listing: &listing,
                    filter: &filter,
                };
                let page = store.list_tickets(query).await.unwrap();
                (page.total, page.items.into_iter().map(|t| t.reference_code).collect::<Vec<_>>())
            }
        };
        let all = EventTicketFilter::default;
        assert_eq!(
            list(ListParams::default(), all()).await,
            (5, vec!["CCC1".into(), "AAA1".into(), "BBB1".into(), "ZZZ9".into(), "YYY9".into()]),
            "{name}"
        );
        assert_eq!(
            list(ListParams { order_by: Some("reference_code"), order: Some("desc"), ..Default::default() }, all())
                .await
                .1,
            ["ZZZ9", "YYY9", "CCC1", "BBB1", "AAA1"],
            "{name}"
        );
        // Unused tickets (null used_at) come last in both directions.
        assert_eq!(
            list(ListParams { order_by: Some("used_at"), ..Default::default() }, all()).await.1[..2],
            ["AAA1".to_string(), "CCC1".to_string()],
            "{name}"
        );
        assert_eq!(
            list(ListParams { order_by: Some("used_at"), order: Some("desc"), ..Default::default() }, all()).await.1
                [..2],
            ["CCC1".to_string(), "AAA1".to_string()],
            "{name}"
        );
        assert_eq!(
            list(ListParams { page: Some("2"), per_page: Some("2"), ..Default::default() }, all()).await,
            (5, vec!["BBB1".into(), "ZZZ9".into()]),
            "{name}"
        );
        assert_eq!(list(ListParams { page: Some("9"), ..Default::default() }, all()).await, (5, vec![]), "{name}");

        let used = EventTicketFilter { statuses: vec!["used".into()], ..Default::default() };
        assert_eq!(list(ListParams::default(), used).await.0, 2, "{name}");
        let email = EventTicketFilter { email: Some("buyer@example".into()), ..Default::default() };
        assert_eq!(list(ListParams::default(), email).await.0, 3, "{name}: case-insensitive substring");
        let underscore = EventTicketFilter { email: Some("t_e".into()), ..Default::default() };
        assert_eq!(list(ListParams::default(), underscore).await.1, ["ZZZ9", "YYY9"], "{name}: `_` is literal");
        let percent = EventTicketFilter { email: Some("%".into()), ..Default::default() };
        assert_eq!(list(ListParams::default(), percent).await.0, 0, "{name}: `%` is literal");
        let phone = EventTicketFilter { phone: Some("2 123".into()), ..Default::default() };
        assert_eq!(list(ListParams::default(), phone).await.0, 2, "{name}");
        let ids = EventTicketFilter {
            min_id: Some(sold.ticket_ids[0]),
            max_id: Some(sold.ticket_ids[2] + 1),
            ..Default::default()
        };
        assert_eq!(list(ListParams::default(), ids).await.1, ["AAA1", "BBB1"], "{name}: strict bounds");
        let by_type = EventTicketFilter { ticket_type_id: Some(world.types[1].id), ..Default::default() };
        assert_eq!(list(ListParams::default(), by_type).await.0, 2, "{name}");
        let future = EventTicketFilter { updated_after: Some(Utc::now() + Duration::hours(1)), ..Default::default() };
        assert_eq!(list(ListParams::default(), future).await.0, 0, "{name}");
        let past = EventTicketFilter { updated_before: Some(Utc::now() + Duration::hours(1)), ..Default::default() };
        assert_eq!(list(ListParams::default(), past).await.0, 5, "{name}");
    }
}

#[tokio::test]
async fn external_tickets_are_idempotent_unique_by_reference_and_bounded_by_quota() {
    for Backend { name, store, .. } in backends().await {
        let world = world(&store, 2).await;
        let created = match store.create_external_ticket(external(&world, Some("order-1"), "REF1")).await.unwrap() {
            TicketCreation::Created(ticket) => ticket,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!((created.kind.as_str(), created.status.as_str()), ("external", "active"), "{name}");
        assert_eq!(created.ticket_type.name, "Free", "{name}");
        match store.create_external_ticket(external(&world, Some("order-1"), "OTHER")).await.unwrap() {
            TicketCreation::Existing(ticket) => assert_eq!(ticket.id, created.id, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(
            store.create_external_ticket(external(&world, Some("order-2"), "REF1")).await.unwrap(),
            TicketCreation::ReferenceTaken,
            "{name}"
        );
        assert!(
            matches!(
                store.create_external_ticket(external(&world, None, "REF2")).await.unwrap(),
                TicketCreation::Created(_)
            ),
            "{name}"
        );
        assert_eq!(
            store.create_external_ticket(external(&world, Some("order-3"), "REF3")).await.unwrap(),
            TicketCreation::QuotaExceeded,
            "{name}"
        );
        // A replay still answers once the quota is used up.
        assert!(
            matches!(
                store.create_external_ticket(external(&world, Some("order-1"), "X")).await.unwrap(),
                TicketCreation::Existing(_)
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn fifty_concurrent_creates_with_one_external_id_make_exactly_one_ticket() {
    for Backend { name, store, .. } in backends().await {
        let world = Arc::new(world(&store, 1000).await);
        let attempts: Vec<_> = (0..50)
            .map(|i| {
                let (store, world) = (store.clone(), Arc::clone(&world));
                tokio::spawn(async move {
                    store.create_external_ticket(external(&world, Some("same"), &format!("R{i}"))).await
                })
            })
            .collect();
        let (mut created, mut replayed) = (Vec::new(), Vec::new());
        for attempt in attempts {
            match attempt.await.unwrap().unwrap() {
                TicketCreation::Created(ticket) => created.push(ticket.id),
                TicketCreation::Existing(ticket) => replayed.push(ticket.id),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert_eq!(created.len(), 1, "{name}: exactly one ticket made");
        assert!(replayed.iter().all(|id| *id == created[0]), "{name}: every replay names that ticket");
        let listing = listing(ListKind::EventTickets, ListParams::default());
        let filter = EventTicketFilter::default();
        let query = TicketQuery {
            organizer_id: world.organizer_id,
            event_id: Some(world.event.id),
            user_id: None,
            listing: &listing,
            filter: &filter,
        };
        assert_eq!(store.list_tickets(query).await.unwrap().total, 1, "{name}");
    }
}

#[tokio::test]
async fn invalidation_revokes_once_and_refuses_used_tickets() {
    for Backend { name, store, .. } in backends().await {
        let world = world(&store, 1000).await;
        let sold = store.create_order(order(&world, 2), vec!["INV1".into(), "INV2".into()]).await.unwrap();
        let now = Utc::now();
        match store
            .invalidate_ticket(world.event.id, TicketRef::ReferenceCode("INV1".into()), Some("refund".into()), now)
            .await
            .unwrap()
        {
            Invalidation::Revoked(ticket) => {
                assert_eq!(
                    (ticket.status.as_str(), ticket.revoke_note.as_deref()),
                    ("revoked", Some("refund")),
                    "{name}"
                )
            }
            other => panic!("{name}: {other:?}"),
        }
        let again =
            store.invalidate_ticket(world.event.id, TicketRef::Id(sold.ticket_ids[0]), None, now).await.unwrap();
        assert_eq!(again, Invalidation::AlreadyRevoked, "{name}");
        assert!(store.mark_ticket_used(sold.ticket_ids[1], now).await.unwrap(), "{name}");
        assert!(
            !store.mark_ticket_used(sold.ticket_ids[1], now).await.unwrap(),
            "{name}: only active tickets check in"
        );
        let used = store.invalidate_ticket(world.event.id, TicketRef::Id(sold.ticket_ids[1]), None, now).await.unwrap();
        assert_eq!(used, Invalidation::AlreadyUsed, "{name}");
        let missing =
            store.invalidate_ticket(world.event.id, TicketRef::Id(sold.ticket_ids[1] + 100), None, now).await.unwrap();
        assert_eq!(missing, Invalidation::NotFound, "{name}");
        let wrong_event =
            store.invalidate_ticket(world.event.id + 1, TicketRef::Id(sold.ticket_ids[1]), None, now).await.unwrap();
        assert_eq!(wrong_event, Invalidation::NotFound, "{name}");
        let found = store.find_ticket_by_reference(world.event.id, "INV2").await.unwrap().unwrap();
        assert_eq!(found.status, TicketStatus::Used, "{name}");
        assert_eq!(store.find_ticket_by_reference(world.event.id, "inv2").await.unwrap(), None, "{name}: exact match");
    }
}

#[tokio::test]
async fn rate_limit_windows_count_hits_per_key() {
    for Backend { name, store, .. } in backends().await {
        let window = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        for expected in 1..=3 {
            assert_eq!(store.hit_rate_limit("me:1", window).await.unwrap(), expected, "{name}");
        }
        assert_eq!(store.hit_rate_limit("me:2", window).await.unwrap(), 1, "{name}");
        assert_eq!(store.hit_rate_limit("me:1", window + Duration::minutes(1)).await.unwrap(), 1, "{name}");
        assert_eq!(
            store.take_rate_limits(["me:2", "me:1"], window).await.unwrap(),
            [2, 4],
            "{name}: both counted, in the keys' order"
        );
        assert_eq!(
            store.take_rate_limits(["me:3", "me:1"], window).await.unwrap(),
            [1, 5],
            "{name}: a new key starts at 1"
        );
        store.refund_rate_limits(["me:3", "me:1"], window).await.unwrap();
        store.refund_rate_limits(["me:3", "me:1"], window).await.unwrap();
        assert_eq!(
            store.take_rate_limits(["me:3", "me:1"], window).await.unwrap(),
            [1, 4],
            "{name}: refunds take hits back, never below zero"
        );
    }
}

#[tokio::test]
async fn parallel_rate_limit_takes_each_see_their_own_count() {
    for Backend { name, store, .. } in backends().await {
        let window = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let takes = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_rate_limits(["pair", "address"], window).await.unwrap() })
        });
        let mut counts: Vec<u32> = Vec::new();
        for take in takes {
            counts.push(take.await.unwrap()[0]);
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=40).collect::<Vec<u32>>(), "{name}");
    }
}
