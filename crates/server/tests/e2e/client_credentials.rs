//! The App Authentication Flow (client credentials).

use crate::harness::*;
use reqwest::StatusCode;

backend_test! {
    async fn a_confidential_client_gets_an_application_token_without_refresh_token() {
        let app = TestApp::spawn().await;
        let client = app
            .create_client(true, &[CALLBACK], "public organizer")
            .await;
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(client.id(), Some(client.secret()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: serde_json::Value = response.json().await.unwrap();
        let keys: std::collections::BTreeSet<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "access_token",
                "created_at",
                "expires_in",
                "scope",
                "token_type"
            ]
            .into_iter()
            .collect()
        );
        assert_eq!(body["scope"], "public");
        assert_eq!(body["expires_in"], 7200);
        assert_eq!(body["access_token"].as_str().unwrap().len(), 64);

        // Body credentials work too, and each request mints a fresh token.
        let again = app
            .token(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ])
            .await;
        let again: serde_json::Value = again.json().await.unwrap();
        assert_ne!(again["access_token"], body["access_token"]);
    }
}

backend_test! {
    async fn an_application_token_cannot_read_a_users_profile() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let body: serde_json::Value = app
            .token(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ])
            .await
            .json()
            .await
            .unwrap();
        let response = app.me(body["access_token"].as_str().unwrap()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{challenge}"
        );
    }
}

backend_test! {
    async fn a_public_client_cannot_use_client_credentials() {
        let app = TestApp::spawn().await;
        let client = app.create_client(false, &[CALLBACK], "public").await;
        let (status, error, _) = oauth_error(
            app.token(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id()),
            ])
            .await,
        )
        .await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "unauthorized_client")
        );
    }
}

backend_test! {
    async fn a_scope_beyond_the_registration_is_invalid_scope() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let (status, error, _) = oauth_error(
            app.token(&[
                ("grant_type", "client_credentials"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("scope", "organizer"),
            ])
            .await,
        )
        .await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_scope")
        );
    }
}
