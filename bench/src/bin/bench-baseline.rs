//! A bare axum server answering, from memory, given bytes at given paths
//! (any method), with the content type of the file's extension: the
//! reference the real server's throughput is compared with.
//!
//! `bench-baseline --addr 127.0.0.1:3900 --route /api/purchase-orders/get=get.json --route /purchase-orders=page.html`

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::any;
use axum::Router;
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:3900")]
    addr: std::net::SocketAddr,
    /// `PATH=FILE`; `.html` files are sent as HTML, others as JSON.
    #[arg(long = "route")]
    routes: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut app = Router::new();
    for r in &args.routes {
        let (path, file) = r.split_once('=').ok_or_else(|| anyhow::anyhow!("--route wants PATH=FILE, not {r}"))?;
        let body = Bytes::from(std::fs::read(file).map_err(|e| anyhow::anyhow!("{file}: {e}"))?);
        let content_type = if file.ends_with(".html") {
            "text/html; charset=utf-8"
        } else {
            "application/json"
        };
        app = app.route(path, any(move || async move { ([(CONTENT_TYPE, content_type)], body.clone()) }));
    }
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
