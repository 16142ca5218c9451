//! Ready for AI agents: the official MCP SDK discovers the API's protected resource metadata from
//! a 401, identifies itself with a client metadata document served over https on 127.0.0.1 (or
//! registers itself), gets a token for the API with `resource`, and calls it. Then the SSRF
//! rules for fetching documents and the operator's policies, each position.

use crate::harness::*;
use crate::node::{node_helpers, Node};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_server::{ArrivalPolicy, ServerConfig};

/// An https server on 127.0.0.1 serving client metadata documents (`metadata-host.mjs`).
pub(crate) struct MetadataHost {
    node: Node,
    origin: String,
}

impl MetadataHost {
    pub(crate) async fn start(helpers: &std::path::Path, routes: Value) -> MetadataHost {
        let mut node = Node::start(helpers, "metadata-host.mjs", routes);
        let port = node.next().await["port"].as_u64().expect("a port");
        MetadataHost { node, origin: format!("https://127.0.0.1:{port}") }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Whether the host was asked for anything within a short while.
    async fn was_fetched(&mut self) -> bool {
        tokio::time::timeout(Duration::from_millis(300), self.node.stdout.next_line()).await.is_ok()
    }
}

fn test_ca() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../browser-tests/tls/ca.pem")
}

/// Documents on loopback allowed and the test CA trusted, under `policy`.
pub(crate) fn documents(policy: ArrivalPolicy) -> impl FnOnce(&mut ServerConfig) {
    move |config: &mut ServerConfig| {
        config.client_metadata_documents = policy;
        config.client_fetch.allow_private = true;
        config.client_fetch.extra_root_pem = Some(std::fs::read(test_ca()).unwrap());
        config.client_fetch.timeout = Duration::from_secs(1);
    }
}

pub(crate) fn document(redirect_uri: &str) -> Value {
    json!({
        "client_id": "{origin}/agent/client.json",
        "client_name": "Ticket assistant",
        "redirect_uris": [redirect_uri],
        "token_endpoint_auth_method": "none",
        "scope": "public",
    })
}

/// A code request of a public client with PKCE.
pub(crate) fn pkce_request<'a>(client_id: &'a str, redirect_uri: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "s"),
    ]
}

