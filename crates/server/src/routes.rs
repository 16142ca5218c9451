//! Every route: its method, its path and its handler, in one table.
//!
//! Each handler's OpenAPI annotation also states its method and path (the document is generated
//! from it); [`RouteTable::at`] checks, as the router is built, that the two agree.

use crate::{api, oauth, openapi, ops, pages, AppState};
use axum::http::Method;
use utoipa::openapi::path::PathItem;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

const GET: Method = Method::GET;
const POST: Method = Method::POST;
const PATCH: Method = Method::PATCH;
const PUT: Method = Method::PUT;
const DELETE: Method = Method::DELETE;

/// Every route with its OpenAPI operation.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        // OAuth 2 and OpenID Connect.
        .page(GET, "/oauth/authorize", routes!(oauth::authorize::show))
        .page(POST, "/oauth/authorize", routes!(oauth::authorize::decide))
        .at(POST, "/oauth/token", routes!(oauth::token::issue))
        .at(POST, "/oauth/par", routes!(oauth::par::push))
        .page(GET, "/oauth/logout", routes!(oauth::logout::show))
        .page(POST, "/oauth/logout", routes!(oauth::logout::confirm))
        .at(POST, "/oauth/device_authorization", routes!(oauth::device::start))
        .page(GET, "/device", routes!(pages::device::show))
        .page(POST, "/device", routes!(pages::device::submit))
        .at(POST, "/oauth/revoke", routes!(oauth::management::revoke))
        .at(POST, "/oauth/introspect", routes!(oauth::management::introspect))
        .at(GET, "/oauth/token/info", routes!(oauth::oidc::token_info))
        .at(GET, "/oauth/userinfo", routes!(oauth::oidc::userinfo))
        .at(POST, "/oauth/userinfo", routes!(oauth::oidc::userinfo_posted))
        .at(GET, "/oauth/discovery/keys", routes!(oauth::oidc::jwks))
        .at(GET, "/.well-known/oauth-authorization-server", routes!(oauth::oidc::oauth_metadata))
        .at(GET, "/.well-known/openid-configuration", routes!(oauth::oidc::openid_configuration))
        .at(GET, "/.well-known/oauth-protected-resource", routes!(oauth::protected_resource::root_metadata))
        .at(GET, "/.well-known/oauth-protected-resource/api/public", routes!(oauth::protected_resource::api_metadata))
        .at(POST, "/oauth/register", routes!(oauth::registration::register))
        .at(GET, "/oauth/register/{client_id}", routes!(oauth::registration::read))
        .at(PUT, "/oauth/register/{client_id}", routes!(oauth::registration::update))
        .at(DELETE, "/oauth/register/{client_id}", routes!(oauth::registration::delete))
        // Pages.
        .page(GET, "/", routes!(pages::home))
        .page(GET, "/session/new", routes!(pages::sign_in::show))
        .page(POST, "/session/new", routes!(pages::sign_in::submit))
        .page(POST, "/session/delete", routes!(pages::sign_in::sign_out))
        .page(GET, "/account/new", routes!(pages::sign_up::show))
        .page(POST, "/account/new", routes!(pages::sign_up::submit))
        .page(GET, "/account/verify/{secret}", routes!(pages::verify::verify))
        .page(GET, "/account/verify/change/{secret}", routes!(pages::verify::confirm_change))
        .page(POST, "/account/verify/resend", routes!(pages::verify::resend))
        .page(GET, "/password/forgot", routes!(pages::password::show_forgot))
        .page(POST, "/password/forgot", routes!(pages::password::request_reset))
        .page(GET, "/password/reset/{secret}", routes!(pages::password::show_reset))
        .page(POST, "/password/reset/{secret}", routes!(pages::password::reset))
        .page(GET, "/language/{language}", routes!(pages::language::switch))
        // The account area.
        .page(GET, "/account", routes!(pages::account::profile::show))
        .page(POST, "/account/profile", routes!(pages::account::profile::update))
        .page(POST, "/account/email", routes!(pages::account::profile::change_email))
        .page(POST, "/account/password", routes!(pages::account::profile::change_password))
        .page(GET, "/account/tickets", routes!(pages::account::tickets::show))
        .page(GET, "/account/applications", routes!(pages::account::apps::show))
        .page(POST, "/account/applications/{application_id}/revoke", routes!(pages::account::apps::revoke))
        .page(GET, "/account/sessions", routes!(pages::account::sessions::show))
        .page(POST, "/account/sessions/{handle}/end", routes!(pages::account::sessions::end))
        .page(POST, "/account/sessions/end-others", routes!(pages::account::sessions::end_others))
        // The developer portal and the admin console.
        .page(GET, "/developers", routes!(pages::portal::developers::index))
        .page(GET, "/developers/new", routes!(pages::portal::developers::new))
        .page(POST, "/developers/new", routes!(pages::portal::developers::create))
        .page(GET, "/developers/applications/{application_id}", routes!(pages::portal::developers::show))
        .page(POST, "/developers/applications/{application_id}", routes!(pages::portal::developers::change))
        .page(POST, "/developers/requests/{request_id}/withdraw", routes!(pages::portal::developers::withdraw))
        .page(GET, "/admin", routes!(pages::portal::admin::requests))
        .page(GET, "/admin/requests/{request_id}", routes!(pages::portal::admin::request))
        .page(POST, "/admin/requests/{request_id}", routes!(pages::portal::admin::review))
        .page(GET, "/admin/applications", routes!(pages::portal::admin::applications))
        .page(GET, "/admin/applications/{application_id}", routes!(pages::portal::admin::application))
        .page(POST, "/admin/applications/{application_id}", routes!(pages::portal::admin::change_application))
        .page(GET, "/admin/users", routes!(pages::portal::admin_people::users))
        .page(GET, "/admin/users/{user_id}", routes!(pages::portal::admin_people::user))
        .page(POST, "/admin/users/{user_id}", routes!(pages::portal::admin_people::change_user))
        .page(GET, "/admin/organizers", routes!(pages::portal::admin_people::organizers))
        .page(POST, "/admin/organizers", routes!(pages::portal::admin_people::change_organizers))
        .page(GET, "/admin/audit", routes!(pages::portal::admin::audit))
        .page(GET, "/static/{file}", routes!(pages::static_asset))
        .page(GET, "/demo/callback", routes!(pages::demo_callback))
        // The public API.
        .at(GET, "/api/public/info", routes!(api::info))
        .at(GET, "/api/public/me", routes!(api::me::show))
        .at(POST, "/api/public/me", routes!(api::me::show_posted))
        .at(GET, "/api/public/organizers/{organizer_id}/tickets", routes!(api::lists::user_tickets))
        .at(GET, "/api/public/organizers/{organizer_id}/orders", routes!(api::lists::user_orders))
        .at(GET, "/api/public/organizers/{organizer_id}/events", routes!(api::lists::events))
        .at(GET, "/api/public/organizers/{organizer_id}/events/{event_id}/tickets", routes!(api::lists::event_tickets))
        .at(POST, "/api/public/organizers/{organizer_id}/events/{event_id}/tickets", routes!(api::tickets::create))
        .at(
            POST,
            "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/invalidate",
            routes!(api::tickets::invalidate),
        )
        .at(GET, "/api/public/tickets/search", routes!(api::tickets::search))
        // Beyond Eventpop: webhooks and door check-in.
        .at(GET, "/api/public/organizers/{organizer_id}/webhooks", routes!(api::webhooks::list))
        .at(POST, "/api/public/organizers/{organizer_id}/webhooks", routes!(api::webhooks::create))
        .at(GET, "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}", routes!(api::webhooks::show))
        .at(PATCH, "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}", routes!(api::webhooks::update))
        .at(DELETE, "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}", routes!(api::webhooks::delete))
        .at(
            POST,
            "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/rotate_secret",
            routes!(api::webhooks::rotate_secret),
        )
        .at(POST, "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/test", routes!(api::webhooks::send_test))
        .at(
            GET,
            "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries",
            routes!(api::webhooks::deliveries),
        )
        .at(
            POST,
            "/api/public/organizers/{organizer_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            routes!(api::webhooks::redeliver),
        )
        .at(POST, "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins", routes!(api::check_ins::create))
        .at(GET, "/api/public/organizers/{organizer_id}/events/{event_id}/check_ins", routes!(api::check_ins::list))
        .at(GET, "/api/public/organizers/{organizer_id}/events/{event_id}/check_in_keys", routes!(api::check_ins::keys))
        .at(
            GET,
            "/api/public/organizers/{organizer_id}/events/{event_id}/revoked_tickets",
            routes!(api::check_ins::revoked),
        )
        .at(
            GET,
            "/api/public/organizers/{organizer_id}/events/{event_id}/tickets/{ticket_id}/secret",
            routes!(api::check_ins::secret),
        )
        .at(GET, "/api/public/openapi.json", routes!(openapi::openapi_json))
        .page(GET, "/docs/api", routes!(openapi::reference))
        // Operations.
        .at(GET, "/healthz", routes!(ops::healthz))
        .at(GET, "/readyz", routes!(ops::readyz))
        .at(GET, "/metrics", routes!(ops::metrics))
}

