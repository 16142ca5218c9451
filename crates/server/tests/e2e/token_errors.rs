//! Every refusal of `POST /oauth/token` (RFC 6749 §5.2).

use crate::harness::*;
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use ticketbooth_domain::model::NewAuthorizationCode;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::Secret;

async fn app_with_code() -> (TestApp, TestClient, String) {
    let app = TestApp::spawn().await;
    app.create_user("token@example.com").await;
    let client = app.create_client(true, &[CALLBACK], "public").await;
    let code = app.obtain_code("token@example.com", &code_request(&client)).await;
    (app, client, code)
}

fn exchange_form<'a>(client: &'a TestClient, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("client_id", client.id()),
        ("client_secret", client.secret()),
        ("redirect_uri", CALLBACK),
        ("code", code),
    ]
}

async fn assert_error(response: reqwest::Response, status: StatusCode, error: &str) {
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (actual_status, actual_error, body) = oauth_error(response).await;
    assert_eq!((actual_status, actual_error.as_str()), (status, error), "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()));
}

backend_test! {
    async fn a_code_used_twice_fails_and_revokes_the_tokens_it_issued() {
        let (app, client, code) = app_with_code().await;
        let tokens = app.exchange(&client, &code).await;
        let access = tokens["access_token"].as_str().unwrap();
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert_eq!(app.me(access).await.status(), StatusCode::OK);

        assert_error(
            app.token(&exchange_form(&client, &code)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        assert_eq!(
            app.me(access).await.status(),
            StatusCode::UNAUTHORIZED,
            "access token revoked"
        );
        let refreshed = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("refresh_token", refresh),
            ])
            .await;
        assert_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

backend_test! {
    async fn an_expired_code_is_invalid_grant() {
        let app = TestApp::spawn().await;
        let user = app.create_user("expired@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = Secret::generate();
        let issued = Utc::now() - Duration::minutes(11);
        app.store
            .create_authorization_code(NewAuthorizationCode {
                code_hash: code.hash(),
                application_id: client.app.id,
                user_id: user.id,
                redirect_uri: CALLBACK.into(),
                redirect_uri_was_sent: true,
                scopes: ScopeSet::parse("public").unwrap(),
                code_challenge: None,
                nonce: None,
                auth_time: issued,
                created_at: issued,
                expires_at: issued + Duration::minutes(10),
                resource: None,
            })
            .await
            .unwrap();
        assert_error(
            app.token(&exchange_form(&client, code.expose())).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}

backend_test! {
    async fn an_unknown_code_is_invalid_grant() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let unknown = Secret::generate();
        assert_error(
            app.token(&exchange_form(&client, unknown.expose())).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}

backend_test! {
    async fn a_different_redirect_uri_is_invalid_grant() {
        let (app, client, code) = app_with_code().await;
        let mut form = exchange_form(&client, &code);
        form[3] = ("redirect_uri", "https://client.example/other");
        assert_error(
            app.token(&form).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
        form.remove(3);
        assert_error(
            app.token(&form).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}

backend_test! {
    async fn another_clients_code_is_invalid_grant() {
        let (app, _, code) = app_with_code().await;
        let other = app.create_client(true, &[CALLBACK], "public").await;
        assert_error(
            app.token(&exchange_form(&other, &code)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}

backend_test! {
    async fn a_wrong_secret_or_unknown_client_is_invalid_client_with_401() {
        let (app, client, code) = app_with_code().await;
        let mut form = exchange_form(&client, &code);
        form[2] = (
            "client_secret",
            "0000000000000000000000000000000000000000000000000000000000000000",
        );
        let response = app.token(&form).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"ticketbooth\""
        );
        assert_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

        form[1] = ("client_id", "unknown-client");
        assert_error(
            app.token(&form).await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;

        let basic = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(client.id(), Some("wrong"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
            ])
            .send()
            .await
            .unwrap();
        assert_error(basic, StatusCode::UNAUTHORIZED, "invalid_client").await;

        // The failed attempts did not consume the code.
        app.exchange(&client, &code).await;
    }
}

backend_test! {
    async fn a_confidential_client_without_its_secret_is_invalid_client() {
        let (app, client, code) = app_with_code().await;
        let mut form = exchange_form(&client, &code);
        form.remove(2);
        assert_error(
            app.token(&form).await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;
        assert_error(
            app.token(&[("grant_type", "client_credentials")]).await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;
    }
}

backend_test! {
    async fn two_authentication_methods_at_once_are_invalid_request() {
        let (app, client, code) = app_with_code().await;
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(client.id(), Some(client.secret()))
            .form(&exchange_form(&client, &code))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

backend_test! {
    async fn missing_or_unknown_grant_types_and_missing_codes_are_refused() {
        let (app, client, _) = app_with_code().await;
        let credentials = [
            ("client_id", client.id()),
            ("client_secret", client.secret()),
        ];
        assert_error(
            app.token(&credentials).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        let mut password = credentials.to_vec();
        password.push(("grant_type", "password"));
        assert_error(
            app.token(&password).await,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        )
        .await;
        let mut no_code = credentials.to_vec();
        no_code.push(("grant_type", "authorization_code"));
        assert_error(
            app.token(&no_code).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
    }
}

backend_test! {
    async fn a_repeated_parameter_is_invalid_request_and_leaves_the_code_usable() {
        let (app, client, code) = app_with_code().await;
        let mut form = exchange_form(&client, &code);
        form.push(("code", &code));
        assert_error(
            app.token(&form).await,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        )
        .await;
        app.exchange(&client, &code).await;
    }
}

backend_test! {
    async fn malformed_bodies_are_invalid_request_not_server_errors() {
        let app = TestApp::spawn().await;
        let cases: [(&str, &[u8]); 5] = [
            ("application/json", b"{not json"),
            ("application/json", b"[1,2]"),
            (
                "application/json",
                br#"{"grant_type": ["client_credentials"]}"#,
            ),
            ("application/x-www-form-urlencoded", b"grant_type=\xff\xfe"),
            ("text/plain", b"grant_type=client_credentials"),
        ];
        for (content_type, body) in cases {
            let response = app
                .http
                .post(app.url("/oauth/token"))
                .header("content-type", content_type)
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{content_type} {body:?}"
            );
            let json: serde_json::Value = response.json().await.unwrap();
            assert_eq!(json["error"], "invalid_request");
        }
    }
}

backend_test! {
    async fn pkce_verifier_rules_at_the_token_endpoint() {
        let app = TestApp::spawn().await;
        app.create_user("verifier@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;

        // A challenge was sent: the verifier is required.
        let mut params = code_request(&client);
        params.extend([
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        let code = app.obtain_code("verifier@example.com", &params).await;
        assert_error(
            app.token(&exchange_form(&client, &code)).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;

        // No challenge was sent: a verifier is a downgrade attempt and is refused.
        let code = app
            .obtain_code("verifier@example.com", &code_request(&client))
            .await;
        let mut form = exchange_form(&client, &code);
        form.push(("code_verifier", VERIFIER));
        assert_error(
            app.token(&form).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        )
        .await;
    }
}

backend_test! {
    async fn refresh_errors() {
        let (app, client, code) = app_with_code().await;
        let tokens = app.exchange(&client, &code).await;
        let refresh = tokens["refresh_token"].as_str().unwrap();

        let other = app.create_client(true, &[CALLBACK], "public").await;
        let foreign = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", other.id()),
                ("client_secret", other.secret()),
                ("refresh_token", refresh),
            ])
            .await;
        assert_error(foreign, StatusCode::BAD_REQUEST, "invalid_grant").await;

        let wider = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("refresh_token", refresh),
                ("scope", "public organizer"),
            ])
            .await;
        assert_error(wider, StatusCode::BAD_REQUEST, "invalid_scope").await;

        // A scope of only spaces is malformed (RFC 6749 §3.3), not a request for no scopes.
        for blank in [" ", "  "] {
            let blank_scope = app
                .token(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", client.id()),
                    ("client_secret", client.secret()),
                    ("refresh_token", refresh),
                    ("scope", blank),
                ])
                .await;
            assert_error(blank_scope, StatusCode::BAD_REQUEST, "invalid_scope").await;
        }

        let missing = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
            ])
            .await;
        assert_error(missing, StatusCode::BAD_REQUEST, "invalid_request").await;

        let garbage = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("refresh_token", "garbage"),
            ])
            .await;
        assert_error(garbage, StatusCode::BAD_REQUEST, "invalid_grant").await;

        // None of the refused attempts used the refresh token up.
        let ok = app
            .token(&[
                ("grant_type", "refresh_token"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("refresh_token", refresh),
            ])
            .await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
}
