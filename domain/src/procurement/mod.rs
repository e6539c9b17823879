//! Procurement: provisioning an approved PO at a distributor. The pure part
//! (statuses, the order to send, preflight checks) is shared with the
//! browser; behind `server` the distributor trait and the Pax8 client.

use crate::reference::Distributor;
use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
pub mod distributor;
#[cfg(feature = "server")]
pub mod pax8;
#[cfg(all(test, feature = "server"))]
mod pax8_tests;

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
}

impl DispatchStatus {
    pub const ALL: [DispatchStatus; 9] = [
        DispatchStatus::Ready,
        DispatchStatus::Queued,
        DispatchStatus::Submitting,
        DispatchStatus::Reconciling,
        DispatchStatus::Submitted,
        DispatchStatus::Provisioned,
        DispatchStatus::Failed,
        DispatchStatus::Abandoned,
        DispatchStatus::NotProvisionable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Ready => "ready",
            DispatchStatus::Queued => "queued",
            DispatchStatus::Submitting => "submitting",
            DispatchStatus::Reconciling => "reconciling",
            DispatchStatus::Submitted => "submitted",
            DispatchStatus::Provisioned => "provisioned",
            DispatchStatus::Failed => "failed",
            DispatchStatus::Abandoned => "abandoned",
            DispatchStatus::NotProvisionable => "not_provisionable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Work is under way at the distributor (or may be): never send again blindly.
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            DispatchStatus::Queued | DispatchStatus::Submitting | DispatchStatus::Reconciling | DispatchStatus::Submitted
        )
    }
}

/// Only Pax8 provisions today; the others answer "not provisionable".
pub fn provisionable(d: Distributor) -> bool {
    d == Distributor::Pax8
}

/// A provisioning detail of an order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub key: String,
    pub values: Vec<String>,
}

/// One line of the order sent to the distributor, from one PO line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub po_line_id: i64,
    pub product_id: Option<String>,
    pub quantity: i64,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    pub provisioning_details: Vec<Detail>,
}

/// What is sent to the distributor for one PO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub company_id: Option<String>,
    pub lines: Vec<OrderLine>,
}

/// A problem found before sending, named by the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// What Pax8 would refuse, caught before anything is sent.
pub fn preflight(order: &OrderRequest) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |field: String, message: &str| {
        out.push(Problem {
            field,
            message: message.to_string(),
        })
    };
    if order.company_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
        p(
            "pax8_company_id".into(),
            "The company is not linked to a Pax8 company: set its Pax8 company id.",
        );
    }
    if order.lines.is_empty() {
        p("lines".into(), "The purchase order has no lines with a distributor product.");
    }
    for (i, l) in order.lines.iter().enumerate() {
        if l.product_id.as_deref().is_none_or(|x| x.trim().is_empty()) {
            p(format!("lines[{i}].distributor_product_id"), "This line has no Pax8 product id.");
        }
        if l.quantity < 1 {
            p(format!("lines[{i}].quantity"), "Quantity must be at least 1.");
        }
        if l.billing_term.as_deref().is_none_or(|x| x.trim().is_empty()) {
            p(format!("lines[{i}].billing_term"), "Pax8 needs a billing term (Monthly, Annual, ...).");
        }
        if l.provisioning_details.iter().any(|d| d.values.iter().all(|v| v.trim().is_empty())) {
            p(format!("lines[{i}].provisioning_details"), "A provisioning detail has no value.");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> OrderLine {
        OrderLine {
            po_line_id: 1,
            product_id: Some("p-1".into()),
            quantity: 5,
            billing_term: Some("Monthly".into()),
            commitment_term_id: None,
            provisioning_details: vec![],
        }
    }

    #[test]
    fn preflight_names_what_to_fix() {
        let ok = OrderRequest {
            company_id: Some("c-1".into()),
            lines: vec![line()],
        };
        assert!(preflight(&ok).is_empty());
        let bad = OrderRequest {
            company_id: None,
            lines: vec![OrderLine {
                product_id: None,
                billing_term: None,
                provisioning_details: vec![Detail {
                    key: "domain".into(),
                    values: vec![" ".into()],
                }],
                ..line()
            }],
        };
        let fields: Vec<String> = preflight(&bad).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "pax8_company_id",
                "lines[0].distributor_product_id",
                "lines[0].billing_term",
                "lines[0].provisioning_details"
            ]
        );
    }

    #[test]
    fn statuses() {
        for s in DispatchStatus::ALL {
            assert_eq!(DispatchStatus::parse(s.as_str()), Some(s));
        }
        assert!(DispatchStatus::Reconciling.in_flight() && !DispatchStatus::Failed.in_flight());
        assert!(provisionable(Distributor::Pax8) && !provisionable(Distributor::Sherweb));
    }
}
