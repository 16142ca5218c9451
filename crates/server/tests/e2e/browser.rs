//! The pages in a real browser: Debian's Chromium driven over WebDriver (chromedriver and
//! `fantoccini`), with axe-core injected into every page and a screenshot of every page at a
//! desktop's and a phone's width saved under `target/screenshots/`.
//!
//! Without Chromium the tests say so and pass, except under CI (`CI` set), where a missing
//! browser or axe-core is a failure: CI always installs them (`.ci/run`).

use crate::api_world::buy;
use crate::harness::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use ticketbooth_domain::ticketing::{NewEvent, NewTicketType};
use ticketbooth_server::DemoCredentials;
use ticketbooth_testkit::smtp::{free_port, SmtpServer};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (375, 812);
const MAIL_WAIT: Duration = Duration::from_secs(20);

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn axe_source() -> Option<String> {
    std::fs::read_to_string(repository().join("browser-tests/node_modules/axe-core/axe.min.js")).ok()
}

/// A headless Chromium under its own chromedriver, killed when dropped.
pub(crate) struct Chrome {
    driver: Child,
    pub(crate) client: Client,
    axe: String,
    shots: PathBuf,
    name: String,
    _profile: tempfile::TempDir,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Chrome {
    /// Starts a browser, or `None` (saying why) where there is none and this is not CI.
    pub(crate) async fn start(name: &str) -> Option<Chrome> {
        let missing = [CHROMIUM, CHROMEDRIVER].into_iter().find(|path| !Path::new(path).exists());
        let axe = axe_source();
        match (missing, &axe) {
            (None, Some(_)) => {}
            (Some(path), _) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: {path} is missing (apt-get install chromium chromium-driver)");
                return None;
            }
            (None, None) if std::env::var_os("CI").is_none() => {
                eprintln!("skipped: axe-core is missing (npm ci --prefix browser-tests)");
                return None;
            }
            _ => panic!("CI must have Chromium, chromedriver and axe-core (see .ci/run)"),
        }
        // fantoccini's TLS stack needs a process-wide provider; ours is ring, as everywhere else.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                ],
                "prefs": { "intl.accept_languages": "en-US,en" },
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let mut builder = ClientBuilder::rustls().expect("a TLS configuration");
            if let Ok(connected) = builder.capabilities(capabilities.clone()).connect(&webdriver).await {
                client = Some(connected);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shots = repository().join("target/screenshots");
        std::fs::create_dir_all(&shots).expect("a screenshot directory");
        Some(Chrome {
            driver,
            client: client.expect("chromedriver answers within 10 s"),
            axe: axe.unwrap_or_default(),
            shots,
            name: name.to_owned(),
            _profile: profile,
        })
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|err| panic!("open {url}: {err}"));
    }

    pub(crate) async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits (up to 20 s) until the page's path satisfies `arrived`: clicks that navigate
    /// return before the new page is there.
    pub(crate) async fn wait_for_path(&self, what: &str, arrived: impl Fn(&str) -> bool) {
        for _ in 0..200 {
            if arrived(&self.path().await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never arrived at {what}; at {}", self.path().await);
    }

    /// Waits (up to 20 s) until the page shows `text`.
    pub(crate) async fn wait_for_text(&self, text: &str) {
        for _ in 0..200 {
            if self.html().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{text:?} never appeared; at {}", self.path().await);
    }

    pub(crate) async fn html(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    pub(crate) async fn fill(&self, name: &str, value: &str) {
        let field = self.client.find(Locator::Css(&format!("[name=\"{name}\"]:not([type=hidden])"))).await;
        let field = field.unwrap_or_else(|err| panic!("no field {name}: {err}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    pub(crate) async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.unwrap_or_else(|err| panic!("no {css}: {err}"));
        element.click().await.unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    /// Runs axe-core on the page and fails on any serious or critical violation; then saves a
    /// screenshot at a desktop's width and one at a phone's.
    pub(crate) async fn check_page(&self, step: &str) {
        let loaded: Value =
            self.client.execute(&format!("{}\nreturn typeof axe;", self.axe), vec![]).await.expect("inject axe");
        assert_eq!(loaded, "object", "axe-core is loaded");
        let violations = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }))))
                   .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
                vec![],
            )
            .await
            .expect("run axe");
        assert_eq!(
            violations,
            json!([]),
            "{step} ({}): serious or critical accessibility violations",
            self.path().await
        );
        for (label, (width, height)) in [("desktop", DESKTOP), ("phone", PHONE)] {
            self.client.set_window_size(width, height).await.expect("resize");
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(self.shots.join(format!("{}-{step}-{label}.png", self.name)), png).expect("save screenshot");
            // Elements reaching past the window's right edge: the page would scroll sideways.
            let overflowing: Value = self
                .client
                .execute(
                    "const past = [...document.querySelectorAll('body *')]
                       .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('table, pre'));
                     return past.length === 0 ? [] : past.slice(0, 3)
                       .concat([document.documentElement, document.body, document.querySelector('main')])
                       .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width) + 'px '
                                 + getComputedStyle(e).display + ' (window ' + window.innerWidth + 'px)');",
                    vec![],
                )
                .await
                .expect("measure");
            assert_eq!(overflowing, json!([]), "{step} reaches past the right edge at {width} px");
        }
        self.client.set_window_size(DESKTOP.0, DESKTOP.1).await.expect("resize");
    }
}

