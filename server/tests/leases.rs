//! Exactly once when a call outlasts its lease: two server binaries on one
//! PostgreSQL database against the fake Pax8, with calls Pax8 holds, a
//! holder SIGKILLed mid-send and a holder paused (SIGSTOP) past its lease.
//!
//! The settings of every test: a lease of 2 s (renewed every 2/3 s), Pax8
//! requests time out after 1 s and 429 waits end after 1 s (so a send's
//! calls all end within 4 s), and a reconcile grace of 1 s: a worker that
//! takes a send over reads Pax8's orders 5 s after the recorded intent.

mod common;

use common::procurement::*;
use common::Remote;
use fakes::pax8::{FakePax8, Fault, Route};
use serde_json::{json, Value};
use std::time::Duration;

const SETTINGS: [(&str, &str); 4] = [
    ("NEXOS_DISPATCH_LEASE_SECONDS", "2"),
    ("PAX8_TIMEOUT_SECONDS", "1"),
    ("PAX8_RATE_WAIT_SECONDS", "1"),
    ("NEXOS_RECONCILE_GRACE_SECONDS", "1"),
];

struct Two {
    f: FakePax8,
    db: String,
    store: domain::Store,
    a: tokio::process::Child,
    b: tokio::process::Child,
    ra: Remote,
    rb: Remote,
}

/// Two instances on a fresh PostgreSQL database, Pax8 connected.
async fn two(more: &[(&str, &str)]) -> Two {
    let f = fake().await;
    let key = domain::crypto::EncryptionKey::generate();
    let db = domain::testing::fresh_database_url("postgres").await;
    let mut settings: Vec<(&str, &str)> = SETTINGS.to_vec();
    settings.extend_from_slice(more);
    let (a, base_a) = spawn_server_with(&db, &key, &f, &settings);
    let (b, base_b) = spawn_server_with(&db, &key, &f, &settings);
    let ra = Remote::connect(&base_a).await;
    let rb = Remote::connect(&base_b).await;
    ra.call("integrations/pax8/configure", json!({"client_id": "cid", "client_secret": "csecret"}))
        .await;
    ra.call("settings/update", json!({"auto_approve_limit_cents": 100_000_000})).await;
    let store = domain::Store::open(&db, 2).await.unwrap();
    Two { f, db, store, a, b, ra, rb }
}

impl Two {
    /// Which instance holds the dispatch of `po` now (after Pax8 got its order call).
    async fn holder(&self, po: i64) -> Option<u32> {
        let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM dispatches WHERE po_id = $1")
            .bind(po)
            .fetch_one(self.store.pool())
            .await
            .ok()?;
        let owner = owner?;
        [self.a.id()?, self.b.id()?].into_iter().find(|pid| owner.contains(&format!("-{pid}-")))
    }

    async fn orders_recorded(&self) -> Vec<String> {
        let mut v: Vec<String> = sqlx::query_scalar("SELECT order_id FROM dispatch_orders")
            .fetch_all(self.store.pool())
            .await
            .unwrap();
        v.sort();
        v
    }

    fn orders_made(&self) -> Vec<String> {
        let mut v: Vec<String> = self.f.orders().iter().map(|o| o["id"].as_str().unwrap_or_default().to_string()).collect();
        v.sort();
        v
    }

    /// Dispatches `po`, and SIGKILLs the instance holding it once Pax8 got
    /// its order call. Whether that was instance a.
    async fn dispatch_and_kill_the_holder(&mut self, po: i64) -> bool {
        self.ra.call("procurement/dispatch", json!({"po_id": po})).await;
        until("Pax8 got the order call", || self.f.requests(Route::CreateOrder) == 1).await;
        let a_holds = self.holder(po).await.expect("a holder") == self.a.id().unwrap();
        self.kill(a_holds).await;
        a_holds
    }

    /// SIGKILLs instance a (or b).
    async fn kill(&mut self, a: bool) {
        let child = if a { &mut self.a } else { &mut self.b };
        child.start_kill().unwrap(); // SIGKILL
        child.wait().await.unwrap();
    }

    /// The other instance than a (or b).
    fn survivor(&self, a: bool) -> &Remote {
        if a {
            &self.rb
        } else {
            &self.ra
        }
    }
}

async fn timeline(r: &Remote, po: i64) -> Vec<Value> {
    r.call("purchase-orders/timeline", json!({"id": po}))
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never: {what}");
}

