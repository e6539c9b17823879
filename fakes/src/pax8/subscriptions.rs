//! The fake's subscriptions: list, read, history, change, cancel; and the
//! changes a person makes "in the portal". From Pax8's partner OpenAPI
//! (`/subscriptions` and `/subscriptions/{subscriptionId}` with `put`,
//! `delete`, `/history`), and where it is silent the least convenient
//! reading:
//!
//! - `Subscription` has no `required` and no `nullable`: fields Pax8 has no
//!   value for are null (`commitmentTerm` on a monthly subscription, as
//!   Pax8's CLI saw on the wire; `updatedDate` before the first change).
//! - `GET /subscriptions`: filters `companyId`, `productId`, `status`,
//!   `billingTerm`; `page`/`size` (at most 200) in the orders' envelope. No
//!   order is documented: newest first, so one made while a reader pages
//!   pushes the rest down a place (a reader sees one twice).
//! - `PUT` takes "at least one of Price, BillingTerm, Quantity, StartDate"
//!   (422 otherwise); `price`, `partnerCost` and `currencyCode` are writable
//!   and what is sent is kept. No key and no version: a repeated identical
//!   PUT is a new change, with its own history entry and billing line.
//! - A decrease while the commitment has not ended is refused with 422
//!   when the product's commitment does not `allowForQuantityDecrease`
//!   (Pax8's CLI: "Quantity decreases mid-commitment: blocked"); likewise
//!   an increase without `allowForQuantityIncrease`. Only an `Active`
//!   subscription is changed (the others: 422).
//! - Refusals answer Pax8's documented `Error` body, or `{"errors": [...]}`
//!   (what Pax8's CLI reports for subscription updates) when told to.
//! - `DELETE ?cancelDate=` (date-time, optional): 204 with no body; a date
//!   ahead leaves it `PendingCancel` until then, none or one past cancels
//!   now. Before the commitment ends without `allowForEarlyCancellation`:
//!   422 (the CLI's "marketplace rejected the cancellation"). A second
//!   DELETE is a new write (204 again, another billing line).
//! - A commitment whose end has passed renews for another term when its
//!   product's commitment `autoRenew`s (`/dependencies`); for
//!   `renewalWindowDaysAfterTermEnd` days after (7, Microsoft's) fewer
//!   seats are allowed. Pax8 does not say whether a renewal touches
//!   `updatedDate`: here it does.
//! - `/history`: `{content: [Subscription]}`, full snapshots, not paged,
//!   newest first (as the reference's example).
//! - Writes are acted on even when the caller has hung up (as orders).

use super::orders::detached;
use super::*;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// What a product's commitment allows (`/products/{id}/dependencies`,
/// `Commitment`). Pax8 calls this dynamic data: a test may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentRules {
    pub allow_increase: bool,
    pub allow_decrease: bool,
    pub allow_early_cancellation: bool,
    pub cancellation_fee: bool,
    pub auto_renew: bool,
}

impl Default for CommitmentRules {
    /// As Microsoft's new-commerce licences: more seats any time, fewer
    /// only at renewal, no early cancellation.
    fn default() -> Self {
        CommitmentRules {
            allow_increase: true,
            allow_decrease: false,
            allow_early_cancellation: false,
            cancellation_fee: false,
            auto_renew: true,
        }
    }
}

/// A subscription as the fake keeps it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sub {
    pub(crate) id: String,
    pub(crate) product_id: String,
    pub(crate) company_id: String,
    pub(crate) quantity: i64,
    pub(crate) polls: usize,
    /// Provisioning is over (one made before the fake started, or changed
    /// since): `Active` whatever the polls.
    pub(crate) settled: bool,
    pub(crate) cancelled: bool,
    /// A cancellation to come (`PendingCancel` until then).
    pub(crate) cancel_on: Option<String>,
    pub(crate) billing_term: String,
    /// `(id, term, endDate)`.
    pub(crate) commitment: Option<(String, String, String)>,
    pub(crate) price: f64,
    pub(crate) partner_cost: f64,
    pub(crate) currency: String,
    pub(crate) created: String,
    pub(crate) updated: Option<String>,
    pub(crate) start: String,
    /// Earlier snapshots, oldest first.
    pub(crate) history: Vec<Value>,
    /// When the commitment last renewed by itself (the old end).
    pub(crate) renewed_at: Option<String>,
    /// Creation order, for "newest first".
    pub(crate) seq: u64,
}

