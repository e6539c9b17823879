//! What a create or edit of a PO stores, checked: the company, ticket or
//! project it is for, the vendor, the lines with their catalog prices.

use super::rules;
use super::*;
use crate::store::Tx;
use crate::{Error, Result, Store};
use serde_json::json;

/// The company, ticket and project a PO is raised against, checked.
pub(super) struct Target {
    pub(super) company_id: i64,
    pub(super) company_name: String,
    pub(super) ticket: Option<(i64, String)>,
    pub(super) project: Option<(i64, String)>,
}

/// What a create or edit stores, checked.
pub(super) struct Checked {
    pub(super) target: Target,
    pub(super) vendor: crate::catalog::Vendor,
    pub(super) lines: Vec<LineInput>,
    /// Per line, the catalog's unit cost (a catalog line).
    pub(super) catalog_cents: Vec<Option<i64>>,
    /// Per line, the subscription change it makes (a change order).
    pub(super) changes: Vec<Option<LineChange>>,
    pub(super) notes: String,
}

impl Checked {
    pub(super) fn total(&self) -> i64 {
        rules::po_total(self.lines.iter().map(|l| (l.quantity, l.unit_cost_cents))).unwrap_or_default()
    }

    /// The lines priced differently from the catalog, for the timeline.
    pub(super) fn overrides(&self) -> Vec<serde_json::Value> {
        self.lines
            .iter()
            .zip(&self.catalog_cents)
            .enumerate()
            .filter_map(|(i, (l, c))| {
                c.filter(|c| *c != l.unit_cost_cents)
                    .map(|c| json!({"line_no": i + 1, "unit_cost_cents": l.unit_cost_cents, "catalog_unit_cost_cents": c}))
            })
            .collect()
    }

    /// "; price override on line 1: $0.00 instead of the catalog's $22.00".
    pub(super) fn overrides_in_words(&self) -> String {
        self.overrides()
            .iter()
            .map(|o| {
                format!(
                    "; price override on line {}: {} instead of the catalog's {}",
                    o["line_no"],
                    dollars(o["unit_cost_cents"].as_i64().unwrap_or_default()),
                    dollars(o["catalog_unit_cost_cents"].as_i64().unwrap_or_default())
                )
            })
            .collect()
    }
}

pub(super) fn dollars(cents: i64) -> String {
    format!("${}", crate::money::format_cents(cents))
}

impl Store {
    pub(super) async fn resolve_target(&self, input: &PoInput) -> Result<Target> {
        let given = [input.company_id.is_some(), input.ticket_id.is_some(), input.project_id.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            return Err(Error::validation(
                "company_id",
                "Raise the purchase order against exactly one of a company, a ticket or a project.",
            ));
        }
        if let Some(id) = input.ticket_id {
            let t = self
                .get_ticket(id)
                .await
                .map_err(|_| Error::validation("ticket_id", "No ticket has this id."))?;
            let c = self.get_company(t.company_id).await?;
            return Ok(Target {
                company_id: c.id,
                company_name: c.name,
                ticket: Some((t.id, t.title)),
                project: None,
            });
        }
        if let Some(id) = input.project_id {
            let p = self
                .get_project(id)
                .await
                .map_err(|_| Error::validation("project_id", "No project has this id."))?;
            let c = self.get_company(p.company_id).await?;
            return Ok(Target {
                company_id: c.id,
                company_name: c.name,
                ticket: None,
                project: Some((p.id, p.name)),
            });
        }
        let c = self
            .get_company(input.company_id.unwrap_or_default())
            .await
            .map_err(|_| Error::validation("company_id", "No company has this id."))?;
        Ok(Target {
            company_id: c.id,
            company_name: c.name,
            ticket: None,
            project: None,
        })
    }