fn signal(pid: u32, sig: &str) {
    assert!(std::process::Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success());
}

#[tokio::test]
async fn a_step_that_outlasts_the_lease_while_its_holder_lives_makes_one_order() {
    let t = two(&[("PAX8_TIMEOUT_SECONDS", "3")]).await;
    let (po, _) = approved_pax8_po(&t.ra).await;
    // Pax8 is slow to validate three times in a row (past the client's
    // timeout each time: the read is retried), then holds the order past
    // the lease before making it. The send runs about 12 s against a 2 s lease.
    for _ in 0..3 {
        t.f.fault(Route::ValidateOrder, Fault::Delay(Duration::from_millis(3200)));
    }
    t.f.fault(Route::CreateOrder, Fault::Delay(Duration::from_millis(2500)));
    t.ra.call("procurement/dispatch", json!({"po_id": po})).await;
    t.rb.call("procurement/dispatch", json!({"po_id": po})).await;
    let d = wait_within(&t.ra, po, "provisioned", 40).await;
    assert_eq!(t.f.orders().len(), 1, "one order: {d}");
    assert_eq!(t.f.requests(Route::CreateOrder), 1, "sent once");
    assert!(
        !timeline(&t.ra, po).await.iter().any(|e| e["kind"] == "dispatch_recovering"),
        "never taken over: the holder renewed its lease"
    );
}

#[tokio::test]
async fn a_holder_killed_mid_send_is_taken_over_once_its_call_can_no_longer_land() {
    let mut t = two(&[]).await;
    let (po, _) = approved_pax8_po(&t.ra).await;
    // Pax8 holds the order 3 s, then makes it whoever is still listening.
    t.f.fault(Route::CreateOrder, Fault::Delay(Duration::from_secs(3)));
    let a_holds = t.dispatch_and_kill_the_holder(po).await;
    let survivor = t.survivor(a_holds);
    let d = wait_within(survivor, po, "provisioned", 30).await;
    assert_eq!(t.f.orders().len(), 1, "the held order was found, not sent again: {d}");
    assert_eq!(t.f.requests(Route::CreateOrder), 1);
    assert_eq!(t.orders_recorded().await, t.orders_made(), "no order untracked");
    let tl = timeline(survivor, po).await;
    assert!(
        tl.iter()
            .any(|e| e["kind"] == "dispatch_recovering" && e["message"].as_str().unwrap_or("").contains("waiting until")),
        "the survivor waited: {tl:?}"
    );
}

#[tokio::test]
async fn an_order_pax8_makes_after_the_takeover_looked_is_recorded_as_a_second_order() {
    let mut t = two(&[]).await;
    let (po, contract) = approved_pax8_po(&t.ra).await;
    // Held longer than the takeover waits (5 s from the intent): the
    // survivor finds nothing, sends again, and the first order lands later.
    t.f.fault(Route::CreateOrder, Fault::Delay(Duration::from_secs(7)));
    let a_holds = t.dispatch_and_kill_the_holder(po).await;
    let survivor = t.survivor(a_holds);
    // Provisioned from the second send; the late-order check, once the
    // first can no longer land, finds the first.
    let d = wait_until(survivor, po, "was provisioned with the late order found", 40, |d| {
        d["status"] == "provisioned" && d["remediation"]["reason"] == "duplicate_at_distributor"
    })
    .await;
    assert_eq!(t.f.orders().len(), 2, "{d}");
    assert_eq!(
        t.orders_recorded().await,
        t.orders_made(),
        "both orders recorded against the dispatch: none untracked"
    );
    let rem = &d["remediation"];
    assert_eq!(
        (rem["reason"].as_str(), rem["status"].as_str()),
        (Some("duplicate_at_distributor"), Some("open")),
        "{d}"
    );
    let words = rem["message"].as_str().unwrap_or_default().to_string() + &rem["problems"].to_string();
    for id in t.orders_made() {
        assert!(words.contains(&id), "the entry names {id}: {words}");
    }
    let queue = survivor.call("procurement/queue", json!({})).await;
    let row = queue.as_array().unwrap().iter().find(|q| q["po_id"] == po).unwrap().clone();
    assert_eq!(row["remediation_id"], rem["id"], "in the queue");
    // The contract line follows the dispatch's order only.
    let lines = survivor.call("contracts/get", json!({"id": contract})).await;
    let followed: Vec<String> = d["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscription_id"].as_str().unwrap().to_string())
        .collect();
    let active: Vec<String> = lines["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["subscription_id"].as_str().map(String::from))
        .collect();
    assert_eq!(active, followed, "{lines}");
}

