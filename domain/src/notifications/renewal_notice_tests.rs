//! Renewal notices on SQLite and PostgreSQL: subscriptions read from the
//! fake Pax8, a real SMTP server and a real webhook receiver on loopback.
//! Who hears, once each, at 30 and 7 days, again after a renewal, and two
//! instances asking at once.

use super::deliver::Notifier;
use super::mail::Mailer;
use super::*;
use crate::catalog::Distributor as Kind;
use crate::crypto::EncryptionKey;
use crate::fixtures::pax8::{world, world_on, World};
use crate::testing::new_user;
use crate::users::Role;
use fakes::receiver::Receiver;
use fakes::smtp::FakeSmtp;
use std::sync::Arc;

fn in_days(d: i64) -> String {
    // An hour past the day, so that whole days left are `d`, not `d - 1`.
    crate::clock::from_now(chrono::Duration::days(d) + chrono::Duration::hours(1))
}

fn notifier(w: &World, mailer: Mailer, key: Option<EncryptionKey>) -> Arc<Notifier> {
    Arc::new(Notifier {
        store: w.s.clone(),
        mailer,
        public_url: "https://po.msp.example".into(),
        key,
        http: webhook::client(),
        owner: "w1".into(),
        lease: chrono::Duration::seconds(30),
        retry_base_seconds: 0,
    })
}

async fn company(w: &World) -> i64 {
    w.s.get_po(w.po).await.unwrap().company.id
}

async fn notices(w: &World) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT subscription_id, once_key FROM notifications WHERE event = 'subscription.renewing' ORDER BY id")
        .fetch_all(w.s.pool())
        .await
        .unwrap()
}

crate::both_backends!(a_commitment_ending_soon_is_told_at_30_and_7_days_once_each);
async fn a_commitment_ending_soon_is_told_at_30_and_7_days_once_each(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let company = company(&w).await;
    w.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
    w.s.create_user(new_user("tech@x.test", Role::Technician)).await.unwrap();
    w.s.create_user(new_user("viewer@x.test", Role::Viewer)).await.unwrap();
    let month = w.fake.add_subscription("c-1", "p-m365", 12, "Annual", Some(("1-Year", &in_days(20))));
    let week = w.fake.add_subscription("c-1", "p-m365", 5, "Annual", Some(("1-Year", &in_days(5))));
    w.fake.add_subscription("c-1", "p-m365", 6, "Annual", Some(("1-Year", &in_days(45))));
    let cancelled = w.fake.add_subscription("c-1", "p-m365", 7, "Annual", Some(("1-Year", &in_days(10))));
    w.fake.cancel_subscription(&cancelled);
    w.fake.add_subscription("c-1", "p-m365", 8, "Monthly", None);
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    let ours = |pax8_id: &str| {
        let pax8_id = pax8_id.to_string();
        let s = w.s.clone();
        async move {
            s.list_subscriptions(None, None)
                .await
                .unwrap()
                .into_iter()
                .find(|x| x.distributor_subscription_id == pax8_id)
                .unwrap()
        }
    };
    let (month_sub, week_sub) = (ours(&month).await, ours(&week).await);

    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 2, "{b}: the month's and the week's, not the rest");
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 0, "{b}: once each");
    let told = notices(&w).await;
    assert_eq!(told.len(), 2, "{b}: {told:?}");
    assert!(
        told.contains(&(
            month_sub.id,
            format!("renewal:{}:{}:30", month_sub.id, month_sub.commitment_end.clone().unwrap())
        )),
        "{b}: {told:?}"
    );
    assert!(
        told.iter().any(|(s, k)| *s == week_sub.id && k.ends_with(":7")),
        "{b}: inside a week, the 7-day notice only: {told:?}"
    );

    // Approvers and purchasing hear, by mail; technicians and viewers do not.
    let smtp = FakeSmtp::start(0).await.unwrap();
    let n = notifier(&w, Mailer::new(Some(&smtp.url()), Some("Purchasing <po@msp.example>"), false).unwrap(), None);
    n.drain().await.unwrap();
    let told: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.starts_with("Commitment ends")))
        .collect();
    assert_eq!(told.len(), 6, "{b}: two notices, three people each");
    let mut to: Vec<String> = told.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to, ["admin@x.test", "appr@x.test", "buyer@x.test"], "{b}");
    // The fake names a subscription by its product id (it keeps no product names).
    let mails = smtp.to("appr@x.test");
    let subjects: Vec<String> = mails.iter().map(|m| m.header("Subject").unwrap().to_string()).collect();
    assert!(
        subjects.contains(&"Commitment ends in 5 days: p-m365, Harbor, 5 seats".to_string()),
        "{b}: {subjects:?}"
    );
    assert!(
        subjects.contains(&"Commitment ends in 20 days: p-m365, Harbor, 12 seats".to_string()),
        "{b}: {subjects:?}"
    );
    let body = mails.iter().find(|m| m.header("Subject").unwrap().contains("5 days")).unwrap().readable();
    assert!(
        body.contains(&format!("https://po.msp.example/companies/{company}#subscription-{}", week_sub.id)),
        "{b}: links to the subscription on its company's page"
    );
    // Settings shows what each delivery was about.
    let d: Vec<_> =
        w.s.deliveries(None, 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.event == Event::SubscriptionRenewing)
            .collect();
    assert_eq!(d.len(), 6, "{b}");
    assert!(d.iter().all(|d| d.po_id.is_none() && d.about == "p-m365, Harbor"), "{b}: {d:?}");
    assert!(d.iter().any(|d| d.subscription_id == Some(week_sub.id) && d.company_id == Some(company)), "{b}");

    // A week before its end the month's subscription is told again, once.
    w.fake.set_commitment_end(&month, &in_days(6));
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 1, "{b}: the 7-day notice");
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 0, "{b}");
    // Renewed for a year: nothing is due. A new end inside a month is a new
    // commitment, told again.
    w.fake.set_commitment_end(&month, &in_days(365));
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 0, "{b}");
    w.fake.set_commitment_end(&month, &in_days(25));
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 1, "{b}: the new commitment's 30-day notice");
    assert_eq!(notices(&w).await.len(), 4, "{b}");
}

