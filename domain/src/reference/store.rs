//! Reference data in the store.

use super::*;
use crate::purchase_orders::search::Renamed;
use crate::store::{is_unique_violation, like_pattern};
use crate::{clock, Error, Store};
use sqlx::any::AnyRow;
use sqlx::Row;

const LIST_LIMIT: i64 = 200;

fn company(r: &AnyRow) -> Result<Company> {
    Ok(Company {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        pax8_company_id: r.try_get("pax8_company_id")?,
    })
}

fn vendor(r: &AnyRow) -> Result<Vendor> {
    let d: Option<String> = r.try_get("distributor")?;
    Ok(Vendor {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        distributor: d.as_deref().and_then(Distributor::parse),
        qbo_vendor_id: r.try_get("qbo_vendor_id")?,
    })
}

const PRODUCT_COLS: &str = "id, vendor_id, name, sku, unit_cost_cents, distributor_product_id, billing_term, commitment_term_id, qbo_item_id";

fn product(r: &AnyRow) -> Result<Product> {
    Ok(Product {
        id: r.try_get("id")?,
        vendor_id: r.try_get("vendor_id")?,
        name: r.try_get("name")?,
        sku: r.try_get("sku")?,
        unit_cost_cents: r.try_get("unit_cost_cents")?,
        distributor_product_id: r.try_get("distributor_product_id")?,
        billing_term: r.try_get("billing_term")?,
        commitment_term_id: r.try_get("commitment_term_id")?,
        qbo_item_id: r.try_get("qbo_item_id")?,
    })
}

const LINE_COLS: &str = "id, contract_id, product_id, description, quantity, unit_price_cents, status, activated_at, subscription_id";

fn contract_line(r: &AnyRow) -> Result<ContractLine> {
    let status: String = r.try_get("status")?;
    Ok(ContractLine {
        id: r.try_get("id")?,
        contract_id: r.try_get("contract_id")?,
        product_id: r.try_get("product_id")?,
        description: r.try_get("description")?,
        quantity: r.try_get("quantity")?,
        unit_price_cents: r.try_get("unit_price_cents")?,
        status: ContractLineStatus::parse(&status).ok_or_else(Error::internal)?,
        activated_at: r.try_get("activated_at")?,
        subscription_id: r.try_get("subscription_id")?,
    })
}

/// `""` (a blank optional field in an update) becomes NULL.
fn blank_to_null(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.is_empty() { None } else { Some(s) })
}

fn duplicate(field: &'static str, what: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| {
        if is_unique_violation(&e) {
            Error::validation(field, format!("{what} already exists."))
        } else {
            e.into()
        }
    }
}

impl Store {
    // ---- companies ---------------------------------------------------------

    pub async fn list_companies(&self, q: Option<&str>) -> Result<Vec<Company>> {
        crate::validate::search_query(q)?;
        let rows =
            sqlx::query("SELECT id, name, pax8_company_id FROM companies WHERE ($1 = '' OR lower(name) LIKE $2 ESCAPE '\\') ORDER BY lower(name), id LIMIT $3")
                .bind(q.unwrap_or("").trim())
                .bind(like_pattern(q.unwrap_or("")))
                .bind(LIST_LIMIT)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(company).collect()
    }

