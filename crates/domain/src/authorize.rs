//! The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) and its validation rules.
//!
//! Validation runs in the RFC's order: first the client and its redirect URI, whose failures must
//! never redirect (§4.1.2.1: an attacker could otherwise bounce users to any address); then every
//! other parameter, whose failures are redirected back to the client with `error` and `state`.

use crate::model::Application;
use crate::oauth_error::OAuthErrorCode;
use crate::pkce;
use crate::redirect::{self, RedirectUriError};
use crate::resource::{self, ResourceError};
use crate::scope::{ScopeError, ScopeSet};
use chrono::{DateTime, Utc};

/// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3), as sent (query
/// string or consent form). The OpenAPI document describes the query with this same type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuthorizationParams {
    /// Must be `code`.
    #[cfg_attr(feature = "openapi", param(value_type = String))]
    pub response_type: Option<String>,
    #[cfg_attr(feature = "openapi", param(value_type = String))]
    pub client_id: Option<String>,
    /// Must equal a registered redirect URI; may be left out when exactly one is registered.
    pub redirect_uri: Option<String>,
    /// Space-separated; default `public`.
    pub scope: Option<String>,
    /// Echoed back on the redirect.
    pub state: Option<String>,
    /// BASE64URL(SHA256(code_verifier)); required for public clients.
    pub code_challenge: Option<String>,
    /// Must be `S256` when `code_challenge` is sent.
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    /// `none`, `login`, `consent`, `select_account` (space-separated; `none` alone).
    pub prompt: Option<String>,
    /// Seconds: an older sign-in must be repeated.
    #[cfg_attr(feature = "openapi", param(value_type = Option<u32>))]
    pub max_age: Option<String>,
    /// From `POST /oauth/par` (RFC 9126): the pushed request stands for every other parameter
    /// but `client_id`.
    pub request_uri: Option<String>,
    /// RFC 8707: the resource server the token is for (one per request).
    pub resource: Option<String>,
    /// The first parameter that was sent more than once (RFC 6749 §3.1 forbids repeats).
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub repeated: Option<String>,
}

impl AuthorizationParams {
    /// Collects the known parameters from decoded name/value pairs, ignoring unknown names
    /// (RFC 6749 §3.1) and remembering the first repeated one. Empty values count as absent.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut params = AuthorizationParams::default();
        for (name, value) in pairs {
            let slot = match name {
                "response_type" => &mut params.response_type,
                "client_id" => &mut params.client_id,
                "redirect_uri" => &mut params.redirect_uri,
                "scope" => &mut params.scope,
                "state" => &mut params.state,
                "code_challenge" => &mut params.code_challenge,
                "code_challenge_method" => &mut params.code_challenge_method,
                "nonce" => &mut params.nonce,
                "prompt" => &mut params.prompt,
                "max_age" => &mut params.max_age,
                "request_uri" => &mut params.request_uri,
                "resource" => &mut params.resource,
                _ => continue,
            };
            if slot.is_some() {
                params.repeated.get_or_insert_with(|| name.to_owned());
            } else if !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        }
        params
    }

    /// The parameters as name/value pairs, to carry them through the sign-in and consent forms.
    pub fn to_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("nonce", &self.nonce),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
            ("request_uri", &self.request_uri),
            ("resource", &self.resource),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
        .collect()
    }

    /// The request to come back to after the user signed in afresh for it: `prompt=login` (and
    /// `select_account`) and `max_age` are then satisfied, so they are left out, or the request
    /// would send the user to sign in again and again.
    pub fn after_sign_in(&self) -> AuthorizationParams {
        let prompt = self.prompt.as_deref().map(|prompt| {
            prompt
                .split(' ')
                .filter(|value| !matches!(*value, "" | "login" | "select_account" | "create"))
                .collect::<Vec<_>>()
                .join(" ")
        });
        AuthorizationParams { prompt: prompt.filter(|p| !p.is_empty()), max_age: None, ..self.clone() }
    }
}

/// What the client asked of the user interface (OpenID Connect Core §3.1.2.1 `prompt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prompt {
    /// Ask for consent unless it was given before.
    #[default]
    Default,
    /// Show no page: fail with `login_required` or `consent_required` instead.
    None,
    /// Ask for consent even if it was given before.
    Consent,
}

