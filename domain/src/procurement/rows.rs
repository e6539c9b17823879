//! Dispatches, their subscriptions and remediation entries as rows: each
//! read with one `FromRow` struct and made into its model in one place.
//! Stored enums and JSON that do not read back are an error.

use super::engine::Claimed;
use super::{Dispatch, DispatchStatus, OrderRequest, Remediation, RemediationReason, RemediationStatus, Subscription};
use crate::store::leases::{Fence, Lease};
use crate::store::{from_json, to_bool};
use crate::Result;

/// The columns [`DispatchRow`] reads, for a `SELECT`.
pub(super) const DISPATCH_COLUMNS: &str = "id, po_id, status, distributor, attempts, order_id, last_error, request, held_until, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct DispatchRow {
    pub(super) id: i64,
    po_id: i64,
    status: String,
    distributor: String,
    attempts: i64,
    order_id: Option<String>,
    last_error: Option<String>,
    request: String,
    held_until: Option<String>,
    updated_at: String,
}

impl DispatchRow {
    pub(super) fn into_model(self, subscriptions: Vec<Subscription>, remediation: Option<Remediation>) -> Result<Dispatch> {
        Ok(Dispatch {
            po_id: self.po_id,
            status: DispatchStatus::from_stored(&self.status)?,
            distributor: self.distributor,
            attempts: self.attempts,
            order_id: self.order_id,
            last_error: self.last_error,
            request: from_json::<OrderRequest>(&self.request, "a dispatch's request")?,
            subscriptions,
            remediation,
            held_until: self.held_until,
            updated_at: self.updated_at,
        })
    }
}

/// The columns [`SubscriptionRow`] reads.
pub(super) const SUBSCRIPTION_COLUMNS: &str = "id, po_line_id, subscription_id, product_id, quantity, status";

#[derive(sqlx::FromRow)]
pub(super) struct SubscriptionRow {
    pub(super) id: i64,
    pub(super) po_line_id: i64,
    pub(super) subscription_id: String,
    pub(super) product_id: String,
    quantity: i64,
    pub(super) status: String,
}

impl SubscriptionRow {
    pub(super) fn into_model(self) -> Subscription {
        Subscription {
            po_line_id: self.po_line_id,
            subscription_id: self.subscription_id,
            product_id: self.product_id,
            quantity: self.quantity,
            status: self.status,
        }
    }
}

/// The columns [`RemediationRow`] reads.
pub(super) const REMEDIATION_COLUMNS: &str = "id, dispatch_id, po_id, status, reason, message, problems, opened_at, resolution, awaiting_approval";

#[derive(sqlx::FromRow)]
pub(super) struct RemediationRow {
    id: i64,
    pub(super) dispatch_id: i64,
    po_id: i64,
    status: String,
    reason: String,
    message: String,
    problems: String,
    opened_at: String,
    resolution: Option<String>,
    awaiting_approval: i64,
}

impl RemediationRow {
    pub(super) fn into_model(self) -> Result<Remediation> {
        Ok(Remediation {
            id: self.id,
            po_id: self.po_id,
            reason: RemediationReason::from_stored(&self.reason)?,
            status: RemediationStatus::from_stored(&self.status)?,
            message: self.message,
            problems: from_json(&self.problems, "remediation problems")?,
            opened_at: self.opened_at,
            resolution: self.resolution,
            awaiting_approval: to_bool(self.awaiting_approval),
        })
    }
}

/// A dispatch as the engine claims it (the claim's select names these).
#[derive(sqlx::FromRow)]
pub(super) struct ClaimRow {
    pub(super) id: i64,
    po_id: i64,
    pub(super) status: String,
    pub(super) company_key: String,
    request: String,
    intent_at: Option<String>,
    attempts: i64,
    census: Option<String>,
    order_id: Option<String>,
    submitted_at: Option<String>,
    polls: i64,
    audit_at: Option<String>,
    changes_done: i64,
    held_until: Option<String>,
    lease_owner: Option<String>,
    /// Null only if the PO row went: the logs then name the dispatch alone.
    po_number: Option<String>,
}

impl ClaimRow {
    pub(super) fn into_claim(self, fence: Fence, company: Lease) -> Result<Claimed> {
        Ok(Claimed {
            id: self.id,
            po_id: self.po_id,
            po_number: self.po_number.unwrap_or_default(),
            status: DispatchStatus::from_stored(&self.status)?,
            company_key: self.company_key,
            request: from_json(&self.request, "a dispatch's request")?,
            intent_at: self.intent_at,
            attempts: self.attempts,
            census: self.census.map(|c| from_json(&c, "an order census")).transpose()?,
            order_id: self.order_id,
            submitted_at: self.submitted_at,
            polls: self.polls,
            audit_at: self.audit_at,
            changes_done: self.changes_done,
            held_until: self.held_until,
            fence,
            company,
            taken_over_from: self.lease_owner,
        })
    }
}
