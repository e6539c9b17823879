//! The PO list as CSV, for the accountant: one row per PO (or per line),
//! RFC 4180 quoting, money as decimal amounts beside a currency column, and
//! cells a spreadsheet would run as a formula neutralised. Read from the
//! database a batch at a time (keyset on id), so that memory stays flat
//! however many POs the filters select.

use super::PoFilter;
use serde::{Deserialize, Serialize};

/// What to export: the list's filters, a creation date range, and lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportQuery {
    pub filter: PoFilter,
    /// Raised on or after this day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Raised on or before this day (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// One row per line instead of one per PO.
    pub lines: bool,
}

pub const PO_COLUMNS: [&str; 13] = [
    "number",
    "status",
    "created_at",
    "approved_at",
    "company",
    "vendor",
    "ticket_id",
    "project_id",
    "raised_by",
    "currency",
    "total",
    "procurement_status",
    "notes",
];

pub const LINE_COLUMNS: [&str; 14] = [
    "number",
    "status",
    "created_at",
    "company",
    "vendor",
    "currency",
    "line_no",
    "description",
    "product_id",
    "quantity",
    "received_quantity",
    "unit_cost",
    "line_total",
    "billing_term",
];

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab,
/// carriage return first) gets a `'` in front (OWASP, "CSV Injection").
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// One record, RFC 4180: fields with a comma, a quote or a line break are
/// quoted, quotes doubled; CRLF at the end.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = String::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let c = neutralise(c.as_ref());
        if c.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
    out
}

/// Cents as a decimal amount (`123456` → `1234.56`), no separators.
pub fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

/// A day as the `from`/`to` filters take it.
pub fn check_day(field: &str, day: Option<&str>) -> crate::Result<Option<String>> {
    match day.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => {
            let b = d.as_bytes();
            let ok = d.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && d.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
                && (1..=12).contains(&d[5..7].parse::<u32>().unwrap_or(0))
                && (1..=31).contains(&d[8..10].parse::<u32>().unwrap_or(0));
            if ok {
                Ok(Some(d.to_string()))
            } else {
                Err(crate::Error::validation(field, "Enter a day as YYYY-MM-DD."))
            }
        }
    }
}

#[cfg(feature = "server")]
mod store {
    use super::*;
    use crate::purchase_orders::filter::{where_of, Days, FilterSql};
    use crate::store::{json_rows_sql, Param, Params};
    use crate::{Result, Store};

    const PO_FIELDS: [&str; 14] = [
        "id",
        "number",
        "status",
        "created_at",
        "approved_at",
        "company",
        "vendor",
        "ticket_id",
        "project_id",
        "raised_by",
        "currency",
        "total_cents",
        "procurement_status",
        "notes",
    ];

    #[derive(Deserialize)]
    struct PoRow {
        id: i64,
        number: String,
        status: String,
        created_at: String,
        approved_at: Option<String>,
        company: String,
        vendor: String,
        ticket_id: Option<i64>,
        project_id: Option<i64>,
        raised_by: String,
        currency: String,
        total_cents: i64,
        procurement_status: Option<String>,
        notes: String,
    }

    const LINE_FIELDS: [&str; 10] = [
        "po_id",
        "line_no",
        "description",
        "product_id",
        "quantity",
        "received_quantity",
        "unit_cost_cents",
        "billing_term",
        "id",
        "currency",
    ];

    #[derive(Deserialize)]
    struct LineRow {
        po_id: i64,
        line_no: i64,
        description: String,
        product_id: Option<i64>,
        quantity: i64,
        received_quantity: i64,
        unit_cost_cents: i64,
        billing_term: Option<String>,
    }

    fn opt<T: ToString>(v: &Option<T>) -> String {
        v.as_ref().map(|x| x.to_string()).unwrap_or_default()
    }

