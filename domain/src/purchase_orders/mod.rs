//! Purchase orders: statuses, lines and the lifecycle rules.

#[cfg(feature = "server")]
mod approval;
#[cfg(feature = "server")]
mod change_lines;
mod details;
mod dispatch_status;
pub mod export;
#[cfg(feature = "server")]
mod filter;
mod inbox;
#[cfg(feature = "server")]
mod input;
#[cfg(feature = "server")]
mod list;
pub mod policy;
#[cfg(feature = "server")]
mod read;
#[cfg(feature = "server")]
mod rows;
pub mod rules;
#[cfg(feature = "server")]
mod search_text;
#[cfg(feature = "server")]
pub mod signature;
pub mod snapshot;
#[cfg(feature = "server")]
pub(crate) mod snapshot_store;
#[cfg(feature = "server")]
mod store;
#[cfg(feature = "server")]
pub use search_text::SearchText;
#[cfg(feature = "server")]
pub(crate) mod writes;
#[cfg(feature = "server")]
pub(crate) use store::{change_confirmed, receive_provisioned, timeline_event};
#[cfg(all(test, feature = "server"))]
mod approval_tests;
#[cfg(all(test, feature = "server"))]
mod filter_tests;
#[cfg(all(test, feature = "server"))]
pub(crate) mod store_tests;

pub use details::{format_details, parse_details, ProvisioningDetail};
pub use dispatch_status::DispatchStatus;
pub use export::{check_day, ExportQuery};
pub use inbox::{waited, InboxItem};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    #[default]
    Draft,
    PendingApproval,
    Approved,
    Rejected,
    PartiallyReceived,
    Received,
    Cancelled,
}

crate::named_enum!(PoStatus {
    Draft = "draft", "Draft";
    PendingApproval = "pending_approval", "Pending approval";
    Approved = "approved", "Approved";
    Rejected = "rejected", "Rejected";
    PartiallyReceived = "partially_received", "Partially received";
    Received = "received", "Received";
    Cancelled = "cancelled", "Cancelled";
});

impl PoStatus {
    /// Approved and later: the spend is committed.
    pub fn is_committed(self) -> bool {
        matches!(self, PoStatus::Approved | PoStatus::PartiallyReceived | PoStatus::Received)
    }

    /// `'approved', 'partially_received', 'received'`: the committed
    /// statuses for an SQL `IN (…)`, made from [`PoStatus::is_committed`].
    #[cfg(feature = "server")]
    pub fn committed_sql() -> String {
        Self::sql_list(Self::is_committed)
    }
}

/// A line as a user or script enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: i64,
    pub unit_cost_cents: i64,
    #[serde(default)]
    pub product_id: Option<i64>,
    #[serde(default)]
    pub contract_line_id: Option<i64>,
    #[serde(default)]
    pub billing_term: Option<String>,
    #[serde(default)]
    pub commitment_term_id: Option<String>,
    #[serde(default)]
    pub provisioning_details: Vec<ProvisioningDetail>,
    /// Instead of a product: a change of a subscription the product knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeInput>,
}

/// A change line as entered: set the seat count to `quantity` (absolute,
/// at least 1, never a delta), or cancel (on `cancel_date`, a day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeInput {
    pub subscription_id: i64,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub cancel: bool,
    #[serde(default)]
    pub cancel_date: Option<String>,
}

/// What a change line changes: from the seats the subscription had when
/// the line was saved to `to_quantity`, or a cancellation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineChange {
    pub subscription_id: i64,
    pub from_quantity: i64,
    pub to_quantity: Option<i64>,
    pub cancel: bool,
    #[serde(default)]
    pub cancel_date: Option<String>,
}

impl LineChange {
    /// Fewer seats, or none: never approved automatically.
    pub fn reduces(&self) -> bool {
        self.cancel || self.to_quantity.is_some_and(|t| t < self.from_quantity)
    }

