//! Brute-force protection for sign-in and client authentication, in fixed windows kept in the
//! store so every instance sees the same counts.
//!
//! Two counters judge an attempt: one for the (account or client, address) pair and one for the
//! address alone. There is deliberately no counter for the account alone: it would let anyone lock
//! a person out of their own account, or an application out of its token endpoint, from any
//! address (OWASP ASVS V2.2.1 without its denial-of-service edge).
//!
//! A counter is taken atomically (one statement that increments and returns the count) *before*
//! the judgement, so N parallel attempts cannot all slip under the limit.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv6Addr};
use ticketbooth_store::{DynStore, StoreResult};

/// Limits on attempts within one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimits {
    /// Attempts allowed per account (or client id) from one address per window; 0 = unlimited.
    pub per_subject_and_address: u32,
    /// Attempts allowed per address per window, whatever the account; 0 = unlimited.
    pub per_address: u32,
    /// The window's length in seconds.
    pub window_seconds: i64,
}

impl FailureLimits {
    /// Sign-in: 10 failed attempts per account from one address, 100 per address, in 15 minutes.
    pub const SIGN_IN: FailureLimits =
        FailureLimits { per_subject_and_address: 10, per_address: 100, window_seconds: 900 };
    /// Requests that send mail (sign-up, password reset, verification resend): 5 per address
    /// from one network, 50 per network, in 15 minutes. Enough for a person who mistyped; too few
    /// to flood someone's inbox or to probe many addresses.
    pub const MAIL_REQUESTS: FailureLimits =
        FailureLimits { per_subject_and_address: 5, per_address: 50, window_seconds: 900 };
    /// Client authentication: 20 failures per client id from one address, 200 per address, in
    /// 15 minutes. Only failures count: a client's 256-bit secret cannot be guessed, so the right
    /// secret is never refused.
    pub const CLIENT_AUTH: FailureLimits =
        FailureLimits { per_subject_and_address: 20, per_address: 200, window_seconds: 900 };
    /// Device user codes typed at `/device`: 10 wrong codes per person from one address, 50 per
    /// address, in 15 minutes. With 20⁸ codes and a few live at once, a guesser's odds stay
    /// negligible; keyed on the person, a stranger cannot lock anyone else out.
    pub const USER_CODE: FailureLimits =
        FailureLimits { per_subject_and_address: 10, per_address: 50, window_seconds: 900 };
    /// Clients that arrive by themselves (registrations, first uses of a metadata document): 20
    /// per address in an hour, every one counted. Under the approval policy each lands in the
    /// admins' queue, which a stranger must not be able to flood.
    pub const ARRIVALS: FailureLimits =
        FailureLimits { per_subject_and_address: 20, per_address: 20, window_seconds: 3600 };
}

/// The counters one attempt is judged by.
pub(crate) struct Attempt {
    keys: [String; 2],
    limits: FailureLimits,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
}

impl Attempt {
    /// An attempt of `kind` (`signin`, `client`) on `subject` from `address`. The pair is hashed,
    /// so the store keeps no email addresses or client ids typed by strangers.
    pub(crate) fn new(kind: &str, subject: &str, address: &str, limits: FailureLimits, now: DateTime<Utc>) -> Attempt {
        let window = TimeDelta::seconds(limits.window_seconds.max(1));
        let window_start = now.duration_trunc(window).unwrap_or(now);
        let address = network_of(address);
        let pair = hex_prefix(&format!("{subject}\n{address}"));
        Attempt {
            keys: [format!("{kind}:pair:{pair}"), format!("{kind}:address:{address}")],
            limits,
            window_start,
            window_end: window_start + window,
        }
    }

    fn disabled(&self) -> bool {
        self.limits.per_subject_and_address == 0 && self.limits.per_address == 0
    }

    /// Counts this attempt against both counters and judges it by the new counts:
    /// `Err(seconds to wait)` when either is past its limit.
    pub(crate) async fn take(&self, store: &DynStore, now: DateTime<Utc>) -> StoreResult<Result<(), u64>> {
        if self.disabled() {
            return Ok(Ok(()));
        }
        let [pair, address] = self.key_refs();
        let counts = store.take_rate_limits([pair, address], self.window_start).await?;
        let limits = [self.limits.per_subject_and_address, self.limits.per_address];
        match limits.iter().zip(counts).any(|(limit, count)| *limit > 0 && count > *limit) {
            true => Ok(Err((self.window_end - now).num_seconds().max(1).unsigned_abs())),
            false => Ok(Ok(())),
        }
    }

    /// Gives back an attempt taken with [`take`](Self::take) that turned out to succeed, so only
    /// failures use up the limits.
    pub(crate) async fn refund(&self, store: &DynStore) -> StoreResult<()> {
        if self.disabled() {
            return Ok(());
        }
        store.refund_rate_limits(self.key_refs(), self.window_start).await
    }

    fn key_refs(&self) -> [&str; 2] {
        [&self.keys[0], &self.keys[1]]
    }
}

/// The address a counter is kept for: an IPv4 address as it is, an IPv6 address by its /64
/// network (one subscriber's whole allocation, which they can cycle through at will).
fn network_of(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let network = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", Ipv6Addr::from(network))
        }
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or_else(|| address.to_owned(), |v4| v4.to_string()),
        _ => address.to_owned(),
    }
}

fn hex_prefix(subject: &str) -> String {
    Sha256::digest(subject.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_counted_by_their_64_bit_network() {
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network_of("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
        assert_eq!(network_of("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(network_of("198.51.100.7"), "198.51.100.7");
        assert_eq!(network_of("unknown"), "unknown");
    }

    #[test]
    fn the_pair_counter_depends_on_both_the_subject_and_the_address() {
        let now = Utc::now();
        let attempt = |subject, address| Attempt::new("signin", subject, address, FailureLimits::SIGN_IN, now).keys;
        let [pair, address] = attempt("ann@example.com", "198.51.100.7");
        assert_ne!(pair, attempt("ann@example.com", "198.51.100.8")[0]);
        assert_ne!(pair, attempt("bob@example.com", "198.51.100.7")[0]);
        assert_eq!(address, attempt("bob@example.com", "198.51.100.7")[1]);
        assert!(!pair.contains("ann"), "subjects are not stored in clear");
    }
}
