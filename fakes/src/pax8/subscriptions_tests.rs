//! The fake's subscriptions against what Pax8's reference documents (and,
//! where it is silent, the least convenient reading the fake takes).
use super::*;
use reqwest::Client;

struct Api {
    fake: FakePax8,
    c: Client,
    token: String,
}

impl Api {
    async fn start() -> Api {
        let fake = FakePax8::start(0, "id", "secret").await.unwrap();
        fake.add_company("c-1");
        fake.add_product("p-1", ProductRule::default());
        let c = Client::new();
        let t: Value = c
            .post(fake.token_url())
            .json(&json!({"client_id": "id", "client_secret": "secret", "audience": PARTNER_AUDIENCE, "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = t["access_token"].as_str().unwrap().to_string();
        Api { fake, c, token }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.c.request(method, format!("{}{path}", self.fake.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn a_committed_subscription_takes_more_seats_not_fewer_and_each_write_is_billed() {
    let a = Api::start().await;
    let id = a.fake.add_subscription("c-1", "p-1", 10, "Monthly", Some(("1-Year", "2099-01-01T00:00:00Z")));
    let put = reqwest::Method::PUT;
    let (st, body) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({"quantity": 8}))).await;
    assert_eq!(st, 422, "a decrease mid-commitment");
    assert_eq!(body["status"], 422, "the documented error body: {body}");
    a.fake.refuse_with_errors_list(true);
    let (st, body) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({"quantity": 8}))).await;
    assert_eq!(st, 422);
    assert!(body["errors"][0].as_str().unwrap().contains("decreases"), "{body}");
    let (st, _) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({}))).await;
    assert_eq!(st, 422, "at least one of price, billingTerm, quantity, startDate");
    assert_eq!(a.fake.writes_applied(), 0);
    // An increase, twice the same: two changes, two billing lines.
    for _ in 0..2 {
        let (st, body) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({"quantity": 12}))).await;
        assert_eq!((st, body["quantity"].as_i64()), (200, Some(12)));
        assert!(body["updatedDate"].is_string());
    }
    assert_eq!(a.fake.writes_applied(), 2);
    assert_eq!(a.fake.billing_lines().len(), 2);
    let (_, h) = a.call(reqwest::Method::GET, &format!("/subscriptions/{id}/history"), None).await;
    let h = h["content"].as_array().unwrap().clone();
    assert_eq!(
        h.iter().map(|s| s["quantity"].as_i64().unwrap()).collect::<Vec<_>>(),
        vec![12, 12, 10],
        "newest first"
    );
    // The rate is writable: what is sent replaces it.
    let (_, body) = a.call(put, &format!("/subscriptions/{id}"), Some(json!({"quantity": 12, "price": 1.0}))).await;
    assert_eq!(body["price"].as_f64(), Some(1.0));
    // Changed in the portal between two reads.
    a.fake.change_in_portal(&id, 15);
    let (_, s) = a.call(reqwest::Method::GET, &format!("/subscriptions/{id}"), None).await;
    assert_eq!(s["quantity"], 15);
}

