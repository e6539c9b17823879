//! Subscriptions in the store: read them, and the writes of the features
//! that learn about them (a dispatch that sees one provisioned, a sync).
//! This module is the one writer of `subscriptions` and
//! `subscription_changes`.

use super::rows::{ChangeRow, RenewalRow, SubscriptionRow, RENEWAL_SELECT, SUBSCRIPTION_SELECT};
use super::*;
use crate::store::Tx;
use crate::{clock, Error, Result, Store};

/// A subscription as the distributor shows it (the engine's
/// `SubscriptionState`: one type for what is read and what is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// The distributor's subscription id.
    pub id: String,
    /// The distributor's product id.
    pub product_id: String,
    pub product_name: Option<String>,
    pub quantity: i64,
    /// The distributor's status as it wrote it.
    pub status: String,
    pub billing_term: Option<String>,
    pub commitment_term: Option<String>,
    /// When the commitment ends (RFC 3339); none for a monthly subscription.
    pub commitment_end: Option<String>,
    /// The distributor's `updatedDate`.
    pub updated_at: Option<String>,
}

/// What applying a reading did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub imported: bool,
    pub updated: bool,
    /// The distributor's seats differ from ours now.
    pub drifted: bool,
}

const MAX_LIST: i64 = 500;

impl Store {
    /// A company's subscriptions (all when `company_id` is none), with
    /// `status` if given, by product then id.
    pub async fn list_subscriptions(&self, company_id: Option<i64>, status: Option<SubscriptionStatus>) -> Result<Vec<Subscription>> {
        let rows = sqlx::query_as::<_, SubscriptionRow>(&format!(
            "{SUBSCRIPTION_SELECT} WHERE ($1 = 0 OR s.company_id = $2) AND ($3 = '' OR s.status = $3) ORDER BY c.name, s.product_name, s.id LIMIT $4"
        ))
        .bind(i64::from(company_id.is_some()))
        .bind(company_id.unwrap_or(0))
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .bind(MAX_LIST)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(SubscriptionRow::into_model).collect()
    }

    /// Subscriptions whose commitment ends within `days` (default 60, 1 to
    /// 730), soonest first; cancelled ones and those being cancelled are
    /// not renewing.
    pub async fn renewals(&self, days: Option<i64>) -> Result<Vec<Renewal>> {
        let days = days.unwrap_or(60);
        if !(1..=730).contains(&days) {
            return Err(Error::validation("days", "Days must be between 1 and 730."));
        }
        self.commitments_ending(chrono::Utc::now(), days, MAX_LIST).await
    }

    /// Up to `limit` renewing subscriptions whose commitment ends between
    /// `now` and `days` later, soonest first.
    pub(crate) async fn commitments_ending(&self, now: chrono::DateTime<chrono::Utc>, days: i64, limit: i64) -> Result<Vec<Renewal>> {
        let rows = sqlx::query_as::<_, RenewalRow>(&format!(
            "{RENEWAL_SELECT} WHERE s.commitment_end IS NOT NULL AND s.commitment_end >= $1 AND s.commitment_end <= $2 AND s.status NOT IN ($3, $4)
             ORDER BY s.commitment_end, s.id LIMIT $5"
        ))
        .bind(clock::format(now))
        .bind(clock::format(now + chrono::Duration::days(days)))
        .bind(SubscriptionStatus::Cancelled.as_str())
        .bind(SubscriptionStatus::PendingCancel.as_str())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let subscription = r.subscription.into_model()?;
                let days_left = subscription
                    .commitment_end
                    .as_deref()
                    .and_then(clock::parse)
                    .map(|e| (e - now).num_days())
                    .unwrap_or(0);
                Ok(Renewal {
                    subscription,
                    days_left,
                    seats_in_use: r.seats_in_use,
                })
            })
            .collect()
    }

    /// One subscription with the POs that made or changed it, oldest first.
    /// These subscriptions (those that exist), in one read: for a change
    /// order's lines.
    pub async fn subscriptions_by_ids(&self, ids: &[i64]) -> Result<Vec<Subscription>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        sqlx::query_as::<_, SubscriptionRow>(&format!("{SUBSCRIPTION_SELECT} WHERE s.id IN ({list})"))
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(SubscriptionRow::into_model)
            .collect()
    }

    pub async fn get_subscription(&self, id: i64) -> Result<SubscriptionDetail> {
        let row = sqlx::query_as::<_, SubscriptionRow>(&format!("{SUBSCRIPTION_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The subscription"))?;
        let changes = sqlx::query_as::<_, ChangeRow>(
            "SELECT x.po_id, p.number AS po_number, x.kind, x.from_quantity, x.to_quantity, x.at
             FROM subscription_changes x JOIN purchase_orders p ON p.id = x.po_id WHERE x.subscription_id = $1 ORDER BY x.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(SubscriptionDetail {
            subscription: row.into_model()?,
            changes: changes.into_iter().map(ChangeRow::into_model).collect::<Result<_>>()?,
        })
    }
}

