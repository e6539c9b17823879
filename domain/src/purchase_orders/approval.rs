//! Submitting and deciding: the snapshot and the approvals a PO needs at
//! submission, auto-approval, approve (one of two, or the only one) and
//! reject, each at the version the approver saw. Who may: [`super::policy`].

use super::input::dollars;
use super::rules::{self, Action};
use super::store::{event, WITHDRAW_APPROVAL};
use super::*;
use crate::store::Tx;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use serde_json::json;
use sqlx::Row;

impl Store {
    /// Submit inside a transaction that holds the PO: keeps the snapshot of
    /// what it orders, fixes how many approvals it needs, and approves it at
    /// once under the auto-approve limit (never with a price override or
    /// when it needs two approvals).
    pub(super) async fn submit_locked(&self, tx: &mut Tx, actor: &User, id: i64, total: i64) -> Result<()> {
        let r = sqlx::query("SELECT auto_approve_limit_cents, second_approval_limit_cents FROM settings WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?;
        let (limit, second): (i64, i64) = (r.try_get("auto_approve_limit_cents")?, r.try_get("second_approval_limit_cents")?);
        let overrides: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM po_lines WHERE po_id = $1 AND catalog_unit_cost_cents IS NOT NULL AND catalog_unit_cost_cents <> unit_cost_cents",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let required = rules::approvals_required(total, second);
        let snapshot = Self::take_snapshot(tx, id).await?;
        Self::keep_snapshot(tx, id, &snapshot).await?;
        let now = clock::now();
        if overrides == 0 && required == 1 && rules::auto_approves(total, limit) {
            sqlx::query(
                "UPDATE purchase_orders SET status = 'approved', approval_kind = 'auto', approved_by = NULL, approved_at = $1, approval_limit_cents = $2, signature_id = NULL,
                    self_approved = 0, first_approved_by = NULL, first_approved_at = NULL, first_signature_id = NULL, approvals_required = 1, revision = NULL,
                    rejected_by = NULL, rejected_at = NULL, rejection_reason = NULL, version = version + 1, updated_at = $1 WHERE id = $3",
            )
            .bind(&now)
            .bind(limit)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            event(tx, id, Some(actor), EventKind::Submitted, "Submitted for approval", json!({})).await?;
            event(
                tx,
                id,
                None,
                EventKind::AutoApproved,
                &format!("Approved automatically (under {} limit)", dollars(limit)),
                json!({"limit_cents": limit, "total_cents": total}),
            )
            .await?;
        } else {
            sqlx::query(&format!(
                "UPDATE purchase_orders SET status = 'pending_approval', {WITHDRAW_APPROVAL}, approvals_required = $1, revision = NULL,
                    version = version + 1, updated_at = $2 WHERE id = $3"
            ))
            .bind(required)
            .bind(&now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            let why = if overrides > 0 {
                "a price differs from the catalog, so an approver decides".to_string()
            } else if required > 1 {
                format!("{} is above the {} second approval limit", dollars(total), dollars(second))
            } else if limit == 0 {
                "auto-approval is off".to_string()
            } else {
                format!("{} is not under the {} limit", dollars(total), dollars(limit))
            };
            let two = if required > 1 { "; it needs two approvals" } else { "" };
            event(
                tx,
                id,
                Some(actor),
                EventKind::Submitted,
                &format!("Submitted for approval ({why}{two})"),
                json!({"limit_cents": limit, "total_cents": total, "approvals_required": required, "price_overrides": overrides}),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn submit_po(&self, actor: &User, id: i64) -> Result<PurchaseOrder> {
        let (mut tx, _) = self.begin_change(actor, id, Action::Submit).await?;
        let total: i64 = sqlx::query_scalar("SELECT total_cents FROM purchase_orders WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        self.submit_locked(&mut tx, actor, id, total).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Approves a PO waiting for approval, at the `version` the approver saw
    /// (who may: [`policy::check`]). `signature` is a checked PNG. A PO that
    /// needs two approvals stays pending after the first; the second
    /// approves it. A dispatch waiting for this approval (a revision) resumes.
    pub async fn approve_po(&self, actor: &User, id: i64, version: i64, signature: Option<Vec<u8>>) -> Result<PurchaseOrder> {
        let require = self.settings().await?.require_signature;
        if require && signature.is_none() {
            return Err(Error::validation("signature_png", "A signature is required to approve: sign on the pad."));
        }
        let (mut tx, locked) = self.begin_change(actor, id, Action::Approve).await?;
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
            sqlx::query(
                "UPDATE purchase_orders SET first_approved_by = $1, first_approved_at = $2, first_signature_id = $3, version = version + 1, updated_at = $2 WHERE id = $4",
            )
            .bind(actor.id)
            .bind(&now)
            .bind(signature_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
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
        sqlx::query(
            "UPDATE purchase_orders SET status = 'approved', approval_kind = 'manual', approved_by = $1, approved_at = $2, approval_limit_cents = NULL, signature_id = $3,
                self_approved = $4, revision = NULL, version = version + 1, updated_at = $2 WHERE id = $5",
        )
        .bind(actor.id)
        .bind(&now)
        .bind(signature_id)
        .bind(i64::from(self_approval))
        .bind(id)
        .execute(&mut *tx)
        .await?;
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
        self.resume_after_approval(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Rejects a PO waiting for approval, at the `version` the approver saw.
    /// A first approval of two is void with it.
    pub async fn reject_po(&self, actor: &User, id: i64, version: i64, reason: &str) -> Result<PurchaseOrder> {
        let reason = rules::reason("reason", Some(reason), true)?.unwrap_or_default();
        let (mut tx, locked) = self.begin_change(actor, id, Action::Reject).await?;
        Self::check_version(&locked, version, "reject")?;
        let self_rejection = locked.facts.created_by == Some(actor.id);
        let now = clock::now();
        sqlx::query(
            "UPDATE purchase_orders SET status = 'rejected', rejected_by = $1, rejected_at = $2, rejection_reason = $3,
                first_approved_by = NULL, first_approved_at = NULL, first_signature_id = NULL, version = version + 1, updated_at = $2 WHERE id = $4",
        )
        .bind(actor.id)
        .bind(&now)
        .bind(&reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
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
