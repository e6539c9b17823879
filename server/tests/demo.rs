//! The demo is alive: `--demo` loads six months of purchase
//! orders in every state, made through the real services against the
//! sandbox Pax8 and QuickBooks, once; a restart keeps them and links the
//! new sandbox QuickBooks again.

mod common;

use common::TestServer;
use domain::demo::history::{Outcome, SCENES};
use domain::users::Role;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The status each scene's PO ends in, counted.
/// The demo's change orders made beside the scenes (one decrease, held).
const HELD_CHANGE_ORDERS: usize = 1;

fn expected_statuses() -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for s in SCENES {
        let status = match s.outcome {
            Outcome::Draft => "draft",
            Outcome::Pending | Outcome::PendingSecond => "pending_approval",
            Outcome::Rejected(_) => "rejected",
            Outcome::Cancelled(_) => "cancelled",
            Outcome::PartlyReceived => "partially_received",
            Outcome::Received { .. } => "received",
            // Seats are not goods: a provisioned PO counts as received.
            Outcome::Provisioned => "received",
            _ => "approved",
        };
        *m.entry(status).or_default() += 1;
    }
    // Beside the scenes: the decrease held for the renewal (approved).
    *m.entry("approved").or_default() += HELD_CHANGE_ORDERS;
    m
}

fn count(scenes: impl Fn(&Outcome) -> bool) -> usize {
    SCENES.iter().filter(|s| scenes(&s.outcome)).count()
}

async fn all_pos(s: &TestServer, status: &str) -> Vec<Value> {
    let page = s.ok(Role::Viewer, "purchase-orders/list", json!({"status": status, "limit": 100})).await;
    page["items"].as_array().unwrap().clone()
}

