//! An application's row joined with the grant a token request presents (`LEFT JOIN`, so the
//! grant's columns, prefixed, are all `NULL` when nothing has the presented hash).

use super::{AccessTokenRow, ApplicationRow, AuthorizationCodeRow};

/// Applications' columns, then a code's prefixed `c_` (see `sql::columns::APPLICATION_WITH_CODE`).
#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationWithCodeRow {
    #[sqlx(flatten)]
    pub(crate) application: ApplicationRow,
    c_id: Option<i64>,
    c_code_hash: Option<Vec<u8>>,
    c_application_id: Option<i64>,
    c_user_id: Option<i64>,
    c_redirect_uri: Option<String>,
    c_redirect_uri_was_sent: Option<bool>,
    c_scopes: Option<String>,
    c_code_challenge: Option<String>,
    c_nonce: Option<String>,
    c_auth_time: Option<i64>,
    c_created_at: Option<i64>,
    c_expires_at: Option<i64>,
    c_redeemed_at: Option<i64>,
    c_resource: Option<String>,
}

impl ApplicationWithCodeRow {
    /// The application's row, and the code's when the join found one.
    pub(crate) fn split(self) -> (ApplicationRow, Option<AuthorizationCodeRow>) {
        let code = (|| {
            Some(AuthorizationCodeRow {
                id: self.c_id?,
                code_hash: self.c_code_hash?,
                application_id: self.c_application_id?,
                user_id: self.c_user_id?,
                redirect_uri: self.c_redirect_uri?,
                redirect_uri_was_sent: self.c_redirect_uri_was_sent?,
                scopes: self.c_scopes?,
                code_challenge: self.c_code_challenge,
                nonce: self.c_nonce,
                auth_time: self.c_auth_time?,
                created_at: self.c_created_at?,
                expires_at: self.c_expires_at?,
                redeemed_at: self.c_redeemed_at,
                resource: self.c_resource,
            })
        })();
        (self.application, code)
    }
}

/// Applications' columns, then a token's prefixed `t_` (see
/// `sql::columns::APPLICATION_WITH_REFRESH_TOKEN`).
#[derive(sqlx::FromRow)]
pub(crate) struct ApplicationWithTokenRow {
    #[sqlx(flatten)]
    pub(crate) application: ApplicationRow,
    t_id: Option<i64>,
    t_application_id: Option<i64>,
    t_user_id: Option<i64>,
    t_scopes: Option<String>,
    t_created_at: Option<i64>,
    t_expires_at: Option<i64>,
    t_revoked_at: Option<i64>,
    t_has_refresh_token: Option<bool>,
    t_refresh_expires_at: Option<i64>,
    t_family_id: Option<i64>,
    t_dpop_jkt: Option<String>,
    t_audience: Option<String>,
}

impl ApplicationWithTokenRow {
    /// The application's row, and the token's when the join found one.
    pub(crate) fn split(self) -> (ApplicationRow, Option<AccessTokenRow>) {
        let token = (|| {
            Some(AccessTokenRow {
                id: self.t_id?,
                application_id: self.t_application_id?,
                user_id: self.t_user_id,
                scopes: self.t_scopes?,
                created_at: self.t_created_at?,
                expires_at: self.t_expires_at?,
                revoked_at: self.t_revoked_at,
                has_refresh_token: self.t_has_refresh_token?,
                refresh_expires_at: self.t_refresh_expires_at,
                family_id: self.t_family_id,
                dpop_jkt: self.t_dpop_jkt,
                audience: self.t_audience,
            })
        })();
        (self.application, token)
    }
}
