//! The delivery worker. Each server instance runs one: it claims due
//! deliveries with a lease (so that instances on one PostgreSQL do not
//! send the same one), sends them, and records the outcome under its lease.
//!
//! A crash between the send and the record leaves the lease to expire and
//! the delivery to be sent again with the same key: at least once, never
//! twice by our own doing, and a receiver can drop the repeat. Failures
//! are retried after one minute, doubling to an hour, for 24 hours; then
//! the delivery is `failed`, shown in Settings with "Send again".

use super::mail::{Mailer, Outgoing};
use super::render::Stored;
use super::rows::ClaimedRow;
use super::webhook::{self, Answer};
use super::{backoff_seconds, Channel, DeliveryStatus, WebhookKind};
use crate::crypto::EncryptionKey;
use crate::store::leases::{is_lease_lost, Fence, Leased};
use crate::{clock, Result, Store};
use std::sync::Arc;

/// Deliveries claimed at once by one worker (sent side by side).
const BATCH: i64 = 16;

#[derive(Clone)]
pub struct Notifier {
    pub store: Store,
    pub mailer: Mailer,
    /// Links in messages point here (`NEXOS_PUBLIC_URL`).
    pub public_url: String,
    /// Opens the webhooks' sealed URLs and secrets.
    pub key: Option<EncryptionKey>,
    pub http: reqwest::Client,
    pub owner: String,
    /// How long a claim holds; past it another worker may send again.
    pub lease: chrono::Duration,
    /// The first retry's wait in seconds (60; tests shorten it).
    pub retry_base_seconds: i64,
}

/// A delivery this worker holds the lease of, with what it sends.
pub(super) struct Claimed {
    pub(super) id: i64,
    pub(super) fence: Fence,
    pub(super) channel: Channel,
    pub(super) recipient: String,
    pub(super) attempts: i64,
    pub(super) give_up_at: String,
    /// The webhook's kind, sealed URL and sealed secret.
    pub(super) webhook: Option<(WebhookKind, String, Option<String>)>,
    pub(super) stored: Stored,
}

/// How one attempt ended.
enum Outcome {
    Delivered(Option<i64>),
    Final(Option<i64>, String),
    Again(Option<i64>, Option<u64>, String),
    NotSent(String),
}

