//! Server functions of procurement (API.md, "Procurement").

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<String>,
}

/// Why procurement is off when no encryption key is configured.
pub const NO_KEY: &str = "Procurement is unavailable: no encryption key is configured. An admin generates one with `server gen-key`, \
sets it as NEXOS_ENCRYPTION_KEY and restarts the server. Purchase orders keep working meanwhile.";

/// Whether procurement can run here. Answers 200 either way.
#[server(endpoint = "procurement/status", input = Json, output = Json)]
pub async fn procurement_status() -> Result<Availability, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(if st.encryption_configured() {
        Availability { available: true, reason: None }
    } else {
        Availability {
            available: false,
            reason: Some(NO_KEY.to_string()),
        }
    })
}
