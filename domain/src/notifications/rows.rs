//! Notifications as rows: deliveries as the admin sees them, webhooks,
//! a claimed delivery with its notification, the PO an event is about,
//! the sandbox mailbox; and the mapping into the shared models.

use super::deliver::Claimed;
use super::render::{About, Stored, SubscriptionSummary};
use super::{Channel, Delivery, DeliveryStatus, Event, SandboxMail, Webhook, WebhookKind};
use crate::store::from_json;
use crate::store::leases::Fence;
use crate::{Error, Result};

/// A webhook's stored events (empty: all of them).
pub(super) fn webhook_events(json: &str) -> Result<Vec<Event>> {
    from_json(json, "webhook events")
}

pub(super) const DELIVERY_COLS: &str = "d.id, d.key, d.channel, d.recipient, d.webhook_id, d.status, d.attempts, d.last_code, d.last_error,
    d.next_attempt_at, d.created_at, d.delivered_at, n.event, n.po_id, p.number AS po_number, n.subscription_id, n.subscription";
pub(super) const DELIVERY_FROM: &str = "deliveries d JOIN notifications n ON n.id = d.notification_id LEFT JOIN purchase_orders p ON p.id = n.po_id";

/// A delivery as [`DELIVERY_COLS`] give it.
#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    id: i64,
    key: String,
    channel: String,
    recipient: String,
    webhook_id: Option<i64>,
    status: String,
    attempts: i64,
    last_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: String,
    created_at: String,
    delivered_at: Option<String>,
    event: String,
    po_id: Option<i64>,
    po_number: Option<String>,
    subscription_id: Option<i64>,
    subscription: Option<String>,
}

impl DeliveryRow {
    pub(super) fn into_model(self) -> Result<Delivery> {
        let status = DeliveryStatus::from_stored(&self.status)?;
        let subscription = self
            .subscription
            .as_deref()
            .map(|j| from_json::<SubscriptionSummary>(j, "notification subscription"))
            .transpose()?;
        let about = match (&self.po_number, &subscription) {
            (Some(n), None) => n.clone(),
            (None, Some(s)) => format!("{}, {}", s.product, s.company),
            _ => {
                return Err(Error::internal_from(
                    "reading a delivery",
                    "its notification is about neither a PO nor a subscription",
                ))
            }
        };
        Ok(Delivery {
            id: self.id,
            key: self.key,
            event: Event::from_stored(&self.event)?,
            channel: Channel::from_stored(&self.channel)?,
            recipient: self.recipient,
            webhook_id: self.webhook_id,
            po_id: self.po_id,
            po_number: self.po_number,
            subscription_id: self.subscription_id,
            company_id: subscription.as_ref().map(|s| s.company_id),
            about,
            status,
            attempts: self.attempts,
            last_code: self.last_code,
            last_error: self.last_error,
            // Only a pending delivery has a next attempt to show.
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(self.next_attempt_at),
            created_at: self.created_at,
            delivered_at: self.delivered_at,
        })
    }
}

pub(super) const WEBHOOK_COLS: &str = "id, kind, url_display, secret_sealed, events, created_at";

/// A webhook as [`WEBHOOK_COLS`] give it; its recent deliveries are read apart.
#[derive(sqlx::FromRow)]
pub(super) struct WebhookRow {
    id: i64,
    kind: String,
    url_display: String,
    secret_sealed: Option<String>,
    events: String,
    created_at: String,
}

impl WebhookRow {
    pub(super) fn into_model(self, recent: Vec<Delivery>) -> Result<Webhook> {
        Ok(Webhook {
            id: self.id,
            kind: WebhookKind::from_stored(&self.kind)?,
            url: self.url_display,
            events: webhook_events(&self.events)?,
            signed: self.secret_sealed.is_some(),
            created_at: self.created_at,
            recent,
        })
    }
}

/// A webhook an event's deliveries go to.
#[derive(sqlx::FromRow)]
pub(super) struct WebhookTargetRow {
    pub(super) id: i64,
    pub(super) events: String,
    pub(super) url_display: String,
}

/// A claimed delivery with its notification and, for a webhook, what
/// sends it (absent when the webhook was deleted).
#[derive(sqlx::FromRow)]
pub(super) struct ClaimedRow {
    key: String,
    channel: String,
    recipient: String,
    attempts: i64,
    give_up_at: String,
    event: String,
    at: String,
    actor_name: String,
    message: String,
    po: Option<String>,
    subscription: Option<String>,
    kind: Option<String>,
    url_sealed: Option<String>,
    secret_sealed: Option<String>,
    deleted: Option<i64>,
}

