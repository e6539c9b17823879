//! What one request of each endpoint costs the database: a second server
//! on the same database counts statements and transactions
//! (`NEXOS_COUNT_STATEMENTS`, no worker of its own), and each request is
//! sent alone and read off its `/debug/statements` totals before and after.
//! The fewest of a few tries is kept (the cost of the request itself). On
//! PostgreSQL the rows written beyond the statements' own (by triggers)
//! come from `pg_stat_user_tables`: every row the tables saw written over
//! the tries, less the rows the statements wrote.

use super::*;

/// One endpoint's cost per request.
pub(crate) struct Counted {
    pub(crate) label: String,
    pub(crate) statements: u64,
    pub(crate) transactions: u64,
    pub(crate) rows_written: u64,
    pub(crate) rows_read: u64,
    /// Rows the tables saw written beyond the request's own statements:
    /// by its triggers, and by the other server's workers acting on it
    /// (a notification delivered). PostgreSQL only.
    pub(crate) trigger_rows: Option<f64>,
}

impl Counted {
    /// A row saying the count failed, and why.
    pub(crate) fn failed(why: String) -> Counted {
        Counted {
            label: format!("(not counted: {why})"),
            statements: 0,
            transactions: 0,
            rows_written: 0,
            rows_read: 0,
            trigger_rows: None,
        }
    }
}

#[derive(Clone, Copy, Default, PartialEq, serde::Deserialize)]
struct Totals {
    statements: u64,
    transactions: u64,
    rows_written: u64,
    rows_read: u64,
}

const TRIES: usize = 5;

async fn totals(http: &reqwest::Client, base: &str) -> anyhow::Result<Totals> {
    Ok(http.get(format!("{base}/debug/statements")).send().await?.json().await?)
}

/// The totals once they stop moving (work a request leaves behind is its own).
async fn settled(http: &reqwest::Client, base: &str) -> anyhow::Result<Totals> {
    let mut last = totals(http, base).await?;
    loop {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let now = totals(http, base).await?;
        if now == last {
            return Ok(now);
        }
        last = now;
    }
}

/// Rows inserted, updated or deleted in every table, as PostgreSQL counts them.
async fn rows_touched(url: &str) -> anyhow::Result<i64> {
    let mut c = sqlx::PgConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) AS BIGINT) FROM pg_stat_user_tables")
        .fetch_one(&mut c)
        .await?;
    c.close().await?;
    Ok(n)
}

