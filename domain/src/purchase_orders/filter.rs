//! The PO filter as SQL, once: the list, the CSV export and the committed
//! total select their POs with these clauses, so that the same filter
//! selects the same POs everywhere.

use super::{rules, PoFilter};
use crate::store::{like_pattern, Param, Params};
use crate::Store;

/// The clauses of a filter (on `purchase_orders p`), with their values.
pub(super) struct FilterSql {
    pub(super) params: Params,
    /// Every clause but the text search's.
    pub(super) clauses: Vec<String>,
    /// The text search: `p.search_text LIKE …`, unless `q` is a whole PO
    /// number (then `p.number = …` is among the clauses).
    pub(super) like: Option<String>,
    /// On SQLite, the trigram index's match for the text search (it finds
    /// candidates; the LIKE confirms them).
    pub(super) trigrams: Option<String>,
}

/// A creation date range, `YYYY-MM-DD` each (checked by the caller).
#[derive(Default, Clone, Copy)]
pub(super) struct Days<'a> {
    pub(super) from: Option<&'a str>,
    pub(super) to: Option<&'a str>,
}

impl FilterSql {
    /// The clauses of `f` (and of `days`), in the order of their values;
    /// with `trigrams` the trigram index's match too, where there is one.
    pub(super) fn new(store: &Store, f: &PoFilter, days: Days<'_>, trigrams: bool) -> FilterSql {
        let mut params = Params::default();
        let mut clauses = scope(f, &mut params);
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        // A whole PO number finds that PO by its index (its pieces `po-`,
        // `-20`, `202` are in every PO, which costs a trigram index dearly),
        // and finds only it: `PO-2026-100` is not `PO-2026-1000`.
        let number = q.and_then(rules::as_po_number);
        if let Some(n) = &number {
            clauses.push(format!("p.number = {}", params.add(Param::Text(n.clone()))));
        }
        if let Some(s) = f.status {
            clauses.push(format!("p.status = {}", params.add(Param::Text(s.as_str().to_string()))));
        }
        if let Some(d) = days.from {
            clauses.push(format!("p.created_at >= {}", params.add(Param::Text(d.to_string()))));
        }
        if let Some(d) = days.to {
            // The whole day: every time of it sorts before the next day.
            clauses.push(format!("p.created_at < {}", params.add(Param::Text(format!("{d}T99")))));
        }
        let text = q.filter(|_| number.is_none());
        let like = text.map(|q| format!("p.search_text LIKE {} ESCAPE '\\'", params.add(Param::Text(like_pattern(q)))));
        let trigrams = text
            .filter(|_| trigrams)
            .and_then(|q| store.trigram_match(q))
            .map(|m| format!("po_search MATCH {}", params.add(Param::Text(m))));
        FilterSql {
            params,
            clauses,
            like,
            trigrams,
        }
    }
}

/// The company, vendor, ticket and project clauses: what the committed
/// total is the total of.
fn scope(f: &PoFilter, params: &mut Params) -> Vec<String> {
    let mut clauses = Vec::new();
    for (column, v) in [
        ("p.company_id", f.company_id),
        ("p.vendor_id", f.vendor_id),
        ("p.ticket_id", f.ticket_id),
        ("p.project_id", f.project_id),
    ] {
        if let Some(v) = v {
            clauses.push(format!("{column} = {}", params.add(Param::Int(v))));
        }
    }
    clauses
}

/// The committed total's query of the scope of `f` (several of company,
/// vendor, ticket, project), with its own values.
pub(super) fn committed_sum(f: &PoFilter) -> (String, Params) {
    let mut params = Params::default();
    let clauses = scope(f, &mut params);
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(p.total_cents), 0) AS BIGINT) FROM purchase_orders p WHERE {} AND p.status IN ({})",
        clauses.join(" AND "),
        super::PoStatus::committed_sql()
    );
    (sql, params)
}

/// `WHERE a AND b`, or nothing.
pub(super) fn where_of(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}
