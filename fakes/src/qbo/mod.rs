//! A fake QuickBooks Online: Intuit's OAuth 2.0 endpoints (consent page,
//! single-use authorization codes, access tokens that really expire, refresh
//! tokens that rotate on every use, revocation) and the Accounting API subset
//! NEXOS uses (create PurchaseOrder with `requestid` idempotency, paged
//! queries, CompanyInfo, Preferences, Vendor). Bodies are Intuit's: `Fault`
//! objects for API errors, the lowercase `fault` Intuit sends with a 401, XML
//! for throttling. Faults are scripted per route. The company is a US one
//! ([`FakeQbo::start`]) or a UK one ([`FakeQbo::start_uk`], `company.rs`);
//! queries are in `query.rs`.

// Helpers return the response to send as their error, as axum handlers do.
#![allow(clippy::result_large_err)]

use crate::pax8::now;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

mod company;
mod query;
pub use company::Company;

const ACCOUNTING_SCOPE: &str = "com.intuit.quickbooks.accounting";
const AP: &str = "Accounts Payable";
const MISSING: &str = "Required param missing, need to supply the required value for the API";
const BAD_REF: &str = "Invalid Reference Id";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QboRoute {
    Authorize,
    Token,
    Revoke,
    CreatePurchaseOrder,
    Query,
    CompanyInfo,
    Preferences,
    ReadVendor,
}

#[derive(Debug, Clone)]
pub enum QboFault {
    /// Answer this HTTP status with a plain body (e.g. 500/503) and do nothing.
    Status(u16),
    /// 429 throttling, as QBO sends it: an XML body even when JSON was asked (Content-Type application/xml), optional Retry-After seconds.
    Throttle(Option<u64>),
    /// 400 with a JSON `Fault` body of type "ValidationFault": code, message, detail, element.
    Validation {
        code: String,
        message: String,
        detail: String,
        element: String,
    },
    /// 200 whose JSON body is a `Fault` (type "SystemFault"), nothing created.
    FaultIn200 { code: String, message: String, detail: String },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Do the work (create the PO, remember the requestid), then hold the reply this long (past the client's timeout).
    /// On routes other than CreatePurchaseOrder it only delays, before the work.
    LoseReply(Duration),
    /// Do the work, then answer 200 with a body that is not JSON (e.g. an HTML proxy page).
    /// On routes other than CreatePurchaseOrder nothing is done (no token is minted or rotated).
    BadBody,
    /// Answer 401 as QBO does for an expired access token, whatever token was sent.
    ExpiredToken,
}

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
            .route("/connect/oauth2", get(authorize))
            .route("/connect/oauth2/consent", post(consent_form))
            .route("/oauth2/v1/tokens/bearer", post(token))
            .route("/oauth2/v1/tokens/revoke", post(revoke))
            .route("/v3/company/{realm}/purchaseorder", post(create_po))
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
        check_authorize(&s, &q)?;
        Ok(decide(&mut s, &q, true))
    }
}

fn random(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
}

/// QBO's API error body: `{"Fault":{"Error":[..],"type":..},"time":..}`.
fn fault_body(kind: &str, code: &str, message: &str, detail: &str, element: Option<&str>) -> Value {
    let mut e = json!({"Message": message, "Detail": detail, "code": code});
    if let Some(el) = element {
        e["element"] = el.into();
    }
    json!({"Fault": {"Error": [e], "type": kind}, "time": now()})
}

fn invalid(code: &str, message: &str, detail: &str, element: &str) -> Value {
    fault_body("ValidationFault", code, message, detail, Some(element))
}

/// The 401 QBO sends for a missing, bad or expired access token (note the lowercase keys).
fn unauthorized(token: &str) -> Response {
    let head: String = token.chars().take(8).collect();
    let e = json!({"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "detail": format!("Token expired: {head}..."), "code": "3200"});
    let mut r = reply(401, json!({"fault": {"error": [e], "type": "AUTHENTICATION"}, "time": now()}));
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
    );
    r
}

fn throttled(retry_after: Option<u64>) -> Response {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{}"><Fault type="SERVICE"><Error code="003001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"#,
        now()
    );
    let mut r = (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "application/xml")], body).into_response();
    if let Some(secs) = retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    r
}

