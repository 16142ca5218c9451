//! The RFC 9700 protections and the endpoints around tokens: revocation, introspection, token
//! info, metadata, remembered consent, the account page, throttling and cookie flags.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn tokens_for(app: &TestApp, client: &TestClient, email: &str) -> Value {
    let code = app.new_browser().obtain_code(email, PASSWORD, &code_request(client)).await;
    app.exchange(client, &code).await
}

async fn post_form(app: &TestApp, path: &str, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
    app.http.post(app.url(path)).basic_auth(client.id(), client.secret.as_deref()).form(form).send().await.unwrap()
}

backend_test! {
    async fn revoking_an_access_token_or_a_refresh_token_family() {
        let app = TestApp::spawn().await;
        app.create_user("rev@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let other = app.create_client(true, &[CALLBACK], "public").await;

        let first = tokens_for(&app, &client, "rev@example.com").await;
        let access = first["access_token"].as_str().unwrap();
        // Another client cannot revoke it: 200, and nothing happens.
        assert_eq!(post_form(&app, "/oauth/revoke", &other, &[("token", access)]).await.status(), StatusCode::OK);
        assert_eq!(app.me(access).await.status(), StatusCode::OK);
        assert_eq!(post_form(&app, "/oauth/revoke", &client, &[("token", access)]).await.status(), StatusCode::OK);
        assert_eq!(app.me(access).await.status(), StatusCode::UNAUTHORIZED);
        // Unknown tokens are fine too (RFC 7009 §2.2); bad hints are not.
        assert_eq!(post_form(&app, "/oauth/revoke", &client, &[("token", "nope")]).await.status(), StatusCode::OK);
        let (status, error, _) = oauth_error(post_form(&app, "/oauth/revoke", &client, &[("token", access), ("token_type_hint", "id_token")]).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "unsupported_token_type"));
        let unauthenticated = app.http.post(app.url("/oauth/revoke")).form(&[("token", access)]).send().await.unwrap();
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

        // Revoking a refresh token takes the whole family, later pairs included.
        let second = tokens_for(&app, &client, "rev@example.com").await;
        let rotated: Value = app
            .token(&[("grant_type", "refresh_token"), ("client_id", client.id()), ("client_secret", client.secret()), ("refresh_token", second["refresh_token"].as_str().unwrap())])
            .await
            .json()
            .await
            .unwrap();
        let newest = rotated["access_token"].as_str().unwrap();
        assert_eq!(app.me(newest).await.status(), StatusCode::OK);
        let revoke = [("token", second["refresh_token"].as_str().unwrap()), ("token_type_hint", "refresh_token")];
        assert_eq!(post_form(&app, "/oauth/revoke", &client, &revoke).await.status(), StatusCode::OK);
        assert_eq!(app.me(newest).await.status(), StatusCode::UNAUTHORIZED);
    }
}

