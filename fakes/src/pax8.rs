//! A fake Pax8 partner API: token endpoint, companies, products with their
//! order rules, orders that never deduplicate (as Pax8's don't), and
//! subscriptions that move from `PendingAutomated` to `Active`. Errors use
//! Pax8's body `{type, message, instance, status, details}`. Faults are
//! scripted per route: a status (with Retry-After), a delay, a reply lost
//! after the order was made, a body that is not JSON, an expired token.
//! For load runs it can also add latency to every call, enforce a
//! requests-per-minute rate limit (429 with Retry-After) and inject faults
//! at random into a share of the calls.

// Helpers return the response to send as their error, as axum handlers do.
#![allow(clippy::result_large_err)]

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    CreateOrder,
    ListOrders,
    GetSubscription,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (with `Retry-After` seconds, for 429) and do nothing.
    Status(u16, Option<u64>),
    /// Wait, then answer normally.
    Delay(Duration),
    /// Make the order, then hold the reply for this long (past the client's timeout).
    LoseReply(Duration),
    /// Make the order, then answer 200 with a body that is not JSON.
    BadBody,
    /// Answer 401 as for an expired token.
    ExpiredToken,
    /// Make the order, then answer this status (a reply lost behind a proxy).
    FailAfter(u16),
}

/// Conditions of every call, for load runs (the default adds nothing).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// Added before every answer.
    pub latency: Duration,
    /// Requests admitted per minute (a token bucket holding one second's
    /// worth); others answer 429 with Retry-After. `None`: no limit.
    pub rate_per_minute: Option<u32>,
    /// Share (0..1) of admitted order, order-list and subscription calls that
    /// meet a random fault: half answer 503 having done nothing, half of the
    /// orders are made and then answered 502.
    pub fault_ratio: f64,
}

/// A token bucket: `rate` per second, holding at most `burst`.
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

/// What a product needs in an order.
#[derive(Debug, Clone, Default)]
pub struct ProductRule {
    pub requires_commitment: bool,
    pub required_details: Vec<String>,
}

#[derive(Default)]
struct Sub {
    product_id: String,
    company_id: String,
    quantity: i64,
    polls: u32,
    cancelled: bool,
}

#[derive(Default)]
struct St {
    client_id: String,
    client_secret: String,
    tokens: Vec<String>,
    companies: Vec<String>,
    products: HashMap<String, ProductRule>,
    orders: Vec<Value>,
    subs: HashMap<String, Sub>,
    faults: HashMap<Route, VecDeque<Fault>>,
    /// Polls of a subscription before it turns Active.
    activate_after: u32,
    requests: HashMap<Route, usize>,
    seq: u64,
    conditions: Conditions,
    bucket: Option<Bucket>,
    throttled: usize,
    injected: usize,
}

/// A running fake. Dropping it stops the server.
pub struct FakePax8 {
    pub base: String,
    st: Arc<Mutex<St>>,
    _served: crate::Served,
}

