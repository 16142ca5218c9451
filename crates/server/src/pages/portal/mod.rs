//! The developer portal (`/developers`, any signed-in person) and the admin console (`/admin`,
//! administrators only). Handlers read the form, call the action in [`crate::portal`], and
//! render; the role is checked on every request, server side.

pub(crate) mod admin;
pub(crate) mod admin_people;
pub(crate) mod developers;

use super::account::{AccountForm, Visit};
use crate::error::PageError;
use crate::extract::form::CsrfProtected;
use crate::extract::params::{FromParams, ParamError, Params};
use crate::portal::PortalError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use ticketbooth_domain::model::{BrowserSession, ClientOrigin, Review, User};
use ticketbooth_domain::portal::Actor;
use ticketbooth_domain::scope::{Scope, ScopeSet};

/// A portal or console form's fields, by name (the forms differ only in which they carry).
#[derive(Debug, Clone, utoipa::ToSchema)]
#[schema(value_type = Object)]
pub(crate) struct Fields(Params);

impl Fields {
    /// A field's value, trimmed; empty when absent.
    pub(crate) fn get(&self, name: &'static str) -> &str {
        self.0.values(name).next().unwrap_or_default().trim()
    }

    /// Every value of a repeated field (checkboxes).
    pub(crate) fn all(&self, name: &'static str) -> Vec<String> {
        self.0.values(name).map(str::to_owned).collect()
    }

    /// The scopes of the `scopes` checkboxes; unknown names are ignored here (the draft check
    /// reports them where it matters).
    pub(crate) fn scopes(&self) -> ScopeSet {
        self.0.values("scopes").filter_map(Scope::from_name).fold(ScopeSet::EMPTY, ScopeSet::with)
    }
}

impl FromParams for Fields {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(Fields(params.clone()))
    }
}

impl CsrfProtected for Fields {
    fn csrf_token(&self) -> Option<&str> {
        self.0.values("csrf_token").next()
    }
}

/// The actor of an audit line: the signed-in person, from their address.
/// The message naming how an application came to be.
pub(crate) fn origin_message(origin: &ClientOrigin) -> &'static str {
    match origin {
        ClientOrigin::Console => "admin-origin-console",
        ClientOrigin::MetadataDocument => "admin-origin-document",
        ClientOrigin::Registration => "admin-origin-registration",
    }
}

/// The message naming a self-arrived client's review.
pub(crate) fn review_message(review: &Review) -> &'static str {
    match review {
        Review::Approved => "admin-review-approved",
        Review::Pending => "admin-review-pending",
        Review::Rejected => "admin-review-rejected",
    }
}

pub(crate) fn actor(user: &User, address: &str) -> Actor {
    Actor { user_id: Some(user.id), name: user.email.clone(), address: address.to_owned() }
}

/// A signed-in administrator on a console page; others get 403 (and strangers the sign-in page).
pub(crate) struct Staff {
    pub(crate) session: BrowserSession,
    pub(crate) user: User,
}

impl FromRequestParts<crate::AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let Visit { session, user } = Visit::from_request_parts(parts, state).await?;
        if !user.is_admin {
            return Err(PageError::forbidden_admin().into_response());
        }
        Ok(Staff { session, user })
    }
}

/// A form posted from a console page by an administrator, its CSRF token checked.
pub(crate) struct StaffForm {
    pub(crate) session: BrowserSession,
    pub(crate) user: User,
    pub(crate) fields: Fields,
}

impl FromRequest<crate::AppState> for StaffForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        let AccountForm { session, user, form } = AccountForm::<Fields>::from_request(request, state).await?;
        if !user.is_admin {
            return Err(PageError::forbidden_admin().into_response());
        }
        Ok(StaffForm { session, user, fields: form })
    }
}

/// How a refused action reads on a page.
impl From<PortalError> for PageError {
    fn from(err: PortalError) -> PageError {
        match err {
            PortalError::NotFound => PageError::not_found("error-not-found-body"),
            PortalError::NotPending => PageError::bad_request("portal-error-not-pending"),
            PortalError::ScopesNotRequested => PageError::bad_request("portal-error-scopes"),
            PortalError::GraceTooLong => PageError::bad_request("portal-error-grace"),
            PortalError::LastAdmin => PageError::bad_request("portal-error-last-admin"),
            PortalError::NoSecret => PageError::bad_request("portal-error-no-secret"),
            PortalError::TooManyPending => PageError::bad_request("portal-error-too-many"),
            PortalError::Store(err) => err.into(),
        }
    }
}

/// The scopes a developer may ask for, in the order the forms list them.
pub(crate) const REQUESTABLE_SCOPES: [Scope; 5] =
    [Scope::Public, Scope::Organizer, Scope::OpenId, Scope::Profile, Scope::Email];

/// Parses a path id; anything else is a missing page.
pub(crate) fn path_id(id: &str) -> Result<i64, PageError> {
    id.parse().map_err(|_| PageError::not_found("error-not-found-body"))
}
