//! Purchase orders: statuses, lines and the lifecycle rules.

pub mod rules;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    Draft,
    PendingApproval,
    Approved,
    Rejected,
    PartiallyReceived,
    Received,
    Cancelled,
}

impl PoStatus {
    pub const ALL: [PoStatus; 7] = [
        PoStatus::Draft,
        PoStatus::PendingApproval,
        PoStatus::Approved,
        PoStatus::Rejected,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
        PoStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::PendingApproval => "pending_approval",
            PoStatus::Approved => "approved",
            PoStatus::Rejected => "rejected",
            PoStatus::PartiallyReceived => "partially_received",
            PoStatus::Received => "received",
            PoStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PoStatus> {
        PoStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            PoStatus::Draft => "Draft",
            PoStatus::PendingApproval => "Pending approval",
            PoStatus::Approved => "Approved",
            PoStatus::Rejected => "Rejected",
            PoStatus::PartiallyReceived => "Partially received",
            PoStatus::Received => "Received",
            PoStatus::Cancelled => "Cancelled",
        }
    }

    /// Approved and later: the spend is committed.
    pub fn is_committed(self) -> bool {
        matches!(self, PoStatus::Approved | PoStatus::PartiallyReceived | PoStatus::Received)
    }
}

/// A provisioning detail Pax8 asks for (e.g. the tenant domain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningDetail {
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
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
        assert!(PoStatus::PartiallyReceived.is_committed());
        assert!(!PoStatus::Rejected.is_committed() && !PoStatus::Draft.is_committed());
    }
}
