//! Column lists and the hot point lookups' statements, as literals: statements are assembled at
//! compile time with `concat!`, and the SQLite backend's inline readers read the same columns in
//! the same order (`crate::sqlite::inline_rows`).

macro_rules! user_columns {
    () => {
        "id, email, password_hash, first_name, last_name, phone, birthday, gender, is_admin, created_at, \
         email_verified_at, language, disabled_at"
    };
}
/// Token and user columns for `FROM access_tokens t LEFT JOIN users u`, user columns prefixed `u_`.
macro_rules! token_with_user_columns {
    () => {
        "t.id, t.application_id, t.user_id, t.scopes, t.created_at, t.expires_at, t.revoked_at, \
         t.refresh_token_hash IS NOT NULL AS has_refresh_token, t.refresh_expires_at, t.family_id, t.dpop_jkt, t.audience, \
         u.id AS u_id, u.email AS u_email, u.password_hash AS u_password_hash, u.first_name AS u_first_name, \
         u.last_name AS u_last_name, u.phone AS u_phone, u.birthday AS u_birthday, u.gender AS u_gender, \
         u.is_admin AS u_is_admin, u.created_at AS u_created_at, u.email_verified_at AS u_email_verified_at, \
         u.language AS u_language, u.disabled_at AS u_disabled_at"
    };
}
macro_rules! session_columns {
    () => {
        "id_hash, user_id, csrf_token, authenticated_at, expires_at, user_agent, address, created_at"
    };
}
macro_rules! application_columns {
    () => {
        "id, client_id, name, secret_hash, redirect_uris, scopes, organizer_id, id_token_alg, created_at, \
         description, website, owner_id, suspended_at, secret_shown, previous_secret_hash, previous_secret_expires_at, \
         device_grant, require_par, require_dpop, refresh_grace_seconds, jwks, \
         post_logout_redirect_uris, backchannel_logout_uri, origin, review, registration_token_hash, metadata_expires_at"
    };
}
macro_rules! code_columns {
    () => {
        "id, code_hash, application_id, user_id, redirect_uri, redirect_uri_was_sent, scopes, \
         code_challenge, nonce, auth_time, created_at, expires_at, redeemed_at, resource"
    };
}
macro_rules! access_token_columns {
    () => {
        "id, application_id, user_id, scopes, created_at, expires_at, revoked_at, \
         refresh_token_hash IS NOT NULL AS has_refresh_token, refresh_expires_at, family_id, dpop_jkt, audience"
    };
}

macro_rules! event_columns {
    () => {
        "id, organizer_id, title, description, description_en, location_name, cover_url, poster_url, status, \
         start_at, end_at, api_ticket_quota, created_at, updated_at"
    };
}
macro_rules! ticket_type_columns {
    () => {
        "id, event_id, name, price_satangs, quota"
    };
}
macro_rules! order_columns {
    () => {
        "id, event_id, user_id, status, buyer_firstname, buyer_lastname, buyer_email, buyer_phone, \
         buyer_phone_country, buyer_phone_country_code, buyer_phone_local, forms, paid_at, created_at, updated_at"
    };
}
/// Ticket columns with the ticket type's, for `FROM tickets t JOIN ticket_types tt`.
macro_rules! ticket_columns {
    () => {
        "t.id, t.order_id, t.event_id, t.user_id, t.status, t.firstname, t.lastname, t.phone, t.email, \
         t.reference_code, t.kind, t.external_id, t.revoke_note, t.forms, t.used_at, t.registered_at, t.created_at, \
         t.updated_at, tt.id AS tt_id, tt.name AS tt_name, tt.price_satangs AS tt_price_satangs, tt.quota AS tt_quota"
    };
}

/// The point lookups on the hot paths (bearer check, client authentication, code and refresh
/// grants, introspection): one row by a unique key, bound as `$1`.
pub(crate) const TOKEN_WITH_USER_BY_HASH: &str = concat!(
    "SELECT ",
    token_with_user_columns!(),
    " FROM access_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.access_token_hash = $1"
);
pub(crate) const TOKEN_BY_HASH: &str =
    concat!("SELECT ", access_token_columns!(), " FROM access_tokens WHERE access_token_hash = $1");
pub(crate) const TOKEN_BY_REFRESH_HASH: &str =
    concat!("SELECT ", access_token_columns!(), " FROM access_tokens WHERE refresh_token_hash = $1");
pub(crate) const APPLICATION_BY_CLIENT_ID: &str =
    concat!("SELECT ", application_columns!(), " FROM applications WHERE client_id = $1");
pub(crate) const CODE_BY_HASH: &str =
    concat!("SELECT ", code_columns!(), " FROM authorization_codes WHERE code_hash = $1");
/// An application by client id with, `LEFT JOIN`ed, an authorization code by hash (`$2`), its
/// columns prefixed `c_`.
pub(crate) const APPLICATION_WITH_CODE: &str = concat!(
    "SELECT a.*, c.id AS c_id, c.code_hash AS c_code_hash, c.application_id AS c_application_id, \
     c.user_id AS c_user_id, c.redirect_uri AS c_redirect_uri, c.redirect_uri_was_sent AS c_redirect_uri_was_sent, \
     c.scopes AS c_scopes, c.code_challenge AS c_code_challenge, c.nonce AS c_nonce, c.auth_time AS c_auth_time, \
     c.created_at AS c_created_at, c.expires_at AS c_expires_at, c.redeemed_at AS c_redeemed_at, \
     c.resource AS c_resource FROM (SELECT ",
    application_columns!(),
    " FROM applications WHERE client_id = $1) a LEFT JOIN authorization_codes c ON c.code_hash = $2"
);
/// An application by client id with, `LEFT JOIN`ed, a token by refresh-token hash (`$2`), its
/// columns prefixed `t_`.
pub(crate) const APPLICATION_WITH_REFRESH_TOKEN: &str = concat!(
    "SELECT a.*, t.id AS t_id, t.application_id AS t_application_id, t.user_id AS t_user_id, \
     t.scopes AS t_scopes, t.created_at AS t_created_at, t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at, \
     t.refresh_token_hash IS NOT NULL AS t_has_refresh_token, t.refresh_expires_at AS t_refresh_expires_at, \
     t.family_id AS t_family_id, t.dpop_jkt AS t_dpop_jkt, t.audience AS t_audience FROM (SELECT ",
    application_columns!(),
    " FROM applications WHERE client_id = $1) a LEFT JOIN access_tokens t ON t.refresh_token_hash = $2"
);

pub(crate) use {
    access_token_columns, application_columns, event_columns, order_columns, session_columns, ticket_columns,
    ticket_type_columns, user_columns,
};