    /// "10 → 12 seats", "cancel (10 seats) on 2027-01-31".
    pub fn in_words(&self) -> String {
        match (self.cancel, self.to_quantity) {
            (false, Some(to)) => format!("{} → {to} seats", self.from_quantity),
            _ => match &self.cancel_date {
                Some(d) => format!("cancel ({} seats) on {}", self.from_quantity, d.get(..10).unwrap_or(d)),
                None => format!("cancel ({} seats)", self.from_quantity),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_commit() {
        for s in PoStatus::ALL {
            assert_eq!(PoStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        // Timeline kinds keep their stored and wire names.
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(EventKind::parse("dispatch_failed"), Some(EventKind::DispatchFailed));
        assert!(PoStatus::PartiallyReceived.is_committed());
        assert!(!PoStatus::Rejected.is_committed() && !PoStatus::Draft.is_committed());
    }
}

/// Someone named on a PO (creator, approver, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorRef {
    pub id: i64,
    pub name: String,
    pub distributor: Option<crate::catalog::Distributor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    pub id: i64,
    pub line_no: i64,
    pub description: String,
    pub quantity: i64,
    pub received_quantity: i64,
    pub unit_cost_cents: i64,
    pub total_cents: i64,
    pub product_id: Option<i64>,
    pub contract_line_id: Option<i64>,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    pub provisioning_details: Vec<ProvisioningDetail>,
    /// The catalog's unit cost when the line was saved (a catalog line).
    #[serde(default)]
    pub catalog_unit_cost_cents: Option<i64>,
    /// A change of a subscription (a change order's line); its `quantity`
    /// is the seats it adds (negative: removes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<LineChange>,
}

impl PoLine {
    /// A catalog line priced differently from the catalog.
    pub fn price_override(&self) -> bool {
        self.catalog_unit_cost_cents.is_some_and(|c| c != self.unit_cost_cents)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    Auto,
    Manual,
}

crate::named_enum!(ApprovalKind {
    Auto = "auto";
    Manual = "manual";
});

/// A PO was approved (the last approval it needed, or at once on submit),
/// by `by`'s act: raised inside the approval's transaction and after it
/// (see [`crate::store::follow`]).
#[cfg(feature = "server")]
pub struct Approved {
    pub po_id: i64,
    pub by: crate::users::User,
    /// The settings the approval was decided by (its followers need not
    /// read them again).
    pub settings: crate::settings::Settings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub kind: ApprovalKind,
    pub by: Option<Person>,
    pub at: String,
    pub limit_cents: Option<i64>,
    pub signature_url: Option<String>,
    pub signature_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub by: Person,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub by: Person,
    pub at: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboState {
    pub id: Option<String>,
    pub pushed_at: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub id: i64,
    pub number: String,
    pub status: PoStatus,
    pub version: i64,
    pub vendor: VendorRef,
    pub company: Named,
    pub ticket: Option<Named>,
    pub project: Option<Named>,
    pub lines: Vec<PoLine>,
    pub total_cents: i64,
    pub currency: String,
    pub notes: String,
    pub created_by: Person,
    pub created_at: String,
    pub updated_at: String,
    pub approval: Option<Approval>,
    pub rejection: Option<Rejection>,
    pub cancellation: Option<Cancellation>,
    pub qbo: Option<QboState>,
    pub procurement_status: Option<DispatchStatus>,
    /// The current approval was given by the person who raised the PO
    /// (allowed by the setting `allow_self_approval`).
    #[serde(default)]
    pub self_approved: bool,
    /// Approvals this PO needs: 2 above the second approval limit in force
    /// when it was submitted, else 1.
    #[serde(default = "one")]
    pub approvals_required: i64,
    /// The approvals given since the last submission, in order (the last
    /// is `approval` once the PO is approved).
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// What the PO orders, fixed at submission; dispatch sends it.
    #[serde(default)]
    pub snapshot: Option<snapshot::Snapshot>,
    /// Where the catalog now differs from the snapshot (until dispatched).
    #[serde(default)]
    pub catalog_changes: Vec<snapshot::Change>,
    /// Changes an edit-and-retry asked for, waiting for approval.
    #[serde(default)]
    pub revision: Option<snapshot::Revision>,
}

fn one() -> i64 {
    1
}

impl PurchaseOrder {
    /// A change order: its lines change subscriptions (never mixed with new ones).
    pub fn is_change_order(&self) -> bool {
        self.lines.iter().any(|l| l.change.is_some())
    }
    pub fn anything_received(&self) -> bool {
        self.lines.iter().any(|l| l.received_quantity > 0)
    }
    pub fn dispatched(&self) -> bool {
        rules::dispatched(self.procurement_status)
    }
    /// Any line priced differently from the catalog.
    pub fn has_price_override(&self) -> bool {
        self.lines.iter().any(PoLine::price_override)
    }
    /// What the rules and the policy need to know.
    pub fn facts(&self) -> rules::PoFacts {
        rules::PoFacts {
            status: self.status,
            created_by: self.created_by.id,
            anything_received: self.anything_received(),
            procurement_status: self.procurement_status,
            approvals_required: self.approvals_required,
            first_approver: match (self.status, self.approvals.first()) {
                (PoStatus::PendingApproval, Some(a)) => a.by.as_ref().and_then(|p| p.id),
                _ => None,
            },
            distributor: self.vendor.distributor.is_some(),
            qbo_pushed: self.qbo.as_ref().is_some_and(|q| q.id.is_some()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrderSummary {
    pub id: i64,
    pub number: String,
    pub status: PoStatus,
    pub vendor: Named,
    pub company: Named,
    pub ticket_id: Option<i64>,
    pub project_id: Option<i64>,
    pub total_cents: i64,
    pub currency: String,
    pub created_at: String,
    pub created_by: Person,
    pub procurement_status: Option<DispatchStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoPage {
    pub items: Vec<PurchaseOrderSummary>,
    pub next_cursor: Option<String>,
    /// Committed cost (approved and later) of everything the filter matches.
    pub committed_cents: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoFilter {
    pub status: Option<PoStatus>,
    pub company_id: Option<i64>,
    pub vendor_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub project_id: Option<i64>,
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// What happened to a PO, as its timeline says. The database and the API
/// keep the snake_case name (`dispatch_failed` is no longer written, and
/// still read from older timelines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Edited,
    EditedAfterApproval,
    Submitted,
    AutoApproved,
    ApprovedFirst,
    Approved,
    Rejected,
    Received,
    Cancelled,
    RevisionRequested,
    SnapshotTaken,
    DispatchRequested,
    DispatchChecked,
    DispatchSent,
    DispatchSubmitted,
    DispatchUnknown,
    DispatchDeferred,
    DispatchHeld,
    DispatchNeedsAttention,
    DispatchProvisioned,
    DispatchReconciled,
    DispatchRecovering,
    DispatchSubscriptionsNamed,
    DispatchRechecked,
    DispatchRetried,
    DispatchEdited,
    DispatchAbandoned,
    DispatchFailed,
    DispatchDuplicate,
    ContractLineActivated,
    SubscriptionChanged,
    QboPushed,
    QboPushFailed,
}

/// A kind compares with its name (`event.kind == "approved"`).
impl PartialEq<&str> for EventKind {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

crate::named_enum!(EventKind {
    Created = "created";
    Edited = "edited";
    EditedAfterApproval = "edited_after_approval";
    Submitted = "submitted";
    AutoApproved = "auto_approved";
    ApprovedFirst = "approved_first";
    Approved = "approved";
    Rejected = "rejected";
    Received = "received";
    Cancelled = "cancelled";
    RevisionRequested = "revision_requested";
    SnapshotTaken = "snapshot_taken";
    DispatchRequested = "dispatch_requested";
    DispatchChecked = "dispatch_checked";
    DispatchSent = "dispatch_sent";
    DispatchSubmitted = "dispatch_submitted";
    DispatchUnknown = "dispatch_unknown";
    DispatchDeferred = "dispatch_deferred";
    DispatchHeld = "dispatch_held";
    DispatchNeedsAttention = "dispatch_needs_attention";
    DispatchProvisioned = "dispatch_provisioned";
    DispatchReconciled = "dispatch_reconciled";
    DispatchRecovering = "dispatch_recovering";
    DispatchSubscriptionsNamed = "dispatch_subscriptions_named";
    DispatchRechecked = "dispatch_rechecked";
    DispatchRetried = "dispatch_retried";
    DispatchEdited = "dispatch_edited";
    DispatchAbandoned = "dispatch_abandoned";
    DispatchFailed = "dispatch_failed";
    DispatchDuplicate = "dispatch_duplicate";
    ContractLineActivated = "contract_line_activated";
    SubscriptionChanged = "subscription_changed";
    QboPushed = "qbo_pushed";
    QboPushFailed = "qbo_push_failed";
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub id: i64,
    pub at: String,
    pub actor: Person,
    pub kind: EventKind,
    pub message: String,
    pub data: serde_json::Value,
}

/// What raises or edits a PO.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoInput {
    pub vendor_id: i64,
    pub company_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub project_id: Option<i64>,
    pub lines: Vec<LineInput>,
    pub notes: Option<String>,
}

/// A receipt of one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub line_id: i64,
    pub quantity: i64,
}
