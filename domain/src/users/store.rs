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
    Throttled { retry_after_secs: i64 },
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
            // Deactivation or a new password ends every session of that user.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.callers.forget_all();
        self.get_user(id).await
    }

    /// Checks the throttle, then the password. Records the outcome.
    pub async fn login(&self, email: &str, password: &str, address: &str) -> Result<User, LoginError> {
        let email = email.trim().to_lowercase();
        let keys = [format!("email:{email}"), format!("ip:{address}")];
        let now = clock::now();
        for key in &keys {
            let locked: Option<Option<String>> = sqlx::query_scalar("SELECT locked_until FROM login_failures WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await
                .map_err(|_| LoginError::BadCredentials)?;
            if let Some(Some(until)) = locked {
                if until > now {
                    let secs = clock::parse(&until).map(|u| (u - chrono::Utc::now()).num_seconds().max(1)).unwrap_or(30);
                    return Err(LoginError::Throttled { retry_after_secs: secs });
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
        let ok = verify_password(password, &hash).await;
        let user = row.as_ref().and_then(|r| user_from_row(r).ok()).filter(|u| ok && u.active);
        match user {
            Some(u) => {
                for key in &keys {
                    let _ = self.execute_write(sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key)).await;
                }
                Ok(u)
            }
            None => {
                for key in &keys {
                    let _ = self.record_login_failure(key).await;
                }
                Err(LoginError::BadCredentials)
            }
        }
    }

    async fn record_login_failure(&self, key: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (key, failures, locked_until) VALUES ($1, 1, NULL)
             ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures + 1 RETURNING failures",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        let wait = LoginThrottle::lockout_seconds(failures);
        if wait > 0 {
            sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE key = $2")
                .bind(clock::from_now(chrono::Duration::seconds(wait)))
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a session; returns the cookie value (only its hash is stored).
    pub async fn create_session(&self, user_id: i64) -> Result<String> {
        let secret = new_secret("");
        self.execute_write(
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
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
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role, u.active, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(&hash)
        .bind(clock::now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = user_from_row(&row)?;
        let expires: String = row.try_get("expires_at")?;
        if expires > clock::from_now(chrono::Duration::from_std(REMEMBER).unwrap_or_default()) {
            self.callers.put(generation, key, user.clone());
        }
        Ok(Some(user))
    }

    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        self.execute_write(sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(secret_hash(secret)))
            .await?;
        self.callers.forget_all();
        Ok(())
    }

    pub async fn create_token(&self, user_id: i64, name: &str) -> Result<CreatedToken> {
        let name = crate::validate::required_text("name", name, 80)?;
        let token = new_secret("nxs_");
        let _turn = self.write_turn().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user_id)
            .bind(&name)
            .bind(secret_hash(&token))
            .bind(clock::now())
            .fetch_one(self.pool())
            .await?;
        Ok(CreatedToken { id, name, token })
    }

    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC")
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
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
            "SELECT u.id, u.email, u.name, u.role, u.active, t.id AS token_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1",
        )
        .bind(&hash)
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
        self.callers.put(generation, key, user.clone());
        Ok(Some(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{store, BACKENDS};

    fn new_user(email: &str, role: Role) -> NewUser {
        NewUser {
            email: email.into(),
            name: "Test User".into(),
            password: "a long password".into(),
            role,
        }
    }

    #[tokio::test]
    async fn login_sessions_and_throttle() {
        for b in BACKENDS {
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
            // Ten failures in a row (the one above and nine more) lock the
            // account, even with the right password, from any address.
            for _ in 0..9 {
                assert_eq!(
                    s.login("ann@msp.test", "wrong", "5.6.7.8").await.unwrap_err(),
                    LoginError::BadCredentials,
                    "{b}"
                );
            }
            assert!(
                matches!(s.login("ann@msp.test", "a long password", "9.9.9.9").await, Err(LoginError::Throttled { .. })),
                "{b}"
            );
            // Another account from another address is not affected.
            s.create_user(new_user("bob@msp.test", Role::Viewer)).await.unwrap();
            assert!(s.login("bob@msp.test", "a long password", "9.9.9.9").await.is_ok());
        }
    }

    #[tokio::test]
    async fn tokens_and_deactivation() {
        for b in BACKENDS {
            let s = store(b).await;
            let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
            let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
            let t = s.create_token(tech.id, "script").await.unwrap();
            assert_eq!(s.user_by_token(&t.token).await.unwrap().unwrap().id, tech.id);
            assert_eq!(s.list_tokens(tech.id).await.unwrap().len(), 1);
            assert_eq!(s.revoke_token(&admin, t.id).await, Ok(()));
            assert!(s.user_by_token(&t.token).await.unwrap().is_none(), "{b}");
            assert_eq!(s.revoke_token(&tech, t.id).await.unwrap_err().code, crate::ErrorCode::NotFound);

            let t2 = s.create_token(tech.id, "other").await.unwrap();
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
    }

    #[tokio::test]
    async fn a_role_change_reaches_a_remembered_caller_at_once() {
        for b in BACKENDS {
            let s = store(b).await;
            let admin = s.create_user(new_user("admin@msp.test", Role::Admin)).await.unwrap();
            let tech = s.create_user(new_user("tech@msp.test", Role::Technician)).await.unwrap();
            let t = s.create_token(tech.id, "script").await.unwrap();
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
}
