//! Redirect-URI registration and exact matching: only a registered string ever resolves, and
//! appending parameters never changes the scheme or host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketbooth_domain::redirect::{resolve, validate_registration, with_query};

fuzz_target!(|data: (&str, &str, &str)| {
    let (candidate, requested, value) = data;
    let registered = vec!["https://client.example/cb".to_owned(), candidate.to_owned()];
    if let Ok(resolved) = resolve(Some(requested), &registered) {
        assert_eq!(resolved, requested);
    }
    if let Ok(uri) = validate_registration(candidate) {
        assert_eq!(uri, candidate);
        assert!(!candidate.contains('#'));
        let before = url::Url::parse(candidate).unwrap();
        let after = url::Url::parse(&with_query(candidate, &[("code", value), ("state", value)])).unwrap();
        assert_eq!((before.scheme(), before.host_str()), (after.scheme(), after.host_str()));
        let sent: Vec<(String, String)> = after.query_pairs().into_owned().collect();
        assert!(sent.iter().any(|(name, v)| name == "code" && v == value));
    }
});
