//! Measuring one endpoint: `oha` against the server and the baseline,
//! the submit + approve flow, and the endpoints measured.

use super::*;

/// One oha measurement: requests/s, p50 and p99 in ms, non-2xx answers.
#[derive(Clone, Copy, Default)]
pub(crate) struct M {
    pub(crate) rps: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) bad: u64,
}

/// What to send.
pub(crate) struct Target {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) body: Body,
    /// Ask for gzip or brotli as browsers do (`Accept-Encoding`); otherwise identity.
    pub(crate) compressed: bool,
}

pub(crate) enum Body {
    None,
    Json(String),
    /// One JSON body per line, taken in turn.
    Lines(PathBuf),
}

pub(crate) fn oha(base: &str, token: &str, t: &Target, secs: u32) -> anyhow::Result<M> {
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
pub(crate) fn measure(base: &str, token: &str, t: &Target, warm: u32, secs: u32) -> anyhow::Result<M> {
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

pub(crate) fn flow(base: &str, token: &str, secs: u32, baseline: bool) -> anyhow::Result<M> {
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
pub(crate) fn id_lines(name: &str, max: i64) -> anyhow::Result<PathBuf> {
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

pub(crate) fn create_body() -> String {
    let lines: Vec<Value> = (0..5)
        .map(|i| json!({"description": format!("Bench line {}", i + 1), "quantity": i + 1, "unit_cost_cents": 12_500 + i * 1000, "product_id": 31 + i}))
        .collect();
    json!({"vendor_id": 4, "company_id": 1, "lines": lines, "notes": "Benchmark", "submit": true}).to_string()
}

/// The endpoints of section 3, each with its path at the baseline.
pub(crate) fn targets(get_ids: &Path) -> Vec<(&'static str, Target)> {
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

/// One CSV export of every PO: rows, time, and the server's memory.
#[derive(Clone, Copy, Default)]
pub(crate) struct CsvRun {
    pub(crate) rows: u64,
    pub(crate) secs: f64,
    pub(crate) mb: f64,
    /// The server's resident memory before, and the most seen during, in kB.
    pub(crate) rss_before_kb: u64,
    pub(crate) rss_max_kb: u64,
}

/// Downloads `/purchase-orders/export.csv` once, counting rows as they
/// arrive and sampling the server's `VmRSS` every 50 ms.
pub(crate) async fn csv_export(base: &str, token: &str, pid: u32) -> anyhow::Result<CsvRun> {
    let rss_before_kb = bench::proc_kb(pid, "VmRSS").unwrap_or(0);
    let started = std::time::Instant::now();
    let mut res = reqwest::Client::new()
        .get(format!("{base}/purchase-orders/export.csv"))
        .bearer_auth(token)
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("export.csv answered {}", res.status());
    }
    let (mut lines, mut bytes, mut rss_max_kb) = (0u64, 0u64, rss_before_kb);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            chunk = res.chunk() => match chunk? {
                Some(c) => {
                    lines += c.iter().filter(|b| **b == b'\n').count() as u64;
                    bytes += c.len() as u64;
                }
                None => break,
            },
            _ = tick.tick() => {
                rss_max_kb = rss_max_kb.max(bench::proc_kb(pid, "VmRSS").unwrap_or(0));
            }
        }
    }
    Ok(CsvRun {
        rows: lines.saturating_sub(1),
        secs: started.elapsed().as_secs_f64(),
        mb: bytes as f64 / 1e6,
        rss_before_kb,
        rss_max_kb,
    })
}
