//! Sessions in the store: made at sign-in, alive within the idle timeout
//! and the absolute 14 days, ended one by one, everywhere, or with a
//! password change; and the worker's purge of what expired.

use super::callers::REMEMBER;
use super::passwords::{hash_password, verify_password};
use super::rows::SessionRow;
use super::secrets::{new_secret, secret_hash};
use super::*;
use crate::store::affected;
use crate::{clock, Error, Result, Store};

/// A session's absolute lifetime, however often it is used.
pub const SESSION_DAYS: i64 = 14;

/// Ends `user_id`'s sessions (all but `keep`) and revokes their API tokens,
/// inside `tx`: what a new password or a deactivation does.
pub(super) async fn end_sessions_and_tokens(tx: &mut crate::store::Tx, user_id: i64, keep: Option<&str>) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep.map(secret_hash).unwrap_or_default())
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(clock::now())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Starts a session; returns the cookie value (only its hash is stored).
    pub async fn create_session(&self, user_id: i64) -> Result<String> {
        let secret = new_secret("");
        self.execute_write(
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)")
                .bind(secret_hash(&secret))
                .bind(user_id)
                .bind(clock::now())
                .bind(clock::from_now(chrono::Duration::days(SESSION_DAYS))),
        )
        .await?;
        Ok(secret)
    }

    pub async fn user_by_session(&self, secret: &str) -> Result<Option<User>> {
        let hash = secret_hash(secret);
        let key = format!("s:{hash}");
        if let Some(u) = self.callers().get(&key) {
            return Ok(Some(u));
        }
        let generation = self.callers().generation();
        // Remembered only when the session outlives the memory of it.
        // Alive: within the absolute lifetime, and used within the idle
        // timeout (settings.session_idle_hours); each use slides the latter.
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT u.id, u.email, u.name, u.role, u.active, s.expires_at, s.last_seen_at, st.session_idle_hours
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN settings st ON st.id = 1
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(&hash)
        .bind(clock::now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let seen = row.last_seen_at;
        let idle_since = clock::from_now(chrono::Duration::hours(-row.session_idle_hours.max(1)));
        if seen.as_deref().is_some_and(|s| s < idle_since.as_str()) {
            let _ = self.execute_write(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash)).await;
            return Ok(None);
        }
        if seen.is_none_or(|s| s < clock::from_now(chrono::Duration::seconds(-60))) {
            self.execute_write(
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                    .bind(clock::now())
                    .bind(&hash),
            )
            .await?;
        }
        let user = row.user.into_model()?;
        if row.expires_at > clock::from_now(chrono::Duration::from_std(REMEMBER).unwrap_or_default()) {
            self.callers().put(generation, key, user.clone());
        }
        Ok(Some(user))
    }

    /// Ends `user_id`'s sessions, all or all but the one with `keep`.
    pub async fn end_sessions(&self, user_id: i64, keep: Option<&str>) -> Result<()> {
        self.execute_write(
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id)
                .bind(keep.map(secret_hash).unwrap_or_default()),
        )
        .await?;
        self.callers().forget_all();
        Ok(())
    }

    /// A user changes their own password: the current one is required; their
    /// other sessions end and their API tokens are revoked.
    pub async fn change_password(&self, user: &User, current: &str, new: &str, keep_session: Option<&str>) -> Result<()> {
        crate::validate::password("new_password", new)?;
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(self.pool())
            .await?;
        let ok = {
            let _turn = self.argon2().turn(false).ok_or_else(Error::internal)?.await;
            verify_password(current, &hash).await
        };
        if !ok {
            return Err(Error::validation("current_password", "This is not your current password."));
        }
        let new_hash = hash_password(new).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&new_hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        end_sessions_and_tokens(&mut tx, user.id, keep_session).await?;
        tx.commit().await?;
        self.callers().forget_all();
        Ok(())
    }

    /// The worker's housekeeping: expired or idle sessions, login counts
    /// not touched for a day (and not locked), OAuth states older than an
    /// hour. Returns how many rows went.
    pub async fn purge_expired(&self) -> Result<u64> {
        let now = clock::now();
        let day_ago = clock::from_now(chrono::Duration::days(-1));
        let hour_ago = clock::from_now(chrono::Duration::hours(-1));
        let idle = self.settings().await?.session_idle_hours;
        let idle_since = clock::from_now(chrono::Duration::hours(-idle.max(1)));
        let mut n = 0;
        let purges: [(&str, &[&String]); 3] = [
            ("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2", &[&now, &idle_since]),
            (
                "DELETE FROM login_failures WHERE (updated_at IS NULL OR updated_at < $1) AND (locked_until IS NULL OR locked_until < $2)",
                &[&day_ago, &now],
            ),
            ("DELETE FROM oauth_states WHERE created_at < $1", &[&hour_ago]),
        ];
        for (sql, values) in purges {
            let q = values.iter().fold(sqlx::query(sql), |q, v| q.bind(v.as_str()));
            n += affected(&self.execute_write(q).await?);
        }
        self.callers().forget_all();
        Ok(n)
    }

    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        self.execute_write(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(secret_hash(secret)))
            .await?;
        self.callers().forget_all();
        Ok(())
    }
}
