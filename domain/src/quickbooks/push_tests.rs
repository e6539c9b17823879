//! QuickBooks against the fake Intuit, on SQLite and PostgreSQL: the OAuth
//! connect, token refresh with rotation, and pushes through every fault,
//! each making at most one QBO purchase order.

use super::push::Pusher;
use super::{Environment, Qbo, QboMapping};
use crate::crypto::EncryptionKey;
use crate::fixtures::quickbooks::{app, approved_po, kinds, query_param, world, world_with};
use crate::purchase_orders::writes::{stage, Sets};
use crate::purchase_orders::{LineInput, PoInput};
use crate::settings::SettingsUpdate;
use crate::ErrorCode;
use fakes::qbo::{QboFault, QboRoute};
use std::time::Duration;

crate::both_backends!(connect_checks_state_and_stores_tokens_sealed);
async fn connect_checks_state_and_stores_tokens_sealed(b: &'static str) {
    let w = world(b).await;
    let st = w.qbo.status().await.unwrap();
    assert!(st.connected, "{b}");
    assert_eq!(st.realm_id, Some(w.fake.realm_id()));
    assert_eq!(st.company_name, Some(w.fake.company_name()));
    assert_eq!(st.environment, Environment::Sandbox);
    // Under another key the stored connection cannot be read: not
    // connected, saying why, so that an admin can connect again.
    let other = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
    let elsewhere = Qbo::new(w.s.clone(), other, app(&w.fake, Duration::from_millis(700)), false)
        .status()
        .await
        .unwrap();
    assert!(!elsewhere.connected && elsewhere.reason.unwrap().contains("connect QuickBooks again"), "{b}");
    let sealed: String = sqlx::query_scalar("SELECT sealed FROM integrations WHERE name = 'qbo'")
        .fetch_one(w.s.pool())
        .await
        .unwrap();
    for t in w.fake.valid_refresh_tokens() {
        assert!(!sealed.contains(&t), "{b}: tokens are stored encrypted");
    }
    // A state is good once, for the admin who started, and only a real one.
    let url = w.qbo.begin_connect(&w.admin, Environment::Production).await.unwrap();
    assert!(url.contains("scope=com.intuit.quickbooks.accounting") && url.contains("response_type=code"));
    let back = w.fake.consent(&url).unwrap();
    let (code, state) = (query_param(&back, "code"), query_param(&back, "state"));
    let e = w.qbo.complete_connect(&w.approver, &code, &state, "1").await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("state"), "{b}: another user's state is refused");
    let e = w.qbo.complete_connect(&w.admin, &code, "forged", "1").await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("state"));
    // The refused attempts used up the state: start again.
    let url = w.qbo.begin_connect(&w.admin, Environment::Production).await.unwrap();
    let back = w.fake.consent(&url).unwrap();
    let state = query_param(&back, "state");
    w.qbo
        .complete_connect(&w.admin, &query_param(&back, "code"), &state, &query_param(&back, "realmId"))
        .await
        .unwrap();
    assert_eq!(w.qbo.status().await.unwrap().environment, Environment::Production);
    let e = w.qbo.complete_connect(&w.admin, &query_param(&back, "code"), &state, "1").await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("state"), "{b}: a state is used once");
}

