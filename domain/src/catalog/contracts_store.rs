//! Contracts and their lines in the store.

use super::rows::{CompanyContractLineRow, ContractLineRow, ContractRow, ContractSummaryRow, LINE_COLS};
use super::store::*;
use super::*;
use crate::{clock, Error, Store};

impl Store {
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
        let rows = sqlx::query_as::<_, ContractSummaryRow>(
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
        Ok(rows.into_iter().map(ContractSummaryRow::into_model).collect())
    }

    pub async fn get_contract(&self, id: i64) -> Result<Contract> {
        let r = sqlx::query_as::<_, ContractRow>("SELECT id, company_id, name FROM contracts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The contract"))?;
        let lines = sqlx::query_as::<_, ContractLineRow>(&format!("SELECT {LINE_COLS} FROM contract_lines WHERE contract_id = $1 ORDER BY id"))
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        Ok(r.into_model(lines.into_iter().map(ContractLineRow::into_model).collect::<Result<_>>()?))
    }

    pub async fn get_contract_line(&self, id: i64) -> Result<ContractLine> {
        let r = sqlx::query_as::<_, ContractLineRow>(&format!("SELECT {LINE_COLS} FROM contract_lines WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        r.ok_or_else(|| Error::not_found("The contract line"))?.into_model()
    }

    pub async fn contract_lines_of_company(&self, company_id: i64) -> Result<Vec<CompanyContractLine>> {
        let rows = sqlx::query_as::<_, CompanyContractLineRow>(
            "SELECT l.id, l.contract_id, c.name AS contract_name, l.description, l.quantity, l.status FROM contract_lines l JOIN contracts c ON c.id = l.contract_id
             WHERE c.company_id = $1 ORDER BY c.id, l.id LIMIT $2",
        )
        .bind(company_id)
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(CompanyContractLineRow::into_model).collect()
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
        let r = sqlx::query_as::<_, ContractLineRow>(&format!(
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
        r.into_model()
    }
}

/// What a confirmed change of a subscription does to the contract line it
/// feeds: the customer is billed for the seats it has now, or the line ends.
pub enum Follow<'a> {
    Seats(i64),
    Cancelled { on: &'a str },
}

/// Inside the transaction that records a subscription's confirmed change:
/// its contract line follows (the one writer of `contract_lines`).
/// Returns the line's quantity before.
pub(crate) async fn follow_subscription(tx: &mut crate::store::Tx, contract_line_id: i64, follow: Follow<'_>) -> Result<Option<i64>> {
    let before: Option<i64> = sqlx::query_scalar("SELECT quantity FROM contract_lines WHERE id = $1")
        .bind(contract_line_id)
        .fetch_optional(&mut **tx)
        .await?;
    match follow {
        Follow::Seats(q) => {
            sqlx::query("UPDATE contract_lines SET quantity = $1 WHERE id = $2")
                .bind(q)
                .bind(contract_line_id)
                .execute(&mut **tx)
                .await?
        }
        Follow::Cancelled { on } => {
            sqlx::query("UPDATE contract_lines SET status = $1, cancelled_at = $2 WHERE id = $3")
                .bind(ContractLineStatus::Cancelled.as_str())
                .bind(on)
                .bind(contract_line_id)
                .execute(&mut **tx)
                .await?
        }
    };
    Ok(before)
}