    pub async fn get_company(&self, id: i64) -> Result<Company> {
        let r = sqlx::query("SELECT id, name, pax8_company_id FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        company(&r.ok_or_else(|| Error::not_found("The company"))?)
    }

    pub async fn create_company(&self, input: &CompanyInput) -> Result<Company> {
        let i = input.validated(false)?;
        let _turn = self.write_turn().await?;
        let r = sqlx::query("INSERT INTO companies (name, pax8_company_id, created_at) VALUES ($1, $2, $3) RETURNING id, name, pax8_company_id")
            .bind(i.name)
            .bind(i.pax8_company_id.filter(|s| !s.is_empty()))
            .bind(clock::now())
            .fetch_one(self.pool())
            .await
            .map_err(duplicate("name", "A company with this name"))?;
        company(&r)
    }

    pub async fn update_company(&self, id: i64, input: &CompanyInput) -> Result<Company> {
        let i = input.validated(true)?;
        let pax8 = blank_to_null(i.pax8_company_id);
        let renamed = i.name.is_some();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE companies SET name = COALESCE($1, name), pax8_company_id = CASE WHEN $2 = 1 THEN $3 ELSE pax8_company_id END WHERE id = $4 RETURNING id, name, pax8_company_id",
        )
        .bind(i.name)
        .bind(i64::from(pax8.is_some()))
        .bind(pax8.flatten())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(duplicate("name", "A company with this name"))?;
        let c = company(&r.ok_or_else(|| Error::not_found("The company"))?)?;
        if renamed {
            self.refresh_search_text(&mut tx, Renamed::Company(id)).await?;
        }
        tx.commit().await?;
        Ok(c)
    }

    // ---- tickets and projects ---------------------------------------------

