//! The dispatch engine: exactly one order at the distributor per dispatch.
//!
//! Pax8 honours no idempotency key, so the engine makes sending safe itself,
//! after Brandur Leach's idempotency keys: every step is an atomic phase in
//! the database with a recovery point.
//!
//! - `queued`: requested by a user; nothing sent.
//! - `submitting`: the intent to send is committed *before* the call. A
//!   worker that dies here leaves a lease that expires; whoever picks the
//!   dispatch up treats it as `reconciling`.
//! - `reconciling`: the outcome is unknown (timeout, reset, 5xx, lost reply,
//!   crash). After a grace period the engine lists the company's orders at
//!   the distributor since the intent and adopts the one that matches (same
//!   products and quantities, not adopted by another dispatch). Only when
//!   none is there does it send again.
//! - `submitted` → `provisioned`: subscriptions are followed until active;
//!   linked contract lines are activated.
//! - `failed`: a remediation entry says why; retry, edit and retry, abandon.
//!
//! Dispatches of one company are serialised: a company lock (a leased row)
//! is held while a step runs, and a queued dispatch waits while another of
//! its company has an unknown outcome, so an order found while reconciling
//! can only be that dispatch's.

use super::distributor::{DistError, Distributor, PlacedOrder};
use super::*;
use crate::purchase_orders::PoStatus;
use crate::store::{Backend, Tx};
use crate::users::User;
use crate::{clock, Error, Result, Store};
use chrono::Duration;
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;

/// Timing of the engine; tests shorten it.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a claimed step may run before others may take it over.
    pub lease: Duration,
    /// Wait after an unknown outcome before reading the distributor's orders.
    pub reconcile_grace: Duration,
    /// Between subscription polls.
    pub poll_every: Duration,
    /// After "nothing was sent" (unreachable).
    pub retry_after: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease: Duration::seconds(60),
            reconcile_grace: Duration::seconds(20),
            poll_every: Duration::seconds(15),
            retry_after: Duration::seconds(30),
        }
    }
}

pub struct Engine {
    pub store: Store,
    pub distributor: Arc<dyn Distributor>,
    /// This worker's name in leases (host and process).
    pub owner: String,
    pub timing: Timing,
}

struct Claimed {
    id: i64,
    po_id: i64,
    status: DispatchStatus,
    company_key: String,
    request: OrderRequest,
    intent_at: Option<String>,
    attempts: i64,
}

fn later(d: Duration) -> String {
    clock::from_now(d)
}

/// Timeline entries of procurement steps; the engine's own are signed by it.
async fn event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: &str, message: &str, data: serde_json::Value) -> Result<()> {
    crate::purchase_orders::timeline_event(tx, po_id, actor, "Procurement engine", kind, message, data).await
}

