//! The OpenAPI 3.1 document of every route, generated from the handlers' annotations
//! (`utoipa`), served at `/api/public/openapi.json` and rendered as a reference page at
//! `/docs/api`. Routes are registered only through [`crate::routes`], which builds the router
//! and the document from the same list, so no route can be missing from the document.

use crate::pages::templates::{ApiReferencePage, OperationView, ParameterView, TagView};
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::sync::LazyLock;
use utoipa::openapi::security::{
    AuthorizationCode, ClientCredentials, Flow, Http, HttpAuthScheme, OAuth2, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ticketbooth API",
        description = "An event-ticketing platform's OAuth 2 authorization server and public API, \
                       wire-compatible with the Eventpop public API.",
        license(name = "MIT")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "OAuth 2", description = "The User Authentication Flow (authorization code with PKCE) and the App Authentication Flow (client credentials)."),
        (name = "User profile", description = "The signed-in user."),
        (name = "User resources", description = "The caller's own orders and tickets at an organizer."),
        (name = "Organizer resources", description = "An organizer's events and tickets."),
        (name = "Ticket management", description = "Creating, invalidating and finding tickets."),
        (name = "Info", description = "The service and this document."),
        (name = "Pages", description = "What a person's browser sees."),
        (name = "Operations", description = "Health, readiness and metrics."),
    )
)]
struct ApiDoc;

/// The OAuth 2 security schemes the operations refer to.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let user_scopes = Scopes::from_iter([
            ("public", "The user's profile, orders and tickets"),
            ("organizer", "Resources of the organizers the user belongs to"),
            ("openid", "OpenID Connect sign-in"),
            ("profile", "The user's name"),
            ("email", "The user's email address"),
        ]);
        components.add_security_scheme(
            "user_token",
            SecurityScheme::OAuth2(OAuth2::new([Flow::AuthorizationCode(AuthorizationCode::new(
                "/oauth/authorize",
                "/oauth/token",
                user_scopes,
            ))])),
        );
        components.add_security_scheme(
            "application_token",
            SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
                "/oauth/token",
                Scopes::from_iter([("public", "The owning organizer's resources")]),
            ))])),
        );
        components.add_security_scheme("client_basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        components.add_security_scheme("metrics_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        // RFC 7592: the token a registration answered with, for managing that client.
        components.add_security_scheme("registration_token", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The base document the route annotations are added to.
pub(crate) fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The whole document, built once.
pub(crate) static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> =
    LazyLock::new(|| crate::routes::routes().into_openapi());

static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| {
    let mut document = serde_json::to_value(&*DOCUMENT).unwrap_or_default();
    json_content_parameters(&mut document);
    serde_json::to_string_pretty(&document).unwrap_or_else(|_| "{}".to_owned())
});

/// Parameters whose value is a JSON text (`q`) are marked `contentMediaType: application/json`
/// on their schema; OpenAPI says that with `content` instead of `schema` (§4.8.12.4), which
/// `utoipa`'s parameter type cannot hold, so the document is finished here.
fn json_content_parameters(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(parameters) =
                item.get_mut(method).and_then(|op| op.get_mut("parameters")).and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                let is_json = parameter["schema"]["contentMediaType"] == "application/json";
                if let (true, Some(parameter)) = (is_json, parameter.as_object_mut()) {
                    let mut schema = parameter.remove("schema").unwrap_or_default();
                    if let Some(schema) = schema.as_object_mut() {
                        schema.remove("contentMediaType");
                    }
                    parameter.insert("content".into(), serde_json::json!({ "application/json": { "schema": schema } }));
                }
            }
        }
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/public/openapi.json", operation_id = "get_openapi_document", tag = "Info", responses((status = 200, content_type = "application/json")))]
pub(crate) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT_JSON.as_str()).into_response()
}

/// The API reference: this document as a page.
#[utoipa::path(get, path = "/docs/api", operation_id = "show_api_reference", tag = "Info", responses((status = 200, content_type = "text/html")))]
pub(crate) async fn reference() -> Result<Html<String>, crate::error::PageError> {
    let document: Value = serde_json::from_str(&DOCUMENT_JSON).unwrap_or_default();
    let tags = tag_views(&document);
    let page = ApiReferencePage { version: env!("CARGO_PKG_VERSION"), tags };
    Ok(Html(page.render()?))
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn tag_view(name: String, description: String) -> TagView {
    let anchor = name.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    TagView { name, anchor, description, operations: Vec::new() }
}

/// The document's operations grouped by tag, in the tags' declared order.
fn tag_views(document: &Value) -> Vec<TagView> {
    let mut tags: Vec<TagView> = document["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| tag_view(text(&tag["name"]), text(&tag["description"])))
        .collect();
    let Some(paths) = document["paths"].as_object() else { return tags };
    for (path, item) in paths {
        for method in METHODS {
            let operation = &item[method];
            if operation.is_null() {
                continue;
            }
            let view = OperationView {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&operation["summary"]),
                description: text(&operation["description"]),
                parameters: operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| ParameterView {
                        name: text(&p["name"]),
                        location: text(&p["in"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        description: text(&p["description"]),
                    })
                    .collect(),
                body_types: operation["requestBody"]["content"]
                    .as_object()
                    .map(|content| content.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
                responses: operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, response)| (status.clone(), text(&response["description"])))
                    .collect(),
            };
            let tag = text(&operation["tags"][0]);
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(group) => group.operations.push(view),
                None => {
                    let mut group = tag_view(tag, String::new());
                    group.operations.push(view);
                    tags.push(group);
                }
            }
        }
    }
    tags
}
