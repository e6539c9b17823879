//! Asking for a dispatch: what would be sent, a check with the
//! distributor, and the request itself (retry and abandon:
//! `remediation.rs`; reading dispatches: `dispatch_queries.rs`). The worker
//! that carries a dispatch out is in `engine.rs`.

use super::engine::{event, set_status};
use super::*;
use crate::purchase_orders::snapshot::Snapshot;
use crate::purchase_orders::EventKind;
use crate::purchase_orders::PoStatus;
use crate::store::from_json;
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use serde_json::json;
use sqlx::Row;

/// The snapshot of what PO `po_id` orders, fixed at its submission. A PO
/// submitted before snapshots were kept gets one now (`keep`: stored, and
/// said on the timeline).
pub(super) async fn approved_snapshot(tx: &mut Tx, actor: Option<&User>, po_id: i64, keep: bool) -> Result<Snapshot> {
    let stored: Option<Option<String>> = sqlx::query_scalar("SELECT snapshot FROM purchase_orders WHERE id = $1")
        .bind(po_id)
        .fetch_optional(&mut **tx)
        .await?;
    match stored.ok_or_else(|| Error::not_found("The purchase order"))? {
        Some(j) => from_json(&j, "PO snapshot"),
        None => {
            let (s, _) = Store::take_snapshot(tx, po_id).await?;
            if keep {
                Store::keep_snapshot(tx, po_id, &s).await?;
                event(
                    tx,
                    po_id,
                    actor,
                    EventKind::SnapshotTaken,
                    "Submitted before snapshots were kept: what it orders was fixed now, at the dispatch request",
                    json!({}),
                )
                .await?;
            }
            Ok(s)
        }
    }
}

/// "Check with Pax8" for a change order: each change against the
/// subscription as Pax8 shows it now (as approved? allowed by its
/// commitment's rules?). The refusals, and warnings in words (a
/// cancellation fee, the cancel date Pax8 will be sent).
async fn check_changes(distributor: &dyn distributor::Distributor, order: &OrderRequest) -> Result<(Vec<Problem>, String)> {
    use super::change_rules::preflight;
    let unreachable = |e: distributor::DistError| Error::new(crate::ErrorCode::Upstream, format!("{} could not be asked: {e}", distributor.name()));
    let (mut problems, mut notes) = (Vec::new(), String::new());
    for line in &order.changes {
        let state = distributor.subscription(&line.change.distributor_subscription_id).await.map_err(unreachable)?;
        problems.extend(super::engine_changes::differences(line, &state));
        let rules = distributor.commitment_rules(&state.product_id).await.map_err(unreachable)?;
        let mut checked = preflight(&state, &rules, &super::engine_changes::seat_change(line), &clock::now(), false);
        if let (Some(until), 1) = (&checked.hold_until, checked.problems.len()) {
            // Not a refusal: the engine holds the change for the renewal.
            notes.push_str(&format!(
                "; fewer seats of {} wait for the commitment to renew on {}: the change is held and sent in the days after",
                line.change.product_name,
                until.get(..10).unwrap_or(until)
            ));
            checked.problems.clear();
        }
        problems.extend(checked.problems.into_iter().map(|p| p.on_line(line.po_line_id)));
        if checked.cancellation_fee {
            notes.push_str(&format!("; {} charges a cancellation fee for {}", distributor.name(), line.change.product_name));
        }
        if let (None, Some(d)) = (line.change.to_quantity, &checked.cancel_date) {
            notes.push_str(&format!("; {} would be cancelled on {}", line.change.product_name, d.get(..10).unwrap_or(d)));
        }
    }
    Ok((problems, notes))
}

