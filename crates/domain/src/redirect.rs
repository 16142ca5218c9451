//! Redirect URIs (RFC 6749 §3.1.2) and the exact-match rule of RFC 9700 §4.1.3.

use url::Url;

/// Why a redirect URI was refused at registration or at authorization time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Not an absolute URI.
    #[error("redirect URI is not an absolute URI")]
    NotAbsolute,
    /// RFC 6749 §3.1.2: the endpoint URI MUST NOT include a fragment component.
    #[error("redirect URI must not contain a fragment")]
    HasFragment,
    /// Whitespace or control characters, which URL parsers silently drop.
    #[error("redirect URI contains whitespace or control characters")]
    InvalidCharacters,
    /// Schemes that execute in the browser instead of navigating.
    #[error("redirect URI scheme is not allowed")]
    ForbiddenScheme,
    /// No redirect URI was sent and the client has several registered.
    #[error("redirect_uri is required when several are registered")]
    Missing,
    /// The sent redirect URI is not one of the client's registered URIs.
    #[error("redirect_uri does not match a registered redirect URI")]
    NotRegistered,
}

/// Checks a redirect URI an administrator wants to register, returning it unchanged.
///
/// Registered URIs are compared as exact strings later, so registration refuses anything a client
/// could not send back byte for byte (fragments) or that would run script (`javascript:`).
pub fn validate_registration(uri: &str) -> Result<String, RedirectUriError> {
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RedirectUriError::InvalidCharacters);
    }
    let parsed = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute)?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err(RedirectUriError::HasFragment);
    }
    if matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file") {
        return Err(RedirectUriError::ForbiddenScheme);
    }
    if parsed.cannot_be_a_base() && !parsed.scheme().contains('.') {
        // `mailto:x` and friends; private-use schemes of native apps look like `com.example.app:/cb`.
        return Err(RedirectUriError::NotAbsolute);
    }
    Ok(uri.to_owned())
}

/// Picks the redirect URI for an authorization request: the requested one if it equals a
/// registered URI exactly (simple string comparison, RFC 9700 §4.1.3), or the single registered
/// URI when none was requested (RFC 6749 §3.1.2.3). The one exception is RFC 8252 §7.3's: a
/// native app listening on a loopback IP address gets whatever port the system gave it, so for
/// `http://127.0.0.1` and `http://[::1]` the port may differ and all else must be equal.
pub fn resolve<'a>(requested: Option<&'a str>, registered: &'a [String]) -> Result<&'a str, RedirectUriError> {
    match requested {
        Some(requested) => registered
            .iter()
            .find(|candidate| candidate.as_str() == requested)
            .map(String::as_str)
            .or_else(|| {
                registered.iter().any(|candidate| same_loopback_but_port(candidate, requested)).then_some(requested)
            })
            .ok_or(RedirectUriError::NotRegistered),
        None => match registered {
            [only] => Ok(only.as_str()),
            _ => Err(RedirectUriError::Missing),
        },
    }
}

/// Whether two URIs are the same `http` loopback IP address URI but for the port. The requested
/// one must be in its normal form, so nothing the parser would rewrite (dot segments, case) slips
/// through.
fn same_loopback_but_port(registered: &str, requested: &str) -> bool {
    let without_port = |uri: &str| -> Option<Url> {
        let mut url = Url::parse(uri).ok()?;
        let loopback_ip = match url.host()? {
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
            url::Host::Domain(_) => false,
        };
        (url.scheme() == "http" && loopback_ip).then_some(())?;
        url.set_port(None).ok()?;
        Some(url)
    };
    let normal = Url::parse(requested).is_ok_and(|url| url.as_str() == requested);
    match (normal, without_port(registered), without_port(requested)) {
        (true, Some(registered), Some(requested)) => registered == requested,
        _ => false,
    }
}

