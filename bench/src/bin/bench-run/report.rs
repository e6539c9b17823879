//! Writing BENCHMARKS.md: the machine, the method, and a section per
//! backend with its tables (the running is in `main.rs`).

use super::*;

pub(crate) fn sh(cmd: &str) -> String {
    Command::new("sh")
        .args(["-c", cmd])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub(crate) fn machine() -> String {
    let cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2");
    let cores = sh("nproc");
    let mem = sh("awk '/MemTotal/ {printf \"%.1f GB\", $2/1048576}' /proc/meminfo");
    let os = sh(". /etc/os-release && echo $PRETTY_NAME");
    let kernel = sh("uname -r");
    format!("{} ({cores} cores), {mem} RAM, {os}, Linux {kernel}", cpu.trim())
}

pub(crate) fn f(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

pub(crate) fn mark(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

pub(crate) fn method(sz: &Sizes) -> String {
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

pub(crate) fn section(backend: &str, sz: &Sizes, p: &Perf, scale: &[ScaleRow], plans: &str, d: &Value) -> String {
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
    let _ = writeln!(
        s,
        "\n### Statements per request\n\nCounted by a second server on the same database (`NEXOS_COUNT_STATEMENTS=true`, no worker), one request at a time, \
         the fewest of five tries; `server/tests/budgets.rs` holds each endpoint to its budget.\n"
    );
    let _ = writeln!(
        s,
        "| endpoint | statements | transactions | rows written | rows read | rows written beyond the statements (triggers, workers) |\n|---|---:|---:|---:|---:|---:|"
    );
    for c in &p.statements {
        let beyond = c.trigger_rows.map(|r| format!("{r:.1}")).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {beyond} |",
            c.label, c.statements, c.transactions, c.rows_written, c.rows_read
        );
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
    let _ = writeln!(s, "### Reports and export\n");
    let _ = writeln!(
        s,
        "| POs | `reports/spend` (12 months by month and vendor): req/s, p50 / p99 ms | CSV export of every PO: rows | seconds | rows/s | MB | server RSS before → most during the export, MB |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|");
    for r in scale {
        let _ = writeln!(
            s,
            "| {} | {}: {} / {} | {} | {:.1} | {} | {:.1} | {:.0} → {:.0} |",
            r.pos,
            f(r.spend.rps),
            f(r.spend.p50),
            f(r.spend.p99),
            r.csv.rows,
            r.csv.secs,
            f(r.csv.rows as f64 / r.csv.secs.max(0.001)),
            r.csv.mb,
            r.csv.rss_before_kb as f64 / 1024.0,
            r.csv.rss_max_kb as f64 / 1024.0
        );
    }
    let _ = writeln!(
        s,
        "\nThe spend report reads the monthly totals the database keeps, so its cost follows the months and vendors (or companies) of the \
         range, not the POs: by month and vendor it reads the roll-up per (month, vendor), 12 months × 12 vendors, not the 28,800 rows per \
         (month, company, vendor) of 200 companies. The export streams 500 POs per query: the server's memory during it should not grow with the POs.\n"
    );
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
            "| the last late-order check done (orders read once more after a resend) | {} s |",
            f(d["checks_done_s"].as_f64().unwrap_or(f64::NAN))
        );
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
