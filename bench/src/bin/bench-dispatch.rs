//! Dispatch throughput: starts the fake Pax8 (per-call latency, a
//! requests-per-minute limit answering 429 with Retry-After, random faults),
//! starts the release server against it, raises N approved Pax8 POs spread
//! over several companies, dispatches them all and waits until every one is
//! provisioned. Prints one JSON line: total time, the rate limit's floor
//! (every call the work needs, preflight and census included, ÷ the rate),
//! calls by route, orders at the fake and duplicates.

use clap::Parser;
use fakes::pax8::{Conditions, FakePax8, ProductRule, Route};
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "target/release/server")]
    server_bin: String,
    /// A fresh database.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 1000)]
    pos: usize,
    /// Customer companies linked to Pax8 (dispatches of one company are serialised).
    #[arg(long, default_value_t = 50)]
    companies: usize,
    #[arg(long, default_value_t = 150)]
    latency_ms: u64,
    /// Requests per minute the fake admits.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    #[arg(long, default_value_t = 0.1)]
    fault_ratio: f64,
    /// Polls of a new subscription before it is active.
    #[arg(long, default_value_t = 1)]
    activate_after: u32,
    #[arg(long, default_value_t = 2.0)]
    poll_seconds: f64,
    #[arg(long, default_value_t = 2.0)]
    grace_seconds: f64,
    #[arg(long, default_value_t = 1200)]
    timeout_seconds: u64,
    /// The server's log.
    #[arg(long, default_value = "target/bench/dispatch-server.log")]
    log: String,
}

/// Every route the engine calls during a dispatch.
const ROUTES: [Route; 7] = [
    Route::Token,
    Route::GetCompany,
    Route::ValidateOrder,
    Route::ListOrders,
    Route::CreateOrder,
    Route::GetOrder,
    Route::GetSubscription,
];

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

