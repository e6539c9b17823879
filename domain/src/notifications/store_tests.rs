//! Notifications on SQLite and PostgreSQL, against a real SMTP server and a
//! real HTTP receiver on loopback (the project's fakes): who is mailed,
//! retries with the same delivery id, signatures, refusals that stop, two
//! workers sending each delivery once, email off, the approval inbox.

use super::deliver::Notifier;
use super::mail::Mailer;
use super::*;
use crate::crypto::EncryptionKey;
use crate::fixtures::purchase_orders::{fixture, fixture_in, input, Fixture};
use crate::testing::new_user;
use crate::users::{Role, User};
use crate::Store;
use fakes::receiver::Receiver;
use fakes::smtp::FakeSmtp;
use std::sync::Arc;

fn key() -> EncryptionKey {
    EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap()
}

fn notifier(store: &Store, mailer: Mailer, key: Option<EncryptionKey>, owner: &str) -> Arc<Notifier> {
    Arc::new(Notifier {
        store: store.clone(),
        mailer,
        public_url: "https://po.msp.example".into(),
        key,
        http: webhook::client(),
        owner: owner.into(),
        lease: chrono::Duration::seconds(30),
        retry_base_seconds: 0,
    })
}

/// The world plus a second approver and an admin, all mailed.
async fn world(b: &str) -> (Fixture, User, User) {
    let f = fixture(b).await;
    let second = f.s.create_user(new_user("second@x.test", Role::Approver)).await.unwrap();
    let admin = f.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
    (f, second, admin)
}

crate::both_backends!(a_po_over_the_limit_mails_every_approver_but_its_creator);
async fn a_po_over_the_limit_mails_every_approver_but_its_creator(b: &'static str) {
    let (f, _second, _admin) = world(b).await;
    // An approver raises it: the other approver and the admin hear, not them.
    let po = f.s.create_po(&f.approver, &input(&f, 2, 40_000), true).await.unwrap();
    let smtp = FakeSmtp::start(0).await.unwrap();
    let n = notifier(
        &f.s,
        Mailer::new(Some(&smtp.url()), Some("Purchasing <po@msp.example>"), false).unwrap(),
        None,
        "w1",
    );
    assert_eq!(n.drain().await.unwrap(), 2);
    let mut to: Vec<String> = smtp.received().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        ["admin@x.test", "second@x.test"],
        "every approver and admin except the creator; not the technician"
    );
    let m = &smtp.to("second@x.test")[0];
    let subject = m.header("Subject").unwrap();
    assert!(
        subject.contains(&po.number) && subject.contains("Harbor Dental") && subject.contains("$800.00"),
        "{subject}"
    );
    let body = m.readable();
    assert!(body.contains(&format!("https://po.msp.example/purchase-orders/{}", po.id)), "links to the PO");
    assert!(body.contains("text/plain") && body.contains("text/html"), "both parts");
    assert!(m.header("Message-ID").unwrap().contains("dlv_"), "the stable id is the Message-ID");
    // Sent once: nothing left to do.
    assert_eq!(n.drain().await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 2);

    // Approving mails the creator (not the approver who acted).
    let before = smtp.received().len();
    let approver2 = f.s.list_users().await.unwrap().into_iter().find(|u| u.email == "second@x.test").unwrap();
    f.s.approve_po(&approver2, po.id, po.version, None).await.unwrap();
    n.drain().await.unwrap();
    let new: Vec<_> = smtp.received()[before..].to_vec();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].to, ["appr@x.test"]);
    assert!(new[0].header("Subject").unwrap().contains("approved"));
}

