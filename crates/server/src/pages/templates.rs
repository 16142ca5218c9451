//! Askama templates (auto-escaped HTML) for every page.

use crate::i18n::Tr;
use askama::Template;
use ticketbooth_domain::model::User;

// Every page gets `t` (its language) and `here` (its own path and query, where the language
// switch returns to).

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) title: &'a str,
    pub(crate) message: &'a str,
    /// Whether to say that a link from another website may be at fault (bad requests only).
    pub(crate) hint: bool,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub(crate) struct NoticePage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) title: String,
    pub(crate) paragraphs: Vec<String>,
    /// A button: its label and link.
    pub(crate) action: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub(crate) struct SignInPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    pub(crate) return_to: &'a str,
    pub(crate) email: &'a str,
    pub(crate) error: Option<String>,
    pub(crate) sign_up: bool,
}

#[derive(Template)]
#[template(path = "sign_up.html")]
pub(crate) struct SignUpPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    pub(crate) return_to: &'a str,
    pub(crate) email: &'a str,
    pub(crate) first_name: &'a str,
    pub(crate) last_name: &'a str,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub(crate) struct ForgotPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub(crate) struct ResetPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    /// The form's own address (the link's path).
    pub(crate) action: &'a str,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) app_name: &'a str,
    pub(crate) signed_in_as: String,
    /// Message ids of the scopes' descriptions.
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) hidden: Vec<(&'static str, &'a str)>,
    pub(crate) csrf_token: &'a str,
    /// For a metadata-document client: the host that publishes it, shown prominently.
    pub(crate) document_host: Option<String>,
    /// Its redirect URIs are all loopback: any program could publish such a document.
    pub(crate) loopback_only: bool,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    /// "{app} asks you to sign out", when an application asked.
    pub(crate) asked_by: Option<String>,
    pub(crate) signed_in_as: String,
    pub(crate) hidden: Vec<(&'static str, &'a str)>,
}

#[derive(Template)]
#[template(path = "device.html")]
pub(crate) struct DevicePage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    pub(crate) signed_in_as: String,
    /// What the code field shows.
    pub(crate) user_code: &'a str,
    pub(crate) error: Option<String>,
    /// Set once the code is found: what the device asks for.
    pub(crate) confirmation: Option<DeviceConfirmation<'a>>,
}

pub(crate) struct DeviceConfirmation<'a> {
    pub(crate) app_name: &'a str,
    pub(crate) user_code: String,
    /// Message ids of the scopes' descriptions.
    pub(crate) scopes: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) user_email: Option<&'a str>,
    pub(crate) csrf_token: &'a str,
    pub(crate) sign_up: bool,
}

#[derive(Template)]
#[template(path = "demo_callback.html")]
pub(crate) struct DemoCallbackPage<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
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

/// What every page of the account area shows around its section.
pub(crate) struct AccountFrame<'a> {
    pub(crate) t: Tr,
    pub(crate) here: &'a str,
    pub(crate) csrf_token: &'a str,
    pub(crate) user: &'a User,
    /// Path, label and whether it is this page.
    pub(crate) tabs: Vec<(&'static str, &'static str, bool)>,
    pub(crate) notice: Option<String>,
    pub(crate) error: Option<String>,
}

/// The account area's sections: path and label.
pub(crate) const ACCOUNT_TABS: [(&str, &str); 5] = [
    ("/account", "account-nav-profile"),
    ("/account/tickets", "account-nav-tickets"),
    ("/account/applications", "account-nav-apps"),
    ("/account/sessions", "account-nav-sessions"),
    ("/developers", "account-nav-developers"),
];

/// The admin console's tab, shown to administrators only.
pub(crate) const ADMIN_TAB: (&str, &str) = ("/admin", "account-nav-admin");

#[derive(Template)]
#[template(path = "account_profile.html")]
pub(crate) struct ProfilePage<'a> {
    pub(crate) frame: AccountFrame<'a>,
}

/// One event on the tickets page.
pub(crate) struct EventView {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) when: String,
    pub(crate) location: String,
    pub(crate) tickets: Vec<TicketView>,
}

/// One ticket on the tickets page.
pub(crate) struct TicketView {
    pub(crate) reference_code: String,
    pub(crate) type_name: String,
    pub(crate) price: String,
    pub(crate) status_label: &'static str,
    pub(crate) status_class: &'static str,
    /// The QR code as an inline SVG element (made by the `qrcode` crate from the reference code).
    pub(crate) qr_svg: String,
}

#[derive(Template)]
#[template(path = "account_tickets.html")]
pub(crate) struct TicketsPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) events: Vec<EventView>,
}

/// An application on the applications page.
pub(crate) struct AuthorizedApp {
    pub(crate) id: i64,
    pub(crate) name: String,
    /// Message ids of the granted scopes' descriptions.
    pub(crate) scopes: Vec<&'static str>,
    pub(crate) granted_on: String,
}

#[derive(Template)]
#[template(path = "account_apps.html")]
pub(crate) struct AppsPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) apps: Vec<AuthorizedApp>,
}