async fn in_parallel<F, Fut>(n: usize, width: usize, f: F) -> anyhow::Result<Vec<Value>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Value>> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut out = vec![Value::Null; n];
    let mut next = 0;
    while next < n || !set.is_empty() {
        while next < n && set.len() < width {
            let fut = f(next);
            let i = next;
            set.spawn(async move { (i, fut.await) });
            next += 1;
        }
        if let Some(r) = set.join_next().await {
            let (i, v) = r?;
            out[i] = v?;
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, _, token) = bench::bootstrap(&args.database_url).await?;

    let fake = FakePax8::start(0, "bench-client", "bench-secret").await?;
    for c in 1..=args.companies {
        fake.add_company(&format!("pax8-c-{c}"));
    }
    fake.add_product(
        "pax8-p-1",
        ProductRule {
            requires_commitment: true,
            required_details: vec![],
            ..Default::default()
        },
    );
    fake.activate_after(args.activate_after);

    let key = String::from_utf8(Command::new(&args.server_bin).arg("gen-key").stderr(Stdio::null()).output()?.stdout)?
        .trim()
        .to_string();
    let port = bench::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(&args.log)?;
    let _server = Killed(
        Command::new(&args.server_bin)
            .env("DATABASE_URL", &args.database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_ENV", "PROD")
            .env("NEXOS_ENCRYPTION_KEY", &key)
            .env("PAX8_API_URL", &fake.base)
            .env("PAX8_TOKEN_URL", fake.token_url())
            .env("NEXOS_SUBSCRIPTION_POLL_SECONDS", args.poll_seconds.to_string())
            .env("NEXOS_RECONCILE_GRACE_SECONDS", args.grace_seconds.to_string())
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?,
    );
    bench::wait_healthy(&base, Duration::from_secs(60)).await?;
    let api = bench::Api::new(&base, &token);
    api.call(
        "integrations/pax8/configure",
        json!({"client_id": "bench-client", "client_secret": "bench-secret"}),
    )
    .await?;
    let vendor = api.call("vendors/create", json!({"name": "Pax8", "distributor": "pax8"})).await?["id"]
        .as_i64()
        .unwrap_or_default();
    let product = api
        .call(
            "products/create",
            json!({"vendor_id": vendor, "name": "Microsoft 365 Business Premium", "sku": "M365-BP", "unit_cost_cents": 2200,
                   "distributor_product_id": "pax8-p-1", "billing_term": "Monthly", "commitment_term_id": "ct-annual"}),
        )
        .await?["id"]
        .as_i64()
        .unwrap_or_default();
    let companies: Vec<i64> = in_parallel(args.companies, 8, |c| {
        let api = api.clone();
        async move {
            api.call(
                "companies/create",
                json!({"name": format!("Customer {}", c + 1), "pax8_company_id": format!("pax8-c-{}", c + 1)}),
            )
            .await
        }
    })
    .await?
    .iter()
    .map(|c| c["id"].as_i64().unwrap_or_default())
    .collect();
    let seeded = Instant::now();
    let pos: Vec<i64> = in_parallel(args.pos, 8, |i| {
        let (api, company) = (api.clone(), companies[i % companies.len()]);
        async move {
            api.call(
                "purchase-orders/create",
                json!({"vendor_id": vendor, "company_id": company, "submit": true,
                       "lines": [{"description": "Microsoft 365 Business Premium", "quantity": 1 + i % 5, "unit_cost_cents": 2200, "product_id": product}]}),
            )
            .await
        }
    })
    .await?
    .iter()
    .map(|p| {
        anyhow::ensure!(p["status"] == "approved", "a seeded PO was not approved: {}", p["status"]);
        Ok(p["id"].as_i64().unwrap_or_default())
    })
    .collect::<anyhow::Result<_>>()?;
    eprintln!("raised {} approved Pax8 POs in {:.1} s", pos.len(), seeded.elapsed().as_secs_f64());

    fake.set_conditions(Conditions {
        latency: Duration::from_millis(args.latency_ms),
        rate_per_minute: Some(args.rate),
        fault_ratio: args.fault_ratio,
    });
    let before: usize = ROUTES.iter().map(|r| fake.requests(*r)).sum();
    let began = Instant::now();
    in_parallel(pos.len(), 16, |i| {
        let (api, id) = (api.clone(), pos[i]);
        async move { api.call("procurement/dispatch", json!({"po_id": id})).await }
    })
    .await?;
    let dispatched_in = began.elapsed().as_secs_f64();
    let mut last_print = Instant::now();
    let counts = loop {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM dispatches GROUP BY status")
            .fetch_all(store.pool())
            .await?;
        let done: i64 = rows
            .iter()
            .filter(|(s, _)| matches!(s.as_str(), "provisioned" | "failed" | "abandoned"))
            .map(|r| r.1)
            .sum();
        if last_print.elapsed() > Duration::from_secs(15) {
            eprintln!("  {:.0} s: {rows:?}", began.elapsed().as_secs_f64());
            last_print = Instant::now();
        }
        if done as usize >= pos.len() {
            break rows;
        }
        anyhow::ensure!(
            began.elapsed() < Duration::from_secs(args.timeout_seconds),
            "dispatch did not finish within {} s: {rows:?}",
            args.timeout_seconds
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let total = began.elapsed().as_secs_f64();
    let provisioned = counts.iter().find(|r| r.0 == "provisioned").map(|r| r.1).unwrap_or(0);
    let distinct_orders: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT order_id) FROM dispatches WHERE order_id IS NOT NULL")
        .fetch_one(store.pool())
        .await?;
    let orders = fake.orders().len();
    let by_route = json!({
        "token": fake.requests(Route::Token),
        "get_company": fake.requests(Route::GetCompany),
        "validate_order": fake.requests(Route::ValidateOrder),
        "list_orders": fake.requests(Route::ListOrders),
        "create_order": fake.requests(Route::CreateOrder),
        "get_order": fake.requests(Route::GetOrder),
        "get_subscription": fake.requests(Route::GetSubscription),
    });
    let calls: usize = ROUTES.iter().map(|r| fake.requests(*r)).sum::<usize>() - before;
    // What the work needs at least, counting every call the engine makes
    // on the way: per PO Pax8's validation (isMock), the census of the
    // company's orders (one page: under 200 orders each), the order and,
    // per subscription (one line each), `activate_after` pending answers
    // and the active one; per company one status check (remembered).
    let needed = pos.len() * (1 + 1 + 1 + args.activate_after as usize + 1) + args.companies;
    let floor = needed as f64 / (f64::from(args.rate) / 60.0);
    let out = json!({
        "pos": pos.len(),
        "companies": args.companies,
        "latency_ms": args.latency_ms,
        "rate_per_minute": args.rate,
        "fault_ratio": args.fault_ratio,
        "activate_after": args.activate_after,
        "poll_seconds": args.poll_seconds,
        "grace_seconds": args.grace_seconds,
        "total_s": total,
        "dispatch_calls_s": dispatched_in,
        "needed_calls": needed,
        "floor_s": floor,
        "ratio": total / floor,
        "calls": calls,
        "throttled": fake.throttled(),
        "injected_faults": fake.injected(),
        "by_route": by_route,
        "provisioned": provisioned,
        "statuses": counts.iter().map(|(s, n)| json!({"status": s, "count": n})).collect::<Vec<_>>(),
        "orders_at_fake": orders,
        "distinct_orders_adopted": distinct_orders,
        "duplicates": orders as i64 - pos.len() as i64,
    });
    println!("{out}");
    store.close().await;
    Ok(())
}