#[tokio::test]
async fn a_cancellation_waits_for_its_date_and_is_refused_early_where_the_commitment_says_so() {
    let a = Api::start().await;
    let del = reqwest::Method::DELETE;
    let committed = a.fake.add_subscription("c-1", "p-1", 10, "Annual", Some(("1-Year", "2099-01-01T00:00:00Z")));
    let (st, _) = a.call(del.clone(), &format!("/subscriptions/{committed}"), None).await;
    assert_eq!(st, 422, "no early cancellation");
    let (st, _) = a
        .call(del.clone(), &format!("/subscriptions/{committed}?cancelDate=2099-01-01T00:00:00Z"), None)
        .await;
    assert_eq!(st, 204);
    let (_, s) = a.call(reqwest::Method::GET, &format!("/subscriptions/{committed}"), None).await;
    assert_eq!(
        (s["status"].as_str(), s["endDate"].as_str()),
        (Some("PendingCancel"), Some("2099-01-01T00:00:00Z"))
    );
    let monthly = a.fake.add_subscription("c-1", "p-1", 3, "Monthly", None);
    let (_, s) = a.call(reqwest::Method::GET, &format!("/subscriptions/{monthly}"), None).await;
    assert!(s["commitmentTerm"].is_null(), "a monthly subscription has no commitment");
    for _ in 0..2 {
        let (st, _) = a.call(del.clone(), &format!("/subscriptions/{monthly}"), None).await;
        assert_eq!(st, 204, "a second DELETE is a new write");
    }
    assert_eq!(a.fake.subscription(&monthly).unwrap()["status"], "Cancelled");
    assert_eq!(a.fake.billing_lines().len(), 3);
    let (st, _) = a
        .call(reqwest::Method::PUT, &format!("/subscriptions/{monthly}"), Some(json!({"quantity": 4})))
        .await;
    assert_eq!(st, 422, "only an Active subscription is changed");
    let (st, _) = a.call(del, "/subscriptions/nope", None).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn the_list_filters_and_pages_newest_first() {
    let a = Api::start().await;
    a.fake.add_company("c-2");
    let first = a.fake.add_subscription("c-1", "p-1", 1, "Monthly", None);
    for _ in 0..204 {
        a.fake.add_subscription("c-1", "p-1", 1, "Monthly", None);
    }
    a.fake.add_subscription("c-2", "p-1", 1, "Annual", None);
    let (_, p0) = a.call(reqwest::Method::GET, "/subscriptions?companyId=c-1&size=500", None).await;
    assert_eq!(p0["page"]["size"], 200, "at most 200 a page");
    assert_eq!((p0["page"]["totalElements"].as_u64(), p0["page"]["totalPages"].as_u64()), (Some(205), Some(2)));
    let (_, p1) = a.call(reqwest::Method::GET, "/subscriptions?companyId=c-1&size=200&page=1", None).await;
    assert_eq!(p1["content"].as_array().unwrap().last().unwrap()["id"], first.as_str(), "newest first");
    let (_, annual) = a.call(reqwest::Method::GET, "/subscriptions?billingTerm=Annual", None).await;
    assert_eq!(annual["content"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_ended_commitment_renews_and_takes_fewer_seats_in_the_week_after() {
    let a = Api::start().await;
    let put = reqwest::Method::PUT;
    // Ended yesterday: renewed for a year on the next read, window open.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let id = a.fake.add_subscription("c-1", "p-1", 10, "Monthly", Some(("1-Year", &yesterday)));
    let (st, body) = a.call(reqwest::Method::GET, &format!("/subscriptions/{id}"), None).await;
    assert_eq!(st, 200);
    let end = body["commitmentTerm"]["endDate"].as_str().unwrap().to_string();
    assert!(end > chrono::Utc::now().to_rfc3339(), "the next term: {end}");
    assert!(body["updatedDate"].is_string(), "a renewal touches updatedDate here: {body}");
    let (st, body) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({"quantity": 8}))).await;
    assert_eq!((st, body["quantity"].as_i64()), (200, Some(8)), "{body}");
    // Ended eight days ago: renewed, but the window has closed.
    let last_week = (chrono::Utc::now() - chrono::Duration::days(8)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let id = a.fake.add_subscription("c-1", "p-1", 10, "Monthly", Some(("1-Year", &last_week)));
    let (st, _) = a.call(put.clone(), &format!("/subscriptions/{id}"), Some(json!({"quantity": 8}))).await;
    assert_eq!(st, 422, "mid-term again");
    // A commitment that does not renew by itself stays ended.
    a.fake.set_commitment_rules(
        "p-1",
        CommitmentRules {
            auto_renew: false,
            ..Default::default()
        },
    );
    let id = a.fake.add_subscription("c-1", "p-1", 10, "Monthly", Some(("1-Year", &yesterday)));
    let (_, body) = a.call(reqwest::Method::GET, &format!("/subscriptions/{id}"), None).await;
    assert_eq!(body["commitmentTerm"]["endDate"].as_str(), Some(yesterday.as_str()), "{body}");
}
