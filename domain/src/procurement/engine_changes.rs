//! The engine's change orders: each line changes one subscription (its
//! seats, or a cancellation), sent exactly once, one line after another.
//! Pax8 takes no idempotency key on a subscription's `PUT` or `DELETE`, so:
//!
//! - Before a line's first send the subscription is read (`GET
//!   /subscriptions/{id}`): it must be as the approval saw it (its seats,
//!   Pax8's `updatedDate`, the commitment end), or nothing is sent and a
//!   `changed_at_distributor` entry says what differs. Then its product's
//!   commitment rules (`/dependencies`, which Pax8 calls dynamic: read each
//!   time) decide what Pax8 allows (`change_rules.rs`); a refusal opens
//!   `preflight`, nothing sent.
//! - The intent is committed before the call (`submitting`). The call is a
//!   `PUT` with only `{quantity}`, an absolute count, or a `DELETE` with the
//!   cancel date.
//! - After an unclear outcome (lost reply, timeout, 408, 5xx, a worker
//!   killed or paused past its lease) the subscription is read before
//!   anything else: the target reached with an `updatedDate` after the
//!   intent is the change done; still the seats approved from, once no call
//!   of the attempt can land any more, is safe to send again; anything
//!   else is `changed_at_distributor`. Never a blind second write.
//! - Confirmed: our subscription, its contract line, the change order's
//!   line and both POs' timelines (the change order's and the one that
//!   made the subscription) in one transaction; then the next line.
//!
//! One change in flight per subscription: a company's dispatches run one
//! at a time under its lease, and a queued one waits while another of the
//! company has an unknown outcome (`engine.rs`).

use super::change_rules::{self, SeatChange};
use super::distributor::{DistError, SubscriptionState};
use super::engine::{credentials_problem, due_at, event, later, set_status, Claimed, Engine};
use super::*;
use crate::catalog::{follow_subscription, Follow};
use crate::purchase_orders::EventKind;
use crate::subscriptions::{ChangeKind, SubscriptionStatus};
use crate::{clock, Error, Result};
use serde_json::json;

/// What a change line asks of the subscription (a cancel day as the
/// instant it starts: Pax8's `cancelDate` is a date-time).
pub(super) fn seat_change(line: &ChangeLine) -> SeatChange {
    match line.change.to_quantity {
        Some(q) => SeatChange::Seats(q),
        None => SeatChange::Cancel {
            date: line.change.cancel_date.as_deref().map(instant),
        },
    }
}

/// A day or a date-time as RFC 3339 in the store's form.
fn instant(d: &str) -> String {
    let full = if d.len() == 10 { format!("{d}T00:00:00Z") } else { d.to_string() };
    clock::parse(&full).map(clock::format).unwrap_or(full)
}

/// "Microsoft 365 Business Premium 10 → 12 seats".
fn in_words(line: &ChangeLine) -> String {
    let c = &line.change;
    match c.to_quantity {
        Some(to) => format!("{} {} → {to} seats", c.product_name, c.from_quantity),
        None => match &c.cancel_date {
            Some(d) => format!("{} cancelled ({} seats) on {}", c.product_name, c.from_quantity, day(d)),
            None => format!("{} cancelled ({} seats)", c.product_name, c.from_quantity),
        },
    }
}

fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// Where the subscription at Pax8 is not as the approval read it, in words.
pub(super) fn differences(line: &ChangeLine, state: &SubscriptionState) -> Vec<Problem> {
    let c = &line.change;
    let mut out = Vec::new();
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    if state.quantity != c.from_quantity {
        out.push(Problem::new(
            "quantity",
            format!("Pax8 shows {} seats; the change was approved from {}.", state.quantity, c.from_quantity),
        ));
    }
    if state.updated_at != c.distributor_updated_at {
        out.push(Problem::new(
            "updated_date",
            format!(
                "Pax8 changed the subscription (updatedDate {}) since the reading the approval saw ({}).",
                show(&state.updated_at),
                show(&c.distributor_updated_at)
            ),
        ));
    }
    if state.commitment_end != c.commitment_end {
        out.push(Problem::new(
            "commitment_end",
            format!(
                "The commitment now ends {}; the approval saw {}.",
                state.commitment_end.as_deref().map(day).unwrap_or("never"),
                c.commitment_end.as_deref().map(day).unwrap_or("never")
            ),
        ));
    }
    out.into_iter().map(|p| p.on_line(line.po_line_id)).collect()
}

