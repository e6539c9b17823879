//! Remediation: retry a failed dispatch as it is, or with edits (fixes
//! within the approval retry at once; changes to what is bought go back to
//! an approver and resume on approval), or abandon it.

use super::dispatch_request::approved_snapshot;
use super::engine::{event, set_status};
use super::rows::{RemediationRow, REMEDIATION_COLUMNS};
use super::*;
use crate::purchase_orders::snapshot::Snapshot;
use crate::purchase_orders::{Approved, EventKind, PoStatus};
use crate::store::follow::{Follows, Step};
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use serde_json::json;
use sqlx::Row;

impl Store {
    /// Retry a failed dispatch, as it is or with edits (recorded). Edits
    /// that change what is bought (a higher quantity, another product or
    /// billing term) are not sent: they revise the PO, which goes back to an
    /// approver, and the dispatch resumes once it is approved.
    pub async fn retry_dispatch(&self, actor: &User, remediation_id: i64, edits: Option<&RetryEdits>) -> Result<Dispatch> {
        self.authorize(actor, self.remediation_po(remediation_id).await?, crate::purchase_orders::rules::Action::Retry)
            .await?;
        let mut tx = self.begin_write().await?;
        let (dispatch_id, po_id, reason) = self.open_remediation(&mut tx, remediation_id).await?;
        let awaiting: i64 = sqlx::query_scalar("SELECT awaiting_approval FROM remediations WHERE id = $1")
            .bind(remediation_id)
            .fetch_one(&mut *tx)
            .await?;
        if crate::store::to_bool(awaiting) {
            return Err(Error::conflict(
                "This retry changed what is bought and waits for the purchase order's new approval; the dispatch resumes once it is approved.",
            ));
        }
        if reason == RemediationReason::ChangedAtDistributor {
            if edits.is_some_and(|e| *e != RetryEdits::default()) {
                return Err(Error::validation(
                    "edits",
                    "A changed subscription is revised from what Pax8 shows now; there is nothing to edit.",
                ));
            }
            self.revise_change_order(&mut tx, actor, po_id, dispatch_id, remediation_id).await?;
            tx.commit().await?;
            return self.get_dispatch(po_id).await;
        }
        if reason.order_exists_waiting() {
            // The order exists at the distributor: never send again. A
            // waiting one is checked again; a second order was dealt with
            // at the distributor by a person, and its entry is closed.
            let duplicate = reason.is_duplicate();
            if edits.is_some_and(|e| *e != RetryEdits::default()) {
                return Err(Error::validation(
                    "edits",
                    if duplicate {
                        "Nothing is sent for a second order; mark the entry resolved."
                    } else {
                        "The distributor already has this order; an edit would order again. Complete it at the distributor, or abandon."
                    },
                ));
            }
            let (status, resolution, message) = if duplicate {
                (
                    RemediationStatus::Resolved,
                    "the extra order was dealt with at the distributor",
                    "Remediation: the second order at the distributor was dealt with (nothing is sent)",
                )
            } else {
                (
                    RemediationStatus::Retried,
                    "checked again",
                    "Remediation: checking the distributor again (nothing is sent again)",
                )
            };
            close_entry(&mut tx, remediation_id, status, Some(actor.id), resolution).await?;
            if !duplicate {
                sqlx::query("UPDATE dispatches SET next_run_at = $1, polls = 0 WHERE id = $2")
                    .bind(clock::now())
                    .bind(dispatch_id)
                    .execute(&mut *tx)
                    .await?;
            }
            event(
                &mut tx,
                po_id,
                Some(actor),
                EventKind::DispatchRechecked,
                message,
                json!({"remediation_id": remediation_id}),
            )
            .await?;
            tx.commit().await?;
            return self.get_dispatch(po_id).await;
        }
        let r = sqlx::query("SELECT request, company_key FROM dispatches WHERE id = $1")
            .bind(dispatch_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut request: OrderRequest = crate::store::from_json(&r.try_get::<String, _>("request")?, "a dispatch's request")?;
        let mut company_key: String = r.try_get("company_key")?;
        let changed = match edits {
            Some(e) => e.apply(&mut request)?,
            None => vec![],
        };
        if let Some(e) = edits {
            let approved = approved_snapshot(&mut tx, Some(actor), po_id, true).await?;
            let purchase = super::revision::purchase_changes(e, &approved);
            if !purchase.is_empty() {
                self.revise_po(&mut tx, actor, po_id, remediation_id, e, &approved, purchase).await?;
                tx.commit().await?;
                return self.get_dispatch(po_id).await;
            }
        }
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
        close_entry(&mut tx, remediation_id, RemediationStatus::Retried, Some(actor.id), &resolution).await?;
        sqlx::query("UPDATE dispatches SET request = $1, company_key = $2, next_run_at = $3, last_error = NULL WHERE id = $4")
            .bind(serde_json::to_string(&request).map_err(|e| Error::internal_from("writing a dispatch's request", e))?)
            .bind(company_key)
            .bind(clock::now())
            .bind(dispatch_id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, dispatch_id, po_id, DispatchStatus::Queued).await?;
        let kind = if changed.is_empty() {
            EventKind::DispatchRetried
        } else {
            EventKind::DispatchEdited
        };
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

    /// An edit-and-retry that changes what is bought: the PO takes the
    /// revised snapshot (and quantities, and total) and goes back to
    /// `pending_approval`; the entry stays open, waiting for the approval.
    #[allow(clippy::too_many_arguments)]
    async fn revise_po(
        &self,
        tx: &mut Tx,
        actor: &User,
        po_id: i64,
        remediation_id: i64,
        edits: &RetryEdits,
        approved: &Snapshot,
        changes: Vec<crate::purchase_orders::snapshot::Change>,
    ) -> Result<()> {
        let status: String = sqlx::query_scalar("SELECT status FROM purchase_orders WHERE id = $1")
            .bind(po_id)
            .fetch_one(&mut **tx)
            .await?;
        if status != PoStatus::Approved.as_str() {
            return Err(Error::conflict(
                "Goods were received on this purchase order; a change to what is bought needs a new purchase order.",
            ));
        }
        let revised = super::revision::revised(edits, approved);
        for l in &revised.lines {
            sqlx::query("UPDATE po_lines SET quantity = $1 WHERE id = $2 AND po_id = $3")
                .bind(l.quantity)
                .bind(l.po_line_id)
                .bind(po_id)
                .execute(&mut **tx)
                .await?;
        }
        let back = Revised {
            remediation_id,
            snapshot: &revised,
            changes,
            total_field: "edits.lines",
        };
        self.back_to_approval(tx, actor, po_id, back, |words| {
            format!("Edit and retry changes what is bought ({words}): back to approval; the dispatch resumes once it is approved")
        })
        .await
    }

    /// Sends PO `po_id` back to approval with what `back` revised: the PO
    /// orders its snapshot at its total (400 on `total_field` when too
    /// large), the revision says who asked and what changed, the entry
    /// waits for the approval, and the timeline says `message(the changes
    /// in words)`.
    async fn back_to_approval(&self, tx: &mut Tx, actor: &User, po_id: i64, back: Revised<'_>, message: impl FnOnce(&str) -> String) -> Result<()> {
        use crate::purchase_orders::{rules, snapshot::Revision, Person};
        let Revised {
            remediation_id,
            snapshot: revised,
            changes,
            total_field,
        } = back;
        let total = rules::po_total(revised.lines.iter().map(|l| (l.quantity, l.unit_cost_cents)))
            .ok_or_else(|| Error::validation(total_field, "The purchase order's total would be larger than this system allows."))?;
        let revision = Revision {
            changes: changes.clone(),
            requested_by: Person {
                id: Some(actor.id),
                name: actor.name.clone(),
            },
            at: clock::now(),
            remediation_id,
        };
        let snapshot = serde_json::to_string(revised).map_err(|e| Error::internal_from("writing a revised snapshot", e))?;
        let revision_json = serde_json::to_string(&revision).map_err(|e| Error::internal_from("writing a revision", e))?;
        crate::purchase_orders::writes::send_revision_for_approval(tx, po_id, total, &snapshot, &revision_json, &revision.at).await?;
        sqlx::query("UPDATE remediations SET awaiting_approval = 1 WHERE id = $1")
            .bind(remediation_id)
            .execute(&mut **tx)
            .await?;
        let words: Vec<String> = changes.iter().map(|c| c.describe()).collect();
        event(
            tx,
            po_id,
            Some(actor),
            EventKind::RevisionRequested,
            &message(&words.join("; ")),
            json!({"remediation_id": remediation_id, "changes": changes, "total_cents": total}),
        )
        .await
    }

    /// A change order whose subscription changed at the distributor: each
    /// line not yet confirmed is revised from the subscription as last read
    /// (its seats there, `updatedDate`, commitment end), repriced, and the
    /// PO goes back to approval; the entry waits for it, and the dispatch
    /// resumes with the new figures once approved.
    async fn revise_change_order(&self, tx: &mut Tx, actor: &User, po_id: i64, dispatch_id: i64, remediation_id: i64) -> Result<()> {
        use crate::purchase_orders::snapshot::Change;
        let status: String = sqlx::query_scalar("SELECT status FROM purchase_orders WHERE id = $1")
            .bind(po_id)
            .fetch_one(&mut **tx)
            .await?;
        if !matches!(PoStatus::from_stored(&status)?, PoStatus::Approved | PoStatus::PartiallyReceived) {
            return Err(Error::conflict("Only an approved change order is revised."));
        }
        let done: i64 = sqlx::query_scalar("SELECT changes_done FROM dispatches WHERE id = $1")
            .bind(dispatch_id)
            .fetch_one(&mut **tx)
            .await?;
        let mut revised = approved_snapshot(tx, Some(actor), po_id, true).await?;
        let ids: Vec<i64> = revised.lines.iter().filter_map(|l| l.change.as_ref().map(|c| c.subscription_id)).collect();
        let now = self.subscriptions_by_ids(&ids).await?;
        let mut changes = Vec::new();
        for (i, l) in revised.lines.iter_mut().enumerate() {
            let Some(ch) = l.change.as_mut() else { continue };
            if (i as i64) < done {
                continue;
            }
            let Some(s) = now.iter().find(|s| s.id == ch.subscription_id) else { continue };
            let seats = s.drift.as_ref().map(|d| d.distributor_quantity).unwrap_or(s.quantity);
            if seats != ch.from_quantity {
                changes.push(Change::new(
                    Some(l.line_no),
                    "seats at Pax8",
                    Some(ch.from_quantity.to_string()),
                    Some(seats.to_string()),
                ));
            }
            if s.commitment_end != ch.commitment_end {
                changes.push(Change::new(
                    Some(l.line_no),
                    "commitment end",
                    ch.commitment_end.clone(),
                    s.commitment_end.clone(),
                ));
            }
            ch.from_quantity = seats;
            ch.commitment_end = s.commitment_end.clone();
            ch.distributor_updated_at = s.distributor_updated_at.clone();
            l.quantity = ch.to_quantity.unwrap_or(0) - seats;
            crate::purchase_orders::writes::revise_change_line(tx, po_id, l.po_line_id, seats, l.quantity).await?;
        }
        if changes.is_empty() {
            changes.push(Change::new(None, "subscription at Pax8", Some("as approved".into()), Some("changed".into())));
        }
        revised.taken_at = clock::now();
        let back = Revised {
            remediation_id,
            snapshot: &revised,
            changes,
            total_field: "lines",
        };
        self.back_to_approval(tx, actor, po_id, back, |words| {
            format!("The subscription changed at Pax8 ({words}): the change is revised from what Pax8 shows and goes back to approval")
        })
        .await
    }

    /// On a PO's approval: a dispatch whose retry waited for it (a
    /// revision) is sent, with the approved snapshot. Inside the approval's
    /// transaction.
    async fn resume_after_approval(&self, tx: &mut Tx, actor: &User, po_id: i64) -> Result<()> {
        let waiting = sqlx::query("SELECT id, dispatch_id FROM remediations WHERE po_id = $1 AND status = $2 AND awaiting_approval = 1")
            .bind(po_id)
            .bind(RemediationStatus::Open.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        let Some(w) = waiting else { return Ok(()) };
        let (remediation_id, dispatch_id): (i64, i64) = (w.try_get("id")?, w.try_get("dispatch_id")?);
        let request = order_from(&approved_snapshot(tx, Some(actor), po_id, true).await?);
        let company_key: String = match &request.company_id {
            Some(c) => c.clone(),
            None => {
                sqlx::query_scalar("SELECT company_key FROM dispatches WHERE id = $1")
                    .bind(dispatch_id)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        close_entry(tx, remediation_id, RemediationStatus::Retried, Some(actor.id), "edited, approved and retried").await?;
        sqlx::query("UPDATE dispatches SET request = $1, company_key = $2, next_run_at = $3, last_error = NULL WHERE id = $4")
            .bind(serde_json::to_string(&request).map_err(|e| Error::internal_from("writing a dispatch's request", e))?)
            .bind(company_key)
            .bind(clock::now())
            .bind(dispatch_id)
            .execute(&mut **tx)
            .await?;
        set_status(tx, dispatch_id, po_id, DispatchStatus::Queued).await?;
        event(
            tx,
            po_id,
            Some(actor),
            EventKind::DispatchEdited,
            "Remediation: the change is approved; the dispatch resumes with it",
            json!({"remediation_id": remediation_id}),
        )
        .await
    }

    /// Abandon a failed dispatch, with a reason.
    pub async fn abandon_dispatch(&self, actor: &User, remediation_id: i64, reason: &str) -> Result<Remediation> {
        let reason = crate::purchase_orders::rules::reason("reason", Some(reason), true)?.unwrap_or_default();
        self.authorize(actor, self.remediation_po(remediation_id).await?, crate::purchase_orders::rules::Action::Retry)
            .await?;
        let mut tx = self.begin_write().await?;
        let (dispatch_id, po_id, kind) = self.open_remediation(&mut tx, remediation_id).await?;
        if kind.is_duplicate() {
            return Err(Error::conflict(
                "The dispatch has its order at the distributor; a second order is dealt with there, then this entry is marked resolved.",
            ));
        }
        let reason = if kind.order_exists_waiting() {
            format!("{reason} (the order stays at the distributor; nothing was cancelled there)")
        } else {
            reason
        };
        close_entry(
            &mut tx,
            remediation_id,
            RemediationStatus::Abandoned,
            Some(actor.id),
            &format!("abandoned: {reason}"),
        )
        .await?;
        set_status(&mut tx, dispatch_id, po_id, DispatchStatus::Abandoned).await?;
        event(
            &mut tx,
            po_id,
            Some(actor),
            EventKind::DispatchAbandoned,
            &format!("Dispatch abandoned: {reason}"),
            json!({"remediation_id": remediation_id}),
        )
        .await?;
        tx.commit().await?;
        self.get_dispatch(po_id).await?.remediation.ok_or_else(Error::internal)
    }

    /// The PO a remediation entry is about.
    async fn remediation_po(&self, remediation_id: i64) -> Result<i64> {
        sqlx::query_scalar("SELECT po_id FROM remediations WHERE id = $1")
            .bind(remediation_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The remediation entry"))
    }

    async fn open_remediation(&self, tx: &mut Tx, remediation_id: i64) -> Result<(i64, i64, RemediationReason)> {
        let r = sqlx::query_as::<_, RemediationRow>(&format!("SELECT {REMEDIATION_COLUMNS} FROM remediations WHERE id = $1{}", self.for_update()))
            .bind(remediation_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| Error::not_found("The remediation entry"))?;
        let dispatch_id = r.dispatch_id;
        let entry = r.into_model()?;
        if entry.status != RemediationStatus::Open {
            return Err(Error::conflict(format!("This remediation entry is already {}.", entry.status)));
        }
        Ok((dispatch_id, entry.po_id, entry.reason))
    }
}

/// What a retry revised, to go back to approval.
struct Revised<'a> {
    remediation_id: i64,
    snapshot: &'a Snapshot,
    changes: Vec<crate::purchase_orders::snapshot::Change>,
    /// The input a total too large for the system is blamed on.
    total_field: &'static str,
}

/// Opens a remediation entry of dispatch `dispatch_id`: a person has to act.
pub(super) async fn open_entry(tx: &mut Tx, dispatch_id: i64, po_id: i64, reason: RemediationReason, message: &str, problems: &[Problem]) -> Result<()> {
    sqlx::query("INSERT INTO remediations (dispatch_id, po_id, status, message, problems, opened_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(dispatch_id)
        .bind(po_id)
        .bind(RemediationStatus::Open.as_str())
        .bind(message)
        .bind(serde_json::to_string(problems).map_err(|e| Error::internal_from("writing remediation problems", e))?)
        .bind(clock::now())
        .bind(reason.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The one way an entry closes: to `status`, by whom (none: by itself),
/// and how; it waits for no approval any more.
pub(super) async fn close_entry(tx: &mut Tx, id: i64, status: RemediationStatus, by: Option<i64>, resolution: &str) -> Result<()> {
    sqlx::query("UPDATE remediations SET status = $1, awaiting_approval = 0, resolved_by = $2, resolved_at = $3, resolution = $4 WHERE id = $5")
        .bind(status.as_str())
        .bind(by)
        .bind(clock::now())
        .bind(resolution)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The open entries of a dispatch the distributor settled by provisioning
/// it (all but a second order's), resolved as of `at`.
pub(super) async fn settle_entries(tx: &mut Tx, dispatch_id: i64, at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE remediations SET status = $1, resolved_at = $2, resolution = 'provisioned at the distributor'
         WHERE dispatch_id = $3 AND status = $4 AND reason <> $5",
    )
    .bind(RemediationStatus::Resolved.as_str())
    .bind(at)
    .bind(dispatch_id)
    .bind(RemediationStatus::Open.as_str())
    .bind(RemediationReason::DuplicateAtDistributor.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Resumes a dispatch waiting for its PO's approval (a revision), inside the
/// approval's transaction; wired to every store by [`crate::wiring`].
pub struct ResumeDispatch;

impl Follows<Approved> for ResumeDispatch {
    fn within<'a>(&'a self, store: &'a Store, tx: &'a mut Tx, approved: &'a Approved) -> Step<'a> {
        Box::pin(store.resume_after_approval(tx, &approved.by, approved.po_id))
    }
}
