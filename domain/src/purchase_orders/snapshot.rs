//! What an approval fixes: the snapshot of what a PO orders, taken at
//! submission and sent by the dispatch; the differences between it and the
//! catalog now; and a revision (changes an edit-and-retry asked for, waiting
//! for approval). Pure, shared with the browser.

use super::ProvisioningDetail;
use serde::{Deserialize, Serialize};

/// What a PO orders, as submitted (and approved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub taken_at: String,
    /// The company's Pax8 company id at submission.
    pub pax8_company_id: Option<String>,
    pub lines: Vec<LineSnapshot>,
}

impl Snapshot {
    /// A change order (of `total_cents`) that removes seats, cancels, or
    /// does not add seats at a cost: never approved automatically.
    pub fn reduces(&self, total_cents: i64) -> bool {
        let changes: Vec<&ChangeSnapshot> = self.lines.iter().filter_map(|l| l.change.as_ref()).collect();
        !changes.is_empty() && (total_cents <= 0 || changes.iter().any(|c| c.to_quantity.is_none_or(|to| to < c.from_quantity)))
    }
}

/// One line of a [`Snapshot`]; terms are the line's own or else its
/// catalog product's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineSnapshot {
    pub po_line_id: i64,
    pub line_no: i64,
    pub description: String,
    pub quantity: i64,
    pub unit_cost_cents: i64,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub sku: Option<String>,
    pub distributor_product_id: Option<String>,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    #[serde(default)]
    pub provisioning_details: Vec<ProvisioningDetail>,
    /// The catalog's unit cost at submission.
    pub catalog_unit_cost_cents: Option<i64>,
    /// A change order's line: the change, and the subscription as it was
    /// read when the PO was submitted (what the approval binds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeSnapshot>,
}

/// A change of a subscription as approved: the change itself and the
/// subscription it was decided on. At dispatch Pax8 must still show these
/// figures (quantity, `updatedDate`, commitment end), or nothing is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSnapshot {
    pub subscription_id: i64,
    pub distributor_subscription_id: String,
    /// Pax8's product id (its commitment rules are read at preflight).
    pub distributor_product_id: Option<String>,
    pub product_name: String,
    pub from_quantity: i64,
    /// The seats to reach; `None`: a cancellation.
    pub to_quantity: Option<i64>,
    #[serde(default)]
    pub cancel_date: Option<String>,
    /// Pax8's `updatedDate` of the subscription as last read.
    pub distributor_updated_at: Option<String>,
    pub commitment_end: Option<String>,
}

/// One difference: a field of a line (or of the PO), from → to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The PO line's number; `None` for the PO itself (the company's Pax8 id).
    pub line_no: Option<i64>,
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Change {
    pub fn new(line_no: Option<i64>, field: &str, from: Option<String>, to: Option<String>) -> Change {
        Change {
            line_no,
            field: field.to_string(),
            from,
            to,
        }
    }

    /// "Line 2: quantity 5 → 200".
    pub fn describe(&self) -> String {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_string());
        let what = match self.line_no {
            Some(n) => format!("Line {n}: {}", self.field),
            None => capitalised(&self.field),
        };
        format!("{what} {} → {}", show(&self.from), show(&self.to))
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Changes an edit-and-retry asked for that change what is bought (a
/// higher quantity, another product, another billing term): the PO waits
/// for approval of them, and its dispatch resumes once it is approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub changes: Vec<Change>,
    pub requested_by: super::Person,
    pub at: String,
    pub remediation_id: i64,
}

/// A catalog product as it is now, for one snapshot line (`None`: the
/// product was deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveProduct {
    pub name: String,
    pub sku: String,
    pub distributor_product_id: Option<String>,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    pub unit_cost_cents: i64,
}

/// A snapshot line's own terms (as typed on the PO line), which win over
/// the product's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnTerms {
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
}

