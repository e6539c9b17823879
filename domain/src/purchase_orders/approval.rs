//! Submitting and deciding: the snapshot and the approvals a PO needs at
//! submission, auto-approval, approve (one of two, or the only one) and
//! reject, each at the version the approver saw. Who may: [`super::policy`].

use super::input::dollars;
use super::rules::{self, Action, OnSubmit};
use super::store::{event, unnotified_event};
use super::writes::{change, transition, Sets, Value};
use super::*;
use crate::settings::Settings;
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use serde_json::json;

impl Store {
    /// Submit inside a transaction that holds the PO: keeps the snapshot of
    /// what it orders, fixes how many approvals it needs, and approves it at
    /// once under the auto-approve limit (never with a price override or
    /// when it needs two approvals).
    pub(super) async fn submit_locked(&self, tx: &mut Tx, actor: &User, id: i64, total: i64, settings: &Settings) -> Result<Option<Approved>> {
        let (limit, second) = (settings.auto_approve_limit_cents, settings.second_approval_limit_cents);
        let (snapshot, overrides) = Self::take_snapshot(tx, id).await?;
        let reduces = snapshot.reduces(total);
        let snapshot = Self::snapshot_json(&snapshot)?;
        let now = clock::now();
        match rules::on_submit(total, overrides, reduces, limit, second) {
            OnSubmit::AutoApproved { limit_cents } => {
                let sets = Sets::new()
                    .set("snapshot", snapshot)
                    .withdraw_approval()
                    .set("approval_kind", ApprovalKind::Auto.as_str())
                    .set("approved_at", now.as_str())
                    .set("approval_limit_cents", limit_cents)
                    .set("approvals_required", 1)
                    .set("revision", Value::Null)
                    .clear_rejection();
                transition(tx, id, PoStatus::Approved, sets, &now).await?;
                // Approved at once: nobody is asked to approve it.
                unnotified_event(tx, id, Some(actor), EventKind::Submitted, "Submitted for approval", json!({})).await?;
                event(
                    tx,
                    id,
                    None,
                    EventKind::AutoApproved,
                    &format!("Approved automatically (under {} limit)", dollars(limit_cents)),
                    json!({"limit_cents": limit_cents, "total_cents": total}),
                )
                .await?;
                self.approved_within(tx, actor, id, settings).await.map(Some)
            }
            OnSubmit::Waits { approvals, why } => {
                let sets = Sets::new()
                    .set("snapshot", snapshot)
                    .withdraw_approval()
                    .set("approvals_required", approvals)
                    .set("revision", Value::Null);
                transition(tx, id, PoStatus::PendingApproval, sets, &now).await?;
                let two = if approvals > 1 { "; it needs two approvals" } else { "" };
                event(
                    tx,
                    id,
                    Some(actor),
                    EventKind::Submitted,
                    &format!("Submitted for approval ({why}{two})"),
                    json!({"limit_cents": limit, "total_cents": total, "approvals_required": approvals, "price_overrides": overrides}),
                )
                .await?;
                Ok(None)
            }
        }
    }

    /// Inside the transaction that approved PO `id`: what follows an
    /// approval there (a dispatch waiting for it resumes).
    async fn approved_within(&self, tx: &mut Tx, actor: &User, id: i64, settings: &Settings) -> Result<Approved> {
        let approved = Approved {
            po_id: id,
            by: actor.clone(),
            settings: settings.clone(),
        };
        self.raise_within(tx, &approved).await?;
        Ok(approved)
    }

    /// After the change committed: what follows an approval outside it
    /// (QuickBooks' auto-push), then the PO as it is now.
    pub(super) async fn after_change(&self, id: i64, approved: Option<Approved>) -> Result<PurchaseOrder> {
        if let Some(a) = approved {
            self.raise_after(&a).await;
        }
        self.get_po(id).await
    }

    pub async fn submit_po(&self, actor: &User, id: i64) -> Result<PurchaseOrder> {
        let (mut tx, locked) = self.begin_change(actor, id, Action::Submit).await?;
        let approved = self.submit_locked(&mut tx, actor, id, locked.total_cents, &locked.settings).await?;
        tx.commit().await?;
        self.after_change(id, approved).await
    }

