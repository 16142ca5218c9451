//! Ticket management (#7–#9): idempotent creation in every body format, its concurrent race,
//! quota and reference-code conflicts, invalidation and search.

use crate::api_world::*;
use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;

fn new_ticket(w: &World, external_id: &str) -> serde_json::Value {
    json!({
        "ticket_type_id": w.types[1].id,
        "firstname": "Nok",
        "lastname": "Chai",
        "email": "nok@partner.example",
        "phone": "0822222222",
        "external_id": external_id,
    })
}

backend_test! {
    async fn creating_a_ticket_is_idempotent_on_external_id() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let (status, body) = w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w, "partner-1")).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!((body["success"].clone(), body["idempotent"].clone()), (true.into(), false.into()));
        let ticket = &body["ticket"];
        assert_eq!((ticket["kind"].clone(), ticket["external_id"].clone()), ("external".into(), "partner-1".into()));
        assert_eq!(ticket["event_id"], w.event.id);
        assert_eq!(ticket["order_id"], serde_json::Value::Null);
        let code = ticket["reference_code"].as_str().unwrap();
        assert!(code.len() == 8 && code.bytes().all(|b| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789".contains(&b)), "{code}");

        let (status, replay) = w.app.api_post(&w.event_path("/tickets"), &token, new_ticket(&w, "partner-1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(replay["idempotent"], true);
        assert_eq!(replay["ticket"]["id"], ticket["id"]);

        // A member with the organizer scope may create too; urlencoded and multipart bodies work.
        let member = w.app.user_token("member@example.com", &w.first_party, "public organizer").await;
        let form = [
            ("ticket_type_id", w.types[0].id.to_string()),
            ("firstname", "Form".into()),
            ("lastname", "Body".into()),
            ("email", "form@example.com".into()),
            ("phone", "0800000000".into()),
            ("reference_code", "FORM-001".into()),
            ("suppress_notifications", "true".into()),
        ];
        let response = w.app.http.post(w.app.url(&w.event_path("/tickets"))).bearer_auth(&member).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["ticket"]["reference_code"], "FORM-001");
        let mut multipart = reqwest::multipart::Form::new();
        for (name, value) in [("ticket_type_id", w.types[0].id.to_string()), ("firstname", "Multi".into()), ("lastname", "Part".into()), ("email", "m@example.com".into()), ("phone", "0".into()), ("external_id", "mp-1".into())] {
            multipart = multipart.text(name, value);
        }
        let response = w.app.http.post(w.app.url(&w.event_path("/tickets"))).bearer_auth(&token).multipart(multipart).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["ticket"]["external_id"], "mp-1");
    }
}

backend_test! {
    async fn twenty_parallel_creates_with_one_external_id_make_one_ticket() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let requests: Vec<_> = (0..20)
            .map(|_| {
                let request = w.app.http.post(w.app.url(&w.event_path("/tickets"))).bearer_auth(&token).json(&new_ticket(&w, "race"));
                tokio::spawn(async move {
                    let response = request.send().await.unwrap();
                    let status = response.status();
                    (status, response.json::<serde_json::Value>().await.unwrap()["ticket"]["id"].as_i64().unwrap())
                })
            })
            .collect();
        let mut results = Vec::new();
        for request in requests {
            results.push(request.await.unwrap());
        }
        assert_eq!(results.iter().filter(|(status, _)| *status == StatusCode::CREATED).count(), 1);
        assert!(results.iter().all(|(status, _)| *status == StatusCode::CREATED || *status == StatusCode::OK));
        assert!(results.iter().all(|(_, id)| *id == results[0].1), "one ticket id for all");
        let (_, list) = w.app.api_get(&w.event_path("/tickets?ticket_type_id=") .replace("ticket_type_id=", &format!("ticket_type_id={}", w.types[1].id)), &token).await;
        assert_eq!(list["total"], 2, "the outsider's student ticket and the one external ticket");
    }
}

