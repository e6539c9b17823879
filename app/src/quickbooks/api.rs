//! Server functions of the QuickBooks connection (API.md, "Settings and
//! integrations"); the push is `purchase-orders/push-qbo`.

use crate::error::ApiError;
use domain::quickbooks::{QboLists, QboMapping, QboStatus};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Why QuickBooks is off when the server has no Intuit app.
pub const QBO_OFF: &str = "QuickBooks is not set up on this server: the operator registers an Intuit app, \
sets QBO_CLIENT_ID and QBO_CLIENT_SECRET (see the README) and restarts the server.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeUrl {
    pub authorize_url: String,
}

/// Starts the OAuth flow: the browser goes to `authorize_url`, and Intuit
/// sends it back to `/integrations/qbo/callback`.
#[server(endpoint = "integrations/qbo/connect", input = Json, output = Json)]
pub async fn connect_qbo(environment: Option<String>) -> Result<AuthorizeUrl, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let env = match environment.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => domain::quickbooks::Environment::parse(e).ok_or_else(|| domain::Error::validation("environment", "Choose sandbox or production."))?,
        None => domain::quickbooks::Environment::Production,
    };
    let authorize_url = st.qbo()?.begin_connect(&admin, env).await?;
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

/// The A/P account and the expense account lines are booked to (blank clears one).
#[server(endpoint = "integrations/qbo/mapping", input = Json, output = Json)]
pub async fn map_qbo_accounts(ap_account_id: Option<String>, expense_account_id: Option<String>) -> Result<QboMapping, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st
        .qbo()?
        .save_mapping(&QboMapping {
            ap_account_id,
            expense_account_id,
        })
        .await?)
}

/// The connected company's accounts, vendors and items, to map to.
#[server(endpoint = "integrations/qbo/lists", input = Json, output = Json)]
pub async fn load_qbo_lists() -> Result<QboLists, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.qbo()?.lists().await?)
}