    /// Checks everything a create or edit depends on; returns what to store.
    /// A catalog line's product belongs to the PO's vendor; its catalog price
    /// is kept beside the line's (a different one is an override).
    pub(super) async fn checked_input(&self, input: &PoInput) -> Result<Checked> {
        let prepared = self.prepare_changes(input).await?;
        let input = &prepared.input;
        let vendor = self
            .get_vendor(input.vendor_id)
            .await
            .map_err(|_| Error::validation("vendor_id", "Choose a vendor: no vendor has this id."))?;
        let target = self.resolve_target(input).await?;
        let lines = rules::validate_lines(&input.lines)?;
        // Every line's product in one read.
        let mut ids: Vec<i64> = lines.iter().filter_map(|l| l.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let products: std::collections::HashMap<i64, crate::catalog::Product> = self.products_by_ids(&ids).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut catalog_cents = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let product = match l.product_id {
                Some(p) => Some(
                    products
                        .get(&p)
                        .ok_or_else(|| Error::validation(format!("lines[{i}].product_id"), "No product has this id."))?,
                ),
                None => None,
            };
            if let Some(p) = &product {
                if p.vendor_id != vendor.id {
                    let owner = self.get_vendor(p.vendor_id).await.map(|v| v.name).unwrap_or_default();
                    return Err(Error::validation(
                        format!("lines[{i}].product_id"),
                        format!(
                            "Line {}: {} is a catalog product of {owner}, not of {}; choose one of {}'s products or another vendor.",
                            i + 1,
                            p.name,
                            vendor.name,
                            vendor.name
                        ),
                    ));
                }
            }
            catalog_cents.push(product.map(|p| p.unit_cost_cents));
            if let Some(cl) = l.contract_line_id {
                let line = self
                    .get_contract_line(cl)
                    .await
                    .map_err(|_| Error::validation(format!("lines[{i}].contract_line_id"), "No contract line has this id."))?;
                let contract = self.get_contract(line.contract_id).await?;
                if contract.company_id != target.company_id {
                    return Err(Error::validation(
                        format!("lines[{i}].contract_line_id"),
                        "This contract line belongs to another company's contract.",
                    ));
                }
            }
        }
        let notes = crate::validate::optional_text("notes", input.notes.as_deref(), rules::MAX_NOTES)?.unwrap_or_default();
        Ok(Checked {
            target,
            vendor,
            lines,
            catalog_cents,
            changes: prepared.changes,
            notes,
        })
    }

    pub(super) fn search_text(number: &str, vendor: &str, target: &Target, lines: &[LineInput]) -> String {
        let titles = target.ticket.iter().chain(target.project.iter()).map(|(_, t)| t.as_str());
        super::search_text::search_text(
            [number, vendor, &target.company_name]
                .into_iter()
                .chain(titles)
                .chain(lines.iter().map(|l| l.description.as_str())),
        )
    }

    /// All the lines in one statement (at most `MAX_LINES` × 15 values, within
    /// both databases' limits): fewer round trips while the write lock is held.
    pub(super) async fn insert_lines(tx: &mut Tx, po_id: i64, checked: &Checked) -> Result<()> {
        let (lines, catalog_cents) = (&checked.lines, &checked.catalog_cents);
        if lines.is_empty() {
            return Ok(());
        }
        // Fifteen values a line, `received_quantity` starting at 0.
        let values = crate::store::row_placeholders(lines.len(), 15, Some((4, "0")));
        let sql = format!(
            "INSERT INTO po_lines (po_id, line_no, description, quantity, received_quantity, unit_cost_cents, product_id, contract_line_id, billing_term, commitment_term_id, provisioning_details, catalog_unit_cost_cents,
                change_subscription_id, change_from_quantity, change_to_quantity, change_cancel_date)
             VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for (i, ((l, c), change)) in lines.iter().zip(catalog_cents).zip(&checked.changes).enumerate() {
            q = q
                .bind(po_id)
                .bind(i as i64 + 1)
                .bind(l.description.clone())
                .bind(l.quantity)
                .bind(l.unit_cost_cents)
                .bind(l.product_id)
                .bind(l.contract_line_id)
                .bind(l.billing_term.clone())
                .bind(l.commitment_term_id.clone())
                .bind(serde_json::to_string(&l.provisioning_details).unwrap_or_else(|_| "[]".into()))
                .bind(*c)
                .bind(change.as_ref().map(|x| x.subscription_id))
                .bind(change.as_ref().map(|x| x.from_quantity))
                .bind(change.as_ref().and_then(|x| x.to_quantity))
                .bind(change.as_ref().and_then(|x| x.cancel_date.clone()));
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }
}