/// The change is there: the seats reached (or the cancellation under way).
fn reached(line: &ChangeLine, state: &SubscriptionState) -> bool {
    match line.change.to_quantity {
        Some(to) => state.quantity == to,
        None => matches!(
            SubscriptionStatus::from_distributor(&state.status),
            SubscriptionStatus::Cancelled | SubscriptionStatus::PendingCancel
        ),
    }
}

/// `a` is strictly after `b` (both RFC 3339).
fn after(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.and_then(clock::parse), b.and_then(clock::parse)) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

impl Engine {
    /// A change order's step: the line after the ones confirmed.
    pub(super) async fn run_change(&self, c: &Claimed) -> Result<()> {
        let Some(line) = c.request.changes.get(c.changes_done as usize) else {
            return Ok(());
        };
        match c.status {
            DispatchStatus::Queued => self.send_change(c, line, true).await,
            DispatchStatus::Submitting | DispatchStatus::Reconciling => self.reconcile_change(c, line).await,
            DispatchStatus::HeldForRenewal => self.held(c, line).await,
            _ => Ok(()),
        }
    }

    /// Reads the subscription; `None` when the read failed and the step
    /// said why (nothing was sent).
    async fn read_subscription(&self, c: &Claimed, line: &ChangeLine) -> Result<Option<SubscriptionState>> {
        match self.distributor.subscription(&line.change.distributor_subscription_id).await {
            Ok(s) => Ok(Some(s)),
            Err(DistError::Rejected { problems, .. }) => {
                self.fail(
                    c,
                    RemediationReason::Refused,
                    &format!("{} could not find the subscription", self.distributor.name()),
                    &problems,
                )
                .await?;
                Ok(None)
            }
            Err(DistError::Unauthorized(m)) => {
                self.fail(c, RemediationReason::Refused, &m, &[credentials_problem()]).await?;
                Ok(None)
            }
            Err(DistError::Unknown(m) | DistError::Unreachable(m)) => {
                // A read changes nothing: the same step runs again shortly.
                let mut tx = self.write(c).await?;
                sqlx::query("UPDATE dispatches SET last_error = $1 WHERE id = $2")
                    .bind(&m)
                    .bind(c.id)
                    .execute(&mut *tx)
                    .await?;
                due_at(&mut tx, c.id, &later(self.timing.retry_after)).await?;
                tx.commit().await?;
                Ok(None)
            }
        }
    }

    /// Checks the line against Pax8 (on a first send), records the intent,
    /// sends, and records what came back. `fresh`: not a send again after
    /// an unclear outcome (that one was checked by the reading before it).
    pub(super) async fn send_change(&self, c: &Claimed, line: &ChangeLine, fresh: bool) -> Result<()> {
        let mut line = line.clone();
        if fresh {
            if c.request.company_id.as_deref().is_none_or(|x| x.trim().is_empty()) {
                let problems = preflight(&c.request);
                return self
                    .fail(c, RemediationReason::Preflight, "Not sent: Pax8 would refuse this change", &problems)
                    .await;
            }
            let Some(state) = self.read_subscription(c, &line).await? else {
                return Ok(());
            };
            let differs = differences(&line, &state);
            if !differs.is_empty() {
                return self.changed_at_distributor(c, &line, &state, &differs).await;
            }
            if !self.allowed(c, &mut line, &state, false).await? {
                return Ok(());
            }
        }
        self.send_line(c, &line).await
    }

