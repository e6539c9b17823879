//! Pax8's envelopes (lists, errors), the token check, ids and dates.

use super::{St, PARTNER_AUDIENCE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The `type` of Pax8's error envelope (errors/pax8-problem-types.yml:
/// NOT_FOUND, UNAUTHORIZED, FORBIDDEN, BAD_REQUEST, ...).
fn error_type(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        422 => "UNPROCESSABLE_ENTITY",
        429 => "TOO_MANY_REQUESTS",
        _ => "INTERNAL_SERVER_ERROR",
    }
}

/// A list answer: `{content, page: {size, totalElements, totalPages, number}}`,
/// `size` at most 200 (default 10), pages from 0.
pub(crate) fn page_of(all: Vec<Value>, q: &HashMap<String, String>) -> Value {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let size: usize = q.get("size").and_then(|p| p.parse().ok()).unwrap_or(10).clamp(1, 200);
    let total = all.len();
    let total_pages = total.div_ceil(size);
    let content: Vec<Value> = all.into_iter().skip(page * size).take(size).collect();
    json!({"content": content, "page": {"size": size, "totalElements": total, "totalPages": total_pages, "number": page}})
}

pub(crate) fn pax8_error(status: u16, message: &str, instance: &str, details: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        code,
        Json(json!({"type": error_type(status), "message": message, "instance": instance, "status": status, "details": details})),
    )
        .into_response()
}

pub(crate) fn authorized(st: &Arc<Mutex<St>>, headers: &HeaderMap) -> Result<(), Response> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let s = st.lock().unwrap();
    match s.tokens.iter().find(|(t, _)| t == token) {
        // Partner endpoints take tokens of the partner audience only
        // (REFERENCES.md: the current audience is https://api.pax8.com).
        Some((_, audience)) if audience == PARTNER_AUDIENCE => Ok(()),
        Some(_) => Err(pax8_error(403, "Forbidden: the token is not for the partner API", "/v1", json!([]))),
        None => Err(pax8_error(401, "Unauthorized: invalid or expired token", "/v1", json!([]))),
    }
}

pub(crate) fn new_id(st: &mut St, prefix: &str) -> String {
    st.seq += 1;
    let r: u64 = rand::random();
    format!(
        "{prefix}{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        st.seq,
        (r >> 48) & 0xffff,
        (r >> 36) & 0xfff,
        (r >> 24) & 0xfff,
        r & 0xffff_ffff_ffff
    )
}

pub(crate) fn now() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    // RFC 3339 UTC with microseconds, computed without a date library.
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Today as Pax8 writes `Order.createdDate` (`format: date`).
pub(crate) fn today() -> String {
    now()[..10].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_419), (2025, 11, 27));
        assert_eq!(super::now().len(), "2026-11-27T06:00:00.000000Z".len());
        assert_eq!(super::today().len(), "2026-11-27".len());
    }
}
