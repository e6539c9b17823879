//! Request logging, API error statuses, the sign-in gate for pages, health.

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
    if path == "/login" || path.starts_with("/pkg/") || path.starts_with("/api/") {
        return next.run(req).await;
    }
    match user_from_headers(&state.store, req.headers()).await {
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

/// 200 when the database answers, else 503.
pub async fn healthz(state: AppState) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// Which signature: `?approval=1` is the first of two approvals.
#[derive(serde::Deserialize)]
pub struct WhichSignature {
    approval: Option<u8>,
}

/// `GET /purchase-orders/<id>/signature.png`: the approval signature (the
/// sign-in gate in front of it lets only signed-in users through).
pub async fn signature_png(
    state: AppState,
    axum::extract::Path(id): axum::extract::Path<i64>,
    axum::extract::Query(which): axum::extract::Query<WhichSignature>,
) -> Response {
    match state.store.po_signature(id, which.approval == Some(1)).await {
        Ok(Some(png)) => ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no signature").into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct QboCallback {
    code: Option<String>,
    state: Option<String>,
    #[serde(rename = "realmId")]
    realm_id: Option<String>,
    error: Option<String>,
}

/// `GET /integrations/qbo/callback`: Intuit sends the admin back here. The
/// state is checked against the one this admin started with; the outcome is
/// shown on Settings.
pub async fn qbo_callback(
    state: AppState,
    user: Option<axum::Extension<domain::users::User>>,
    axum::extract::Query(q): axum::extract::Query<QboCallback>,
) -> Response {
    // Only a code goes back in the URL; Settings shows the fixed message
    // for it (app::quickbooks::callback_message), never text from the query.
    let back = |error: Option<&str>| match error {
        None => Redirect::to("/settings?qbo=connected").into_response(),
        Some(code) => Redirect::to(&format!("/settings?qbo_error={code}")).into_response(),
    };
    let Some(axum::Extension(user)) = user else {
        return Redirect::to("/login").into_response();
    };
    if !user.can(domain::users::Permission::Admin) {
        return back(Some("not_admin"));
    }
    let Some(qbo) = state.qbo.as_ref() else {
        return back(Some("not_configured"));
    };
    if let Some(e) = q.error {
        tracing::warn!(error = %e.chars().take(100).collect::<String>(), "Intuit sent the admin back with an error");
        return back(Some(if e == "access_denied" { "access_denied" } else { "intuit_error" }));
    }
    let (code, st, realm) = (q.code.unwrap_or_default(), q.state.unwrap_or_default(), q.realm_id.unwrap_or_default());
    match qbo.complete_connect(&user, &code, &st, &realm).await {
        Ok(_) => back(None),
        Err(e) => {
            tracing::warn!(error = %e.message, "QuickBooks connection not completed");
            back(Some(if e.field.as_deref() == Some("state") { "state" } else { "failed" }))
        }
    }
}
