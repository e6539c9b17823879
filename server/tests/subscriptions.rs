//! Subscriptions through the API with the real worker against the fake
//! Pax8: recorded when a dispatch provisions one, synced (imports, drift),
//! change orders raised, approved and sent, and the API's errors (400
//! naming the field, 403, 404, 409).

mod common;

use common::procurement::*;
use domain::users::Role;
use serde_json::json;

domain::both_backends!(a_dispatched_subscription_is_known_and_a_sync_imports_and_flags_drift);
async fn a_dispatched_subscription_is_known_and_a_sync_imports_and_flags_drift(backend: &'static str) {
    let f = fake().await;
    let s = pax8_server(backend, &f).await;
    let (po, contract) = approved_pax8_po(&s).await;
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": po})).await;
    wait_for(&s, po, "provisioned").await;
    let company = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po})).await["company"]["id"]
        .as_i64()
        .unwrap();

    let subs = s.ok(Role::Viewer, "subscriptions/list", json!({"company_id": company})).await;
    let subs = subs.as_array().unwrap();
    assert_eq!(subs.len(), 1, "{backend}: {subs:?}");
    let sub = &subs[0];
    let line = s.ok(Role::Viewer, "contracts/get", json!({"id": contract})).await["lines"][0]["id"].clone();
    assert_eq!(
        (sub["po_id"].as_i64(), sub["quantity"].as_i64(), sub["status"].as_str()),
        (Some(po), Some(5), Some("active")),
        "{sub}"
    );
    assert_eq!(sub["contract_line_id"], line, "{sub}");
    assert!(sub["drift"].is_null());
    let detail = s.ok(Role::Viewer, "subscriptions/get", json!({"id": sub["id"]})).await;
    assert_eq!(detail["changes"][0]["po_id"].as_i64(), Some(po), "{detail}");
    assert_eq!(detail["changes"][0]["kind"], "made");

    // Someone adds seats in Pax8's portal; another subscription was made there.
    let remote = sub["distributor_subscription_id"].as_str().unwrap();
    f.change_in_portal(remote, 8);
    f.add_subscription("pax8-c-1", "pax8-p-1", 3, "Monthly", None);
    let (status, v) = s.call(Some(Role::Technician), "subscriptions/sync", json!({"company_id": company})).await;
    assert_eq!(status, 403, "{v}");
    let out = s.ok(Role::Purchaser, "subscriptions/sync", json!({"company_id": company})).await;
    assert_eq!((out["imported"].as_u64(), out["drifted"].as_u64()), (Some(1), Some(1)), "{backend}: {out}");
    let got = s.ok(Role::Viewer, "subscriptions/get", json!({"id": sub["id"]})).await;
    assert_eq!(
        (got["quantity"].as_i64(), got["drift"]["distributor_quantity"].as_i64()),
        (Some(5), Some(8)),
        "{got}"
    );
    let active = s.ok(Role::Viewer, "subscriptions/list", json!({"status": "active"})).await;
    assert_eq!(active.as_array().unwrap().len(), 2);
    assert_eq!(f.writes_applied(), 0, "a sync never changes Pax8");

    let (status, v) = s.call(Some(Role::Viewer), "subscriptions/list", json!({"status": "gone"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("status")), "{v}");
    let (status, _) = s.call(Some(Role::Viewer), "subscriptions/get", json!({"id": 99_999})).await;
    assert_eq!(status, 404);
    let plain = s.ok(Role::Admin, "companies/create", json!({"name": "Walk-in"})).await["id"].clone();
    let (status, v) = s.call(Some(Role::Purchaser), "subscriptions/sync", json!({"company_id": plain})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("company_id")), "{v}");
    // The provisioned one's commitment ends a year out.
    let year = s.ok(Role::Viewer, "subscriptions/renewals", json!({"days": 400})).await;
    assert!(
        year.as_array()
            .unwrap()
            .iter()
            .any(|r| r["po_id"].as_i64() == Some(po) && r["seats_in_use"] == 5),
        "{year}"
    );
    let (status, v) = s.call(Some(Role::Viewer), "subscriptions/renewals", json!({"days": 0})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("days")), "{v}");
    let (status, _) = s.call(None, "subscriptions/list", json!({})).await;
    assert_eq!(status, 401);
}