backend_test! {
    async fn creation_errors_have_their_documented_statuses() {
        let w = World::with_quota(2).await;
        let token = w.app.app_token(&w.client).await;
        let path = w.event_path("/tickets");
        let mut taken = new_ticket(&w, "first");
        taken["reference_code"] = "TAKEN-1".into();
        assert_eq!(w.app.api_post(&path, &token, taken).await.0, StatusCode::CREATED);

        let mut duplicate = new_ticket(&w, "second");
        duplicate["reference_code"] = "TAKEN-1".into();
        let (status, body) = w.app.api_post(&path, &token, duplicate).await;
        assert_eq!(error_code(status, &body, StatusCode::CONFLICT), "duplicate_reference_code");

        // The refused duplicate used no quota: one more ticket fits, then the quota is used up.
        assert_eq!(w.app.api_post(&path, &token, new_ticket(&w, "third")).await.0, StatusCode::CREATED);
        let (status, body) = w.app.api_post(&path, &token, new_ticket(&w, "fourth")).await;
        assert_eq!(error_code(status, &body, StatusCode::UNPROCESSABLE_ENTITY), "quota_exceeded");

        let mut foreign_type = new_ticket(&w, "fourth");
        foreign_type["ticket_type_id"] = w.other_types[0].id.into();
        let (status, body) = w.app.api_post(&path, &token, foreign_type).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");

        for field in ["ticket_type_id", "firstname", "lastname", "email", "phone"] {
            let mut missing = new_ticket(&w, "fifth");
            missing.as_object_mut().unwrap().remove(field);
            let (status, body) = w.app.api_post(&path, &token, missing).await;
            assert_eq!(error_code(status, &body, StatusCode::BAD_REQUEST), "invalid_request", "{field}");
        }
        let mut bad = new_ticket(&w, "sixth");
        bad["ticket_type_id"] = "seven".into();
        assert_eq!(w.app.api_post(&path, &token, bad).await.0, StatusCode::BAD_REQUEST);
        let (status, _) = w.app.api_post(&path, &token, json!(["not", "an", "object"])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let foreign = w.app.app_token(&w.other_client).await;
        let (status, body) = w.app.api_post(&path, &foreign, new_ticket(&w, "x")).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "organizer_mismatch");
        let public_user = w.app.user_token("member@example.com", &w.first_party, "public").await;
        let (status, body) = w.app.api_post(&path, &public_user, new_ticket(&w, "x")).await;
        assert_eq!(error_code(status, &body, StatusCode::FORBIDDEN), "insufficient_scope");
        let (status, body) = w.app.api_post(&path.replace(&w.event.id.to_string(), "99999"), &token, new_ticket(&w, "x")).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
    }
}

