//! `/device`: where a person signs in a device that showed them a code (RFC 8628 §3.3). They
//! type the code (or arrive with it from the device's QR code), see which application asks for
//! what, and approve or deny; the device, polling the token endpoint, then gets its tokens.
//!
//! Codes are short enough to type, so guesses are limited: failed lookups are counted per person
//! and address, and per address, before the lookup (`throttle`).

use super::account::{AccountForm, Visit};
use super::templates::{DeviceConfirmation, DevicePage};
use super::{notice, page};
use crate::error::PageError;
use crate::extract::address::ClientAddress;
use crate::extract::form::CsrfProtected;
use crate::extract::params::{FromParams, ParamError, Params};
use crate::i18n::Tr;
use crate::oauth::authorize::scope_message;
use crate::throttle::{Attempt, FailureLimits};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use ticketbooth_domain::device::{display_user_code, normalize_user_code};
use ticketbooth_domain::model::{Application, BrowserSession, User};

/// `GET /device`'s query: the code, when the person followed `verification_uri_complete`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeviceQuery {
    /// `XXXX-XXXX`; fills in the form.
    user_code: Option<String>,
}

/// The code form, and the decision on the confirmation page.
#[derive(utoipa::ToSchema)]
pub(crate) struct DeviceForm {
    /// The session's CSRF token, from the page.
    #[schema(value_type = String)]
    csrf_token: Option<String>,
    /// The code the device shows, `XXXX-XXXX` (case, dashes and spaces are ignored).
    #[schema(value_type = String)]
    user_code: Option<String>,
    /// Absent to look the code up; `approve` or `deny` on the confirmation page.
    decision: Option<String>,
}

impl FromParams for DeviceForm {
    fn from_params(params: &Params) -> Result<Self, ParamError> {
        Ok(DeviceForm {
            csrf_token: params.optional("csrf_token")?,
            user_code: params.optional("user_code")?,
            decision: params.optional("decision")?,
        })
    }
}

impl CsrfProtected for DeviceForm {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_deref()
    }
}

/// The form for the code a device shows; signed-out visitors sign in first.
#[utoipa::path(
    get,
    path = "/device",
    operation_id = "show_device_sign_in",
    tag = "Pages",
    params(DeviceQuery),
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(
    t: Tr,
    Visit { session, user }: Visit,
    Query(query): Query<DeviceQuery>,
) -> Result<Response, PageError> {
    let user_code = query.user_code.unwrap_or_default();
    entry_form(t, StatusCode::OK, &session, &user, &user_code, None)
}

/// Looks the code up and shows what the device asks for; with `decision`, records the person's
/// approval or denial. Needs the form's CSRF token.
#[utoipa::path(
    post,
    path = "/device",
    operation_id = "decide_device_sign_in",
    tag = "Pages",
    request_body(content = DeviceForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The confirmation page, or the decision's result", content_type = "text/html"),
        (status = 400, description = "Unknown, expired or used code: the form again", content_type = "text/html"),
        (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"),
        (status = 429, description = "Too many wrong codes: the form again, with Retry-After", content_type = "text/html"),
    )
)]
pub(crate) async fn submit(
    State(state): State<AppState>,
    t: Tr,
    ClientAddress(address): ClientAddress,
    AccountForm { session, user, form }: AccountForm<DeviceForm>,
) -> Result<Response, PageError> {
    let typed = form.user_code.unwrap_or_default();
    let now = Utc::now();
    // Counted before the lookup, so parallel guesses cannot slip past the limit; a code that is
    // found gives the attempt back.
    let attempt = Attempt::new("usercode", &user.id.to_string(), &address, FailureLimits::USER_CODE, now);
    if let Err(wait) = attempt.take(&state.store, now).await? {
        let mut response =
            entry_form(t, StatusCode::TOO_MANY_REQUESTS, &session, &user, &typed, Some(t.t("throttled")))?;
        response.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Ok(response);
    }
    let found = match normalize_user_code(&typed) {
        Some(code) => state.store.find_device_authorization(&code, now).await?,
        None => None,
    };
    let app = match &found {
        Some(found) => state.store.find_application(found.application_id).await?.filter(Application::is_usable),
        None => None,
    };
    let (Some(found), Some(app)) = (found, app) else {
        return entry_form(t, StatusCode::BAD_REQUEST, &session, &user, &typed, Some(t.t("device-code-wrong")));
    };
    attempt.refund(&state.store).await?;
    if found.approved.is_some() {
        return entry_form(t, StatusCode::BAD_REQUEST, &session, &user, "", Some(t.t("device-code-used")));
    }
    let approved = match form.decision.as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            let confirmation = DeviceConfirmation {
                app_name: &app.name,
                user_code: display_user_code(&found.user_code),
                scopes: found.scopes.iter().map(scope_message).collect(),
            };
            return page(
                StatusCode::OK,
                &DevicePage {
                    t,
                    here: "/device",
                    csrf_token: &session.csrf_token,
                    signed_in_as: t.t1("device-signed-in", "email", &user.email),
                    user_code: "",
                    error: None,
                    confirmation: Some(confirmation),
                },
            );
        }
    };
    let auth_time = session.authenticated_at.unwrap_or(now);
    if !state.store.decide_device_authorization(found.id, user.id, approved, auth_time, now).await? {
        return entry_form(t, StatusCode::BAD_REQUEST, &session, &user, "", Some(t.t("device-code-used")));
    }
    tracing::info!(application_id = app.id, approved, "device sign-in decided");
    let (title, body) = match approved {
        true => (t.t("device-approved-title"), t.t1("device-approved-body", "app", &app.name)),
        false => (t.t("device-denied-title"), t.t("device-denied-body")),
    };
    notice(t, "/device", StatusCode::OK, title, vec![body], None)
}

fn entry_form(
    t: Tr,
    status: StatusCode,
    session: &BrowserSession,
    user: &User,
    user_code: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    page(
        status,
        &DevicePage {
            t,
            here: "/device",
            csrf_token: &session.csrf_token,
            signed_in_as: t.t1("device-signed-in", "email", &user.email),
            user_code,
            error,
            confirmation: None,
        },
    )
}
