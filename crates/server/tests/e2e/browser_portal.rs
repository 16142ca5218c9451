//! The developer portal and the admin console in Chromium: a partner requests an application, an
//! administrator approves it with fewer scopes, the partner sees the secret once, uses it, and
//! rotates it; the administrator suspends and resumes the application. Every page is checked
//! with axe-core and photographed at both widths, in English and in Thai.

use crate::browser::Chrome;
use crate::harness::*;
use reqwest::StatusCode;
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_store::{AuditFilter, RequestFilter};

async fn sign_in(chrome: &Chrome, app: &TestApp, email: &str) {
    chrome.goto(&app.url("/session/new?return_to=%2Fdevelopers")).await;
    chrome.fill("email", email).await;
    chrome.fill("password", PASSWORD).await;
    chrome.click("button.primary").await;
    chrome.wait_for_path("the portal", |path| path == "/developers").await;
}

async fn sign_out(chrome: &Chrome, app: &TestApp) {
    chrome.goto(&app.url("/account")).await;
    chrome.click(".account-head button").await;
    chrome.wait_for_path("home", |path| path == "/").await;
}

/// The secret an application page shows, if any.
async fn secret_on_page(chrome: &Chrome) -> Option<String> {
    let found = chrome.client.find(fantoccini::Locator::Css("code.secret")).await.ok()?;
    Some(found.text().await.expect("the secret's text"))
}

async fn client_credentials(app: &TestApp, client_id: &str, secret: &str) -> StatusCode {
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    app.token(&form).await.status()
}

