//! DPoP (RFC 9449) as the server enforces it: nonces at the token endpoint, bound tokens only
//! with a proof of their key, every proof used once across instances, per-app requirement.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::Value;

/// A client-credentials request with a proof; returns the response.
async fn token_request(app: &TestApp, base: &str, client: &TestClient, proof: &str) -> reqwest::Response {
    app.http
        .post(format!("{base}/oauth/token"))
        .basic_auth(client.id(), client.secret.as_deref())
        .header("DPoP", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

/// The server's nonce, from the `use_dpop_nonce` answer to a proof without one.
async fn server_nonce(app: &TestApp, client: &TestClient, key: &EcKey) -> String {
    let answer = token_request(app, &app.base, client, &key.proof("POST", &app.url("/oauth/token"), None, None)).await;
    let nonce = answer.headers().get("dpop-nonce").map(|value| value.to_str().unwrap().to_owned());
    let (status, error, _) = oauth_error(answer).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "use_dpop_nonce"));
    nonce.expect("DPoP-Nonce header")
}

async fn token_info(app: &TestApp, base: &str, scheme: &str, token: &str, proof: Option<String>) -> reqwest::Response {
    let mut request =
        app.http.get(format!("{base}/oauth/token/info")).header("Authorization", format!("{scheme} {token}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

backend_test! {
    async fn a_bound_token_needs_a_fresh_proof_of_its_key_on_every_instance() {
        let app = TestApp::spawn().await;
        let other = app.second_instance().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let key = EcKey::new();
        let nonce = server_nonce(&app, &client, &key).await;

        // The nonce is good on the other instance too.
        let issued = token_request(&app, &other, &client, &key.proof("POST", &format!("{other}/oauth/token"), None, Some(&nonce))).await;
        assert_eq!(issued.status(), StatusCode::OK);
        let issued: Value = issued.json().await.unwrap();
        assert_eq!(issued["token_type"], "DPoP");
        let token = issued["access_token"].as_str().unwrap();

        let info_url = app.url("/oauth/token/info");
        let proof = key.proof("GET", &info_url, Some(token), None);
        assert_eq!(token_info(&app, &app.base, "DPoP", token, Some(proof.clone())).await.status(), StatusCode::OK);
        // The same proof again, on either instance, is a replay.
        let replayed = token_info(&app, &other, "DPoP", token, Some(proof)).await;
        assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
        assert!(replayed.headers()["www-authenticate"].to_str().unwrap().starts_with("DPoP "));
        assert_eq!(replayed.json::<Value>().await.unwrap()["error"], "invalid_dpop_proof");

        // As a bearer token, without a proof, or with a proof of another key, method, URL or token:
        // refused, and the challenge names DPoP.
        let bearer = token_info(&app, &app.base, "Bearer", token, None).await;
        assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
        assert!(bearer.headers()["www-authenticate"].to_str().unwrap().starts_with("DPoP "), "RFC 9449 §7.2");
        let refusals = [
            EcKey::new().proof("GET", &info_url, Some(token), None),
            key.proof("POST", &info_url, Some(token), None),
            key.proof("GET", &app.url("/api/public/me"), Some(token), None),
            key.proof("GET", &info_url, Some("another token"), None),
            key.proof("GET", &info_url, None, None),
        ];
        for proof in refusals {
            let refused = token_info(&app, &app.base, "DPoP", token, Some(proof)).await;
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        }
        assert_eq!(token_info(&app, &app.base, "DPoP", token, None).await.status(), StatusCode::UNAUTHORIZED);

        // A bearer token cannot be passed off as a DPoP one.
        let plain = app.app_token(&client).await;
        let proof = key.proof("GET", &info_url, Some(&plain), None);
        assert_eq!(token_info(&app, &app.base, "DPoP", &plain, Some(proof)).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(token_info(&app, &app.base, "Bearer", &plain, None).await.status(), StatusCode::OK);
    }
}

backend_test! {
    async fn bad_proofs_are_refused_at_the_token_endpoint_and_apps_may_require_dpop() {
        let app = TestApp::spawn().await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let key = EcKey::new();
        let nonce = server_nonce(&app, &client, &key).await;
        let token_url = app.url("/oauth/token");
        let mut unsigned = key.proof("POST", &token_url, None, Some(&nonce));
        unsigned.truncate(unsigned.rfind('.').unwrap() + 1);
        unsigned.push_str("AAAA");
        let bad = [
            unsigned,
            key.proof("POST", &app.url("/oauth/par"), None, Some(&nonce)),
            key.proof("POST", &token_url, None, Some("bm90IGEgbm9uY2U")),
            "not.a.jwt".to_owned(),
        ];
        for (i, proof) in bad.iter().enumerate() {
            let (status, error, _) = oauth_error(token_request(&app, &app.base, &client, proof).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{i}");
            assert!(error == "invalid_dpop_proof" || error == "use_dpop_nonce", "{i}: {error}");
        }
        let good = key.proof("POST", &token_url, None, Some(&nonce));
        assert_eq!(token_request(&app, &app.base, &client, &good).await.status(), StatusCode::OK);
        let (_, error, _) = oauth_error(token_request(&app, &app.base, &client, &good).await).await;
        assert_eq!(error, "invalid_dpop_proof", "a proof is used once");

        let strict = ClientOptions { require_dpop: true, ..ClientOptions::default() };
        let strict = app.create_client_with_options(true, &[CALLBACK], "public", strict).await;
        let response = app
            .token(&[("grant_type", "client_credentials"), ("client_id", strict.id()), ("client_secret", strict.secret())])
            .await;
        assert_eq!(oauth_error(response).await.1, "invalid_dpop_proof");
        let proof = key.proof("POST", &token_url, None, Some(&nonce));
        let bound: Value = token_request(&app, &app.base, &strict, &proof).await.json().await.unwrap();
        assert_eq!(bound["token_type"], "DPoP", "{bound}");

        let metadata: Value = app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
        assert!(metadata["dpop_signing_alg_values_supported"].as_array().unwrap().contains(&"ES256".into()));
    }
}

backend_test! {
    async fn a_public_clients_refresh_token_is_bound_to_its_key() {
        let app = TestApp::spawn().await;
        app.create_user("phone@example.com").await;
        let client = app.create_client(false, &[CALLBACK], "public").await;
        let key = EcKey::new();
        let token_url = app.url("/oauth/token");
        let mut params = code_request(&client);
        params.extend([("code_challenge", CHALLENGE), ("code_challenge_method", "S256")]);
        let code = app.obtain_code("phone@example.com", &params).await;
        let exchange = |proof: String, form: Vec<(&'static str, String)>| {
            let request = app.http.post(&token_url).header("DPoP", proof).form(&form);
            async move { request.send().await.unwrap() }
        };
        let nonce = {
            let form = vec![("grant_type", "client_credentials".into()), ("client_id", client.id().to_owned())];
            let first = exchange(key.proof("POST", &token_url, None, None), form).await;
            first.headers()["dpop-nonce"].to_str().unwrap().to_owned()
        };
        let form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", client.id().to_owned()),
            ("redirect_uri", CALLBACK.to_owned()),
            ("code", code),
            ("code_verifier", VERIFIER.to_owned()),
        ];
        let tokens: Value = exchange(key.proof("POST", &token_url, None, Some(&nonce)), form).await.json().await.unwrap();
        assert_eq!(tokens["token_type"], "DPoP", "{tokens}");
        let refresh = |refresh_token: &str| {
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("client_id", client.id().to_owned()),
                ("refresh_token", refresh_token.to_owned()),
            ]
        };
        let refresh_token = tokens["refresh_token"].as_str().unwrap();
        let stolen = exchange(EcKey::new().proof("POST", &token_url, None, Some(&nonce)), refresh(refresh_token)).await;
        assert_eq!(oauth_error(stolen).await.1, "invalid_dpop_proof", "another key cannot use it");
        let without = app.token(&refresh(refresh_token).iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(oauth_error(without).await.1, "invalid_dpop_proof", "nor can a request without a proof");
        let rotated = exchange(key.proof("POST", &token_url, None, Some(&nonce)), refresh(refresh_token)).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        assert_eq!(rotated.json::<Value>().await.unwrap()["token_type"], "DPoP");
    }
}