/// What a request makes, sent `TRIES` times (each try may make its own input first).
enum Step {
    Post(&'static str, Value),
    Get(String),
    /// Create a draft (not counted), then submit it.
    Submit,
    /// Create and submit a draft (not counted), then approve it.
    Approve,
}

async fn send(api: &bench::Api, step: &Step, prepared: Option<&Value>) -> anyhow::Result<()> {
    let raw = match (step, prepared) {
        (Step::Post(endpoint, body), _) => api.post(&format!("/api/{endpoint}"), body).await?,
        (Step::Get(path), _) => api.get(path).await?,
        (Step::Submit, Some(p)) => api.post("/api/purchase-orders/submit", &json!({"id": p["id"]})).await?,
        (Step::Approve, Some(p)) => {
            api.post("/api/purchase-orders/approve", &json!({"id": p["id"], "version": p["version"]}))
                .await?
        }
        _ => bail!("nothing prepared"),
    };
    anyhow::ensure!(raw.status == 200, "answered {}: {}", raw.status, String::from_utf8_lossy(&raw.body));
    Ok(())
}

/// The seeded drafts (raised by staff, so that the admin may approve them),
/// newest first.
async fn drafts(api: &bench::Api) -> anyhow::Result<Vec<i64>> {
    let page = api.call("purchase-orders/list", json!({"status": "draft", "limit": 200})).await?;
    Ok(page["items"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_i64()).collect())
}

/// The input a step needs, made before counting starts: a seeded draft to
/// submit, or one submitted that waits for approval.
async fn prepare(api: &bench::Api, step: &Step, drafts: &mut Vec<i64>) -> anyhow::Result<Option<Value>> {
    let mut next = || drafts.pop().context("no seeded draft left");
    Ok(match step {
        Step::Submit => Some(json!({"id": next()?})),
        Step::Approve => loop {
            let s = api.call("purchase-orders/submit", json!({"id": next()?})).await?;
            if s["status"] == "pending_approval" {
                break Some(s);
            }
        },
        _ => None,
    })
}

pub(crate) async fn count_pass(args: &Args, db: &Db, token: &str, backend: &str, get_id: i64) -> anyhow::Result<Vec<Counted>> {
    eprintln!("==> {backend}: statements per request");
    let (server, base) = start_server_with(
        args,
        db,
        &format!("{WORK}/server-{backend}-counting.log"),
        &[("NEXOS_COUNT_STATEMENTS", "true")],
    )?;
    bench::wait_healthy(&base, Duration::from_secs(60)).await?;
    let api = bench::Api::new(&base, token);
    let http = reqwest::Client::new();
    let steps: Vec<(&'static str, Step)> = vec![
        ("`purchase-orders/get`", Step::Post("purchase-orders/get", json!({"id": get_id}))),
        ("`purchase-orders/list` (first page)", Step::Post("purchase-orders/list", json!({}))),
        ("`/purchase-orders` page", Step::Get("/purchase-orders".into())),
        ("`/purchase-orders/{id}` page", Step::Get(format!("/purchase-orders/{get_id}"))),
        (
            "`purchase-orders/create`, 5 lines (submitted, auto-approved)",
            Step::Post("purchase-orders/create", serde_json::from_str(&create_body())?),
        ),
        ("`purchase-orders/submit`", Step::Submit),
        ("`purchase-orders/approve`", Step::Approve),
    ];
    let mut drafts = drafts(&api).await?;
    let mut out = Vec::new();
    for (label, step) in &steps {
        let writes = matches!(step, Step::Post("purchase-orders/create", _) | Step::Submit | Step::Approve);
        let mut prepared = Vec::new();
        for _ in 0..=TRIES {
            prepared.push(prepare(&api, step, &mut drafts).await?);
        }
        // Once uncounted: the steady cost, not the first request's.
        send(&api, step, prepared[TRIES].as_ref()).await.with_context(|| label.to_string())?;
        // PostgreSQL publishes a backend's table counters once it has been
        // idle a while (at most 10 s): wait for the preparations' to be in.
        let pg = backend == "postgres" && writes;
        if pg {
            tokio::time::sleep(Duration::from_secs(11)).await;
        }
        let touched_before = if pg { Some(rows_touched(&db.url).await?) } else { None };
        let mut best: Option<Totals> = None;
        let mut written = 0u64;
        for p in prepared.iter().take(TRIES) {
            let before = settled(&http, &base).await?;
            send(&api, step, p.as_ref()).await.with_context(|| label.to_string())?;
            let after = settled(&http, &base).await?;
            let t = Totals {
                statements: after.statements - before.statements,
                transactions: after.transactions - before.transactions,
                rows_written: after.rows_written - before.rows_written,
                rows_read: after.rows_read - before.rows_read,
            };
            written += t.rows_written;
            if best.is_none_or(|b| t.statements < b.statements) {
                best = Some(t);
            }
        }
        let beyond = match touched_before {
            Some(before) => {
                tokio::time::sleep(Duration::from_secs(11)).await;
                let all = (rows_touched(&db.url).await? - before) as f64;
                Some(((all - written as f64) / TRIES as f64).max(0.0))
            }
            None => None,
        };
        let b = best.unwrap_or_default();
        out.push(Counted {
            label: label.to_string(),
            statements: b.statements,
            transactions: b.transactions,
            rows_written: b.rows_written,
            rows_read: b.rows_read,
            trigger_rows: beyond,
        });
    }
    drop(server);
    Ok(out)
}
