//! The list operations (#3–#6): envelopes, models, pagination, ordering, filters and who may see what.

use crate::api_world::*;
use crate::harness::*;
use reqwest::StatusCode;

fn keys(value: &serde_json::Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

backend_test! {
    async fn a_user_lists_only_their_own_tickets_and_orders_at_an_organizer() {
        let w = World::new().await;
        let token = w.app.user_token("member@example.com", &w.first_party, "public").await;
        let (status, body) = w.app.api_get(&format!("/api/public/organizers/{}/tickets", w.organizer_id), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(keys(&body), ["count", "page", "per_page", "success", "tickets", "total"]);
        assert_eq!((body["success"].clone(), body["count"].clone(), body["total"].clone()), (true.into(), 2.into(), 2.into()));
        assert_eq!((body["page"].clone(), body["per_page"].clone()), (1.into(), 10.into()));
        let ticket = &body["tickets"][0];
        assert_eq!(
            keys(ticket),
            [
                "created_at", "email", "event_id", "external_id", "firstname", "forms", "id", "kind", "lastname",
                "order_id", "phone", "price_label", "reference_code", "registered_at", "revoke_note", "status",
                "ticket_type", "updated_at", "used_at",
            ]
        );
        assert_eq!(ticket["id"], w.member_order.ticket_ids[0]);
        assert_eq!(ticket["order_id"], w.member_order.id);
        assert_eq!(ticket["email"], "member@example.com");
        assert_eq!((ticket["status"].clone(), ticket["kind"].clone()), ("active".into(), "normal".into()));
        assert_eq!(ticket["price_label"], "฿1,500.00");
        assert_eq!(ticket["forms"], serde_json::json!([]));
        assert_eq!(ticket["used_at"], serde_json::Value::Null);
        assert!(ticket["created_at"].as_str().unwrap().ends_with("+00:00"), "{ticket}");
        assert_eq!(
            ticket["ticket_type"],
            serde_json::json!({ "id": w.types[0].id, "name": "Regular", "price": "฿1,500.00", "price_satangs": 150000, "kind": "paid" })
        );

        let (status, body) = w.app.api_get(&format!("/api/public/organizers/{}/orders", w.organizer_id), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 1);
        let order = &body["orders"][0];
        assert_eq!(
            keys(order),
            [
                "buyer_email", "buyer_firstname", "buyer_lastname", "buyer_phone", "buyer_phone_country",
                "buyer_phone_country_code", "buyer_phone_local", "created_at", "event_id", "forms", "id", "paid_at",
                "status", "ticket_ids", "updated_at",
            ]
        );
        assert_eq!(order["id"], w.member_order.id);
        assert_eq!(order["ticket_ids"], serde_json::json!(w.member_order.ticket_ids));
        assert_eq!(order["status"], "paid");

        // The outsider sees only their own single ticket at this organizer.
        let outsider = w.app.user_token("outsider@example.com", &w.first_party, "public").await;
        let (_, body) = w.app.api_get(&format!("/api/public/organizers/{}/tickets", w.organizer_id), &outsider).await;
        assert_eq!(body["total"], 1);
        assert_eq!(body["tickets"][0]["id"], w.outsider_order.ticket_ids[0]);
        assert_eq!(body["tickets"][0]["price_label"], "Free");
    }
}

backend_test! {
    async fn user_lists_refuse_mismatched_applications_application_tokens_and_missing_scope() {
        let w = World::new().await;
        let owned_by_other = w.app.user_token("member@example.com", &w.other_client, "public").await;
        let path = format!("/api/public/organizers/{}/tickets", w.organizer_id);
        let (status, body) = w.app.api_get(&path, &owned_by_other).await;
        assert_eq!(error_code(status, &body, StatusCode::UNAUTHORIZED), "organizer_mismatch");
        let (status, body) = w.app.api_get(&format!("/api/public/organizers/{}/orders", w.organizer_id), &owned_by_other).await;
        assert_eq!(error_code(status, &body, StatusCode::UNAUTHORIZED), "organizer_mismatch");

        let app_token = w.app.app_token(&w.client).await;
        let (status, body) = w.app.api_get(&path, &app_token).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "insufficient_scope");

        let organizer_only = w.app.user_token("member@example.com", &w.first_party, "organizer").await;
        let (status, body) = w.app.api_get(&path, &organizer_only).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "insufficient_scope");

        let token = w.app.user_token("member@example.com", &w.client, "public").await;
        for missing in ["/api/public/organizers/999999/tickets", "/api/public/organizers/abc/tickets", "/api/public/organizers/%FF/orders"] {
            let (status, body) = w.app.api_get(missing, &token).await;
            assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found", "{missing}");
        }
    }
}