    /// Whether Pax8's rules for the subscription's commitment (read now:
    /// Pax8 calls them dynamic) allow the change; the cancel date is
    /// decided. `false`: not sent, and the step says why (a preflight
    /// entry), or the change waits for the renewal. `renewed`: the
    /// commitment has just renewed, and its window is open.
    async fn allowed(&self, c: &Claimed, line: &mut ChangeLine, state: &SubscriptionState, renewed: bool) -> Result<bool> {
        let rules = match self.distributor.commitment_rules(&state.product_id).await {
            Ok(r) => r,
            Err(e) => {
                self.change_error(c, line, e, false).await?;
                return Ok(false);
            }
        };
        let checked = change_rules::preflight(state, &rules, &seat_change(line), &clock::now(), renewed);
        if let (Some(until), 1) = (&checked.hold_until, checked.problems.len()) {
            self.hold(c, line, until).await?;
            return Ok(false);
        }
        if !checked.problems.is_empty() {
            let problems: Vec<Problem> = checked.problems.into_iter().map(|p| p.on_line(line.po_line_id)).collect();
            self.fail(
                c,
                RemediationReason::Preflight,
                &format!("Not sent: {} would refuse this change", self.distributor.name()),
                &problems,
            )
            .await?;
            return Ok(false);
        }
        line.change.cancel_date = checked.cancel_date;
        Ok(true)
    }

