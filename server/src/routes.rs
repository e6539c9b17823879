//! Route handlers outside Leptos: health, a PO's signature image, and the
//! QuickBooks OAuth callback. (Middleware: `middleware.rs`, `security.rs`.)

use app::context::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

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
