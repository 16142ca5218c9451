//! Client metadata (RFC 7591 §2) and the two ways a client can bring it without an operator:
//! a Client ID Metadata Document, whose URL is the `client_id`
//! (draft-ietf-oauth-client-id-metadata-document, as the Model Context Protocol profiles it),
//! and dynamic registration (RFC 7591, RFC 7592). Both are checked by the same rules here.

use crate::model::IdTokenAlg;
use crate::redirect;
use crate::scope::{Scope, ScopeSet};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::{Host, Url};

/// The largest metadata document fetched (the draft suggests 5 KB; a little room is left).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024;
/// How long a fetched document is trusted when its response says nothing about caching.
pub const DEFAULT_CACHE_LIFETIME: Duration = Duration::from_secs(60 * 60);
/// Bounds on how long a document is trusted, whatever its `Cache-Control` says: refreshed at
/// most once a minute, and at least once a day.
pub const MIN_CACHE_LIFETIME: Duration = Duration::from_secs(60);
pub const MAX_CACHE_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
const MAX_REDIRECT_URIS: usize = 10;
const MAX_NAME_CHARS: usize = 100;

/// Client metadata as a document or a registration request carries it (RFC 7591 §2). Fields this
/// server does not use are ignored, as §2 asks.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientMetadata {
    /// In a metadata document: its own URL. Not sent in a registration request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Where the authorization endpoint may send the browser back (exact match).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// `none` (a public client using PKCE), `client_secret_basic` (the default for a
    /// registration), `client_secret_post` or `private_key_jwt` (with `jwks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<String>,
    /// `authorization_code` (the default), `refresh_token`, `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    /// `code` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types: Option<Vec<String>>,
    /// Shown to people on the consent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// The client's home page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Space-separated scopes the client may ask for; unknown ones are left out, default `public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The public keys of a `private_key_jwt` client (a JWK Set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<serde_json::Map<String, serde_json::Value>>,
    /// `RS256` (default) or `ES256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<String>,
}

/// How a client authenticates at the token endpoint (RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    fn from_name(name: &str) -> Option<AuthMethod> {
        [AuthMethod::None, AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost, AuthMethod::PrivateKeyJwt]
            .into_iter()
            .find(|method| method.as_str() == name)
    }
}

/// Metadata that passed the rules, in this server's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidClientMetadata {
    pub name: String,
    pub website: String,
    pub redirect_uris: Vec<String>,
    pub auth_method: AuthMethod,
    pub scopes: ScopeSet,
    pub grant_types: Vec<String>,
    /// The JWK Set, as JSON text, of a `private_key_jwt` client.
    pub jwks: Option<String>,
    pub id_token_alg: IdTokenAlg,
}

/// Why metadata was refused; RFC 7591 §3.2.2 names the two error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// `invalid_redirect_uri`.
    #[error("{0}")]
    RedirectUri(String),
    /// `invalid_client_metadata`.
    #[error("{0}")]
    Field(String),
}

/// Where the metadata came from, which decides what it may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A metadata document fetched from `url`, its `client_id`.
    Document { url: &'a str },
    /// A dynamic registration request.
    Registration,
}

