//! Purchase orders: list, raise and edit, the PO page with its actions and
//! timeline, the signature pad, and the printed form.

mod api;
mod detail_page;
mod editor;
mod editor_line;
mod list_page;
mod po_actions;
mod print_page;
mod signature_pad;
mod target_picker;
mod widgets;

pub use crate::components::when;
pub use crate::components::{Changed, TimelineChanged};
pub use api::*;
pub use detail_page::PoPage;
pub use editor::{EditPoPage, NewPoPage};
pub use list_page::{PoTable, PurchaseOrdersPage};
pub use print_page::PoPrintPage;
