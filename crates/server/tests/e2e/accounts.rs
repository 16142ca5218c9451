//! Self-service accounts over HTTP, with mail read from a real SMTP server: sign-up, e-mail
//! verification, password reset, the account area, languages, and the abuse cases.

use crate::harness::*;
use chrono::{Duration as TimeDelta, Utc};
use reqwest::StatusCode;
use std::time::Duration;
use ticketbooth_domain::account::LinkPurpose;
use ticketbooth_domain::secret::Secret;
use ticketbooth_store::NewAccountLink;
use ticketbooth_testkit::link_with_class;
use ticketbooth_testkit::smtp::{free_port, Received, SmtpServer};

const NEW_PASSWORD: &str = "a brand new passphrase";
const MAIL_WAIT: Duration = Duration::from_secs(20);

/// Waits for a message without blocking the server's runtime.
async fn mail(smtp: &SmtpServer, to: &str, subject: &str) -> Received {
    let (server, recipient, about) = (smtp.clone(), to.to_owned(), subject.to_owned());
    tokio::task::spawn_blocking(move || server.wait_for(&recipient, &about, MAIL_WAIT))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no mail to {to} about {subject:?}"))
}

/// The path of a link in a message, which must point at this server.
fn path_of(app: &TestApp, link: &str) -> String {
    link.strip_prefix(&app.base).unwrap_or_else(|| panic!("{link} is not on {}", app.base)).to_owned()
}

async fn sign_up(browser: &Browser, email: &str, first_name: &str, password: &str) -> reqwest::Response {
    let fields = [("email", email), ("password", password), ("first_name", first_name), ("last_name", "Jaidee")];
    browser.submit_form("/account/new", "/account/new", &fields).await
}

backend_test! {
    async fn a_person_signs_up_from_an_authorization_request_confirms_their_address_and_continues() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        let client = app.create_client(true, &[CALLBACK], "public openid email").await;
        let mut request = code_request(&client);
        request.push(("scope", "openid email"));
        request.push(("prompt", "create"));
        let to_sign_up = app.authorize(&request).await;
        assert_eq!(to_sign_up.status(), StatusCode::SEE_OTHER);
        let sign_up_path = location(&to_sign_up);
        assert!(sign_up_path.starts_with("/account/new?return_to=%2Foauth%2Fauthorize"), "{sign_up_path}");
        assert!(!sign_up_path.contains("create"), "the request continues without prompt=create: {sign_up_path}");

        let fields = [("email", "Nok@Example.com"), ("password", PASSWORD), ("first_name", "Nok"), ("last_name", "Jaidee")];
        let done = app.browser.submit_form(&sign_up_path, "/account/new", &fields).await;
        assert_eq!(done.status(), StatusCode::OK);
        let html = done.text().await.unwrap();
        assert!(html.contains("Check your inbox") && html.contains("nok@example.com"), "{html}");
        let continue_to = link_with_class(&html, "button primary").unwrap();
        assert!(continue_to.starts_with("/oauth/authorize?"), "{continue_to}");

        // Signed in at once: the authorization goes on to the consent page, address unconfirmed.
        let user = app.store.find_user_by_email("nok@example.com").await.unwrap().unwrap();
        assert!(!user.email_verified());
        let consent = app.browser.get(&continue_to).await;
        assert_eq!(consent.status(), StatusCode::OK);
        assert!(consent.text().await.unwrap().contains("Concert Companion"));

        // The welcome mail's link confirms the address, once.
        let welcome = mail(&smtp, "nok@example.com", "Confirm your email address").await;
        assert!(welcome.body("text/html").unwrap().contains("Nok"), "multipart with HTML");
        let link = path_of(&app, &welcome.link(&format!("{}/account/verify/", app.base)).unwrap());
        let confirmed = app.new_browser().get(&link).await;
        assert_eq!(confirmed.status(), StatusCode::OK);
        assert!(app.store.find_user(user.id).await.unwrap().unwrap().email_verified());
        let again = app.new_browser().get(&link).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        assert!(again.text().await.unwrap().contains("This link no longer works"));

        // The id_token and userinfo now say the address is verified.
        let page_params: Vec<(String, String)> =
            url::Url::parse(&app.url(&continue_to)).unwrap().query_pairs().into_owned().collect();
        let params: Vec<(&str, &str)> = page_params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let approved = app.consent(&params, "approve").await;
        let code = location_query(&approved)["code"].clone();
        let tokens = app.exchange(&client, &code).await;
        let userinfo = app
            .http
            .get(app.url("/oauth/userinfo"))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(userinfo["email"], "nok@example.com");
        assert_eq!(userinfo["email_verified"], true);
    }
}

