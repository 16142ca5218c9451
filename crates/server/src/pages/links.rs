//! The single-use links that mail carries: made here (secret kept only as its hash, address
//! built from the issuer), and read back from their paths.

use super::notice;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ticketbooth_domain::account::LinkPurpose;
use ticketbooth_domain::secret::{looks_like_secret, Secret, SecretHash};
use ticketbooth_store::{NewAccountLink, StoreResult};

/// Where a link of each purpose leads (contract §6: verification links start with
/// `/account/verify`, reset links with `/password/reset`).
fn path_prefix(purpose: LinkPurpose) -> &'static str {
    match purpose {
        LinkPurpose::VerifyEmail => "/account/verify/",
        LinkPurpose::ChangeEmail => "/account/verify/change/",
        LinkPurpose::ResetPassword => "/password/reset/",
    }
}

/// Stores a new link of `purpose` for `user_id`, mailed to `email`, and returns its address.
pub(crate) async fn issue(state: &AppState, user_id: i64, purpose: LinkPurpose, email: &str) -> StoreResult<String> {
    let secret = Secret::generate();
    let link = NewAccountLink {
        link_hash: secret.hash(),
        user_id,
        purpose,
        email: email.to_owned(),
        expires_at: Utc::now() + purpose.lifetime(),
    };
    state.store.create_link(&link).await?;
    Ok(state.config.url(&format!("{}{}", path_prefix(purpose), secret.expose())))
}

/// The stored hash of a link's secret, if the path segment could be one.
pub(crate) fn hash_of(secret: &str) -> Option<SecretHash> {
    looks_like_secret(secret).then(|| SecretHash::of(secret))
}

/// The page for a used, expired, unknown or mangled link, with a way to ask for a new one.
pub(crate) fn invalid(t: Tr, ask_again: Option<(&str, &str)>) -> Result<Response, PageError> {
    let action = ask_again.map(|(label, path)| (t.t(label), path.to_owned()));
    notice(t, "/", StatusCode::BAD_REQUEST, t.t("link-invalid-title"), vec![t.t("link-invalid-body")], action)
}
