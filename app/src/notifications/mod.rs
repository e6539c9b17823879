//! Notifications: Settings → Notifications (mail, webhooks, deliveries),
//! each user's email switch, and the approval inbox.

mod api;
mod inbox_page;
mod preferences;
mod settings_panel;

pub use api::*;
pub use inbox_page::ApprovalsPage;
pub use preferences::EmailPreference;
pub use settings_panel::NotificationsPanel;
