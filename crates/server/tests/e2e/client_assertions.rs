//! `private_key_jwt` client authentication (RFC 7523 §2.2): a client proves itself with a JWT
//! signed by a key it registered, accepted once, for this server, for a short while.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn claims(app: &TestApp, client: &TestClient, audience: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": client.id(), "sub": client.id(), "aud": app.url(audience),
        "jti": ticketbooth_domain::secret::Secret::generate().expose(), "iat": now, "exp": now + 60,
    })
}

/// `claims` with one claim changed (or removed, for `null`).
fn changed(mut claims: Value, name: &str, value: Value) -> Value {
    match value {
        Value::Null => claims.as_object_mut().unwrap().remove(name),
        value => claims.as_object_mut().unwrap().insert(name.to_owned(), value),
    };
    claims
}

async fn with_assertion(app: &TestApp, path: &str, assertion: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(extra);
    app.http.post(app.url(path)).form(&form).send().await.unwrap()
}

backend_test! {
    async fn a_client_signs_in_with_its_key_once_per_assertion() {
        let app = TestApp::spawn().await;
        let key = EcKey::new();
        let client = app.create_client_with_keys(key.jwks(), "public").await;
        let grant = [("grant_type", "client_credentials")];
        let header = || jsonwebtoken::Header { kid: key.jwk.common.key_id.clone(), ..Default::default() };

        let assertion = key.sign(header(), &claims(&app, &client, "/oauth/token"));
        let issued = with_assertion(&app, "/oauth/token", &assertion, &grant).await;
        assert_eq!(issued.status(), StatusCode::OK);
        let token = issued.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        assert_eq!(app.api_get("/oauth/token/info", &token).await.0, StatusCode::OK);
        let (status, error, _) = oauth_error(with_assertion(&app, "/oauth/token", &assertion, &grant).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"), "a replay");

        // The issuer is an audience too, and the other endpoints take assertions.
        let to_issuer = key.sign(header(), &changed(claims(&app, &client, ""), "aud", json!(app.base)));
        assert_eq!(with_assertion(&app, "/oauth/token", &to_issuer, &grant).await.status(), StatusCode::OK);
        let pushed = key.sign(header(), &claims(&app, &client, "/oauth/par"));
        let params = [("response_type", "code"), ("redirect_uri", CALLBACK), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256")];
        assert_eq!(with_assertion(&app, "/oauth/par", &pushed, &params).await.status(), StatusCode::CREATED);

        let now = chrono::Utc::now().timestamp();
        let refused = [
            key.sign(header(), &changed(claims(&app, &client, ""), "aud", json!("https://elsewhere.example/token"))),
            key.sign(header(), &changed(claims(&app, &client, "/oauth/token"), "exp", json!(now + 7200))),
            key.sign(header(), &changed(claims(&app, &client, "/oauth/token"), "exp", json!(now - 120))),
            key.sign(header(), &changed(claims(&app, &client, "/oauth/token"), "sub", json!("someone-else"))),
            key.sign(header(), &changed(claims(&app, &client, "/oauth/token"), "jti", json!(null))),
            EcKey::new().sign(jsonwebtoken::Header::default(), &claims(&app, &client, "/oauth/token")),
        ];
        for (i, assertion) in refused.iter().enumerate() {
            let (status, error, _) = oauth_error(with_assertion(&app, "/oauth/token", assertion, &grant).await).await;
            assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"), "case {i}");
        }

        // Its client_id alone, or a secret, proves nothing; two methods at once are refused.
        let alone = app.token(&[("grant_type", "client_credentials"), ("client_id", client.id())]).await;
        assert_eq!(alone.status(), StatusCode::UNAUTHORIZED);
        let fresh = key.sign(header(), &claims(&app, &client, "/oauth/token"));
        let both = app
            .http
            .post(app.url("/oauth/token"))
            .basic_auth(client.id(), Some("guess"))
            .form(&[("grant_type", "client_credentials"), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", &fresh)])
            .send()
            .await
            .unwrap();
        assert_eq!(oauth_error(both).await.1, "invalid_request");
        let wrong_type = with_assertion(&app, "/oauth/token", &fresh, &[]).await;
        assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST, "no grant_type");
    }
}