async fn make_admin(app: &TestApp, email: &str) -> Browser {
    let admin = app.create_user(email).await;
    let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
    app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", String::new())).await.unwrap();
    let staff = app.new_browser();
    assert_eq!(staff.sign_in(email, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    staff
}

/// Introspection by the token's own (confidential) client.
async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let response = app
        .http
        .post(app.url("/oauth/introspect"))
        .basic_auth(client.id(), Some(client.secret()))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Drives the MCP SDK through one sign-in: returns its `tokens` and `api` messages.
async fn run_mcp_client(
    app: &TestApp,
    mut node: Node,
    email: &str,
    check_consent: impl FnOnce(&str),
) -> (Value, Value) {
    let challenge = node.expect("challenge").await;
    assert_eq!(challenge["status"], 401);
    assert_eq!(challenge["resource_metadata"], app.url("/.well-known/oauth-protected-resource/api/public"));
    let authorize = node.expect("authorize").await;
    let url = authorize["url"].as_str().unwrap().strip_prefix(&app.base).unwrap().to_owned();
    let resource = app.url("/api/public");
    assert!(url.contains(&format!("resource={}", urlencode(&resource))), "{url}");
    app.browser.sign_in(email, PASSWORD).await;
    let consent = app.browser.get(&url).await;
    assert_eq!(consent.status(), StatusCode::OK);
    let html = consent.text().await.unwrap();
    check_consent(&html);
    let mut form = hidden_inputs(&html);
    form.insert("decision".into(), "approve".into());
    let callback = app.browser.post_form("/oauth/authorize", &form).await;
    assert_eq!(callback.status(), StatusCode::FOUND);
    node.send(&location(&callback)).await;
    assert_eq!(node.expect("callback").await["iss"], app.base, "RFC 9207 iss on the response");
    let tokens = node.expect("tokens").await;
    let api = node.expect("api").await;
    (tokens, api)
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

backend_test! {
    async fn the_mcp_sdk_finds_us_from_a_401_identifies_by_its_document_and_calls_the_api() {
        let Some(helpers) = node_helpers() else { return };
        let redirect_uri = "http://127.0.0.1:33418/callback";
        let mut host = MetadataHost::start(&helpers, json!({ "/agent/client.json": {
            "body": document(redirect_uri), "headers": { "cache-control": "max-age=600" },
        }})).await;
        let app = TestApp::spawn_with(documents(ArrivalPolicy::Open)).await;
        app.create_user("fan@example.com").await;
        let metadata: Value = app.http.get(app.url("/.well-known/oauth-authorization-server")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["client_id_metadata_document_supported"], true);
        assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
        assert!(metadata.get("registration_endpoint").is_none(), "registration is off by default");

        let client_id = host.url("/agent/client.json");
        let node = Node::start(&helpers, "mcp-client.mjs", json!({
            "api": app.url("/api/public"), "redirect_uri": redirect_uri, "scope": "public",
            "client_metadata_url": client_id,
        }));
        let (tokens, api) = run_mcp_client(&app, node, "fan@example.com", |html| {
            assert!(html.contains("Ticket assistant"), "the document's name");
            assert!(html.contains("published by 127.0.0.1"), "the document's host, prominently");
            assert!(html.contains("role=\"alert\""), "a loopback-only client is warned about");
        })
        .await;
        assert_eq!(tokens["client_id"], client_id.as_str());
        assert_eq!(api["status"], 200, "{api}");
        assert_eq!(api["body"]["user"]["email"], "fan@example.com");
        assert!(host.was_fetched().await, "the document was fetched");

        let access_token = tokens["tokens"]["access_token"].as_str().unwrap();
        let info: Value = app.http.get(app.url("/oauth/token/info")).bearer_auth(access_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(info["aud"], app.url("/api/public"));
        // The document is cached for its max-age: another sign-in does not fetch it again.
        assert_eq!(app.browser.authorize(&pkce_request(&client_id, redirect_uri)).await.status(), StatusCode::FOUND, "consent remembered");
        assert!(!host.was_fetched().await, "cached for max-age=600");
        // RFC 8252 §7.3: a native client on a loopback IP address may come back on another port.
        let other_port = app.browser.authorize(&pkce_request(&client_id, "http://127.0.0.1:50123/callback")).await;
        assert!(location(&other_port).starts_with("http://127.0.0.1:50123/callback?code="), "{}", location(&other_port));
        let other_path = app.browser.authorize(&pkce_request(&client_id, "http://127.0.0.1:50123/elsewhere")).await;
        assert_eq!(other_path.status(), StatusCode::BAD_REQUEST, "only the port may differ");
    }
}

backend_test! {
    async fn the_mcp_sdk_registers_itself_when_registration_is_open() {
        let Some(helpers) = node_helpers() else { return };
        let app = TestApp::spawn_with(|config| {
            config.client_metadata_documents = ArrivalPolicy::Off;
            config.registration = ArrivalPolicy::Open;
        })
        .await;
        app.create_user("fan@example.com").await;
        let metadata: Value = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert_eq!(metadata["registration_endpoint"], app.url("/oauth/register"));
        assert_eq!(metadata["client_id_metadata_document_supported"], false);
        let node = Node::start(&helpers, "mcp-client.mjs", json!({
            "api": app.url("/api/public"), "redirect_uri": CALLBACK, "scope": "public",
        }));
        let (tokens, api) = run_mcp_client(&app, node, "fan@example.com", |html| {
            assert!(!html.contains("published by"), "a registered client has no document host");
        })
        .await;
        assert_eq!(api["status"], 200, "{api}");
        let registered = app.store.find_application_by_client_id(tokens["client_id"].as_str().unwrap()).await.unwrap().unwrap();
        assert_eq!(registered.name, "Ticket assistant");
        assert!(!registered.is_confidential(), "registered as token_endpoint_auth_method none");
    }
}

backend_test! {
    async fn a_token_for_one_resource_is_refused_by_another() {
        let app = TestApp::spawn().await;
        app.create_user("fan@example.com").await;
        let checkin = "https://checkin.example/";
        app.store
            .create_resource(ticketbooth_domain::resource::NewResource {
                identifier: checkin.into(),
                name: "Door scanner API".into(),
                scopes: ticketbooth_domain::ScopeSet::parse("public").unwrap(),
            })
            .await
            .unwrap();
        let client = app.create_client(true, &[CALLBACK], "public organizer").await;

        // A code for the check-in resource: its token names it and the public API refuses it.
        let mut params = code_request(&client);
        params.extend([("scope", "public"), ("resource", checkin)]);
        let code = app.new_browser().obtain_code("fan@example.com", PASSWORD, &params).await;
        let mut exchange = vec![
            ("grant_type", "authorization_code"), ("client_id", client.id()), ("client_secret", client.secret()),
            ("redirect_uri", CALLBACK), ("code", &code), ("resource", "https://other.example/"),
        ];
        let (status, error, _) = oauth_error(app.token(&exchange).await).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_target"), "a code is for its own resource");
        exchange.pop();
        let code = app.new_browser().obtain_code("fan@example.com", PASSWORD, &params).await;
        exchange[4] = ("code", &code);
        let tokens: Value = app.token(&exchange).await.json().await.unwrap();
        let token = tokens["access_token"].as_str().unwrap();
        let refused = app.me(token).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert!(challenge.contains(&format!("resource_metadata=\"{}\"", app.url("/.well-known/oauth-protected-resource/api/public"))), "{challenge}");
        assert_eq!(introspect(&app, &client, token).await["aud"], checkin);
        // Its refresh keeps the audience.
        let refreshed: Value = app.refresh(&client, tokens["refresh_token"].as_str().unwrap()).await.json().await.unwrap();
        assert_eq!(introspect(&app, &client, refreshed["access_token"].as_str().unwrap()).await["aud"], checkin);

        // An application token for the API names it; a classic token without resource still works.
        let api = app.url("/api/public");
        let form = [("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", client.secret()), ("resource", api.as_str())];
        let app_token: Value = app.token(&form).await.json().await.unwrap();
        assert_eq!(introspect(&app, &client, app_token["access_token"].as_str().unwrap()).await["aud"], api);
        let classic = app.user_token("fan@example.com", &client, "public").await;
        assert_eq!(app.me(&classic).await.status(), StatusCode::OK);
        assert!(introspect(&app, &client, &classic).await.get("aud").is_none(), "no resource, no aud");

        // Unknown, malformed and scope-refusing resources.
        for (resource, scope, expected) in [
            ("https://unknown.example/", "public", "invalid_target"),
            ("urn:not-a-url", "public", "invalid_target"),
            ("https://checkin.example/#f", "public", "invalid_target"),
            (checkin, "organizer", "invalid_scope"),
        ] {
            let form = [("grant_type", "client_credentials"), ("client_id", client.id()), ("client_secret", client.secret()), ("resource", resource), ("scope", scope)];
            let (status, error, _) = oauth_error(app.token(&form).await).await;
            assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, expected), "{resource} {scope}");
            let mut params = code_request(&client);
            params.extend([("scope", scope), ("resource", resource)]);
            app.browser.sign_in("fan@example.com", PASSWORD).await;
            let redirected = app.browser.authorize(&params).await;
            assert_eq!(redirected.status(), StatusCode::FOUND, "{resource}");
            let query = location_query(&redirected);
            assert_eq!(query["error"], expected, "{resource} at the authorization endpoint");
            assert_eq!(query["iss"], app.base, "iss on error responses too");
        }
        // A pushed request is checked as it is pushed.
        let mut pushed = code_request(&client);
        pushed.push(("resource", "https://unknown.example/"));
        let pushed = app.http.post(app.url("/oauth/par")).basic_auth(client.id(), Some(client.secret())).form(&pushed).send().await.unwrap();
        assert_eq!(oauth_error(pushed).await.1, "invalid_target");
        let mut twice = code_request(&client);
        twice.extend([("resource", checkin), ("resource", api.as_str())]);
        assert_eq!(location_query(&app.browser.authorize(&twice).await)["error"], "invalid_target");
    }
}

backend_test! {
    async fn the_resource_metadata_names_the_api_and_this_server() {
        let app = TestApp::spawn().await;
        for path in ["/.well-known/oauth-protected-resource/api/public", "/.well-known/oauth-protected-resource"] {
            let document: Value = app.http.get(app.url(path)).send().await.unwrap().json().await.unwrap();
            assert_eq!(document["resource"], app.url("/api/public"), "{path}");
            assert_eq!(document["authorization_servers"], json!([app.base]));
            assert_eq!(document["scopes_supported"], json!(["public", "organizer"]));
            assert_eq!(document["bearer_methods_supported"], json!(["header", "body", "query"]));
            assert!(document["dpop_signing_alg_values_supported"].as_array().unwrap().contains(&json!("ES256")));
        }
        let anonymous = app.http.get(app.url("/api/public/me")).send().await.unwrap();
        let challenge = anonymous.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("resource_metadata="), "{challenge}");
        // Only the API's challenges point there.
        let userinfo = app.http.get(app.url("/oauth/userinfo")).send().await.unwrap();
        assert!(!userinfo.headers()["www-authenticate"].to_str().unwrap().contains("resource_metadata"));
    }
}

backend_test! {
    async fn documents_on_private_addresses_are_refused_by_default() {
        let Some(helpers) = node_helpers() else { return };
        let mut host = MetadataHost::start(&helpers, json!({ "/agent/client.json": { "body": document(CALLBACK) } })).await;
        // The default configuration (approval), the test CA trusted so only the address decides.
        let app = TestApp::spawn_with(|config| {
            config.client_fetch.extra_root_pem = Some(std::fs::read(test_ca()).unwrap());
        })
        .await;
        app.create_user("fan@example.com").await;
        app.browser.sign_in("fan@example.com", PASSWORD).await;
        let localhost_id = host.url("/agent/client.json").replace("127.0.0.1", "localhost");
        for client_id in [host.url("/agent/client.json"), localhost_id, "https://[::1]/agent/client.json".into(), "https://10.0.0.1/c.json".into()] {
            let refused = app.browser.authorize(&pkce_request(&client_id, CALLBACK)).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{client_id}");
            assert!(refused.text().await.unwrap().contains("metadata document"), "{client_id}: explained");
        }
        assert!(!host.was_fetched().await, "no request reached the private address");
        assert_eq!(app.count_rows("applications WHERE origin = 'metadata_document'").await, 0);
        // Not https, or without a path: not a metadata document URL at all.
        for client_id in [host.url("/agent/client.json").replace("https", "http"), host.origin.clone()] {
            assert_eq!(app.browser.authorize(&pkce_request(&client_id, CALLBACK)).await.status(), StatusCode::BAD_REQUEST);
        }
    }
}

backend_test! {
    async fn oversized_slow_redirecting_and_foreign_documents_are_refused_quickly() {
        let Some(helpers) = node_helpers() else { return };
        let mut foreign = document(CALLBACK);
        foreign["client_id"] = json!("https://elsewhere.example/client.json");
        let host = MetadataHost::start(&helpers, json!({
            "/big.json": { "bytes": 64 * 1024 },
            "/slow.json": { "body": document(CALLBACK), "delay_ms": 10_000 },
            "/moved.json": { "status": 302, "headers": { "location": "https://elsewhere.example/client.json" } },
            "/foreign.json": { "body": foreign },
            "/secret.json": { "body": { "client_id": "{origin}/secret.json", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_basic" } },
        })).await;
        let app = TestApp::spawn_with(documents(ArrivalPolicy::Open)).await;
        app.create_user("fan@example.com").await;
        app.browser.sign_in("fan@example.com", PASSWORD).await;
        for (path, why) in [
            ("/big.json", "larger than"),
            ("/slow.json", "timed out"),
            ("/moved.json", "answered 302"),
            ("/foreign.json", "must equal the URL"),
            ("/secret.json", "token_endpoint_auth_method none"),
        ] {
            let started = Instant::now();
            let refused = app.browser.authorize(&pkce_request(&host.url(path), CALLBACK)).await;
            assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{path}");
            assert!(refused.text().await.unwrap().contains(why), "{path}: {why}");
            assert!(started.elapsed() < Duration::from_secs(3), "{path} answered within the fetch timeout");
        }
        assert_eq!(app.count_rows("applications WHERE origin = 'metadata_document'").await, 0);
        // While a slow fetch is under way the server answers everyone else.
        let slow = host.url("/slow.json");
        let slow_request = pkce_request(&slow, CALLBACK);
        let pending = app.browser.authorize(&slow_request);
        let health = async {
            let started = Instant::now();
            assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
            started.elapsed()
        };
        let (_, health_time) = tokio::join!(pending, health);
        assert!(health_time < Duration::from_millis(500), "{health_time:?}");
    }
}

backend_test! {
    async fn under_approval_a_new_document_client_waits_for_an_admin() {
        let Some(helpers) = node_helpers() else { return };
        let host = MetadataHost::start(&helpers, json!({ "/agent/client.json": { "body": document(CALLBACK) } })).await;
        let app = TestApp::spawn_with(documents(ArrivalPolicy::Approval)).await;
        app.create_user("fan@example.com").await;
        app.browser.sign_in("fan@example.com", PASSWORD).await;
        let client_id = host.url("/agent/client.json");
        let request = pkce_request(&client_id, CALLBACK);
        let waiting = app.browser.authorize(&request).await;
        assert_eq!(waiting.status(), StatusCode::FORBIDDEN);
        assert!(waiting.text().await.unwrap().contains("Waiting for approval"));
        // Its token requests are refused as well.
        let form = [("grant_type", "authorization_code"), ("client_id", client_id.as_str()), ("code", "x"), ("code_verifier", VERIFIER), ("redirect_uri", CALLBACK)];
        assert_eq!(oauth_error(app.token(&form).await).await.1, "invalid_client");

        let staff = make_admin(&app, "staff@example.com").await;
        let console = staff.get("/admin").await.text().await.unwrap();
        assert!(console.contains("Ticket assistant") && console.contains(&client_id), "listed for review");
        let pending = app.store.clients_in_review().await.unwrap();
        let page = format!("/admin/applications/{}", pending[0].id);
        let approved = staff.submit_form(&page, &page, &[("action", "review"), ("decision", "approve")]).await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let consent = app.browser.authorize(&request).await;
        assert_eq!(consent.status(), StatusCode::OK, "approved: the consent page");
        assert!(app.store.clients_in_review().await.unwrap().is_empty());
        let audit = staff.get("/admin/audit").await.text().await.unwrap();
        assert!(audit.contains("application.approve"));
    }
}

backend_test! {
    async fn a_rejected_document_client_stays_refused_and_off_refuses_every_one() {
        let Some(helpers) = node_helpers() else { return };
        let mut host = MetadataHost::start(&helpers, json!({ "/agent/client.json": { "body": document(CALLBACK) } })).await;
        let app = TestApp::spawn_with(documents(ArrivalPolicy::Approval)).await;
        app.create_user("fan@example.com").await;
        app.browser.sign_in("fan@example.com", PASSWORD).await;
        let client_id = host.url("/agent/client.json");
        let request = pkce_request(&client_id, CALLBACK);
        assert_eq!(app.browser.authorize(&request).await.status(), StatusCode::FORBIDDEN);
        assert!(host.was_fetched().await);
        let staff = make_admin(&app, "staff@example.com").await;
        let pending = app.store.clients_in_review().await.unwrap();
        let page = format!("/admin/applications/{}", pending[0].id);
        let no_reason = staff.submit_form(&page, &page, &[("action", "review"), ("decision", "reject")]).await;
        assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST, "a rejection needs a reason");
        let rejected = staff.submit_form(&page, &page, &[("action", "review"), ("decision", "reject"), ("reason", "unknown vendor")]).await;
        assert_eq!(rejected.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser.authorize(&request).await.status(), StatusCode::BAD_REQUEST, "refused as unknown");
        assert!(!host.was_fetched().await, "a rejected client's document is not fetched again");

        let off = TestApp::spawn_with(documents(ArrivalPolicy::Off)).await;
        off.create_user("fan@example.com").await;
        off.browser.sign_in("fan@example.com", PASSWORD).await;
        assert_eq!(off.browser.authorize(&request).await.status(), StatusCode::BAD_REQUEST);
        assert!(!host.was_fetched().await, "off: nothing is fetched");
    }
}

backend_test! {
    async fn registration_follows_the_policy_and_its_token_manages_the_client() {
        let registration = json!({ "client_name": "Partner bot", "redirect_uris": [CALLBACK], "grant_types": ["authorization_code", "client_credentials"] });
        let off = TestApp::spawn().await;
        let refused = off.http.post(off.url("/oauth/register")).json(&registration).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "access_denied");

        let app = TestApp::spawn_with(|config| config.registration = ArrivalPolicy::Open).await;
        let created = app.http.post(app.url("/oauth/register")).json(&registration).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        assert_eq!(created.headers()["cache-control"], "no-store");
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(created["review_status"], "approved");
        let (client_id, secret) = (created["client_id"].as_str().unwrap(), created["client_secret"].as_str().unwrap());
        let registration_token = created["registration_access_token"].as_str().unwrap();
        let manage = created["registration_client_uri"].as_str().unwrap();
        assert_eq!(manage, app.url(&format!("/oauth/register/{client_id}")));
        let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
        assert_eq!(app.token(&form).await.status(), StatusCode::OK, "the registered client works");

        let read: Value = app.http.get(manage).bearer_auth(registration_token).send().await.unwrap().json().await.unwrap();
        assert_eq!(read["client_name"], "Partner bot");
        assert!(read.get("client_secret").is_none() && read.get("registration_access_token").is_none(), "shown once");
        for token in ["wrong", secret] {
            assert_eq!(app.http.get(manage).bearer_auth(token).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        }
        let mut update = registration.clone();
        update["client_id"] = json!(client_id);
        update["client_name"] = json!("Partner bot 2");
        let updated = app.http.put(manage).bearer_auth(registration_token).json(&update).send().await.unwrap();
        assert_eq!(updated.status(), StatusCode::OK);
        assert_eq!(updated.json::<Value>().await.unwrap()["client_name"], "Partner bot 2");
        update["token_endpoint_auth_method"] = json!("none");
        let changed = app.http.put(manage).bearer_auth(registration_token).json(&update).send().await.unwrap();
        assert_eq!(oauth_error(changed).await.1, "invalid_client_metadata");
        let bad = json!({ "redirect_uris": ["javascript:alert(1)"] });
        let bad = app.http.post(app.url("/oauth/register")).json(&bad).send().await.unwrap();
        assert_eq!(oauth_error(bad).await.1, "invalid_redirect_uri");
        // Someone else's registration token manages nothing of this client.
        let other: Value = app.http.post(app.url("/oauth/register")).json(&registration).send().await.unwrap().json().await.unwrap();
        let foreign = other["registration_access_token"].as_str().unwrap();
        assert_eq!(app.http.delete(manage).bearer_auth(foreign).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.http.delete(manage).bearer_auth(registration_token).send().await.unwrap().status(), StatusCode::NO_CONTENT);
        assert_eq!(oauth_error(app.token(&form).await).await.1, "invalid_client", "deleted");
        assert_eq!(app.http.get(manage).bearer_auth(registration_token).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

        let approval = TestApp::spawn_with(|config| config.registration = ArrivalPolicy::Approval).await;
        let pending: Value = approval.http.post(approval.url("/oauth/register")).json(&registration).send().await.unwrap().json().await.unwrap();
        assert_eq!(pending["review_status"], "pending");
        let form = [("grant_type", "client_credentials"), ("client_id", pending["client_id"].as_str().unwrap()), ("client_secret", pending["client_secret"].as_str().unwrap())];
        assert_eq!(oauth_error(approval.token(&form).await).await.1, "invalid_client", "pending until approved");
        let staff = make_admin(&approval, "staff@example.com").await;
        let app_id = approval.store.clients_in_review().await.unwrap()[0].id;
        let page = format!("/admin/applications/{app_id}");
        assert!(staff.get(&page).await.text().await.unwrap().contains("Registered itself"));
        staff.submit_form(&page, &page, &[("action", "review"), ("decision", "approve")]).await;
        assert_eq!(approval.token(&form).await.status(), StatusCode::OK, "approved");
    }
}

backend_test! {
    async fn new_clients_from_one_address_are_limited_so_the_review_queue_cannot_be_flooded() {
        let Some(helpers) = node_helpers() else { return };
        let host = MetadataHost::start(&helpers, json!({})).await;
        let app = TestApp::spawn_with(|config| {
            documents(ArrivalPolicy::Approval)(config);
            config.registration = ArrivalPolicy::Approval;
        })
        .await;
        let registration = json!({ "redirect_uris": [CALLBACK] });
        for _ in 0..20 {
            let created = app.http.post(app.url("/oauth/register")).json(&registration).send().await.unwrap();
            assert_eq!(created.status(), StatusCode::CREATED);
        }
        let refused = app.http.post(app.url("/oauth/register")).json(&registration).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(oauth_error(refused).await.1, "temporarily_unavailable");

        // First uses of metadata documents count alike, before anything is fetched.
        app.create_user("fan@example.com").await;
        app.browser.sign_in("fan@example.com", PASSWORD).await;
        for i in 0..20 {
            let client_id = host.url(&format!("/made-up/{i}.json"));
            assert_eq!(app.browser.authorize(&pkce_request(&client_id, CALLBACK)).await.status(), StatusCode::BAD_REQUEST);
        }
        let busy = app.browser.authorize(&pkce_request(&host.url("/made-up/last.json"), CALLBACK)).await;
        assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(busy.headers().contains_key("retry-after"));
        assert_eq!(app.count_rows("applications WHERE review = 'pending'").await, 20, "20 registrations wait, no more");
    }
}

backend_test! {
    async fn a_device_asks_for_a_resource_and_its_token_is_for_that_resource() {
        let app = TestApp::spawn().await;
        app.create_user("staff@example.com").await;
        let options = ClientOptions { device_grant: true, ..ClientOptions::default() };
        let scanner = app.create_client_with_options(false, &[], "public", options).await;
        let api = app.url("/api/public");
        let start = |resource: &str| {
            let form = [("client_id", scanner.id()), ("scope", "public"), ("resource", resource)];
            app.http.post(app.url("/oauth/device_authorization")).form(&form).send()
        };
        assert_eq!(oauth_error(start("https://unknown.example/").await.unwrap()).await.1, "invalid_target");
        let started: Value = start(&api).await.unwrap().json().await.unwrap();
        let user_code = started["user_code"].as_str().unwrap();
        let staff = app.new_browser();
        staff.sign_in("staff@example.com", PASSWORD).await;
        let page = format!("/device?user_code={user_code}");
        let confirmation = staff.submit_form(&page, "/device", &[("user_code", user_code)]).await;
        let mut form = hidden_inputs(&confirmation.text().await.unwrap());
        form.insert("decision".into(), "approve".into());
        staff.post_form("/device", &form).await;
        let poll = |resource: Option<&str>| {
            let mut form = vec![
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", scanner.id()),
                ("device_code", started["device_code"].as_str().unwrap()),
            ];
            form.extend(resource.map(|resource| ("resource", resource)));
            app.http.post(app.url("/oauth/token")).form(&form).send()
        };
        let other = poll(Some("https://other.example/")).await.unwrap();
        assert_eq!(oauth_error(other).await.1, "invalid_target", "the device's grant is for the API");
        let tokens: Value = poll(None).await.unwrap().json().await.unwrap();
        let token = tokens["access_token"].as_str().unwrap();
        let info: Value = app.http.get(app.url("/oauth/token/info")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        assert_eq!(info["aud"], api);
        assert_eq!(app.me(token).await.status(), StatusCode::OK, "a token for the API works there");
    }
}