fn bad_body() -> Response {
    Html("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream proxy error</p></body></html>").into_response()
}

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

/// Counts the request and applies the faults that happen before any work. With `after_work`
/// (the create route) LoseReply and BadBody are handed back to apply after the work.
async fn before(st: &Shared, route: QboRoute, headers: &HeaderMap, after_work: bool) -> Result<Option<QboFault>, Response> {
    let fault = {
        let mut s = lock(st);
        *s.requests.entry(route).or_default() += 1;
        s.faults.get_mut(&route).and_then(|q| q.pop_front())
    };
    match fault {
        None => Ok(None),
        Some(QboFault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err((status, format!("{status}\n")).into_response())
        }
        Some(QboFault::Throttle(retry)) => Err(throttled(retry)),
        Some(QboFault::Validation {
            code,
            message,
            detail,
            element,
        }) => Err(reply(400, invalid(&code, &message, &detail, &element))),
        Some(QboFault::FaultIn200 { code, message, detail }) => Err(reply(200, fault_body("SystemFault", &code, &message, &detail, None))),
        Some(QboFault::ExpiredToken) => Err(unauthorized(bearer(headers))),
        Some(f @ (QboFault::LoseReply(_) | QboFault::BadBody)) if after_work => Ok(Some(f)),
        Some(QboFault::Delay(d) | QboFault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            Ok(None)
        }
        Some(QboFault::BadBody) => Err(bad_body()),
    }
}

/// A valid unexpired access token, and the path's realm being ours.
fn api_auth(st: &Shared, headers: &HeaderMap, realm: &str) -> Result<(), Response> {
    let token = bearer(headers);
    let s = lock(st);
    if s.access.get(token).is_none_or(|(exp, _)| Instant::now() >= *exp) {
        return Err(unauthorized(token));
    }
    if realm != s.realm {
        let msg = "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403";
        return Err(reply(
            403,
            fault_body("AuthorizationFault", "3100", msg, &format!("Not authorized for company {realm}"), None),
        ));
    }
    Ok(())
}

/// `Authorization: Basic base64(client_id:client_secret)` on the OAuth token
/// endpoints: the app that is calling.
fn client_auth(st: &Shared, headers: &HeaderMap) -> Result<String, Response> {
    let s = lock(st);
    let got = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok());
    s.apps
        .iter()
        .find(|(id, secret)| got.as_deref() == Some(format!("{id}:{secret}").as_bytes()))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| reply(401, json!({"error": "invalid_client"})))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn esc(s: &str) -> String {
    s.chars().fold(String::new(), |mut o, c| {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
        o
    })
}

fn bad_page(problem: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>400 Bad Request</h1><p>{}</p></body></html>",
        esc(problem)
    );
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// The checks Intuit makes on an authorize request, naming the first problem.
fn check_authorize(s: &St, q: &HashMap<String, String>) -> Result<(), String> {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if !s.apps.iter().any(|(id, _)| *id == get("client_id")) {
        Err(format!("Invalid client_id '{}'", get("client_id")))
    } else if get("response_type") != "code" {
        Err(format!("Invalid response_type '{}': must be code", get("response_type")))
    } else if !get("scope").split_whitespace().any(|x| x == ACCOUNTING_SCOPE) {
        Err(format!("Invalid scope '{}': must include {ACCOUNTING_SCOPE}", get("scope")))
    } else if get("redirect_uri").is_empty() {
        Err("redirect_uri is required".into())
    } else if get("state").is_empty() {
        Err("state is required".into())
    } else {
        Ok(())
    }
}