crate::both_backends!(an_auto_approved_or_refused_change_notifies_nobody);
async fn an_auto_approved_or_refused_change_notifies_nobody(b: &'static str) {
    let (f, _, _) = world(b).await;
    // Under the $500 limit: approved at once, nobody waits, nobody is mailed.
    let small = f.s.create_po(&f.tech, &input(&f, 1, 10_000), true).await.unwrap();
    assert_eq!(small.status.as_str(), "approved");
    assert!(f.s.deliveries(None, 10).await.unwrap().is_empty());
    // The outbox is the change's transaction: a timeline entry whose
    // transaction rolls back leaves no notification and no delivery.
    let po = f.s.create_po(&f.approver, &input(&f, 2, 40_000), true).await.unwrap();
    let written = f.s.deliveries(None, 10).await.unwrap().len();
    assert_eq!(written, 2, "the submission's, for the other approver and the admin");
    let mut tx = f.s.begin_write().await.unwrap();
    crate::purchase_orders::timeline_event(
        &mut tx,
        po.id,
        None,
        "Test",
        crate::purchase_orders::EventKind::Submitted,
        "again",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(f.s.deliveries(None, 10).await.unwrap().len(), written);
    let mut tx = f.s.begin_write().await.unwrap();
    crate::purchase_orders::timeline_event(
        &mut tx,
        po.id,
        None,
        "Test",
        crate::purchase_orders::EventKind::Submitted,
        "again",
        serde_json::json!({}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(f.s.deliveries(None, 10).await.unwrap().len(), written + 2, "and committed, it is there");
}

crate::both_backends!(without_smtp_mail_is_recorded_as_not_sent_and_can_be_sent_again);
async fn without_smtp_mail_is_recorded_as_not_sent_and_can_be_sent_again(b: &'static str) {
    let (f, second, admin) = world(b).await;
    // The admin turned their email off: no delivery for them at all.
    f.s.set_email_notifications(&admin, false).await.unwrap();
    f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    let off = notifier(&f.s, Mailer::off(), None, "w1");
    off.drain().await.unwrap();
    let failed = f.s.failed_deliveries(10).await.unwrap();
    let recipients: Vec<&str> = failed.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients.len(), 2, "{recipients:?}");
    assert!(recipients.contains(&"appr@x.test") && recipients.contains(&second.email.as_str()));
    assert!(failed.iter().all(|d| d.status == DeliveryStatus::NotSent));
    assert!(failed[0].last_error.as_deref().unwrap().contains("NEXOS_SMTP_URL"), "says why");
    // Mail set up later: "Send again" sends it, with the same key.
    let smtp = FakeSmtp::start(0).await.unwrap();
    let on = notifier(&f.s, Mailer::new(Some(&smtp.url()), None, false).unwrap(), None, "w2");
    let again = f.s.retry_delivery(failed[0].id).await.unwrap();
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert!(f.s.retry_delivery(failed[0].id).await.is_err(), "a pending delivery is not sent again twice");
    on.drain().await.unwrap();
    assert_eq!(smtp.received().len(), 1, "{:?}", f.s.deliveries(None, 10).await.unwrap());
    assert!(smtp.received()[0].header("Message-ID").unwrap().contains(&failed[0].key));
}

crate::both_backends!(a_refusing_mail_server_is_retried_then_a_permanent_refusal_stops);
async fn a_refusing_mail_server_is_retried_then_a_permanent_refusal_stops(b: &'static str) {
    let (f, _, admin) = world(b).await;
    f.s.set_email_notifications(&admin, false).await.unwrap();
    let smtp = FakeSmtp::start(0).await.unwrap();
    let n = notifier(&f.s, Mailer::new(Some(&smtp.url()), None, false).unwrap(), None, "w1");
    // Two recipients (approver, second): a 451 for the first try of one.
    f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    smtp.reject_next(451);
    n.run_once().await.unwrap();
    let pending: Vec<_> =
        f.s.deliveries(None, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.status == DeliveryStatus::Pending)
            .collect();
    assert_eq!(pending.len(), 1, "the transient refusal waits for a retry");
    assert_eq!(pending[0].last_code, Some(451));
    n.drain().await.unwrap();
    assert_eq!(smtp.received().len(), 2, "both delivered once the server took it");
    // A 550 is final.
    f.s.create_po(&f.tech, &input(&f, 3, 40_000), true).await.unwrap();
    smtp.reject_next(550);
    smtp.reject_next(550);
    n.drain().await.unwrap();
    let failed = f.s.failed_deliveries(10).await.unwrap();
    assert_eq!(failed.len(), 2);
    assert!(failed
        .iter()
        .all(|d| d.status == DeliveryStatus::Failed && d.last_code == Some(550) && d.attempts == 1));
}

async fn hook(s: &Store, key: &EncryptionKey, admin: &User, url: String, kind: &str, events: Option<Vec<&str>>, secret: Option<&str>) -> Webhook {
    s.create_webhook(
        admin,
        key,
        &WebhookInput {
            url,
            kind: kind.into(),
            events: events.map(|e| e.into_iter().map(String::from).collect()),
            secret: secret.map(String::from),
        },
    )
    .await
    .unwrap()
}

crate::both_backends!(a_receiver_answering_500_then_200_gets_the_same_signed_delivery_twice);
async fn a_receiver_answering_500_then_200_gets_the_same_signed_delivery_twice(b: &'static str) {
    let (f, _, admin) = world(b).await;
    let k = key();
    let rx = Receiver::start().await.unwrap();
    let secret = "a signing secret of some length";
    let w = hook(
        &f.s,
        &k,
        &admin,
        format!("{}/generic", rx.base),
        "generic",
        Some(vec!["po.rejected"]),
        Some(secret),
    )
    .await;
    assert!(w.signed);
    assert_eq!(w.url, format!("{}/…", rx.base), "the path is never shown");
    let po = f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    f.s.reject_po(&f.approver, po.id, po.version, "Wrong laptops").await.unwrap();
    rx.answer(&[500]);
    let n = notifier(&f.s, Mailer::off(), Some(k.clone()), "w1");
    n.drain().await.unwrap();
    let hits = rx.hits_at("/generic");
    assert_eq!(hits.len(), 2, "500, then the retry (the submission is not one of its events)");
    let id = hits[0].header("x-nexos-delivery").unwrap();
    assert!(id.starts_with("dlv_"));
    assert_eq!(hits[1].header("x-nexos-delivery"), Some(id), "the same stable id twice");
    for h in &hits {
        assert_eq!(h.header("x-nexos-event"), Some("po.rejected"));
        assert!(
            webhook::verify(secret, h.body.as_bytes(), h.header("x-nexos-signature").unwrap()),
            "the signature verifies"
        );
        assert!(!webhook::verify(
            "another secret entirely",
            h.body.as_bytes(),
            h.header("x-nexos-signature").unwrap()
        ));
    }
    let body = hits[1].json();
    assert_eq!(body["id"], id);
    assert_eq!(body["event"], "po.rejected");
    assert_eq!(body["po"]["number"], po.number);
    assert_eq!(body["po"]["status"], "rejected");
    assert_eq!(body["po"]["total_cents"], 80_000);
    assert_eq!(body["po"]["company"], "Harbor Dental");
    assert_eq!(body["po"]["vendor"], "CDW");
    assert_eq!(body["po"]["url"], format!("https://po.msp.example/purchase-orders/{}", po.id));
    let d = f.s.deliveries(Some(w.id), 10).await.unwrap();
    assert_eq!((d[0].status, d[0].attempts, d[0].last_code), (DeliveryStatus::Delivered, 2, Some(200)));
}

crate::both_backends!(a_410_stops_retrying_and_slack_and_teams_get_their_formats);
async fn a_410_stops_retrying_and_slack_and_teams_get_their_formats(b: &'static str) {
    let (f, _, admin) = world(b).await;
    let k = key();
    let rx = Receiver::start().await.unwrap();
    let gone = hook(&f.s, &k, &admin, format!("{}/gone", rx.base), "generic", None, None).await;
    hook(&f.s, &k, &admin, format!("{}/slack", rx.base), "slack", Some(vec!["po.submitted"]), None).await;
    hook(&f.s, &k, &admin, format!("{}/teams", rx.base), "teams", Some(vec!["po.submitted"]), None).await;
    f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    rx.answer(&[410]);
    let n = notifier(&f.s, Mailer::off(), Some(k), "w1");
    n.drain().await.unwrap();
    n.drain().await.unwrap();
    assert_eq!(rx.hits_at("/gone").len(), 1, "410 is final: one attempt");
    let d = f.s.deliveries(Some(gone.id), 10).await.unwrap();
    assert_eq!((d[0].status, d[0].last_code), (DeliveryStatus::Failed, Some(410)));
    assert!(rx.hits_at("/gone")[0].header("x-nexos-signature").is_none(), "no secret, no signature");
    let slack = rx.hits_at("/slack")[0].json();
    assert!(slack["text"].as_str().unwrap().contains("waiting for your approval"));
    assert_eq!(slack["blocks"][0]["type"], "section");
    let teams = rx.hits_at("/teams")[0].json();
    assert_eq!(teams["type"], "message");
    assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
}

crate::both_backends!(two_workers_on_one_database_deliver_each_notification_once);
async fn two_workers_on_one_database_deliver_each_notification_once(b: &'static str) {
    // Two instances: two pools on one database, two owners.
    let url = crate::testing::fresh_database_url(b).await;
    let one = Store::open(&url, 4).await.unwrap();
    one.migrate().await.unwrap();
    let other = Store::open(&url, 4).await.unwrap();
    let f = fixture_in(one).await;
    f.s.create_user(new_user("second@x.test", Role::Approver)).await.unwrap();
    let admin = f.s.create_user(new_user("admin@x.test", Role::Admin)).await.unwrap();
    let k = key();
    let rx = Receiver::start().await.unwrap();
    hook(&f.s, &k, &admin, format!("{}/all", rx.base), "generic", None, None).await;
    for i in 0..12 {
        f.s.create_po(&f.tech, &input(&f, 2 + i, 40_000), true).await.unwrap();
    }
    let a = notifier(&f.s, Mailer::off(), Some(k.clone()), "instance-a");
    let bw = notifier(&other, Mailer::off(), Some(k), "instance-b");
    let (x, y) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += a.drain().await.unwrap();
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += bw.drain().await.unwrap();
            }
            n
        }
    );
    let hits = rx.hits_at("/all");
    let mut ids: Vec<&str> = hits.iter().map(|h| h.header("x-nexos-delivery").unwrap()).collect();
    assert_eq!(ids.len(), 12);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each delivered once");
    // Email deliveries too (not sent: no SMTP): 12 POs × 3 approvers/admins.
    assert_eq!(x + y, 12 + 36);
}

