//! Hardened for the open internet, over real HTTP on SQLite and PostgreSQL:
//! cross-site requests, headers, the sign-in throttle, tokens, sessions and
//! input sizes.

mod common;

use common::{TestServer, PASSWORD};
use domain::users::Role;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The process's peak resident memory (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn companies(s: &TestServer) -> usize {
    s.ok(Role::Viewer, "companies/list", json!({})).await.as_array().unwrap().len()
}

domain::both_backends!(cross_site_requests_with_the_cookie_change_nothing);
async fn cross_site_requests_with_the_cookie_change_nothing(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let browser = s.browser("purchaser@msp.test").await;
    let url = format!("{}/api/companies/create", s.base);
    let before = companies(&s).await;
    let body = r#"{"name": "Evil Co"}"#;
    // What another site can make a browser send with the cookie.
    for (what, req) in [
        ("text/plain form", browser.post(&url).header("content-type", "text/plain").body(body)),
        (
            "urlencoded form",
            browser
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("name=Evil+Co"),
        ),
        (
            "cross-origin JSON",
            browser
                .post(&url)
                .header("content-type", "application/json")
                .header("origin", "http://evil.example")
                .body(body),
        ),
        (
            "a sibling subdomain",
            browser
                .post(&url)
                .header("content-type", "application/json")
                .header("sec-fetch-site", "same-site")
                .body(body),
        ),
    ] {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{backend}: {what}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["code"], "cross_site", "{backend}: {what}: {v}");
    }
    assert_eq!(companies(&s).await, before, "{backend}: nothing created");
    // This site's own pages, a script with a cookie jar, and a bearer call work.
    let own = format!("http://{}", s.base.trim_start_matches("http://"));
    let res = browser
        .post(&url)
        .header("origin", own)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"name": "Own Co"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{backend}");
    assert_eq!(browser.post(&url).json(&json!({"name": "Jar Co"})).send().await.unwrap().status(), 200);
    s.ok(Role::Purchaser, "companies/create", json!({"name": "Bearer Co"})).await;
    assert_eq!(companies(&s).await, before + 3, "{backend}");
}

#[tokio::test]
async fn security_headers_and_no_caching_on_pages_api_and_signatures() {
    let s = TestServer::start("sqlite").await;
    let browser = s.browser("viewer@msp.test").await;
    let page = browser.get(format!("{}/purchase-orders", s.base)).send().await.unwrap();
    let api = browser.post(format!("{}/api/auth/me", s.base)).json(&json!({})).send().await.unwrap();
    let sig = browser.get(format!("{}/purchase-orders/1/signature.png", s.base)).send().await.unwrap();
    for (what, res) in [("page", &page), ("api", &api), ("signature", &sig)] {
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "same-origin", "{what}");
        assert_eq!(h["cache-control"], "no-store", "{what}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    }
    // The page's policy names the nonce its inline scripts carry; no unsafe-inline scripts.
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).unwrap().to_string();
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    assert!(!html.contains("<script>"), "no inline script without the nonce");
}

