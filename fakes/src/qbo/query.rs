//! The fake's query endpoint: `GET /v3/company/{realm}/query?query=...`.
//!
//! Follows Intuit's query language as far as NEXOS uses it:
//! `select * from <Entity> [where DocNumber = '<n>'] [startposition N] [maxresults N]`
//! (Intuit API reference, "Data queries": `STARTPOSITION` is 1-based and
//! `MAXRESULTS` is at most 1,000). A larger `MAXRESULTS` is cut to 1,000
//! without a word, and a query without `MAXRESULTS` gets 100 rows: the
//! least convenient readings, so that a client that does not page misses rows.

use super::{api_auth, before, invalid, lock, now, QboRoute, Shared};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Intuit: "the maximum number of entities that can be returned in a response is 1000".
pub(super) const MAX_RESULTS: usize = 1000;
/// Rows returned when a query names no `MAXRESULTS`.
const DEFAULT_RESULTS: usize = 100;

/// Strips a case-insensitive keyword that is not the start of a longer word, and the blanks after it.
fn keyword<'a>(s: &'a str, kw: &str) -> Option<&'a str> {
    let rest = s.get(kw.len()..)?;
    (s[..kw.len()].eq_ignore_ascii_case(kw) && !rest.starts_with(|c: char| c.is_ascii_alphanumeric())).then(|| rest.trim_start())
}

/// A single-quoted string (`\'` escapes a quote) → (its value, what follows).
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.strip_prefix('\'')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '\'' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// `<keyword> N` → (N, what follows).
fn number<'a>(s: &'a str, kw: &str) -> Option<Option<(usize, &'a str)>> {
    let Some(r) = keyword(s, kw) else { return Some(None) };
    let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
    Some(Some((r[..end].parse().ok()?, r[end..].trim_start())))
}

#[derive(Debug, PartialEq)]
pub(super) struct Parsed {
    pub entity: &'static str,
    pub doc: Option<String>,
    pub start: usize,
    pub max: usize,
}

/// Parses a query NEXOS may send; `None` for anything else.
pub(super) fn parse_query(text: &str) -> Option<Parsed> {
    let rest = keyword(text.trim(), "select")?.strip_prefix('*')?.trim_start();
    let rest = keyword(rest, "from")?;
    let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    let entity = ["PurchaseOrder", "Vendor", "Account", "Item", "TaxCode"]
        .into_iter()
        .find(|e| e.eq_ignore_ascii_case(&rest[..end]))?;
    let mut rest = rest[end..].trim_start();
    let mut doc = None;
    if let Some(r) = keyword(rest, "where") {
        let r = keyword(r, "DocNumber").filter(|_| entity == "PurchaseOrder")?;
        let (value, r) = quoted(r.strip_prefix('=')?.trim_start())?;
        (doc, rest) = (Some(value), r.trim_start());
    }
    let mut start = 1;
    if let Some((n, r)) = number(rest, "startposition")? {
        (start, rest) = (n, r);
    }
    let mut max = DEFAULT_RESULTS;
    if let Some((n, r)) = number(rest, "maxresults")? {
        (max, rest) = (n.min(MAX_RESULTS), r);
    }
    (rest.is_empty() && start >= 1).then_some(Parsed { entity, doc, start, max })
}

pub(super) async fn query(State(st): State<Shared>, headers: HeaderMap, Path(realm): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = before(&st, QboRoute::Query, &headers, false)
        .await
        .and_then(|_| api_auth(&st, &headers, &realm))
    {
        return r;
    }
    let text = q.get("query").map(String::as_str).unwrap_or("");
    let Some(Parsed { entity, doc, start, max }) = parse_query(text) else {
        let detail = format!("QueryParserError: Encountered an unsupported query: {text}");
        return super::reply(400, invalid("4000", "Error parsing query", &detail, ""));
    };
    let s = lock(&st);
    let rows: Vec<Value> = match entity {
        "PurchaseOrder" => s
            .pos
            .iter()
            .filter(|p| doc.as_deref().is_none_or(|d| p["DocNumber"].as_str() == Some(d)))
            .cloned()
            .collect(),
        "Vendor" => s.vendors.iter().map(super::company::vendor_json).collect(),
        "Account" => s
            .accounts
            .iter()
            .map(|(id, name, t)| json!({"Id": id, "Name": name, "AccountType": t, "Active": true}))
            .collect(),
        "TaxCode" => s
            .company
            .tax_codes
            .iter()
            .map(|(id, name)| json!({"Id": id, "Name": name, "Active": true, "Taxable": true}))
            .collect(),
        _ => s
            .items
            .iter()
            .map(|(id, name)| json!({"Id": id, "Name": name, "Type": "NonInventory"}))
            .collect(),
    };
    let rows: Vec<Value> = rows.into_iter().skip(start - 1).take(max).collect();
    let mut found = Map::new();
    if !rows.is_empty() {
        found.insert("startPosition".into(), json!(start));
        found.insert("maxResults".into(), json!(rows.len()));
        found.insert(entity.into(), Value::Array(rows));
    }
    Json(json!({"QueryResponse": found, "time": now()})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_page_and_cap() {
        let p = parse_query("select * from Vendor startposition 1001 maxresults 5000").unwrap();
        assert_eq!((p.entity, p.start, p.max), ("Vendor", 1001, MAX_RESULTS));
        let p = parse_query(r"SELECT * FROM PurchaseOrder WHERE DocNumber = 'O\'B' STARTPOSITION 3 MAXRESULTS 10").unwrap();
        assert_eq!((p.doc.as_deref(), p.start, p.max), (Some("O'B"), 3, 10));
        assert_eq!(parse_query("select * from Item").unwrap().max, DEFAULT_RESULTS);
        assert!(parse_query("select * from Item startposition 0").is_none());
        assert!(parse_query("select * from Item maxresults 5 startposition 2").is_none(), "Intuit's order");
    }
}
