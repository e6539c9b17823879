//! A change order's lines, checked: each changes a subscription the
//! product knows (its seats to an absolute count, or a cancellation)
//! instead of ordering a product. They are never mixed with new-order
//! lines; the PO's vendor and company are the subscriptions'; a line is
//! priced by what it changes, `(to − from) × the catalog unit cost`.

use super::*;
use crate::subscriptions::{Subscription, SubscriptionStatus};
use crate::{Error, Result, Store};

/// What a change line's input becomes: the line to store (its quantity the
/// seats it adds, negative when it removes some) and its change.
pub(super) struct Prepared {
    pub(super) input: PoInput,
    /// Per line, its change (all `Some` in a change order, all `None` otherwise).
    pub(super) changes: Vec<Option<LineChange>>,
}

/// The seats a change starts from: Pax8's count where it differs from ours
/// (the subscription drifted), since that is what Pax8 will change.
fn seats_now(s: &Subscription) -> i64 {
    s.drift.as_ref().map(|d| d.distributor_quantity).unwrap_or(s.quantity)
}

impl Store {
    /// Checks a PO's change lines and prices them; an input without any is
    /// returned as it is. 400 naming the field: a change line beside a
    /// new-order line, an unknown or inactive subscription, another
    /// company's or vendor's, a seat count that changes nothing, a
    /// cancellation with a seat count, a cancel date that is not a day to come.
    pub(super) async fn prepare_changes(&self, input: &PoInput) -> Result<Prepared> {
        let Some(first) = input.lines.iter().position(|l| l.change.is_some()) else {
            return Ok(Prepared {
                input: input.clone(),
                changes: vec![None; input.lines.len()],
            });
        };
        if let Some(i) = input.lines.iter().position(|l| l.change.is_none()) {
            return Err(Error::validation(
                format!("lines[{}].change", first.max(i)),
                "A change order only changes subscriptions: raise new products on another purchase order.",
            ));
        }
        let ids: Vec<i64> = input.lines.iter().filter_map(|l| l.change.as_ref().map(|c| c.subscription_id)).collect();
        let found = self.subscriptions_by_ids(&ids).await?;
        let subscription_of = |i: usize, id: i64| {
            found
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| Error::validation(format!("lines[{i}].change.subscription_id"), "No subscription has this id."))
        };
        let lead = subscription_of(first, ids[0])?;
        let mut out = input.clone();
        // The vendor and the company are the subscriptions': taken from them
        // when left out, and any other is refused below.
        if out.vendor_id == 0 {
            out.vendor_id = lead.vendor_id;
        }
        if out.company_id.is_none() && out.ticket_id.is_none() && out.project_id.is_none() {
            out.company_id = Some(lead.company_id);
        }
        let products: Vec<i64> = found.iter().filter_map(|s| s.product_id).collect();
        let catalog = self.products_by_ids(&products).await?;
        let today = crate::clock::now().get(..10).unwrap_or_default().to_string();
        let mut changes = Vec::with_capacity(out.lines.len());
        for (i, line) in out.lines.iter_mut().enumerate() {
            let f = |name: &str| format!("lines[{i}].change.{name}");
            let c = line.change.clone().unwrap_or_default();
            if ids[..i].contains(&c.subscription_id) {
                return Err(Error::validation(f("subscription_id"), "This subscription is changed by another line already."));
            }
            let s = subscription_of(i, c.subscription_id)?;
            if s.vendor_id != out.vendor_id {
                return Err(Error::validation("vendor_id", "A change order's vendor is its subscriptions' vendor."));
            }
            if s.status != SubscriptionStatus::Active {
                return Err(Error::validation(
                    f("subscription_id"),
                    format!("Only an active subscription can be changed; this one is {}.", s.status.label().to_lowercase()),
                ));
            }
            let from = seats_now(s);
            let to = match (c.cancel, c.quantity) {
                (true, Some(_)) => return Err(Error::validation(f("quantity"), "A cancellation has no seat count: leave it out.")),
                (false, None) => return Err(Error::validation(f("quantity"), "Give the seat count to reach (at least 1), or cancel.")),
                (false, Some(q)) => {
                    let q = crate::validate::quantity(&f("quantity"), q, rules::MAX_QUANTITY)?;
                    if q == from {
                        return Err(Error::validation(f("quantity"), format!("It has {from} seats already.")));
                    }
                    Some(q)
                }
                (true, None) => None,
            };
            let cancel_date = match c.cancel {
                true => super::check_day(&f("cancel_date"), c.cancel_date.as_deref())?,
                false if c.cancel_date.is_some() => {
                    return Err(Error::validation(f("cancel_date"), "Only a cancellation has a cancel date."));
                }
                false => None,
            };
            if cancel_date.as_deref().is_some_and(|d| d < today.as_str()) {
                return Err(Error::validation(
                    f("cancel_date"),
                    "The cancel date has passed: choose today or a day to come.",
                ));
            }
            let change = LineChange {
                subscription_id: s.id,
                from_quantity: from,
                to_quantity: to,
                cancel: c.cancel,
                cancel_date,
            };
            // Priced by what it changes, at the catalog's cost where the
            // subscription has a catalog product (else the cost entered).
            if let Some(cost) = s.product_id.and_then(|p| catalog.iter().find(|x| x.id == p)).map(|p| p.unit_cost_cents) {
                line.unit_cost_cents = cost;
            }
            line.quantity = to.unwrap_or(0) - from;
            line.product_id = s.product_id;
            line.contract_line_id = s.contract_line_id;
            line.billing_term = None;
            line.commitment_term_id = None;
            line.provisioning_details = vec![];
            if line.description.trim().is_empty() {
                line.description = format!("{}: {}", s.product_name, change.in_words());
            }
            changes.push(Some(change));
        }
        Ok(Prepared { input: out, changes })
    }
}
