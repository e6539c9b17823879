//! QuickBooks through the API and the OAuth callback route, against the fake
//! Intuit: connect (state checked), auto-push on approval, a failed push
//! shown on the PO and retried into one record, disconnect, no secrets out.

mod common;

use common::TestServer;
use domain::users::Role;
use fakes::qbo::{FakeQbo, QboFault, QboRoute};
use serde_json::{json, Value};

async fn server(backend: &str, fake: &FakeQbo) -> TestServer {
    server_with(backend, fake, &["--qbo-sandbox-client-id", "sb-id", "--qbo-sandbox-client-secret", "sb-secret"]).await
}

/// A server with the production key pair, these flags, and Intuit at `fake`.
async fn server_with(backend: &str, fake: &FakeQbo, more: &[&str]) -> TestServer {
    let key = domain::crypto::EncryptionKey::generate();
    let (api, auth, token, revoke) = (fake.api_url(), fake.auth_url(), fake.token_url(), fake.revoke_url());
    let mut args = vec![
        "--encryption-key",
        &key,
        "--qbo-client-id",
        "app-id",
        "--qbo-client-secret",
        "app-secret",
        "--qbo-api-url",
        &api,
        "--qbo-sandbox-api-url",
        &api,
        "--qbo-auth-url",
        &auth,
        "--qbo-token-url",
        &token,
        "--qbo-revoke-url",
        &revoke,
    ];
    args.extend_from_slice(more);
    TestServer::start_with(backend, &args).await
}

/// Follows Intuit's redirect back to this server's callback as `role`.
async fn callback(s: &TestServer, role: Role, redirect: &str) -> String {
    let query = redirect.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let res = s
        .http
        .get(format!("{}/integrations/qbo/callback?{query}", s.base))
        .bearer_auth(&s.tokens[&role])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    res.headers()["location"].to_str().unwrap().to_string()
}