#[tokio::test]
async fn a_request_is_reviewed_and_the_application_run_in_the_browser() {
    let Some(chrome) = Chrome::start("portal").await else { return };
    let app = TestApp::spawn().await;
    let partner = app.create_user("partner@example.com").await;
    let admin = app.create_user("staff@example.com").await;
    let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
    app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", String::new())).await.unwrap();
    app.store.create_organizer("Siam Shows", &[partner.id, admin.id]).await.unwrap();

    // The partner: no console for them, and a request.
    sign_in(&chrome, &app, "partner@example.com").await;
    chrome.check_page("developers-empty").await;
    assert!(!chrome.html().await.contains("href=\"/admin\""));
    chrome.goto(&app.url("/admin")).await;
    chrome.wait_for_text("This page is for the platform's administrators").await;
    chrome.check_page("admin-refused").await;
    chrome.goto(&app.url("/developers")).await;
    chrome.click("a.button.primary").await;
    chrome.wait_for_path("the request form", |path| path == "/developers/new").await;
    chrome.check_page("request-form").await;
    chrome.fill("name", "Partner Shop").await;
    chrome.fill("description", "Sells tickets to our members").await;
    chrome.fill("website", "https://partner.example").await;
    chrome.fill("redirect_uris", "http://partner.example/cb").await;
    chrome.click("input[name=scopes][value=openid]").await;
    chrome.fill("purpose", "Members sign in with Ticketbooth").await;
    chrome.click("button.primary").await;
    chrome.wait_for_text("must use https").await;
    chrome.check_page("request-problems").await;
    chrome.fill("redirect_uris", CALLBACK).await;
    chrome.click("button.primary").await;
    chrome.wait_for_path("the portal", |path| path.starts_with("/developers?done=requested")).await;
    chrome.check_page("developers-pending").await;
    let request = app.store.list_requests(RequestFilter::default()).await.unwrap().remove(0);
    assert_eq!(request.draft.scopes.to_string(), "public openid", "the values typed before the problem were kept");

    // The administrator approves `public` only.
    sign_out(&chrome, &app).await;
    sign_in(&chrome, &app, "staff@example.com").await;
    chrome.click("a[href=\"/admin\"]").await;
    chrome.wait_for_path("the console", |path| path == "/admin").await;
    chrome.check_page("admin-requests").await;
    chrome.click(&format!("a[href=\"/admin/requests/{}\"]", request.id)).await;
    chrome.wait_for_text("Members sign in with Ticketbooth").await;
    chrome.check_page("admin-request").await;
    chrome.click("input[name=scopes][value=openid]").await;
    chrome.click("button[value=approve]").await;
    chrome.wait_for_path("the requests", |path| path.starts_with("/admin?done=approved")).await;
    let application_id = app.store.find_request(request.id).await.unwrap().unwrap().application_id.unwrap();
    let application = app.store.find_application(application_id).await.unwrap().unwrap();
    assert_eq!(application.scopes.to_string(), "public");
    let admin_pages = [
        "/admin",
        "/admin/applications",
        &format!("/admin/applications/{application_id}"),
        "/admin/users",
        &format!("/admin/users/{}", partner.id),
        "/admin/organizers",
        "/admin/audit",
    ]
    .map(|page| page.to_owned());
    for page in &admin_pages {
        chrome.goto(&app.url(page)).await;
        chrome.check_page(&format!("en{}", page.replace('/', "-"))).await;
    }

    // The partner sees the secret once and signs a person in with it.
    sign_out(&chrome, &app).await;
    sign_in(&chrome, &app, "partner@example.com").await;
    let app_page = format!("/developers/applications/{application_id}");
    chrome.click(&format!("a[href=\"{app_page}\"]")).await;
    chrome.wait_for_path("the application", |path| path == app_page).await;
    let secret = secret_on_page(&chrome).await.expect("the secret at the first view");
    chrome.check_page("application-first-view").await;
    chrome.goto(&app.url(&app_page)).await;
    assert_eq!(secret_on_page(&chrome).await, None, "never twice");
    assert!(!chrome.html().await.contains(&secret));
    let client = TestClient { app: application.clone(), secret: Some(secret.clone()) };
    let token = app.user_token("partner@example.com", &client, "public").await;
    assert_eq!(app.me(&token).await.status(), StatusCode::OK);

    // Rotation with the preselected day of grace: both secrets work.
    chrome.click("form select[name=grace_days] ~ button").await;
    chrome.wait_for_text("A new secret was made").await;
    let rotated = secret_on_page(&chrome).await.expect("the new secret, once");
    chrome.check_page("application-rotated").await;
    assert_eq!(client_credentials(&app, client.id(), &secret).await, StatusCode::OK, "in its grace period");
    assert_eq!(client_credentials(&app, client.id(), &rotated).await, StatusCode::OK);
    chrome.goto(&app.url(&app_page)).await;
    chrome.wait_for_text("Keeps working until").await;

    // The administrator suspends it: its token and its secret stop at once; then resumes it.
    sign_out(&chrome, &app).await;
    sign_in(&chrome, &app, "staff@example.com").await;
    let admin_app = format!("/admin/applications/{application_id}");
    chrome.goto(&app.url(&admin_app)).await;
    chrome.click("input[value=suspend] ~ button").await;
    chrome.wait_for_text("was suspended").await;
    chrome.check_page("admin-application-suspended").await;
    assert_eq!(app.me(&token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(client_credentials(&app, client.id(), &rotated).await, StatusCode::UNAUTHORIZED);
    chrome.click("input[value=resume] ~ button").await;
    chrome.wait_for_text("was resumed").await;
    assert_eq!(client_credentials(&app, client.id(), &rotated).await, StatusCode::OK);

    // The same pages in Thai.
    chrome.goto(&app.url("/language/th?return_to=%2Fadmin")).await;
    chrome.wait_for_text("<html lang=\"th\">").await;
    for page in &admin_pages {
        chrome.goto(&app.url(page)).await;
        chrome.check_page(&format!("th{}", page.replace('/', "-"))).await;
    }
    sign_out(&chrome, &app).await;
    sign_in(&chrome, &app, "partner@example.com").await;
    for page in ["/developers", "/developers/new", app_page.as_str()] {
        chrome.goto(&app.url(page)).await;
        chrome.wait_for_text("<html lang=\"th\">").await;
        chrome.check_page(&format!("th{}", page.replace('/', "-"))).await;
    }

    // Every step is in the audit log, in order, with its actor.
    let log = app.store.audit_log(AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
    let story: Vec<String> = log.iter().rev().map(|line| format!("{} {}", line.action, line.actor)).collect();
    assert_eq!(
        story,
        [
            "user.grant-admin cli:test",
            "request.create partner@example.com",
            "request.approve staff@example.com",
            "application.rotate-secret partner@example.com",
            "application.suspend staff@example.com",
            "application.resume staff@example.com",
        ]
    );
    let _ = chrome.client.clone().close().await;
}
