//! Procurement through the API against the fake Pax8 with the real worker:
//! 50 concurrent dispatches make one order, 503 without the key, a server
//! killed (SIGKILL) mid-dispatch and restarted, two instances on one
//! PostgreSQL.

mod common;

use common::procurement::*;
use common::{Remote, TestServer};
use domain::users::Role;
use fakes::pax8::{Fault, ProductRule, Route};
use serde_json::json;
use std::time::Duration;

domain::both_backends!(fifty_dispatch_calls_make_one_order_and_activate_the_contract_line);
async fn fifty_dispatch_calls_make_one_order_and_activate_the_contract_line(backend: &'static str) {
    let f = fake().await;
    let key = domain::crypto::EncryptionKey::generate();
    let token = f.token_url();
    let s = TestServer::start_with(backend, &args(&key, &f, &token)).await;
    let (status, v) = s
        .call(
            Some(Role::Purchaser),
            "integrations/pax8/configure",
            json!({"client_id": "cid", "client_secret": "csecret"}),
        )
        .await;
    assert_eq!(status, 403, "admins only: {v}");
    let v = s
        .ok(
            Role::Admin,
            "integrations/pax8/configure",
            json!({"client_id": "cid", "client_secret": "csecret"}),
        )
        .await;
    assert_eq!(v, json!({"configured": true}));
    s.ok(Role::Admin, "integrations/pax8/test", json!({})).await;
    let settings = s.ok(Role::Admin, "settings/get", json!({})).await;
    assert!(!settings.to_string().contains("csecret"), "the secret is never returned");
    assert_eq!(
        (settings["pax8_configured"].as_bool(), settings["encryption_configured"].as_bool()),
        (Some(true), Some(true))
    );

    s.ok(Role::Admin, "settings/update", json!({"auto_approve_limit_cents": 100_000_000})).await;
    let (po, contract) = approved_pax8_po(&s).await;
    let queue = s.ok(Role::Viewer, "procurement/queue", json!({"state": "ready"})).await;
    assert!(queue.as_array().unwrap().iter().any(|q| q["po_id"] == po), "{queue}");
    let (status, _) = s.call(Some(Role::Approver), "procurement/dispatch", json!({"po_id": po})).await;
    assert_eq!(status, 403, "approvers do not dispatch");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let http = s.http.clone();
        let url = format!("{}/api/procurement/dispatch", s.base);
        let token = s.tokens[&Role::Purchaser].clone();
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .bearer_auth(token)
                .json(&json!({"po_id": po}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let d = wait_for(&s, po, "provisioned").await;
    assert_eq!((f.orders().len(), d["attempts"].as_i64()), (1, Some(1)), "{backend}: {d}");
    let c = s.ok(Role::Viewer, "contracts/get", json!({"id": contract})).await;
    assert_eq!(c["lines"][0]["status"], "active");
    assert_eq!(c["lines"][0]["subscription_id"], d["subscriptions"][0]["subscription_id"]);
    let got = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po})).await;
    assert_eq!(got["procurement_status"], "provisioned");
}

