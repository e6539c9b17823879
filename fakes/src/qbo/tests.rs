//! The fake QuickBooks against Intuit's documented behaviour.
use super::*;
use reqwest::Client;

const SCOPE_QS: &str =
    "client_id=cid&response_type=code&scope=com.intuit.quickbooks.accounting%20openid&redirect_uri=http%3A%2F%2Flocalhost%2Fcb%3Fx%3D1&state=s%201";

fn param(url: &str, key: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn exchange(q: &FakeQbo, c: &Client, form: &[(&str, &str)]) -> (u16, Value) {
    let r = c.post(q.token_url()).basic_auth("cid", Some("secret")).form(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// A fake with a connected company: (fake, client, access token).
async fn connected() -> (FakeQbo, Client, String) {
    connected_to(Company::us()).await
}

async fn connected_to(company: Company) -> (FakeQbo, Client, String) {
    let q = FakeQbo::start_with(0, "cid", "secret", company).await.unwrap();
    let c = Client::new();
    let to = q.consent(&format!("{}?{SCOPE_QS}", q.auth_url())).unwrap();
    let (_, tok) = exchange(
        &q,
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&to, "code")),
            ("redirect_uri", "http://localhost/cb?x=1"),
        ],
    )
    .await;
    let access = tok["access_token"].as_str().unwrap().to_string();
    (q, c, access)
}

