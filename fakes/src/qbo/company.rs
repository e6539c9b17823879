//! The fake's company: who it is (CompanyInfo), how it is set up
//! (Preferences), its vendors' currencies, and what a PurchaseOrder must
//! carry because of that (tax for non-US companies, currency with
//! multicurrency).

use super::{api_auth, before, invalid, lock, now, reply, QboRoute, Shared, Vendor};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// How a fake company is set up.
#[derive(Debug, Clone, Default)]
pub struct Company {
    pub realm: &'static str,
    pub name: &'static str,
    /// `CompanyInfo.Country`: "US", or e.g. "GB" for a UK company.
    pub country: &'static str,
    /// `Preferences.CurrencyPrefs.HomeCurrency.value`.
    pub home_currency: &'static str,
    /// `Preferences.CurrencyPrefs.MultiCurrencyEnabled`.
    pub multicurrency: bool,
    /// TaxCode entities (Id, Name).
    pub tax_codes: Vec<(&'static str, &'static str)>,
    /// Vendors (Id, DisplayName, CurrencyRef.value).
    pub vendors: Vec<(&'static str, &'static str, &'static str)>,
}

impl Company {
    /// A US sandbox company: one currency, sales tax only (no tax codes on purchases).
    pub fn us() -> Company {
        Company {
            realm: "9341453210000001",
            name: "Sandbox Company_US_1",
            country: "US",
            home_currency: "USD",
            multicurrency: false,
            tax_codes: vec![("TAX", "TAX"), ("NON", "NON")],
            vendors: vec![("56", "Pax8 Inc", "USD"), ("57", "Ingram Micro", "USD")],
        }
    }

    /// A UK sandbox company: VAT codes, multicurrency on, GBP at home, one
    /// vendor billing in US dollars.
    pub fn uk() -> Company {
        Company {
            realm: "9341453210000044",
            name: "Sandbox Company_GB_1",
            country: "GB",
            home_currency: "GBP",
            multicurrency: true,
            tax_codes: vec![("3", "20.0% S"), ("5", "0.0% Z"), ("9", "No VAT")],
            vendors: vec![
                ("56", "Pax8 UK Ltd", "GBP"),
                ("57", "Ingram Micro UK", "GBP"),
                ("58", "Amazon Web Services", "USD"),
            ],
        }
    }

    fn is_us(&self) -> bool {
        self.country == "US"
    }
}

fn currency_name(code: &str) -> &'static str {
    match code {
        "USD" => "United States Dollar",
        "GBP" => "British Pound Sterling",
        "EUR" => "Euro",
        _ => "",
    }
}

pub(super) fn vendor_json(v: &Vendor) -> Value {
    let (id, name, currency) = v;
    json!({"Id": id, "DisplayName": name, "Active": true, "CurrencyRef": {"value": currency, "name": currency_name(currency)}})
}

async fn checked(st: &Shared, route: QboRoute, headers: &HeaderMap, realm: &str) -> Result<(), Response> {
    before(st, route, headers, false).await.and_then(|_| api_auth(st, headers, realm))
}

/// `GET companyinfo/{realm}`: `CompanyName` and `Country` (Intuit API reference, CompanyInfo entity).
pub(super) async fn company_info(State(st): State<Shared>, headers: HeaderMap, Path((realm, id)): Path<(String, String)>) -> Response {
    if let Err(r) = checked(&st, QboRoute::CompanyInfo, &headers, &realm)
        .await
        .and_then(|_| api_auth(&st, &headers, &id))
    {
        return r;
    }
    let c = lock(&st).company.clone();
    let info = json!({"Id": realm, "CompanyName": c.name, "Country": c.country, "CompanyAddr": {"Country": c.country}, "SyncToken": "0", "domain": "QBO"});
    Json(json!({"CompanyInfo": info, "time": now()})).into_response()
}

/// `GET preferences`: `CurrencyPrefs.MultiCurrencyEnabled` and
/// `CurrencyPrefs.HomeCurrency` (Intuit API reference, Preferences entity).
pub(super) async fn preferences(State(st): State<Shared>, headers: HeaderMap, Path(realm): Path<String>) -> Response {
    if let Err(r) = checked(&st, QboRoute::Preferences, &headers, &realm).await {
        return r;
    }
    let c = lock(&st).company.clone();
    let prefs = json!({
        "Id": "1", "SyncToken": "0", "domain": "QBO",
        "CurrencyPrefs": {"MultiCurrencyEnabled": c.multicurrency, "HomeCurrency": {"value": c.home_currency}},
        "SalesFormsPrefs": {"CustomTxnNumbers": true},
        "TaxPrefs": {"UsingSalesTax": c.is_us()},
    });
    Json(json!({"Preferences": prefs, "time": now()})).into_response()
}