backend_test! {
    async fn sign_up_does_not_tell_whether_an_address_has_an_account() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        app.create_user("taken@example.com").await;
        let newcomer = sign_up(&app.new_browser(), "fresh@example.com", "Fresh", PASSWORD).await;
        let squatter = sign_up(&app.new_browser(), "taken@example.com", "Fresh", "another long password").await;
        assert_eq!(newcomer.status(), squatter.status());
        let cookie_names = |response: &reqwest::Response| {
            response.cookies().map(|cookie| cookie.name().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(cookie_names(&newcomer), cookie_names(&squatter), "the same cookies are set");
        let newcomer = newcomer.text().await.unwrap().replace("fresh@example.com", "ADDRESS");
        let squatter = squatter.text().await.unwrap().replace("taken@example.com", "ADDRESS");
        assert_eq!(newcomer, squatter, "the same page");

        // The owner hears of it; their password is untouched.
        let notice = mail(&smtp, "taken@example.com", "Someone tried to create an account").await;
        assert!(notice.link(&format!("{}/password/forgot", app.base)).is_some());
        assert_eq!(app.new_browser().sign_in("taken@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            app.new_browser().sign_in("taken@example.com", "another long password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

backend_test! {
    async fn sign_up_states_and_enforces_the_password_rules() {
        let app = TestApp::spawn().await;
        let form = app.browser.get("/account/new").await.text().await.unwrap();
        assert!(form.contains("At least 10 characters"), "the rules are on the page");
        for (password, problem) in [
            ("short", "at least 10 characters"),
            ("weak@example.com", "must not be your email address"),
            ("password123", "too common"),
        ] {
            let refused = sign_up(&app.new_browser(), "weak@example.com", "Weak", password).await;
            assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
            assert!(refused.text().await.unwrap().contains(problem), "{password}");
        }
        assert!(app.store.find_user_by_email("weak@example.com").await.unwrap().is_none());
        let refused = sign_up(&app.new_browser(), "not-an-address", "Weak", PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

backend_test! {
    async fn names_are_escaped_in_pages_and_in_mail() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        let hostile = "<img src=x onerror=alert(1)>";
        assert_eq!(sign_up(&app.browser, "mallory@example.com", hostile, PASSWORD).await.status(), StatusCode::OK);
        let page = app.browser.get("/account").await.text().await.unwrap();
        assert!(!page.contains(hostile), "{page}");
        assert!(page.contains("&#60;img src=x onerror=alert(1)&#62;"), "shown, as text: {page}");
        let welcome = mail(&smtp, "mallory@example.com", "Confirm").await;
        let html = welcome.body("text/html").unwrap();
        assert!(!html.contains(hostile) && html.contains("&#60;img src=x"), "{html}");
    }
}

backend_test! {
    async fn a_password_reset_is_single_use_ends_every_session_and_is_announced() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        app.create_user("ann@example.com").await;
        let laptop = app.new_browser();
        assert_eq!(laptop.sign_in("ann@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(laptop.get("/account").await.status(), StatusCode::OK);

        // The same answer for an address with and without an account.
        let phone = app.new_browser();
        let known = phone.submit_form("/password/forgot", "/password/forgot", &[("email", "ann@example.com")]).await;
        let unknown = app
            .new_browser()
            .submit_form("/password/forgot", "/password/forgot", &[("email", "nobody@example.com")])
            .await;
        assert_eq!((known.status(), unknown.status()), (StatusCode::OK, StatusCode::OK));
        assert_eq!(
            known.text().await.unwrap().replace("ann@example.com", "X"),
            unknown.text().await.unwrap().replace("nobody@example.com", "X")
        );
        mail(&smtp, "nobody@example.com", "Password reset").await;

        let reset = mail(&smtp, "ann@example.com", "Reset your password").await;
        let link = path_of(&app, &reset.link(&format!("{}/password/reset/", app.base)).unwrap());
        assert_eq!(phone.get(&link).await.status(), StatusCode::OK, "opening the link uses nothing up");
        let weak = phone.submit_form(&link, &link, &[("password", "short")]).await;
        assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let done = phone.submit_form(&link, &link, &[("password", NEW_PASSWORD)]).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), "/account?done=reset");
        assert!(phone.get("/account?done=reset").await.text().await.unwrap().contains("Your password was changed"));

        // Every other session ended; the old password is gone; the link is spent.
        assert_eq!(laptop.get("/account").await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.new_browser().sign_in("ann@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.new_browser().sign_in("ann@example.com", NEW_PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let spent = app.new_browser().get(&link).await;
        assert_eq!(spent.status(), StatusCode::BAD_REQUEST);
        mail(&smtp, "ann@example.com", "Your password was changed").await;
    }
}

backend_test! {
    async fn mailed_links_are_stored_hashed_and_expire() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        let user = app.create_user("kai@example.com").await;
        let requested = app.browser.submit_form("/password/forgot", "/password/forgot", &[("email", "kai@example.com")]).await;
        assert_eq!(requested.status(), StatusCode::OK);
        let reset = mail(&smtp, "kai@example.com", "Reset your password").await;
        let link = reset.link(&format!("{}/password/reset/", app.base)).unwrap();
        let secret = link.rsplit('/').next().unwrap().to_owned();
        let hash = ticketbooth_domain::secret::SecretHash::of(&secret);
        assert_eq!(app.store.peek_link(&hash, LinkPurpose::ResetPassword, Utc::now()).await.unwrap(), Some(user.id));
        assert!(!stored_text(&app).await.contains(&secret), "only the secret's hash is stored");

        // A link past its hour is refused with a clear page.
        let expired = Secret::generate();
        app.store
            .create_link(&NewAccountLink {
                link_hash: expired.hash(),
                user_id: user.id,
                purpose: LinkPurpose::ResetPassword,
                email: user.email.clone(),
                expires_at: Utc::now() - TimeDelta::seconds(1),
            })
            .await
            .unwrap();
        let path = format!("/password/reset/{}", expired.expose());
        let refused = app.browser.get(&path).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("This link no longer works"));
        // Nonsense in the link's place is the same clear page, never a 500.
        for nonsense in ["x", "%00", &"f".repeat(300)] {
            assert_eq!(app.browser.get(&format!("/password/reset/{nonsense}")).await.status(), StatusCode::BAD_REQUEST);
            assert_eq!(app.browser.get(&format!("/account/verify/{nonsense}")).await.status(), StatusCode::BAD_REQUEST);
        }
    }
}

/// Every link row's columns as text (the test looks for a secret in it).
async fn stored_text(app: &TestApp) -> String {
    use sqlx::Row;
    let statement = "SELECT link_hash, purpose, email FROM account_links";
    let rows: Vec<(Vec<u8>, String, String)> = match app.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", app.database_url)).await.unwrap();
            sqlx::query(statement)
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
        Backend::Postgres | Backend::PgBouncer => {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            sqlx::query(statement)
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect()
        }
    };
    assert!(!rows.is_empty());
    rows.iter().map(|(hash, purpose, email)| format!("{}{purpose}{email}", hex::encode(hash))).collect()
}

backend_test! {
    async fn sign_up_and_reset_requests_are_throttled_per_address() {
        let app = TestApp::spawn_with(|config| {
            config.client_ip_header = Some("x-forwarded-for".into());
            config.mail_request_limits.per_subject_and_address = 2;
        })
        .await;
        app.create_user("busy@example.com").await;
        let requester = Browser::behind_proxy(&app.base, "203.0.113.9");
        for _ in 0..2 {
            let answer = requester.submit_form("/password/forgot", "/password/forgot", &[("email", "busy@example.com")]).await;
            assert_eq!(answer.status(), StatusCode::OK);
        }
        let throttled = requester.submit_form("/password/forgot", "/password/forgot", &[("email", "busy@example.com")]).await;
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(throttled.headers().contains_key("retry-after"));
        // An unknown address is throttled the same way (no enumeration through the limit).
        for _ in 0..2 {
            requester.submit_form("/password/forgot", "/password/forgot", &[("email", "ghost@example.com")]).await;
        }
        let ghost = requester.submit_form("/password/forgot", "/password/forgot", &[("email", "ghost@example.com")]).await;
        assert_eq!(ghost.status(), StatusCode::TOO_MANY_REQUESTS);
        // The owner, from their own address, is not locked out by someone else's requests.
        let owner = Browser::behind_proxy(&app.base, "198.51.100.7");
        let answer = owner.submit_form("/password/forgot", "/password/forgot", &[("email", "busy@example.com")]).await;
        assert_eq!(answer.status(), StatusCode::OK);

        for i in 0..2 {
            let email = format!("s{i}@example.com");
            assert_eq!(sign_up(&requester, &email, "S", PASSWORD).await.status(), StatusCode::OK);
            // The same address again, from the same network.
            assert_eq!(sign_up(&requester, &email, "S", PASSWORD).await.status(), StatusCode::OK);
            let third = sign_up(&requester, &email, "S", PASSWORD).await;
            assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        }
    }
}

backend_test! {
    async fn a_mail_server_that_is_down_delays_mail_but_loses_none() {
        let port = free_port();
        let app = TestApp::spawn_with_smtp(&format!("smtp://127.0.0.1:{port}"), |_| {}).await;
        app.create_user("patient@example.com").await;
        let answer =
            app.browser.submit_form("/password/forgot", "/password/forgot", &[("email", "patient@example.com")]).await;
        assert_eq!(answer.status(), StatusCode::OK, "the request does not need the mail server");
        // Delivery is tried and fails; the message waits in the outbox.
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(app.store.undelivered_mail().await.unwrap(), 1);

        let smtp = SmtpServer::start_on(port);
        let reset = mail(&smtp, "patient@example.com", "Reset your password").await;
        assert!(reset.link(&format!("{}/password/reset/", app.base)).is_some());
        for _ in 0..50 {
            if app.store.undelivered_mail().await.unwrap() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.store.undelivered_mail().await.unwrap(), 0);
        assert_eq!(smtp.messages().len(), 1, "delivered once");
    }
}

backend_test! {
    async fn a_mail_server_that_never_answers_does_not_hold_up_the_request() {
        // Connections to this port are accepted by the kernel and then left without a greeting.
        let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://127.0.0.1:{}", stalled.local_addr().unwrap().port());
        let app = TestApp::spawn_with_smtp(&url, |_| {}).await;
        app.create_user("waiting@example.com").await;
        let form = [("email", "waiting@example.com")];
        // Delivery would wait up to a minute for the greeting; the answer may not.
        let answer = tokio::time::timeout(
            Duration::from_secs(30),
            app.browser.submit_form("/password/forgot", "/password/forgot", &form),
        )
        .await
        .expect("answered while the mail server stalls");
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(app.store.undelivered_mail().await.unwrap(), 1, "queued, not lost");
        drop(stalled);
    }
}

backend_test! {
    async fn pages_and_mail_speak_thai_when_asked() {
        let smtp = SmtpServer::start();
        let app = TestApp::spawn_with_smtp(&smtp.url(), |_| {}).await;
        let thai = app
            .browser
            .client
            .get(app.url("/session/new"))
            .header("accept-language", "th-TH,th;q=0.9,en;q=0.5")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(thai.contains("<html lang=\"th\">") && thai.contains("เข้าสู่ระบบ"), "{thai}");

        // The switch keeps the choice in a cookie and goes back to the page.
        let switched = app.browser.get("/language/th?return_to=%2Faccount%2Fnew").await;
        assert_eq!(switched.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&switched), "/account/new");
        let form = app.browser.get("/account/new").await.text().await.unwrap();
        assert!(form.contains("สร้างบัญชีของคุณ"), "{form}");
        let hostile = app.browser.get("/language/th?return_to=%2F%2Fevil.example").await;
        assert_eq!(location(&hostile), "/");

        // Mail follows the language the person signed up in.
        assert_eq!(sign_up(&app.browser, "somchai@example.com", "สมชาย", PASSWORD).await.status(), StatusCode::OK);
        let welcome = mail(&smtp, "somchai@example.com", "ยืนยันอีเมลของคุณ").await;
        assert!(welcome.body("text/plain").unwrap().contains("สวัสดีคุณสมชาย"));
        // Error pages too.
        let missing = app.browser.get("/no/such/page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(missing.text().await.unwrap().contains("ไม่พบหน้านี้"));
    }
}

backend_test! {
    async fn sign_up_can_be_turned_off() {
        let app = TestApp::spawn_with(|config| config.sign_up = false).await;
        let client = app.create_client(true, &[CALLBACK], "public").await;
        assert_eq!(app.browser.get("/account/new").await.status(), StatusCode::NOT_FOUND);
        assert!(!app.browser.get("/session/new").await.text().await.unwrap().contains("/account/new"));
        let mut request = code_request(&client);
        request.push(("prompt", "create"));
        let refused = app.authorize(&request).await;
        assert_eq!(refused.status(), StatusCode::FOUND);
        assert_eq!(location_query(&refused)["error"], "invalid_request");
        let metadata: serde_json::Value =
            app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
        assert!(!metadata["prompt_values_supported"].as_array().unwrap().iter().any(|v| v == "create"));
    }
}

/// `client_id`, `response_type`, `redirect_uri` and `state` for `client`.
fn code_request(client: &TestClient) -> Vec<(&str, &str)> {
    vec![("client_id", client.id()), ("response_type", "code"), ("redirect_uri", CALLBACK), ("state", "s1")]
}
