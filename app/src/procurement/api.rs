//! Server functions of procurement (API.md, "Procurement"). All but
//! `procurement/status` answer 503 `encryption_key_missing` without the key.

use crate::error::ApiError;
use domain::procurement::{Dispatch, QueueItem, Remediation, RetryEdits};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<String>,
    /// Pax8 is the project's local fake (demo mode).
    #[serde(default)]
    pub sandbox: bool,
}

/// Why procurement is off when no encryption key is configured.
pub const NO_KEY: &str = "Procurement is unavailable: no encryption key is configured. An admin generates one with `server gen-key`, \
sets it as NEXOS_ENCRYPTION_KEY and restarts the server. Purchase orders keep working meanwhile.";

#[cfg(feature = "ssr")]
async fn ready(p: domain::users::Permission) -> Result<(crate::context::AppState, domain::users::User), ApiError> {
    let (st, user) = crate::context::authorized(p).await?;
    st.key()?;
    Ok((st, user))
}

/// Whether procurement can run here. Answers 200 either way.
#[server(endpoint = "procurement/status", input = Json, output = Json)]
pub async fn procurement_status() -> Result<Availability, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(if st.encryption_configured() {
        Availability {
            available: true,
            reason: None,
            sandbox: st.pax8_sandbox,
        }
    } else {
        Availability {
            available: false,
            reason: Some(NO_KEY.to_string()),
            sandbox: false,
        }
    })
}

#[server(endpoint = "procurement/queue", input = Json, output = Json)]
pub async fn procurement_queue(state: Option<String>) -> Result<Vec<QueueItem>, ApiError> {
    let (st, _) = ready(domain::users::Permission::View).await?;
    let state = match state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::procurement::DispatchStatus::parse(s).ok_or_else(|| domain::Error::validation("state", "Unknown dispatch state."))?),
        None => None,
    };
    Ok(st.store.procurement_queue(state).await?)
}

#[server(endpoint = "procurement/dispatch", input = Json, output = Json)]
pub async fn dispatch_po(po_id: i64) -> Result<Dispatch, ApiError> {
    let (st, user) = ready(domain::users::Permission::Dispatch).await?;
    let d = st.store.request_dispatch(&user, po_id).await?;
    tracing::info!(po_id, by = user.id, status = d.status.as_str(), "dispatch requested");
    Ok(d)
}

#[server(endpoint = "procurement/get", input = Json, output = Json)]
pub async fn get_dispatch(po_id: i64) -> Result<Dispatch, ApiError> {
    let (st, _) = ready(domain::users::Permission::View).await?;
    Ok(st.store.get_dispatch(po_id).await?)
}

#[server(endpoint = "procurement/retry", input = Json, output = Json)]
pub async fn retry_dispatch(remediation_id: i64, edits: Option<RetryEdits>) -> Result<Dispatch, ApiError> {
    let (st, user) = ready(domain::users::Permission::Remediate).await?;
    Ok(st.store.retry_dispatch(&user, remediation_id, edits.as_ref()).await?)
}

#[server(endpoint = "procurement/abandon", input = Json, output = Json)]
pub async fn abandon_dispatch(remediation_id: i64, reason: String) -> Result<Remediation, ApiError> {
    let (st, user) = ready(domain::users::Permission::Remediate).await?;
    Ok(st.store.abandon_dispatch(&user, remediation_id, &reason).await?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configured {
    pub configured: bool,
}

/// Stores the Pax8 client id and secret (sealed; never returned).
#[server(endpoint = "integrations/pax8/configure", input = Json, output = Json)]
pub async fn configure_pax8(client_id: String, client_secret: String) -> Result<Configured, ApiError> {
    let (st, admin) = ready(domain::users::Permission::Admin).await?;
    st.store
        .save_pax8_credentials(st.key()?, &domain::procurement::credentials::Pax8Credentials { client_id, client_secret })
        .await?;
    tracing::info!(by = admin.id, "Pax8 credentials stored");
    Ok(Configured { configured: true })
}

/// Fetches a token with the stored credentials.
#[server(endpoint = "integrations/pax8/test", input = Json, output = Json)]
pub async fn test_pax8() -> Result<Configured, ApiError> {
    use domain::procurement::distributor::Distributor;
    let (st, _) = ready(domain::users::Permission::Admin).await?;
    let pax8 = st.pax8().await?;
    pax8.test_connection()
        .await
        .map_err(|e| ApiError(domain::Error::new(domain::ErrorCode::Upstream, format!("Pax8 connection failed: {e}"))))?;
    Ok(Configured { configured: true })
}