#[tokio::test]
async fn refusal_then_edit_and_retry_or_abandon_through_the_api() {
    let f = fake().await;
    let s = pax8_server("sqlite", &f).await;
    let (po, _) = approved_pax8_po(&s).await;
    f.fault(Route::CreateOrder, Fault::Status(422, None));
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": po})).await;
    let d = wait_for(&s, po, "failed").await;
    let rid = d["remediation"]["id"].as_i64().unwrap();
    let (status, v) = s.call(Some(Role::Technician), "procurement/retry", json!({"remediation_id": rid})).await;
    assert_eq!(status, 403, "{v}");
    let (status, v) = s
        .call(
            Some(Role::Purchaser),
            "procurement/retry",
            json!({"remediation_id": rid, "edits": {"lines": [{"po_line_id": 999, "quantity": 2}]}}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("edits.lines[0].po_line_id")), "{v}");
    let line = d["request"]["lines"][0]["po_line_id"].as_i64().unwrap();
    // Seven seats where five were approved: back to an approver first.
    let waiting = s
        .ok(
            Role::Purchaser,
            "procurement/retry",
            json!({"remediation_id": rid, "edits": {"lines": [{"po_line_id": line, "quantity": 7}]}}),
        )
        .await;
    assert_eq!(
        (waiting["status"].as_str(), &waiting["remediation"]["awaiting_approval"]),
        (Some("failed"), &json!(true))
    );
    let revised = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po})).await;
    assert_eq!(
        (revised["status"].as_str(), revised["total_cents"].as_i64()),
        (Some("pending_approval"), Some(15_400))
    );
    assert_eq!(
        revised["revision"]["changes"][0],
        json!({"line_no": 1, "field": "quantity", "from": "5", "to": "7"})
    );
    let (status, v) = s.call(Some(Role::Purchaser), "procurement/retry", json!({"remediation_id": rid})).await;
    assert_eq!(status, 409, "waits for the approval: {v}");
    assert!(f.orders().is_empty(), "nothing sent before the approval");
    s.ok(Role::Approver, "purchase-orders/approve", json!({"id": po, "version": revised["version"]}))
        .await;
    wait_for(&s, po, "provisioned").await;
    assert_eq!(f.orders()[0]["lineItems"][0]["quantity"], 7);
    let timeline = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": po})).await;
    assert!(timeline.as_array().unwrap().iter().any(|e| e["kind"] == "dispatch_edited"));

    let (po2, _) = approved_pax8_po(&s).await;
    f.fault(Route::CreateOrder, Fault::Status(422, None));
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": po2})).await;
    let d = wait_for(&s, po2, "failed").await;
    let rem = s
        .ok(
            Role::Purchaser,
            "procurement/abandon",
            json!({"remediation_id": d["remediation"]["id"], "reason": "Customer cancelled"}),
        )
        .await;
    assert_eq!(rem["status"], "abandoned");
    assert_eq!(s.ok(Role::Viewer, "procurement/get", json!({"po_id": po2})).await["status"], "abandoned");
}

