//! Procurement: provisioning an approved PO at a distributor. The pure part
//! (statuses, the order to send, preflight checks) is shared with the
//! browser; behind `server` the distributor trait and the Pax8 client.
//!
//! This file holds the models shared with the browser (dispatches,
//! remediation, the queue); order.rs the order sent and its preflight.

use crate::catalog::Distributor;
use serde::{Deserialize, Serialize};

#[cfg(all(test, feature = "server"))]
mod approval_tests;
#[cfg(feature = "server")]
pub mod change_rules;
#[cfg(feature = "server")]
pub mod credentials;
#[cfg(feature = "server")]
mod dispatch_queries;
#[cfg(feature = "server")]
mod dispatch_request;
#[cfg(feature = "server")]
pub mod distributor;
#[cfg(feature = "server")]
pub mod engine;
mod order;
pub use order::{in_words, order_from, preflight, ChangeLine, OrderLine, OrderRequest, Problem};
#[cfg(feature = "server")]
mod engine_changes;
#[cfg(all(test, feature = "server"))]
mod engine_changes_tests;
#[cfg(all(test, feature = "server"))]
mod engine_lease_tests;
#[cfg(all(test, feature = "server"))]
mod engine_pax8_tests;
#[cfg(feature = "server")]
mod engine_poll;
#[cfg(feature = "server")]
mod engine_reconcile;
#[cfg(all(test, feature = "server"))]
mod engine_tests;
#[cfg(feature = "server")]
pub mod pax8;
#[cfg(feature = "server")]
mod pax8_catalog;
#[cfg(feature = "server")]
mod pax8_orders;
#[cfg(feature = "server")]
mod pax8_subscriptions;
#[cfg(all(test, feature = "server"))]
mod pax8_tests;
#[cfg(feature = "server")]
pub mod pax8_wire;
#[cfg(feature = "server")]
mod remediation;
#[cfg(feature = "server")]
mod rows;
#[cfg(feature = "server")]
mod subscription_sync;
#[cfg(all(test, feature = "server"))]
mod subscription_tests;
#[cfg(feature = "server")]
pub use remediation::ResumeDispatch;
pub mod revision;
pub use revision::{LineEdit, RetryEdits};

pub use crate::purchase_orders::DispatchStatus;

/// Only Pax8 provisions today; the others answer "not provisionable".
pub fn provisionable(d: Distributor) -> bool {
    d == Distributor::Pax8
}

/// A provisioning detail of an order line (the same as a PO line's).
pub use crate::purchase_orders::ProvisioningDetail as Detail;

/// A PO's dispatch with what happened to it (API.md `procurement/get`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    pub po_id: i64,
    pub status: DispatchStatus,
    pub distributor: String,
    pub attempts: i64,
    pub order_id: Option<String>,
    pub last_error: Option<String>,
    pub request: OrderRequest,
    pub subscriptions: Vec<Subscription>,
    pub remediation: Option<Remediation>,
    /// A change held for its commitment's renewal: the end it waits for.
    #[serde(default)]
    pub held_until: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub po_line_id: i64,
    pub subscription_id: String,
    pub product_id: String,
    pub quantity: i64,
    pub status: String,
}

/// Why a remediation entry is open; it decides what Retry does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationReason {
    /// The distributor refused the order (or the credentials).
    #[default]
    Refused,
    /// Caught before sending, by our rules or by Pax8's validation (isMock): nothing sent.
    Preflight,
    /// The company is not `Active` at Pax8 (or not there): nothing sent.
    CompanyInactive,
    /// The order exists; a subscription is still pending past the limit.
    Pending,
    /// The order exists; Pax8 waits for provisioning details.
    WaitingForDetails,
    /// The distributor cancelled a subscription of the order.
    Cancelled,
    /// The distributor holds more than one order for this dispatch (a call
    /// that landed after another worker had sent again): the dispatch
    /// follows one; a person decides about the other.
    DuplicateAtDistributor,
    /// A change order's subscription is not as approved at the distributor
    /// (changed in the portal): nothing is sent; Retry revises the change
    /// from the new figures and sends it back to approval.
    ChangedAtDistributor,
    /// A change held for the renewal could not be sent in the window after
    /// it (the commitment did not renew, or the window closed): the
    /// subscription runs another term as it is unless a person acts.
    RenewalMissed,
}

crate::named_enum!(RemediationReason {
    Refused = "refused", "Dispatch failed";
    Preflight = "preflight", "Not sent (preflight)";
    CompanyInactive = "company_inactive", "Not sent (company not active at Pax8)";
    Pending = "pending", "Still pending at the distributor";
    WaitingForDetails = "waiting_for_details", "Waiting for details at the distributor";
    Cancelled = "cancelled", "Cancelled at the distributor";
    DuplicateAtDistributor = "duplicate_at_distributor", "Two orders at the distributor";
    ChangedAtDistributor = "changed_at_distributor", "Changed at the distributor";
    RenewalMissed = "renewal_missed", "Renewal window missed";
});

impl RemediationReason {
    /// The order exists at the distributor and only waits: Retry checks
    /// again (never sends again) and edits are refused.
    pub fn order_exists_waiting(self) -> bool {
        matches!(
            self,
            RemediationReason::Pending | RemediationReason::WaitingForDetails | RemediationReason::DuplicateAtDistributor
        )
    }

    /// A second order exists: Retry only marks the entry resolved (nothing
    /// is sent or checked), and Abandon is refused (the dispatch has its order).
    pub fn is_duplicate(self) -> bool {
        self == RemediationReason::DuplicateAtDistributor
    }
}

/// Where a remediation entry stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationStatus {
    /// A person has to act.
    #[default]
    Open,
    /// Retried (as it was, edited, or after the revision's approval).
    Retried,
    /// Settled by itself (provisioned) or marked resolved.
    Resolved,
    /// Given up: nothing more is sent.
    Abandoned,
}

crate::named_enum!(RemediationStatus {
    Open = "open";
    Retried = "retried";
    Resolved = "resolved";
    Abandoned = "abandoned";
});

/// Compared with its stored name (`status == "open"`).
impl PartialEq<&str> for RemediationStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for RemediationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    pub id: i64,
    pub po_id: i64,
    #[serde(default)]
    pub reason: RemediationReason,
    pub status: RemediationStatus,
    pub message: String,
    pub problems: Vec<Problem>,
    pub opened_at: String,
    pub resolution: Option<String>,
    /// The retry changed what is bought: the entry waits for the PO's new
    /// approval, and the dispatch resumes once it is given.
    #[serde(default)]
    pub awaiting_approval: bool,
}

/// A row of the procurement queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub po_id: i64,
    pub po_number: String,
    pub company: String,
    pub vendor: String,
    pub distributor: Option<String>,
    pub dispatch_status: DispatchStatus,
    pub remediation_id: Option<i64>,
    pub updated_at: String,
    /// The catalog (or the company's Pax8 link) differs from what was
    /// approved.
    #[serde(default)]
    pub catalog_changed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for s in DispatchStatus::ALL {
            assert_eq!(DispatchStatus::parse(s.as_str()), Some(s));
        }
        assert!(DispatchStatus::Reconciling.in_flight() && !DispatchStatus::Failed.in_flight());
        assert!(provisionable(Distributor::Pax8) && !provisionable(Distributor::Sherweb));
    }
}
