//! API tokens in the store: made (shown once, stored as a hash), listed,
//! revoked, expired, and looked up per call.

use super::callers::REMEMBER;
use super::rows::{ApiTokenRow, TokenHolderRow};
use super::secrets::{new_secret, secret_hash};
use super::*;
use crate::store::affected;
use crate::{clock, Error, Result, Store};

impl Store {
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
        let rows = sqlx::query_as::<_, ApiTokenRow>(
            "SELECT t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.user_id, u.name AS user_name FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE ($1 = 0 OR t.user_id = $1) AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) ORDER BY t.id DESC",
        )
        .bind(user_id.unwrap_or(0))
        .bind(clock::now())
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(ApiTokenRow::into_model).collect())
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
        self.callers().forget_all();
        Ok(())
    }

    pub async fn user_by_token(&self, token: &str) -> Result<Option<User>> {
        let hash = secret_hash(token);
        let key = format!("t:{hash}");
        if let Some(u) = self.callers().get(&key) {
            return Ok(Some(u));
        }
        let generation = self.callers().generation();
        let row = sqlx::query_as::<_, TokenHolderRow>(
            "SELECT u.id, u.email, u.name, u.role, u.active, t.id AS token_id, t.last_used_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1 AND (t.expires_at IS NULL OR t.expires_at > $2)",
        )
        .bind(&hash)
        .bind(clock::now())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        // Record use at most once a minute, to keep reads cheap.
        let minute_ago = clock::from_now(chrono::Duration::seconds(-60));
        if row.last_used_at.is_none_or(|l| l < minute_ago) {
            self.execute_write(
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(clock::now())
                    .bind(row.token_id),
            )
            .await?;
        }
        let user = row.user.into_model()?;
        // Remembered only when the token outlives the memory of it.
        if row
            .expires_at
            .is_none_or(|e| e > clock::from_now(chrono::Duration::from_std(REMEMBER).unwrap_or_default()))
        {
            self.callers().put(generation, key, user.clone());
        }
        Ok(Some(user))
    }
}
