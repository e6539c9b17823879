//! Procurement test support: the fake Pax8 with one company and product,
//! an approved Pax8 PO made through the API, waiting for a dispatch state,
//! and the server binary against the fake.

use super::{Remote, TestServer};
use domain::users::Role;
use fakes::pax8::{FakePax8, ProductRule};
use serde_json::{json, Value};
use std::time::Duration;

pub async fn fake() -> FakePax8 {
    let f = FakePax8::start(0, "cid", "csecret").await.unwrap();
    f.add_company("pax8-c-1");
    f.add_product(
        "pax8-p-1",
        ProductRule {
            requires_commitment: true,
            required_details: vec![],
            commitments: vec![("ct-1".into(), "1-Year".into())],
            ..Default::default()
        },
    );
    f.activate_after(1);
    f
}

/// A server against fake `f`, its Pax8 credentials stored and the
/// auto-approve limit at $1,000,000 (the test's POs are approved at once).
pub async fn pax8_server(backend: &str, f: &FakePax8) -> TestServer {
    let key = domain::crypto::EncryptionKey::generate();
    let token = f.token_url();
    let s = TestServer::start_with(backend, &args(&key, f, &token)).await;
    s.ok(
        Role::Admin,
        "integrations/pax8/configure",
        json!({"client_id": "cid", "client_secret": "csecret"}),
    )
    .await;
    s.ok(Role::Admin, "settings/update", json!({"auto_approve_limit_cents": 100_000_000})).await;
    s
}

pub fn args<'a>(key: &'a str, f: &'a FakePax8, token: &'a str) -> Vec<&'a str> {
    vec![
        "--encryption-key",
        key,
        "--pax8-api-url",
        &f.base,
        "--pax8-token-url",
        token,
        "--reconcile-grace-seconds",
        "0",
        "--subscription-poll-seconds",
        "0",
    ]
}

/// A Pax8 PO for a linked company with a contract line, approved. Returns (po id, contract id).
pub async fn approved_pax8_po(call: &(impl AsyncCall + ?Sized)) -> (i64, i64) {
    approved_pax8_po_for(call, "pax8-c-1").await
}

/// [`approved_pax8_po`] for a company linked to this Pax8 company.
pub async fn approved_pax8_po_for(call: &(impl AsyncCall + ?Sized), pax8_company: &str) -> (i64, i64) {
    let company = call
        .call(
            "companies/create",
            json!({"name": format!("Harbor {}", rand_suffix()), "pax8_company_id": pax8_company}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let vendor = match call.call("vendors/create", json!({"name": "Pax8", "distributor": "pax8"})).await["id"].as_i64() {
        Some(v) => v,
        None => call
            .call("vendors/list", json!({}))
            .await
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "Pax8")
            .unwrap()["id"]
            .as_i64()
            .unwrap(),
    };
    let product = call
        .call("products/create", json!({"vendor_id": vendor, "name": "M365", "sku": format!("M-{}", rand_suffix()), "unit_cost_cents": 2200, "distributor_product_id": "pax8-p-1", "billing_term": "Monthly", "commitment_term_id": "ct-1"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let contract = call.call("contracts/create", json!({"company_id": company, "name": "Managed"})).await["id"]
        .as_i64()
        .unwrap();
    let line = call
        .call(
            "contracts/add-line",
            json!({"contract_id": contract, "description": "Seats", "quantity": 5, "unit_price_cents": 2600}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let po = call
        .call("purchase-orders/create", json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "M365", "quantity": 5, "unit_cost_cents": 2200, "product_id": product, "contract_line_id": line}]}))
        .await;
    assert_eq!(po["status"], "approved", "{po}");
    (po["id"].as_i64().unwrap(), contract)
}

pub fn rand_suffix() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
}

pub trait AsyncCall {
    fn call<'a>(&'a self, endpoint: &'a str, body: Value) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send + 'a>>;
}

impl AsyncCall for TestServer {
    fn call<'a>(&'a self, endpoint: &'a str, body: Value) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send + 'a>> {
        Box::pin(async move { TestServer::call(self, Some(Role::Admin), endpoint, body).await.1 })
    }
}

pub async fn wait_for(call: &(impl AsyncCall + ?Sized), po: i64, status: &str) -> Value {
    wait_within(call, po, status, 10).await
}

/// Waits up to `secs` seconds for the dispatch of `po` to reach `status`.
pub async fn wait_within(call: &(impl AsyncCall + ?Sized), po: i64, status: &str, secs: u64) -> Value {
    wait_until(call, po, &format!("reached {status}"), secs, |d| d["status"] == status).await
}

/// Waits up to `secs` seconds until the dispatch of `po` is as `ok` asks
/// (`what` says how, for the failure).
pub async fn wait_until(call: &(impl AsyncCall + ?Sized), po: i64, what: &str, secs: u64, ok: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..secs * 10 {
        let d = call.call("procurement/get", json!({"po_id": po})).await;
        if ok(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("dispatch of PO {po} never {what}: {}", call.call("procurement/get", json!({"po_id": po})).await);
}

/// The server binary with the fake Pax8, the key and quick timings.
pub fn spawn_server(db: &str, key: &str, f: &FakePax8, lease: &str) -> (tokio::process::Child, String) {
    spawn_server_with(db, key, f, &[("NEXOS_DISPATCH_LEASE_SECONDS", lease)])
}

/// [`spawn_server`] with more settings (they override the quick timings).
pub fn spawn_server_with(db: &str, key: &str, f: &FakePax8, more: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let mut env = vec![
        ("NEXOS_ENCRYPTION_KEY", key.to_string()),
        ("PAX8_API_URL", f.base.clone()),
        ("PAX8_TOKEN_URL", f.token_url()),
        ("NEXOS_RECONCILE_GRACE_SECONDS", "0".into()),
        ("NEXOS_SUBSCRIPTION_POLL_SECONDS", "0".into()),
    ];
    env.extend(more.iter().map(|(k, v)| (*k, v.to_string())));
    super::spawn_binary(db, &env)
}

impl AsyncCall for Remote {
    fn call<'a>(&'a self, endpoint: &'a str, body: Value) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send + 'a>> {
        Box::pin(Remote::call(self, endpoint, body))
    }
}