/// `date` (RFC 3339 or a plain date) moved `years` ahead, as a date-time.
pub(crate) fn years_after(date: &str, years: i64) -> String {
    let y: i64 = date.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    let (m, d) = (date.get(5..7).unwrap_or("01"), date.get(8..10).unwrap_or("01"));
    let d = if m == "02" && d == "29" { "28" } else { d };
    format!("{:04}-{m}-{d}T00:00:00Z", y + years)
}

/// How long a commitment term runs, in years (`term` is free text in the
/// reference: "1-Year", "Annual", "3-Year").
pub(crate) fn term_years(term: &str) -> i64 {
    match term.to_ascii_lowercase().as_str() {
        t if t.starts_with('2') => 2,
        t if t.starts_with('3') => 3,
        _ => 1,
    }
}

impl Sub {
    /// A subscription made now at the fake's rate (its customer price and
    /// partner cost), `seq` its place in creation order.
    pub(crate) fn new(
        id: &str,
        company: &str,
        product: &str,
        quantity: i64,
        billing_term: &str,
        commitment: Option<(String, String, String)>,
        seq: u64,
    ) -> Sub {
        let at = now();
        Sub {
            id: id.into(),
            product_id: product.into(),
            company_id: company.into(),
            quantity,
            billing_term: billing_term.into(),
            commitment,
            price: 26.0,
            partner_cost: 22.0,
            currency: "USD".into(),
            created: at.clone(),
            start: at,
            seq,
            ..Default::default()
        }
    }

    fn status(&self, s: &St) -> String {
        match &self.cancel_on {
            _ if self.cancelled => return "Cancelled".into(),
            Some(on) if second(on) <= second(&now()) => return "Cancelled".into(),
            Some(_) => return "PendingCancel".into(),
            None => {}
        }
        let script = s.product(&self.product_id).map(|r| r.statuses.clone()).unwrap_or_default();
        if !script.is_empty() {
            return script[self.polls.saturating_sub(1).min(script.len() - 1)].clone();
        }
        if self.settled || self.polls > s.activate_after as usize {
            "Active".into()
        } else {
            "PendingAutomated".into()
        }
    }

    pub(crate) fn json(&self, s: &St) -> Value {
        let name = s.product(&self.product_id).map(|r| r.name.clone()).filter(|n| !n.is_empty());
        json!({
            "id": self.id, "companyId": self.company_id, "productId": self.product_id,
            "productName": name.unwrap_or_else(|| self.product_id.clone()),
            "quantity": self.quantity, "status": self.status(s), "billingTerm": self.billing_term,
            "price": self.price, "partnerCost": self.partner_cost, "currencyCode": self.currency,
            "createdDate": self.created, "updatedDate": self.updated, "startDate": self.start,
            "endDate": self.cancel_on, "billingStart": self.start.get(..10),
            "vendorSubscriptionId": null, "parentSubscriptionId": null,
            "commitmentTerm": self.commitment.as_ref().map(|(id, term, end)| json!({"id": id, "term": term, "endDate": end})),
        })
    }

    /// Whether the commitment runs past now.
    fn committed(&self) -> bool {
        self.commitment.as_ref().is_some_and(|(_, _, end)| second(end) > second(&now()))
    }

    /// Within the days after a renewal in which fewer seats are allowed.
    fn in_renewal_window(&self) -> bool {
        let Some(at) = self.renewed_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
            return false;
        };
        chrono::Utc::now() < at + chrono::Duration::days(RENEWAL_WINDOW_DAYS)
    }
}

/// `renewalWindowDaysAfterTermEnd` of every commitment here.
pub(crate) const RENEWAL_WINDOW_DAYS: i64 = 7;

impl St {
    /// Renews every commitment that has ended, where its product's
    /// commitment renews by itself: the end moves on by the term.
    pub(crate) fn renew_due(&mut self) {
        let at = now();
        let renewing: Vec<String> = self
            .subs
            .values()
            .filter(|sub| !sub.cancelled && sub.cancel_on.is_none())
            .filter(|sub| self.product(&sub.product_id).is_none_or(|r| r.commitment_rules.auto_renew))
            .filter(|sub| sub.commitment.as_ref().is_some_and(|(_, _, end)| second(end) <= second(&at)))
            .map(|sub| sub.id.clone())
            .collect();
        for id in renewing {
            if let Some(sub) = self.subs.get_mut(&id) {
                if let Some((_, term, end)) = sub.commitment.as_mut() {
                    let old = end.clone();
                    while second(end) <= second(&at) {
                        *end = years_after(end, term_years(term));
                    }
                    sub.renewed_at = Some(if old.len() == 10 { format!("{old}T00:00:00Z") } else { old });
                    sub.updated = Some(at.clone());
                }
            }
        }
    }

