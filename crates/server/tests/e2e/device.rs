//! The device authorization grant (RFC 8628) end to end: a door scanner asks for a code, a staff
//! member approves it on `/device`, the scanner's polls get the tokens.

use crate::harness::*;
use reqwest::StatusCode;

fn device_client() -> ClientOptions {
    ClientOptions { device_grant: true, ..ClientOptions::default() }
}

async fn start(app: &TestApp, client: &TestClient) -> serde_json::Value {
    let scope = client.app.scopes.to_string();
    let response = app
        .http
        .post(app.url("/oauth/device_authorization"))
        .form(&[("client_id", client.id()), ("scope", &scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn poll_at(app: &TestApp, base: &str, client: &TestClient, device_code: &str) -> reqwest::Response {
    app.http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", client.id()),
            ("device_code", device_code),
        ])
        .send()
        .await
        .unwrap()
}

/// Signs `browser` in and submits the user code on `/device`, then `decision` on the
/// confirmation page; returns the confirmation page's HTML and the decision's response.
async fn decide(browser: &Browser, user_code: &str, decision: &str) -> (String, reqwest::Response) {
    let page = format!("/device?user_code={user_code}");
    let confirmation = browser.submit_form(&page, "/device", &[("user_code", user_code)]).await;
    assert_eq!(confirmation.status(), StatusCode::OK);
    let html = confirmation.text().await.unwrap();
    let mut form = hidden_inputs(&html);
    form.insert("decision".into(), decision.into());
    (html, browser.post_form("/device", &form).await)
}

backend_test! {
    async fn a_scanner_shows_a_code_a_person_approves_it_and_the_scanner_gets_a_token() {
        let app = TestApp::spawn().await;
        app.create_user("staff@example.com").await;
        let client = app.create_client_with_options(false, &[], "public organizer", device_client()).await;

        let started = start(&app, &client).await;
        let user_code = started["user_code"].as_str().unwrap();
        assert!(
            user_code.len() == 9 && user_code.as_bytes()[4] == b'-'
                && user_code.bytes().filter(|b| *b != b'-').all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
            "{user_code}"
        );
        assert_eq!(started["verification_uri"], app.url("/device"));
        assert_eq!(started["verification_uri_complete"], app.url(&format!("/device?user_code={user_code}")));
        assert_eq!((started["expires_in"].as_i64(), started["interval"].as_i64()), (Some(600), Some(5)));
        let device_code = started["device_code"].as_str().unwrap();
        assert_eq!(device_code.len(), 64);

        // Before approval: pending, and a poll before the interval is up is told to slow down.
        let (status, error, _) = oauth_error(poll_at(&app, &app.base, &client, device_code).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "authorization_pending"));
        let (_, error, _) = oauth_error(poll_at(&app, &app.base, &client, device_code).await).await;
        assert_eq!(error, "slow_down");

        // The page asks a signed-out visitor to sign in first.
        let visitor = app.new_browser();
        let first = visitor.get(&format!("/device?user_code={user_code}")).await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        assert!(location(&first).starts_with("/session/new?return_to=%2Fdevice"), "{}", location(&first));

        assert_eq!(app.browser.sign_in("staff@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let form = app.browser.get(&format!("/device?user_code={user_code}")).await;
        assert_eq!(form.headers()["cache-control"], "no-store");
        assert!(form.text().await.unwrap().contains(&format!("value=\"{user_code}\"")), "the code is filled in");
        let (confirmation, approved) = decide(&app.browser, &user_code.to_lowercase().replace('-', " "), "approve").await;
        assert!(confirmation.contains("Concert Companion") && confirmation.contains(user_code), "{confirmation}");
        assert!(confirmation.contains("Manage the events"), "the scopes are listed");
        assert_eq!(approved.status(), StatusCode::OK);
        assert!(approved.text().await.unwrap().contains("Device connected"));

        // The decision is told at once, even to a poll inside the grown interval.
        let tokens = poll_at(&app, &app.base, &client, device_code).await;
        assert_eq!(tokens.status(), StatusCode::OK);
        let tokens: serde_json::Value = tokens.json().await.unwrap();
        assert_eq!((tokens["token_type"].as_str(), tokens["scope"].as_str()), (Some("Bearer"), Some("public organizer")));
        assert!(tokens["refresh_token"].is_string());
        assert_eq!(app.me(tokens["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);

        // A device code is used once.
        let (_, error, _) = oauth_error(poll_at(&app, &app.base, &client, device_code).await).await;
        assert_eq!(error, "invalid_grant");
        // And a used user code cannot be decided again.
        let again = app.browser.submit_form("/device", "/device", &[("user_code", user_code)]).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    }
}

backend_test! {
    async fn a_denied_request_is_access_denied_and_other_clients_and_scopes_are_refused() {
        let app = TestApp::spawn().await;
        app.create_user("staff@example.com").await;
        let client = app.create_client_with_options(false, &[], "public organizer", device_client()).await;
        let started = start(&app, &client).await;
        app.browser.sign_in("staff@example.com", PASSWORD).await;
        let (_, denied) = decide(&app.browser, started["user_code"].as_str().unwrap(), "deny").await;
        assert_eq!(denied.status(), StatusCode::OK);
        let device_code = started["device_code"].as_str().unwrap();
        let (_, error, _) = oauth_error(poll_at(&app, &app.base, &client, device_code).await).await;
        assert_eq!(error, "access_denied");

        // Another client cannot poll with this client's device code.
        let other = app.create_client_with_options(false, &[], "public", device_client()).await;
        let (_, error, _) = oauth_error(poll_at(&app, &app.base, &other, device_code).await).await;
        assert_eq!(error, "invalid_grant");

        // Without the per-application opt-in, the grant is refused at both endpoints.
        let plain = app.create_client(false, &[CALLBACK], "public").await;
        let response = app.http.post(app.url("/oauth/device_authorization")).form(&[("client_id", plain.id())]).send().await.unwrap();
        let (status, error, _) = oauth_error(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "unauthorized_client"));
        let (_, error, _) = oauth_error(poll_at(&app, &app.base, &plain, device_code).await).await;
        assert_eq!(error, "unauthorized_client");
        let openid = app.http.post(app.url("/oauth/device_authorization"))
            .form(&[("client_id", client.id()), ("scope", "openid")]).send().await.unwrap();
        assert_eq!(oauth_error(openid).await.1, "invalid_scope");
        let unknown = poll_at(&app, &app.base, &client, &"0".repeat(64)).await;
        assert_eq!(oauth_error(unknown).await.1, "invalid_grant");
    }
}

backend_test! {
    async fn wrong_codes_are_throttled_per_person_and_polls_share_their_interval_across_instances() {
        let app = TestApp::spawn().await;
        app.create_user("guesser@example.com").await;
        app.create_user("staff@example.com").await;
        let client = app.create_client_with_options(false, &[], "public", device_client()).await;
        let started = start(&app, &client).await;

        app.browser.sign_in("guesser@example.com", PASSWORD).await;
        for attempt in 0..10 {
            let wrong = app.browser.submit_form("/device", "/device", &[("user_code", "BBBB-BBBB")]).await;
            assert_eq!(wrong.status(), StatusCode::BAD_REQUEST, "attempt {attempt}");
        }
        let throttled = app.browser.submit_form("/device", "/device", &[("user_code", started["user_code"].as_str().unwrap())]).await;
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "even the right code, once throttled");
        assert!(throttled.headers().contains_key("retry-after"));

        // Another person at the same address is not locked out by the guesser.
        let staff = app.new_browser();
        staff.sign_in("staff@example.com", PASSWORD).await;
        let (_, approved) = decide(&staff, started["user_code"].as_str().unwrap(), "approve").await;
        assert_eq!(approved.status(), StatusCode::OK);

        // Polls on two instances see one interval: the second instance's early poll slows down.
        let fresh = start(&app, &client).await;
        let other = app.second_instance().await;
        let device_code = fresh["device_code"].as_str().unwrap();
        assert_eq!(oauth_error(poll_at(&app, &app.base, &client, device_code).await).await.1, "authorization_pending");
        assert_eq!(oauth_error(poll_at(&app, &other, &client, device_code).await).await.1, "slow_down");
    }
}
