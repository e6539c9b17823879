//! Subscriptions the product knows: each one a dispatch provisioned or a
//! sync found at the distributor, with its seats, terms and status as last
//! read there, and drift where the distributor's seat count is not ours
//! (someone changed it in the portal).

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
mod rows;
#[cfg(feature = "server")]
mod store;

#[cfg(feature = "server")]
pub(crate) use store::{apply_reading, record_change, record_provisioned, refresh};
#[cfg(feature = "server")]
pub use store::{Applied, Reading, Recorded};

/// Where a subscription stands, from the distributor's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Provisioned (Pax8: `Active`, `Activated`, `Trial`, `Converted`).
    Active,
    /// Being provisioned (Pax8: `PendingManual`, `PendingAutomated`,
    /// `PendingActivation`, and any status Pax8 adds later).
    Pending,
    /// The distributor waits for provisioning details.
    WaitingForDetails,
    /// A cancellation is under way (Pax8: `PendingCancel`).
    PendingCancel,
    Cancelled,
}

crate::named_enum!(SubscriptionStatus {
    Active = "active", "Active";
    Pending = "pending", "Pending";
    WaitingForDetails = "waiting_for_details", "Waiting for details";
    PendingCancel = "pending_cancel", "Cancellation pending";
    Cancelled = "cancelled", "Cancelled";
});

impl SubscriptionStatus {
    /// From Pax8's `Subscription.status` enum (partner OpenAPI): `Active,
    /// Cancelled, PendingManual, PendingAutomated, PendingCancel,
    /// WaitingForDetails, Trial, Converted, PendingActivation, Activated`.
    pub fn from_distributor(status: &str) -> SubscriptionStatus {
        match status.to_ascii_lowercase().as_str() {
            "active" | "activated" | "trial" | "converted" => SubscriptionStatus::Active,
            "waitingfordetails" => SubscriptionStatus::WaitingForDetails,
            "pendingcancel" => SubscriptionStatus::PendingCancel,
            "cancelled" => SubscriptionStatus::Cancelled,
            _ => SubscriptionStatus::Pending,
        }
    }
}

/// The distributor's seat count while it differs from ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub distributor_quantity: i64,
    /// When the difference was first seen (RFC 3339).
    pub seen_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub vendor_id: i64,
    pub product_id: Option<i64>,
    pub product_name: String,
    pub distributor_subscription_id: String,
    pub quantity: i64,
    pub status: SubscriptionStatus,
    /// The distributor's own word for it (`PendingAutomated`, `Trial`, …).
    pub distributor_status: String,
    pub billing_term: Option<String>,
    pub commitment_term: Option<String>,
    /// When the commitment ends (RFC 3339); none for a monthly one.
    pub commitment_end: Option<String>,
    /// Pax8's `updatedDate` as last read (what a change order's approval binds).
    #[serde(default)]
    pub distributor_updated_at: Option<String>,
    pub contract_line_id: Option<i64>,
    /// The PO that made it; none for one imported by a sync.
    pub po_id: Option<i64>,
    pub updated_at: String,
    pub drift: Option<Drift>,
}

/// What a PO did to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The order that made it.
    Made,
    /// A change of its seats.
    Seats,
    Cancelled,
}

crate::named_enum!(ChangeKind {
    Made = "made", "Ordered";
    Seats = "seats", "Seats changed";
    Cancelled = "cancelled", "Cancelled";
});

/// A PO that made or changed a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionChange {
    pub po_id: i64,
    pub po_number: String,
    pub kind: ChangeKind,
    pub from_quantity: Option<i64>,
    pub to_quantity: Option<i64>,
    pub at: String,
}

/// A subscription with the POs that made or changed it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionDetail {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub changes: Vec<SubscriptionChange>,
}

/// A subscription whose commitment ends soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renewal {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// Whole days until the commitment ends (0: today).
    pub days_left: i64,
    /// The seats its contract line sells to the customer, where one says so.
    pub seats_in_use: Option<i64>,
}

/// What a sync did (counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// Found at the distributor, not known before.
    pub imported: u64,
    /// Known, and something of it changed (status, terms, commitment end).
    pub updated: u64,
    /// Whose seat count at the distributor is not ours now.
    pub drifted: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax8_statuses_sort_into_ours() {
        for (pax8, ours) in [
            ("Active", SubscriptionStatus::Active),
            ("Trial", SubscriptionStatus::Active),
            ("Converted", SubscriptionStatus::Active),
            ("Activated", SubscriptionStatus::Active),
            ("PendingManual", SubscriptionStatus::Pending),
            ("PendingAutomated", SubscriptionStatus::Pending),
            ("PendingActivation", SubscriptionStatus::Pending),
            ("SomethingNew", SubscriptionStatus::Pending),
            ("WaitingForDetails", SubscriptionStatus::WaitingForDetails),
            ("PendingCancel", SubscriptionStatus::PendingCancel),
            ("Cancelled", SubscriptionStatus::Cancelled),
        ] {
            assert_eq!(SubscriptionStatus::from_distributor(pax8), ours, "{pax8}");
        }
    }

    #[test]
    fn a_detail_reads_as_the_subscription_with_its_changes() {
        let d = SubscriptionDetail {
            subscription: Subscription {
                id: 1,
                company_id: 2,
                company_name: "Acme".into(),
                vendor_id: 3,
                product_id: None,
                product_name: "M365".into(),
                distributor_subscription_id: "sub-1".into(),
                quantity: 5,
                status: SubscriptionStatus::Active,
                distributor_status: "Active".into(),
                billing_term: Some("Monthly".into()),
                commitment_term: None,
                commitment_end: None,
                distributor_updated_at: None,
                contract_line_id: None,
                po_id: None,
                updated_at: "2026-12-04T00:00:00Z".into(),
                drift: None,
            },
            changes: vec![],
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["quantity"], 5);
        assert_eq!(v["status"], "active");
        assert!(v["changes"].as_array().unwrap().is_empty());
        assert_eq!(serde_json::from_value::<SubscriptionDetail>(v).unwrap(), d);
    }
}
