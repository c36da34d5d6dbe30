//! The secrets: password hashes (Argon2id, the `argon2` crate), API tokens
//! (32 random bytes, only their SHA-256 kept), CSRF tokens, and the one
//! constant-time comparison (`subtle`). Nothing here is hand-rolled
//! cryptography: randomness comes from the operating system (`OsRng`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What every API token starts with, so that a leaked one is recognizable
/// (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "bab_";

/// An Argon2id hash (default parameters, like every hash we write) of a
/// random password nobody knows. Signing in as an unknown account verifies
/// against it, so that the answer takes as long as for a known one.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$Z1l2cHJ4b3ZsUm1xR2pVag$Vz7tJ2a1wqWQbyg1n8q+7r5nLr9zjYvQ3O9cJvW4v0k";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the password has fewer than {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the system's random source failed: {0}")]
    Random(String),
}

/// The Argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(SecretError::TooShort);
    }
    let bytes = random_bytes()?;
    let salt =
        SaltString::encode_b64(&bytes[..16]).map_err(|e| SecretError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `password` matches `stored` (a PHC string). With no stored hash
/// (no such account) it still spends one verification, and answers false.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let argon2 = Argon2::default();
    let verify = |phc: &str| {
        PasswordHash::new(phc)
            .map(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    };
    match stored {
        Some(phc) if PasswordHash::new(phc).is_ok() => verify(phc),
        _ => {
            // An unreadable stored hash is logged by nobody here (the
            // caller knows the account); it signs no one in.
            let _ = verify(DUMMY_HASH);
            false
        }
    }
}

fn random_bytes() -> Result<[u8; 32], SecretError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(bytes)
}

/// A new API token: the secret, shown once, and the hash that is kept.
#[derive(Debug)]
pub struct NewToken {
    pub secret: String,
    pub hash: String,
}

/// 32 random bytes, `bab_` + base64url.
pub fn new_api_token() -> Result<NewToken, SecretError> {
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_bytes()?));
    let hash = token_hash(&secret);
    Ok(NewToken { secret, hash })
}

/// What the store keeps of a token: the hex SHA-256 of the whole secret.
/// A token is found by this hash, never compared in the clear.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new CSRF token (32 random bytes, base64url).
pub fn new_csrf_token() -> Result<String, SecretError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes()?))
}

/// `a == b` in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_a_fresh_salt() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("correct horse battery", Some(&a)));
        assert!(!verify_password("correct horse batterY", Some(&a)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password(
            "correct horse battery",
            Some("not a hash")
        ));
        assert!(matches!(
            hash_password("eleven char"),
            Err(SecretError::TooShort)
        ));
        // Characters, not bytes: twelve accented letters are enough.
        assert!(hash_password("éééééééééééé").is_ok());
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let dummy = PasswordHash::new(DUMMY_HASH).unwrap();
        let real_phc = hash_password("another long password").unwrap();
        let real = PasswordHash::new(&real_phc).unwrap();
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
    }

    #[test]
    fn tokens_are_random_prefixed_and_kept_as_their_hash() {
        let t = new_api_token().unwrap();
        let u = new_api_token().unwrap();
        assert!(t.secret.starts_with("bab_"));
        assert_eq!(t.secret.len(), 4 + 43);
        assert_ne!(t.secret, u.secret);
        assert_eq!(t.hash, token_hash(&t.secret));
        assert_eq!(t.hash.len(), 64);
        assert!(!t.hash.contains(&t.secret[4..]));
    }

    #[test]
    fn secrets_compare_whole() {
        let c = new_csrf_token().unwrap();
        assert!(same_secret(&c, &c.clone()));
        assert!(!same_secret(&c, &c[..c.len() - 1]));
        assert!(!same_secret(&c, ""));
        assert_ne!(c, new_csrf_token().unwrap());
    }
}
