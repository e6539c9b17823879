//! Several release servers on one database, each on its own port, one of
//! them SIGKILLed every few seconds and started again (the chaos runs).

use serde_json::Value;
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
