//! Server functions of the QuickBooks connection (API.md, "Settings and
//! integrations"); the push is `purchase-orders/push-qbo`.

use crate::error::ApiError;
use domain::quickbooks::{QboLists, QboMapping, QboStatus, QboVendorChoices};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

pub use crate::messages::QBO_OFF;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeUrl {
    pub authorize_url: String,
}

/// Starts the OAuth flow: the browser goes to `authorize_url`, and Intuit
/// sends it back to `/integrations/qbo/callback`. Without `environment`, the
/// first company type the server has keys for (production first); one
/// without keys is refused (400, field `environment`).
#[server(endpoint = "integrations/qbo/connect", input = Json, output = Json)]
pub async fn connect_qbo(environment: Option<String>) -> Result<AuthorizeUrl, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let qbo = st.qbo()?;
    let env = match environment.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => domain::quickbooks::Environment::parse(e).ok_or_else(|| domain::Error::validation("environment", "Choose sandbox or production."))?,
        None => qbo.status().await?.environments.first().copied().unwrap_or_default(),
    };
    let authorize_url = qbo.begin_connect(&admin, env).await?;
    tracing::info!(by = admin.id, environment = env.as_str(), "QuickBooks connect started");
    Ok(AuthorizeUrl { authorize_url })
}

/// The connection and mapping. Answers 200 also when QuickBooks is off here.
#[server(endpoint = "integrations/qbo/status", input = Json, output = Json)]
pub async fn get_qbo_status() -> Result<QboStatus, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    match st.qbo() {
        Ok(q) => Ok(q.status().await?),
        Err(e) => Ok(QboStatus {
            available: false,
            reason: Some(e.message().to_string()),
            connected: false,
            realm_id: None,
            company_name: None,
            environment: Default::default(),
            connected_at: None,
            mapping: QboMapping::default(),
            sandbox: false,
            environments: Vec::new(),
            company: None,
        }),
    }
}

/// Revokes the grant at Intuit and forgets the tokens.
#[server(endpoint = "integrations/qbo/disconnect", input = Json, output = Json)]
pub async fn disconnect_qbo() -> Result<QboStatus, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let status = st.qbo()?.disconnect().await?;
    tracing::info!(by = admin.id, "QuickBooks disconnected");
    Ok(status)
}

/// The A/P account and the expense account lines are booked to, and the tax
/// code put on every line (non-US companies); blank or left out clears one.
#[server(endpoint = "integrations/qbo/mapping", input = Json, output = Json)]
pub async fn map_qbo_accounts(ap_account_id: Option<String>, expense_account_id: Option<String>, tax_code_id: Option<String>) -> Result<QboMapping, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st
        .qbo()?
        .save_mapping(&QboMapping {
            ap_account_id,
            expense_account_id,
            tax_code_id,
        })
        .await?)
}

/// Reads the connected company's country, home currency and multicurrency
/// switch again from QuickBooks; answers the status.
#[server(endpoint = "integrations/qbo/company", input = Json, output = Json)]
pub async fn refresh_qbo_company() -> Result<QboStatus, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let qbo = st.qbo()?;
    qbo.refresh_company().await?;
    tracing::info!(by = admin.id, "QuickBooks company settings read again");
    Ok(qbo.status().await?)
}

/// QuickBooks vendors whose name has every word of `q` (at most 20), and the
/// best match for the NEXOS vendor name `name`, for the Vendors page.
#[server(endpoint = "integrations/qbo/vendors", input = Json, output = Json)]
pub async fn search_qbo_vendors(q: Option<String>, name: Option<String>) -> Result<QboVendorChoices, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::ManageCatalog).await?;
    Ok(st
        .qbo()?
        .vendor_choices(q.as_deref().unwrap_or_default(), name.as_deref().unwrap_or_default())
        .await?)
}

/// The connected company's accounts, vendors and items, to map to.
#[server(endpoint = "integrations/qbo/lists", input = Json, output = Json)]
pub async fn load_qbo_lists() -> Result<QboLists, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.qbo()?.lists().await?)
}

/// Pushes an approved PO to QuickBooks (idempotent: a pushed PO is returned as is).
#[server(endpoint = "purchase-orders/push-qbo", input = Json, output = Json)]
pub async fn push_po_to_qbo(id: i64) -> Result<domain::purchase_orders::PurchaseOrder, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Approve).await?;
    let po = st.qbo()?.push(domain::quickbooks::push::Pusher::User(&user), id).await?;
    tracing::info!(po = %po.number, by = user.id, "pushed to QuickBooks");
    Ok(po)
}
