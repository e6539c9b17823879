//! The purchase-order API over real HTTP: every function, bad inputs that
//! change nothing, the signature image, and numbering across two server
//! processes on one PostgreSQL.

mod common;

use base64::Engine;
use common::TestServer;
use domain::users::Role;
use serde_json::{json, Value};

async fn setup(s: &TestServer) -> (i64, i64) {
    let company = s.ok(Role::Admin, "companies/create", json!({"name": "Harbor Dental"})).await["id"]
        .as_i64()
        .unwrap();
    let vendor = s.ok(Role::Admin, "vendors/create", json!({"name": "CDW"})).await["id"].as_i64().unwrap();
    (company, vendor)
}

fn po(vendor: i64, company: i64, qty: i64, cents: i64) -> Value {
    json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Dell Latitude", "quantity": qty, "unit_cost_cents": cents}]})
}

fn png_b64(ink: bool) -> String {
    base64::engine::general_purpose::STANDARD.encode(domain::purchase_orders::signature::sample_png(400, 150, ink))
}

domain::both_backends!(bad_inputs_get_400_with_the_field_and_change_nothing);
async fn bad_inputs_get_400_with_the_field_and_change_nothing(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (company, vendor) = setup(&s).await;
    let ticket = s.ok(Role::Admin, "tickets/create", json!({"company_id": company, "title": "T"})).await["id"]
        .as_i64()
        .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"vendor_id": vendor, "company_id": company, "lines": []}), "lines"),
        (po(vendor, company, 0, 100), "lines[0].quantity"),
        (po(vendor, company, -2, 100), "lines[0].quantity"),
        (po(vendor, company, 1, -1), "lines[0].unit_cost_cents"),
        (po(vendor, company, 1, 9_000_000_000_000), "lines[0].unit_cost_cents"),
        (po(9999, company, 1, 100), "vendor_id"),
        (po(vendor, 9999, 1, 100), "company_id"),
        (
            json!({"vendor_id": vendor, "company_id": company, "ticket_id": ticket, "lines": [{"description": "x", "quantity": 1, "unit_cost_cents": 1}]}),
            "company_id",
        ),
        (
            json!({"vendor_id": vendor, "lines": [{"description": "x", "quantity": 1, "unit_cost_cents": 1}]}),
            "company_id",
        ),
        (
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": " ", "quantity": 1, "unit_cost_cents": 1}]}),
            "lines[0].description",
        ),
    ];
    for (body, field) in cases {
        let (status, v) = s.call(Some(Role::Technician), "purchase-orders/create", body.clone()).await;
        assert_eq!(
            (status, v["code"].as_str(), v["field"].as_str()),
            (400, Some("validation"), Some(field)),
            "{backend}: {body} → {v}"
        );
    }
    let (status, v) = s
        .call(
            Some(Role::Technician),
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "x", "quantity": "two", "unit_cost_cents": 1}]}),
        )
        .await;
    assert_eq!((status, v["code"].as_str()), (400, Some("validation")), "{v}");
    let list = s.ok(Role::Viewer, "purchase-orders/list", json!({})).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{backend}: nothing was created");

    // Approve with bad signatures, and reject with a 10 kB reason.
    s.ok(Role::Admin, "settings/update", json!({"require_signature": true})).await;
    let id = s.ok(Role::Technician, "purchase-orders/create", po(vendor, company, 10, 100_000)).await["id"]
        .as_i64()
        .unwrap();
    for (sig, what) in [
        (png_b64(false), "empty"),
        (base64::engine::general_purpose::STANDARD.encode(b"GIF89a not a png"), "PNG"),
        ("A".repeat(800_000), "larger"),
    ] {
        let (status, v) = s
            .call(
                Some(Role::Approver),
                "purchase-orders/approve",
                json!({"id": id, "version": 2, "signature_png": sig}),
            )
            .await;
        assert_eq!((status, v["field"].as_str()), (400, Some("signature_png")), "{v}");
        assert!(v["message"].as_str().unwrap().contains(what), "{v}");
    }
    // A body beyond the approval's limit (1 MiB) is refused before it is read.
    let (status, v) = s
        .call(
            Some(Role::Approver),
            "purchase-orders/approve",
            json!({"id": id, "version": 2, "signature_png": "A".repeat(2_000_000)}),
        )
        .await;
    assert_eq!((status, v["code"].as_str()), (413, Some("too_large")), "{v}");
    let (status, v) = s.call(Some(Role::Approver), "purchase-orders/approve", json!({"id": id, "version": 2})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("signature_png")), "a signature is required: {v}");
    // The version the approver saw is required.
    for endpoint in ["purchase-orders/approve", "purchase-orders/reject"] {
        let (status, v) = s
            .call(
                Some(Role::Approver),
                endpoint,
                json!({"id": id, "signature_png": png_b64(true), "reason": "Too much"}),
            )
            .await;
        assert_eq!(
            (status, v["code"].as_str(), v["field"].as_str()),
            (400, Some("validation"), Some("version")),
            "{backend}: {endpoint} without a version: {v}"
        );
    }
    let (status, v) = s
        .call(
            Some(Role::Approver),
            "purchase-orders/reject",
            json!({"id": id, "version": 2, "reason": "x".repeat(10_000)}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("reason")), "{v}");
    let got = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": id})).await;
    assert_eq!(
        (got["status"].as_str(), got["version"].as_i64()),
        (Some("pending_approval"), Some(2)),
        "{backend}: unchanged"
    );
    let (status, _) = s.call(Some(Role::Viewer), "purchase-orders/get", json!({"id": 4242})).await;
    assert_eq!(status, 404);
    let (status, v) = s.call(Some(Role::Viewer), "purchase-orders/list", json!({"status": "lost"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("status")));
}