/// What the flow reads in one language.
struct Words {
    language: &'static str,
    create_account: &'static str,
    check_inbox: &'static str,
    welcome_subject: &'static str,
    confirmed: &'static str,
    reset_subject: &'static str,
    forgot: &'static str,
    device_connected: &'static str,
    signed_out: &'static str,
}

const ENGLISH: Words = Words {
    language: "en",
    create_account: "Create an account",
    check_inbox: "Check your inbox",
    welcome_subject: "Confirm your email address",
    confirmed: "Address confirmed",
    reset_subject: "Reset your password",
    forgot: "Forgot your password?",
    device_connected: "Device connected",
    signed_out: "You are signed out",
};

const THAI: Words = Words {
    language: "th",
    create_account: "สมัครสมาชิก",
    check_inbox: "โปรดตรวจสอบกล่องจดหมาย",
    welcome_subject: "ยืนยันอีเมลของคุณ",
    confirmed: "ยืนยันอีเมลเรียบร้อยแล้ว",
    reset_subject: "ตั้งรหัสผ่านใหม่",
    forgot: "ลืมรหัสผ่าน?",
    device_connected: "เชื่อมต่ออุปกรณ์แล้ว",
    signed_out: "คุณออกจากระบบแล้ว",
};

async fn mail_link(smtp: &SmtpServer, to: &str, subject: &str, prefix: &str) -> String {
    let (server, recipient, about) = (smtp.clone(), to.to_owned(), subject.to_owned());
    let message = tokio::task::spawn_blocking(move || server.wait_for(&recipient, &about, MAIL_WAIT))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no mail to {to} about {subject}"));
    message.link(prefix).unwrap_or_else(|| panic!("no {prefix} link in {subject}"))
}

