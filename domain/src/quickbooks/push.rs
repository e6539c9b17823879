//! Pushing an approved PO to QuickBooks, idempotently.
//!
//! Each PO carries a `requestid` minted at its first push and sent again on
//! every retry, so QBO answers a repeat with the purchase order it already
//! made (a timeout, a lost reply, a double click). The id is replaced only
//! after QBO gave a definite refusal (a `Fault`), because QBO would
//! otherwise repeat that refusal forever. Before resending after an unclear
//! outcome, and when QBO says the number is taken (6140), the POs with that
//! `DocNumber` (QBO may hold several) are looked up, every page, and the one
//! for our vendor is adopted. The company's setup (country, currencies) is
//! read at connect; a connection made before that is read at the first push. Transient failures
//! (throttling, 5xx, timeouts, unreachable) are retried by the worker with
//! backoff; every push and failure lands on the PO's timeline.

use super::client::{QboError, DUPLICATE_DOC_NUMBER};
use super::connection::{AccessError, Qbo};
use super::{purchase_order_body, PushInput, PushLine, QboCompany};
use crate::purchase_orders::writes::qbo as qbo_columns;
use crate::purchase_orders::EventKind;
use crate::purchase_orders::{timeline_event, Approved, PurchaseOrder};
use crate::store::follow::{Follows, Step};
use crate::users::User;
use crate::{clock, Error, ErrorCode, Result, Store};
use serde_json::{json, Value};
use sqlx::Row;

/// Automatic retries of a transient failure before a person must press Retry.
pub const MAX_AUTO_ATTEMPTS: i64 = 5;
/// Throttling waits shorter than this are waited out inline.
const INLINE_WAIT_SECS: u64 = 5;

/// Who pushes: a person, or the server itself (named on the timeline).
#[derive(Clone, Copy)]
pub enum Pusher<'a> {
    User(&'a User),
    System(&'a str),
}

impl Pusher<'_> {
    fn user(&self) -> Option<&User> {
        match self {
            Pusher::User(u) => Some(u),
            Pusher::System(_) => None,
        }
    }
    fn name(&self) -> &str {
        match self {
            Pusher::User(u) => &u.name,
            Pusher::System(s) => s,
        }
    }
}

/// What a failed push means for the next one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    /// QBO refused: the next push needs a new requestid.
    NewRequest,
    /// Nothing definite happened; keep the requestid, retry by itself later.
    RetryLater,
    /// Keep the requestid; a person must act (mapping, connection).
    Wait,
}

fn minutes_for(attempt: i64) -> i64 {
    1 << (attempt - 1).clamp(0, 6)
}

impl Qbo {
    /// Pushes an approved PO. A PO already in QuickBooks is returned as it
    /// is, nothing sent. A failure is recorded on the PO, then returned.
    pub async fn push(&self, by: Pusher<'_>, po_id: i64) -> Result<PurchaseOrder> {
        let po = match by {
            Pusher::User(u) => self.store.authorize(u, po_id, crate::purchase_orders::rules::Action::Push).await?,
            Pusher::System(_) => self.store.get_po(po_id).await?,
        };
        if po.qbo.as_ref().is_some_and(|q| q.id.is_some()) {
            return Ok(po);
        }
        if !super::pushable(po.status) {
            return Err(Error::conflict(format!(
                "Only approved purchase orders go to QuickBooks; {} is {}.",
                po.number,
                po.status.label().to_lowercase()
            )));
        }
        let Some((request_id, attempt)) = self.claim(po_id).await? else {
            return self.store.get_po(po_id).await;
        };
        let mut input = self.push_input(&po).await?;
        let company = match self.company_for_push().await {
            Ok(c) => c,
            Err(e) => return self.access_failed(by, &po, e).await,
        };
        if company.multicurrency {
            if let Some(id) = input.qbo_vendor_id.clone().filter(|v| !v.trim().is_empty()) {
                let id = &id;
                let read = self
                    .authed_raw(|a| async move { self.client().vendor(a.environment, &a.realm_id, &a.token, id.trim()).await })
                    .await;
                match read {
                    Ok(v) => input.vendor_currency = v["CurrencyRef"]["value"].as_str().map(String::from),
                    Err(e) => return self.access_failed(by, &po, e).await,
                }
            }
        }
        let body = match purchase_order_body(&input, &self.mapping().await?, &company) {
            Ok(b) => b,
            Err(e) => return self.failed(by, &po, &e.message, Next::Wait, e.clone()).await,
        };
        let vendor_ref = body["VendorRef"]["value"].as_str().unwrap_or_default().to_string();
        // An earlier attempt with this requestid may have made it: look first.
        if attempt > 1 {
            match self.find_ours(&po.number, &vendor_ref).await {
                Ok(Some(found)) => return self.pushed(by, &po, &found, &request_id, true).await,
                Ok(None) => {}
                Err(e) => return self.access_failed(by, &po, e).await,
            }
        }
        let (body, rid) = (&body, &request_id);
        let send = || self.authed_raw(|a| async move { self.client().create_purchase_order(a.environment, &a.realm_id, &a.token, body, rid).await });
        let mut result = send().await;
        if let Err(AccessError::Qbo(QboError::Throttled(Some(s)))) = &result {
            if *s <= INLINE_WAIT_SECS {
                tokio::time::sleep(std::time::Duration::from_secs(*s)).await;
                result = send().await;
            }
        }
        match result {
            Ok(created) => self.pushed(by, &po, &created, &request_id, false).await,
            Err(AccessError::Qbo(e)) if e.has_code(DUPLICATE_DOC_NUMBER) => match self.find_ours(&po.number, &vendor_ref).await {
                Ok(Some(found)) => self.pushed(by, &po, &found, &request_id, true).await,
                _ => self.access_failed(by, &po, AccessError::Qbo(e)).await,
            },
            Err(e) => self.access_failed(by, &po, e).await,
        }
    }

