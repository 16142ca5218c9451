//! The refresh-token grace window (`apps create --refresh-grace-seconds`): within the window the
//! just-rotated refresh token yields the same new pair, on any instance; outside it, or for an
//! older token, reuse revokes the family as under strict rotation.

use crate::harness::*;
use reqwest::StatusCode;

async fn tokens(app: &TestApp, client: &TestClient) -> serde_json::Value {
    app.create_user("grace@example.com").await;
    let code = app.obtain_code("grace@example.com", &code_request(client)).await;
    app.exchange(client, &code).await
}

async fn refresh_at(app: &TestApp, base: &str, client: &TestClient, refresh_token: &str) -> reqwest::Response {
    app.http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client.id()),
            ("client_secret", client.secret()),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap()
}

fn grace(seconds: u32) -> ClientOptions {
    ClientOptions { refresh_grace_seconds: seconds, ..ClientOptions::default() }
}

backend_test! {
    async fn within_the_window_the_rotated_token_yields_the_same_pair_and_older_ones_revoke_the_family() {
        let app = TestApp::spawn().await;
        let client = app.create_client_with_options(true, &[CALLBACK], "public", grace(60)).await;
        let first = tokens(&app, &client).await;
        let r0 = first["refresh_token"].as_str().unwrap();

        let rotated = app.refresh(&client, r0).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let second: serde_json::Value = rotated.json().await.unwrap();
        assert_ne!(second["refresh_token"], first["refresh_token"]);

        // A retry after a lost response: the same pair again, which works.
        let again = app.refresh(&client, r0).await;
        assert_eq!(again.status(), StatusCode::OK);
        let again: serde_json::Value = again.json().await.unwrap();
        assert_eq!(again, second, "the retry gets the very same response");
        assert_eq!(app.me(second["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
        assert_eq!(app.me(first["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);

        // Once the new pair is rotated in its turn, the first token is plain reuse.
        let third = app.refresh(&client, second["refresh_token"].as_str().unwrap()).await;
        assert_eq!(third.status(), StatusCode::OK);
        let third: serde_json::Value = third.json().await.unwrap();
        let (status, error, _) = oauth_error(app.refresh(&client, r0).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
        assert_eq!(app.me(third["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);
    }
}

backend_test! {
    async fn concurrent_refreshes_on_two_instances_agree_on_one_pair() {
        let app = TestApp::spawn().await;
        let other = app.second_instance().await;
        let client = app.create_client_with_options(true, &[CALLBACK], "public", grace(60)).await;
        let first = tokens(&app, &client).await;
        let r0 = first["refresh_token"].as_str().unwrap().to_owned();
        let bases = [app.base.clone(), other];
        let attempts = (0..8).map(|i| refresh_at(&app, &bases[i % 2], &client, &r0));
        let answers = futures_util::future::join_all(attempts).await;
        let mut bodies = Vec::new();
        for answer in answers {
            assert_eq!(answer.status(), StatusCode::OK);
            bodies.push(answer.json::<serde_json::Value>().await.unwrap());
        }
        assert!(bodies.iter().all(|body| body == &bodies[0]), "{bodies:#?}");
        assert_eq!(app.count_rows("access_tokens").await, 2, "one rotation was stored");
        assert_eq!(app.me(bodies[0]["access_token"].as_str().unwrap()).await.status(), StatusCode::OK);
    }
}

backend_test! {
    async fn after_the_window_or_without_one_a_repeat_revokes_the_family() {
        let app = TestApp::spawn().await;
        let client = app.create_client_with_options(true, &[CALLBACK], "public", grace(1)).await;
        let first = tokens(&app, &client).await;
        let r0 = first["refresh_token"].as_str().unwrap();
        let second: serde_json::Value = app.refresh(&client, r0).await.json().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let (status, error, _) = oauth_error(app.refresh(&client, r0).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
        assert_eq!(app.me(second["access_token"].as_str().unwrap()).await.status(), StatusCode::UNAUTHORIZED);

        // Strict rotation (the default): concurrent refreshes give one pair and refuse the rest.
        let strict = app.create_client(true, &[CALLBACK], "public").await;
        let code = app.obtain_code("grace@example.com", &code_request(&strict)).await;
        let first = app.exchange(&strict, &code).await;
        let r0 = first["refresh_token"].as_str().unwrap().to_owned();
        let attempts = (0..4).map(|_| refresh_at(&app, &app.base, &strict, &r0));
        let statuses: Vec<StatusCode> =
            futures_util::future::join_all(attempts).await.iter().map(reqwest::Response::status).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    }
}