/// Records the subscription a dispatch saw provisioned for PO line
/// `po_line_id` (its company, vendor, product and contract line come from
/// the line's PO). Known already (a sync found it first): brought up to
/// date and linked to the PO.
pub(crate) async fn record_provisioned(tx: &mut Tx, po_line_id: i64, reading: &Reading) -> Result<i64> {
    let line = sqlx::query_as::<_, (Option<i64>, i64, i64, Option<i64>, String, Option<i64>)>(
        "SELECT p.company_id, p.vendor_id, p.id, l.product_id, COALESCE(pr.name, l.description), l.contract_line_id
         FROM po_lines l JOIN purchase_orders p ON p.id = l.po_id LEFT JOIN products pr ON pr.id = l.product_id WHERE l.id = $1",
    )
    .bind(po_line_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| Error::not_found("The PO line"))?;
    let (company_id, vendor_id, po_id, product_id, name, contract_line_id) = line;
    let company_id = company_id.ok_or_else(|| Error::internal_from("recording a subscription", format_args!("PO {po_id} has no company")))?;
    let now = clock::now();
    let id = match known(tx, vendor_id, &reading.id).await? {
        Some(row) => {
            update(tx, &row, reading, &now).await?;
            sqlx::query("UPDATE subscriptions SET po_id = COALESCE(po_id, $1), po_line_id = COALESCE(po_line_id, $2), contract_line_id = COALESCE(contract_line_id, $3) WHERE id = $4")
                .bind(po_id)
                .bind(po_line_id)
                .bind(contract_line_id)
                .bind(row.id)
                .execute(&mut **tx)
                .await?;
            row.id
        }
        None => {
            insert(
                tx,
                company_id,
                vendor_id,
                product_id,
                &name,
                reading,
                (Some(po_id), Some(po_line_id), contract_line_id),
                &now,
            )
            .await?
        }
    };
    // Once per PO: a reconciled dispatch reads its subscriptions again.
    sqlx::query(
        "INSERT INTO subscription_changes (subscription_id, po_id, kind, to_quantity, at)
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM subscription_changes WHERE subscription_id = $1 AND po_id = $2 AND kind = $3)",
    )
    .bind(id)
    .bind(po_id)
    .bind(ChangeKind::Made.as_str())
    .bind(reading.quantity)
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Applies what the distributor shows of one of the company's
/// subscriptions (a sync): imports one not known (linked to catalog
/// product `product_id` when the caller found one), updates status and
/// terms, and flags drift where its seats are not ours. Never changes our
/// quantity: only a change order does.
pub(crate) async fn apply_reading(tx: &mut Tx, company_id: i64, vendor_id: i64, product_id: Option<i64>, reading: &Reading) -> Result<Applied> {
    let now = clock::now();
    match known(tx, vendor_id, &reading.id).await? {
        Some(row) => {
            let updated = update(tx, &row, reading, &now).await?;
            Ok(Applied {
                imported: false,
                updated,
                drifted: row.quantity != reading.quantity,
            })
        }
        None => {
            let name = reading.product_name.clone().unwrap_or_else(|| reading.product_id.clone());
            insert(tx, company_id, vendor_id, product_id, &name, reading, (None, None, None), &now).await?;
            Ok(Applied {
                imported: true,
                updated: false,
                drifted: false,
            })
        }
    }
}

/// What a recorded change touched: the contract line that follows it and
/// the PO that made the subscription (their timelines say so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub contract_line_id: Option<i64>,
    pub made_by_po: Option<i64>,
    pub product_name: String,
}

/// Records a change the distributor confirmed, made by change order
/// `po_id`: our seats become the distributor's (drift cleared), the status
/// and terms follow `reading`, and the change joins the subscription's
/// changes (once per PO).
pub(crate) async fn record_change(tx: &mut Tx, subscription_id: i64, po_id: i64, kind: ChangeKind, from: i64, reading: &Reading) -> Result<Recorded> {
    let mut row = by_id(tx, subscription_id).await?;
    let now = clock::now();
    sqlx::query("UPDATE subscriptions SET quantity = $1, updated_at = $2 WHERE id = $3")
        .bind(reading.quantity)
        .bind(&now)
        .bind(subscription_id)
        .execute(&mut **tx)
        .await?;
    row.quantity = reading.quantity;
    update(tx, &row, reading, &now).await?;
    sqlx::query(
        "INSERT INTO subscription_changes (subscription_id, po_id, kind, from_quantity, to_quantity, at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM subscription_changes WHERE subscription_id = $1 AND po_id = $2 AND kind = $3)",
    )
    .bind(subscription_id)
    .bind(po_id)
    .bind(kind.as_str())
    .bind(from)
    .bind((kind != ChangeKind::Cancelled).then_some(reading.quantity))
    .bind(&now)
    .execute(&mut **tx)
    .await?;
    Ok(Recorded {
        contract_line_id: row.contract_line_id,
        made_by_po: row.po_id,
        product_name: row.product_name.clone(),
    })
}