    impl Store {
        /// The next batch of CSV records, newest first, after the PO
        /// `before` (exclusive); `None` as the cursor when it was the last.
        pub async fn export_batch(&self, q: &ExportQuery, before: Option<i64>, batch: i64) -> Result<(String, Option<i64>)> {
            let f = &q.filter;
            crate::validate::search_query(f.q.as_deref())?;
            // The list's filter, the same clauses (see `filter.rs`); the
            // trigram index is not asked: a batch reads on by id anyway.
            let days = Days {
                from: q.from.as_deref(),
                to: q.to.as_deref(),
            };
            let filter = FilterSql::new(self, f, days, false);
            let mut params = filter.params;
            let mut clauses: Vec<String> = filter.clauses.into_iter().chain(filter.like).collect();
            if let Some(b) = before {
                clauses.push(format!("p.id < {}", params.add(Param::Int(b))));
            }
            let limit = params.add(Param::Int(batch));
            let where_ = where_of(&clauses);
            let inner = format!(
                "SELECT p.id, p.number, p.status, p.created_at, p.approved_at, c.name AS company, v.name AS vendor, p.ticket_id, p.project_id,
                        u.name AS raised_by, p.currency, p.total_cents, p.procurement_status, p.notes
                 FROM purchase_orders p JOIN companies c ON c.id = p.company_id JOIN vendors v ON v.id = p.vendor_id JOIN users u ON u.id = p.created_by
                 {where_} ORDER BY p.id DESC LIMIT {limit}"
            );
            let sql = json_rows_sql(self.backend(), &PO_FIELDS, &format!("({inner}) x"), "x.id DESC");
            let json = Params::bind_to(params.values(), sqlx::query_scalar::<_, String>(&sql))
                .fetch_one(self.pool())
                .await?;
            let pos: Vec<PoRow> = crate::store::from_json(&json, "an export batch")?;
            let cursor = (pos.len() as i64 == batch).then(|| pos.last().map(|p| p.id)).flatten();
            let mut out = String::new();
            if !q.lines {
                for p in &pos {
                    out.push_str(&record(&[
                        p.number.clone(),
                        p.status.clone(),
                        p.created_at.clone(),
                        opt(&p.approved_at),
                        p.company.clone(),
                        p.vendor.clone(),
                        opt(&p.ticket_id),
                        opt(&p.project_id),
                        p.raised_by.clone(),
                        p.currency.clone(),
                        amount(p.total_cents),
                        opt(&p.procurement_status),
                        p.notes.clone(),
                    ]));
                }
                return Ok((out, cursor));
            }
            if pos.is_empty() {
                return Ok((out, cursor));
            }
            // The lines of this batch's POs (ids read from the database).
            let ids = pos.iter().map(|p| p.id.to_string()).collect::<Vec<_>>().join(", ");
            let inner = format!(
                "SELECT l.po_id, l.line_no, l.description, l.product_id, l.quantity, l.received_quantity, l.unit_cost_cents, l.billing_term, l.id, p.currency
                 FROM po_lines l JOIN purchase_orders p ON p.id = l.po_id WHERE l.po_id IN ({ids})"
            );
            let sql = json_rows_sql(self.backend(), &LINE_FIELDS, &format!("({inner}) x"), "x.po_id DESC, x.line_no");
            let json: String = sqlx::query_scalar(&sql).fetch_one(self.pool()).await?;
            let lines: Vec<LineRow> = crate::store::from_json(&json, "an export batch's lines")?;
            let by_id: std::collections::HashMap<i64, &PoRow> = pos.iter().map(|p| (p.id, p)).collect();
            for l in &lines {
                let Some(p) = by_id.get(&l.po_id) else { continue };
                out.push_str(&record(&[
                    p.number.clone(),
                    p.status.clone(),
                    p.created_at.clone(),
                    p.company.clone(),
                    p.vendor.clone(),
                    p.currency.clone(),
                    l.line_no.to_string(),
                    l.description.clone(),
                    opt(&l.product_id),
                    l.quantity.to_string(),
                    l.received_quantity.to_string(),
                    amount(l.unit_cost_cents),
                    amount(l.unit_cost_cents * l.quantity),
                    opt(&l.billing_term),
                ]));
            }
            Ok((out, cursor))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_quote_and_neutralise() {
        assert_eq!(
            record(&["a", "b,c", "say \"hi\"", "two\nlines"]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(record(&["=HYPERLINK(\"x\")"]), "\"'=HYPERLINK(\"\"x\"\")\"\r\n");
        assert_eq!(record(&["+1", "-2", "@SUM(A1)", "\tx", "ok"]), "'+1,'-2,'@SUM(A1),'\tx,ok\r\n");
        assert_eq!(amount(123456), "1234.56");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(-250), "-2.50");
        assert_eq!(check_day("from", Some("2026-02-30")).unwrap().as_deref(), Some("2026-02-30"));
        assert_eq!(check_day("from", Some("2026-13-01")).unwrap_err().field.as_deref(), Some("from"));
        assert_eq!(check_day("to", Some("yesterday")).unwrap_err().field.as_deref(), Some("to"));
        assert_eq!(check_day("to", Some("")).unwrap(), None);
    }
}
