//! The spend report from the monthly totals the triggers keep.
//!
//! Three tables hold them: `spend_months` per (month, company, vendor), and
//! its two roll-ups per (month, vendor) and per (month, company). A report
//! reads the smallest that answers it: every company's spend by vendor
//! reads one row per month and vendor, whatever the number of companies.

use super::{months, GroupBy, SpendQuery, SpendReport, SpendRow};
use crate::store::{Param, Params};
use crate::{Result, Store};
use sqlx::Row;

impl Store {
    pub async fn spend(&self, q: &SpendQuery) -> Result<SpendReport> {
        let table = source(q);
        let mut params = Params::default();
        let mut clauses = vec![
            format!("s.month >= {}", params.add(Param::Text(q.from.clone()))),
            format!("s.month <= {}", params.add(Param::Text(q.to.clone()))),
        ];
        if let Some(c) = q.company_id {
            clauses.push(format!("s.company_id = {}", params.add(Param::Int(c))));
        }
        if let Some(v) = q.vendor_id {
            clauses.push(format!("s.vendor_id = {}", params.add(Param::Int(v))));
        }
        let (month, key, names) = match q.group_by {
            GroupBy::Month => ("s.month", "NULL", None),
            GroupBy::Company => ("NULL", "s.company_id", Some("companies")),
            GroupBy::Vendor => ("NULL", "s.vendor_id", Some("vendors")),
            GroupBy::MonthVendor => ("s.month", "s.vendor_id", Some("vendors")),
            GroupBy::MonthCompany => ("s.month", "s.company_id", Some("companies")),
        };
        let group: Vec<&str> = [month, key].into_iter().filter(|c| *c != "NULL").collect();
        let label = names
            .map(|t| format!("(SELECT n.name FROM {t} n WHERE n.id = g.k)"))
            .unwrap_or_else(|| "NULL".into());
        let sql = format!(
            "SELECT g.m, g.k, {label} AS label, g.committed, g.received, g.pos FROM (
                SELECT {month} AS m, {key} AS k, CAST(SUM(s.committed_cents) AS BIGINT) AS committed,
                       CAST(SUM(s.received_cents) AS BIGINT) AS received, CAST(SUM(s.po_count) AS BIGINT) AS pos
                FROM {table} s WHERE {} GROUP BY {}
             ) g",
            clauses.join(" AND "),
            group.join(", ")
        );
        let query = Params::bind_query(params.values(), sqlx::query(&sql));
        let mut rows: Vec<SpendRow> = query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(SpendRow {
                    month: r.try_get("m")?,
                    key: r.try_get("k")?,
                    label: r.try_get("label")?,
                    committed_cents: r.try_get("committed")?,
                    received_cents: r.try_get("received")?,
                    po_count: r.try_get("pos")?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()?;
        // Months with nothing still show, as zeros.
        if q.group_by == GroupBy::Month {
            for m in months(&q.from, &q.to) {
                if !rows.iter().any(|r| r.month.as_deref() == Some(&m)) {
                    rows.push(SpendRow {
                        month: Some(m),
                        ..Default::default()
                    });
                }
            }
        }
        // Cancelled-out rows (a PO approved and withdrawn) say nothing.
        if q.group_by != GroupBy::Month {
            rows.retain(|r| r.committed_cents != 0 || r.received_cents != 0 || r.po_count != 0);
        }
        rows.sort_by(|a, b| {
            a.month
                .cmp(&b.month)
                .then(b.committed_cents.cmp(&a.committed_cents))
                .then(a.label.cmp(&b.label))
        });
        Ok(SpendReport {
            currency: self.settings().await?.currency,
            from: q.from.clone(),
            to: q.to.clone(),
            total_cents: rows.iter().map(|r| r.committed_cents).sum(),
            received_cents: rows.iter().map(|r| r.received_cents).sum(),
            rows,
        })
    }
}

/// The smallest table that holds what `q` asks: a roll-up leaves out the
/// company or the vendor, so it serves a report that neither groups nor
/// filters by it.
fn source(q: &SpendQuery) -> &'static str {
    let by_company = matches!(q.group_by, GroupBy::Company | GroupBy::MonthCompany) || q.company_id.is_some();
    let by_vendor = matches!(q.group_by, GroupBy::Vendor | GroupBy::MonthVendor) || q.vendor_id.is_some();
    match (by_company, by_vendor) {
        (false, _) => "spend_vendor_months",
        (true, false) => "spend_company_months",
        (true, true) => "spend_months",
    }
}
