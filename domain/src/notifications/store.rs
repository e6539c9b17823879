//! Webhooks and deliveries as the admin manages them, and each user's
//! email preference.

use super::rows::{DeliveryRow, WebhookRow, DELIVERY_COLS, DELIVERY_FROM, WEBHOOK_COLS};
use super::{check_webhook, Delivery, Webhook, WebhookInput};
use crate::crypto::EncryptionKey;
use crate::users::User;
use crate::{clock, Error, Result, Store};

impl Store {
    /// Adds a webhook; its URL and secret are sealed with `key`.
    pub async fn create_webhook(&self, admin: &User, key: &EncryptionKey, input: &WebhookInput) -> Result<Webhook> {
        let w = check_webhook(input)?;
        // The HTTP client's own reading of the URL must agree: https, or
        // http to a loopback host.
        let parsed = reqwest::Url::parse(&w.url).map_err(|_| Error::validation("url", "The URL is not valid."))?;
        let host = parsed.host_str().unwrap_or_default();
        match parsed.scheme() {
            "https" if !host.is_empty() => {}
            "http" if super::host_is_loopback(host) => {}
            _ => {
                return Err(Error::validation(
                    "url",
                    "Webhooks are sent over https only (plain http to this machine's own addresses).",
                ))
            }
        }
        let now = clock::now();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (kind, url_sealed, url_display, secret_sealed, events, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(w.kind.as_str())
        .bind(key.seal(w.url.as_bytes(), "webhook url"))
        .bind(&w.shown)
        .bind(w.secret.as_ref().map(|s| key.seal(s.as_bytes(), "webhook secret")))
        .bind(serde_json::to_string(&w.events).map_err(|e| Error::internal_from("writing a webhook's events", e))?)
        .bind(admin.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.webhook(id).await
    }

    async fn webhook(&self, id: i64) -> Result<Webhook> {
        let r = sqlx::query_as::<_, WebhookRow>(&format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND deleted = 0"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("webhook"))?;
        r.into_model(self.deliveries(Some(id), 5).await?)
    }

    /// Every webhook, oldest first, with its last five deliveries.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM webhooks WHERE deleted = 0 ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.webhook(id).await?);
        }
        Ok(out)
    }

    /// Removes a webhook: it gets nothing more, and its pending deliveries
    /// (and failed ones) are dropped. The row stays (marked deleted, its URL and secret
    /// erased), so that a change committing at the same moment never
    /// references a missing webhook.
    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("UPDATE webhooks SET deleted = 1, url_sealed = '', secret_sealed = NULL WHERE id = $1 AND deleted = 0")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM deliveries WHERE webhook_id = $1 AND status <> 'delivered'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if gone.rows_affected() == 0 {
            return Err(Error::not_found("webhook"));
        }
        Ok(())
    }

    /// Deliveries, newest first: of one webhook, or of every channel.
    pub async fn deliveries(&self, webhook_id: Option<i64>, limit: i64) -> Result<Vec<Delivery>> {
        let rows = match webhook_id {
            Some(w) => {
                sqlx::query_as::<_, DeliveryRow>(&format!(
                    "SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM} WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2"
                ))
                .bind(w)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as::<_, DeliveryRow>(&format!("SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM} ORDER BY d.id DESC LIMIT $1"))
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.into_iter().map(DeliveryRow::into_model).collect()
    }

    /// Deliveries that failed or were not sent, newest first.
    pub async fn failed_deliveries(&self, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query_as::<_, DeliveryRow>(&format!(
            "SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM} WHERE d.status IN ('failed', 'not_sent') ORDER BY d.id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(DeliveryRow::into_model).collect()
    }

    /// "Send again": a failed or unsent delivery is due now, with the same
    /// key, for another 24 hours of attempts.
    pub async fn retry_delivery(&self, id: i64) -> Result<Delivery> {
        let now = clock::now();
        // One conditional update: nothing stays locked when it refuses.
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'pending', next_attempt_at = $1, give_up_at = $2, updated_at = $1, lease_owner = NULL, lease_until = NULL
             WHERE id = $3 AND status IN ('failed', 'not_sent')",
        )
        .bind(&now)
        .bind(clock::from_now(chrono::Duration::hours(super::outbox::GIVE_UP_AFTER_HOURS)))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            return Err(match exists {
                None => Error::not_found("delivery"),
                Some(_) => Error::conflict("Only a failed or unsent delivery can be sent again."),
            });
        }
        let r = sqlx::query_as::<_, DeliveryRow>(&format!("SELECT {DELIVERY_COLS} FROM {DELIVERY_FROM} WHERE d.id = $1"))
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        r.into_model()
    }

    /// Whether `user` gets notifications by email.
    pub async fn email_notifications(&self, user: &User) -> Result<bool> {
        let on: i64 = sqlx::query_scalar("SELECT email_notifications FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(self.pool())
            .await?;
        Ok(on != 0)
    }

    /// Turns `user`'s notification emails on or off.
    pub async fn set_email_notifications(&self, user: &User, on: bool) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET email_notifications = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(on)
    }
}
