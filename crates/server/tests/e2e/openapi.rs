//! The served OpenAPI document: valid 3.1, complete, and every operation it lists is routed.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every route Ticketbooth serves (contract §2–§5 plus pages and operations).
const ROUTES: [(&str, &str); 95] = [
    ("get", "/"),
    ("get", "/.well-known/oauth-authorization-server"),
    ("get", "/.well-known/openid-configuration"),
    ("get", "/.well-known/oauth-protected-resource"),
    ("get", "/.well-known/oauth-protected-resource/api/public"),
    ("post", "/oauth/register"),
    ("get", "/oauth/register/{client_id}"),
    ("put", "/oauth/register/{client_id}"),
    ("delete", "/oauth/register/{client_id}"),
    ("get", "/account"),
    ("get", "/account/applications"),
    ("post", "/account/applications/{application_id}/revoke"),
    ("post", "/account/email"),
    ("get", "/account/new"),
    ("post", "/account/new"),
    ("post", "/account/password"),
    ("post", "/account/profile"),
    ("get", "/account/sessions"),
    ("post", "/account/sessions/end-others"),
    ("get", "/developers"),
    ("get", "/developers/new"),
    ("post", "/developers/new"),
    ("get", "/developers/applications/{application_id}"),
    ("post", "/developers/applications/{application_id}"),
    ("post", "/developers/requests/{request_id}/withdraw"),
    ("get", "/admin"),
    ("get", "/admin/requests/{request_id}"),
    ("post", "/admin/requests/{request_id}"),
    ("get", "/admin/applications"),
    ("get", "/admin/applications/{application_id}"),
    ("post", "/admin/applications/{application_id}"),
    ("get", "/admin/users"),
    ("get", "/admin/users/{user_id}"),
    ("post", "/admin/users/{user_id}"),
    ("get", "/admin/organizers"),
    ("post", "/admin/organizers"),
    ("get", "/admin/audit"),
    ("post", "/account/sessions/{handle}/end"),
    ("get", "/account/tickets"),
    ("get", "/account/verify/change/{secret}"),
    ("post", "/account/verify/resend"),
    ("get", "/account/verify/{secret}"),
    ("get", "/language/{language}"),
    ("get", "/password/forgot"),
    ("post", "/password/forgot"),
    ("get", "/password/reset/{secret}"),
    ("post", "/password/reset/{secret}"),
    ("get", "/api/public/info"),
    ("get", "/api/public/me"),
    ("post", "/api/public/me"),
    ("get", "/api/public/openapi.json"),
    ("get", "/api/public/organizers/{organizer_id}/events"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/check_in_keys"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins"),
    ("post", "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/revoked_tickets"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/{ticket_id}/secret"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets"),
    ("post", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets"),
    ("post", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/invalidate"),
    ("get", "/api/public/organizers/{organizer_id}/orders"),
    ("get", "/api/public/organizers/{organizer_id}/tickets"),
    ("get", "/api/public/organizers/{organizer_id}/webhooks"),
    ("post", "/api/public/organizers/{organizer_id}/webhooks"),
    ("delete", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}"),
    ("get", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}"),
    ("patch", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}"),
    ("get", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries"),
    ("post", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
    ("post", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/rotate_secret"),
    ("post", "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/test"),
    ("get", "/api/public/tickets/search"),
    ("get", "/demo/callback"),
    ("get", "/docs/api"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/oauth/authorize"),
    ("get", "/oauth/discovery/keys"),
    ("post", "/oauth/introspect"),
    ("post", "/oauth/revoke"),
    ("get", "/oauth/token/info"),
    ("get", "/oauth/userinfo"),
    ("post", "/oauth/userinfo"),
    ("post", "/oauth/authorize"),
    ("post", "/oauth/token"),
    ("post", "/oauth/device_authorization"),
    ("post", "/oauth/par"),
    ("get", "/oauth/logout"),
    ("post", "/oauth/logout"),
    ("get", "/device"),
    ("post", "/device"),
    ("get", "/readyz"),
    ("post", "/session/delete"),
    ("get", "/session/new"),
    ("post", "/session/new"),
];

/// Every `$ref` in the document, recursively.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn document(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/api/public/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

backend_test! {
    async fn the_document_is_valid_openapi_3_1_and_lists_every_route() {
        let app = TestApp::spawn().await;
        let doc = document(&app).await;
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "Ticketbooth API");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            assert!(path.starts_with('/'), "{path}");
            for (method, operation) in item.as_object().unwrap() {
                assert!(["get", "post", "put", "patch", "delete"].contains(&method.as_str()), "{method} {path}");
                let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: responses"));
                assert!(!responses.is_empty(), "{method} {path}");
                assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: summary");
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    assert!(["path", "query", "header"].contains(&parameter["in"].as_str().unwrap()), "{parameter}");
                    if parameter["in"] == "path" {
                        assert!(path.contains(&format!("{{{}}}", parameter["name"].as_str().unwrap())), "{path}: {parameter}");
                    }
                }
                for requirement in operation["security"].as_array().into_iter().flatten() {
                    for scheme in requirement.as_object().unwrap().keys() {
                        assert!(doc["components"]["securitySchemes"][scheme].is_object(), "{scheme}");
                    }
                }
                documented.insert((method.clone(), path.clone()));
            }
        }
        let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        let static_route = ("get".to_owned(), "/static/{file}".to_owned());
        assert!(documented.remove(&static_route));
        assert_eq!(documented, expected);

        let mut references = Vec::new();
        refs(&doc, &mut references);
        assert!(!references.is_empty());
        for reference in references {
            let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{reference}"));
            assert!(doc["components"]["schemas"][name].is_object(), "{reference} resolves");
        }
    }
}

backend_test! {
    async fn every_documented_operation_is_routed() {
        // With a metrics token, so /metrics is served (401 without the token, not the fallback).
        let app = TestApp::spawn_with(|config| config.metrics_token = Some("metrics-token".into())).await;
        let doc = document(&app).await;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let concrete = path.replace("{file}", "style.css").replace("{organizer_id}", "1").replace("{event_id}", "1");
            for method in item.as_object().unwrap().keys() {
                let request = match method.as_str() {
                    "get" => app.http.get(app.url(&concrete)),
                    "post" => app.http.post(app.url(&concrete)).form(&[("x", "y")]),
                    "patch" => app.http.patch(app.url(&concrete)).form(&[("x", "y")]),
                    "put" => app.http.put(app.url(&concrete)).form(&[("x", "y")]),
                    "delete" => app.http.delete(app.url(&concrete)),
                    other => panic!("unexpected method {other}"),
                };
                let response = request.send().await.unwrap();
                let status = response.status();
                let body = response.text().await.unwrap();
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert!(!body.contains("No route matches this path"), "{method} {path} fell through to the fallback");
                assert!(status.as_u16() < 500, "{method} {path}: {status}");
            }
        }
        let fallback = app.http.get(app.url("/api/public/not-a-route")).send().await.unwrap();
        assert!(fallback.text().await.unwrap().contains("No route matches this path"), "the fallback check can fail");
    }
}

backend_test! {
    async fn the_reference_page_shows_every_operation() {
        let app = TestApp::spawn().await;
        let response = app.http.get(app.url("/docs/api")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        for (method, path) in ROUTES {
            assert!(html.contains(&format!("<code>{path}</code>")), "{path}");
            assert!(html.contains(&method.to_uppercase()), "{method}");
        }
        assert!(html.contains("Ticket management") && html.contains("idempotent"));
    }
}

backend_test! {
    async fn operation_ids_are_unique_and_descriptive_and_bodies_have_one_media_type() {
        let app = TestApp::spawn().await;
        let doc = document(&app).await;
        let mut ids = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no id"));
                assert!(id.contains('_'), "{method} {path}: `{id}` is a bare verb");
                assert!(ids.insert(id.to_owned()), "{method} {path}: `{id}` is used twice");
                if let Some(content) = operation["requestBody"]["content"].as_object() {
                    assert_eq!(content.len(), 1, "{method} {path}: one media type per body");
                }
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    assert_ne!(parameter["name"], "access_token", "{method} {path}: the token has one documented place");
                }
            }
        }
        assert!(ids.len() >= ROUTES.len(), "{ids:?}");
    }
}

