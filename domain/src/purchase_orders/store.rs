//! Purchase orders in the store. Every change is one transaction that locks
//! the PO (SQLite: the write lock; PostgreSQL: `FOR UPDATE`), checks the
//! lifecycle rules, bumps `version` and appends to the timeline.

use super::input::{dollars, Checked};
use super::policy;
use super::rows::status_of;
use super::rules::{self, Action, PoFacts};
use super::writes::{change, transition, Sets, Value};
use super::*;
use crate::notifications::Event;
use crate::settings::Settings;
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, ErrorCode, Result, Store};
use chrono::Datelike;
use serde_json::json;
use sqlx::Row;

/// The locked state of a PO inside a change, and the settings the change
/// is decided by (read once, inside its transaction).
pub(super) struct Locked {
    pub(super) version: i64,
    pub(super) number: String,
    pub(super) total_cents: i64,
    pub(super) settings: Settings,
    pub(super) facts: PoFacts,
}

/// Adds `receipt` to the PO's lines (each checked against what is still
/// outstanding), records each receipt at the line's cost (the month's
/// received spend) and moves the PO to received or partially received.
/// Returns the status and what was received, for the timeline.
async fn add_receipt(tx: &mut Tx, id: i64, receipt: &[ReceiptLine], now: &str) -> Result<(PoStatus, Vec<serde_json::Value>)> {
    let rows = sqlx::query("SELECT id, line_no, description, quantity, received_quantity FROM po_lines WHERE po_id = $1 ORDER BY line_no")
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
    let mut lines: Vec<(i64, i64, String, i64, i64)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("line_no")?,
                r.try_get("description")?,
                r.try_get("quantity")?,
                r.try_get("received_quantity")?,
            ))
        })
        .collect::<Result<_>>()?;
    let mut received_now = Vec::new();
    for (i, rl) in receipt.iter().enumerate() {
        if receipt[..i].iter().any(|o| o.line_id == rl.line_id) {
            return Err(Error::validation(
                format!("lines[{i}].line_id"),
                "This line is listed twice; give its quantity once.",
            ));
        }
        let Some(line) = lines.iter_mut().find(|l| l.0 == rl.line_id) else {
            return Err(Error::validation(format!("lines[{i}].line_id"), "This line is not on the purchase order."));
        };
        rules::check_receipt(i, line.3, line.4, rl.quantity)?;
        line.4 += rl.quantity;
        received_now
            .push(json!({"line_id": line.0, "line_no": line.1, "description": line.2, "quantity": rl.quantity, "received_total": line.4, "ordered": line.3}));
    }
    for l in &lines {
        sqlx::query("UPDATE po_lines SET received_quantity = $1 WHERE id = $2")
            .bind(l.4)
            .bind(l.0)
            .execute(&mut **tx)
            .await?;
    }
    for rl in receipt {
        sqlx::query(
            "INSERT INTO po_receipts (po_id, line_id, at, quantity, cents)
             SELECT $1, id, $2, $3, $3 * unit_cost_cents FROM po_lines WHERE id = $4",
        )
        .bind(id)
        .bind(now)
        .bind(rl.quantity)
        .bind(rl.line_id)
        .execute(&mut **tx)
        .await?;
    }
    let status = rules::status_after_receipt(&lines.iter().map(|l| (l.3, l.4)).collect::<Vec<_>>());
    transition(tx, id, status, Sets::new(), now).await?;
    Ok((status, received_now))
}

