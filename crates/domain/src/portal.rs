//! Applications by request: what a developer may ask for, how a request is reviewed, the grace
//! period of a rotated secret, and the audit log's entries. Eventpop creates API applications "by
//! request only"; these are the rules of that request.

use crate::model::Application;
use crate::redirect::{self, RedirectUriError};
use crate::scope::{Scope, ScopeSet};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use url::Url;

/// The longest grace period a rotated-out secret may keep working.
pub const MAX_GRACE_DAYS: u32 = 7;
/// The longest name, and the longest of the free-text fields.
const MAX_NAME_CHARS: usize = 100;
const MAX_TEXT_CHARS: usize = 2000;
/// Enough for any real application; a bound so a request cannot grow without limit.
const MAX_REDIRECT_URIS: usize = 20;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 3] = [RequestStatus::Pending, RequestStatus::Approved, RequestStatus::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    pub fn from_name(name: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// What a developer asks for: a new application, or a change to one of theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationDraft {
    pub name: String,
    pub description: String,
    pub website: String,
    pub redirect_uris: Vec<String>,
    pub confidential: bool,
    pub scopes: ScopeSet,
    pub organizer_id: Option<i64>,
    /// Why the developer wants it, for the reviewer.
    pub purpose: String,
}

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRequest {
    pub id: i64,
    pub requester_id: i64,
    /// The application a change request is for; for a new application, set once approved.
    pub application_id: Option<i64>,
    pub draft: ApplicationDraft,
    pub status: RequestStatus,
    /// What the reviewer granted (a subset of what was asked).
    pub granted_scopes: Option<ScopeSet>,
    /// Why it was rejected.
    pub review_reason: Option<String>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The form fields of a request, as typed.
#[derive(Debug, Clone, Default)]
pub struct DraftInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub website: &'a str,
    /// One per line.
    pub redirect_uris: &'a str,
    pub confidential: bool,
    pub scopes: &'a [String],
    pub organizer_id: Option<i64>,
    pub purpose: &'a str,
}

/// Why a request was refused; each names its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftProblem {
    NameMissing,
    TooLong,
    WebsiteInvalid,
    RedirectUriMissing,
    TooManyRedirectUris,
    /// The URI and why.
    RedirectUri(String, RedirectUriError),
    /// Plain `http` to a host other than this machine.
    RedirectUriInsecure(String),
    ScopesMissing,
    UnknownScope(String),
    /// An organizer the developer is not a member of.
    OrganizerNotYours,
    /// `organizer` scope without an organizer, or an organizer without that scope.
    OrganizerScopeMismatch,
}

impl DraftProblem {
    /// The message id (in the locale files) that explains the problem.
    pub fn message_id(&self) -> &'static str {
        match self {
            DraftProblem::NameMissing => "portal-problem-name",
            DraftProblem::TooLong => "portal-problem-too-long",
            DraftProblem::WebsiteInvalid => "portal-problem-website",
            DraftProblem::RedirectUriMissing => "portal-problem-redirect-missing",
            DraftProblem::TooManyRedirectUris => "portal-problem-redirect-many",
            DraftProblem::RedirectUri(..) => "portal-problem-redirect",
            DraftProblem::RedirectUriInsecure(_) => "portal-problem-redirect-insecure",
            DraftProblem::ScopesMissing => "portal-problem-scopes",
            DraftProblem::UnknownScope(_) => "portal-problem-scope-unknown",
            DraftProblem::OrganizerNotYours => "portal-problem-organizer",
            DraftProblem::OrganizerScopeMismatch => "portal-problem-organizer-scope",
        }
    }

    /// The value at fault, where there is one (shown with the message).
    pub fn subject(&self) -> Option<&str> {
        match self {
            DraftProblem::RedirectUri(uri, _) | DraftProblem::RedirectUriInsecure(uri) => Some(uri),
            DraftProblem::UnknownScope(scope) => Some(scope),
            _ => None,
        }
    }
}

