//! Drives submit + approve, the one measured operation that a load tool
//! cannot express (each pair needs its own draft PO): `--concurrency`
//! clients, each taking the next draft, calling `purchase-orders/submit` then
//! `purchase-orders/approve`, for `--duration` seconds. With `--baseline` the
//! same pairs go to the bare-axum baseline. Prints one JSON line: pairs per
//! second, p50 and p99 of a pair in ms, pairs, errors.

use clap::Parser;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    base: String,
    #[arg(long, default_value = "")]
    token: String,
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Against the baseline: no drafts to find, the same id every time.
    #[arg(long)]
    baseline: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api = bench::Api::new(&args.base, &args.token);
    let ids: Vec<i64> = if args.baseline {
        vec![1; 10_000_000]
    } else {
        // Every draft, newest first, page by page.
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = api
                .call("purchase-orders/list", json!({"status": "draft", "limit": 200, "cursor": cursor}))
                .await?;
            ids.extend(page["items"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_i64()));
            cursor = page["next_cursor"].as_str().map(str::to_string);
            if cursor.is_none() || ids.len() >= 200_000 {
                break;
            }
        }
        ids
    };
    anyhow::ensure!(!ids.is_empty(), "no draft purchase orders to submit");
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let until = Instant::now() + Duration::from_secs_f64(args.duration);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (api, ids, next, errors) = (api.clone(), ids.clone(), next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < until {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let t = Instant::now();
                let ok = async {
                    let a = api.post("/api/purchase-orders/submit", &json!({"id": id})).await?;
                    // Approve at the version submit answered with.
                    let version = serde_json::from_slice::<serde_json::Value>(&a.body)?["version"].as_i64();
                    let b = api.post("/api/purchase-orders/approve", &json!({"id": id, "version": version})).await?;
                    anyhow::Ok(a.status == 200 && b.status == 200)
                }
                .await
                .unwrap_or(false);
                if ok {
                    samples.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    let elapsed = began.elapsed().as_secs_f64();
    all.sort();
    let out = json!({
        "rps": all.len() as f64 / elapsed,
        "p50_ms": bench::percentile_ms(&all, 50.0),
        "p99_ms": bench::percentile_ms(&all, 99.0),
        "count": all.len(),
        "errors": errors.load(Ordering::Relaxed),
        "drafts_available": ids.len(),
    });
    println!("{out}");
    Ok(())
}