domain::both_backends!(forty_parallel_wrong_passwords_evaluate_at_most_ten);
async fn forty_parallel_wrong_passwords_evaluate_at_most_ten(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let peak_before = peak_rss_kib();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (http, url) = (s.http.clone(), format!("{}/api/auth/login", s.base));
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({"email": "admin@msp.test", "password": "a wrong password"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= 10, "{backend}: {evaluated} passwords were checked: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{backend}: {statuses:?}");
    // Memory stays flat: 40 Argon2 runs at once would hold 40 × 19 MiB;
    // the gate runs at most one per core. (The test process's own peak RSS
    // is shared with the tests running beside this one, so it is printed,
    // not asserted.)
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let peak = s.store.argon2_peak();
    assert!(peak >= 1 && peak <= cores, "{backend}: {peak} password checks ran at once on {cores} cores");
    eprintln!(
        "{backend}: peak RSS of the test process grew by {} MiB",
        peak_rss_kib().saturating_sub(peak_before) / 1024
    );
    // The address is locked out for this account; the account is not
    // locked for everyone (another address would still sign in).
    let (status, v) = s.call(None, "auth/login", json!({"email": "admin@msp.test", "password": PASSWORD})).await;
    assert_eq!((status, v["code"].as_str()), (429, Some("rate_limited")), "{backend}");
}

domain::both_backends!(tokens_die_with_a_password_reset_and_are_made_only_from_a_session);
async fn tokens_die_with_a_password_reset_and_are_made_only_from_a_session(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let (status, v) = s.call(Some(Role::Technician), "tokens/create", json!({"name": "more"})).await;
    assert_eq!((status, v["code"].as_str()), (403, Some("forbidden")), "{backend}: a token mints no tokens");
    let tech = s.browser("technician@msp.test").await;
    let made: Value = tech
        .post(format!("{}/api/tokens/create", s.base))
        .json(&json!({"name": "ci", "expires_in_days": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(made["expires_at"].is_string(), "{made}");
    let token = made["token"].as_str().unwrap().to_string();
    let me = |t: String| {
        let (http, url) = (s.http.clone(), format!("{}/api/auth/me", s.base));
        async move { http.post(url).bearer_auth(t).json(&json!({})).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(token.clone()).await, 200);
    let all = s.ok(Role::Admin, "tokens/list", json!({"all": true})).await;
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == "ci" && t["user"]["name"] == "Technician user"));
    let (status, _) = s.call(Some(Role::Technician), "tokens/list", json!({"all": true})).await;
    assert_eq!(status, 403, "{backend}: only admins list everyone's");
    let id = s
        .ok(Role::Admin, "users/list", json!({}))
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "technician@msp.test")
        .unwrap()["id"]
        .clone();
    s.ok(Role::Admin, "users/update", json!({"id": id, "password": "a brand new password"})).await;
    assert_eq!(me(token).await, 401, "{backend}: the reset revoked it");
    assert_eq!(me(s.tokens[&Role::Technician].clone()).await, 401, "{backend}: every token of the user");
}

domain::both_backends!(changing_ones_password_ends_the_other_sessions_and_sign_out_everywhere_ends_all);
async fn changing_ones_password_ends_the_other_sessions_and_sign_out_everywhere_ends_all(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let desk = s.browser("approver@msp.test").await;
    let tablet = s.browser("approver@msp.test").await;
    let me = |c: &reqwest::Client| {
        let (c, url) = (c.clone(), format!("{}/api/auth/me", s.base));
        async move { c.post(url).json(&json!({})).send().await.unwrap().status().as_u16() }
    };
    let change = |current: &str| json!({"current_password": current, "new_password": "a fresh long password"});
    let res = desk
        .post(format!("{}/api/auth/change-password", s.base))
        .json(&change("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["field"], "current_password");
    let res = desk
        .post(format!("{}/api/auth/change-password", s.base))
        .json(&change(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{backend}");
    assert_eq!((me(&desk).await, me(&tablet).await), (200, 401), "{backend}: this one stays, the other ended");
    let res = desk
        .post(format!("{}/api/auth/logout-everywhere", s.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(me(&desk).await, 401, "{backend}");
    // An idle session ends (the idle limit passed: its last use set back).
    let idle = s.browser("viewer@msp.test").await;
    assert_eq!(me(&idle).await, 200);
    sqlx::query("UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00.000000Z'")
        .execute(s.store.pool())
        .await
        .unwrap();
    s.store.purge_expired().await.ok();
    assert_eq!(me(&idle).await, 401, "{backend}: idle past session_idle_hours");
}

domain::both_backends!(sizes_are_refused_before_any_work);
async fn sizes_are_refused_before_any_work(backend: &'static str) {
    let s = TestServer::start(backend).await;
    let q = "x".repeat(60_000);
    let started = Instant::now();
    let (status, v) = s.call(Some(Role::Viewer), "purchase-orders/list", json!({"q": q})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("q")), "{backend}: {v}");
    assert!(started.elapsed() < Duration::from_secs(1));
    let (status, v) = s.call(Some(Role::Viewer), "companies/list", json!({"q": "y".repeat(201)})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("q")), "{backend}");
    let (status, v) = s
        .call(None, "auth/login", json!({"email": format!("{}@x.io", "a".repeat(300)), "password": "x"}))
        .await;
    assert_eq!((status, v["field"].as_str()), (400, Some("email")), "{backend}");
    // A body larger than the function takes.
    let big = json!({"name": "z".repeat(200_000)});
    let (status, v) = s.call(Some(Role::Purchaser), "companies/create", big).await;
    assert_eq!((status, v["code"].as_str()), (413, Some("too_large")), "{backend}");
    // Names with bidi controls or zero-width characters are refused.
    let (status, v) = s.call(Some(Role::Purchaser), "companies/create", json!({"name": "Acme\u{202E}gnp.exe"})).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("name")), "{backend}");
}

domain::both_backends!(the_demo_refuses_a_database_with_users);
async fn the_demo_refuses_a_database_with_users(backend: &'static str) {
    let url = domain::testing::fresh_database_url(backend).await;
    let config = server::config::Config::from_args(vec!["--database-url".to_string(), url.clone()]);
    let store = server::open_store(&config).await.unwrap();
    store.create_user(domain::testing::new_user("owner@msp.test", Role::Admin)).await.unwrap();
    let demo = server::config::Config::from_args(vec!["--database-url".to_string(), url, "--demo".into()]);
    let e = server::open_store(&demo).await.unwrap_err().to_string();
    assert!(e.contains("Start a fresh demo"), "{backend}: {e}");
    assert_eq!(store.list_companies(None).await.unwrap().len(), 0, "{backend}: nothing loaded");
}
