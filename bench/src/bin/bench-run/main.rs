//! Runs the server benchmarks on SQLite and PostgreSQL and writes
//! BENCHMARKS.md (called by `scripts/bench`, which builds first). Each run
//! seeds a fresh database with `bench-seed`, starts the release server on
//! loopback, measures it with `oha` (a separate process, 50 connections)
//! beside `bench-baseline` serving the same bytes from memory, measures
//! submit + approve with `bench-flow`, reads the server's memory from /proc,
//! and runs `bench-dispatch` against the fake Pax8.
//!
//! This file holds the run in order (seed, serve, measure, scale); harness.rs
//! the databases and processes it starts, measure.rs the measuring, plans.rs
//! the query plans, report.rs the writing.

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

mod harness;
mod measure;
mod plans;
mod report;
mod statements;
use harness::*;
use measure::*;
use plans::plans;
use report::*;
use statements::{count_pass, Counted};

#[derive(Parser, Clone)]
struct Args {
    /// Smaller databases and shorter runs, to try the benchmark out.
    #[arg(long)]
    quick: bool,
    /// `sqlite` or `postgres`; both when left out.
    #[arg(long)]
    only: Option<String>,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    #[arg(long, default_value = "target/release/server")]
    server_bin: String,
    /// A PostgreSQL database to connect to for creating and dropping the benchmark's own.
    #[arg(long, env = "NEXOS_BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Markdown to include for page weight and time to interactive (scripts/bench-web's output).
    #[arg(long)]
    web_section: Option<PathBuf>,
    /// Markdown appended as is: findings, fixes, before and after.
    /// The chaos run's section, as `scripts/bench-chaos` wrote it.
    #[arg(long, default_value = "bench/CHAOS.md")]
    chaos: PathBuf,
    /// The seat-change run's section, as `scripts/bench-changes` wrote it.
    #[arg(long, default_value = "bench/CHANGES.md")]
    changes: PathBuf,
    /// The seat-change chaos run's section (`scripts/bench-changes --chaos`).
    #[arg(long, default_value = "bench/CHANGES-CHAOS.md")]
    changes_chaos: PathBuf,
    #[arg(long, default_value = "bench/FINDINGS.md")]
    findings: PathBuf,
    /// Skip the dispatch run.
    #[arg(long)]
    no_dispatch: bool,
}

struct Sizes {
    main: i64,
    scaling: Vec<i64>,
    run_s: u32,
    scale_s: u32,
    warm_s: u32,
    dispatch_pos: usize,
}

const WORK: &str = "target/bench";
const CLIENTS: u32 = 50;

struct Perf {
    rows: Vec<(String, M, M)>,
    /// What one request of each endpoint costs the database.
    statements: Vec<Counted>,
    /// get, list and the page again, compressed as browsers ask.
    compressed: Vec<(String, M)>,
    rss_idle_kb: u64,
    rss_peak_kb: u64,
    rss_peak_compressed_kb: u64,
    seed_s: f64,
}

struct ScaleRow {
    pos: i64,
    seed_s: f64,
    get: M,
    list: M,
    list_company: M,
    list_deep: M,
    /// `q` = the number of the PO in the middle: a handful of matches.
    list_search: M,
    /// `reports/spend`, the last twelve months by month and vendor.
    spend: M,
    /// `GET /purchase-orders/export.csv`, every PO, one download.
    csv: CsvRun,
}

async fn warm(api: &bench::Api, max_id: i64) -> anyhow::Result<()> {
    for i in 0..20 {
        api.call("purchase-orders/get", json!({"id": (i * 7919) % max_id + 1})).await?;
        api.call("purchase-orders/list", json!({})).await?;
        api.get("/purchase-orders").await?;
    }
    Ok(())
}

