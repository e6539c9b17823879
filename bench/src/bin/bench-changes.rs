//! Seat changes at volume: starts the fake Pax8 (per-call latency, a
//! requests-per-minute limit answering 429 with Retry-After, a share of
//! subscription writes made and then answered 502: unclear outcomes),
//! gives it one subscription per change over several companies, starts
//! the release server against it, imports them (`subscriptions/sync`),
//! raises one approved change order each (more seats, auto-approved under
//! the limit), dispatches them all and waits until every one is done.
//! Prints one JSON line (and a BENCHMARKS.md section with `--markdown`):
//! the time against the rate limit's floor (every call the work needs ÷
//! the rate), calls by route, and writes applied twice, which must be 0.

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
    changes: usize,
    #[arg(long, default_value_t = 50)]
    companies: usize,
    #[arg(long, default_value_t = 150)]
    latency_ms: u64,
    /// Requests per minute the fake admits.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Share of seat writes Pax8 makes and then answers 502.
    #[arg(long, default_value_t = 0.1)]
    unclear_ratio: f64,
    #[arg(long, default_value_t = 2.0)]
    grace_seconds: f64,
    #[arg(long, default_value_t = 1800)]
    timeout_seconds: u64,
    #[arg(long, default_value = "target/bench/changes-server.log")]
    log: String,
    #[arg(long)]
    markdown: Option<String>,
    /// Server instances on the database (PostgreSQL for more than one).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// SIGKILL one instance every LO-HI seconds (e.g. `2-6`) and restart it.
    #[arg(long)]
    kill_every: Option<String>,
    /// Share of subscription reads and writes Pax8 holds before acting.
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
}

/// The routes a seat change calls.
const ROUTES: [Route; 5] = [
    Route::Token,
    Route::GetSubscription,
    Route::Products,
    Route::UpdateSubscription,
    Route::ListSubscriptions,
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (store, _, token) = bench::bootstrap(&args.database_url).await?;
    let fake = FakePax8::start(0, "bench-client", "bench-secret").await?;
    fake.add_product(
        "pax8-p-1",
        ProductRule {
            name: "Microsoft 365 Business Premium".into(),
            commitments: vec![("ct-annual".into(), "1-Year".into())],
            ..Default::default()
        },
    );
    let ends = chrono::Utc::now() + chrono::Duration::days(200);
    let ends = ends.format("%Y-%m-%dT00:00:00Z").to_string();
    for c in 1..=args.companies {
        fake.add_company(&format!("pax8-c-{c}"));
    }
    let mut targets = std::collections::HashMap::new();
    for i in 0..args.changes {
        let company = format!("pax8-c-{}", i % args.companies + 1);
        let id = fake.add_subscription(&company, "pax8-p-1", 10, "Monthly", Some(("1-Year", &ends)));
        targets.insert(id, 0i64);
    }

    let settings = [
        ("NEXOS_RECONCILE_GRACE_SECONDS", Some(args.grace_seconds.to_string())),
        ("NEXOS_DISPATCH_LEASE_SECONDS", args.lease_seconds.map(|v| v.to_string())),
        ("PAX8_TIMEOUT_SECONDS", args.pax8_timeout_seconds.map(|v| v.to_string())),
        ("PAX8_RATE_WAIT_SECONDS", args.pax8_rate_wait_seconds.map(|v| v.to_string())),
    ];
    let env = bench::fleet::server_env(&args.server_bin, &args.database_url, &fake, &settings)?;
    let fleet = bench::fleet::Fleet::launch(&args.server_bin, &args.log, env, args.instances)?;
    let bases = fleet.bases();
    let fleet = std::sync::Arc::new(std::sync::Mutex::new(fleet));
    let outcome = run(&args, &store, &fake, &bases, &token, &mut targets, fleet.clone()).await;
    drop(fleet);
    store.close().await;
    let out = outcome?;
    println!("{out}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, section(&out))?;
    }
    Ok(())
}

