//! Users (admins manage them) and API tokens (everyone manages their own).

mod account_panel;
mod api;
mod tokens_panel;
mod users_panel;

pub use account_panel::AccountPanel;
pub use api::*;
pub use tokens_panel::TokensPanel;
pub use users_panel::UsersPanel;
