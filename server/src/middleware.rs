//! Middleware: request logging, API error statuses, the sign-in gate for
//! pages. (Route handlers: `routes.rs`.)

use app::context::{user_from_headers, AppState};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Error, ErrorCode};
use std::time::Instant;

/// One line per request: method, path (never the query, which can carry
/// OAuth codes), status and time.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    tracing::info!(target: "http", %method, %path, status = res.status().as_u16(), ms = format!("{:.1}", start.elapsed().as_secs_f64() * 1000.0), "request");
    res
}

/// Server functions answer errors as `{code, message, field}`; this sets the
/// HTTP status that `code` stands for, also for errors raised before the
/// function ran (a body that does not parse, an unknown function).
pub async fn api_errors(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status().is_success() || res.status().is_redirection() {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let err = serde_json::from_slice::<Error>(&bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("Could not find a server function") {
            Error::new(ErrorCode::NotFound, "No such API function.")
        } else if parts.status == StatusCode::METHOD_NOT_ALLOWED {
            Error::new(ErrorCode::Validation, "API functions are called with POST and a JSON body.")
        } else {
            tracing::error!(status = parts.status.as_u16(), body = %text.chars().take(300).collect::<String>(), "API error without a JSON body");
            Error::internal()
        }
    });
    parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(serde_json::to_vec(&err).unwrap_or_default()))
}

/// Pages other than `/login` need a signed-in user; others go to sign in.
/// The user found is kept in the request, so that the page's server
/// functions (rendered with it) do not look the session up again.
pub async fn require_sign_in(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // Server functions check the caller themselves (401 as JSON, not a redirect).
    // The CSV export takes a bearer token too, and answers 401 itself.
    if path == "/login" || path.starts_with("/pkg/") || path.starts_with("/api/") || path == "/purchase-orders/export.csv" {
        return next.run(req).await;
    }
    match user_from_headers(&state.store, req.headers(), state.secure_cookies).await {
        Ok(Some(user)) => {
            req.extensions_mut().insert(user);
            next.run(req).await
        }
        _ => {
            let target = if path == "/" {
                "/login".to_string()
            } else {
                format!("/login?next={}", urlencode(&path))
            };
            Redirect::to(&target).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
