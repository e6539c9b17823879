//! The sign-in throttle: failed attempts counted per key in the store, and
//! how long a key waits after them.

use crate::{clock, Result, Store};

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

impl Store {
    /// Counts one attempt under `key`; the seconds to wait when the key is
    /// locked or this attempt is one past `limit` (which locks it).
    pub(super) async fn count_attempt(&self, key: &str, limit: i64) -> Result<Option<i64>> {
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let locked: Option<Option<String>> = sqlx::query_scalar(&format!("SELECT locked_until FROM login_failures WHERE key = $1{}", self.for_update()))
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(Some(until)) = locked.as_ref().filter(|l| l.as_deref().is_some_and(|u| u > now.as_str())) {
            let secs = clock::parse(until).map(|u| (u - chrono::Utc::now()).num_seconds().max(1)).unwrap_or(30);
            return Ok(Some(secs));
        }
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (key, failures, locked_until, updated_at) VALUES ($1, 1, NULL, $2)
             ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures + 1, updated_at = $2 RETURNING failures",
        )
        .bind(key)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        let wait = LoginThrottle::wait_after(failures, limit);
        if wait > 0 {
            sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE key = $2")
                .bind(clock::from_now(chrono::Duration::seconds(wait)))
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((wait > 0).then_some(wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_grows_then_caps() {
        assert_eq!(LoginThrottle::wait_after(10, 10), 0);
        assert_eq!(LoginThrottle::wait_after(11, 10), 30);
        assert_eq!(LoginThrottle::wait_after(12, 10), 60);
        assert_eq!(LoginThrottle::wait_after(100, 10), 900);
        assert_eq!(LoginThrottle::wait_after(50, 50), 0);
    }
}