impl ClientMetadata {
    /// Checks the metadata against this server's rules.
    pub fn validate(&self, source: Source<'_>) -> Result<ValidClientMetadata, MetadataError> {
        let field = |message: &str| Err(MetadataError::Field(message.to_owned()));
        if let Source::Document { url } = source {
            if self.client_id.as_deref() != Some(url) {
                return field("The document's client_id must equal the URL it was fetched from.");
            }
        }
        let auth_method = match (self.token_endpoint_auth_method.as_deref(), source) {
            (None, Source::Document { .. }) => AuthMethod::None,
            (None, Source::Registration) => AuthMethod::ClientSecretBasic,
            (Some(name), _) => match AuthMethod::from_name(name) {
                Some(method) => method,
                None => return field("token_endpoint_auth_method must be none, client_secret_basic, client_secret_post or private_key_jwt."),
            },
        };
        if matches!(source, Source::Document { .. }) && auth_method != AuthMethod::None {
            // A shared secret cannot be published in a document, and keys by reference
            // (`jwks_uri`) are not fetched: a document client is public and uses PKCE.
            return field("A metadata-document client must use token_endpoint_auth_method none.");
        }
        let jwks = match (auth_method, &self.jwks) {
            (AuthMethod::PrivateKeyJwt, Some(jwks)) => Some(serde_json::Value::Object(jwks.clone()).to_string()),
            (AuthMethod::PrivateKeyJwt, None) => {
                return field("private_key_jwt needs jwks (jwks_uri is not supported).")
            }
            _ => None,
        };
        let grant_types = self.grant_types.clone().unwrap_or_else(|| vec!["authorization_code".to_owned()]);
        for grant in &grant_types {
            let allowed = match grant.as_str() {
                "authorization_code" | "refresh_token" => true,
                "client_credentials" => auth_method != AuthMethod::None && source == Source::Registration,
                _ => false,
            };
            if !allowed {
                return field(&format!("The grant type {grant} is not available to this client."));
            }
        }
        if self.response_types.as_ref().is_some_and(|types| types.iter().any(|kind| kind != "code")) {
            return field("The only response type is code.");
        }
        let uses_redirects = grant_types.iter().any(|grant| grant == "authorization_code");
        if uses_redirects && self.redirect_uris.is_empty() {
            return Err(MetadataError::RedirectUri("redirect_uris is required.".into()));
        }
        if self.redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(MetadataError::RedirectUri(format!("At most {MAX_REDIRECT_URIS} redirect URIs.")));
        }
        for uri in &self.redirect_uris {
            redirect::validate_registration(uri).map_err(|err| MetadataError::RedirectUri(format!("{uri}: {err}.")))?;
        }
        let name = match (self.client_name.as_deref().map(str::trim), source) {
            (Some(name), _) if !name.is_empty() => name.chars().take(MAX_NAME_CHARS).collect(),
            (_, Source::Document { url }) => document_host(url),
            (_, Source::Registration) => "Unnamed application".to_owned(),
        };
        let website = match self.client_uri.as_deref() {
            Some(uri) if Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "https" | "http")) => uri.to_owned(),
            Some(_) => return field("client_uri must be an http(s) URL."),
            None => String::new(),
        };
        let id_token_alg = match self.id_token_signed_response_alg.as_deref() {
            None => IdTokenAlg::default(),
            Some(name) => match IdTokenAlg::from_name(name) {
                Some(alg) => alg,
                None => return field("id_token_signed_response_alg must be RS256 or ES256."),
            },
        };
        Ok(ValidClientMetadata {
            name,
            website,
            redirect_uris: self.redirect_uris.clone(),
            auth_method,
            scopes: known_scopes(self.scope.as_deref()),
            grant_types,
            jwks,
            id_token_alg,
        })
    }
}

/// The known scopes of a space-separated list, `public` when none is known (RFC 7591 §2 lets the
/// server choose the scopes it registers).
fn known_scopes(scope: Option<&str>) -> ScopeSet {
    let known =
        scope.unwrap_or_default().split(' ').filter_map(Scope::from_name).fold(ScopeSet::default(), ScopeSet::with);
    match known.is_empty() {
        true => ScopeSet::only(Scope::Public),
        false => known,
    }
}

/// Whether a `client_id` names a metadata document: the draft's `https` URL with a path.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://")
}

/// Why a metadata document URL is refused before anything is fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentUrlError {
    #[error("The client_id URL must be https with a path, and no credentials, fragment or dot segments.")]
    Malformed,
}

/// Checks a metadata document URL (the draft's §3): `https`, a path, no credentials, no
/// fragment, no `.` or `..` segments.
pub fn check_document_url(client_id: &str) -> Result<Url, DocumentUrlError> {
    let url = Url::parse(client_id).map_err(|_| DocumentUrlError::Malformed)?;
    let dot_segment = client_id.split(['/', '?']).any(|segment| segment == "." || segment == "..");
    let clean = url.scheme() == "https"
        && url.host().is_some()
        && url.path() != "/"
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none()
        && !client_id.contains('#')
        && !dot_segment
        && client_id.len() <= 2048;
    match clean {
        true => Ok(url),
        false => Err(DocumentUrlError::Malformed),
    }
}

/// The host a metadata-document client is identified by, shown prominently on the consent page:
/// whoever controls it controls the client.
pub fn document_host(client_id: &str) -> String {
    Url::parse(client_id).ok().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default()
}

/// Whether every redirect URI goes to the person's own device (loopback). Any program can publish
/// such a document, so the consent page warns that the name is not vouched for.
pub fn redirects_only_to_loopback(redirect_uris: &[String]) -> bool {
    !redirect_uris.is_empty()
        && redirect_uris.iter().all(|uri| {
            Url::parse(uri).ok().is_some_and(|url| match url.host() {
                Some(Host::Ipv4(ip)) => ip.is_loopback(),
                Some(Host::Ipv6(ip)) => ip.is_loopback(),
                Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
                None => false,
            })
        })
}

