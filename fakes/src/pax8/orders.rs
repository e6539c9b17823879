//! The fake's token, orders and subscriptions.

use super::*;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub(crate) async fn token(State(st): State<Arc<Mutex<St>>>, Json(body): Json<Value>) -> Response {
    if let Err(r) = before(&st, Route::Token).await {
        return r;
    }
    let mut s = st.lock().unwrap();
    let text = |k: &str| body.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let audience = text("audience");
    let ok = text("client_id") == s.client_id
        && text("client_secret") == s.client_secret
        && text("grant_type") == "client_credentials"
        // The token endpoint's audience enum lists both values.
        && (audience == PARTNER_AUDIENCE || audience == LEGACY_AUDIENCE);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "access_denied", "error_description": "Unauthorized"})),
        )
            .into_response();
    }
    let t = new_id(&mut s, "tok-");
    s.tokens.push((t.clone(), audience));
    Json(json!({"access_token": t, "expires_in": 86400, "token_type": "Bearer", "scope": ""})).into_response()
}

/// `ErrorDetail {type, status, message, instance}`: no `field`; the
/// instance points at what is wrong.
fn detail(message: String, instance: String) -> Value {
    json!({"type": "INVALID_PARAM", "status": 422, "message": message, "instance": instance})
}

/// What Pax8 would refuse in this order (422 details), per the OpenAPI:
/// `CreateLineItem` requires productId, lineItemNumber, quantity and
/// billingTerm (from its enum); commitmentTermId is required when the
/// product `requiresCommitment`; the company must be `Active`.
fn invalid(s: &St, body: &Value) -> Vec<Value> {
    let mut details = Vec::new();
    let company = body.get("companyId").and_then(|v| v.as_str()).unwrap_or_default();
    match s.companies.iter().find(|c| c.id == company) {
        None => details.push(detail(format!("Company '{company}' does not exist or is not yours"), "companyId".into())),
        Some(c) if c.status != "Active" => details.push(detail(
            format!("Company '{}' is {}; orders need an Active company", c.name, c.status),
            "companyId".into(),
        )),
        Some(_) => {}
    }
    let items = body.get("lineItems").and_then(|v| v.as_array()).cloned().unwrap_or_default();
    if items.is_empty() {
        details.push(detail("At least one line item is required".into(), "lineItems".into()));
    }
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("lineItems[{i}].{f}");
        let product = item.get("productId").and_then(|v| v.as_str()).unwrap_or_default();
        match s.product(product) {
            None => details.push(detail(format!("Product '{product}' not found"), at("productId"))),
            Some(rule) => {
                let commitment = item.get("commitmentTermId");
                if rule.requires_commitment && commitment.and_then(|v| v.as_str()).is_none_or(|v| v.is_empty()) {
                    details.push(detail("A commitment term is required for this product".into(), at("commitmentTermId")));
                }
                if commitment.is_some_and(|c| !c.is_string()) {
                    // `format: uuid`: a null is not a commitment term id.
                    details.push(detail("commitmentTermId must be a uuid".into(), at("commitmentTermId")));
                }
                let given: Vec<&str> = item
                    .get("provisioningDetails")
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|d| d.get("key").and_then(|k| k.as_str())).collect())
                    .unwrap_or_default();
                for key in &rule.required_details {
                    if !given.contains(&key.as_str()) {
                        details.push(detail(format!("Provisioning detail '{key}' is required"), at("provisioningDetails")));
                    }
                }
            }
        }
        if item.get("quantity").and_then(|v| v.as_i64()).unwrap_or(0) < 1 {
            details.push(detail("Quantity must be at least 1".into(), at("quantity")));
        }
        const TERMS: [&str; 7] = ["Monthly", "Annual", "2-Year", "3-Year", "One-Time", "Trial", "Activation"];
        if !item.get("billingTerm").and_then(|v| v.as_str()).is_some_and(|t| TERMS.contains(&t)) {
            details.push(detail(
                "billingTerm must be one of Monthly, Annual, 2-Year, 3-Year, One-Time, Trial, Activation".into(),
                at("billingTerm"),
            ));
        }
    }
    details
}

/// An order as Pax8 shows it: subscriptions hidden while not named yet.
fn shown(s: &St, order: &Value) -> Value {
    let id = order["id"].as_str().unwrap_or_default();
    if s.hidden_subs.get(id).copied().unwrap_or(0) == 0 {
        return order.clone();
    }
    let mut o = order.clone();
    for li in o["lineItems"].as_array_mut().into_iter().flatten() {
        if let Some(m) = li.as_object_mut() {
            m.remove("subscriptionId");
        }
    }
    o
}

/// `POST /orders`, run apart from the connection (see [`detached`]).
pub(crate) async fn create_order_detached(
    state: State<Arc<Mutex<St>>>,
    headers: HeaderMap,
    query: Query<HashMap<String, String>>,
    body: Json<Value>,
) -> Response {
    detached(create_order(state, headers, query, body), "/v1/orders").await
}