backend_test! {
    async fn introspection_shows_a_client_only_its_own_active_tokens() {
        let app = TestApp::spawn().await;
        let user = app.create_user("intro@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let other = app.create_client(true, &[CALLBACK], "public").await;
        let tokens = tokens_for(&app, &client, "intro@example.com").await;
        let access = tokens["access_token"].as_str().unwrap();

        let body: Value = post_form(&app, "/oauth/introspect", &client, &[("token", access)]).await.json().await.unwrap();
        assert_eq!(body["active"], true, "{body}");
        assert_eq!(body["scope"], "public");
        assert_eq!(body["client_id"], client.id());
        assert_eq!(body["username"], "intro@example.com");
        assert_eq!(body["sub"], user.id.to_string());
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["iss"], app.base);
        assert_eq!(body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap(), 7200);

        let foreign: Value = post_form(&app, "/oauth/introspect", &other, &[("token", access)]).await.json().await.unwrap();
        assert_eq!(foreign, serde_json::json!({ "active": false }));
        // RFC 7662 §2.1: refresh tokens are introspected too, and say what they are.
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        for hint in [None, Some("refresh_token"), Some("access_token")] {
            let mut form = vec![("token", refresh_token)];
            form.extend(hint.map(|hint| ("token_type_hint", hint)));
            let refresh: Value = post_form(&app, "/oauth/introspect", &client, &form).await.json().await.unwrap();
            assert_eq!(refresh["active"], true, "{hint:?}: {refresh}");
            assert_eq!(refresh["token_type"], "refresh_token");
            assert_eq!(refresh["scope"], "public");
            assert_eq!(refresh["client_id"], client.id());
            assert_eq!(refresh["sub"], user.id.to_string());
            assert_eq!(refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(), 30 * 24 * 3600, "{refresh}");
        }
        let foreign_refresh: Value =
            post_form(&app, "/oauth/introspect", &other, &[("token", refresh_token)]).await.json().await.unwrap();
        assert_eq!(foreign_refresh, serde_json::json!({ "active": false }));
        post_form(&app, "/oauth/revoke", &client, &[("token", access)]).await;
        let revoked_refresh: Value =
            post_form(&app, "/oauth/introspect", &client, &[("token", refresh_token)]).await.json().await.unwrap();
        assert_eq!(revoked_refresh, serde_json::json!({ "active": false }), "the pair is revoked together");
        let revoked: Value = post_form(&app, "/oauth/introspect", &client, &[("token", access)]).await.json().await.unwrap();
        assert_eq!(revoked, serde_json::json!({ "active": false }));

        let public = app.create_client(false, &[CALLBACK], "public").await;
        let response = app.http.post(app.url("/oauth/introspect")).form(&[("token", access), ("client_id", public.id())]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

backend_test! {
    async fn token_info_describes_the_bearer_token() {
        let app = TestApp::spawn().await;
        let user = app.create_user("info@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public organizer").await;
        let mut params = code_request(&client);
        params.push(("scope", "public organizer"));
        let code = app.new_browser().obtain_code("info@example.com", PASSWORD, &params).await;
        let tokens = app.exchange(&client, &code).await;
        let (status, body) = app.api_get("/oauth/token/info", tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["resource_owner_id"], user.id);
        assert_eq!(body["scope"], serde_json::json!(["public", "organizer"]));
        assert_eq!(body["application"]["uid"], client.id());
        assert!((7190..=7200).contains(&body["expires_in"].as_i64().unwrap()));
        assert_eq!(body["created_at"], tokens["created_at"]);
        assert_eq!(app.api_get("/oauth/token/info", &"0".repeat(64)).await.0, StatusCode::UNAUTHORIZED);
    }
}

backend_test! {
    async fn metadata_documents_list_every_endpoint() {
        let app = TestApp::spawn().await;
        for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
            let body: Value = app.http.get(app.url(path)).send().await.unwrap().json().await.unwrap();
            assert_eq!(body["issuer"], app.base, "{path}");
            for (field, endpoint) in [
                ("authorization_endpoint", "/oauth/authorize"),
                ("token_endpoint", "/oauth/token"),
                ("revocation_endpoint", "/oauth/revoke"),
                ("introspection_endpoint", "/oauth/introspect"),
                ("userinfo_endpoint", "/oauth/userinfo"),
                ("jwks_uri", "/oauth/discovery/keys"),
            ] {
                assert_eq!(body[field], format!("{}{endpoint}", app.base), "{path} {field}");
            }
            assert_eq!(body["code_challenge_methods_supported"], serde_json::json!(["S256"]));
            assert_eq!(body["authorization_response_iss_parameter_supported"], true);
        }
        let jwks: Value = app.http.get(app.url("/oauth/discovery/keys")).send().await.unwrap().json().await.unwrap();
        let key = &jwks["keys"][0];
        assert_eq!((key["kty"].clone(), key["alg"].clone()), ("EC".into(), "ES256".into()));
        assert!(key.get("d").is_none());
    }
}

backend_test! {
    async fn consent_is_remembered_until_revoked_on_the_account_page() {
        let app = TestApp::spawn().await;
        app.create_user("remember@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public organizer").await;
        let first = app.obtain_code("remember@example.com", &code_request(&client)).await;
        let tokens = app.exchange(&client, &first).await;

        // Same scopes again: straight back to the client, with the issuer named (RFC 9207).
        let again = app.authorize(&code_request(&client)).await;
        assert_eq!(again.status(), StatusCode::FOUND);
        let query = location_query(&again);
        assert!(query.contains_key("code") && query["state"] == "xyz-123");
        assert_eq!(query["iss"], app.base);
        // More scopes, or prompt=consent, ask again.
        let mut wider = code_request(&client);
        wider.push(("scope", "public organizer"));
        assert_eq!(app.authorize(&wider).await.status(), StatusCode::OK);
        let mut forced = code_request(&client);
        forced.push(("prompt", "consent"));
        assert_eq!(app.authorize(&forced).await.status(), StatusCode::OK);

        // The account's applications page lists the application and revokes it with every token.
        let page = app.browser.get("/account/applications").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("Concert Companion"), "{html}");
        let form = hidden_inputs(&html);
        let revoke_path = format!("/account/applications/{}/revoke", client.app.id);
        assert_eq!(app.browser.post_form(&revoke_path, &[("csrf_token", "forged")]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.me(tokens["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
        let revoked = app.browser.post_form(&revoke_path, &[("csrf_token", form["csrf_token"].as_str())]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.me(tokens["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);
        assert!(!app.browser.get("/account/applications").await.text().await.unwrap().contains("Concert Companion"));
        assert_eq!(app.authorize(&code_request(&client)).await.status(), StatusCode::OK, "consent is asked again");
    }
}

backend_test! {
    async fn prompt_none_never_shows_a_page() {
        let app = TestApp::spawn().await;
        app.create_user("silent@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let mut silent = code_request(&client);
        silent.push(("prompt", "none"));
        let anonymous = app.authorize(&silent).await;
        assert_eq!(anonymous.status(), StatusCode::FOUND);
        assert_eq!(location_query(&anonymous)["error"], "login_required");
        app.sign_in("silent@example.com", PASSWORD).await;
        let no_consent = app.authorize(&silent).await;
        assert_eq!(location_query(&no_consent)["error"], "consent_required");
        assert_eq!(location_query(&no_consent)["state"], "xyz-123");
    }
}

/// Statuses of `attempts` sign-ins sent at once from one browser (one session, one address).
async fn parallel_sign_ins(browser: &Browser, email: &str, password: &str, attempts: usize) -> Vec<StatusCode> {
    let page = browser.get("/session/new").await.text().await.unwrap();
    let mut form = hidden_inputs(&page);
    form.insert("email".into(), email.into());
    form.insert("password".into(), password.into());
    let sends = (0..attempts).map(|_| {
        let (browser, form) = (browser.clone(), form.clone());
        tokio::spawn(async move { browser.post_form("/session/new", &form).await.status() })
    });
    let mut statuses = Vec::new();
    for send in sends {
        statuses.push(send.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|found| **found == status).count()
}

backend_test! {
    async fn parallel_wrong_passwords_past_the_limit_are_refused_before_the_password_check() {
        let app = TestApp::spawn().await;
        app.create_user("target@example.com").await;
        let statuses = parallel_sign_ins(&app.browser, "target@example.com", "guess", 40).await;
        assert_eq!(count(&statuses, StatusCode::UNAUTHORIZED), 10, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 30, "{statuses:?}");
    }
}

backend_test! {
    async fn a_flood_of_sign_ins_past_the_password_queue_is_answered_503_and_uses_up_nobodys_allowance() {
        // No load shedding in front: every sign-in reaches the password queue.
        let app = TestApp::spawn_with(|config| config.connection_limits.concurrent_requests = 1000).await;
        app.create_user("owner@example.com").await;
        // 100 wrong passwords at once from one address (its whole allowance), each for an account
        // of its own: far more than the password threads' queue holds.
        let page = app.browser.get("/session/new").await.text().await.unwrap();
        let form = hidden_inputs(&page);
        let sends: Vec<_> = (0..100)
            .map(|i| {
                let (browser, mut form) = (app.browser.clone(), form.clone());
                form.insert("email".into(), format!("stranger{i}@example.com"));
                form.insert("password".into(), "guess".into());
                tokio::spawn(async move {
                    let response = browser.post_form("/session/new", &form).await;
                    let retry_after = response.headers().contains_key("retry-after");
                    (response.status(), retry_after, response.text().await.unwrap())
                })
            })
            .collect();
        let mut answers = Vec::new();
        for send in sends {
            answers.push(send.await.unwrap());
        }
        let busy: Vec<_> = answers.iter().filter(|(status, ..)| *status == StatusCode::SERVICE_UNAVAILABLE).collect();
        let checked = answers.iter().filter(|(status, ..)| *status == StatusCode::UNAUTHORIZED).count();
        assert_eq!(busy.len() + checked, 100, "only 401 and 503: {:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
        assert!(!busy.is_empty(), "the queue is bounded: {checked} passwords checked of 100");
        assert!(busy.iter().all(|(_, retry_after, page)| *retry_after && page.contains("Busy right now")), "{:?}", busy[0]);
        // Only the checked attempts count: had the refused ones counted too, the address's
        // allowance (100) would be used up and the owner refused.
        assert_eq!(app.sign_in("owner@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }
}

backend_test! {
    async fn someone_hammering_an_account_cannot_lock_its_owner_out() {
        let app = TestApp::spawn_with(|config| {
            config.client_ip_header = Some("x-forwarded-for".into());
            config.sign_in_limits.per_subject_and_address = 3;
            config.sign_in_limits.per_address = 5;
        })
        .await;
        app.create_user("target@example.com").await;
        app.create_user("other@example.com").await;
        let attacker = Browser::behind_proxy(&app.base, "203.0.113.66");
        for _ in 0..3 {
            assert_eq!(attacker.sign_in("target@example.com", "guess").await.status(), StatusCode::UNAUTHORIZED);
        }
        let locked = attacker.sign_in("target@example.com", "guess").await;
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.headers().contains_key("retry-after"));
        assert!(locked.text().await.unwrap().contains("Too many attempts"));
        assert_eq!(attacker.sign_in("target@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);

        // The owner, from their own address, signs in while the attacker is locked out.
        let owner = Browser::behind_proxy(&app.base, "198.51.100.7");
        assert_eq!(owner.sign_in("target@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        // Successful sign-ins do not use up the limit: the owner can sign in again and again.
        for _ in 0..4 {
            assert_eq!(owner.sign_in("target@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        }

        // The attacker's address as a whole is limited too: its five attempts (the refused ones
        // count) reached the address limit, so no account can be tried from there any more.
        assert_eq!(attacker.sign_in("other@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(owner.sign_in("other@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }
}

backend_test! {
    async fn wrong_client_secrets_are_throttled_per_address_and_never_lock_the_client() {
        let app = TestApp::spawn_with(|config| {
            config.client_ip_header = Some("x-forwarded-for".into());
            config.client_auth_limits.per_subject_and_address = 10;
        })
        .await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let attempt = |address: &'static str, secret: String| {
            let request = app
                .http
                .post(app.url("/oauth/token"))
                .header("x-forwarded-for", address)
                .form(&[("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", &secret)]);
            tokio::spawn(async move { request.send().await.unwrap() })
        };
        let parallel: Vec<_> = (0..40).map(|_| attempt("203.0.113.66", "wrong".into())).collect();
        let mut statuses = Vec::new();
        for response in parallel {
            statuses.push(response.await.unwrap().status());
        }
        assert_eq!(count(&statuses, StatusCode::UNAUTHORIZED), 10, "{statuses:?}");
        assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 30, "{statuses:?}");
        let throttled = attempt("203.0.113.66", "wrong".into()).await.unwrap();
        assert!(throttled.headers().contains_key("retry-after"));
        assert_eq!(oauth_error(throttled).await.1, "temporarily_unavailable");

        // The right secret works from the attacker's address and from anywhere else.
        for address in ["203.0.113.66", "198.51.100.7"] {
            let right = attempt(address, client.secret().to_owned()).await.unwrap();
            assert_eq!(right.status(), StatusCode::OK, "{address}");
        }
    }
}

backend_test! {
    async fn cookies_are_secure_under_an_https_issuer_and_the_sign_in_cookie_is_host_prefixed() {
        let app = TestApp::spawn_with(|config| config.issuer = "https://id.example".into()).await;
        app.create_user("https@example.com").await;
        let page = app.browser.get("/session/new").await;
        let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("__Host-tb_signin=") && cookie.contains("Path=/"), "{cookie}");
        assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        // reqwest keeps no Secure cookie over http, so the form is sent with its cookie by hand.
        let mut form = hidden_inputs(&page.text().await.unwrap());
        form.insert("email".into(), "https@example.com".into());
        form.insert("password".into(), PASSWORD.into());
        let cookie_pair = cookie.split(';').next().unwrap().to_owned();
        let signed_in = app.http.post(app.url("/session/new")).header("cookie", cookie_pair).form(&form).send().await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let session = signed_in
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .find(|value| value.starts_with("tb_session="))
            .expect("a session cookie");
        assert!(session.contains("Secure") && session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    }
}

backend_test! {
    async fn request_bodies_are_size_limited() {
        let app = TestApp::spawn().await;
        let huge = "a".repeat(200 * 1024);
        let response = app.http.post(app.url("/oauth/token")).form(&[("grant_type", huge.as_str())]).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}

backend_test! {
    async fn behind_a_proxy_the_forwarded_address_is_throttled_not_the_proxys() {
        let app = TestApp::spawn_with(|config| {
            config.client_ip_header = Some("x-forwarded-for".into());
            config.client_auth_limits.per_subject_and_address = 0;
            config.client_auth_limits.per_address = 2;
        })
        .await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let attempt = |address: &str, secret: &str| {
            let request = app
                .http
                .post(app.url("/oauth/token"))
                // The trusted proxy appends the real client address last; earlier entries are the client's word.
                .header("x-forwarded-for", format!("203.0.113.99, {address}"))
                .form(&[("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", secret)]);
            async move { request.send().await.unwrap().status() }
        };
        assert_eq!(attempt("198.51.100.1", "wrong").await, StatusCode::UNAUTHORIZED);
        assert_eq!(attempt("198.51.100.1", "wrong").await, StatusCode::UNAUTHORIZED);
        assert_eq!(attempt("198.51.100.1", "wrong").await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(attempt("198.51.100.2", client.secret()).await, StatusCode::OK, "another address is not blocked");
    }
}

backend_test! {
    async fn nul_bytes_and_control_characters_anywhere_get_a_4xx_never_a_5xx() {
        let w = crate::api_world::World::new().await;
        let app = &w.app;
        let token = app.app_token(&w.client).await;
        let nul = "a\u{0}b";
        // A NUL is no wildcard: it is refused (PostgreSQL text cannot even hold one).
        for filter in ["email", "phone"] {
            let response = app
                .http
                .get(app.url(&w.event_path("/tickets")))
                .query(&[(filter, "\u{0}")])
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{filter}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "invalid_request", "{filter}: {body}");
        }
        let search = app
            .http
            .get(app.url("/api/public/tickets/search"))
            .query(&[("event_id", w.event.id.to_string().as_str()), ("reference_code", nul)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(search.status().is_client_error(), "search: {}", search.status());
        let (status, _) = app
            .api_post(
                &w.event_path("/tickets"),
                &token,
                serde_json::json!({"ticket_type_id": w.types[0].id, "firstname": nul, "lastname": "x",
                                   "email": "n@example.com", "phone": "0812345678", "external_id": nul}),
            )
            .await;
        assert!(status.is_client_error(), "ticket creation: {status}");
        let token_request = app.token(&[("grant_type", "client_credentials"), ("client_id", nul), ("client_secret", nul)]).await;
        assert!(token_request.status().is_client_error(), "token: {}", token_request.status());
        let authorize = app.authorize(&[("response_type", "code"), ("client_id", nul)]).await;
        assert!(authorize.status().is_client_error(), "authorize: {}", authorize.status());
        let sign_in = app.sign_in(nul, nul).await;
        assert!(sign_in.status().is_client_error(), "sign-in: {}", sign_in.status());
        let introspect = app
            .http
            .post(app.url("/oauth/introspect"))
            .basic_auth(w.client.id(), Some(w.client.secret()))
            .form(&[("token", nul)])
            .send()
            .await
            .unwrap();
        assert!(introspect.status().is_client_error(), "introspect: {}", introspect.status());
    }
}

backend_test! {
    async fn visiting_the_sign_in_page_stores_nothing_and_its_form_still_needs_the_cookie_token() {
        let app = TestApp::spawn().await;
        app.create_user("visitor@example.com").await;
        for _ in 0..5 {
            let page = app.new_browser().get("/session/new").await;
            assert_eq!(page.status(), StatusCode::OK);
            let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
            assert!(cookie.starts_with("tb_signin=") && cookie.contains("HttpOnly"), "{cookie}");
        }
        assert_eq!(app.count_rows("browser_sessions").await, 0, "anonymous visits write no session rows");

        // The form's token must match the browser's own cookie: another browser's token is refused.
        let victim = app.new_browser();
        let foreign = hidden_inputs(&app.browser.get("/session/new").await.text().await.unwrap());
        victim.get("/session/new").await;
        let mut forged = foreign.clone();
        forged.insert("email".into(), "visitor@example.com".into());
        forged.insert("password".into(), PASSWORD.into());
        assert_eq!(victim.post_form("/session/new", &forged).await.status(), StatusCode::FORBIDDEN);
        let cookieless = app.http.post(app.url("/session/new")).form(&forged).send().await.unwrap();
        assert_eq!(cookieless.status(), StatusCode::FORBIDDEN);

        let signed_in = app.sign_in("visitor@example.com", PASSWORD).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let cookies: Vec<&str> = signed_in.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
        assert!(cookies.iter().any(|c| c.starts_with("tb_session=")), "{cookies:?}");
        assert!(cookies.iter().any(|c| c.starts_with("tb_signin=;") && c.contains("Max-Age=0")), "{cookies:?}");
        assert_eq!(app.count_rows("browser_sessions").await, 1, "one row, for the signed-in session");
    }
}

backend_test! {
    async fn pages_behind_a_session_and_redirects_with_codes_are_never_stored_by_caches() {
        let app = TestApp::spawn().await;
        app.create_user("cache@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let no_store = |response: &reqwest::Response| {
            response.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
        };
        let sign_in_page = app.browser.get("/session/new").await;
        assert_eq!(no_store(&sign_in_page), "no-store", "sign-in page");
        assert_eq!(app.sign_in("cache@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let consent = app.authorize(&code_request(&client)).await;
        assert_eq!(consent.status(), StatusCode::OK);
        assert_eq!(no_store(&consent), "no-store", "consent page");
        let mut form = hidden_inputs(&consent.text().await.unwrap());
        form.insert("decision".into(), "approve".into());
        let redirect = app.browser.post_form("/oauth/authorize", &form).await;
        assert!(location_query(&redirect).contains_key("code"));
        assert_eq!(no_store(&redirect), "no-store", "the redirect carrying a code");
        let remembered = app.authorize(&code_request(&client)).await;
        assert_eq!(remembered.status(), StatusCode::FOUND);
        assert_eq!(no_store(&remembered), "no-store", "the remembered-consent redirect");
        let account = app.browser.get("/account").await;
        assert_eq!(no_store(&account), "no-store", "account page");
        let style = app.browser.get("/static/style.css").await;
        assert_eq!(no_store(&style), "public, max-age=3600", "static files keep their own caching");
    }
}

backend_test! {
    async fn a_return_to_with_control_characters_is_dropped_not_a_server_error() {
        let app = TestApp::spawn().await;
        app.create_user("crlf@example.com").await;
        let page = app.browser.get("/session/new?return_to=%2Foauth%2Fauthorize%3Fa%3D%0D%0ASet-Cookie%3A%20x").await;
        assert_eq!(page.status(), StatusCode::OK);
        let mut form = hidden_inputs(&page.text().await.unwrap());
        assert_eq!(form["return_to"], "/");
        form.insert("return_to".into(), "/oauth/authorize?a=\r\nSet-Cookie: x".into());
        form.insert("email".into(), "crlf@example.com".into());
        form.insert("password".into(), PASSWORD.into());
        let signed_in = app.browser.post_form("/session/new", &form).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&signed_in), "/");
    }
}

/// The sign-in time recorded on the code a redirect carries.
async fn code_auth_time(app: &TestApp, redirect: &reqwest::Response) -> chrono::DateTime<chrono::Utc> {
    let code = location_query(redirect).remove("code").expect("a code");
    let hash = ticketbooth_domain::secret::SecretHash::of(&code);
    app.store.find_authorization_code(&hash).await.unwrap().unwrap().auth_time
}

backend_test! {
    async fn prompt_login_and_max_age_make_the_user_sign_in_again() {
        let app = TestApp::spawn().await;
        app.create_user("fresh@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        app.obtain_code("fresh@example.com", &code_request(&client)).await;
        let remembered = app.authorize(&code_request(&client)).await;
        assert_eq!(remembered.status(), StatusCode::FOUND, "consent is remembered");
        let first_sign_in = code_auth_time(&app, &remembered).await;
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;

        // max_age longer than the session's age: no new sign-in.
        let mut generous = code_request(&client);
        generous.push(("max_age", "3600"));
        assert_eq!(app.authorize(&generous).await.status(), StatusCode::FOUND);

        for (name, value) in [("max_age", "1"), ("prompt", "login"), ("prompt", "select_account")] {
            let mut request = code_request(&client);
            request.push((name, value));
            let mut silent = request.clone();
            silent.retain(|(n, _)| *n != "prompt");
            silent.push(("prompt", "none"));
            if name == "max_age" {
                let refused = app.authorize(&silent).await;
                assert_eq!(location_query(&refused)["error"], "login_required", "prompt=none with {name}={value}");
            }
            let asked = app.authorize(&request).await;
            assert_eq!(asked.status(), StatusCode::SEE_OTHER, "{name}={value}");
            let sign_in_url = location(&asked);
            assert!(sign_in_url.starts_with("/session/new?return_to="), "{sign_in_url}");
            let page = app.browser.get(&sign_in_url).await;
            let mut form = hidden_inputs(&page.text().await.unwrap());
            assert!(!form["return_to"].contains(&format!("{name}=")), "the return trip cannot ask again: {}", form["return_to"]);
            form.insert("email".into(), "fresh@example.com".into());
            form.insert("password".into(), PASSWORD.into());
            let signed_in = app.browser.post_form("/session/new", &form).await;
            assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
            let back = app.browser.get(&location(&signed_in)).await;
            assert_eq!(back.status(), StatusCode::FOUND, "{name}={value}: back with a code");
            assert!(code_auth_time(&app, &back).await > first_sign_in, "{name}={value}: auth_time is the new sign-in");
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
    }
}