/// Appends query parameters to a redirect URI, keeping the query it already has (RFC 6749 §3.1.2).
pub fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.into()
        }
        // Registered URIs were validated as absolute; this arm only guards against bad rows.
        Err(_) => redirect_uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn registered(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn an_exact_match_is_accepted() {
        let uris = registered(&["https://app.example/cb", "https://app.example/other"]);
        assert_eq!(resolve(Some("https://app.example/other"), &uris), Ok("https://app.example/other"));
    }

    #[test]
    fn near_misses_are_refused() {
        let uris = registered(&["https://app.example/cb"]);
        for attempt in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://APP.example/cb",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "https://app.example.evil.test/cb",
            "https://app.example/cb/../cb",
            "https://app.example:443/cb",
        ] {
            assert_eq!(resolve(Some(attempt), &uris), Err(RedirectUriError::NotRegistered), "{attempt}");
        }
    }

    #[test]
    fn a_loopback_ip_redirect_may_use_any_port_and_nothing_else_may_differ() {
        let uris = registered(&["http://127.0.0.1/callback", "http://[::1]:8080/cb", "http://localhost/cb"]);
        assert_eq!(resolve(Some("http://127.0.0.1:53111/callback"), &uris), Ok("http://127.0.0.1:53111/callback"));
        assert_eq!(resolve(Some("http://[::1]:9/cb"), &uris), Ok("http://[::1]:9/cb"));
        for attempt in [
            "http://127.0.0.1:53111/callback/",
            "http://127.0.0.1:53111/other",
            "http://127.0.0.1:53111/callback?x=1",
            "https://127.0.0.1:53111/callback",
            "http://127.0.0.2:53111/callback",
            "http://localhost:3000/cb",
            "http://127.0.0.1:53111/x/../callback",
            "http://user@127.0.0.1:53111/callback",
        ] {
            assert_eq!(resolve(Some(attempt), &uris), Err(RedirectUriError::NotRegistered), "{attempt}");
        }
    }

    #[test]
    fn omitted_redirect_uri_needs_exactly_one_registration() {
        assert_eq!(resolve(None, &registered(&["https://a.example/cb"])), Ok("https://a.example/cb"));
        assert_eq!(
            resolve(None, &registered(&["https://a.example/1", "https://a.example/2"])),
            Err(RedirectUriError::Missing)
        );
    }

    #[test]
    fn registration_refuses_fragments_relative_and_script_uris() {
        assert_eq!(validate_registration("https://a.example/cb#x"), Err(RedirectUriError::HasFragment));
        assert_eq!(validate_registration("/cb"), Err(RedirectUriError::NotAbsolute));
        assert_eq!(validate_registration("javascript:alert(1)"), Err(RedirectUriError::ForbiddenScheme));
        assert_eq!(validate_registration("https://a.example/c\nb"), Err(RedirectUriError::InvalidCharacters));
        assert!(validate_registration("http://127.0.0.1:8080/callback").is_ok());
        assert!(validate_registration("com.example.app:/oauth2redirect").is_ok());
    }

    #[test]
    fn query_parameters_are_appended_and_encoded() {
        assert_eq!(
            with_query("https://a.example/cb?keep=1", &[("code", "abc"), ("state", "x y&z")]),
            "https://a.example/cb?keep=1&code=abc&state=x+y%26z"
        );
    }

    proptest! {
        #[test]
        fn only_registered_strings_ever_resolve(requested in ".{0,40}") {
            let uris = registered(&["https://a.example/cb"]);
            if let Ok(resolved) = resolve(Some(&requested), &uris) {
                prop_assert_eq!(resolved, requested.as_str());
            }
        }

        #[test]
        fn a_loopback_registration_resolves_only_to_its_own_address_and_path(port in 0u16.., path in "[a-z./%]{0,12}") {
            let uris = registered(&["http://127.0.0.1/cb"]);
            let requested = format!("http://127.0.0.1:{port}/{path}");
            if let Ok(resolved) = resolve(Some(&requested), &uris) {
                let url = Url::parse(resolved).unwrap();
                prop_assert_eq!((url.host_str(), url.path(), url.query()), (Some("127.0.0.1"), "/cb", None));
            }
        }
    }
}