/// Runs a write apart from the connection: a caller that hangs up (its
/// timeout, a killed process) does not stop Pax8 from acting on a request
/// it received, so neither does it stop the fake.
pub(crate) async fn detached(write: impl std::future::Future<Output = Response> + Send + 'static, instance: &str) -> Response {
    match tokio::spawn(write).await {
        Ok(r) => r,
        Err(_) => pax8_error(500, "Internal error", instance, json!([])),
    }
}

async fn create_order(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>, Json(body): Json<Value>) -> Response {
    let mock = q.get("isMock").is_some_and(|v| v == "true");
    let route = if mock { Route::ValidateOrder } else { Route::CreateOrder };
    let after = match before(&st, route).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let order = {
        let mut s = st.lock().unwrap();
        let details = invalid(&s, &body);
        if !details.is_empty() {
            return pax8_error(422, "Invalid order", "/v1/orders", Value::Array(details));
        }
        let items = body.get("lineItems").and_then(|v| v.as_array()).cloned().unwrap_or_default();
        if mock {
            // "Perform validations only. Skip any interactions with the database":
            // the order as it would be, with no ids.
            let lines: Vec<Value> = items
                .iter()
                .map(|i| json!({"productId": i["productId"], "quantity": i["quantity"], "billingTerm": i["billingTerm"]}))
                .collect();
            return Json(json!({"companyId": body["companyId"], "createdDate": today(), "lineItems": lines})).into_response();
        }
        let company = body.get("companyId").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let id = new_id(&mut s, "ord-");
        let mut lines = Vec::new();
        for item in &items {
            let sub_id = new_id(&mut s, "sub-");
            let product = item["productId"].as_str().unwrap_or_default().to_string();
            let quantity = item["quantity"].as_i64().unwrap_or(0);
            let at = now();
            // The commitment chosen on the line (`commitmentTermId`, one of
            // the product's `/dependencies`), ending its term after today.
            let commitment = item.get("commitmentTermId").and_then(|c| c.as_str()).map(|cid| {
                let term = s
                    .product(&product)
                    .and_then(|r| r.commitments.iter().find(|(id, _)| id == cid).map(|(_, t)| t.clone()))
                    .unwrap_or_else(|| "1-Year".into());
                let end = super::subscriptions::years_after(&at, super::subscriptions::term_years(&term));
                (cid.to_string(), term, end)
            });
            let seq = s.seq;
            let billing_term = item["billingTerm"].as_str().unwrap_or("Monthly");
            s.subs
                .insert(sub_id.clone(), Sub::new(&sub_id, &company, &product, quantity, billing_term, commitment, seq));
            let mut line =
                json!({"id": new_id(&mut s, "li-"), "productId": product, "quantity": quantity, "billingTerm": item["billingTerm"], "subscriptionId": sub_id});
            if let Some(c) = item.get("commitmentTermId") {
                line["commitmentTermId"] = c.clone();
            }
            lines.push(line);
        }
        // `createdDate` is `format: date`: the day, no time.
        let order =
            json!({"id": id, "companyId": company, "createdDate": today(), "orderedBy": body.get("orderedBy"), "isScheduled": false, "lineItems": lines});
        s.orders.push(order.clone());
        let hide = s.name_subs_after;
        if hide > 0 {
            s.hidden_subs.insert(id, hide);
        }
        shown(&s, &order)
    };
    match after {
        Some(Fault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            Json(order).into_response()
        }
        Some(Fault::BadBody) => (StatusCode::OK, "<html>upstream proxy error</html>").into_response(),
        Some(Fault::FailAfter(code)) => pax8_error(code, "Bad gateway", "/v1/orders", json!([])),
        _ => Json(order).into_response(),
    }
}

pub(crate) async fn list_orders(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = before(&st, Route::ListOrders).await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let s = st.lock().unwrap();
    // No order is documented: oldest first, as made.
    let all: Vec<Value> = s
        .orders
        .iter()
        .filter(|o| q.get("companyId").is_none_or(|c| o["companyId"].as_str() == Some(c)))
        .map(|o| shown(&s, o))
        .collect();
    Json(page_of(all, &q)).into_response()
}

pub(crate) async fn get_order(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = before(&st, Route::GetOrder).await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let mut s = st.lock().unwrap();
    let Some(order) = s.orders.iter().find(|o| o["id"] == id.as_str()).cloned() else {
        return pax8_error(404, "Order not found", &format!("/v1/orders/{id}"), json!([]));
    };
    let shown = shown(&s, &order);
    if let Some(n) = s.hidden_subs.get_mut(&id) {
        *n = n.saturating_sub(1);
    }
    Json(shown).into_response()
}
