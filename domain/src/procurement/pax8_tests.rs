//! The Pax8 client against the project's fake Pax8 (written from Pax8's
//! partner OpenAPI), over real HTTP.

use super::distributor::{DistError, Distributor, Phase};
use super::pax8::{Pax8, Pax8Config, DEFAULT_AUDIENCE};
use super::{Detail, OrderLine, OrderRequest};
use chrono::NaiveDate;
use fakes::pax8::{FakePax8, Fault, ProductRule, Route, LEGACY_AUDIENCE};
use std::time::Duration;

fn config(fake: &FakePax8) -> Pax8Config {
    Pax8Config {
        api_url: fake.base.clone(),
        token_url: fake.token_url(),
        audience: DEFAULT_AUDIENCE.into(),
        client_id: "client-1".into(),
        client_secret: "secret-1".into(),
        timeout: Duration::from_millis(800),
        max_wait: Duration::from_secs(3),
    }
}

async fn setup() -> (FakePax8, Pax8) {
    let fake = FakePax8::start(0, "client-1", "secret-1").await.unwrap();
    fake.add_company("c-1");
    fake.add_product(
        "p-m365",
        ProductRule {
            requires_commitment: true,
            required_details: vec!["domain".into()],
            ..Default::default()
        },
    );
    fake.add_product("p-backup", ProductRule::default());
    let client = Pax8::new(config(&fake));
    (fake, client)
}

