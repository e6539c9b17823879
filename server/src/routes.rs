//! Route handlers outside Leptos: health, a PO's signature image, the
//! QuickBooks OAuth callback, and the CSV export. (Middleware: `middleware.rs`, `security.rs`.)

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

/// The filters of `GET /purchase-orders/export.csv`: the list's, a
/// creation date range, and `lines=1`.
#[derive(serde::Deserialize, Default)]
pub struct ExportParams {
    status: Option<String>,
    company_id: Option<String>,
    vendor_id: Option<String>,
    ticket_id: Option<String>,
    project_id: Option<String>,
    q: Option<String>,
    from: Option<String>,
    to: Option<String>,
    lines: Option<String>,
}

fn id_param(field: &str, v: &Option<String>) -> Result<Option<i64>, domain::Error> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| domain::Error::validation(field, "Expected a whole number (an id).")),
    }
}

impl ExportParams {
    fn query(&self) -> Result<domain::purchase_orders::ExportQuery, domain::Error> {
        use domain::purchase_orders::{check_day, ExportQuery, PoFilter, PoStatus};
        let status = match self.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(PoStatus::parse(s).ok_or_else(|| domain::Error::validation("status", "Unknown status."))?),
        };
        Ok(ExportQuery {
            filter: PoFilter {
                status,
                company_id: id_param("company_id", &self.company_id)?,
                vendor_id: id_param("vendor_id", &self.vendor_id)?,
                ticket_id: id_param("ticket_id", &self.ticket_id)?,
                project_id: id_param("project_id", &self.project_id)?,
                q: self.q.clone().filter(|q| !q.trim().is_empty()),
                ..Default::default()
            },
            from: check_day("from", self.from.as_deref())?,
            to: check_day("to", self.to.as_deref())?,
            lines: matches!(self.lines.as_deref(), Some("1") | Some("true")),
        })
    }
}

/// POs read per database round trip while exporting.
const EXPORT_BATCH: i64 = 500;

/// `GET /purchase-orders/export.csv`: the filtered list as CSV, streamed a
/// batch at a time. A session or a bearer token (401 otherwise, as JSON).
pub async fn export_csv(state: AppState, headers: axum::http::HeaderMap, axum::extract::Query(p): axum::extract::Query<ExportParams>) -> Response {
    let refuse = |e: domain::Error| crate::security::refusal(&e);
    let user = match app::context::user_from_headers(&state.store, &headers, state.secure_cookies).await {
        Ok(Some(u)) => u,
        Ok(None) | Err(_) => return refuse(domain::Error::unauthenticated()),
    };
    if let Err(e) = user.require(domain::users::Permission::View) {
        return refuse(e);
    }
    let query = match p.query() {
        Ok(q) => q,
        Err(e) => return refuse(e),
    };
    if let Err(e) = domain::validate::search_query(query.filter.q.as_deref()) {
        return refuse(e);
    }
    let header_row = if query.lines {
        domain::purchase_orders::export::record(&domain::purchase_orders::export::LINE_COLUMNS)
    } else {
        domain::purchase_orders::export::record(&domain::purchase_orders::export::PO_COLUMNS)
    };
    let store = state.store.clone();
    // (done, cursor): the header first, then batches until the last.
    let body = futures::stream::unfold((false, None::<i64>, Some(header_row)), move |(done, cursor, first)| {
        let store = store.clone();
        let query = query.clone();
        async move {
            if let Some(h) = first {
                return Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(h)), (false, None, None)));
            }
            if done {
                return None;
            }
            match store.export_batch(&query, cursor, EXPORT_BATCH).await {
                Ok((text, next)) => Some((Ok(axum::body::Bytes::from(text)), (next.is_none(), next, None))),
                Err(e) => {
                    tracing::error!("export stopped: {}", e.message);
                    Some((Err(std::io::Error::other("export failed")), (true, None, None)))
                }
            }
        }
    });
    // Fused: a body may be polled once more after its end.
    let body = futures::StreamExt::fuse(body);
    tracing::info!(by = user.id, lines = p.lines.is_some(), "CSV export");
    let name = format!("purchase-orders-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}
