//! What the engine does with an outcome: reconcile an unknown one against
//! the distributor's own orders, record a submitted order and its
//! subscriptions, or fail with a remediation entry.

use super::distributor::PlacedOrder;
use super::engine::{event, later, set_status, Claimed, Engine};
use super::*;
use crate::purchase_orders::EventKind;
use crate::store::Tx;
use crate::{clock, Result};
use chrono::Duration;
use serde_json::json;

/// Same products and quantities, in any order.
fn same_lines(order: &PlacedOrder, request: &OrderRequest) -> bool {
    let mut a: Vec<(String, i64)> = order.lines.iter().map(|l| (l.product_id.clone(), l.quantity)).collect();
    let mut b: Vec<(String, i64)> = request.lines.iter().map(|l| (l.product_id.clone().unwrap_or_default(), l.quantity)).collect();
    a.sort();
    b.sort();
    a == b
}

impl Engine {
    /// An unknown outcome: adopt the order the distributor made, or send again.
    pub(super) async fn reconcile(&self, c: &Claimed) -> Result<()> {
        let company = c.request.company_id.clone().unwrap_or_default();
        // Pax8 dates orders by day: a day of slack for time zones.
        let since = c
            .intent_at
            .as_deref()
            .and_then(clock::parse)
            .map(|t| (t - Duration::days(1)).date_naive())
            .unwrap_or(chrono::NaiveDate::MIN);
        if c.status == DispatchStatus::Submitting {
            let mut tx = self.store.begin_write().await?;
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
            event(
                &mut tx,
                c.po_id,
                None,
                EventKind::DispatchRecovering,
                "Picked up an interrupted dispatch; checking the distributor's orders",
                json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        let orders = match self.distributor.new_orders(&company, c.census.as_ref(), since).await {
            Ok(o) => o,
            Err(e) => {
                let mut tx = self.store.begin_write().await?;
                sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
                    .bind(e.to_string())
                    .bind(later(self.timing.reconcile_grace))
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(());
            }
        };
        let adopted: Vec<String> = sqlx::query_scalar("SELECT order_id FROM dispatches WHERE order_id IS NOT NULL AND company_key = $1")
            .bind(&c.company_key)
            .fetch_all(self.store.pool())
            .await?;
        let mut candidates: Vec<&PlacedOrder> = orders.iter().filter(|o| !adopted.contains(&o.id) && same_lines(o, &c.request)).collect();
        candidates.sort_by(|a, b| (a.created_on, &a.id).cmp(&(b.created_on, &b.id)));
        match candidates.first() {
            Some(order) => self.submitted(c, order, "found while reconciling").await,
            None => {
                let mut tx = self.store.begin_write().await?;
                event(
                    &mut tx,
                    c.po_id,
                    None,
                    EventKind::DispatchReconciled,
                    "Reconciled: the distributor has no such order; sending again",
                    json!({}),
                )
                .await?;
                tx.commit().await?;
                self.send(c, false).await
            }
        }
    }

    /// The order is at the distributor: record it and the subscriptions it
    /// names so far (Pax8 may name them later; the poll reads the order again).
    pub(super) async fn submitted(&self, c: &Claimed, order: &PlacedOrder, how: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE dispatches SET order_id = $1, last_error = NULL, next_run_at = $2, submitted_at = $2, polls = 0 WHERE id = $3")
            .bind(&order.id)
            .bind(clock::now())
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM dispatch_subscriptions WHERE dispatch_id = $1")
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        let subs = self.record_subscriptions(&mut tx, c, order, &[]).await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Submitted).await?;
        let named = if subs.is_empty() {
            "no subscriptions named yet".to_string()
        } else {
            format!("subscriptions {} pending", subs.join(", "))
        };
        event(
            &mut tx,
            c.po_id,
            None,
            EventKind::DispatchSubmitted,
            &format!("{} {how} order {}; {named}", self.distributor.name(), order.id),
            json!({"order_id": order.id, "subscriptions": subs}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the subscription of each request line that has none yet,
    /// matching the order's lines by product and quantity (in the order
    /// sent when they repeat). Returns the subscription ids recorded.
    pub(super) async fn record_subscriptions(&self, tx: &mut Tx, c: &Claimed, order: &PlacedOrder, known: &[i64]) -> Result<Vec<String>> {
        let mut remaining: Vec<&distributor::PlacedLine> = order.lines.iter().collect();
        let mut recorded = Vec::new();
        for l in &c.request.lines {
            let pos = remaining
                .iter()
                .position(|p| Some(&p.product_id) == l.product_id.as_ref() && p.quantity == l.quantity)
                .or_else(|| (!remaining.is_empty()).then_some(0));
            let Some(pos) = pos else { break };
            let line = remaining.remove(pos);
            if known.contains(&l.po_line_id) {
                continue;
            }
            if let Some(sub) = &line.subscription_id {
                sqlx::query("INSERT INTO dispatch_subscriptions (dispatch_id, po_line_id, subscription_id, product_id, quantity, status, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
                    .bind(c.id)
                    .bind(l.po_line_id)
                    .bind(sub)
                    .bind(&line.product_id)
                    .bind(line.quantity)
                    .bind(clock::now())
                    .execute(&mut **tx)
                    .await?;
                recorded.push(sub.clone());
            }
        }
        Ok(recorded)
    }

    /// Opens a remediation entry; `failed` unless the order exists and is
    /// only waiting (then the dispatch stays `submitted` and is still followed).
    pub(super) async fn fail(&self, c: &Claimed, reason: RemediationReason, message: &str, problems: &[Problem]) -> Result<()> {
        let full = format!("{message}. {}", in_words(problems));
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE dispatches SET last_error = $1 WHERE id = $2")
            .bind(&full)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO remediations (dispatch_id, po_id, status, message, problems, opened_at, reason) VALUES ($1, $2, 'open', $3, $4, $5, $6)")
            .bind(c.id)
            .bind(c.po_id)
            .bind(&full)
            .bind(serde_json::to_string(problems).unwrap_or_else(|_| "[]".into()))
            .bind(clock::now())
            .bind(reason.as_str())
            .execute(&mut *tx)
            .await?;
        if !reason.order_exists_waiting() {
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Failed).await?;
        }
        event(
            &mut tx,
            c.po_id,
            None,
            if reason.order_exists_waiting() {
                EventKind::DispatchNeedsAttention
            } else {
                EventKind::DispatchFailed
            },
            &format!("{}: {full}", reason.label()),
            json!({"problems": problems, "reason": reason.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