crate::both_backends!(a_push_makes_one_qbo_purchase_order_and_says_so);
async fn a_push_makes_one_qbo_purchase_order_and_says_so(b: &'static str) {
    let w = world(b).await;
    let po = approved_po(&w).await;
    let pushed = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    let qbo = pushed.qbo.clone().unwrap();
    let made = w.fake.purchase_orders();
    assert_eq!(made.len(), 1, "{b}");
    assert_eq!(qbo.id.as_deref(), made[0]["Id"].as_str());
    assert!(qbo.pushed_at.is_some() && qbo.error.is_none());
    assert_eq!(made[0]["DocNumber"], po.number.as_str());
    assert_eq!(made[0]["VendorRef"]["value"], "57");
    assert_eq!(made[0]["APAccountRef"]["value"], "33");
    assert!((made[0]["TotalAmt"].as_f64().unwrap() - 1584.99).abs() < 0.001);
    assert_eq!(made[0]["Line"][0]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"], "11");
    assert_eq!(made[0]["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"], "7");
    // Internal text is the PrivateNote; the Memo, printed for the vendor, stays empty.
    assert!(made[0]["PrivateNote"].as_str().unwrap().contains("Harbor Dental"), "{b}");
    assert!(made[0]["PrivateNote"].as_str().unwrap().contains("for the new hire"));
    assert!(made[0].get("Memo").is_none(), "{b}: {}", made[0]);
    // Pressed again: nothing is sent.
    let sent = w.fake.requests(QboRoute::CreatePurchaseOrder);
    let again = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    assert_eq!(again.qbo, pushed.qbo);
    assert_eq!(w.fake.requests(QboRoute::CreatePurchaseOrder), sent, "{b}");
    let tl = w.s.po_timeline(po.id).await.unwrap();
    assert_eq!(kinds(&tl).iter().filter(|k| **k == "qbo_pushed").count(), 1);
    // Concurrent pushes of another PO (a double click) make one.
    let po2 = approved_po(&w).await;
    let (a, c) = tokio::join!(w.qbo.push(Pusher::User(&w.admin), po2.id), w.qbo.push(Pusher::User(&w.admin), po2.id));
    assert_eq!(a.unwrap().qbo.unwrap().id, c.unwrap().qbo.unwrap().id);
    assert_eq!(w.fake.purchase_orders().len(), 2, "{b}: one QBO PO per NEXOS PO");
}

crate::both_backends!(a_lost_reply_then_a_retry_makes_one_record);
async fn a_lost_reply_then_a_retry_makes_one_record(b: &'static str) {
    let w = world(b).await;
    for fault in [QboFault::LoseReply(Duration::from_millis(1500)), QboFault::BadBody, QboFault::Status(503)] {
        let po = approved_po(&w).await;
        let before = w.fake.purchase_orders().len();
        w.fake.fault(QboRoute::CreatePurchaseOrder, fault.clone());
        let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Upstream, "{b} {fault:?}");
        let failed = w.s.get_po(po.id).await.unwrap();
        let err = failed.qbo.unwrap().error.unwrap();
        assert!(err.contains("will not create a second"), "{b} {fault:?}: {err}");
        let retry: Option<String> = sqlx::query_scalar("SELECT qbo_retry_at FROM purchase_orders WHERE id = $1")
            .bind(po.id)
            .fetch_one(w.s.pool())
            .await
            .unwrap();
        assert!(retry.is_some(), "{b}: a transient failure is retried by itself");
        let pushed = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
        let made = w.fake.purchase_orders();
        assert_eq!(made.len(), before + 1, "{b} {fault:?}: one record");
        assert_eq!(pushed.qbo.unwrap().id.as_deref(), made.last().unwrap()["Id"].as_str());
    }
}

crate::both_backends!(throttling_is_waited_out_or_retried_later);
async fn throttling_is_waited_out_or_retried_later(b: &'static str) {
    let w = world(b).await;
    let po = approved_po(&w).await;
    w.fake.fault(QboRoute::CreatePurchaseOrder, QboFault::Throttle(Some(1)));
    w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    assert_eq!(w.fake.requests(QboRoute::CreatePurchaseOrder), 2, "{b}: a short wait is waited out");
    let po = approved_po(&w).await;
    w.fake.fault(QboRoute::CreatePurchaseOrder, QboFault::Throttle(Some(120)));
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert!(e.message.contains("throttling"), "{b}: {}", e.message);
    assert_eq!(w.qbo.retry_due().await.unwrap(), 0, "{b}: not due yet");
    let due = crate::clock::from_now(-chrono::Duration::seconds(1));
    stage(&w.s, Some(po.id), Sets::new().set("qbo_retry_at", due)).await;
    assert_eq!(w.qbo.retry_due().await.unwrap(), 1);
    let po = w.s.get_po(po.id).await.unwrap();
    assert!(po.qbo.unwrap().id.is_some(), "{b}: the worker's retry pushed it");
    let tl = w.s.po_timeline(po.id).await.unwrap();
    assert_eq!(kinds(&tl)[kinds(&tl).len() - 2..], ["qbo_push_failed", "qbo_pushed"]);
    assert_eq!(tl.last().unwrap().actor.name, "QuickBooks retry");
    assert_eq!(w.fake.purchase_orders().len(), 2);
}