/// A subscription is not goods in a box: the lines `po_line_ids` of PO
/// `po_id`, provisioned at the distributor, count as received in full (the
/// PO reads received when every line is), inside the provisioning's
/// transaction. Nothing for a PO that is not waiting for goods.
pub(crate) async fn receive_provisioned(tx: &mut Tx, po_id: i64, po_line_ids: &[i64], distributor: &str) -> Result<()> {
    if !waiting_for_receipt(tx, po_id).await? {
        return Ok(());
    }
    let outstanding = sqlx::query_as::<_, (i64, i64)>("SELECT id, quantity - received_quantity FROM po_lines WHERE po_id = $1 ORDER BY line_no")
        .bind(po_id)
        .fetch_all(&mut **tx)
        .await?;
    let receipt: Vec<ReceiptLine> = outstanding
        .into_iter()
        .filter(|(id, left)| *left > 0 && po_line_ids.contains(id))
        .map(|(line_id, quantity)| ReceiptLine { line_id, quantity })
        .collect();
    if receipt.is_empty() {
        return Ok(());
    }
    let now = clock::now();
    let (status, received_now) = add_receipt(tx, po_id, &receipt, &now).await?;
    let seats: i64 = receipt.iter().map(|r| r.quantity).sum();
    let message = format!(
        "Received {seats} seat{} as provisioned at {distributor} ({})",
        if seats == 1 { "" } else { "s" },
        status.label().to_lowercase()
    );
    event(
        tx,
        po_id,
        None,
        EventKind::Received,
        &message,
        json!({"lines": received_now, "status": status.as_str(), "provisioned": true}),
    )
    .await
}

/// A change order's line `po_line_id` that the distributor confirmed counts
/// as done (its seats "received"); the PO reads received once every line is,
/// partially received before. Inside the confirmation's transaction;
/// nothing for a PO that is not waiting for it.
pub(crate) async fn change_confirmed(tx: &mut Tx, po_id: i64, po_line_id: i64) -> Result<()> {
    if !waiting_for_receipt(tx, po_id).await? {
        return Ok(());
    }
    sqlx::query("UPDATE po_lines SET received_quantity = quantity WHERE id = $1 AND po_id = $2 AND change_subscription_id IS NOT NULL")
        .bind(po_line_id)
        .bind(po_id)
        .execute(&mut **tx)
        .await?;
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM po_lines WHERE po_id = $1 AND received_quantity <> quantity")
        .bind(po_id)
        .fetch_one(&mut **tx)
        .await?;
    let status = if open == 0 { PoStatus::Received } else { PoStatus::PartiallyReceived };
    transition(tx, po_id, status, Sets::new(), &clock::now()).await
}

/// PO `po_id` exists and waits for what it ordered (approved, or partly received).
async fn waiting_for_receipt(tx: &mut Tx, po_id: i64) -> Result<bool> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM purchase_orders WHERE id = $1")
        .bind(po_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match status {
        Some(s) => matches!(PoStatus::from_stored(&s)?, PoStatus::Approved | PoStatus::PartiallyReceived),
        None => false,
    })
}

/// "1 line", "5 lines".
fn lines_in_words(n: usize) -> String {
    format!("{n} line{}", if n == 1 { "" } else { "s" })
}

pub(super) async fn event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: EventKind, message: &str, data: serde_json::Value) -> Result<()> {
    timeline_event(tx, po_id, actor, "System", kind, message, data).await
}

/// [`event`] for an entry whose notification is moot (a submission approved
/// in the same change): the outbox is not asked.
pub(super) async fn unnotified_event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: EventKind, message: &str, data: serde_json::Value) -> Result<()> {
    append(tx, po_id, actor, "System", kind, message, &data).await
}