/// List and get at one size (the server is running on a database of `pos` POs).
#[allow(clippy::too_many_arguments)]
async fn scale_point(api: &bench::Api, base: &str, token: &str, pid: u32, pos: i64, seed_s: f64, sz: &Sizes, label: &str) -> anyhow::Result<ScaleRow> {
    let number = api.call("purchase-orders/get", json!({"id": pos / 2})).await?["number"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ids = id_lines(&format!("ids-{label}-{pos}.txt"), pos)?;
    let t = |path: &str, body: Body| Target {
        method: "POST",
        path: path.into(),
        body,
        compressed: false,
    };
    let get = measure(base, token, &t("/api/purchase-orders/get", Body::Lines(ids)), sz.warm_s, sz.scale_s)?;
    let list = measure(base, token, &t("/api/purchase-orders/list", Body::Json("{}".into())), sz.warm_s, sz.scale_s)?;
    let list_company = measure(
        base,
        token,
        &t("/api/purchase-orders/list", Body::Json(r#"{"company_id": 7}"#.into())),
        sz.warm_s,
        sz.scale_s,
    )?;
    let list_deep = measure(
        base,
        token,
        &t("/api/purchase-orders/list", Body::Json(format!(r#"{{"cursor": "{}"}}"#, pos / 2))),
        sz.warm_s,
        sz.scale_s,
    )?;
    let list_search = measure(
        base,
        token,
        &t("/api/purchase-orders/list", Body::Json(json!({ "q": number }).to_string())),
        sz.warm_s,
        sz.scale_s,
    )?;
    let spend = oha(
        base,
        token,
        &t("/api/reports/spend", Body::Json(r#"{"group_by": "month_vendor"}"#.into())),
        sz.scale_s,
    )?;
    let csv = csv_export(base, token, pid).await?;
    Ok(ScaleRow {
        pos,
        seed_s,
        get,
        list,
        list_company,
        list_deep,
        list_search,
        spend,
        csv,
    })
}

async fn perf(args: &Args, backend: &str, sz: &Sizes) -> anyhow::Result<(Perf, ScaleRow)> {
    let db = Db::fresh(backend, &format!("{backend}_main"), &args.postgres_url).await?;
    let (token, seed_s) = seed(&db, sz.main)?;
    let (server, base) = start_server(args, &db, &format!("{WORK}/server-{backend}.log"))?;
    let pid = server.0.id();
    bench::wait_healthy(&base, Duration::from_secs(60)).await?;
    let api = bench::Api::new(&base, &token);
    warm(&api, sz.main).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle_kb = bench::proc_kb(pid, "VmRSS").unwrap_or(0);
    eprintln!("==> {backend}: idle RSS {} MB with {} POs", rss_idle_kb / 1024, sz.main);
    // Counted first, while the seeded drafts it submits are there (the
    // submit + approve run below may take every one of them). A count that
    // fails says so in its table; the other figures still stand.
    let statements = count_pass(args, &db, &token, backend, sz.main / 2).await.unwrap_or_else(|e| {
        eprintln!("==> {backend}: statements per request failed: {e:#}");
        vec![Counted::failed(format!("{e:#}"))]
    });

    // The bytes the baseline serves: what the server answered.
    let dir = PathBuf::from(WORK);
    let save = |name: &str, body: &[u8]| -> anyhow::Result<String> {
        let p = dir.join(name);
        std::fs::write(&p, body)?;
        Ok(p.display().to_string())
    };
    let get = save("get.json", &api.post("/api/purchase-orders/get", &json!({"id": sz.main / 2})).await?.body)?;
    let list = save("list.json", &api.post("/api/purchase-orders/list", &json!({})).await?.body)?;
    let page = api.get("/purchase-orders").await?;
    anyhow::ensure!(page.status == 200 && page.content_type.contains("html"), "the page answered {}", page.status);
    let page = save("page.html", &page.body)?;
    let created = api.post("/api/purchase-orders/create", &serde_json::from_str(&create_body())?).await?;
    anyhow::ensure!(
        created.status == 200,
        "create answered {}: {}",
        created.status,
        String::from_utf8_lossy(&created.body)
    );
    let create = save("create.json", &created.body)?;
    let draft = api.call("purchase-orders/list", json!({"status": "draft", "limit": 1})).await?["items"][0]["id"]
        .as_i64()
        .context("no draft")?;
    let submitted = api.post("/api/purchase-orders/submit", &json!({"id": draft})).await?.body;
    // Approve answers at the version the approver saw.
    let version = serde_json::from_slice::<Value>(&submitted)?["version"]
        .as_i64()
        .context("submit gave no version")?;
    let submit = save("submit.json", &submitted)?;
    let approve = save(
        "approve.json",
        &api.post("/api/purchase-orders/approve", &json!({"id": draft, "version": version})).await?.body,
    )?;
    let me = save("me.json", &api.post("/api/auth/me", &json!({})).await?.body)?;
    let bport = bench::free_port();
    let bbase = format!("http://127.0.0.1:{bport}");
    let routes = [
        ("/api/auth/me", me),
        ("/api/purchase-orders/get", get),
        ("/api/purchase-orders/list", list),
        ("/purchase-orders", page),
        ("/api/purchase-orders/create", create),
        ("/api/purchase-orders/submit", submit),
        ("/api/purchase-orders/approve", approve),
    ];
    let mut cmd = Command::new("target/release/bench-baseline");
    cmd.args(["--addr", &format!("127.0.0.1:{bport}")]);
    for (p, f) in &routes {
        cmd.args(["--route", &format!("{p}={f}")]);
    }
    let _baseline = Proc(cmd.spawn()?);
    bench::wait_healthy_any(&bbase, "/purchase-orders").await?;

    eprintln!(
        "==> {backend}: throughput and latency, {CLIENTS} clients, {} s each after {} s warm-up",
        sz.run_s, sz.warm_s
    );
    let ids = id_lines(&format!("ids-{backend}-main.txt"), sz.main)?;
    let mut rows = Vec::new();
    for (label, t) in targets(&ids) {
        let real = measure(&base, &token, &t, sz.warm_s, sz.run_s)?;
        let bare = measure(&bbase, &token, &t, sz.warm_s, sz.run_s)?;
        rows.push((label.to_string(), real, bare));
    }
    let real = flow(&base, &token, sz.run_s, false)?;
    let bare = flow(&bbase, &token, sz.run_s, true)?;
    rows.push(("submit + approve (two calls, per pair)".to_string(), real, bare));
    // The caller (remembered) and nothing else: what a server function
    // costs before it reads the database.
    let me = Target {
        method: "POST",
        path: "/api/auth/me".into(),
        body: Body::Json("{}".into()),
        compressed: false,
    };
    let real = measure(&base, &token, &me, sz.warm_s, sz.run_s)?;
    let bare = measure(&bbase, &token, &me, sz.warm_s, sz.run_s)?;
    rows.push(("`auth/me` (reads no table: a server function's own cost)".to_string(), real, bare));
    let rss_peak_kb = bench::proc_kb(pid, "VmHWM").unwrap_or(0);
    eprintln!("==> {backend}: peak RSS {} MB", rss_peak_kb / 1024);
    let mut compressed = Vec::new();
    for (label, mut t) in targets(&ids).into_iter().take(3) {
        t.compressed = true;
        compressed.push((label.to_string(), measure(&base, &token, &t, sz.warm_s, sz.run_s)?));
    }
    let rss_peak_compressed_kb = bench::proc_kb(pid, "VmHWM").unwrap_or(0);
    eprintln!("==> {backend}: peak RSS with compression {} MB", rss_peak_compressed_kb / 1024);

    eprintln!("==> {backend}: scaling point at {} POs", sz.main);
    let scale = scale_point(&api, &base, &token, pid, sz.main, seed_s, sz, backend).await?;
    drop(server);
    db.drop_now().await?;
    Ok((
        Perf {
            rows,
            statements,
            compressed,
            rss_idle_kb,
            rss_peak_kb,
            rss_peak_compressed_kb,
            seed_s,
        },
        scale,
    ))
}

async fn scaling(args: &Args, backend: &str, sz: &Sizes, pos: i64) -> anyhow::Result<(ScaleRow, String)> {
    let db = Db::fresh(backend, &format!("{backend}_scale"), &args.postgres_url).await?;
    let (token, seed_s) = seed(&db, pos)?;
    let plans = plans(&db.url, pos).await.unwrap_or_else(|e| format!("(query plans unavailable: {e})\n"));
    let (server, base) = start_server(args, &db, &format!("{WORK}/server-{backend}-{pos}.log"))?;
    bench::wait_healthy(&base, Duration::from_secs(120)).await?;
    let api = bench::Api::new(&base, &token);
    warm(&api, pos).await?;
    eprintln!("==> {backend}: scaling point at {pos} POs");
    let row = scale_point(&api, &base, &token, server.0.id(), pos, seed_s, sz, backend).await?;
    drop(server);
    db.drop_now().await?;
    Ok((row, plans))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(WORK)?;
    let sz = if args.quick {
        Sizes {
            main: 10_000,
            scaling: vec![1_000, 100_000],
            run_s: 3,
            scale_s: 2,
            warm_s: 1,
            dispatch_pos: 100,
        }
    } else {
        Sizes {
            main: 100_000,
            scaling: vec![1_000, 1_000_000],
            run_s: 10,
            scale_s: 5,
            warm_s: 2,
            dispatch_pos: 1000,
        }
    };
    let backends: Vec<&str> = match args.only.as_deref() {
        None => vec!["sqlite", "postgres"],
        Some("sqlite") => vec!["sqlite"],
        Some("postgres") => vec!["postgres"],
        Some(o) => bail!("--only sqlite|postgres, not {o}"),
    };
    let started = chrono::Utc::now();
    let load_before = sh("cut -d' ' -f1-3 /proc/loadavg");
    let mut body = String::new();
    for backend in &backends {
        let (p, mid) = perf(&args, backend, &sz).await?;
        let mut scale = vec![mid];
        let mut plan_text = String::new();
        for &n in &sz.scaling {
            let (row, plans) = scaling(&args, backend, &sz, n).await?;
            if n == *sz.scaling.iter().max().unwrap_or(&n) {
                plan_text = plans;
            }
            scale.push(row);
        }
        scale.sort_by_key(|r| r.pos);
        let d = if args.no_dispatch {
            Value::Null
        } else {
            let db = Db::fresh(backend, &format!("{backend}_dispatch"), &args.postgres_url).await?;
            let d = dispatch(&args, &db, &sz, backend)?;
            db.drop_now().await?;
            d
        };
        body.push_str(&section(backend, &sz, &p, &scale, &plan_text, &d));
    }
    let load_after = sh("cut -d' ' -f1-3 /proc/loadavg");
    let web = match &args.web_section {
        Some(p) => std::fs::read_to_string(p).unwrap_or_else(|_| "page weight and TTI: see scripts/bench-web (not run)\n".into()),
        None => "page weight and TTI: see scripts/bench-web (not run)\n".into(),
    };
    let findings = std::fs::read_to_string(&args.findings).unwrap_or_default();
    let commit = sh("git rev-parse --short HEAD");
    let dirty = if sh("git status --porcelain --untracked-files=no").is_empty() {
        ""
    } else {
        " (with uncommitted changes)"
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench{}` on {} (UTC), commit `{commit}`{dirty}.\n",
        if args.quick { " --quick" } else { "" },
        started.format("%Y-%m-%d %H:%M")
    );
    let _ = writeln!(md, "- Machine: {}.", machine());
    let _ = writeln!(
        md,
        "- Load average (1, 5, 15 min) before the run: {load_before}; after: {load_after}. The server, the load generator and the \
         databases share the same cores; other builds running on the machine at the same time lower every figure alike."
    );
    let _ = writeln!(md, "- Took {:.1} minutes.\n", (chrono::Utc::now() - started).num_seconds() as f64 / 60.0);
    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(md, "{}", method(&sz));
    if web.trim_start().starts_with('#') {
        let _ = writeln!(md, "{web}");
    } else {
        let _ = writeln!(md, "## Page weight and time to interactive\n\n{web}");
    }
    md.push_str(&body);
    if let Ok(chaos) = std::fs::read_to_string(&args.chaos) {
        let _ = writeln!(md, "{chaos}");
    }
    for path in [&args.changes, &args.changes_chaos] {
        if let Ok(section) = std::fs::read_to_string(path) {
            let _ = writeln!(md, "{section}");
        }
    }
    if !findings.is_empty() {
        let _ = writeln!(md, "{findings}");
    }
    std::fs::write(&args.out, md)?;
    eprintln!("==> wrote {}", args.out.display());
    Ok(())
}