    pub async fn list_tickets(&self, company_id: Option<i64>, q: Option<&str>) -> Result<Vec<Ticket>> {
        crate::validate::search_query(q)?;
        let rows = sqlx::query("SELECT id, company_id, title FROM tickets WHERE ($1 = 0 OR company_id = $2) AND ($3 = '' OR lower(title) LIKE $4 ESCAPE '\\') ORDER BY id DESC LIMIT $5")
            .bind(i64::from(company_id.is_some()))
            .bind(company_id.unwrap_or(0))
            .bind(q.unwrap_or("").trim())
            .bind(like_pattern(q.unwrap_or("")))
            .bind(LIST_LIMIT)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Ticket {
                    id: r.try_get("id")?,
                    company_id: r.try_get("company_id")?,
                    title: r.try_get("title")?,
                })
            })
            .collect()
    }

    pub async fn get_ticket(&self, id: i64) -> Result<Ticket> {
        let r = sqlx::query("SELECT id, company_id, title FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The ticket"))?;
        Ok(Ticket {
            id: r.try_get("id")?,
            company_id: r.try_get("company_id")?,
            title: r.try_get("title")?,
        })
    }

    pub async fn create_ticket(&self, company_id: i64, title: &str) -> Result<Ticket> {
        let title = crate::validate::required_text("title", title, MAX_NAME)?;
        self.company_exists(company_id).await?;
        let _turn = self.write_turn().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO tickets (company_id, title, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(company_id)
            .bind(&title)
            .bind(clock::now())
            .fetch_one(self.pool())
            .await?;
        Ok(Ticket { id, company_id, title })
    }

    pub async fn list_projects(&self, company_id: Option<i64>, q: Option<&str>) -> Result<Vec<Project>> {
        crate::validate::search_query(q)?;
        let rows = sqlx::query("SELECT id, company_id, name FROM projects WHERE ($1 = 0 OR company_id = $2) AND ($3 = '' OR lower(name) LIKE $4 ESCAPE '\\') ORDER BY id DESC LIMIT $5")
            .bind(i64::from(company_id.is_some()))
            .bind(company_id.unwrap_or(0))
            .bind(q.unwrap_or("").trim())
            .bind(like_pattern(q.unwrap_or("")))
            .bind(LIST_LIMIT)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Project {
                    id: r.try_get("id")?,
                    company_id: r.try_get("company_id")?,
                    name: r.try_get("name")?,
                })
            })
            .collect()
    }

    pub async fn get_project(&self, id: i64) -> Result<Project> {
        let r = sqlx::query("SELECT id, company_id, name FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The project"))?;
        Ok(Project {
            id: r.try_get("id")?,
            company_id: r.try_get("company_id")?,
            name: r.try_get("name")?,
        })
    }

    pub async fn create_project(&self, company_id: i64, name: &str) -> Result<Project> {
        let name = crate::validate::required_text("name", name, MAX_NAME)?;
        self.company_exists(company_id).await?;
        let _turn = self.write_turn().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO projects (company_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(company_id)
            .bind(&name)
            .bind(clock::now())
            .fetch_one(self.pool())
            .await?;
        Ok(Project { id, company_id, name })
    }

    async fn company_exists(&self, id: i64) -> Result<()> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        found.map(|_| ()).ok_or_else(|| Error::validation("company_id", "No company has this id."))
    }

    // ---- vendors -----------------------------------------------------------

    pub async fn list_vendors(&self) -> Result<Vec<Vendor>> {
        let rows = sqlx::query("SELECT id, name, distributor, qbo_vendor_id FROM vendors ORDER BY lower(name), id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(vendor).collect()
    }

    pub async fn get_vendor(&self, id: i64) -> Result<Vendor> {
        let r = sqlx::query("SELECT id, name, distributor, qbo_vendor_id FROM vendors WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        vendor(&r.ok_or_else(|| Error::not_found("The vendor"))?)
    }

    pub async fn create_vendor(&self, input: &VendorInput) -> Result<Vendor> {
        let i = input.validated(false)?;
        let _turn = self.write_turn().await?;
        let r = sqlx::query(
            "INSERT INTO vendors (name, distributor, qbo_vendor_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id, name, distributor, qbo_vendor_id",
        )
        .bind(i.name)
        .bind(i.distributor.map(|d| d.as_str()))
        .bind(i.qbo_vendor_id.filter(|s| !s.is_empty()))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(duplicate("name", "A vendor with this name"))?;
        vendor(&r)
    }

    /// Updates the given fields. `distributor` is always applied when the
    /// caller passes `set_distributor` (so that it can be cleared).
    pub async fn update_vendor(&self, id: i64, input: &VendorInput, set_distributor: bool) -> Result<Vendor> {
        let i = input.validated(true)?;
        let qbo = blank_to_null(i.qbo_vendor_id);
        let renamed = i.name.is_some();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "UPDATE vendors SET name = COALESCE($1, name),
                distributor = CASE WHEN $2 = 1 THEN $3 ELSE distributor END,
                qbo_vendor_id = CASE WHEN $4 = 1 THEN $5 ELSE qbo_vendor_id END
             WHERE id = $6 RETURNING id, name, distributor, qbo_vendor_id",
        )
        .bind(i.name)
        .bind(i64::from(set_distributor))
        .bind(i.distributor.map(|d| d.as_str()))
        .bind(i64::from(qbo.is_some()))
        .bind(qbo.flatten())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(duplicate("name", "A vendor with this name"))?;
        let v = vendor(&r.ok_or_else(|| Error::not_found("The vendor"))?)?;
        if renamed {
            self.refresh_search_text(&mut tx, Renamed::Vendor(id)).await?;
        }
        tx.commit().await?;
        Ok(v)
    }

    // ---- products ----------------------------------------------------------

    pub async fn list_products(&self, vendor_id: Option<i64>, q: Option<&str>) -> Result<Vec<Product>> {
        crate::validate::search_query(q)?;
        let q = q.unwrap_or("").trim();
        let rows = sqlx::query(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE ($1 = 0 OR vendor_id = $2) AND ($3 = '' OR lower(name) LIKE $4 ESCAPE '\\' OR lower(sku) LIKE $4 ESCAPE '\\') ORDER BY lower(name), id LIMIT $5"
        ))
        .bind(i64::from(vendor_id.is_some()))
        .bind(vendor_id.unwrap_or(0))
        .bind(q)
        .bind(like_pattern(q))
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(product).collect()
    }

    pub async fn get_product(&self, id: i64) -> Result<Product> {
        let r = sqlx::query(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        product(&r.ok_or_else(|| Error::not_found("The product"))?)
    }

    pub async fn create_product(&self, input: &ProductInput) -> Result<Product> {
        let i = input.validated(false)?;
        let vendor_id = i.vendor_id.unwrap_or_default();
        if self.get_vendor(vendor_id).await.is_err() {
            return Err(Error::validation("vendor_id", "No vendor has this id."));
        }
        let nonblank = |v: Option<String>| v.filter(|s| !s.is_empty());
        let _turn = self.write_turn().await?;
        let r = sqlx::query(&format!(
            "INSERT INTO products (vendor_id, name, sku, unit_cost_cents, distributor_product_id, billing_term, commitment_term_id, qbo_item_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {PRODUCT_COLS}"
        ))
        .bind(vendor_id)
        .bind(i.name)
        .bind(i.sku)
        .bind(i.unit_cost_cents.unwrap_or_default())
        .bind(nonblank(i.distributor_product_id))
        .bind(nonblank(i.billing_term))
        .bind(nonblank(i.commitment_term_id))
        .bind(nonblank(i.qbo_item_id))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(duplicate("sku", "A product with this SKU at this vendor"))?;
        product(&r)
    }

    pub async fn update_product(&self, id: i64, input: &ProductInput) -> Result<Product> {
        let i = input.validated(true)?;
        if let Some(v) = i.vendor_id {
            if self.get_vendor(v).await.is_err() {
                return Err(Error::validation("vendor_id", "No vendor has this id."));
            }
        }
        let (dp, bt, ct, qi) = (
            blank_to_null(i.distributor_product_id),
            blank_to_null(i.billing_term),
            blank_to_null(i.commitment_term_id),
            blank_to_null(i.qbo_item_id),
        );
        let _turn = self.write_turn().await?;
        let r = sqlx::query(&format!(
            "UPDATE products SET vendor_id = COALESCE($1, vendor_id), name = COALESCE($2, name), sku = COALESCE($3, sku),
                unit_cost_cents = COALESCE($4, unit_cost_cents),
                distributor_product_id = CASE WHEN $5 = 1 THEN $6 ELSE distributor_product_id END,
                billing_term = CASE WHEN $7 = 1 THEN $8 ELSE billing_term END,
                commitment_term_id = CASE WHEN $9 = 1 THEN $10 ELSE commitment_term_id END,
                qbo_item_id = CASE WHEN $11 = 1 THEN $12 ELSE qbo_item_id END
             WHERE id = $13 RETURNING {PRODUCT_COLS}"
        ))
        .bind(i.vendor_id)
        .bind(i.name)
        .bind(i.sku)
        .bind(i.unit_cost_cents)
        .bind(i64::from(dp.is_some()))
        .bind(dp.flatten())
        .bind(i64::from(bt.is_some()))
        .bind(bt.flatten())
        .bind(i64::from(ct.is_some()))
        .bind(ct.flatten())
        .bind(i64::from(qi.is_some()))
        .bind(qi.flatten())
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(duplicate("sku", "A product with this SKU at this vendor"))?;
        product(&r.ok_or_else(|| Error::not_found("The product"))?)
    }

    // ---- contracts ---------------------------------------------------------

    pub async fn create_contract(&self, company_id: i64, name: &str) -> Result<Contract> {
        let name = crate::validate::required_text("name", name, MAX_NAME)?;
        self.company_exists(company_id).await?;
        let _turn = self.write_turn().await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO contracts (company_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(company_id)
            .bind(&name)
            .bind(clock::now())
            .fetch_one(self.pool())
            .await?;
        Ok(Contract {
            id,
            company_id,
            name,
            lines: vec![],
        })
    }

    pub async fn list_contracts(&self, company_id: Option<i64>) -> Result<Vec<ContractSummary>> {
        let rows = sqlx::query(
            "SELECT c.id, c.company_id, co.name AS company_name, c.name,
                    (SELECT COUNT(*) FROM contract_lines l WHERE l.contract_id = c.id) AS line_count,
                    (SELECT COUNT(*) FROM contract_lines l WHERE l.contract_id = c.id AND l.status = 'pending') AS pending_lines
             FROM contracts c JOIN companies co ON co.id = c.company_id
             WHERE ($1 = 0 OR c.company_id = $2) ORDER BY c.id DESC LIMIT $3",
        )
        .bind(i64::from(company_id.is_some()))
        .bind(company_id.unwrap_or(0))
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContractSummary {
                    id: r.try_get("id")?,
                    company_id: r.try_get("company_id")?,
                    company_name: r.try_get("company_name")?,
                    name: r.try_get("name")?,
                    line_count: r.try_get("line_count")?,
                    pending_lines: r.try_get("pending_lines")?,
                })
            })
            .collect()
    }

    pub async fn get_contract(&self, id: i64) -> Result<Contract> {
        let r = sqlx::query("SELECT id, company_id, name FROM contracts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The contract"))?;
        let lines = sqlx::query(&format!("SELECT {LINE_COLS} FROM contract_lines WHERE contract_id = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(Contract {
            id: r.try_get("id")?,
            company_id: r.try_get("company_id")?,
            name: r.try_get("name")?,
            lines: lines.iter().map(contract_line).collect::<Result<_>>()?,
        })
    }

    pub async fn get_contract_line(&self, id: i64) -> Result<ContractLine> {
        let r = sqlx::query(&format!("SELECT {LINE_COLS} FROM contract_lines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        contract_line(&r.ok_or_else(|| Error::not_found("The contract line"))?)
    }

    pub async fn contract_lines_of_company(&self, company_id: i64) -> Result<Vec<CompanyContractLine>> {
        let rows = sqlx::query(
            "SELECT l.id, l.contract_id, c.name AS contract_name, l.description, l.quantity, l.status FROM contract_lines l JOIN contracts c ON c.id = l.contract_id
             WHERE c.company_id = $1 ORDER BY c.id, l.id LIMIT $2",
        )
        .bind(company_id)
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(CompanyContractLine {
                    id: r.try_get("id")?,
                    contract_id: r.try_get("contract_id")?,
                    contract_name: r.try_get("contract_name")?,
                    description: r.try_get("description")?,
                    quantity: r.try_get("quantity")?,
                    status: ContractLineStatus::parse(&status).ok_or_else(Error::internal)?,
                })
            })
            .collect()
    }

    pub async fn add_contract_line(&self, contract_id: i64, input: &ContractLineInput) -> Result<ContractLine> {
        let i = input.validated()?;
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM contracts WHERE id = $1")
            .bind(contract_id)
            .fetch_optional(self.pool())
            .await?;
        if found.is_none() {
            return Err(Error::validation("contract_id", "No contract has this id."));
        }
        if let Some(p) = i.product_id {
            if self.get_product(p).await.is_err() {
                return Err(Error::validation("product_id", "No product has this id."));
            }
        }
        let _turn = self.write_turn().await?;
        let r = sqlx::query(&format!(
            "INSERT INTO contract_lines (contract_id, product_id, description, quantity, unit_price_cents, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING {LINE_COLS}"
        ))
        .bind(contract_id)
        .bind(i.product_id)
        .bind(i.description)
        .bind(i.quantity)
        .bind(i.unit_price_cents)
        .bind(clock::now())
        .fetch_one(self.pool())
        .await?;
        contract_line(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store;

    crate::both_backends!(reference_data_round_trips);
    async fn reference_data_round_trips(b: &'static str) {
        let s = store(b).await;
        let acme = s
            .create_company(&CompanyInput {
                name: Some("Acme Dental".into()),
                pax8_company_id: None,
            })
            .await
            .unwrap();
        assert_eq!(
            s.create_company(&CompanyInput {
                name: Some("acme dental".into()),
                ..Default::default()
            })
            .await
            .unwrap_err()
            .field
            .as_deref(),
            Some("name"),
            "{b}"
        );
        s.create_company(&CompanyInput {
            name: Some("Globex 50%_".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        assert_eq!(s.list_companies(Some("DENT")).await.unwrap(), vec![acme.clone()]);
        assert_eq!(s.list_companies(Some("%")).await.unwrap().len(), 1, "{b}: % is literal");
        let linked = s
            .update_company(
                acme.id,
                &CompanyInput {
                    pax8_company_id: Some("c-123".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((linked.name.as_str(), linked.pax8_company_id.as_deref()), ("Acme Dental", Some("c-123")));
        let unlinked = s
            .update_company(
                acme.id,
                &CompanyInput {
                    pax8_company_id: Some("".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(unlinked.pax8_company_id, None);
        assert_eq!(
            s.update_company(9999, &CompanyInput::default()).await.unwrap_err().code,
            crate::ErrorCode::NotFound
        );

        let t = s.create_ticket(acme.id, "Laptop for new hire").await.unwrap();
        assert_eq!(s.list_tickets(Some(acme.id), None).await.unwrap(), vec![t]);
        assert_eq!(s.create_ticket(999, "x").await.unwrap_err().field.as_deref(), Some("company_id"));
        let p = s.create_project(acme.id, "M365 migration").await.unwrap();
        assert_eq!(s.list_projects(None, Some("MIGRATION")).await.unwrap(), vec![p]);

        let pax8 = s
            .create_vendor(&VendorInput {
                name: Some("Pax8".into()),
                distributor: Some(Distributor::Pax8),
                qbo_vendor_id: None,
            })
            .await
            .unwrap();
        assert_eq!(pax8.distributor, Some(Distributor::Pax8));
        let v = s
            .update_vendor(
                pax8.id,
                &VendorInput {
                    qbo_vendor_id: Some("56".into()),
                    ..Default::default()
                },
                false,
            )
            .await
            .unwrap();
        assert_eq!((v.distributor, v.qbo_vendor_id.as_deref()), (Some(Distributor::Pax8), Some("56")));

        let input = ProductInput {
            vendor_id: Some(pax8.id),
            name: Some("Microsoft 365 Business Premium".into()),
            sku: Some("MST-365-BP".into()),
            unit_cost_cents: Some(2200),
            distributor_product_id: Some("a1b2".into()),
            billing_term: Some("Monthly".into()),
            commitment_term_id: Some("ct-1".into()),
            qbo_item_id: None,
        };
        let prod = s.create_product(&input).await.unwrap();
        assert_eq!(s.create_product(&input).await.unwrap_err().field.as_deref(), Some("sku"), "{b}");
        assert_eq!(s.list_products(Some(pax8.id), Some("premium")).await.unwrap(), vec![prod.clone()]);
        let upd = s
            .update_product(
                prod.id,
                &ProductInput {
                    unit_cost_cents: Some(2100),
                    commitment_term_id: Some("".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (upd.unit_cost_cents, upd.commitment_term_id, upd.billing_term.as_deref()),
            (2100, None, Some("Monthly"))
        );

        let c = s.create_contract(acme.id, "Managed M365").await.unwrap();
        let line = s
            .add_contract_line(
                c.id,
                &ContractLineInput {
                    product_id: Some(prod.id),
                    description: "M365 BP seats".into(),
                    quantity: 10,
                    unit_price_cents: 2600,
                },
            )
            .await
            .unwrap();
        assert_eq!(line.status, ContractLineStatus::Pending);
        let got = s.get_contract(c.id).await.unwrap();
        assert_eq!(got.lines, vec![line]);
        let list = s.list_contracts(Some(acme.id)).await.unwrap();
        assert_eq!(
            (list[0].line_count, list[0].pending_lines, list[0].company_name.as_str()),
            (1, 1, "Acme Dental")
        );
    }
}
