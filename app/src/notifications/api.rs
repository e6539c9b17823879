//! Server functions of notifications: webhooks and deliveries (admins),
//! each user's email preference, and the approval inbox.

use crate::error::ApiError;
use domain::notifications::{Delivery, NotificationsView, SandboxMail, Webhook};
use domain::purchase_orders::InboxItem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A user's notification preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    pub email: bool,
}

#[server(endpoint = "webhooks/create", input = Json, output = Json)]
pub async fn create_webhook(url: String, kind: String, events: Option<Vec<String>>, secret: Option<String>) -> Result<Webhook, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let input = domain::notifications::WebhookInput { url, kind, events, secret };
    // Checked first: bad input is a 400 naming its field, key or not.
    domain::notifications::check_webhook(&input)?;
    let w = st.store.create_webhook(&admin, st.key()?, &input).await?;
    tracing::info!(by = admin.id, webhook = w.id, kind = w.kind.as_str(), "webhook added");
    Ok(w)
}

#[server(endpoint = "webhooks/list", input = Json, output = Json)]
pub async fn list_webhooks() -> Result<Vec<Webhook>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.store.list_webhooks().await?)
}

#[server(endpoint = "webhooks/delete", input = Json, output = Json)]
pub async fn delete_webhook(id: i64) -> Result<(), ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    st.store.delete_webhook(id).await?;
    tracing::info!(by = admin.id, webhook = id, "webhook deleted");
    Ok(())
}

#[server(endpoint = "webhooks/deliveries", input = Json, output = Json)]
pub async fn webhook_deliveries(webhook_id: Option<i64>) -> Result<Vec<Delivery>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.store.deliveries(webhook_id, 100).await?)
}

#[server(endpoint = "notifications/status", input = Json, output = Json)]
pub async fn notifications_status() -> Result<NotificationsView, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(NotificationsView {
        mail: st.mailer.status(),
        webhooks: st.store.list_webhooks().await?,
        failed: st.store.failed_deliveries(50).await?,
        webhooks_available: st.encryption_configured(),
    })
}

/// "Send again" for a failed or unsent delivery (same delivery id).
#[server(endpoint = "notifications/retry", input = Json, output = Json)]
pub async fn retry_delivery(id: i64) -> Result<Delivery, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let d = st.store.retry_delivery(id).await?;
    tracing::info!(by = admin.id, delivery = id, "delivery sent again");
    Ok(d)
}

/// Sends a test mail to the signed-in admin, now; the answer says where.
#[server(endpoint = "notifications/test-mail", input = Json, output = Json)]
pub async fn send_test_mail() -> Result<String, ApiError> {
    let (st, admin) = crate::context::authorized(domain::users::Permission::Admin).await?;
    let m = domain::notifications::mail::Outgoing {
        key: domain::notifications::outbox::new_key(),
        to: admin.email.clone(),
        subject: "NEXOS test mail".into(),
        text: format!(
            "This is a test mail from NEXOS Purchasing at {}.\n\nNotifications reach you this way.\n",
            st.public_url
        ),
        html: format!(
            "<p>This is a test mail from NEXOS Purchasing at {}.</p><p>Notifications reach you this way.</p>",
            st.public_url
        ),
    };
    match st.mailer.send(&st.store, &m).await {
        Ok(_) => Ok(admin.email),
        Err(e) => Err(ApiError(domain::Error::new(
            if st.mailer.is_off() {
                domain::ErrorCode::Conflict
            } else {
                domain::ErrorCode::Upstream
            },
            format!("The test mail was not sent: {}", e.message),
        ))),
    }
}

/// The demo's sandbox mailbox (empty unless mail goes there).
#[server(endpoint = "notifications/sandbox-mail", input = Json, output = Json)]
pub async fn sandbox_mailbox() -> Result<Vec<SandboxMail>, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::Admin).await?;
    Ok(st.store.sandbox_mail(50).await?)
}

#[server(endpoint = "notifications/preferences", input = Json, output = Json)]
pub async fn notification_preferences() -> Result<Preferences, ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    Ok(Preferences {
        email: st.store.email_notifications(&user).await?,
    })
}

#[server(endpoint = "notifications/set-preferences", input = Json, output = Json)]
pub async fn set_notification_preferences(email: bool) -> Result<Preferences, ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    Ok(Preferences {
        email: st.store.set_email_notifications(&user, email).await?,
    })
}

/// The POs waiting for the caller's approval, oldest first.
#[server(endpoint = "approvals/inbox", input = Json, output = Json)]
pub async fn approval_inbox() -> Result<Vec<InboxItem>, ApiError> {
    let (st, user) = crate::context::authorized(domain::users::Permission::Approve).await?;
    Ok(st.store.approval_inbox(&user).await?)
}

/// How many POs wait for the caller (0 for those who do not approve): the nav's badge.
#[server(endpoint = "approvals/count", input = Json, output = Json)]
pub async fn approval_count() -> Result<usize, ApiError> {
    let (st, user) = crate::context::signed_in().await?;
    Ok(st.store.approval_inbox(&user).await?.len())
}
