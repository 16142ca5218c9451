//! Self-service account rules: what a new password must be, and the single-use links that mail
//! carries (e-mail verification, password reset, e-mail change).

use chrono::TimeDelta;

/// The shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for 10).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest: Argon2 takes any length, but a megabyte password is a denial of service.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords of ten or more characters found at the top of public breach corpora (the shorter
/// ones are refused for their length already). NIST SP 800-63B §5.1.1.2 asks for such a check.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "0987654321",
    "1111111111",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "asdfghjkl;",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "aaaaaaaaaa",
    "football123",
    "baseball123",
    "princess123",
    "sunshine123",
    "welcome123",
    "letmein123",
    "administrator",
    "changeme123",
    "1234qwerty",
    "q1w2e3r4t5",
    "zaq12wsxcv",
    "superman123",
    "starwars123",
    "trustno1234",
    "ticketbooth",
    "ticketbooth1",
    "eventpop123",
];

/// Why a new password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    SameAsEmail,
    Common,
}

/// Checks a new password against the rules the sign-up and reset pages state.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let lowered = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default();
    if lowered == email || (!local_part.is_empty() && lowered == local_part) {
        return Err(PasswordProblem::SameAsEmail);
    }
    if COMMON_PASSWORDS.contains(&lowered.as_str()) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// What a mailed single-use link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Proves the account's address (the welcome e-mail).
    VerifyEmail,
    /// Sets a new password.
    ResetPassword,
    /// Moves the account to a new address, proved by this link sent there.
    ChangeEmail,
}

impl LinkPurpose {
    /// The name stored with the link.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::VerifyEmail => "verify_email",
            LinkPurpose::ResetPassword => "reset_password",
            LinkPurpose::ChangeEmail => "change_email",
        }
    }

    /// How long a link stays valid: a day to verify an address, an hour to reset a password
    /// (OWASP Forgot Password Cheat Sheet: short-lived, single-use).
    pub fn lifetime(self) -> TimeDelta {
        match self {
            LinkPurpose::VerifyEmail | LinkPurpose::ChangeEmail => TimeDelta::hours(24),
            LinkPurpose::ResetPassword => TimeDelta::hours(1),
        }
    }
}

/// A name as people type it: trimmed, at most 100 characters, no control characters.
pub fn clean_name(name: &str) -> Option<String> {
    let name = name.trim();
    (name.chars().count() <= 100 && !name.chars().any(char::is_control)).then(|| name.to_owned())
}

/// Whether an address looks deliverable enough to send a link to: one `@`, something on both
/// sides, a dot in the domain, no spaces or control characters, at most 254 characters (RFC 5321).
/// Whether it really is the person's is what the link then proves.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_follow_the_stated_rules() {
        assert_eq!(check_new_password("short", "a@example.com"), Err(PasswordProblem::TooShort));
        assert_eq!(check_new_password(&"x".repeat(257), "a@example.com"), Err(PasswordProblem::TooLong));
        assert_eq!(check_new_password("Ann@Example.com", "ann@example.com"), Err(PasswordProblem::SameAsEmail));
        assert_eq!(check_new_password("annabelle1", "annabelle1@example.com"), Err(PasswordProblem::SameAsEmail));
        assert_eq!(check_new_password("Password123", "a@example.com"), Err(PasswordProblem::Common));
        assert_eq!(check_new_password("correct horse battery", "a@example.com"), Ok(()));
        // Ten Thai characters are ten characters, not thirty bytes.
        assert_eq!(check_new_password("รหัสผ่านยาวๆ", "a@example.com"), Ok(()));
    }

    #[test]
    fn only_plausible_addresses_get_mail() {
        assert!(plausible_email("ann@example.co.th"));
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "a@b@example.com", "a@.com"] {
            assert!(!plausible_email(bad), "{bad}");
        }
        assert!(!plausible_email("ann@example.com\r\nBcc: x@example.com"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Ann "), Some("Ann".to_owned()));
        assert_eq!(clean_name(&"a".repeat(101)), None);
        assert_eq!(clean_name("Ann\u{0}"), None);
    }
}
