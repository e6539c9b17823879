#![recursion_limit = "256"]
//! The NEXOS server: configuration, database and migrations at start, the
//! router (pages, API, health, static files), and graceful shutdown.

pub mod config;
pub mod demo;
mod middleware;
mod routes;
pub mod security;
pub mod statements;
pub mod worker;

use anyhow::Context;
use app::context::AppState;
use axum::routing::get;
use axum::Router;
use config::Config;
use domain::Store;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// Opens and migrates the database, bootstraps the first admin and the demo.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = &config.database_url;
    let store = Store::open(url, config.db_connections)
        .await
        .with_context(|| format!("cannot open the database {}", domain::store::redact_url(url)))?;
    store.migrate().await.context("cannot apply the database migrations")?;
    // The demo first: it loads only into a database without users.
    if config.demo && domain::demo::seed(&store).await.map_err(|e| anyhow::anyhow!(e.message))? {
        tracing::info!("seeded the demo MSP");
    }
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        if store.user_count().await? == 0 {
            let new = domain::users::NewUser {
                email: email.clone(),
                name: "Administrator".into(),
                password: password.clone(),
                role: domain::users::Role::Admin,
            };
            match store.create_user(new).await {
                Ok(_) => tracing::info!(email = %email, "created the first admin from NEXOS_ADMIN_EMAIL"),
                // Another instance starting at the same time created it first.
                Err(e) if e.field.as_deref() == Some("email") && store.user_count().await? > 0 => {
                    tracing::info!(email = %email, "the first admin exists already")
                }
                Err(e) => anyhow::bail!("NEXOS_ADMIN_EMAIL/NEXOS_ADMIN_PASSWORD: {}", e.message),
            }
        }
    }
    Ok(store)
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD") | Ok("prod") | Ok("production") => leptos::config::Env::PROD,
        _ => leptos::config::Env::DEV,
    };
    // cargo-leptos (`hash-files = true`) names the built js/wasm/css with a
    // hash of their contents and lists the names in a file next to the
    // binary (target/release/hash.txt), which Leptos reads when it renders
    // the page head. `LEPTOS_HASH_FILES` overrides the detection.
    let hash_file = std::env::var("LEPTOS_HASH_FILE_NAME").unwrap_or_else(|_| "hash.txt".into());
    let hash_files = match std::env::var("LEPTOS_HASH_FILES").as_deref() {
        Ok(v) => v == "true",
        Err(_) => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(&hash_file).is_file()))
            .unwrap_or(false),
    };
    LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "nexos".into()))
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .env(env)
        .hash_files(hash_files)
        .hash_file(hash_file.into())
        .build()
}

