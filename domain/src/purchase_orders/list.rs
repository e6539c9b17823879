//! The PO list: filters, keyset pages, search and the committed total of
//! what the filters select.

use super::filter::{committed_sum, where_of, Days, FilterSql};
use super::rows::{dispatch_status_of, status_of};
use super::*;
use crate::store::json_rows_sql;
use crate::store::{Param, Params};
use crate::{Error, Result, Store};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;
/// How many of the newest POs a search on SQLite reads before it asks the
/// trigram index (see `list_pos`).
const NEWEST_FIRST: i64 = 500;

/// A list row's fields, as the list's JSON page names them.
const SUMMARY_FIELDS: [&str; 15] = [
    "id",
    "number",
    "status",
    "vendor_id",
    "vendor_name",
    "company_id",
    "company_name",
    "ticket_id",
    "project_id",
    "total_cents",
    "currency",
    "created_at",
    "created_by",
    "created_by_name",
    "procurement_status",
];

#[derive(serde::Deserialize)]
struct SummaryRow {
    id: i64,
    number: String,
    status: String,
    vendor_id: i64,
    vendor_name: String,
    company_id: i64,
    company_name: String,
    ticket_id: Option<i64>,
    project_id: Option<i64>,
    total_cents: i64,
    currency: String,
    created_at: String,
    created_by: i64,
    created_by_name: String,
    procurement_status: Option<String>,
}

impl Store {
    /// Newest first, by keyset on id; filters use their indexes.
    pub async fn list_pos(&self, f: &PoFilter) -> Result<PoPage> {
        crate::validate::search_query(f.q.as_deref())?;
        let limit = f.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::validation("limit", format!("Limit must be between 1 and {MAX_PAGE}.")));
        }
        let cursor = match f.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| Error::validation("cursor", "The cursor is not one this API gave out."))?,
            ),
            None => None,
        };
        // Clauses with their placeholders, built from the filters given, so
        // that each query uses the index of its filter.
        let FilterSql {
            mut params,
            clauses: base,
            like,
            trigrams: fts,
        } = FilterSql::new(self, f, Days::default(), true);
        // The cursor's clause names the column the page is walked by.
        let cursor_at = cursor.map(|c| params.add(Param::Int(c)));
        let with_cursor = |key: &str, mut c: Vec<String>| {
            c.extend(cursor_at.as_ref().map(|n| format!("{key} < {n}")));
            c
        };
        // `q` is a substring of the search text. On SQLite, three characters
        // or more: the newest 500 POs are read first, and only when they do not
        // fill the page does the trigram index (po_search) find the rest,
        // newest first (a common word is found at once; a rare one would
        // read every PO). PostgreSQL's trigram index serves the LIKE itself.
        let limit_at = params.next_placeholder();
        let page_sql = |from: &str, key: &str, clauses: Vec<String>| {
            let inner = format!(
                "SELECT p.id, p.number, p.status, p.vendor_id, v.name AS vendor_name, p.company_id, c.name AS company_name, p.ticket_id, p.project_id, p.total_cents, p.currency,
                        p.created_at, p.created_by, u.name AS created_by_name, p.procurement_status
                 FROM {from} JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by
                 {} ORDER BY {key} DESC LIMIT {limit_at}",
                where_of(&clauses)
            );
            // The page as one JSON array in one row.
            json_rows_sql(self.backend(), &SUMMARY_FIELDS, &format!("({inner}) x"), "x.id DESC")
        };
        let attempts = match &fts {
            None => vec![page_sql(
                "purchase_orders p",
                "p.id",
                with_cursor("p.id", base.iter().cloned().chain(like.clone()).collect()),
            )],
            Some(m) => vec![
                page_sql(
                    "purchase_orders p",
                    "p.id",
                    with_cursor(
                        "p.id",
                        base.iter()
                            .cloned()
                            .chain([format!(
                                "p.id >= (SELECT MIN(w.id) FROM (SELECT p.id FROM purchase_orders p {} ORDER BY p.id DESC LIMIT {NEWEST_FIRST}) w)",
                                where_of(&with_cursor("p.id", base.clone()))
                            )])
                            .chain(like.clone())
                            .collect(),
                    ),
                ),
                page_sql(
                    "po_search CROSS JOIN purchase_orders p ON p.id = po_search.rowid",
                    "po_search.rowid",
                    with_cursor(
                        "po_search.rowid",
                        [m.clone()].into_iter().chain(base.iter().cloned()).chain(like.clone()).collect(),
                    ),
                ),
            ],
        };
        let mut json = String::new();
        for (i, sql) in attempts.iter().enumerate() {
            // (On SQLite with a trigram query: the newest POs, then the index.)
            let query = Params::bind_to(params.values(), sqlx::query_scalar::<_, String>(sql));
            json = query.bind(limit + 1).fetch_one(self.pool()).await?;
            // The newest POs filled the page: no need to ask the index.
            if i == 0 && attempts.len() > 1 && serde_json::from_str::<Vec<serde_json::Value>>(&json).map_or(0, |v| v.len()) as i64 > limit {
                break;
            }
        }
        let rows: Vec<SummaryRow> = crate::store::from_json(&json, "a page of POs")?;
        let mut items = rows
            .into_iter()
            .map(|r| {
                Ok(PurchaseOrderSummary {
                    id: r.id,
                    number: r.number,
                    status: status_of(&r.status)?,
                    vendor: Named {
                        id: r.vendor_id,
                        name: r.vendor_name,
                    },
                    company: Named {
                        id: r.company_id,
                        name: r.company_name,
                    },
                    ticket_id: r.ticket_id,
                    project_id: r.project_id,
                    total_cents: r.total_cents,
                    currency: r.currency,
                    created_at: r.created_at,
                    created_by: Person {
                        id: Some(r.created_by),
                        name: r.created_by_name,
                    },
                    procurement_status: dispatch_status_of(r.procurement_status)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| i.id.to_string())
        } else {
            None
        };
        // Committed cost of what the company/ticket/project/vendor filters
        // select: one filter reads the total kept for it (migration 0008),
        // several are summed from the index.
        let scopes = [
            ("company", f.company_id),
            ("vendor", f.vendor_id),
            ("ticket", f.ticket_id),
            ("project", f.project_id),
        ];
        let given: Vec<(&str, i64)> = scopes.iter().filter_map(|(s, v)| v.map(|v| (*s, v))).collect();
        let committed_cents = match given.as_slice() {
            [] => 0,
            [(scope, id)] => sqlx::query_scalar::<_, i64>("SELECT cents FROM committed_totals WHERE scope = $1 AND scope_id = $2")
                .bind(*scope)
                .bind(*id)
                .fetch_optional(self.pool())
                .await?
                .unwrap_or(0),
            _ => {
                let (sql, params) = committed_sum(f);
                Params::bind_to(params.values(), sqlx::query_scalar::<_, i64>(&sql))
                    .fetch_one(self.pool())
                    .await?
            }
        };
        Ok(PoPage {
            items,
            next_cursor,
            committed_cents,
        })
    }
}