crate::both_backends!(refusals_are_explained_and_the_next_push_is_a_new_request);
async fn refusals_are_explained_and_the_next_push_is_a_new_request(b: &'static str) {
    let w = world(b).await;
    let po = approved_po(&w).await;
    w.fake.fault(
        QboRoute::CreatePurchaseOrder,
        QboFault::FaultIn200 {
            code: "10000".into(),
            message: "An application error has occurred".into(),
            detail: "Try later".into(),
        },
    );
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert!(e.message.contains("An application error has occurred"), "{b}: {}", e.message);
    let rid: Option<String> = sqlx::query_scalar("SELECT qbo_request_id FROM purchase_orders WHERE id = $1")
        .bind(po.id)
        .fetch_one(w.s.pool())
        .await
        .unwrap();
    assert!(rid.is_none(), "{b}: a refused request is not repeated");
    // A vendor QBO does not know: refused with the field named.
    sqlx::query("UPDATE vendors SET qbo_vendor_id = '999' WHERE id = $1")
        .bind(w.vendor)
        .execute(w.s.pool())
        .await
        .unwrap();
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert!(e.message.contains("VendorRef"), "{b}: {}", e.message);
    assert!(w.s.get_po(po.id).await.unwrap().qbo.unwrap().error.unwrap().contains("Invalid Reference Id"));
    // Mapped right, the retry goes through as a new request.
    sqlx::query("UPDATE vendors SET qbo_vendor_id = '57' WHERE id = $1")
        .bind(w.vendor)
        .execute(w.s.pool())
        .await
        .unwrap();
    let pushed = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    assert!(pushed.qbo.unwrap().error.is_none());
    assert_eq!(w.fake.purchase_orders().len(), 1, "{b}");
    let tl = w.s.po_timeline(po.id).await.unwrap();
    assert_eq!(kinds(&tl).iter().filter(|k| **k == "qbo_push_failed").count(), 2);
}