#[tokio::test]
async fn without_the_key_procurement_answers_503_and_the_page_says_how_to_fix_it() {
    let s = TestServer::start("sqlite").await;
    let (status, v) = s.call(Some(Role::Purchaser), "procurement/dispatch", json!({"po_id": 1})).await;
    assert_eq!((status, v["code"].as_str()), (503, Some("encryption_key_missing")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("server gen-key"));
    let (status, _) = s
        .call(
            Some(Role::Admin),
            "integrations/pax8/configure",
            json!({"client_id": "a", "client_secret": "b"}),
        )
        .await;
    assert_eq!(status, 503);
    let c = s.browser("purchaser@msp.test").await;
    let html = c.get(format!("{}/procurement", s.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("The procurement queue is unavailable") && html.contains("server gen-key"),
        "the page explains it"
    );
    // Purchase orders keep working.
    let (status, _) = s.call(Some(Role::Viewer), "purchase-orders/list", json!({})).await;
    assert_eq!(status, 200);
}

/// A short lease and Pax8 calls that all end within 4 s.
const QUICK_PAX8: [(&str, &str); 3] = [
    ("NEXOS_DISPATCH_LEASE_SECONDS", "2"),
    ("PAX8_TIMEOUT_SECONDS", "1"),
    ("PAX8_RATE_WAIT_SECONDS", "1"),
];

domain::both_backends!(a_server_killed_mid_dispatch_recovers_after_restart_with_one_order);
async fn a_server_killed_mid_dispatch_recovers_after_restart_with_one_order(backend: &'static str) {
    let f = fake().await;
    let key = domain::crypto::EncryptionKey::generate();
    let db = domain::testing::fresh_database_url(backend).await;
    // Short Pax8 timeouts: the restarted server waits until the killed
    // one's call can no longer land (4 s from the intent) before it reads.
    let (mut first, base) = spawn_server_with(&db, &key, &f, &QUICK_PAX8);
    let r = Remote::connect(&base).await;
    r.call("integrations/pax8/configure", json!({"client_id": "cid", "client_secret": "csecret"}))
        .await;
    r.call("settings/update", json!({"auto_approve_limit_cents": 100_000_000})).await;
    let (po, _) = approved_pax8_po(&r).await;
    // A long-standing customer: 5,000 older orders, listed oldest first
    // (Pax8 documents no order), ten of them of today (Pax8 dates orders by day).
    let today = chrono::Utc::now().date_naive().to_string();
    f.add_older_orders("pax8-c-1", "pax8-p-1", 4_990, "2025-06-01");
    f.add_older_orders("pax8-c-1", "pax8-p-1", 10, &today);
    let older = f.orders().len();
    // Pax8 makes the order, then the reply hangs: the server is mid-call when killed.
    f.fault(Route::CreateOrder, Fault::LoseReply(Duration::from_secs(30)));
    r.call("procurement/dispatch", json!({"po_id": po})).await;
    for _ in 0..200 {
        if f.orders().len() > older {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(f.orders().len(), older + 1);
    first.start_kill().unwrap(); // SIGKILL
    first.wait().await.unwrap();

    let (_second, base) = spawn_server_with(&db, &key, &f, &QUICK_PAX8);
    let r = Remote::connect(&base).await;
    let d = wait_within(&r, po, "provisioned", 30).await;
    assert_eq!(
        (f.orders().len(), d["order_id"].as_str()),
        (older + 1, f.orders()[older]["id"].as_str()),
        "{backend}: adopted after the crash, not sent again, and not one of today's older orders"
    );
}

#[tokio::test]
async fn two_instances_on_one_postgresql_send_each_order_once() {
    let f = fake().await;
    let key = domain::crypto::EncryptionKey::generate();
    let db = domain::testing::fresh_database_url("postgres").await;
    let (_a, base_a) = spawn_server(&db, &key, &f, "5");
    let (_b, base_b) = spawn_server(&db, &key, &f, "5");
    let ra = Remote::connect(&base_a).await;
    let rb = Remote::connect(&base_b).await;
    ra.call("integrations/pax8/configure", json!({"client_id": "cid", "client_secret": "csecret"}))
        .await;
    ra.call("settings/update", json!({"auto_approve_limit_cents": 100_000_000})).await;
    let mut pos = Vec::new();
    for _ in 0..8 {
        pos.push(approved_pax8_po(&ra).await.0);
    }
    for (i, po) in pos.iter().enumerate() {
        // Both instances are asked, and both run workers.
        let (x, y) = if i % 2 == 0 { (&ra, &rb) } else { (&rb, &ra) };
        x.call("procurement/dispatch", json!({"po_id": po})).await;
        y.call("procurement/dispatch", json!({"po_id": po})).await;
    }
    for po in &pos {
        wait_for(&ra, *po, "provisioned").await;
    }
    assert_eq!(f.orders().len(), pos.len(), "one order per dispatch");
}

#[tokio::test]
async fn check_with_pax8_and_the_pax8_pickers_through_the_api() {
    let f = fake().await;
    f.add_company_named("pax8-c-2", "Old Mill Bakery", "Inactive");
    f.add_product(
        "pax8-p-2",
        ProductRule {
            name: "Exchange Online".into(),
            required_details: vec!["domain".into()],
            commitments: vec![("ct-9".into(), "Annual".into())],
            ..Default::default()
        },
    );
    let s = pax8_server("sqlite", &f).await;

    // The company picker: name, status, and whether Pax8 takes orders for it.
    let companies = s.ok(Role::Purchaser, "integrations/pax8/companies", json!({"q": "bakery"})).await;
    assert_eq!(
        companies,
        json!([{"id": "pax8-c-2", "name": "Old Mill Bakery", "status": "Inactive", "orderable": false}])
    );
    let all = s.ok(Role::Purchaser, "integrations/pax8/companies", json!({})).await;
    assert!(all.as_array().unwrap().iter().any(|c| c["id"] == "pax8-c-1" && c["orderable"] == true), "{all}");
    let (status, _) = s.call(Some(Role::Technician), "integrations/pax8/companies", json!({})).await;
    assert_eq!(status, 403, "linking is catalog work");
    // The product picker and what an order of the product must carry.
    let products = s.ok(Role::Purchaser, "integrations/pax8/products", json!({"q": "exchange"})).await;
    assert_eq!(products["items"][0]["id"], "pax8-p-2", "{products}");
    assert_eq!(products["items"][0]["name"], "Exchange Online");
    let req = s.ok(Role::Technician, "integrations/pax8/product", json!({"id": "pax8-p-2"})).await;
    assert_eq!(req["details"][0]["key"], "domain", "{req}");
    assert_eq!(req["commitments"], json!([{"id": "ct-9", "term": "Annual"}]));
    let (status, v) = s.call(Some(Role::Technician), "integrations/pax8/product", json!({"id": " "})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("id")), "{v}");
    let (status, v) = s.call(Some(Role::Technician), "integrations/pax8/product", json!({"id": "nope"})).await;
    assert_eq!((status, v["code"].as_str()), (404, Some("not_found")), "{v}");

    // Check with Pax8: an order Pax8 would take; nothing placed, on the timeline.
    let (po, _) = approved_pax8_po(&s).await;
    let (status, _) = s.call(Some(Role::Approver), "procurement/check", json!({"po_id": po})).await;
    assert_eq!(status, 403, "approvers do not dispatch");
    let v = s.ok(Role::Purchaser, "procurement/check", json!({"po_id": po})).await;
    assert_eq!(v, json!({"problems": []}));
    assert!(f.orders().is_empty(), "a check places nothing");
    let timeline = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": po})).await;
    assert!(timeline.as_array().unwrap().iter().any(|e| e["kind"] == "dispatch_checked"), "{timeline}");

    // A company that is not Active at Pax8.
    let got = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po})).await;
    let (company, vendor) = (got["company"]["id"].as_i64().unwrap(), got["vendor"]["id"].as_i64().unwrap());
    s.ok(Role::Purchaser, "companies/update", json!({"id": company, "pax8_company_id": "pax8-c-2"}))
        .await;
    // The approved PO keeps the company it was approved for (its snapshot).
    assert_eq!(s.ok(Role::Purchaser, "procurement/check", json!({"po_id": po})).await, json!({"problems": []}));
    let inactive = s
        .ok(Role::Purchaser, "purchase-orders/create", json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "M365", "quantity": 1, "unit_cost_cents": got["lines"][0]["unit_cost_cents"], "product_id": got["lines"][0]["product_id"]}]}))
        .await;
    let v = s.ok(Role::Purchaser, "procurement/check", json!({"po_id": inactive["id"]})).await;
    assert_eq!(v["problems"][0]["field"], "pax8_company_id", "{v}");
    assert!(v["problems"][0]["message"].as_str().unwrap().contains("Inactive"), "{v}");
    s.ok(Role::Purchaser, "companies/update", json!({"id": company, "pax8_company_id": "pax8-c-1"}))
        .await;

    // A line Pax8 would refuse is named by its PO line.
    let product = s
        .ok(Role::Purchaser, "products/create", json!({"vendor_id": vendor, "name": "Exchange Online", "sku": format!("EX-{}", rand_suffix()), "unit_cost_cents": 400, "distributor_product_id": "pax8-p-2", "billing_term": "Monthly"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let po2 = s
        .ok(Role::Purchaser, "purchase-orders/create", json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Exchange Online", "quantity": 2, "unit_cost_cents": 400, "product_id": product}]}))
        .await;
    let line = po2["lines"][0]["id"].as_i64().unwrap();
    let v = s.ok(Role::Purchaser, "procurement/check", json!({"po_id": po2["id"]})).await;
    let problem = &v["problems"][0];
    assert_eq!(problem["po_line_id"], line, "{v}");
    assert_eq!(problem["line"], "Line 1 · Exchange Online", "{v}");
    assert!(problem["message"].as_str().unwrap().contains("domain"), "{v}");

    // Not a Pax8 PO: 409.
    let cdw = s.ok(Role::Admin, "vendors/create", json!({"name": "CDW"})).await["id"].as_i64().unwrap();
    let hw = s
        .ok(
            Role::Purchaser,
            "purchase-orders/create",
            json!({"vendor_id": cdw, "company_id": company, "lines": [{"description": "Laptop", "quantity": 1, "unit_cost_cents": 100}]}),
        )
        .await;
    let (status, v) = s.call(Some(Role::Purchaser), "procurement/check", json!({"po_id": hw["id"]})).await;
    assert_eq!(status, 409, "{v}");

    // The PO page names subscriptions by their catalog product.
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": po})).await;
    let d = wait_for(&s, po, "provisioned").await;
    assert_eq!(d["product_names"]["pax8-p-1"], "M365", "{d}");
    assert!(d["line_labels"].as_object().unwrap().values().any(|l| l == "Line 1 · M365"), "{d}");
}