    /// A write to a subscription: the state before goes to its history,
    /// the change gets its own billing line.
    pub(crate) fn record_change(&mut self, id: &str, apply: impl FnOnce(&mut Sub)) {
        let before = self.subs.get(id).map(|sub| sub.json(self));
        let at = now();
        if let Some(sub) = self.subs.get_mut(id) {
            sub.history.extend(before);
            sub.settled = true;
            apply(sub);
            sub.updated = Some(at.clone());
            let line = json!({"subscriptionId": id, "quantity": sub.quantity, "at": at, "type": "prorate"});
            self.billing_lines.push(line);
        }
    }
}

/// A UTC date-time (`Z`, any fraction) or a day, to the second, for
/// comparing instants however they were written: `cancelDate` is a
/// date-time in the reference, and a client may send any precision.
fn second(t: &str) -> String {
    let t = t.trim_end_matches('Z');
    match t.len() {
        10 => format!("{t}T00:00:00"),
        _ => t.get(..19).unwrap_or(t).to_string(),
    }
}

/// A refusal: Pax8's documented body, or `{"errors": [...]}`.
fn refused(s: &St, status: u16, message: &str, instance: &str) -> Response {
    if s.errors_list_refusals {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        return (code, Json(json!({"errors": [message]}))).into_response();
    }
    pax8_error(
        status,
        message,
        instance,
        json!([{"type": "INVALID_PARAM", "status": status, "message": message, "instance": instance}]),
    )
}

async fn gate(st: &Arc<Mutex<St>>, headers: &HeaderMap, route: Route) -> Result<Option<Fault>, Response> {
    let after = before(st, route).await?;
    authorized(st, headers)?;
    Ok(after)
}

/// What a write's fault does once the write was made.
async fn answer(after: Option<Fault>, ok: Response, instance: &str) -> Response {
    match after {
        Some(Fault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            ok
        }
        Some(Fault::BadBody) => (StatusCode::OK, "<html>upstream proxy error</html>").into_response(),
        Some(Fault::FailAfter(code)) => pax8_error(code, "Bad gateway", instance, json!([])),
        _ => ok,
    }
}

pub(crate) async fn list(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::ListSubscriptions).await {
        return r;
    }
    let mut s = st.lock().unwrap();
    s.renew_due();
    let mut subs: Vec<&Sub> = s.subs.values().collect();
    subs.sort_by_key(|s| std::cmp::Reverse(s.seq));
    let all: Vec<Value> = subs
        .into_iter()
        .map(|sub| sub.json(&s))
        .filter(|j| {
            ["companyId", "productId", "status", "billingTerm"]
                .iter()
                .all(|k| q.get(*k).is_none_or(|want| j[*k].as_str() == Some(want.as_str())))
        })
        .collect();
    Json(page_of(all, &q)).into_response()
}

pub(crate) async fn get_one(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::GetSubscription).await {
        return r;
    }
    let mut s = st.lock().unwrap();
    s.renew_due();
    let Some(sub) = s.subs.get_mut(&id) else {
        return pax8_error(404, "Subscription not found", &format!("/v1/subscriptions/{id}"), json!([]));
    };
    sub.polls += 1;
    let sub = sub.clone();
    Json(sub.json(&s)).into_response()
}

pub(crate) async fn history(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&st, &headers, Route::SubscriptionHistory).await {
        return r;
    }
    let s = st.lock().unwrap();
    let Some(sub) = s.subs.get(&id) else {
        return pax8_error(404, "Subscription not found", &format!("/v1/subscriptions/{id}/history"), json!([]));
    };
    let mut content: Vec<Value> = sub.history.clone();
    content.push(sub.json(&s));
    content.reverse();
    Json(json!({"content": content})).into_response()
}

