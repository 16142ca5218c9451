//! Askama templates (auto-escaped HTML) for every page.

use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage<'a> {
    pub(crate) csrf_token: &'a str,
    pub(crate) return_to: &'a str,
    pub(crate) email: &'a str,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub(crate) app_name: &'a str,
    pub(crate) user_email: &'a str,
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) hidden: Vec<(&'static str, &'a str)>,
    pub(crate) csrf_token: &'a str,
    pub(crate) redirect_host: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage<'a> {
    pub(crate) user_email: Option<&'a str>,
    pub(crate) csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "demo_callback.html")]
pub(crate) struct DemoCallbackPage<'a> {
    pub(crate) token_url: String,
    pub(crate) client_id: &'a str,
    pub(crate) client_secret: &'a str,
    pub(crate) redirect_uri: String,
    pub(crate) code: Option<&'a str>,
    pub(crate) state: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) error_description: Option<&'a str>,
}

/// One operation on the API reference page.
pub(crate) struct OperationView {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) summary: String,
    pub(crate) description: String,
    pub(crate) parameters: Vec<ParameterView>,
    pub(crate) body_types: String,
    pub(crate) responses: Vec<(String, String)>,
}

/// One parameter of an operation.
pub(crate) struct ParameterView {
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) required: bool,
    pub(crate) description: String,
}

/// The operations of one tag.
pub(crate) struct TagView {
    pub(crate) name: String,
    /// The section's id on the page.
    pub(crate) anchor: String,
    pub(crate) description: String,
    pub(crate) operations: Vec<OperationView>,
}

#[derive(Template)]
#[template(path = "api_reference.html")]
pub(crate) struct ApiReferencePage {
    pub(crate) version: &'static str,
    pub(crate) tags: Vec<TagView>,
}

/// An application on the account page.
pub(crate) struct AuthorizedApp {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) granted_on: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub(crate) struct AccountPage<'a> {
    pub(crate) user_email: &'a str,
    pub(crate) csrf_token: &'a str,
    pub(crate) apps: Vec<AuthorizedApp>,
}
