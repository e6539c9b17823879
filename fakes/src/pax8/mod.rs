//! A fake Pax8 partner API, written from Pax8's partner OpenAPI (mirrored
//! in `api-evangelist/pax8`, `openapi/_original/pax8-partner-endpoints-openapi.json`)
//! and developer docs, not from our client. Each behaviour names the fact
//! it follows; where the docs are silent it takes the least convenient
//! reading:
//!
//! - token: `POST /v1/token` JSON `{client_id, client_secret, audience,
//!   grant_type}`; partner endpoints accept only tokens for the audience
//!   `https://api.pax8.com` (the legacy `api://p8p.client` gets a token,
//!   then 403 on every call); `expires_in` 86,400.
//! - `Order.createdDate` is `format: date` ("2020-12-01"), no time.
//! - `GET /orders`, `/companies`, `/products`: `page` (0-based), `size`
//!   (default 10, at most 200), `{content, page: {size, totalElements,
//!   totalPages, number}}`; no order is documented, so lists come oldest
//!   first (the order that hides a new order from a reader of page 0).
//! - errors `{type, message, instance, status, details[]}`, each detail
//!   `{type, status, message, instance}` with no `field`; 422 for an
//!   invalid order.
//! - `POST /orders?isMock=true` validates without creating anything.
//! - subscription `status` takes every value of Pax8's enum; scripts per
//!   product decide the sequence. Order lines may come back without a
//!   `subscriptionId` until the order is read again (`LineItem` does not
//!   require it).
//! - companies are `Active`, `Inactive` or `Deleted`; orders are taken
//!   only for `Active` ones.
//!
//! Faults are scripted per route: a status (with Retry-After), a delay, a
//! reply lost after the order was made, a body that is not JSON, an expired
//! token. For load runs it can also add latency to every call, enforce a
//! requests-per-minute rate limit (429 with Retry-After) and inject faults
//! at random into a share of the calls.
//!
//! Over 400 lines on purpose: the fake's state, its faults and the routes of
//! Pax8's partner API, which orders.rs and catalog.rs serve.

// Helpers return the response to send as their error, as axum handlers do.
#![allow(clippy::result_large_err)]

mod catalog;
mod orders;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The audience of partner endpoints (REFERENCES.md, Pax8 authentication).
pub const PARTNER_AUDIENCE: &str = "https://api.pax8.com";
/// The legacy audience still listed in the token endpoint's enum.
pub const LEGACY_AUDIENCE: &str = "api://p8p.client";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    CreateOrder,
    /// `POST /orders?isMock=true`
    ValidateOrder,
    ListOrders,
    GetOrder,
    GetSubscription,
    GetCompany,
    ListCompanies,
    Products,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (with `Retry-After` seconds, for 429) and do nothing.
    Status(u16, Option<u64>),
    /// Hold the call this long before acting on it, then act and answer
    /// normally. Pax8 documents 408 and 5xx for its partner endpoints, so
    /// slow answers are real; an order call is acted on even when the
    /// caller has hung up meanwhile (a request Pax8 received is processed).
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
    /// A further share (0..1) of admitted order calls that are made and
    /// then answered 502 (an unclear outcome).
    pub unclear_ratio: f64,
    /// Share (0..1) of admitted order, validation, order-list, order and
    /// subscription calls held for [`Conditions::hold`] before they act
    /// (the order is still made when the caller has gone).
    pub hold_ratio: f64,
    pub hold: Duration,
}

/// A token bucket: `rate` per second, holding at most `burst`.
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