async fn set_status(tx: &mut Tx, dispatch_id: i64, po_id: i64, status: DispatchStatus) -> Result<()> {
    sqlx::query("UPDATE dispatches SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(clock::now())
        .bind(dispatch_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE purchase_orders SET procurement_status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(po_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Same products and quantities, in any order.
fn same_lines(order: &PlacedOrder, request: &OrderRequest) -> bool {
    let mut a: Vec<(String, i64)> = order.lines.iter().map(|(p, q, _)| (p.clone(), *q)).collect();
    let mut b: Vec<(String, i64)> = request.lines.iter().map(|l| (l.product_id.clone().unwrap_or_default(), l.quantity)).collect();
    a.sort();
    b.sort();
    a == b
}

impl Store {
    /// Requests the dispatch of an approved PO. Idempotent: a PO has at most
    /// one dispatch, and asking again returns it.
    pub async fn request_dispatch(&self, actor: &User, po_id: i64) -> Result<Dispatch> {
        let mut tx = self.begin_write().await?;
        let po = sqlx::query(&format!(
            "SELECT p.id, p.status, p.company_id, v.distributor, c.pax8_company_id FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id
             JOIN companies c ON c.id = p.company_id WHERE p.id = $1{}",
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
        let status = PoStatus::parse(&po.try_get::<String, _>("status")?).ok_or_else(Error::internal)?;
        if !status.is_committed() {
            return Err(Error::conflict(format!(
                "Only approved purchase orders are dispatched; this one is {}.",
                status.label().to_lowercase()
            )));
        }
        let distributor: Option<String> = po.try_get("distributor")?;
        let Some(distributor) = distributor.as_deref().and_then(crate::reference::Distributor::parse) else {
            return Err(Error::conflict(
                "This purchase order's vendor is not a distributor; there is nothing to dispatch.",
            ));
        };
        let pax8_company: Option<String> = po.try_get("pax8_company_id")?;
        let company_id: i64 = po.try_get("company_id")?;
        let rows = sqlx::query(
            "SELECT l.id, l.quantity, l.billing_term, l.commitment_term_id, l.provisioning_details, pr.distributor_product_id, pr.billing_term AS product_term, pr.commitment_term_id AS product_commitment
             FROM po_lines l LEFT JOIN products pr ON pr.id = l.product_id WHERE l.po_id = $1 ORDER BY l.line_no",
        )
        .bind(po_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut lines = Vec::new();
        for r in &rows {
            let details: String = r.try_get("provisioning_details")?;
            let details: Vec<crate::purchase_orders::ProvisioningDetail> = serde_json::from_str(&details).unwrap_or_default();
            let product: Option<String> = r.try_get("distributor_product_id")?;
            let term: Option<String> = r.try_get("billing_term")?;
            // Lines without anything for the distributor (a setup fee typed by hand) are not sent.
            if product.is_none() && term.is_none() {
                continue;
            }
            lines.push(OrderLine {
                po_line_id: r.try_get("id")?,
                product_id: product,
                quantity: r.try_get("quantity")?,
                billing_term: term.or(r.try_get("product_term")?),
                commitment_term_id: r.try_get::<Option<String>, _>("commitment_term_id")?.or(r.try_get("product_commitment")?),
                provisioning_details: details,
            });
        }
        let request = OrderRequest {
            company_id: pax8_company.clone(),
            lines,
        };
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
        .bind(serde_json::to_string(&request).unwrap_or_default())
        .bind(&now)
        .bind(actor.id)
        .fetch_one(&mut *tx)
        .await?;
        set_status(&mut tx, dispatch_id, po_id, initial).await?;
        let message = if initial == DispatchStatus::NotProvisionable {
            format!("Dispatch requested: {} is not provisionable; nothing was sent", distributor.label())
        } else {
            format!(
                "Dispatch to {} requested ({} line{})",
                distributor.label(),
                request.lines.len(),
                if request.lines.len() == 1 { "" } else { "s" }
            )
        };
        event(&mut tx, po_id, Some(actor), "dispatch_requested", &message, json!({"status": initial.as_str()})).await?;
        tx.commit().await?;
        self.get_dispatch(po_id).await
    }

    pub async fn get_dispatch(&self, po_id: i64) -> Result<Dispatch> {
        let r = sqlx::query("SELECT id, status, distributor, attempts, order_id, last_error, request, updated_at FROM dispatches WHERE po_id = $1")
            .bind(po_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("A dispatch of this purchase order"))?;
        let id: i64 = r.try_get("id")?;
        let subs =
            sqlx::query("SELECT po_line_id, subscription_id, product_id, quantity, status FROM dispatch_subscriptions WHERE dispatch_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        let rem =
            sqlx::query("SELECT id, po_id, status, message, problems, opened_at, resolution FROM remediations WHERE dispatch_id = $1 ORDER BY id DESC LIMIT 1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let request: String = r.try_get("request")?;
        Ok(Dispatch {
            po_id,
            status: DispatchStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(Error::internal)?,
            distributor: r.try_get("distributor")?,
            attempts: r.try_get("attempts")?,
            order_id: r.try_get("order_id")?,
            last_error: r.try_get("last_error")?,
            request: serde_json::from_str(&request).map_err(|_| Error::internal())?,
            subscriptions: subs
                .iter()
                .map(|s| {
                    Ok(Subscription {
                        po_line_id: s.try_get("po_line_id")?,
                        subscription_id: s.try_get("subscription_id")?,
                        product_id: s.try_get("product_id")?,
                        quantity: s.try_get("quantity")?,
                        status: s.try_get("status")?,
                    })
                })
                .collect::<Result<_>>()?,
            remediation: match rem {
                Some(m) => {
                    let problems: String = m.try_get("problems")?;
                    Some(Remediation {
                        id: m.try_get("id")?,
                        po_id: m.try_get("po_id")?,
                        status: m.try_get("status")?,
                        message: m.try_get("message")?,
                        problems: serde_json::from_str(&problems).unwrap_or_default(),
                        opened_at: m.try_get("opened_at")?,
                        resolution: m.try_get("resolution")?,
                    })
                }
                None => None,
            },
            updated_at: r.try_get("updated_at")?,
        })
    }

    /// Retry a failed dispatch, as it is or with edits (recorded).
    pub async fn retry_dispatch(&self, actor: &User, remediation_id: i64, edits: Option<&RetryEdits>) -> Result<Dispatch> {
        let mut tx = self.begin_write().await?;
        let (dispatch_id, po_id) = self.open_remediation(&mut tx, remediation_id).await?;
        let r = sqlx::query("SELECT request, company_key FROM dispatches WHERE id = $1")
            .bind(dispatch_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut request: OrderRequest = serde_json::from_str(&r.try_get::<String, _>("request")?).map_err(|_| Error::internal())?;
        let mut company_key: String = r.try_get("company_key")?;
        let changed = match edits {
            Some(e) => e.apply(&mut request)?,
            None => vec![],
        };
        if let Some(c) = edits.and_then(|e| e.pax8_company_id.as_deref()) {
            // The company's Pax8 link is fixed for good, not only for this order.
            sqlx::query("UPDATE companies SET pax8_company_id = $1 WHERE id = (SELECT company_id FROM purchase_orders WHERE id = $2)")
                .bind(c.trim())
                .bind(po_id)
                .execute(&mut *tx)
                .await?;
            company_key = c.trim().to_string();
        }
        let resolution = if changed.is_empty() {
            "retried as is".to_string()
        } else {
            format!("edited and retried: {}", changed.join("; "))
        };
        sqlx::query("UPDATE remediations SET status = 'retried', resolved_by = $1, resolved_at = $2, resolution = $3 WHERE id = $4")
            .bind(actor.id)
            .bind(clock::now())
            .bind(&resolution)
            .bind(remediation_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE dispatches SET request = $1, company_key = $2, next_run_at = $3, last_error = NULL WHERE id = $4")
            .bind(serde_json::to_string(&request).unwrap_or_default())
            .bind(company_key)
            .bind(clock::now())
            .bind(dispatch_id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, dispatch_id, po_id, DispatchStatus::Queued).await?;
        let kind = if changed.is_empty() { "dispatch_retried" } else { "dispatch_edited" };
        event(
            &mut tx,
            po_id,
            Some(actor),
            kind,
            &format!("Remediation: {resolution}"),
            json!({"remediation_id": remediation_id, "changes": changed}),
        )
        .await?;
        tx.commit().await?;
        self.get_dispatch(po_id).await
    }

    /// Abandon a failed dispatch, with a reason.
    pub async fn abandon_dispatch(&self, actor: &User, remediation_id: i64, reason: &str) -> Result<Remediation> {
        let reason = crate::purchase_orders::rules::reason("reason", Some(reason), true)?.unwrap_or_default();
        let mut tx = self.begin_write().await?;
        let (dispatch_id, po_id) = self.open_remediation(&mut tx, remediation_id).await?;
        sqlx::query("UPDATE remediations SET status = 'abandoned', resolved_by = $1, resolved_at = $2, resolution = $3 WHERE id = $4")
            .bind(actor.id)
            .bind(clock::now())
            .bind(format!("abandoned: {reason}"))
            .bind(remediation_id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, dispatch_id, po_id, DispatchStatus::Abandoned).await?;
        event(
            &mut tx,
            po_id,
            Some(actor),
            "dispatch_abandoned",
            &format!("Dispatch abandoned: {reason}"),
            json!({"remediation_id": remediation_id}),
        )
        .await?;
        tx.commit().await?;
        self.get_dispatch(po_id).await?.remediation.ok_or_else(Error::internal)
    }

    async fn open_remediation(&self, tx: &mut Tx, remediation_id: i64) -> Result<(i64, i64)> {
        let r = sqlx::query(&format!(
            "SELECT dispatch_id, po_id, status FROM remediations WHERE id = $1{}",
            self.for_update()
        ))
        .bind(remediation_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| Error::not_found("The remediation entry"))?;
        let status: String = r.try_get("status")?;
        if status != "open" {
            return Err(Error::conflict(format!("This remediation entry is already {status}.")));
        }
        Ok((r.try_get("dispatch_id")?, r.try_get("po_id")?))
    }

    /// The queue: approved POs of distributor vendors, with their dispatch state.
    pub async fn procurement_queue(&self, state: Option<DispatchStatus>) -> Result<Vec<QueueItem>> {
        let rows = sqlx::query(
            "SELECT p.id, p.number, c.name AS company, v.name AS vendor, v.distributor, COALESCE(d.status, 'ready') AS status,
                    (SELECT MAX(r.id) FROM remediations r WHERE r.dispatch_id = d.id AND r.status = 'open') AS remediation_id,
                    COALESCE(d.updated_at, p.updated_at) AS updated_at
             FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id
             LEFT JOIN dispatches d ON d.po_id = p.id
             WHERE v.distributor IS NOT NULL AND p.status IN ('approved', 'partially_received', 'received')
               AND ($1 = '' OR COALESCE(d.status, 'ready') = $1)
             ORDER BY p.id DESC LIMIT 500",
        )
        .bind(state.map(|s| s.as_str()).unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let status = DispatchStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(Error::internal)?;
            out.push(QueueItem {
                po_id: r.try_get("id")?,
                po_number: r.try_get("number")?,
                company: r.try_get("company")?,
                vendor: r.try_get("vendor")?,
                distributor: r.try_get("distributor")?,
                dispatch_status: status,
                remediation_id: r.try_get("remediation_id")?,
                updated_at: r.try_get("updated_at")?,
            });
        }
        Ok(out)
    }
}

impl Engine {
    /// Claims and runs one due step. `Ok(false)` when nothing was due.
    pub async fn run_once(&self) -> Result<bool> {
        let Some(c) = self.claim().await? else { return Ok(false) };
        let result = match c.status {
            DispatchStatus::Queued => self.send(&c).await,
            DispatchStatus::Submitting | DispatchStatus::Reconciling => self.reconcile(&c).await,
            DispatchStatus::Submitted => self.poll(&c).await,
            _ => Ok(()),
        };
        self.release(&c).await?;
        result.map(|_| true)
    }

    /// Runs due steps until none is left.
    pub async fn drain(&self) -> Result<usize> {
        let mut n = 0;
        while self.run_once().await? {
            n += 1;
        }
        Ok(n)
    }

    async fn claim(&self) -> Result<Option<Claimed>> {
        let now = clock::now();
        let mut tx = self.store.begin_write().await?;
        let skip_locked = if self.store.backend() == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        // Only steps that can run now: not a queued dispatch whose company has
        // an unknown outcome, nor one whose company another worker holds.
        // Filtering after the LIMIT instead let 20 such waiting dispatches
        // hide the very reconciliation they wait for, and stall the queue.
        let rows = sqlx::query(&format!(
            "SELECT d.id, d.po_id, d.status, d.company_key, d.request, d.intent_at, d.attempts FROM dispatches d
             WHERE d.status IN ('queued', 'submitting', 'reconciling', 'submitted') AND d.next_run_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
               AND NOT (d.status = 'queued' AND EXISTS (SELECT 1 FROM dispatches o WHERE o.company_key = d.company_key AND o.id <> d.id
                                                        AND o.status IN ('submitting', 'reconciling')))
               AND NOT EXISTS (SELECT 1 FROM company_locks l WHERE l.company_key = d.company_key AND l.lease_until >= $1 AND l.owner <> $2)
             ORDER BY d.next_run_at, d.id LIMIT 20{skip_locked}"
        ))
        .bind(&now)
        .bind(&self.owner)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let status = DispatchStatus::parse(&r.try_get::<String, _>("status")?).ok_or_else(Error::internal)?;
            let company_key: String = r.try_get("company_key")?;
            if status == DispatchStatus::Queued {
                // Wait while another dispatch of this company has an unknown outcome.
                let busy: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM dispatches WHERE company_key = $1 AND id <> $2 AND status IN ('submitting', 'reconciling')")
                        .bind(&company_key)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if busy > 0 {
                    continue;
                }
            }
            let got = sqlx::query(
                "INSERT INTO company_locks (company_key, owner, lease_until) VALUES ($1, $2, $3)
                 ON CONFLICT (company_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                 WHERE company_locks.lease_until < $4 OR company_locks.owner = excluded.owner",
            )
            .bind(&company_key)
            .bind(&self.owner)
            .bind(later(self.timing.lease))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if got.rows_affected() == 0 {
                continue;
            }
            sqlx::query("UPDATE dispatches SET lease_owner = $1, lease_until = $2 WHERE id = $3")
                .bind(&self.owner)
                .bind(later(self.timing.lease))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            let request: String = r.try_get("request")?;
            return Ok(Some(Claimed {
                id,
                po_id: r.try_get("po_id")?,
                status,
                company_key,
                request: serde_json::from_str(&request).map_err(|_| Error::internal())?,
                intent_at: r.try_get("intent_at")?,
                attempts: r.try_get("attempts")?,
            }));
        }
        tx.commit().await?;
        Ok(None)
    }

    async fn release(&self, c: &Claimed) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE dispatches SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2")
            .bind(c.id)
            .bind(&self.owner)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM company_locks WHERE company_key = $1 AND owner = $2")
            .bind(&c.company_key)
            .bind(&self.owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Preflight, record the intent, send, and record what came back.
    async fn send(&self, c: &Claimed) -> Result<()> {
        let problems = preflight(&c.request);
        if !problems.is_empty() {
            return self.fail(c, "Not sent: Pax8 would refuse this order", &problems).await;
        }
        let mut tx = self.store.begin_write().await?;
        let intent = clock::now();
        sqlx::query("UPDATE dispatches SET intent_at = $1, attempts = attempts + 1, next_run_at = $2 WHERE id = $3")
            .bind(&intent)
            .bind(later(self.timing.reconcile_grace))
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Submitting).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            "dispatch_sent",
            &format!("Order sent to {} (attempt {})", self.distributor.name(), c.attempts + 1),
            json!({"request": c.request}),
        )
        .await?;
        tx.commit().await?;

        match self.distributor.place_order(&c.request).await {
            Ok(order) => self.submitted(c, &order, "accepted").await,
            Err(e) => self.after_error(c, e).await,
        }
    }

    async fn after_error(&self, c: &Claimed, e: DistError) -> Result<()> {
        match e {
            DistError::Rejected { problems, .. } => self.fail(c, &format!("{} refused the order", self.distributor.name()), &problems).await,
            DistError::Unauthorized(m) => {
                self.fail(
                    c,
                    &m,
                    &[Problem {
                        field: "pax8_credentials".into(),
                        message: "Check the Pax8 client id and secret in Settings.".into(),
                    }],
                )
                .await
            }
            DistError::Unknown(m) => {
                let mut tx = self.store.begin_write().await?;
                sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
                    .bind(&m)
                    .bind(later(self.timing.reconcile_grace))
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
                event(
                    &mut tx,
                    c.po_id,
                    None,
                    "dispatch_unknown",
                    &format!(
                        "No clear answer from {} ({m}); will check its orders before sending again",
                        self.distributor.name()
                    ),
                    json!({}),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }
            DistError::Unreachable(m) => {
                // Nothing was sent: queue again after a pause.
                let mut tx = self.store.begin_write().await?;
                sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
                    .bind(&m)
                    .bind(later(self.timing.retry_after))
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                set_status(&mut tx, c.id, c.po_id, DispatchStatus::Queued).await?;
                event(
                    &mut tx,
                    c.po_id,
                    None,
                    "dispatch_deferred",
                    &format!("Not sent: {m}; trying again shortly"),
                    json!({}),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// An unknown outcome: adopt the order the distributor made, or send again.
    async fn reconcile(&self, c: &Claimed) -> Result<()> {
        let company = c.request.company_id.clone().unwrap_or_default();
        let since = c
            .intent_at
            .as_deref()
            .and_then(clock::parse)
            .map(|t| clock::format(t - Duration::seconds(120)))
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        if c.status == DispatchStatus::Submitting {
            let mut tx = self.store.begin_write().await?;
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
            event(
                &mut tx,
                c.po_id,
                None,
                "dispatch_recovering",
                "Picked up an interrupted dispatch; checking the distributor's orders",
                json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        let orders = match self.distributor.orders_since(&company, &since).await {
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
        candidates.sort_by(|a, b| a.created_at.cmp(&b.created_at));
        match candidates.first() {
            Some(order) => self.submitted(c, order, "found while reconciling").await,
            None => {
                let mut tx = self.store.begin_write().await?;
                event(
                    &mut tx,
                    c.po_id,
                    None,
                    "dispatch_reconciled",
                    "Reconciled: the distributor has no such order; sending again",
                    json!({}),
                )
                .await?;
                tx.commit().await?;
                self.send(c).await
            }
        }
    }

    async fn submitted(&self, c: &Claimed, order: &PlacedOrder, how: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE dispatches SET order_id = $1, last_error = NULL, next_run_at = $2 WHERE id = $3")
            .bind(&order.id)
            .bind(clock::now())
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM dispatch_subscriptions WHERE dispatch_id = $1")
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        // Order lines come back in the order sent; match by product and quantity when they do not.
        let mut remaining: Vec<&(String, i64, Option<String>)> = order.lines.iter().collect();
        for l in &c.request.lines {
            let pos = remaining
                .iter()
                .position(|(p, q, _)| Some(p) == l.product_id.as_ref() && *q == l.quantity)
                .unwrap_or(0);
            if remaining.is_empty() {
                break;
            }
            let (product, quantity, sub) = remaining.remove(pos);
            if let Some(sub) = sub {
                sqlx::query("INSERT INTO dispatch_subscriptions (dispatch_id, po_line_id, subscription_id, product_id, quantity, status, updated_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
                    .bind(c.id)
                    .bind(l.po_line_id)
                    .bind(sub)
                    .bind(product)
                    .bind(*quantity)
                    .bind(clock::now())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Submitted).await?;
        let subs: Vec<&str> = order.lines.iter().filter_map(|l| l.2.as_deref()).collect();
        event(
            &mut tx,
            c.po_id,
            None,
            "dispatch_submitted",
            &format!(
                "{} {how} order {}; subscriptions {} pending",
                self.distributor.name(),
                order.id,
                subs.join(", ")
            ),
            json!({"order_id": order.id, "subscriptions": subs}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Follows the subscriptions; when all are active, provisions and activates contract lines.
    async fn poll(&self, c: &Claimed) -> Result<()> {
        let subs = sqlx::query("SELECT id, po_line_id, subscription_id, status FROM dispatch_subscriptions WHERE dispatch_id = $1")
            .bind(c.id)
            .fetch_all(self.store.pool())
            .await?;
        let mut all_active = true;
        for s in &subs {
            let status: String = s.try_get("status")?;
            if status.eq_ignore_ascii_case("active") {
                continue;
            }
            let sub_id: String = s.try_get("subscription_id")?;
            match self.distributor.subscription(&sub_id).await {
                Ok(state) => {
                    self.store
                        .execute_write(
                            sqlx::query("UPDATE dispatch_subscriptions SET status = $1, updated_at = $2 WHERE id = $3")
                                .bind(&state.status)
                                .bind(clock::now())
                                .bind(s.try_get::<i64, _>("id")?),
                        )
                        .await?;
                    all_active &= state.active();
                }
                Err(_) => all_active = false,
            }
        }
        let mut tx = self.store.begin_write().await?;
        if !all_active {
            sqlx::query("UPDATE dispatches SET next_run_at = $1 WHERE id = $2")
                .bind(later(self.timing.poll_every))
                .bind(c.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        let now = clock::now();
        let activations = sqlx::query(
            "SELECT l.contract_line_id, s.subscription_id FROM dispatch_subscriptions s JOIN po_lines l ON l.id = s.po_line_id WHERE s.dispatch_id = $1 AND l.contract_line_id IS NOT NULL",
        )
        .bind(c.id)
        .fetch_all(&mut *tx)
        .await?;
        for a in &activations {
            let line: i64 = a.try_get("contract_line_id")?;
            let sub: String = a.try_get("subscription_id")?;
            sqlx::query("UPDATE contract_lines SET status = 'active', activated_at = $1, subscription_id = $2 WHERE id = $3 AND status <> 'active'")
                .bind(&now)
                .bind(&sub)
                .bind(line)
                .execute(&mut *tx)
                .await?;
            event(
                &mut tx,
                c.po_id,
                None,
                "contract_line_activated",
                &format!("Contract line {line} activated (subscription {sub})"),
                json!({"contract_line_id": line, "subscription_id": sub}),
            )
            .await?;
        }
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Provisioned).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            "dispatch_provisioned",
            &format!("Provisioned: {} subscription{} active", subs.len(), if subs.len() == 1 { "" } else { "s" }),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fail(&self, c: &Claimed, message: &str, problems: &[Problem]) -> Result<()> {
        let full = format!("{message}. {}", in_words(problems));
        let mut tx = self.store.begin_write().await?;
        sqlx::query("UPDATE dispatches SET last_error = $1 WHERE id = $2")
            .bind(&full)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO remediations (dispatch_id, po_id, status, message, problems, opened_at) VALUES ($1, $2, 'open', $3, $4, $5)")
            .bind(c.id)
            .bind(c.po_id)
            .bind(&full)
            .bind(serde_json::to_string(problems).unwrap_or_else(|_| "[]".into()))
            .bind(clock::now())
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Failed).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            "dispatch_failed",
            &format!("Dispatch failed: {full}"),
            json!({"problems": problems}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