#[tokio::test]
async fn a_paused_holders_late_reply_is_recorded_and_overwrites_nothing() {
    let t = two(&[]).await;
    let (po, _) = approved_pax8_po(&t.ra).await;
    t.f.fault(Route::CreateOrder, Fault::Delay(Duration::from_secs(7)));
    t.ra.call("procurement/dispatch", json!({"po_id": po})).await;
    until("Pax8 got the order call", || t.f.requests(Route::CreateOrder) == 1).await;
    let holder = t.holder(po).await.expect("a holder");
    let a_holds = holder == t.a.id().unwrap();
    // The holder stops (a long GC pause, a frozen VM) while its call is out.
    signal(holder, "-STOP");
    let survivor = t.survivor(a_holds);
    let first = wait_until(survivor, po, "had the survivor's order", 20, |d| d["order_id"].is_string()).await;
    let followed = first["order_id"].as_str().expect("the survivor's order").to_string();
    until("Pax8 made the held order", || t.f.orders().len() == 2).await;
    // The holder wakes up to Pax8's reply (or to its own timeout).
    signal(holder, "-CONT");
    let mut d = Value::Null;
    for _ in 0..150 {
        d = survivor.call("procurement/get", json!({"po_id": po})).await;
        if d["remediation"]["reason"] == "duplicate_at_distributor" && d["status"] == "provisioned" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        d["order_id"].as_str(),
        Some(followed.as_str()),
        "the stale holder's reply overwrote nothing: {d}"
    );
    assert_eq!(d["remediation"]["reason"], "duplicate_at_distributor", "{d}");
    assert_eq!(t.orders_recorded().await, t.orders_made(), "none untracked");
    let _ = &t.db;
}

#[tokio::test]
async fn a_slow_call_holds_up_only_its_own_worker_slot() {
    let mut t = two(&[("PAX8_TIMEOUT_SECONDS", "30")]).await;
    // One instance: its other slots must take the work.
    t.kill(false).await;
    t.f.add_company("pax8-c-2");
    let (slow, _) = approved_pax8_po(&t.ra).await;
    let (other, _) = approved_pax8_po_for(&t.ra, "pax8-c-2").await;
    // Pax8 holds the first order until the second is provisioned.
    t.f.fault(Route::CreateOrder, Fault::Delay(Duration::from_secs(20)));
    t.ra.call("procurement/dispatch", json!({"po_id": slow})).await;
    until("Pax8 got the slow order call", || t.f.requests(Route::CreateOrder) == 1).await;
    t.ra.call("procurement/dispatch", json!({"po_id": other})).await;
    wait_within(&t.ra, other, "provisioned", 15).await;
    let d = t.ra.call("procurement/get", json!({"po_id": slow})).await;
    assert_eq!(d["status"], "submitting", "the slow call is still out while the other dispatch finished: {d}");
}

#[tokio::test]
async fn settings_that_cannot_add_up_are_refused_naming_the_setting() {
    let db = domain::testing::fresh_database_url("sqlite").await;
    for (flags, setting) in [
        (
            vec!["--dispatch-lease-seconds", "10", "--dispatch-lease-renew-seconds", "30"],
            "NEXOS_DISPATCH_LEASE_RENEW_SECONDS",
        ),
        (vec!["--dispatch-lease-seconds", "0"], "NEXOS_DISPATCH_LEASE_SECONDS"),
        (vec!["--reconcile-grace-seconds=-1"], "NEXOS_RECONCILE_GRACE_SECONDS"),
        (vec!["--pax8-timeout-seconds", "0"], "PAX8_TIMEOUT_SECONDS"),
    ] {
        let mut args = vec!["--database-url".to_string(), db.clone()];
        args.extend(flags.iter().map(|s| s.to_string()));
        let config = server::config::Config::from_args(args);
        let e = server::build(&config).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains(setting), "{flags:?}: {e}");
    }
    // Short settings for tests stay valid.
    let args = ["--database-url", &db, "--dispatch-lease-seconds", "2", "--reconcile-grace-seconds", "0"].map(String::from);
    assert!(server::build(&server::config::Config::from_args(args)).await.is_ok());
}
