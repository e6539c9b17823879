//! Procurement: provisioning an approved PO at a distributor. The pure part
//! (statuses, the order to send, preflight checks) is shared with the
//! browser; behind `server` the distributor trait and the Pax8 client.
//!
//! Over 400 lines on purpose: the procurement models shared with the browser
//! (statuses, orders, problems, remediation reasons) with the preflight rule
//! and its tests.

use crate::catalog::Distributor;
use serde::{Deserialize, Serialize};

#[cfg(all(test, feature = "server"))]
mod approval_tests;
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
#[cfg(all(test, feature = "server"))]
mod pax8_tests;
#[cfg(feature = "server")]
pub mod pax8_wire;
#[cfg(feature = "server")]
mod remediation;
#[cfg(feature = "server")]
mod rows;
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

/// Problems in plain words: `field: message; ...`.
pub fn in_words(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            if p.field.is_empty() {
                p.message.clone()
            } else {
                format!("{}: {}", p.field, p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
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

/// The order a dispatch sends: the lines with something for the
/// distributor (a product id or a billing term; a setup fee typed by
/// hand is not sent).
pub fn order_from(snapshot: &crate::purchase_orders::snapshot::Snapshot) -> OrderRequest {
    OrderRequest {
        company_id: snapshot.pax8_company_id.clone(),
        lines: snapshot
            .lines
            .iter()
            .filter(|l| l.distributor_product_id.is_some() || l.billing_term.is_some())
            .map(|l| OrderLine {
                po_line_id: l.po_line_id,
                product_id: l.distributor_product_id.clone(),
                quantity: l.quantity,
                billing_term: l.billing_term.clone(),
                commitment_term_id: l.commitment_term_id.clone(),
                provisioning_details: l.provisioning_details.clone(),
            })
            .collect(),
    }
}

/// A problem found before sending, named by the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub field: String,
    pub message: String,
    /// The PO line it concerns, where the distributor named a line item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_line_id: Option<i64>,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            message: message.into(),
            po_line_id: None,
        }
    }
}

/// What Pax8 would refuse, caught before anything is sent.
pub fn preflight(order: &OrderRequest) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |field: String, message: &str| out.push(Problem::new(field, message));
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
    fn the_order_is_the_snapshot() {
        use crate::purchase_orders::snapshot::LineSnapshot;
        let line = || LineSnapshot {
            po_line_id: 7,
            line_no: 1,
            quantity: 5,
            distributor_product_id: Some("p-1".into()),
            billing_term: Some("Monthly".into()),
            ..Default::default()
        };
        let mut fee = line();
        fee.po_line_id = 8;
        fee.distributor_product_id = None;
        fee.billing_term = None;
        let s = crate::purchase_orders::snapshot::Snapshot {
            taken_at: "2026-11-30T10:00:00Z".into(),
            pax8_company_id: Some("c-1".into()),
            lines: vec![line(), fee],
        };
        let o = order_from(&s);
        assert_eq!(o.company_id.as_deref(), Some("c-1"));
        assert_eq!(o.lines.len(), 1, "the hand-typed fee is not sent");
        assert_eq!((o.lines[0].product_id.as_deref(), o.lines[0].quantity), (Some("p-1"), 5));
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
}

crate::named_enum!(RemediationReason {
    Refused = "refused", "Dispatch failed";
    Preflight = "preflight", "Not sent (preflight)";
    CompanyInactive = "company_inactive", "Not sent (company not active at Pax8)";
    Pending = "pending", "Still pending at the distributor";
    WaitingForDetails = "waiting_for_details", "Waiting for details at the distributor";
    Cancelled = "cancelled", "Cancelled at the distributor";
    DuplicateAtDistributor = "duplicate_at_distributor", "Two orders at the distributor";
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