impl ClaimedRow {
    pub(super) fn into_model(self, fence: Fence) -> Result<Claimed> {
        let webhook = match self.kind {
            Some(_) if self.deleted == Some(1) => None,
            Some(kind) => Some((
                WebhookKind::from_stored(&kind)?,
                self.url_sealed
                    .ok_or_else(|| Error::internal_from("reading a delivery's webhook", "its sealed URL is missing"))?,
                self.secret_sealed,
            )),
            None => None,
        };
        let about = match (self.po, self.subscription) {
            (Some(po), None) => About::Po(from_json(&po, "notification PO")?),
            (None, Some(s)) => About::Subscription(from_json(&s, "notification subscription")?),
            _ => return Err(Error::internal_from("reading a notification", "it is about neither a PO nor a subscription")),
        };
        Ok(Claimed {
            id: fence.id,
            fence,
            channel: Channel::from_stored(&self.channel)?,
            recipient: self.recipient,
            attempts: self.attempts,
            give_up_at: self.give_up_at,
            webhook,
            stored: Stored {
                key: self.key,
                event: Event::from_stored(&self.event)?,
                at: self.at,
                actor_name: self.actor_name,
                message: self.message,
                about,
            },
        })
    }
}

/// The PO an event is about, as the notification keeps it, and who raised
/// and first approved it.
#[derive(sqlx::FromRow)]
pub(super) struct NotifiedPoRow {
    number: String,
    pub(super) status: String,
    total_cents: i64,
    currency: String,
    pub(super) created_by: Option<i64>,
    pub(super) first_approved_by: Option<i64>,
    company: Option<String>,
    vendor: Option<String>,
    creator: Option<String>,
}

impl NotifiedPoRow {
    /// The PO as it is now, as the notification stores it (read back as a
    /// [`PoSummary`]).
    pub(super) fn summary(&self, po_id: i64) -> serde_json::Value {
        serde_json::json!({
            "id": po_id,
            "number": self.number,
            "status": self.status,
            "total_cents": self.total_cents,
            "currency": self.currency,
            "company": self.company,
            "vendor": self.vendor,
            "created_by": self.creator,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SandboxMailRow {
    id: i64,
    at: String,
    to_address: String,
    subject: String,
    text_body: String,
}

impl SandboxMailRow {
    pub(super) fn into_model(self) -> SandboxMail {
        SandboxMail {
            id: self.id,
            at: self.at,
            to: self.to_address,
            subject: self.subject,
            text: self.text_body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::deliver::Notifier;
    use super::super::mail::Mailer;
    use super::super::{webhook, WebhookInput};
    use crate::crypto::EncryptionKey;
    use crate::fixtures::purchase_orders::{fixture, input};
    use crate::testing::new_user;
    use crate::users::Role;
    use crate::ErrorCode;
    use std::sync::Arc;

    crate::both_backends!(unknown_stored_names_are_errors);
    async fn unknown_stored_names_are_errors(b: &'static str) {
        let f = fixture(b).await;
        let admin = f.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
        f.s.create_po(&f.approver, &input(&f, 2, 40_000), true).await.unwrap();
        assert!(!f.s.deliveries(None, 10).await.unwrap().is_empty(), "{b}");
        sqlx::query("UPDATE deliveries SET channel = 'pigeon'").execute(f.s.pool()).await.unwrap();
        assert_eq!(f.s.deliveries(None, 10).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        // The worker fails a delivery it cannot read, never sends it as something else.
        let n = Arc::new(Notifier {
            store: f.s.clone(),
            mailer: Mailer::off(),
            public_url: "https://po.msp.example".into(),
            key: None,
            http: webhook::client(),
            owner: "w1".into(),
            lease: chrono::Duration::seconds(30),
            retry_base_seconds: 0,
        });
        assert_eq!(n.drain().await.unwrap(), 0, "{b}");
        let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM deliveries").fetch_all(f.s.pool()).await.unwrap();
        assert!(statuses.iter().all(|s| s == "failed"), "{b}: {statuses:?}");

        let key = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
        let input = WebhookInput {
            url: "https://hooks.example/x".into(),
            kind: "generic".into(),
            ..Default::default()
        };
        f.s.create_webhook(&admin, &key, &input).await.unwrap();
        sqlx::query("UPDATE webhooks SET kind = 'pager'").execute(f.s.pool()).await.unwrap();
        assert_eq!(f.s.list_webhooks().await.unwrap_err().code, ErrorCode::Internal, "{b}");
    }
}