impl FakePax8 {
    /// Starts on 127.0.0.1 (`port` 0 for any) with these credentials.
    pub async fn start(port: u16, client_id: &str, client_secret: &str) -> std::io::Result<FakePax8> {
        let st = Arc::new(Mutex::new(St {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            activate_after: 1,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/v1/token", post(token))
            .route("/v1/orders", post(create_order).get(list_orders))
            .route("/v1/subscriptions/{id}", get(get_subscription))
            .route("/v1/companies/{id}", get(get_company))
            .with_state(st.clone());
        let (addr, served) = crate::serve(port, app).await?;
        Ok(FakePax8 {
            base: format!("http://{addr}/v1"),
            st,
            _served: served,
        })
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    pub fn add_company(&self, id: &str) {
        self.st.lock().unwrap().companies.push(id.into());
    }

    pub fn add_product(&self, id: &str, rule: ProductRule) {
        self.st.lock().unwrap().products.insert(id.into(), rule);
    }

    /// The next request to `route` meets `fault` (faults queue up in order).
    pub fn fault(&self, route: Route, fault: Fault) {
        self.st.lock().unwrap().faults.entry(route).or_default().push_back(fault);
    }

    /// Polls of a new subscription before it is Active.
    pub fn activate_after(&self, polls: u32) {
        self.st.lock().unwrap().activate_after = polls;
    }

    /// Every order made, as Pax8 would list them.
    pub fn orders(&self) -> Vec<Value> {
        self.st.lock().unwrap().orders.clone()
    }

    pub fn requests(&self, route: Route) -> usize {
        self.st.lock().unwrap().requests.get(&route).copied().unwrap_or(0)
    }

    /// Latency, rate limit and random faults for every later call.
    pub fn set_conditions(&self, c: Conditions) {
        let mut s = self.st.lock().unwrap();
        s.bucket = c.rate_per_minute.map(|r| Bucket {
            tokens: f64::from(r) / 60.0,
            at: std::time::Instant::now(),
        });
        s.conditions = c;
    }

    /// Calls answered 429 by the rate limit of [`Conditions`].
    pub fn throttled(&self) -> usize {
        self.st.lock().unwrap().throttled
    }

    /// Calls that met a random fault of [`Conditions`].
    pub fn injected(&self) -> usize {
        self.st.lock().unwrap().injected
    }

    /// Forgets issued tokens (as if they all expired).
    pub fn expire_tokens(&self) {
        self.st.lock().unwrap().tokens.clear();
    }
}

fn pax8_error(status: u16, message: &str, instance: &str, details: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        code,
        Json(
            json!({"type": if status == 422 { "validation" } else { "error" }, "message": message, "instance": instance, "status": status, "details": details}),
        ),
    )
        .into_response()
}

/// What happens to a call under the [`Conditions`]: admitted (perhaps with a
/// random fault), or refused by the rate limit after this many seconds.
enum Admission {
    Admitted(Option<Fault>),
    Throttled(u64),
}

fn admit(s: &mut St, route: Route) -> Admission {
    if let (Some(rate), Some(b)) = (s.conditions.rate_per_minute, s.bucket.as_mut()) {
        let per_sec = f64::from(rate.max(1)) / 60.0;
        let now = std::time::Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(per_sec.max(1.0));
        b.at = now;
        if b.tokens < 1.0 {
            s.throttled += 1;
            return Admission::Throttled(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64);
        }
        b.tokens -= 1.0;
    }
    let ratio = s.conditions.fault_ratio;
    if route != Route::Token && ratio > 0.0 && rand::random::<f64>() < ratio {
        s.injected += 1;
        let after = route == Route::CreateOrder && rand::random::<bool>();
        return Admission::Admitted(Some(if after { Fault::FailAfter(502) } else { Fault::Status(503, None) }));
    }
    Admission::Admitted(None)
}

/// Counts the request and takes the next fault for the route (scripted
/// faults first, then those of the conditions).
async fn next_fault(st: &Arc<Mutex<St>>, route: Route) -> Result<Option<Fault>, Response> {
    let (latency, admission, scripted) = {
        let mut s = st.lock().unwrap();
        *s.requests.entry(route).or_default() += 1;
        let scripted = s.faults.get_mut(&route).and_then(|q| q.pop_front());
        (s.conditions.latency, admit(&mut s, route), scripted)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match admission {
        Admission::Throttled(secs) => {
            let mut res = pax8_error(429, "Rate limit exceeded", "/v1", json!([]));
            res.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            Err(res)
        }
        Admission::Admitted(random) => Ok(scripted.or(random)),
    }
}

/// Applies the faults that happen before any work; returns the rest.
async fn before(st: &Arc<Mutex<St>>, route: Route) -> Result<Option<Fault>, Response> {
    match next_fault(st, route).await? {
        Some(Fault::Status(code, retry)) => {
            let mut res = pax8_error(code, "Injected fault", "/v1", json!([]));
            if let Some(r) = retry {
                res.headers_mut().insert("retry-after", r.to_string().parse().unwrap());
            }
            Err(res)
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            Ok(None)
        }
        Some(Fault::ExpiredToken) => Err(pax8_error(401, "Token expired", "/v1", json!([]))),
        other => Ok(other),
    }
}

fn authorized(st: &Arc<Mutex<St>>, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if st.lock().unwrap().tokens.iter().any(|t| t == token) {
        Ok(())
    } else {
        Err(pax8_error(401, "Unauthorized: invalid or expired token", "/v1", json!([])))
    }
}

fn new_id(st: &mut St, prefix: &str) -> String {
    st.seq += 1;
    let r: u64 = rand::random();
    format!(
        "{prefix}{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        st.seq,
        (r >> 48) & 0xffff,
        (r >> 36) & 0xfff,
        (r >> 24) & 0xfff,
        r & 0xffff_ffff_ffff
    )
}

pub(crate) fn now() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    // RFC 3339 UTC with microseconds, computed without a date library.
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

async fn token(State(st): State<Arc<Mutex<St>>>, Json(body): Json<Value>) -> Response {
    if let Err(r) = before(&st, Route::Token).await {
        return r;
    }
    let mut s = st.lock().unwrap();
    let ok = body.get("client_id").and_then(|v| v.as_str()) == Some(s.client_id.as_str())
        && body.get("client_secret").and_then(|v| v.as_str()) == Some(s.client_secret.as_str())
        && body.get("grant_type").and_then(|v| v.as_str()) == Some("client_credentials");
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "access_denied", "error_description": "Unauthorized"})),
        )
            .into_response();
    }
    let t = new_id(&mut s, "tok-");
    s.tokens.push(t.clone());
    Json(json!({"access_token": t, "expires_in": 86400, "token_type": "Bearer", "scope": ""})).into_response()
}

