//! Every server function, with every role and with no session: allowed
//! (anything but 401/403), 401 or 403, as the role's permissions say.

mod common;

use common::TestServer;
use domain::users::{Permission, Role};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug)]
enum Need {
    Public,
    SignedIn,
    /// Signed in with a session (a browser), never with a bearer token:
    /// every role's token call answers 403.
    Session,
    Perm(Permission),
}

fn table(ids: &Ids) -> Vec<(&'static str, Need, Value)> {
    use Need::*;
    use Permission::*;
    vec![
        ("auth/login", Public, json!({"email": "viewer@msp.test", "password": common::PASSWORD})),
        ("auth/me", SignedIn, json!({})),
        ("auth/logout", SignedIn, json!({})),
        ("tokens/create", Session, json!({"name": "matrix"})),
        (
            "auth/change-password",
            Session,
            json!({"current_password": "not it", "new_password": "a new long password"}),
        ),
        ("auth/logout-everywhere", SignedIn, json!({})),
        ("tokens/list", SignedIn, json!({})),
        ("tokens/revoke", SignedIn, json!({"id": 999999})),
        ("users/list", Perm(Admin), json!({})),
        (
            "users/create",
            Perm(Admin),
            json!({"email": "new-user@msp.test", "name": "N", "password": "long enough pw", "role": "viewer"}),
        ),
        ("users/update", Perm(Admin), json!({"id": ids.viewer, "name": "Viewer renamed"})),
        ("settings/get", Perm(Admin), json!({})),
        ("settings/update", Perm(Admin), json!({"require_signature": false})),
        ("companies/list", Perm(View), json!({})),
        ("companies/get", Perm(View), json!({"id": ids.company})),
        ("companies/create", Perm(ManageCatalog), json!({"name": "Matrix Co"})),
        ("companies/update", Perm(ManageCatalog), json!({"id": ids.company, "pax8_company_id": "p-1"})),
        ("tickets/list", Perm(View), json!({"company_id": ids.company})),
        ("tickets/create", Perm(ManageCatalog), json!({"company_id": ids.company, "title": "T"})),
        ("projects/list", Perm(View), json!({})),
        ("projects/create", Perm(ManageCatalog), json!({"company_id": ids.company, "name": "P"})),
        ("vendors/list", Perm(View), json!({})),
        ("vendors/create", Perm(ManageCatalog), json!({"name": "Matrix Vendor"})),
        ("vendors/update", Perm(ManageCatalog), json!({"id": ids.vendor, "qbo_vendor_id": "9"})),
        ("products/list", Perm(View), json!({})),
        (
            "products/create",
            Perm(ManageCatalog),
            json!({"vendor_id": ids.vendor, "name": "Widget", "sku": "W-1", "unit_cost_cents": 100}),
        ),
        ("products/update", Perm(ManageCatalog), json!({"id": ids.product, "unit_cost_cents": 150})),
        ("contracts/list", Perm(View), json!({})),
        ("contracts/lines", Perm(View), json!({"company_id": ids.company})),
        ("contracts/get", Perm(View), json!({"id": ids.contract})),
        ("contracts/create", Perm(ManageCatalog), json!({"company_id": ids.company, "name": "C"})),
        (
            "contracts/add-line",
            Perm(ManageCatalog),
            json!({"contract_id": ids.contract, "description": "Seats", "quantity": 1, "unit_price_cents": 100}),
        ),
        (
            "purchase-orders/create",
            Perm(Create),
            json!({"vendor_id": ids.vendor, "company_id": ids.company, "lines": [{"description": "Laptop", "quantity": 1, "unit_cost_cents": 100}], "submit": false}),
        ),
        ("purchase-orders/get", Perm(View), json!({"id": ids.po})),
        ("purchase-orders/list", Perm(View), json!({})),
        ("purchase-orders/timeline", Perm(View), json!({"id": ids.po})),
        ("purchase-orders/approval-settings", Perm(View), json!({})),
        ("procurement/status", Perm(View), json!({})),
        // Without the encryption key, callers with the permission get 503.
        ("procurement/queue", Perm(View), json!({})),
        ("procurement/dispatch", Perm(Dispatch), json!({"po_id": ids.po})),
        ("procurement/get", Perm(View), json!({"po_id": ids.po})),
        ("procurement/retry", Perm(Remediate), json!({"remediation_id": 1})),
        ("procurement/abandon", Perm(Remediate), json!({"remediation_id": 1, "reason": "x"})),
        ("procurement/check", Perm(Dispatch), json!({"po_id": ids.po})),
        ("subscriptions/list", Perm(View), json!({})),
        ("subscriptions/get", Perm(View), json!({"id": 999999})),
        ("subscriptions/renewals", Perm(View), json!({})),
        ("subscriptions/sync", Perm(Dispatch), json!({"company_id": ids.company})),
        ("subscriptions/change", Perm(Create), json!({"subscription_id": 999999, "quantity": 5})),
        ("integrations/pax8/configure", Perm(Admin), json!({"client_id": "a", "client_secret": "b"})),
        ("integrations/pax8/test", Perm(Admin), json!({})),
        ("integrations/pax8/companies", Perm(ManageCatalog), json!({"q": "acme"})),
        ("integrations/pax8/products", Perm(ManageCatalog), json!({"q": "365", "page": 0})),
        ("integrations/pax8/product", Perm(Create), json!({"id": "p-1"})),
        // QuickBooks is not set up on this test server: 409 (or 503 without a key) past the check.
        ("integrations/qbo/connect", Perm(Admin), json!({})),
        ("integrations/qbo/status", Perm(Admin), json!({})),
        ("integrations/qbo/disconnect", Perm(Admin), json!({})),
        ("integrations/qbo/mapping", Perm(Admin), json!({"ap_account_id": "33"})),
        ("integrations/qbo/lists", Perm(Admin), json!({})),
        ("integrations/qbo/company", Perm(Admin), json!({})),
        ("integrations/qbo/vendors", Perm(ManageCatalog), json!({"q": "cdw"})),
        ("purchase-orders/push-qbo", Perm(Approve), json!({"id": ids.po})),
        // Callers with the permission get past it and meet the state rules
        // (409 on a draft) or a missing PO (404).
        (
            "purchase-orders/update",
            Perm(Create),
            json!({"id": 999999, "version": 1, "vendor_id": ids.vendor, "company_id": ids.company, "lines": [{"description": "x", "quantity": 1, "unit_cost_cents": 1}]}),
        ),
        ("purchase-orders/submit", Perm(Create), json!({"id": 999999})),
        ("purchase-orders/approve", Perm(Approve), json!({"id": ids.po, "version": 1})),
        ("purchase-orders/reject", Perm(Approve), json!({"id": ids.po, "version": 1, "reason": "no"})),
        ("purchase-orders/cancel", Perm(Create), json!({"id": 999999})),
        (
            "purchase-orders/receive",
            Perm(Receive),
            json!({"id": ids.po, "lines": [{"line_id": 999999, "quantity": 1}]}),
        ),
        // Without the encryption key, admins get 503 past the check.
        ("webhooks/create", Perm(Admin), json!({"url": "https://hooks.example/h", "kind": "generic"})),
        ("webhooks/list", Perm(Admin), json!({})),
        ("webhooks/delete", Perm(Admin), json!({"id": 999999})),
        ("webhooks/deliveries", Perm(Admin), json!({})),
        ("notifications/status", Perm(Admin), json!({})),
        ("notifications/retry", Perm(Admin), json!({"id": 999999})),
        // Mail is off on this test server: 409 past the check.
        ("notifications/test-mail", Perm(Admin), json!({})),
        ("notifications/sandbox-mail", Perm(Admin), json!({})),
        ("notifications/preferences", SignedIn, json!({})),
        ("notifications/set-preferences", SignedIn, json!({"email": true})),
        ("approvals/inbox", Perm(Approve), json!({})),
        ("approvals/count", SignedIn, json!({})),
        ("reports/spend", Perm(View), json!({"group_by": "month"})),
    ]
}

