//! Users in the store, and signing in.

use super::passwords::{dummy_hash, hash_password, verify_password};
use super::rows::{SignInRow, UserRow, USER_COLS};
use super::throttle::LoginThrottle;
use super::{NewUser, Role, User, UserUpdate};
use crate::store::is_unique_violation;
use crate::{clock, Error, Result, Store};

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
        let row = sqlx::query_as::<_, UserRow>(&format!(
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
        row.into_model()
    }

    pub async fn get_user(&self, id: i64) -> Result<User> {
        let row = sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The user"))?;
        row.into_model()
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLS} FROM users ORDER BY name, id"))
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(UserRow::into_model).collect()
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
            super::sessions::end_sessions_and_tokens(&mut tx, id, None).await?;
        }
        tx.commit().await?;
        self.callers().forget_all();
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
        let row = sqlx::query_as::<_, SignInRow>(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1"))
            .bind(&email)
            .fetch_optional(self.pool())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the user signing in could not be read");
                LoginError::BadCredentials
            })?;
        // Verify against a real hash of nothing when the user is unknown, so
        // that timing does not tell which emails exist.
        let (user, hash) = match row {
            Some(r) => (Some(r.user), r.password_hash),
            None => (None, dummy_hash().await),
        };
        let ok = {
            let _turn = self.argon2().turn(true).ok_or(LoginError::Busy)?.await;
            verify_password(password, &hash).await
        };
        let user = user.and_then(|u| u.into_model().ok()).filter(|u| ok && u.active);
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
}
