//! Serves the reference page like NEXOS serves its pages: server-rendered,
//! hashed assets with long cache lifetimes, precompressed when built with `-P`.
//! `LEPTOS_SITE_ADDR` sets the listen address (default 127.0.0.1:3010).

use axum::http::{header, HeaderValue};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use minimal_page::{shell, App};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

#[tokio::main]
async fn main() {
    let addr: std::net::SocketAddr = std::env::var("LEPTOS_SITE_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3010".into())
        .parse()
        .expect("LEPTOS_SITE_ADDR must be host:port");
    let options = LeptosOptions::builder()
        .output_name("minimal")
        .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site-minimal".into()))
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .hash_files(true)
        .hash_file("minimal-hash.txt".into())
        .build();
    let pkg_dir = format!("{}/pkg", options.site_root);
    let routes = generate_route_list(App);
    let assets = Router::new()
        .nest_service("/pkg", ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));
    let app = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .merge(assets)
        .with_state(options)
        .layer(CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind(addr).await.expect("cannot listen");
    println!("minimal reference page on http://{addr}");
    axum::serve(listener, app).await.expect("server failed");
}
