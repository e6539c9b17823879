//! Dispatch throughput: starts the fake Pax8 (per-call latency, a
//! requests-per-minute limit answering 429 with Retry-After, random faults),
//! starts the release server against it, raises N approved Pax8 POs spread
//! over several companies, dispatches them all and waits until every one is
//! provisioned. Prints one JSON line: total time, the rate limit's floor
//! (every call the work needs, preflight and census included, ÷ the rate),
//! calls by route, orders at the fake and duplicates.
//!
//! Chaos (`scripts/bench-chaos`): several server instances on one
//! database, one of them SIGKILLed every few seconds and restarted, order
//! calls with unclear outcomes and calls Pax8 holds past the lease. Adds
//! the orders no dispatch records (untracked), duplicate entries, stuck
//! dispatches, kills and takeovers.

use clap::Parser;
use fakes::pax8::{Conditions, FakePax8, ProductRule, Route};
use serde_json::{json, Value};
use std::process::Command;
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
    /// Server instances on the database (PostgreSQL for more than one).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// SIGKILL one instance every LO-HI seconds (e.g. `2-6`) and restart it.
    #[arg(long)]
    kill_every: Option<String>,
    /// A further share of order calls that Pax8 makes and answers 502.
    #[arg(long, default_value_t = 0.0)]
    unclear_ratio: f64,
    /// Share of order, validation, list and subscription calls Pax8 holds before acting.
    #[arg(long, default_value_t = 0.0)]
    hold_ratio: f64,
    #[arg(long, default_value_t = 8.0)]
    hold_seconds: f64,
    /// `NEXOS_DISPATCH_LEASE_SECONDS` of the servers (their default when unset).
    #[arg(long)]
    lease_seconds: Option<f64>,
    /// `PAX8_TIMEOUT_SECONDS` of the servers.
    #[arg(long)]
    pax8_timeout_seconds: Option<f64>,
    /// `PAX8_RATE_WAIT_SECONDS` of the servers.
    #[arg(long)]
    pax8_rate_wait_seconds: Option<f64>,
    /// Also write the result as a BENCHMARKS.md section here.
    #[arg(long)]
    markdown: Option<String>,
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

    let settings = [
        ("NEXOS_SUBSCRIPTION_POLL_SECONDS", Some(args.poll_seconds.to_string())),
        ("NEXOS_RECONCILE_GRACE_SECONDS", Some(args.grace_seconds.to_string())),
        ("NEXOS_DISPATCH_LEASE_SECONDS", args.lease_seconds.map(|v| v.to_string())),
        ("PAX8_TIMEOUT_SECONDS", args.pax8_timeout_seconds.map(|v| v.to_string())),
        ("PAX8_RATE_WAIT_SECONDS", args.pax8_rate_wait_seconds.map(|v| v.to_string())),
    ];
    let env = bench::fleet::server_env(&args.server_bin, &args.database_url, &fake, &settings)?;
    let fleet = bench::fleet::Fleet::launch(&args.server_bin, &args.log, env, args.instances)?;
    let bases = fleet.bases();
    for b in &bases {
        bench::wait_healthy(b, Duration::from_secs(60)).await?;
    }
    let base = bases[0].clone();
    let apis: Vec<bench::Api> = bases.iter().map(|b| bench::Api::new(b, &token)).collect();
    let api = bench::Api::new(&base, &token);
    let (vendor, product, companies) = bench::fleet::pax8_catalog(&api, args.companies).await?;
    let seeded = Instant::now();
    let pos: Vec<i64> = bench::in_parallel(args.pos, 8, |i| {
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
        unclear_ratio: args.unclear_ratio,
        hold_ratio: args.hold_ratio,
        hold: Duration::from_secs_f64(args.hold_seconds),
    });
    // The killer: one instance at a time, SIGKILLed and started again.
    let kills = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fleet = std::sync::Arc::new(std::sync::Mutex::new(fleet));
    let killer = bench::fleet::killer(args.kill_every.as_deref(), fleet.clone(), kills.clone(), done.clone())?;
    let before: usize = ROUTES.iter().map(|r| fake.requests(*r)).sum();
    let began = Instant::now();
    bench::in_parallel(pos.len(), 16, |i| {
        let (apis, id) = (apis.clone(), pos[i]);
        async move { bench::fleet::any_call(&apis, "procurement/dispatch", json!({"po_id": id})).await }
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
        if began.elapsed() > Duration::from_secs(args.timeout_seconds) {
            eprintln!("dispatch did not finish within {} s: {rows:?}", args.timeout_seconds);
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let total = began.elapsed().as_secs_f64();
    // A send after an unclear outcome is read once more when the earlier
    // attempt can no longer land (the late-order check), which may come
    // after it is provisioned: the orders are counted once every check ran.
    let checks_done = loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dispatches WHERE status = 'provisioned' AND audit_at IS NOT NULL")
            .fetch_one(store.pool())
            .await?;
        if pending == 0 {
            break began.elapsed().as_secs_f64();
        }
        if began.elapsed() > Duration::from_secs(args.timeout_seconds) {
            eprintln!("{pending} late-order checks did not run within {} s", args.timeout_seconds);
            break f64::NAN;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(k) = killer {
        let _ = k.await;
    }
    let provisioned = counts.iter().find(|r| r.0 == "provisioned").map(|r| r.1).unwrap_or(0);
    let distinct_orders: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT order_id) FROM dispatches WHERE order_id IS NOT NULL")
        .fetch_one(store.pool())
        .await?;
    let orders = fake.orders().len();
    let tracked: Vec<String> = sqlx::query_scalar("SELECT order_id FROM dispatch_orders").fetch_all(store.pool()).await?;
    let tracked: std::collections::HashSet<String> = tracked.into_iter().collect();
    let untracked = fake.orders().iter().filter(|o| !tracked.contains(o["id"].as_str().unwrap_or_default())).count();
    let duplicate_entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remediations WHERE reason = 'duplicate_at_distributor'")
        .fetch_one(store.pool())
        .await?;
    let takeovers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM po_events WHERE kind = 'dispatch_recovering'")
        .fetch_one(store.pool())
        .await?;
    let finished: i64 = counts
        .iter()
        .filter(|(s, _)| matches!(s.as_str(), "provisioned" | "failed" | "abandoned"))
        .map(|r| r.1)
        .sum();
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
        "checks_done_s": checks_done,
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
        "untracked": untracked,
        "duplicate_entries": duplicate_entries,
        "stuck": pos.len() as i64 - finished,
        "instances": args.instances,
        "kill_every": args.kill_every,
        "kills": kills.load(std::sync::atomic::Ordering::SeqCst),
        "takeovers": takeovers,
        "unclear_ratio": args.unclear_ratio,
        "hold_ratio": args.hold_ratio,
        "hold_seconds": args.hold_seconds,
        "held": fake.held(),
        "lease_seconds": args.lease_seconds,
        "pax8_timeout_seconds": args.pax8_timeout_seconds,
        "pax8_rate_wait_seconds": args.pax8_rate_wait_seconds,
    });
    println!("{out}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, chaos_section(&out))?;
    }
    store.close().await;
    drop(fleet);
    Ok(())
}

