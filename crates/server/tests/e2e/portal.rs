//! Applications by request over HTTP: a partner asks, an administrator approves with trimmed
//! scopes, the partner sees the secret once and uses it, rotates it, an administrator suspends
//! and resumes the application; strangers are refused every console page; the audit log tells
//! the whole story in order.

use crate::harness::*;
use reqwest::StatusCode;
use ticketbooth_domain::model::Application;
use ticketbooth_domain::portal::{Actor, AuditEntry};
use ticketbooth_store::{AuditFilter, RequestFilter};

const ADMIN_PAGES: [&str; 6] =
    ["/admin", "/admin/requests/1", "/admin/applications", "/admin/users", "/admin/organizers", "/admin/audit"];

/// The secret on an application page, if the page shows it.
fn shown_secret(html: &str) -> Option<String> {
    let start = html.find("<code class=\"secret\">")? + "<code class=\"secret\">".len();
    Some(html[start..].split('<').next()?.to_owned())
}

async fn client_credentials(app: &TestApp, client_id: &str, secret: &str) -> StatusCode {
    let form = [("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", secret)];
    app.token(&form).await.status()
}

backend_test! {
    async fn a_partner_requests_an_admin_approves_and_the_app_runs_rotates_and_is_suspended() {
        let app = TestApp::spawn().await;
        let partner = app.create_user("partner@example.com").await;
        let admin = app.create_user("staff@example.com").await;
        let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
        app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", format!("user:{}", admin.id))).await.unwrap();
        let partner_browser = app.new_browser();
        assert_eq!(partner_browser.sign_in("partner@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);

        // Not an administrator: every console page is refused, and none is linked.
        for page in ADMIN_PAGES {
            assert_eq!(partner_browser.get(page).await.status(), StatusCode::FORBIDDEN, "{page}");
        }
        let portal = partner_browser.get("/developers").await;
        assert_eq!(portal.headers()["cache-control"], "no-store");
        assert!(!portal.text().await.unwrap().contains("href=\"/admin\""), "no console link for a partner");

        // A bad request is shown again with its problems.
        let refused = partner_browser
            .submit_form("/developers/new", "/developers/new", &[("name", "Shop"), ("redirect_uris", "http://shop.example/cb"), ("scopes", "public"), ("purpose", "x")])
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("must use https"));

        let fields = [
            ("name", "Partner Shop"),
            ("description", "Sells tickets"),
            ("website", "https://partner.example"),
            ("redirect_uris", CALLBACK),
            ("client_type", "confidential"),
            ("scopes", "openid"),
            ("purpose", "Our customers sign in with Ticketbooth"),
        ];
        // Two scopes are asked for (the second `scopes` field is added by hand: the form helper
        // keeps one value per name).
        let page = partner_browser.get("/developers/new").await.text().await.unwrap();
        let mut form: Vec<(String, String)> = ticketbooth_testkit::hidden_inputs(&page).into_iter().collect();
        form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        form.push(("scopes".into(), "public".into()));
        assert_eq!(partner_browser.post_form("/developers/new", &form).await.status(), StatusCode::SEE_OTHER);
        let requests = app.store.list_requests(RequestFilter::default()).await.unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].draft.scopes.to_string(), "public openid");
        let request_id = requests[0].id;

        // The administrator approves, granting only `public`.
        let staff = app.new_browser();
        assert_eq!(staff.sign_in("staff@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert!(staff.get("/developers").await.text().await.unwrap().contains("href=\"/admin\""));
        let review = format!("/admin/requests/{request_id}");
        let page = staff.get(&review).await.text().await.unwrap();
        assert!(page.contains("Our customers sign in with Ticketbooth"), "everything the requester wrote");
        let approved = staff.submit_form(&review, &review, &[("decision", "approve"), ("scopes", "public")]).await;
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let again = staff.submit_form(&review, &review, &[("decision", "reject"), ("reason", "late")]).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "reviewed once");

        let application_id = app.store.find_request(request_id).await.unwrap().unwrap().application_id.unwrap();
        let application: Application = app.store.find_application(application_id).await.unwrap().unwrap();
        assert_eq!(application.scopes.to_string(), "public", "scopes trimmed");
        assert_eq!(application.owner_id, Some(partner.id));

        // The secret is shown at the first view only.
        let page_path = format!("/developers/applications/{}", application.id);
        let first = partner_browser.get(&page_path).await.text().await.unwrap();
        let secret = shown_secret(&first).expect("the secret at first view");
        assert_eq!(secret.len(), 64);
        let second = partner_browser.get(&page_path).await.text().await.unwrap();
        assert_eq!(shown_secret(&second), None, "never a second time");
        assert!(!second.contains(&secret));
        assert_eq!(app.new_browser().get(&page_path).await.status(), StatusCode::SEE_OTHER, "strangers sign in first");

        // The authorization code flow works with it.
        let client = TestClient { app: app.store.find_application(application.id).await.unwrap().unwrap(), secret: Some(secret.clone()) };
        let token = app.user_token("partner@example.com", &client, "public").await;
        assert_eq!(app.me(&token).await.status(), StatusCode::OK);

        // Rotation with a day's grace: both secrets work; rotating again without grace ends the
        // one before at once.
        let rotated = partner_browser.submit_form(&page_path, &page_path, &[("action", "rotate"), ("grace_days", "1")]).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let new_secret = shown_secret(&rotated.text().await.unwrap()).expect("the new secret, once");
        assert_eq!(client_credentials(&app, client.id(), &secret).await, StatusCode::OK, "old secret in its grace period");
        assert_eq!(client_credentials(&app, client.id(), &new_secret).await, StatusCode::OK);
        let rotated = partner_browser.submit_form(&page_path, &page_path, &[("action", "rotate"), ("grace_days", "0")]).await;
        let newest = shown_secret(&rotated.text().await.unwrap()).expect("the newest secret");
        assert_eq!(client_credentials(&app, client.id(), &new_secret).await, StatusCode::UNAUTHORIZED, "no grace asked");
        assert_eq!(client_credentials(&app, client.id(), &newest).await, StatusCode::OK);

        // Suspension revokes the tokens at once and refuses the client; resuming lets it in.
        let admin_page = format!("/admin/applications/{}", application.id);
        assert_eq!(staff.submit_form(&admin_page, &admin_page, &[("action", "suspend")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.me(&token).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(client_credentials(&app, client.id(), &newest).await, StatusCode::UNAUTHORIZED);
        assert_eq!(staff.submit_form(&admin_page, &admin_page, &[("action", "resume")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(client_credentials(&app, client.id(), &newest).await, StatusCode::OK);

        // The audit log tells the story in order, with the actors; no secret is in it.
        let log = app.store.audit_log(AuditFilter { limit: 50, ..AuditFilter::default() }).await.unwrap();
        let story: Vec<(String, String)> = log.iter().rev().map(|line| (line.action.clone(), line.actor.clone())).collect();
        let expected = [
            ("user.grant-admin", "cli:test"),
            ("request.create", "partner@example.com"),
            ("request.approve", "staff@example.com"),
            ("application.rotate-secret", "partner@example.com"),
            ("application.rotate-secret", "partner@example.com"),
            ("application.suspend", "staff@example.com"),
            ("application.resume", "staff@example.com"),
        ];
        let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect();
        assert_eq!(story, expected);
        let audit_page = staff.get("/admin/audit").await.text().await.unwrap();
        for secret in [&secret, &new_secret, &newest] {
            assert!(!format!("{log:?}").contains(secret.as_str()) && !audit_page.contains(secret.as_str()));
        }
    }
}

backend_test! {
    async fn a_disabled_account_loses_its_sessions_and_cannot_sign_in() {
        let app = TestApp::spawn().await;
        let admin = app.create_user("staff@example.com").await;
        let person = app.create_user("person@example.com").await;
        let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
        app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", String::new())).await.unwrap();
        let staff = app.new_browser();
        staff.sign_in("staff@example.com", PASSWORD).await;
        let theirs = app.new_browser();
        theirs.sign_in("person@example.com", PASSWORD).await;
        assert_eq!(theirs.get("/account").await.status(), StatusCode::OK);

        let page = format!("/admin/users/{}", person.id);
        assert_eq!(staff.submit_form(&page, &page, &[("action", "disable")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(theirs.get("/account").await.status(), StatusCode::SEE_OTHER, "the session ended");
        let refused = theirs.sign_in("person@example.com", PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().await.unwrap().contains("This account is disabled"));

        assert_eq!(staff.submit_form(&page, &page, &[("action", "enable")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(theirs.sign_in("person@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);

        // The last administrator cannot give up the role.
        let own = format!("/admin/users/{}", admin.id);
        assert_eq!(staff.submit_form(&own, &own, &[("action", "revoke-admin")]).await.status(), StatusCode::BAD_REQUEST);
    }
}

backend_test! {
    async fn a_suspension_or_rotation_on_one_instance_refuses_the_old_credentials_on_another_at_once() {
        let app = TestApp::spawn().await;
        let other = app.second_instance().await;
        let admin = app.create_user("staff@example.com").await;
        let cli = Actor { user_id: None, name: "cli:test".into(), address: "local".into() };
        app.store.set_admin(admin.id, true, &AuditEntry::new(&cli, "user.grant-admin", String::new())).await.unwrap();
        let client = app.create_client(true, &[CALLBACK], "public").await;
        let at_other = |secret: String| {
            let (http, other, id) = (app.http.clone(), other.clone(), client.id().to_owned());
            async move {
                let form = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())];
                http.post(format!("{other}/oauth/token")).form(&form).send().await.unwrap().status()
            }
        };
        assert_eq!(at_other(client.secret().to_owned()).await, StatusCode::OK);

        let staff = app.new_browser();
        staff.sign_in("staff@example.com", PASSWORD).await;
        let page = format!("/admin/applications/{}", client.app.id);
        assert_eq!(staff.submit_form(&page, &page, &[("action", "suspend")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(at_other(client.secret().to_owned()).await, StatusCode::UNAUTHORIZED, "suspended everywhere");
        assert_eq!(staff.submit_form(&page, &page, &[("action", "resume")]).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(at_other(client.secret().to_owned()).await, StatusCode::OK, "resumed everywhere");

        let rotated = staff.submit_form(&page, &page, &[("action", "rotate"), ("grace_days", "0")]).await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let new_secret = shown_secret(&rotated.text().await.unwrap()).expect("the new secret, once");
        assert_eq!(at_other(client.secret().to_owned()).await, StatusCode::UNAUTHORIZED, "rotated out everywhere");
        assert_eq!(at_other(new_secret).await, StatusCode::OK);
    }
}

backend_test! {
    async fn a_developer_has_at_most_five_requests_waiting_so_the_reviewers_mail_cannot_be_flooded() {
        let app = TestApp::spawn().await;
        let partner = app.create_user("partner@example.com").await;
        let browser = app.new_browser();
        browser.sign_in("partner@example.com", PASSWORD).await;
        let fields = [("name", "Shop"), ("redirect_uris", CALLBACK), ("scopes", "public"), ("purpose", "tickets")];
        for _ in 0..5 {
            assert_eq!(browser.submit_form("/developers/new", "/developers/new", &fields).await.status(), StatusCode::SEE_OTHER);
        }
        let refused = browser.submit_form("/developers/new", "/developers/new", &fields).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("At most 5 of your requests"));
        let filter = RequestFilter { requester_id: Some(partner.id), ..RequestFilter::default() };
        assert_eq!(app.store.list_requests(filter).await.unwrap().len(), 5);
    }
}