async fn run(
    args: &Args,
    store: &domain::Store,
    fake: &FakePax8,
    bases: &[String],
    token: &str,
    targets: &mut std::collections::HashMap<String, i64>,
    fleet: std::sync::Arc<std::sync::Mutex<bench::fleet::Fleet>>,
) -> anyhow::Result<Value> {
    for b in bases {
        bench::wait_healthy(b, Duration::from_secs(60)).await?;
    }
    let api = bench::Api::new(&bases[0], token);
    let apis: Vec<bench::Api> = bases.iter().map(|b| bench::Api::new(b, token)).collect();
    let (_, _, companies) = bench::fleet::pax8_catalog(&api, args.companies).await?;
    // The subscriptions, imported as any MSP's would be.
    let mut subs = Vec::new();
    for c in &companies {
        api.call("subscriptions/sync", json!({"company_id": c})).await?;
        let list = api.call("subscriptions/list", json!({"company_id": c})).await?;
        subs.extend(list.as_array().cloned().unwrap_or_default());
    }
    anyhow::ensure!(subs.len() == args.changes, "imported {} subscriptions, not {}", subs.len(), args.changes);
    let raised = Instant::now();
    let pos = bench::in_parallel(subs.len(), 8, |i| {
        let (api, id, to) = (api.clone(), subs[i]["id"].as_i64().unwrap_or_default(), 11 + (i % 5) as i64);
        async move {
            api.call(
                "purchase-orders/create",
                json!({"vendor_id": 0, "submit": true,
                       "lines": [{"description": "", "quantity": 0, "unit_cost_cents": 0, "change": {"subscription_id": id, "quantity": to}}]}),
            )
            .await
        }
    })
    .await?;
    for (i, p) in pos.iter().enumerate() {
        anyhow::ensure!(p["status"] == "approved", "a change order was not approved: {}", p["status"]);
        let at_pax8 = subs[i]["distributor_subscription_id"].as_str().unwrap_or_default().to_string();
        targets.insert(at_pax8, 11 + (i % 5) as i64);
    }
    eprintln!("raised {} approved change orders in {:.1} s", pos.len(), raised.elapsed().as_secs_f64());

    fake.set_conditions(Conditions {
        latency: Duration::from_millis(args.latency_ms),
        rate_per_minute: Some(args.rate),
        unclear_ratio: args.unclear_ratio,
        hold_ratio: args.hold_ratio,
        hold: Duration::from_secs_f64(args.hold_seconds),
        ..Default::default()
    });
    let kills = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = bench::fleet::killer(args.kill_every.as_deref(), fleet, kills.clone(), done.clone())?;
    let before: usize = ROUTES.iter().map(|r| fake.requests(*r)).sum();
    let writes_before = fake.writes_applied();
    let began = Instant::now();
    let ids: Vec<i64> = pos.iter().map(|p| p["id"].as_i64().unwrap_or_default()).collect();
    bench::in_parallel(ids.len(), 16, |i| {
        let (apis, id) = (apis.clone(), ids[i]);
        async move { bench::fleet::any_call(&apis, "procurement/dispatch", json!({"po_id": id})).await }
    })
    .await?;
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
        if done as usize >= ids.len() || began.elapsed() > Duration::from_secs(args.timeout_seconds) {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let total = began.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(k) = killer {
        let _ = k.await;
    }
    let takeovers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM po_events WHERE kind = 'dispatch_recovering'")
        .fetch_one(store.pool())
        .await?;
    let count = |s: &str| counts.iter().find(|r| r.0 == s).map(|r| r.1).unwrap_or(0);
    let finished = count("provisioned") + count("failed") + count("abandoned");
    // Each subscription at its target, reached by one write.
    let wrong = targets
        .iter()
        .filter(|(id, to)| fake.subscription(id).and_then(|s| s["quantity"].as_i64()) != Some(**to))
        .count();
    let writes = fake.writes_applied() - writes_before;
    let unclear: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM po_events WHERE kind = 'dispatch_unknown'")
        .fetch_one(store.pool())
        .await?;
    let calls: usize = ROUTES.iter().map(|r| fake.requests(*r)).sum::<usize>() - before;
    // At least, per change: the read that checks what was approved, the
    // commitment rules, the write; per unclear outcome one read back.
    let needed = ids.len() * 3 + unclear as usize;
    let floor = needed as f64 / (f64::from(args.rate) / 60.0);
    Ok(json!({
        "changes": ids.len(),
        "companies": args.companies,
        "latency_ms": args.latency_ms,
        "rate_per_minute": args.rate,
        "unclear_ratio": args.unclear_ratio,
        "grace_seconds": args.grace_seconds,
        "total_s": total,
        "needed_calls": needed,
        "floor_s": floor,
        "ratio": total / floor,
        "calls": calls,
        "throttled": fake.throttled(),
        "unclear_outcomes": unclear,
        "by_route": {
            "token": fake.requests(Route::Token),
            "get_subscription": fake.requests(Route::GetSubscription),
            "dependencies": fake.requests(Route::Products),
            "update_subscription": fake.requests(Route::UpdateSubscription),
            "list_subscriptions": fake.requests(Route::ListSubscriptions),
        },
        "provisioned": count("provisioned"),
        "failed": count("failed"),
        "stuck": ids.len() as i64 - finished,
        "writes_applied": writes,
        "applied_twice": writes as i64 - count("provisioned"),
        "off_target": wrong,
        "instances": args.instances,
        "kill_every": args.kill_every,
        "kills": kills.load(std::sync::atomic::Ordering::SeqCst),
        "takeovers": takeovers,
        "hold_ratio": args.hold_ratio,
        "hold_seconds": args.hold_seconds,
        "held": fake.held(),
        "lease_seconds": args.lease_seconds,
        "backend": if args.database_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
    }))
}

/// The run as a BENCHMARKS.md section.
fn section(d: &Value) -> String {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let n = |k: &str| d[k].as_i64().unwrap_or(-1);
    let f = |k: &str| d[k].as_f64().unwrap_or(f64::NAN);
    let mark = |ok: bool| if ok { "✅" } else { "❌" };
    let mut s = String::from(match d["kill_every"].as_str() {
        Some(_) => "## Seat changes under chaos (several instances, SIGKILLs, held calls)\n\n",
        None => "## Seat changes (change orders) against the fake Pax8\n\n",
    });
    let fleet = match (n("instances"), d["kill_every"].as_str()) {
        (1, _) => format!("One release server on {}", d["backend"].as_str().unwrap_or("SQLite")),
        (i, None) => format!("{i} release servers on one {} database", d["backend"].as_str().unwrap_or("")),
        (i, Some(k)) => format!(
            "{i} release servers on one {} database, one of them SIGKILLed every {k} s and started again ({} kills, {} takeovers), {:.0}% of subscription calls held {} s by Pax8 before it acts (past the {} s lease)",
            d["backend"].as_str().unwrap_or(""),
            n("kills"),
            n("takeovers"),
            f("hold_ratio") * 100.0,
            f("hold_seconds"),
            f("lease_seconds")
        ),
    };
    s.push_str(&format!(
        "Written by `scripts/bench-changes` on {} (UTC), commit `{commit}`. {fleet} against the fake Pax8 ({} ms \
         per call, {} calls a minute, 429 with Retry-After beyond); {} subscriptions over {} companies imported with `subscriptions/sync`, one \
         change order each (10 seats to 11–15, approved automatically under the limit), all dispatched at once. {:.0}% of the seat writes are \
         made by Pax8 and then answered 502 (an unclear outcome: the engine reads the subscription back before anything else). Applied twice = \
         writes Pax8 applied − changes confirmed; off target = subscriptions at the fake without the seats their change order asked for.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        n("latency_ms"),
        n("rate_per_minute"),
        n("changes"),
        n("companies"),
        f("unclear_ratio") * 100.0,
    ));
    s.push_str("| figure | value |\n|---|---|\n");
    s.push_str(&format!(
        "| changes / confirmed / failed | {} / {} / {} |\n",
        n("changes"),
        n("provisioned"),
        n("failed")
    ));
    s.push_str(&format!(
        "| unclear outcomes / answered 429 | {} / {} |\n",
        n("unclear_outcomes"),
        n("throttled")
    ));
    s.push_str(&format!(
        "| writes applied twice (target 0) | {} {} |\n",
        n("applied_twice"),
        mark(n("applied_twice") == 0)
    ));
    s.push_str(&format!("| off target (target 0) | {} {} |\n", n("off_target"), mark(n("off_target") == 0)));
    s.push_str(&format!("| stuck (target 0) | {} {} |\n", n("stuck"), mark(n("stuck") == 0)));
    s.push_str(&format!(
        "| total time / the rate limit's floor ({} calls) | {:.0} s / {:.0} s ({:.2}×) |\n",
        n("needed_calls"),
        f("total_s"),
        f("floor_s"),
        f("ratio")
    ));
    s.push_str(&format!("| calls made | {} ({}) |\n", n("calls"), d["by_route"]));
    s
}
