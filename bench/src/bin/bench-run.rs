//! Runs the server benchmarks on SQLite and PostgreSQL and writes
//! BENCHMARKS.md (called by `scripts/bench`, which builds first). Each run
//! seeds a fresh database with `bench-seed`, starts the release server on
//! loopback, measures it with `oha` (a separate process, 50 connections)
//! beside `bench-baseline` serving the same bytes from memory, measures
//! submit + approve with `bench-flow`, reads the server's memory from /proc,
//! and runs `bench-dispatch` against the fake Pax8.

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// A child process ended (SIGTERM, then waited for) when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// A fresh database of one backend, removed when dropped.
struct Db {
    url: String,
    pg: Option<(String, String)>,
}

impl Db {
    async fn fresh(backend: &str, name: &str, pg_admin: &str) -> anyhow::Result<Db> {
        if backend == "sqlite" {
            let path = format!("{WORK}/{name}.db");
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{ext}"));
            }
            return Ok(Db {
                url: format!("sqlite://{path}"),
                pg: None,
            });
        }
        let db = format!("nexos_bench_{name}");
        let mut c = sqlx::PgConnection::connect(pg_admin).await?;
        c.execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str()).await?;
        c.execute(format!("CREATE DATABASE {db}").as_str()).await?;
        c.close().await?;
        let base = pg_admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(pg_admin);
        Ok(Db {
            url: format!("{base}/{db}"),
            pg: Some((pg_admin.to_string(), db)),
        })
    }

    async fn drop_now(self) -> anyhow::Result<()> {
        if let Some((admin, db)) = &self.pg {
            let mut c = sqlx::PgConnection::connect(admin).await?;
            c.execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str()).await?;
            c.close().await?;
        } else if let Some(path) = self.url.strip_prefix("sqlite://") {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{ext}"));
            }
        }
        Ok(())
    }
}

fn seed(db: &Db, pos: i64) -> anyhow::Result<(String, f64)> {
    eprintln!("==> seeding {pos} POs into {}", domain::store::redact_url(&db.url));
    let out = Command::new("target/release/bench-seed")
        .args(["--database-url", &db.url, "--pos", &pos.to_string()])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("bench-seed failed");
    }
    let text = String::from_utf8(out.stdout)?;
    let get = |k: &str| text.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
    Ok((
        get("TOKEN=").context("no token from bench-seed")?,
        get("SEED_SECONDS=").and_then(|s| s.parse().ok()).unwrap_or(f64::NAN),
    ))
}