async fn get_company(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    if st.lock().unwrap().companies.contains(&id) {
        Json(json!({"id": id, "name": format!("Company {id}"), "status": "Active"})).into_response()
    } else {
        pax8_error(404, "Company not found", &format!("/v1/companies/{id}"), json!([]))
    }
}

async fn create_order(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let after = match before(&st, Route::CreateOrder).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let order = {
        let mut s = st.lock().unwrap();
        let company = body.get("companyId").and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let mut details = Vec::new();
        if !s.companies.contains(&company) {
            details.push(json!({"field": "companyId", "message": format!("Company '{company}' does not exist or is not yours")}));
        }
        let items = body.get("lineItems").and_then(|v| v.as_array()).cloned().unwrap_or_default();
        if items.is_empty() {
            details.push(json!({"field": "lineItems", "message": "At least one line item is required"}));
        }
        for (i, item) in items.iter().enumerate() {
            let product = item.get("productId").and_then(|v| v.as_str()).unwrap_or_default();
            match s.products.get(product) {
                None => details.push(json!({"field": format!("lineItems[{i}].productId"), "message": format!("Product '{product}' not found")})),
                Some(rule) => {
                    if rule.requires_commitment && item.get("commitmentTermId").and_then(|v| v.as_str()).is_none_or(|v| v.is_empty()) {
                        details.push(json!({"field": format!("lineItems[{i}].commitmentTermId"), "message": "A commitment term is required for this product"}));
                    }
                    let given: Vec<&str> = item
                        .get("provisioningDetails")
                        .and_then(|v| v.as_array())
                        .map(|a| a.iter().filter_map(|d| d.get("key").and_then(|k| k.as_str())).collect())
                        .unwrap_or_default();
                    for key in &rule.required_details {
                        if !given.contains(&key.as_str()) {
                            details.push(
                                json!({"field": format!("lineItems[{i}].provisioningDetails"), "message": format!("Provisioning detail '{key}' is required")}),
                            );
                        }
                    }
                }
            }
            if item.get("quantity").and_then(|v| v.as_i64()).unwrap_or(0) < 1 {
                details.push(json!({"field": format!("lineItems[{i}].quantity"), "message": "Quantity must be at least 1"}));
            }
            if item.get("billingTerm").and_then(|v| v.as_str()).is_none_or(|v| v.is_empty()) {
                details.push(json!({"field": format!("lineItems[{i}].billingTerm"), "message": "Billing term is required"}));
            }
        }
        if !details.is_empty() {
            return pax8_error(422, "Order validation failed", "/v1/orders", Value::Array(details));
        }
        let id = new_id(&mut s, "ord-");
        let mut lines = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let sub_id = new_id(&mut s, "sub-");
            let product = item["productId"].as_str().unwrap_or_default().to_string();
            let quantity = item["quantity"].as_i64().unwrap_or(0);
            s.subs.insert(
                sub_id.clone(),
                Sub {
                    product_id: product.clone(),
                    company_id: company.clone(),
                    quantity,
                    ..Default::default()
                },
            );
            lines.push(json!({"id": new_id(&mut s, "li-"), "lineItemNumber": i + 1, "productId": product, "quantity": quantity, "billingTerm": item["billingTerm"], "subscriptionId": sub_id}));
        }
        let order = json!({"id": id, "companyId": company, "createdDate": now(), "orderedBy": body.get("orderedBy"), "lineItems": lines});
        s.orders.push(order.clone());
        order
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

async fn list_orders(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = before(&st, Route::ListOrders).await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let s = st.lock().unwrap();
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let size: usize = q.get("size").and_then(|p| p.parse().ok()).unwrap_or(10).clamp(1, 200);
    let all: Vec<&Value> = s
        .orders
        .iter()
        .filter(|o| q.get("companyId").is_none_or(|c| o["companyId"].as_str() == Some(c)))
        .collect();
    let total_pages = all.len().div_ceil(size).max(1);
    let content: Vec<Value> = all.iter().skip(page * size).take(size).map(|v| (*v).clone()).collect();
    Json(json!({"content": content, "page": {"size": size, "totalElements": all.len(), "totalPages": total_pages, "number": page}})).into_response()
}

async fn get_subscription(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = before(&st, Route::GetSubscription).await {
        return r;
    }
    if let Err(r) = authorized(&st, &headers) {
        return r;
    }
    let mut s = st.lock().unwrap();
    let activate_after = s.activate_after;
    let Some(sub) = s.subs.get_mut(&id) else {
        return pax8_error(404, "Subscription not found", &format!("/v1/subscriptions/{id}"), json!([]));
    };
    sub.polls += 1;
    let status = if sub.cancelled {
        "Cancelled"
    } else if sub.polls > activate_after {
        "Active"
    } else {
        "PendingAutomated"
    };
    Json(json!({"id": id, "companyId": sub.company_id, "productId": sub.product_id, "quantity": sub.quantity, "status": status})).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_419), (2025, 11, 27));
        assert_eq!(super::now().len(), "2026-11-27T06:00:00.000000Z".len());
    }
}
