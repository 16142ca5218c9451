//! The device authorization grant (RFC 8628): user codes people can type, and what a device's
//! poll of the token endpoint is answered.

use crate::oauth_error::OAuthErrorCode;
use crate::scope::ScopeSet;
use crate::secret::SecretHash;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::OsRng;
use rand::Rng;

/// RFC 8628 §6.1's base-20 alphabet: consonants only, so no vowel spells a word and nothing is
/// mistaken for a digit (no I, O, U). Eight characters give 20⁸ ≈ 2.6 × 10¹⁰ codes.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters in a user code (shown as `XXXX-XXXX`).
pub const USER_CODE_LENGTH: usize = 8;
/// How long a device has to be approved (RFC 8628 §3.2 `expires_in`).
pub const DEVICE_CODE_TTL: Duration = Duration::minutes(10);
/// The polling interval a device starts with (RFC 8628 §3.2 `interval`, default 5).
pub const POLL_INTERVAL_SECONDS: u32 = 5;
/// By how much `slow_down` grows the interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP_SECONDS: u32 = 5;
/// A poll this much early still counts as on time: the interval is measured between arrivals,
/// which network jitter moves.
pub const POLL_SLACK_MS: i64 = 500;

/// A fresh user code: eight characters of [`USER_CODE_ALPHABET`], without the dash.
pub fn generate_user_code() -> String {
    (0..USER_CODE_LENGTH).map(|_| USER_CODE_ALPHABET[OsRng.gen_range(0..USER_CODE_ALPHABET.len())] as char).collect()
}

/// A user code as people see it: `BCDF-GHJK`.
pub fn display_user_code(code: &str) -> String {
    match code.len() {
        USER_CODE_LENGTH => format!("{}-{}", &code[..4], &code[4..]),
        _ => code.to_owned(),
    }
}

/// The stored form of what someone typed: case, dashes and spaces ignored (RFC 8628 §6.1); `None`
/// when it cannot be a user code, so no lookup is spent on it.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// A device's authorization request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub id: i64,
    pub application_id: i64,
    pub user_code: String,
    pub scopes: ScopeSet,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub interval_seconds: u32,
    /// Whether the poll that returned this record came before the interval was up.
    pub polled_too_fast: bool,
    /// Who decided, and when they had signed in.
    pub user_id: Option<i64>,
    pub auth_time: Option<DateTime<Utc>>,
    /// `None` until the user decides.
    pub approved: Option<bool>,
    pub redeemed_at: Option<DateTime<Utc>>,
    /// The resource (RFC 8707) the device asked for.
    pub resource: Option<String>,
}

/// A device authorization to store.
#[derive(Debug, Clone)]
pub struct NewDeviceAuthorization {
    pub device_code_hash: SecretHash,
    pub user_code: String,
    pub application_id: i64,
    pub scopes: ScopeSet,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub interval_seconds: u32,
    pub resource: Option<String>,
}

/// What a device's poll of the token endpoint gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollAnswer {
    /// Tokens for this user.
    Approved { user_id: i64 },
    /// An RFC 8628 §3.5 error.
    Refused(OAuthErrorCode),
}

/// Judges a poll: the record as the poll left it (its `polled_too_fast` set by this poll).
/// The decision is told as soon as it is made, even to a device that polls too fast; only a
/// pending authorization answers `slow_down`.
pub fn answer_poll(record: &DeviceAuthorization, client_application_id: i64, now: DateTime<Utc>) -> PollAnswer {
    use OAuthErrorCode::*;
    if record.application_id != client_application_id || record.redeemed_at.is_some() {
        return PollAnswer::Refused(InvalidGrant);
    }
    if now >= record.expires_at {
        return PollAnswer::Refused(ExpiredToken);
    }
    match (record.approved, record.user_id) {
        (Some(true), Some(user_id)) => PollAnswer::Approved { user_id },
        (Some(_), _) => PollAnswer::Refused(AccessDenied),
        (None, _) if record.polled_too_fast => PollAnswer::Refused(SlowDown),
        (None, _) => PollAnswer::Refused(AuthorizationPending),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    #[test]
    fn user_codes_use_the_alphabet_and_normalize_back() {
        for _ in 0..100 {
            let code = generate_user_code();
            assert_eq!(code.len(), USER_CODE_LENGTH);
            let shown = display_user_code(&code);
            assert_eq!(shown.len(), 9);
            assert_eq!(normalize_user_code(&shown).as_deref(), Some(code.as_str()));
            assert_eq!(normalize_user_code(&shown.to_lowercase()).as_deref(), Some(code.as_str()));
        }
        assert_eq!(normalize_user_code(" bcdf ghjk ").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalize_user_code("BCDF-GHJ"), None, "too short");
        assert_eq!(normalize_user_code("BCDF-GHJA"), None, "a vowel");
        assert_eq!(normalize_user_code("BCDF-GHJ1"), None, "a digit");
        assert_eq!(normalize_user_code("BCDF-GHJKL"), None, "too long");
    }

    fn record() -> DeviceAuthorization {
        let now = Utc::now();
        DeviceAuthorization {
            id: 1,
            application_id: 7,
            user_code: "BCDFGHJK".into(),
            scopes: ScopeSet::only(Scope::Public),
            created_at: now,
            expires_at: now + DEVICE_CODE_TTL,
            interval_seconds: POLL_INTERVAL_SECONDS,
            polled_too_fast: false,
            user_id: None,
            auth_time: None,
            approved: None,
            redeemed_at: None,
            resource: None,
        }
    }

    #[test]
    fn polls_are_answered_by_the_records_state() {
        use OAuthErrorCode::*;
        let now = Utc::now();
        let refused = |record: &DeviceAuthorization| answer_poll(record, 7, now);
        assert_eq!(refused(&record()), PollAnswer::Refused(AuthorizationPending));
        assert_eq!(refused(&DeviceAuthorization { polled_too_fast: true, ..record() }), PollAnswer::Refused(SlowDown));
        let approved =
            DeviceAuthorization { approved: Some(true), user_id: Some(3), polled_too_fast: true, ..record() };
        assert_eq!(refused(&approved), PollAnswer::Approved { user_id: 3 });
        assert_eq!(answer_poll(&approved, 8, now), PollAnswer::Refused(InvalidGrant), "another client's code");
        let denied = DeviceAuthorization { approved: Some(false), user_id: Some(3), ..record() };
        assert_eq!(refused(&denied), PollAnswer::Refused(AccessDenied));
        let expired = DeviceAuthorization { expires_at: now, ..approved.clone() };
        assert_eq!(refused(&expired), PollAnswer::Refused(ExpiredToken));
        let redeemed = DeviceAuthorization { redeemed_at: Some(now), ..approved };
        assert_eq!(refused(&redeemed), PollAnswer::Refused(InvalidGrant));
    }
}
