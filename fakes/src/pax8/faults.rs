//! The fake's faults: scripted per route, and the load conditions of every
//! call (latency, a rate limit, random faults, held calls).

use super::{pax8_error, St};
use axum::response::Response;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    CreateOrder,
    /// `POST /orders?isMock=true`
    ValidateOrder,
    ListOrders,
    GetOrder,
    GetSubscription,
    ListSubscriptions,
    SubscriptionHistory,
    /// `PUT /subscriptions/{id}`
    UpdateSubscription,
    /// `DELETE /subscriptions/{id}`
    CancelSubscription,
    GetCompany,
    ListCompanies,
    Products,
}

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status (with `Retry-After` seconds, for 429) and do nothing.
    Status(u16, Option<u64>),
    /// Hold the call this long before acting on it, then act and answer
    /// normally. Pax8 documents 408 and 5xx for its partner endpoints, so
    /// slow answers are real; an order call is acted on even when the
    /// caller has hung up meanwhile (a request Pax8 received is processed).
    Delay(Duration),
    /// Make the order, then hold the reply for this long (past the client's timeout).
    LoseReply(Duration),
    /// Make the order, then answer 200 with a body that is not JSON.
    BadBody,
    /// Answer 401 as for an expired token.
    ExpiredToken,
    /// Make the order, then answer this status (a reply lost behind a proxy).
    FailAfter(u16),
}

/// Conditions of every call, for load runs (the default adds nothing).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// Added before every answer.
    pub latency: Duration,
    /// Requests admitted per minute (a token bucket holding one second's
    /// worth); others answer 429 with Retry-After. `None`: no limit.
    pub rate_per_minute: Option<u32>,
    /// Share (0..1) of admitted order, order-list and subscription calls that
    /// meet a random fault: half answer 503 having done nothing, half of the
    /// orders are made and then answered 502.
    pub fault_ratio: f64,
    /// A further share (0..1) of admitted order calls that are made and
    /// then answered 502 (an unclear outcome).
    pub unclear_ratio: f64,
    /// Share (0..1) of admitted order, validation, order-list, order and
    /// subscription calls held for [`Conditions::hold`] before they act
    /// (the order is still made when the caller has gone).
    pub hold_ratio: f64,
    pub hold: Duration,
}

/// A token bucket: `rate` per second, holding at most `burst`.
pub(super) struct Bucket {
    pub(super) tokens: f64,
    pub(super) at: std::time::Instant,
}

/// What happens to a call under the [`Conditions`]: admitted (perhaps with a
/// random fault), or refused by the rate limit after this many seconds.
enum Admission {
    /// A hold before acting, and a fault.
    Admitted(Duration, Option<Fault>),
    Throttled(u64),
}

fn admit(s: &mut St, route: Route) -> Admission {
    if let (Some(rate), Some(b)) = (s.conditions.rate_per_minute, s.bucket.as_mut()) {
        let per_sec = f64::from(rate.max(1)) / 60.0;
        let now = std::time::Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(per_sec.max(1.0));
        b.at = now;
        if b.tokens < 1.0 {
            s.throttled += 1;
            return Admission::Throttled(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64);
        }
        b.tokens -= 1.0;
    }
    let holdable = matches!(
        route,
        Route::CreateOrder
            | Route::ValidateOrder
            | Route::ListOrders
            | Route::GetOrder
            | Route::GetSubscription
            | Route::UpdateSubscription
            | Route::CancelSubscription
    );
    let hold = if holdable && s.conditions.hold_ratio > 0.0 && rand::random::<f64>() < s.conditions.hold_ratio {
        s.held += 1;
        s.conditions.hold
    } else {
        Duration::ZERO
    };
    let ratio = s.conditions.fault_ratio;
    if route != Route::Token && ratio > 0.0 && rand::random::<f64>() < ratio {
        s.injected += 1;
        let after = writes(route) && rand::random::<bool>();
        return Admission::Admitted(hold, Some(if after { Fault::FailAfter(502) } else { Fault::Status(503, None) }));
    }
    if writes(route) && s.conditions.unclear_ratio > 0.0 && rand::random::<f64>() < s.conditions.unclear_ratio {
        s.injected += 1;
        return Admission::Admitted(hold, Some(Fault::FailAfter(502)));
    }
    Admission::Admitted(hold, None)
}

/// Routes that change something at Pax8 (a fault may strike after the change).
fn writes(route: Route) -> bool {
    matches!(route, Route::CreateOrder | Route::UpdateSubscription | Route::CancelSubscription)
}

/// Counts the request and takes the next fault for the route (scripted
/// faults first, then those of the conditions).
async fn next_fault(st: &Arc<Mutex<St>>, route: Route) -> Result<Option<Fault>, Response> {
    let (latency, admission, scripted) = {
        let mut s = st.lock().unwrap();
        *s.requests.entry(route).or_default() += 1;
        let scripted = s.faults.get_mut(&route).and_then(|q| q.pop_front());
        (s.conditions.latency, admit(&mut s, route), scripted)
    };
    let hold = match admission {
        Admission::Admitted(hold, _) => hold,
        Admission::Throttled(_) => Duration::ZERO,
    };
    if !(latency + hold).is_zero() {
        tokio::time::sleep(latency + hold).await;
    }
    match admission {
        Admission::Throttled(secs) => {
            let mut res = pax8_error(429, "Rate limit exceeded", "/v1", json!([]));
            res.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            Err(res)
        }
        Admission::Admitted(_, random) => Ok(scripted.or(random)),
    }
}

/// Applies the faults that happen before any work; returns the rest.
pub(crate) async fn before(st: &Arc<Mutex<St>>, route: Route) -> Result<Option<Fault>, Response> {
    match next_fault(st, route).await? {
        Some(Fault::Status(code, retry)) => {
            let mut res = pax8_error(code, "Injected fault", "/v1", json!([]));
            if let Some(r) = retry {
                res.headers_mut().insert("retry-after", r.to_string().parse().unwrap());
            }
            Err(res)
        }
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            Ok(None)
        }
        Some(Fault::ExpiredToken) => Err(pax8_error(401, "Token expired", "/v1", json!([]))),
        other => Ok(other),
    }
}
