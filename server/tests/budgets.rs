//! Statement budgets: what one request of each hot endpoint may cost the
//! database, counted from sqlx's own statement events and the store's
//! transaction events (`server::statements`), on a server counting them
//! with no worker beside it. A change that adds a statement or a
//! transaction to a hot path fails here until it raises that budget, in
//! the same change and on purpose. Counts, not timings: the figures are
//! the same on every machine.

mod common;

use common::procurement::{approved_pax8_po, args, fake};
use common::TestServer;
use domain::users::Role;
use serde_json::{json, Value};
use server::statements::Totals;
use std::time::Duration;

/// What one request may cost: statements and transactions.
struct Budget {
    what: &'static str,
    statements: u64,
    transactions: u64,
}

const BUDGETS: &[Budget] = &[
    Budget {
        what: "purchase-orders/get",
        statements: 1,
        transactions: 0,
    },
    Budget {
        what: "purchase-orders/list",
        statements: 1,
        transactions: 0,
    },
    Budget {
        what: "/purchase-orders page",
        statements: 2,
        transactions: 0,
    },
    Budget {
        what: "/purchase-orders/{id} page",
        // The PO, its timeline, the settings, its dispatch (looked up once
        // per server render: `components::RenderOnce`).
        statements: 4,
        transactions: 0,
    },
    Budget {
        what: "purchase-orders/create (5 lines, draft)",
        statements: 10,
        transactions: 1,
    },
    Budget {
        what: "purchase-orders/submit",
        statements: 12,
        transactions: 1,
    },
    Budget {
        what: "purchase-orders/approve",
        statements: 13,
        transactions: 1,
    },
    Budget {
        what: "procurement/dispatch",
        statements: 12,
        transactions: 1,
    },
    // 68 → 80: a provisioned subscription is recorded (the line, the known
    // one, the insert, the PO that made it: 4) and its line counts as
    // received (status, lines, receipt, transition, timeline: 8).
    Budget {
        what: "the dispatch engine, queued to provisioned",
        statements: 80,
        transactions: 13,
    },
];

/// The counters are the process's: one test counts at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn count_statements() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        tracing_subscriber::registry().with(server::statements::layer()).init();
    });
}

