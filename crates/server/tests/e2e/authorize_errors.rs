//! Every refusal of `/oauth/authorize` (RFC 6749 §4.1.2.1): an error page for a bad client or
//! redirect URI, a redirect with `error` and `state` for everything else.

use crate::harness::*;
use reqwest::StatusCode;

/// Asserts an HTML error page with status 400 and no redirect.
async fn assert_error_page(response: reqwest::Response, needle: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none(), "must not redirect");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains(needle), "{html}");
}

async fn signed_in_app() -> (TestApp, TestClient) {
    let app = TestApp::spawn().await;
    app.create_user("errors@example.com").await;
    let client = app.create_client(true, &[CALLBACK], "public").await;
    assert_eq!(app.sign_in("errors@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    (app, client)
}

backend_test! {
    async fn an_unknown_client_gets_an_error_page_not_a_redirect() {
        let (app, _) = signed_in_app().await;
        let response = app
            .authorize(&[
                ("response_type", "code"),
                ("client_id", "nope"),
                ("redirect_uri", CALLBACK),
                ("state", "s"),
            ])
            .await;
        assert_error_page(response, "No application is registered with this client_id").await;
    }
}

backend_test! {
    async fn a_missing_client_id_gets_an_error_page() {
        let (app, _) = signed_in_app().await;
        let response = app
            .authorize(&[("response_type", "code"), ("redirect_uri", CALLBACK)])
            .await;
        assert_error_page(response, "client_id is missing").await;
    }
}

backend_test! {
    async fn an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect() {
        let (app, client) = signed_in_app().await;
        for attempt in [
            "https://attacker.example/callback",
            "https://client.example/callback/",
            "https://client.example/callback?x=1",
        ] {
            let response = app
                .authorize(&[
                    ("response_type", "code"),
                    ("client_id", client.id()),
                    ("redirect_uri", attempt),
                ])
                .await;
            assert_error_page(response, "does not match a registered redirect URI").await;
        }
    }
}

backend_test! {
    async fn an_omitted_redirect_uri_is_an_error_when_several_are_registered() {
        let app = TestApp::spawn().await;
        let client = app
            .create_client(true, &[CALLBACK, "https://client.example/other"], "public")
            .await;
        let response = app
            .authorize(&[("response_type", "code"), ("client_id", client.id())])
            .await;
        assert_error_page(response, "redirect_uri is required").await;
    }
}

backend_test! {
    async fn an_omitted_redirect_uri_uses_the_only_registered_one() {
        let (app, client) = signed_in_app().await;
        let approved = app
            .consent(
                &[("response_type", "code"), ("client_id", client.id())],
                "approve",
            )
            .await;
        assert_eq!(approved.status(), StatusCode::FOUND);
        assert!(location(&approved).starts_with(&format!("{CALLBACK}?code=")));
        // Then the token request must not send one it did not use... but may send the same one.
        let code = location_query(&approved)["code"].clone();
        let tokens = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("code", &code),
            ])
            .await;
        assert_eq!(tokens.status(), StatusCode::OK);
    }
}

async fn assert_redirected_error(response: reqwest::Response, error: &str) {
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(location(&response).starts_with(CALLBACK));
    let query = location_query(&response);
    assert_eq!(query["error"], error);
    assert!(!query["error_description"].is_empty());
    assert_eq!(query["state"], "xyz-123");
    assert!(!query.contains_key("code"));
}

backend_test! {
    async fn an_unsupported_response_type_is_redirected_with_state() {
        let (app, client) = signed_in_app().await;
        let response = app
            .authorize(&[
                ("response_type", "token"),
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("state", "xyz-123"),
            ])
            .await;
        assert_redirected_error(response, "unsupported_response_type").await;
    }
}

backend_test! {
    async fn a_missing_response_type_is_invalid_request() {
        let (app, client) = signed_in_app().await;
        let response = app
            .authorize(&[
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("state", "xyz-123"),
            ])
            .await;
        assert_redirected_error(response, "invalid_request").await;
    }
}

backend_test! {
    async fn unknown_or_unregistered_scopes_are_invalid_scope() {
        let (app, client) = signed_in_app().await;
        for scope in ["public admin", "organizer", "public\"x"] {
            let mut params = code_request(&client);
            params.push(("scope", scope));
            assert_redirected_error(app.authorize(&params).await, "invalid_scope").await;
        }
    }
}

backend_test! {
    async fn a_repeated_parameter_is_invalid_request() {
        let (app, client) = signed_in_app().await;
        let mut params = code_request(&client);
        params.push(("scope", "public"));
        params.push(("scope", "public"));
        assert_redirected_error(app.authorize(&params).await, "invalid_request").await;
    }
}

