//! The User Authentication Flow from end to end, as a browser and a client application see it.

use crate::harness::*;
use reqwest::StatusCode;

fn assert_token_shape(body: &serde_json::Value, with_refresh: bool) {
    let object = body.as_object().expect("object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = vec!["access_token", "created_at", "expires_in", "scope", "token_type"];
    if with_refresh {
        expected.push("refresh_token");
    }
    expected.sort_unstable();
    assert_eq!(keys, expected);
    let is_hex64 = |v: &serde_json::Value| {
        v.as_str().is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    };
    assert!(is_hex64(&body["access_token"]), "{body}");
    if with_refresh {
        assert!(is_hex64(&body["refresh_token"]), "{body}");
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    let now = chrono::Utc::now().timestamp();
    let created = body["created_at"].as_i64().expect("created_at is an integer");
    assert!((now - 5..=now + 1).contains(&created), "created_at {created} vs now {now}");
}

backend_test! {
    async fn a_user_signs_in_approves_and_the_app_calls_me_three_ways() {
        let app = TestApp::spawn().await;
        let user = app.create_user("malee@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;

        // Without a session, the authorization request leads to the sign-in page.
        let first = app.authorize(&code_request(&client)).await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        let sign_in_url = location(&first);
        assert!(
            sign_in_url.starts_with("/session/new?return_to="),
            "{sign_in_url}"
        );
        let page = app.browser.get(&sign_in_url).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("<form method=\"post\""));
        assert!(
            html.contains("name=\"email\"") && html.contains("type=\"password\" name=\"password\"")
        );

        // Signing in returns to the authorization request.
        let mut form = hidden_inputs(&html);
        form.insert("email".into(), "Malee@Example.com".into());
        form.insert("password".into(), PASSWORD.into());
        let signed_in = app.browser.post_form("/session/new", &form).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let back = location(&signed_in);
        assert!(back.starts_with("/oauth/authorize?"), "{back}");
        let set_cookie = signed_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
            "{set_cookie}"
        );
        assert!(
            !set_cookie.contains("Secure"),
            "no Secure flag on an http issuer"
        );

        // The consent page names the application and the scope in words.
        let consent = app.browser.get(&back).await;
        assert_eq!(consent.status(), StatusCode::OK);
        let html = consent.text().await.unwrap();
        assert!(html.contains("Concert Companion"));
        assert!(html.contains("See your profile, your orders and your tickets"));
        assert!(
            html.contains("name=\"decision\" value=\"approve\"")
                && html.contains("name=\"decision\" value=\"deny\"")
        );

        let mut form = hidden_inputs(&html);
        form.insert("decision".into(), "approve".into());
        let approved = app.browser.post_form("/oauth/authorize", &form).await;
        assert_eq!(approved.status(), StatusCode::FOUND);
        assert!(location(&approved).starts_with(&format!("{CALLBACK}?code=")));
        let query = location_query(&approved);
        assert_eq!(query["state"], "xyz-123");
        let code = &query["code"];
        assert_eq!(code.len(), 64);

        let tokens = app.exchange(&client, code).await;
        assert_token_shape(&tokens, true);
        assert_eq!(tokens["scope"], "public");
        let access = tokens["access_token"].as_str().unwrap();

        // /me with the header, the query string and a form body.
        let by_header = app.me(access).await;
        assert_eq!(by_header.status(), StatusCode::OK);
        let body: serde_json::Value = by_header.json().await.unwrap();
        assert_eq!(body["user"]["id"], user.id);
        assert_eq!(body["user"]["email"], "malee@example.com");
        assert_eq!(body["user"]["full_name"], "Malee Suksan");
        assert_eq!(body["user"]["phone"], "0899999999");
        assert!(body["user"]["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/static/avatar.svg"));
        for size in ["original", "medium", "thumb", "tiny"] {
            assert!(body["user"]["avatars"][size].is_string(), "avatars.{size}");
        }

        let by_query = app
            .http
            .get(app.url(&format!("/api/public/me?access_token={access}")))
            .send()
            .await
            .unwrap();
        assert_eq!(by_query.status(), StatusCode::OK);
        assert_eq!(
            by_query.json::<serde_json::Value>().await.unwrap()["user"]["id"],
            user.id
        );

        let by_form = app
            .http
            .post(app.url("/api/public/me"))
            .form(&[("access_token", access)])
            .send()
            .await
            .unwrap();
        assert_eq!(by_form.status(), StatusCode::OK);
        assert_eq!(
            by_form.json::<serde_json::Value>().await.unwrap()["user"]["id"],
            user.id
        );
    }
}

backend_test! {
    async fn token_responses_are_not_cached() {
        let app = TestApp::spawn().await;
        app.create_user("cache@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = app
            .obtain_code("cache@example.com", &code_request(&client))
            .await;
        let response = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.id()),
                ("client_secret", client.secret()),
                ("redirect_uri", CALLBACK),
                ("code", &code),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["pragma"], "no-cache");
    }
}

