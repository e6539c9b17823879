//! Intuit's OAuth 2.0 endpoints and the QBO Accounting API, over HTTP.
//! Stateless: the stored connection (`connection/`) hands it tokens.
//! Replies are sorted by what they mean for a push: a `Fault` (also inside a
//! 200) means nothing was created; 401 means the token was refused; 429 is
//! throttling (its body is XML even when JSON was asked); a 5xx, a timeout
//! or an unreadable reply leave the outcome unknown.
//!
//! This file holds the calls; app.rs the app's registration and keys,
//! errors.rs the errors and how a reply is sorted into them.

mod app;
mod errors;

pub use app::{QboApp, QboKeys, Tokens};
use errors::transport;
pub use errors::{classify, FaultError, QboError};

use super::Environment;
use serde_json::Value;
use std::time::Duration;

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
