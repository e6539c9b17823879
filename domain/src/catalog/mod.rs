//! Reference data a purchase order needs: companies with their tickets and
//! projects, vendors (some of them distributors), the product catalog, and
//! contracts whose lines provisioning activates.

use crate::validate::{cents, optional_text, quantity, required_text};
use crate::Result;
use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
mod contracts_store;
#[cfg(feature = "server")]
pub(crate) use contracts_store::{follow_subscription, Follow};
#[cfg(feature = "server")]
mod rows;
#[cfg(feature = "server")]
mod store;
#[cfg(all(test, feature = "server"))]
mod store_tests;
#[cfg(feature = "server")]
mod vendors_store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub pax8_company_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: i64,
    pub company_id: i64,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: i64,
    pub company_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distributor {
    Pax8,
    IngramMicro,
    TdSynnex,
    Sherweb,
}

/// A company or a vendor was renamed: raised inside the rename's
/// transaction (the POs' search text follows, see [`crate::store::follow`]).
pub enum Renamed {
    Company(i64),
    Vendor(i64),
}

crate::named_enum!(Distributor {
    Pax8 = "pax8";
    IngramMicro = "ingram_micro";
    TdSynnex = "td_synnex";
    Sherweb = "sherweb";
});

impl Distributor {
    pub fn label(self) -> &'static str {
        match self {
            Distributor::Pax8 => "Pax8",
            Distributor::IngramMicro => "Ingram Micro",
            Distributor::TdSynnex => "TD SYNNEX",
            Distributor::Sherweb => "Sherweb",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    pub id: i64,
    pub name: String,
    pub distributor: Option<Distributor>,
    pub qbo_vendor_id: Option<String>,
}

/// Pax8's billing terms.
pub const BILLING_TERMS: [&str; 7] = ["Monthly", "Annual", "2-Year", "3-Year", "One-Time", "Trial", "Activation"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub vendor_id: i64,
    pub name: String,
    pub sku: String,
    pub unit_cost_cents: i64,
    pub distributor_product_id: Option<String>,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    pub qbo_item_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: i64,
    pub company_id: i64,
    pub name: String,
    #[serde(default)]
    pub lines: Vec<ContractLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractLineStatus {
    Pending,
    Active,
    Cancelled,
}

crate::named_enum!(ContractLineStatus {
    Pending = "pending";
    Active = "active";
    Cancelled = "cancelled";
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractLine {
    pub id: i64,
    pub contract_id: i64,
    pub product_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub status: ContractLineStatus,
    pub activated_at: Option<String>,
    pub subscription_id: Option<String>,
    /// A cancelled line: the day its subscription ends.
    #[serde(default)]
    pub cancelled_at: Option<String>,
}

/// A contract line with its contract's name, for pickers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyContractLine {
    pub id: i64,
    pub contract_id: i64,
    pub contract_name: String,
    pub description: String,
    pub quantity: i64,
    pub status: ContractLineStatus,
}

/// A contract in a list: with its company's name and line count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractSummary {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub name: String,
    pub line_count: i64,
    pub pending_lines: i64,
}

// ---- inputs and their validation -------------------------------------------

pub const MAX_NAME: usize = 200;
pub const MAX_ID: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyInput {
    pub name: Option<String>,
    pub pax8_company_id: Option<String>,
}

impl CompanyInput {
    /// For create (`partial` false) every required field must be there; for
    /// update only what is given is checked. A blank Pax8 id unlinks.
    pub fn validated(&self, partial: bool) -> Result<CompanyInput> {
        Ok(CompanyInput {
            name: name_field("name", self.name.as_deref(), partial)?,
            pax8_company_id: self
                .pax8_company_id
                .as_deref()
                .map(|v| optional_text("pax8_company_id", Some(v), MAX_ID).map(|o| o.unwrap_or_default()))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorInput {
    pub name: Option<String>,
    pub distributor: Option<Distributor>,
    pub qbo_vendor_id: Option<String>,
}

impl VendorInput {
    pub fn validated(&self, partial: bool) -> Result<VendorInput> {
        Ok(VendorInput {
            name: name_field("name", self.name.as_deref(), partial)?,
            distributor: self.distributor,
            qbo_vendor_id: self
                .qbo_vendor_id
                .as_deref()
                .map(|v| optional_text("qbo_vendor_id", Some(v), MAX_ID).map(|o| o.unwrap_or_default()))
                .transpose()?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInput {
    pub vendor_id: Option<i64>,
    pub name: Option<String>,
    pub sku: Option<String>,
    pub unit_cost_cents: Option<i64>,
    pub distributor_product_id: Option<String>,
    pub billing_term: Option<String>,
    pub commitment_term_id: Option<String>,
    pub qbo_item_id: Option<String>,
}

impl ProductInput {
    pub fn validated(&self, partial: bool) -> Result<ProductInput> {
        if !partial && self.vendor_id.is_none() {
            return Err(crate::Error::validation("vendor_id", "Choose the product's vendor."));
        }
        if !partial && self.unit_cost_cents.is_none() {
            return Err(crate::Error::validation("unit_cost_cents", "Unit cost is required."));
        }
        let billing_term = match self.billing_term.as_deref().map(str::trim) {
            Some("") => Some(String::new()),
            Some(t) => Some(
                BILLING_TERMS
                    .iter()
                    .find(|b| b.eq_ignore_ascii_case(t))
                    .map(|b| b.to_string())
                    .ok_or_else(|| crate::Error::validation("billing_term", format!("Billing term must be one of {}.", BILLING_TERMS.join(", "))))?,
            ),
            None => None,
        };
        let opt = |field: &str, v: &Option<String>| {
            v.as_deref()
                .map(|v| optional_text(field, Some(v), MAX_ID).map(|o| o.unwrap_or_default()))
                .transpose()
        };
        Ok(ProductInput {
            vendor_id: self.vendor_id,
            name: name_field("name", self.name.as_deref(), partial)?,
            sku: match (self.sku.as_deref(), partial) {
                (None, true) => None,
                (v, _) => Some(required_text("sku", v.unwrap_or(""), MAX_ID)?),
            },
            unit_cost_cents: self.unit_cost_cents.map(|c| cents("unit_cost_cents", c)).transpose()?,
            distributor_product_id: opt("distributor_product_id", &self.distributor_product_id)?,
            billing_term,
            commitment_term_id: opt("commitment_term_id", &self.commitment_term_id)?,
            qbo_item_id: opt("qbo_item_id", &self.qbo_item_id)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractLineInput {
    pub product_id: Option<i64>,
    pub description: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

impl ContractLineInput {
    pub fn validated(&self) -> Result<ContractLineInput> {
        Ok(ContractLineInput {
            product_id: self.product_id,
            description: required_text("description", &self.description, 500)?,
            quantity: quantity("quantity", self.quantity, 1_000_000)?,
            unit_price_cents: cents("unit_price_cents", self.unit_price_cents)?,
        })
    }
}

fn name_field(field: &str, v: Option<&str>, partial: bool) -> Result<Option<String>> {
    match (v, partial) {
        (None, true) => Ok(None),
        (v, _) => required_text(field, v.unwrap_or(""), MAX_NAME).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_input() {
        let c = CompanyInput {
            name: Some("  Acme ".into()),
            pax8_company_id: Some(" ".into()),
        }
        .validated(false)
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("Acme"));
        assert_eq!(c.pax8_company_id.as_deref(), Some(""), "blank unlinks");
        assert_eq!(CompanyInput::default().validated(false).unwrap_err().field.as_deref(), Some("name"));
        assert!(CompanyInput::default().validated(true).unwrap().name.is_none());
    }

    #[test]
    fn product_input() {
        let p = ProductInput {
            vendor_id: Some(1),
            name: Some("M365 Business Premium".into()),
            sku: Some("MST-BP".into()),
            unit_cost_cents: Some(2200),
            billing_term: Some("monthly".into()),
            ..Default::default()
        };
        assert_eq!(p.validated(false).unwrap().billing_term.as_deref(), Some("Monthly"));
        let bad = ProductInput {
            billing_term: Some("weekly".into()),
            ..p.clone()
        };
        assert_eq!(bad.validated(false).unwrap_err().field.as_deref(), Some("billing_term"));
        let neg = ProductInput {
            unit_cost_cents: Some(-5),
            ..p.clone()
        };
        assert_eq!(neg.validated(false).unwrap_err().field.as_deref(), Some("unit_cost_cents"));
        let no_vendor = ProductInput { vendor_id: None, ..p };
        assert_eq!(no_vendor.validated(false).unwrap_err().field.as_deref(), Some("vendor_id"));
    }

    #[test]
    fn contract_line_input() {
        let l = ContractLineInput {
            product_id: None,
            description: "Seats".into(),
            quantity: 0,
            unit_price_cents: 100,
        };
        assert_eq!(l.validated().unwrap_err().field.as_deref(), Some("quantity"));
    }

    #[test]
    fn distributors_round_trip() {
        for d in Distributor::ALL {
            assert_eq!(Distributor::parse(d.as_str()), Some(d));
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }
}
