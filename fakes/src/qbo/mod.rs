//! A fake QuickBooks Online: Intuit's OAuth 2.0 endpoints (consent page,
//! single-use authorization codes, access tokens that really expire, refresh
//! tokens that rotate on every use, revocation) and the Accounting API subset
//! NEXOS uses (create PurchaseOrder with `requestid` idempotency, paged
//! queries, CompanyInfo, Preferences, Vendor). Bodies are Intuit's: `Fault`
//! objects for API errors, the lowercase `fault` Intuit sends with a 401, XML
//! for throttling. Faults are scripted per route. The company is a US one
//! ([`FakeQbo::start`]) or a UK one ([`FakeQbo::start_uk`], `company.rs`);
//! queries are in `query.rs`.
//!
//! This file holds the fake's state and its handle; faults.rs the scripted
//! faults, replies.rs Intuit's reply bodies and the token check, oauth.rs,
//! accounting.rs, company.rs and query.rs the routes.

// Helpers return the response to send as their error, as axum handlers do.
#![allow(clippy::result_large_err)]

use crate::pax8::now;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod accounting;
mod company;
mod faults;
mod oauth;
mod query;
mod replies;
pub use company::Company;
use faults::before;
pub use faults::{QboFault, QboRoute};
use replies::{api_auth, bad_body, invalid, random, reply};

const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";
const AP: &str = "Accounts Payable";
const MISSING: &str = "Required param missing, need to supply the required value for the API";
const BAD_REF: &str = "Invalid Reference Id";

struct Code {
    redirect_uri: String,
    /// The app the code was issued to: only it may trade the code (RFC 6749 §4.1.3).
    client_id: String,
    expires: Instant,
    used: bool,
}

/// A QBO vendor: (id, DisplayName, CurrencyRef.value).
type Vendor = (String, String, String);

#[derive(Default)]
struct St {
    /// Intuit apps (client id, secret) known here: Intuit issues one key pair
    /// for sandbox companies and another for production (Intuit, "Get your
    /// app's credentials"); the first is the app the fake started with.
    apps: Vec<(String, String)>,
    realm: String,
    company: Company,
    vendors: Vec<Vendor>,
    /// (id, name, AccountType)
    accounts: Vec<(String, String, String)>,
    items: Vec<(String, String)>,
    codes: HashMap<String, Code>,
    /// Access token → (expiry, grant). A grant is one consent; its tokens share it.
    access: HashMap<String, (Instant, u64)>,
    /// Valid refresh tokens with their grant and the app they were issued to
    /// (a refresh token is bound to its client, RFC 6749 §6).
    refresh: Vec<(String, u64, String)>,
    /// The client id of each token endpoint call that authenticated, in order.
    token_clients: Vec<String>,
    /// A DocNumber used already is refused with 6140 (see `allow_duplicate_doc_numbers`).
    forbid_duplicates: bool,
    revoked: Vec<String>,
    access_ttl: u64,
    pos: Vec<Value>,
    /// "{realm}/{requestid}" → the first answer (status, body).
    replies: HashMap<String, (u16, Value)>,
    faults: HashMap<QboRoute, VecDeque<QboFault>>,
    requests: HashMap<QboRoute, usize>,
    grants: u64,
    next_po: u64,
}

type Shared = Arc<Mutex<St>>;

fn lock(st: &Shared) -> MutexGuard<'_, St> {
    st.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake. Dropping it stops the server.
pub struct FakeQbo {
    pub base: String,
    st: Shared,
    _served: crate::Served,
}

impl FakeQbo {
    /// Starts on 127.0.0.1 (`port` 0 for any) for an Intuit app with these
    /// credentials, with a US company (one currency, no VAT).
    pub async fn start(port: u16, client_id: &str, client_secret: &str) -> std::io::Result<FakeQbo> {
        Self::start_with(port, client_id, client_secret, Company::us()).await
    }

    /// [`start`](Self::start) with a UK company: not US (VAT codes on every
    /// line, `GlobalTaxCalculation`), multicurrency on, GBP at home.
    pub async fn start_uk(port: u16, client_id: &str, client_secret: &str) -> std::io::Result<FakeQbo> {
        Self::start_with(port, client_id, client_secret, Company::uk()).await
    }

