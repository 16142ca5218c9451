//! Sessions (`/account/sessions`): where the account is signed in, with a button to end any
//! other one, or all others at once.

use super::{frame, AccountForm, Visit};
use crate::error::PageError;
use crate::extract::form::CsrfOnly;
use crate::i18n::Tr;
use crate::pages::templates::{SessionView, SessionsPage};
use crate::pages::{page, see_other};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::secret::SecretHash;
use ticketbooth_store::SessionSelection;

/// A session's handle in forms: the hex of its id's SHA-256 (the id itself stays secret).
fn handle(id_hash: &SecretHash) -> String {
    hex::encode(id_hash.as_bytes())
}

/// A browser's name from its `User-Agent`, as people know it.
fn browser_name(user_agent: &str) -> Option<String> {
    let browser =
        ["Edg/", "OPR/", "Firefox/", "Chrome/", "Safari/"].into_iter().find(|token| user_agent.contains(token))?;
    let browser = match browser {
        "Edg/" => "Edge",
        "OPR/" => "Opera",
        "Firefox/" => "Firefox",
        "Chrome/" => "Chrome",
        _ => "Safari",
    };
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| user_agent.contains(token))
    .map(|(_, name)| name);
    Some(match system {
        Some(system) => format!("{browser} · {system}"),
        None => browser.to_owned(),
    })
}

/// The sessions page.
#[utoipa::path(
    get,
    path = "/account/sessions",
    operation_id = "show_sessions",
    tag = "Pages",
    responses((status = 200, content_type = "text/html"), (status = 303, description = "To the sign-in page"))
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    t: Tr,
    Visit { session, user }: Visit,
) -> Result<Response, PageError> {
    let sessions = state
        .store
        .list_sessions(user.id, Utc::now())
        .await?
        .into_iter()
        .map(|listed| SessionView {
            handle: handle(&listed.id_hash),
            browser: browser_name(&listed.origin.user_agent).unwrap_or_else(|| t.t("sessions-unknown-browser")),
            address: listed.origin.address.clone(),
            started: t.date_time(listed.origin.created_at),
            current: listed.id_hash == session.id_hash,
        })
        .collect();
    page(StatusCode::OK, &SessionsPage { frame: frame(t, "/account/sessions", &session, &user, None), sessions })
}

/// Ends one of the person's other sessions.
#[utoipa::path(
    post,
    path = "/account/sessions/{handle}/end",
    operation_id = "end_session",
    tag = "Pages",
    params(("handle" = String, Path, description = "The session's handle from the sessions page")),
    responses((status = 303, description = "Back to the sessions"), (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"))
)]
pub(crate) async fn end(
    State(state): State<AppState>,
    Path(session_handle): Path<String>,
    AccountForm { session, user, .. }: AccountForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let id_hash = hex_bytes(&session_handle).and_then(|bytes| SecretHash::from_bytes(&bytes));
    if let Some(id_hash) = id_hash.filter(|id_hash| *id_hash != session.id_hash) {
        state.store.end_sessions(user.id, SessionSelection::Only(&id_hash)).await?;
    }
    Ok(see_other("/account/sessions"))
}

/// Ends every session of the person but this one.
#[utoipa::path(
    post,
    path = "/account/sessions/end-others",
    operation_id = "end_other_sessions",
    tag = "Pages",
    responses((status = 303, description = "Back to the sessions"), (status = 403, description = "Missing or foreign CSRF token", content_type = "text/html"))
)]
pub(crate) async fn end_others(
    State(state): State<AppState>,
    AccountForm { session, user, .. }: AccountForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let ended = state.store.end_sessions(user.id, SessionSelection::AllBut(&session.id_hash)).await?;
    tracing::info!(user_id = user.id, ended, "other sessions ended");
    Ok(see_other("/account/sessions"))
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    hex::decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_as_people_know_them() {
        let chrome_android =
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(browser_name(chrome_android).as_deref(), Some("Chrome · Android"));
        let safari_iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_name(safari_iphone).as_deref(), Some("Safari · iPhone"));
        assert_eq!(browser_name("curl/8.5"), None);
    }

    #[test]
    fn handles_round_trip() {
        let id_hash = SecretHash::of("a session id");
        assert_eq!(hex_bytes(&handle(&id_hash)).and_then(|bytes| SecretHash::from_bytes(&bytes)), Some(id_hash));
        assert_eq!(hex_bytes("zz"), None);
        assert_eq!(hex_bytes("abc"), None);
    }
}
