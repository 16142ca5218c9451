//! Password hashing with Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1).
//!
//! These functions are CPU-bound for tens of milliseconds: callers on an async runtime must run
//! them on a blocking thread.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct PasswordError(String);

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError(err.to_string()))
}

thread_local! {
    /// Argon2's working memory (19 MiB at our parameters), kept per thread while hashes keep
    /// coming (see [`release_memory`]): allocating and freeing it on every sign-in left the
    /// allocator holding hundreds of megabytes under load.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Gives this thread's Argon2 working memory back. An allocation this large is a mapping of its
/// own, so freeing it returns it to the system at once; the next verification on this thread maps
/// it again, at the cost of its page faults (0.7 ms on the benchmark machine).
pub fn release_memory() {
    MEMORY.with_borrow_mut(|blocks| *blocks = Vec::new());
}

/// Bytes of Argon2 working memory this thread holds.
pub fn memory_held() -> usize {
    MEMORY.with_borrow(|blocks| blocks.capacity() * std::mem::size_of::<Block>())
}

/// Checks a password against a stored PHC string, with the parameters the string names, in this
/// thread's reusable memory. A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut computed = vec![0u8; expected.len()];
    let hashed = MEMORY.with_borrow_mut(|blocks| {
        blocks.resize(params.block_count(), Block::default());
        Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut blocks[..params.block_count()],
        )
    });
    hashed.is_ok() && bool::from(computed.ct_eq(expected.as_bytes()))
}

/// Checks a password when no account matched, so that an unknown email costs the same time as a
/// wrong password and sign-in does not reveal which emails have accounts.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("dummy password for timing").unwrap_or_default());
    let _ = verify(password, dummy);
}

/// The shortest password `users create` accepts (NIST SP 800-63B §5.1.1.2).
pub const MIN_PASSWORD_LENGTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("wrong", &stored));
    }

    #[test]
    fn hashes_with_other_parameters_verify_like_the_library_says() {
        use argon2::password_hash::PasswordVerifier;
        let weaker = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 3, 1, Some(16)).unwrap());
        let salt = SaltString::generate(&mut OsRng);
        let stored = weaker.hash_password(b"hunter2 hunter2", &salt).unwrap().to_string();
        assert!(verify("hunter2 hunter2", &stored));
        assert!(!verify("hunter2 hunter3", &stored));
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(Argon2::default().verify_password(b"hunter2 hunter2", &parsed).is_ok());
        // The memory is reused: a second verification at larger parameters still works.
        assert!(verify("correct horse battery staple", &hash("correct horse battery staple").unwrap()));
    }

    #[test]
    fn malformed_stored_hash_never_matches() {
        assert!(!verify("anything", "not a phc string"));
    }
}