impl Store {
    /// What would be sent for this PO: its dispatch's order, or the PO's lines
    /// as they stand when it has none yet.
    pub async fn order_to_send(&self, po_id: i64) -> Result<OrderRequest> {
        let mut tx = self.begin_write().await?;
        let dispatched: Option<String> = sqlx::query_scalar("SELECT request FROM dispatches WHERE po_id = $1")
            .bind(po_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(r) = dispatched {
            tx.commit().await?;
            return crate::store::from_json(&r, "a dispatch's request");
        }
        let snapshot = approved_snapshot(&mut tx, None, po_id, false).await?;
        tx.commit().await?;
        Ok(order_from(&snapshot))
    }

    /// "Check with Pax8": our own rules, the company's status at the
    /// distributor and the distributor's validation (Pax8: `isMock`),
    /// without placing anything or counting an attempt. The problems,
    /// empty when the distributor would take the order; on the timeline.
    pub async fn check_with_distributor(&self, actor: &User, distributor: &dyn distributor::Distributor, po_id: i64) -> Result<Vec<Problem>> {
        use distributor::DistError;
        let order = self.order_to_send(po_id).await?;
        let mut problems = preflight(&order);
        let mut notes = String::new();
        if problems.is_empty() && order.is_change() {
            (problems, notes) = check_changes(distributor, &order).await?;
        } else if problems.is_empty() {
            let company = order.company_id.clone().unwrap_or_default();
            let unreachable = |e: DistError| Error::new(crate::ErrorCode::Upstream, format!("{} could not be asked: {e}", distributor.name()));
            match distributor::company_problem(distributor, &company).await {
                Ok(None) => match distributor.validate_order(&order).await {
                    Ok(()) => {}
                    Err(DistError::Rejected { problems: p, .. }) => problems = p,
                    Err(e) => return Err(unreachable(e)),
                },
                Ok(Some((problem, _))) => problems.push(problem),
                Err(e) => return Err(unreachable(e)),
            }
        }
        let what = if order.is_change() { "change" } else { "order" };
        let message = if problems.is_empty() {
            format!("Checked with {}: the {what} would be accepted{notes}", distributor.name())
        } else {
            format!("Checked with {}: {}{notes}", distributor.name(), in_words(&problems))
        };
        let mut tx = self.begin_write().await?;
        event(&mut tx, po_id, Some(actor), EventKind::DispatchChecked, &message, json!({"problems": problems})).await?;
        tx.commit().await?;
        Ok(problems)
    }

    /// Requests the dispatch of an approved PO: what its approval fixed (the
    /// snapshot), never the catalog as it is now. Idempotent: a PO has at
    /// most one dispatch, and asking again returns it.
    pub async fn request_dispatch(&self, actor: &User, po_id: i64) -> Result<Dispatch> {
        self.may(actor, po_id, crate::purchase_orders::rules::Action::Dispatch).await?;
        let mut tx = self.begin_write().await?;
        let po = sqlx::query(&format!(
            "SELECT p.id, p.status, p.company_id, v.distributor FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id WHERE p.id = $1{}",
            self.for_update()
        ))
        .bind(po_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| Error::not_found("The purchase order"))?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM dispatches WHERE po_id = $1")
            .bind(po_id)
            .fetch_optional(&mut *tx)
            .await?;
        if existing.is_some() {
            tx.commit().await?;
            return self.get_dispatch(po_id).await;
        }
        let status = PoStatus::from_stored(&po.try_get::<String, _>("status")?)?;
        if !status.is_committed() {
            return Err(Error::conflict(format!(
                "Only approved purchase orders are dispatched; this one is {}.",
                status.label().to_lowercase()
            )));
        }
        let distributor: Option<String> = po.try_get("distributor")?;
        let Some(distributor) = distributor.as_deref().map(crate::catalog::Distributor::from_stored).transpose()? else {
            return Err(Error::conflict(
                "This purchase order's vendor is not a distributor; there is nothing to dispatch.",
            ));
        };
        let company_id: i64 = po.try_get("company_id")?;
        let request = order_from(&approved_snapshot(&mut tx, Some(actor), po_id, true).await?);
        let pax8_company = request.company_id.clone();
        let initial = if provisionable(distributor) {
            DispatchStatus::Queued
        } else {
            DispatchStatus::NotProvisionable
        };
        let now = clock::now();
        let dispatch_id: i64 = sqlx::query_scalar(
            "INSERT INTO dispatches (po_id, status, distributor, company_key, request, next_run_at, requested_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6) RETURNING id",
        )
        .bind(po_id)
        .bind(initial.as_str())
        .bind(distributor.as_str())
        .bind(pax8_company.unwrap_or_else(|| format!("company:{company_id}")))
        .bind(serde_json::to_string(&request).map_err(|e| Error::internal_from("writing a dispatch's request", e))?)
        .bind(&now)
        .bind(actor.id)
        .fetch_one(&mut *tx)
        .await?;
        set_status(&mut tx, dispatch_id, po_id, initial).await?;
        let message = if initial == DispatchStatus::NotProvisionable {
            format!("Dispatch requested: {} is not provisionable; nothing was sent", distributor.label())
        } else {
            let (n, what) = match request.is_change() {
                true => (request.changes.len(), "change"),
                false => (request.lines.len(), "line"),
            };
            format!("Dispatch to {} requested ({n} {what}{})", distributor.label(), if n == 1 { "" } else { "s" })
        };
        event(
            &mut tx,
            po_id,
            Some(actor),
            EventKind::DispatchRequested,
            &message,
            json!({"status": initial.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.get_dispatch(po_id).await
    }
}