domain::both_backends!(a_change_order_goes_through_the_api_from_raise_to_pax8);
async fn a_change_order_goes_through_the_api_from_raise_to_pax8(backend: &'static str) {
    let f = fake().await;
    let s = pax8_server(backend, &f).await;
    let (po, contract) = approved_pax8_po(&s).await;
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": po})).await;
    wait_for(&s, po, "provisioned").await;
    let company = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po})).await["company"]["id"].clone();
    let sub = s.ok(Role::Viewer, "subscriptions/list", json!({"company_id": company})).await[0].clone();

    // Bad input names the field and raises nothing; a viewer may not raise one.
    for (body, field) in [
        (json!({"subscription_id": sub["id"], "quantity": 5}), "lines[0].change.quantity"),
        (json!({"subscription_id": sub["id"], "quantity": 9, "cancel": true}), "lines[0].change.quantity"),
        (json!({"subscription_id": 99_999, "quantity": 9}), "lines[0].change.subscription_id"),
        (
            json!({"subscription_id": sub["id"], "cancel": true, "cancel_date": "31/12/2030"}),
            "lines[0].change.cancel_date",
        ),
    ] {
        let (status, v) = s.call(Some(Role::Purchaser), "subscriptions/change", body.clone()).await;
        assert_eq!((status, v["field"].as_str()), (400, Some(field)), "{backend}: {body}: {v}");
    }
    let (status, _) = s
        .call(Some(Role::Viewer), "subscriptions/change", json!({"subscription_id": sub["id"], "quantity": 7}))
        .await;
    assert_eq!(status, 403);
    let mixed = json!({"vendor_id": 0, "lines": [
        {"description": "", "quantity": 0, "unit_cost_cents": 0, "change": {"subscription_id": sub["id"], "quantity": 7}},
        {"description": "Setup", "quantity": 1, "unit_cost_cents": 5000}]});
    let (status, v) = s.call(Some(Role::Purchaser), "purchase-orders/create", mixed).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("lines[1].change")), "{v}");

    // Seven seats: a draft; not dispatched before it is approved.
    let change = s
        .ok(Role::Purchaser, "subscriptions/change", json!({"subscription_id": sub["id"], "quantity": 7}))
        .await;
    assert_eq!(change["status"], "draft", "{change}");
    assert_eq!(change["lines"][0]["change"]["from_quantity"], 5, "{change}");
    assert_eq!((change["lines"][0]["quantity"].as_i64(), change["total_cents"].as_i64()), (Some(2), Some(4400)));
    let id = change["id"].clone();
    let (status, _) = s.call(Some(Role::Purchaser), "procurement/dispatch", json!({"po_id": id})).await;
    assert_eq!(status, 409, "a draft is not dispatched");
    let submitted = s.ok(Role::Purchaser, "purchase-orders/submit", json!({"id": id})).await;
    assert_eq!(submitted["status"], "approved", "more seats at a cost, under the limit: {submitted}");
    s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": id})).await;
    let d = wait_for(&s, id.as_i64().unwrap(), "provisioned").await;
    assert!(d["request"]["lines"].as_array().unwrap().is_empty(), "{d}");
    assert_eq!(f.subscription(sub["distributor_subscription_id"].as_str().unwrap()).unwrap()["quantity"], 7);
    assert_eq!(f.writes_applied(), 1);
    let line = s.ok(Role::Viewer, "contracts/get", json!({"id": contract})).await["lines"][0].clone();
    assert_eq!(line["quantity"], 7, "{line}");
    let got = s.ok(Role::Viewer, "subscriptions/get", json!({"id": sub["id"]})).await;
    assert_eq!(
        (got["quantity"].as_i64(), got["changes"][1]["kind"].as_str()),
        (Some(7), Some("seats")),
        "{got}"
    );

    // A decrease waits for an approver, however small.
    let fewer = s
        .ok(
            Role::Purchaser,
            "subscriptions/change",
            json!({"subscription_id": sub["id"], "quantity": 6, "submit": true}),
        )
        .await;
    assert_eq!(
        (fewer["status"].as_str(), fewer["total_cents"].as_i64()),
        (Some("pending_approval"), Some(-2200)),
        "{fewer}"
    );
}
