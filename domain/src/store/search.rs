//! What a PO is found by in the list's `q`: its number, vendor, company,
//! ticket, project and line descriptions, lower-cased in one text (indexed
//! by trigrams, see migration 0007). Renaming a vendor or a company
//! rewrites the text of its POs, so that they are found by the new name.

use crate::store::json_rows_sql;
use crate::store::Tx;
use crate::{Result, Store};
use sqlx::Row;

/// The search text of a PO from its parts, in the order above.
pub(crate) fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Whose name changed.
pub(crate) enum Renamed {
    Company(i64),
    Vendor(i64),
}

#[derive(serde::Deserialize)]
struct Description {
    description: String,
}

impl Store {
    /// Rewrites the search text of every PO of `renamed`, inside the
    /// rename's transaction; returns how many POs it rewrote.
    pub(crate) async fn refresh_search_text(&self, tx: &mut Tx, renamed: Renamed) -> Result<u64> {
        let (column, id) = match renamed {
            Renamed::Company(id) => ("company_id", id),
            Renamed::Vendor(id) => ("vendor_id", id),
        };
        let lines = json_rows_sql(self.backend(), &["description"], "po_lines x WHERE x.po_id = p.id", "x.line_no");
        let rows = sqlx::query(&format!(
            "SELECT p.id, p.number, v.name AS vendor, c.name AS company, t.title AS ticket, pr.name AS project, ({lines}) AS lines_json
             FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id
             LEFT JOIN tickets t ON t.id = p.ticket_id LEFT JOIN projects pr ON pr.id = p.project_id
             WHERE p.{column} = $1"
        ))
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        for r in &rows {
            let lines: Vec<Description> = serde_json::from_str(&r.try_get::<String, _>("lines_json")?).map_err(|e| {
                tracing::error!(error = %e, "a PO's lines did not read back from their JSON");
                crate::Error::internal()
            })?;
            let (ticket, project): (Option<String>, Option<String>) = (r.try_get("ticket")?, r.try_get("project")?);
            let text = search_text(
                [r.try_get::<String, _>("number")?, r.try_get("vendor")?, r.try_get("company")?]
                    .iter()
                    .map(String::as_str)
                    .chain(ticket.as_deref())
                    .chain(project.as_deref())
                    .chain(lines.iter().map(|l| l.description.as_str())),
            );
            sqlx::query("UPDATE purchase_orders SET search_text = $1 WHERE id = $2 AND search_text <> $1")
                .bind(text)
                .bind(r.try_get::<i64, _>("id")?)
                .execute(&mut **tx)
                .await?;
        }
        Ok(rows.len() as u64)
    }
}
