//! Test support: the real router served over HTTP on loopback, on a fresh
//! database of either backend, with one user (and API token) per role.

#![allow(dead_code)]

pub mod procurement;

use domain::users::{NewUser, Role};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const PASSWORD: &str = "a long test password";

/// No request of a test waits longer: a hung answer fails the test instead
/// of stalling the run.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

pub struct TestServer {
    pub base: String,
    pub store: domain::Store,
    pub tokens: HashMap<Role, String>,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    worker: Option<tokio::sync::watch::Sender<bool>>,
}

impl TestServer {
    pub async fn start(backend: &str) -> TestServer {
        Self::start_with(backend, &[]).await
    }

    pub async fn start_with(backend: &str, extra: &[&str]) -> TestServer {
        let url = domain::testing::fresh_database_url(backend).await;
        let mut args = vec!["--database-url".to_string(), url, "--addr".into(), "127.0.0.1:0".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let config = server::config::Config::from_args(args);
        let (router, state) = server::build(&config).await.expect("build");
        // The workers run beside every test server (notifications are sent
        // whatever the configuration; dispatch waits for a key), except when
        // it counts statements: then the requests' are the only ones.
        let worker = (!config.count_statements).then(|| server::spawn_worker(state.clone(), &config).0);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::serve(listener, router, async move {
            let _ = rx.await;
        }));
        let mut tokens = HashMap::new();
        for role in Role::ALL {
            let u = state
                .store
                .create_user(NewUser {
                    email: format!("{}@msp.test", role.as_str()),
                    name: format!("{} user", role.label()),
                    password: PASSWORD.into(),
                    role,
                })
                .await
                .unwrap();
            tokens.insert(role, state.store.create_token(u.id, "tests", None).await.unwrap().token);
        }
        TestServer {
            base: format!("http://{addr}"),
            store: state.store.clone(),
            tokens,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap(),
            shutdown: Some(tx),
            worker,
        }
    }

    /// POST /api/<endpoint> as `role` (bearer token), or anonymously.
    pub async fn call(&self, role: Option<Role>, endpoint: &str, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/api/{endpoint}", self.base)).json(&body);
        if let Some(r) = role {
            req = req.bearer_auth(&self.tokens[&r]);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn ok(&self, role: Role, endpoint: &str, body: Value) -> Value {
        let (status, v) = self.call(Some(role), endpoint, body.clone()).await;
        assert_eq!(status, 200, "{endpoint} {body} as {role:?}: {v}");
        v
    }

    /// A client with its own cookie jar, signed in as `email`.
    pub async fn browser(&self, email: &str) -> reqwest::Client {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        let res = c
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert_eq!(status, 200, "login {email}: {}", res.text().await.unwrap_or_default());
        c
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(w) = self.worker.take() {
            let _ = w.send(true);
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The server binary on a free port against `db` (admin `admin@msp.test`),
/// with extra environment variables. Killed when the child is dropped.
pub fn spawn_binary(db: &str, env: &[(&str, String)]) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_server"));
    cmd.env("DATABASE_URL", db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("NEXOS_ADMIN_EMAIL", "admin@msp.test")
        .env("NEXOS_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    (cmd.spawn().expect("start the server binary"), format!("http://127.0.0.1:{port}"))
}

/// A spawned server, signed in as its admin with an API token.
pub struct Remote {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Remote {
    /// Waits for `/healthz`, signs in, creates a token.
    pub async fn connect(base: &str) -> Remote {
        let http = reqwest::Client::new();
        for _ in 0..150 {
            if http.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let res = c
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": "admin@msp.test", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let token = c
            .post(format!("{base}/api/tokens/create"))
            .json(&json!({"name": "t"}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        Remote {
            base: base.into(),
            token,
            http,
        }
    }

    pub async fn call(&self, endpoint: &str, body: Value) -> Value {
        self.http
            .post(format!("{}/api/{endpoint}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
