//! Reports: spend over time. Committed spend (approved and later, not
//! cancelled) counts in the month of approval; received value in the month
//! of receipt. The store keeps both per (month, company, vendor) with
//! triggers (migration 0015), rolled up per (month, vendor) and per (month,
//! company) (0016), so a year's report reads a few rows per month.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
mod spend;
#[cfg(all(test, feature = "server"))]
mod spend_tests;

/// How the rows of a spend report are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Month,
    Company,
    Vendor,
    MonthVendor,
    MonthCompany,
}

crate::named_enum!(GroupBy {
    Month = "month", "Month";
    Company = "company", "Company";
    Vendor = "vendor", "Vendor";
    MonthVendor = "month_vendor", "Month and vendor";
    MonthCompany = "month_company", "Month and company";
});

impl GroupBy {
    pub fn by_month(self) -> bool {
        matches!(self, GroupBy::Month | GroupBy::MonthVendor | GroupBy::MonthCompany)
    }
}

/// A spend report's question, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendQuery {
    /// First month, `YYYY-MM`.
    pub from: String,
    /// Last month, `YYYY-MM` (inclusive).
    pub to: String,
    pub group_by: GroupBy,
    pub company_id: Option<i64>,
    pub vendor_id: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendRow {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub month: Option<String>,
    /// The company's or vendor's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub label: Option<String>,
    pub committed_cents: i64,
    pub received_cents: i64,
    pub po_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendReport {
    pub currency: String,
    pub from: String,
    pub to: String,
    /// Committed in the range.
    pub total_cents: i64,
    pub received_cents: i64,
    pub rows: Vec<SpendRow>,
}

/// `YYYY-MM` (or a day, `YYYY-MM-DD`, whose month counts).
pub fn parse_month(field: &str, s: &str) -> Result<String> {
    let s = s.trim();
    let m = s.get(..7).unwrap_or(s);
    let ok = (s.len() == 7 || (s.len() == 10 && s.as_bytes()[7] == b'-'))
        && m.as_bytes()[4] == b'-'
        && m[..4].chars().all(|c| c.is_ascii_digit())
        && m[5..7].parse::<u32>().is_ok_and(|n| (1..=12).contains(&n));
    if ok {
        Ok(m.to_string())
    } else {
        Err(Error::validation(field, "Enter a month as YYYY-MM."))
    }
}

/// The month `n` months after `m` (`n` may be negative).
pub fn add_months(m: &str, n: i32) -> String {
    let y: i32 = m[..4].parse().unwrap_or(2000);
    let mo: i32 = m[5..7].parse().unwrap_or(1);
    let k = y * 12 + (mo - 1) + n;
    format!("{:04}-{:02}", k.div_euclid(12), k.rem_euclid(12) + 1)
}

/// Every month from `from` to `to`, inclusive.
pub fn months(from: &str, to: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = from.to_string();
    while m.as_str() <= to && out.len() < 1200 {
        out.push(m.clone());
        m = add_months(&m, 1);
    }
    out
}

/// Checks a report's question: months in order, at most ten years, a
/// known grouping. `this_month` is the default end; the start defaults to
/// twelve months back.
pub fn spend_query(
    from: Option<&str>,
    to: Option<&str>,
    group_by: &str,
    company_id: Option<i64>,
    vendor_id: Option<i64>,
    this_month: &str,
) -> Result<SpendQuery> {
    let group_by =
        GroupBy::parse(group_by.trim()).ok_or_else(|| Error::validation("group_by", "Group by month, company, vendor, month_vendor or month_company."))?;
    let to = match to.filter(|t| !t.trim().is_empty()) {
        Some(t) => parse_month("to", t)?,
        None => this_month.to_string(),
    };
    let from = match from.filter(|f| !f.trim().is_empty()) {
        Some(f) => parse_month("from", f)?,
        None => add_months(&to, -11),
    };
    if from > to {
        return Err(Error::validation("from", "The first month comes after the last."));
    }
    if months(&from, &to).len() > 120 {
        return Err(Error::validation("from", "A report covers at most ten years."));
    }
    Ok(SpendQuery {
        from,
        to,
        group_by,
        company_id,
        vendor_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_ranges() {
        assert_eq!(add_months("2026-01", -1), "2025-12");
        assert_eq!(add_months("2026-11", 2), "2027-01");
        assert_eq!(months("2025-11", "2026-02"), ["2025-11", "2025-12", "2026-01", "2026-02"]);
        let q = spend_query(None, None, "month", None, None, "2026-12").unwrap();
        assert_eq!((q.from.as_str(), q.to.as_str()), ("2026-01", "2026-12"));
        assert_eq!(
            spend_query(Some("2026-13"), None, "month", None, None, "2026-12").unwrap_err().field.as_deref(),
            Some("from")
        );
        assert_eq!(
            spend_query(Some("2026-05"), Some("2026-04"), "month", None, None, "2026-12")
                .unwrap_err()
                .field
                .as_deref(),
            Some("from")
        );
        assert_eq!(
            spend_query(None, None, "week", None, None, "2026-12").unwrap_err().field.as_deref(),
            Some("group_by")
        );
        assert_eq!(spend_query(Some("2026-03-15"), None, "vendor", None, None, "2026-12").unwrap().from, "2026-03");
    }
}
