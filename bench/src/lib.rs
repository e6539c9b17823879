//! Server benchmarks (see `scripts/bench` and BENCHMARKS.md): bulk seeding,
//! an API client, latency statistics and process memory.

pub mod fleet;

pub mod seed;

use anyhow::{bail, Context};
use serde_json::Value;
use std::time::Duration;

/// The server's API with a bearer token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

/// A raw answer: status, content type, body.
pub struct Raw {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .timeout(Duration::from_secs(60))
                .build()
                .expect("HTTP client"),
        }
    }

    /// `POST /api/<endpoint>` with a JSON body; the JSON answer, or an error with the body.
    pub async fn call(&self, endpoint: &str, body: Value) -> anyhow::Result<Value> {
        let raw = self.post(&format!("/api/{endpoint}"), &body).await?;
        if !(200..300).contains(&raw.status) {
            bail!("{endpoint} answered {}: {}", raw.status, String::from_utf8_lossy(&raw.body));
        }
        serde_json::from_slice(&raw.body).with_context(|| format!("{endpoint}: answer is not JSON"))
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Raw> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        raw(res).await
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Raw> {
        let res = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        raw(res).await
    }
}

async fn raw(res: reqwest::Response) -> anyhow::Result<Raw> {
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    Ok(Raw {
        status,
        content_type,
        body: res.bytes().await?.to_vec(),
    })
}

/// Waits until `GET base/healthz` answers 200.
pub async fn wait_healthy(base: &str, within: Duration) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let until = std::time::Instant::now() + within;
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if std::time::Instant::now() > until {
            bail!("the server at {base} did not become healthy within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `p`th percentile (0..=100) of sorted samples, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`).
pub fn proc_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(3999)
}

/// Connects to a database URL, migrates it and creates the admin; returns an API token.
pub async fn bootstrap(url: &str) -> anyhow::Result<(domain::Store, i64, String)> {
    let store = domain::Store::open(url, 4).await?;
    store.migrate().await?;
    let admin = store
        .create_user(domain::users::NewUser {
            email: "bench-admin@bench.msp".into(),
            name: "Bench Admin".into(),
            password: "bench-password-not-secret".into(),
            role: domain::users::Role::Admin,
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating the admin (the database must be fresh): {}", e.message))?;
    let token = store
        .create_token(admin.id, "bench", None)
        .await
        .map_err(|e| anyhow::anyhow!("creating a token: {}", e.message))?;
    Ok((store, admin.id, token.token))
}

/// Waits until `GET base+path` answers at all.
pub async fn wait_healthy_any(base: &str, path: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{base}{path}")).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing answers at {base}{path}")
}

/// Runs `f(0)`, …, `f(n - 1)` with at most `width` at once; their answers in order.
pub async fn in_parallel<F, Fut>(n: usize, width: usize, f: F) -> anyhow::Result<Vec<Value>>
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