/// An authorization request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAuthorization {
    pub redirect_uri: String,
    pub redirect_uri_was_sent: bool,
    pub scopes: ScopeSet,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    /// `prompt=login` or `select_account`: the user must sign in again, even with a session.
    pub login: bool,
    /// `prompt=create` (OpenID Connect Prompt Create 1.0): show the sign-up page first.
    pub create: bool,
    /// `max_age`: a sign-in older than this many seconds must be repeated.
    pub max_age: Option<i64>,
    /// For a pushed request (RFC 9126), when the browser first opened it: its `prompt=login` or
    /// `create` is met by a sign-in since then, as the pushed parameters cannot be rewritten on
    /// the way back from sign-in (see [`AuthorizationParams::after_sign_in`]).
    pub flow_started_at: Option<DateTime<Utc>>,
    /// RFC 8707: the resource asked for, in the form §2 requires (whether this server knows it is
    /// checked against the store).
    pub resource: Option<String>,
}

impl ValidAuthorization {
    /// Whether the user must sign in (again) before the request goes on (OpenID Connect Core
    /// §3.1.2.1): always without a signed-in session, with `prompt=login`, and when the session's
    /// sign-in is older than `max_age`.
    pub fn needs_sign_in(&self, authenticated_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let Some(authenticated_at) = authenticated_at else { return true };
        let login = self.login && !self.signed_in_since_start(Some(authenticated_at));
        login || self.max_age.is_some_and(|max_age| (now - authenticated_at).num_seconds() > max_age)
    }

    /// Whether the sign-up page comes first (`prompt=create`, not yet answered).
    pub fn wants_sign_up(&self, authenticated_at: Option<DateTime<Utc>>) -> bool {
        self.create && !self.signed_in_since_start(authenticated_at)
    }

    fn signed_in_since_start(&self, authenticated_at: Option<DateTime<Utc>>) -> bool {
        // Times are whole seconds: a sign-in in the very second the request was opened cannot be
        // told from one just before it, and no person signs in that fast.
        matches!((self.flow_started_at, authenticated_at), (Some(started), Some(at)) if at > started)
    }

    /// An error to redirect to the client for this request.
    pub fn error(&self, code: OAuthErrorCode, description: &str) -> RedirectedError {
        RedirectedError {
            redirect_uri: self.redirect_uri.clone(),
            code,
            description: description.to_owned(),
            state: self.state.clone(),
        }
    }
}

/// Failures that must be shown to the user on our own page, never redirected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeToRedirect {
    #[error("The request does not name an application (client_id is missing).")]
    MissingClientId,
    #[error("No application is registered with this client_id.")]
    UnknownClient,
    #[error("The request repeats the {0} parameter.")]
    Repeated(String),
    #[error("{0}.")]
    RedirectUri(RedirectUriError),
}

/// A failure to report to the client on its redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectedError {
    pub redirect_uri: String,
    pub code: OAuthErrorCode,
    pub description: String,
    pub state: Option<String>,
}

impl RedirectedError {
    /// The `Location` to send the browser to.
    pub fn location(&self) -> String {
        let mut params = vec![("error", self.code.as_str()), ("error_description", self.description.as_str())];
        if let Some(state) = &self.state {
            params.push(("state", state));
        }
        redirect::with_query(&self.redirect_uri, &params)
    }
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Show an error page.
    UnsafeToRedirect(UnsafeToRedirect),
    /// Redirect the error to the client.
    Redirect(RedirectedError),
}

/// Checks that the request names a client before the client is looked up.
pub fn require_client_id(params: &AuthorizationParams) -> Result<&str, UnsafeToRedirect> {
    match &params.repeated {
        Some(name) if name == "client_id" || name == "redirect_uri" => {
            return Err(UnsafeToRedirect::Repeated(name.clone()))
        }
        _ => {}
    }
    params.client_id.as_deref().ok_or(UnsafeToRedirect::MissingClientId)
}