/// How long a fetched document is trusted, from its response's `Cache-Control` (RFC 9111 §5.2.2):
/// `max-age`, kept within the bounds above; `no-store` and `no-cache` mean the shortest.
pub fn cache_lifetime(cache_control: Option<&str>) -> Duration {
    let Some(header) = cache_control else { return DEFAULT_CACHE_LIFETIME };
    let mut lifetime = DEFAULT_CACHE_LIFETIME;
    for directive in header.split(',').map(|directive| directive.trim().to_ascii_lowercase()) {
        if directive == "no-store" || directive == "no-cache" {
            return MIN_CACHE_LIFETIME;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=").and_then(|value| value.trim_matches('"').parse().ok())
        {
            lifetime = Duration::from_secs(seconds);
        }
    }
    lifetime.clamp(MIN_CACHE_LIFETIME, MAX_CACHE_LIFETIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://agent.example/oauth/client.json";

    fn document() -> ClientMetadata {
        ClientMetadata {
            client_id: Some(URL.into()),
            redirect_uris: vec!["http://127.0.0.1:33418/callback".into()],
            client_name: Some("Agent".into()),
            ..ClientMetadata::default()
        }
    }

    #[test]
    fn a_document_must_name_its_own_url_and_be_public() {
        let valid = document().validate(Source::Document { url: URL }).unwrap();
        assert_eq!((valid.name.as_str(), valid.auth_method), ("Agent", AuthMethod::None));
        assert_eq!(valid.scopes, ScopeSet::only(Scope::Public));
        let other = ClientMetadata { client_id: Some("https://evil.example/c".into()), ..document() };
        assert!(other.validate(Source::Document { url: URL }).is_err());
        let secret = ClientMetadata { token_endpoint_auth_method: Some("client_secret_post".into()), ..document() };
        assert!(secret.validate(Source::Document { url: URL }).is_err());
        let no_name = ClientMetadata { client_name: None, ..document() };
        assert_eq!(no_name.validate(Source::Document { url: URL }).unwrap().name, "agent.example");
    }

    #[test]
    fn registration_defaults_to_a_confidential_code_client() {
        let request = ClientMetadata { redirect_uris: vec!["https://rp.example/cb".into()], ..Default::default() };
        let valid = request.validate(Source::Registration).unwrap();
        assert_eq!(valid.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(valid.grant_types, vec!["authorization_code".to_owned()]);
        let no_redirect = ClientMetadata::default().validate(Source::Registration);
        assert!(matches!(no_redirect, Err(MetadataError::RedirectUri(_))));
        let bad_redirect = ClientMetadata { redirect_uris: vec!["javascript:alert(1)".into()], ..Default::default() };
        assert!(matches!(bad_redirect.validate(Source::Registration), Err(MetadataError::RedirectUri(_))));
        let public_machine = ClientMetadata {
            token_endpoint_auth_method: Some("none".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            ..Default::default()
        };
        assert!(matches!(public_machine.validate(Source::Registration), Err(MetadataError::Field(_))));
    }

    #[test]
    fn unknown_scopes_are_left_out() {
        assert_eq!(known_scopes(Some("public offline_access openid")), ScopeSet::parse("public openid").unwrap());
        assert_eq!(known_scopes(Some("tickets:read")), ScopeSet::only(Scope::Public));
    }

    #[test]
    fn document_urls_are_https_with_a_path() {
        assert!(check_document_url(URL).is_ok());
        for bad in [
            "http://agent.example/client.json",
            "https://agent.example/",
            "https://agent.example",
            "https://user:pw@agent.example/c",
            "https://agent.example/c#x",
            "https://agent.example/a/../c",
        ] {
            assert!(check_document_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_only_clients_are_told_apart() {
        assert!(redirects_only_to_loopback(&["http://127.0.0.1:5/cb".into(), "http://localhost/cb".into()]));
        assert!(!redirects_only_to_loopback(&["http://127.0.0.1/cb".into(), "https://agent.example/cb".into()]));
        assert!(!redirects_only_to_loopback(&[]));
    }

    #[test]
    fn cache_control_is_honoured_within_bounds() {
        assert_eq!(cache_lifetime(None), DEFAULT_CACHE_LIFETIME);
        assert_eq!(cache_lifetime(Some("public, max-age=600")), Duration::from_secs(600));
        assert_eq!(cache_lifetime(Some("max-age=5")), MIN_CACHE_LIFETIME);
        assert_eq!(cache_lifetime(Some("max-age=99999999")), MAX_CACHE_LIFETIME);
        assert_eq!(cache_lifetime(Some("no-store")), MIN_CACHE_LIFETIME);
    }
}
