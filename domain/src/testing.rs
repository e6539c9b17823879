//! Test support: a fresh, migrated store on each backend. PostgreSQL is the
//! machine's (`NEXOS_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`);
//! each store gets a database of its own.

use crate::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{}_{n}", std::process::id(), nanos)
}

pub fn postgres_admin_url() -> String {
    std::env::var("NEXOS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A URL of a new, empty database of `backend` ("sqlite" or "postgres").
pub async fn fresh_database_url(backend: &str) -> String {
    match backend {
        "sqlite" => {
            let dir = std::env::temp_dir().join("nexos-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}", dir.join(format!("{}.db", unique("t"))).display())
        }
        "postgres" => {
            let admin = postgres_admin_url();
            let name = unique("nexos_t");
            let store = Store::connect(&admin, 1).await.expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(store.pool())
                .await
                .expect("create test database");
            store.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
        other => panic!("unknown backend {other}"),
    }
}

pub async fn store(backend: &str) -> Store {
    let url = fresh_database_url(backend).await;
    let store = Store::open(&url, 8).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// The backends every store test runs on.
pub const BACKENDS: [&str; 2] = ["sqlite", "postgres"];

/// A user to create in a test, named by its email.
pub fn new_user(email: &str, role: crate::users::Role) -> crate::users::NewUser {
    crate::users::NewUser {
        email: email.into(),
        name: email.into(),
        password: "a long password".into(),
        role,
    }
}

/// Turns `async fn name(backend: &'static str)` into two tests,
/// `name::sqlite` and `name::postgres`, so that a failure says which
/// database failed and the other still runs.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name("sqlite").await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name("postgres").await
            }
        }
    };
}