/// Validates an authorization request against the registered application it names.
pub fn validate(params: &AuthorizationParams, app: &Application) -> Result<ValidAuthorization, AuthorizeError> {
    require_client_id(params).map_err(AuthorizeError::UnsafeToRedirect)?;
    let redirect_uri = redirect::resolve(params.redirect_uri.as_deref(), &app.redirect_uris)
        .map_err(|err| AuthorizeError::UnsafeToRedirect(UnsafeToRedirect::RedirectUri(err)))?
        .to_owned();

    // From here on the redirect URI is trusted: errors go back to the client.
    let fail = |code: OAuthErrorCode, description: &str| {
        AuthorizeError::Redirect(RedirectedError {
            redirect_uri: redirect_uri.clone(),
            code,
            description: description.to_owned(),
            state: params.state.clone(),
        })
    };

    match params.repeated.as_deref() {
        Some("resource") => return Err(fail(OAuthErrorCode::InvalidTarget, &ResourceError::Several.to_string())),
        Some(name) => return Err(fail(OAuthErrorCode::InvalidRequest, &format!("The {name} parameter is repeated."))),
        None => {}
    }
    if let Some(resource) = &params.resource {
        resource::check_form(resource).map_err(|err| fail(OAuthErrorCode::InvalidTarget, &err.to_string()))?;
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(fail(OAuthErrorCode::InvalidRequest, "response_type is required.")),
        Some(_) => return Err(fail(OAuthErrorCode::UnsupportedResponseType, "Only response_type=code is supported.")),
    }
    let scopes = ScopeSet::parse_requested(params.scope.as_deref()).map_err(|err| match err {
        ScopeError::Unknown(name) => fail(OAuthErrorCode::InvalidScope, &format!("The scope `{name}` is unknown.")),
        ScopeError::Malformed => fail(OAuthErrorCode::InvalidScope, "The scope is malformed."),
    })?;
    if !scopes.is_subset_of(app.scopes) {
        return Err(fail(OAuthErrorCode::InvalidScope, "The application is not registered for the requested scope."));
    }
    match (&params.code_challenge, &params.code_challenge_method) {
        (Some(challenge), method) => pkce::validate_challenge(challenge, method.as_deref())
            .map_err(|err| fail(OAuthErrorCode::InvalidRequest, &format!("{err}.")))?,
        (None, Some(_)) => {
            return Err(fail(OAuthErrorCode::InvalidRequest, "code_challenge_method was sent without code_challenge."))
        }
        (None, None) if !app.is_confidential() => {
            return Err(fail(
                OAuthErrorCode::InvalidRequest,
                "Public clients must use PKCE (code_challenge with S256).",
            ))
        }
        (None, None) => {}
    }
    let prompt_values: Vec<&str> =
        params.prompt.as_deref().unwrap_or("").split(' ').filter(|v| !v.is_empty()).collect();
    let login = prompt_values.iter().any(|value| matches!(*value, "login" | "select_account"));
    let create = prompt_values.contains(&"create");
    let max_age = match params.max_age.as_deref().map(str::parse::<u32>) {
        None => None,
        Some(Ok(seconds)) => Some(i64::from(seconds)),
        Some(Err(_)) => return Err(fail(OAuthErrorCode::InvalidRequest, "max_age must be a whole number of seconds.")),
    };
    let prompt = match prompt_values.as_slice() {
        [] => Prompt::Default,
        ["none"] => Prompt::None,
        values if values.contains(&"none") => {
            return Err(fail(OAuthErrorCode::InvalidRequest, "prompt=none cannot be combined with other values."))
        }
        values if values.iter().all(|v| matches!(*v, "login" | "consent" | "select_account" | "create")) => {
            if values.contains(&"consent") {
                Prompt::Consent
            } else {
                Prompt::Default
            }
        }
        _ => {
            return Err(fail(
                OAuthErrorCode::InvalidRequest,
                "prompt must be none, login, consent, select_account or create.",
            ))
        }
    };

    Ok(ValidAuthorization {
        redirect_uri,
        redirect_uri_was_sent: params.redirect_uri.is_some(),
        scopes,
        state: params.state.clone(),
        code_challenge: params.code_challenge.clone(),
        nonce: params.nonce.clone(),
        prompt,
        login,
        create,
        max_age,
        flow_started_at: None,
        resource: params.resource.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;
    use crate::secret::SecretHash;
    use chrono::Utc;
    use proptest::prelude::*;

    fn app(confidential: bool) -> Application {
        Application {
            id: 1,
            client_id: "client".into(),
            name: "App".into(),
            secret_hash: confidential.then(|| SecretHash::of("secret")),
            redirect_uris: vec!["https://app.example/cb".into()],
            scopes: ScopeSet::only(Scope::Public).with(Scope::Organizer),
            organizer_id: None,
            id_token_alg: Default::default(),
            created_at: Utc::now(),
            description: String::new(),
            website: String::new(),
            owner_id: None,
            suspended_at: None,
            secret_shown: true,
            previous_secret: None,
            options: Default::default(),
            jwks: None,
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            origin: Default::default(),
            review: Default::default(),
            registration_token_hash: None,
            metadata_expires_at: None,
        }
    }

    fn params(query: &[(&str, &str)]) -> AuthorizationParams {
        AuthorizationParams::from_pairs(query.iter().copied())
    }

    fn redirected(result: Result<ValidAuthorization, AuthorizeError>) -> RedirectedError {
        match result {
            Err(AuthorizeError::Redirect(err)) => err,
            other => panic!("expected a redirected error, got {other:?}"),
        }
    }

    #[test]
    fn minimal_request_defaults_to_public_and_the_single_redirect_uri() {
        let valid = validate(&params(&[("client_id", "client"), ("response_type", "code")]), &app(true)).unwrap();
        assert_eq!(valid.redirect_uri, "https://app.example/cb");
        assert!(!valid.redirect_uri_was_sent);
        assert_eq!(valid.scopes.to_string(), "public");
    }

    #[test]
    fn a_foreign_redirect_uri_is_never_redirected_to() {
        let result = validate(
            &params(&[
                ("client_id", "client"),
                ("response_type", "token"),
                ("redirect_uri", "https://evil.example/cb"),
            ]),
            &app(true),
        );
        assert_eq!(
            result,
            Err(AuthorizeError::UnsafeToRedirect(UnsafeToRedirect::RedirectUri(RedirectUriError::NotRegistered)))
        );
    }

    #[test]
    fn wrong_response_type_is_redirected_with_state() {
        let err = redirected(validate(
            &params(&[("client_id", "client"), ("response_type", "token"), ("state", "s 1")]),
            &app(true),
        ));
        assert_eq!(err.code, OAuthErrorCode::UnsupportedResponseType);
        assert!(err
            .location()
            .starts_with("https://app.example/cb?error=unsupported_response_type&error_description="));
        assert!(err.location().ends_with("&state=s+1"));
    }

    #[test]
    fn scopes_beyond_the_registration_are_invalid_scope() {
        let err = redirected(validate(
            &params(&[("client_id", "client"), ("response_type", "code"), ("scope", "public openid")]),
            &app(true),
        ));
        assert_eq!(err.code, OAuthErrorCode::InvalidScope);
        let err = redirected(validate(
            &params(&[("client_id", "client"), ("response_type", "code"), ("scope", "everything")]),
            &app(true),
        ));
        assert_eq!(err.code, OAuthErrorCode::InvalidScope);
    }

    #[test]
    fn public_clients_must_send_an_s256_challenge() {
        let err = redirected(validate(&params(&[("client_id", "client"), ("response_type", "code")]), &app(false)));
        assert_eq!(err.code, OAuthErrorCode::InvalidRequest);
        let ok = validate(
            &params(&[
                ("client_id", "client"),
                ("response_type", "code"),
                ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
                ("code_challenge_method", "S256"),
            ]),
            &app(false),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let err = redirected(validate(
            &params(&[("client_id", "client"), ("response_type", "code"), ("state", "a"), ("state", "b")]),
            &app(true),
        ));
        assert_eq!(err.code, OAuthErrorCode::InvalidRequest);
        assert_eq!(
            require_client_id(&params(&[("client_id", "a"), ("client_id", "b")])),
            Err(UnsafeToRedirect::Repeated("client_id".into()))
        );
    }

    #[test]
    fn prompt_login_and_max_age_ask_for_a_fresh_sign_in_and_are_dropped_after_it() {
        let with = |pairs: &[(&str, &str)]| {
            let mut all = vec![("client_id", "client"), ("response_type", "code")];
            all.extend_from_slice(pairs);
            (params(&all), validate(&params(&all), &app(true)))
        };
        let now = Utc::now();
        let minute_ago = Some(now - chrono::Duration::seconds(60));
        let (_, plain) = with(&[]);
        assert!(!plain.unwrap().needs_sign_in(minute_ago, now));
        assert!(with(&[]).1.unwrap().needs_sign_in(None, now), "no session");
        let (login_request, login) = with(&[("prompt", "login consent")]);
        assert!(login.unwrap().needs_sign_in(minute_ago, now));
        assert!(with(&[("prompt", "select_account")]).1.unwrap().needs_sign_in(minute_ago, now));
        assert!(with(&[("max_age", "30")]).1.unwrap().needs_sign_in(minute_ago, now));
        assert!(!with(&[("max_age", "90")]).1.unwrap().needs_sign_in(minute_ago, now));
        assert!(with(&[("max_age", "0")]).1.unwrap().needs_sign_in(Some(now - chrono::Duration::seconds(1)), now));
        for bad in ["-1", "soon", "1.5"] {
            assert!(matches!(with(&[("max_age", bad)]).1, Err(AuthorizeError::Redirect(_))), "{bad}");
        }
        let after = login_request.after_sign_in();
        assert_eq!(after.prompt.as_deref(), Some("consent"));
        let (max_age_request, _) = with(&[("max_age", "0"), ("prompt", "login")]);
        let after = max_age_request.after_sign_in();
        assert_eq!((after.prompt.as_deref(), after.max_age.as_deref()), (None, None));
        assert!(!validate(&after, &app(true)).unwrap().needs_sign_in(Some(now), now), "no loop");
    }

    #[test]
    fn a_pushed_requests_login_and_create_prompts_are_met_by_a_sign_in_after_it_was_opened() {
        let pairs = [("client_id", "client"), ("response_type", "code"), ("prompt", "login create")];
        let now = Utc::now();
        let mut pushed = validate(&params(&pairs), &app(true)).unwrap();
        pushed.flow_started_at = Some(now - chrono::Duration::seconds(10));
        let before = Some(now - chrono::Duration::seconds(60));
        let after = Some(now - chrono::Duration::seconds(5));
        assert!(pushed.needs_sign_in(before, now) && pushed.wants_sign_up(before));
        assert!(!pushed.needs_sign_in(after, now) && !pushed.wants_sign_up(after));
        assert!(pushed.wants_sign_up(None));
        let same_second = pushed.flow_started_at;
        assert!(pushed.needs_sign_in(same_second, now), "whole seconds cannot tell, so it asks again");
    }

    #[test]
    fn prompt_values_are_understood() {
        let with = |prompt| {
            validate(&params(&[("client_id", "client"), ("response_type", "code"), ("prompt", prompt)]), &app(true))
        };
        assert_eq!(with("none").unwrap().prompt, Prompt::None);
        assert_eq!(with("login consent").unwrap().prompt, Prompt::Consent);
        assert_eq!(with("login").unwrap().prompt, Prompt::Default);
        assert!(with("create").unwrap().create);
        assert!(!with("login").unwrap().create);
        assert_eq!(redirected(with("none consent")).code, OAuthErrorCode::InvalidRequest);
        assert_eq!(redirected(with("sometimes")).code, OAuthErrorCode::InvalidRequest);
    }

    #[test]
    fn pairs_round_trip() {
        let original = params(&[("client_id", "c"), ("scope", "public"), ("state", "x"), ("other", "y")]);
        let again = AuthorizationParams::from_pairs(original.to_pairs());
        assert_eq!(original, again);
    }

    proptest! {
        #[test]
        fn validation_never_panics_and_only_redirects_to_registered_uris(
            pairs in proptest::collection::vec(
                (prop_oneof![
                    Just("client_id"), Just("redirect_uri"), Just("response_type"), Just("scope"),
                    Just("state"), Just("code_challenge"), Just("code_challenge_method"), Just("x"),
                ], ".{0,50}"),
                0..10,
            )
        ) {
            let parsed = AuthorizationParams::from_pairs(pairs.iter().map(|(n, v)| (*n, v.as_str())));
            match validate(&parsed, &app(false)) {
                Ok(valid) => prop_assert_eq!(valid.redirect_uri, "https://app.example/cb"),
                Err(AuthorizeError::Redirect(err)) => prop_assert_eq!(err.redirect_uri, "https://app.example/cb"),
                Err(AuthorizeError::UnsafeToRedirect(_)) => {}
            }
        }
    }
}
