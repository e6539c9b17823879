//! Following a submitted order until it is provisioned: its lines read
//! again until each has a subscription, each subscription's status sorted
//! by Pax8's enum, polls backing off, and what needs a person raised as a
//! remediation entry (waiting for details, pending past the limit,
//! cancelled). A dispatch is provisioned only when every line's
//! subscription was checked and is provisioned.

use super::distributor::{Phase, SubscriptionState};
use super::engine::{due_at, event, later, set_status, Claimed, Engine};
use super::rows::{SubscriptionRow, SUBSCRIPTION_COLUMNS};
use super::*;
use crate::purchase_orders::EventKind;
use crate::{clock, Result};
use chrono::Duration;
use serde_json::json;
use sqlx::Row;

struct Sub {
    id: i64,
    po_line_id: i64,
    subscription_id: String,
    product_id: String,
    status: String,
}

fn phase_of(status: &str) -> Phase {
    SubscriptionState {
        status: status.to_string(),
        ..Default::default()
    }
    .phase()
}

impl Engine {
    async fn subscriptions(&self, c: &Claimed) -> Result<(Vec<Sub>, Vec<i64>)> {
        let rows = sqlx::query_as::<_, SubscriptionRow>(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM dispatch_subscriptions WHERE dispatch_id = $1 ORDER BY id"
        ))
        .bind(c.id)
        .fetch_all(self.store.pool())
        .await?;
        let mut subs = Vec::new();
        let mut lines = Vec::new();
        for r in rows {
            lines.push(r.po_line_id);
            subs.push(Sub {
                id: r.id,
                po_line_id: r.po_line_id,
                subscription_id: r.subscription_id,
                product_id: r.product_id,
                status: r.status,
            });
        }
        Ok((subs, lines))
    }

    /// Follows the subscriptions; when every line's is provisioned,
    /// provisions the dispatch and activates contract lines.
    pub(super) async fn poll(&self, c: &Claimed) -> Result<()> {
        let check_at = self.late_check_due(c).await?;
        let (mut subs, mut known) = self.subscriptions(c).await?;
        if known.len() < c.request.lines.len() {
            // Pax8 answered the order before naming every subscription: read it again.
            if let Some(order) = match &c.order_id {
                Some(id) => self.distributor.order(id).await.ok(),
                None => None,
            } {
                let mut tx = self.write(c).await?;
                let named = self.record_subscriptions(&mut tx, c, &order, &known).await?;
                if !named.is_empty() {
                    event(
                        &mut tx,
                        c.po_id,
                        None,
                        EventKind::DispatchSubscriptionsNamed,
                        &format!("{} named subscriptions {}", self.distributor.name(), named.join(", ")),
                        json!({"subscriptions": named}),
                    )
                    .await?;
                }
                tx.commit().await?;
                (subs, known) = self.subscriptions(c).await?;
            }
        }
        let every_line_named = !c.request.lines.is_empty() && known.len() >= c.request.lines.len();
        let mut all_provisioned = every_line_named;
        let mut waiting = Vec::new();
        for s in &subs {
            if phase_of(&s.status) == Phase::Provisioned {
                continue;
            }
            let state = match self.distributor.subscription(&s.subscription_id).await {
                Ok(state) => state,
                Err(_) => {
                    all_provisioned = false;
                    continue;
                }
            };
            let mut tx = self.write(c).await?;
            sqlx::query("UPDATE dispatch_subscriptions SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(&state.status)
                .bind(clock::now())
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
            if state.phase() == Phase::Provisioned {
                crate::subscriptions::record_provisioned(&mut tx, s.po_line_id, &state).await?;
            }
            tx.commit().await?;
            match state.phase() {
                Phase::Provisioned => {}
                Phase::Cancelled => {
                    let problem = Problem::new(
                        "",
                        format!(
                            "Subscription {} is {} at {}; nothing is provisioned for it.",
                            s.subscription_id,
                            state.status,
                            self.distributor.name()
                        ),
                    );
                    return self
                        .fail(c, RemediationReason::Cancelled, "The distributor cancelled a subscription", &[problem])
                        .await;
                }
                Phase::WaitingForDetails => {
                    all_provisioned = false;
                    waiting.push(s);
                }
                Phase::Pending => all_provisioned = false,
            }
        }
        if all_provisioned {
            // The seats are there; a late order of an earlier attempt would
            // be a second order, which the check still to come records.
            return self.provisioned(c, subs.len(), check_at.as_deref()).await;
        }
        if !waiting.is_empty() && !self.raised(c, RemediationReason::WaitingForDetails, None).await? {
            let mut problems = Vec::new();
            for s in waiting {
                problems.push(self.what_pax8_waits_for(c, s).await);
            }
            self.fail(
                c,
                RemediationReason::WaitingForDetails,
                "Pax8 is waiting for provisioning details; the order exists, complete them at Pax8",
                &problems,
            )
            .await?;
        } else if self.pending_too_long(c) && !self.raised(c, RemediationReason::Pending, Some(self.timing.pending_limit)).await? {
            let pending: Vec<String> = subs
                .iter()
                .filter(|s| phase_of(&s.status) != Phase::Provisioned)
                .map(|s| format!("{} ({})", s.subscription_id, s.status))
                .collect();
            let unnamed = c.request.lines.len().saturating_sub(known.len());
            let mut what = pending.join(", ");
            if unnamed > 0 {
                what = format!("{what}{}{unnamed} line(s) without a subscription yet", if what.is_empty() { "" } else { "; " });
            }
            let hours = self.timing.pending_limit.num_hours();
            let problem = Problem::new(
                "",
                format!("Still pending at Pax8 after {hours} h: {what}. Nothing was cancelled; the engine keeps checking."),
            );
            self.fail(c, RemediationReason::Pending, "Provisioning is taking long", &[problem]).await?;
        }
        // Back off: poll_every, doubling, up to poll_max.
        let factor = 1i32 << c.polls.clamp(0, 16);
        let wait = (self.timing.poll_every * factor).min(self.timing.poll_max);
        let mut next = later(wait);
        if let Some(at) = check_at {
            next = next.min(at);
        }
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET next_run_at = $1, polls = polls + 1 WHERE id = $2 AND status = 'submitted'")
            .bind(next)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The late-order check of a provisioned dispatch; when it cannot run
    /// yet, the dispatch is due again when it can.
    pub(super) async fn late_check(&self, c: &Claimed) -> Result<()> {
        if let Some(at) = self.late_check_due(c).await? {
            let mut tx = self.write(c).await?;
            due_at(&mut tx, c.id, &at).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Runs the late-order check when it is due. `Some(when)`: still to
    /// run, at `when`; `None`: none pending (or done now).
    async fn late_check_due(&self, c: &Claimed) -> Result<Option<String>> {
        let Some(at) = c.audit_at.clone() else { return Ok(None) };
        if at.as_str() > clock::now().as_str() {
            return Ok(Some(at));
        }
        Ok(if self.audit(c).await? {
            None
        } else {
            Some(later(self.timing.reconcile_grace.max(Duration::seconds(1))))
        })
    }

    /// After a send that followed an unclear outcome, once every call of it
    /// can have landed: the distributor's orders are read once more, from
    /// the chain's first census, so that an order of the earlier attempt
    /// that landed late is recorded (and seen as a second order), never
    /// left untracked. Not while another dispatch of the company has an
    /// unknown outcome: its order may be there unrecorded and look the
    /// same (the claim already skips such a check; this asks again under
    /// the company lock, and covers the check within a poll). `false`: not
    /// done, try again later.
    async fn audit(&self, c: &Claimed) -> Result<bool> {
        let busy: Option<i64> = sqlx::query_scalar(&super::engine::unsettled("$1", "$2"))
            .bind(&c.company_key)
            .bind(c.id)
            .fetch_optional(self.store.pool())
            .await?;
        if busy.is_some() {
            return Ok(false);
        }
        let company = c.request.company_id.clone().unwrap_or_default();
        let orders = match self.distributor.new_orders(&company, c.census.as_ref(), self.since(c)).await {
            Ok(o) => o,
            Err(_) => return Ok(false),
        };
        let late: Vec<&super::distributor::PlacedOrder> = self
            .unclaimed(c, &orders)
            .await?
            .into_iter()
            .filter(|o| c.order_id.as_deref() != Some(o.id.as_str()))
            .collect();
        self.record_found(c, &late, "found late").await?;
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET audit_at = NULL WHERE id = $1")
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    fn pending_too_long(&self, c: &Claimed) -> bool {
        c.submitted_at
            .as_deref()
            .and_then(clock::parse)
            .is_some_and(|t| chrono::Utc::now() - t > self.timing.pending_limit)
    }

    /// Whether an entry of this reason is open (or was opened within `within`).
    async fn raised(&self, c: &Claimed, reason: RemediationReason, within: Option<Duration>) -> Result<bool> {
        let since = within.map(|w| clock::format(chrono::Utc::now() - w)).unwrap_or_else(|| "9999".into());
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remediations WHERE dispatch_id = $1 AND reason = $2 AND (status = $4 OR opened_at >= $3)")
            .bind(c.id)
            .bind(reason.as_str())
            .bind(since)
            .bind(RemediationStatus::Open.as_str())
            .fetch_one(self.store.pool())
            .await?;
        Ok(n > 0)
    }

    /// Names what Pax8 waits for: the product's provisioning details that
    /// the order did not carry (all of them when Pax8 cannot be asked).
    async fn what_pax8_waits_for(&self, c: &Claimed, s: &Sub) -> Problem {
        let line = c.request.lines.iter().position(|l| l.product_id.as_deref() == Some(s.product_id.as_str()));
        let given: Vec<&str> = line
            .map(|i| c.request.lines[i].provisioning_details.iter().map(|d| d.key.as_str()).collect())
            .unwrap_or_default();
        let needed = match self.distributor.product_requirements(&s.product_id).await {
            Ok(r) => {
                let missing: Vec<String> = r
                    .details
                    .iter()
                    .filter(|d| !given.contains(&d.key.as_str()))
                    .map(|d| {
                        if d.label.is_empty() {
                            d.key.clone()
                        } else {
                            format!("{} ({})", d.label, d.key)
                        }
                    })
                    .collect();
                if missing.is_empty() {
                    "details Pax8 did not name".to_string()
                } else {
                    missing.join(", ")
                }
            }
            Err(_) => "provisioning details (Pax8 could not be asked which)".to_string(),
        };
        Problem {
            field: line.map(|i| format!("lines[{i}].provisioning_details")).unwrap_or_default(),
            message: format!("Subscription {} waits for {needed}", s.subscription_id),
            po_line_id: line.map(|i| c.request.lines[i].po_line_id),
        }
    }

    /// `check_at`: when the late-order check still to come runs.
    async fn provisioned(&self, c: &Claimed, count: usize, check_at: Option<&str>) -> Result<()> {
        let mut tx = self.write(c).await?;
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
                EventKind::ContractLineActivated,
                &format!("Contract line {line} activated (subscription {sub})"),
                json!({"contract_line_id": line, "subscription_id": sub}),
            )
            .await?;
        }
        // Seats are not goods to receive: the lines provisioned count as received.
        let lines: Vec<i64> = sqlx::query_scalar("SELECT po_line_id FROM dispatch_subscriptions WHERE dispatch_id = $1")
            .bind(c.id)
            .fetch_all(&mut *tx)
            .await?;
        crate::purchase_orders::receive_provisioned(&mut tx, c.po_id, &lines, self.distributor.name()).await?;
        // Entries raised while it waited are settled by Pax8 itself; a
        // second order is not.
        super::remediation::settle_entries(&mut tx, c.id, &now).await?;
        set_status(&mut tx, c.id, c.po_id, DispatchStatus::Provisioned).await?;
        let mut message = format!("Provisioned: {count} subscription{} active", if count == 1 { "" } else { "s" });
        if let Some(at) = check_at {
            due_at(&mut tx, c.id, at).await?;
            message.push_str(&format!(
                "; {}'s orders are read once more at {at}, in case an earlier attempt's order lands late",
                self.distributor.name()
            ));
        }
        event(&mut tx, c.po_id, None, EventKind::DispatchProvisioned, &message, json!({})).await?;
        tx.commit().await?;
        Ok(())
    }
}
