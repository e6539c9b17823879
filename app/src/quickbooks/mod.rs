//! QuickBooks Online: the connection and account mapping in Settings, and
//! the push panel on an approved PO.

mod api;
mod po_panel;
mod settings_panel;

pub use api::*;
pub use po_panel::QboPoPanel;
pub use settings_panel::QboSettings;