/// Signs up from a client's authorization link, confirms the address from the mail, finishes
/// the authorization, finds the tickets, forgets the password, resets it from the mail, and
/// signs in again with the keyboard alone.
async fn the_whole_journey(words: Words) {
    let name = format!("journey-{}", words.language);
    let Some(chrome) = Chrome::start(&name).await else { return };
    let smtp = SmtpServer::start();
    let app = TestApp::spawn_with_smtp(&smtp.url(), |config| {
        config.demo = Some(DemoCredentials { client_id: "demo".into(), client_secret: "demo-secret".into() });
    })
    .await;
    let callback = app.url("/demo/callback");
    let client = app.create_client(true, &[callback.as_str()], "public openid profile email").await;
    let organizer = app.store.create_organizer("Bangkok Live", &[]).await.unwrap();
    let start = chrono::Utc::now() + chrono::Duration::days(30);
    let (event, types) = app
        .store
        .create_event(NewEvent {
            organizer_id: organizer.id,
            title: "Indie Night <Live>".into(),
            description: "งานดนตรี".into(),
            description_en: "A concert".into(),
            location_name: "Lido Connect".into(),
            cover_url: None,
            poster_url: None,
            start_at: start,
            end_at: start + chrono::Duration::hours(4),
            api_ticket_quota: 10,
            ticket_types: vec![NewTicketType { name: "Regular".into(), price_satangs: 150_000, quota: None }],
        })
        .await
        .unwrap();
    let email = format!("{}@example.com", words.language);

    // The client sends the person to sign in; they switch language and choose to sign up.
    let authorize = url::Url::parse_with_params(
        &app.url("/oauth/authorize"),
        [
            ("client_id", client.id()),
            ("response_type", "code"),
            ("redirect_uri", callback.as_str()),
            ("scope", "openid email"),
            ("state", "journey"),
        ],
    )
    .unwrap();
    chrome.goto(authorize.as_str()).await;
    assert!(chrome.path().await.starts_with("/session/new"), "{}", chrome.path().await);
    if words.language == "th" {
        chrome.click("a[hreflang=th]").await;
        chrome.wait_for_text("<html lang=\"th\">").await;
    }
    chrome.check_page("sign-in").await;
    let sign_up_link = chrome.client.find(Locator::LinkText(words.create_account)).await.expect("a sign-up link");
    sign_up_link.click().await.expect("open sign-up");
    chrome.wait_for_path("sign-up", |path| path.starts_with("/account/new")).await;
    chrome.check_page("sign-up").await;
    chrome.fill("first_name", "Anong").await;
    chrome.fill("last_name", "Jaidee").await;
    chrome.fill("email", &email).await;
    chrome.fill("password", "short").await;
    chrome.click("button.primary").await;
    // The browser itself refuses a password under the stated length (minlength).
    assert!(chrome.path().await.starts_with("/account/new"));
    chrome.fill("password", PASSWORD).await;
    chrome.click("button.primary").await;
    chrome.wait_for_text(words.check_inbox).await;
    chrome.check_page("check-inbox").await;
    let continue_to = chrome
        .client
        .find(Locator::Css("a.button.primary"))
        .await
        .expect("a continue button")
        .attr("href")
        .await
        .unwrap()
        .expect("an href");

    // The welcome mail's link confirms the address.
    let verify = mail_link(&smtp, &email, words.welcome_subject, &format!("{}/account/verify/", app.base)).await;
    chrome.goto(&verify).await;
    chrome.wait_for_text(words.confirmed).await;
    chrome.check_page("verified").await;

    // Back to the authorization: consent, then the client's callback with a code.
    chrome.goto(&app.url(&continue_to)).await;
    chrome.check_page("consent").await;
    chrome.click("button[value=approve]").await;
    chrome.wait_for_path("the callback", |path| path.starts_with("/demo/callback")).await;
    let arrived = chrome.client.current_url().await.unwrap();
    assert!(arrived.query_pairs().any(|(key, _)| key == "code"), "{arrived}");
    let user = app.store.find_user_by_email(&email).await.unwrap().unwrap();
    assert!(user.email_verified());

    // The tickets they bought.
    buy(&app, &user, &event, &types[0], 2).await;
    chrome.goto(&app.url("/account/tickets")).await;
    let tickets = chrome.html().await;
    assert!(
        tickets.contains("Indie Night &lt;Live&gt;") || tickets.contains("Indie Night &#60;Live&#62;"),
        "escaped title"
    );
    assert_eq!(chrome.client.find_all(Locator::Css(".ticket svg")).await.unwrap().len(), 2, "a QR code per ticket");
    chrome.check_page("tickets").await;
    for page in ["/account", "/account/applications", "/account/sessions"] {
        chrome.goto(&app.url(page)).await;
        chrome.check_page(page.trim_start_matches('/').replace('/', "-").as_str()).await;
    }

    // A door scanner shows a code; they open its link, check the code and approve it.
    let options = ClientOptions { device_grant: true, ..ClientOptions::default() };
    let scanner = app.create_client_with_options(false, &[], "public", options).await;
    let started: serde_json::Value = app
        .http
        .post(app.url("/oauth/device_authorization"))
        .form(&[("client_id", scanner.id())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    chrome.goto(started["verification_uri_complete"].as_str().unwrap()).await;
    chrome.check_page("device").await;
    chrome.click("button.primary").await;
    chrome.wait_for_text("value=\"approve\"").await;
    chrome.check_page("device-confirm").await;
    chrome.click("button[value=approve]").await;
    chrome.wait_for_text(words.device_connected).await;
    chrome.check_page("device-connected").await;

    // Signed out, they forget the password and reset it from the mail.
    chrome.goto(&app.url("/account")).await;
    chrome.click(".account-head button").await;
    chrome.wait_for_path("home", |path| path == "/").await;
    chrome.goto(&app.url("/session/new")).await;
    chrome.client.find(Locator::LinkText(words.forgot)).await.expect("a forgot link").click().await.unwrap();
    chrome.wait_for_path("the forgot page", |path| path == "/password/forgot").await;
    chrome.check_page("forgot").await;
    chrome.fill("email", &email).await;
    chrome.click("button.primary").await;
    chrome.wait_for_text(words.check_inbox).await;
    chrome.check_page("forgot-sent").await;
    let reset = mail_link(&smtp, &email, words.reset_subject, &format!("{}/password/reset/", app.base)).await;
    chrome.goto(&reset).await;
    chrome.check_page("reset").await;
    chrome.fill("password", "a new and better passphrase").await;
    chrome.click("button.primary").await;
    chrome.wait_for_path("the account", |path| path.starts_with("/account")).await;
    chrome.check_page("after-reset").await;

    // Signed out again, they sign in with the keyboard alone: the email field has focus, Tab
    // goes to the password, Enter sends the form.
    chrome.click(".account-head button").await;
    chrome.wait_for_path("home", |path| path == "/").await;
    chrome.goto(&app.url("/session/new")).await;
    let focused = chrome.client.active_element().await.unwrap();
    assert_eq!(focused.attr("name").await.unwrap().as_deref(), Some("email"));
    focused.send_keys(&email).await.unwrap();
    focused.send_keys("\u{e004}").await.unwrap(); // Tab
    let password = chrome.client.active_element().await.unwrap();
    assert_eq!(password.attr("name").await.unwrap().as_deref(), Some("password"));
    password.send_keys("a new and better passphrase\u{e007}").await.unwrap(); // Enter
    chrome.wait_for_text(&email).await;
    assert_eq!(chrome.path().await, "/");
    chrome.check_page("home").await;

    // An application asks to sign them out: the page asks first, then they are signed out.
    chrome.goto(&app.url(&format!("/oauth/logout?client_id={}", client.id()))).await;
    chrome.check_page("logout").await;
    chrome.click("button.primary").await;
    chrome.wait_for_text(words.signed_out).await;
    chrome.check_page("signed-out").await;
    let _ = chrome.client.clone().close().await;
}

#[tokio::test]
async fn the_whole_journey_in_english() {
    the_whole_journey(ENGLISH).await
}

#[tokio::test]
async fn the_whole_journey_in_thai() {
    the_whole_journey(THAI).await
}

#[tokio::test]
async fn error_pages_and_the_developer_pages_pass_axe() {
    let Some(chrome) = Chrome::start("other").await else { return };
    let app = TestApp::spawn().await;
    chrome.goto(&app.url("/no/such/page")).await;
    chrome.check_page("not-found").await;
    chrome.goto(&app.url("/password/reset/0000")).await;
    chrome.check_page("link-invalid").await;
    chrome.goto(&app.url("/")).await;
    chrome.check_page("home-signed-out").await;
    chrome.goto(&app.url("/docs/api")).await;
    chrome.check_page("api-reference").await;
    let _ = chrome.client.clone().close().await;
}

#[tokio::test]
async fn the_outage_page_in_both_languages_passes_axe() {
    use sqlx::Connection;
    let Some(chrome) = Chrome::start("outage").await else { return };
    // A plain (non-backend_test) test runs on SQLite: another program holds its write lock.
    let app = TestApp::spawn().await;
    app.create_user("fan@example.com").await;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&app.database_url);
    let mut holder = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.unwrap();

    for (language, title) in [("en", "Briefly unavailable"), ("th", "ระบบขัดข้องชั่วคราว")]
    {
        chrome.goto(&app.url(&format!("/language/{language}?return_to=/session/new"))).await;
        chrome.fill("email", "fan@example.com").await;
        chrome.fill("password", PASSWORD).await;
        chrome.click("button.primary").await;
        chrome.wait_for_text(title).await;
        chrome.check_page(&format!("{language}-database-unavailable")).await;
    }

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    chrome.goto(&app.url("/language/en?return_to=/session/new")).await;
    chrome.fill("email", "fan@example.com").await;
    chrome.fill("password", PASSWORD).await;
    chrome.click("button.primary").await;
    chrome.wait_for_path("signed in once the database is back", |path| path != "/session/new").await;
    chrome.wait_for_text("fan@example.com").await;
    let _ = chrome.client.clone().close().await;
}
