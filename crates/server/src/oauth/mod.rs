//! The OAuth 2 endpoints (contract §2).

mod authorize;
mod token;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes under `/oauth`, with their OpenAPI operations.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(authorize::show, authorize::decide)).routes(routes!(token::issue))
}
