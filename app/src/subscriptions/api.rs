//! Server functions for subscriptions (API.md, "Subscriptions").

use crate::error::ApiError;
use domain::subscriptions::{Subscription, SubscriptionDetail, SyncOutcome};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(endpoint = "subscriptions/list", input = Json, output = Json)]
pub async fn list_subscriptions(company_id: Option<i64>, status: Option<String>) -> Result<Vec<Subscription>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    let status = match status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::subscriptions::SubscriptionStatus::parse(s).ok_or_else(|| {
            domain::Error::validation(
                "status",
                "Status must be one of active, pending, waiting_for_details, pending_cancel, cancelled.",
            )
        })?),
        None => None,
    };
    Ok(st.store.list_subscriptions(company_id, status).await?)
}

#[server(endpoint = "subscriptions/get", input = Json, output = Json)]
pub async fn get_subscription(id: i64) -> Result<SubscriptionDetail, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(st.store.get_subscription(id).await?)
}

/// Raises a change order for one subscription (a draft PO, to be checked
/// and submitted): its seats to `quantity`, or a cancellation.
#[server(endpoint = "subscriptions/change", input = Json, output = Json)]
pub async fn raise_change(
    subscription_id: i64,
    quantity: Option<i64>,
    cancel: Option<bool>,
    cancel_date: Option<String>,
    submit: Option<bool>,
) -> Result<domain::purchase_orders::PurchaseOrder, ApiError> {
    use domain::purchase_orders::{ChangeInput, LineInput, PoInput};
    let (st, user) = crate::context::authorized(domain::users::Permission::Create).await?;
    let input = PoInput {
        lines: vec![LineInput {
            change: Some(ChangeInput {
                subscription_id,
                quantity,
                cancel: cancel.unwrap_or(false),
                cancel_date,
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let po = st.store.create_po(&user, &input, submit.unwrap_or(false)).await?;
    tracing::info!(po = %po.number, by = user.id, subscription = subscription_id, "change order raised");
    Ok(po)
}

/// Reads the company's subscriptions at Pax8; never changes Pax8.
#[server(endpoint = "subscriptions/sync", input = Json, output = Json)]
pub async fn sync_subscriptions(company_id: i64) -> Result<SyncOutcome, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Dispatch).await?;
    let pax8 = st.pax8().await?;
    let out = st.store.sync_subscriptions(&pax8, company_id).await?;
    tracing::info!(company = company_id, by = user.id, "subscriptions synced by hand");
    Ok(out)
}

/// Subscriptions whose commitment ends within `days` (default 60), soonest first.
#[server(endpoint = "subscriptions/renewals", input = Json, output = Json)]
pub async fn renewals(days: Option<i64>) -> Result<Vec<domain::subscriptions::Renewal>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(st.store.renewals(days).await?)
}
