//! A small ticketing world for the resource-API tests: two organizers, their events, two users
//! with orders, and applications owned by each organizer plus a first-party one.

use crate::harness::*;
use chrono::{Duration, Utc};
use ticketbooth_domain::model::User;
use ticketbooth_domain::ticketing::{Event, NewEvent, NewOrder, NewTicketType, Order, TicketType};

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) organizer_id: i64,
    pub(crate) event: Event,
    pub(crate) types: Vec<TicketType>,
    pub(crate) other_event: Event,
    pub(crate) other_types: Vec<TicketType>,
    /// The order (two tickets in `event`) of a member of the organizer.
    pub(crate) member_order: Order,
    /// The order (one ticket in `event`) of a user who is no member; they also hold one ticket
    /// in `other_event`.
    pub(crate) outsider_order: Order,
    /// Owned by the organizer, registered for `public organizer`.
    pub(crate) client: TestClient,
    /// Owned by the other organizer.
    pub(crate) other_client: TestClient,
    /// Owned by nobody (first party).
    pub(crate) first_party: TestClient,
}

async fn create_event(app: &TestApp, organizer_id: i64, title: &str, quota: i64) -> (Event, Vec<TicketType>) {
    let start = Utc::now() + Duration::days(10);
    app.store
        .create_event(NewEvent {
            organizer_id,
            title: title.into(),
            description: "งานดนตรี".into(),
            description_en: "A concert".into(),
            location_name: "Lido Connect".into(),
            cover_url: Some("https://cdn.example/cover.jpg".into()),
            poster_url: None,
            start_at: start,
            end_at: start + Duration::hours(4),
            api_ticket_quota: quota,
            ticket_types: vec![
                NewTicketType { name: "Regular".into(), price_satangs: 150_000, quota: None },
                NewTicketType { name: "Student".into(), price_satangs: 0, quota: None },
            ],
        })
        .await
        .unwrap()
}

pub(crate) async fn buy(app: &TestApp, user: &User, event: &Event, ticket_type: &TicketType, quantity: u32) -> Order {
    let codes = (0..quantity).map(|_| ticketbooth_domain::ticketing::generate_reference_code()).collect();
    app.store
        .create_order(
            NewOrder {
                event_id: event.id,
                user_id: user.id,
                ticket_type_id: ticket_type.id,
                quantity,
                paid: true,
                buyer_firstname: user.first_name.clone(),
                buyer_lastname: user.last_name.clone(),
                buyer_email: user.email.clone(),
                buyer_phone: user.phone.clone().unwrap_or_default(),
            },
            codes,
        )
        .await
        .unwrap()
}

impl World {
    pub(crate) async fn new() -> World {
        Self::with_quota(1000).await
    }

    pub(crate) async fn with_quota(quota: i64) -> World {
        let app = TestApp::spawn().await;
        let member = app.create_user("member@example.com").await;
        let outsider = app.create_user("outsider@example.com").await;
        let organizer = app.store.create_organizer("Bangkok Live", &[member.id]).await.unwrap();
        let other = app.store.create_organizer("Elsewhere", &[]).await.unwrap();
        let (event, types) = create_event(&app, organizer.id, "Indie Night", quota).await;
        let (other_event, other_types) = create_event(&app, other.id, "Other Night", quota).await;
        let member_order = buy(&app, &member, &event, &types[0], 2).await;
        let outsider_order = buy(&app, &outsider, &event, &types[1], 1).await;
        buy(&app, &outsider, &other_event, &other_types[0], 1).await;
        let client = app.create_client_owned_by(Some(organizer.id), true, &[CALLBACK], "public organizer").await;
        let other_client = app.create_client_owned_by(Some(other.id), true, &[CALLBACK], "public organizer").await;
        let first_party = app.create_client_owned_by(None, true, &[CALLBACK], "public organizer").await;
        World {
            app,
            organizer_id: organizer.id,
            event,
            types,
            other_event,
            other_types,
            member_order,
            outsider_order,
            client,
            other_client,
            first_party,
        }
    }

    pub(crate) fn event_path(&self, suffix: &str) -> String {
        format!("/api/public/organizers/{}/events/{}{suffix}", self.organizer_id, self.event.id)
    }
}

/// Asserts the §0.3 error body and returns its code.
pub(crate) fn error_code(
    status: reqwest::StatusCode,
    body: &serde_json::Value,
    expected: reqwest::StatusCode,
) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body["error"].as_str().unwrap_or_default().to_owned()
}
