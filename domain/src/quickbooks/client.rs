//! Intuit's OAuth 2.0 endpoints and the QBO Accounting API, over HTTP.
//! Stateless: the stored connection (`connection.rs`) hands it tokens.
//! Replies are sorted by what they mean for a push: a `Fault` (also inside a
//! 200) means nothing was created; 401 means the token was refused; 429 is
//! throttling (its body is XML even when JSON was asked); a 5xx, a timeout
//! or an unreadable reply leave the outcome unknown.
//!
//! Over 400 lines on purpose: one client for Intuit's API (OAuth token calls,
//! the query endpoint, purchase orders, error bodies), each call beside the
//! error mapping it needs.

use super::Environment;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The Intuit app this server is registered as, and where Intuit lives.
#[derive(Clone)]
pub struct QboApp {
    /// Production API base, `https://quickbooks.api.intuit.com`.
    pub api_url: String,
    /// Sandbox API base, `https://sandbox-quickbooks.api.intuit.com`.
    pub sandbox_api_url: String,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    /// Intuit's keys for production companies, and for sandbox companies
    /// (Intuit issues one pair for each); a company type without keys
    /// cannot be connected.
    pub production: Option<QboKeys>,
    pub sandbox: Option<QboKeys>,
    /// `{NEXOS_PUBLIC_URL}/integrations/qbo/callback`, as registered with Intuit.
    pub redirect_uri: String,
    /// Per request.
    pub timeout: Duration,
}

/// One Intuit key pair. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct QboKeys {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for QboKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboKeys").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for QboApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboApp")
            .field("api_url", &self.api_url)
            .field("sandbox_api_url", &self.sandbox_api_url)
            .field("auth_url", &self.auth_url)
            .field("production", &self.production)
            .field("sandbox", &self.sandbox)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl QboApp {
    /// The key pair for companies of this type.
    pub fn keys(&self, env: Environment) -> Option<&QboKeys> {
        match env {
            Environment::Production => self.production.as_ref(),
            Environment::Sandbox => self.sandbox.as_ref(),
        }
    }

    /// The company types this server has keys for, production first.
    pub fn environments(&self) -> Vec<Environment> {
        [Environment::Production, Environment::Sandbox]
            .into_iter()
            .filter(|e| self.keys(*e).is_some())
            .collect()
    }
}

/// What Intuit's token endpoint answers.
#[derive(Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default = "hour")]
    pub expires_in: u64,
    #[serde(default)]
    pub x_refresh_token_expires_in: u64,
}

fn hour() -> u64 {
    3600
}

/// One entry of a QBO `Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultError {
    pub code: String,
    pub message: String,
    pub detail: String,
    pub element: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QboError {
    /// Intuit refused the grant (a used or expired code, a revoked or rotated refresh token).
    InvalidGrant(String),
    /// The access token was refused.
    Unauthorized(String),
    /// QBO read the request and refused it; nothing was created.
    Fault { kind: String, errors: Vec<FaultError> },
    /// 429; wait this many seconds (when Intuit said).
    Throttled(Option<u64>),
    /// Sent, but whether QBO acted is not known (timeout, 5xx, unreadable reply).
    Unknown(String),
    /// Not sent: QuickBooks could not be reached.
    Unreachable(String),
    /// Not sent: this server has no Intuit keys for companies of this type.
    NoKeys(Environment),
}