crate::both_backends!(two_instances_asking_at_once_write_each_notice_once);
async fn two_instances_asking_at_once_write_each_notice_once(b: &'static str) {
    // Two instances: two pools on one database.
    let url = crate::testing::fresh_database_url(b).await;
    let one = crate::Store::open(&url, 4).await.unwrap();
    one.migrate().await.unwrap();
    let other = crate::Store::open(&url, 4).await.unwrap();
    let w = world_on(one, true, Kind::Pax8).await;
    let company = company(&w).await;
    for d in [3, 12, 28] {
        w.fake.add_subscription("c-1", "p-m365", 4, "Annual", Some(("1-Year", &in_days(d))));
    }
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    // Both read "not written yet" before either writes; the unique key
    // decides.
    let (one, two) = tokio::join!(w.s.send_renewal_notices(), other.send_renewal_notices());
    assert_eq!(one.unwrap() + two.unwrap(), 3, "{b}");
    assert_eq!(notices(&w).await.len(), 3, "{b}");
    let deliveries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.event = 'subscription.renewing'")
            .fetch_one(w.s.pool())
            .await
            .unwrap();
    assert_eq!(deliveries, 6, "{b}: one each for the buyer and the approver, per notice");
}

crate::both_backends!(a_webhook_hears_of_the_subscription_not_a_po);
async fn a_webhook_hears_of_the_subscription_not_a_po(b: &'static str) {
    let w = world(b, true, Kind::Pax8).await;
    let company = company(&w).await;
    let admin = w.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
    let key = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
    let rx = Receiver::start().await.unwrap();
    w.s.create_webhook(
        &admin,
        &key,
        &WebhookInput {
            url: format!("{}/hook", rx.base),
            kind: "generic".into(),
            events: Some(vec!["subscription.renewing".into()]),
            secret: None,
        },
    )
    .await
    .unwrap();
    let pax8_id = w.fake.add_subscription("c-1", "p-m365", 9, "Annual", Some(("1-Year", &in_days(14))));
    w.s.sync_subscriptions(w.pax8.as_ref(), company).await.unwrap();
    assert_eq!(w.s.send_renewal_notices().await.unwrap(), 1, "{b}");
    notifier(&w, Mailer::off(), Some(key)).drain().await.unwrap();
    let hits = rx.hits_at("/hook");
    assert_eq!(hits.len(), 1, "{b}");
    let body = hits[0].json();
    assert_eq!(body["event"], "subscription.renewing", "{b}");
    assert!(body.get("po").is_none(), "{b}: {body}");
    let s = &body["subscription"];
    assert_eq!((s["quantity"].as_i64(), s["days_left"].as_i64()), (Some(9), Some(14)), "{b}: {body}");
    assert_eq!(s["company"], "Harbor", "{b}");
    let ours = w.s.list_subscriptions(Some(company), None).await.unwrap();
    let sub = ours.iter().find(|x| x.distributor_subscription_id == pax8_id).unwrap();
    assert_eq!(s["url"], format!("https://po.msp.example/companies/{company}#subscription-{}", sub.id), "{b}");
}