    pub async fn start_with(port: u16, client_id: &str, client_secret: &str, company: Company) -> std::io::Result<FakeQbo> {
        let s = |v: &str| v.to_string();
        let st = Arc::new(Mutex::new(St {
            apps: vec![(s(client_id), s(client_secret))],
            realm: s(company.realm),
            vendors: company.vendors.iter().map(|(i, n, c)| (s(i), s(n), s(c))).collect(),
            company,
            accounts: vec![
                (s("33"), s("Accounts Payable (A/P)"), s(AP)),
                (s("7"), s("Software subscriptions"), s("Expense")),
                (s("8"), s("Hardware"), s("Cost of Goods Sold")),
            ],
            items: vec![(s("11"), s("Laptop"))],
            access_ttl: 3600,
            next_po: 130,
            forbid_duplicates: true,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/connect/oauth2", get(oauth::authorize))
            .route("/connect/oauth2/consent", post(oauth::consent_form))
            .route("/oauth2/v1/tokens/bearer", post(oauth::token))
            .route("/oauth2/v1/tokens/revoke", post(oauth::revoke))
            .route("/v3/company/{realm}/purchaseorder", post(accounting::create_po))
            .route("/v3/company/{realm}/query", get(query::query))
            .route("/v3/company/{realm}/companyinfo/{id}", get(company::company_info))
            .route("/v3/company/{realm}/preferences", get(company::preferences))
            .route("/v3/company/{realm}/vendor/{id}", get(company::read_vendor))
            .with_state(st.clone());
        let (addr, served) = crate::serve(port, app).await?;
        Ok(FakeQbo {
            base: format!("http://{addr}"),
            st,
            _served: served,
        })
    }

    /// The API base; the client appends `/v3/company/{realm}/...`.
    pub fn api_url(&self) -> String {
        self.base.clone()
    }
    pub fn auth_url(&self) -> String {
        format!("{}/connect/oauth2", self.base)
    }
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/v1/tokens/bearer", self.base)
    }
    pub fn revoke_url(&self) -> String {
        format!("{}/oauth2/v1/tokens/revoke", self.base)
    }
    pub fn realm_id(&self) -> String {
        lock(&self.st).realm.clone()
    }
    pub fn company_name(&self) -> String {
        lock(&self.st).company.name.to_string()
    }

    /// Another Intuit app (e.g. the sandbox key pair beside the production one).
    pub fn add_app(&self, client_id: &str, client_secret: &str) {
        lock(&self.st).apps.push((client_id.into(), client_secret.into()));
    }

    /// The client id of each authenticated call to the token endpoint, in order.
    pub fn token_clients(&self) -> Vec<String> {
        lock(&self.st).token_clients.clone()
    }

    /// Whether a DocNumber may be used again. QBO accepts duplicates unless
    /// the company forbids them (then 6140, "Duplicate Document Number
    /// Error"); the fake forbids them until told otherwise.
    pub fn allow_duplicate_doc_numbers(&self, allow: bool) {
        lock(&self.st).forbid_duplicates = !allow;
    }

    /// QBO stops recognising earlier `requestid`s. Intuit does not say how
    /// long it keeps them, so the fake takes the least convenient reading: at
    /// any time.
    pub fn forget_request_ids(&self) {
        lock(&self.st).replies.clear();
    }

    /// The next request to `route` meets `fault` (faults queue up in order).
    pub fn fault(&self, route: QboRoute, fault: QboFault) {
        lock(&self.st).faults.entry(route).or_default().push_back(fault);
    }

    pub fn requests(&self, route: QboRoute) -> usize {
        lock(&self.st).requests.get(&route).copied().unwrap_or(0)
    }

    /// Every PurchaseOrder created, as QBO returned it.
    pub fn purchase_orders(&self) -> Vec<Value> {
        lock(&self.st).pos.clone()
    }

    /// A vendor in the company's home currency (QBO gives a new vendor the home currency).
    pub fn add_vendor(&self, id: &str, name: &str) {
        let mut s = lock(&self.st);
        let home = s.company.home_currency.to_string();
        s.vendors.push((id.into(), name.into(), home));
    }

    /// A vendor billed in `currency` (multicurrency companies).
    pub fn add_vendor_in(&self, id: &str, name: &str, currency: &str) {
        lock(&self.st).vendors.push((id.into(), name.into(), currency.into()));
    }

    /// `account_type` as QBO spells it: "Accounts Payable", "Expense", "Cost of Goods Sold", ...
    pub fn add_account(&self, id: &str, name: &str, account_type: &str) {
        lock(&self.st).accounts.push((id.into(), name.into(), account_type.into()));
    }

    pub fn add_item(&self, id: &str, name: &str) {
        lock(&self.st).items.push((id.into(), name.into()));
    }

    /// `expires_in` of access tokens issued from now on (default 3600); they really expire after it.
    pub fn set_access_ttl(&self, secs: u64) {
        lock(&self.st).access_ttl = secs;
    }

    /// Every access token issued so far is now expired (401 on use).
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        lock(&self.st).access.values_mut().for_each(|(exp, _)| *exp = now);
    }

    pub fn valid_refresh_tokens(&self) -> Vec<String> {
        lock(&self.st).refresh.iter().map(|(t, _, _)| t.clone()).collect()
    }

    /// Tokens passed to the revoke endpoint, in order.
    pub fn revoked(&self) -> Vec<String> {
        lock(&self.st).revoked.clone()
    }

    /// For tests without a browser: performs the consent step as the user clicking "Connect" would,
    /// returning the redirect URL (redirect_uri?code=..&state=..&realmId=..). Errors if the authorize URL is invalid.
    /// Counts as an Authorize request but meets no scripted fault.
    pub fn consent(&self, authorize_url: &str) -> Result<String, String> {
        let (base, query) = authorize_url.split_once('?').ok_or("the authorize URL has no query string")?;
        if base != self.auth_url() {
            return Err(format!("{base} is not this fake's authorize endpoint {}", self.auth_url()));
        }
        let q: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let mut s = lock(&self.st);
        *s.requests.entry(QboRoute::Authorize).or_default() += 1;
        oauth::check_authorize(&s, &q)?;
        Ok(oauth::decide(&mut s, &q, true))
    }
}

#[cfg(test)]
mod tests;
