//! Helpers for Ticketbooth's tests: a client that behaves like a person's browser on our pages
//! (cookie jar, redirects not followed so each 302/303 can be asserted), and readers for the
//! hidden form fields and redirect locations those pages produce.

pub mod pgbouncer;
pub mod smtp;

use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use std::collections::HashMap;
use url::Url;

/// A person's browser pointed at one Ticketbooth instance.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    pub client: Client,
}

impl Browser {
    /// A new browser with an empty cookie jar.
    pub fn new(base: &str) -> Browser {
        let client = Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client");
        Browser { base: base.to_owned(), client }
    }

    /// A new browser whose requests reach the server through a trusted proxy that names `address`
    /// as the client (`X-Forwarded-For`), for servers configured to read that header.
    pub fn behind_proxy(base: &str, address: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().expect("an address"));
        let client = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .default_headers(headers)
            .build()
            .expect("client");
        Browser { base: base.to_owned(), client }
    }

    /// The same browser (same cookies) pointed at another instance.
    pub fn at(&self, base: &str) -> Browser {
        Browser { base: base.to_owned(), client: self.client.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_form<T: serde::Serialize + ?Sized>(&self, path: &str, form: &T) -> Response {
        self.client.post(self.url(path)).form(form).send().await.expect("POST")
    }

    /// Loads `page`, fills `fields` into its form (keeping its hidden fields, CSRF included) and
    /// posts it to `action`, as a person filling in the form would.
    pub async fn submit_form(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let loaded = self.get(page).await;
        assert_eq!(loaded.status(), StatusCode::OK, "{page} should load");
        let mut form = hidden_inputs(&loaded.text().await.expect("page"));
        for (name, value) in fields {
            form.insert((*name).to_owned(), (*value).to_owned());
        }
        self.post_form(action, &form).await
    }

    /// `GET /oauth/authorize` with the given parameters.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Response {
        let url = Url::parse_with_params(&self.url("/oauth/authorize"), params).expect("authorize URL");
        self.client.get(url).send().await.expect("GET /oauth/authorize")
    }

    /// Signs in through the sign-in page, as a person would.
    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        let page = self.get("/session/new").await;
        assert_eq!(page.status(), StatusCode::OK);
        let mut form = hidden_inputs(&page.text().await.expect("sign-in page"));
        form.insert("email".into(), email.into());
        form.insert("password".into(), password.into());
        self.post_form("/session/new", &form).await
    }

    /// Loads the consent page for `params` (the browser must be signed in) and submits `decision`.
    pub async fn consent(&self, params: &[(&str, &str)], decision: &str) -> Response {
        let page = self.authorize(params).await;
        assert_eq!(page.status(), StatusCode::OK, "consent page expected");
        let mut form = hidden_inputs(&page.text().await.expect("consent page"));
        form.insert("decision".into(), decision.into());
        self.post_form("/oauth/authorize", &form).await
    }

    /// The whole browser side of the code flow: sign in, approve (unless consent was given before
    /// and the server skips the page), read the code off the callback.
    pub async fn obtain_code(&self, email: &str, password: &str, params: &[(&str, &str)]) -> String {
        let signed_in = self.sign_in(email, password).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "sign-in should redirect");
        let page = self.authorize(params).await;
        let approved = match page.status() {
            StatusCode::FOUND => page,
            StatusCode::OK => {
                let mut form = hidden_inputs(&page.text().await.expect("consent page"));
                form.insert("decision".into(), "approve".into());
                self.post_form("/oauth/authorize", &form).await
            }
            other => panic!("unexpected authorization answer {other}"),
        };
        assert_eq!(approved.status(), StatusCode::FOUND, "approval should redirect");
        location_query(&approved).remove("code").expect("code on the callback")
    }
}

/// Every `<input type="hidden">` of one of our pages, entity-decoded.
/// The decoded `href` of the first link whose `class` attribute is `class`.
pub fn link_with_class(html: &str, class: &str) -> Option<String> {
    let after = html.split(&format!("class=\"{class}\" href=\"")).nth(1)?;
    Some(html_escape::decode_html_entities(after.split('"').next()?).into_owned())
}

pub fn hidden_inputs(html: &str) -> HashMap<String, String> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.strip_prefix("name=\"")?.split('"').next()?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((
                html_escape::decode_html_entities(name).into_owned(),
                html_escape::decode_html_entities(value).into_owned(),
            ))
        })
        .collect()
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> String {
    response.headers().get(LOCATION).expect("Location header").to_str().expect("ASCII Location").to_owned()
}

/// The decoded query of a redirect's `Location` (absolute or relative).
pub fn location_query(response: &Response) -> HashMap<String, String> {
    let location = location(response);
    let base = Url::parse("http://relative.invalid").expect("base URL");
    let url = base.join(&location).expect("Location is a URL");
    url.query_pairs().into_owned().collect()
}
