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

/// Argon2id holds 19 MiB while it runs: at most one run per core at a
/// time, and a short queue behind them (one gate per store, so per server).
pub(crate) struct Argon2Gate {
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    queue: usize,
    /// Runs under way now, and the most there ever were at once.
    running: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    peak: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Default for Argon2Gate {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Argon2Gate {
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            waiting: Default::default(),
            queue: cores * 4,
            running: Default::default(),
            peak: Default::default(),
        }
    }
}

impl Argon2Gate {
    /// A turn, once one is free. `queue`: refuse (`None`) when the queue is
    /// full (a sign-in answers 429 at once, no memory taken); a signed-in
    /// caller changing a password waits instead.
    pub(crate) fn turn(&self, queue: bool) -> Option<impl std::future::Future<Output = Argon2Turn>> {
        use std::sync::atomic::Ordering;
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue && queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let (turns, waiting, running, peak) = (self.turns.clone(), self.waiting.clone(), self.running.clone(), self.peak.clone());
        Some(async move {
            let permit = turns.acquire_owned().await.ok();
            waiting.fetch_sub(1, Ordering::SeqCst);
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            Argon2Turn(permit, running)
        })
    }
}

impl crate::Store {
    /// This server's gate in front of Argon2.
    pub(crate) fn argon2(&self) -> std::sync::Arc<Argon2Gate> {
        self.extension::<Argon2Gate>()
    }

    /// The most sign-in password checks (19 MiB each) this server ever ran
    /// at once: at most one per core, whatever the load.
    pub fn argon2_peak(&self) -> usize {
        self.argon2().peak.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A turn at Argon2 (see [`Argon2Gate`]); dropped when the check is done.
pub(crate) struct Argon2Turn(
    #[allow(dead_code)] Option<tokio::sync::OwnedSemaphorePermit>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
);

impl Drop for Argon2Turn {
    fn drop(&mut self) {
        self.1.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
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
    /// Attempts in a row for one account from one address.
    pub const MAX_FAILURES: i64 = 10;
    /// Attempts in a row from one address, whatever the account.
    pub const MAX_FAILURES_PER_ADDRESS: i64 = 50;

    /// Seconds to wait once `attempts` in a row were counted under a key
    /// that allows `limit`: none up to the limit, then 30 s doubling to 15
    /// minutes.
    pub fn wait_after(attempts: i64, limit: i64) -> i64 {
        if attempts <= limit {
            0
        } else {
            let extra = (attempts - limit - 1).min(5) as u32;
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
        assert_eq!(LoginThrottle::wait_after(10, 10), 0);
        assert_eq!(LoginThrottle::wait_after(11, 10), 30);
        assert_eq!(LoginThrottle::wait_after(12, 10), 60);
        assert_eq!(LoginThrottle::wait_after(100, 10), 900);
        assert_eq!(LoginThrottle::wait_after(50, 50), 0);
    }
}