    /// Fewer seats before a commitment that renews by itself: the approved
    /// change waits, and is sent in the window after the renewal.
    async fn hold(&self, c: &Claimed, line: &ChangeLine, until: &str) -> Result<()> {
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET held_until = $1, next_run_at = $1, last_error = NULL WHERE id = $2")
            .bind(until)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::HeldForRenewal).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            EventKind::DispatchHeld,
            &format!(
                "Held for renewal: {} allows fewer seats only once the commitment renews on {}; {} will be sent in the {} days after",
                self.distributor.name(),
                day(until),
                in_words(line),
                self.timing.renewal_window.num_days()
            ),
            json!({"held_until": until, "po_line_id": line.po_line_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A held change come due: sent once Pax8 shows the commitment renewed
    /// and while the window after it is open; `renewal_missed` otherwise.
    async fn held(&self, c: &Claimed, line: &ChangeLine) -> Result<()> {
        let Some(until) = c.held_until.as_deref().and_then(clock::parse) else {
            return self.send_change(c, line, true).await;
        };
        let Some(state) = self.read_subscription(c, line).await? else {
            return Ok(());
        };
        let active = SubscriptionStatus::from_distributor(&state.status) == SubscriptionStatus::Active;
        if state.quantity != line.change.from_quantity || !active {
            let mut differs = differences(line, &state);
            differs.retain(|p| p.field == "quantity");
            if differs.is_empty() {
                differs.push(Problem::new("status", format!("Pax8 shows the subscription {}.", state.status)));
            }
            return self.changed_at_distributor(c, line, &state, &differs).await;
        }
        let closes = until + self.timing.renewal_window;
        let now = chrono::Utc::now();
        let renewed = state.commitment_end.as_deref().and_then(clock::parse).is_some_and(|end| end > until);
        if now > closes {
            let why = if renewed {
                format!(
                    "the window after the renewal on {} closed on {}",
                    day(&clock::format(until)),
                    day(&clock::format(closes))
                )
            } else {
                format!("Pax8 never showed the commitment ending {} renewed", day(&clock::format(until)))
            };
            let problem = Problem::new(
                "",
                format!(
                    "{} was not sent: {why}. The subscription runs another term as it is; change it at Pax8 or raise it again.",
                    in_words(line)
                ),
            )
            .on_line(line.po_line_id);
            return self
                .fail(
                    c,
                    RemediationReason::RenewalMissed,
                    "The change held for the renewal could not be sent",
                    &[problem],
                )
                .await;
        }
        if !renewed {
            // Not renewed yet at Pax8: look again, within the window.
            let mut tx = self.write(c).await?;
            due_at(
                &mut tx,
                c.id,
                &clock::format((now + self.timing.poll_max.max(chrono::Duration::seconds(1))).min(closes)),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        // The renewal moved the commitment's end (and Pax8's updatedDate):
        // the change now binds the subscription as it is after it.
        let mut line = line.clone();
        line.change.commitment_end = state.commitment_end.clone();
        line.change.distributor_updated_at = state.updated_at.clone();
        if !self.allowed(c, &mut line, &state, true).await? {
            return Ok(());
        }
        self.send_line(c, &line).await
    }

    /// Records the intent, sends the change, and records what came back.
    async fn send_line(&self, c: &Claimed, line: &ChangeLine) -> Result<()> {
        let line = line.clone();
        // The intent, with the cancel date decided, before the call.
        let mut request = c.request.clone();
        if let Some(kept) = request.changes.get_mut(c.changes_done as usize) {
            *kept = line.clone();
        }
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET intent_at = $1, attempts = attempts + 1, next_run_at = $2, request = $3 WHERE id = $4")
            .bind(clock::now())
            .bind(later(self.timing.reconcile_grace))
            .bind(serde_json::to_string(&request).map_err(|e| Error::internal_from("writing a dispatch's request", e))?)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Submitting).await?;
        event(
            &mut tx,
            c.po_id,
            None,
            EventKind::DispatchSent,
            &format!("Change sent to {}: {} (attempt {})", self.distributor.name(), in_words(&line), c.attempts + 1),
            json!({"po_line_id": line.po_line_id, "subscription_id": line.change.subscription_id, "to_quantity": line.change.to_quantity, "cancel_date": line.change.cancel_date}),
        )
        .await?;
        tx.commit().await?;

        let id = &line.change.distributor_subscription_id;
        let sent = match line.change.to_quantity {
            Some(q) => self.distributor.change_seats(id, q).await,
            // 204, no body: what Pax8 shows now is read for the record.
            None => match self.distributor.cancel_subscription(id, line.change.cancel_date.as_deref()).await {
                Ok(()) => self.distributor.subscription(id).await.map_err(|e| match e {
                    DistError::Rejected { .. } | DistError::Unauthorized(_) => DistError::Unknown(format!("cancelled, then {e}")),
                    other => other,
                }),
                Err(e) => Err(e),
            },
        };
        match sent {
            Ok(state) => self.change_confirmed(c, &line, &state).await,
            Err(e) => self.change_error(c, &line, e, true).await,
        }
    }

    /// What a failed call means. `sent`: the write itself (an unclear
    /// outcome there may have changed the subscription).
    async fn change_error(&self, c: &Claimed, line: &ChangeLine, e: DistError, sent: bool) -> Result<()> {
        match e {
            DistError::Rejected { problems, .. } => {
                let problems: Vec<Problem> = problems.into_iter().map(|p| p.on_line(line.po_line_id)).collect();
                self.fail(
                    c,
                    RemediationReason::Refused,
                    &format!("{} refused the change", self.distributor.name()),
                    &problems,
                )
                .await
            }
            DistError::Unauthorized(m) => self.fail(c, RemediationReason::Refused, &m, &[credentials_problem()]).await,
            DistError::Unknown(m) if sent => {
                let message = format!(
                    "No clear answer from {} ({m}); will read the subscription before sending anything again",
                    self.distributor.name()
                );
                self.unclear(c, &m, &message, json!({"po_line_id": line.po_line_id})).await
            }
            // Nothing was sent.
            DistError::Unknown(m) | DistError::Unreachable(m) => self.deferred(c, &m).await,
        }
    }

    /// An unclear outcome: read the subscription, and decide from it alone.
    async fn reconcile_change(&self, c: &Claimed, line: &ChangeLine) -> Result<()> {
        let landed_by = c
            .intent_at
            .as_deref()
            .and_then(clock::parse)
            .map(|t| t + self.takeover_wait())
            .unwrap_or_else(chrono::Utc::now);
        if c.status == DispatchStatus::Submitting {
            // Taken over from a holder that never gave it back (killed,
            // paused): its call may still be on the way.
            let mut tx = self.write(c).await?;
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
            event(
                &mut tx,
                c.po_id,
                None,
                EventKind::DispatchRecovering,
                "Picked up an interrupted change; reading the subscription at the distributor before anything else",
                json!({"from": c.taken_over_from}),
            )
            .await?;
            tx.commit().await?;
        }
        let Some(state) = self.read_subscription(c, line).await? else { return Ok(()) };
        if reached(line, &state) && after(state.updated_at.as_deref(), c.intent_at.as_deref()) {
            return self.change_confirmed(c, line, &state).await;
        }
        let untouched = state.quantity == line.change.from_quantity
            && !reached(line, &state)
            && SubscriptionStatus::from_distributor(&state.status) == SubscriptionStatus::Active;
        if !untouched {
            let mut differs = differences(line, &state);
            if differs.is_empty() {
                differs.push(Problem::new(
                    "status",
                    format!("Pax8 shows the subscription {} with {} seats.", state.status, state.quantity),
                ));
            }
            return self.changed_at_distributor(c, line, &state, &differs).await;
        }
        if landed_by > chrono::Utc::now() {
            // The earlier call may land still: read again once it cannot.
            let mut tx = self.write(c).await?;
            due_at(&mut tx, c.id, &clock::format(landed_by)).await?;
            event(
                &mut tx,
                c.po_id,
                None,
                EventKind::DispatchRecovering,
                &format!(
                    "Pax8 still shows {} seats; waiting until {} for the earlier call to land or not, then reading again",
                    state.quantity,
                    clock::format(landed_by)
                ),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        self.send_change(c, line, false).await
    }

    /// The subscription is not as approved: nothing is sent; what Pax8
    /// shows is recorded, and Retry revises the change from it.
    async fn changed_at_distributor(&self, c: &Claimed, line: &ChangeLine, state: &SubscriptionState, differs: &[Problem]) -> Result<()> {
        let mut tx = self.write(c).await?;
        crate::subscriptions::refresh(&mut tx, line.change.subscription_id, state).await?;
        tx.commit().await?;
        self.fail(
            c,
            RemediationReason::ChangedAtDistributor,
            &format!(
                "Not sent: {} changed at {} since it was approved",
                line.change.product_name,
                self.distributor.name()
            ),
            differs,
        )
        .await
    }

    /// The change is at Pax8: our subscription, its contract line, the
    /// line, both timelines, and the next line queued, in one transaction.
    async fn change_confirmed(&self, c: &Claimed, line: &ChangeLine, state: &SubscriptionState) -> Result<()> {
        let ch = &line.change;
        let kind = match ch.to_quantity {
            Some(_) => ChangeKind::Seats,
            None => ChangeKind::Cancelled,
        };
        let mut tx = self.write(c).await?;
        let recorded = crate::subscriptions::record_change(&mut tx, ch.subscription_id, c.po_id, kind, ch.from_quantity, state).await?;
        let today = clock::now();
        let follows = match recorded.contract_line_id {
            Some(cl) => {
                let follow = match ch.to_quantity {
                    Some(_) => Follow::Seats(state.quantity),
                    None => Follow::Cancelled {
                        on: ch.cancel_date.as_deref().unwrap_or(day(&today)),
                    },
                };
                follow_subscription(&mut tx, cl, follow).await?;
                match ch.to_quantity {
                    Some(_) => format!("; contract line {cl} now bills {} seats", state.quantity),
                    None => format!("; contract line {cl} ends {}", ch.cancel_date.as_deref().unwrap_or(day(&today))),
                }
            }
            None => String::new(),
        };
        crate::purchase_orders::change_confirmed(&mut tx, c.po_id, line.po_line_id).await?;
        let done = c.changes_done + 1;
        let last = done as usize >= c.request.changes.len();
        sqlx::query("UPDATE dispatches SET changes_done = $1, next_run_at = $2, last_error = NULL, submitted_at = $2 WHERE id = $3")
            .bind(done)
            .bind(clock::now())
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        if last {
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Provisioned).await?;
            super::remediation::settle_entries(&mut tx, c.id, &clock::now()).await?;
        } else {
            set_status(&mut tx, c.id, c.po_id, DispatchStatus::Queued).await?;
        }
        let what = match ch.to_quantity {
            Some(_) => format!("{} now has {} seats (was {})", ch.product_name, state.quantity, ch.from_quantity),
            None => format!("{} is cancelled ({})", ch.product_name, state.status),
        };
        event(
            &mut tx,
            c.po_id,
            None,
            EventKind::DispatchProvisioned,
            &format!("{} confirmed the change: {what}{follows}", self.distributor.name()),
            json!({"po_line_id": line.po_line_id, "subscription_id": ch.subscription_id, "quantity": state.quantity, "status": state.status}),
        )
        .await?;
        if let Some(origin) = recorded.made_by_po.filter(|p| *p != c.po_id) {
            event(
                &mut tx,
                origin,
                None,
                EventKind::SubscriptionChanged,
                &format!("{what}, by change order {}", c.po_number),
                json!({"change_po_id": c.po_id, "subscription_id": ch.subscription_id, "quantity": state.quantity}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