backend_test! {
    async fn a_public_client_without_pkce_is_invalid_request_and_plain_is_refused() {
        let app = TestApp::spawn().await;
        let client = app.create_client(false, &[CALLBACK], "public").await;
        assert_redirected_error(
            app.authorize(&code_request(&client)).await,
            "invalid_request",
        )
        .await;
        let mut params = code_request(&client);
        params.extend([
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain"),
        ]);
        assert_redirected_error(app.authorize(&params).await, "invalid_request").await;
    }
}

backend_test! {
    async fn the_user_denying_is_access_denied_with_state() {
        let (app, client) = signed_in_app().await;
        let denied = app.consent(&code_request(&client), "deny").await;
        assert_redirected_error(denied, "access_denied").await;
    }
}

backend_test! {
    async fn consent_without_or_with_a_foreign_csrf_token_is_refused() {
        let (app, client) = signed_in_app().await;
        let page = app.authorize(&code_request(&client)).await;
        let mut form = hidden_inputs(&page.text().await.unwrap());
        form.insert("decision".into(), "approve".into());

        let mut missing = form.clone();
        missing.remove("csrf_token");
        let response = app.browser.post_form("/oauth/authorize", &missing).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get("location").is_none());

        // A token from another session (an attacker's own) does not work in the victim's session.
        let attacker = app.new_browser();
        app.create_user("attacker@example.com").await;
        attacker.sign_in("attacker@example.com", PASSWORD).await;
        let attacker_page = attacker.authorize(&code_request(&client)).await;
        let attacker_csrf = hidden_inputs(&attacker_page.text().await.unwrap())["csrf_token"].clone();
        let mut foreign = form.clone();
        foreign.insert("csrf_token".into(), attacker_csrf);
        let response = app.browser.post_form("/oauth/authorize", &foreign).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}

backend_test! {
    async fn consent_without_a_session_is_refused() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let mut form: Vec<(&str, &str)> = code_request(&client);
        form.extend([("decision", "approve"), ("csrf_token", "0000")]);
        let response = app
            .http
            .post(app.url("/oauth/authorize"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get("location").is_none());
    }
}

backend_test! {
    async fn hidden_fields_tampered_to_another_redirect_uri_are_refused() {
        let (app, client) = signed_in_app().await;
        let page = app.authorize(&code_request(&client)).await;
        let mut form = hidden_inputs(&page.text().await.unwrap());
        form.insert("decision".into(), "approve".into());
        form.insert(
            "redirect_uri".into(),
            "https://attacker.example/callback".into(),
        );
        let response = app.browser.post_form("/oauth/authorize", &form).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get("location").is_none());
    }
}

backend_test! {
    async fn a_wrong_password_shows_the_form_again_and_signs_nobody_in() {
        let app = TestApp::spawn().await;
        app.create_user("wrong@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let response = app.sign_in("wrong@example.com", "not the password").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Incorrect email or password."));
        let unknown = app.sign_in("nobody@example.com", PASSWORD).await;
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        let still_anonymous = app.authorize(&code_request(&client)).await;
        assert_eq!(still_anonymous.status(), StatusCode::SEE_OTHER);
        assert!(location(&still_anonymous).starts_with("/session/new"));
    }
}

backend_test! {
    async fn sign_in_without_the_forms_csrf_token_is_refused() {
        let app = TestApp::spawn().await;
        app.create_user("csrf@example.com").await;
        let _ = app.browser.get("/session/new").await;
        let response = app
            .browser
            .post_form(
                "/session/new",
                &[("email", "csrf@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}

backend_test! {
    async fn sign_in_never_returns_to_another_site() {
        let app = TestApp::spawn().await;
        app.create_user("open@example.com").await;
        let page = app
            .browser
            .get("/session/new?return_to=https%3A%2F%2Fevil.example%2F")
            .await;
        let mut form = hidden_inputs(&page.text().await.unwrap());
        assert_eq!(form["return_to"], "/");
        form.insert(
            "return_to".into(),
            "//evil.example/oauth/authorize?x".into(),
        );
        form.insert("email".into(), "open@example.com".into());
        form.insert("password".into(), PASSWORD.into());
        let response = app.browser.post_form("/session/new", &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/");
    }
}

backend_test! {
    async fn pages_carry_the_security_headers() {
        let app = TestApp::spawn().await;
        let response = app.browser.get("/session/new").await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
    }
}
