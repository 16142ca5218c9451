//! Scope parsing (RFC 6749 §3.3): never panics, and what parses round-trips through its
//! canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketbooth_domain::scope::ScopeSet;

fuzz_target!(|data: &str| {
    if let Ok(set) = ScopeSet::parse(data) {
        assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set);
        for token in data.split(' ').filter(|t| !t.is_empty()) {
            assert!(set.to_string().split(' ').any(|known| known == token));
        }
    }
    let _ = ScopeSet::parse_requested(Some(data));
});
