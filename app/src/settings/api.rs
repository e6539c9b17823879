use crate::error::ApiError;
use domain::settings::SettingsView;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[cfg(feature = "ssr")]
async fn view(st: &crate::context::AppState) -> Result<SettingsView, ApiError> {
    let s = st.store.settings().await?;
    Ok(SettingsView {
        auto_approve_limit_cents: s.auto_approve_limit_cents,
        require_signature: s.require_signature,
        qbo_auto_push: s.qbo_auto_push,
        currency: s.currency,
        pax8_preflight: s.pax8_preflight,
        allow_self_approval: s.allow_self_approval,
        second_approval_limit_cents: s.second_approval_limit_cents,
        session_idle_hours: s.session_idle_hours,
        encryption_configured: st.encryption_configured(),
        pax8_configured: st.store.pax8_sealed().await?.is_some(),
        qbo_connected: match &st.qbo {
            Some(q) if st.encryption_configured() => q.connected().await,
            _ => false,
        },
    })
}

#[server(endpoint = "settings/get", input = Json, output = Json)]
pub async fn get_settings() -> Result<SettingsView, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    view(&st).await
}

#[server(endpoint = "settings/update", input = Json, output = Json)]
pub async fn update_settings(
    auto_approve_limit_cents: Option<i64>,
    require_signature: Option<bool>,
    qbo_auto_push: Option<bool>,
    pax8_preflight: Option<bool>,
    allow_self_approval: Option<bool>,
    second_approval_limit_cents: Option<i64>,
    session_idle_hours: Option<i64>,
) -> Result<SettingsView, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    st.store
        .update_settings(&domain::settings::SettingsUpdate {
            auto_approve_limit_cents,
            require_signature,
            qbo_auto_push,
            pax8_preflight,
            allow_self_approval,
            second_approval_limit_cents,
            session_idle_hours,
        })
        .await?;
    tracing::info!(by = admin.id, "settings updated");
    view(&st).await
}