/// `GET vendor/{id}`: the vendor with its `CurrencyRef` (Intuit API reference, Vendor entity).
pub(super) async fn read_vendor(State(st): State<Shared>, headers: HeaderMap, Path((realm, id)): Path<(String, String)>) -> Response {
    if let Err(r) = checked(&st, QboRoute::ReadVendor, &headers, &realm).await {
        return r;
    }
    let s = lock(&st);
    match s.vendors.iter().find(|v| v.0 == id) {
        Some(v) => Json(json!({"Vendor": vendor_json(v), "time": now()})).into_response(),
        None => {
            let detail = format!("Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. Vendor {id}");
            reply(400, invalid("610", "Object Not Found", &detail, ""))
        }
    }
}

fn business(detail: &str, element: &str) -> Value {
    let msg = "A business validation error has occurred while processing your request";
    invalid("6000", msg, &format!("Business Validation Error: {detail}"), element)
}

/// The checks a company's setup adds to a new PurchaseOrder; the
/// `CurrencyRef` to store on it.
///
/// - `GlobalTaxCalculation` "Not applicable to US companies; required for
///   non-US companies" (Intuit API reference, PurchaseOrder): refused when
///   missing outside the US and, least conveniently, when sent by a US one.
/// - Outside the US every line carries a `TaxCodeRef` of an existing
///   TaxCode (QBO refuses a VAT transaction line without a rate).
/// - `CurrencyRef` "Required if multicurrency is enabled for the company"
///   (PurchaseOrder); a transaction is in its vendor's currency, so another
///   is refused. Without multicurrency only the home currency is accepted.
pub(super) fn check_setup(c: &Company, po: &Map<String, Value>, vendor: &Vendor) -> Result<Value, Value> {
    let global = po.get("GlobalTaxCalculation").and_then(Value::as_str);
    match (c.is_us(), global) {
        (true, Some(_)) => {
            return Err(invalid(
                "4000",
                "Request has invalid or unsupported property",
                "Property Name:GlobalTaxCalculation is not supported for US companies",
                "GlobalTaxCalculation",
            ))
        }
        (false, None) => {
            return Err(invalid(
                "2020",
                super::MISSING,
                "Required parameter GlobalTaxCalculation is missing in the request",
                "GlobalTaxCalculation",
            ))
        }
        (false, Some(g)) if !["TaxExcluded", "TaxInclusive", "NotApplicable"].contains(&g) => {
            return Err(business(
                &format!("GlobalTaxCalculation '{g}' is not one of TaxExcluded, TaxInclusive, NotApplicable"),
                "GlobalTaxCalculation",
            ))
        }
        _ => {}
    }
    if !c.is_us() {
        for (i, line) in po.get("Line").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let detail = line.get("DetailType").and_then(Value::as_str).unwrap_or_default();
            let code = line.pointer(&format!("/{detail}/TaxCodeRef/value")).and_then(Value::as_str).unwrap_or_default();
            if code.is_empty() {
                return Err(business(
                    &format!("Line {}: Make sure all your transactions have a VAT rate before you save.", i + 1),
                    "Line.TaxCodeRef",
                ));
            }
            if !c.tax_codes.iter().any(|(id, _)| *id == code) {
                let detail = format!("{} : Line {}: TaxCodeRef '{code}' is not an existing tax code.", super::BAD_REF, i + 1);
                return Err(invalid("2500", super::BAD_REF, &detail, "Line.TaxCodeRef"));
            }
        }
    }
    let currency = po.get("CurrencyRef").and_then(|r| r.get("value")).and_then(Value::as_str);
    let currency = match (c.multicurrency, currency) {
        (true, None) => {
            return Err(invalid(
                "2020",
                super::MISSING,
                "Required parameter CurrencyRef is missing in the request",
                "CurrencyRef",
            ))
        }
        (true, Some(cur)) if cur != vendor.2 => {
            return Err(business(
                &format!("The currency of the transaction ({cur}) must match the vendor's currency ({}).", vendor.2),
                "CurrencyRef",
            ))
        }
        (false, Some(cur)) if cur != c.home_currency => {
            return Err(business(
                &format!("Multicurrency is off: transactions are in {}, not {cur}.", c.home_currency),
                "CurrencyRef",
            ))
        }
        (_, Some(cur)) => cur.to_string(),
        (false, None) => c.home_currency.to_string(),
    };
    Ok(json!({"value": currency, "name": currency_name(&currency)}))
}
