//! Ticketbooth driven by an independent client library, oauth4webapi (pinned in
//! `browser-tests/package.json`, run by `browser-tests/oauth-client.mjs`): a pushed, DPoP-bound
//! code flow and a device sign-in, each validated by the library as it would for a partner.

use crate::harness::*;
use crate::node::{node_helpers, Node};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// oauth4webapi in a Node.js process; `None` when the helpers are not installed (outside CI).
fn oauth_client(options: Value) -> Option<Node> {
    Some(Node::start(&node_helpers()?, "oauth-client.mjs", options))
}

backend_test! {
    async fn oauth4webapi_pushes_a_dpop_bound_code_flow_and_calls_the_api_with_proofs() {
        let app = TestApp::spawn().await;
        app.create_user("agent@example.com").await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let options = json!({
            "mode": "code", "issuer": app.base, "client_id": client.id(), "client_secret": client.secret(),
            "scope": "public", "redirect_uri": CALLBACK, "dpop": true,
        });
        let Some(mut node) = oauth_client(options) else { return };

        let authorize = node.expect("authorize").await;
        let url = authorize["url"].as_str().unwrap().strip_prefix(&app.base).unwrap().to_owned();
        assert!(url.starts_with("/oauth/authorize?client_id=") && url.contains("request_uri=urn"), "{url}");
        app.browser.sign_in("agent@example.com", PASSWORD).await;
        let consent = app.browser.get(&url).await;
        assert_eq!(consent.status(), StatusCode::OK);
        let mut form = hidden_inputs(&consent.text().await.unwrap());
        form.insert("decision".into(), "approve".into());
        let callback = app.browser.post_form("/oauth/authorize", &form).await;
        assert_eq!(callback.status(), StatusCode::FOUND);
        node.send(&location(&callback)).await;

        let tokens = node.expect("tokens").await;
        // The library lowercases token_type (RFC 6749 §5.1: case-insensitive).
        assert_eq!(tokens["token_type"], "dpop", "{tokens}");
        let me = node.expect("me").await;
        assert_eq!(me["status"], 200, "{me}");
        assert_eq!(me["body"]["user"]["email"], "agent@example.com");
        let as_bearer = node.expect("as_bearer").await;
        assert_eq!(as_bearer["status"], 401);
        assert!(as_bearer["www_authenticate"].as_str().unwrap().starts_with("DPoP "), "{as_bearer}");

        // Introspection names the key the token is bound to.
        let access_token = tokens["access_token"].as_str().unwrap();
        let introspection: Value = app
            .http
            .post(app.url("/oauth/introspect"))
            .basic_auth(client.id(), client.secret.as_deref())
            .form(&[("token", access_token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(introspection["token_type"], "DPoP");
        assert_eq!(introspection["cnf"]["jkt"].as_str().map(str::len), Some(43), "{introspection}");
    }
}

backend_test! {
    async fn oauth4webapi_signs_in_a_device_approved_by_a_person() {
        let app = TestApp::spawn().await;
        app.create_user("door@example.com").await;
        let options = ClientOptions { device_grant: true, ..ClientOptions::default() };
        let client = app.create_client_with_options(false, &[], "public", options).await;
        let config = json!({ "mode": "device", "issuer": app.base, "client_id": client.id(), "scope": "public" });
        let Some(mut node) = oauth_client(config) else { return };

        let started = node.expect("user_code").await;
        assert_eq!(started["interval"], 5);
        node.expect("pending").await;
        let user_code = started["user_code"].as_str().unwrap();
        app.browser.sign_in("door@example.com", PASSWORD).await;
        let page = format!("/device?user_code={user_code}");
        let confirmation = app.browser.submit_form(&page, "/device", &[("user_code", user_code)]).await;
        let mut form = hidden_inputs(&confirmation.text().await.unwrap());
        form.insert("decision".into(), "approve".into());
        assert_eq!(app.browser.post_form("/device", &form).await.status(), StatusCode::OK);
        node.send("approved").await;

        let tokens = node.expect("tokens").await;
        assert_eq!((tokens["token_type"].as_str(), tokens["scope"].as_str()), (Some("bearer"), Some("public")));
        let me = node.expect("me").await;
        assert_eq!(me["body"]["user"]["email"], "door@example.com", "{me}");
    }
}
