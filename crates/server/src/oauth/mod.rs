//! The OAuth 2 endpoints (contract §2).

mod authorize;
mod management;
mod oidc;
mod token;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/oauth`, with their OpenAPI operations.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize::show, authorize::decide))
        .routes(routes!(token::issue))
        .routes(routes!(management::revoke))
        .routes(routes!(management::introspect))
        .routes(routes!(oidc::token_info))
        .routes(routes!(oidc::userinfo, oidc::userinfo_posted))
        .routes(routes!(oidc::jwks))
        .routes(routes!(oidc::oauth_metadata))
        .routes(routes!(oidc::openid_configuration))
}