backend_test! {
    async fn every_documented_list_parameter_value_is_accepted_and_values_outside_refused() {
        let w = crate::api_world::World::new().await;
        let token = w.app.app_token(&w.client).await;
        let doc = document(&w.app).await;
        let path = "/api/public/organizers/{organizer_id}/events/{event_id}/tickets";
        let parameters = doc["paths"][path]["get"]["parameters"].as_array().unwrap().clone();
        let schema = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
        let get = |query: Vec<(&'static str, String)>| {
            let request = w.app.http.get(w.app.url(&w.event_path("/tickets"))).query(&query).bearer_auth(&token);
            async move { request.send().await.unwrap().status() }
        };
        for value in schema("order_by")["enum"].as_array().unwrap() {
            assert_eq!(get(vec![("order_by", value.as_str().unwrap().to_owned())]).await, StatusCode::OK, "{value}");
        }
        assert_eq!(get(vec![("order_by", "title".into())]).await, StatusCode::BAD_REQUEST);
        for value in schema("order")["enum"].as_array().unwrap() {
            assert_eq!(get(vec![("order", value.as_str().unwrap().to_owned())]).await, StatusCode::OK, "{value}");
        }
        for name in ["page", "per_page"] {
            let (minimum, maximum) = (schema(name)["minimum"].as_i64().unwrap(), schema(name)["maximum"].as_i64().unwrap());
            assert_eq!(get(vec![(name, minimum.to_string())]).await, StatusCode::OK, "{name}={minimum}");
            assert_eq!(get(vec![(name, maximum.to_string())]).await, StatusCode::OK, "{name}={maximum}");
            assert_eq!(get(vec![(name, (minimum - 1).to_string())]).await, StatusCode::BAD_REQUEST, "{name} below");
            assert_eq!(get(vec![(name, (maximum + 1).to_string())]).await, StatusCode::BAD_REQUEST, "{name} above");
            assert_eq!(get(vec![(name, String::new())]).await, StatusCode::BAD_REQUEST, "{name} empty");
        }
        let q = &parameters.iter().find(|p| p["name"] == "q").unwrap()["content"]["application/json"]["schema"];
        assert_eq!(q["additionalProperties"], false, "{q}");
        assert_eq!(get(vec![("q", "{}".into())]).await, StatusCode::OK);
        assert_eq!(get(vec![("q", r#"{"event_id": 1}"#.into())]).await, StatusCode::BAD_REQUEST, "not a key of this list");
    }
}

backend_test! {
    async fn ticket_bodies_are_read_by_their_documented_types() {
        let w = crate::api_world::World::new().await;
        let token = w.app.app_token(&w.client).await;
        let (tickets, invalidations) = (w.event_path("/tickets"), w.event_path("/tickets/invalidate"));
        let create = |body: Value| w.app.api_post(&tickets, &token, body);
        let ticket = |ticket_type_id: Value| {
            serde_json::json!({"ticket_type_id": ticket_type_id, "firstname": "Nok", "lastname": "Chai",
                               "email": "nok@example.com", "phone": "0812345678", "external_id": null})
        };
        // JSON Schema's integer admits 7.0; a string, a fraction or an empty name do not pass.
        let id = w.types[0].id;
        assert_eq!(create(ticket(serde_json::json!(id as f64))).await.0, StatusCode::CREATED);
        assert_eq!(create(ticket(serde_json::json!(id.to_string()))).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(create(ticket(serde_json::json!(id as f64 + 0.5))).await.0, StatusCode::BAD_REQUEST);
        let mut unnamed = ticket(serde_json::json!(id));
        unnamed["firstname"] = "".into();
        assert_eq!(create(unnamed).await.0, StatusCode::BAD_REQUEST);
        let mut numeric = ticket(serde_json::json!(id));
        numeric["phone"] = 812345678.into();
        assert_eq!(create(numeric).await.0, StatusCode::BAD_REQUEST, "a number is not a string");

        let invalidate = |body: Value| w.app.api_post(&invalidations, &token, body);
        let (status, body) = invalidate(serde_json::json!({"ticket_id": null})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = invalidate(serde_json::json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // Form bodies are read into the same types.
        let form = w
            .app
            .http
            .post(w.app.url(&w.event_path("/tickets/invalidate")))
            .bearer_auth(&token)
            .form(&[("ticket_id", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), StatusCode::BAD_REQUEST);
    }
}