backend_test! {
    async fn the_code_can_be_exchanged_with_http_basic_and_a_json_body() {
        let app = TestApp::spawn().await;
        app.create_user("basic@example.com").await;
        let client = app
            .create_client(true, &[CALLBACK], "public organizer")
            .await;
        let mut params = code_request(&client);
        params.push(("scope", "public organizer"));
        let code = app.obtain_code("basic@example.com", &params).await;
        let response = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(client.id(), Some(client.secret()))
            .json(&serde_json::json!({ "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_token_shape(&body, true);
        assert_eq!(body["scope"], "public organizer");
    }
}

backend_test! {
    async fn refresh_rotates_the_pair_and_reusing_a_rotated_token_revokes_the_family() {
        let app = TestApp::spawn().await;
        app.create_user("refresh@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = app
            .obtain_code("refresh@example.com", &code_request(&client))
            .await;
        let first = app.exchange(&client, &code).await;
        let old_refresh = first["refresh_token"].as_str().unwrap();
        let old_access = first["access_token"].as_str().unwrap();

        let refresh = |token: String| {
            let app = &app;
            let client = &client;
            async move {
                app.token(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", client.id()),
                    ("client_secret", client.secret()),
                    ("refresh_token", &token),
                ])
                .await
            }
        };
        let rotated = refresh(old_refresh.to_owned()).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let second: serde_json::Value = rotated.json().await.unwrap();
        assert_token_shape(&second, true);
        assert_ne!(second["access_token"], first["access_token"]);
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        assert_eq!(second["scope"], "public");

        assert_eq!(
            app.me(second["access_token"].as_str().unwrap())
                .await
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            app.me(old_access).await.status(),
            StatusCode::UNAUTHORIZED,
            "the replaced access token is revoked"
        );

        // The successor rotates again: a chain of refreshes works.
        let third = refresh(second["refresh_token"].as_str().unwrap().to_owned()).await;
        assert_eq!(third.status(), StatusCode::OK, "the new refresh token works");
        let third: serde_json::Value = third.json().await.unwrap();

        // Presenting an already-rotated refresh token is reuse (RFC 9700 §4.14): refused, and the
        // whole family is revoked, the newest pair included.
        let (status, error, _) = oauth_error(refresh(old_refresh.to_owned()).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
        assert_eq!(app.me(third["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);
        let (status, error, _) = oauth_error(refresh(third["refresh_token"].as_str().unwrap().to_owned()).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    }
}

backend_test! {
    async fn a_public_client_completes_the_flow_with_pkce() {
        let app = TestApp::spawn().await;
        app.create_user("pkce@example.com").await;
        let client = app.create_client(false, &[CALLBACK], "public").await;
        let mut params = code_request(&client);
        params.extend([
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);

        let code = app.obtain_code("pkce@example.com", &params).await;
        let wrong = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("code", &code),
                ("code_verifier", &VERIFIER.replace('d', "e")),
            ])
            .await;
        let (status, error, _) = oauth_error(wrong).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_grant")
        );

        let code = app.obtain_code("pkce@example.com", &params).await;
        let right = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("client_id", client.id()),
                ("redirect_uri", CALLBACK),
                ("code", &code),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(right.status(), StatusCode::OK);
        let body: serde_json::Value = right.json().await.unwrap();
        assert_token_shape(&body, true);
    }
}

backend_test! {
    async fn secrets_never_reach_the_database_file_in_clear() {
        let app = TestApp::spawn().await;
        app.create_user("stored@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = app
            .obtain_code("stored@example.com", &code_request(&client))
            .await;
        let tokens = app.exchange(&client, &code).await;

        let bytes = stored_bytes(&app).await;
        let contains = |needle: &str| {
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        };
        assert!(
            contains("stored@example.com"),
            "the scan must see the database's contents"
        );
        for secret in [
            code.as_str(),
            tokens["access_token"].as_str().unwrap(),
            tokens["refresh_token"].as_str().unwrap(),
            client.secret(),
            PASSWORD,
        ] {
            assert!(!contains(secret), "a secret was stored in clear");
        }
    }
}

/// Everything the database holds, as bytes: the SQLite files, or every PostgreSQL row as text.
async fn stored_bytes(app: &TestApp) -> Vec<u8> {
    match app.backend {
        Backend::Sqlite => {
            let mut bytes = Vec::new();
            // The database files (the directory also holds the test's mail outbox).
            for entry in std::fs::read_dir(app.dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    bytes.extend(std::fs::read(path).unwrap());
                }
            }
            bytes
        }
        Backend::Postgres | Backend::PgBouncer => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            let mut text = String::new();
            for table in ["users", "applications", "browser_sessions", "authorization_codes", "access_tokens"] {
                let rows: Option<String> =
                    sqlx::query_scalar(&format!("SELECT string_agg(t::text, '|') FROM {table} t"))
                        .fetch_one(&mut conn)
                        .await
                        .unwrap();
                text.push_str(&rows.unwrap_or_default());
            }
            text.into_bytes()
        }
    }
}

backend_test! {
    async fn a_replayed_code_revokes_every_token_refreshed_from_it() {
        let app = TestApp::spawn().await;
        app.create_user("replay@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = app.obtain_code("replay@example.com", &code_request(&client)).await;
        let first = app.exchange(&client, &code).await;
        let refreshed = app.refresh(&client, first["refresh_token"].as_str().unwrap()).await;
        assert_eq!(refreshed.status(), StatusCode::OK);
        let refreshed: serde_json::Value = refreshed.json().await.unwrap();
        let access = refreshed["access_token"].as_str().unwrap();
        assert_eq!(app.me(access).await.status(), StatusCode::OK);

        // RFC 6749 §4.1.2: the replay is refused and every token based on the code is revoked.
        let replay = app.redeem(&client, &code).await;
        assert_eq!(oauth_error(replay).await.1, "invalid_grant");
        assert_eq!(app.me(access).await.status(), StatusCode::UNAUTHORIZED, "the refreshed access token");
        let refresh_again = app.refresh(&client, refreshed["refresh_token"].as_str().unwrap()).await;
        assert_eq!(oauth_error(refresh_again).await.1, "invalid_grant", "the refreshed refresh token");
    }
}

backend_test! {
    async fn revoking_an_application_voids_the_codes_it_was_issued() {
        let app = TestApp::spawn().await;
        app.create_user("revoker@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let code = app.obtain_code("revoker@example.com", &code_request(&client)).await;
        let account = app.browser.get("/account").await.text().await.unwrap();
        let form = hidden_inputs(&account);
        let revoke_path = format!("/account/applications/{}/revoke", client.app.id);
        let revoked = app.browser.post_form(&revoke_path, &[("csrf_token", form["csrf_token"].as_str())]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);

        let late = app.redeem(&client, &code).await;
        assert_eq!(oauth_error(late).await.1, "invalid_grant", "a code issued before the revocation is void");
        assert!(!app.browser.get("/account").await.text().await.unwrap().contains("Concert Companion"));
    }
}