fn order(commitment: Option<&str>) -> OrderRequest {
    OrderRequest {
        company_id: Some("c-1".into()),
        changes: vec![],
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

fn yesterday() -> NaiveDate {
    (chrono::Utc::now() - chrono::Duration::days(1)).date_naive()
}

#[tokio::test]
async fn orders_subscriptions_and_a_cached_token() {
    let (fake, pax8) = setup().await;
    pax8.test_connection().await.unwrap();
    let before = pax8.order_census("c-1").await.unwrap();
    assert_eq!(before.total, 0);
    // The second line has no commitment term: it is left out, not sent as null.
    let placed = pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!((placed.company_id.as_str(), placed.lines.len()), ("c-1", 2));
    assert_eq!(placed.created_on, Some(chrono::Utc::now().date_naive()), "createdDate is a plain date");
    pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!(fake.orders().len(), 2, "Pax8 never deduplicates");
    assert_eq!(fake.requests(Route::Token), 1, "the token is cached");
    // Orders of today, dated by day, are found.
    assert_eq!(pax8.new_orders("c-1", Some(&before), yesterday()).await.unwrap().len(), 2);
    assert_eq!(pax8.new_orders("c-1", None, yesterday()).await.unwrap().len(), 2);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    assert!(pax8.new_orders("c-1", None, tomorrow).await.unwrap().is_empty());
    let sub = placed.lines[0].subscription_id.clone().unwrap();
    let first = pax8.subscription(&sub).await.unwrap();
    assert_eq!((first.status.as_str(), first.quantity, first.phase()), ("PendingAutomated", 10, Phase::Pending));
    assert_eq!(pax8.subscription(&sub).await.unwrap().phase(), Phase::Provisioned);
}

#[tokio::test]
async fn a_new_order_among_five_thousand_older_ones_listed_oldest_first_takes_few_calls() {
    let (fake, pax8) = setup().await;
    fake.add_older_orders("c-1", "p-m365", 5_000, "2024-03-01");
    let before = pax8.order_census("c-1").await.unwrap();
    assert_eq!(before.total, 5_000);
    let census_calls = fake.requests(Route::ListOrders);
    assert_eq!(census_calls, 2, "the first and the last page");
    // Same products and quantities as the older ones.
    let mut same = order(Some("ct-1"));
    same.lines.truncate(1);
    fake.fault(Route::CreateOrder, Fault::FailAfter(500));
    assert!(matches!(pax8.place_order(&same).await, Err(DistError::Unknown(_))));
    let found = pax8.new_orders("c-1", Some(&before), yesterday()).await.unwrap();
    assert_eq!(found.len(), 1, "only the order made after the census");
    assert_eq!(found[0].id, fake.orders().last().unwrap()["id"].as_str().unwrap());
    let calls = fake.requests(Route::ListOrders) - census_calls;
    assert!(calls <= 2, "settled in {calls} list calls, not 26");
    // Nothing new: one call says so.
    let now = pax8.order_census("c-1").await.unwrap();
    let before_calls = fake.requests(Route::ListOrders);
    assert!(pax8.new_orders("c-1", Some(&now), yesterday()).await.unwrap().is_empty());
    assert_eq!(fake.requests(Route::ListOrders) - before_calls, 1);
}

#[tokio::test]
async fn refusals_come_back_in_plain_words_with_the_po_line() {
    let (fake, pax8) = setup().await;
    match pax8.place_order(&order(None)).await {
        Err(DistError::Rejected { problems, status }) => {
            assert_eq!(status, 422);
            assert_eq!(problems[0].field, "lines[0].commitment_term_id");
            assert_eq!(problems[0].po_line_id, Some(1));
            assert!(problems[0].message.contains("commitment term is required"), "{}", problems[0].message);
        }
        other => panic!("{other:?}"),
    }
    assert!(fake.orders().is_empty());
    let wrong = Pax8::new(Pax8Config {
        client_secret: "nope".into(),
        ..config(&fake)
    });
    assert!(matches!(wrong.test_connection().await, Err(DistError::Unauthorized(_))));
}

#[tokio::test]
async fn unclear_statuses_of_an_order_are_unknown_not_refusals() {
    let (fake, pax8) = setup().await;
    for code in [408, 504, 500, 409, 302] {
        fake.fault(Route::CreateOrder, Fault::FailAfter(code));
        let got = pax8.place_order(&order(Some("ct-1"))).await;
        assert!(matches!(got, Err(DistError::Unknown(_))), "{code}: {got:?}");
    }
    for code in [400, 404, 422] {
        fake.fault(Route::CreateOrder, Fault::Status(code, None));
        let got = pax8.place_order(&order(Some("ct-1"))).await;
        assert!(matches!(got, Err(DistError::Rejected { status, .. }) if status == code), "{code}: {got:?}");
    }
}

#[tokio::test]
async fn the_audience_is_pax8s_current_one_and_test_connection_makes_a_call() {
    let (fake, pax8) = setup().await;
    pax8.test_connection().await.unwrap();
    assert_eq!(fake.requests(Route::ListCompanies), 1, "one API call with the token");
    let legacy = Pax8::new(Pax8Config {
        audience: LEGACY_AUDIENCE.into(),
        ..config(&fake)
    });
    // The token is issued; the partner API refuses it, and the test says so.
    assert!(matches!(legacy.test_connection().await, Err(DistError::Unauthorized(_))));
}

#[tokio::test]
async fn query_parameters_are_encoded() {
    let (fake, pax8) = setup().await;
    fake.add_company("c 2&size=1");
    let mut o = order(Some("ct-1"));
    o.company_id = Some("c 2&size=1".into());
    pax8.place_order(&o).await.unwrap();
    pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    let found = pax8.new_orders("c 2&size=1", None, yesterday()).await.unwrap();
    assert_eq!(found.len(), 1, "only that company's order");
    assert_eq!(found[0].company_id, "c 2&size=1");
}

#[tokio::test]
async fn a_mock_order_validates_without_placing() {
    let (fake, pax8) = setup().await;
    pax8.validate_order(&order(Some("ct-1"))).await.unwrap();
    match pax8.validate_order(&order(None)).await {
        Err(DistError::Rejected { problems, .. }) => assert_eq!(problems[0].po_line_id, Some(1)),
        other => panic!("{other:?}"),
    }
    assert_eq!((fake.requests(Route::ValidateOrder), fake.requests(Route::CreateOrder)), (2, 0));
    // Validation places nothing, so a transient failure is simply asked again.
    fake.fault(Route::ValidateOrder, Fault::Status(503, None));
    pax8.validate_order(&order(Some("ct-1"))).await.unwrap();
    assert_eq!(fake.requests(Route::ValidateOrder), 4);
    assert!(fake.orders().is_empty());
}

#[tokio::test]
async fn an_order_names_its_subscriptions_later() {
    let (fake, pax8) = setup().await;
    fake.name_subscriptions_after(1);
    let placed = pax8.place_order(&order(Some("ct-1"))).await.unwrap();
    assert!(placed.lines.iter().all(|l| l.subscription_id.is_none()));
    let again = pax8.order(&placed.id).await.unwrap();
    assert!(again.lines.iter().all(|l| l.subscription_id.is_none()), "first read: not yet");
    let again = pax8.order(&placed.id).await.unwrap();
    assert!(again.lines.iter().all(|l| l.subscription_id.is_some()));
}

#[tokio::test]
async fn every_subscription_status_has_a_phase() {
    let (fake, pax8) = setup().await;
    let statuses = [
        ("Active", Phase::Provisioned),
        ("Activated", Phase::Provisioned),
        ("Trial", Phase::Provisioned),
        ("Converted", Phase::Provisioned),
        ("PendingManual", Phase::Pending),
        ("PendingAutomated", Phase::Pending),
        ("PendingActivation", Phase::Pending),
        ("WaitingForDetails", Phase::WaitingForDetails),
        ("Cancelled", Phase::Cancelled),
        ("PendingCancel", Phase::Cancelled),
    ];
    fake.add_product(
        "p-all",
        ProductRule {
            statuses: statuses.iter().map(|(s, _)| s.to_string()).collect(),
            ..Default::default()
        },
    );
    let mut o = order(None);
    o.lines = vec![OrderLine {
        product_id: Some("p-all".into()),
        ..o.lines[1].clone()
    }];
    let sub = pax8.place_order(&o).await.unwrap().lines[0].subscription_id.clone().unwrap();
    for (status, phase) in statuses {
        let s = pax8.subscription(&sub).await.unwrap();
        assert_eq!((s.status.as_str(), s.phase()), (status, phase));
    }
}

#[tokio::test]
async fn the_catalog_is_searched_not_typed() {
    let (fake, pax8) = setup().await;
    fake.add_company_named("c-9", "Harbor Dental", "Inactive");
    let found = pax8.find_companies("harbor").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].id.as_str(), found[0].orderable()), ("c-9", false));
    assert!(pax8.company("c-1").await.unwrap().orderable());
    assert!(!pax8.company("c-9").await.unwrap().orderable());
    let products = pax8.find_products("m365", 0).await.unwrap();
    assert_eq!(products.items[0].id, "p-m365");
    assert!(products.items[0].requires_commitment);
    let req = pax8.product_requirements("p-m365").await.unwrap();
    assert_eq!(req.details[0].key, "domain");
    assert!(req.billing_terms.contains(&"Monthly".to_string()));
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
    let before = pax8.order_census("c-1").await.unwrap();
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
    assert_eq!(pax8.new_orders("c-1", Some(&before), yesterday()).await.unwrap().len(), 2);
    // Reads retry a 5xx by themselves.
    fake.fault(Route::ListOrders, Fault::Status(503, None));
    assert_eq!(pax8.new_orders("c-1", Some(&before), yesterday()).await.unwrap().len(), 2);
}

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let pax8 = Pax8::new(Pax8Config {
        api_url: format!("http://127.0.0.1:{port}/v1"),
        token_url: format!("http://127.0.0.1:{port}/v1/token"),
        audience: DEFAULT_AUDIENCE.into(),
        client_id: "x".into(),
        client_secret: "y".into(),
        timeout: Duration::from_secs(1),
        max_wait: Duration::from_secs(1),
    });
    assert!(matches!(pax8.test_connection().await, Err(DistError::Unreachable(_))));
}