backend_test! {
    async fn pagination_ordering_and_q_follow_the_documented_rules() {
        let w = World::new().await;
        let token = w.app.user_token("member@example.com", &w.first_party, "public").await;
        let base = format!("/api/public/organizers/{}/tickets", w.organizer_id);
        let ids = |body: &serde_json::Value| body["tickets"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>();

        let (_, body) = w.app.api_get(&format!("{base}?order=desc"), &token).await;
        let mut expected = w.member_order.ticket_ids.clone();
        expected.reverse();
        assert_eq!(ids(&body), expected);
        let (_, body) = w.app.api_get(&format!("{base}?page=2&per_page=1"), &token).await;
        assert_eq!((ids(&body), body["count"].clone(), body["total"].clone()), (vec![w.member_order.ticket_ids[1]], 1.into(), 2.into()));
        let (_, body) = w.app.api_get(&format!("{base}?page=7"), &token).await;
        assert_eq!((body["count"].clone(), body["total"].clone(), body["tickets"].clone()), (0.into(), 2.into(), serde_json::json!([])));
        let (_, body) = w.app.api_get(&format!("{base}?per_page=5000"), &token).await;
        assert_eq!(body["per_page"], 100);
        let q = format!("{{\"event_id\":{}}}", w.other_event.id);
        let (_, body) = w.app.api_get(&format!("{base}?q={}", urlencode(&q)), &token).await;
        assert_eq!(body["total"], 0, "other organizer's events never show here");
        let q = format!("{{\"event_id\":{},\"status\":\"active\"}}", w.event.id);
        let (_, body) = w.app.api_get(&format!("{base}?q={}", urlencode(&q)), &token).await;
        assert_eq!(body["total"], 2);

        for bad in ["page=0", "per_page=-1", "order_by=title", "order=up", "q=notjson", "q=%7B%22email%22%3A1%7D", "page=1&page=2"] {
            let (status, body) = w.app.api_get(&format!("{base}?{bad}"), &token).await;
            assert_eq!(error_code(status, &body, StatusCode::BAD_REQUEST), "invalid_request", "{bad}");
        }
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

backend_test! {
    async fn events_are_listed_for_the_owning_application_and_for_members_with_organizer_scope() {
        let w = World::new().await;
        let path = format!("/api/public/organizers/{}/events", w.organizer_id);
        let app_token = w.app.app_token(&w.client).await;
        let (status, body) = w.app.api_get(&path, &app_token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 1);
        let event = &body["events"][0];
        assert_eq!(
            keys(event),
            [
                "cover", "covers", "created_at", "description", "description_en", "display_icon",
                "display_location_name", "end_at", "id", "location_name", "poster", "posters", "start_at", "status",
                "title", "updated_at",
            ]
        );
        assert_eq!(event["id"], w.event.id);
        assert_eq!((event["title"].clone(), event["description"].clone()), ("Indie Night".into(), "งานดนตรี".into()));
        assert_eq!(event["cover"], "https://cdn.example/cover.jpg");
        assert_eq!(event["covers"]["original"], "https://cdn.example/cover.jpg");
        assert!(event["poster"].as_str().unwrap().ends_with("/static/event.svg"));
        assert_eq!(event["status"], "active");

        let member = w.app.user_token("member@example.com", &w.first_party, "public organizer").await;
        assert_eq!(w.app.api_get(&path, &member).await.0, StatusCode::OK);

        let foreign_app = w.app.app_token(&w.other_client).await;
        let (status, body) = w.app.api_get(&path, &foreign_app).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "organizer_mismatch");
        let first_party_app = w.app.app_token(&w.first_party).await;
        assert_eq!(w.app.api_get(&path, &first_party_app).await.0, StatusCode::FORBIDDEN);
        let outsider = w.app.user_token("outsider@example.com", &w.first_party, "public organizer").await;
        let (status, body) = w.app.api_get(&path, &outsider).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "organizer_mismatch");
        let public_only = w.app.user_token("member@example.com", &w.first_party, "public").await;
        let (status, body) = w.app.api_get(&path, &public_only).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "insufficient_scope");
    }
}

