//! Bulk-seeds a fresh database with N purchase orders (5 lines each) and
//! their reference data, and prints an admin API token as `TOKEN=...`.
//!
//! `bench-seed --database-url sqlite://target/bench/x.db --pos 100000`

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// `sqlite://path` or `postgres://...` of a fresh (empty) database.
    #[arg(long)]
    database_url: String,
    /// Purchase orders to seed.
    #[arg(long, default_value_t = 100_000)]
    pos: i64,
    /// Customer companies (each with 10 tickets and 2 projects).
    #[arg(long, default_value_t = 200)]
    companies: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let began = std::time::Instant::now();
    let (store, admin_id, token) = bench::bootstrap(&args.database_url).await?;
    anyhow::ensure!(admin_id == 1, "the database is not fresh (the admin got id {admin_id})");
    let plan = bench::seed::Plan {
        pos: args.pos,
        companies: args.companies.max(1),
    };
    bench::seed::reference(&store, &plan, admin_id).await?;
    bench::seed::purchase_orders(&store, &plan).await?;
    store.close().await;
    eprintln!(
        "seeded {} POs, {} lines in {:.1} s",
        args.pos,
        args.pos * bench::seed::LINES,
        began.elapsed().as_secs_f64()
    );
    println!("TOKEN={token}");
    println!("SEED_SECONDS={:.1}", began.elapsed().as_secs_f64());
    Ok(())
}