/// The redirect after the user's decision; on allow, mints a code bound to redirect_uri, valid 10 minutes.
fn decide(s: &mut St, q: &HashMap<String, String>, allow: bool) -> String {
    let redirect = &q["redirect_uri"];
    let mut out = form_urlencoded::Serializer::new(String::new());
    if allow {
        let code = random("AB11");
        let expires = Instant::now() + Duration::from_secs(600);
        s.codes.insert(
            code.clone(),
            Code {
                redirect_uri: redirect.clone(),
                client_id: q["client_id"].clone(),
                expires,
                used: false,
            },
        );
        out.append_pair("code", &code)
            .append_pair("state", &q["state"])
            .append_pair("realmId", &s.realm);
    } else {
        out.append_pair("error", "access_denied").append_pair("state", &q["state"]);
    }
    format!("{redirect}{}{}", if redirect.contains('?') { '&' } else { '?' }, out.finish())
}

async fn authorize(State(st): State<Shared>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = before(&st, QboRoute::Authorize, &headers, false).await {
        return r;
    }
    let s = lock(&st);
    if let Err(problem) = check_authorize(&s, &q) {
        return bad_page(&problem);
    }
    let hidden: String = ["client_id", "redirect_uri", "state", "scope"]
        .iter()
        .map(|k| format!(r#"<input type="hidden" name="{k}" value="{}">"#, esc(&q[*k])))
        .collect();
    Html(format!(
        r#"<!DOCTYPE html><html><head><title>Connect to QuickBooks (sandbox)</title></head><body><h1>Connect to QuickBooks (sandbox)</h1><p>The app <b>{}</b> wants access to your QuickBooks company <b>{}</b>.</p><form method="post" action="/connect/oauth2/consent">{hidden}<button name="decision" value="allow">Connect</button> <button name="decision" value="deny">Cancel</button></form></body></html>"#,
        esc(&q["client_id"]),
        esc(s.company.name)
    ))
    .into_response()
}

/// The consent form's submission: 302 back to the app.
async fn consent_form(State(st): State<Shared>, body: Bytes) -> Response {
    let mut f = form(&body);
    f.insert("response_type".into(), "code".into());
    let mut s = lock(&st);
    if let Err(problem) = check_authorize(&s, &f) {
        return bad_page(&problem);
    }
    let allow = f.get("decision").is_some_and(|d| d == "allow");
    (StatusCode::FOUND, [(header::LOCATION, decide(&mut s, &f, allow))]).into_response()
}

async fn token(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let client = match before(&st, QboRoute::Token, &headers, false).await.and_then(|_| client_auth(&st, &headers)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let f = form(&body);
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let mut s = lock(&st);
    s.token_clients.push(client.clone());
    let grant = match get("grant_type") {
        "authorization_code" => match s.codes.get_mut(get("code")) {
            Some(c) if !c.used && Instant::now() < c.expires && c.redirect_uri == get("redirect_uri") && c.client_id == client => {
                c.used = true;
                s.grants += 1;
                s.grants
            }
            _ => return reply(400, json!({"error": "invalid_grant"})),
        },
        // Always rotates: the old refresh token is dead as soon as the new one is issued.
        "refresh_token" => match s.refresh.iter().position(|(t, _, c)| t == get("refresh_token") && *c == client) {
            Some(i) => s.refresh.remove(i).1,
            None => return reply(400, json!({"error": "invalid_grant"})),
        },
        _ => return reply(400, json!({"error": "unsupported_grant_type"})),
    };
    let (access, refresh, ttl) = (random("eyJ"), random("AB11"), s.access_ttl);
    s.access.insert(access.clone(), (Instant::now() + Duration::from_secs(ttl), grant));
    s.refresh.push((refresh.clone(), grant, client));
    Json(json!({"token_type": "bearer", "access_token": access, "refresh_token": refresh, "expires_in": ttl, "x_refresh_token_expires_in": 8_726_400}))
        .into_response()
}

async fn revoke(State(st): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let client = match before(&st, QboRoute::Revoke, &headers, false).await.and_then(|_| client_auth(&st, &headers)) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(token) = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["token"].as_str().map(String::from)) else {
        return reply(400, json!({"error": "invalid_request"}));
    };
    let mut s = lock(&st);
    // Only the app a token was issued to may revoke it (RFC 7009 §2.1).
    if s.refresh.iter().any(|(t, _, c)| *t == token && *c != client) {
        return reply(400, json!({"error": "invalid_request"}));
    }
    s.revoked.push(token.clone());
    if let Some(i) = s.refresh.iter().position(|(t, _, _)| *t == token) {
        // A refresh token takes its whole grant with it.
        let grant = s.refresh.remove(i).1;
        s.access.retain(|_, (_, g)| *g != grant);
    } else {
        s.access.remove(&token);
    }
    StatusCode::OK.into_response()
}

async fn create_po(State(st): State<Shared>, headers: HeaderMap, Path(realm): Path<String>, Query(q): Query<HashMap<String, String>>, body: Bytes) -> Response {
    let after = match before(&st, QboRoute::CreatePurchaseOrder, &headers, true).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = api_auth(&st, &headers, &realm) {
        return r;
    }
    let (status, body) = {
        let mut s = lock(&st);
        let key = q.get("requestid").map(|id| format!("{realm}/{id}"));
        match key.as_ref().and_then(|k| s.replies.get(k).cloned()) {
            Some(first) => first,
            None => {
                let answer = match create(&mut s, &body) {
                    Ok(po) => (200, json!({"PurchaseOrder": po, "time": now()})),
                    Err(fault) => (400, fault),
                };
                if let Some(k) = key {
                    s.replies.insert(k, answer.clone());
                }
                answer
            }
        }
    };
    match after {
        Some(QboFault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            reply(status, body)
        }
        Some(QboFault::BadBody) => bad_body(),
        _ => reply(status, body),
    }
}

fn ref_val(r: Option<&Value>) -> Option<String> {
    r.and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// Validates a PurchaseOrder as QBO does (first error wins) and stores it.
fn create(s: &mut St, body: &[u8]) -> Result<Value, Value> {
    let bad_prop = "Request has invalid or unsupported property";
    let mut po = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(invalid(
                "4000",
                bad_prop,
                "Property Name:PurchaseOrder must be a JSON object specified is unsupported or invalid",
                "",
            ))
        }
        Err(e) => return Err(invalid("4000", bad_prop, &format!("Property Name:{e} specified is unsupported or invalid"), "")),
    };
    let Some(vendor) = ref_val(po.get("VendorRef")) else {
        return Err(invalid("2020", MISSING, "Required parameter VendorRef is missing in the request", "VendorRef"));
    };
    let Some(vendor_row) = s.vendors.iter().find(|v| v.0 == vendor).cloned() else {
        let detail = format!(
            "{BAD_REF} : Vendor assigned to this transaction has been deleted. Before you can modify this transaction, you must restore {vendor} (Vendor)."
        );
        return Err(invalid("2500", BAD_REF, &detail, "VendorRef"));
    };
    let vendor_name = vendor_row.1.clone();
    let ap = match ref_val(po.get("APAccountRef")) {
        None => s.accounts.iter().find(|a| a.2 == AP),
        Some(id) => match s.accounts.iter().find(|a| a.0 == id) {
            Some(a) if a.2 == AP => Some(a),
            found => {
                let detail = match found {
                    Some(a) => format!("{BAD_REF} : Account {id} ({}) is of type {}, not an Accounts Payable account.", a.1, a.2),
                    None => format!("{BAD_REF} : Account assigned to this transaction has been deleted. Before you can modify this transaction, you must restore {id} (Account)."),
                };
                return Err(invalid("2500", BAD_REF, &detail, "APAccountRef"));
            }
        },
    };
    let ap = ap.map(|a| json!({"value": a.0, "name": a.1}));
    let mut lines = match po.get("Line").and_then(Value::as_array) {
        Some(l) if !l.is_empty() => l.clone(),
        _ => return Err(invalid("2020", MISSING, "Required parameter Line is missing in the request", "Line")),
    };
    let mut total = 0.0;
    for (i, line) in lines.iter_mut().enumerate() {
        let n = i + 1;
        let (detail_key, ref_key, name) = match line.get("DetailType").and_then(Value::as_str) {
            Some("AccountBasedExpenseLineDetail") => {
                let id = ref_val(line.pointer("/AccountBasedExpenseLineDetail/AccountRef")).unwrap_or_default();
                let Some(a) = s.accounts.iter().find(|a| a.0 == id && a.2 != AP) else {
                    let detail = format!("{BAD_REF} : Line {n}: AccountRef '{id}' is not an existing expense account.");
                    return Err(invalid("2500", BAD_REF, &detail, "Line.AccountBasedExpenseLineDetail.AccountRef"));
                };
                ("AccountBasedExpenseLineDetail", "AccountRef", a.1.clone())
            }
            Some("ItemBasedExpenseLineDetail") => {
                let id = ref_val(line.pointer("/ItemBasedExpenseLineDetail/ItemRef")).unwrap_or_default();
                let Some(item) = s.items.iter().find(|it| it.0 == id) else {
                    let detail = format!("{BAD_REF} : Line {n}: ItemRef '{id}' is not an existing item.");
                    return Err(invalid("2500", BAD_REF, &detail, "Line.ItemBasedExpenseLineDetail.ItemRef"));
                };
                ("ItemBasedExpenseLineDetail", "ItemRef", item.1.clone())
            }
            other => {
                let detail = format!("Required parameter Line.DetailType is missing or unsupported in the request (line {n}: {other:?})");
                return Err(invalid("2020", MISSING, &detail, "Line.DetailType"));
            }
        };
        let Some(amount) = line.get("Amount").and_then(Value::as_f64).filter(|a| *a >= 0.0) else {
            return Err(invalid(
                "2050",
                "Invalid Amount",
                &format!("Line {n}: Amount must be a number greater than or equal to 0"),
                "Line.Amount",
            ));
        };
        total += amount;
        line[detail_key][ref_key]["name"] = name.into();
        line["Id"] = n.to_string().into();
        line["LineNum"] = n.into();
    }
    if let Some(doc) = po.get("DocNumber").and_then(Value::as_str) {
        if doc.chars().count() > 21 {
            let msg = "A business validation error has occurred while processing your request";
            return Err(invalid("6000", msg, "Business Validation Error: DocNumber is too long (max 21)", "DocNumber"));
        }
        let taken = s.pos.iter().find(|p| p["DocNumber"].as_str() == Some(doc));
        if let Some(other) = taken.filter(|_| s.forbid_duplicates) {
            let msg = "Duplicate Document Number Error";
            let detail = format!("{msg} : You must specify a different number. This number has already been used. DocNumber={doc} is assigned to TxnType=Purchase Order with TxnId={}", other["Id"].as_str().unwrap_or(""));
            return Err(invalid("6140", msg, &detail, "DocNumber"));
        }
    }
    let currency = company::check_setup(&s.company, &po, &vendor_row)?;
    let (id, t) = (s.next_po.to_string(), now());
    s.next_po += 1;
    let total = (total * 100.0).round() / 100.0;
    po.insert("Line".into(), Value::Array(lines));
    for (k, v) in [
        ("Id", json!(id)),
        ("SyncToken", json!("0")),
        ("domain", json!("QBO")),
        ("sparse", json!(false)),
        ("POStatus", json!("Open")),
        ("TotalAmt", json!(total)),
        ("VendorRef", json!({"value": vendor, "name": vendor_name})),
        ("MetaData", json!({"CreateTime": t, "LastUpdatedTime": t})),
    ] {
        po.insert(k.into(), v);
    }
    if let Some(ap) = ap {
        po.insert("APAccountRef".into(), ap);
    }
    po.entry("TxnDate").or_insert_with(|| json!(&t[..10]));
    po.insert("CurrencyRef".into(), currency);
    let po = Value::Object(po);
    s.pos.push(po.clone());
    Ok(po)
}

#[cfg(test)]
mod tests;
