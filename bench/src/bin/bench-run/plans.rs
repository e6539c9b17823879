//! The plans of the queries behind get and list, explained by each database.

use super::*;

/// The plans of the queries behind get and list (as `domain` writes them).
pub(crate) async fn plans(url: &str, pos: i64) -> anyhow::Result<String> {
    let store = domain::Store::open(url, 1).await?;
    let sqlite = store.backend() == domain::store::Backend::Sqlite;
    let id = pos / 2;
    let number: String = sqlx::query_scalar(&format!("SELECT number FROM purchase_orders WHERE id = {id}"))
        .fetch_one(store.pool())
        .await?;
    let like = domain::store::like_pattern(&number);
    let search = match domain::store::fts_trigrams(&number) {
        Some(t) if sqlite => format!(
            "SELECT p.id, p.number, v.name, c.name, u.name FROM po_search CROSS JOIN purchase_orders p ON p.id = po_search.rowid JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE po_search MATCH '{}' AND p.search_text LIKE '{like}' ESCAPE '\\' ORDER BY po_search.rowid DESC LIMIT 51",
            t.replace('\'', "''")
        ),
        _ => format!("SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.search_text LIKE '{like}' ESCAPE '\\' ORDER BY p.id DESC LIMIT 51"),
    };
    let queries = [
        ("get: the PO", format!("SELECT p.id, v.name, c.name, t.title, pr.name, cu.name, au.name, s.sha256 FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id LEFT JOIN tickets t ON t.id = p.ticket_id LEFT JOIN projects pr ON pr.id = p.project_id JOIN users cu ON cu.id = p.created_by LEFT JOIN users au ON au.id = p.approved_by LEFT JOIN po_signatures s ON s.id = p.signature_id WHERE p.id = {id}")),
        ("get: its lines", format!("SELECT id, line_no, description FROM po_lines WHERE po_id = {id} ORDER BY line_no")),
        ("list: first page", "SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by ORDER BY p.id DESC LIMIT 51".to_string()),
        ("list: a later page (keyset)", format!("SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.id < {id} ORDER BY p.id DESC LIMIT 51")),
        ("list: one company", "SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.company_id = 7 ORDER BY p.id DESC LIMIT 51".to_string()),
        ("list: search for a PO number", search),
        ("list: one company's committed cost (kept total)", "SELECT cents FROM committed_totals WHERE scope = 'company' AND scope_id = 7".to_string()),
    ];
    let mut out = String::new();
    for (label, sql) in queries {
        let explain = if sqlite {
            format!("EXPLAIN QUERY PLAN {sql}")
        } else {
            format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}")
        };
        let rows = sqlx::raw_sql(&explain).fetch_all(store.pool()).await?;
        let _ = writeln!(out, "{label}:\n```");
        for r in rows {
            use sqlx::Row;
            let line: String = if sqlite { r.try_get(3)? } else { r.try_get(0)? };
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```");
    }
    store.close().await;
    Ok(out)
}
