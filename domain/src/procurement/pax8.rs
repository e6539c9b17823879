//! The Pax8 partner API client: OAuth client credentials (token cached until
//! near expiry), orders, subscriptions. 429 is waited out (Retry-After), 401
//! refreshes the token once, reads are retried on 5xx; an order whose reply
//! is lost is reported as `Unknown` for the engine to reconcile.

use super::distributor::{BoxFuture, DistError, Distributor, PlacedOrder, SubscriptionState};
use super::{OrderRequest, Problem};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct Pax8Config {
    /// `https://api.pax8.com/v1`
    pub api_url: String,
    pub token_url: String,
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
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

pub struct Pax8 {
    cfg: Pax8Config,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
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
        let body = json!({"client_id": self.cfg.client_id, "client_secret": self.cfg.client_secret, "audience": "api://p8p.client", "grant_type": "client_credentials"});
        let res = self.http.post(&self.cfg.token_url).json(&body).send().await.map_err(transport)?;
        let status = res.status().as_u16();
        if status == 401 || status == 403 || status == 400 {
            return Err(DistError::Unauthorized(format!("Pax8 refused the client id and secret ({status}).")));
        }
        if !(200..300).contains(&status) {
            return Err(DistError::Unreachable(format!("the Pax8 token endpoint answered {status}")));
        }
        let reply: TokenReply = res.json().await.map_err(|e| DistError::Unreachable(format!("unreadable token reply: {e}")))?;
        let lifetime = Duration::from_secs(reply.expires_in.saturating_sub(60).max(1));
        *cached = Some((reply.access_token.clone(), Instant::now() + lifetime));
        Ok(reply.access_token)
    }

    /// Sends a request with the token; handles 401, 429 and (for reads) 5xx.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, DistError> {
        let url = format!("{}{}", self.cfg.api_url.trim_end_matches('/'), path);
        let is_read = method == reqwest::Method::GET;
        let mut refreshed = false;
        let mut waited = Duration::ZERO;
        let mut server_errors = 0;
        loop {
            let token = self.token(false).await?;
            let mut req = self.http.request(method.clone(), &url).bearer_auth(&token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let res = match req.send().await {
                Ok(r) => r,
                Err(e) if is_read && !e.is_connect() && server_errors < 3 => {
                    server_errors += 1;
                    tokio::time::sleep(Duration::from_millis(200 * server_errors)).await;
                    continue;
                }
                Err(e) => return Err(transport(e)),
            };
            let status = res.status().as_u16();
            match status {
                200..=299 => {
                    let text = res.text().await.map_err(transport)?;
                    return serde_json::from_str(&text).map_err(|_| DistError::Unknown(format!("Pax8 answered {status} with a body that is not JSON")));
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
                        .unwrap_or(Duration::from_secs(2));
                    if waited + wait > self.cfg.max_wait {
                        return Err(if is_read {
                            DistError::Unreachable("Pax8 kept answering 429 (rate limited)".into())
                        } else {
                            DistError::Unreachable("Pax8 rate limit: the order was not accepted yet".into())
                        });
                    }
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
                500..=599 if is_read && server_errors < 3 => {
                    server_errors += 1;
                    tokio::time::sleep(Duration::from_millis(200 * server_errors)).await;
                }
                500..=599 => return Err(DistError::Unknown(format!("Pax8 answered {status}"))),
                _ => {
                    let text = res.text().await.unwrap_or_default();
                    return Err(DistError::Rejected {
                        problems: problems_from(&text),
                        status,
                    });
                }
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

/// Pax8's error body `{type, message, instance, status, details}` in plain words.
pub fn problems_from(body: &str) -> Vec<Problem> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return vec![Problem {
            field: String::new(),
            message: format!("Pax8 refused the request: {}", body.chars().take(200).collect::<String>()),
        }];
    };
    let mut out = Vec::new();
    if let Some(details) = v.get("details").and_then(|d| d.as_array()) {
        for d in details {
            match d {
                Value::String(s) => out.push(Problem {
                    field: String::new(),
                    message: s.clone(),
                }),
                Value::Object(o) => out.push(Problem {
                    field: o.get("field").and_then(|f| f.as_str()).unwrap_or_default().to_string(),
                    message: o.get("message").and_then(|m| m.as_str()).unwrap_or_default().to_string(),
                }),
                _ => {}
            }
        }
    }
    if out.is_empty() {
        let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("Pax8 refused the request.");
        out.push(Problem {
            field: String::new(),
            message: message.to_string(),
        });
    }
    out
}

fn order_from(v: &Value) -> Result<PlacedOrder, DistError> {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let id = s("id").ok_or_else(|| DistError::Unknown("Pax8's order reply has no id".into()))?;
    let lines = v
        .get("lineItems")
        .and_then(|l| l.as_array())
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i.get("productId").and_then(|x| x.as_str()).unwrap_or_default().to_string(),
                        i.get("quantity").and_then(|x| x.as_i64()).unwrap_or_default(),
                        i.get("subscriptionId").and_then(|x| x.as_str()).map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PlacedOrder {
        id,
        company_id: s("companyId").unwrap_or_default(),
        created_at: s("createdDate").unwrap_or_default(),
        lines,
    })
}

impl Distributor for Pax8 {
    fn name(&self) -> &'static str {
        "Pax8"
    }

    fn test_connection(&self) -> BoxFuture<'_, Result<(), DistError>> {
        Box::pin(async move { self.token(true).await.map(|_| ()) })
    }

    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<PlacedOrder, DistError>> {
        Box::pin(async move {
            let items: Vec<Value> = order
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "lineItemNumber": i + 1,
                        "productId": l.product_id,
                        "quantity": l.quantity,
                        "billingTerm": l.billing_term,
                        "commitmentTermId": l.commitment_term_id,
                        "provisioningDetails": l.provisioning_details.iter().map(|d| json!({"key": d.key, "values": d.values})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let body = json!({"companyId": order.company_id, "orderedBy": "Pax8 Partner", "lineItems": items});
            let v = self.call(reqwest::Method::POST, "/orders", Some(&body)).await?;
            order_from(&v)
        })
    }

    fn orders_since<'a>(&'a self, company_id: &'a str, since: &'a str) -> BoxFuture<'a, Result<Vec<PlacedOrder>, DistError>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for page in 0..20 {
                let v = self
                    .call(reqwest::Method::GET, &format!("/orders?companyId={company_id}&page={page}&size=50"), None)
                    .await?;
                for o in v.get("content").and_then(|c| c.as_array()).cloned().unwrap_or_default() {
                    let o = order_from(&o)?;
                    if o.created_at.as_str() >= since {
                        out.push(o);
                    }
                }
                let total = v.pointer("/page/totalPages").and_then(|t| t.as_u64()).unwrap_or(1);
                if page + 1 >= total {
                    break;
                }
            }
            Ok(out)
        })
    }

    fn subscription<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<SubscriptionState, DistError>> {
        Box::pin(async move {
            let v = self.call(reqwest::Method::GET, &format!("/subscriptions/{id}"), None).await?;
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_string();
            Ok(SubscriptionState {
                id: s("id"),
                product_id: s("productId"),
                quantity: v.get("quantity").and_then(|q| q.as_i64()).unwrap_or_default(),
                status: s("status"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pax8_errors_in_plain_words() {
        let p = super::problems_from(
            r#"{"type":"validation","message":"Invalid order","instance":"/v1/orders","status":422,"details":[{"field":"lineItems[0].commitmentTermId","message":"is required for this product"}]}"#,
        );
        assert_eq!(
            (p[0].field.as_str(), p[0].message.as_str()),
            ("lineItems[0].commitmentTermId", "is required for this product")
        );
        let p = super::problems_from(r#"{"message":"Company not found","status":404}"#);
        assert_eq!(p[0].message, "Company not found");
        assert!(super::problems_from("<html>").first().unwrap().message.contains("<html>"));
    }
}
