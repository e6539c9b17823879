//! Which edits of an edit-and-retry change what is bought. Measured
//! against the approved snapshot: a higher quantity, another product or
//! another billing term goes back to an approver; a commitment term,
//! provisioning details, the Pax8 company link or a lower quantity is a fix
//! that retries at once. Pure.

use super::{Detail, OrderRequest};
use crate::purchase_orders::snapshot::{Change, Snapshot};
use serde::{Deserialize, Serialize};

/// Edits for "edit and retry": the company's Pax8 link and, per PO line, what is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryEdits {
    #[serde(default)]
    pub pax8_company_id: Option<String>,
    #[serde(default)]
    pub lines: Vec<LineEdit>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineEdit {
    pub po_line_id: i64,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub distributor_product_id: Option<String>,
    #[serde(default)]
    pub billing_term: Option<String>,
    #[serde(default)]
    pub commitment_term_id: Option<String>,
    #[serde(default)]
    pub provisioning_details: Option<Vec<Detail>>,
}

impl RetryEdits {
    /// Applies the edits to an order; an edit of a line not in it names the field.
    pub fn apply(&self, order: &mut OrderRequest) -> Result<Vec<String>, crate::Error> {
        let mut changed = Vec::new();
        if let Some(c) = self.pax8_company_id.as_deref().map(str::trim) {
            if c.is_empty() {
                return Err(crate::Error::validation("edits.pax8_company_id", "The Pax8 company id cannot be blank."));
            }
            order.company_id = Some(c.to_string());
            changed.push(format!("Pax8 company id → {c}"));
        }
        for (i, e) in self.lines.iter().enumerate() {
            let Some(line) = order.lines.iter_mut().find(|l| l.po_line_id == e.po_line_id) else {
                return Err(crate::Error::validation(
                    format!("edits.lines[{i}].po_line_id"),
                    "This line is not part of the order.",
                ));
            };
            if let Some(q) = e.quantity {
                crate::validate::quantity(&format!("edits.lines[{i}].quantity"), q, 100_000)?;
                line.quantity = q;
                changed.push(format!("line {}: quantity → {q}", e.po_line_id));
            }
            if let Some(p) = &e.distributor_product_id {
                line.product_id = Some(p.trim().to_string()).filter(|p| !p.is_empty());
                changed.push(format!("line {}: product → {p}", e.po_line_id));
            }
            if let Some(t) = &e.billing_term {
                line.billing_term = Some(t.trim().to_string()).filter(|t| !t.is_empty());
                changed.push(format!("line {}: billing term → {t}", e.po_line_id));
            }
            if let Some(t) = &e.commitment_term_id {
                line.commitment_term_id = Some(t.trim().to_string()).filter(|t| !t.is_empty());
                changed.push(format!("line {}: commitment term → {t}", e.po_line_id));
            }
            if let Some(d) = &e.provisioning_details {
                line.provisioning_details = d.clone();
                changed.push(format!("line {}: provisioning details edited", e.po_line_id));
            }
        }
        Ok(changed)
    }
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The changes of `edits` that change what is bought.
pub fn purchase_changes(edits: &RetryEdits, approved: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for e in &edits.lines {
        let Some(l) = approved.lines.iter().find(|l| l.po_line_id == e.po_line_id) else {
            continue;
        };
        let n = Some(l.line_no);
        if let Some(q) = e.quantity.filter(|q| *q > l.quantity) {
            out.push(Change::new(n, "quantity", Some(l.quantity.to_string()), Some(q.to_string())));
        }
        if e.distributor_product_id.is_some() {
            let to = given(&e.distributor_product_id);
            if to != l.distributor_product_id {
                out.push(Change::new(n, "distributor product id", l.distributor_product_id.clone(), to));
            }
        }
        if e.billing_term.is_some() {
            let to = given(&e.billing_term);
            if to.as_deref().map(str::to_lowercase) != l.billing_term.as_deref().map(str::to_lowercase) {
                out.push(Change::new(n, "billing term", l.billing_term.clone(), to));
            }
        }
    }
    out
}

/// `approved` with all of `edits` applied: what the approver is asked to
/// approve.
pub fn revised(edits: &RetryEdits, approved: &Snapshot) -> Snapshot {
    let mut s = approved.clone();
    if let Some(c) = given(&edits.pax8_company_id) {
        s.pax8_company_id = Some(c);
    }
    for e in &edits.lines {
        let Some(l) = s.lines.iter_mut().find(|l| l.po_line_id == e.po_line_id) else {
            continue;
        };
        if let Some(q) = e.quantity {
            l.quantity = q;
        }
        if e.distributor_product_id.is_some() {
            l.distributor_product_id = given(&e.distributor_product_id);
        }
        if e.billing_term.is_some() {
            l.billing_term = given(&e.billing_term);
        }
        if e.commitment_term_id.is_some() {
            l.commitment_term_id = given(&e.commitment_term_id);
        }
        if let Some(d) = &e.provisioning_details {
            l.provisioning_details = d.clone();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procurement::LineEdit;
    use crate::purchase_orders::snapshot::LineSnapshot;

    fn approved() -> Snapshot {
        Snapshot {
            taken_at: String::new(),
            pax8_company_id: Some("c-1".into()),
            lines: vec![LineSnapshot {
                po_line_id: 7,
                line_no: 1,
                quantity: 10,
                distributor_product_id: Some("p-1".into()),
                billing_term: Some("Monthly".into()),
                ..Default::default()
            }],
        }
    }

    fn edit(e: LineEdit) -> RetryEdits {
        RetryEdits {
            pax8_company_id: None,
            lines: vec![LineEdit { po_line_id: 7, ..e }],
        }
    }

    #[test]
    fn fixes_retry_and_purchases_go_to_an_approver() {
        let fixes = RetryEdits {
            pax8_company_id: Some("c-2".into()),
            lines: vec![LineEdit {
                po_line_id: 7,
                quantity: Some(8),
                commitment_term_id: Some("t-1".into()),
                billing_term: Some("monthly".into()),
                distributor_product_id: Some(" p-1 ".into()),
                provisioning_details: Some(vec![]),
            }],
        };
        assert!(purchase_changes(&fixes, &approved()).is_empty());
        let more = purchase_changes(
            &edit(LineEdit {
                quantity: Some(400),
                ..Default::default()
            }),
            &approved(),
        );
        assert_eq!(more[0].describe(), "Line 1: quantity 10 → 400");
        let other = purchase_changes(
            &edit(LineEdit {
                distributor_product_id: Some("p-9".into()),
                billing_term: Some("Annual".into()),
                ..Default::default()
            }),
            &approved(),
        );
        assert_eq!(other.len(), 2);
        assert_eq!(other[1].describe(), "Line 1: billing term Monthly → Annual");
        let r = revised(
            &edit(LineEdit {
                quantity: Some(400),
                ..Default::default()
            }),
            &approved(),
        );
        assert_eq!((r.lines[0].quantity, r.pax8_company_id.as_deref()), (400, Some("c-1")));
    }
}