fn start_server(args: &Args, db: &Db, log: &str) -> anyhow::Result<(Proc, String)> {
    let port = bench::free_port();
    let log = std::fs::File::create(log)?;
    let child = Command::new(&args.server_bin)
        .env("DATABASE_URL", &db.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_ENV", "PROD")
        .env_remove("NEXOS_ENCRYPTION_KEY")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", args.server_bin))?;
    Ok((Proc(child), format!("http://127.0.0.1:{port}")))
}

/// One oha measurement: requests/s, p50 and p99 in ms, non-2xx answers.
#[derive(Clone, Copy, Default)]
struct M {
    rps: f64,
    p50: f64,
    p99: f64,
    bad: u64,
}

/// What to send.
struct Target {
    method: &'static str,
    path: String,
    body: Body,
    /// Ask for gzip or brotli as browsers do (`Accept-Encoding`); otherwise identity.
    compressed: bool,
}

enum Body {
    None,
    Json(String),
    /// One JSON body per line, taken in turn.
    Lines(PathBuf),
}

fn oha(base: &str, token: &str, t: &Target, secs: u32) -> anyhow::Result<M> {
    let mut cmd = Command::new("oha");
    cmd.args([
        "-z",
        &format!("{secs}s"),
        "-c",
        &CLIENTS.to_string(),
        "--no-tui",
        "--output-format",
        "json",
        "-m",
        t.method,
    ]);
    cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    if !t.compressed {
        cmd.arg("--disable-compression");
    }
    match &t.body {
        Body::None => {}
        Body::Json(s) => {
            cmd.args(["-T", "application/json", "-d", s]);
        }
        Body::Lines(p) => {
            cmd.args(["-T", "application/json", "-Z"]).arg(p);
        }
    }
    cmd.arg(format!("{base}{}", t.path));
    let out = cmd.stderr(Stdio::inherit()).output().context("running oha (scripts/bench installs it)")?;
    if !out.status.success() {
        bail!("oha failed on {}", t.path);
    }
    let v: Value = serde_json::from_slice(&out.stdout).context("oha's JSON")?;
    let bad = v["statusCodeDistribution"]
        .as_object()
        .map(|m| m.iter().filter(|(k, _)| !k.starts_with('2')).map(|(_, n)| n.as_u64().unwrap_or(0)).sum())
        .unwrap_or(0);
    Ok(M {
        rps: v["summary"]["requestsPerSec"].as_f64().unwrap_or(f64::NAN),
        p50: v["latencyPercentiles"]["p50"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        p99: v["latencyPercentiles"]["p99"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        bad,
    })
}

/// Warm up for `warm` seconds, then measure for `secs`.
fn measure(base: &str, token: &str, t: &Target, warm: u32, secs: u32) -> anyhow::Result<M> {
    if warm > 0 {
        oha(base, token, t, warm)?;
    }
    let m = oha(base, token, t, secs)?;
    eprintln!(
        "    {:<28} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms{}",
        format!("{} {}{}", t.method, t.path, if t.compressed { " (br)" } else { "" }),
        m.rps,
        m.p50,
        m.p99,
        if m.bad > 0 { format!("  ({} non-2xx)", m.bad) } else { String::new() }
    );
    Ok(m)
}

fn flow(base: &str, token: &str, secs: u32, baseline: bool) -> anyhow::Result<M> {
    let mut cmd = Command::new("target/release/bench-flow");
    cmd.args([
        "--base",
        base,
        "--token",
        token,
        "--duration",
        &secs.to_string(),
        "--concurrency",
        &CLIENTS.to_string(),
    ]);
    if baseline {
        cmd.arg("--baseline");
    }
    let out = cmd.stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        bail!("bench-flow failed");
    }
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let m = M {
        rps: v["rps"].as_f64().unwrap_or(f64::NAN),
        p50: v["p50_ms"].as_f64().unwrap_or(f64::NAN),
        p99: v["p99_ms"].as_f64().unwrap_or(f64::NAN),
        bad: v["errors"].as_u64().unwrap_or(0),
    };
    eprintln!(
        "    {:<28} {:>8.0} pairs/s p50 {:>6.2} ms  p99 {:>6.2} ms{}",
        if baseline { "submit+approve (baseline)" } else { "submit+approve" },
        m.rps,
        m.p50,
        m.p99,
        if m.bad > 0 { format!("  ({} errors)", m.bad) } else { String::new() }
    );
    Ok(m)
}

/// Bodies `{"id": n}` for ids spread over 1..=max, one per line.
fn id_lines(name: &str, max: i64) -> anyhow::Result<PathBuf> {
    let path = PathBuf::from(format!("{WORK}/{name}"));
    let mut s = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let _ = writeln!(s, "{{\"id\": {}}}", (x % max as u64) as i64 + 1);
    }
    std::fs::write(&path, s)?;
    Ok(path)
}

fn create_body() -> String {
    let lines: Vec<Value> = (0..5)
        .map(|i| json!({"description": format!("Bench line {}", i + 1), "quantity": i + 1, "unit_cost_cents": 12_500 + i * 1000, "product_id": 31 + i}))
        .collect();
    json!({"vendor_id": 4, "company_id": 1, "lines": lines, "notes": "Benchmark", "submit": true}).to_string()
}

/// The endpoints of section 3, each with its path at the baseline.
fn targets(get_ids: &Path) -> Vec<(&'static str, Target)> {
    vec![
        (
            "`purchase-orders/get` (JSON)",
            Target {
                method: "POST",
                path: "/api/purchase-orders/get".into(),
                body: Body::Lines(get_ids.to_path_buf()),
                compressed: false,
            },
        ),
        (
            "`purchase-orders/list` (JSON, first page)",
            Target {
                method: "POST",
                path: "/api/purchase-orders/list".into(),
                body: Body::Json("{}".into()),
                compressed: false,
            },
        ),
        (
            "`/purchase-orders` page (server-rendered HTML)",
            Target {
                method: "GET",
                path: "/purchase-orders".into(),
                body: Body::None,
                compressed: false,
            },
        ),
        (
            "`purchase-orders/create`, 5 lines",
            Target {
                method: "POST",
                path: "/api/purchase-orders/create".into(),
                body: Body::Json(create_body()),
                compressed: false,
            },
        ),
    ]
}

struct Perf {
    rows: Vec<(String, M, M)>,
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
async fn scale_point(api: &bench::Api, base: &str, token: &str, pos: i64, seed_s: f64, sz: &Sizes, label: &str) -> anyhow::Result<ScaleRow> {
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
    Ok(ScaleRow {
        pos,
        seed_s,
        get,
        list,
        list_company,
        list_deep,
        list_search,
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
    let scale = scale_point(&api, &base, &token, sz.main, seed_s, sz, backend).await?;
    drop(server);
    db.drop_now().await?;
    Ok((
        Perf {
            rows,
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
    let row = scale_point(&api, &base, &token, pos, seed_s, sz, backend).await?;
    drop(server);
    db.drop_now().await?;
    Ok((row, plans))
}

/// The plans of the queries behind get and list (as `domain` writes them).
async fn plans(url: &str, pos: i64) -> anyhow::Result<String> {
    let store = domain::Store::connect(url, 1).await?;
    let sqlite = store.backend() == domain::store::Backend::Sqlite;
    let id = pos / 2;
    let number: String = sqlx::query_scalar(&format!("SELECT number FROM purchase_orders WHERE id = {id}"))
        .fetch_one(store.pool())
        .await?;
    let like = domain::store::like_pattern(&number);
    let search = match domain::store::fts_trigrams(&number) {
        Some(t) if sqlite => format!(
            "SELECT p.id, p.number, v.name, c.name, u.name FROM po_search CROSS JOIN purchase_orders p ON p.id = po_search.rowid JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE po_search MATCH '{}' AND p.search_text LIKE '{like}' ESCAPE '\\' ORDER BY po_search.rowid DESC LIMIT 51",
            t.replace('\'', "''")
        ),
        _ => format!("SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.search_text LIKE '{like}' ESCAPE '\\' ORDER BY p.id DESC LIMIT 51"),
    };
    let queries = [
        ("get: the PO", format!("SELECT p.id, v.name, c.name, t.title, pr.name, cu.name, au.name, s.sha256 FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id LEFT JOIN tickets t ON t.id = p.ticket_id LEFT JOIN projects pr ON pr.id = p.project_id JOIN users cu ON cu.id = p.created_by LEFT JOIN users au ON au.id = p.approved_by LEFT JOIN po_signatures s ON s.id = p.signature_id WHERE p.id = {id}")),
        ("get: its lines", format!("SELECT id, line_no, description FROM po_lines WHERE po_id = {id} ORDER BY line_no")),
        ("list: first page", "SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by ORDER BY p.id DESC LIMIT 51".to_string()),
        ("list: a later page (keyset)", format!("SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.id < {id} ORDER BY p.id DESC LIMIT 51")),
        ("list: one company", "SELECT p.id, p.number, v.name, c.name, u.name FROM purchase_orders p JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by WHERE p.company_id = 7 ORDER BY p.id DESC LIMIT 51".to_string()),
        ("list: search for a PO number", search),
        ("list: one company's committed cost (kept total)", "SELECT cents FROM committed_totals WHERE scope = 'company' AND scope_id = 7".to_string()),
    ];
    let mut out = String::new();
    for (label, sql) in queries {
        let explain = if sqlite {
            format!("EXPLAIN QUERY PLAN {sql}")
        } else {
            format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}")
        };
        let rows = sqlx::raw_sql(&explain).fetch_all(store.pool()).await?;
        let _ = writeln!(out, "{label}:\n```");
        for r in rows {
            use sqlx::Row;
            let line: String = if sqlite { r.try_get(3)? } else { r.try_get(0)? };
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```");
    }
    store.close().await;
    Ok(out)
}

fn dispatch(args: &Args, db: &Db, sz: &Sizes, backend: &str) -> anyhow::Result<Value> {
    eprintln!("==> {backend}: dispatch of {} POs against the fake Pax8", sz.dispatch_pos);
    let out = Command::new("target/release/bench-dispatch")
        .args([
            "--server-bin",
            &args.server_bin,
            "--database-url",
            &db.url,
            "--pos",
            &sz.dispatch_pos.to_string(),
        ])
        .args(["--log", &format!("{WORK}/dispatch-{backend}.log")])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("bench-dispatch failed");
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let cores = sh("nproc");
    let mem = sh("awk '/MemTotal/ {printf \"%.1f GB\", $2/1048576}' /proc/meminfo");
    let os = sh(". /etc/os-release && echo $PRETTY_NAME");
    let kernel = sh("uname -r");
    format!("{} ({cores} cores), {mem} RAM, {os}, Linux {kernel}", cpu.trim())
}

fn f(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
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
    if !findings.is_empty() {
        let _ = writeln!(md, "{findings}");
    }
    std::fs::write(&args.out, md)?;
    eprintln!("==> wrote {}", args.out.display());
    Ok(())
}

fn method(sz: &Sizes) -> String {
    format!(
        "Each backend gets fresh databases. `bench-seed` fills one through the app's migrations and then bulk SQL: {main} purchase orders with \
         5 lines each ({lines} lines) over two years, numbered per year with `po_counters` in step, 200 companies (10 tickets, 2 projects \
         each), 12 vendors with a 120-product catalog, 21 users; statuses mixed (10% draft, 10% pending, 50% approved, 5% rejected, \
         20% partly or fully received, 5% cancelled), approvals, rejections and cancellations filled in, a `created` timeline event per PO \
         and one for its last step. PostgreSQL gets `VACUUM ANALYZE` after the load, as autovacuum would; SQLite is left as the app leaves it.\n\n\
         The release server (`cargo leptos build --release --precompress --split --features split --project nexos`, `LEPTOS_ENV=PROD`, default pool of 16 connections, default logging of one \
         line per request to a file) runs on loopback. The load generator is `oha` in its own process, {CLIENTS} connections with \
         keep-alive, {warm} s of warm-up and then {run} s per endpoint ({scale} s per scaling point), authenticated with an API token. \
         `get` takes its ids in turn from 5,000 spread over the whole table; `list` is the first page (50, newest first); the page is \
         `GET /purchase-orders` as a signed-in browser gets it; answers are asked for uncompressed (identity, the same bytes the baseline sends), and get, list and the page once more compressed as browsers ask; `create` sends 5 lines and submits (no auto-approval at \
         that total: it waits for approval). submit + approve is measured by `bench-flow` ({CLIENTS} clients, each taking the next \
         draft and calling submit then approve), since each pair needs its own draft. `auth/me` answers who the token belongs to \
         and reads no table (the caller is remembered): it is what a server function costs before any query, for scale.\n\n\
         The baseline is `bench-baseline`, a bare axum server answering the same bytes (captured from the server in the same run) from \
         memory with the same content type, measured right after each endpoint with the same tool and settings. Ratio = NEXOS \
         throughput ÷ baseline throughput. Memory is the server's `VmRSS` after seeding and a short warm-up (idle) and its `VmHWM` \
         after the load of section 3 (peak).\n\n\
         Dispatch: `bench-dispatch` starts the fake Pax8 with 150 ms per call, a limit of 1,000 calls a minute (a token bucket \
         holding one second of calls; beyond it 429 with Retry-After) and 10% of order, order-list and subscription calls failing \
         at random (half 503 having done nothing; for orders, half made and then answered 502, a lost reply); raises {dpos} approved \
         Pax8 POs (one line each) spread over 50 companies through the API; dispatches them all and waits until every one is \
         provisioned (subscriptions turn active on their second poll; `NEXOS_SUBSCRIPTION_POLL_SECONDS=2`, \
         `NEXOS_RECONCILE_GRACE_SECONDS=2`). The floor is every call the work needs (per PO: Pax8's validation with isMock, the census \
         of the company's orders before the send, the order and two subscription polls; per company one status check) ÷ the rate. \
         The fake Pax8 dates orders by day and lists them oldest first, as Pax8 documents no order. Duplicates = orders at the \
         fake − POs.\n",
        main = sz.main,
        lines = sz.main * 5,
        warm = sz.warm_s,
        run = sz.run_s,
        scale = sz.scale_s,
        dpos = sz.dispatch_pos,
    )
}

fn section(backend: &str, sz: &Sizes, p: &Perf, scale: &[ScaleRow], plans: &str, d: &Value) -> String {
    let name = if backend == "sqlite" { "SQLite" } else { "PostgreSQL" };
    let mut s = String::new();
    let _ = writeln!(s, "## {name}\n");
    let _ = writeln!(
        s,
        "### Throughput and latency, {} POs / {} lines, {CLIENTS} clients\n\nSeeded in {:.0} s.\n",
        sz.main,
        sz.main * 5,
        p.seed_s
    );
    let _ = writeln!(
        s,
        "| endpoint | NEXOS req/s | p50 ms | p99 ms | bare axum req/s | p50 ms | p99 ms | ratio | ratio target | p99 < 20 ms |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
    for (i, (label, real, bare)) in p.rows.iter().enumerate() {
        let ratio = real.rps / bare.rps;
        let target = match (i, backend) {
            (0, "sqlite") => format!("≥ 40%: {}", mark(ratio >= 0.40)),
            (2, "sqlite") => format!("≥ 20%: {}", mark(ratio >= 0.20)),
            _ => "–".into(),
        };
        let errors = if real.bad > 0 { format!(" ({} errors)", real.bad) } else { String::new() };
        let _ = writeln!(
            s,
            "| {label}{errors} | {} | {} | {} | {} | {} | {} | {:.1}% | {target} | {} |",
            f(real.rps),
            f(real.p50),
            f(real.p99),
            f(bare.rps),
            f(bare.p50),
            f(bare.p99),
            ratio * 100.0,
            mark(real.p99 < 20.0)
        );
    }
    let _ = writeln!(
        s,
        "\nThe same, compressed as a browser asks (`Accept-Encoding: gzip, br`; the server compresses each answer on the fly):\n"
    );
    let _ = writeln!(
        s,
        "| endpoint | NEXOS req/s | p50 ms | p99 ms | ratio to the uncompressed baseline |\n|---|---:|---:|---:|---:|"
    );
    for ((label, m), (_, _, bare)) in p.compressed.iter().zip(&p.rows) {
        let _ = writeln!(s, "| {label} | {} | {} | {} | {:.1}% |", f(m.rps), f(m.p50), f(m.p99), m.rps / bare.rps * 100.0);
    }
    let _ = writeln!(s, "\n### Memory\n");
    let _ = writeln!(s, "| server RSS | MB | target |\n|---|---:|---|");
    let _ = writeln!(
        s,
        "| idle, {} POs, after warm-up | {:.1} | ≤ 60 MB: {} |",
        sz.main,
        p.rss_idle_kb as f64 / 1024.0,
        mark(p.rss_idle_kb <= 60 * 1024)
    );
    let _ = writeln!(
        s,
        "| peak under the load above, uncompressed (VmHWM) | {:.1} | ≤ 200 MB: {} |",
        p.rss_peak_kb as f64 / 1024.0,
        mark(p.rss_peak_kb <= 200 * 1024)
    );
    let _ = writeln!(
        s,
        "| peak after the compressed runs too (VmHWM) | {:.1} | ≤ 200 MB: {} |\n",
        p.rss_peak_compressed_kb as f64 / 1024.0,
        mark(p.rss_peak_compressed_kb <= 200 * 1024)
    );
    let _ = writeln!(s, "### Scaling\n");
    let _ = writeln!(
        s,
        "| POs | seeded in | get req/s | get p50 / p99 ms | list req/s | list p50 / p99 ms | list, one company: req/s, p50 / p99 ms | list, page at the middle (keyset): req/s, p50 / p99 ms | list, search for a PO number: req/s, p50 / p99 ms |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in scale {
        let _ = writeln!(
            s,
            "| {} | {:.0} s | {} | {} / {} | {} | {} / {} | {}: {} / {} | {}: {} / {} | {}: {} / {} |",
            r.pos,
            r.seed_s,
            f(r.get.rps),
            f(r.get.p50),
            f(r.get.p99),
            f(r.list.rps),
            f(r.list.p50),
            f(r.list.p99),
            f(r.list_company.rps),
            f(r.list_company.p50),
            f(r.list_company.p99),
            f(r.list_deep.rps),
            f(r.list_deep.p50),
            f(r.list_deep.p99),
            f(r.list_search.rps),
            f(r.list_search.p50),
            f(r.list_search.p99)
        );
    }
    if let (Some(a), Some(b)) = (scale.first(), scale.last()) {
        let cost = |x: &M, y: &M| x.rps / y.rps;
        let (g, l) = (cost(&a.get, &b.get), cost(&a.list, &b.list));
        let _ = writeln!(
            s,
            "\nCost from {} to {} POs (throughput at {} ÷ throughput at {}; target at most 2×): get {:.2}× ({}), list {:.2}× ({}); \
             one company's list {:.2}×, middle page {:.2}×, search for a PO number {:.2}×.\n",
            a.pos,
            b.pos,
            a.pos,
            b.pos,
            g,
            mark(g <= 2.0),
            l,
            mark(l <= 2.0),
            cost(&a.list_company, &b.list_company),
            cost(&a.list_deep, &b.list_deep),
            cost(&a.list_search, &b.list_search)
        );
    }
    if !plans.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Query plans at {} POs</summary>\n\n{plans}\n</details>\n",
            scale.last().map(|r| r.pos).unwrap_or(0)
        );
    }
    if !d.is_null() {
        let _ = writeln!(s, "### Dispatch\n");
        let ratio = d["ratio"].as_f64().unwrap_or(f64::NAN);
        let dups = d["duplicates"].as_i64().unwrap_or(-1);
        let _ = writeln!(s, "| figure | value |\n|---|---|");
        let _ = writeln!(s, "| POs dispatched / provisioned | {} / {} |", d["pos"], d["provisioned"]);
        let _ = writeln!(
            s,
            "| total time, first dispatch call to all provisioned | {} s |",
            f(d["total_s"].as_f64().unwrap_or(f64::NAN))
        );
        let _ = writeln!(
            s,
            "| rate limit's floor ({} calls needed ÷ {}/min) | {} s |",
            d["needed_calls"],
            d["rate_per_minute"],
            f(d["floor_s"].as_f64().unwrap_or(f64::NAN))
        );
        let _ = writeln!(s, "| ratio (target ≤ 1.2×) | {ratio:.2}× {} |", mark(ratio <= 1.2));
        let _ = writeln!(
            s,
            "| calls to Pax8 (all routes) / answered 429 / random faults | {} / {} / {} |",
            d["calls"], d["throttled"], d["injected_faults"]
        );
        let r = &d["by_route"];
        let _ = writeln!(
            s,
            "| calls by route | token {}, create order {}, list orders {}, get subscription {} |",
            r["token"], r["create_order"], r["list_orders"], r["get_subscription"]
        );
        let _ = writeln!(s, "| orders at the fake Pax8 | {} |", d["orders_at_fake"]);
        let _ = writeln!(s, "| duplicates (target 0) | {dups} {} |\n", mark(dups == 0));
    }
    s
}