impl QboError {
    /// The error in plain words, for the PO page and the timeline.
    pub fn plain(&self) -> String {
        match self {
            QboError::InvalidGrant(d) => format!("QuickBooks no longer accepts this connection ({d}); an admin connects it again in Settings."),
            QboError::Unauthorized(d) => format!("QuickBooks refused the access token ({d}); an admin connects it again in Settings."),
            QboError::Fault { errors, .. } => {
                let parts: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        let mut s = e.message.clone();
                        if !e.detail.is_empty() && e.detail != e.message {
                            s.push_str(": ");
                            s.push_str(&e.detail);
                        }
                        if !e.element.is_empty() {
                            s.push_str(&format!(" (field {})", e.element));
                        }
                        s
                    })
                    .collect();
                format!("QuickBooks refused it: {}", parts.join("; "))
            }
            QboError::Throttled(Some(s)) => format!("QuickBooks is throttling requests (429); it asked to wait {s} s."),
            QboError::Throttled(None) => "QuickBooks is throttling requests (429).".to_string(),
            QboError::Unknown(d) => format!("No clear answer from QuickBooks ({d}); a retry will not create a second purchase order."),
            QboError::Unreachable(d) => format!("QuickBooks could not be reached ({d})."),
            QboError::NoKeys(env) => format!(
                "This server has no Intuit keys for {} companies ({}); the operator sets them and restarts, or an admin connects another company.",
                env.as_str(),
                match env {
                    Environment::Production => "QBO_CLIENT_ID and QBO_CLIENT_SECRET",
                    Environment::Sandbox => "QBO_SANDBOX_CLIENT_ID and QBO_SANDBOX_CLIENT_SECRET",
                }
            ),
        }
    }

    /// A transient failure worth retrying by itself later.
    pub fn transient(&self) -> bool {
        matches!(self, QboError::Throttled(_) | QboError::Unknown(_) | QboError::Unreachable(_))
    }

    /// A `Fault` with this error code.
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, QboError::Fault { errors, .. } if errors.iter().any(|e| e.code == code))
    }
}

/// QBO's code for "Duplicate Document Number Error".
pub const DUPLICATE_DOC_NUMBER: &str = "6140";
/// QBO's largest `MAXRESULTS`.
const PAGE: usize = 1000;
/// Pages read before giving up on a list (a server that ignores `STARTPOSITION`).
const MAX_PAGES: usize = 200;

pub struct QboClient {
    app: QboApp,
    http: reqwest::Client,
}