crate::both_backends!(missing_mapping_is_named_and_nothing_is_sent);
async fn missing_mapping_is_named_and_nothing_is_sent(b: &'static str) {
    let w = world(b).await;
    let po = approved_po(&w).await;
    w.qbo.save_mapping(&QboMapping::default()).await.unwrap();
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(e.field.as_deref(), Some("ap_account_id"), "{b}");
    assert!(e.message.contains("expense account"));
    assert_eq!(w.fake.requests(QboRoute::CreatePurchaseOrder), 0);
    assert_eq!(kinds(&w.s.po_timeline(po.id).await.unwrap()).last(), Some(&"qbo_push_failed"));
    // Only approved POs go.
    let draft =
        w.s.create_po(
            &w.admin,
            &PoInput {
                vendor_id: w.vendor,
                company_id: Some(w.company),
                lines: vec![LineInput {
                    description: "x".into(),
                    quantity: 1,
                    unit_cost_cents: 100,
                    ..Default::default()
                }],
                ..Default::default()
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!(w.qbo.push(Pusher::User(&w.admin), draft.id).await.unwrap_err().code, ErrorCode::Conflict);
}

crate::both_backends!(expired_tokens_are_refreshed_and_the_rotated_one_saved);
async fn expired_tokens_are_refreshed_and_the_rotated_one_saved(b: &'static str) {
    let w = world(b).await;
    for _ in 0..3 {
        // The fake invalidates a refresh token once used: each round only
        // works if the previous round saved the rotated one.
        w.fake.expire_access_tokens();
        let po = approved_po(&w).await;
        w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    }
    assert_eq!(w.fake.requests(QboRoute::Token), 4, "{b}: the code exchange and three refreshes");
    // A 401 on a token that has not expired yet is refreshed too.
    w.fake.fault(QboRoute::CreatePurchaseOrder, QboFault::ExpiredToken);
    let po = approved_po(&w).await;
    w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    assert_eq!(w.fake.requests(QboRoute::Token), 5);
    // A token within a minute of expiry is refreshed before use.
    w.fake.set_access_ttl(30);
    let t = w.qbo.access(None).await.ok().unwrap().token;
    w.qbo.access(Some(&t)).await.ok().unwrap();
    let n = w.fake.requests(QboRoute::Token);
    w.qbo.access(None).await.ok().unwrap();
    assert_eq!(w.fake.requests(QboRoute::Token), n + 1, "{b}: a 30 s token is not trusted");
    assert_eq!(w.fake.purchase_orders().len(), 4);
}

crate::both_backends!(a_slow_refresh_happens_once_and_holds_up_no_other_write);
async fn a_slow_refresh_happens_once_and_holds_up_no_other_write(b: &'static str) {
    let w = world_with(b, Duration::from_secs(10)).await;
    let refused = w.qbo.access(None).await.ok().unwrap().token;
    w.fake.fault(QboRoute::Token, QboFault::Delay(Duration::from_secs(4)));
    // Five callers had the same token refused; they need one new token.
    let callers: Vec<_> = (0..5)
        .map(|_| {
            let (qbo, refused) = (w.qbo.clone(), refused.clone());
            tokio::spawn(async move { qbo.access(Some(&refused)).await.ok().map(|a| a.token) })
        })
        .collect();
    while w.fake.requests(QboRoute::Token) < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Intuit is still answering: other writes go on meanwhile.
    let po = approved_po(&w).await;
    assert!(callers.iter().all(|c| !c.is_finished()), "{b}: the write waited for Intuit");
    let mut tokens = Vec::new();
    for c in callers {
        tokens.push(c.await.unwrap().expect("a token"));
    }
    assert_eq!(w.fake.requests(QboRoute::Token), 2, "{b}: the code exchange and one refresh");
    assert!(tokens.iter().all(|t| *t == tokens[0] && *t != refused), "{b}: all take the renewed token");
    w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
}

crate::both_backends!(a_refresh_whose_caller_goes_away_still_ends_and_frees_the_lease);
async fn a_refresh_whose_caller_goes_away_still_ends_and_frees_the_lease(b: &'static str) {
    let w = world_with(b, Duration::from_secs(10)).await;
    let refused = w.qbo.access(None).await.ok().unwrap().token;
    w.fake.fault(QboRoute::Token, QboFault::Delay(Duration::from_secs(1)));
    let gone = {
        let (qbo, refused) = (w.qbo.clone(), refused.clone());
        tokio::spawn(async move { qbo.access(Some(&refused)).await.ok().map(|a| a.token) })
    };
    while w.fake.requests(QboRoute::Token) < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    gone.abort();
    // The next caller gets the token that refresh saved, without asking
    // Intuit again and without waiting out the lease.
    let next = w.qbo.access(Some(&refused)).await.expect("a token").token;
    assert_ne!(next, refused, "{b}");
    assert_eq!(w.fake.requests(QboRoute::Token), 2, "{b}: one refresh");
}

crate::both_backends!(duplicate_numbers_are_adopted_only_when_ours);
async fn duplicate_numbers_are_adopted_only_when_ours(b: &'static str) {
    let w = world(b).await;
    let po = approved_po(&w).await;
    // QBO already has this number for our vendor (an earlier push whose
    // requestid QBO no longer remembers): adopted, not made twice.
    let a = w.qbo.access(None).await.ok().unwrap();
    let body = serde_json::json!({"DocNumber": po.number, "VendorRef": {"value": "57"}, "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 1.0, "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}}]});
    let existing = w
        .qbo
        .client()
        .create_purchase_order(a.environment, &a.realm_id, &a.token, &body, "earlier")
        .await
        .unwrap();
    let pushed = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap();
    assert_eq!(pushed.qbo.unwrap().id.as_deref(), existing["Id"].as_str(), "{b}");
    assert_eq!(w.fake.purchase_orders().len(), 1);
    // The same number for another vendor is someone else's: refused.
    let po = approved_po(&w).await;
    let other = serde_json::json!({"DocNumber": po.number, "VendorRef": {"value": "56"}, "Line": body["Line"]});
    w.qbo
        .client()
        .create_purchase_order(a.environment, &a.realm_id, &a.token, &other, "other")
        .await
        .unwrap();
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert!(e.message.contains("Duplicate Document Number"), "{b}: {}", e.message);
}

crate::both_backends!(auto_push_on_approval_and_disconnect);
async fn auto_push_on_approval_and_disconnect(b: &'static str) {
    let w = world(b).await;
    w.qbo.push_on_approval();
    let untouched = approved_po(&w).await;
    assert!(untouched.qbo.is_none(), "{b}: auto-push is off by default");
    w.s.update_settings(&SettingsUpdate {
        qbo_auto_push: Some(true),
        ..Default::default()
    })
    .await
    .unwrap();
    // The approval itself pushes: the same path as the page's and a script's.
    let pushed = approved_po(&w).await;
    assert!(pushed.qbo.unwrap().id.is_some(), "{b}");
    let tl = w.s.po_timeline(pushed.id).await.unwrap();
    assert_eq!(tl.last().unwrap().actor.name, "QuickBooks auto-push");
    let refresh = w.fake.valid_refresh_tokens();
    let st = w.qbo.disconnect().await.unwrap();
    assert!(!st.connected);
    assert!(w.fake.revoked().iter().any(|t| refresh.contains(t)), "{b}: revoked at Intuit");
    let po = approved_po(&w).await;
    let e = w.qbo.push(Pusher::User(&w.admin), po.id).await.unwrap_err();
    assert!(e.message.contains("not connected"), "{b}: {}", e.message);
}
