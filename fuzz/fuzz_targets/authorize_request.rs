//! The authorization request parser and validator: any query string, against a public and a
//! confidential client. Never panics; never redirects anywhere but the registered URI.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketbooth_domain::authorize::{validate, AuthorizationParams, AuthorizeError};
use ticketbooth_domain::model::Application;
use ticketbooth_domain::scope::ScopeSet;
use ticketbooth_domain::secret::SecretHash;

const REGISTERED: &str = "https://client.example/cb";

fn app(confidential: bool) -> Application {
    Application {
        id: 1,
        client_id: "client".into(),
        name: "App".into(),
        secret_hash: confidential.then(|| SecretHash::of("secret")),
        redirect_uris: vec![REGISTERED.into(), "com.example.app:/cb".into()],
        scopes: ScopeSet::parse("public organizer openid").unwrap(),
        organizer_id: None,
        created_at: chrono::DateTime::UNIX_EPOCH,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let params = AuthorizationParams::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    for confidential in [true, false] {
        let registered = app(confidential);
        match validate(&params, &registered) {
            Ok(valid) => assert!(registered.redirect_uris.contains(&valid.redirect_uri)),
            Err(AuthorizeError::Redirect(err)) => {
                assert!(registered.redirect_uris.contains(&err.redirect_uri));
                let location = err.location();
                assert!(location.starts_with(&err.redirect_uri[..err.redirect_uri.len().min(8)]));
            }
            Err(AuthorizeError::UnsafeToRedirect(_)) => {}
        }
    }
    // The consent form carries the parameters back: the round trip must be lossless.
    let again = AuthorizationParams::from_pairs(params.to_pairs());
    if params.repeated.is_none() {
        assert_eq!(again, params);
    }
});