/// A product and what an order of it needs.
#[derive(Debug, Clone, Default)]
pub struct ProductRule {
    pub requires_commitment: bool,
    /// Provisioning detail keys an order must carry.
    pub required_details: Vec<String>,
    /// Keys Pax8 lists for the product but collects after the order (its
    /// subscriptions then wait in `WaitingForDetails`).
    pub later_details: Vec<String>,
    /// The product's name (the id when empty).
    pub name: String,
    /// Commitment terms `(id, term)` offered (`/dependencies`).
    pub commitments: Vec<(String, String)>,
    /// The statuses its subscriptions go through, one per read; the last
    /// stays. Empty: `PendingAutomated` for `activate_after` reads, then `Active`.
    pub statuses: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Sub {
    product_id: String,
    company_id: String,
    quantity: i64,
    polls: usize,
    cancelled: bool,
}

pub(crate) struct Company {
    id: String,
    name: String,
    status: String,
}

#[derive(Default)]
pub(crate) struct St {
    client_id: String,
    client_secret: String,
    /// Tokens issued, with their audience.
    tokens: Vec<(String, String)>,
    companies: Vec<Company>,
    products: Vec<(String, ProductRule)>,
    orders: Vec<Value>,
    /// Per order: reads of `GET /orders/{id}` still needed before its lines
    /// show their `subscriptionId`.
    hidden_subs: HashMap<String, u32>,
    /// Reads needed for orders made from now on.
    name_subs_after: u32,
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
    held: usize,
}

impl St {
    fn product(&self, id: &str) -> Option<&ProductRule> {
        self.products.iter().find(|(p, _)| p == id).map(|(_, r)| r)
    }
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
            .route("/v1/token", post(orders::token))
            .route("/v1/orders", post(orders::create_order_detached).get(orders::list_orders))
            .route("/v1/orders/{id}", get(orders::get_order))
            .route("/v1/subscriptions/{id}", get(orders::get_subscription))
            .route("/v1/companies", get(catalog::list_companies))
            .route("/v1/companies/{id}", get(catalog::get_company))
            .route("/v1/products", get(catalog::list_products))
            .route("/v1/products/{id}/provision-details", get(catalog::provision_details))
            .route("/v1/products/{id}/dependencies", get(catalog::dependencies))
            .route("/v1/products/{id}/pricing", get(catalog::pricing))
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

    /// An `Active` company named after its id.
    pub fn add_company(&self, id: &str) {
        self.add_company_named(id, &format!("Company {id}"), "Active");
    }

    /// A company with a name and a status (`Active`, `Inactive`, `Deleted`).
    pub fn add_company_named(&self, id: &str, name: &str, status: &str) {
        self.st.lock().unwrap().companies.push(Company {
            id: id.into(),
            name: name.into(),
            status: status.into(),
        });
    }

    /// Adds a product, or replaces the one with this id.
    pub fn add_product(&self, id: &str, rule: ProductRule) {
        let mut s = self.st.lock().unwrap();
        s.products.retain(|(p, _)| p != id);
        s.products.push((id.into(), rule));
    }

    /// `n` orders of the company made on `date` (YYYY-MM-DD) before anything
    /// else, as an MSP's long-standing customer has.
    pub fn add_older_orders(&self, company: &str, product: &str, n: usize, date: &str) {
        let mut s = self.st.lock().unwrap();
        for _ in 0..n {
            let id = new_id(&mut s, "ord-");
            let li = new_id(&mut s, "li-");
            let sub = new_id(&mut s, "sub-");
            s.orders
                .push(json!({"id": id, "companyId": company, "createdDate": date, "orderedBy": "Pax8 Partner",
                "lineItems": [{"id": li, "productId": product, "subscriptionId": sub, "billingTerm": "Monthly", "quantity": 10}]}));
        }
    }

    /// Orders made from now on name their subscriptions only after this many
    /// reads of `GET /orders/{id}` (their first answer has none).
    pub fn name_subscriptions_after(&self, reads: u32) {
        self.st.lock().unwrap().name_subs_after = reads;
    }

    /// The next request to `route` meets `fault` (faults queue up in order).
    pub fn fault(&self, route: Route, fault: Fault) {
        self.st.lock().unwrap().faults.entry(route).or_default().push_back(fault);
    }

    /// Polls of a new subscription before it is Active.
    pub fn activate_after(&self, polls: u32) {
        self.st.lock().unwrap().activate_after = polls;
    }

    /// Cancels a subscription (as a person at Pax8 would).
    pub fn cancel_subscription(&self, id: &str) {
        if let Some(s) = self.st.lock().unwrap().subs.get_mut(id) {
            s.cancelled = true;
        }
    }

    /// Every order made, as Pax8 would list them (older orders included).
    pub fn orders(&self) -> Vec<Value> {
        self.st.lock().unwrap().orders.clone()
    }

