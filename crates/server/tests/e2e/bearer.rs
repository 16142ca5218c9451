//! Bearer tokens on the resource API (RFC 6750) and `/api/public/info`.

use crate::harness::*;
use reqwest::StatusCode;

async fn user_token(app: &TestApp, scope: &str) -> String {
    app.create_user("bearer@example.com").await;
    let client = app.create_client(true, &[CALLBACK], "public organizer").await;
    let mut params = code_request(&client);
    params.push(("scope", scope));
    let code = app.obtain_code("bearer@example.com", &params).await;
    app.exchange(&client, &code).await["access_token"].as_str().unwrap().to_owned()
}

async fn assert_invalid_token(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer realm=\"ticketbooth\", error=\"invalid_token\""), "{challenge}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "invalid_token");
    assert!(body["error_description"].is_string());
}

backend_test! {
    async fn a_missing_token_is_401_with_a_bearer_challenge() {
        let app = TestApp::spawn().await;
        assert_invalid_token(
            app.http
                .get(app.url("/api/public/me"))
                .send()
                .await
                .unwrap(),
        )
        .await;
    }
}

backend_test! {
    async fn unknown_and_malformed_tokens_are_401() {
        let app = TestApp::spawn().await;
        for token in ["0".repeat(64), "not-a-token".into(), "A".repeat(64)] {
            assert_invalid_token(app.me(&token).await).await;
        }
        let basic = app
            .http
            .get(app.url("/api/public/me"))
            .basic_auth("a", Some("b"))
            .send()
            .await
            .unwrap();
        assert_invalid_token(basic).await;
    }
}

backend_test! {
    async fn a_header_that_is_not_visible_ascii_is_invalid_request() {
        let app = TestApp::spawn().await;
        let header = reqwest::header::HeaderValue::from_bytes("Bearer é".as_bytes()).unwrap();
        let response = app
            .http
            .get(app.url("/api/public/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_request\""));
    }
}

backend_test! {
    async fn a_token_sent_two_ways_is_invalid_request() {
        let app = TestApp::spawn().await;
        let token = user_token(&app, "public").await;
        let response = app
            .http
            .get(app.url(&format!("/api/public/me?access_token={token}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
}

backend_test! {
    async fn a_token_without_public_scope_is_403_insufficient_scope() {
        let app = TestApp::spawn().await;
        let token = user_token(&app, "organizer").await;
        let response = app.me(&token).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains("error=\"insufficient_scope\"")
                && challenge.contains("scope=\"public\""),
            "{challenge}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "insufficient_scope");
    }
}

backend_test! {
    async fn info_needs_no_token() {
        let app = TestApp::spawn().await;
        let response = app
            .http
            .get(app.url("/api/public/info"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["name"], "Ticketbooth");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    }
}
