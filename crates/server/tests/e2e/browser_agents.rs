//! The pages an AI agent's client brings people to, in Chromium: the wait for approval, the admin
//! console's list of new clients and its review, and the consent page naming the document's host
//! with the loopback warning; in English and in Thai, checked with axe-core at both widths.

use crate::agents::{document, documents, pkce_request, MetadataHost};
use crate::browser::Chrome;
use crate::harness::*;
use crate::node::node_helpers;
use serde_json::json;
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_server::ArrivalPolicy;

const LOOPBACK: &str = "http://127.0.0.1:33418/callback";

async fn sign_in(chrome: &Chrome, app: &TestApp, email: &str, then: &str) {
    let return_to: String = url::form_urlencoded::byte_serialize(then.as_bytes()).collect();
    chrome.goto(&app.url(&format!("/session/new?return_to={return_to}"))).await;
    chrome.fill("email", email).await;
    chrome.fill("password", PASSWORD).await;
    chrome.click("button.primary").await;
}

async fn sign_out(chrome: &Chrome, app: &TestApp) {
    chrome.goto(&app.url("/account")).await;
    chrome.click(".account-head button").await;
    chrome.wait_for_path("home", |path| path == "/").await;
}

#[tokio::test]
async fn an_agent_waits_for_approval_is_reviewed_and_shown_with_its_host() {
    let Some(helpers) = node_helpers() else { return };
    let Some(chrome) = Chrome::start("agents").await else { return };
    let host = MetadataHost::start(&helpers, json!({
        "/agent/client.json": { "body": document(LOOPBACK) },
        "/other/client.json": { "body": { "client_id": "{origin}/other/client.json", "client_name": "Other agent", "redirect_uris": [LOOPBACK] } },
    }))
    .await;
    let app = TestApp::spawn_with(documents(ArrivalPolicy::Approval)).await;
    app.create_user("fan@example.com").await;
    let admin = app.create_user("staff@example.com").await;
    let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
    app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", String::new())).await.unwrap();
    let authorize = |client_id: &str| {
        let params = pkce_request(client_id, LOOPBACK);
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        format!("/oauth/authorize?{query}")
    };
    let agent = authorize(&host.url("/agent/client.json"));

    // A person follows the agent's link before anyone approved it.
    sign_in(&chrome, &app, "fan@example.com", &agent).await;
    chrome.wait_for_text("Waiting for approval").await;
    chrome.check_page("awaiting-approval").await;
    sign_out(&chrome, &app).await;

    // An administrator finds it in the console and approves it.
    sign_in(&chrome, &app, "staff@example.com", "/admin").await;
    chrome.wait_for_text("New clients waiting for approval").await;
    chrome.wait_for_text("Ticket assistant").await;
    chrome.check_page("admin-arrivals").await;
    chrome.click("ul.apps a[href^=\"/admin/applications/\"]").await;
    chrome.wait_for_text("Approve this client?").await;
    chrome.check_page("admin-arrival-review").await;
    chrome.click("button[value=\"approve\"]").await;
    chrome.wait_for_path("the approved client", |path| path.contains("done=approved")).await;
    sign_out(&chrome, &app).await;

    // Now the consent page, naming the host and warning about loopback-only redirects.
    sign_in(&chrome, &app, "fan@example.com", &agent).await;
    chrome.wait_for_text("published by 127.0.0.1").await;
    chrome.wait_for_text("approve only if you just started it yourself").await;
    chrome.check_page("consent-document-client").await;

    // The same pages in Thai.
    let back: String = url::form_urlencoded::byte_serialize(agent.as_bytes()).collect();
    chrome.goto(&app.url(&format!("/language/th?return_to={back}"))).await;
    chrome.wait_for_text("<html lang=\"th\">").await;
    chrome.wait_for_text("เผยแพร่โดย 127.0.0.1").await;
    chrome.check_page("th-consent-document-client").await;
    chrome.goto(&app.url(&authorize(&host.url("/other/client.json")))).await;
    chrome.wait_for_text("รอการอนุมัติ").await;
    chrome.check_page("th-awaiting-approval").await;
    sign_out(&chrome, &app).await;
    sign_in(&chrome, &app, "staff@example.com", "/admin").await;
    chrome.wait_for_text("ไคลเอนต์ใหม่ที่รอการอนุมัติ").await;
    chrome.check_page("th-admin-arrivals").await;
    let _ = chrome.client.clone().close().await;
}
