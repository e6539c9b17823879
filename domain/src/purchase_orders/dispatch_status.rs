//! Where a PO's dispatch to its distributor stands (the procurement
//! engine moves it; the PO carries it, for the rules and the list).

use serde::{Deserialize, Serialize};

/// A PO's dispatch, as the queue shows it (API.md `dispatch_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchStatus {
    Ready,
    Queued,
    Submitting,
    Reconciling,
    Submitted,
    Provisioned,
    Failed,
    Abandoned,
    NotProvisionable,
    /// A change Pax8 allows only after the commitment renews: it waits,
    /// approved, and is sent in the window after the renewal.
    HeldForRenewal,
}

crate::named_enum!(DispatchStatus {
    Ready = "ready";
    Queued = "queued";
    Submitting = "submitting";
    Reconciling = "reconciling";
    Submitted = "submitted";
    Provisioned = "provisioned";
    Failed = "failed";
    Abandoned = "abandoned";
    NotProvisionable = "not_provisionable";
    HeldForRenewal = "held_for_renewal";
});

impl DispatchStatus {
    /// The dispatch is over: nothing more will be sent for its PO.
    pub fn is_over(self) -> bool {
        matches!(self, DispatchStatus::Provisioned | DispatchStatus::NotProvisionable | DispatchStatus::Abandoned)
    }

    /// Work is under way at the distributor (or may be): never send again blindly.
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            DispatchStatus::Queued | DispatchStatus::Submitting | DispatchStatus::Reconciling | DispatchStatus::Submitted
        )
    }
}
