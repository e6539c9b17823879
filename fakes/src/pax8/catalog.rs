//! The fake's companies and products.

use super::*;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

fn company_json(c: &Company) -> Value {
    // `Company`: status is `Active`, `Inactive` (missing contacts) or `Deleted`;
    // nullable fields Pax8 documents are null.
    json!({"id": c.id, "name": c.name, "status": c.status, "externalId": null, "website": null, "phone": null,
        "billOnBehalfOfEnabled": false, "selfServiceAllowed": false, "orderApprovalRequired": false})
}

async fn gate(st: &Arc<Mutex<St>>, headers: &HeaderMap, route: Route) -> Result<(), Response> {
    before(st, route).await?;
    authorized(st, headers)
}

pub(crate) async fn list_companies(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::ListCompanies).await {
        return r;
    }
    let s = st.lock().unwrap();
    // Filters of the OpenAPI: `status`; there is no name filter. No order is promised.
    let all: Vec<Value> = s
        .companies
        .iter()
        .filter(|c| q.get("status").is_none_or(|st| *st == c.status))
        .map(company_json)
        .collect();
    Json(page_of(all, &q)).into_response()
}

pub(crate) async fn get_company(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::GetCompany).await {
        return r;
    }
    let s = st.lock().unwrap();
    match s.companies.iter().find(|c| c.id == id) {
        Some(c) => Json(company_json(c)).into_response(),
        None => pax8_error(404, "Company not found", &format!("/v1/companies/{id}"), json!([])),
    }
}

fn product_json(id: &str, r: &ProductRule) -> Value {
    let name = if r.name.is_empty() { id } else { r.name.as_str() };
    json!({"id": id, "name": name, "vendorName": null, "sku": null, "vendorSku": null, "shortDescription": null, "requiresCommitment": r.requires_commitment})
}

pub(crate) async fn list_products(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::Products).await {
        return r;
    }
    let s = st.lock().unwrap();
    let search = q.get("search").map(|x| x.to_lowercase()).unwrap_or_default();
    let all: Vec<Value> = s
        .products
        .iter()
        .map(|(id, r)| product_json(id, r))
        .filter(|p| search.is_empty() || p["name"].as_str().unwrap_or_default().to_lowercase().contains(&search))
        .collect();
    Json(page_of(all, &q)).into_response()
}

fn product_or_404(s: &St, id: &str) -> Result<ProductRule, Response> {
    s.product(id)
        .cloned()
        .ok_or_else(|| pax8_error(404, "Product not found", &format!("/v1/products/{id}"), json!([])))
}

pub(crate) async fn provision_details(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::Products).await {
        return r;
    }
    let rule = match product_or_404(&st.lock().unwrap(), &id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    // `ProvisioningDetail`: `possibleValues` null for `Input`.
    let content: Vec<Value> = rule
        .required_details
        .iter()
        .chain(&rule.later_details)
        .map(|k| json!({"label": format!("{k} for the tenant"), "key": k, "valueType": "Input", "possibleValues": null, "description": null}))
        .collect();
    Json(json!({"content": content})).into_response()
}

pub(crate) async fn dependencies(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::Products).await {
        return r;
    }
    let rule = match product_or_404(&st.lock().unwrap(), &id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let commitments: Vec<Value> = rule
        .commitments
        .iter()
        .map(|(cid, term)| {
            let r = &rule.commitment_rules;
            json!({"id": cid, "term": term, "autoRenew": r.auto_renew, "allowForQuantityIncrease": r.allow_increase,
                "allowForQuantityDecrease": r.allow_decrease, "allowForEarlyCancellation": r.allow_early_cancellation,
                "cancellationFeeApplied": r.cancellation_fee, "isTransferable": false,
                // Pax8's example: 0 and 0; Microsoft's window after a renewal is 7 days.
                "renewalWindowDaysBeforeTermEnd": 0, "renewalWindowDaysAfterTermEnd": 7})
        })
        .collect();
    Json(json!({"commitmentDependencies": commitments, "productDependencies": []})).into_response()
}

pub(crate) async fn pricing(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::Products).await {
        return r;
    }
    let rule = match product_or_404(&st.lock().unwrap(), &id) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let name = if rule.name.is_empty() { id.clone() } else { rule.name.clone() };
    let content: Vec<Value> = ["Monthly", "Annual"]
        .iter()
        .map(|t| {
            json!({"productId": id, "productName": name, "billingTerm": t, "commitmentTerm": null, "type": "Flat", "unitOfMeasurement": "Each",
            "rates": [{"partnerBuyRate": 22.0, "suggestedRetailPrice": 26.0, "startQuantityRange": 1, "endQuantityRange": null, "chargeType": "Per Unit"}]})
        })
        .collect();
    Json(json!({"content": content})).into_response()
}
