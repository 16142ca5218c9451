//! The served OpenAPI document: valid 3.1, complete, and every operation it lists is routed.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

/// Every route Ticketbooth serves (contract §2–§5 plus pages and operations).
const ROUTES: [(&str, &str); 33] = [
    ("get", "/"),
    ("get", "/.well-known/oauth-authorization-server"),
    ("get", "/.well-known/openid-configuration"),
    ("get", "/account"),
    ("post", "/account/applications/{application_id}/revoke"),
    ("get", "/api/public/info"),
    ("get", "/api/public/me"),
    ("post", "/api/public/me"),
    ("get", "/api/public/openapi.json"),
    ("get", "/api/public/organizers/{organizer_id}/events"),
    ("get", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets"),
    ("post", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets"),
    ("post", "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/invalidate"),
    ("get", "/api/public/organizers/{organizer_id}/orders"),
    ("get", "/api/public/organizers/{organizer_id}/tickets"),
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
