//! Server functions for purchase orders (API.md, "Purchase orders").

use crate::error::ApiError;
use domain::purchase_orders::{LineInput, PoPage, PurchaseOrder, ReceiptLine, TimelineEvent};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "purchase-orders/create", input = Json, output = Json)]
pub async fn create_po(
    vendor_id: i64,
    company_id: Option<i64>,
    ticket_id: Option<i64>,
    project_id: Option<i64>,
    lines: Vec<LineInput>,
    notes: Option<String>,
    submit: Option<bool>,
) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Create).await?;
    let input = domain::purchase_orders::PoInput {
        vendor_id,
        company_id,
        ticket_id,
        project_id,
        lines,
        notes,
    };
    let po = st.store.create_po(&user, &input, submit.unwrap_or(true)).await?;
    tracing::info!(po = %po.number, by = user.id, status = po.status.as_str(), "purchase order created");
    Ok(po)
}

#[server(endpoint = "purchase-orders/get", input = Json, output = Json)]
pub async fn get_po(id: i64) -> Result<PurchaseOrder, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(st.store.get_po(id).await?)
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "purchase-orders/list", input = Json, output = Json)]
pub async fn list_pos(
    status: Option<String>,
    company_id: Option<i64>,
    vendor_id: Option<i64>,
    ticket_id: Option<i64>,
    project_id: Option<i64>,
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
) -> Result<PoPage, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    let status = match status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::purchase_orders::PoStatus::parse(s).ok_or_else(|| {
            domain::Error::validation(
                "status",
                "Status must be one of draft, pending_approval, approved, rejected, partially_received, received, cancelled.",
            )
        })?),
        None => None,
    };
    let filter = domain::purchase_orders::PoFilter {
        status,
        company_id,
        vendor_id,
        ticket_id,
        project_id,
        q,
        cursor,
        limit,
    };
    Ok(st.store.list_pos(&filter).await?)
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "purchase-orders/update", input = Json, output = Json)]
pub async fn update_po(
    id: i64,
    version: i64,
    vendor_id: i64,
    company_id: Option<i64>,
    ticket_id: Option<i64>,
    project_id: Option<i64>,
    lines: Vec<LineInput>,
    notes: Option<String>,
    submit: Option<bool>,
) -> Result<PurchaseOrder, ApiError> {
    // Who may edit (the creator or an admin) and when: the store asks the policy.
    let (st, user) = crate::context::authorized(domain::users::Permission::Create).await?;
    let input = domain::purchase_orders::PoInput {
        vendor_id,
        company_id,
        ticket_id,
        project_id,
        lines,
        notes,
    };
    let po = st.store.update_po(&user, id, version, &input, submit.unwrap_or(false)).await?;
    Ok(po)
}

#[server(endpoint = "purchase-orders/submit", input = Json, output = Json)]
pub async fn submit_po(id: i64) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Create).await?;
    let po = st.store.submit_po(&user, id).await?;
    Ok(po)
}

/// Approves at the `version` the approver saw (409 `stale` when it changed
/// since; 403 `self_approval` for one's own PO unless the settings allow it).
#[server(endpoint = "purchase-orders/approve", input = Json, output = Json)]
pub async fn approve_po(id: i64, version: i64, signature_png: Option<String>) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Approve).await?;
    // Whether this approver may approve this PO now is asked first; only
    // then is the signature decoded, off the async runtime (the store asks
    // again, with the PO locked).
    st.store.may(&user, id, domain::purchase_orders::rules::Action::Approve).await?;
    let png = match signature_png.filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(domain::purchase_orders::signature::decode_off_runtime(s).await?),
        None => None,
    };
    let po = st.store.approve_po(&user, id, version, png).await?;
    tracing::info!(po = %po.number, by = user.id, "purchase order approved");
    Ok(po)
}

/// Rejects at the `version` the approver saw (as approve).
#[server(endpoint = "purchase-orders/reject", input = Json, output = Json)]
pub async fn reject_po(id: i64, version: i64, reason: String) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Approve).await?;
    Ok(st.store.reject_po(&user, id, version, &reason).await?)
}

#[server(endpoint = "purchase-orders/cancel", input = Json, output = Json)]
pub async fn cancel_po(id: i64, reason: Option<String>) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Create).await?;
    Ok(st.store.cancel_po(&user, id, reason.as_deref()).await?)
}

#[server(endpoint = "purchase-orders/receive", input = Json, output = Json)]
pub async fn receive_po(id: i64, lines: Vec<ReceiptLine>) -> Result<PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Receive).await?;
    Ok(st.store.receive_po(&user, id, &lines).await?)
}

#[server(endpoint = "purchase-orders/timeline", input = Json, output = Json)]
pub async fn po_timeline(id: i64) -> Result<Vec<TimelineEvent>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(st.store.po_timeline(id).await?)
}

/// The approval rules in force (limits, signature, self-approval), for
/// everyone who can view: the pages ask the policy with them.
#[server(endpoint = "purchase-orders/approval-settings", input = Json, output = Json)]
pub async fn approval_settings() -> Result<domain::settings::Settings, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(st.store.settings().await?)
}
