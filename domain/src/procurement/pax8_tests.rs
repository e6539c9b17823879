//! The Pax8 client against the project's fake Pax8, over real HTTP.

use super::distributor::{DistError, Distributor};
use super::pax8::{Pax8, Pax8Config};
use super::{Detail, OrderLine, OrderRequest};
use fakes::pax8::{FakePax8, Fault, ProductRule, Route};
use std::time::Duration;

async fn setup() -> (FakePax8, Pax8) {
    let fake = FakePax8::start(0, "client-1", "secret-1").await.unwrap();
    fake.add_company("c-1");
    fake.add_product(
        "p-m365",
        ProductRule {
            requires_commitment: true,
            required_details: vec!["domain".into()],
        },
    );
    fake.add_product("p-backup", ProductRule::default());
    let client = Pax8::new(Pax8Config {
        api_url: fake.base.clone(),
        token_url: fake.token_url(),
        client_id: "client-1".into(),
        client_secret: "secret-1".into(),
        timeout: Duration::from_millis(800),
        max_wait: Duration::from_secs(3),
    });
    (fake, client)
}

fn order(commitment: Option<&str>) -> OrderRequest {
    OrderRequest {
        company_id: Some("c-1".into()),
        lines: vec![
            OrderLine {
                po_line_id: 1,
                product_id: Some("p-m365".into()),
                quantity: 10,
                billing_term: Some("Monthly".into()),
                commitment_term_id: commitment.map(Into::into),
                provisioning_details: vec![Detail {
                    key: "domain".into(),
                    values: vec!["harbor.example".into()],
                }],
            },
            OrderLine {
                po_line_id: 2,
                product_id: Some("p-backup".into()),
                quantity: 10,
                billing_term: Some("Monthly".into()),
                commitment_term_id: None,
                provisioning_details: vec![],
            },
        ],
    }
}

#[tokio::test]
async fn orders_subscriptions_and_a_cached_token() {
    let (fake, pax8) = setup().await;
    pax8.test_connection().await.unwrap();
    let since = crate::clock::now();
    let placed = pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!((placed.company_id.as_str(), placed.lines.len()), ("c-1", 2));
    pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!(fake.orders().len(), 2, "Pax8 never deduplicates");
    assert_eq!(fake.requests(Route::Token), 1, "the token is cached");
    let found = pax8.orders_since("c-1", &since).await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(pax8.orders_since("c-1", "2999-01-01T00:00:00Z").await.unwrap().is_empty());
    let sub = placed.lines[0].2.clone().unwrap();
    let first = pax8.subscription(&sub).await.unwrap();
    assert_eq!((first.status.as_str(), first.quantity, first.active()), ("PendingAutomated", 10, false));
    assert!(pax8.subscription(&sub).await.unwrap().active());
}

#[tokio::test]
async fn refusals_come_back_in_plain_words() {
    let (fake, pax8) = setup().await;
    match pax8.place_order(&order(None)).await {
        Err(DistError::Rejected { problems, status }) => {
            assert_eq!(status, 422);
            assert_eq!(problems[0].field, "lineItems[0].commitmentTermId");
            assert!(problems[0].message.contains("commitment term is required"));
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.orders().is_empty());
    let wrong = Pax8::new(Pax8Config {
        client_secret: "nope".into(),
        ..Pax8Config {
            api_url: fake.base.clone(),
            token_url: fake.token_url(),
            client_id: "client-1".into(),
            client_secret: String::new(),
            timeout: Duration::from_secs(1),
            max_wait: Duration::from_secs(1),
        }
    });
    assert!(matches!(wrong.test_connection().await, Err(DistError::Unauthorized(_))));
}

#[tokio::test]
async fn waits_out_429_and_refreshes_an_expired_token_once() {
    let (fake, pax8) = setup().await;
    fake.fault(Route::CreateOrder, Fault::Status(429, Some(1)));
    let started = std::time::Instant::now();
    pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950), "Retry-After was honoured");
    assert_eq!((fake.orders().len(), fake.requests(Route::CreateOrder)), (1, 2));

    fake.expire_tokens();
    pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!((fake.orders().len(), fake.requests(Route::Token)), (2, 2), "one refresh");

    fake.fault(Route::CreateOrder, Fault::Status(429, Some(10)));
    assert!(
        matches!(pax8.place_order(&order(Some("ct-1"))).await, Err(DistError::Unreachable(_))),
        "a wait longer than allowed gives up, nothing sent"
    );
    assert_eq!(fake.orders().len(), 2);
}

#[tokio::test]
async fn lost_replies_are_unknown_and_the_order_can_be_found() {
    let (fake, pax8) = setup().await;
    let since = crate::clock::now();
    fake.fault(Route::CreateOrder, Fault::LoseReply(Duration::from_secs(2)));
    assert!(matches!(pax8.place_order(&order(Some("ct-1"))).await, Err(DistError::Unknown(_))));
    fake.fault(Route::CreateOrder, Fault::BadBody);
    assert!(matches!(pax8.place_order(&order(Some("ct-1"))).await, Err(DistError::Unknown(_))));
    fake.fault(Route::CreateOrder, Fault::Status(502, None));
    assert!(
        matches!(pax8.place_order(&order(Some("ct-1"))).await, Err(DistError::Unknown(_))),
        "a 5xx on an order is an unknown outcome"
    );
    // Two of the three made an order: reconciliation finds exactly those.
    assert_eq!(fake.orders().len(), 2);
    assert_eq!(pax8.orders_since("c-1", &since).await.unwrap().len(), 2);
    // Reads retry a 5xx by themselves.
    fake.fault(Route::ListOrders, Fault::Status(503, None));
    assert_eq!(pax8.orders_since("c-1", &since).await.unwrap().len(), 2);
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pax8 = Pax8::new(Pax8Config {
        api_url: format!("http://127.0.0.1:{port}/v1"),
        token_url: format!("http://127.0.0.1:{port}/v1/token"),
        client_id: "x".into(),
        client_secret: "y".into(),
        timeout: Duration::from_secs(1),
        max_wait: Duration::from_secs(1),
    });
    assert!(matches!(pax8.test_connection().await, Err(DistError::Unreachable(_))));
}
