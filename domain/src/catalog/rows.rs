//! Reference data as rows: the columns each model is read with, and the
//! mapping into the shared models.

use super::*;

pub(super) const COMPANY_COLS: &str = "id, name, pax8_company_id";

#[derive(sqlx::FromRow)]
pub(super) struct CompanyRow {
    id: i64,
    name: String,
    pax8_company_id: Option<String>,
}

impl CompanyRow {
    pub(super) fn into_model(self) -> Company {
        Company {
            id: self.id,
            name: self.name,
            pax8_company_id: self.pax8_company_id,
        }
    }
}

pub(super) const TICKET_COLS: &str = "id, company_id, title";

#[derive(sqlx::FromRow)]
pub(super) struct TicketRow {
    id: i64,
    company_id: i64,
    title: String,
}

impl TicketRow {
    pub(super) fn into_model(self) -> Ticket {
        Ticket {
            id: self.id,
            company_id: self.company_id,
            title: self.title,
        }
    }
}

pub(super) const PROJECT_COLS: &str = "id, company_id, name";

#[derive(sqlx::FromRow)]
pub(super) struct ProjectRow {
    id: i64,
    company_id: i64,
    name: String,
}

impl ProjectRow {
    pub(super) fn into_model(self) -> Project {
        Project {
            id: self.id,
            company_id: self.company_id,
            name: self.name,
        }
    }
}

pub(super) const VENDOR_COLS: &str = "id, name, distributor, qbo_vendor_id";

#[derive(sqlx::FromRow)]
pub(super) struct VendorRow {
    id: i64,
    name: String,
    distributor: Option<String>,
    qbo_vendor_id: Option<String>,
}

impl VendorRow {
    pub(super) fn into_model(self) -> Result<Vendor> {
        Ok(Vendor {
            id: self.id,
            name: self.name,
            distributor: self.distributor.as_deref().map(Distributor::from_stored).transpose()?,
            qbo_vendor_id: self.qbo_vendor_id,
        })
    }
}

pub(super) const PRODUCT_COLS: &str = "id, vendor_id, name, sku, unit_cost_cents, distributor_product_id, billing_term, commitment_term_id, qbo_item_id";

#[derive(sqlx::FromRow)]
pub(super) struct ProductRow {
    id: i64,
    vendor_id: i64,
    name: String,
    sku: String,
    unit_cost_cents: i64,
    distributor_product_id: Option<String>,
    billing_term: Option<String>,
    commitment_term_id: Option<String>,
    qbo_item_id: Option<String>,
}

impl ProductRow {
    pub(super) fn into_model(self) -> Product {
        Product {
            id: self.id,
            vendor_id: self.vendor_id,
            name: self.name,
            sku: self.sku,
            unit_cost_cents: self.unit_cost_cents,
            distributor_product_id: self.distributor_product_id,
            billing_term: self.billing_term,
            commitment_term_id: self.commitment_term_id,
            qbo_item_id: self.qbo_item_id,
        }
    }
}

/// A contract without its lines (read apart, as [`ContractLineRow`]s).
#[derive(sqlx::FromRow)]
pub(super) struct ContractRow {
    id: i64,
    company_id: i64,
    name: String,
}

impl ContractRow {
    pub(super) fn into_model(self, lines: Vec<ContractLine>) -> Contract {
        Contract {
            id: self.id,
            company_id: self.company_id,
            name: self.name,
            lines,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ContractSummaryRow {
    id: i64,
    company_id: i64,
    company_name: String,
    name: String,
    line_count: i64,
    pending_lines: i64,
}

impl ContractSummaryRow {
    pub(super) fn into_model(self) -> ContractSummary {
        ContractSummary {
            id: self.id,
            company_id: self.company_id,
            company_name: self.company_name,
            name: self.name,
            line_count: self.line_count,
            pending_lines: self.pending_lines,
        }
    }
}

pub(super) const LINE_COLS: &str = "id, contract_id, product_id, description, quantity, unit_price_cents, status, activated_at, subscription_id, cancelled_at";

#[derive(sqlx::FromRow)]
pub(super) struct ContractLineRow {
    id: i64,
    contract_id: i64,
    product_id: Option<i64>,
    description: String,
    quantity: i64,
    unit_price_cents: i64,
    status: String,
    activated_at: Option<String>,
    subscription_id: Option<String>,
    cancelled_at: Option<String>,
}

impl ContractLineRow {
    pub(super) fn into_model(self) -> Result<ContractLine> {
        Ok(ContractLine {
            id: self.id,
            contract_id: self.contract_id,
            product_id: self.product_id,
            description: self.description,
            quantity: self.quantity,
            unit_price_cents: self.unit_price_cents,
            status: ContractLineStatus::from_stored(&self.status)?,
            activated_at: self.activated_at,
            subscription_id: self.subscription_id,
            cancelled_at: self.cancelled_at,
        })
    }
}

/// A contract line with its contract's name, as a company's pickers list it.
#[derive(sqlx::FromRow)]
pub(super) struct CompanyContractLineRow {
    id: i64,
    contract_id: i64,
    contract_name: String,
    description: String,
    quantity: i64,
    status: String,
}

impl CompanyContractLineRow {
    pub(super) fn into_model(self) -> Result<CompanyContractLine> {
        Ok(CompanyContractLine {
            id: self.id,
            contract_id: self.contract_id,
            contract_name: self.contract_name,
            description: self.description,
            quantity: self.quantity,
            status: ContractLineStatus::from_stored(&self.status)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store;
    use crate::ErrorCode;

    crate::both_backends!(unknown_stored_names_are_errors);
    async fn unknown_stored_names_are_errors(b: &'static str) {
        let s = store(b).await;
        let company = s
            .create_company(&CompanyInput {
                name: Some("Acme".into()),
                pax8_company_id: None,
            })
            .await
            .unwrap();
        let vendor = s
            .create_vendor(&VendorInput {
                name: Some("Pax8".into()),
                distributor: Some(Distributor::Pax8),
                qbo_vendor_id: None,
            })
            .await
            .unwrap();
        let contract = s.create_contract(company.id, "Seats").await.unwrap();
        let line = s
            .add_contract_line(
                contract.id,
                &ContractLineInput {
                    product_id: None,
                    description: "M365".into(),
                    quantity: 5,
                    unit_price_cents: 2200,
                },
            )
            .await
            .unwrap();
        sqlx::query("UPDATE vendors SET distributor = 'acme_distribution' WHERE id = $1")
            .bind(vendor.id)
            .execute(s.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE contract_lines SET status = 'paused' WHERE id = $1")
            .bind(line.id)
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(s.get_vendor(vendor.id).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.list_vendors().await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.get_contract_line(line.id).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.get_contract(contract.id).await.unwrap_err().code, ErrorCode::Internal, "{b}");
        assert_eq!(s.contract_lines_of_company(company.id).await.unwrap_err().code, ErrorCode::Internal, "{b}");
    }
}