/// The totals once nothing has run for a moment (work a request leaves
/// behind, such as a write after the answer, is still its own).
async fn settled() -> Totals {
    let mut last = Totals::now();
    loop {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let now = Totals::now();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// What `work` cost the database.
async fn cost<T>(work: impl std::future::Future<Output = T>) -> (T, Totals) {
    let before = settled().await;
    let out = work.await;
    (out, settled().await.since(before))
}

fn five_lines(vendor: i64, company: i64, product: i64, cents: i64) -> Value {
    let lines: Vec<Value> = (1..=5)
        .map(|i| json!({"description": format!("Line {i}"), "quantity": i, "unit_cost_cents": cents, "product_id": product}))
        .collect();
    json!({"vendor_id": vendor, "company_id": company, "lines": lines, "notes": "Budget", "submit": false})
}

domain::both_backends!(hot_endpoints_stay_within_their_statement_budgets);
async fn hot_endpoints_stay_within_their_statement_budgets(backend: &'static str) {
    let _alone = SERIAL.lock().await;
    count_statements();
    let f = fake().await;
    let key = domain::crypto::EncryptionKey::generate();
    let token = f.token_url();
    let mut extra = args(&key, &f, &token);
    extra.push("--count-statements");
    let s = TestServer::start_with(backend, &extra).await;
    s.ok(
        Role::Admin,
        "integrations/pax8/configure",
        json!({"client_id": "cid", "client_secret": "csecret"}),
    )
    .await;
    // An approved Pax8 PO (under the auto-approve limit), the catalog it
    // uses, and a page's worth of POs for the list.
    let (dispatched, _) = approved_pax8_po(&s).await;
    let po = s.ok(Role::Viewer, "purchase-orders/get", json!({"id": dispatched})).await;
    let (vendor, company, product) = (
        po["vendor"]["id"].as_i64().unwrap(),
        po["company"]["id"].as_i64().unwrap(),
        po["lines"][0]["product_id"].as_i64().unwrap(),
    );
    for _ in 0..3 {
        s.ok(Role::Purchaser, "purchase-orders/create", five_lines(vendor, company, product, 2200))
            .await;
    }
    let browser = s.browser("admin@msp.test").await;
    let page = |path: String| {
        let browser = browser.clone();
        let url = format!("{}{path}", s.base);
        async move {
            let res = browser.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    // Each caller and each read once before it is counted: the steady
    // cost, not the first's (a token's first use records it).
    for role in [Role::Viewer, Role::Purchaser, Role::Approver] {
        s.ok(role, "auth/me", json!({})).await;
    }
    s.ok(Role::Viewer, "purchase-orders/get", json!({"id": dispatched})).await;
    s.ok(Role::Viewer, "purchase-orders/list", json!({})).await;
    page("/purchase-orders".into()).await;
    page(format!("/purchase-orders/{dispatched}")).await;

    let mut got: Vec<(&str, Totals)> = Vec::new();
    got.push((
        "purchase-orders/get",
        cost(s.ok(Role::Viewer, "purchase-orders/get", json!({"id": dispatched}))).await.1,
    ));
    got.push(("purchase-orders/list", cost(s.ok(Role::Viewer, "purchase-orders/list", json!({}))).await.1));
    got.push(("/purchase-orders page", cost(page("/purchase-orders".into())).await.1));
    got.push(("/purchase-orders/{id} page", cost(page(format!("/purchase-orders/{dispatched}"))).await.1));
    // Over the auto-approve limit, so that it waits for an approver.
    let (draft, c) = cost(s.ok(Role::Purchaser, "purchase-orders/create", five_lines(vendor, company, product, 900_000))).await;
    got.push(("purchase-orders/create (5 lines, draft)", c));
    let id = draft["id"].as_i64().unwrap();
    let (submitted, c) = cost(s.ok(Role::Purchaser, "purchase-orders/submit", json!({"id": id}))).await;
    assert_eq!(submitted["status"], "pending_approval", "{submitted}");
    got.push(("purchase-orders/submit", c));
    let version = submitted["version"].as_i64().unwrap();
    let (approved, c) = cost(s.ok(Role::Approver, "purchase-orders/approve", json!({"id": id, "version": version}))).await;
    assert_eq!(approved["status"], "approved", "{approved}");
    got.push(("purchase-orders/approve", c));
    let (queued, c) = cost(s.ok(Role::Purchaser, "procurement/dispatch", json!({"po_id": dispatched}))).await;
    assert_eq!(queued["status"], "queued", "{queued}");
    got.push(("procurement/dispatch", c));
    let engine = domain::procurement::engine::Engine {
        store: s.store.clone(),
        distributor: std::sync::Arc::new(domain::procurement::pax8::Pax8::new(domain::procurement::pax8::Pax8Config {
            api_url: f.base.clone(),
            token_url: f.token_url(),
            audience: domain::procurement::pax8::DEFAULT_AUDIENCE.into(),
            client_id: "cid".into(),
            client_secret: "csecret".into(),
            timeout: Duration::from_secs(5),
            max_wait: Duration::from_secs(5),
        })),
        owner: "budget".into(),
        timing: domain::procurement::engine::Timing {
            reconcile_grace: chrono::Duration::zero(),
            poll_every: chrono::Duration::zero(),
            ..Default::default()
        },
    };
    let (steps, c) = cost(engine.drain()).await;
    let done = s.ok(Role::Viewer, "procurement/get", json!({"po_id": dispatched})).await;
    assert_eq!(done["status"], "provisioned", "{} steps: {done}", steps.unwrap());
    got.push(("the dispatch engine, queued to provisioned", c));

    let table: Vec<String> = got
        .iter()
        .map(|(what, t)| {
            format!(
                "{what}: {} statements, {} transactions, {} rows written, {} read",
                t.statements, t.transactions, t.rows_written, t.rows_read
            )
        })
        .collect();
    eprintln!("{backend}:\n  {}", table.join("\n  "));
    for (what, t) in &got {
        let b = BUDGETS.iter().find(|b| b.what == *what).expect("a budget for every endpoint counted");
        assert!(t.statements > 0, "{backend}: {what} counted no statement: the counter is not listening");
        assert!(
            t.statements <= b.statements && t.transactions <= b.transactions,
            "{backend}: {what} costs {} statements and {} transactions, over its budget of {} and {}; \
             make it cheaper, or raise the budget in server/tests/budgets.rs on purpose",
            t.statements,
            t.transactions,
            b.statements,
            b.transactions
        );
    }
    assert_eq!(got.len(), BUDGETS.len(), "every budget is measured");
}