    /// Orders made through `POST /orders` since start (not the older ones added).
    pub fn orders_of(&self, company: &str) -> Vec<Value> {
        self.orders().into_iter().filter(|o| o["companyId"] == company).collect()
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

    /// Calls held by [`Conditions::hold_ratio`].
    pub fn held(&self) -> usize {
        self.st.lock().unwrap().held
    }

    /// Forgets issued tokens (as if they all expired).
    pub fn expire_tokens(&self) {
        self.st.lock().unwrap().tokens.clear();
    }
}

/// The `type` of Pax8's error envelope (errors/pax8-problem-types.yml:
/// NOT_FOUND, UNAUTHORIZED, FORBIDDEN, BAD_REQUEST, ...).
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        422 => "UNPROCESSABLE_ENTITY",
        429 => "TOO_MANY_REQUESTS",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

/// A list answer: `{content, page: {size, totalElements, totalPages, number}}`,
/// `size` at most 200 (default 10), pages from 0.
pub(crate) fn page_of(all: Vec<Value>, q: &HashMap<String, String>) -> Value {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let size: usize = q.get("size").and_then(|p| p.parse().ok()).unwrap_or(10).clamp(1, 200);
    let total = all.len();
    let total_pages = total.div_ceil(size);
    let content: Vec<Value> = all.into_iter().skip(page * size).take(size).collect();
    json!({"content": content, "page": {"size": size, "totalElements": total, "totalPages": total_pages, "number": page}})
}

pub(crate) fn pax8_error(status: u16, message: &str, instance: &str, details: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        code,
        Json(json!({"type": error_type(status), "message": message, "instance": instance, "status": status, "details": details})),
    )
        .into_response()
}

/// What happens to a call under the [`Conditions`]: admitted (perhaps with a
/// random fault), or refused by the rate limit after this many seconds.
enum Admission {
    /// A hold before acting, and a fault.
    Admitted(Duration, Option<Fault>),
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
    let holdable = matches!(
        route,
        Route::CreateOrder | Route::ValidateOrder | Route::ListOrders | Route::GetOrder | Route::GetSubscription
    );
    let hold = if holdable && s.conditions.hold_ratio > 0.0 && rand::random::<f64>() < s.conditions.hold_ratio {
        s.held += 1;
        s.conditions.hold
    } else {
        Duration::ZERO
    };
    let ratio = s.conditions.fault_ratio;
    if route != Route::Token && ratio > 0.0 && rand::random::<f64>() < ratio {
        s.injected += 1;
        let after = route == Route::CreateOrder && rand::random::<bool>();
        return Admission::Admitted(hold, Some(if after { Fault::FailAfter(502) } else { Fault::Status(503, None) }));
    }
    if route == Route::CreateOrder && s.conditions.unclear_ratio > 0.0 && rand::random::<f64>() < s.conditions.unclear_ratio {
        s.injected += 1;
        return Admission::Admitted(hold, Some(Fault::FailAfter(502)));
    }
    Admission::Admitted(hold, None)
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
    let hold = match admission {
        Admission::Admitted(hold, _) => hold,
        Admission::Throttled(_) => Duration::ZERO,
    };
    if !(latency + hold).is_zero() {
        tokio::time::sleep(latency + hold).await;
    }
    match admission {
        Admission::Throttled(secs) => {
            let mut res = pax8_error(429, "Rate limit exceeded", "/v1", json!([]));
            res.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            Err(res)
        }
        Admission::Admitted(_, random) => Ok(scripted.or(random)),
    }
}

/// Applies the faults that happen before any work; returns the rest.
pub(crate) async fn before(st: &Arc<Mutex<St>>, route: Route) -> Result<Option<Fault>, Response> {
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

pub(crate) fn authorized(st: &Arc<Mutex<St>>, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let s = st.lock().unwrap();
    match s.tokens.iter().find(|(t, _)| t == token) {
        // Partner endpoints take tokens of the partner audience only
        // (REFERENCES.md: the current audience is https://api.pax8.com).
        Some((_, audience)) if audience == PARTNER_AUDIENCE => Ok(()),
        Some(_) => Err(pax8_error(403, "Forbidden: the token is not for the partner API", "/v1", json!([]))),
        None => Err(pax8_error(401, "Unauthorized: invalid or expired token", "/v1", json!([]))),
    }
}

pub(crate) fn new_id(st: &mut St, prefix: &str) -> String {
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

/// Today as Pax8 writes `Order.createdDate` (`format: date`).
pub(crate) fn today() -> String {
    now()[..10].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_419), (2025, 11, 27));
        assert_eq!(super::now().len(), "2026-11-27T06:00:00.000000Z".len());
        assert_eq!(super::today().len(), "2026-11-27".len());
    }
}