#[tokio::test]
async fn seat_changes_send_only_the_quantity_and_say_what_pax8_refused() {
    let (fake, client) = setup().await;
    let sub = fake.add_subscription("c-1", "p-m365", 10, "Annual", Some(("1-Year", "2099-01-01T00:00:00Z")));
    let s = client.change_seats(&sub, 12).await.unwrap();
    assert_eq!((s.id.as_str(), s.quantity), (sub.as_str(), 12));
    assert!(s.updated_at.is_some(), "Pax8's updatedDate, read back");
    let at_pax8 = fake.subscription(&sub).unwrap();
    assert_eq!(
        (at_pax8["price"].as_f64(), at_pax8["partnerCost"].as_f64()),
        (Some(26.0), Some(22.0)),
        "the rate untouched"
    );
    // Fewer seats mid-commitment: refused, in Pax8's words, either body.
    match client.change_seats(&sub, 8).await {
        Err(DistError::Rejected { status: 422, problems }) => assert!(problems[0].message.contains("decreases"), "{problems:?}"),
        other => panic!("{other:?}"),
    }
    fake.refuse_with_errors_list(true);
    match client.change_seats(&sub, 8).await {
        Err(DistError::Rejected { status: 422, problems }) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].message.contains("decreases"), "{problems:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.writes_applied(), 1);
    let history = client.subscription_history(&sub).await.unwrap();
    assert_eq!(history.iter().map(|h| h.quantity).collect::<Vec<_>>(), vec![12, 10], "newest first");
}