async fn create(q: &FakeQbo, c: &Client, access: &str, requestid: &str, po: Value) -> (u16, Value) {
    let url = format!(
        "{}/v3/company/{}/purchaseorder?minorversion=75&requestid={requestid}",
        q.api_url(),
        q.realm_id()
    );
    let r = c.post(url).bearer_auth(access).json(&po).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn po(vendor: &str, doc: &str) -> Value {
    json!({"VendorRef": {"value": vendor}, "DocNumber": doc, "Line": [
        {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 120.5, "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}},
        {"DetailType": "ItemBasedExpenseLineDetail", "Amount": 900, "ItemBasedExpenseLineDetail": {"ItemRef": {"value": "11"}, "Qty": 1, "UnitPrice": 900}}]})
}

#[tokio::test]
async fn consent_code_exchange_and_refresh_rotation() {
    let q = FakeQbo::start(0, "cid", "secret").await.unwrap();
    let c = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(format!("{}?{SCOPE_QS}", q.auth_url())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sandbox Company_US_1") && page.contains(r#"value="s 1""#));
    let bad = c.get(format!("{}?client_id=other&response_type=code", q.auth_url())).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let consent = [
        ("client_id", "cid"),
        ("redirect_uri", "http://localhost/cb?x=1"),
        ("state", "s 1"),
        ("scope", ACCOUNTING_SCOPE),
        ("decision", "allow"),
    ];
    let r = c.post(format!("{}/connect/oauth2/consent", q.base)).form(&consent).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("http://localhost/cb?x=1&code="), "{to}");
    assert_eq!((param(&to, "state"), param(&to, "realmId")), ("s 1".into(), q.realm_id()));
    let code = param(&to, "code");
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost/cb?x=1"),
    ];
    let (status, tok) = exchange(&q, &c, &grant).await;
    assert_eq!(
        (status, tok["token_type"].as_str(), tok["expires_in"].as_u64()),
        (200, Some("bearer"), Some(3600))
    );
    assert_eq!(exchange(&q, &c, &grant).await, (400, json!({"error": "invalid_grant"})), "codes are single-use");
    let first = tok["refresh_token"].as_str().unwrap();
    let (status, again) = exchange(&q, &c, &[("grant_type", "refresh_token"), ("refresh_token", first)]).await;
    assert_eq!(status, 200);
    assert_ne!(again["refresh_token"], tok["refresh_token"]);
    assert_eq!(q.valid_refresh_tokens(), vec![again["refresh_token"].as_str().unwrap().to_string()]);
    assert_eq!(
        exchange(&q, &c, &[("grant_type", "refresh_token"), ("refresh_token", first)]).await,
        (400, json!({"error": "invalid_grant"}))
    );
    let unauthorized = c.post(q.token_url()).basic_auth("cid", Some("wrong")).form(&grant).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
}

#[tokio::test]
async fn create_is_idempotent_per_requestid() {
    let (q, c, access) = connected().await;
    let (status, first) = create(&q, &c, &access, "r-1", po("56", "PO-1")).await;
    assert_eq!(status, 200, "{first}");
    let created = &first["PurchaseOrder"];
    assert_eq!((created["Id"].as_str(), created["TotalAmt"].as_f64()), (Some("130"), Some(1020.5)));
    assert_eq!(created["VendorRef"]["name"], "Pax8 Inc");
    assert_eq!(create(&q, &c, &access, "r-1", po("56", "PO-1")).await, (200, first));
    assert_eq!(q.purchase_orders().len(), 1);
    // A reply that is not JSON still made the PO; the retry with the same requestid gets the real answer.
    q.fault(QboRoute::CreatePurchaseOrder, QboFault::BadBody);
    let url = format!("{}/v3/company/{}/purchaseorder?requestid=r-2", q.api_url(), q.realm_id());
    assert!(c
        .post(&url)
        .bearer_auth(&access)
        .json(&po("57", "PO-2"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .is_err());
    let (status, second) = create(&q, &c, &access, "r-2", po("57", "PO-2")).await;
    assert_eq!(
        (status, second["PurchaseOrder"]["Id"].as_str(), q.purchase_orders().len()),
        (200, Some("131"), 2)
    );
}

#[tokio::test]
async fn validation_faults() {
    let (q, c, access) = connected().await;
    let (status, body) = create(&q, &c, &access, "r-1", po("999", "PO-1")).await;
    assert_eq!((status, &body["Fault"]["type"]), (400, &json!("ValidationFault")));
    let e = &body["Fault"]["Error"][0];
    assert_eq!((e["code"].as_str(), e["element"].as_str()), (Some("2500"), Some("VendorRef")));
    assert!(e["Detail"].as_str().unwrap().contains("restore 999 (Vendor)"));
    assert_eq!(
        create(&q, &c, &access, "r-1", po("56", "PO-1")).await.0,
        400,
        "the same requestid answers the same Fault"
    );
    assert_eq!(create(&q, &c, &access, "r-2", po("56", "PO-1")).await.0, 200);
    let (status, body) = create(&q, &c, &access, "r-3", po("57", "PO-1")).await;
    let e = &body["Fault"]["Error"][0];
    assert_eq!(
        (status, e["code"].as_str(), e["Message"].as_str()),
        (400, Some("6140"), Some("Duplicate Document Number Error"))
    );
    assert!(e["Detail"]
        .as_str()
        .unwrap()
        .ends_with("DocNumber=PO-1 is assigned to TxnType=Purchase Order with TxnId=130"));
    assert_eq!(q.purchase_orders().len(), 1);
}

#[tokio::test]
async fn throttle_and_expired_token() {
    let (q, c, access) = connected().await;
    q.fault(QboRoute::CreatePurchaseOrder, QboFault::Throttle(Some(7)));
    let url = format!("{}/v3/company/{}/purchaseorder?requestid=r-1", q.api_url(), q.realm_id());
    let r = c.post(&url).bearer_auth(&access).json(&po("56", "PO-1")).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (429, "7"));
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert!(r.text().await.unwrap().contains("<Error code=\"003001\">"));
    q.expire_access_tokens();
    let r = c.post(&url).bearer_auth(&access).json(&po("56", "PO-1")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fault"]["error"][0]["code"], "3200");
    assert_eq!(body["fault"]["error"][0]["detail"], format!("Token expired: {}...", &access[..8]));
    assert_eq!((q.requests(QboRoute::CreatePurchaseOrder), q.purchase_orders().len()), (2, 0));
}

#[tokio::test]
async fn query_by_doc_number() {
    let (q, c, access) = connected().await;
    assert_eq!(create(&q, &c, &access, "r-1", po("56", "O'Brien-1")).await.0, 200);
    let run = |sql: &str| {
        let url = format!("{}/v3/company/{}/query", q.api_url(), q.realm_id());
        c.get(url).bearer_auth(&access).query(&[("query", sql), ("minorversion", "75")]).send()
    };
    let found: Value = run(r"SELECT * FROM PurchaseOrder WHERE DocNumber = 'O\'Brien-1'")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["QueryResponse"]["PurchaseOrder"][0]["Id"], "130");
    assert_eq!(found["QueryResponse"]["maxResults"], 1);
    let none: Value = run("select * from PurchaseOrder where DocNumber = 'nope'").await.unwrap().json().await.unwrap();
    assert_eq!(none["QueryResponse"], json!({}));
    let vendors: Value = run("select * from Vendor maxresults 1").await.unwrap().json().await.unwrap();
    assert_eq!(
        vendors["QueryResponse"]["Vendor"],
        json!([{"Id": "56", "DisplayName": "Pax8 Inc", "Active": true, "CurrencyRef": {"value": "USD", "name": "United States Dollar"}}])
    );
    assert_eq!(run("select Id from Bill").await.unwrap().status(), 400);
}

async fn get(q: &FakeQbo, c: &Client, access: &str, rest: &str) -> Value {
    let url = format!("{}/v3/company/{}/{rest}", q.api_url(), q.realm_id());
    c.get(url).bearer_auth(access).send().await.unwrap().json().await.unwrap()
}

async fn run(q: &FakeQbo, c: &Client, access: &str, sql: &str) -> Value {
    let url = format!("{}/v3/company/{}/query", q.api_url(), q.realm_id());
    let r = c.get(url).bearer_auth(access).query(&[("query", sql)]).send().await.unwrap();
    r.json::<Value>().await.unwrap()["QueryResponse"].clone()
}

#[tokio::test]
async fn a_uk_company_needs_vat_codes_and_the_vendors_currency() {
    let (q, c, access) = connected_to(Company::uk()).await;
    let prefs = get(&q, &c, &access, "preferences").await;
    assert_eq!(
        prefs["Preferences"]["CurrencyPrefs"],
        json!({"MultiCurrencyEnabled": true, "HomeCurrency": {"value": "GBP"}})
    );
    let info = get(&q, &c, &access, &format!("companyinfo/{}", q.realm_id())).await;
    assert_eq!(info["CompanyInfo"]["Country"], "GB");
    assert_eq!(get(&q, &c, &access, "vendor/58").await["Vendor"]["CurrencyRef"]["value"], "USD");
    assert_eq!(get(&q, &c, &access, "vendor/999").await["Fault"]["Error"][0]["code"], "610");
    assert_eq!(run(&q, &c, &access, "select * from TaxCode").await["TaxCode"].as_array().unwrap().len(), 3);
    let code = |body: &Value| body["Fault"]["Error"][0]["code"].as_str().map(String::from);
    let element = |body: &Value| body["Fault"]["Error"][0]["element"].as_str().map(String::from);
    let mut body = po("56", "PO-1");
    let (_, e) = create(&q, &c, &access, "r-1", body.clone()).await;
    assert_eq!((code(&e), element(&e)), (Some("2020".into()), Some("GlobalTaxCalculation".into())));
    body["GlobalTaxCalculation"] = "TaxExcluded".into();
    let (_, e) = create(&q, &c, &access, "r-2", body.clone()).await;
    assert_eq!((code(&e), element(&e)), (Some("6000".into()), Some("Line.TaxCodeRef".into())));
    body["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"] = json!({"value": "3"});
    body["Line"][1]["ItemBasedExpenseLineDetail"]["TaxCodeRef"] = json!({"value": "3"});
    let (_, e) = create(&q, &c, &access, "r-3", body.clone()).await;
    assert_eq!(element(&e), Some("CurrencyRef".into()), "multicurrency needs CurrencyRef");
    body["CurrencyRef"] = json!({"value": "USD"});
    let (_, e) = create(&q, &c, &access, "r-4", body.clone()).await;
    assert_eq!((code(&e), element(&e)), (Some("6000".into()), Some("CurrencyRef".into())), "{e}");
    body["CurrencyRef"] = json!({"value": "GBP"});
    let (status, made) = create(&q, &c, &access, "r-5", body.clone()).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made["PurchaseOrder"]["CurrencyRef"]["value"], "GBP");
    // A US company refuses GlobalTaxCalculation.
    let (q, c, access) = connected().await;
    let mut us = po("56", "PO-1");
    us["GlobalTaxCalculation"] = "TaxExcluded".into();
    assert_eq!(element(&create(&q, &c, &access, "r-1", us).await.1), Some("GlobalTaxCalculation".into()));
}

#[tokio::test]
async fn duplicate_doc_numbers_when_the_company_allows_them() {
    let (q, c, access) = connected().await;
    q.allow_duplicate_doc_numbers(true);
    assert_eq!(create(&q, &c, &access, "r-1", po("56", "PO-1")).await.0, 200);
    assert_eq!(create(&q, &c, &access, "r-2", po("57", "PO-1")).await.0, 200);
    let found = run(&q, &c, &access, "select * from PurchaseOrder where DocNumber = 'PO-1'").await;
    assert_eq!(found["PurchaseOrder"].as_array().unwrap().len(), 2);
    // A forgotten requestid makes a second record.
    q.forget_request_ids();
    assert_eq!(create(&q, &c, &access, "r-2", po("57", "PO-1")).await.0, 200);
    assert_eq!(q.purchase_orders().len(), 3);
}

#[tokio::test]
async fn queries_page_at_most_a_thousand() {
    let (q, c, access) = connected().await;
    for i in 0..1500 {
        q.add_vendor(&format!("{}", 1000 + i), &format!("Vendor {i}"));
    }
    let first = run(&q, &c, &access, "select * from Vendor startposition 1 maxresults 5000").await;
    assert_eq!((first["Vendor"].as_array().unwrap().len(), &first["startPosition"]), (1000, &json!(1)));
    let rest = run(&q, &c, &access, "select * from Vendor startposition 1001 maxresults 1000").await;
    assert_eq!(rest["Vendor"].as_array().unwrap().len(), 502);
    assert_eq!(run(&q, &c, &access, "select * from Vendor").await["Vendor"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn each_app_keeps_its_own_codes_and_tokens() {
    let q = FakeQbo::start(0, "cid", "secret").await.unwrap();
    q.add_app("sb-id", "sb-secret");
    let c = Client::new();
    let to = q
        .consent(&format!("{}?{}", q.auth_url(), SCOPE_QS.replace("client_id=cid", "client_id=sb-id")))
        .unwrap();
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", &param(&to, "code")),
        ("redirect_uri", "http://localhost/cb?x=1"),
    ];
    assert_eq!(exchange(&q, &c, &grant).await.0, 400, "the code was issued to the sandbox app");
    let r = c.post(q.token_url()).basic_auth("sb-id", Some("sb-secret")).form(&grant).send().await.unwrap();
    let tok: Value = r.json().await.unwrap();
    let refresh = tok["refresh_token"].as_str().unwrap();
    let refreshing = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    assert_eq!(exchange(&q, &c, &refreshing).await.0, 400, "another app cannot refresh it");
    assert_eq!(q.token_clients(), ["cid", "sb-id", "cid"]);
    let r = c
        .post(q.revoke_url())
        .basic_auth("cid", Some("secret"))
        .json(&json!({"token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "nor revoke it");
    assert_eq!(q.valid_refresh_tokens(), [refresh]);
}
