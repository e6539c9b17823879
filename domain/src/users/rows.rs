//! Users as rows: the columns a user is read with, the rows that carry a
//! user beside what a sign-in, a session or a token adds, API tokens as
//! listed, and the mapping into the shared models.

use super::{ApiToken, Named, Role, User};
use crate::store::to_bool;
use crate::Result;

pub(super) const USER_COLS: &str = "id, email, name, role, active";

/// A user as [`USER_COLS`] give it.
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    active: i64,
}

impl UserRow {
    pub(super) fn into_model(self) -> Result<User> {
        let role = Role::from_stored(&self.role)?;
        Ok(User {
            id: self.id,
            email: self.email,
            name: self.name,
            role,
            active: to_bool(self.active),
            permissions: role.permissions().to_vec(),
        })
    }
}

/// A user signing in, with the hash their password is checked against.
#[derive(sqlx::FromRow)]
pub(super) struct SignInRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) password_hash: String,
}

/// A session's holder, with what decides whether the session is alive.
#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) expires_at: String,
    pub(super) last_seen_at: Option<String>,
    pub(super) session_idle_hours: i64,
}

/// A token's holder, with the token's last use and expiry.
#[derive(sqlx::FromRow)]
pub(super) struct TokenHolderRow {
    #[sqlx(flatten)]
    pub(super) user: UserRow,
    pub(super) token_id: i64,
    pub(super) last_used_at: Option<String>,
    pub(super) expires_at: Option<String>,
}

/// An API token as listed, with its owner's name.
#[derive(sqlx::FromRow)]
pub(super) struct ApiTokenRow {
    id: i64,
    name: String,
    created_at: String,
    last_used_at: Option<String>,
    expires_at: Option<String>,
    user_id: i64,
    user_name: String,
}

impl ApiTokenRow {
    pub(super) fn into_model(self) -> ApiToken {
        ApiToken {
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
            user: Some(Named {
                id: self.user_id,
                name: self.user_name,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store;
    use crate::users::{LoginError, NewUser};
    use crate::ErrorCode;

    crate::both_backends!(an_unknown_role_is_an_error);
    async fn an_unknown_role_is_an_error(b: &'static str) {
        let s = store(b).await;
        let u = s
            .create_user(NewUser {
                email: "ann@msp.test".into(),
                name: "Ann".into(),
                password: "a long password".into(),
                role: Role::Approver,
            })
            .await
            .unwrap();
        let token = s.create_token(u.id, "script", None).await.unwrap();
        let cookie = s.create_session(u.id).await.unwrap();
        sqlx::query("UPDATE users SET role = 'superuser' WHERE id = $1")
            .bind(u.id)
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(s.get_user(u.id).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.list_users().await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.user_by_session(&cookie).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.user_by_token(&token.token).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        // A sign-in cannot say why; it is refused, never let in as some role.
        assert_eq!(
            s.login("ann@msp.test", "a long password", "1.2.3.4").await.unwrap_err(),
            LoginError::BadCredentials,
            "{b}"
        );
    }
}
