//! Settings: approvals (admin), users (admin) and your API tokens.

mod api;
mod page;

pub use api::*;
pub use page::SettingsPage;
