//! Pushed authorization requests (RFC 9126) and the `oauth2.1` profile, end to end.

use crate::harness::*;
use reqwest::StatusCode;
use ticketbooth_server::Profile;

async fn push(app: &TestApp, client: &TestClient, params: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/par"))
        .basic_auth(client.id(), client.secret.as_deref())
        .form(params)
        .send()
        .await
        .unwrap()
}

fn pkce_request(client: &TestClient) -> Vec<(&str, &str)> {
    let mut params = code_request(client);
    params.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("scope", "public")]);
    params
}

async fn pushed_uri(app: &TestApp, client: &TestClient, params: &[(&str, &str)]) -> String {
    let response = push(app, client, params).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    body["request_uri"].as_str().unwrap().to_owned()
}

backend_test! {
    async fn a_pushed_request_is_opened_by_its_uri_alone_and_spent_by_the_decision() {
        let app = TestApp::spawn().await;
        app.create_user("par@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let request_uri = pushed_uri(&app, &client, &pkce_request(&client)).await;
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"), "{request_uri}");

        // Signed out: to sign-in and back, carrying only client_id and request_uri. A front-channel
        // parameter beside them is ignored: the pushed request stands.
        let front = [("client_id", client.id()), ("request_uri", request_uri.as_str()), ("state", "forged")];
        let first = app.browser.authorize(&front).await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        app.browser.sign_in("par@example.com", PASSWORD).await;
        let approved = app.browser.consent(&front, "approve").await;
        assert_eq!(approved.status(), StatusCode::FOUND);
        let query = location_query(&approved);
        assert_eq!(query["state"], "xyz-123", "the pushed state, not the front channel's");
        let redeemed = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("redirect_uri", CALLBACK),
                ("code", &query["code"]),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(redeemed.status(), StatusCode::OK, "the pushed PKCE challenge holds");

        // Spent: the same request_uri cannot be used again.
        assert_eq!(app.browser.authorize(&front).await.status(), StatusCode::BAD_REQUEST);
        // Nor opened by another client.
        let other = app.create_client(true, &[CALLBACK], "public").await;
        let fresh = pushed_uri(&app, &client, &pkce_request(&client)).await;
        let foreign = app.browser.authorize(&[("client_id", other.id()), ("request_uri", fresh.as_str())]).await;
        assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
        let unknown = app.browser.authorize(&[("client_id", client.id()), ("request_uri", "urn:x")]).await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    }
}

backend_test! {
    async fn pushed_requests_are_checked_at_once_and_prompt_login_does_not_loop() {
        let app = TestApp::spawn().await;
        app.create_user("par@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let mut bad = pkce_request(&client);
        bad.retain(|(name, _)| *name != "redirect_uri");
        bad.push(("redirect_uri", "https://evil.example/cb"));
        assert_eq!(oauth_error(push(&app, &client, &bad).await).await.1, "invalid_request");
        let mut wide = pkce_request(&client);
        wide.retain(|(name, _)| *name != "scope");
        wide.push(("scope", "organizer"));
        assert_eq!(oauth_error(push(&app, &client, &wide).await).await.1, "invalid_scope");
        let unauthenticated = app.http.post(app.url("/oauth/par")).form(&pkce_request(&client)).send().await.unwrap();
        let (status, error, _) = oauth_error(unauthenticated).await;
        assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));

        // prompt=login inside the pushed request: one sign-in meets it, then the consent page.
        app.browser.sign_in("par@example.com", PASSWORD).await;
        let mut login = pkce_request(&client);
        login.push(("prompt", "login"));
        let request_uri = pushed_uri(&app, &client, &login).await;
        let front = [("client_id", client.id()), ("request_uri", request_uri.as_str())];
        let again = app.browser.authorize(&front).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER, "an older sign-in is not enough");
        // Stored times are whole seconds: a person takes longer than this to sign in.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        app.browser.sign_in("par@example.com", PASSWORD).await;
        assert_eq!(app.browser.authorize(&front).await.status(), StatusCode::OK, "no second sign-in");
    }
}

backend_test! {
    async fn an_application_that_requires_par_refuses_plain_requests() {
        let app = TestApp::spawn().await;
        app.create_user("par@example.com").await;
        let options = ClientOptions { require_par: true, ..ClientOptions::default() };
        let client = app.create_client_with_options(true, &[CALLBACK], "public", options).await;
        app.browser.sign_in("par@example.com", PASSWORD).await;
        let plain = app.browser.authorize(&pkce_request(&client)).await;
        assert_eq!(plain.status(), StatusCode::FOUND);
        assert_eq!(location_query(&plain)["error"], "invalid_request");
        let request_uri = pushed_uri(&app, &client, &pkce_request(&client)).await;
        let pushed = app.browser.authorize(&[("client_id", client.id()), ("request_uri", request_uri.as_str())]).await;
        assert_eq!(pushed.status(), StatusCode::OK, "the consent page");
    }
}

backend_test! {
    async fn the_oauth21_profile_takes_tokens_in_the_header_only_and_requires_pkce() {
        let app = TestApp::spawn_with(|config| config.profile = Profile::OAuth21).await;
        app.create_user("strict@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let token = app.app_token(&client).await;
        let in_header = app.http.get(app.url("/api/public/me")).bearer_auth(&token).send().await.unwrap();
        assert_ne!(in_header.status(), StatusCode::BAD_REQUEST);
        let in_query = app.http.get(app.url(&format!("/api/public/me?access_token={token}"))).send().await.unwrap();
        assert_eq!(in_query.status(), StatusCode::BAD_REQUEST);
        let in_body = app.http.post(app.url("/api/public/me")).form(&[("access_token", &token)]).send().await.unwrap();
        assert_eq!(in_body.status(), StatusCode::BAD_REQUEST);

        // A confidential client without PKCE is refused at both doors; with PKCE it goes on.
        app.browser.sign_in("strict@example.com", PASSWORD).await;
        let without = app.browser.authorize(&code_request(&client)).await;
        assert_eq!(location_query(&without)["error"], "invalid_request");
        assert_eq!(oauth_error(push(&app, &client, &code_request(&client)).await).await.1, "invalid_request");
        assert_eq!(app.browser.authorize(&pkce_request(&client)).await.status(), StatusCode::OK);

        let metadata: serde_json::Value =
            app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["pkce_required"], true);
        assert_eq!(metadata["bearer_methods_supported"], serde_json::json!(["header"]));
    }
}

backend_test! {
    async fn the_default_profile_keeps_eventpop_compatibility_and_advertises_the_new_endpoints() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let token = app.app_token(&client).await;
        let in_query = app.http.get(app.url(&format!("/api/public/me?access_token={token}"))).send().await.unwrap();
        assert_ne!(in_query.status(), StatusCode::BAD_REQUEST);
        assert_ne!(in_query.status(), StatusCode::UNAUTHORIZED);
        let metadata: serde_json::Value =
            app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["pkce_required"], false);
        assert_eq!(metadata["pushed_authorization_request_endpoint"], app.url("/oauth/par"));
        assert_eq!(metadata["device_authorization_endpoint"], app.url("/oauth/device_authorization"));
        let grants = metadata["grant_types_supported"].as_array().unwrap();
        assert!(grants.contains(&"urn:ietf:params:oauth:grant-type:device_code".into()), "{grants:?}");
    }
}
