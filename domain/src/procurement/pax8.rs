//! The Pax8 partner API client: OAuth client credentials (token cached until
//! near expiry), orders, subscriptions; the catalog (companies, products)
//! is in `pax8_catalog.rs`, Pax8's JSON in `pax8_wire.rs`.
//!
//! How answers are sorted (Pax8 documents 200 and 422 for `POST /orders`,
//! errors 400/401/403/404/408/422/429/500 in general, and no idempotency
//! key): 401 refreshes the token once; 429 is waited out (Retry-After, not
//! documented, read when present); 400, 404 and 422 are refusals; for an
//! order, anything else (408, 5xx, a status Pax8 does not document, a lost
//! or unreadable reply) is an unknown outcome for the engine to reconcile,
//! never a refusal. Reads retry transient failures a few times.
//!
//! This file holds the client (token, calls, retries) and the Distributor
//! impl; the orders and subscriptions are in pax8_orders.rs, the catalog in
//! pax8_catalog.rs, the JSON reading in pax8_wire.rs.

use super::distributor::*;
use super::pax8_wire as wire;
use super::OrderRequest;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Pax8's current audience for partner endpoints (the token endpoint's
/// enum still lists the legacy `api://p8p.client`).
pub const DEFAULT_AUDIENCE: &str = "https://api.pax8.com";

#[derive(Clone)]
pub struct Pax8Config {
    /// `https://api.pax8.com/v1`
    pub api_url: String,
    pub token_url: String,
    /// `https://api.pax8.com` (`PAX8_AUDIENCE`).
    pub audience: String,
    pub client_id: String,
    pub client_secret: String,
    /// Per request.
    pub timeout: Duration,
    /// The longest Retry-After honoured before giving up.
    pub max_wait: Duration,
}

impl std::fmt::Debug for Pax8Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pax8Config")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("audience", &self.audience)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

pub struct Pax8 {
    cfg: Pax8Config,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
    /// Companies seen `Active` recently (id → when), so that the check
    /// before each first send costs one call per company, not per order.
    pub(super) active: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    /// Every company, for the picker, briefly (Pax8 has no name filter).
    pub(super) companies: Mutex<Option<(Vec<RemoteCompany>, Instant)>>,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

/// Query parameters, URL-encoded by the client.
pub(super) type Query<'a> = &'a [(&'a str, String)];

impl Pax8 {
    pub fn new(cfg: Pax8Config) -> Pax8 {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        Pax8 {
            cfg,
            http,
            token: Mutex::new(None),
            active: Default::default(),
            companies: Mutex::new(None),
        }
    }

    /// A token, fetched when missing or within a minute of expiry.
    async fn token(&self, refresh: bool) -> Result<String, DistError> {
        let mut cached = self.token.lock().await;
        if let Some((t, until)) = cached.as_ref() {
            if !refresh && Instant::now() < *until {
                return Ok(t.clone());
            }
        }
        let body = serde_json::json!({"client_id": self.cfg.client_id, "client_secret": self.cfg.client_secret, "audience": self.cfg.audience, "grant_type": "client_credentials"});
        let res = self.http.post(&self.cfg.token_url).json(&body).send().await.map_err(transport)?;
        let status = res.status().as_u16();
        if status == 401 || status == 403 || status == 400 {
            return Err(DistError::Unauthorized(format!(
                "Pax8 refused the client id and secret ({status}) for the audience {}.",
                self.cfg.audience
            )));
        }
        if !(200..300).contains(&status) {
            return Err(DistError::Unreachable(format!("the Pax8 token endpoint answered {status}")));
        }
        let reply: TokenReply = res.json().await.map_err(|e| DistError::Unreachable(format!("unreadable token reply: {e}")))?;
        let lifetime = Duration::from_secs(reply.expires_in.saturating_sub(60).max(1));
        *cached = Some((reply.access_token.clone(), Instant::now() + lifetime));
        Ok(reply.access_token)
    }

    /// Reads (`GET`): transient failures are retried, and what still fails
    /// changed nothing at Pax8.
    pub(super) async fn get(&self, path: &str, query: Query<'_>) -> Result<Value, DistError> {
        self.call(reqwest::Method::GET, path, query, None, None).await
    }

    /// Sends a request with the token; handles 401, 429 and (for reads) transient failures.
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: Query<'_>,
        body: Option<&Value>,
        order: Option<&OrderRequest>,
    ) -> Result<Value, DistError> {
        let url = format!("{}{}", self.cfg.api_url.trim_end_matches('/'), path);
        // A read, or an order Pax8 only validates (isMock), changes nothing:
        // it is retried on a transient failure, and what still fails is
        // "nothing happened", never an unknown outcome.
        let is_read = method == reqwest::Method::GET || query.iter().any(|(k, v)| *k == "isMock" && v == "true");
        let mut refreshed = false;
        let mut waited = Duration::ZERO;
        let mut tries = 0u64;
        loop {
            let token = self.token(false).await?;
            let mut req = self.http.request(method.clone(), &url).bearer_auth(&token).query(query);
            if let Some(b) = body {
                req = req.json(b);
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(_) if is_read && tries < 3 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                    continue;
                }
                Err(e) if is_read => return Err(DistError::Unreachable(format!("no answer from Pax8: {e}"))),
                Err(e) => return Err(transport(e)),
            };
            let status = res.status().as_u16();
            match status {
                200..=299 => {
                    let text = res.text().await.map_err(transport)?;
                    // `DELETE /subscriptions/{id}` answers 204 with no body.
                    if text.trim().is_empty() && (status == 204 || method == reqwest::Method::DELETE) {
                        return Ok(Value::Null);
                    }
                    return match serde_json::from_str(&text) {
                        Ok(v) => Ok(v),
                        Err(_) if is_read && tries < 3 => {
                            tries += 1;
                            continue;
                        }
                        Err(_) if is_read => Err(DistError::Unreachable(format!("Pax8 answered {status} with a body that is not JSON"))),
                        Err(_) => Err(DistError::Unknown(format!("Pax8 answered {status} with a body that is not JSON"))),
                    };
                }
                401 if !refreshed => {
                    refreshed = true;
                    self.token(true).await?;
                }
                401 | 403 => return Err(DistError::Unauthorized(format!("Pax8 refused the token ({status})."))),
                429 => {
                    let wait = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                        .unwrap_or(Duration::from_secs(2))
                        // "Retry-After: 0" would otherwise spin.
                        .max(Duration::from_millis(250));
                    if waited + wait > self.cfg.max_wait {
                        return Err(DistError::Unreachable(if is_read {
                            "Pax8 kept answering 429 (rate limited)".into()
                        } else {
                            "Pax8 rate limit: the order was not accepted yet".into()
                        }));
                    }
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
                400 | 404 | 422 => {
                    let text = res.text().await.unwrap_or_default();
                    return Err(DistError::Rejected {
                        problems: wire::problems(&text, order),
                        status,
                    });
                }
                _ if is_read && tries < 3 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                _ if is_read => return Err(DistError::Unreachable(format!("Pax8 answered {status}"))),
                // 408, 5xx and any status Pax8 does not document for a write.
                _ => return Err(DistError::Unknown(format!("Pax8 answered {status}"))),
            }
        }
    }
}

/// A transport failure: before sending (connect) nothing happened; after, anything may have.
fn transport(e: reqwest::Error) -> DistError {
    if e.is_connect() {
        DistError::Unreachable(format!("cannot connect to Pax8: {e}"))
    } else {
        DistError::Unknown(format!("no reply from Pax8: {e}"))
    }
}

impl Distributor for Pax8 {
    fn name(&self) -> &'static str {
        "Pax8"
    }

    fn test_connection(&self) -> BoxFuture<'_, Result<(), DistError>> {
        Box::pin(async move {
            self.token(true).await?;
            // A token for the wrong audience or scope is refused here.
            self.get("/companies", &[("page", "0".into()), ("size", "1".into())]).await.map(|_| ())
        })
    }

