//! Passwords: hashed and checked with Argon2id, off the async runtime and
//! behind the gate that bounds how many checks run at once.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub async fn hash_password(password: &str) -> crate::Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| crate::Error::internal_from("running the password hash", e))?
    .map_err(|e| crate::Error::internal_from("hashing a password", e))
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
}
