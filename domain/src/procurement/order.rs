//! The order a dispatch sends to the distributor, built from the approved
//! snapshot, and the preflight that catches what Pax8 would refuse before
//! anything is sent.

use super::Detail;
use serde::{Deserialize, Serialize};

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

/// What is sent to the distributor for one PO: a new order's lines, or a
/// change order's changes (never both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub company_id: Option<String>,
    pub lines: Vec<OrderLine>,
    /// A change order's changes of subscriptions, sent one after another.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeLine>,
}

impl OrderRequest {
    pub fn is_change(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// One change of a subscription, from a change order's line, with the
/// subscription as the approval saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub po_line_id: i64,
    #[serde(flatten)]
    pub change: crate::purchase_orders::snapshot::ChangeSnapshot,
}

/// The order a dispatch sends: the lines with something for the
/// distributor (a product id or a billing term; a setup fee typed by
/// hand is not sent), or a change order's changes.
pub fn order_from(snapshot: &crate::purchase_orders::snapshot::Snapshot) -> OrderRequest {
    OrderRequest {
        company_id: snapshot.pax8_company_id.clone(),
        changes: snapshot
            .lines
            .iter()
            .filter_map(|l| {
                l.change.as_ref().map(|c| ChangeLine {
                    po_line_id: l.po_line_id,
                    change: c.clone(),
                })
            })
            .collect(),
        lines: snapshot
            .lines
            .iter()
            .filter(|l| l.change.is_none() && (l.distributor_product_id.is_some() || l.billing_term.is_some()))
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

    /// The same problem, about PO line `po_line_id`.
    pub fn on_line(self, po_line_id: i64) -> Problem {
        Problem {
            po_line_id: Some(po_line_id),
            ..self
        }
    }
}

/// What Pax8 would refuse, caught before anything is sent.
pub fn preflight(order: &OrderRequest) -> Vec<Problem> {
    let mut out = Vec::new();
    if order.is_change() {
        // A change's own checks need Pax8's answer (`change_rules.rs`).
        if order.company_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
            out.push(Problem::new(
                "pax8_company_id",
                "The company is not linked to a Pax8 company: set its Pax8 company id.",
            ));
        }
        return out;
    }
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
            changes: vec![],
            lines: vec![line()],
        };
        assert!(preflight(&ok).is_empty());
        let bad = OrderRequest {
            company_id: None,
            changes: vec![],
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
}