/// Routes written as a table of method, path and handler.
trait RouteTable: Sized {
    /// Serves `handler` at `method` and `path`. Panics, when the router is built, if the handler's
    /// OpenAPI annotation names another method or path: the table and the document must agree.
    fn at(self, method: Method, path: &str, handler: UtoipaMethodRouter<AppState>) -> Self;

    /// A route a person's browser visits: as [`at`](Self::at), and its error pages are rendered in
    /// the request's language ([`pages::localized_errors`]; the API's routes skip that step).
    fn page(self, method: Method, path: &str, (schemas, paths, handler): UtoipaMethodRouter<AppState>) -> Self {
        let handler = handler.layer(axum::middleware::from_fn(pages::localized_errors));
        self.at(method, path, (schemas, paths, handler))
    }
}

impl RouteTable for OpenApiRouter<AppState> {
    fn at(self, method: Method, path: &str, handler: UtoipaMethodRouter<AppState>) -> Self {
        let documented: Vec<(&String, Vec<Method>)> =
            handler.1.paths.iter().map(|(path, item)| (path, methods(item))).collect();
        let agree = matches!(documented.as_slice(),
            [(documented_path, methods)] if documented_path.as_str() == path && methods == std::slice::from_ref(&method));
        assert!(agree, "the route table says {method} {path}, the handler's annotation {documented:?}");
        self.routes(handler)
    }
}

/// The methods a path item has operations for.
fn methods(item: &PathItem) -> Vec<Method> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter(|(_, operation)| operation.is_some())
    .map(|(method, _)| method)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "the route table says POST /healthz")]
    fn a_route_whose_annotation_names_another_method_is_refused() {
        let _ = OpenApiRouter::new().at(POST, "/healthz", routes!(ops::healthz));
    }

    #[test]
    #[should_panic(expected = "the route table says GET /health")]
    fn a_route_whose_annotation_names_another_path_is_refused() {
        let _ = OpenApiRouter::new().at(GET, "/health", routes!(ops::healthz));
    }
}