    /// Room for three requests (a token, the order, and after a 401 the
    /// order again with the token usually cached) and the waits after 429
    /// (at most `max_wait`); `place_order` cuts the call there.
    fn longest_call(&self) -> Duration {
        self.cfg.timeout * 3 + self.cfg.max_wait
    }

    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<PlacedOrder, DistError>> {
        Box::pin(self.place(order))
    }

    fn validate_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<(), DistError>> {
        Box::pin(self.validate(order))
    }

    fn order_census<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<OrderCensus, DistError>> {
        Box::pin(self.census(company_id))
    }

    fn new_orders<'a>(&'a self, company_id: &'a str, before: Option<&'a OrderCensus>, since: NaiveDate) -> BoxFuture<'a, Result<Vec<PlacedOrder>, DistError>> {
        Box::pin(self.orders_since(company_id, before, since))
    }

    fn order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<PlacedOrder, DistError>> {
        Box::pin(self.order_by_id(id))
    }

    fn subscription<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<SubscriptionState, DistError>> {
        Box::pin(self.subscription_state(id))
    }

    fn company_subscriptions<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<Vec<SubscriptionState>, DistError>> {
        Box::pin(self.subscriptions_of(company_id))
    }

    fn change_seats<'a>(&'a self, id: &'a str, quantity: i64) -> BoxFuture<'a, Result<SubscriptionState, DistError>> {
        Box::pin(self.put_quantity(id, quantity))
    }

    fn cancel_subscription<'a>(&'a self, id: &'a str, cancel_date: Option<&'a str>) -> BoxFuture<'a, Result<(), DistError>> {
        Box::pin(self.delete_subscription(id, cancel_date))
    }

    fn subscription_history<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Vec<SubscriptionState>, DistError>> {
        Box::pin(self.history_of(id))
    }

    fn commitment_rules<'a>(&'a self, product_id: &'a str) -> BoxFuture<'a, Result<Vec<CommitmentRules>, DistError>> {
        Box::pin(self.rules_of(product_id))
    }

    fn company<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<RemoteCompany, DistError>> {
        Box::pin(self.company_status(id))
    }

    fn find_companies<'a>(&'a self, query: &'a str) -> BoxFuture<'a, Result<Vec<RemoteCompany>, DistError>> {
        Box::pin(self.companies_named(query))
    }

    fn find_products<'a>(&'a self, query: &'a str, page: u64) -> BoxFuture<'a, Result<RemotePage<RemoteProduct>, DistError>> {
        Box::pin(self.products_page(query, page))
    }

    fn product_requirements<'a>(&'a self, product_id: &'a str) -> BoxFuture<'a, Result<ProductRequirements, DistError>> {
        Box::pin(self.requirements(product_id))
    }
}

/// An id as one path segment (percent-encoded).
pub(super) fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
