//! What a PO is found by in the list's `q`: its number, vendor, company,
//! ticket, project and line descriptions, lower-cased in one text (indexed
//! by trigrams, see migration 0007). Renaming a vendor or a company
//! rewrites the text of its POs, so that they are found by the new name.

use crate::catalog::Renamed;
use crate::store::follow::{Follows, Step};
use crate::store::json_rows_sql;
use crate::store::Tx;
use crate::{Result, Store};
use sqlx::Row;

/// The search text of a PO from its parts, in the order above.
pub(crate) fn search_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[derive(serde::Deserialize)]
struct Description {
    description: String,
}

/// Rewrites the search text of every PO of whoever was renamed, inside
/// the rename's transaction; wired to every store by [`crate::wiring`].
pub struct SearchText;

impl Follows<Renamed> for SearchText {
    fn within<'a>(&'a self, store: &'a Store, tx: &'a mut Tx, renamed: &'a Renamed) -> Step<'a> {
        Box::pin(async move {
            rewrite(store, tx, renamed).await?;
            Ok(())
        })
    }
}

/// Returns how many POs it rewrote.
async fn rewrite(store: &Store, tx: &mut Tx, renamed: &Renamed) -> Result<u64> {
    let (column, id) = match *renamed {
        Renamed::Company(id) => ("company_id", id),
        Renamed::Vendor(id) => ("vendor_id", id),
    };
    let lines = json_rows_sql(store.backend(), &["description"], "po_lines x WHERE x.po_id = p.id", "x.line_no");
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
        let lines: Vec<Description> = crate::store::from_json(&r.try_get::<String, _>("lines_json")?, "a PO's lines")?;
        let (ticket, project): (Option<String>, Option<String>) = (r.try_get("ticket")?, r.try_get("project")?);
        let text = search_text(
            [r.try_get::<String, _>("number")?, r.try_get("vendor")?, r.try_get("company")?]
                .iter()
                .map(String::as_str)
                .chain(ticket.as_deref())
                .chain(project.as_deref())
                .chain(lines.iter().map(|l| l.description.as_str())),
        );
        super::writes::set_search_text(tx, r.try_get::<i64, _>("id")?, &text).await?;
    }
    Ok(rows.len() as u64)
}
