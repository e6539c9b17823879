//! Intuit's reply bodies (`Fault` objects, the lowercase 401, XML for
//! throttling) and the bearer-token check of every API call.

use super::{lock, now, Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Instant;

pub(super) fn random(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

pub(super) fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(body)).into_response()
}

/// QBO's API error body: `{"Fault":{"Error":[..],"type":..},"time":..}`.
pub(super) fn fault_body(kind: &str, code: &str, message: &str, detail: &str, element: Option<&str>) -> Value {
    let mut e = json!({"Message": message, "Detail": detail, "code": code});
    if let Some(el) = element {
        e["element"] = el.into();
    }
    json!({"Fault": {"Error": [e], "type": kind}, "time": now()})
}

pub(super) fn invalid(code: &str, message: &str, detail: &str, element: &str) -> Value {
    fault_body("ValidationFault", code, message, detail, Some(element))
}

/// The 401 QBO sends for a missing, bad or expired access token (note the lowercase keys).
pub(super) fn unauthorized(token: &str) -> Response {
    let head: String = token.chars().take(8).collect();
    let e = json!({"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "detail": format!("Token expired: {head}..."), "code": "3200"});
    let mut r = reply(401, json!({"fault": {"error": [e], "type": "AUTHENTICATION"}, "time": now()}));
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"Intuit\", error=\"invalid_token\""),
    );
    r
}

pub(super) fn throttled(retry_after: Option<u64>) -> Response {
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{}"><Fault type="SERVICE"><Error code="003001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.</Detail></Error></Fault></IntuitResponse>"#,
        now()
    );
    let mut r = (StatusCode::TOO_MANY_REQUESTS, [(header::CONTENT_TYPE, "application/xml")], body).into_response();
    if let Some(secs) = retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    r
}

pub(super) fn bad_body() -> Response {
    Html("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>upstream proxy error</p></body></html>").into_response()
}

pub(super) fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

/// A valid unexpired access token, and the path's realm being ours.
pub(super) fn api_auth(st: &Shared, headers: &HeaderMap, realm: &str) -> Result<(), Response> {
    let token = bearer(headers);
    let s = lock(st);
    if s.access.get(token).is_none_or(|(exp, _)| Instant::now() >= *exp) {
        return Err(unauthorized(token));
    }
    if realm != s.realm {
        let msg = "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403";
        return Err(reply(
            403,
            fault_body("AuthorizationFault", "3100", msg, &format!("Not authorized for company {realm}"), None),
        ));
    }
    Ok(())
}