crate::both_backends!(the_inbox_holds_what_the_approver_may_approve_oldest_first);
async fn the_inbox_holds_what_the_approver_may_approve_oldest_first(b: &'static str) {
    let (f, second, _) = world(b).await;
    let first = f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    let own = f.s.create_po(&f.approver, &input(&f, 3, 40_000), true).await.unwrap();
    f.s.create_po(&f.tech, &input(&f, 1, 10_000), true).await.unwrap(); // auto-approved
    let inbox = f.s.approval_inbox(&f.approver).await.unwrap();
    assert_eq!(inbox.iter().map(|i| i.id).collect::<Vec<_>>(), [first.id], "not their own");
    assert_eq!(inbox[0].raised_by, "tech");
    assert_eq!(inbox[0].company, "Harbor Dental");
    let theirs = f.s.approval_inbox(&second).await.unwrap();
    assert_eq!(theirs.iter().map(|i| i.id).collect::<Vec<_>>(), [first.id, own.id], "oldest first");
    assert!(f.s.approval_inbox(&f.tech).await.unwrap().is_empty());
    f.s.approve_po(&second, first.id, first.version, None).await.unwrap();
    assert_eq!(f.s.approval_inbox(&f.approver).await.unwrap().len(), 0);
}

crate::both_backends!(webhooks_refuse_bad_input_by_field_and_can_be_deleted);
async fn webhooks_refuse_bad_input_by_field_and_can_be_deleted(b: &'static str) {
    let (f, _, admin) = world(b).await;
    let k = key();
    let bad = |url: &str, kind: &str, events: Vec<&str>| WebhookInput {
        url: url.into(),
        kind: kind.into(),
        events: Some(events.into_iter().map(String::from).collect()),
        secret: None,
    };
    for (input, field) in [
        (bad("ftp://x.example/h", "generic", vec![]), "url"),
        (bad("http://x.example/h", "generic", vec![]), "url"),
        (bad("https://x.example/h", "pager", vec![]), "kind"),
        (bad("https://x.example/h", "generic", vec!["po.approved", "po.teleported"]), "events[1]"),
    ] {
        let e = f.s.create_webhook(&admin, &k, &input).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field));
    }
    assert!(f.s.list_webhooks().await.unwrap().is_empty(), "nothing was written");
    let w = hook(&f.s, &k, &admin, "https://hooks.slack.com/services/T/B/secret".into(), "slack", None, None).await;
    assert_eq!(f.s.list_webhooks().await.unwrap().len(), 1);
    // A PO submitted now is due to it; deleted, the webhook gets nothing.
    f.s.create_po(&f.tech, &input(&f, 2, 40_000), true).await.unwrap();
    assert_eq!(f.s.deliveries(Some(w.id), 10).await.unwrap().len(), 1);
    f.s.delete_webhook(w.id).await.unwrap();
    assert!(f.s.list_webhooks().await.unwrap().is_empty());
    assert!(f.s.deliveries(Some(w.id), 10).await.unwrap().is_empty(), "its pending delivery is dropped");
    assert!(f.s.delete_webhook(w.id).await.is_err());
    f.s.create_po(&f.tech, &input(&f, 3, 40_000), true).await.unwrap();
    assert!(f.s.deliveries(Some(w.id), 10).await.unwrap().is_empty(), "nothing new for it");
}
