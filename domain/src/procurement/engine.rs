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
//!   A send that followed an unclear outcome is checked once more when the
//!   earlier attempt can no longer land (`audit_at`, a late-order check),
//!   provisioned or not: an order found then is a second order.
//! - `failed`: a remediation entry says why; retry, edit and retry, abandon.
//!
//! Dispatches of one company are serialised: a company lock (a leased row)
//! is held while a step runs, and a queued dispatch (or a late-order check)
//! waits while another of its company has an unknown outcome, so an order
//! found while reconciling can only be that dispatch's.

use super::distributor::{DistError, Distributor, OrderCensus};
use super::rows::ClaimRow;
use super::*;
use crate::purchase_orders::EventKind;
use crate::store::leases::{is_lease_lost, Fence, Lease, Leased, Renewal};
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;

/// Timing of the engine; tests shorten it.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long a claim holds without renewal before others may take it over.
    pub lease: Duration,
    /// How often a holder renews its lease while a step's calls run (well
    /// inside `lease`, so that one late renewal does not lose it).
    pub renew_every: Duration,
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
    /// After a commitment renews, how long a change held for the renewal
    /// may still be sent (Microsoft's window: 7 days).
    pub renewal_window: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            lease: Duration::seconds(60),
            renew_every: Duration::seconds(20),
            reconcile_grace: Duration::seconds(20),
            poll_every: Duration::seconds(15),
            retry_after: Duration::seconds(30),
            poll_max: Duration::minutes(15),
            pending_limit: Duration::hours(24),
            renewal_window: Duration::days(7),
        }
    }
}

impl Timing {
    /// Why these settings cannot hold a lease, naming the setting to
    /// change; `None` when they add up.
    pub fn problem(&self) -> Option<String> {
        if self.lease < Duration::seconds(1) {
            return Some("NEXOS_DISPATCH_LEASE_SECONDS must be at least 1".into());
        }
        if self.renew_every <= Duration::zero() {
            return Some("NEXOS_DISPATCH_LEASE_RENEW_SECONDS must be more than 0".into());
        }
        if self.renew_every * 2 > self.lease {
            return Some(format!(
                "NEXOS_DISPATCH_LEASE_RENEW_SECONDS ({} s) must be at most half of NEXOS_DISPATCH_LEASE_SECONDS ({} s), so that one late renewal does not lose the lease",
                self.renew_every.num_milliseconds() as f64 / 1000.0,
                self.lease.num_milliseconds() as f64 / 1000.0
            ));
        }
        if self.reconcile_grace < Duration::zero() {
            return Some("NEXOS_RECONCILE_GRACE_SECONDS must not be negative".into());
        }
        None
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
    pub po_number: String,
    pub status: DispatchStatus,
    pub company_key: String,
    pub request: OrderRequest,
    pub intent_at: Option<String>,
    pub attempts: i64,
    pub census: Option<OrderCensus>,
    pub order_id: Option<String>,
    pub submitted_at: Option<String>,
    pub polls: i64,
    pub audit_at: Option<String>,
    /// A change order's lines the distributor has confirmed (sent in order).
    pub changes_done: i64,
    /// A change held for its commitment's renewal: the end it waits for.
    pub held_until: Option<String>,
    /// The claim's fence: every write of the step checks it.
    pub fence: Fence,
    /// The per-company lock, renewed with the claim.
    pub company: Lease,
    /// The holder whose lease expired without being given back: the step
    /// is taken over, and its outcome is unclear.
    pub taken_over_from: Option<String>,
}

pub(super) fn later(d: Duration) -> String {
    clock::from_now(d)
}

/// Another dispatch of the company with an unknown outcome: an order of it
/// may be at the distributor and not recorded yet. While one exists no
/// other dispatch of the company sends, and no late-order check of the
/// company reads (see `engine_poll.rs`), so an order found by either can
/// only be its own. A send whose late-order check is still to come holds
/// nothing: every order of the company but its earlier attempt's is
/// recorded by then, so the check cannot mistake another's for it.
pub(super) fn unsettled(company_key: &str, id: &str) -> String {
    use DispatchStatus::{Reconciling, Submitting};
    format!(
        "SELECT 1 FROM dispatches o WHERE o.company_key = {company_key} AND o.id <> {id} AND o.status IN ({unknown}) LIMIT 1",
        unknown = DispatchStatus::sql_list(|s| matches!(s, Submitting | Reconciling)),
    )
}

/// The name of a company's dispatch lock among the named leases.
fn company_lease(company_key: &str) -> String {
    format!("company:{company_key}")
}

/// Timeline entries of procurement steps; the engine's own are signed by it.
pub(super) async fn event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: EventKind, message: &str, data: serde_json::Value) -> Result<()> {
    crate::purchase_orders::timeline_event(tx, po_id, actor, "Procurement engine", kind, message, data).await
}