    /// Pushes each PO as it is approved, when the admin turned auto-push
    /// on: the same path for every approval (a page, a script, the demo).
    /// The server calls this once QuickBooks is configured.
    pub fn push_on_approval(&self) {
        self.store.follow(AutoPush(self.clone()));
    }

    /// Retries pushes whose transient failure is due; returns how many ran.
    pub async fn retry_due(&self) -> Result<usize> {
        let due: Vec<(i64, String)> = sqlx::query("SELECT id, qbo_retry_at FROM purchase_orders WHERE qbo_retry_at IS NOT NULL AND qbo_retry_at <= $1 AND qbo_id IS NULL ORDER BY qbo_retry_at LIMIT 20")
            .bind(clock::now())
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("qbo_retry_at")?)))
            .collect::<Result<_>>()?;
        let mut ran = 0;
        for (id, at) in due {
            // Claimed by whoever clears the retry time first (several instances).
            if qbo_columns::claim_retry(&self.store, id, &at).await? {
                ran += 1;
                let _ = self.push(Pusher::System("QuickBooks retry"), id).await;
            }
        }
        Ok(ran)
    }

    /// The company's setup as stored, or read now (a connection made before it was kept).
    async fn company_for_push(&self) -> std::result::Result<QboCompany, AccessError> {
        if let Some(c) = self.company().await.map_err(AccessError::Store)? {
            return Ok(c);
        }
        let (_, c) = self.authed_raw(|a| async move { self.read_company(&a).await }).await?;
        self.save_company(Some(&c)).await.map_err(AccessError::Store)?;
        Ok(c)
    }

    /// Mints or reuses the PO's requestid; `None` when it was pushed meanwhile.
    async fn claim(&self, po_id: i64) -> Result<Option<(String, i64)>> {
        let mut tx = self.store.begin_write().await?;
        let r = sqlx::query(&format!(
            "SELECT qbo_id, qbo_request_id, qbo_attempts FROM purchase_orders WHERE id = $1{}",
            self.store.for_update()
        ))
        .bind(po_id)
        .fetch_one(&mut *tx)
        .await?;
        if r.try_get::<Option<String>, _>("qbo_id")?.is_some() {
            return Ok(None);
        }
        let (rid, attempt) = match r.try_get::<Option<String>, _>("qbo_request_id")? {
            Some(rid) => (rid, r.try_get::<i64, _>("qbo_attempts")? + 1),
            // QBO takes requestids of up to 50 characters.
            None => (
                format!("nexos-{po_id}-{}", crate::users::secrets::new_secret("").chars().take(24).collect::<String>()),
                1,
            ),
        };
        qbo_columns::record_attempt(&mut tx, po_id, &rid, attempt).await?;
        tx.commit().await?;
        Ok(Some((rid, attempt)))
    }

    async fn push_input(&self, po: &PurchaseOrder) -> Result<PushInput> {
        let vendor = self.store.get_vendor(po.vendor.id).await?;
        let mut lines = Vec::with_capacity(po.lines.len());
        for l in &po.lines {
            let item = match l.product_id {
                Some(p) => self.store.get_product(p).await.ok().and_then(|p| p.qbo_item_id),
                None => None,
            };
            lines.push(PushLine {
                description: l.description.clone(),
                quantity: l.quantity,
                unit_cost_cents: l.unit_cost_cents,
                qbo_item_id: item,
            });
        }
        Ok(PushInput {
            number: po.number.clone(),
            vendor_name: vendor.name,
            qbo_vendor_id: vendor.qbo_vendor_id,
            company: po.company.name.clone(),
            ticket: po.ticket.as_ref().map(|t| t.name.clone()),
            project: po.project.as_ref().map(|p| p.name.clone()),
            notes: po.notes.clone(),
            lines,
            currency: po.currency.clone(),
            vendor_currency: None,
        })
    }

    /// The QBO purchase order with this number for this vendor, among every
    /// one with the number (QBO allows duplicates unless the company forbids them).
    async fn find_ours(&self, number: &str, vendor_ref: &str) -> std::result::Result<Option<Value>, AccessError> {
        let found = self
            .authed_raw(|a| async move { self.client().find_purchase_orders(a.environment, &a.realm_id, &a.token, number).await })
            .await?;
        Ok(found.into_iter().find(|f| f["VendorRef"]["value"].as_str() == Some(vendor_ref)))
    }

    async fn pushed(&self, by: Pusher<'_>, po: &PurchaseOrder, created: &Value, request_id: &str, adopted: bool) -> Result<PurchaseOrder> {
        let qbo_id = created["Id"].as_str().unwrap_or_default().to_string();
        let mut tx = self.store.begin_write().await?;
        if qbo_columns::record_pushed(&mut tx, po.id, &qbo_id).await? {
            let message = if adopted {
                format!("In QuickBooks as purchase order {qbo_id} (found there from an earlier attempt; not sent again)")
            } else {
                format!("Pushed to QuickBooks as purchase order {qbo_id}")
            };
            let data = json!({"qbo_id": qbo_id, "request_id": request_id, "doc_number": po.number, "adopted": adopted});
            timeline_event(&mut tx, po.id, by.user(), by.name(), EventKind::QboPushed, &message, data).await?;
            tracing::info!(po = po.id, qbo_id = %qbo_id, adopted, "pushed to QuickBooks");
        }
        tx.commit().await?;
        self.store.get_po(po.id).await
    }

    async fn access_failed(&self, by: Pusher<'_>, po: &PurchaseOrder, e: AccessError) -> Result<PurchaseOrder> {
        let next = match &e {
            AccessError::Store(err) => return Err(err.clone()),
            AccessError::NotConnected => Next::Wait,
            AccessError::Qbo(q) if q.transient() => Next::RetryLater,
            AccessError::Qbo(QboError::Fault { .. }) => Next::NewRequest,
            AccessError::Qbo(_) => Next::Wait,
        };
        let plain = e.plain();
        self.failed(by, po, &plain, next, e.into_error()).await
    }

    /// Records a failed push on the PO and its timeline, then returns `err`.
    async fn failed(&self, by: Pusher<'_>, po: &PurchaseOrder, message: &str, next: Next, err: Error) -> Result<PurchaseOrder> {
        let mut tx = self.store.begin_write().await?;
        let r = sqlx::query(&format!(
            "SELECT qbo_id, qbo_attempts FROM purchase_orders WHERE id = $1{}",
            self.store.for_update()
        ))
        .bind(po.id)
        .fetch_one(&mut *tx)
        .await?;
        if r.try_get::<Option<String>, _>("qbo_id")?.is_some() {
            // A concurrent push made it; this failure is moot.
            tx.commit().await?;
            return self.store.get_po(po.id).await;
        }
        let attempts: i64 = r.try_get("qbo_attempts")?;
        let retry_at = (next == Next::RetryLater && attempts < MAX_AUTO_ATTEMPTS).then(|| clock::from_now(chrono::Duration::minutes(minutes_for(attempts))));
        let rotate = next == Next::NewRequest;
        qbo_columns::record_failure(&mut tx, po.id, message, retry_at.as_deref(), rotate).await?;
        let mut text = format!("Push to QuickBooks failed: {message}");
        if let Some(at) = &retry_at {
            text.push_str(&format!(" Retrying by itself at {} UTC.", &at[11..16]));
        }
        let data = json!({"error": message, "retry_at": retry_at, "attempt": attempts, "new_request_next": rotate});
        timeline_event(&mut tx, po.id, by.user(), by.name(), EventKind::QboPushFailed, &text, data).await?;
        tx.commit().await?;
        tracing::warn!(po = po.id, "push to QuickBooks failed: {message}");
        Err(match err.code {
            ErrorCode::Validation | ErrorCode::Upstream => err,
            _ => Error::new(ErrorCode::Upstream, message),
        })
    }
}

/// QuickBooks' auto-push, after an approval commits. A failure is on the PO
/// (and retried); the approval stands.
struct AutoPush(Qbo);

impl Follows<Approved> for AutoPush {
    fn after<'a>(&'a self, _store: &'a Store, approved: &'a Approved) -> Step<'a> {
        Box::pin(async move {
            if !approved.settings.qbo_auto_push {
                return Ok(());
            }
            if let Err(e) = self.0.push(Pusher::System("QuickBooks auto-push"), approved.po_id).await {
                tracing::warn!(po = approved.po_id, "auto-push to QuickBooks failed: {}", e.message);
            }
            Ok(())
        })
    }
}