backend_test! {
    async fn invalidation_revokes_by_id_or_reference_once() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let path = w.event_path("/tickets/invalidate");
        let first = w.member_order.ticket_ids[0];
        let (status, body) = w.app.api_post(&path, &token, json!({ "ticket_id": first, "reason": "Refunded" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["success"].clone(), body["idempotent"].clone()), (true.into(), false.into()));
        assert_eq!((body["ticket"]["status"].clone(), body["ticket"]["revoke_note"].clone()), ("revoked".into(), "Refunded".into()));

        let (status, body) = w.app.api_post(&path, &token, json!({ "ticket_id": first })).await;
        assert_eq!(error_code(status, &body, StatusCode::UNPROCESSABLE_ENTITY), "already_revoked");

        let (_, list) = w.app.api_get(&w.event_path("/tickets?status=active"), &token).await;
        let code = list["tickets"][0]["reference_code"].as_str().unwrap().to_owned();
        let (status, body) = w.app.api_post(&path, &token, json!({ "reference_code": code })).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let (status, body) = w.app.api_post(&path, &token, json!({})).await;
        assert_eq!(error_code(status, &body, StatusCode::BAD_REQUEST), "invalid_request");
        let (status, body) = w.app.api_post(&path, &token, json!({ "ticket_id": 987654 })).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
        let (status, body) = w.app.api_post(&path, &token, json!({ "reference_code": "NOPE" })).await;
        assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
        let other_event_ticket = format!("/api/public/organizers/{}/events/{}/tickets/invalidate", w.organizer_id, w.other_event.id);
        let (status, _) = w.app.api_post(&other_event_ticket, &token, json!({ "ticket_id": first })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

backend_test! {
    async fn search_finds_a_ticket_for_its_organizer_only() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let (_, list) = w.app.api_get(&w.event_path("/tickets"), &token).await;
        let ticket = list["tickets"][0].clone();
        let code = ticket["reference_code"].as_str().unwrap();
        let path = format!("/api/public/tickets/search?event_id={}&reference_code={code}", w.event.id);
        let (status, body) = w.app.api_get(&path, &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, ticket, "a bare ticket object");

        let member = w.app.user_token("member@example.com", &w.first_party, "public organizer").await;
        assert_eq!(w.app.api_get(&path, &member).await.0, StatusCode::OK);
        for denied in [w.app.app_token(&w.other_client).await, w.app.app_token(&w.first_party).await] {
            let (status, body) = w.app.api_get(&path, &denied).await;
            assert_eq!(error_code(status, &body, StatusCode::NOT_FOUND), "not_found");
        }
        let outsider = w.app.user_token("outsider@example.com", &w.first_party, "public organizer").await;
        assert_eq!(w.app.api_get(&path, &outsider).await.0, StatusCode::NOT_FOUND);
        for missing in [
            format!("/api/public/tickets/search?event_id={}&reference_code=NOPE", w.event.id),
            format!("/api/public/tickets/search?event_id=abc&reference_code={code}"),
            format!("/api/public/tickets/search?event_id=99999&reference_code={code}"),
        ] {
            assert_eq!(w.app.api_get(&missing, &token).await.0, StatusCode::NOT_FOUND, "{missing}");
        }
        let (status, body) = w.app.api_get("/api/public/tickets/search?reference_code=X", &token).await;
        assert_eq!(error_code(status, &body, StatusCode::BAD_REQUEST), "invalid_request");
    }
}

backend_test! {
    async fn malformed_input_never_causes_a_server_error() {
        let w = World::new().await;
        let token = w.app.app_token(&w.client).await;
        let hostile = ["", "%00", "%FF%FE", "'; DROP TABLE tickets; --", "9223372036854775808", "-1", "1e3", "{\"a\":", "🎟️"];
        for value in hostile {
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            for path in [
                format!("/api/public/organizers/{encoded}/events"),
                format!("/api/public/organizers/{}/events/{encoded}/tickets", w.organizer_id),
                w.event_path(&format!("/tickets?q={encoded}&page={encoded}&email={encoded}&updated_after={encoded}&max_id={encoded}")),
                format!("/api/public/tickets/search?event_id={encoded}&reference_code={encoded}"),
                format!("/api/public/organizers/{}/tickets?q={encoded}&per_page={encoded}", w.organizer_id),
            ] {
                let (status, _) = w.app.api_get(&path, &token).await;
                assert!(status.is_client_error() || status.is_success(), "{path}: {status}");
            }
            let body = json!({ "ticket_type_id": value, "firstname": value, "lastname": value, "email": value, "phone": value, "external_id": value, "reference_code": value });
            let (status, _) = w.app.api_post(&w.event_path("/tickets"), &token, body).await;
            assert!(status.is_client_error() || status.is_success(), "create {value:?}: {status}");
            let (status, _) = w.app.api_post(&w.event_path("/tickets/invalidate"), &token, json!({ "ticket_id": value, "reference_code": value })).await;
            assert!(status.is_client_error() || status.is_success(), "invalidate {value:?}: {status}");
        }
    }
}