/// `PUT`, run apart from the connection (see [`detached`]).
pub(crate) async fn update_detached(state: State<Arc<Mutex<St>>>, headers: HeaderMap, path: Path<String>, body: Json<Value>) -> Response {
    detached(update(state, headers, path, body), "/v1/subscriptions").await
}

async fn update(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let after = match gate(&st, &headers, Route::UpdateSubscription).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let instance = format!("/v1/subscriptions/{id}");
    let json = {
        let mut s = st.lock().unwrap();
        s.renew_due();
        let Some(sub) = s.subs.get(&id).cloned() else {
            return pax8_error(404, "Subscription not found", &instance, json!([]));
        };
        if !["price", "billingTerm", "quantity", "startDate"]
            .iter()
            .any(|k| body.get(*k).is_some_and(|v| !v.is_null()))
        {
            return refused(&s, 422, "At least one of price, billingTerm, quantity or startDate is required", &instance);
        }
        if sub.status(&s) != "Active" {
            return refused(
                &s,
                422,
                &format!("Subscription is {}; only Active subscriptions can be updated", sub.status(&s)),
                &instance,
            );
        }
        let rules = s.product(&sub.product_id).map(|r| r.commitment_rules.clone()).unwrap_or_default();
        if let Some(q) = body.get("quantity") {
            let Some(q) = q.as_i64().filter(|q| *q >= 1) else {
                return refused(&s, 422, "Quantity must be a whole number of at least 1", &instance);
            };
            if sub.committed() && q < sub.quantity && !rules.allow_decrease && !sub.in_renewal_window() {
                return refused(&s, 422, "Quantity decreases are not permitted during the commitment term", &instance);
            }
            if sub.committed() && q > sub.quantity && !rules.allow_increase {
                return refused(&s, 422, "Quantity increases are not permitted during the commitment term", &instance);
            }
        }
        s.record_change(&id, |sub| {
            if let Some(q) = body.get("quantity").and_then(|v| v.as_i64()) {
                sub.quantity = q;
            }
            if let Some(t) = body.get("billingTerm").and_then(|v| v.as_str()) {
                sub.billing_term = t.into();
            }
            // Writable, so whatever is sent replaces the rate.
            if let Some(p) = body.get("price").and_then(|v| v.as_f64()) {
                sub.price = p;
            }
            if let Some(p) = body.get("partnerCost").and_then(|v| v.as_f64()) {
                sub.partner_cost = p;
            }
            if let Some(c) = body.get("currencyCode").and_then(|v| v.as_str()) {
                sub.currency = c.into();
            }
        });
        s.writes_applied += 1;
        let sub = s.subs.get(&id).cloned().expect("present");
        sub.json(&s)
    };
    answer(after, Json(json).into_response(), &instance).await
}

/// `DELETE`, run apart from the connection (see [`detached`]).
pub(crate) async fn cancel_detached(state: State<Arc<Mutex<St>>>, headers: HeaderMap, path: Path<String>, query: Query<HashMap<String, String>>) -> Response {
    detached(cancel(state, headers, path, query), "/v1/subscriptions").await
}

async fn cancel(State(st): State<Arc<Mutex<St>>>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let after = match gate(&st, &headers, Route::CancelSubscription).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let instance = format!("/v1/subscriptions/{id}");
    {
        let mut s = st.lock().unwrap();
        s.renew_due();
        let Some(sub) = s.subs.get(&id).cloned() else {
            return pax8_error(404, "Subscription not found", &instance, json!([]));
        };
        let rules = s.product(&sub.product_id).map(|r| r.commitment_rules.clone()).unwrap_or_default();
        let date = q.get("cancelDate").filter(|d| !d.is_empty()).cloned();
        let ends = sub.commitment.as_ref().map(|(_, _, end)| end.clone());
        let early = match (&ends, &date) {
            (Some(end), Some(d)) => second(d) < second(end),
            (Some(_), None) => sub.committed(),
            (None, _) => false,
        };
        if early && !rules.allow_early_cancellation {
            return refused(&s, 422, "This subscription cannot be cancelled before its commitment ends", &instance);
        }
        let ahead = date.clone().filter(|d| second(d) > second(&now()));
        s.record_change(&id, |sub| match ahead {
            Some(d) => sub.cancel_on = Some(d),
            None => sub.cancelled = true,
        });
        s.writes_applied += 1;
    }
    answer(after, StatusCode::NO_CONTENT.into_response(), &instance).await
}
