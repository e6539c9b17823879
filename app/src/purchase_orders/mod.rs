//! Purchase orders: list, raise and edit, the PO page with its actions and
//! timeline, the signature pad, and the printed form.

mod api;
mod detail_page;
mod editor;
mod list_page;
mod print_page;
mod signature_pad;
mod widgets;

pub use api::*;
pub use detail_page::{Changed, PoPage, TimelineChanged};
pub use editor::{EditPoPage, NewPoPage};
pub use list_page::{PoTable, PurchaseOrdersPage};
pub use print_page::PoPrintPage;
pub use widgets::when;