/// The whole router, ready to serve.
pub fn router(state: AppState, options: LeptosOptions, site: security::Site) -> Router {
    let routes = generate_route_list(app::App);
    let pkg_dir = format!("{}/pkg", options.site_root);
    let ctx_state = state.clone();
    let health_state = state.clone();
    let state_for_gate = state.clone();
    let fn_state = state.clone();
    let sig_state = state.clone();
    let qbo_state = state.clone();
    let export_state = state.clone();
    let pages = Router::new()
        .route(
            "/purchase-orders/{id}/signature.png",
            get(move |path, query| routes::signature_png(sig_state.clone(), path, query)),
        )
        .route(
            "/purchase-orders/export.csv",
            get(move |headers, query| routes::export_csv(export_state.clone(), headers, query)),
        )
        .route(
            "/integrations/qbo/callback",
            get(move |user, query| routes::qbo_callback(qbo_state.clone(), user, query)),
        )
        .leptos_routes_with_context(&options, routes, move || provide_context(ctx_state.clone()), {
            let options = options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            move || provide_context(state.clone()),
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(state_for_gate, middleware::require_sign_in));
    // `leptos_routes_with_context` registers every server function at its
    // path; this catches the rest of /api/ (unknown functions).
    let api = Router::new().route(
        "/api/{*fn_name}",
        axum::routing::any(move |req: axum::extract::Request| {
            let st = fn_state.clone();
            async move { leptos_axum::handle_server_fns_with_context(move || provide_context(st.clone()), req).await }
        }),
    );
    // Built assets carry a hash of their contents in their names (see
    // `leptos_options`), so browsers may keep them for a year without asking
    // again. The release build writes brotli and gzip copies next to each
    // (`cargo leptos build --release -P`); ServeDir sends the one the browser
    // accepts, and CompressionLayer leaves an encoded body alone.
    let cache = if options.hash_files {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    // Only found files are cacheable: a 404 for a name a newer build will
    // have must not stick.
    let assets = Router::new()
        .nest_service("/pkg", ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::map_response(move |mut res: axum::response::Response| async move {
            let value = if res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED {
                cache
            } else {
                "no-store"
            };
            res.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static(value));
            res
        }));
    Router::new()
        .route("/healthz", get(move || routes::healthz(health_state.clone())))
        .merge(api)
        .merge(assets)
        .merge(pages)
        .with_state(options)
        .layer(axum::middleware::from_fn(middleware::api_errors))
        .layer(axum::middleware::from_fn({
            let site = site.clone();
            move |req, next| security::same_site_api(site.clone(), req, next)
        }))
        .layer(axum::middleware::from_fn(security::body_limit))
        .layer(axum::middleware::from_fn(move |req, next| security::headers(site.clone(), req, next)))
        // Pages and API answers are compressed as they go out: gzip at its
        // fastest level. Brotli's default window costs megabytes per response
        // in flight (the benchmark's peak RSS under load went from under 100 MB
        // to over 400 MB with it); the large static assets are precompressed.
        .layer(CompressionLayer::new().no_br().quality(tower_http::CompressionLevel::Fastest))
        .layer(axum::middleware::from_fn(middleware::log_requests))
}

/// Builds the app state and router for a config.
pub async fn build(config: &Config) -> anyhow::Result<(Router, AppState)> {
    let (router, state, _) = build_with_sandbox(config).await?;
    Ok((router, state))
}

/// The demo's local sandboxes; they serve as long as this is kept.
#[derive(Default)]
pub struct Sandboxes {
    pub pax8: Option<fakes::pax8::FakePax8>,
    pub qbo: Option<fakes::qbo::FakeQbo>,
}

/// [`build`], also returning the demo's sandboxes.
pub async fn build_with_sandbox(config: &Config) -> anyhow::Result<(Router, AppState, Sandboxes)> {
    if let Some(problem) = config.problem() {
        anyhow::bail!("the settings do not add up: {problem}");
    }
    let store = open_store(config).await?;
    let key = match (&config.encryption_key, config.demo) {
        (Some(k), _) if !k.trim().is_empty() => Some(k.clone()),
        (_, true) => Some(demo::demo_key()?),
        _ => None,
    };
    let mut state = AppState::from(app::context::AppStateInner {
        store,
        secure_cookies: config.public_url().starts_with("https://"),
        encryption_key: match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(domain::crypto::EncryptionKey::from_base64(k).map_err(|e| anyhow::anyhow!(e))?),
            None => None,
        },
        pax8_api_url: config.pax8_api_url.clone(),
        pax8_token_url: config.pax8_token_url.clone(),
        pax8_audience: config.pax8_audience.clone(),
        pax8_timeout: secs(config.pax8_timeout_seconds),
        pax8_max_wait: secs(config.pax8_rate_wait_seconds),
        pax8_sandbox: false,
        qbo: None,
        trusted_proxies: config
            .trusted_proxies
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| app::context::IpRange::parse(p).ok_or_else(|| anyhow::anyhow!("NEXOS_TRUSTED_PROXIES: {p:?} is not an address or a CIDR range")))
            .collect::<anyhow::Result<_>>()?,
        mailer: domain::notifications::mail::Mailer::new(config.smtp_url.as_deref(), config.mail_from.as_deref(), config.demo)
            .map_err(|e| anyhow::anyhow!(e))?,
        public_url: config.public_url(),
    });
    let mut sandboxes = Sandboxes::default();
    if config.demo && config.pax8_api_url == config::DEFAULT_PAX8_API {
        sandboxes.pax8 = Some(demo::sandbox_pax8(&mut state).await?);
    }
    let mut qbo_app = config.qbo_app();
    if config.demo && qbo_app.is_none() && config.qbo_api_url == config::DEFAULT_QBO_API {
        let (fake, app) = demo::sandbox_qbo(config, &state.store).await?;
        sandboxes.qbo = Some(fake);
        qbo_app = Some(app);
    }
    if let (Some(app), Some(key)) = (qbo_app, &state.encryption_key) {
        for (name, url) in [
            ("QBO_API_URL", &app.api_url),
            ("QBO_AUTH_URL", &app.auth_url),
            ("QBO_TOKEN_URL", &app.token_url),
        ] {
            reqwest_url_check(name, url)?;
        }
        let qbo = domain::quickbooks::Qbo::new(state.store.clone(), key.clone(), app, sandboxes.qbo.is_some());
        qbo.push_on_approval();
        state.qbo = Some(qbo);
    }
    if let Some(fake) = &sandboxes.qbo {
        demo::link_sandbox_qbo(&state, fake).await?;
    }
    if let (true, Some(fake)) = (config.demo, &sandboxes.pax8) {
        demo::seed_history(&state).await?;
        demo::seed_subscriptions(&state, fake).await?;
    }
    let site = security::Site {
        public_origin: security::origin_of(&config.public_url()),
        https: config.public_url().starts_with("https://"),
    };
    let mut router = router(state.clone(), leptos_options(config), site);
    if config.count_statements {
        router = router.route("/debug/statements", get(statements::totals));
    }
    Ok((router, state, sandboxes))
}

/// Seconds as a duration (negative as zero).
fn secs(s: f64) -> std::time::Duration {
    std::time::Duration::from_secs_f64(s.max(0.0))
}

fn reqwest_url_check(name: &str, url: &str) -> anyhow::Result<()> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        anyhow::bail!("{name} must be an http(s) URL, not {url:?}")
    }
}

/// Starts the background workers (dispatch, QuickBooks retries and
/// housekeeping; notifications); send `true` on the returned channel to stop them.
pub fn spawn_worker(state: AppState, config: &Config) -> (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    // The demo's sandbox answers at once; follow it briskly.
    let (grace, poll) = if config.demo {
        (config.reconcile_grace_seconds.min(2.0), config.subscription_poll_seconds.min(2.0))
    } else {
        (config.reconcile_grace_seconds, config.subscription_poll_seconds)
    };
    let timing = config.timing(grace, poll);
    let notifier = std::sync::Arc::new(domain::notifications::deliver::Notifier {
        store: state.store.clone(),
        mailer: state.mailer.clone(),
        public_url: state.public_url.clone(),
        key: state.encryption_key.clone(),
        http: domain::notifications::webhook::client(),
        owner: worker::owner("notify"),
        lease: chrono::Duration::milliseconds((config.notify_lease_seconds * 1000.0) as i64),
        retry_base_seconds: config.notify_retry_seconds.max(1),
    });
    let worker = worker::Worker {
        state,
        timing,
        every: std::time::Duration::from_millis(500),
    };
    let every = std::time::Duration::from_millis(500);
    let (dispatch, notify) = (worker.run(rx.clone()), worker::notify(notifier, every, rx));
    (
        tx,
        tokio::spawn(async move {
            tokio::join!(dispatch, notify);
        }),
    )
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, router: Router, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