domain::both_backends!(the_whole_lifecycle_through_the_api);
async fn the_whole_lifecycle_through_the_api(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (company, vendor) = setup(&s).await;
    // Auto-approval under the limit ($500 by default).
    let small = s.ok(Role::Technician, "purchase-orders/create", po(vendor, company, 1, 49_999)).await;
    assert_eq!(
        (
            small["status"].as_str(),
            small["approval"]["kind"].as_str(),
            small["approval"]["limit_cents"].as_i64()
        ),
        (Some("approved"), Some("auto"), Some(50_000))
    );
    assert!(small["number"].as_str().unwrap().starts_with("PO-20"));

    // Over the limit: an approver signs; a technician may not approve.
    s.ok(Role::Admin, "settings/update", json!({"require_signature": true})).await;
    let big = s.ok(Role::Technician, "purchase-orders/create", po(vendor, company, 3, 120_000)).await;
    let id = big["id"].as_i64().unwrap();
    assert_eq!(big["status"], "pending_approval");
    let (status, _) = s
        .call(
            Some(Role::Technician),
            "purchase-orders/approve",
            json!({"id": id, "version": big["version"], "signature_png": png_b64(true)}),
        )
        .await;
    assert_eq!(status, 403);
    let rejected = s
        .ok(
            Role::Approver,
            "purchase-orders/reject",
            json!({"id": id, "version": big["version"], "reason": "Get three quotes"}),
        )
        .await;
    assert_eq!(rejected["rejection"]["reason"], "Get three quotes");
    let body = |version: &Value| json!({"id": id, "version": version, "vendor_id": vendor, "company_id": company, "lines": [{"description": "Dell Latitude", "quantity": 2, "unit_cost_cents": 110_000}], "submit": true});
    let (status, v) = s.call(Some(Role::Technician), "purchase-orders/update", body(&big["version"])).await;
    assert_eq!((status, v["code"].as_str()), (409, Some("stale")), "stale version: {v}");
    let (status, _) = s.call(Some(Role::Purchaser), "purchase-orders/update", body(&rejected["version"])).await;
    assert_eq!(status, 403, "only the creator (or an admin) edits");
    let resubmitted = s.ok(Role::Technician, "purchase-orders/update", body(&rejected["version"])).await;
    assert_eq!(
        (resubmitted["status"].as_str(), resubmitted["total_cents"].as_i64()),
        (Some("pending_approval"), Some(220_000))
    );
    let approved = s
        .ok(
            Role::Approver,
            "purchase-orders/approve",
            json!({"id": id, "version": resubmitted["version"], "signature_png": format!("data:image/png;base64,{}", png_b64(true))}),
        )
        .await;
    let url = approved["approval"]["signature_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("/purchase-orders/{id}/signature.png"));
    assert_eq!(approved["approval"]["by"]["name"], "Approver user");
    let (status, _) = s.call(Some(Role::Purchaser), "purchase-orders/update", body(&approved["version"])).await;
    assert_eq!(status, 403, "only its creator (or an admin) revises an approved PO");

    // The signature image, for signed-in users only.
    let res = s.http.get(format!("{}{url}", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let viewer = s.browser("viewer@msp.test").await;
    let res = viewer.get(format!("{}{url}", s.base)).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    let png = res.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(
        domain::purchase_orders::signature::sha256_hex(&png),
        approved["approval"]["signature_sha256"].as_str().unwrap()
    );

    // Receive in two steps; never more than ordered.
    let line = approved["lines"][0]["id"].as_i64().unwrap();
    let (status, v) = s
        .call(
            Some(Role::Approver),
            "purchase-orders/receive",
            json!({"id": id, "lines": [{"line_id": line, "quantity": 3}]}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (409, Some("lines[0].quantity")), "{v}");
    let (status, _) = s
        .call(
            Some(Role::Technician),
            "purchase-orders/receive",
            json!({"id": id, "lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(status, 403);
    let part = s
        .ok(
            Role::Purchaser,
            "purchase-orders/receive",
            json!({"id": id, "lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(
        (part["status"].as_str(), part["lines"][0]["received_quantity"].as_i64()),
        (Some("partially_received"), Some(1))
    );
    let (status, v) = s.call(Some(Role::Technician), "purchase-orders/update", body(&part["version"])).await;
    assert_eq!(status, 409, "a PO goods arrived on is locked: {v}");
    let (status, _) = s
        .call(Some(Role::Technician), "purchase-orders/cancel", json!({"id": id, "reason": "late"}))
        .await;
    assert_eq!(status, 409, "nothing received may be cancelled");
    let full = s
        .ok(
            Role::Purchaser,
            "purchase-orders/receive",
            json!({"id": id, "lines": [{"line_id": line, "quantity": 1}]}),
        )
        .await;
    assert_eq!(full["status"], "received");

    let timeline = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": id})).await;
    let kinds: Vec<&str> = timeline.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["created", "submitted", "rejected", "edited", "submitted", "approved", "received", "received"],
        "{backend}"
    );
    assert_eq!(timeline[5]["actor"]["name"], "Approver user");
    assert!(timeline[5]["data"]["signature_sha256"].is_string());

    // Lists: filters, search, committed cost, newest first.
    let page = s.ok(Role::Viewer, "purchase-orders/list", json!({"company_id": company})).await;
    assert_eq!(page["items"][0]["id"].as_i64(), Some(id));
    assert_eq!(page["committed_cents"].as_i64(), Some(49_999 + 220_000));
    let page = s
        .ok(Role::Viewer, "purchase-orders/list", json!({"q": "latitude", "status": "received", "limit": 1}))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_null());

    // Cancel a draft with a reason.
    let draft = s
        .ok(
            Role::Technician,
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Mouse", "quantity": 1, "unit_cost_cents": 1500}], "submit": false}),
        )
        .await;
    assert_eq!(draft["status"], "draft");
    let cancelled = s
        .ok(
            Role::Technician,
            "purchase-orders/cancel",
            json!({"id": draft["id"], "reason": "Ordered by mistake"}),
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
}

/// Two server processes on one PostgreSQL database, 100 creates each at the
/// same time: 200 unique numbers, none skipped.
#[tokio::test]
async fn two_server_processes_share_numbering() {
    let url = domain::testing::fresh_database_url("postgres").await;
    let (_a, base_a) = common::spawn_binary(&url, &[]);
    let (_b, base_b) = common::spawn_binary(&url, &[]);
    let remotes = [
        std::sync::Arc::new(common::Remote::connect(&base_a).await),
        std::sync::Arc::new(common::Remote::connect(&base_b).await),
    ];
    let company = remotes[1].call("companies/create", json!({"name": "Acme"})).await["id"].as_i64().unwrap();
    let vendor = remotes[0].call("vendors/create", json!({"name": "CDW"})).await["id"].as_i64().unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let remote = remotes[i % 2].clone();
        let body = json!({"vendor_id": vendor, "company_id": company, "submit": false, "lines": [{"description": "x", "quantity": 1, "unit_cost_cents": 100}]});
        tasks.push(tokio::spawn(async move { remote.call("purchase-orders/create", body).await }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        let v = t.await.unwrap();
        let number = v["number"].as_str().unwrap_or_else(|| panic!("{v}")).to_string();
        seqs.push(number.rsplit('-').next().unwrap().parse::<i64>().unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=200).collect::<Vec<_>>());
}

domain::both_backends!(approvers_decide_only_on_others_pos_and_on_the_version_they_saw);
async fn approvers_decide_only_on_others_pos_and_on_the_version_they_saw(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (company, vendor) = setup(&s).await;
    // Segregation of duties: the approver raised it.
    let own = s.ok(Role::Approver, "purchase-orders/create", po(vendor, company, 3, 120_000)).await;
    let id = own["id"].as_i64().unwrap();
    for (endpoint, body) in [
        ("purchase-orders/approve", json!({"id": id, "version": own["version"]})),
        ("purchase-orders/reject", json!({"id": id, "version": own["version"], "reason": "No"})),
    ] {
        let (status, v) = s.call(Some(Role::Approver), endpoint, body).await;
        assert_eq!((status, v["code"].as_str()), (403, Some("self_approval")), "{backend}: {endpoint}: {v}");
        assert!(v["message"].as_str().unwrap().contains("someone else"), "{v}");
    }
    assert_eq!(s.ok(Role::Viewer, "purchase-orders/get", json!({"id": id})).await, own, "{backend}: unchanged");
    assert_eq!(s.ok(Role::Admin, "settings/get", json!({})).await["allow_self_approval"], false);
    let set = s.ok(Role::Admin, "settings/update", json!({"allow_self_approval": true})).await;
    assert_eq!(set["allow_self_approval"], true);
    let approved = s
        .ok(Role::Approver, "purchase-orders/approve", json!({"id": id, "version": own["version"]}))
        .await;
    assert_eq!(
        (approved["status"].as_str(), approved["self_approved"].as_bool()),
        (Some("approved"), Some(true))
    );
    let timeline = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": id})).await;
    let last = timeline.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["message"].as_str(), &last["data"]["self_approval"]),
        (Some("Approved (self-approval)"), &json!(true))
    );

    // A PO changed since the approver saw it: 409 stale, nothing changed.
    let seen = s.ok(Role::Technician, "purchase-orders/create", po(vendor, company, 3, 120_000)).await;
    let id = seen["id"].as_i64().unwrap();
    let rejected = s
        .ok(
            Role::Approver,
            "purchase-orders/reject",
            json!({"id": id, "version": seen["version"], "reason": "Fewer"}),
        )
        .await;
    let mut again = po(vendor, company, 2, 120_000);
    again["id"] = json!(id);
    again["version"] = rejected["version"].clone();
    again["submit"] = json!(true);
    let now = s.ok(Role::Technician, "purchase-orders/update", again).await;
    assert_eq!(now["status"], "pending_approval");
    for (endpoint, body) in [
        ("purchase-orders/approve", json!({"id": id, "version": seen["version"]})),
        ("purchase-orders/reject", json!({"id": id, "version": seen["version"], "reason": "No"})),
    ] {
        let (status, v) = s.call(Some(Role::Approver), endpoint, body).await;
        assert_eq!(
            (status, v["code"].as_str(), v["field"].as_str()),
            (409, Some("stale"), Some("version")),
            "{backend}: {endpoint}: {v}"
        );
        assert!(v["message"].as_str().unwrap().contains(&format!("version {} now", now["version"])), "{v}");
    }
    assert_eq!(s.ok(Role::Viewer, "purchase-orders/get", json!({"id": id})).await, now, "{backend}: unchanged");
    let approved = s
        .ok(Role::Approver, "purchase-orders/approve", json!({"id": id, "version": now["version"]}))
        .await;
    assert_eq!(
        (approved["status"].as_str(), approved["self_approved"].as_bool()),
        (Some("approved"), Some(false))
    );
}

domain::both_backends!(an_approval_fixes_the_price_the_product_and_who_approved);
/// What an approval fixes, through the API: catalog prices (an override
/// goes to an approver), a product of the PO's vendor, a revised approved
/// PO, and two approvals above the second limit.
async fn an_approval_fixes_the_price_the_product_and_who_approved(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (company, vendor) = setup(&s).await;
    let other = s.ok(Role::Admin, "vendors/create", json!({"name": "Pax8", "distributor": "pax8"})).await["id"]
        .as_i64()
        .unwrap();
    let product = |v: i64, sku: &str| json!({"vendor_id": v, "name": format!("Seat {sku}"), "sku": sku, "unit_cost_cents": 2200});
    let ours = s.ok(Role::Admin, "products/create", product(vendor, "S1")).await["id"].as_i64().unwrap();
    let theirs = s.ok(Role::Admin, "products/create", product(other, "S2")).await["id"].as_i64().unwrap();
    let line = |p: i64, cents: i64| json!({"description": "Seats", "quantity": 50, "unit_cost_cents": cents, "product_id": p});

    // 50 seats of a $22 product at $0: an override, never auto-approved.
    let free = s
        .ok(
            Role::Technician,
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [line(ours, 0)]}),
        )
        .await;
    assert_eq!(
        (free["status"].as_str(), free["total_cents"].as_i64()),
        (Some("pending_approval"), Some(0)),
        "{backend}"
    );
    assert_eq!(free["lines"][0]["catalog_unit_cost_cents"], 2200);
    assert_eq!(free["snapshot"]["lines"][0]["sku"], "S1");

    // A product of another vendor: 400 naming the line, nothing created.
    let before = s.ok(Role::Viewer, "purchase-orders/list", json!({})).await["items"].as_array().unwrap().len();
    let (status, v) = s
        .call(
            Some(Role::Technician),
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [line(ours, 2200), line(theirs, 2200)]}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("lines[1].product_id")), "{backend}: {v}");
    assert_eq!(
        s.ok(Role::Viewer, "purchase-orders/list", json!({})).await["items"].as_array().unwrap().len(),
        before
    );

    // Two approvals above the second limit: the approver, then an admin.
    let set = s.ok(Role::Admin, "settings/update", json!({"second_approval_limit_cents": 100_000})).await;
    assert_eq!(set["second_approval_limit_cents"], 100_000);
    let (status, v) = s.call(Some(Role::Admin), "settings/update", json!({"second_approval_limit_cents": -1})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("second_approval_limit_cents")));
    let big = s.ok(Role::Technician, "purchase-orders/create", po(vendor, company, 3, 120_000)).await;
    let id = big["id"].as_i64().unwrap();
    assert_eq!(big["approvals_required"], 2, "{backend}");
    let first = s
        .ok(
            Role::Approver,
            "purchase-orders/approve",
            json!({"id": id, "version": big["version"], "signature_png": png_b64(true)}),
        )
        .await;
    assert_eq!(
        (first["status"].as_str(), first["approvals"].as_array().unwrap().len()),
        (Some("pending_approval"), 1)
    );
    let (status, v) = s
        .call(Some(Role::Approver), "purchase-orders/approve", json!({"id": id, "version": first["version"]}))
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (403, Some("forbidden")),
        "{backend}: the same approver twice: {v}"
    );
    let first_sig = first["approvals"][0]["signature_url"].as_str().unwrap().to_string();
    let viewer = s.browser("viewer@msp.test").await;
    let res = viewer.get(format!("{}{first_sig}", s.base)).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{backend}: the first approver's signature");
    let done = s
        .ok(
            Role::Admin,
            "purchase-orders/approve",
            json!({"id": id, "version": first["version"], "signature_png": png_b64(true)}),
        )
        .await;
    assert_eq!(done["status"], "approved");
    let names: Vec<&str> = done["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["by"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Approver user", "Admin user"], "{backend}");
}
