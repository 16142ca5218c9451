//! OpenID Connect RP-Initiated Logout and Back-Channel Logout, end to end: the application sends
//! the browser to `/oauth/logout`, the session ends, the browser returns to the registered URI,
//! and every listening application gets a signed logout token, retried until it answers 200.

use crate::harness::*;
use crate::webhooks::Receiver;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use ticketbooth_domain::model::NewApplication;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::{generate_client_id, Secret};

const SIGNED_OUT: &str = "https://client.example/signed-out";

/// A confidential OpenID client that registered where to return after logout and where to be told.
async fn listening_client(app: &TestApp, backchannel: &str) -> TestClient {
    let secret = Secret::generate();
    let registered = app
        .store
        .create_application(NewApplication {
            client_id: generate_client_id(),
            name: "Concert Companion".into(),
            secret_hash: Some(secret.hash()),
            redirect_uris: vec![CALLBACK.into()],
            scopes: ScopeSet::parse("public openid").unwrap(),
            post_logout_redirect_uris: vec![SIGNED_OUT.into()],
            backchannel_logout_uri: Some(backchannel.into()),
            ..NewApplication::default()
        })
        .await
        .unwrap();
    TestClient { app: registered, secret: Some(secret.expose().to_owned()) }
}

/// Signs in through the code flow with `openid` and returns the ID token.
async fn id_token(app: &TestApp, client: &TestClient) -> String {
    let mut params = code_request(client);
    params.push(("scope", "openid"));
    let code = app.obtain_code("leaving@example.com", &params).await;
    app.exchange(client, &code).await["id_token"].as_str().unwrap().to_owned()
}

/// The logout token of a delivery, verified with the server's published keys.
async fn verified_logout_token(app: &TestApp, raw: &[u8]) -> (jsonwebtoken::Header, Value) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(raw).into_owned().collect();
    assert_eq!(form.len(), 1, "{form:?}");
    let token = &form.iter().find(|(name, _)| name == "logout_token").expect("logout_token").1;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet =
        app.http.get(app.url("/oauth/discovery/keys")).send().await.unwrap().json().await.unwrap();
    let key = jwks.find(header.kid.as_deref().unwrap()).expect("a published key");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[&app.base]);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_jwk(key).unwrap(), &validation)
        .unwrap()
        .claims;
    (header, claims)
}

backend_test! {
    async fn an_application_signs_the_person_out_and_listening_applications_are_told() {
        let app = TestApp::spawn().await;
        let user = app.create_user("leaving@example.com").await;
        // The application is down at first: the notification is retried.
        let receiver = Receiver::start(&[503], Duration::ZERO).await;
        let client = listening_client(&app, &receiver.url).await;
        let hint = id_token(&app, &client).await;
        assert_eq!(app.browser.get("/account").await.status(), StatusCode::OK, "signed in");

        let request = [("id_token_hint", hint.as_str()), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "bye-1")];
        let url = url::Url::parse_with_params(&app.url("/oauth/logout"), request).unwrap();
        let answer = app.browser.get(&url[url::Position::BeforePath..]).await;
        assert_eq!(answer.status(), StatusCode::FOUND, "a valid hint for this person: no question");
        assert_eq!(location(&answer), format!("{SIGNED_OUT}?state=bye-1"));
        assert_eq!(app.browser.get("/account").await.status(), StatusCode::SEE_OTHER, "signed out");

        let deliveries = receiver.wait_for(2).await;
        let (header, first) = verified_logout_token(&app, &deliveries[0].raw).await;
        let (_, second) = verified_logout_token(&app, &deliveries[1].raw).await;
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        assert_eq!(first["aud"], client.id());
        assert_eq!(first["sub"], ticketbooth_domain::oidc::subject(user.id));
        assert!(first["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(), "{first}");
        assert!(first.get("nonce").is_none(), "§2.4: a logout token has no nonce");
        assert_eq!(first["jti"], second["jti"], "a retry carries the same jti");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.received().len(), 2, "delivered once it answered 200");
    }
}

backend_test! {
    async fn without_a_hint_the_person_is_asked_and_bad_requests_are_never_redirected() {
        let app = TestApp::spawn().await;
        app.create_user("leaving@example.com").await;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let client = listening_client(&app, &receiver.url).await;
        let hint = id_token(&app, &client).await;

        let refused = [
            vec![("client_id", client.id()), ("post_logout_redirect_uri", "https://evil.example/")],
            vec![("post_logout_redirect_uri", SIGNED_OUT)],
            vec![("id_token_hint", "not.a.token")],
            vec![("id_token_hint", hint.as_str()), ("client_id", "someone-else")],
        ];
        for (i, params) in refused.iter().enumerate() {
            let url = url::Url::parse_with_params(&app.url("/oauth/logout"), params).unwrap();
            let answer = app.browser.get(&url[url::Position::BeforePath..]).await;
            assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "case {i}");
        }
        assert_eq!(app.browser.get("/account").await.status(), StatusCode::OK, "still signed in");

        // Without a hint, a page asks; a forged form does nothing; the page's own form signs out.
        let params = [("client_id", client.id()), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "s")];
        let url = url::Url::parse_with_params(&app.url("/oauth/logout"), params).unwrap();
        let page = app.browser.get(&url[url::Position::BeforePath..]).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains("Concert Companion asks you to sign out"), "{html}");
        let forged = app.browser.post_form("/oauth/logout", &[("client_id", client.id())]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let mut form = hidden_inputs(&html);
        assert_eq!(form.remove("state").as_deref(), Some("s"));
        form.insert("state".into(), "s".into());
        let confirmed = app.browser.post_form("/oauth/logout", &form).await;
        assert_eq!(confirmed.status(), StatusCode::FOUND);
        assert_eq!(location(&confirmed), format!("{SIGNED_OUT}?state=s"));
        assert_eq!(app.browser.get("/account").await.status(), StatusCode::SEE_OTHER);
        receiver.wait_for(1).await;

        let metadata: Value = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["end_session_endpoint"], app.url("/oauth/logout"));
        assert_eq!(metadata["backchannel_logout_supported"], true);
    }
}

backend_test! {
    async fn signing_out_on_our_own_page_tells_the_listening_applications_too() {
        let app = TestApp::spawn().await;
        app.create_user("leaving@example.com").await;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let client = listening_client(&app, &receiver.url).await;
        id_token(&app, &client).await;
        let signed_out = app.browser.submit_form("/account", "/session/delete", &[]).await;
        assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
        let (_, claims) = verified_logout_token(&app, &receiver.wait_for(1).await[0].raw).await;
        assert_eq!(claims["aud"], client.id());
    }
}
