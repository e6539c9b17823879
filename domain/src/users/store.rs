//! Users, sessions, API tokens and login failures in the store.

use super::auth::{dummy_hash, hash_password, new_secret, secret_hash, verify_password, LoginThrottle, SESSION_DAYS};
use super::callers::REMEMBER;
use super::{ApiToken, CreatedToken, NewUser, Role, User, UserUpdate};
use crate::store::{affected, is_unique_violation, to_bool};
use crate::{clock, Error, Result, Store};
use sqlx::Row;

const USER_COLS: &str = "id, email, name, role, active";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or_else(Error::internal)?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role,
        active: to_bool(row.try_get("active")?),
        permissions: role.permissions().to_vec(),
    })
}

/// Why a sign-in failed; the caller turns it into the API error.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    BadCredentials,
    Throttled {
        retry_after_secs: i64,
    },
    /// Every password check is busy and the queue is full: try again at once.
    Busy,
}

impl Store {
    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.pool()).await?)
    }

    pub async fn create_user(&self, new: NewUser) -> Result<User> {
        let new = new.validated()?;
        let hash = hash_password(&new.password).await?;
        let _turn = self.write_turn().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (email, name, role, active, password_hash, created_at) VALUES ($1, $2, $3, 1, $4, $5) RETURNING {USER_COLS}"
        ))
        .bind(&new.email)
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&hash)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::validation("email", "A user with this email already exists.")
            } else {
                e.into()
            }
        })?;
        user_from_row(&row)
    }

    pub async fn get_user(&self, id: i64) -> Result<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The user"))?;
        user_from_row(&row)
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLS} FROM users ORDER BY name, id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Changes a user. `acting` may not take away their own admin rights or
    /// deactivate themselves, so that an MSP never locks itself out.
    pub async fn update_user(&self, acting: &User, id: i64, upd: UserUpdate) -> Result<User> {
        let name = match &upd.name {
            Some(n) => Some(crate::validate::required_text("name", n, 120)?),
            None => None,
        };
        if let Some(p) = &upd.password {
            crate::validate::password("password", p)?;
        }
        if acting.id == id {
            if upd.active == Some(false) {
                return Err(Error::validation("active", "You cannot deactivate yourself."));
            }
            if upd.role.is_some_and(|r| r != Role::Admin) && acting.role == Role::Admin {
                return Err(Error::validation("role", "You cannot take away your own admin role."));
            }
        }
        let hash = match &upd.password {
            Some(p) => Some(hash_password(p).await?),
            None => None,
        };
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM users WHERE id = $1{}", self.for_update()))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(Error::not_found("The user"));
        }
        sqlx::query(
            "UPDATE users SET name = COALESCE($1, name), role = COALESCE($2, role), active = COALESCE($3, active), password_hash = COALESCE($4, password_hash) WHERE id = $5",
        )
        .bind(name)
        .bind(upd.role.map(|r| r.as_str()))
        .bind(upd.active.map(i64::from))
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if upd.active == Some(false) || upd.password.is_some() {
            // Deactivation or a new password ends every session of that user
            // and revokes every API token (a leaked token dies with a reset).
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(clock::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.callers.forget_all();
        self.get_user(id).await
    }

    /// Counts the attempt (per account and address, and per address) before
    /// the password is checked, so parallel guesses each take a number and
    /// those past the limit are refused without an Argon2 run; then checks
    /// the password under the gate that bounds Argon2's memory. A success
    /// clears the counts.
    pub async fn login(&self, email: &str, password: &str, address: &str) -> Result<User, LoginError> {
        let email = email.trim().to_lowercase();
        let keys = [
            (format!("acct:{email}|{address}"), LoginThrottle::MAX_FAILURES),
            (format!("ip:{address}"), LoginThrottle::MAX_FAILURES_PER_ADDRESS),
        ];
        for (key, limit) in &keys {
            match self.count_attempt(key, *limit).await {
                Ok(None) => {}
                Ok(Some(secs)) => return Err(LoginError::Throttled { retry_after_secs: secs }),
                Err(e) => {
                    tracing::error!(error = %e.message, "the sign-in throttle could not count");
                    return Err(LoginError::BadCredentials);
                }
            }
        }
        let row = sqlx::query(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1"))
            .bind(&email)
            .fetch_optional(self.pool())
            .await
            .map_err(|_| LoginError::BadCredentials)?;
        // Verify against a real hash of nothing when the user is unknown, so
        // that timing does not tell which emails exist.
        let hash: String = match row.as_ref().and_then(|r| r.try_get("password_hash").ok()) {
            Some(h) => h,
            None => dummy_hash().await,
        };
        let ok = {
            let _turn = self.argon2.turn(true).ok_or(LoginError::Busy)?.await;
            verify_password(password, &hash).await
        };
        let user = row.as_ref().and_then(|r| user_from_row(r).ok()).filter(|u| ok && u.active);
        match user {
            Some(u) => {
                for (key, _) in &keys {
                    let _ = self.execute_write(sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key)).await;
                }
                Ok(u)
            }
            None => Err(LoginError::BadCredentials),
        }
    }

    /// Counts one attempt under `key`; the seconds to wait when the key is
    /// locked or this attempt is one past `limit` (which locks it).
    async fn count_attempt(&self, key: &str, limit: i64) -> Result<Option<i64>> {
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
        if let Some(u) = self.callers.get(&key) {
            return Ok(Some(u));
        }
        let generation = self.callers.generation();
        // Remembered only when the session outlives the memory of it.
        // Alive: within the absolute lifetime, and used within the idle
        // timeout (settings.session_idle_hours); each use slides the latter.
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role, u.active, s.expires_at, s.last_seen_at, st.session_idle_hours
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN settings st ON st.id = 1
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(&hash)
        .bind(clock::now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let idle_hours: i64 = row.try_get("session_idle_hours")?;
        let seen: Option<String> = row.try_get("last_seen_at")?;
        let idle_since = clock::from_now(chrono::Duration::hours(-idle_hours.max(1)));
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
        let user = user_from_row(&row)?;
        let expires: String = row.try_get("expires_at")?;
        if expires > clock::from_now(chrono::Duration::from_std(REMEMBER).unwrap_or_default()) {
            self.callers.put(generation, key, user.clone());
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
        self.callers.forget_all();
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
            let _turn = self.argon2.turn(false).ok_or_else(Error::internal)?.await;
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
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.id)
            .bind(keep_session.map(secret_hash).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(clock::now())
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.callers.forget_all();
        Ok(())
    }

    /// The worker's housekeeping: expired or idle sessions, login counts
    /// not touched for a day (and not locked), OAuth states older than an
    /// hour. Returns how many rows went.
    pub async fn purge_expired(&self) -> Result<u64> {
        let now = clock::now();
        let day_ago = clock::from_now(chrono::Duration::days(-1));
        let hour_ago = clock::from_now(chrono::Duration::hours(-1));
        let idle: i64 = sqlx::query_scalar("SELECT session_idle_hours FROM settings WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let idle_since = clock::from_now(chrono::Duration::hours(-idle.max(1)));
        let mut n = 0;
        for (sql, a, b) in [
            ("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2", &now, &idle_since),
            (
                "DELETE FROM login_failures WHERE (updated_at IS NULL OR updated_at < $1) AND (locked_until IS NULL OR locked_until < $2)",
                &day_ago,
                &now,
            ),
            ("DELETE FROM oauth_states WHERE created_at < $1 OR created_at < $2", &hour_ago, &hour_ago),
        ] {
            n += affected(&self.execute_write(sqlx::query(sql).bind(a).bind(b)).await?);
        }
        self.callers.forget_all();
        Ok(n)
    }

    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        self.execute_write(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(secret_hash(secret)))
            .await?;
        self.callers.forget_all();
        Ok(())
    }

    /// A new API token; `expires_in_days` (1 to 3650) or none.
    pub async fn create_token(&self, user_id: i64, name: &str, expires_in_days: Option<i64>) -> Result<CreatedToken> {
        let name = crate::validate::required_text("name", name, 80)?;
        if let Some(d) = expires_in_days {
            if !(1..=3650).contains(&d) {
                return Err(Error::validation(
                    "expires_in_days",
                    "A token expires in 1 to 3650 days (or leave it empty for never).",
                ));
            }
        }
        let expires_at = expires_in_days.map(|d| clock::from_now(chrono::Duration::days(d)));
        let token = new_secret("nxs_");
        let _turn = self.write_turn().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(user_id)
            .bind(&name)
            .bind(secret_hash(&token))
            .bind(clock::now())
            .bind(&expires_at)
            .fetch_one(self.pool())
            .await?;
        Ok(CreatedToken { id, name, token, expires_at })
    }

    /// The live tokens of `user_id`, or of everyone (`None`, for admins),
    /// newest first; expired ones are not listed.
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.user_id, u.name AS user_name FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE ($1 = 0 OR t.user_id = $1) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) ORDER BY t.id DESC",
        )
        .bind(user_id.unwrap_or(0))
        .bind(clock::now())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    expires_at: r.try_get("expires_at")?,
                    user: Some(super::Named {
                        id: r.try_get("user_id")?,
                        name: r.try_get("user_name")?,
                    }),
                })
            })
            .collect()
    }

    /// Revokes one of `user_id`'s tokens (admins may revoke anyone's).
    pub async fn revoke_token(&self, acting: &User, id: i64) -> Result<()> {
        let any_owner = acting.can(crate::users::Permission::Admin);
        let r = self
            .execute_write(
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND (user_id = $3 OR $4 = 1)")
                    .bind(clock::now())
                    .bind(id)
                    .bind(acting.id)
                    .bind(i64::from(any_owner)),
            )
            .await?;
        if affected(&r) == 0 {
            return Err(Error::not_found("The token"));
        }
        self.callers.forget_all();
        Ok(())
    }

    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        let hash = secret_hash(token);
        let key = format!("t:{hash}");
        if let Some(u) = self.callers.get(&key) {
            return Ok(Some(u));
        }
        let generation = self.callers.generation();
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role, u.active, t.id AS token_id, t.last_used_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(&hash)
        .bind(clock::now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        // Record use at most once a minute, to keep reads cheap.
        let last: Option<String> = row.try_get("last_used_at")?;
        let minute_ago = clock::from_now(chrono::Duration::seconds(-60));
        if last.is_none_or(|l| l < minute_ago) {
            let token_id: i64 = row.try_get("token_id")?;
            self.execute_write(
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(clock::now())
                    .bind(token_id),
            )
            .await?;
        }
        let user = user_from_row(&row)?;
        // Remembered only when the token outlives the memory of it.
        let expires: Option<String> = row.try_get("expires_at")?;
        if expires.is_none_or(|e| e > clock::from_now(chrono::Duration::from_std(REMEMBER).unwrap_or_default())) {
            self.callers.put(generation, key, user.clone());
        }
        Ok(Some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store;

    fn new_user(email: &str, role: Role) -> NewUser {
        NewUser {
            email: email.into(),
            name: "Test User".into(),
            password: "a long password".into(),
            role,
        }
    }

    crate::both_backends!(login_sessions_and_throttle);
    async fn login_sessions_and_throttle(b: &'static str) {
        let s = store(b).await;
        let u = s.create_user(new_user("ann@msp.test", Role::Approver)).await.unwrap();
        assert_eq!(
            s.create_user(new_user("ANN@msp.test", Role::Viewer)).await.unwrap_err().field.as_deref(),
            Some("email"),
            "{b}"
        );
        assert_eq!(s.login("Ann@msp.test", "a long password", "1.2.3.4").await.unwrap().id, u.id);
        assert_eq!(s.login("ann@msp.test", "nope", "1.2.3.4").await.unwrap_err(), LoginError::BadCredentials);
        let cookie = s.create_session(u.id).await.unwrap();
        assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().email, "ann@msp.test");
        s.delete_session(&cookie).await.unwrap();
        assert!(s.user_by_session(&cookie).await.unwrap().is_none());
        // Ten attempts in a row from one address (the one above and nine
        // more) are counted; the eleventh is refused, even with the right
        // password, without checking it.
        for _ in 0..9 {
            assert_eq!(
                s.login("ann@msp.test", "wrong", "1.2.3.4").await.unwrap_err(),
                LoginError::BadCredentials,
                "{b}"
            );
        }
        assert!(
            matches!(s.login("ann@msp.test", "a long password", "1.2.3.4").await, Err(LoginError::Throttled { .. })),
            "{b}"
        );
        // The attacker's address does not lock Ann out from hers.
        assert!(s.login("ann@msp.test", "a long password", "9.9.9.9").await.is_ok(), "{b}");
        // Another account from the attacker's address is not locked by Ann's count.
        s.create_user(new_user("bob@msp.test", Role::Viewer)).await.unwrap();
        assert!(s.login("bob@msp.test", "a long password", "1.2.3.4").await.is_ok(), "{b}");
    }

    crate::both_backends!(tokens_and_deactivation);
    async fn tokens_and_deactivation(b: &'static str) {
        let s = store(b).await;
        let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
        let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
        let t = s.create_token(tech.id, "script", None).await.unwrap();
        assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().id, tech.id);
        assert_eq!(s.list_tokens(Some(tech.id)).await.unwrap().len(), 1);
        assert_eq!(s.revoke_token(&admin, t.id).await, Ok(()));
        assert!(s.user_by_token(&t.token).await.unwrap().is_none(), "{b}");
        assert_eq!(s.revoke_token(&tech, t.id).await.unwrap_err().code, crate::ErrorCode::NotFound);

        let t2 = s.create_token(tech.id, "other", None).await.unwrap();
        let cookie = s.create_session(tech.id).await.unwrap();
        // Looked up (and remembered) before the change, refused after it.
        assert!(s.user_by_token(&t2.token).await.unwrap().is_some());
        assert!(s.user_by_session(&cookie).await.unwrap().is_some());
        let upd = s
            .update_user(
                &admin,
                tech.id,
                UserUpdate {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!upd.active);
        assert!(s.user_by_token(&t2.token).await.unwrap().is_none());
        assert!(s.user_by_session(&cookie).await.unwrap().is_none());
        assert_eq!(
            s.update_user(
                &admin,
                admin.id,
                UserUpdate {
                    role: Some(Role::Viewer),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err()
            .field
            .as_deref(),
            Some("role")
        );
        assert_eq!(s.get_user(admin.id).await.unwrap().role, Role::Admin);
    }

    crate::both_backends!(a_token_dies_with_a_password_reset_and_when_it_expires);
    async fn a_token_dies_with_a_password_reset_and_when_it_expires(b: &'static str) {
        let s = store(b).await;
        let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
        let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
        let t = s.create_token(tech.id, "script", None).await.unwrap();
        assert!(s.user_by_token(&t.token).await.unwrap().is_some());
        let reset = UserUpdate {
            password: Some("another long password".into()),
            ..Default::default()
        };
        s.update_user(&admin, tech.id, reset).await.unwrap();
        assert!(s.user_by_token(&t.token).await.unwrap().is_none(), "{b}: revoked by the reset");
        // An expiry: listed with it; past it, the token is refused and not listed.
        let e = s.create_token(tech.id, "ci", Some(0)).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expires_in_days"));
        let short = s.create_token(tech.id, "ci", Some(30)).await.unwrap();
        assert!(short.expires_at.is_some());
        let mine = s.list_tokens(Some(tech.id)).await.unwrap();
        assert_eq!((mine.len(), mine[0].expires_at.clone()), (1, short.expires_at.clone()), "{b}");
        assert_eq!(s.list_tokens(None).await.unwrap().len(), 1, "{b}: the admin's list has everyone's");
        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
            .bind(clock::from_now(chrono::Duration::seconds(-1)))
            .bind(short.id)
            .execute(s.pool())
            .await
            .unwrap();
        s.callers.forget_all();
        assert!(s.user_by_token(&short.token).await.unwrap().is_none(), "{b}: expired");
        assert!(s.list_tokens(Some(tech.id)).await.unwrap().is_empty(), "{b}");
    }

    crate::both_backends!(a_role_change_reaches_a_remembered_caller_at_once);
    async fn a_role_change_reaches_a_remembered_caller_at_once(b: &'static str) {
        let s = store(b).await;
        let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
        let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
        let t = s.create_token(tech.id, "script", None).await.unwrap();
        let cookie = s.create_session(tech.id).await.unwrap();
        assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().role, Role::Technician);
        assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().role, Role::Technician);
        let upd = UserUpdate {
            role: Some(Role::Viewer),
            ..Default::default()
        };
        s.update_user(&admin, tech.id, upd).await.unwrap();
        assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().role, Role::Viewer, "{b}");
        assert_eq!(s.user_by_session(&cookie).await.unwrap().unwrap().role, Role::Viewer, "{b}");
    }
}