impl Notifier {
    /// Claims and sends what is due; the number of deliveries attempted.
    pub async fn run_once(self: &Arc<Self>) -> Result<usize> {
        let claimed = self.claim().await?;
        let n = claimed.len();
        let mut set = tokio::task::JoinSet::new();
        for c in claimed {
            let me = self.clone();
            set.spawn(async move {
                // Well within the lease: past it another worker may send
                // the same delivery again.
                let limit = (me.lease / 2).to_std().unwrap_or_default().max(std::time::Duration::from_secs(5));
                let outcome = match tokio::time::timeout(limit, me.attempt(&c)).await {
                    Ok(o) => o,
                    Err(_) => Outcome::Again(None, None, format!("no answer within {} seconds", limit.as_secs())),
                };
                me.record(&c, outcome).await
            });
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Err(e)) => tracing::error!("recording a delivery failed: {}", e.message),
                Err(e) => tracing::error!("a delivery task ended: {e}"),
                Ok(Ok(())) => {}
            }
        }
        Ok(n)
    }

    /// Sends until nothing is due.
    pub async fn drain(self: &Arc<Self>) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    async fn claim(&self) -> Result<Vec<Claimed>> {
        let now = clock::now();
        let mut tx = self.store.begin_write().await?;
        let ids: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY next_attempt_at, id LIMIT {BATCH}{}",
            self.store.skip_locked()
        ))
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
        let mut fences = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(f) = self.store.take_row_lease(&mut tx, Leased::Deliveries, id, &self.owner, self.lease).await? {
                fences.push(f);
            }
        }
        tx.commit().await?;
        let mut out = Vec::with_capacity(fences.len());
        for fence in fences {
            // A delivery dropped meanwhile (its webhook deleted) is skipped;
            // one that cannot be read is failed, so that it never blocks
            // the queue.
            let id = fence.id;
            match self.load(fence.clone()).await {
                Ok(Some(c)) => out.push(c),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(delivery = id, "a delivery could not be read: {}", e.message);
                    let mut tx = self.store.begin_write().await?;
                    if self.store.hold(&mut tx, &fence, self.lease).await.is_ok() {
                        sqlx::query("UPDATE deliveries SET status = 'failed', last_error = 'The stored notification could not be read.', lease_owner = NULL, lease_until = NULL WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        tx.commit().await?;
                    }
                }
            }
        }
        Ok(out)
    }

    async fn load(&self, fence: Fence) -> Result<Option<Claimed>> {
        let row = sqlx::query_as::<_, ClaimedRow>(
            "SELECT d.key, d.channel, d.recipient, d.attempts, d.give_up_at, n.event, n.at, n.actor_name, n.message, n.po, n.subscription,
                    w.kind, w.url_sealed, w.secret_sealed, w.deleted
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id LEFT JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.id = $1",
        )
        .bind(fence.id)
        .fetch_optional(self.store.pool())
        .await?;
        row.map(|r| r.into_model(fence)).transpose()
    }

    async fn attempt(&self, c: &Claimed) -> Outcome {
        match c.channel {
            Channel::Email => {
                if self.mailer.is_off() {
                    return Outcome::NotSent(super::mail::MAIL_OFF.into());
                }
                let m = Outgoing {
                    key: c.stored.key.clone(),
                    to: c.recipient.clone(),
                    subject: c.stored.subject(),
                    text: c.stored.text(&self.public_url),
                    html: c.stored.html(&self.public_url),
                };
                match self.mailer.send(&self.store, &m).await {
                    Ok(code) => Outcome::Delivered(code),
                    Err(e) if e.permanent => Outcome::Final(e.code, e.message),
                    Err(e) => Outcome::Again(e.code, None, e.message),
                }
            }
            Channel::Webhook => {
                let Some((kind, url, secret)) = &c.webhook else {
                    return Outcome::Final(None, "the webhook was deleted".into());
                };
                let opened = self.key.as_ref().ok_or("the encryption key is not set").and_then(|k| {
                    let url = String::from_utf8(k.open(url, "webhook url").map_err(|_| "the encryption key does not open it")?)
                        .map_err(|_| "the stored URL is not text")?;
                    let secret = match secret {
                        Some(s) => Some(
                            String::from_utf8(k.open(s, "webhook secret").map_err(|_| "the encryption key does not open it")?)
                                .map_err(|_| "the stored secret is not text")?,
                        ),
                        None => None,
                    };
                    Ok((url, secret))
                });
                let (url, secret) = match opened {
                    Ok(x) => x,
                    Err(why) => return Outcome::Final(None, format!("Cannot read the webhook's URL: {why}.")),
                };
                match webhook::send(&self.http, &url, *kind, secret.as_deref(), &c.stored, &self.public_url).await {
                    Answer::Ok(s) => Outcome::Delivered(Some(i64::from(s))),
                    Answer::Refused(s, why) => Outcome::Final(Some(i64::from(s)), why),
                    Answer::Again(s, after, why) => Outcome::Again(s.map(i64::from), after, why),
                }
            }
        }
    }

    async fn record(&self, c: &Claimed, outcome: Outcome) -> Result<()> {
        let now = clock::now();
        let attempts = c.attempts + 1;
        let (status, code, error, next): (DeliveryStatus, Option<i64>, Option<String>, Option<String>) = match outcome {
            Outcome::Delivered(code) => (DeliveryStatus::Delivered, code, None, None),
            Outcome::Final(code, why) => (DeliveryStatus::Failed, code, Some(why), None),
            Outcome::NotSent(why) => (DeliveryStatus::NotSent, None, Some(why), None),
            Outcome::Again(code, retry_after, why) => {
                let wait = backoff_seconds(attempts, self.retry_base_seconds).max(retry_after.unwrap_or(0).min(3600) as i64);
                let next = clock::from_now(chrono::Duration::seconds(wait));
                if next > c.give_up_at {
                    (
                        DeliveryStatus::Failed,
                        code,
                        Some(format!("Gave up after {attempts} attempts in 24 hours; last: {why}")),
                        None,
                    )
                } else {
                    (DeliveryStatus::Pending, code, Some(why), Some(next))
                }
            }
        };
        let mut tx = self.store.begin_write().await?;
        if let Err(e) = self.store.hold(&mut tx, &c.fence, self.lease).await {
            if is_lease_lost(&e) {
                tracing::warn!(
                    delivery = c.id,
                    "refused a stale write: a delivery's lease ran out while it was sent; another worker sends it again"
                );
                return Ok(());
            }
            return Err(e);
        }
        sqlx::query(
            "UPDATE deliveries SET status = $1, attempts = $2, last_code = $3, last_error = $4, next_attempt_at = COALESCE($5, next_attempt_at),
                delivered_at = $6, updated_at = $7, lease_owner = NULL, lease_until = NULL
             WHERE id = $8",
        )
        .bind(status.as_str())
        .bind(attempts)
        .bind(code)
        .bind(&error)
        .bind(&next)
        .bind((status == DeliveryStatus::Delivered).then(|| now.clone()))
        .bind(&now)
        .bind(c.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        match status {
            DeliveryStatus::Failed => tracing::warn!(delivery = c.id, channel = c.channel.as_str(), "delivery failed: {}", error.unwrap_or_default()),
            DeliveryStatus::Pending => tracing::info!(delivery = c.id, attempts, "delivery will be retried: {}", error.unwrap_or_default()),
            _ => {}
        }
        Ok(())
    }
}