domain::both_backends!(connect_push_and_disconnect_through_the_api);
async fn connect_push_and_disconnect_through_the_api(backend: &'static str) {
    let fake = FakeQbo::start(0, "app-id", "app-secret").await.unwrap();
    fake.add_app("sb-id", "sb-secret");
    let s = server(backend, &fake).await;
    let st = s.ok(Role::Admin, "integrations/qbo/status", json!({})).await;
    assert_eq!(
        (st["available"].as_bool(), st["connected"].as_bool()),
        (Some(true), Some(false)),
        "{backend}: {st}"
    );
    assert_eq!(st["environments"], json!(["production", "sandbox"]));

    // Connect: Intuit's consent, then the callback with code, state and realm.
    let (status, bad) = s.call(Some(Role::Admin), "integrations/qbo/connect", json!({"environment": "moon"})).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("environment")));
    let url = s.ok(Role::Admin, "integrations/qbo/connect", json!({"environment": "sandbox"})).await["authorize_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains("redirect_uri=") && url.contains("integrations%2Fqbo%2Fcallback"), "{url}");
    assert!(url.contains("client_id=sb-id"), "{backend}: the sandbox key pair: {url}");
    let back = fake.consent(&url).unwrap();
    assert!(callback(&s, Role::Approver, &back).await.contains("qbo_error="), "{backend}: only an admin");
    let url = s.ok(Role::Admin, "integrations/qbo/connect", json!({})).await["authorize_url"]
        .as_str()
        .unwrap()
        .to_string();
    let back = fake.consent(&url).unwrap();
    assert_eq!(callback(&s, Role::Admin, &back).await, "/settings?qbo=connected", "{backend}");
    let replay = callback(&s, Role::Admin, &back).await;
    assert!(replay.contains("qbo_error="), "{backend}: a state works once: {replay}");
    let st = s.ok(Role::Admin, "integrations/qbo/status", json!({})).await;
    assert_eq!(st["connected"], true);
    assert_eq!(st["company_name"], "Sandbox Company_US_1");
    assert_eq!(st["environment"], "production");
    assert_eq!(st["company"]["country"], "US", "{st}");
    assert_eq!(fake.token_clients(), ["app-id"], "{backend}: a production company on the production keys");
    let c = s.ok(Role::Admin, "integrations/qbo/company", json!({})).await;
    assert_eq!(c["company"]["home_currency"], "USD", "{c}");
    let picked = s.ok(Role::Admin, "integrations/qbo/vendors", json!({"q": "ingr", "name": "Ingram"})).await;
    assert_eq!(picked["vendors"][0]["id"], "57", "{picked}");
    assert_eq!(picked["suggestion"]["id"], "57", "{picked}");
    assert_eq!(s.ok(Role::Admin, "settings/get", json!({})).await["qbo_connected"], true);
    let lists = s.ok(Role::Admin, "integrations/qbo/lists", json!({})).await;
    assert!(lists["accounts"].as_array().unwrap().iter().any(|a| a["kind"] == "Accounts Payable"), "{lists}");

    // Map, then auto-push on approval.
    let company = s.ok(Role::Admin, "companies/create", json!({"name": "Acme"})).await["id"].clone();
    let vendor = s.ok(Role::Admin, "vendors/create", json!({"name": "Ingram", "qbo_vendor_id": "57"})).await["id"].clone();
    let m = s
        .ok(
            Role::Admin,
            "integrations/qbo/mapping",
            json!({"ap_account_id": "33", "expense_account_id": "7"}),
        )
        .await;
    assert_eq!(m["ap_account_id"], "33");
    s.ok(Role::Admin, "settings/update", json!({"qbo_auto_push": true})).await;
    let po_body = json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Cables", "quantity": 4, "unit_cost_cents": 1250}]});
    let po = s.ok(Role::Purchaser, "purchase-orders/create", po_body.clone()).await;
    assert_eq!(po["status"], "approved", "under the limit");
    assert!(po["qbo"]["id"].is_string(), "{backend}: pushed on approval: {}", po["qbo"]);
    assert_eq!(fake.purchase_orders()[0]["DocNumber"], po["number"]);

    // A failed push shows on the PO and the timeline; the retry makes one record.
    s.ok(Role::Admin, "settings/update", json!({"qbo_auto_push": false})).await;
    let po = s.ok(Role::Purchaser, "purchase-orders/create", po_body.clone()).await;
    assert!(po["qbo"].is_null());
    fake.fault(QboRoute::CreatePurchaseOrder, QboFault::Status(502));
    let (status, e) = s.call(Some(Role::Approver), "purchase-orders/push-qbo", json!({"id": po["id"]})).await;
    assert_eq!((status, e["code"].as_str()), (502, Some("upstream")), "{backend}: {e}");
    let shown = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po["id"]})).await;
    assert!(shown["qbo"]["error"].as_str().unwrap().contains("502"), "{shown}");
    let (status, _) = s.call(Some(Role::Purchaser), "purchase-orders/push-qbo", json!({"id": po["id"]})).await;
    assert_eq!(status, 403, "pushing needs the approve permission");
    let pushed = s.ok(Role::Approver, "purchase-orders/push-qbo", json!({"id": po["id"]})).await;
    assert!(pushed["qbo"]["id"].is_string() && pushed["qbo"]["error"].is_null());
    let again = s.ok(Role::Approver, "purchase-orders/push-qbo", json!({"id": po["id"]})).await;
    assert_eq!(again["qbo"], pushed["qbo"]);
    assert_eq!(fake.purchase_orders().len(), 2, "{backend}");
    let tl = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": po["id"]})).await;
    let kinds: Vec<&str> = tl.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.ends_with(&["qbo_push_failed", "qbo_pushed"]), "{kinds:?}");

    // No token ever leaves the server.
    let refresh = fake.valid_refresh_tokens();
    for v in [
        s.ok(Role::Admin, "integrations/qbo/status", json!({})).await,
        s.ok(Role::Admin, "settings/get", json!({})).await,
        tl.clone(),
    ] {
        for t in &refresh {
            assert!(!v.to_string().contains(t.as_str()));
        }
    }

    let st: Value = s.ok(Role::Admin, "integrations/qbo/disconnect", json!({})).await;
    assert_eq!(st["connected"], false);
    assert!(fake.revoked().iter().any(|t| refresh.contains(t)), "{backend}: revoked at Intuit");
    let po = s.ok(Role::Purchaser, "purchase-orders/create", po_body).await;
    let (status, e) = s.call(Some(Role::Approver), "purchase-orders/push-qbo", json!({"id": po["id"]})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("qbo")), "{e}");
}

#[tokio::test]
async fn without_an_intuit_app_quickbooks_says_how_to_turn_it_on() {
    let key = domain::crypto::EncryptionKey::generate();
    let s = TestServer::start_with("sqlite", &["--encryption-key", &key]).await;
    let st = s.ok(Role::Admin, "integrations/qbo/status", json!({})).await;
    assert_eq!(st["available"], false);
    assert!(st["reason"].as_str().unwrap().contains("QBO_CLIENT_ID"));
    let (status, e) = s.call(Some(Role::Admin), "integrations/qbo/connect", json!({})).await;
    assert_eq!(status, 409, "{e}");
}

domain::both_backends!(a_company_type_without_keys_is_not_offered_nor_connected);
async fn a_company_type_without_keys_is_not_offered_nor_connected(backend: &'static str) {
    let fake = FakeQbo::start(0, "app-id", "app-secret").await.unwrap();
    let s = server_with(backend, &fake, &[]).await;
    let st = s.ok(Role::Admin, "integrations/qbo/status", json!({})).await;
    assert_eq!(st["environments"], json!(["production"]), "{backend}: {st}");
    let (status, e) = s.call(Some(Role::Admin), "integrations/qbo/connect", json!({"environment": "sandbox"})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("environment")), "{backend}: {e}");
    assert!(e["message"].as_str().unwrap().contains("QBO_SANDBOX_CLIENT_ID"), "{e}");
}
