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
//! This file holds the fake's state and its handle; faults.rs the faults and
//! load conditions, replies.rs Pax8's envelopes and ids, orders.rs and
//! catalog.rs the routes.

// Helpers return the response to send as their error, as axum handlers do.
#![allow(clippy::result_large_err)]

mod catalog;
mod faults;
mod orders;
mod replies;
mod subscriptions;
#[cfg(test)]
mod subscriptions_tests;

pub(crate) use faults::before;
use faults::Bucket;
pub use faults::{Conditions, Fault, Route};
pub(crate) use replies::{authorized, new_id, now, page_of, pax8_error, today};
pub use subscriptions::CommitmentRules;
pub(crate) use subscriptions::Sub;

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// The audience of partner endpoints (REFERENCES.md, Pax8 authentication).
pub const PARTNER_AUDIENCE: &str = "https://api.pax8.com";
/// The legacy audience still listed in the token endpoint's enum.
pub const LEGACY_AUDIENCE: &str = "api://p8p.client";

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
    /// What its commitment allows (`/dependencies`).
    pub commitment_rules: CommitmentRules,
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
    /// One per write to a subscription (the reference is silent on
    /// repeats: each is a new change, billed).
    billing_lines: Vec<Value>,
    /// Writes to subscriptions that were applied.
    writes_applied: usize,
    /// Refusals of subscription writes answer `{"errors": [...]}`.
    errors_list_refusals: bool,
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
            .route("/v1/subscriptions", get(subscriptions::list))
            .route(
                "/v1/subscriptions/{id}",
                get(subscriptions::get_one)
                    .put(subscriptions::update_detached)
                    .delete(subscriptions::cancel_detached),
            )
            .route("/v1/subscriptions/{id}/history", get(subscriptions::history))
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

    /// A subscription made before (in the portal, or by another tool):
    /// `Active`, `commitment` as `(term, endDate)`. Its id.
    pub fn add_subscription(&self, company: &str, product: &str, quantity: i64, billing_term: &str, commitment: Option<(&str, &str)>) -> String {
        let id = new_id(&mut self.st.lock().unwrap(), "sub-");
        self.add_subscription_as(&id, company, product, quantity, billing_term, commitment);
        id
    }

    /// [`FakePax8::add_subscription`] with its id given (the demo's, the
    /// same at every start).
    pub fn add_subscription_as(&self, id: &str, company: &str, product: &str, quantity: i64, billing_term: &str, commitment: Option<(&str, &str)>) {
        let mut s = self.st.lock().unwrap();
        s.seq += 1;
        let commitment = commitment.map(|(term, end)| (new_id(&mut s, "ct-"), term.to_string(), end.to_string()));
        let seq = s.seq;
        let mut sub = Sub::new(id, company, product, quantity, billing_term, commitment, seq);
        sub.settled = true;
        s.subs.insert(id.to_string(), sub);
    }

    /// A seat count changed by a person in Pax8's portal.
    pub fn change_in_portal(&self, id: &str, quantity: i64) {
        self.st.lock().unwrap().record_change(id, |sub| sub.quantity = quantity);
    }

    /// A commitment's end moved (the term renewed).
    pub fn set_commitment_end(&self, id: &str, end: &str) {
        if let Some(sub) = self.st.lock().unwrap().subs.get_mut(id) {
            if let Some(c) = sub.commitment.as_mut() {
                c.2 = end.to_string();
            }
        }
    }

    /// A subscription as `GET /subscriptions/{id}` shows it (no poll counted).
    pub fn subscription(&self, id: &str) -> Option<Value> {
        let s = self.st.lock().unwrap();
        s.subs.get(id).map(|sub| sub.json(&s))
    }

    /// Every subscription of the company, as listed.
    pub fn subscriptions_of(&self, company: &str) -> Vec<Value> {
        let s = self.st.lock().unwrap();
        s.subs.values().filter(|x| x.company_id == company).map(|sub| sub.json(&s)).collect()
    }

    /// What the product's commitment allows from now on.
    pub fn set_commitment_rules(&self, product: &str, rules: CommitmentRules) {
        let mut s = self.st.lock().unwrap();
        if let Some((_, r)) = s.products.iter_mut().find(|(p, _)| p == product) {
            r.commitment_rules = rules;
        }
    }

    /// Refusals of subscription writes answer `{"errors": [...]}` from now on.
    pub fn refuse_with_errors_list(&self, on: bool) {
        self.st.lock().unwrap().errors_list_refusals = on;
    }

    /// Writes to subscriptions applied (changes and cancellations).
    pub fn writes_applied(&self) -> usize {
        self.st.lock().unwrap().writes_applied
    }

    /// A billing line per applied write, oldest first.
    pub fn billing_lines(&self) -> Vec<Value> {
        self.st.lock().unwrap().billing_lines.clone()
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
