//! Notifications through the real server, on SQLite and PostgreSQL, with a
//! real SMTP server and a real HTTP receiver on loopback (the project's
//! fakes): approvers are mailed within seconds, a SIGKILL right after the
//! submit still delivers after the restart, a receiver answering 500 then
//! 200 gets the same signed delivery twice, and bad webhook input is a 400
//! naming its field.

mod common;

use common::{Remote, TestServer};
use domain::users::Role;
use fakes::receiver::Receiver;
use fakes::smtp::FakeSmtp;
use serde_json::{json, Value};
use std::time::Duration;

/// A PO of $800 (over the default $500 limit), submitted by `role`.
async fn submit_over_limit(s: &TestServer, role: Role) -> Value {
    let company = match s.call(Some(Role::Admin), "companies/create", json!({"name": "Harbor Dental"})).await {
        (200, c) => c["id"].clone(),
        _ => s.ok(Role::Admin, "companies/list", json!({})).await[0]["id"].clone(),
    };
    let vendor = match s.call(Some(Role::Admin), "vendors/create", json!({"name": "CDW"})).await {
        (200, v) => v["id"].clone(),
        _ => s.ok(Role::Admin, "vendors/list", json!({})).await[0]["id"].clone(),
    };
    s.ok(
        role,
        "purchase-orders/create",
        json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Laptop", "quantity": 2, "unit_cost_cents": 40_000}], "submit": true}),
    )
    .await
}

/// Waits up to `secs` for `done`.
async fn within(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 20 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

domain::both_backends!(a_submitted_po_mails_each_approver_but_not_its_creator_within_seconds);
async fn a_submitted_po_mails_each_approver_but_not_its_creator_within_seconds(backend: &'static str) {
    let smtp = FakeSmtp::start(0).await.unwrap();
    let url = smtp.url();
    let s = TestServer::start_with(
        backend,
        &["--smtp-url", &url, "--mail-from", "NEXOS <po@msp.test>", "--public-url", "https://po.msp.test"],
    )
    .await;
    let po = submit_over_limit(&s, Role::Technician).await;
    assert_eq!(po["status"], "pending_approval");
    assert!(within(10, || smtp.received().len() >= 2).await, "mailed within seconds");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut to: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@msp.test", "approver@msp.test"],
        "approvers and admins, once each; not the technician"
    );
    let m = &smtp.to("approver@msp.test")[0];
    assert_eq!(m.from, "po@msp.test");
    let subject = m.header("Subject").unwrap();
    let number = po["number"].as_str().unwrap();
    assert!(
        subject.contains(number) && subject.contains("Harbor Dental") && subject.contains("$800.00"),
        "{subject}"
    );
    assert!(m.readable().contains(&format!("https://po.msp.test/purchase-orders/{}", po["id"])));
    // The approver turns email off; the next submission skips them.
    let (status, prefs) = s.call(Some(Role::Approver), "notifications/set-preferences", json!({"email": false})).await;
    assert_eq!((status, prefs["email"].as_bool()), (200, Some(false)));
    submit_over_limit(&s, Role::Technician).await;
    assert!(within(10, || smtp.received().len() >= 3).await);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(smtp.to("approver@msp.test").len(), 1, "opted out");
    assert_eq!(smtp.to("admin@msp.test").len(), 2);
    // The test mail goes to the admin who asks.
    let sent = s.ok(Role::Admin, "notifications/test-mail", json!({})).await;
    assert_eq!(sent, "admin@msp.test");
    assert_eq!(smtp.to("admin@msp.test").len(), 3);
    // The approver's inbox and badge count.
    let inbox = s.ok(Role::Admin, "approvals/inbox", json!({})).await;
    assert_eq!(inbox.as_array().unwrap().len(), 2);
    assert_eq!(inbox[0]["number"], number, "oldest first");
    assert_eq!(s.ok(Role::Approver, "approvals/count", json!({})).await, 2);
    assert_eq!(s.ok(Role::Technician, "approvals/count", json!({})).await, 0);
}

