//! Pax8's JSON, read as Pax8 writes it (partner OpenAPI, mirrored in
//! `api-evangelist/pax8`), and our order written as Pax8 takes it.

use super::distributor::{CommitmentOption, CommitmentRules, DetailSpec, PlacedLine, PlacedOrder, RemoteCompany, RemoteProduct, SubscriptionState};
use super::{OrderRequest, Problem};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

/// Pax8's largest page (`size` maximum 200 on every list).
pub const MAX_PAGE: u64 = 200;

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_string)
}

/// `Order.createdDate` is `format: date` ("2020-12-01"); a date-time is
/// accepted too and read as its UTC day.
pub fn day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc).date_naive());
    }
    // A date-time without an offset ("2026-11-30T10:00:00").
    s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// A Pax8 time in our form (RFC 3339 UTC, fixed width, so that it sorts as
/// text beside ours). The reference says `date-time`, its examples write
/// `2020-12-10T03:12:14.453-0300` (no colon) and plain dates
/// (`2020-11-18`, read as that day's start in UTC); anything else is kept
/// as written.
pub fn instant(s: &str) -> String {
    let s = s.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc()))
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        });
    match parsed {
        Some(t) => crate::clock::format(t),
        None => s.to_string(),
    }
}

/// An `Order` (its line items' `subscriptionId` may be missing yet).
pub fn order(v: &Value) -> Option<PlacedOrder> {
    let id = text(v, "id")?;
    let lines = v
        .get("lineItems")
        .and_then(|l| l.as_array())
        .map(|items| {
            items
                .iter()
                .map(|i| PlacedLine {
                    product_id: text(i, "productId").unwrap_or_default(),
                    // `quantity` is a JSON number ("Whole Number"); 5.0 is 5.
                    quantity: i
                        .get("quantity")
                        .and_then(|q| q.as_i64().or_else(|| q.as_f64().map(|f| f as i64)))
                        .unwrap_or_default(),
                    subscription_id: text(i, "subscriptionId").filter(|s| !s.is_empty()),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(PlacedOrder {
        id,
        company_id: text(v, "companyId").unwrap_or_default(),
        created_on: text(v, "createdDate").as_deref().and_then(day),
        lines,
    })
}

/// A `Subscription`. The reference makes no field required or nullable:
/// each may be missing or null. The commitment is `commitmentTerm {id,
/// term, endDate}`; Pax8's CLI saw it as `commitment` on the live API, so
/// either is read, and a monthly one has none (or a null end).
pub fn subscription(v: &Value) -> Option<SubscriptionState> {
    let commitment = v
        .get("commitmentTerm")
        .filter(|c| c.is_object())
        .or_else(|| v.get("commitment").filter(|c| c.is_object()));
    Some(SubscriptionState {
        id: text(v, "id")?,
        product_id: text(v, "productId").unwrap_or_default(),
        product_name: text(v, "productName"),
        // "Whole Number" on order lines; a number here (5.0 is 5).
        quantity: v
            .get("quantity")
            .and_then(|q| q.as_i64().or_else(|| q.as_f64().map(|f| f as i64)))
            .unwrap_or_default(),
        status: text(v, "status").unwrap_or_default(),
        billing_term: text(v, "billingTerm"),
        commitment_term: commitment.and_then(|c| text(c, "term")),
        commitment_end: commitment.and_then(|c| text(c, "endDate")).filter(|e| !e.is_empty()).map(|e| instant(&e)),
        updated_at: text(v, "updatedDate").map(|e| instant(&e)),
    })
}

/// A list answer: `{content, page: {size, totalElements, totalPages, number}}`.
pub struct Listed {
    pub content: Vec<Value>,
    pub total: u64,
    pub total_pages: u64,
}

pub fn listed(v: &Value, size: u64) -> Listed {
    let content = v.get("content").and_then(|c| c.as_array()).cloned().unwrap_or_default();
    let num = |k: &str| {
        v.pointer(&format!("/page/{k}"))
            .and_then(|t| t.as_u64().or_else(|| t.as_f64().map(|f| f as u64)))
    };
    let total = num("totalElements").unwrap_or(content.len() as u64);
    let total_pages = num("totalPages").unwrap_or_else(|| total.div_ceil(size.max(1)));
    Listed { content, total, total_pages }
}

pub fn company(v: &Value) -> Option<RemoteCompany> {
    Some(RemoteCompany {
        id: text(v, "id")?,
        name: text(v, "name").unwrap_or_default(),
        status: text(v, "status"),
    })
}

pub fn product(v: &Value) -> Option<RemoteProduct> {
    Some(RemoteProduct {
        id: text(v, "id")?,
        name: text(v, "name").unwrap_or_default(),
        vendor_name: text(v, "vendorName"),
        sku: text(v, "sku"),
        requires_commitment: v.get("requiresCommitment").and_then(|b| b.as_bool()).unwrap_or(false),
    })
}

/// `ProvisioningDetail`: `possibleValues` is null for `Input`.
pub fn detail_spec(v: &Value) -> Option<DetailSpec> {
    Some(DetailSpec {
        key: text(v, "key")?,
        label: text(v, "label").unwrap_or_default(),
        description: text(v, "description"),
        value_type: text(v, "valueType").unwrap_or_else(|| "Input".into()),
        possible_values: v
            .get("possibleValues")
            .and_then(|p| p.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
    })
}

/// `Dependencies.commitmentDependencies[]`: `Commitment {id, term}`.
/// `Dependencies.commitmentDependencies[]` as rules; a flag left out is
/// read as not allowed (the reference requires none of them).
pub fn commitment_rules(v: &Value) -> Vec<CommitmentRules> {
    let flag = |c: &Value, k: &str| c.get(k).and_then(|b| b.as_bool()).unwrap_or(false);
    v.get("commitmentDependencies")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .map(|c| CommitmentRules {
                    commitment_id: text(c, "id").unwrap_or_default(),
                    term: text(c, "term").unwrap_or_default(),
                    allow_increase: flag(c, "allowForQuantityIncrease"),
                    allow_decrease: flag(c, "allowForQuantityDecrease"),
                    allow_early_cancellation: flag(c, "allowForEarlyCancellation"),
                    cancellation_fee: flag(c, "cancellationFeeApplied"),
                    auto_renew: flag(c, "autoRenew"),
                    window_days_after: c
                        .get("renewalWindowDaysAfterTermEnd")
                        .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn commitments(v: &Value) -> Vec<CommitmentOption> {
    v.get("commitmentDependencies")
        .and_then(|c| c.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    Some(CommitmentOption {
                        id: text(c, "id")?,
                        term: text(c, "term").unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The body of `POST /orders` (`CreateOrder`). `commitmentTermId` is left
/// out when there is none (it is a uuid when present).
pub fn order_body(order: &OrderRequest) -> Value {
    let items: Vec<Value> = order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut item = Map::new();
            item.insert("lineItemNumber".into(), json!(i + 1));
            item.insert("productId".into(), json!(l.product_id));
            item.insert("quantity".into(), json!(l.quantity));
            item.insert("billingTerm".into(), json!(l.billing_term));
            if let Some(c) = l.commitment_term_id.as_deref().filter(|c| !c.trim().is_empty()) {
                item.insert("commitmentTermId".into(), json!(c));
            }
            if !l.provisioning_details.is_empty() {
                item.insert(
                    "provisioningDetails".into(),
                    l.provisioning_details.iter().map(|d| json!({"key": d.key, "values": d.values})).collect(),
                );
            }
            Value::Object(item)
        })
        .collect();
    json!({"companyId": order.company_id, "orderedBy": "Pax8 Partner", "lineItems": items})
}

/// The line item an `instance` names (`lineItems[1].quantity`,
/// `/orders/lineItems/1`), as an index into the order's lines.
fn line_index(instance: &str) -> Option<usize> {
    let rest = &instance[instance.find("lineItems")? + "lineItems".len()..];
    let digits: String = rest.trim_start_matches(['[', '/', '.']).chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Our editor's name for what an `instance` points at.
fn field_for(instance: &str, line: Option<usize>) -> String {
    let tail = instance.rsplit(['.', '/']).next().unwrap_or_default();
    let ours = match tail {
        "commitmentTermId" => "commitment_term_id",
        "billingTerm" => "billing_term",
        "productId" => "distributor_product_id",
        "quantity" => "quantity",
        "provisioningDetails" => "provisioning_details",
        "companyId" => return "pax8_company_id".into(),
        _ => "",
    };
    match (line, ours) {
        (Some(i), "") => format!("lines[{i}]"),
        (Some(i), f) => format!("lines[{i}].{f}"),
        (None, "") => String::new(),
        (None, f) => f.into(),
    }
}

/// Pax8's error body `{type, message, instance, status, details[]}`, each
/// detail `{type, status, message, instance}` (no `field`), in plain
/// words. Where an `instance` names a line item, the problem names the PO
/// line it came from.
pub fn problems(body: &str, order: Option<&OrderRequest>) -> Vec<Problem> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return vec![Problem::new(
            "",
            format!("Pax8 refused the request: {}", body.chars().take(200).collect::<String>()),
        )];
    };
    let mut out = Vec::new();
    // Pax8 answers some subscription writes with `{"errors": ["..."]}`
    // instead of its documented body (Pax8's CLI): those words are the problem.
    for e in v.get("errors").and_then(|e| e.as_array()).into_iter().flatten() {
        if let Some(m) = e.as_str().map(str::to_string).or_else(|| text(e, "message")) {
            out.push(Problem::new("", m));
        }
    }
    for d in v.get("details").and_then(|d| d.as_array()).into_iter().flatten() {
        let (message, instance) = match d {
            Value::String(s) => (s.clone(), String::new()),
            Value::Object(_) => (text(d, "message").unwrap_or_default(), text(d, "instance").unwrap_or_default()),
            _ => continue,
        };
        let line = line_index(&instance);
        let po_line_id = line.and_then(|i| order.and_then(|o| o.lines.get(i)).map(|l| l.po_line_id));
        let message = match line {
            Some(i) => format!("line {}: {message}", i + 1),
            None => message,
        };
        out.push(Problem {
            field: field_for(&instance, line),
            message,
            po_line_id,
        });
    }
    if out.is_empty() {
        out.push(Problem::new("", text(&v, "message").unwrap_or_else(|| "Pax8 refused the request.".into())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procurement::OrderLine;

    #[test]
    fn pax8_times_read_in_our_form() {
        assert_eq!(
            instant("2020-12-10T03:12:14.453-0300"),
            "2020-12-10T06:12:14.453000Z",
            "the reference's example"
        );
        assert_eq!(instant("2027-06-30T00:00:00Z"), "2027-06-30T00:00:00.000000Z");
        assert_eq!(instant("2020-11-18"), "2020-11-18T00:00:00.000000Z");
        assert_eq!(instant("2026-11-30T10:00:00"), "2026-11-30T10:00:00.000000Z");
        assert_eq!(instant("soon"), "soon", "kept as written");
    }

    #[test]
    fn a_subscription_reads_either_commitment_and_a_monthly_one_has_none() {
        let v = serde_json::json!({"id": "s-1", "productId": "p", "quantity": 5.0, "status": "Active", "billingTerm": "Annual",
            "commitment": {"id": "c", "term": "1-Year", "endDate": "2027-01-01"}});
        let s = subscription(&v).unwrap();
        assert_eq!((s.quantity, s.commitment_term.as_deref()), (5, Some("1-Year")));
        assert_eq!(s.commitment_end.as_deref(), Some("2027-01-01T00:00:00.000000Z"));
        let monthly = subscription(&serde_json::json!({"id": "s-2", "commitmentTerm": null, "updatedDate": null})).unwrap();
        assert_eq!((monthly.commitment_end, monthly.updated_at, monthly.billing_term), (None, None, None));
        assert!(subscription(&serde_json::json!({"quantity": 1})).is_none(), "no id");
    }

    #[test]
    fn created_date_is_a_day_or_a_date_time() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(day("2026-11-30"), Some(d));
        assert_eq!(day("2026-11-30T23:10:00Z"), Some(d));
        assert_eq!(day("2026-12-01T01:10:00+03:00"), Some(d), "read as its UTC day");
        assert_eq!(day("2026-11-30T10:00:00"), Some(d));
        assert_eq!(day("yesterday"), None);
    }

    #[test]
    fn details_without_field_name_the_po_line() {
        let order = OrderRequest {
            company_id: Some("c".into()),
            changes: vec![],
            lines: [7, 9]
                .into_iter()
                .map(|id| OrderLine {
                    po_line_id: id,
                    product_id: Some("p".into()),
                    quantity: 1,
                    billing_term: Some("Monthly".into()),
                    commitment_term_id: None,
                    provisioning_details: vec![],
                })
                .collect(),
        };
        let p = problems(
            r#"{"type":"UNPROCESSABLE_ENTITY","message":"Invalid order","instance":"/v1/orders","status":422,
                "details":[{"type":"INVALID_PARAM","status":422,"message":"A commitment term is required for this product","instance":"lineItems[1].commitmentTermId"},
                           {"message":"Company is not active"}]}"#,
            Some(&order),
        );
        assert_eq!(p[0].po_line_id, Some(9));
        assert_eq!(p[0].field, "lines[1].commitment_term_id");
        assert_eq!(p[0].message, "line 2: A commitment term is required for this product");
        assert_eq!((p[1].field.as_str(), p[1].po_line_id), ("", None));
        assert_eq!(
            problems(r#"{"message":"Company not found","status":404}"#, None)[0].message,
            "Company not found"
        );
        assert!(problems("<html>", None)[0].message.contains("<html>"));
    }

    #[test]
    fn no_commitment_term_is_left_out() {
        let order = OrderRequest {
            company_id: Some("c".into()),
            changes: vec![],
            lines: vec![OrderLine {
                po_line_id: 1,
                product_id: Some("p".into()),
                quantity: 2,
                billing_term: Some("Monthly".into()),
                commitment_term_id: None,
                provisioning_details: vec![],
            }],
        };
        let body = order_body(&order);
        assert!(body["lineItems"][0].get("commitmentTermId").is_none(), "{body}");
        assert_eq!(body["lineItems"][0]["lineItemNumber"], 1);
    }
}
