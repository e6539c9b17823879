//! Reference data in the store.

use super::rows::{CompanyRow, ProjectRow, TicketRow, COMPANY_COLS, PROJECT_COLS, TICKET_COLS};
use super::Renamed;
use super::*;
use crate::store::{is_unique_violation, like_pattern};
use crate::{clock, Error, Store};

pub(super) const LIST_LIMIT: i64 = 200;

/// `""` (a blank optional field in an update) becomes NULL.
pub(super) fn blank_to_null(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.is_empty() { None } else { Some(s) })
}

pub(super) fn duplicate(field: &'static str, what: &'static str) -> impl Fn(sqlx::Error) -> Error {
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
        let rows = sqlx::query_as::<_, CompanyRow>(&format!(
            "SELECT {COMPANY_COLS} FROM companies WHERE ($1 = '' OR lower(name) LIKE $2 ESCAPE '\\') ORDER BY lower(name), id LIMIT $3"
        ))
        .bind(q.unwrap_or("").trim())
        .bind(like_pattern(q.unwrap_or("")))
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(CompanyRow::into_model).collect())
    }

    pub async fn get_company(&self, id: i64) -> Result<Company> {
        let r = sqlx::query_as::<_, CompanyRow>(&format!("SELECT {COMPANY_COLS} FROM companies WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(r.ok_or_else(|| Error::not_found("The company"))?.into_model())
    }

    pub async fn create_company(&self, input: &CompanyInput) -> Result<Company> {
        let i = input.validated(false)?;
        let _turn = self.write_turn().await?;
        let r = sqlx::query_as::<_, CompanyRow>(&format!(
            "INSERT INTO companies (name, pax8_company_id, created_at) VALUES ($1, $2, $3) RETURNING {COMPANY_COLS}"
        ))
        .bind(i.name)
        .bind(i.pax8_company_id.filter(|s| !s.is_empty()))
        .bind(clock::now())
        .fetch_one(self.pool())
        .await
        .map_err(duplicate("name", "A company with this name"))?;
        Ok(r.into_model())
    }

    pub async fn update_company(&self, id: i64, input: &CompanyInput) -> Result<Company> {
        let i = input.validated(true)?;
        let pax8 = blank_to_null(i.pax8_company_id);
        let renamed = i.name.is_some();
        let mut tx = self.begin_write().await?;
        let r = sqlx::query_as::<_, CompanyRow>(&format!(
            "UPDATE companies SET name = COALESCE($1, name), pax8_company_id = CASE WHEN $2 = 1 THEN $3 ELSE pax8_company_id END WHERE id = $4 RETURNING {COMPANY_COLS}"
        ))
        .bind(i.name)
        .bind(i64::from(pax8.is_some()))
        .bind(pax8.flatten())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(duplicate("name", "A company with this name"))?;
        let c = r.ok_or_else(|| Error::not_found("The company"))?.into_model();
        if renamed {
            self.raise_within(&mut tx, &Renamed::Company(id)).await?;
        }
        tx.commit().await?;
        Ok(c)
    }

    // ---- tickets and projects ---------------------------------------------

    pub async fn list_tickets(&self, company_id: Option<i64>, q: Option<&str>) -> Result<Vec<Ticket>> {
        let rows: Vec<TicketRow> = self.company_items("tickets", TICKET_COLS, "title", company_id, q).await?;
        Ok(rows.into_iter().map(TicketRow::into_model).collect())
    }

    pub async fn get_ticket(&self, id: i64) -> Result<Ticket> {
        let r = sqlx::query_as::<_, TicketRow>(&format!("SELECT {TICKET_COLS} FROM tickets WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The ticket"))?;
        Ok(r.into_model())
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
        let rows: Vec<ProjectRow> = self.company_items("projects", PROJECT_COLS, "name", company_id, q).await?;
        Ok(rows.into_iter().map(ProjectRow::into_model).collect())
    }

    /// Rows of a company's `table` (tickets or projects), newest first: of
    /// one company or all, whose `named` column has `q`.
    async fn company_items<R>(&self, table: &str, cols: &str, named: &str, company_id: Option<i64>, q: Option<&str>) -> Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        crate::validate::search_query(q)?;
        Ok(sqlx::query_as::<_, R>(&format!(
            "SELECT {cols} FROM {table} WHERE ($1 = 0 OR company_id = $2) AND ($3 = '' OR lower({named}) LIKE $4 ESCAPE '\\') ORDER BY id DESC LIMIT $5"
        ))
        .bind(i64::from(company_id.is_some()))
        .bind(company_id.unwrap_or(0))
        .bind(q.unwrap_or("").trim())
        .bind(like_pattern(q.unwrap_or("")))
        .bind(LIST_LIMIT)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn get_project(&self, id: i64) -> Result<Project> {
        let r = sqlx::query_as::<_, ProjectRow>(&format!("SELECT {PROJECT_COLS} FROM projects WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The project"))?;
        Ok(r.into_model())
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

    pub(super) async fn company_exists(&self, id: i64) -> Result<()> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        found.map(|_| ()).ok_or_else(|| Error::validation("company_id", "No company has this id."))
    }
}