#[tokio::test]
async fn a_seat_change_whose_answer_is_lost_is_unclear_though_pax8_applied_it() {
    let (fake, client) = setup().await;
    let sub = fake.add_subscription("c-1", "p-backup", 10, "Monthly", None);
    fake.fault(Route::UpdateSubscription, Fault::LoseReply(Duration::from_secs(2)));
    assert!(matches!(client.change_seats(&sub, 11).await, Err(DistError::Unknown(_))));
    fake.fault(Route::UpdateSubscription, Fault::FailAfter(500));
    assert!(matches!(client.change_seats(&sub, 12).await, Err(DistError::Unknown(_))));
    fake.fault(Route::CancelSubscription, Fault::FailAfter(502));
    assert!(matches!(client.cancel_subscription(&sub, None).await, Err(DistError::Unknown(_))));
    // Each was applied at Pax8: the caller must read before sending again.
    assert_eq!(fake.writes_applied(), 3);
    assert_eq!(client.subscription(&sub).await.unwrap().status, "Cancelled");
}

#[tokio::test]
async fn a_cancellation_on_a_date_answers_204_and_waits_for_it() {
    let (fake, client) = setup().await;
    let sub = fake.add_subscription("c-1", "p-m365", 10, "Annual", Some(("1-Year", "2099-01-01T00:00:00Z")));
    match client.cancel_subscription(&sub, None).await {
        Err(DistError::Rejected { status: 422, .. }) => {}
        other => panic!("early cancellation: {other:?}"),
    }
    client.cancel_subscription(&sub, Some("2099-01-01T00:00:00Z")).await.unwrap();
    assert_eq!(client.subscription(&sub).await.unwrap().status, "PendingCancel");
    assert!(matches!(
        client.cancel_subscription("sub-none", None).await,
        Err(DistError::Rejected { status: 404, .. })
    ));
    let rules = client.commitment_rules("p-m365").await.unwrap();
    assert!(rules.is_empty(), "p-m365 lists no commitment here");
    fake.add_product(
        "p-nce",
        ProductRule {
            commitments: vec![("ct-1".into(), "1-Year".into())],
            ..Default::default()
        },
    );
    let rules = client.commitment_rules("p-nce").await.unwrap();
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!(
        (r.commitment_id.as_str(), r.allow_increase, r.allow_decrease, r.allow_early_cancellation),
        ("ct-1", true, false, false)
    );
    assert_eq!(r.window_days_after, Some(7));
}