/// Checks a request's fields; `member_of` are the organizers the developer belongs to.
pub fn check_draft(input: &DraftInput<'_>, member_of: &[i64]) -> Result<ApplicationDraft, Vec<DraftProblem>> {
    let mut problems = Vec::new();
    let name = input.name.trim();
    if name.is_empty() {
        problems.push(DraftProblem::NameMissing);
    }
    if name.chars().count() > MAX_NAME_CHARS
        || [input.description, input.website, input.purpose].iter().any(|text| text.chars().count() > MAX_TEXT_CHARS)
    {
        problems.push(DraftProblem::TooLong);
    }
    let website = input.website.trim();
    if !website.is_empty() && !Url::parse(website).is_ok_and(|url| matches!(url.scheme(), "https" | "http")) {
        problems.push(DraftProblem::WebsiteInvalid);
    }
    let redirect_uris: Vec<String> =
        input.redirect_uris.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect();
    if redirect_uris.is_empty() {
        problems.push(DraftProblem::RedirectUriMissing);
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        problems.push(DraftProblem::TooManyRedirectUris);
    }
    for uri in &redirect_uris {
        if let Err(problem) = check_partner_redirect_uri(uri) {
            problems.push(problem);
        }
    }
    let mut scopes = ScopeSet::EMPTY;
    for name in input.scopes {
        match Scope::from_name(name) {
            Some(scope) => scopes = scopes.with(scope),
            None => problems.push(DraftProblem::UnknownScope(name.clone())),
        }
    }
    if scopes.is_empty() {
        problems.push(DraftProblem::ScopesMissing);
    }
    if let Some(organizer_id) = input.organizer_id {
        if !member_of.contains(&organizer_id) {
            problems.push(DraftProblem::OrganizerNotYours);
        }
    }
    if scopes.contains(Scope::Organizer) && !input.confidential && input.organizer_id.is_some() {
        // A public client cannot use client credentials, so an organizer of its own means nothing;
        // its users' own memberships still work.
        problems.push(DraftProblem::OrganizerScopeMismatch);
    }
    if input.organizer_id.is_some() && !scopes.contains(Scope::Organizer) {
        problems.push(DraftProblem::OrganizerScopeMismatch);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ApplicationDraft {
        name: name.to_owned(),
        description: input.description.trim().to_owned(),
        website: website.to_owned(),
        redirect_uris,
        confidential: input.confidential,
        scopes,
        organizer_id: input.organizer_id,
        purpose: input.purpose.trim().to_owned(),
    })
}

/// Checks a redirect URI a partner asks for: as registration does (absolute, no fragment, no
/// script schemes), and, as RFC 8252 §8.3 and RFC 9700 §2.1 ask, `https` unless it is a loopback
/// address of the user's own machine or a native app's private-use scheme.
pub fn check_partner_redirect_uri(uri: &str) -> Result<String, DraftProblem> {
    let uri = redirect::validate_registration(uri).map_err(|err| DraftProblem::RedirectUri(uri.to_owned(), err))?;
    let parsed = Url::parse(&uri).map_err(|_| DraftProblem::RedirectUri(uri.clone(), RedirectUriError::NotAbsolute))?;
    let secure = match parsed.scheme() {
        "https" => true,
        "http" => matches!(parsed.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")),
        // Private-use schemes are reverse domain names (RFC 8252 §7.1).
        scheme => scheme.contains('.'),
    };
    if !secure {
        return Err(DraftProblem::RedirectUriInsecure(uri));
    }
    Ok(uri)
}

/// How long a rotated-out secret keeps working: `days` (0 = it stops at once), at most
/// [`MAX_GRACE_DAYS`].
pub fn grace_period(days: u32) -> Option<TimeDelta> {
    (days <= MAX_GRACE_DAYS).then(|| TimeDelta::days(i64::from(days)))
}

/// Who did something: a signed-in person (with the address they came from) or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// The person's e-mail address, or `cli` with the operating-system user.
    pub name: String,
    pub address: String,
}

/// One line of the audit log, before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub actor: Actor,
    /// What was done, as `object.verb` (`application.suspend`).
    pub action: &'static str,
    /// What it was done to (`application:12`, `user:3`).
    pub target: String,
    /// The object before and after an edit, without secrets.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    pub fn new(actor: &Actor, action: &'static str, target: String) -> AuditEntry {
        AuditEntry { actor: actor.clone(), action, target, before: None, after: None }
    }

    pub fn with_change(mut self, before: Option<Value>, after: Option<Value>) -> AuditEntry {
        self.before = before;
        self.after = after;
        self
    }
}

