//! The account area over HTTP: my tickets, sessions, profile, e-mail and password changes.

use crate::api_world::{buy, World};
use crate::harness::*;
use reqwest::StatusCode;
use std::time::Duration;
use ticketbooth_domain::ticketing::TicketStatus;
use ticketbooth_testkit::smtp::SmtpServer;

backend_test! {
    async fn my_tickets_lists_paid_tickets_by_event_with_a_qr_code_of_the_reference() {
        let world = World::new().await;
        let app = &world.app;
        let member = app.store.find_user_by_email("member@example.com").await.unwrap().unwrap();
        let second = buy(app, &member, &world.other_event, &world.other_types[0], 2).await;
        assert_eq!(app.browser.get("/account/tickets").await.status(), StatusCode::SEE_OTHER, "sign-in first");
        assert_eq!(app.sign_in("member@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let page = app.browser.get("/account/tickets").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(html.contains("Indie Night") && html.contains("Other Night"), "{html}");
        assert!(html.contains("฿1,500.00"), "prices in baht: {html}");
        let tickets = app
            .store
            .own_tickets(member.id, 100)
            .await
            .unwrap()
            .into_iter()
            .flat_map(|event| event.tickets)
            .collect::<Vec<_>>();
        assert!(tickets.len() >= 3, "{tickets:?}");
        assert!(tickets.iter().any(|t| t.order_id == Some(second.id)));
        for ticket in &tickets {
            assert!(html.contains(&ticket.reference_code), "{}", ticket.reference_code);
            assert_eq!(ticket.status, TicketStatus::Active);
        }
        assert_eq!(html.matches("<svg").count(), tickets.len(), "one QR code per ticket");
        // Someone else's tickets are not there.
        let outsider = app.store.find_user_by_email("outsider@example.com").await.unwrap().unwrap();
        let theirs = app.store.own_tickets(outsider.id, 100).await.unwrap();
        for ticket in theirs.iter().flat_map(|event| &event.tickets) {
            assert!(!html.contains(&ticket.reference_code));
        }
        // In Thai: Buddhist Era year and baht after the number.
        assert_eq!(app.browser.get("/language/th?return_to=%2Faccount%2Ftickets").await.status(), StatusCode::SEE_OTHER);
        let thai = app.browser.get("/account/tickets").await.text().await.unwrap();
        assert!(thai.contains("1,500.00 บาท") && thai.contains("บัตรของฉัน"), "{thai}");
    }
}

backend_test! {
    async fn sessions_are_listed_and_can_be_ended_from_another_device() {
        let app = TestApp::spawn().await;
        app.create_user("ploy@example.com").await;
        let desk = app.new_browser();
        let phone = app.new_browser();
        let tablet = app.new_browser();
        for browser in [&desk, &phone, &tablet] {
            assert_eq!(browser.sign_in("ploy@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        }
        let page = desk.get("/account/sessions").await.text().await.unwrap();
        assert_eq!(page.matches("/end\"").count(), 2, "two other sessions, each with a button: {page}");
        assert!(page.contains("This device"));
        let handle = page.split("/account/sessions/").nth(1).unwrap().split('/').next().unwrap().to_owned();
        let form = hidden_inputs(&page);
        let ended = desk.post_form(&format!("/account/sessions/{handle}/end"), &[("csrf_token", form["csrf_token"].as_str())]).await;
        assert_eq!(ended.status(), StatusCode::SEE_OTHER);
        let signed_in = |browser: &Browser| {
            let browser = browser.clone();
            async move { browser.get("/account").await.status() == StatusCode::OK }
        };
        let still = [signed_in(&phone).await, signed_in(&tablet).await];
        assert_eq!(still.iter().filter(|signed_in| **signed_in).count(), 1, "one of them was signed out");
        let forged = desk.post_form("/account/sessions/end-others", &[("csrf_token", "forged")]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let all = desk.post_form("/account/sessions/end-others", &[("csrf_token", form["csrf_token"].as_str())]).await;
        assert_eq!(all.status(), StatusCode::SEE_OTHER);
        assert!(!signed_in(&phone).await && !signed_in(&tablet).await);
        assert!(signed_in(&desk).await, "this device stays signed in");
    }
}

backend_test! {
    async fn the_profile_email_and_password_are_changed_from_the_account_page() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        let user = app.create_user("old@example.com").await;
        let other_device = app.new_browser();
        assert_eq!(other_device.sign_in("old@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.sign_in("old@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);

        let saved = app
            .browser
            .submit_form("/account", "/account/profile", &[("first_name", "Pim"), ("last_name", "Dee"), ("phone", "+66 81 234 5678")])
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let stored = app.store.find_user(user.id).await.unwrap().unwrap();
        assert_eq!((stored.first_name.as_str(), stored.phone.as_deref()), ("Pim", Some("+66 81 234 5678")));

        // The e-mail changes only when the link sent to the new address is opened.
        let wrong = app
            .browser
            .submit_form("/account", "/account/email", &[("email", "new@example.com"), ("current_password", "nope")])
            .await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let asked = app
            .browser
            .submit_form("/account", "/account/email", &[("email", "new@example.com"), ("current_password", PASSWORD)])
            .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.store.find_user(user.id).await.unwrap().unwrap().email, "old@example.com");
        let (server, recipient) = (smtp.clone(), "new@example.com");
        let confirm = tokio::task::spawn_blocking(move || server.wait_for(recipient, "Confirm your new email", Duration::from_secs(20)))
            .await
            .unwrap()
            .unwrap();
        let link = confirm.link(&format!("{}/account/verify/change/", app.base)).unwrap();
        let link = link.strip_prefix(&app.base).unwrap().to_owned();
        assert_eq!(app.browser.get(&link).await.status(), StatusCode::OK);
        let moved = app.store.find_user(user.id).await.unwrap().unwrap();
        assert_eq!(moved.email, "new@example.com");
        assert!(moved.email_verified());
        assert_eq!(app.browser.get(&link).await.status(), StatusCode::BAD_REQUEST, "single use");
        let server = smtp.clone();
        let told = tokio::task::spawn_blocking(move || server.wait_for("old@example.com", "was changed", Duration::from_secs(20)))
            .await
            .unwrap();
        assert!(told.is_some(), "the old address is told");

        // A password change needs the current one and signs every other device out.
        let refused = app
            .browser
            .submit_form("/account", "/account/password", &[("current_password", "nope"), ("password", "a fine new password")])
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let changed = app
            .browser
            .submit_form("/account", "/account/password", &[("current_password", PASSWORD), ("password", "a fine new password")])
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.browser.get("/account").await.status(), StatusCode::OK, "still signed in here");
        assert_eq!(other_device.get("/account").await.status(), StatusCode::SEE_OTHER, "signed out there");
        assert_eq!(app.new_browser().sign_in("new@example.com", "a fine new password").await.status(), StatusCode::SEE_OTHER);
    }
}