/// The dispatch's next step is due at `at`.
pub(super) async fn due_at(tx: &mut Tx, dispatch_id: i64, at: &str) -> Result<()> {
    sqlx::query("UPDATE dispatches SET next_run_at = $1 WHERE id = $2")
        .bind(at)
        .bind(dispatch_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(super) async fn set_status(tx: &mut Tx, dispatch_id: i64, po_id: i64, status: DispatchStatus) -> Result<()> {
    sqlx::query("UPDATE dispatches SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(clock::now())
        .bind(dispatch_id)
        .execute(&mut **tx)
        .await?;
    crate::purchase_orders::writes::set_procurement_status(tx, po_id, status).await
}

impl Engine {
    /// Claims and runs one due step. `Ok(false)` when nothing was due. The
    /// lease is renewed while the step runs; a step whose lease another
    /// worker took over stops at its next write, which changes nothing.
    pub async fn run_once(&self) -> Result<bool> {
        let Some(c) = self.claim().await? else { return Ok(false) };
        let renewal = Renewal::start(
            &self.store,
            c.fence.clone(),
            vec![c.company.clone()],
            self.timing.lease,
            self.timing.renew_every.to_std().unwrap_or(std::time::Duration::from_secs(1)),
        );
        let result = match c.status {
            _ if c.request.is_change() => self.run_change(&c).await,
            DispatchStatus::Queued => self.send(&c, true).await,
            DispatchStatus::Submitting | DispatchStatus::Reconciling => self.reconcile(&c).await,
            DispatchStatus::Submitted => self.poll(&c).await,
            DispatchStatus::Provisioned => self.late_check(&c).await,
            _ => Ok(()),
        };
        drop(renewal);
        self.release(&c).await?;
        match result {
            // Logged where the write was refused; another worker has it.
            Err(e) if is_lease_lost(&e) => Ok(true),
            r => r.map(|_| true),
        }
    }

    /// Runs due steps until none is left.
    pub async fn drain(&self) -> Result<usize> {
        let mut n = 0;
        while self.run_once().await? {
            n += 1;
        }
        Ok(n)
    }

    /// Begins a write of the claimed step, holding its fence: refused (and
    /// logged) once another worker has claimed the dispatch since.
    pub(super) async fn write(&self, c: &Claimed) -> Result<Tx> {
        let mut tx = self.store.begin_write().await?;
        match self.store.hold(&mut tx, &c.fence, self.timing.lease).await {
            Ok(()) => Ok(tx),
            Err(e) => {
                if is_lease_lost(&e) {
                    tracing::warn!(po = %c.po_number, dispatch = c.id, owner = %self.owner, token = c.fence.token,
                        "refused a stale write: another worker took this dispatch over; this one stops");
                }
                Err(e)
            }
        }
    }

    pub(super) async fn claim(&self) -> Result<Option<Claimed>> {
        let now = clock::now();
        let mut tx = self.store.begin_write().await?;
        // Only steps that can run now (a provisioned dispatch only for its
        // late-order check): not a queued dispatch or a late-order check
        // whose company has an unknown outcome, nor one whose company
        // another worker holds.
        // Filtering after the LIMIT instead let 20 such waiting dispatches
        // hide the very reconciliation they wait for, and stall the queue.
        let rows = sqlx::query_as::<_, ClaimRow>(&format!(
            "SELECT d.id, d.po_id, d.status, d.company_key, d.request, d.intent_at, d.attempts, d.census, d.order_id, d.submitted_at, d.polls,
                    d.audit_at, d.changes_done, d.held_until, d.lease_owner, (SELECT p.number FROM purchase_orders p WHERE p.id = d.po_id) AS po_number
             FROM dispatches d
             WHERE (d.status IN ({in_flight}) OR d.status = '{held}' OR (d.status = '{provisioned}' AND d.audit_at IS NOT NULL))
               AND d.next_run_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
               AND NOT (d.status IN ('{queued}', '{provisioned}') AND EXISTS ({unsettled}))
               AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'company:' || d.company_key AND l.lease_until >= $1 AND l.owner <> $2)
             ORDER BY d.next_run_at, d.id LIMIT 20{}",
            self.store.skip_locked(),
            in_flight = DispatchStatus::sql_list(DispatchStatus::in_flight),
            queued = DispatchStatus::Queued.as_str(),
            provisioned = DispatchStatus::Provisioned.as_str(),
            held = DispatchStatus::HeldForRenewal.as_str(),
            unsettled = unsettled("d.company_key", "d.id"),
        ))
        .bind(&now)
        .bind(&self.owner)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let (id, status, company_key) = (r.id, DispatchStatus::from_stored(&r.status)?, r.company_key.clone());
            let Some(company) = self
                .store
                .take_lease_as(&mut tx, &company_lease(&company_key), &self.owner, self.timing.lease)
                .await?
            else {
                continue;
            };
            // The select's snapshot may predate the company lease: ask
            // again now that it is held (a send of the company that turned
            // unclear meanwhile keeps this one waiting).
            if status == DispatchStatus::Queued {
                let busy: Option<i64> = sqlx::query_scalar(&unsettled("$1", "$2"))
                    .bind(&company_key)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if busy.is_some() {
                    self.store.release_lease_in(&mut tx, &company).await?;
                    continue;
                }
            }
            let Some(fence) = self
                .store
                .take_row_lease(&mut tx, Leased::Dispatches, id, &self.owner, self.timing.lease)
                .await?
            else {
                self.store.release_lease_in(&mut tx, &company).await?;
                continue;
            };
            tx.commit().await?;
            let c = r.into_claim(fence, company)?;
            if let Some(from) = &c.taken_over_from {
                tracing::warn!(po = %c.po_number, dispatch = c.id, from = %from, owner = %self.owner, status = c.status.as_str(), token = c.fence.token,
                    "took a dispatch over: its holder's lease expired without being given back");
            }
            return Ok(Some(c));
        }
        tx.commit().await?;
        Ok(None)
    }

    pub(super) async fn release(&self, c: &Claimed) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.release_row_lease(&mut tx, &c.fence).await?;
        self.store.release_lease_in(&mut tx, &c.company).await?;
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
    /// and record what came back. `fresh`: from the queue, so a new chain
    /// of attempts with a new census; otherwise a send again after an
    /// unclear outcome, which keeps the chain's census, so that reading the
    /// distributor's orders later still sees what every attempt made.
    pub(super) async fn send(&self, c: &Claimed, fresh: bool) -> Result<()> {
        if fresh && !self.preflight(c).await? {
            return Ok(());
        }
        let company = c.request.company_id.clone().unwrap_or_default();
        let census = match (&c.census, fresh) {
            (Some(kept), false) => kept.clone(),
            _ => match self.distributor.order_census(&company).await {
                Ok(census) => OrderCensus {
                    taken_at: Some(clock::now()),
                    ..census
                },
                Err(e) => return self.after_error(c, e).await,
            },
        };
        let mut tx = self.write(c).await?;
        let intent = clock::now();
        // After an unclear outcome, an order of the earlier attempt may land
        // later still: once every call of this attempt can have landed, the
        // distributor's orders are read once more (see `engine_poll.rs`).
        let audit_at = (!fresh).then(|| later(self.takeover_wait()));
        sqlx::query("UPDATE dispatches SET intent_at = $1, attempts = attempts + 1, next_run_at = $2, census = $3, audit_at = $4 WHERE id = $5")
            .bind(&intent)
            .bind(later(self.timing.reconcile_grace))
            .bind(serde_json::to_string(&census).map_err(|e| Error::internal_from("writing an order census", e))?)
            .bind(audit_at)
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

    /// How long after an intent any call made for it can still land at the
    /// distributor: the client's longest write (its timeouts and retries)
    /// plus the reconcile grace. A taken-over step waits this long from the
    /// recorded intent before it reads the distributor's orders.
    pub(super) fn takeover_wait(&self) -> Duration {
        Duration::from_std(self.distributor.longest_call()).unwrap_or(Duration::hours(1)) + self.timing.reconcile_grace
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
            DistError::Unauthorized(m) => self.fail(c, RemediationReason::Refused, &m, &[credentials_problem()]).await,
            DistError::Unknown(m) => {
                let message = format!(
                    "No clear answer from {} ({m}); will check its orders before sending again",
                    self.distributor.name()
                );
                self.unclear(c, &m, &message, json!({})).await
            }
            DistError::Unreachable(m) => self.deferred(c, &m).await,
        }
    }

    /// The outcome of a send is unknown (`m` why): the step is reconciled
    /// after the grace, reading the distributor before anything is sent
    /// again; the timeline says `message`.
    pub(super) async fn unclear(&self, c: &Claimed, m: &str, message: &str, data: serde_json::Value) -> Result<()> {
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
            .bind(m)
            .bind(later(self.timing.reconcile_grace))
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
        event(&mut tx, c.po_id, None, EventKind::DispatchUnknown, message, data).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Nothing was sent (`m` why): queued again after a pause.
    pub(super) async fn deferred(&self, c: &Claimed, m: &str) -> Result<()> {
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
            .bind(m)
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

/// What a refused token asks a person to fix.
pub(super) fn credentials_problem() -> Problem {
    Problem::new("pax8_credentials", "Check the Pax8 client id and secret in Settings.")
}