/// One line of the audit log, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub address: String,
    pub action: String,
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// How an application is used, for its owner's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub issued_last_day: i64,
    pub issued_last_30_days: i64,
    /// When a token was last issued to it.
    pub last_issued_at: Option<DateTime<Utc>>,
    /// People whose grant to it stands.
    pub active_users: i64,
}

/// An application as the audit log records it: everything but its secrets.
pub fn audit_view(app: &Application) -> Value {
    json!({
        "client_id": app.client_id,
        "name": app.name,
        "description": app.description,
        "website": app.website,
        "redirect_uris": app.redirect_uris,
        "scopes": app.scopes.to_string(),
        "organizer_id": app.organizer_id,
        "confidential": app.is_confidential(),
        "suspended": app.suspended_at.is_some(),
    })
}

/// A request as the audit log records it.
pub fn audit_draft(draft: &ApplicationDraft) -> Value {
    json!({
        "name": draft.name,
        "description": draft.description,
        "website": draft.website,
        "redirect_uris": draft.redirect_uris,
        "scopes": draft.scopes.to_string(),
        "organizer_id": draft.organizer_id,
        "confidential": draft.confidential,
        "purpose": draft.purpose,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(redirect_uris: &'a str, scopes: &'a [String]) -> DraftInput<'a> {
        DraftInput { name: "Shop", redirect_uris, scopes, confidential: true, ..DraftInput::default() }
    }

    #[test]
    fn a_complete_request_is_accepted_and_trimmed() {
        let scopes = vec!["public".to_owned(), "email".to_owned()];
        let draft = check_draft(&input(" https://shop.example/cb \n\nhttp://127.0.0.1:8080/cb\n", &scopes), &[])
            .expect("valid");
        assert_eq!(draft.redirect_uris, ["https://shop.example/cb", "http://127.0.0.1:8080/cb"]);
        assert_eq!(draft.scopes.to_string(), "public email");
    }

    #[test]
    fn redirect_uris_must_be_https_loopback_or_private_use() {
        assert!(check_partner_redirect_uri("com.example.app:/cb").is_ok());
        assert!(check_partner_redirect_uri("http://localhost:3000/cb").is_ok());
        assert_eq!(
            check_partner_redirect_uri("http://shop.example/cb"),
            Err(DraftProblem::RedirectUriInsecure("http://shop.example/cb".into()))
        );
        assert!(matches!(
            check_partner_redirect_uri("https://shop.example/cb#x"),
            Err(DraftProblem::RedirectUri(_, RedirectUriError::HasFragment))
        ));
        assert!(matches!(check_partner_redirect_uri("javascript:alert(1)"), Err(DraftProblem::RedirectUri(..))));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let scopes = vec!["admin".to_owned()];
        let mut bad = input("", &scopes);
        bad.name = " ";
        bad.website = "ftp://x";
        bad.organizer_id = Some(9);
        let problems = check_draft(&bad, &[1]).expect_err("invalid");
        for expected in [
            DraftProblem::NameMissing,
            DraftProblem::WebsiteInvalid,
            DraftProblem::RedirectUriMissing,
            DraftProblem::UnknownScope("admin".into()),
            DraftProblem::ScopesMissing,
            DraftProblem::OrganizerNotYours,
            DraftProblem::OrganizerScopeMismatch,
        ] {
            assert!(problems.contains(&expected), "{expected:?} missing from {problems:?}");
        }
    }

    #[test]
    fn only_an_organizer_of_ones_own_may_be_named() {
        let scopes = vec!["organizer".to_owned()];
        let mut request = input("https://shop.example/cb", &scopes);
        request.organizer_id = Some(4);
        assert_eq!(check_draft(&request, &[4]).map(|draft| draft.organizer_id), Ok(Some(4)));
        assert_eq!(check_draft(&request, &[5]), Err(vec![DraftProblem::OrganizerNotYours]));
    }

    #[test]
    fn the_grace_period_is_at_most_a_week() {
        assert_eq!(grace_period(0), Some(TimeDelta::zero()));
        assert_eq!(grace_period(7), Some(TimeDelta::days(7)));
        assert_eq!(grace_period(8), None);
    }
}