backend_test! {
    async fn event_tickets_are_organizer_wide_and_filtered() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let (status, body) = w.app.api_get(&w.event_path("/tickets"), &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 3, "every buyer's tickets");
        let (_, body) = w.app.api_get(&w.event_path("/tickets?email=OUTSIDER%40"), &token).await;
        assert_eq!(body["total"], 1);
        let (_, body) = w.app.api_get(&w.event_path(&format!("/tickets?ticket_type_id={}", w.types[0].id)), &token).await;
        assert_eq!(body["total"], 2);
        let (_, body) = w.app.api_get(&w.event_path(&format!("/tickets?min_id={}", w.member_order.ticket_ids[0])), &token).await;
        assert_eq!(body["total"], 2);
        let (_, body) = w.app.api_get(&w.event_path("/tickets?status=revoked,used"), &token).await;
        assert_eq!(body["total"], 0);
        let (_, body) = w.app.api_get(&w.event_path("/tickets?updated_after=2000-01-01T00:00:00%2B07:00&order_by=reference_code"), &token).await;
        assert_eq!(body["total"], 3);

        for bad in ["status=lost", "updated_before=yesterday", "min_id=x", "order_by=paid_at"] {
            let (status, body) = w.app.api_get(&w.event_path(&format!("/tickets?{bad}")), &token).await;
            assert_eq!(error_code(status, &body, StatusCode::BAD_REQUEST), "invalid_request", "{bad}");
        }
        let other_event = format!("/api/public/organizers/{}/events/{}/tickets", w.organizer_id, w.other_event.id);
        let (status, body) = w.app.api_get(&other_event, &token).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
        let foreign = w.app.app_token(&w.other_client).await;
        let (status, body) = w.app.api_get(&w.event_path("/tickets"), &foreign).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "organizer_mismatch");
    }
}

backend_test! {
    async fn me_is_rate_limited_per_token() {
        let w = World::new().await;
        // Ten requests a minute pass, the eleventh is refused. A run that straddles a minute
        // boundary proves nothing either way, so it is repeated with a fresh token.
        for attempt in 0..3 {
            let token = w.app.user_token("member@example.com", &w.first_party, "public").await;
            let minute = chrono::Utc::now().timestamp() / 60;
            let mut statuses = Vec::new();
            for _ in 0..11 {
                statuses.push(w.app.me(&token).await);
            }
            if chrono::Utc::now().timestamp() / 60 != minute && attempt < 2 {
                continue;
            }
            let limited = statuses.pop().unwrap();
            assert!(statuses.iter().all(|r| r.status() == StatusCode::OK));
            assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
            let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry_after));
            let body: serde_json::Value = limited.json().await.unwrap();
            assert_eq!(body["success"], false);
            let other_token = w.app.user_token("member@example.com", &w.first_party, "public").await;
            assert_eq!(w.app.me(&other_token).await.status(), StatusCode::OK, "the limit is per token");
            return;
        }
    }
}

backend_test! {
    async fn unknown_api_routes_and_methods_answer_json() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let (status, body) = w.app.api_get("/api/public/nothing-here", &token).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
        let response = w.app.http.delete(w.app.url("/api/public/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["success"], false);
    }
}