/// The chaos run as a BENCHMARKS.md section: what was done, and the figures.
fn chaos_section(d: &Value) -> String {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let n = |k: &str| d[k].as_i64().unwrap_or(-1);
    let f = |k: &str| d[k].as_f64().unwrap_or(f64::NAN);
    let mark = |ok: bool| if ok { "✅" } else { "❌" };
    let pct = |k: &str| format!("{:.0}%", f(k) * 100.0);
    let mut s = String::new();
    s.push_str("## Dispatch under chaos (two instances on PostgreSQL)\n\n");
    s.push_str(&format!(
        "Written by `scripts/bench-chaos` on {} (UTC), commit `{commit}`. Two release servers on one PostgreSQL database against the fake \
         Pax8 ({} ms per call, {} calls a minute, 429 with Retry-After beyond), {} approved Pax8 POs over {} companies raised through the API, \
         all dispatched (each request to whichever instance answers), until every one is provisioned. Meanwhile one instance, chosen at random, \
         is SIGKILLed every {} s and started again. Order calls: {:.0}% answered 503 having done nothing and {:.0}% made and then answered 502 (an \
         unclear outcome); other calls {} 503. {} of order, validation, order-list, order and subscription calls are held {} s by Pax8 before it \
         acts (the order is made even when the caller is gone), past the {} s lease. Pax8 requests time out after {} s, 429 waits end after {} s, \
         the reconcile grace is {} s. Duplicates = orders at the fake − POs; untracked = orders at the fake that no dispatch records; stuck = \
         dispatches not provisioned, failed or abandoned at the end.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        n("latency_ms"),
        n("rate_per_minute"),
        n("pos"),
        n("companies"),
        d["kill_every"].as_str().unwrap_or("-"),
        f("fault_ratio") * 50.0,
        (f("fault_ratio") * 0.5 + f("unclear_ratio")) * 100.0,
        pct("fault_ratio"),
        pct("hold_ratio"),
        f("hold_seconds"),
        f("lease_seconds"),
        f("pax8_timeout_seconds"),
        d["pax8_rate_wait_seconds"].as_f64().or(Some(60.0)).unwrap_or_default(),
        f("grace_seconds"),
    ));
    s.push_str("| figure | value |\n|---|---|\n");
    s.push_str(&format!("| POs dispatched / provisioned | {} / {} |\n", n("pos"), n("provisioned")));
    s.push_str(&format!(
        "| kills / takeovers (timeline `dispatch_recovering`) | {} / {} |\n",
        n("kills"),
        n("takeovers")
    ));
    s.push_str(&format!(
        "| random faults / held calls / answered 429 | {} / {} / {} |\n",
        n("injected_faults"),
        n("held"),
        n("throttled")
    ));
    s.push_str(&format!("| orders at the fake Pax8 | {} |\n", n("orders_at_fake")));
    s.push_str(&format!("| duplicates (target 0) | {} {} |\n", n("duplicates"), mark(n("duplicates") == 0)));
    s.push_str(&format!("| untracked orders (target 0) | {} {} |\n", n("untracked"), mark(n("untracked") == 0)));
    s.push_str(&format!("| `duplicate_at_distributor` entries | {} |\n", n("duplicate_entries")));
    s.push_str(&format!("| stuck (target 0) | {} {} |\n", n("stuck"), mark(n("stuck") == 0)));
    s.push_str(&format!(
        "| total time / the rate limit's floor ({} calls) | {:.0} s / {:.0} s ({:.2}×) |\n",
        n("needed_calls"),
        f("total_s"),
        f("floor_s"),
        f("ratio")
    ));
    s.push_str(&format!("| the last late-order check done | {:.0} s |\n", f("checks_done_s")));
    s
}