    /// Approves a PO waiting for approval, at the `version` the approver saw
    /// (who may: [`policy::check`]). `signature` is a checked PNG. A PO that
    /// needs two approvals stays pending after the first; the second
    /// approves it. A dispatch waiting for this approval (a revision) resumes.
    pub async fn approve_po(&self, actor: &User, id: i64, version: i64, signature: Option<Vec<u8>>) -> Result<PurchaseOrder> {
        let unsigned = signature.is_none();
        let (mut tx, locked) = self
            .begin_change_checked(actor, id, Action::Approve, |settings| match settings.require_signature && unsigned {
                true => Err(Error::validation("signature_png", "A signature is required to approve: sign on the pad.")),
                false => Ok(()),
            })
            .await?;
        Self::check_version(&locked, version, "approve")?;
        let self_approval = locked.facts.created_by == Some(actor.id);
        let now = clock::now();
        let (signature_id, sha) = match &signature {
            Some(png) => {
                let sha = super::signature::sha256_hex(png);
                let sid: i64 =
                    sqlx::query_scalar("INSERT INTO po_signatures (po_id, png, sha256, signed_by, signed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                        .bind(id)
                        .bind(png.clone())
                        .bind(&sha)
                        .bind(actor.id)
                        .bind(&now)
                        .fetch_one(&mut *tx)
                        .await?;
                (Some(sid), Some(sha))
            }
            None => (None, None),
        };
        let two = locked.facts.approvals_required > 1;
        if two && locked.facts.first_approver.is_none() {
            let sets = Sets::new()
                .set("first_approved_by", actor.id)
                .set("first_approved_at", now.as_str())
                .set("first_signature_id", signature_id);
            change(&mut tx, id, sets, &now).await?;
            let message = if sha.is_some() {
                "First approval of two, with signature: a second approver must approve"
            } else {
                "First approval of two: a second approver must approve"
            };
            let url = signature_id.map(|_| format!("/purchase-orders/{id}/signature.png?approval=1"));
            event(
                &mut tx,
                id,
                Some(actor),
                EventKind::ApprovedFirst,
                message,
                json!({"signature_sha256": sha, "signature_url": url, "approval": 1}),
            )
            .await?;
            tx.commit().await?;
            return self.get_po(id).await;
        }
        let sets = Sets::new()
            .set("approval_kind", ApprovalKind::Manual.as_str())
            .set("approved_by", actor.id)
            .set("approved_at", now.as_str())
            .set("approval_limit_cents", Value::Null)
            .set("signature_id", signature_id)
            .set("self_approved", i64::from(self_approval))
            .set("revision", Value::Null);
        transition(&mut tx, id, PoStatus::Approved, sets, &now).await?;
        let message = format!(
            "{}{}{}",
            if two { "Second approval: approved" } else { "Approved" },
            if sha.is_some() { " with signature" } else { "" },
            if self_approval { " (self-approval)" } else { "" }
        );
        let mut data = json!({"signature_sha256": sha, "signature_url": signature_id.map(|_| format!("/purchase-orders/{id}/signature.png"))});
        if self_approval {
            data["self_approval"] = json!(true);
        }
        if two {
            data["approval"] = json!(2);
        }
        event(&mut tx, id, Some(actor), EventKind::Approved, &message, data).await?;
        let approved = self.approved_within(&mut tx, actor, id, &locked.settings).await?;
        tx.commit().await?;
        self.after_change(id, Some(approved)).await
    }

    /// Rejects a PO waiting for approval, at the `version` the approver saw.
    /// A first approval of two is void with it.
    pub async fn reject_po(&self, actor: &User, id: i64, version: i64, reason: &str) -> Result<PurchaseOrder> {
        let reason = rules::reason("reason", Some(reason), true)?.unwrap_or_default();
        let (mut tx, locked) = self.begin_change(actor, id, Action::Reject).await?;
        Self::check_version(&locked, version, "reject")?;
        let self_rejection = locked.facts.created_by == Some(actor.id);
        let now = clock::now();
        let sets = Sets::new()
            .set("rejected_by", actor.id)
            .set("rejected_at", now.as_str())
            .set("rejection_reason", reason.as_str())
            .clear_first_approval();
        transition(&mut tx, id, PoStatus::Rejected, sets, &now).await?;
        let data = if self_rejection {
            json!({"reason": reason, "self_approval": true})
        } else {
            json!({"reason": reason})
        };
        event(&mut tx, id, Some(actor), EventKind::Rejected, &format!("Rejected: {reason}"), data).await?;
        tx.commit().await?;
        self.get_po(id).await
    }
}
