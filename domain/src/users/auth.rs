//! Passwords (Argon2id), session and token secrets, and the login throttle.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use sha2::{Digest, Sha256};

pub const SESSION_DAYS: i64 = 14;

pub async fn hash_password(password: &str) -> crate::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|_| crate::Error::internal())?
    .map_err(|_| crate::Error::internal())
}

/// Verifies off the async runtime. A malformed hash verifies as false.
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A real Argon2id hash, made once, to verify against for unknown emails.
pub(crate) async fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h.clone();
    }
    let h = hash_password("no user has this password").await.unwrap_or_default();
    DUMMY.get_or_init(|| h).clone()
}

/// A random secret for a session cookie or an API token (256 bits).
pub(crate) fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Secrets are stored only as their SHA-256.
pub(crate) fn secret_hash(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// After `MAX_FAILURES` failed logins in a row, an account or an address is
/// refused (429) for a while that doubles with each further failure.
pub struct LoginThrottle;

impl LoginThrottle {
    pub const MAX_FAILURES: i64 = 10;

    /// Seconds to wait after `failures` consecutive failures.
    pub fn lockout_seconds(failures: i64) -> i64 {
        if failures < Self::MAX_FAILURES {
            0
        } else {
            let extra = (failures - Self::MAX_FAILURES).min(5) as u32;
            (30 * 2i64.pow(extra)).min(900)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h).await);
        assert!(!verify_password("wrong", &h).await);
        assert!(!verify_password("x", "not a hash").await);
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("nxs_");
        assert!(a.starts_with("nxs_") && a.len() > 40);
        assert_ne!(a, new_secret("nxs_"));
        assert_eq!(secret_hash("abc").len(), 64);
    }

    #[test]
    fn lockout_grows_then_caps() {
        assert_eq!(LoginThrottle::lockout_seconds(9), 0);
        assert_eq!(LoginThrottle::lockout_seconds(10), 30);
        assert_eq!(LoginThrottle::lockout_seconds(11), 60);
        assert_eq!(LoginThrottle::lockout_seconds(100), 900);
    }
}