/// A session on the sessions page.
pub(crate) struct SessionView {
    /// Names the session in forms: the hex of its id's hash (not the id, which stays secret).
    pub(crate) handle: String,
    pub(crate) browser: String,
    pub(crate) address: String,
    pub(crate) started: String,
    pub(crate) current: bool,
}

#[derive(Template)]
#[template(path = "account_sessions.html")]
pub(crate) struct SessionsPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) sessions: Vec<SessionView>,
}

/// Account-area pages read their frame's fields (`t`, `user`, `csrf_token`…) as their own.
macro_rules! account_frame_deref {
    ($($page:ident),*) => {$(
        impl<'a> std::ops::Deref for $page<'a> {
            type Target = AccountFrame<'a>;

            fn deref(&self) -> &AccountFrame<'a> {
                &self.frame
            }
        }
    )*};
}
account_frame_deref!(
    ProfilePage,
    TicketsPage,
    AppsPage,
    SessionsPage,
    DevelopersPage,
    DeveloperFormPage,
    DeveloperAppPage,
    AdminRequestsPage,
    AdminRequestPage,
    AdminAppsPage,
    AdminAppPage,
    AdminUsersPage,
    AdminUserPage,
    AdminOrganizersPage,
    AdminAuditPage
);

#[derive(Template)]
#[template(path = "developers.html")]
pub(crate) struct DevelopersPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) requests: Vec<crate::pages::portal::developers::RequestView>,
    pub(crate) apps: Vec<ticketbooth_domain::model::Application>,
}

#[derive(Template)]
#[template(path = "developer_form.html")]
pub(crate) struct DeveloperFormPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) organizers: Vec<ticketbooth_domain::model::Organizer>,
    pub(crate) values: crate::pages::portal::developers::DraftValues,
    pub(crate) problems: Vec<String>,
    pub(crate) scopes: &'static [ticketbooth_domain::scope::Scope],
}

#[derive(Template)]
#[template(path = "developer_app.html")]
pub(crate) struct DeveloperAppPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) app: ticketbooth_domain::model::Application,
    /// The secret, on the one answer that shows it.
    pub(crate) secret: Option<String>,
    pub(crate) previous_until: Option<String>,
    pub(crate) usage: ticketbooth_domain::portal::Usage,
    pub(crate) last_issued: Option<String>,
    pub(crate) commands: crate::pages::portal::developers::Commands,
    pub(crate) pending_change: Option<crate::pages::portal::developers::RequestView>,
    pub(crate) values: crate::pages::portal::developers::DraftValues,
    pub(crate) organizers: Vec<ticketbooth_domain::model::Organizer>,
    pub(crate) scopes: &'static [ticketbooth_domain::scope::Scope],
}

#[derive(Template)]
#[template(path = "admin_requests.html")]
pub(crate) struct AdminRequestsPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) requests: Vec<crate::pages::portal::developers::RequestView>,
    /// Clients that arrived by themselves and wait for a decision.
    pub(crate) arrivals: Vec<ticketbooth_domain::model::Application>,
}

#[derive(Template)]
#[template(path = "admin_request.html")]
pub(crate) struct AdminRequestPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) request: ticketbooth_domain::portal::ApplicationRequest,
    pub(crate) view: crate::pages::portal::developers::RequestView,
    pub(crate) requester: Option<User>,
    pub(crate) organizer: Option<ticketbooth_domain::model::Organizer>,
    pub(crate) scopes: &'static [ticketbooth_domain::scope::Scope],
}

#[derive(Template)]
#[template(path = "admin_apps.html")]
pub(crate) struct AdminAppsPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) apps: Vec<ticketbooth_domain::model::Application>,
    pub(crate) search: String,
}

#[derive(Template)]
#[template(path = "admin_app.html")]
pub(crate) struct AdminAppPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) app: ticketbooth_domain::model::Application,
    pub(crate) owner: Option<User>,
    pub(crate) usage: ticketbooth_domain::portal::Usage,
    pub(crate) secret: Option<String>,
    pub(crate) previous_until: Option<String>,
    pub(crate) scopes: &'static [ticketbooth_domain::scope::Scope],
}

#[derive(Template)]
#[template(path = "admin_users.html")]
pub(crate) struct AdminUsersPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) users: Vec<User>,
    pub(crate) search: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
pub(crate) struct AdminUserPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) subject: User,
    pub(crate) organizers: Vec<ticketbooth_domain::model::Organizer>,
    pub(crate) apps: Vec<String>,
    /// Browser, address and start of each session.
    pub(crate) sessions: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "admin_organizers.html")]
pub(crate) struct AdminOrganizersPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) organizers: Vec<(ticketbooth_domain::model::Organizer, Vec<User>)>,
}

/// One line of the audit log page.
pub(crate) struct AuditLine {
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) address: String,
    pub(crate) action: String,
    pub(crate) target: String,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
pub(crate) struct AdminAuditPage<'a> {
    pub(crate) frame: AccountFrame<'a>,
    pub(crate) lines: Vec<AuditLine>,
    pub(crate) action: String,
    pub(crate) who: String,
    pub(crate) next: Option<String>,
}