/// Where the catalog (and the company's Pax8 link) now differs from what
/// was approved. `live` gives, per snapshot line with a product, the PO
/// line's own terms and the product now.
pub fn catalog_changes(snapshot: &Snapshot, pax8_company_now: Option<&str>, live: impl Fn(i64) -> Option<(OwnTerms, Option<LiveProduct>)>) -> Vec<Change> {
    let mut out = Vec::new();
    if snapshot.pax8_company_id.as_deref() != pax8_company_now {
        out.push(Change::new(
            None,
            "Pax8 company id",
            snapshot.pax8_company_id.clone(),
            pax8_company_now.map(str::to_string),
        ));
    }
    for l in &snapshot.lines {
        let Some(product_id) = l.product_id else { continue };
        let Some((own, product)) = live(l.po_line_id) else { continue };
        let n = Some(l.line_no);
        let Some(p) = product else {
            out.push(Change::new(
                n,
                "product",
                l.product_name.clone(),
                Some(format!("removed from the catalog (#{product_id})")),
            ));
            continue;
        };
        let mut differs = |field: &str, then: &Option<String>, now: Option<String>| {
            if *then != now {
                out.push(Change::new(n, field, then.clone(), now));
            }
        };
        differs("SKU", &l.sku, Some(p.sku.clone()));
        differs("distributor product id", &l.distributor_product_id, p.distributor_product_id.clone());
        differs("billing term", &l.billing_term, own.billing_term.or(p.billing_term.clone()));
        differs(
            "commitment term",
            &l.commitment_term_id,
            own.commitment_term_id.or(p.commitment_term_id.clone()),
        );
        if l.catalog_unit_cost_cents.is_some_and(|c| c != p.unit_cost_cents) {
            out.push(Change::new(
                n,
                "catalog price",
                l.catalog_unit_cost_cents.map(|c| format!("${}", crate::money::format_cents(c))),
                Some(format!("${}", crate::money::format_cents(p.unit_cost_cents))),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> LineSnapshot {
        LineSnapshot {
            po_line_id: 7,
            line_no: 1,
            description: "M365".into(),
            quantity: 5,
            unit_cost_cents: 2200,
            product_id: Some(3),
            product_name: Some("Microsoft 365 Business Premium".into()),
            sku: Some("M365-BP".into()),
            distributor_product_id: Some("p-1".into()),
            billing_term: Some("Monthly".into()),
            commitment_term_id: None,
            provisioning_details: vec![],
            catalog_unit_cost_cents: Some(2200),
            change: None,
        }
    }

    fn live() -> LiveProduct {
        LiveProduct {
            name: "Microsoft 365 Business Premium".into(),
            sku: "M365-BP".into(),
            distributor_product_id: Some("p-1".into()),
            billing_term: Some("Monthly".into()),
            commitment_term_id: None,
            unit_cost_cents: 2200,
        }
    }

    #[test]
    fn catalog_changes_name_each_field() {
        let s = Snapshot {
            taken_at: String::new(),
            pax8_company_id: Some("c-1".into()),
            lines: vec![line()],
        };
        let same = |_| Some((OwnTerms::default(), Some(live())));
        assert!(catalog_changes(&s, Some("c-1"), same).is_empty());
        let moved = |_| {
            Some((
                OwnTerms::default(),
                Some(LiveProduct {
                    distributor_product_id: Some("p-2".into()),
                    billing_term: Some("Annual".into()),
                    unit_cost_cents: 2500,
                    ..live()
                }),
            ))
        };
        let c: Vec<String> = catalog_changes(&s, Some("c-9"), moved).iter().map(Change::describe).collect();
        assert_eq!(
            c,
            [
                "Pax8 company id c-1 → c-9",
                "Line 1: distributor product id p-1 → p-2",
                "Line 1: billing term Monthly → Annual",
                "Line 1: catalog price $22.00 → $25.00"
            ]
        );
        // The line's own term wins over the product's, as at submission.
        let own = |_| {
            Some((
                OwnTerms {
                    billing_term: Some("Monthly".into()),
                    commitment_term_id: None,
                },
                Some(LiveProduct {
                    billing_term: Some("Annual".into()),
                    ..live()
                }),
            ))
        };
        assert!(catalog_changes(&s, Some("c-1"), own).is_empty());
        let gone = catalog_changes(&s, Some("c-1"), |_| Some((OwnTerms::default(), None)));
        assert_eq!(
            gone[0].describe(),
            "Line 1: product Microsoft 365 Business Premium → removed from the catalog (#3)"
        );
    }
}