domain::both_backends!(the_demo_has_six_months_in_every_state);
async fn the_demo_has_six_months_in_every_state(backend: &'static str) {
    let key = domain::crypto::EncryptionKey::generate();
    let s = TestServer::start_with(backend, &["--demo", "--encryption-key", &key]).await;

    // Every state, as many as the scenes say.
    for (status, n) in expected_statuses() {
        assert_eq!(all_pos(&s, status).await.len(), n, "{backend}: {status}");
    }
    assert!(SCENES.len() >= 35, "about forty POs");

    // Procurement: provisioned (its contract line active), failed with an
    // open remediation entry, abandoned, not provisionable.
    let queue = s.ok(Role::Viewer, "procurement/queue", json!({})).await;
    let states = |st: &str| queue.as_array().unwrap().iter().filter(|q| q["dispatch_status"] == st).count();
    assert_eq!(states("provisioned"), count(|o| *o == Outcome::Provisioned), "{backend}: {queue}");
    assert_eq!(states("failed"), count(|o| *o == Outcome::DispatchFailed), "{backend}");
    assert_eq!(states("abandoned"), count(|o| matches!(o, Outcome::Abandoned(_))), "{backend}");
    assert_eq!(states("not_provisionable"), count(|o| *o == Outcome::NotProvisionable), "{backend}");
    let failed = queue.as_array().unwrap().iter().find(|q| q["dispatch_status"] == "failed").unwrap();
    assert!(failed["remediation_id"].is_i64(), "{backend}: an open remediation entry: {failed}");
    let d = s.ok(Role::Viewer, "procurement/get", json!({"po_id": failed["po_id"]})).await;
    assert!(
        d.to_string().contains(domain::demo::DETAIL_KEY),
        "{backend}: Pax8's refusal names the detail: {d}"
    );
    let companies = s.ok(Role::Viewer, "companies/list", json!({"q": "Harbor"})).await;
    let lines = s.ok(Role::Viewer, "contracts/lines", json!({"company_id": companies[0]["id"]})).await;
    let premium = lines
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["description"].as_str().unwrap().contains("Premium"))
        .unwrap();
    assert_eq!(premium["status"], "active", "{backend}: provisioned seats activate the contract line");

    // A PO pushed to the sandbox QuickBooks, which stays connected.
    let st = s.ok(Role::Admin, "integrations/qbo/status", json!({})).await;
    assert_eq!(
        (st["connected"].as_bool(), st["sandbox"].as_bool()),
        (Some(true), Some(true)),
        "{backend}: {st}"
    );
    let approved = all_pos(&s, "approved").await;
    let mut pushed = 0;
    for po in &approved {
        let full = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": po["id"]})).await;
        if full["qbo"]["id"].is_string() {
            pushed += 1;
        }
    }
    assert_eq!(pushed, count(|o| *o == Outcome::Pushed), "{backend}");

    // Six months of history: the oldest PO is months old, approved and
    // received in its own month, and the spend report spreads over them.
    let received = all_pos(&s, "received").await;
    let oldest = received.iter().min_by_key(|p| p["id"].as_i64()).unwrap();
    let tl = s.ok(Role::Viewer, "purchase-orders/timeline", json!({"id": oldest["id"]})).await;
    let first = chrono::DateTime::parse_from_rfc3339(tl[0]["at"].as_str().unwrap()).unwrap();
    assert!(chrono::Utc::now().signed_duration_since(first).num_days() >= 150, "{backend}: {}", tl[0]);
    let kinds: Vec<&str> = tl.as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"approved") && kinds.contains(&"received"), "{backend}: {kinds:?}");
    let ats: Vec<&str> = tl.as_array().unwrap().iter().filter_map(|e| e["at"].as_str()).collect();
    assert!(ats.windows(2).all(|w| w[0] <= w[1]), "{backend}: the timeline stays in order: {ats:?}");
    let from = (chrono::Utc::now() - chrono::Duration::days(200)).format("%Y-%m").to_string();
    let spend = s.ok(Role::Viewer, "reports/spend", json!({"group_by": "month", "from": from})).await;
    let months = spend["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["committed_cents"].as_i64() > Some(0))
        .count();
    assert!(months >= 6, "{backend}: committed spend in {months} months: {spend}");
    assert!(spend["received_cents"].as_i64() > Some(0), "{backend}");

    // Waiting: the approvers' inbox and their approval requests in the
    // sandbox mailbox; one PO waits for a second approver.
    let inbox = s.ok(Role::Admin, "approvals/inbox", json!({})).await;
    assert_eq!(
        inbox.as_array().unwrap().len(),
        count(|o| matches!(o, Outcome::Pending | Outcome::PendingSecond))
    );
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["approvals_given"] == 1 && i["approvals_required"] == 2),
        "{inbox}"
    );
    let mut mail = json!([]);
    for _ in 0..100 {
        mail = s.ok(Role::Admin, "notifications/sandbox-mail", json!({})).await;
        let renewal = mail
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["subject"].as_str().is_some_and(|t| t.starts_with("Commitment ends in")));
        if renewal && mail.as_array().unwrap().len() >= count(|o| matches!(o, Outcome::Pending)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let all: Vec<&str> = mail.as_array().unwrap().iter().filter_map(|m| m["subject"].as_str()).collect();
    // The commitment ending within 30 days is told (approvers and purchasing).
    let (renewals, subjects): (Vec<&str>, Vec<&str>) = all.iter().partition(|t| t.starts_with("Commitment ends in"));
    assert!(!renewals.is_empty(), "{backend}: the renewal notice: {all:?}");
    assert!(
        !subjects.is_empty() && subjects.len() < 20,
        "{backend}: only what still waits is mailed: {subjects:?}"
    );
    let settings = s.ok(Role::Admin, "settings/get", json!({})).await;
    assert_eq!(
        settings["second_approval_limit_cents"], 0,
        "{backend}: the demo leaves the settings as they were"
    );
}

domain::both_backends!(a_restarted_demo_keeps_its_history_and_relinks_quickbooks);
async fn a_restarted_demo_keeps_its_history_and_relinks_quickbooks(backend: &'static str) {
    let url = domain::testing::fresh_database_url(backend).await;
    let key = domain::crypto::EncryptionKey::generate();
    let config = server::config::Config::from_args(vec!["--database-url".into(), url, "--demo".into(), "--encryption-key".into(), key]);
    let count_pos = |store: domain::Store| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM purchase_orders")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let (_, first, sandboxes) = server::build_with_sandbox(&config).await.unwrap();
    let n = count_pos(first.store.clone()).await;
    assert_eq!(n as usize, SCENES.len() + HELD_CHANGE_ORDERS, "{backend}");
    drop(sandboxes);
    // A new process: new sandboxes that never saw the old tokens.
    let (_, second, _sandboxes) = server::build_with_sandbox(&config).await.unwrap();
    assert_eq!(count_pos(second.store.clone()).await, n, "{backend}: the history is made once");
    let qbo = second.qbo.as_ref().unwrap();
    assert!(qbo.connected().await, "{backend}");
    qbo.refresh_company().await.expect("the new sandbox knows the connection's tokens");
}
