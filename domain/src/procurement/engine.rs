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
//!   Before the first send the company must be `Active` at Pax8 and, with
//!   the `pax8_preflight` setting, Pax8 validates the order (`isMock`);
//!   a refusal there opens remediation with nothing sent and no attempt
//!   counted. With the intent the engine records a census of the
//!   company's orders at Pax8 (their count and the ids at both ends).
//! - `reconciling`: the outcome is unknown (timeout, reset, 408, 5xx, lost
//!   reply, crash). After a grace period the engine reads the company's
//!   orders that were not in the census (a page or two wherever Pax8 puts
//!   new orders; every page only when they are not at either end), made
//!   since the day before the intent (Pax8 dates orders by day), and
//!   adopts the one that matches (same products and quantities, not
//!   adopted by another dispatch). Only when none is there does it send
//!   again.
//! - `submitted` → `provisioned`: the order is read again until every line
//!   has a subscription, and subscriptions are followed (backing off) until
//!   provisioned; linked contract lines are activated. See `engine_poll.rs`.
//! - `failed`: a remediation entry says why; retry, edit and retry, abandon.
//!
//! Dispatches of one company are serialised: a company lock (a leased row)
//! is held while a step runs, and a queued dispatch waits while another of
//! its company has an unknown outcome, so an order found while reconciling
//! can only be that dispatch's.

use super::distributor::{DistError, Distributor, OrderCensus};
use super::*;
use crate::purchase_orders::EventKind;
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
    /// The longest wait between polls of a pending subscription (the wait
    /// doubles from `poll_every` up to this).
    pub poll_max: Duration,
    /// A subscription pending longer than this opens a remediation entry.
    pub pending_limit: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease: Duration::seconds(60),
            reconcile_grace: Duration::seconds(20),
            poll_every: Duration::seconds(15),
            retry_after: Duration::seconds(30),
            poll_max: Duration::minutes(15),
            pending_limit: Duration::hours(24),
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

pub(super) struct Claimed {
    pub id: i64,
    pub po_id: i64,
    pub status: DispatchStatus,
    pub company_key: String,
    pub request: OrderRequest,
    pub intent_at: Option<String>,
    pub attempts: i64,
    pub census: Option<OrderCensus>,
    pub order_id: Option<String>,
    pub submitted_at: Option<String>,
    pub polls: i64,
}

pub(super) fn later(d: Duration) -> String {
    clock::from_now(d)
}

/// Timeline entries of procurement steps; the engine's own are signed by it.
pub(super) async fn event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: EventKind, message: &str, data: serde_json::Value) -> Result<()> {
    crate::purchase_orders::timeline_event(tx, po_id, actor, "Procurement engine", kind, message, data).await
}

pub(super) async fn set_status(tx: &mut Tx, dispatch_id: i64, po_id: i64, status: DispatchStatus) -> Result<()> {
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

impl Engine {
    /// Claims and runs one due step. `Ok(false)` when nothing was due.
    pub async fn run_once(&self) -> Result<bool> {
        let Some(c) = self.claim().await? else { return Ok(false) };
        let result = match c.status {
            DispatchStatus::Queued => self.send(&c, true).await,
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
            "SELECT d.id, d.po_id, d.status, d.company_key, d.request, d.intent_at, d.attempts, d.census, d.order_id, d.submitted_at, d.polls
             FROM dispatches d
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
            let census: Option<String> = r.try_get("census")?;
            return Ok(Some(Claimed {
                id,
                po_id: r.try_get("po_id")?,
                status,
                company_key,
                request: serde_json::from_str(&request).map_err(|_| Error::internal())?,
                intent_at: r.try_get("intent_at")?,
                attempts: r.try_get("attempts")?,
                // A census that cannot be read is no census: every page is read instead.
                census: census.map(|c| crate::store::from_json(&c, "order census")).transpose()?,
                order_id: r.try_get("order_id")?,
                submitted_at: r.try_get("submitted_at")?,
                polls: r.try_get("polls")?,
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

    /// Checks what Pax8 would refuse before anything is sent: our own
    /// rules, the company's status at Pax8, and (with the `pax8_preflight`
    /// setting) Pax8's own validation. `Ok(false)`: not sent, and the
    /// dispatch says why (remediation, or deferred).
    async fn preflight(&self, c: &Claimed) -> Result<bool> {
        let problems = preflight(&c.request);
        if !problems.is_empty() {
            self.fail(c, RemediationReason::Preflight, "Not sent: Pax8 would refuse this order", &problems)
                .await?;
            return Ok(false);
        }
        let company = c.request.company_id.clone().unwrap_or_default();
        match distributor::company_problem(self.distributor.as_ref(), &company).await {
            Ok(None) => {}
            Ok(Some((problem, why))) => {
                self.fail(c, RemediationReason::CompanyInactive, &format!("Not sent: {why}"), &[problem])
                    .await?;
                return Ok(false);
            }
            Err(e) => {
                self.after_error(c, e).await?;
                return Ok(false);
            }
        }
        if self.store.settings().await?.pax8_preflight {
            match self.distributor.validate_order(&c.request).await {
                Ok(()) => {}
                Err(DistError::Rejected { problems, .. }) => {
                    self.fail(
                        c,
                        RemediationReason::Preflight,
                        &format!("Not sent: {} would refuse this order", self.distributor.name()),
                        &problems,
                    )
                    .await?;
                    return Ok(false);
                }
                Err(e) => {
                    self.after_error(c, e).await?;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Preflight (when asked), take the census, record the intent, send,
    /// and record what came back.
    pub(super) async fn send(&self, c: &Claimed, check: bool) -> Result<()> {
        if check && !self.preflight(c).await? {
            return Ok(());
        }
        let company = c.request.company_id.clone().unwrap_or_default();
        let census = match self.distributor.order_census(&company).await {
            Ok(census) => census,
            Err(e) => return self.after_error(c, e).await,
        };
        let mut tx = self.store.begin_write().await?;
        let intent = clock::now();
        sqlx::query("UPDATE dispatches SET intent_at = $1, attempts = attempts + 1, next_run_at = $2, census = $3 WHERE id = $4")
            .bind(&intent)
            .bind(later(self.timing.reconcile_grace))
            .bind(serde_json::to_string(&census).map_err(|_| Error::internal())?)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Submitting).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            EventKind::DispatchSent,
            &format!("Order sent to {} (attempt {})", self.distributor.name(), c.attempts + 1),
            json!({"request": c.request, "orders_before": census.total}),
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
            DistError::Rejected { problems, .. } => {
                self.fail(
                    c,
                    RemediationReason::Refused,
                    &format!("{} refused the order", self.distributor.name()),
                    &problems,
                )
                .await
            }
            DistError::Unauthorized(m) => {
                let problem = Problem::new("pax8_credentials", "Check the Pax8 client id and secret in Settings.");
                self.fail(c, RemediationReason::Refused, &m, &[problem]).await
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
                    EventKind::DispatchUnknown,
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
                    EventKind::DispatchDeferred,
                    &format!("Not sent: {m}; trying again shortly"),
                    json!({}),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }
}
