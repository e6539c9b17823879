//! The outbox: an event's notification and one delivery per recipient,
//! written inside the transaction of the change that causes it. If the
//! change commits, the deliveries exist; if it rolls back, they never did.
//! The worker ([`super::deliver`]) sends them afterwards.

use super::render::SubscriptionSummary;
use super::rows::{webhook_events, NotifiedPoRow, WebhookTargetRow};
use super::{Audience, Channel, DeliveryStatus, Event};
use crate::store::Tx;
use crate::{clock, Result};

/// A delivery is given up on this long after it was first due.
pub const GIVE_UP_AFTER_HOURS: i64 = 24;

/// What caused the event.
pub struct Cause<'a> {
    pub po_id: i64,
    /// The person who acted (never mailed about their own act); `None` for
    /// the system.
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    /// The timeline's words for it (a rejection's reason, a failure's text).
    pub message: &'a str,
    /// Happened by itself as the actor acted (an approval under the auto
    /// limit): no mail, the creator is looking at it.
    pub automatic: bool,
}

/// A new stable delivery id: `dlv_` and 32 hex digits.
pub fn new_key() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    format!("dlv_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Writes the notification of `event` and its deliveries. `Ok(None)` when
/// the PO's state makes it moot (a submission approved at once).
pub async fn record(tx: &mut Tx, event: Event, cause: &Cause<'_>) -> Result<Option<i64>> {
    let r = sqlx::query_as::<_, NotifiedPoRow>(
        "SELECT p.number, p.status, p.total_cents, p.currency, p.created_by, p.first_approved_by,
                c.name AS company, v.name AS vendor, u.name AS creator
         FROM purchase_orders p
         LEFT JOIN companies c ON c.id = p.company_id
         LEFT JOIN vendors v ON v.id = p.vendor_id
         LEFT JOIN users u ON u.id = p.created_by
         WHERE p.id = $1",
    )
    .bind(cause.po_id)
    .fetch_one(&mut **tx)
    .await?;
    if event == Event::PoSubmitted && r.status != "pending_approval" {
        return Ok(None);
    }
    let (created_by, first_approver) = (r.created_by, r.first_approved_by);
    let po = r.summary(cause.po_id);
    let now = clock::now();
    let id: i64 = sqlx::query_scalar("INSERT INTO notifications (event, po_id, at, actor_name, message, po) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(event.as_str())
        .bind(cause.po_id)
        .bind(&now)
        .bind(cause.actor_name)
        .bind(cause.message)
        .bind(po.to_string())
        .fetch_one(&mut **tx)
        .await?;

    let not = Spared {
        automatic: cause.automatic,
        actor_id: cause.actor_id,
        created_by,
        first_approver,
    };
    deliver_to_audience(tx, event, id, &now, &not).await?;
    Ok(Some(id))
}

/// A subscription whose commitment ends soon, as its renewal notice tells it.
pub struct Renewing<'a> {
    pub summary: &'a SubscriptionSummary,
    /// The notice's threshold (30 or 7 days before the end).
    pub notice_days: i64,
}

impl Renewing<'_> {
    /// What makes it once: the subscription, its commitment end, the threshold.
    pub fn once_key(&self) -> String {
        format!("renewal:{}:{}:{}", self.summary.id, self.summary.commitment_end, self.notice_days)
    }
}

/// Writes a renewal notice and its deliveries, once for each subscription,
/// commitment end and threshold (a unique key: whichever instance sees it
/// due first writes it). `Ok(None)` when it was written before.
pub async fn record_renewal(tx: &mut Tx, r: &Renewing<'_>) -> Result<Option<i64>> {
    let s = r.summary;
    let once = r.once_key();
    let now = clock::now();
    let message = format!(
        "Change its seats or cancel it before then: after the commitment renews, {} bills the new term in full.",
        s.vendor
    );
    let summary = serde_json::to_string(s).map_err(|e| crate::Error::internal_from("writing a renewal notice", e))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO notifications (event, subscription_id, at, actor_name, message, subscription, once_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (once_key) DO NOTHING RETURNING id",
    )
    .bind(Event::SubscriptionRenewing.as_str())
    .bind(s.id)
    .bind(&now)
    .bind("NEXOS")
    .bind(&message)
    .bind(summary)
    .bind(&once)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = id {
        deliver_to_audience(tx, Event::SubscriptionRenewing, id, &now, &Spared::default()).await?;
    }
    Ok(id)
}

