//! What the engine does with an outcome: reconcile an unknown one against
//! the distributor's own orders, record a submitted order and its
//! subscriptions, or fail with a remediation entry.
//!
//! Every order the distributor confirms is recorded against its dispatch
//! (`dispatch_orders`), whoever hears of it: the holder, a worker that took
//! the step over, or a stale holder whose late reply arrives after. Only
//! the holder's write decides which order the dispatch follows; a second
//! order for one dispatch opens a `duplicate_at_distributor` entry.

use super::distributor::PlacedOrder;
use super::engine::{due_at, event, later, set_status, Claimed, Engine};
use super::*;
use crate::purchase_orders::EventKind;
use crate::store::leases::is_lease_lost;
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

/// An order recorded against a dispatch.
#[derive(sqlx::FromRow)]
struct OrderRow {
    order_id: String,
    subscriptions: String,
}

impl Engine {
    /// An unknown outcome: adopt the order the distributor made, or send
    /// again. A step taken over from a holder that never gave it back first
    /// waits until any call that holder made can no longer land.
    pub(super) async fn reconcile(&self, c: &Claimed) -> Result<()> {
        if c.taken_over_from.is_some() || c.status == DispatchStatus::Submitting {
            let landed_by = c
                .intent_at
                .as_deref()
                .and_then(clock::parse)
                .map(|t| t + self.takeover_wait())
                .unwrap_or_else(chrono::Utc::now);
            let waiting = landed_by > chrono::Utc::now();
            let mut tx = self.write(c).await?;
            if waiting {
                due_at(&mut tx, c.id, &clock::format(landed_by)).await?;
            }
            if c.status == DispatchStatus::Submitting {
                set_status(&mut tx, c.id, c.po_id, DispatchStatus::Reconciling).await?;
            }
            if c.status == DispatchStatus::Submitting || waiting {
                let message = if waiting {
                    format!(
                        "Picked up an interrupted dispatch; waiting until {} for any call of the previous worker to land, then checking the distributor's orders",
                        clock::format(landed_by)
                    )
                } else {
                    "Picked up an interrupted dispatch; checking the distributor's orders".to_string()
                };
                event(
                    &mut tx,
                    c.po_id,
                    None,
                    EventKind::DispatchRecovering,
                    &message,
                    json!({"from": c.taken_over_from}),
                )
                .await?;
            }
            tx.commit().await?;
            if waiting {
                return Ok(());
            }
        }
        let company = c.request.company_id.clone().unwrap_or_default();
        let orders = match self.distributor.new_orders(&company, c.census.as_ref(), self.since(c)).await {
            Ok(o) => o,
            Err(e) => return self.look_again_later(c, &e).await,
        };
        let recorded = recorded_orders(&mut *self.store.pool().acquire().await?, c.id).await?;
        let candidates = self.unclaimed(c, &orders).await?;
        // What a stale holder's late reply recorded comes first: it is
        // known to be this dispatch's.
        let follow = recorded
            .first()
            .and_then(|r| orders.iter().find(|o| o.id == r.order_id))
            .or_else(|| candidates.first().copied());
        match follow {
            Some(order) => {
                let others: Vec<&PlacedOrder> = candidates.iter().copied().filter(|o| o.id != order.id).collect();
                self.record_found(c, &others, "found while reconciling").await?;
                self.submitted(c, order, "found while reconciling").await
            }
            None if !recorded.is_empty() => {
                // Recorded, but not among the orders read (Pax8's list lags):
                // read that order itself.
                match self.distributor.order(&recorded[0].order_id).await {
                    Ok(order) => self.submitted(c, &order, "recorded from a late reply").await,
                    Err(e) => self.look_again_later(c, &e).await,
                }
            }
            None => {
                tracing::warn!(po = %c.po_number, dispatch = c.id, attempt = c.attempts + 1, owner = %self.owner,
                    "sending an order again: the distributor has no order for this dispatch after an unclear outcome");
                let mut tx = self.write(c).await?;
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

    /// Pax8 could not be read: the outcome stays unknown; look again after the grace.
    async fn look_again_later(&self, c: &Claimed, e: &distributor::DistError) -> Result<()> {
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET last_error = $1, next_run_at = $2 WHERE id = $3")
            .bind(e.to_string())
            .bind(later(self.timing.reconcile_grace))
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Orders made since the day before the chain's first census (Pax8
    /// dates orders by day: a day of slack for time zones).
    pub(super) fn since(&self, c: &Claimed) -> chrono::NaiveDate {
        c.census
            .as_ref()
            .and_then(|k| k.taken_at.as_deref())
            .or(c.intent_at.as_deref())
            .and_then(clock::parse)
            .map(|t| (t - Duration::days(1)).date_naive())
            .unwrap_or(chrono::NaiveDate::MIN)
    }

    /// Of the orders read, those that can be this dispatch's: the same lines,
    /// and not recorded against another dispatch. Oldest first.
    pub(super) async fn unclaimed<'o>(&self, c: &Claimed, orders: &'o [PlacedOrder]) -> Result<Vec<&'o PlacedOrder>> {
        let elsewhere: Vec<String> =
            sqlx::query_scalar("SELECT o.order_id FROM dispatch_orders o JOIN dispatches d ON d.id = o.dispatch_id WHERE d.company_key = $1 AND d.id <> $2")
                .bind(&c.company_key)
                .bind(c.id)
                .fetch_all(self.store.pool())
                .await?;
        let mut candidates: Vec<&PlacedOrder> = orders.iter().filter(|o| !elsewhere.contains(&o.id) && same_lines(o, &c.request)).collect();
        candidates.sort_by(|a, b| (a.created_on, &a.id).cmp(&(b.created_on, &b.id)));
        Ok(candidates)
    }

    /// Records orders found for this dispatch besides the one it follows
    /// (whoever holds it now: they are facts about the distributor), and
    /// opens a duplicate entry when there is more than one.
    pub(super) async fn record_found(&self, c: &Claimed, orders: &[&PlacedOrder], how: &str) -> Result<()> {
        if orders.is_empty() {
            return Ok(());
        }
        let mut tx = self.store.begin_write().await?;
        for o in orders {
            record_order(&mut tx, c.id, o, how).await?;
        }
        self.check_duplicates(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The order is at the distributor: record it, and when this worker
    /// still holds the step and the dispatch follows no other order, follow
    /// it with the subscriptions it names so far (Pax8 may name them later;
    /// the poll reads the order again). A stale holder's reply is recorded
    /// and changes nothing else.
    pub(super) async fn submitted(&self, c: &Claimed, order: &PlacedOrder, how: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        record_order(&mut tx, c.id, order, how).await?;
        if let Err(e) = self.store.hold(&mut tx, &c.fence, self.timing.lease).await {
            if is_lease_lost(&e) {
                tracing::warn!(po = %c.po_number, dispatch = c.id, order = %order.id, owner = %self.owner,
                    "refused a stale write: the order is recorded against its dispatch, which another worker now holds");
                self.check_duplicates(&mut tx, c).await?;
                tx.commit().await?;
            }
            return Err(e);
        }
        let following: Option<String> = sqlx::query_scalar("SELECT order_id FROM dispatches WHERE id = $1")
            .bind(c.id)
            .fetch_one(&mut *tx)
            .await?;
        if following.as_ref().is_some_and(|f| *f != order.id) {
            self.check_duplicates(&mut tx, c).await?;
            tx.commit().await?;
            return Ok(());
        }
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
        self.check_duplicates(&mut tx, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a `duplicate_at_distributor` entry for each order recorded
    /// beyond the first, naming every order and its subscriptions (the
    /// dispatch, and the contract line, follow one of them only).
    async fn check_duplicates(&self, tx: &mut Tx, c: &Claimed) -> Result<()> {
        let orders = recorded_orders(tx, c.id).await?;
        if orders.len() < 2 {
            return Ok(());
        }
        let raised: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remediations WHERE dispatch_id = $1 AND reason = $2")
            .bind(c.id)
            .bind(RemediationReason::DuplicateAtDistributor.as_str())
            .fetch_one(&mut **tx)
            .await?;
        if raised >= orders.len() as i64 - 1 {
            return Ok(());
        }
        let following: Option<String> = sqlx::query_scalar("SELECT order_id FROM dispatches WHERE id = $1")
            .bind(c.id)
            .fetch_one(&mut **tx)
            .await?;
        let mut named = Vec::new();
        let mut problems = Vec::new();
        for o in &orders {
            let subs: Vec<String> = crate::store::from_json(&o.subscriptions, "recorded order subscriptions")?;
            let subs = if subs.is_empty() {
                "no subscription named yet".to_string()
            } else {
                format!("subscription{} {}", if subs.len() == 1 { "" } else { "s" }, subs.join(", "))
            };
            let role = if following.as_deref() == Some(o.order_id.as_str()) {
                "followed"
            } else {
                "extra"
            };
            named.push(o.order_id.clone());
            problems.push(Problem::new("", format!("Order {} ({subs}): {role}", o.order_id)));
        }
        let followed = following.as_deref().unwrap_or("the first one");
        problems.push(Problem::new(
            "",
            format!(
                "The dispatch and its contract line follow {followed} only. Cancel the extra order's subscriptions at {}, or keep them knowingly, then mark this resolved.",
                self.distributor.name()
            ),
        ));
        tracing::warn!(po = %c.po_number, dispatch = c.id, orders = %named.join(", "), "duplicate order at the distributor: one dispatch has several orders");
        let message = format!("{} holds {} orders for this one dispatch", self.distributor.name(), orders.len());
        self.open_entry(tx, c, RemediationReason::DuplicateAtDistributor, &message, &problems).await?;
        event(
            tx,
            c.po_id,
            None,
            EventKind::DispatchDuplicate,
            &format!("{}: {message}: {}", RemediationReason::DuplicateAtDistributor.label(), named.join(", ")),
            json!({"orders": named, "following": following, "reason": RemediationReason::DuplicateAtDistributor.as_str()}),
        )
        .await
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
        let mut tx = self.write(c).await?;
        sqlx::query("UPDATE dispatches SET last_error = $1 WHERE id = $2")
            .bind(&full)
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
        self.open_entry(&mut tx, c, reason, &full, problems).await?;
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

    async fn open_entry(&self, tx: &mut Tx, c: &Claimed, reason: RemediationReason, message: &str, problems: &[Problem]) -> Result<()> {
        super::remediation::open_entry(tx, c.id, c.po_id, reason, message, problems).await
    }
}

/// The orders recorded against a dispatch, first recorded first.
async fn recorded_orders(conn: &mut sqlx::AnyConnection, dispatch_id: i64) -> Result<Vec<OrderRow>> {
    Ok(
        sqlx::query_as::<_, OrderRow>("SELECT order_id, subscriptions FROM dispatch_orders WHERE dispatch_id = $1 ORDER BY id")
            .bind(dispatch_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Records that the distributor confirmed `order` for the dispatch (once:
/// a repeat changes nothing). Not fenced: it is a fact, whoever learnt it.
async fn record_order(tx: &mut Tx, dispatch_id: i64, order: &PlacedOrder, how: &str) -> Result<()> {
    let subs: Vec<&String> = order.lines.iter().filter_map(|l| l.subscription_id.as_ref()).collect();
    let subs = serde_json::to_string(&subs).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO dispatch_orders (dispatch_id, order_id, subscriptions, how, recorded_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(dispatch_id)
    .bind(&order.id)
    .bind(&subs)
    .bind(how)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    // Known already: it may have named its subscriptions since.
    if subs != "[]" {
        sqlx::query("UPDATE dispatch_orders SET subscriptions = $1 WHERE order_id = $2 AND subscriptions = '[]'")
            .bind(&subs)
            .bind(&order.id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