domain::both_backends!(a_receiver_answering_500_then_200_gets_the_same_signed_delivery);
async fn a_receiver_answering_500_then_200_gets_the_same_signed_delivery(backend: &'static str) {
    let key = domain::crypto::EncryptionKey::generate();
    let s = TestServer::start_with(backend, &["--encryption-key", &key, "--notify-retry-seconds", "1"]).await;
    let rx = Receiver::start().await.unwrap();
    let secret = "whsec-a-long-enough-secret";
    let hook = s
        .ok(
            Role::Admin,
            "webhooks/create",
            json!({"url": format!("{}/nexos", rx.base), "kind": "generic", "events": ["po.submitted"], "secret": secret}),
        )
        .await;
    assert_eq!(hook["signed"], true);
    assert!(
        hook.get("secret").is_none() && !hook.to_string().contains(secret),
        "the secret never comes back"
    );
    rx.answer(&[500]);
    let po = submit_over_limit(&s, Role::Technician).await;
    assert!(within(15, || rx.hits().len() >= 2).await, "retried after the 500");
    let hits = rx.hits();
    let id = hits[0].header("x-nexos-delivery").unwrap().to_string();
    assert_eq!(hits[1].header("x-nexos-delivery"), Some(id.as_str()), "the same delivery id both times");
    for h in &hits {
        assert!(domain::notifications::webhook::verify(
            secret,
            h.body.as_bytes(),
            h.header("x-nexos-signature").unwrap()
        ));
        assert_eq!(h.header("x-nexos-event"), Some("po.submitted"));
    }
    assert_eq!(hits[1].json()["po"]["id"], po["id"]);
    // Settings shows the deliveries: delivered after two attempts.
    let mut delivered = false;
    for _ in 0..40 {
        let d = s.ok(Role::Admin, "webhooks/deliveries", json!({"webhook_id": hook["id"]})).await;
        if d[0]["status"] == "delivered" {
            assert_eq!((d[0]["attempts"].as_i64(), d[0]["last_code"].as_i64()), (Some(2), Some(200)));
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered);
    let status = s.ok(Role::Admin, "notifications/status", json!({})).await;
    assert_eq!(status["webhooks"][0]["recent"][0]["key"], id.as_str());
    // Email is off on this server: recorded as not sent, saying why.
    assert_eq!(status["mail"]["mode"], "off");
    let failed = status["failed"].as_array().unwrap();
    assert!(
        !failed.is_empty()
            && failed
                .iter()
                .all(|d| d["status"] == "not_sent" && d["last_error"].as_str().unwrap().contains("NEXOS_SMTP_URL"))
    );
}

domain::both_backends!(bad_webhook_input_answers_400_naming_the_field);
async fn bad_webhook_input_answers_400_naming_the_field(backend: &'static str) {
    let key = domain::crypto::EncryptionKey::generate();
    let s = TestServer::start_with(backend, &["--encryption-key", &key]).await;
    for (body, field) in [
        (json!({"url": "ftp://hooks.example/h", "kind": "generic"}), "url"),
        (json!({"url": "http://hooks.example/h", "kind": "generic"}), "url"),
        (json!({"url": "https://hooks.example/h", "kind": "carrier-pigeon"}), "kind"),
        (
            json!({"url": "https://hooks.example/h", "kind": "slack", "events": ["po.teleported"]}),
            "events[0]",
        ),
        (json!({"url": "https://hooks.example/h", "kind": "generic", "secret": "short"}), "secret"),
    ] {
        let (status, e) = s.call(Some(Role::Admin), "webhooks/create", body.clone()).await;
        assert_eq!(
            (status, e["code"].as_str(), e["field"].as_str()),
            (400, Some("validation"), Some(field)),
            "{body}: {e}"
        );
    }
    assert_eq!(s.ok(Role::Admin, "webhooks/list", json!({})).await, json!([]), "nothing was added");
    let (status, _) = s.call(Some(Role::Approver), "webhooks/list", json!({})).await;
    assert_eq!(status, 403);
}

domain::both_backends!(a_server_killed_right_after_a_submit_still_mails_after_restart);
async fn a_server_killed_right_after_a_submit_still_mails_after_restart(backend: &'static str) {
    let smtp = FakeSmtp::start(0).await.unwrap();
    let db = domain::testing::fresh_database_url(backend).await;
    let env = [("NEXOS_SMTP_URL", smtp.url()), ("NEXOS_NOTIFY_LEASE_SECONDS", "2".to_string())];
    let (mut first, base) = common::spawn_binary(&db, &env);
    let r = Remote::connect(&base).await;
    r.call(
        "users/create",
        json!({"email": "ann@msp.test", "name": "Ann Approver", "password": common::PASSWORD, "role": "approver"}),
    )
    .await;
    let company = r.call("companies/create", json!({"name": "Harbor Dental"})).await["id"].clone();
    let vendor = r.call("vendors/create", json!({"name": "CDW"})).await["id"].clone();
    // The mail server accepts the next connection and then says nothing:
    // the server is mid-delivery when it is killed.
    smtp.stall_next(Duration::from_secs(30));
    let po = r
        .call(
            "purchase-orders/create",
            json!({"vendor_id": vendor, "company_id": company, "lines": [{"description": "Laptop", "quantity": 2, "unit_cost_cents": 40_000}], "submit": true}),
        )
        .await;
    assert_eq!(po["status"], "pending_approval");
    assert!(within(10, || smtp.connections() >= 1).await, "the delivery started");
    first.start_kill().unwrap(); // SIGKILL
    first.wait().await.unwrap();
    assert!(smtp.received().is_empty(), "nothing was delivered before the kill");

    let (_second, _base) = common::spawn_binary(&db, &env);
    assert!(
        within(20, || !smtp.to("ann@msp.test").is_empty()).await,
        "{backend}: delivered after the restart"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.to("ann@msp.test").len(), 1, "once");
    assert!(smtp.to("ann@msp.test")[0].header("Subject").unwrap().contains(po["number"].as_str().unwrap()));
}