/// Writes the timeline entry itself.
async fn append(tx: &mut Tx, po_id: i64, actor: Option<&User>, system: &str, kind: EventKind, message: &str, data: &serde_json::Value) -> Result<()> {
    sqlx::query("INSERT INTO po_events (po_id, at, actor_id, actor_name, kind, message, data) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(po_id)
        .bind(clock::now())
        .bind(actor.map(|a| a.id))
        .bind(actor.map(|a| a.name.as_str()).unwrap_or(system).to_string())
        .bind(kind.as_str())
        .bind(message)
        .bind(data.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends to a PO's timeline; `system` names the actor when no user acted.
pub(crate) async fn timeline_event(
    tx: &mut Tx,
    po_id: i64,
    actor: Option<&User>,
    system: &str,
    kind: EventKind,
    message: &str,
    data: serde_json::Value,
) -> Result<()> {
    append(tx, po_id, actor, system, kind, message, &data).await?;
    if let Some((event, automatic)) = notified(kind, &data) {
        let cause = crate::notifications::outbox::Cause {
            po_id,
            actor_id: actor.map(|a| a.id),
            actor_name: actor.map(|a| a.name.as_str()).unwrap_or(system),
            message,
            automatic,
        };
        crate::notifications::outbox::record(tx, event, &cause).await?;
    }
    Ok(())
}

/// The notification a timeline entry raises, if any (and whether it
/// happened by itself as its actor acted, so nobody is mailed).
fn notified(kind: EventKind, data: &serde_json::Value) -> Option<(Event, bool)> {
    Some(match kind {
        // A submission, a revision sent back to approval, or the first of
        // two approvals: waiting for (another) approver. A submission
        // approved at once is dropped by the outbox (the PO is not pending).
        EventKind::Submitted | EventKind::RevisionRequested | EventKind::ApprovedFirst => (Event::PoSubmitted, false),
        EventKind::Approved => (Event::PoApproved, false),
        EventKind::AutoApproved => (Event::PoApproved, true),
        EventKind::Rejected => (Event::PoRejected, false),
        EventKind::Cancelled => (Event::PoCancelled, false),
        // Each opens a remediation entry.
        EventKind::DispatchFailed | EventKind::DispatchNeedsAttention | EventKind::DispatchDuplicate => (Event::DispatchFailed, false),
        EventKind::DispatchProvisioned => (Event::DispatchProvisioned, false),
        // Only when it will not retry by itself: a person has to act.
        EventKind::QboPushFailed if data.get("retry_at").is_none_or(|r| r.is_null()) => (Event::QboPushFailed, false),
        _ => return None,
    })
}

/// What a change and the policy read of a PO (`FROM purchase_orders`
/// follows): its state, and what was received of it.
const FACTS: &str = "SELECT status, version, number, total_cents, created_by, procurement_status, approvals_required, first_approved_by, qbo_id,
    (SELECT v.distributor FROM vendors v WHERE v.id = vendor_id) AS distributor,
    (SELECT CAST(COALESCE(SUM(l.received_quantity), 0) AS BIGINT) FROM po_lines l WHERE l.po_id = purchase_orders.id) AS received";

/// The policy's facts from a row of [`FACTS`].
fn facts_of(r: &sqlx::any::AnyRow) -> Result<PoFacts> {
    let status = status_of(&r.try_get::<String, _>("status")?)?;
    Ok(PoFacts {
        status,
        created_by: Some(r.try_get("created_by")?),
        anything_received: r.try_get::<i64, _>("received")? > 0,
        procurement_status: super::rows::dispatch_status_of(r.try_get("procurement_status")?)?,
        approvals_required: r.try_get("approvals_required")?,
        first_approver: if status == PoStatus::PendingApproval {
            r.try_get("first_approved_by")?
        } else {
            None
        },
        distributor: r.try_get::<Option<String>, _>("distributor")?.is_some(),
        qbo_pushed: r.try_get::<Option<String>, _>("qbo_id")?.is_some(),
    })
}

impl Store {
    /// Raises a PO with the next number of the year; submits it when asked.
    pub async fn create_po(&self, actor: &User, input: &PoInput, submit: bool) -> Result<PurchaseOrder> {
        let checked = self.checked_input(input).await?;
        let total = checked.total();
        let Checked {
            target, vendor, lines, notes, ..
        } = &checked;
        let now = clock::now();
        let year = chrono::Utc::now().year();
        let mut tx = self.begin_write().await?;
        let settings = Self::settings_in(&mut tx).await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO po_counters (year, last) VALUES ($1, 1) ON CONFLICT (year) DO UPDATE SET last = po_counters.last + 1 RETURNING last",
        )
        .bind(year as i64)
        .fetch_one(&mut *tx)
        .await?;
        let number = rules::format_number(year, seq);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO purchase_orders (number, status, version, vendor_id, company_id, ticket_id, project_id, currency, notes, total_cents, search_text, created_by, created_at, updated_at)
             VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(&number)
        .bind(PoStatus::Draft.as_str())
        .bind(vendor.id)
        .bind(target.company_id)
        .bind(target.ticket.as_ref().map(|t| t.0))
        .bind(target.project.as_ref().map(|p| p.0))
        .bind(&settings.currency)
        .bind(notes)
        .bind(total)
        .bind(Self::search_text(&number, &vendor.name, target, lines))
        .bind(actor.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Self::insert_lines(&mut tx, id, &checked).await?;
        event(
            &mut tx,
            id,
            Some(actor),
            EventKind::Created,
            &format!(
                "Raised {number} for {} ({}, {}){}",
                vendor.name,
                lines_in_words(lines.len()),
                dollars(total),
                checked.overrides_in_words()
            ),
            json!({"total_cents": total, "price_overrides": checked.overrides()}),
        )
        .await?;
        let approved = match submit {
            true => self.submit_locked(&mut tx, actor, id, total, &settings).await?,
            false => None,
        };
        tx.commit().await?;
        self.after_change(id, approved).await
    }

    /// Replaces a draft or rejected PO's content; `version` must match (409
    /// `stale` otherwise). An approved PO nothing followed yet is revisable:
    /// the edit withdraws its approval (back to draft, or submitted anew).
    pub async fn update_po(&self, actor: &User, id: i64, version: i64, input: &PoInput, submit: bool) -> Result<PurchaseOrder> {
        let checked = self.checked_input(input).await?;
        let total = checked.total();
        let (mut tx, locked) = self.begin_change(actor, id, Action::Edit).await?;
        Self::check_version(&locked, version, "edit")?;
        let withdrawn = locked.facts.status == PoStatus::Approved;
        let number = &locked.number;
        let mut sets = Sets::new()
            .set("vendor_id", checked.vendor.id)
            .set("company_id", checked.target.company_id)
            .set("ticket_id", checked.target.ticket.as_ref().map(|t| t.0))
            .set("project_id", checked.target.project.as_ref().map(|p| p.0))
            .set("notes", checked.notes.as_str())
            .set("total_cents", total)
            .set("search_text", Self::search_text(number, &checked.vendor.name, &checked.target, &checked.lines));
        let now = clock::now();
        if withdrawn {
            sets = sets.withdraw_approval().set("snapshot", Value::Null);
            transition(&mut tx, id, PoStatus::Draft, sets, &now).await?;
        } else {
            change(&mut tx, id, sets, &now).await?;
        }
        sqlx::query("DELETE FROM po_lines WHERE po_id = $1").bind(id).execute(&mut *tx).await?;
        Self::insert_lines(&mut tx, id, &checked).await?;
        let (kind, what) = if withdrawn {
            (
                EventKind::EditedAfterApproval,
                "Edited after approval: the approval is withdrawn and it needs a new one",
            )
        } else {
            (EventKind::Edited, "Edited")
        };
        event(
            &mut tx,
            id,
            Some(actor),
            kind,
            &format!(
                "{what} ({}, {}){}",
                lines_in_words(checked.lines.len()),
                dollars(total),
                checked.overrides_in_words()
            ),
            json!({"total_cents": total, "price_overrides": checked.overrides()}),
        )
        .await?;
        let approved = match submit {
            true => self.submit_locked(&mut tx, actor, id, total, &locked.settings).await?,
            false => None,
        };
        tx.commit().await?;
        self.after_change(id, approved).await
    }

    /// Begins a change of PO `id` by `actor`: takes the lock and asks the
    /// policy whether `actor` may do `action` to the PO as it is now (403 or
    /// 409 otherwise).
    pub(super) async fn begin_change(&self, actor: &User, id: i64, action: Action) -> Result<(Tx, Locked)> {
        self.begin_change_checked(actor, id, action, |_| Ok(())).await
    }

    /// [`Store::begin_change`], with `check` of the request against the
    /// settings first (a signature the settings require), before the policy.
    pub(super) async fn begin_change_checked(
        &self,
        actor: &User,
        id: i64,
        action: Action,
        check: impl FnOnce(&Settings) -> Result<()>,
    ) -> Result<(Tx, Locked)> {
        let mut tx = self.begin_write().await?;
        let settings = Self::settings_in(&mut tx).await?;
        check(&settings)?;
        let locked = self.lock(&mut tx, id, settings).await?;
        let rules = policy::Rules {
            allow_self_approval: locked.settings.allow_self_approval,
        };
        policy::check(actor, &locked.facts, rules, action)?;
        Ok((tx, locked))
    }

    /// Locks a PO for a change and reads what the policy needs, in one
    /// statement.
    async fn lock(&self, tx: &mut Tx, id: i64, settings: Settings) -> Result<Locked> {
        let r = sqlx::query(&format!("{FACTS} FROM purchase_orders WHERE id = $1{}", self.for_update()))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::not_found("The purchase order"))?;
        Ok(Locked {
            version: r.try_get("version")?,
            number: r.try_get("number")?,
            total_cents: r.try_get("total_cents")?,
            settings,
            facts: facts_of(&r)?,
        })
    }

    /// Whether `actor` may do `action` to PO `id` now ([`policy::check`]),
    /// in one read: for a caller that asks before it does slow work (an
    /// approval's signature decoded, a dispatch requested); the change
    /// asks again with the PO locked.
    pub async fn may(&self, actor: &User, id: i64, action: Action) -> Result<()> {
        let r = sqlx::query(&format!(
            "{FACTS}, (SELECT s.allow_self_approval FROM settings s WHERE s.id = 1) AS allow_self_approval FROM purchase_orders WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or_else(|| Error::not_found("The purchase order"))?;
        let rules = policy::Rules {
            allow_self_approval: crate::store::to_bool(r.try_get("allow_self_approval")?),
        };
        policy::check(actor, &facts_of(&r)?, rules, action)
    }

    /// 409 `stale` unless the caller acts on the `version` they saw.
    pub(super) fn check_version(locked: &Locked, version: i64, verb: &str) -> Result<()> {
        if locked.version == version {
            return Ok(());
        }
        Err(Error {
            code: ErrorCode::Stale,
            message: format!(
                "This purchase order changed since you opened it (version {} now, yours {version}). Reload it and look again before you {verb} it.",
                locked.version
            ),
            field: Some("version".into()),
        })
    }

    pub async fn cancel_po(&self, actor: &User, id: i64, reason: Option<&str>) -> Result<PurchaseOrder> {
        let reason = rules::reason("reason", reason, false)?;
        let (mut tx, _) = self.begin_change(actor, id, Action::Cancel).await?;
        let now = clock::now();
        let sets = Sets::new()
            .set("cancelled_by", actor.id)
            .set("cancelled_at", now.as_str())
            .set("cancel_reason", reason.clone());
        transition(&mut tx, id, PoStatus::Cancelled, sets, &now).await?;
        let message = match &reason {
            Some(r) => format!("Cancelled: {r}"),
            None => "Cancelled".to_string(),
        };
        event(&mut tx, id, Some(actor), EventKind::Cancelled, &message, json!({"reason": reason})).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Records goods received now, per line, added to what came before.
    pub async fn receive_po(&self, actor: &User, id: i64, receipt: &[ReceiptLine]) -> Result<PurchaseOrder> {
        if receipt.is_empty() {
            return Err(Error::validation("lines", "Say which lines arrived and how many."));
        }
        let (mut tx, _) = self.begin_change(actor, id, Action::Receive).await?;
        let now = clock::now();
        let (status, received_now) = add_receipt(&mut tx, id, receipt, &now).await?;
        let summary = receipt.iter().map(|r| r.quantity).sum::<i64>();
        let message = format!(
            "Received {summary} item{} ({})",
            if summary == 1 { "" } else { "s" },
            status.label().to_lowercase()
        );
        event(
            &mut tx,
            id,
            Some(actor),
            EventKind::Received,
            &message,
            json!({"lines": received_now, "status": status.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// PO `id` when `actor` may do `action` to it now ([`policy::check`]);
    /// the refusal otherwise. For actions outside this store (dispatch,
    /// retry, push), which check the PO's state again as they change it.
    pub async fn authorize(&self, actor: &User, id: i64, action: Action) -> Result<PurchaseOrder> {
        let po = self.get_po(id).await?;
        let rules = policy::Rules::from(&self.settings().await?);
        policy::check(actor, &po.facts(), rules, action)?;
        Ok(po)
    }
}
