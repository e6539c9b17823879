//! The API contract over real HTTP: errors, sign-in, cookies, tokens,
//! user management, pages behind sign-in, health.

mod common;

use common::{TestServer, PASSWORD};
use domain::users::Role;
use serde_json::json;

domain::both_backends!(errors_follow_the_contract);
async fn errors_follow_the_contract(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (status, v) = s.call(Some(Role::Admin), "companies/create", json!({"name": "   "})).await;
    assert_eq!(
        (status, v["code"].as_str(), v["field"].as_str()),
        (400, Some("validation"), Some("name")),
        "{v}"
    );
    let (status, v) = s.call(Some(Role::Admin), "companies/create", json!({"pax8_company_id": "x"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("name")), "a missing argument names the field: {v}");
    let (status, v) = s.call(Some(Role::Admin), "companies/get", json!({"id": "seven"})).await;
    assert_eq!((status, v["code"].as_str()), (400, Some("validation")), "{v}");
    let (status, v) = s.call(Some(Role::Admin), "companies/get", json!({"id": 424242})).await;
    assert_eq!((status, v["code"].as_str()), (404, Some("not_found")), "{v}");
    let (status, v) = s.call(Some(Role::Admin), "no/such-function", json!({})).await;
    assert_eq!((status, v["code"].as_str()), (404, Some("not_found")), "{v}");
    let (status, v) = s
        .call(
            Some(Role::Admin),
            "products/create",
            json!({"vendor_id": 1, "name": "X", "sku": "X", "unit_cost_cents": -1}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("unit_cost_cents")), "{v}");
    // Nothing was created by the refused calls.
    assert!(s.ok(Role::Viewer, "companies/list", json!({})).await.as_array().unwrap().is_empty());
    let (status, v) = s.call(Some(Role::Admin), "vendors/create", json!({"name": "V", "distributor": "amazon"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("distributor")), "{v}");
}

#[tokio::test]
async fn sign_in_with_a_cookie_then_out() {
    let s = TestServer::start("sqlite").await;
    let c = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let res = c
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"email": "VIEWER@msp.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let me: serde_json::Value = c
        .post(format!("{}/api/auth/me", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((me["role"].as_str(), me["permissions"][0].as_str()), (Some("viewer"), Some("view")));
    assert_eq!(
        c.post(format!("{}/api/auth/logout", s.base)).json(&json!({})).send().await.unwrap().status(),
        200
    );
    assert_eq!(c.post(format!("{}/api/auth/me", s.base)).json(&json!({})).send().await.unwrap().status(), 401);

    let (status, v) = s.call(None, "auth/login", json!({"email": "viewer@msp.test", "password": "wrong"})).await;
    assert_eq!((status, v["code"].as_str()), (401, Some("unauthenticated")));
    let (status, v) = s.call(None, "auth/login", json!({"email": "", "password": "x"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("email")));
}

#[tokio::test]
async fn ten_failures_in_a_row_are_slowed_down() {
    let s = TestServer::start("postgres").await;
    for i in 0..10 {
        let (status, _) = s
            .call(None, "auth/login", json!({"email": "approver@msp.test", "password": format!("wrong {i}")}))
            .await;
        assert_eq!(status, 401);
    }
    let res = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({"email": "approver@msp.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
}

domain::both_backends!(scripts_use_bearer_tokens);
async fn scripts_use_bearer_tokens(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let tech = s.browser("technician@msp.test").await;
    let created: serde_json::Value = tech
        .post(format!("{}/api/tokens/create", s.base))
        .json(&json!({"name": "export"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let list: serde_json::Value = tech
        .post(format!("{}/api/tokens/list", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array().unwrap().iter().all(|t| t.get("token").is_none()),
        "the secret is never listed: {list}"
    );

    let script = reqwest::Client::new();
    let call = |endpoint: &str, body: serde_json::Value| script.post(format!("{}/api/{endpoint}", s.base)).bearer_auth(&token).json(&body).send();
    assert_eq!(call("companies/list", json!({})).await.unwrap().status(), 200);
    assert_eq!(
        call("companies/create", json!({"name": "X"})).await.unwrap().status(),
        403,
        "a technician cannot change companies"
    );
    assert_eq!(call("tokens/revoke", json!({"id": created["id"]})).await.unwrap().status(), 200);
    assert_eq!(
        call("companies/list", json!({})).await.unwrap().status(),
        401,
        "{backend}: a revoked token is refused"
    );
    let res = script
        .post(format!("{}/api/companies/list", s.base))
        .bearer_auth("nxs_bogus")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

domain::both_backends!(admins_manage_users);
async fn admins_manage_users(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let u = s
        .ok(
            Role::Admin,
            "users/create",
            json!({"email": "sam@msp.test", "name": "Sam", "password": PASSWORD, "role": "technician"}),
        )
        .await;
    let id = u["id"].as_i64().unwrap();
    assert_eq!(u["permissions"], json!(["view", "create"]));
    let (status, v) = s
        .call(
            Some(Role::Admin),
            "users/create",
            json!({"email": "sam@msp.test", "name": "Sam", "password": PASSWORD, "role": "technician"}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("email")));
    let (status, v) = s
        .call(
            Some(Role::Admin),
            "users/create",
            json!({"email": "x@msp.test", "name": "X", "password": "long enough pw", "role": "boss"}),
        )
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("role")));

    let sam = s.browser("sam@msp.test").await;
    let promoted = s.ok(Role::Admin, "users/update", json!({"id": id, "role": "purchaser"})).await;
    assert_eq!(promoted["role"], "purchaser");
    let res = sam
        .post(format!("{}/api/companies/create", s.base))
        .json(&json!({"name": "Sam Co"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{backend}: the new role applies at once");
    s.ok(Role::Admin, "users/update", json!({"id": id, "active": false})).await;
    let res = sam.post(format!("{}/api/auth/me", s.base)).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 401, "{backend}: deactivation ends sessions");
    let (status, _) = s.call(None, "auth/login", json!({"email": "sam@msp.test", "password": PASSWORD})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn pages_need_sign_in_and_unknown_pages_are_404() {
    let s = TestServer::start("sqlite").await;
    let res = s.http.get(format!("{}/companies", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=/companies");
    let res = s.http.get(format!("{}/login", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Sign in to Purchasing"));

    let c = s.browser("admin@msp.test").await;
    s.ok(Role::Admin, "companies/create", json!({"name": "Harbor Dental"})).await;
    let res = c.get(format!("{}/companies", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Harbor Dental"), "the list renders on the server");
    assert!(html.contains("Admin user"), "the shell shows who is signed in");
    let res = c.get(format!("{}/no-such-page", s.base)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn health_and_first_admin_from_the_environment() {
    let s = TestServer::start_with("sqlite", &["--admin-email", "boss@msp.test", "--admin-password", "boss password 1"]).await;
    assert_eq!(s.http.get(format!("{}/healthz", s.base)).send().await.unwrap().status(), 200);
    // The admin was created before the per-role users of the test server.
    let (status, v) = s
        .call(None, "auth/login", json!({"email": "boss@msp.test", "password": "boss password 1"}))
        .await;
    assert_eq!((status, v["role"].as_str()), (200, Some("admin")), "{v}");
}

#[tokio::test]
async fn procurement_needs_the_encryption_key() {
    let s = TestServer::start("sqlite").await;
    let v = s.ok(Role::Viewer, "procurement/status", json!({})).await;
    assert_eq!(v["available"], false);
    assert!(v["reason"].as_str().unwrap().contains("server gen-key"));
    let settings = s.ok(Role::Admin, "settings/get", json!({})).await;
    assert_eq!(settings["encryption_configured"], false);

    let key = domain::crypto::EncryptionKey::generate();
    let s = TestServer::start_with("sqlite", &["--encryption-key", &key]).await;
    let v = s.ok(Role::Viewer, "procurement/status", json!({})).await;
    assert_eq!((v["available"].as_bool(), v["reason"].is_null()), (Some(true), true));

    // A key that is not 32 bytes of base64 stops the server from starting.
    let url = domain::testing::fresh_database_url("sqlite").await;
    let config = server::config::Config::from_args(["--database-url".to_string(), url, "--encryption-key".into(), "too-short".into()]);
    let Err(err) = server::build(&config).await else {
        panic!("a bad key must be refused")
    };
    assert!(err.to_string().contains("gen-key"), "{err}");
}
