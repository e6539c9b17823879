//! Several release servers on one database, each on its own port, one of
//! them SIGKILLed every few seconds and started again (the chaos runs).

use serde_json::{json, Value};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The server instances, each on its own port, restarted after a kill.
pub struct Fleet {
    pub args: Vec<(String, String)>,
    pub bin: String,
    pub log: String,
    pub ports: Vec<u16>,
    pub children: Vec<Option<std::process::Child>>,
}

impl Fleet {
    pub fn start(&mut self, i: usize) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let mut cmd = Command::new(&self.bin);
        cmd.env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.ports[i]))
            .env("LEPTOS_ENV", "PROD")
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in &self.args {
            cmd.env(k, v);
        }
        self.children[i] = Some(cmd.spawn()?);
        Ok(())
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }

    pub fn bases(&self) -> Vec<String> {
        self.ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
    }
}

/// Calls the first instance that answers (another may be down, killed).
pub async fn any_call(apis: &[crate::Api], endpoint: &str, body: Value) -> anyhow::Result<Value> {
    let mut last = None;
    for round in 0..100 {
        for api in apis {
            match api.call(endpoint, body.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
        tokio::time::sleep(Duration::from_millis(100 * (round + 1).min(10))).await;
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("no instance")))
}

/// With `every` (`LO-HI` seconds): a task that SIGKILLs one instance at a
/// time, chosen at random, and starts it again, until `done`; counts kills.
pub fn killer(
    every: Option<&str>,
    fleet: Arc<Mutex<Fleet>>,
    kills: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some((lo, hi)) = every.map(kill_range).transpose()? else {
        return Ok(None);
    };
    Ok(Some(tokio::spawn(async move {
        while !done.load(Ordering::SeqCst) {
            let wait = lo + rand::random::<f64>() * (hi - lo);
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            if done.load(Ordering::SeqCst) {
                break;
            }
            let mut f = fleet.lock().unwrap();
            let i = rand::random::<u32>() as usize % f.ports.len();
            f.kill(i);
            kills.fetch_add(1, Ordering::SeqCst);
            if let Err(e) = f.start(i) {
                eprintln!("restart failed: {e}");
            }
        }
    })))
}

/// `2-6` → (2.0, 6.0).
pub fn kill_range(s: &str) -> anyhow::Result<(f64, f64)> {
    let (lo, hi) = s.split_once('-').ok_or_else(|| anyhow::anyhow!("--kill-every takes LO-HI seconds, e.g. 2-6"))?;
    let (lo, hi): (f64, f64) = (lo.trim().parse()?, hi.trim().parse()?);
    anyhow::ensure!(lo > 0.0 && hi >= lo, "--kill-every: LO must be above 0 and HI at least LO");
    Ok((lo, hi))
}

/// What every server of a run starts with: the database, a fresh
/// encryption key, the fake Pax8, and each `(variable, value)` that is set.
pub fn server_env(
    server_bin: &str,
    database_url: &str,
    fake: &fakes::pax8::FakePax8,
    settings: &[(&str, Option<String>)],
) -> anyhow::Result<Vec<(String, String)>> {
    let key = String::from_utf8(Command::new(server_bin).arg("gen-key").stderr(std::process::Stdio::null()).output()?.stdout)?
        .trim()
        .to_string();
    let mut env = vec![
        ("DATABASE_URL".to_string(), database_url.to_string()),
        ("NEXOS_ENCRYPTION_KEY".into(), key),
        ("PAX8_API_URL".into(), fake.base.clone()),
        ("PAX8_TOKEN_URL".into(), fake.token_url()),
    ];
    env.extend(settings.iter().filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v))));
    Ok(env)
}

impl Fleet {
    /// `instances` servers (at least one) with `env`, started, logging to
    /// `log` (a fresh file).
    pub fn launch(bin: &str, log: &str, env: Vec<(String, String)>, instances: usize) -> anyhow::Result<Fleet> {
        let _ = std::fs::remove_file(log);
        let n = instances.max(1);
        let mut fleet = Fleet {
            args: env,
            bin: bin.to_string(),
            log: log.to_string(),
            ports: (0..n).map(|_| crate::free_port()).collect(),
            children: (0..n).map(|_| None).collect(),
        };
        for i in 0..n {
            fleet.start(i)?;
        }
        Ok(fleet)
    }
}

/// Through `api`: the fake's Pax8 credentials, the Pax8 vendor, its product
/// `pax8-p-1` and `companies` customers linked to `pax8-c-1`, `pax8-c-2`, …
/// Answers the vendor's, the product's and the companies' ids.
pub async fn pax8_catalog(api: &crate::Api, companies: usize) -> anyhow::Result<(i64, i64, Vec<i64>)> {
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
    let ids = crate::in_parallel(companies, 8, |c| {
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
    Ok((vendor, product, ids))
}
