//! The fake's faults, scripted per route, and where each one acts.

use super::replies::{bad_body, bearer, fault_body, invalid, reply, throttled, unauthorized};
use super::{lock, Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QboRoute {
    Authorize,
    Token,
    Revoke,
    CreatePurchaseOrder,
    Query,
    CompanyInfo,
    Preferences,
    ReadVendor,
}

#[derive(Debug, Clone)]
pub enum QboFault {
    /// Answer this HTTP status with a plain body (e.g. 500/503) and do nothing.
    Status(u16),
    /// 429 throttling, as QBO sends it: an XML body even when JSON was asked (Content-Type application/xml), optional Retry-After seconds.
    Throttle(Option<u64>),
    /// 400 with a JSON `Fault` body of type "ValidationFault": code, message, detail, element.
    Validation {
        code: String,
        message: String,
        detail: String,
        element: String,
    },
    /// 200 whose JSON body is a `Fault` (type "SystemFault"), nothing created.
    FaultIn200 { code: String, message: String, detail: String },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Do the work (create the PO, remember the requestid), then hold the reply this long (past the client's timeout).
    /// On routes other than CreatePurchaseOrder it only delays, before the work.
    LoseReply(Duration),
    /// Do the work, then answer 200 with a body that is not JSON (e.g. an HTML proxy page).
    /// On routes other than CreatePurchaseOrder nothing is done (no token is minted or rotated).
    BadBody,
    /// Answer 401 as QBO does for an expired access token, whatever token was sent.
    ExpiredToken,
}

/// Counts the request and applies the faults that happen before any work. With `after_work`
/// (the create route) LoseReply and BadBody are handed back to apply after the work.
pub(super) async fn before(st: &Shared, route: QboRoute, headers: &HeaderMap, after_work: bool) -> Result<Option<QboFault>, Response> {
    let fault = {
        let mut s = lock(st);
        *s.requests.entry(route).or_default() += 1;
        s.faults.get_mut(&route).and_then(|q| q.pop_front())
    };
    match fault {
        None => Ok(None),
        Some(QboFault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Err((status, format!("{status}\n")).into_response())
        }
        Some(QboFault::Throttle(retry)) => Err(throttled(retry)),
        Some(QboFault::Validation {
            code,
            message,
            detail,
            element,
        }) => Err(reply(400, invalid(&code, &message, &detail, &element))),
        Some(QboFault::FaultIn200 { code, message, detail }) => Err(reply(200, fault_body("SystemFault", &code, &message, &detail, None))),
        Some(QboFault::ExpiredToken) => Err(unauthorized(bearer(headers))),
        Some(f @ (QboFault::LoseReply(_) | QboFault::BadBody)) if after_work => Ok(Some(f)),
        Some(QboFault::Delay(d) | QboFault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            Ok(None)
        }
        Some(QboFault::BadBody) => Err(bad_body()),
    }
}