struct Ids {
    po: i64,
    viewer: i64,
    company: i64,
    vendor: i64,
    product: i64,
    contract: i64,
}

async fn fixtures(s: &TestServer) -> Ids {
    let company = s.ok(Role::Admin, "companies/create", json!({"name": "Acme"})).await["id"].as_i64().unwrap();
    let vendor = s.ok(Role::Admin, "vendors/create", json!({"name": "CDW"})).await["id"].as_i64().unwrap();
    let product = s
        .ok(
            Role::Admin,
            "products/create",
            json!({"vendor_id": vendor, "name": "Laptop", "sku": "L-1", "unit_cost_cents": 100000}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let contract = s.ok(Role::Admin, "contracts/create", json!({"company_id": company, "name": "Managed"})).await["id"]
        .as_i64()
        .unwrap();
    let viewer = s.ok(Role::Viewer, "auth/me", json!({})).await["id"].as_i64().unwrap();
    // A draft: approve and reject answer 409 (not pending), receive 409 (not approved).
    let po = s
        .ok(
            Role::Admin,
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Laptop", "quantity": 1, "unit_cost_cents": 100}], "submit": false}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    Ids {
        po,
        viewer,
        company,
        vendor,
        product,
        contract,
    }
}

domain::both_backends!(every_function_with_every_role);
async fn every_function_with_every_role(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let ids = fixtures(&s).await;
    let table = table(&ids);

    // The table covers every server function the server registered.
    let registered: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(p, _)| p.trim_start_matches("/api/")).collect();
    for endpoint in &registered {
        assert!(table.iter().any(|(e, _, _)| e == endpoint), "{endpoint} is not in the permission table");
    }
    for (endpoint, _, _) in &table {
        assert!(registered.contains(endpoint), "{endpoint} is not a registered server function");
    }

    for (endpoint, need, body) in &table {
        let (status, v) = s.call(None, endpoint, body.clone()).await;
        match need {
            Need::Public => assert_eq!(status, 200, "{endpoint} anonymously: {v}"),
            _ => {
                assert_eq!(status, 401, "{endpoint} anonymously: {v}");
                assert_eq!(v["code"], "unauthenticated");
            }
        }
        for role in Role::ALL {
            let (status, v) = s.call(Some(role), endpoint, body.clone()).await;
            let allowed = match need {
                Need::Public | Need::SignedIn => true,
                Need::Session => false,
                Need::Perm(p) => role.can(*p),
            };
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{backend}: {endpoint} as {role:?} should be allowed, got {status} {v}"
                );
            } else {
                assert_eq!(status, 403, "{backend}: {endpoint} as {role:?} should be forbidden: {v}");
                assert_eq!(v["code"], "forbidden");
            }
        }
    }
}
