//! Subscriptions as rows: the columns they are read with and the mapping
//! into the models.

use super::*;
use crate::Result;

/// A subscription's columns, with its company's name (`c`).
macro_rules! subscription_columns {
    () => {
        "s.id, s.company_id, c.name AS company_name, s.vendor_id, s.product_id, s.product_name,
    s.distributor_subscription_id, s.quantity, s.status, s.distributor_status, s.billing_term, s.commitment_term,
    s.commitment_end, s.distributor_updated_at, s.contract_line_id, s.po_id, s.drift_quantity, s.drift_seen_at, s.updated_at"
    };
}

/// A subscription with its company's name, from `subscriptions s JOIN companies c`.
pub(super) const SUBSCRIPTION_SELECT: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    " FROM subscriptions s JOIN companies c ON c.id = s.company_id"
);

/// [`SUBSCRIPTION_SELECT`] with the seats its contract line sells (`seats_in_use`).
pub(super) const RENEWAL_SELECT: &str = concat!(
    "SELECT ",
    subscription_columns!(),
    ", cl.quantity AS seats_in_use FROM subscriptions s JOIN companies c ON c.id = s.company_id
     LEFT JOIN contract_lines cl ON cl.id = s.contract_line_id"
);

#[derive(sqlx::FromRow)]
pub(super) struct RenewalRow {
    #[sqlx(flatten)]
    pub(super) subscription: SubscriptionRow,
    pub(super) seats_in_use: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct SubscriptionRow {
    pub(super) id: i64,
    company_id: i64,
    company_name: String,
    vendor_id: i64,
    product_id: Option<i64>,
    pub(super) product_name: String,
    distributor_subscription_id: String,
    pub(super) quantity: i64,
    pub(super) status: String,
    pub(super) distributor_status: String,
    pub(super) billing_term: Option<String>,
    pub(super) commitment_term: Option<String>,
    pub(super) commitment_end: Option<String>,
    pub(super) distributor_updated_at: Option<String>,
    pub(super) contract_line_id: Option<i64>,
    pub(super) po_id: Option<i64>,
    pub(super) drift_quantity: Option<i64>,
    pub(super) drift_seen_at: Option<String>,
    updated_at: String,
}

impl SubscriptionRow {
    pub(super) fn into_model(self) -> Result<Subscription> {
        let drift = match (self.drift_quantity, self.drift_seen_at) {
            (Some(q), Some(at)) => Some(Drift {
                distributor_quantity: q,
                seen_at: at,
            }),
            (None, None) => None,
            _ => {
                return Err(crate::Error::internal_from(
                    "reading a subscription's drift",
                    format_args!("subscription {} has a drift quantity without its time, or the other way round", self.id),
                ))
            }
        };
        Ok(Subscription {
            id: self.id,
            company_id: self.company_id,
            company_name: self.company_name,
            vendor_id: self.vendor_id,
            product_id: self.product_id,
            product_name: self.product_name,
            distributor_subscription_id: self.distributor_subscription_id,
            quantity: self.quantity,
            status: SubscriptionStatus::from_stored(&self.status)?,
            distributor_status: self.distributor_status,
            billing_term: self.billing_term,
            commitment_term: self.commitment_term,
            commitment_end: self.commitment_end,
            distributor_updated_at: self.distributor_updated_at,
            contract_line_id: self.contract_line_id,
            po_id: self.po_id,
            updated_at: self.updated_at,
            drift,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ChangeRow {
    po_id: i64,
    po_number: String,
    kind: String,
    from_quantity: Option<i64>,
    to_quantity: Option<i64>,
    at: String,
}

impl ChangeRow {
    pub(super) fn into_model(self) -> Result<SubscriptionChange> {
        Ok(SubscriptionChange {
            po_id: self.po_id,
            po_number: self.po_number,
            kind: ChangeKind::from_stored(&self.kind)?,
            from_quantity: self.from_quantity,
            to_quantity: self.to_quantity,
            at: self.at,
        })
    }
}