impl QboClient {
    pub fn new(app: QboApp) -> QboClient {
        let http = reqwest::Client::builder()
            .timeout(app.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        QboClient { app, http }
    }

    pub fn app(&self) -> &QboApp {
        &self.app
    }

    fn keys(&self, env: Environment) -> Result<&QboKeys, QboError> {
        self.app.keys(env).ok_or(QboError::NoKeys(env))
    }

    /// Where the admin's browser goes to grant access to a company of type `env`.
    pub fn authorize_url(&self, env: Environment, state: &str) -> Result<String, QboError> {
        let keys = self.keys(env)?;
        let mut url = reqwest::Url::parse(&self.app.auth_url).expect("QBO_AUTH_URL is checked at start");
        url.query_pairs_mut()
            .append_pair("client_id", &keys.client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", "com.intuit.quickbooks.accounting")
            .append_pair("redirect_uri", &self.app.redirect_uri)
            .append_pair("state", state);
        Ok(url.to_string())
    }

    async fn token_call(&self, env: Environment, form: &[(&str, &str)]) -> Result<Tokens, QboError> {
        let keys = self.keys(env)?;
        let res = self
            .http
            .post(&self.app.token_url)
            .basic_auth(&keys.client_id, Some(&keys.client_secret))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(transport)?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(transport)?;
        match status {
            200..=299 => serde_json::from_str(&text).map_err(|_| QboError::Unknown("the token reply is not the expected JSON".into())),
            400 | 401 => {
                let error = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v.get("error").and_then(Value::as_str).map(String::from))
                    .unwrap_or_else(|| format!("{status}"));
                if error == "invalid_client" {
                    Err(QboError::Unauthorized("Intuit refused this server's client id and secret".into()))
                } else {
                    Err(QboError::InvalidGrant(error))
                }
            }
            429 => Err(QboError::Throttled(None)),
            _ => Err(QboError::Unreachable(format!("Intuit's token endpoint answered {status}"))),
        }
    }

    /// Trades the callback's authorization code for tokens.
    pub async fn exchange_code(&self, env: Environment, code: &str) -> Result<Tokens, QboError> {
        self.token_call(
            env,
            &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &self.app.redirect_uri)],
        )
        .await
    }

    /// A new access token; Intuit may rotate the refresh token, which must then be saved.
    pub async fn refresh(&self, env: Environment, refresh_token: &str) -> Result<Tokens, QboError> {
        self.token_call(env, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    /// Revokes a token (and the grant behind it), with the key pair it was issued to.
    pub async fn revoke(&self, env: Environment, token: &str) -> Result<(), QboError> {
        let keys = self.keys(env)?;
        let res = self
            .http
            .post(&self.app.revoke_url)
            .basic_auth(&keys.client_id, Some(&keys.client_secret))
            .header("accept", "application/json")
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .map_err(transport)?;
        match res.status().as_u16() {
            200..=299 => Ok(()),
            s => Err(QboError::Unreachable(format!("Intuit's revoke endpoint answered {s}"))),
        }
    }

    fn company_url(&self, env: Environment, realm: &str, rest: &str) -> String {
        let base = match env {
            Environment::Production => &self.app.api_url,
            Environment::Sandbox => &self.app.sandbox_api_url,
        };
        format!("{}/v3/company/{realm}/{rest}", base.trim_end_matches('/'))
    }

    async fn send(&self, req: reqwest::RequestBuilder, access: &str) -> Result<Value, QboError> {
        let res = req.bearer_auth(access).header("accept", "application/json").send().await.map_err(transport)?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let text = res.text().await.map_err(transport)?;
        classify(status, retry_after, &text)
    }

    /// `POST purchaseorder`; `request_id` makes a repeat return the first answer.
    pub async fn create_purchase_order(&self, env: Environment, realm: &str, access: &str, body: &Value, request_id: &str) -> Result<Value, QboError> {
        let url = self.company_url(env, realm, "purchaseorder");
        let req = self.http.post(url).query(&[("minorversion", "75"), ("requestid", request_id)]).json(body);
        let v = self.send(req, access).await?;
        match v.get("PurchaseOrder") {
            Some(po) if po.get("Id").and_then(Value::as_str).is_some() => Ok(po.clone()),
            _ => Err(QboError::Unknown("the reply has no PurchaseOrder Id".into())),
        }
    }

    /// Runs a QBO query; returns the `QueryResponse` object.
    pub async fn query(&self, env: Environment, realm: &str, access: &str, query: &str) -> Result<Value, QboError> {
        let req = self
            .http
            .get(self.company_url(env, realm, "query"))
            .query(&[("query", query), ("minorversion", "75")]);
        let v = self.send(req, access).await?;
        Ok(v.get("QueryResponse").cloned().unwrap_or(Value::Null))
    }

    /// Every `entity` row of `select * from {entity}{filter}`, page by page
    /// (`STARTPOSITION`, `MAXRESULTS` of at most 1,000) until a short page.
    pub async fn query_all(&self, env: Environment, realm: &str, access: &str, entity: &str, filter: &str) -> Result<Vec<Value>, QboError> {
        let mut out: Vec<Value> = Vec::new();
        for _ in 0..MAX_PAGES {
            let q = format!("select * from {entity}{filter} STARTPOSITION {} MAXRESULTS {PAGE}", out.len() + 1);
            let r = self.query(env, realm, access, &q).await?;
            let page = r.get(entity).and_then(Value::as_array).cloned().unwrap_or_default();
            let n = page.len();
            out.extend(page);
            if n < PAGE {
                return Ok(out);
            }
        }
        Err(QboError::Unknown(format!("more than {} {entity} rows", MAX_PAGES * PAGE)))
    }

    /// Every purchase order with this `DocNumber` (QBO may allow several).
    pub async fn find_purchase_orders(&self, env: Environment, realm: &str, access: &str, doc_number: &str) -> Result<Vec<Value>, QboError> {
        let filter = format!(" where DocNumber = '{}'", doc_number.replace('\\', "\\\\").replace('\'', "\\'"));
        self.query_all(env, realm, access, "PurchaseOrder", &filter).await
    }

    /// `GET /v3/company/{realm}/{rest}`: the object under `key`.
    async fn read(&self, env: Environment, realm: &str, access: &str, rest: &str, key: &str) -> Result<Value, QboError> {
        let req = self.http.get(self.company_url(env, realm, rest)).query(&[("minorversion", "75")]);
        let v = self.send(req, access).await?;
        v.get(key).cloned().ok_or_else(|| QboError::Unknown(format!("the reply has no {key}")))
    }

    /// The connected company's `CompanyInfo` (`CompanyName`, `Country`).
    pub async fn company_info(&self, env: Environment, realm: &str, access: &str) -> Result<Value, QboError> {
        self.read(env, realm, access, &format!("companyinfo/{realm}"), "CompanyInfo").await
    }

    /// The company's `Preferences` (`CurrencyPrefs`).
    pub async fn preferences(&self, env: Environment, realm: &str, access: &str) -> Result<Value, QboError> {
        self.read(env, realm, access, "preferences", "Preferences").await
    }

    /// A `Vendor` (its `CurrencyRef`).
    pub async fn vendor(&self, env: Environment, realm: &str, access: &str, id: &str) -> Result<Value, QboError> {
        let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        self.read(env, realm, access, &format!("vendor/{id}"), "Vendor").await
    }
}

/// A transport failure: before sending (connect) nothing happened; after, anything may have.
fn transport(e: reqwest::Error) -> QboError {
    if e.is_connect() {
        QboError::Unreachable(format!("cannot connect: {e}"))
    } else if e.is_timeout() {
        QboError::Unknown("no reply in time".into())
    } else {
        QboError::Unknown(format!("the reply was lost: {e}"))
    }
}

/// Sorts a reply by what it means (see the module doc).
pub fn classify(status: u16, retry_after: Option<u64>, text: &str) -> Result<Value, QboError> {
    let json: Option<Value> = serde_json::from_str(text).ok();
    let fault = json.as_ref().and_then(fault_of);
    match status {
        200..=299 => match (json, fault) {
            (_, Some(f)) => Err(f),
            (Some(v), None) => Ok(v),
            (None, None) => Err(QboError::Unknown(format!("QuickBooks answered {status} with a body that is not JSON"))),
        },
        401 => Err(QboError::Unauthorized(match fault {
            Some(QboError::Fault { errors, .. }) if !errors.is_empty() => errors[0].detail.clone(),
            _ => "401".to_string(),
        })),
        429 => Err(QboError::Throttled(retry_after)),
        500..=599 => Err(QboError::Unknown(format!("QuickBooks answered {status}"))),
        _ => Err(fault.unwrap_or_else(|| QboError::Fault {
            kind: String::new(),
            errors: vec![FaultError {
                code: status.to_string(),
                message: format!("HTTP {status}"),
                detail: text.chars().take(200).collect(),
                element: String::new(),
            }],
        })),
    }
}

/// A `Fault` body (`Fault.Error[]`, or the lowercase `fault.error[]` of 401s).
fn fault_of(v: &Value) -> Option<QboError> {
    let f = v.get("Fault").or_else(|| v.get("fault"))?;
    let errors = f.get("Error").or_else(|| f.get("error")).and_then(Value::as_array).cloned().unwrap_or_default();
    let text = |e: &Value, k: &str| {
        e.get(k)
            .or_else(|| e.get(k.to_lowercase()))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Some(QboError::Fault {
        kind: f.get("type").and_then(Value::as_str).unwrap_or_default().to_string(),
        errors: errors
            .iter()
            .map(|e| FaultError {
                code: text(e, "code"),
                message: text(e, "Message"),
                detail: text(e, "Detail"),
                element: text(e, "element"),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_sorted_by_meaning() {
        let fault = r#"{"Fault":{"Error":[{"Message":"Invalid Reference Id","Detail":"Vendor 9 was deleted","code":"2500","element":"VendorRef"}],"type":"ValidationFault"},"time":"t"}"#;
        let e = classify(400, None, fault).unwrap_err();
        assert!(e.has_code("2500") && !e.transient());
        assert_eq!(e.plain(), "QuickBooks refused it: Invalid Reference Id: Vendor 9 was deleted (field VendorRef)");
        assert_eq!(classify(200, None, fault).unwrap_err(), e, "a Fault inside a 200 is still a Fault");
        let xml = r#"<?xml version="1.0"?><IntuitResponse><Fault type="SERVICE"><Error code="003001"/></Fault></IntuitResponse>"#;
        assert_eq!(classify(429, Some(7), xml).unwrap_err(), QboError::Throttled(Some(7)));
        let expired = r#"{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: abc","code":"3200"}],"type":"AUTHENTICATION"}}"#;
        assert_eq!(classify(401, None, expired).unwrap_err(), QboError::Unauthorized("Token expired: abc".into()));
        assert!(classify(503, None, "").unwrap_err().transient());
        assert!(matches!(classify(200, None, "<html>").unwrap_err(), QboError::Unknown(_)));
        assert_eq!(classify(200, None, r#"{"PurchaseOrder":{"Id":"1"}}"#).unwrap()["PurchaseOrder"]["Id"], "1");
    }
}
