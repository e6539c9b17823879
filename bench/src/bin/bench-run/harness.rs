//! What a run starts and stops: a fresh database per backend, the seeder,
//! the release server, the dispatch benchmark.

use super::*;

/// A child process ended (SIGTERM, then waited for) when dropped.
pub(crate) struct Proc(pub(crate) Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// A fresh database of one backend, removed when dropped.
pub(crate) struct Db {
    pub(crate) url: String,
    pg: Option<(String, String)>,
}

impl Db {
    pub(crate) async fn fresh(backend: &str, name: &str, pg_admin: &str) -> anyhow::Result<Db> {
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

    pub(crate) async fn drop_now(self) -> anyhow::Result<()> {
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

pub(crate) fn seed(db: &Db, pos: i64) -> anyhow::Result<(String, f64)> {
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

pub(crate) fn start_server(args: &Args, db: &Db, log: &str) -> anyhow::Result<(Proc, String)> {
    start_server_with(args, db, log, &[])
}

/// [`start_server`] with more environment variables.
pub(crate) fn start_server_with(args: &Args, db: &Db, log: &str, env: &[(&str, &str)]) -> anyhow::Result<(Proc, String)> {
    let port = bench::free_port();
    let log = std::fs::File::create(log)?;
    let child = Command::new(&args.server_bin)
        .envs(env.iter().copied())
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

/// Runs `bench-dispatch` against the fake Pax8 and reads its figures.
pub(crate) fn dispatch(args: &Args, db: &Db, sz: &Sizes, backend: &str) -> anyhow::Result<Value> {
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