/// Brings subscription `subscription_id` up to `reading` (what a change
/// order found at the distributor instead of what it was approved from):
/// status, terms and drift, never our seats.
pub(crate) async fn refresh(tx: &mut Tx, subscription_id: i64, reading: &Reading) -> Result<()> {
    let row = by_id(tx, subscription_id).await?;
    update(tx, &row, reading, &clock::now()).await?;
    Ok(())
}

async fn by_id(tx: &mut Tx, id: i64) -> Result<SubscriptionRow> {
    sqlx::query_as::<_, SubscriptionRow>(&format!("{SUBSCRIPTION_SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| Error::not_found("The subscription"))
}

async fn known(tx: &mut Tx, vendor_id: i64, distributor_id: &str) -> Result<Option<SubscriptionRow>> {
    Ok(
        sqlx::query_as::<_, SubscriptionRow>(&format!("{SUBSCRIPTION_SELECT} WHERE s.vendor_id = $1 AND s.distributor_subscription_id = $2"))
            .bind(vendor_id)
            .bind(distributor_id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Tx,
    company_id: i64,
    vendor_id: i64,
    product_id: Option<i64>,
    name: &str,
    r: &Reading,
    (po_id, po_line_id, contract_line_id): (Option<i64>, Option<i64>, Option<i64>),
    now: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO subscriptions (company_id, vendor_id, product_id, product_name, distributor_product_id, distributor_subscription_id, quantity,
            status, distributor_status, billing_term, commitment_term, commitment_end, distributor_updated_at, contract_line_id, po_id, po_line_id,
            synced_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $17) RETURNING id",
    )
    .bind(company_id)
    .bind(vendor_id)
    .bind(product_id)
    .bind(name)
    .bind(&r.product_id)
    .bind(&r.id)
    .bind(r.quantity)
    .bind(SubscriptionStatus::from_distributor(&r.status).as_str())
    .bind(&r.status)
    .bind(&r.billing_term)
    .bind(&r.commitment_term)
    .bind(&r.commitment_end)
    .bind(&r.updated_at)
    .bind(contract_line_id)
    .bind(po_id)
    .bind(po_line_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

/// Brings a known subscription up to what the distributor shows; whether
/// its status or terms changed. Drift: set (first seen now, or kept from
/// when this same difference was first seen) or cleared.
async fn update(tx: &mut Tx, row: &SubscriptionRow, r: &Reading, now: &str) -> Result<bool> {
    let status = SubscriptionStatus::from_distributor(&r.status);
    let changed = row.status != status.as_str()
        || row.distributor_status != r.status
        || row.billing_term != r.billing_term
        || row.commitment_term != r.commitment_term
        || row.commitment_end != r.commitment_end
        || row.distributor_updated_at != r.updated_at;
    let (drift_quantity, drift_seen_at) = if r.quantity == row.quantity {
        (None, None)
    } else if row.drift_quantity == Some(r.quantity) {
        (Some(r.quantity), row.drift_seen_at.clone())
    } else {
        (Some(r.quantity), Some(now.to_string()))
    };
    let drift_changed = drift_quantity != row.drift_quantity;
    sqlx::query(
        "UPDATE subscriptions SET status = $1, distributor_status = $2, billing_term = $3, commitment_term = $4, commitment_end = $5,
            distributor_updated_at = $6, drift_quantity = $7, drift_seen_at = $8, synced_at = $9,
            updated_at = CASE WHEN $10 = 1 THEN $9 ELSE updated_at END
         WHERE id = $11",
    )
    .bind(status.as_str())
    .bind(&r.status)
    .bind(&r.billing_term)
    .bind(&r.commitment_term)
    .bind(&r.commitment_end)
    .bind(&r.updated_at)
    .bind(drift_quantity)
    .bind(drift_seen_at)
    .bind(now)
    .bind(i64::from(changed || drift_changed))
    .bind(row.id)
    .execute(&mut **tx)
    .await?;
    Ok(changed)
}