/// Who of the audience is not mailed.
#[derive(Default, Clone, Copy)]
struct Spared {
    /// Nobody is: it happened by itself as the actor acted.
    automatic: bool,
    /// The person who acted.
    actor_id: Option<i64>,
    /// For approvals, the PO's creator and its first approver.
    created_by: Option<i64>,
    first_approver: Option<i64>,
}

/// One delivery of notification `id` for each person of the event's
/// audience but those `spared`, and for each webhook that takes it.
async fn deliver_to_audience(tx: &mut Tx, event: Event, id: i64, now: &str, spared: &Spared) -> Result<()> {
    let Spared {
        automatic,
        actor_id,
        created_by,
        first_approver,
    } = *spared;
    let give_up = clock::from_now(chrono::Duration::hours(GIVE_UP_AFTER_HOURS));
    let mut recipients: Vec<(Option<i64>, Option<i64>, Channel, String)> = Vec::new();
    if !automatic {
        let who = match event.audience() {
            Audience::Approvers => "role IN ('approver', 'admin')",
            Audience::Creator => "id = $1",
            Audience::Buyers => "role IN ('purchaser', 'admin')",
            Audience::ApproversAndBuyers => "role IN ('approver', 'purchaser', 'admin')",
        };
        let rows = sqlx::query_as::<_, (i64, String)>(&format!(
            "SELECT id, email FROM users WHERE active = 1 AND email_notifications = 1 AND {who} AND id <> $2 AND id <> $3 AND id <> $4 ORDER BY id"
        ))
        .bind(created_by.unwrap_or(0))
        .bind(actor_id.unwrap_or(0))
        // Approvers: not the creator, nor the first approver of two.
        .bind(if event.audience() == Audience::Approvers {
            created_by.unwrap_or(0)
        } else {
            0
        })
        .bind(if event.audience() == Audience::Approvers {
            first_approver.unwrap_or(0)
        } else {
            0
        })
        .fetch_all(&mut **tx)
        .await?;
        for (id, email) in rows {
            recipients.push((Some(id), None, Channel::Email, email));
        }
    }
    for w in sqlx::query_as::<_, WebhookTargetRow>("SELECT id, events, url_display FROM webhooks WHERE deleted = 0 ORDER BY id")
        .fetch_all(&mut **tx)
        .await?
    {
        let events = webhook_events(&w.events)?;
        if events.is_empty() || events.contains(&event) {
            recipients.push((None, Some(w.id), Channel::Webhook, w.url_display));
        }
    }
    // Every delivery in one statement (in chunks, far under either
    // database's limit on placeholders): `$1` now, `$2` the give-up time,
    // `$3` the status, then six a delivery.
    for chunk in recipients.chunks(1000) {
        let rows = (0..chunk.len())
            .map(|i| {
                let b = 4 + i * 6;
                format!("(${b}, ${}, ${}, ${}, ${}, ${}, $3, 0, $1, $2, $1, $1)", b + 1, b + 2, b + 3, b + 4, b + 5)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO deliveries (key, notification_id, channel, user_id, webhook_id, recipient, status, attempts, next_attempt_at, give_up_at, created_at, updated_at)
             VALUES {rows}"
        );
        let mut q = sqlx::query(&sql).bind(now).bind(&give_up).bind(DeliveryStatus::Pending.as_str());
        for (user_id, webhook_id, channel, recipient) in chunk {
            q = q
                .bind(new_key())
                .bind(id)
                .bind(channel.as_str())
                .bind(*user_id)
                .bind(*webhook_id)
                .bind(recipient.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
